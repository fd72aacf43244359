"""Bounces without RFC 3464 fields, read from their text (qmail, Exim, Postfix, Sendmail, Exchange...)."""

from __future__ import annotations

import email
import email.policy
import json
import time
from email.header import decode_header, make_header

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


def failed(raw: str) -> list[tuple[str, str, bool]]:
    kind, bounce = run(raw)
    assert kind == "bounce"
    assert bounce is not None
    return [(r.email, r.status, r.permanent) for r in bounce.recipients]


QMAIL = """Return-Path: <>
From: MAILER-DAEMON@mx.shop.example
To: anna@shop.example
Subject: failure notice

Hi. This is the qmail-send program at mx.shop.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@remote.example>:
192.0.2.7 does not like recipient.
Remote host said: 550 5.1.1 <bob@remote.example>: Recipient address rejected
Giving up on 192.0.2.7.

--- Below this line is a copy of the message.

From: Anna <anna@shop.example>
To: bob@remote.example
Message-ID: <q-1@shop.example>
Subject: Order
"""

POSTFIX_NO_DSN = """From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)
To: anna@shop.example
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mx.shop.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@remote.example>: host mx.remote.example[192.0.2.9] said: 552 5.2.2
    Mailbox full (in reply to RCPT TO command)
"""

EXIM = """From: Mail Delivery System <Mailer-Daemon@mx.shop.example>
To: anna@shop.example
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: bob@remote.example

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@remote.example
    (generated from sales@remote.example)
    SMTP error from remote mail server after RCPT TO:<bob@remote.example>:
    host mx.remote.example [192.0.2.9]: 550 No such user here

------ This is a copy of the message, including all the headers. ------

From: Anna <anna@shop.example>
To: sales@remote.example
Message-ID: <e-1@shop.example>
"""

SENDMAIL_TEXT = """From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>
To: anna@shop.example
Subject: Returned mail: see transcript for details

   ----- The following addresses had permanent fatal errors -----
<bob@remote.example>
    (reason: 550 5.1.1 <bob@remote.example>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.remote.example.:
>>> RCPT To:<bob@remote.example>
<<< 550 5.1.1 <bob@remote.example>... User unknown
550 5.1.1 <bob@remote.example>... User unknown
"""

EXCHANGE_2003 = """Return-Path: <>
From: System Administrator <postmaster@remote.example>
To: anna@shop.example
Subject: Undeliverable: Order

Your message

  To:      bob@remote.example
  Subject: Order

did not reach the following recipient(s):

bob@remote.example on Mon, 23 Nov 2026 09:00:00 +0100
    The recipient name is not recognized
"""

DOMINO = """From: Postmaster@remote.example
To: anna@shop.example
Subject: DELIVERY FAILURE: User Bob (bob@remote.example) not listed in Domino Directory

Your message

  Subject: Order

was not delivered to:

  bob@remote.example

because:

  User Bob (bob@remote.example) not listed in Domino Directory
"""

DELAY_WARNING = """From: Mail Delivery Subsystem <mailer-daemon@mail.provider.example>
To: anna@shop.example
Subject: Delivery Status Notification (Delay)

This is an automatically generated Delivery Status Notification
THIS IS A WARNING MESSAGE ONLY.

Delivery to the following recipient has been delayed:

     bob@remote.example

Message will be retried for 2 more day(s)
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (QMAIL, [("bob@remote.example", "5.1.1", True)]),
        (POSTFIX_NO_DSN, [("bob@remote.example", "5.2.2", True)]),
        (SENDMAIL_TEXT, [("bob@remote.example", "5.1.1", True)]),
        (EXCHANGE_2003, [("bob@remote.example", "5.1.1", True)]),
        (DOMINO, [("bob@remote.example", "5.1.1", True)]),
    ],
    ids=["qmail", "postfix-without-dsn", "sendmail", "exchange-2003", "domino"],
)
def test_text_bounce_names_recipient_and_status(raw: str, expected: list[tuple[str, str, bool]]) -> None:
    assert failed(raw) == expected


def test_exim_alias_and_own_addresses_are_not_recipients() -> None:
    recipients = failed(EXIM)
    assert [email for email, _, _ in recipients] == ["bob@remote.example"]


def test_status_recovered_from_smtp_reply_and_wording() -> None:
    # "550 No such user here" carries no RFC 3463 code: it maps to 5.1.1 as sisimai's reason table does.
    assert failed(EXIM)[0][1:] == ("5.1.1", True)


def test_original_message_id_from_quoted_headers() -> None:
    _, bounce = run(QMAIL)
    assert bounce is not None and bounce.original_message_id == "q-1@shop.example"


def test_delay_warning_is_temporary() -> None:
    assert failed(DELAY_WARNING) == [("bob@remote.example", "4.0.0", False)]


def test_amazon_ses_json_notification() -> None:
    event = {
        "notificationType": "Bounce",
        "bounce": {
            "bouncedRecipients": [
                {
                    "emailAddress": "bob@remote.example",
                    "status": "5.1.1",
                    "action": "failed",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ]
        },
        "mail": {"messageId": "ses-1", "commonHeaders": {"messageId": "<order-3@shop.example>"}},
    }
    envelope = {"Type": "Notification", "Message": json.dumps(event)}
    raw = (
        "From: Notifications <no-reply@sns.cloud.example>\nTo: anna@shop.example\n"
        f"Subject: Notification\n\n{json.dumps(envelope)}\n"
    )
    kind, bounce = run(raw)
    assert kind == "bounce"
    assert bounce is not None
    assert [(r.email, r.status) for r in bounce.recipients] == [("bob@remote.example", "5.1.1")]
    assert bounce.original_message_id == "order-3@shop.example"


def test_unreadable_failure_notice_from_a_daemon_stays_visible() -> None:
    raw = """From: postmaster@remote.example
To: anna@shop.example
Subject: Notice

Your message could not be delivered. Please contact your administrator.
"""
    assert run(raw) == ("normal", None)


@pytest.mark.parametrize(
    "body",
    [
        "-" * 200_000 + "\n",
        "\n" * 300_000 + "x",
        "Final-Recipient: rfc822; " + "a" * 200_000 + "\n",
        "".join(f"user{i}@remote.example: 550 5.1.1 unknown\n" for i in range(20_000)),
        "x@" + "b." * 100_000 + "\n",
    ],
    ids=["dashes", "blank-lines", "long-field", "many-recipients", "dotted-domain"],
)
def test_hostile_report_text_is_bounded_in_time(body: str) -> None:
    raw = "From: MAILER-DAEMON@mx.example\nTo: a@b.example\nSubject: failure notice\n\nNot delivered.\n"
    began = time.perf_counter()
    _, bounce = run(raw + body)
    assert time.perf_counter() - began < 1.5
    assert bounce is None or len(bounce.recipients) <= 200
