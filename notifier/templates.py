"""Admins' mail templates: Jinja2 in a sandbox, Znuny's <OTRS_...> tags translated, text and HTML parts.

Every template (an auto_response row, a salutation or signature, a notification template) runs
in an ``ImmutableSandboxedEnvironment``: no attribute that starts with an underscore, no
mutation of values, ``range`` capped, no loader (so no include/import/extends). Text parts render
without escaping, HTML parts with autoescape. Unsafe code raises ``TemplateRejectedError``.

Znuny's tags keep working: before rendering, each ``<OTRS_...>`` or ``<ZNUNY_...>`` tag (also in
HTML-escaped form ``&lt;OTRS_...&gt;``) becomes a call of ``znuny_tag(name, argument)``, which
resolves it as Znuny's TemplateGenerator does: ``CUSTOMER_SUBJECT[n]`` (the customer's subject
without the ticket number, cut to n characters + " [...]"), ``CUSTOMER_EMAIL[n]`` /
``CUSTOMER_BODY[n]`` (the first n lines, quoted with "> " or a blockquote; without [n] the body
unquoted), ``CUSTOMER_REALNAME``, ``CUSTOMER_<field>`` / ``CUSTOMER_DATA_<field>`` (customer
user and mail fields), ``TICKET_<field>``, ``QUEUE``, ``OWNER_*``, ``RESPONSIBLE_*``,
``AGENT_*`` / ``CURRENT_*`` (the acting agent), ``NOTIFICATION_RECIPIENT_*`` and bare ``OTRS_*``
(the recipient agent) and ``CONFIG_<key>`` for an allow-list of harmless keys. Unknown tags
become "-", as in Znuny. Jinja syntax and Znuny tags may be mixed in one template.

Jinja templates see ``ticket``, ``article`` (the customer's mail: subject, sender, sender_name,
body, quoted), ``customer``, ``queue``, ``agent``, ``recipient``, ``config``, ``salutation`` and
``signature`` (the queue's rows, already rendered) as plain dicts of strings.

Language: the customer's ``UserLanguage`` (customer_preferences) or the agent's (user_preferences)
picks the template of that language when one exists, else the installation default ('en').
Template files (optional ``directory``) are looked up as ``<queue>/<name>.<lang>.<part>``,
``<queue>/<name>.<part>``, ``<name>.<lang>.<part>``, ``<name>.<part>``, then the built-in ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from mailgate.errors import MailgateError
from mailgate.ticketnumber import DEFAULT_STYLE, SubjectStyle, clean_subject

DEFAULT_LANGUAGE = "en"
MAX_SOURCE = 100_000
MAX_OUTPUT = 1_000_000
COMPILED_CACHE = 256  # distinct template sources kept compiled per MailTemplates
BODY_LINES = 2500  # Znuny's limit for a body tag without [n]
ZNUNY_TAG = re.compile(
    r"(?:<|&lt;)(?:OTRS|ZNUNY)_(?P<name>[A-Za-z0-9_:]{1,80}?)(?:\[(?P<arg>[^\]<>&]{1,20})\])?(?:>|&gt;)",
    re.IGNORECASE,
)
SAFE_CONFIG_KEYS = frozenset(
    {"fqdn", "systemid", "ticket::hook", "ticket::hookdivider", "productname", "httptype", "scriptalias",
     "defaultlanguage", "organization", "notificationsendername"}
)  # fmt: skip
ALIASES = (
    ("CUSTOMER_DATA_", "CUSTOMER_"),
    ("CURRENT_", "AGENT_"),
    ("TICKET_OWNER_", "OWNER_"),
    ("TICKET_RESPONSIBLE_", "RESPONSIBLE_"),
    ("FIRST_NAME", "AGENT_USERFIRSTNAME"),
    ("LAST_NAME", "AGENT_USERLASTNAME"),
)
SAFE_NAME = re.compile(r"^[\w .:@-]{1,200}$")


class TemplateRejectedError(MailgateError):
    """A template is unsafe, broken or too large; the mail it was for cannot be rendered."""


class MailSandbox(ImmutableSandboxedEnvironment):
    """The sandbox: unsafe attributes raise at once, and ``*`` / ``**`` cannot build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        """Refuse access to an unsafe attribute outright instead of rendering it as empty."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} is not allowed")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Multiply and raise to a power only within MAX_OUTPUT-sized results."""
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError(f"exponent {right} is too large")
            return left**right
        if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
            count = right if isinstance(right, int) else left
            size = len(left if isinstance(right, int) else right)
            if isinstance(count, int) and count * size > MAX_OUTPUT:
                raise SecurityError("repetition builds a value that is too large")
        return left * right


