"""Auto-replies, complaints and list mail, and people's mail that must stay normal."""

from __future__ import annotations

import email
import email.policy
import time
from email.header import decode_header, make_header
from email.message import Message

import pytest

from parsers.classify import classify
from parsers.classify.parts import decode_part
from parsers.model import BounceReport, Kind


def run(raw: str) -> tuple[Kind, BounceReport | None]:
    message = email.message_from_bytes(raw.encode(), policy=email.policy.compat32)
    headers = [(name, str(make_header(decode_header(str(value))))) for name, value in message.items()]
    text = next(
        (decode_part(p) for p in message.walk() if p.get_content_type() == "text/plain"),
        "",
    )
    return classify(message, headers, text)


def mail(headers: str, body: str = "Hello,\n\nplease help.\n") -> str:
    return (
        "From: Anna <anna@customer.example>\nTo: help@shop.example\n"
        f"Message-ID: <m1@customer.example>\n{headers}\n{body}"
    )


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Away\nAuto-Submitted: auto-replied\n",
        "Subject: Re: Order\nX-Autoreply: yes\n",
        "Subject: Re: Order\nX-Autorespond: Re: Order\n",
        "Subject: Re: Order\nPrecedence: auto_reply\n",
        "Subject: Auto reply: Order\nX-Apple-Action: VACATION\n",
        "Return-Path: <>\nSubject: Automatic reply: Order\nX-Auto-Response-Suppress: All\n",
        "Subject: Notification\nAuto-Submitted: auto-generated\n",
        "Subject: Out of Office: Order\nPrecedence: bulk\n",
    ],
    ids=[
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "precedence",
        "apple-vacation",
        "outlook-oof",
        "auto-generated",
        "ooo-bulk",
    ],
)
def test_auto_replies(headers: str) -> None:
    assert run(mail(headers)) == ("auto-reply", None)


def test_arf_feedback_report_is_a_complaint() -> None:
    raw = (
        "From: feedback@isp.example\nTo: abuse@shop.example\nSubject: Abuse report\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n'
        "--F\nContent-Type: text/plain\n\nThis is an abuse report.\n"
        "--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
        "User-Agent: Example-FBL/1.0\nVersion: 1\n"
        "--F\nContent-Type: message/rfc822\n\nFrom: news@shop.example\nSubject: Offers\n\nBuy now\n--F--\n"
    )
    assert run(raw) == ("complaint", None)


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: [users] Question\nList-Id: <users.lists.example>\n",
        "Subject: Newsletter\nList-Unsubscribe: <mailto:unsubscribe@news.example>\n",
        "Subject: Weekly digest\nPrecedence: bulk\n",
        "Subject: Vacation deals for you\nPrecedence: bulk\n",
        "Subject: Incident 42 updated\nPrecedence: bulk\nAuto-Submitted: auto-generated\n",
    ],
    ids=["list-id", "list-unsubscribe", "precedence-bulk", "vacation-newsletter", "auto-generated-bulk"],
)
def test_list_and_bulk_mail(headers: str) -> None:
    assert run(mail(headers)) == ("list", None)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (
            "Subject: Undeliverable parcel\n",
            "My parcel was undeliverable, the courier said. Mail delivery failed twice.\n",
        ),
        (
            "Subject: Delivery failure of my order\n",
            "Your delivery failed: 550 boxes never arrived at bob@remote.example.\n",
        ),
        (
            "Subject: Question\nX-Auto-Response-Suppress: All\nThread-Topic: Question\n",
            "Hello, is my invoice ready?\n",
        ),
        (
            "Subject: Out of office tomorrow, please call\n",
            "I will be out of office tomorrow, please call me today.\n",
        ),
        ("Subject: Auto-Submitted: no\nAuto-Submitted: no\n", "Hello\n"),
        (
            "Return-Path: <anna@customer.example>\nSubject: Returned mail: see transcript\n",
            "Why did my mail come back?\n",
        ),
    ],
    ids=[
        "undeliverable-subject",
        "failure-words",
        "outlook-suppress-header",
        "ooo-words",
        "auto-submitted-no",
        "bounce-subject",
    ],
)
def test_customer_mail_stays_normal(headers: str, body: str) -> None:
    assert run(mail(headers, body)) == ("normal", None)


def test_reply_quoting_a_bounce_stays_normal() -> None:
    body = (
        "Hi, I got this when writing to you, why?\n\n"
        "> This is the mail system at host mx.shop.example.\n"
        "> I'm sorry to have to inform you that your message could not be delivered.\n"
        "> <help@shop.example>: host said: 550 5.1.1 User unknown\n"
    )
    assert run(mail("Subject: Fwd: Undelivered Mail Returned to Sender\n", body)) == ("normal", None)


def test_person_forwarding_a_bounce_as_attachment_stays_normal() -> None:
    raw = (
        "From: Anna <anna@customer.example>\nTo: help@shop.example\nSubject: Fwd: failure notice\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="M"\n\n'
        "--M\nContent-Type: text/plain\n\nSee the attached bounce.\n"
        "--M\nContent-Type: message/rfc822\n\n"
        "From: MAILER-DAEMON@mx.example\nSubject: failure notice\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\n\n'
        "--R\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@y.example\n"
        "Action: failed\nStatus: 5.1.1\n--R--\n"
        "--M--\n"
    )
    assert run(raw) == ("normal", None)


def test_postmaster_writing_about_bounces_with_a_mail_program_stays_normal() -> None:
    raw = (
        "From: Postmaster <postmaster@customer.example>\nTo: help@shop.example\nSubject: Your mails bounce\n"
        "User-Agent: Mozilla/5.0 Thunderbird/128.0\n\n"
        "Hello, your mails to bob@customer.example could not be delivered: 550 5.1.1 user unknown.\n"
        "Please fix your address list.\n"
    )
    assert run(raw) == ("normal", None)


def test_person_sending_a_delivery_status_part_stays_normal() -> None:
    raw = (
        "From: Anna <anna@customer.example>\nTo: help@shop.example\nSubject: Delivery Status\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="M"\n\n'
        "--M\nContent-Type: text/plain\n\nWhat does this report mean? Mail delivery failed.\n"
        "--M\nContent-Type: message/delivery-status\n\n"
        "Final-Recipient: rfc822; x@y.example\nAction: failed\nStatus: 5.1.1\n"
        "--M--\n"
    )
    assert run(raw) == ("normal", None)


def test_exchange_group_expansion_is_not_an_auto_reply() -> None:
    assert run(mail("Subject: Team news\nX-Autogenerated: Group\n")) == ("normal", None)


def test_classify_never_raises() -> None:
    class Broken(Message):
        def get_content_type(self) -> str:
            raise RuntimeError("broken part")

    assert classify(Broken(), [("From", "x@y.example")], "text") == ("normal", None)


def test_ordinary_mail_is_decided_quickly() -> None:
    raw = mail("Subject: Question\n", "Hello, my order is late.\n" * 2000)
    message = email.message_from_string(raw, policy=email.policy.compat32)
    headers = list(message.items())
    began = time.perf_counter()
    for _ in range(200):
        classify(message, headers, "Hello")
    assert (time.perf_counter() - began) / 200 < 0.002
