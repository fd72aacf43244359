"""HTML article bodies made safe: nh3 sanitizing, cid: images to attachment URLs, remote content off."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import nh3

SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
LINK_SCHEMES = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)
# an image left without a source: the pipeline's sanitizer (parsers.html) removed a remote one on intake
SOURCELESS_IMAGE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)

_TAGS = set(nh3.ALLOWED_TAGS) | {"font", "tfoot"}
_ATTRIBUTES: dict[str, set[str]] = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
_ATTRIBUTES["*"] = {"style", "title", "dir", "lang"}
_ATTRIBUTES["font"] = {"color", "face", "size"}
for _tag in ("table", "td", "th", "tr"):
    _ATTRIBUTES.setdefault(_tag, set()).update({"bgcolor", "width", "height", "valign", "border"})
_ATTRIBUTES["table"].update({"cellpadding", "cellspacing"})
# layout and typography only: no url() (background images), no positioning over the page
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "text-align", "text-decoration", "text-indent", "line-height", "letter-spacing", "white-space",
    "vertical-align", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
    "padding", "padding-top", "padding-bottom", "padding-left", "padding-right", "border",
    "border-top", "border-bottom", "border-left", "border-right", "border-color", "border-style",
    "border-width", "border-collapse", "border-spacing", "width", "height", "max-width", "min-width",
    "display", "list-style-type",
}  # fmt: skip


@dataclass
class SanitizedBody:
    """The cleaned HTML fragment and how many remote images it does not load."""

    html: str
    blocked_remote: int = 0
    cid_missing: list[str] = field(default_factory=list)


def normalize_cid(value: str) -> str:
    """A Content-ID as compared: without "cid:", without angle brackets, lower-cased."""
    value = value.strip()
    if value.lower().startswith("cid:"):
        value = value[4:]
    return value.strip().strip("<>").lower()


def _filter(
    cid_urls: Mapping[str, str], allow_remote: bool, result: SanitizedBody
) -> Callable[..., str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return _image_source(value, cid_urls, allow_remote, result)
        if attribute in ("href", "cite"):
            return value if LINK_SCHEMES.match(value.strip()) else None
        return value

    return keep


def _image_source(
    value: str, cid_urls: Mapping[str, str], allow_remote: bool, result: SanitizedBody
) -> str | None:
    value = value.strip()
    if value.lower().startswith("cid:"):
        url = cid_urls.get(normalize_cid(value))
        if url is None:
            result.cid_missing.append(value)
        return url
    if SAFE_DATA_IMAGE.match(value):
        return value
    if REMOTE.match(value) and allow_remote:
        return value
    return None  # counted below, with the images the pipeline left without a source


def sanitize_html(html: str, cid_urls: Mapping[str, str], *, allow_remote: bool = False) -> SanitizedBody:
    """Clean an HTML body: no scripts, styles blocks, forms or event handlers; links open outside the frame.

    `cid_urls` maps normalized Content-IDs to the URL of the attachment; remote images are dropped (and
    counted) unless `allow_remote`.
    """
    result = SanitizedBody("")
    result.html = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        clean_content_tags={"script", "style", "title", "head"},
        url_schemes={"http", "https", "mailto", "cid", "data"},
        attribute_filter=_filter(cid_urls, allow_remote, result),
        filter_style_properties=_STYLE_PROPERTIES,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    if not allow_remote:
        sourceless = len(SOURCELESS_IMAGE.findall(result.html))
        result.blocked_remote = max(sourceless - len(result.cid_missing), 0)
    return result
