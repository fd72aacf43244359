"""HTML bodies: sanitized with nh3 (no scripts, handlers or remote loads) and turned into text."""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_TEXT_HTML = 1_000_000
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


def sanitize(markup: str, allow_remote: bool = False) -> str:
    """HTML safe to show: nh3 with a mail-friendly allow list and no remote loads unless allowed."""
    import nh3

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
    """Readable plain text from HTML (inscriptis keeps the layout of tables and lists)."""
    from inscriptis import get_text

    try:
        return get_text(markup[:MAX_TEXT_HTML]).strip("\n")
    except Exception:  # inscriptis on pathological markup: keep the words at least
        return re.sub(r"<[^>]*>", " ", markup[:MAX_TEXT_HTML])


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
