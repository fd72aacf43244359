"""Charset labels to Python codecs, and bytes to text that never loses a character."""

from __future__ import annotations

import codecs
import re

from parsers.jis import JIS, decode_iso2022jp

# Labels real mail uses that Python does not know.
LABEL_ALIASES: dict[str, str] = {
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "x-ms-cp932": "cp932",
    "x-gbk": "gbk",
    "x-euc-jp": "euc_jp",
    "x-euc": "euc_jp",
    "x-x-big5": "big5",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "x-unicode20utf8": "utf-8",
    "unicode-2-0-utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-utf-7": "utf-7",
    "utf-7-imap": "utf-7",
    "koi8-ru": "koi8_u",
    "ksc5601": "cp949",
    "ks_c_5601": "cp949",
}
# Python codecs that are narrower than what senders really use under that label
# (the WHATWG encoding standard makes the same choices).
CODEC_UPGRADES: dict[str, str] = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
    "iso2022_jp": JIS,
    "iso2022_jp_1": JIS,
    "iso2022_jp_2": JIS,
    "iso2022_jp_3": JIS,
    "iso2022_jp_ext": JIS,
    "iso2022_jp_2004": JIS,
}
# Labels that say nothing about the bytes: treat them as undeclared.
MEANINGLESS = frozenset(
    {"x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "none", "charset", "8bit", "binary"}
)
_VENDOR_JIS = re.compile(r"^(?:cp5022[012]|iso-2022-jp-ms|x-iso-2022-jp.*)$")
_WINDOWS = re.compile(r"^(?:x-)?(?:windows|win|cp|ms)[-_ ]?(125\d|874|932|936|949|950)$")
_ISO8859 = re.compile(r"^iso[-_ ]?8859[-_ ]?(\d{1,2})(?::\d+)?$")
_UTF = re.compile(r"^(?:x-)?utf[-_ ]?(8|7|16|32)(?:[-_ ]?(le|be))?$")
GUESS_LIMIT = 200_000
SINGLE_BYTE = frozenset({"ascii", "cp874", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic"})


_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)


def meta_charset(markup: bytes) -> str | None:
    """The charset an HTML document declares in its <meta> tags (first 4 KB), or None."""
    match = _META_CHARSET.search(markup[:4096])
    return match.group(1).decode("ascii") if match else None


def canonical_label(label: str | None) -> str:
    """A charset label lower-cased and stripped of quotes, comments and RFC 2231 language."""
    text = (label or "").strip().strip("\"'").strip().lower()
    return text.split("*", 1)[0].split(";", 1)[0].strip()


def _spelled_right(name: str) -> str:
    """Repair the common misspellings: 'utf8', 'win-1252', 'iso8859_1', 'cp-1252'."""
    name = LABEL_ALIASES.get(name, name)
    if (match := _WINDOWS.match(name)) is not None:
        return f"cp{match.group(1)}"
    if (match := _ISO8859.match(name)) is not None:
        return f"iso8859-{match.group(1)}"
    if (match := _UTF.match(name)) is not None:
        return f"utf-{match.group(1)}" + (f"-{match.group(2)}" if match.group(2) else "")
    return name


def resolve(label: str | None) -> str | None:
    """The Python codec to decode text labelled so, or None when the label says nothing usable."""
    name = canonical_label(label)
    if not name or name in MEANINGLESS:
        return None
    if _VENDOR_JIS.match(name):
        return JIS
    try:
        codec = codecs.lookup(_spelled_right(name)).name
    except (LookupError, ValueError):
        return None
    return CODEC_UPGRADES.get(codec, codec)


def _strict(data: bytes, codec: str) -> str | None:
    """Decode strictly, or None when the bytes are not valid in that codec."""
    try:
        if codec == JIS:
            return decode_iso2022jp(data)
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def guess(data: bytes) -> str | None:
    """The charset charset-normalizer believes the bytes are in, or None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:GUESS_LIMIT]).best()
    return resolve(best.encoding) if best is not None else None


# Charsets that are often mixed up with each other: tried before guessing.
RELATED: dict[str, tuple[str, ...]] = {
    JIS: ("cp932", "euc_jp"),
    "cp932": ("euc_jp",),
    "euc_jp": ("cp932",),
    "gb18030": ("big5hkscs",),
    "big5hkscs": ("gb18030",),
    "cp949": ("gb18030",),
}
_ASCII_COMPATIBLE_EXCEPTIONS = ("utf-7", "utf-16", "utf-32", JIS)
MIN_GUESS_BYTES = 12


def decode_text(
    data: bytes,
    label: str | None,
    defects: list[str],
    where: str = "text",
    hints: tuple[str, ...] = (),
    may_guess: bool = True,
) -> str:
    """Bytes to text: the declared charset, repaired; else guessed; bad bytes become U+FFFD.

    hints are other charsets the same mail declares, tried before a statistical guess;
    may_guess=False skips the (costly) guess once a mail's time budget is spent.
    """
    codec = resolve(label)
    if data.isascii() and not (codec or "").startswith(_ASCII_COMPATIBLE_EXCEPTIONS):
        return data.decode("ascii")
    if codec in SINGLE_BYTE or (codec and codec.startswith(("iso8859", "cp125"))):
        text = _strict(data, "utf-8")
        if text is not None:
            defects.append(f"{where}: declared {codec} but is UTF-8")
            return text
    if codec is not None:
        text = _strict(data, codec)
        if text is not None:
            return text
    elif label and canonical_label(label) not in MEANINGLESS:
        defects.append(f"{where}: unknown charset {canonical_label(label)!r}")
    return _repair(data, codec, defects, where, hints, may_guess)


def _candidates(codec: str | None, hints: tuple[str, ...]) -> list[str]:
    """Charsets to try strictly after the declared one and UTF-8 failed: relatives, the mail's others."""
    found = list(RELATED.get(codec or "", ()))
    for hint in hints:
        resolved = resolve(hint)
        if resolved and resolved not in ("ascii", codec):
            found += [resolved, *RELATED.get(resolved, ())]
    return list(dict.fromkeys(c for c in found if c not in (codec, "utf-8")))


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few damaged sequences (a cut-off character), or None when it is not UTF-8."""
    text = data.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - damaged
    return text if good >= 4 * damaged and good >= 2 else None


def _repair(
    data: bytes, codec: str | None, defects: list[str], where: str, hints: tuple[str, ...], may_guess: bool
) -> str:
    """Decode bytes that are not valid in the declared codec: related charsets, a guess, or U+FFFD."""
    declared = f" (declared {codec})" if codec else ""
    found = _readable(data, codec, hints, may_guess)
    if found is not None:
        how, text = found
        defects.append(f"{where}: {how}{declared}")
        return text
    fallback = codec if codec and codec not in ("ascii", "utf-7") else "cp1252"
    strict = _strict(data, fallback)
    if strict is not None:
        defects.append(f"{where}: undeclared 8-bit text read as {fallback}")
        return strict
    defects.append(f"{where}: undecodable bytes replaced (decoded as {fallback})")
    if fallback == JIS:
        return decode_iso2022jp(data, errors="replace")
    return data.decode(fallback, errors="replace")


def _readable(
    data: bytes, codec: str | None, hints: tuple[str, ...], may_guess: bool
) -> tuple[str, str] | None:
    """(how, text) from the first reading that works: UTF-8, relatives and hints, a guess."""
    text = _strict(data, "utf-8") if codec != "utf-8" else None
    if text is not None:
        return "read as utf-8", text
    text = _mostly_utf8(data)
    if text is not None:
        return "UTF-8 with damaged sequences, those replaced", text
    for candidate in _candidates(codec, hints):
        text = _strict(data, candidate)
        if text is not None:
            return f"read as {candidate}", text
    eight_bit = sum(1 for byte in data[:4096] if byte > 0x7F)
    guessed = guess(data) if may_guess and eight_bit >= MIN_GUESS_BYTES else None
    text = _strict(data, guessed) if guessed and guessed != codec else None
    return (f"charset guessed as {guessed}", text) if text is not None else None
