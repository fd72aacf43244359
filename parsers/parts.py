"""The MIME tree walked once: the text and HTML body chosen, every other part an attachment."""

from __future__ import annotations

import binascii
import hashlib
import quopri
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesFeedParser

from parsers.charsets import decode_text, meta_charset, resolve
from parsers.filenames import clean_filename, declared_filename, invented_filename
from parsers.headers import decode_header
from parsers.limits import Budget, ParseOptions
from parsers.model import Attachment
from parsers.rawparts import embedded_bytes
from parsers.smime import signed_content
from parsers.tnef import expand_tnef, is_tnef
from parsers.uuencode import decode_uuencoded, extract_uuencoded

BODY_TYPES = ("text/plain", "text/html")
SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
QUOTED_PRINTABLE = frozenset(
    {"quoted-printable", "x-quoted-printable", "qp", "quoted-printable;", "quotedprintable"}
)
SEVEN_BIT = frozenset({"", "7bit", "7-bit"})  # line ends of 7bit text are transport detail
UUENCODINGS = frozenset({"x-uuencode", "uuencode", "x-uue", "x-uu"})
_MEDIA_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+", re.IGNORECASE)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")
# alternatives that only restate the body; anything else in an alternative is kept as a file
RESTATING_ALTERNATIVES = frozenset(
    {"text/plain", "text/html", "text/enriched", "text/richtext", "text/watch-html"}
)


@dataclass
class Collected:
    """What the walk found: the body parts' text and the attachments."""

    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    # the body in order when a mail interleaves several text parts with inline images
    # (as Apple Mail sends it): ("text", text) and ("image", content id) pieces
    pieces: list[tuple[str, str]] = field(default_factory=list)

    @property
    def interleaved(self) -> bool:
        """True when the text parts and inline images form the body together (no HTML part)."""
        kinds = {kind for kind, _ in self.pieces}
        return self.html is None and kinds == {"text", "image"}


def content_type_of(part: Message) -> str:
    """The part's media type, also when a missing ';' glued parameters onto it."""
    content_type = part.get_content_type()
    if _MEDIA_TYPE.fullmatch(content_type):
        return content_type
    match = _MEDIA_TYPE.match(content_type.strip())
    return match.group().lower() if match else part.get_default_type()


def _disposition(part: Message) -> str:
    """'attachment', 'inline' or '' from Content-Disposition."""
    value = part.get("content-disposition")
    if not value:
        return ""
    return str(value).split(";", 1)[0].strip().lower()


def _content_id(part: Message) -> str | None:
    """The Content-ID without angle brackets, or None."""
    value = part.get("content-id")
    if not value:
        return None
    cid = str(value).strip().strip("<>").strip()
    return cid or None


def _decoded(part: Message) -> bytes:
    """The part's payload with its transfer encoding undone, damaged encodings repaired.

    Line ends of text sent as 7bit are transport detail: they are given as LF.
    """
    payload = part.get_payload()
    encoding = _transfer_encoding(part)
    if not isinstance(payload, str):
        return b""
    if "base64" in encoding:  # also 'x-base64', 'base64;' and such misspellings
        return decode_base64(payload)
    if encoding in UUENCODINGS:
        return decode_uuencoded(payload)
    if encoding in QUOTED_PRINTABLE:
        return quopri.decodestring(payload.encode("utf-8", "surrogateescape"))
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = payload.encode("utf-8", "surrogateescape")
    return data.replace(b"\r\n", b"\n") if encoding in SEVEN_BIT and b"\r" in data else data


def _transfer_encoding(part: Message) -> str:
    """The Content-Transfer-Encoding, lower-cased, with '_' read as '-'."""
    return str(part.get("content-transfer-encoding", "")).strip().lower().replace("_", "-")


def decode_base64(payload: str) -> bytes:
    """Base64 straight from the text (no line list, no extra copy); junk and bad padding repaired."""
    try:
        return binascii.a2b_base64(payload)
    except (binascii.Error, ValueError):
        cleaned = _NOT_BASE64.sub("", payload.split("=", 1)[0] if "==" not in payload else payload)
        cleaned = cleaned.rstrip("=")
        cleaned = cleaned[: len(cleaned) - 1] if len(cleaned) % 4 == 1 else cleaned
        try:
            return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return b""


