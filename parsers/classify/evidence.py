"""Cheap signs that a mail was written by a mail system rather than a person."""

from __future__ import annotations

import re

from parsers.classify.headers import HeaderView

DAEMON_LOCAL = re.compile(
    "^("
    + "|".join(
        (
            r"mailer[-_.]?daemon",
            r"mail[-_.]?daemon",
            r"post[-_.]?master",
            r"postmaster[-_.]\w+",
            r"double[-_.]?bounce",
            r"mail[-_.]?delivery(system|subsystem)?",
            r"mdaemon",
            r"mail[-_.]?router",
            r"bounces?",
            r"nobody",
            r"smtp[-_.]?gateway",
            r"microsoftexchange[0-9a-f]*",
        )
    )
    + ")$",
    re.I,
)
DAEMON_NAME = re.compile(
    r"mail ?delivery|mailer[- ]?daemon|post ?master|mail ?administrator|mail ?system|"
    r"delivery (status|subsystem)|system administrator|mail ?router|\bndr\b",
    re.I,
)
NULL_SENDER = re.compile(r"^\s*<?\s*(mailer-daemon(@[^>]*)?)?\s*>?\s*$", re.I)
BOUNCE_SUBJECT = re.compile(
    "|".join(
        (
            r"undeliver|undelivered|not (been )?delivered|returned mail|returning message|returned to sender",
            r"delivery (status|fail|notification|problem|report|incomplete|error|has failed)",
            r"failure notice|failure delivery|failed delivery|delivery failed|mail delivery|non[- ]?delivery",
            r"could not (be )?(deliver|sent|send)|mail system error|delayed mail|message delay",
            r"warning: could not send|(permanent|delivery|temporary) failure|error sending|sending failed",
            r"message (not delivered|delayed|rejected)|loop alert|errors from|notification message|"
            r"mail could not",
            r"nicht zustellbar|unzustellbar|zustellung|non remis|non distribu|no entregado",
            r"no se (pudo|puede) entregar|mancato recapito|onbestelbaar|niedoręcz",
            r"ошибк|не доставлен|不能|未送達|退信|配信",
        )
    ),
    re.I,
)
BOUNCE_BODY = re.compile(
    "|".join(
        (
            r"could not be delivered|couldn'?t be delivered|wasn'?t able to deliver|was not delivered",
            r"did not reach|delivery (to the following recipients? )?(has )?failed|failed permanently",
            r"permanent (fatal )?error|following address(es)? (had|failed)|undeliverable",
            r"not (be )?delivered|unable to deliver|returned to sender|delivery status notification",
            r"remote (host|server) (said|returned|replied)|smtp error|diagnostic[- ]code",
            r"user unknown|unknown user|no such user|mailbox (unavailable|full|not found)",
            r"message (was|could not be|has been) (rejected|bounced|returned)",
            r"delivery (attempts? )?(will continue|has been delayed|incomplete|is delayed)",
            r"temporary (problem|failure)|transcript of session|this is the mail system|giving up on",
            r"rejected your message|nicht zugestellt|konnte nicht|n'a pas pu|no se pudo|non è stato",
            r"не может быть доставлено|не доставлено|送信できません|届きません",
        )
    ),
    re.I,
)
MAX_SCANNED = 20_000
# Mail programs people write with: a "postmaster" who writes about bounces with one of these is a person.
PERSONAL_MAILER = re.compile(
    r"thunderbird|icedove|seamonkey|apple mail|iphone mail|ipad mail|microsoft outlook(?! express)|"
    r"microsoft office outlook|windows live mail|k-9 mail|fairemail|kmail|roundcube|squirrelmail|rainloop|"
    r"mailspring|airmail|postbox|em client|\b(evolution|claws|mutt|alpine|horde|spark|the bat!?)\b",
    re.I,
)
NO_REPLY = re.compile(r"^(no|do)[-_.]?not[-_.]?reply$|^no[-_.]?reply$", re.I)


def sender_is_daemon(view: HeaderView) -> bool:
    """Whether From (address or display name) is a mailer daemon or postmaster."""
    if view.get("from").replace(" ", "") == "<>":
        return True  # an empty From is the null sender of a bounce
    local = view.address("from").rpartition("@")[0] or view.address("from")
    if local and DAEMON_LOCAL.match(local):
        return True
    return bool(DAEMON_NAME.search(view.display_name("from")))


def sender_is_noreply(view: HeaderView) -> bool:
    """Whether From is a no-reply system address."""
    local = view.address("from").rpartition("@")[0]
    return bool(NO_REPLY.match(local))


def written_by_person(view: HeaderView) -> bool:
    """Whether a personal mail program wrote the mail (User-Agent or X-Mailer)."""
    return bool(PERSONAL_MAILER.search(view.get("user-agent") + " " + view.get("x-mailer")))


def null_sender(view: HeaderView) -> bool:
    """Whether the envelope sender was empty or a mailer daemon (bounces and RFC 3834 replies)."""
    return view.has("return-path") and bool(NULL_SENDER.match(view.get("return-path")))


def bounce_subject(view: HeaderView) -> bool:
    """Whether the subject reads like a delivery failure or delay notice."""
    return bool(BOUNCE_SUBJECT.search(view.get("subject")))


def bounce_wording(text: str) -> bool:
    """Whether a report text words a delivery failure or delay."""
    return bool(BOUNCE_BODY.search(text[:MAX_SCANNED]))
