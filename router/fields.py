"""Condition fields: each a small named class that pulls string values out of MailFacts."""

from __future__ import annotations

from email.utils import getaddresses
from typing import ClassVar

from router.facts import MailFacts
from router.registry import Registry

Values = tuple[str, ...]


class FieldType:
    """Base of all fields; subclasses set name and implement extract."""

    name: ClassVar[str]
    takes_argument: ClassVar[bool] = False
    single: ClassVar[bool] = False

    def extract(self, facts: MailFacts, argument: str) -> str | Values:
        """The field's value: a text ('' if absent) when single, else a tuple of texts."""
        raise NotImplementedError

    def cache_key(self, argument: str) -> str:
        """Key under which a mail's values of this field are cached while routing."""
        return f"{self.name}:{argument.lower()}" if self.takes_argument else self.name


def header_values(facts: MailFacts, name: str) -> Values:
    """A header's values; X-OTRS-* headers count only from a trusted source (as in Znuny)."""
    key = name.lower()
    if key.startswith("x-otrs-") and not facts.trusted_source:
        return ()
    return facts.header_index.get(key, ())


class HeaderField(FieldType):
    """Every decoded value of the named header (`header:X-Spam-Flag`)."""

    name = "header"
    takes_argument = True

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """The header's values, matched by name case-insensitively."""
        return header_values(facts, argument)


class ZnunyHeaderField(FieldType):
    """A header as Znuny's filters see it: its values, or one empty value when it is absent."""

    name = "znuny_header"
    takes_argument = True

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """The header's values, or ('',) when absent, so that `^$` matches and negations hold."""
        return header_values(facts, argument) or ("",)


class HeaderAddressesField(FieldType):
    """The bare e-mail addresses listed in the named header (`header_addresses:Delivered-To`)."""

    name = "header_addresses"
    takes_argument = True

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """Addresses parsed from every value of the header."""
        lines = header_values(facts, argument)
        return tuple(address for _, address in getaddresses(lines) if "@" in address)


class FromField(FieldType):
    """The sender's address."""

    name = "from"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        """The From address."""
        return facts.from_email


class FromNameField(FieldType):
    """The sender's display name."""

    name = "from_name"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        """The From display name."""
        return facts.from_name


class ToField(FieldType):
    """The addresses in To."""

    name = "to"

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """The To addresses."""
        return tuple(facts.to)


class CcField(FieldType):
    """The addresses in Cc."""

    name = "cc"

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """The Cc addresses."""
        return tuple(facts.cc)


class RecipientField(FieldType):
    """Every recipient: envelope recipients, To and Cc (lower-cased, without repeats)."""

    name = "recipient"

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """All recipient addresses."""
        return facts.recipients


class SubjectField(FieldType):
    """The decoded subject."""

    name = "subject"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        """The subject."""
        return facts.subject


class BodyField(FieldType):
    """The plain-text body."""

    name = "body"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        """The body text."""
        return facts.body_text


class AttachmentNamesField(FieldType):
    """The file names of the attachments."""

    name = "attachment_names"

    def extract(self, facts: MailFacts, argument: str) -> Values:
        """Each attachment's file name."""
        return tuple(name for name in facts.attachment_names if name)


class KindField(FieldType):
    """The parser's classification: normal, auto-reply, bounce, delivery-report, complaint, list."""

    name = "kind"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        """The mail kind."""
        return facts.kind


class SenderDomainField(FieldType):
    """The domain of the sender's address, lower-cased."""

    name = "sender_domain"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        """The sender domain."""
        return facts.sender_domain


FIELD_TYPES: tuple[type[FieldType], ...] = (
    HeaderField,
    ZnunyHeaderField,
    HeaderAddressesField,
    FromField,
    FromNameField,
    ToField,
    CcField,
    RecipientField,
    SubjectField,
    BodyField,
    AttachmentNamesField,
    KindField,
    SenderDomainField,
)


def default_fields() -> Registry[FieldType]:
    """A fresh registry holding every built-in field."""
    return Registry("field", (field_type() for field_type in FIELD_TYPES))


def split_field(spec: str) -> tuple[str, str]:
    """Split `header:X-Foo` into ('header', 'X-Foo'); a plain field gets an empty argument."""
    name, _, argument = spec.partition(":")
    return name.strip(), argument.strip()
