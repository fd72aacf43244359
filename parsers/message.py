"""parse(): raw mail bytes to a ParsedMessage; never raises, repairs are listed as defects."""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesFeedParser, BytesHeaderParser
from itertools import islice

from parsers.addresses import parse_addresses
from parsers.charsets import decode_text
from parsers.dates import parse_date
from parsers.headers import MAX_HEADER_CHARS, clip, decode_header, raw_to_text, word_charsets
from parsers.html import pieces_to_html, quick_text, sanitize, to_text
from parsers.limits import Budget, ParseOptions
from parsers.model import Address, Body, BounceReport, Kind, ParsedMessage
from parsers.msgids import message_id, message_ids
from parsers.parts import Collected, PartWalker
from parsers.repair import clip_part_headers, repair_multiparts, unindented_continuations

FEED_CHUNK = 1 << 20
REDUCED_BODY = 1 << 20
MAX_REPLY_SCAN = 200_000
MAX_LINES_PER_HEADER = 20
MAX_DECODED_HEADER_CHARS = 262_144
MAX_UNDECODED_CHARS = 256
MAX_REPEATS = 50
PART_HEADER_LIMIT = 4_096
MAX_DELIMITERS_PER_PART = 40
MAX_HINT_HEADERS = 200
MAX_HINT_SCAN = 2_000
ADDRESS_HEADERS = ("from", "sender", "reply-to", "to", "cc")


def parse(raw: bytes, options: ParseOptions | None = None) -> ParsedMessage:
    """Read one raw mail; broken input gives a best-effort result with its defects listed."""
    options = options or ParseOptions()
    defects: list[str] = []
    data = _as_bytes(raw, defects)
    try:
        return _parse(data, options, defects)
    except Exception as error:  # the promise is: never raise on any input
        defects.append(f"full parse failed ({type(error).__name__}); reduced parse returned")
        return reduced_parse(data, defects)


