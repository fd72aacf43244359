"""Agent reply tokens that must never relay: wrong sender, failing authentication, old or forged tokens."""

from __future__ import annotations

from datetime import date, timedelta

from mailgate.pipeline.explain import format_plan
from parsers import parse
from tests.integration.agentmail.support import AUTHSERV_ID, Helpdesk, agent_mail, assert_refused


def test_token_used_from_another_address_is_flagged_not_relayed(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    address = helpdesk.reply_address(ticket_id, helpdesk.alice)
    done = helpdesk.answer(
        ticket_id, "#close\nSend your password to me.", address=address, sender="Alice <alice@evil.example>"
    )
    assert_refused(helpdesk, done, ticket_id, "not from agent")
    assert helpdesk.state(ticket_id) == "new"  # its #close was ignored


def test_agent_without_rw_permission_is_refused(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "I can only read this queue.", agent=helpdesk.bob)
    assert_refused(helpdesk, done, ticket_id, "no rw permission")


def test_invalid_agent_is_refused(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "I left the company.", agent=helpdesk.dave)
    assert_refused(helpdesk, done, ticket_id, "is not valid")


def test_dkim_fail_of_our_mta_blocks_relaying(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    auth = f"{AUTHSERV_ID}; dkim=fail (signature did not verify) header.d=corp.example; spf=pass"
    done = helpdesk.answer(ticket_id, "Please pay this invoice.", auth=auth)
    assert_refused(helpdesk, done, ticket_id, "dkim=fail")


def test_spf_fail_of_our_mta_blocks_relaying(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "Hello.", auth=f"{AUTHSERV_ID}; spf=fail smtp.mailfrom=corp.example")
    assert_refused(helpdesk, done, ticket_id, "spf=fail")


def test_forged_pass_below_our_header_does_not_hide_our_fail(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    forged = f"Authentication-Results: {AUTHSERV_ID}; dkim=pass header.d=corp.example; dmarc=pass"
    done = helpdesk.answer(
        ticket_id, "Hello.", auth=f"{AUTHSERV_ID}; dkim=fail header.d=corp.example", extra=(forged,)
    )
    assert_refused(helpdesk, done, ticket_id, "dkim=fail")


def test_results_of_another_authserv_id_are_not_ours(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "Hello Jane.", auth="mx.elsewhere.example; dkim=fail; spf=fail")
    assert done.outcome == "agent_reply"
    assert helpdesk.trace(done.spool_id)["agent_mail"]["authentication"]["failures"] == []  # type: ignore[index]


def test_expired_token_is_refused(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    old = helpdesk.reply_address(ticket_id, helpdesk.alice, issued=date.today() - timedelta(days=200))
    done = helpdesk.answer(ticket_id, "#close\nDone.", address=old)
    assert_refused(helpdesk, done, ticket_id, "expired agent reply token")


def test_forged_token_is_refused_on_the_ticket_the_thread_names(helpdesk: Helpdesk) -> None:
    ticket_id, customer_message_id = helpdesk.new_ticket()
    genuine = helpdesk.reply_address(ticket_id, helpdesk.alice)
    local, domain = genuine.split("@")
    forged = f"{local[:-16]}{'a' * 16}@{domain}"
    assert forged != genuine
    done = helpdesk.answer(ticket_id, "Hello.", address=forged, in_reply_to=customer_message_id)
    assert_refused(helpdesk, done, ticket_id, "forged agent reply address")


def test_token_of_another_ticket_stays_on_its_own_ticket(helpdesk: Helpdesk) -> None:
    ticket_a, _ = helpdesk.new_ticket()
    ticket_b, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_b, "About B.", address=helpdesk.reply_address(ticket_b, helpdesk.alice))
    assert (done.outcome, done.ticket_id) == ("agent_reply", ticket_b)
    assert helpdesk.outbox(ticket_a) == []


def test_out_of_office_reply_of_the_agent_is_never_relayed(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(
        ticket_id, "I am out of the office until Monday.", extra=("Auto-Submitted: auto-replied",)
    )
    assert_refused(helpdesk, done, ticket_id, "auto-generated mail")


def test_route_explain_tells_why_a_mail_is_not_relayed(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    address = helpdesk.reply_address(ticket_id, helpdesk.alice)
    raw = agent_mail("Mallory <mallory@evil.example>", address, ticket_id, "Hi")
    with helpdesk.session() as session:
        plan = helpdesk.processor.explain(session, raw, [address])
        text = format_plan(parse(raw), plan)
        session.rollback()
    assert (plan.outcome, plan.ticket_id, plan.auto_response) == ("agent_reply_refused", ticket_id, None)
    assert "NOT relayed" in text and "not relayed: sent from mallory@evil.example" in text
