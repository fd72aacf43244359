"""The built-in follow-up steps: signed token, Message-ID, subject number, body number, trusted header."""

from __future__ import annotations

from typing import ClassVar

from mailgate.followup.message_ids import message_id_md5, thread_message_ids
from mailgate.followup.model import FollowupContext, StepResult
from mailgate.followup.registry import FollowupStep
from mailgate.ticketnumber import find_ticket_numbers, is_valid_ticket_number
from mailgate.tokens import parse_agent_reply_address, parse_message_id, parse_reply_address
from parsers.model import ParsedMessage

RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To")
FOLLOWUP_HEADERS = ("X-OTRS-FollowUp-TicketNumber", "X-Mailgate-Ticket")


def _recipients(parsed: ParsedMessage, context: FollowupContext) -> list[str]:
    """Every address the mail was sent to, as far as we can tell, without duplicates."""
    found = [address.email for address in (*parsed.to, *parsed.cc)]
    found.extend(context.envelope_recipients)
    for header in RECIPIENT_HEADERS:
        found.extend(value.strip() for value in parsed.header_all(header))
    return list(dict.fromkeys(item for item in found if item))


def _lookup_numbers(numbers: list[str], context: FollowupContext, where: str) -> StepResult:
    """The first of ``numbers`` that names an existing ticket."""
    if not numbers:
        return StepResult.missed(f"no valid ticket number of SystemID {context.system_id} in {where}")
    for tn in numbers:
        ticket_id = context.lookups.find_ticket_by_number(tn)
        if ticket_id is not None:
            return StepResult("matched", f"ticket number {tn} in {where}", ticket_id, ticket_number=tn)
    return StepResult.missed(f"ticket number(s) {', '.join(numbers)} in {where} name no ticket")


class TokenStep(FollowupStep):
    """A per-ticket reply address among the recipients, or our signed Message-ID in the thread headers."""

    name: ClassVar[str] = "token"
    trusted: ClassVar[bool] = True

    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        """Check recipients first, then In-Reply-To/References."""
        return (
            self._by_address(parsed, context)
            or self._by_message_id(parsed, context)
            or (StepResult.missed("no signed reply address or Message-ID token"))
        )

    @staticmethod
    def _by_address(parsed: ParsedMessage, context: FollowupContext) -> StepResult | None:
        """A reply address (customer) or agent reply address we issued, on one of our system addresses."""
        for address in _recipients(parsed, context):
            reply = parse_reply_address(context.secret, address)
            on_system_address = reply is not None and context.is_system_address(reply.system_address)
            if reply and on_system_address and context.lookups.ticket_exists(reply.ticket_id):
                return StepResult("matched", f"signed reply address {address}", reply.ticket_id)
            agent = None
            if context.today is not None:
                agent = parse_agent_reply_address(context.secret, address, today=context.today)
            if agent and context.lookups.ticket_exists(agent.ticket_id):
                reason = f"signed agent reply address {address} (user {agent.user_id})"
                return StepResult("matched", reason, agent.ticket_id, agent_user_id=agent.user_id)
        return None

    @staticmethod
    def _by_message_id(parsed: ParsedMessage, context: FollowupContext) -> StepResult | None:
        """One of our own signed Message-IDs in the bounce report, In-Reply-To or References."""
        for message_id in thread_message_ids(parsed, context.max_references):
            token = parse_message_id(context.secret, message_id)
            if token and context.lookups.ticket_exists(token.ticket_id):
                return StepResult("matched", f"signed Message-ID <{message_id}>", token.ticket_id)
        return None


class MessageIdStep(FollowupStep):
    """In-Reply-To and References against the Message-IDs of stored articles (Znuny's md5 index)."""

    name: ClassVar[str] = "message_id"
    trusted: ClassVar[bool] = True

    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        """One look-up with the md5 of every referenced id, most specific first."""
        ids = thread_message_ids(parsed, context.max_references)
        if not ids:
            return StepResult.skipped("no In-Reply-To or References")
        ticket_id = context.lookups.find_ticket_by_message_ids([message_id_md5(item) for item in ids])
        if ticket_id is None:
            return StepResult.missed(f"none of {len(ids)} referenced Message-ID(s) is stored")
        return StepResult("matched", f"a referenced Message-ID (of {len(ids)}) is stored", ticket_id)


class SubjectNumberStep(FollowupStep):
    """The ticket number after the hook in the subject, check digit verified, SystemID respected."""

    name: ClassVar[str] = "subject_number"
    trusted: ClassVar[bool] = False

    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        """Look up each valid number of the subject in turn."""
        numbers = find_ticket_numbers(parsed.subject, context.hook, context.system_id, context.hook_divider)
        return _lookup_numbers(numbers, context, "subject")


class BodyNumberStep(FollowupStep):
    """The ticket number after the hook in the body text or an attachment name (off by default)."""

    name: ClassVar[str] = "body_number"
    trusted: ClassVar[bool] = False

    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        """Body first (bounded in length), then attachment names."""
        body = parsed.body.text[: context.max_body_chars]
        names = "\n".join(attachment.filename for attachment in parsed.attachments)
        found = find_ticket_numbers(body, context.hook, context.system_id, context.hook_divider)
        found += find_ticket_numbers(names, context.hook, context.system_id, context.hook_divider)
        return _lookup_numbers(list(dict.fromkeys(found)), context, "body or attachment names")


class TrustedHeaderStep(FollowupStep):
    """X-OTRS-FollowUp-TicketNumber / X-Mailgate-Ticket, honoured only when the source is trusted."""

    name: ClassVar[str] = "trusted_header"
    trusted: ClassVar[bool] = True

    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        """Read the headers only from a trusted source, like Znuny's X-OTRS-* handling."""
        values = [value.strip() for header in FOLLOWUP_HEADERS for value in parsed.header_all(header)]
        if not values:
            return StepResult.skipped("no follow-up header")
        if not context.trusted:
            return StepResult.skipped("follow-up header ignored: source not trusted")
        numbers = [
            value for value in dict.fromkeys(values) if is_valid_ticket_number(value, context.system_id)
        ]
        return _lookup_numbers(numbers, context, "follow-up header")


BUILTIN_STEPS: tuple[type[FollowupStep], ...] = (
    TokenStep,
    MessageIdStep,
    SubjectNumberStep,
    BodyNumberStep,
    TrustedHeaderStep,
)
