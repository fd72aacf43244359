"""RFC 3464 delivery status notifications: bounces and delivery reports."""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header

from parsers.classify import classify
from parsers.classify.parts import decode_part
from parsers.model import BounceReport, Kind


def run(raw: bytes) -> tuple[Kind, BounceReport | None]:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = [(name, str(make_header(decode_header(str(value))))) for name, value in message.items()]
    text = next(
        (decode_part(p) for p in message.walk() if p.get_content_type() == "text/plain"),
        "",
    )
    return classify(message, headers, text)


def report(
    recipient_blocks: str,
    human: str = "Delivery failed.",
    original: str = "",
    subject: str = "Undelivered Mail Returned to Sender",
) -> bytes:
    original_part = original or (
        "Content-Type: message/rfc822\n\n"
        "From: Anna <anna@shop.example>\nTo: bob@remote.example\nSubject: Order\n"
        "Message-ID: <order-17@shop.example>\n\nHello Bob\n"
    )
    return (
        "From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)\n"
        "To: anna@shop.example\n"
        f"Subject: {subject}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\n"
        f"{human}\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.shop.example\n\n"
        f"{recipient_blocks}\n"
        f"--B\n{original_part}\n--B--\n"
    ).encode()


def test_failed_recipient_with_status_action_diagnostic_and_original_message_id() -> None:
    kind, bounce = run(
        report(
            "Final-Recipient: rfc822; bob@remote.example\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.example>: Recipient address rejected:\n"
            " User unknown\n"
            ""
        )
    )
    assert kind == "bounce"
    assert bounce is not None
    (recipient,) = bounce.recipients
    assert recipient.email == "bob@remote.example"
    assert (recipient.status, recipient.action, recipient.permanent) == ("5.1.1", "failed", True)
    assert "User unknown" in recipient.diagnostic
    assert bounce.original_message_id == "order-17@shop.example"


def test_generic_status_takes_the_specific_code_of_the_remote_reply() -> None:
    _, bounce = run(
        report(
            "Final-Recipient: rfc822; bob@remote.example\nAction: failed\nStatus: 5.0.0\n"
            "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"
        )
    )
    assert bounce is not None and bounce.recipients[0].status == "5.2.2"


def test_generic_status_without_diagnostic_takes_the_code_from_the_human_part() -> None:
    human = "bob@remote.example: 550 5.7.26 Multiple authentication checks failed"
    _, bounce = run(
        report("Final-Recipient: rfc822; bob@remote.example\nAction: failed\nStatus: 5.0.0\n", human=human)
    )
    assert bounce is not None and bounce.recipients[0].status == "5.7.26"


def test_each_failed_recipient_is_listed() -> None:
    blocks = (
        "Final-Recipient: rfc822; bob@remote.example\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; carol@remote.example\nAction: failed\nStatus: 5.2.2\n"
    )
    _, bounce = run(report(blocks))
    assert bounce is not None
    assert sorted((r.email, r.status) for r in bounce.recipients) == [
        ("bob@remote.example", "5.1.1"),
        ("carol@remote.example", "5.2.2"),
    ]


def test_success_only_report_is_a_delivery_report() -> None:
    kind, bounce = run(
        report(
            "Final-Recipient: rfc822; bob@remote.example\nAction: delivered\nStatus: 2.0.0\n",
            human="Your message was delivered.",
            subject="Successful Mail Delivery Report",
        )
    )
    assert kind == "delivery-report"
    assert bounce is not None and bounce.recipients[0].action == "delivered"


def test_delay_is_a_temporary_bounce() -> None:
    kind, bounce = run(
        report("Final-Recipient: rfc822; bob@remote.example\nAction: delayed\nStatus: 4.4.1\n")
    )
    assert kind == "bounce"
    assert bounce is not None
    assert (bounce.recipients[0].status, bounce.recipients[0].permanent) == ("4.4.1", False)


def test_original_message_id_from_returned_headers_part() -> None:
    headers_part = (
        "Content-Type: text/rfc822-headers\n\nFrom: anna@shop.example\nMessage-ID: <hdr-9@shop.example>\n"
    )
    _, bounce = run(
        report(
            "Final-Recipient: rfc822; bob@remote.example\nAction: failed\nStatus: 5.1.1\n",
            original=headers_part,
        )
    )
    assert bounce is not None and bounce.original_message_id == "hdr-9@shop.example"


def test_quoted_local_part_in_final_recipient() -> None:
    _, bounce = run(
        report('Final-Recipient: rfc822; "bob..smith"@remote.example\nAction: failed\nStatus: 5.1.1\n')
    )
    assert bounce is not None and bounce.recipients[0].email == '"bob..smith"@remote.example'


def test_report_with_lost_boundary_is_read_as_text() -> None:
    raw = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>\nTo: anna@shop.example\n"
        b"Subject: Returned mail: Service unavailable\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="NOT-IN-BODY"\n\n'
        b"The following addresses had permanent fatal errors\n\n"
        b"Final-Recipient: RFC822; bob@remote.example\nAction: failed\nStatus: 5.5.0\n"
    )
    kind, bounce = run(raw)
    assert kind == "bounce"
    assert bounce is not None and [(r.email, r.status) for r in bounce.recipients] == [
        ("bob@remote.example", "5.5.0")
    ]


def test_cr_only_line_ends_read_like_lf() -> None:
    raw = report("Final-Recipient: rfc822; bob@remote.example\nAction: failed\nStatus: 5.1.1\n").replace(
        b"\n", b"\r"
    )
    kind, bounce = run(raw)
    assert kind == "bounce"
    assert bounce is not None and [r.email for r in bounce.recipients] == ["bob@remote.example"]