def _as_bytes(raw: object, defects: list[str]) -> bytes:
    """The input as bytes: text is encoded, anything unusable becomes empty (with a defect)."""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        defects.append("input was text, not bytes; encoded as UTF-8")
        return raw.encode("utf-8", "surrogateescape")
    try:
        return bytes(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        defects.append(f"input of type {type(raw).__name__} is not mail bytes")
        return b""


def read_message(raw: bytes) -> Message:
    """The stdlib compat32 tree, fed in chunks so no second full-size copy is made."""
    parser = BytesFeedParser(policy=policy.compat32)
    for start in range(0, len(raw), FEED_CHUNK):
        parser.feed(raw[start : start + FEED_CHUNK])
    return parser.close()


def _parse(raw: bytes, options: ParseOptions, defects: list[str]) -> ParsedMessage:
    """The full parse: headers, body, attachments, classification."""
    budget = Budget(options.time_budget)
    if _too_costly(raw, options, defects):  # the stdlib parser works line by line
        return reduced_parse(raw, defects)
    message = read_message(unindented_continuations(raw, defects))
    clip_part_headers(message, defects, PART_HEADER_LIMIT, options.max_parts)
    repair_multiparts(message, defects, options.max_parts)
    hints = mail_charsets(message)
    result = _from_headers(message, options, defects, hints)
    walker = PartWalker(options, budget, defects, hints, "\r\n" if b"\r\n" in raw[:4096] else "\n")
    walker.walk(message)
    found = walker.finish()
    result.body = _body(found, options, budget, defects)
    result.attachments = found.attachments
    result.kind, result.bounce = _classify(message, result, defects)
    result.reply_text = result.body.text if budget.spent() else _reply_text(result.body.text, defects)
    _note_parser_defects(message, defects)
    if budget.exhausted:
        defects.append(f"time budget of {options.time_budget}s exceeded; costly steps were reduced")
    result.defects = defects
    return result


def _too_costly(raw: bytes, options: ParseOptions, defects: list[str]) -> bool:
    """True (with a defect) when lines, boundaries or header lines are too many to parse in time."""
    lines = max(raw.count(b"\n"), raw.count(b"\r"))
    if lines > options.max_lines:
        defects.append(f"{lines} lines (more than {options.max_lines}); reduced parse returned")
        return True
    delimiters = raw.count(b"\n--")
    if delimiters > options.max_parts * MAX_DELIMITERS_PER_PART:
        defects.append(f"{delimiters} boundary-like lines; reduced parse returned")
        return True
    ends = [at for at in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n"), raw.find(b"\r\r")) if at >= 0]
    head_lines = raw.count(b"\n", 0, min(ends) if ends else len(raw))
    if head_lines > options.max_headers * MAX_LINES_PER_HEADER:
        defects.append(f"header block of {head_lines} lines; reduced parse returned")
        return True
    return False


def _from_headers(
    message: Message, options: ParseOptions, defects: list[str], hints: tuple[str, ...] = ()
) -> ParsedMessage:
    """Everything the top-level headers say."""
    raw_items = list(message.raw_items())
    if len(raw_items) > options.max_headers:
        defects.append(f"{len(raw_items)} headers; only the first {options.max_headers} were read")
        raw_items = raw_items[: options.max_headers]
    headers = _decoded_headers(raw_items, defects, hints)
    raw = _RawHeaders(raw_items, hints, defects)
    from_list = parse_addresses(raw.joined("from"), defects, "from")
    result = ParsedMessage(
        message_id=message_id(raw.first("message-id")),
        in_reply_to=message_ids(raw.joined("in-reply-to", " ")),
        references=message_ids(raw.ends("references")),
        date=parse_date(raw.first("date"), defects),
        from_=_sender(from_list, raw, defects),
        reply_to=parse_addresses(raw.joined("reply-to"), defects, "reply-to"),
        to=parse_addresses(raw.joined("to"), defects, "to"),
        cc=parse_addresses(raw.joined("cc"), defects, "cc"),
        subject=next((value for name, value in headers if name.lower() == "subject"), ""),
        headers=headers,
    )
    _note_header_defects(raw, from_list, defects)
    return result


def _decoded_headers(
    raw_items: list[tuple[str, str]], defects: list[str], hints: tuple[str, ...]
) -> list[tuple[str, str]]:
    """Every header decoded, until a total size; past it values are cut and left undecoded."""
    headers: list[tuple[str, str]] = []
    budget = MAX_DECODED_HEADER_CHARS
    for name, value in raw_items:
        text = str(value)
        if budget > 0:
            budget -= len(text)
            headers.append((str(name), decode_header(text, defects, hints, str(name))))
        else:
            headers.append((str(name), raw_to_text(text[:MAX_UNDECODED_CHARS], hints, defects)))
    if budget < 0:
        defects.append("headers larger than the decoding budget: the last ones were cut and left encoded")
    return headers


class _RawHeaders:
    """Raw header values by name, 8-bit text repaired but encoded words left for later."""

    def __init__(self, items: list[tuple[str, str]], hints: tuple[str, ...], defects: list[str]) -> None:
        """Index the raw items by lower-cased name."""
        self.values: dict[str, list[str]] = {}
        for name, value in items:
            self.values.setdefault(str(name).lower().strip(), []).append(str(value))
        self.hints = hints
        self.defects = defects

    def count(self, name: str) -> int:
        """How many times the header occurs."""
        return len(self.values.get(name, []))

    def first(self, name: str) -> str | None:
        """The first value, as text."""
        values = self.values.get(name)
        return raw_to_text(clip(values[0], self.defects, name), self.hints, self.defects) if values else None

    def ends(self, name: str) -> str | None:
        """All values joined; when too long, the start and the end (References: root and parents)."""
        values = [v for v in self.values.get(name, []) if v.strip()]
        text = raw_to_text(" ".join(values), self.hints, self.defects) if values else None
        if text is None or len(text) <= MAX_HEADER_CHARS:
            return text
        self.defects.append(f"header {name}: {len(text)} characters, the middle was dropped")
        return text[:1024] + " " + text[-(MAX_HEADER_CHARS - 1024) :]

    def joined(self, name: str, separator: str = ", ") -> str | None:
        """All values of a header joined (duplicate To/Cc headers are merged)."""
        values = [
            raw_to_text(clip(v, self.defects, name), self.hints, self.defects)
            for v in self.values.get(name, [])[:MAX_REPEATS]
            if v.strip()
        ]
        return clip(separator.join(values), self.defects, name) if values else None


def _note_header_defects(raw: _RawHeaders, from_list: list[Address], defects: list[str]) -> None:
    """Defects for duplicate or missing key headers."""
    for name in ("from", "date", "message-id", "subject"):
        if raw.count(name) > 1:
            defects.append(f"header {name}: appears {raw.count(name)} times, the first was used")
    for name in ("from", "date", "message-id"):
        if raw.count(name) == 0:
            defects.append(f"header {name}: missing")
    if len(from_list) > 1:
        defects.append("header from: several addresses, the first was used")


def _sender(from_list: list[Address], raw: _RawHeaders, defects: list[str]) -> Address | None:
    """The author: From; when it holds no usable address, Reply-To, Return-Path, then Sender."""
    if any("@" in a.email for a in from_list):
        return next(a for a in from_list if "@" in a.email)
    for name in ("reply-to", "return-path", "sender"):
        for address in parse_addresses(raw.joined(name), defects, name):
            if "@" in address.email:
                defects.append(f"header from: no usable address, {name} used instead")
                return address
    return from_list[0] if from_list else None


def mail_charsets(message: Message) -> tuple[str, ...]:
    """Charsets the mail declares anywhere (encoded words, part parameters): repair hints."""
    found = word_charsets([str(v)[:MAX_HINT_SCAN] for _, v in islice(message.raw_items(), MAX_HINT_HEADERS)])
    stack, seen = [message], 0
    while stack and seen < 40:
        part = stack.pop()
        seen += 1
        try:
            charset = part.get_param("charset")
        except Exception:  # malformed parameters
            charset = None
        if isinstance(charset, str):
            found.append(charset)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
    return tuple(dict.fromkeys(c.lower() for c in found if c))


def _body(found: Collected, options: ParseOptions, budget: Budget, defects: list[str]) -> Body:
    """Sanitized HTML (when there is HTML) and plain text (always)."""
    html = None
    if found.html is not None:
        markup = found.html
        if len(markup) > options.max_html_chars:
            defects.append(f"HTML body of {len(markup)} characters cut to {options.max_html_chars}")
            markup = markup[: options.max_html_chars]
        html = sanitize(markup, options.allow_remote_content)
    text = found.text
    if found.interleaved:
        html = sanitize(pieces_to_html(found.pieces), options.allow_remote_content)
    if (text is None or not text.strip()) and html:  # no text part, or an empty one
        if not budget.spent():
            text = to_text(html)
        else:
            text = quick_text(html)
    return Body(text=text or "", html=html)


def _classify(
    message: Message, result: ParsedMessage, defects: list[str]
) -> tuple[Kind, BounceReport | None]:
    """Kind and bounce report from parsers.classify; an error there leaves the mail normal."""
    from parsers.classify import classify

    try:
        return classify(message, result.headers, result.body.text)
    except Exception as error:  # classification must never cost the mail
        defects.append(f"classification failed: {type(error).__name__}")
        return "normal", None


def _reply_text(text: str, defects: list[str]) -> str:
    """The new text of a reply, without quoted history and signature."""
    from parsers.quotes import reply_text

    try:  # the new text of a reply sits at its top: a bounded prefix is enough
        return str(reply_text(text[:MAX_REPLY_SCAN]))
    except Exception as error:  # quote stripping must never cost the mail
        defects.append(f"quote stripping failed: {type(error).__name__}")
        return text


def _note_parser_defects(message: Message, defects: list[str]) -> None:
    """The stdlib parser's own defects, in words."""
    seen: set[str] = set()
    stack = [message]
    while stack and len(seen) < 20:
        part = stack.pop()
        for defect in getattr(part, "defects", []):
            name = type(defect).__name__
            if name not in seen:
                seen.add(name)
                defects.append(f"mime: {name}")
        payload = part.get_payload() if len(stack) < 200 else None
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))


def reduced_parse(raw: bytes, defects: list[str]) -> ParsedMessage:
    """A safe minimal reading: the headers and the rest as text, no MIME structure."""
    try:
        head, _, rest = (
            raw.partition(b"\n\n") if b"\r\n\r\n" not in raw[:65536] else raw.partition(b"\r\n\r\n")
        )
        message = BytesHeaderParser(policy=policy.compat32).parsebytes(head[:65536] + b"\n\n")
        result = _from_headers(message, ParseOptions(), defects)
    except Exception as error:  # even the headers are beyond reading
        defects.append(f"headers unreadable: {type(error).__name__}")
        result, rest = ParsedMessage(), raw
    try:
        result.body = Body(text=decode_text(rest[:REDUCED_BODY], None, defects, "body"))
    except Exception as error:  # nothing more can be done; the raw bytes stay in the spool
        defects.append(f"body unreadable: {type(error).__name__}")
    result.defects = defects
    return result
