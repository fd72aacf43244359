"""HTML bodies: sanitized with nh3 (no scripts, handlers or remote loads) and turned into text."""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_TEXT_HTML = 2_000_000
MAX_LAYOUT_HTML = 150_000
MAX_LAYOUT_TAGS = 6_000
MAX_NESTING = 3_000  # html5ever (inside nh3) slows quadratically on deeper unclosed nesting
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_NOT_NESTING = frozenset(
    {
        "br",
        "hr",
        "img",
        "input",
        "meta",
        "link",
        "area",
        "base",
        "col",
        "wbr",
        "embed",
        "source",
        "param",
        "p",
        "li",
        "td",
        "th",
        "tr",
        "dt",
        "dd",
        "option",
    }
)
_BLOCK_TAG = re.compile(
    r"<(?:br|/?p|/?div|/?tr|/?li|/?h[1-6]|/?blockquote|/?table|hr)\b[^<>]*>", re.IGNORECASE
)
_ANY_TAG = re.compile(r"<[^<>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_LOCAL_SOURCE = re.compile(r"^\s*(?:cid:|data:image/)", re.IGNORECASE)
_REMOTE_ATTRIBUTES = frozenset({"src", "background", "srcset", "poster"})
_EXTRA_TAGS = frozenset(
    {"font", "center", "u", "s", "strike", "big", "small", "tt", "hr", "img", "span", "div"}
)
_EXTRA_ATTRIBUTES: dict[str, set[str]] = {
    "img": {"src", "alt", "width", "height", "title", "align", "border"},
    "font": {"color", "face", "size"},
    "td": {"colspan", "rowspan", "align", "valign", "width", "bgcolor"},
    "th": {"colspan", "rowspan", "align", "valign", "width", "bgcolor"},
    "table": {"width", "border", "cellpadding", "cellspacing", "align", "bgcolor"},
    "p": {"align"},
    "div": {"align"},
    "a": {"href", "title", "name"},
}


def _source_filter(allow_remote: bool) -> Callable[[str, str, str], str | None]:
    """An nh3 attribute filter dropping remote loads (cid: and inline data images stay)."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _REMOTE_ATTRIBUTES and not allow_remote and not _LOCAL_SOURCE.match(value):
            return None
        return value

    return keep


def nesting_depth(markup: str) -> int:
    """An upper estimate of how deeply the markup nests elements (void and self-closing tags aside)."""
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        if match.group(2).lower() in _NOT_NESTING:
            continue
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def text_as_html(text: str) -> str:
    """Plain text as safe HTML (escaped, line breaks kept)."""
    from html import escape

    return "<div>" + escape(text).replace("\n", "<br>\n") + "</div>"


def sanitize(markup: str, allow_remote: bool = False) -> str:
    """HTML safe to show: nh3 with a mail-friendly allow list and no remote loads unless allowed.

    Pathologically deep nesting is not handed to the sanitizer: it is shown as its text instead.
    """
    import nh3

    if nesting_depth(markup) > MAX_NESTING:
        return text_as_html(quick_text(_ANY_TAG.sub(" ", markup)))

    tags = set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS
    attributes = {tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, values in _EXTRA_ATTRIBUTES.items():
        attributes[tag] = attributes.get(tag, set()) | values
    return nh3.clean(
        markup,
        tags=tags,
        attributes=attributes,
        url_schemes={"http", "https", "mailto", "cid", "data", "tel", "ftp"},
        attribute_filter=_source_filter(allow_remote),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def to_text(markup: str) -> str:
    """Readable plain text from HTML: inscriptis (keeps table and list layout) for usual sizes."""
    if len(markup) > MAX_LAYOUT_HTML or markup.count("<") > MAX_LAYOUT_TAGS:  # inscriptis is slow
        return quick_text(markup)
    from inscriptis import get_text

    try:
        return get_text(markup).strip("\n")
    except Exception:  # inscriptis on pathological markup: keep the words at least
        return quick_text(markup)


def quick_text(markup: str) -> str:
    """Plain text from sanitized HTML in linear time: block tags become line breaks, others vanish."""
    from html import unescape

    text = _BLOCK_TAG.sub("\n", markup[:MAX_TEXT_HTML])
    text = unescape(_ANY_TAG.sub("", text)).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def pieces_to_html(pieces: list[tuple[str, str]]) -> str:
    """HTML for a body sent as text parts with inline images between them (as Apple Mail does)."""
    from html import escape

    out = []
    for kind, value in pieces:
        if kind == "image":
            out.append(f'<img src="cid:{escape(value, quote=True)}"><br>')
        else:
            out.append(escape(value).replace("\n", "<br>\n"))
    return "<div>" + "".join(out) + "</div>"