@dataclass(frozen=True, slots=True)
class TagData:
    """What Znuny's tags and the Jinja context read: plain dicts of strings (keys as Znuny names them)."""

    ticket: Mapping[str, str] = field(default_factory=dict)  # TicketNumber, TicketID, Title, Queue, State...
    article: Mapping[str, str] = field(default_factory=dict)  # From, To, Cc, Subject, Body, FromName
    customer: Mapping[str, str] = field(default_factory=dict)  # UserFirstname, UserLastname, UserEmail...
    agent: Mapping[str, str] = field(default_factory=dict)  # the acting agent (auto-replies: the system user)
    owner: Mapping[str, str] = field(default_factory=dict)
    responsible: Mapping[str, str] = field(default_factory=dict)
    recipient: Mapping[str, str] = field(default_factory=dict)  # the agent a notification goes to
    queue: Mapping[str, str] = field(default_factory=dict)  # Name, Email, RealName
    config: Mapping[str, str] = field(default_factory=dict)  # allow-listed keys only
    style: SubjectStyle = DEFAULT_STYLE


def _lower(data: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in data.items()}


def quote_lines(body: str, lines: int) -> str:
    """The first ``lines`` lines of a body, each prefixed with "> " (Znuny's quoting)."""
    kept = body.replace("\r\n", "\n").split("\n")[:lines]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(f"> {line}" for line in kept)


class TagResolver:
    """Resolves one Znuny tag to its text, as Znuny's _Replace would."""

    def __init__(self, data: TagData, *, html_mode: bool) -> None:
        """Resolve against ``data``; in HTML mode results are escaped and bodies become blockquotes."""
        self._data = data
        self._html = html_mode
        self._groups: dict[str, dict[str, str]] = {
            "CUSTOMER": {**_lower(data.customer), **_lower(data.article)},
            "TICKET": _lower(data.ticket),
            "OWNER": _lower(data.owner),
            "RESPONSIBLE": _lower(data.responsible),
            "AGENT": _lower(data.agent),
            "NOTIFICATION_RECIPIENT": _lower(data.recipient),
        }

    def __call__(self, name: str, argument: str | None = None) -> Markup | str:
        """The value of tag ``name`` (without the OTRS_ prefix) with its [argument]."""
        value, is_html = self._resolve(name.upper(), argument)
        if not self._html:
            return value
        return Markup(value) if is_html else Markup(html.escape(value).replace("\n", "<br/>\n"))

    def _resolve(self, name: str, argument: str | None) -> tuple[str, bool]:
        if name.startswith("CONFIG_"):
            key = name[len("CONFIG_") :].lower()
            return (self._data.config.get(key, "-") if key in SAFE_CONFIG_KEYS else "-"), False
        if name == "QUEUE":
            return self._data.ticket.get("Queue") or "-", False
        for alias, group in ALIASES:
            if name.startswith(alias):
                name = group + name[len(alias) :]
        if name.startswith("CUSTOMER_"):
            return self._customer(name[len("CUSTOMER_") :], argument)
        for group in ("TICKET", "OWNER", "RESPONSIBLE", "AGENT", "NOTIFICATION_RECIPIENT"):
            if name.startswith(group + "_"):
                return self._field(group, name[len(group) + 1 :]), False
        return self._field("NOTIFICATION_RECIPIENT", name), False  # bare <OTRS_UserFirstname>: the recipient

    def _field(self, group: str, key: str) -> str:
        values = self._groups[group]
        key = key.lower()
        if group == "TICKET":
            key = {"id": "ticketid", "number": "ticketnumber"}.get(key, key)
        return values.get(key) or "-"

    def _customer(self, key: str, argument: str | None) -> tuple[str, bool]:
        article = self._data.article
        if key == "SUBJECT":
            subject = clean_subject(
                article.get("Subject", ""), self._data.style, tn=self._data.ticket.get("TicketNumber")
            )
            size = int(argument) if argument and argument.isdigit() else 0
            return (subject[:size] + " [...]" if size and len(subject) > size else subject), False
        if key in ("EMAIL", "BODY", "NOTE"):
            return self._body(article.get("Body", ""), argument)
        if key == "REALNAME":
            return self._realname(), False
        return self._field("CUSTOMER", key), False

    def _body(self, body: str, argument: str | None) -> tuple[str, bool]:
        if not argument or not argument.isdigit():
            text = "\n".join(body.replace("\r\n", "\n").split("\n")[:BODY_LINES]).rstrip("\n")
            return text, False
        quoted = quote_lines(body, int(argument))
        if not self._html:
            return quoted, False
        inner = "<br/>\n".join(html.escape(line[2:]) for line in quoted.split("\n"))
        return f'<blockquote type="cite">{inner}</blockquote>', True

    def _realname(self) -> str:
        customer = self._data.customer
        name = " ".join(
            part for part in (customer.get("UserFirstname", ""), customer.get("UserLastname", "")) if part
        )
        return (
            name.strip()
            or self._data.article.get("FromName", "")
            or self._data.article.get("From", "")
            or "-"
        )


