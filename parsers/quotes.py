"""The new text of a reply: quoted history, attribution lines and signatures removed."""

from __future__ import annotations

import re

MAX_LINES = 5000
MAX_HEADER_LINE = 300
ATTRIBUTION_LOOKAHEAD = 3

# "On <date>, <name> wrote:" and its translations; the line may be wrapped over three lines.
WROTE = re.compile(
    r"(wrote|writes|schrieb|geschrieben|a écrit|escribió|escribio|ha scritto|scrisse|schreef|escreveu|"
    r"napisał\(a\)|napisał|napisala|"
    r"skrev|kirjoitti|написал\(а\)|написал|написала|yazdı|έγραψε|napsal|írta|a scris|skrifaði|rašė|"
    r"rakstīja|kirjutas|"
    r"pisze|wrote the following|geschreven)\s*:?\s*$",
    re.I,
)
WROTE_INSIDE = re.compile(
    r"\b(schrieb|schreef|skrev|escribió|escreveu|a écrit|ha scritto|wrote|napisał)\b", re.I
)
ATTRIBUTION_START = re.compile(
    r"^\s*(on|am|le|el|il giorno|il|op|em|w dniu|den|på|dne|в|el día)\b",
    re.I,
)
SEPARATOR = re.compile(
    r"^\s*[-=_*]{2,}\s*(original message|ursprüngliche nachricht|original[- ]?nachricht|message d'origine|"
    r"ursprüngliche mitteilung|reply separator|"
    r"message original|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|origineel bericht|mensagem original|originalmeddelande|"
    r"opprinnelig melding|"
    r"oprindelig meddelelse|wiadomość oryginalna|alkuperäinen viesti|forwarded message|"
    r"weitergeleitete nachricht|"
    r"message transféré|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|"
    r"reply message|reply above this line)\s*[-=_*]*\s*$",
    re.I,
)
HEADER_FROM = re.compile(
    r"^\s*\*?(from|von|de|van|da|från|fra|od|lähettäjä|feladó|от|kimden|absender)\s*:\*?\s*\S", re.I
)
HEADER_OTHER = re.compile(
    r"^\s*\*?(sent|date|gesendet|datum|envoyé|date d'envoi|enviado|enviada|fecha|inviato|data|verzonden|"
    r"verstuurd|skickat|sendt|"
    r"wysłano|wysłane|lähetetty|elküldve|отправлено|tarih|to|an|à|a|para|aan|till|til|do|vastaanottaja|"
    r"címzett|кому|kime|"
    r"subject|betreff|objet|asunto|oggetto|onderwerp|ämne|emne|temat|aihe|tárgy|тема|konu|cc|kopie)\s*:",
    re.I,
)
RULE = re.compile(r"^\s*_{8,}\s*$")
QUOTED = re.compile(r"^\s*>")
SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
MOBILE_SIGNATURE = re.compile(
    r"^\s*(sent from my .{1,60}|sent from (mail|outlook|yahoo mail|gmail|my mobile).{0,60}|"
    r"get outlook for (ios|android).{0,20}|"
    r"sent with .{1,40}|sent via .{1,40}|sent from .{1,30} for (ios|android|windows).{0,20}|"
    r"von meinem .{1,60} gesendet\.?|gesendet von .{1,60}|gesendet mit .{1,60}|envoyé de mon .{1,60}|"
    r"envoyé depuis .{1,60}|"
    r"enviado desde mi .{1,60}|enviado do meu .{1,60}|inviato da .{1,60}|verzonden vanaf .{1,60}|"
    r"verstuurd vanaf .{1,60}|"
    r"skickat från .{1,60}|sendt fra .{1,60}|wysłane z .{1,60})\s*(<[^>\s]+>)?\s*$",
    re.I,
)
MAX_SIGNATURE_LINES = 12


def reply_text(text: str) -> str:
    """The text a person wrote in a reply, without the history it quotes or a signature."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")[:MAX_LINES]
    cut = history_start(lines)
    own = strip_signature(lines[:cut])
    result = "\n".join(own).strip()
    return result or (text or "").strip()


def history_start(lines: list[str]) -> int:
    """Index of the first line of the quoted history, or len(lines) when there is none."""
    for index, line in enumerate(lines):
        if _starts_history(lines, index, line):
            return index
    return _trailing_quote(lines)


def _starts_history(lines: list[str], index: int, line: str) -> bool:
    """Whether a line opens the quoted part: a separator, an attribution or a header block."""
    if not line.strip() or len(line) > MAX_HEADER_LINE:
        return False
    if SEPARATOR.match(line) or _attribution(lines, index):
        return True
    if RULE.match(line):
        return _header_block(lines, _next_filled(lines, index + 1))
    return _header_block(lines, index)


def _attribution(lines: list[str], index: int) -> bool:
    """'On ... wrote:' on this line, possibly wrapped over the next two, followed by quoted or other text."""
    if QUOTED.match(lines[index]):
        return False
    if _introduces_quote(lines, index):
        return True
    if not (ATTRIBUTION_START.match(lines[index]) or re.search(r"\d", lines[index])):
        return False
    joined = ""
    for offset in range(ATTRIBUTION_LOOKAHEAD):
        if index + offset >= len(lines) or not lines[index + offset].strip():
            break
        joined = (joined + " " + lines[index + offset].strip()[:MAX_HEADER_LINE]).strip()
        said = WROTE.search(joined[-40:]) or (joined.endswith(":") and WROTE_INSIDE.search(joined))
        if said and re.search(r"\d|@", joined):
            return len(joined) < 400
    return False


def _introduces_quote(lines: list[str], index: int) -> bool:
    """A line with a date and an address that ends in ':' right before a '>' block (any language)."""
    line = lines[index].strip()
    if not (line.endswith(":") and "@" in line and re.search(r"\d", line)):
        return False
    following = _next_filled(lines, index + 1)
    return following < len(lines) and bool(QUOTED.match(lines[following]))


def _header_block(lines: list[str], index: int) -> bool:
    """A 'From:' line followed closely by other header lines (Outlook's quoted headers)."""
    if index >= len(lines) or not HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(1 for line in following[:4] if HEADER_OTHER.match(line)) >= 2


def _next_filled(lines: list[str], index: int) -> int:
    """Index of the next non-blank line at or after index."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _trailing_quote(lines: list[str]) -> int:
    """Where a '>' block that runs to the end of the text begins (inline answers are kept)."""
    start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if QUOTED.match(line):
            start = index
        elif line.strip():
            break
    return start


def strip_signature(lines: list[str]) -> list[str]:
    """The lines before a '-- ' signature or a trailing mobile signature."""
    lines = _without_trailing_blanks(lines)
    for index in range(len(lines) - 1, max(-1, len(lines) - MAX_SIGNATURE_LINES - 1), -1):
        if SIGNATURE_DELIMITER.match(lines[index]):
            return _without_trailing_blanks(lines[:index])
    for index in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
        if MOBILE_SIGNATURE.match(lines[index]):
            return _without_trailing_blanks(lines[:index])
    return lines


def _without_trailing_blanks(lines: list[str]) -> list[str]:
    """The lines without blank lines at the end."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]