class PartWalker:
    """Walks a compat32 message tree within the parse options' limits."""

    def __init__(
        self,
        options: ParseOptions,
        budget: Budget,
        defects: list[str],
        hints: tuple[str, ...] = (),
        linesep: str = "\n",
    ) -> None:
        """Prepare an empty collection; hints are the charsets the mail declares anywhere."""
        self.hints = hints
        self.linesep = linesep
        self.options = options
        self.budget = budget
        self.defects = defects
        self.found = Collected()
        self.parts_seen = 0
        self.unnamed = 0
        self.noted: set[str] = set()

    def finish(self) -> Collected:
        """The collection, with every inline plain-text part joined into the text body.

        Mail clients split one message into several text parts around files and images
        (Apple Mail, list footers): a helpdesk shows them all as the message.
        """
        texts = [value for kind, value in self.found.pieces if kind == "text"]
        if len(texts) > 1:
            self.found.text = "\n".join(text.rstrip("\n") for text in texts if text.strip()) + "\n"
        return self.found

    def walk(self, part: Message, depth: int = 0) -> Collected:
        """Visit a part and everything under it; returns the collection."""
        if not self._may_visit(depth):
            return self.found
        try:
            self._visit(part, depth)
        except Exception as error:  # one broken part must not cost the others
            self.defects.append(f"part {self.parts_seen} unreadable: {type(error).__name__}")
        return self.found

    def _may_visit(self, depth: int) -> bool:
        """Check the part count and nesting depth; note each kind of breach once."""
        self.parts_seen += 1
        reason = None
        if self.parts_seen > self.options.max_parts:
            reason = f"more than {self.options.max_parts} parts; the rest were skipped"
        elif depth > self.options.max_depth:
            reason = f"nesting deeper than {self.options.max_depth}; deeper parts were skipped"
        if reason and reason not in self.noted:
            self.noted.add(reason)
            self.defects.append(reason)
        return reason is None

    def _visit(self, part: Message, depth: int) -> None:
        """Dispatch on the part's type."""
        content_type = content_type_of(part)
        payload = part.get_payload()
        if isinstance(payload, list) and content_type.startswith("multipart/"):
            children = [child for child in payload if isinstance(child, Message)]
            if content_type == "multipart/alternative":
                self._alternative(children, depth)
            elif content_type == "multipart/related":
                self._related(part, children, depth)
            else:
                for child in children:
                    self.walk(child, depth + 1)
        elif isinstance(payload, list):  # message/rfc822, message/delivery-status and kin
            self._embedded(part, content_type)
        elif self._is_body(part, content_type, depth):
            self._body(part, content_type)
        else:
            data = _decoded(part)
            if content_type in SMIME_TYPES:
                self._opaque_signed(data, depth)
            self._attach(part, content_type, data)

    def _opaque_signed(self, blob: bytes, depth: int) -> None:
        """Show what an opaque S/MIME signed mail carries (the blob itself stays a file)."""
        content = signed_content(blob)
        if content is not None:
            parser = BytesFeedParser(policy=policy.compat32)
            parser.feed(content)
            self.walk(parser.close(), depth + 1)

    def _is_body(self, part: Message, content_type: str, depth: int) -> bool:
        """True for a text or HTML part that is not a file and whose body slot is still free."""
        if content_type.startswith("multipart/"):  # a multipart without usable boundary
            self.defects.append(f"{content_type} without parts read as text")
            content_type = "text/plain"
        if content_type not in BODY_TYPES:
            return False
        if depth == 0:  # a single-part text mail is its own body, whatever its headers say
            return True
        if _disposition(part) == "attachment":
            return False
        if declared_filename(part, self.defects):
            return False
        return content_type == "text/plain" or self.found.html is None

    def _body(self, part: Message, content_type: str) -> None:
        """Decode a body part into the text or HTML slot."""
        charset = part.get_param("charset")
        label = charset if isinstance(charset, str) else None
        data = _decoded(part)
        if (
            content_type == "text/html"
            and (label is None or resolve(label) == "ascii")
            and not data.isascii()
        ):
            label = meta_charset(data) or label
        may_guess = not self.budget.spent()
        text = decode_text(data, label, self.defects, content_type, self.hints, may_guess)
        if content_type == "text/html":
            self.found.html = text
            return
        text, files = extract_uuencoded(text.replace("\r\n", "\n").replace("\r", "\n"), self.defects)
        if self.found.text is None:
            self.found.text = text
        self.found.pieces.append(("text", text))
        for name, data in files:
            self._add(name, _guess_type(name), data, None, False)

    def _alternative(self, children: list[Message], depth: int) -> None:
        """The first plain text and first HTML are the body; other alternatives are kept as files."""
        for child in children:
            self.walk(child, depth + 1)

    def _related(self, part: Message, children: list[Message], depth: int) -> None:
        """Walk the root part (the 'start' parameter or the first) first, then its resources."""
        start = str(part.get_param("start") or "").strip().strip("<>")
        root = next((c for c in children if start and _content_id(c) == start), None)
        ordered = [root, *[c for c in children if c is not root]] if root is not None else children
        for child in ordered:
            self.walk(child, depth + 1)

    def _embedded(self, part: Message, content_type: str) -> None:
        """An attached mail or report: kept whole, named after its subject or description."""
        if _transfer_encoding(part) in SEVEN_BIT:
            data = embedded_bytes(part).replace(b"\r\n", b"\n")
        else:  # 8bit/binary content is kept byte for byte, line ends included
            data = embedded_bytes(part, self.linesep)
        label = None
        if content_type in ("message/rfc822", "message/global"):
            inner = part.get_payload(0)
            subject = _raw_header(inner, "subject") if isinstance(inner, Message) else None
            label = decode_header(subject, self.defects, self.hints) if subject else None
        self._attach(part, content_type, data, label)

    def _attach(self, part: Message, content_type: str, data: bytes, label: str | None = None) -> None:
        """Record one attachment; winmail.dat is replaced by the files it carries."""
        filename = declared_filename(part, self.defects)
        if is_tnef(content_type, filename) and not self.budget.spent():
            files = expand_tnef(data, self.defects)
            for name, inner_type, inner_data in files:
                self._add(name, inner_type, inner_data, None, False)
            if files:
                return
        filename = filename or self._invented_name(part, content_type, label)
        content_id = _content_id(part)
        disposition = _disposition(part)
        inline = disposition == "inline" or (not disposition and content_id is not None)
        self._add(filename, content_type, data, content_id, inline)
        if disposition == "inline" and content_id and content_type.startswith("image/"):
            self.found.pieces.append(("image", content_id))

    def _invented_name(self, part: Message, content_type: str, label: str | None) -> str:
        """A name for an unnamed part: Content-Location, subject or description, Content-ID, counter."""
        location = _name_from_location(part, self.defects)
        if location:
            return location
        description = _raw_header(part, "content-description")
        label = label or (decode_header(description, self.defects, self.hints) if description else None)
        label = label or _name_from_content_id(part)
        if not label:
            self.unnamed += 1
            label = f"file-{self.unnamed}"
        return invented_filename(label, content_type)

    def _add(self, filename: str, content_type: str, data: bytes, cid: str | None, inline: bool) -> None:
        """Append an Attachment with its hash."""
        digest = hashlib.sha256(data).hexdigest()
        self.found.attachments.append(Attachment(filename, content_type, data, digest, cid, inline))


def _raw_header(part: Message, name: str) -> str | None:
    """A header's raw value (8-bit bytes kept as surrogates), or None."""
    wanted = name.lower()
    return next((str(v) for k, v in part.raw_items() if k.lower() == wanted), None)


def _name_from_location(part: Message, defects: list[str]) -> str | None:
    """The last path segment of Content-Location (some Exchange versions name parts only so)."""
    location = _raw_header(part, "content-location")
    if not location:
        return None
    name = clean_filename(location.split("?", 1)[0].rstrip("/"), defects)
    return name or None


def _name_from_content_id(part: Message) -> str | None:
    """'image001.png' from a Content-ID like <image001.png@01D1C2D3>, when it looks like a name."""
    content_id = _content_id(part)
    if not content_id or "@" not in content_id:
        return None
    local = content_id.split("@", 1)[0].strip()
    return local if 0 < len(local) <= 100 and "." in local else None


def _guess_type(filename: str) -> str:
    """A content type from a file name."""
    import mimetypes

    return mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