def translate_znuny_tags(source: str) -> str:
    """Turn every Znuny tag into a ``znuny_tag(...)`` call; the rest of the text is left as it is."""

    def call(match: re.Match[str]) -> str:
        argument = match["arg"]
        args = repr(match["name"]) + (f", {argument.strip()!r}" if argument else "")
        return "{{ znuny_tag(" + args + ") }}"

    return ZNUNY_TAG.sub(call, source)


def text_to_html(text: str) -> str:
    """A plain-text part as simple HTML: escaped, line breaks kept, quoted lines in a blockquote."""
    out: list[str] = []
    quoted: list[str] = []
    for line in text.split("\n"):
        if line.startswith(">"):
            quoted.append(html.escape(line[1:].lstrip(" ")))
            continue
        if quoted:
            out.append('<blockquote type="cite">' + "<br/>".join(quoted) + "</blockquote>")
            quoted = []
        out.append(html.escape(line) + "<br/>")
    if quoted:
        out.append('<blockquote type="cite">' + "<br/>".join(quoted) + "</blockquote>")
    return '<div style="font-family:Geneva,Helvetica,Arial,sans-serif;">' + "\n".join(out) + "</div>"


def html_to_text(markup: str) -> str:
    """An HTML part as plain text (inscriptis keeps the layout of blocks and lists)."""
    from inscriptis import get_text

    return "\n".join(line.rstrip() for line in get_text(markup).strip("\n").split("\n"))


def is_html(content_type: str | None) -> bool:
    """True for a text/html content type (Znuny's auto_response.content_type and friends)."""
    return (content_type or "").split(";")[0].strip().lower() == "text/html"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template's two parts."""

    text: str
    html: str


class MailTemplates:
    """Sandboxed rendering of admins' templates, and the lookup of template sources by queue and language."""

    def __init__(
        self,
        directory: str | Path | None = None,
        builtins: Mapping[tuple[str, str, str], str] | None = None,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        """Templates from ``directory`` (optional) over ``builtins`` keyed (name, language, part)."""
        self._directory = Path(directory) if directory else None
        self._builtins = dict(builtins or {})
        self.default_language = default_language
        self._text = MailSandbox(autoescape=False, undefined=Undefined, keep_trailing_newline=True)
        self._html = MailSandbox(autoescape=True, undefined=Undefined, keep_trailing_newline=True)
        self._compiled: dict[tuple[bool, str], Template] = {}  # sources compiled once, not once per mail

    def add_builtin(self, name: str, language: str, part: str, source: str) -> None:
        """Register a built-in template (e.g. the agent notification in English)."""
        self._builtins[(name, language, part)] = source

    def language(self, preferred: str | None) -> str:
        """The language to use: the preferred one (e.g. 'de' of 'de_DE'), else the default."""
        code = (preferred or "").strip().replace("-", "_")
        return code or self.default_language

    def source(self, name: str, part: str, *, language: str | None = None, queue: str | None = None) -> str:
        """The template source for ``name``'s ``part`` ('subject', 'txt', 'html') by queue and language."""
        wanted = self.language(language)
        languages = list(dict.fromkeys((wanted, wanted.split("_")[0], self.default_language)))
        folders = [*self._queue_folders(queue), self._directory] if self._directory else []
        for folder in folders:
            for lang in (*languages, None):
                found = _read(folder, f"{name}.{lang}.{part}" if lang else f"{name}.{part}")
                if found is not None:
                    return found
        for lang in languages:
            if (name, lang, part) in self._builtins:
                return self._builtins[(name, lang, part)]
        raise TemplateRejectedError(f"no template {name}.{part} for language {language!r}")

    def _queue_folders(self, queue: str | None) -> list[Path]:
        if self._directory is None or not queue or not SAFE_NAME.match(queue) or ".." in queue:
            return []
        return [self._directory / queue.replace("::", "__")]

    def render(
        self, source: str, data: TagData, context: Mapping[str, Any] | None = None, *, as_html: bool
    ) -> str:
        """Render a template source (Znuny tags allowed) in the sandbox; TemplateRejectedError if unsafe."""
        if len(source) > MAX_SOURCE:
            raise TemplateRejectedError(f"template of {len(source)} characters (at most {MAX_SOURCE})")
        variables = {
            **jinja_context(data),
            **(context or {}),
            "znuny_tag": TagResolver(data, html_mode=as_html),
        }
        try:
            output = self._template(source, as_html).render(variables)
        except (TemplateError, OverflowError, ArithmeticError, TypeError, ValueError) as exc:
            raise TemplateRejectedError(f"{type(exc).__name__}: {exc}") from exc
        if len(output) > MAX_OUTPUT:
            raise TemplateRejectedError(f"template output of {len(output)} characters (at most {MAX_OUTPUT})")
        return output

    def _template(self, source: str, as_html: bool) -> Template:
        """The compiled template of a source (compiled templates render safely on several threads)."""
        key = (as_html, source)
        found = self._compiled.get(key)
        if found is None:
            environment = self._html if as_html else self._text
            found = environment.from_string(translate_znuny_tags(source))
            if len(self._compiled) >= COMPILED_CACHE:
                self._compiled.clear()
            self._compiled[key] = found
        return found

    def render_parts(
        self, source: str, content_type: str | None, data: TagData, context: Mapping[str, Any] | None = None
    ) -> Rendered:
        """Both parts of a stored text (auto_response, salutation, signature): its type, the other derived."""
        if is_html(content_type):
            markup = self.render(source, data, _parts(context, "html"), as_html=True)
            return Rendered(html_to_text(markup), markup)
        text = self.render(source, data, _parts(context, "text"), as_html=False)
        return Rendered(text, text_to_html(text))


def _read(folder: Path, stem: str) -> str | None:
    path = folder / stem
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _parts(context: Mapping[str, Any] | None, part: str) -> dict[str, Any]:
    """Rendered values (salutation, signature) as the part needs them: HTML as Markup, text as it is."""
    out: dict[str, Any] = {}
    for key, value in (context or {}).items():
        if isinstance(value, Rendered):
            out[key] = Markup(value.html) if part == "html" else value.text
        else:
            out[key] = value
    return out


def jinja_context(data: TagData) -> dict[str, Any]:
    """The variables Jinja templates see, as plain dicts of strings."""
    article, ticket, customer = data.article, data.ticket, data.customer
    body = article.get("Body", "")
    return {
        "ticket": {
            "id": ticket.get("TicketID", ""), "number": ticket.get("TicketNumber", ""),
            "title": ticket.get("Title", ""), "queue": ticket.get("Queue", ""),
            "state": ticket.get("State", ""),
            "priority": ticket.get("Priority", ""), "type": ticket.get("Type", ""),
            "created": ticket.get("Created", ""), "customer_id": ticket.get("CustomerID", ""),
        },
        "article": {
            "subject": article.get("Subject", ""), "sender": article.get("From", ""),
            "sender_name": article.get("FromName", ""), "to": article.get("To", ""), "body": body,
            "quoted": quote_lines(body, BODY_LINES),
        },
        "customer": {
            "login": customer.get("UserLogin", ""), "first_name": customer.get("UserFirstname", ""),
            "last_name": customer.get("UserLastname", ""), "email": customer.get("UserEmail", ""),
            "customer_id": customer.get("UserCustomerID", ""),
            "realname": TagResolver(data, html_mode=False)._realname(),
        },
        "queue": {"name": data.queue.get("Name", ""), "address": data.queue.get("Email", ""),
                  "address_name": data.queue.get("RealName", "")},
        "agent": _person(data.agent),
        "recipient": _person(data.recipient),
        "config": {key: value for key, value in data.config.items() if key in SAFE_CONFIG_KEYS},
    }  # fmt: skip


def _person(values: Mapping[str, str]) -> dict[str, str]:
    first, last = values.get("UserFirstname", ""), values.get("UserLastname", "")
    return {
        "login": values.get("UserLogin", ""),
        "first_name": first,
        "last_name": last,
        "fullname": " ".join(part for part in (first, last) if part),
        "email": values.get("UserEmail", ""),
    }


TemplateFactory = Callable[[], MailTemplates]
