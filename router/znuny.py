"""Znuny compatibility: postmaster_filter rows as Rules, and X-OTRS-* headers from trusted sources.

Znuny's MatchDBSource runs the filters sorted by name. A filter hits when every Match row hits;
each Match value is a Perl regex searched case-insensitively in the decoded header (an absent
header reads as empty, field `znuny_header`) or the body,
`EMAILADDRESS:<regex>` instead tests `^<regex>$` against each address in the header, and f_not
negates the row. A hit filter's Set rows write X-OTRS-* headers: the plain ones act on new tickets,
the X-OTRS-FollowUp-* ones on follow-ups; `[***]` in a Set value stands for what the match rows
captured (see router.captures). f_stop ends filter processing after a hit. As in Znuny, a
mail's own X-OTRS-* headers count (for actions and for conditions) only from a trusted source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import regex

from router.facts import MailFacts
from router.rules import Action, Condition, Rule

EMAIL_ADDRESS_PREFIX: Final = "EMAILADDRESS:"
FOLLOWUP_PREFIX: Final = "x-otrs-followup-"
DYNAMIC_FIELD_PREFIX: Final = "dynamicfield-"
# Header (lower-cased, without the X-OTRS- or X-OTRS-FollowUp- prefix) -> action name.
TICKET_HEADERS: Final = {
    "queue": "set_queue",
    "priority": "set_priority",
    "state": "set_state",
    "type": "set_type",
    "owner": "set_owner",
    "ownerid": "set_owner",
    "responsible": "set_responsible",
    "responsibleid": "set_responsible",
    "title": "set_title",
}
NEW_TICKET_ONLY_HEADERS: Final = {"customeruser": "set_customer"}
ID_HEADERS: Final = frozenset({"ownerid", "responsibleid"})
IGNORE_TRUE: Final = regex.compile(r"yes|true", regex.IGNORECASE)
LOOP_FALSE: Final = regex.compile(r"\s*(?:no|false|0)?\s*", regex.IGNORECASE)
ROW_COLUMNS: Final = ("f_name", "f_stop", "f_type", "f_key", "f_value", "f_not")
PERL_TOKEN: Final = regex.compile(r"\\Q(.*?)(?:\\E|$)|\\x\{([0-9A-Fa-f]+)\}|\\Z|\(\?\^|\\.|.", regex.DOTALL)


@dataclass(frozen=True)
class PostmasterFilterRow:
    """One row of Znuny's postmaster_filter table."""

    f_name: str
    f_stop: int | None
    f_type: str
    f_key: str
    f_value: str
    f_not: int | None = None


def perl_regex_to_python(pattern: str) -> str:
    r"""Rewrite the Perl regex syntax the `regex` package lacks (\Q..\E, \x{..}, \Z, (?^)."""
    return PERL_TOKEN.sub(_rewrite_perl_token, pattern)


def _rewrite_perl_token(match: regex.Match[str]) -> str:
    """The `regex`-package spelling of one Perl token (most tokens are kept as they are)."""
    token = match.group(0)
    if token.startswith("\\Q"):
        return regex.escape(match.group(1))
    if match.group(2) is not None:
        return f"\\U{int(match.group(2), 16):08x}"
    if token == "\\Z":
        return r"(?=\n?\z)"
    if token == "(?^":
        return "(?"
    return token


def _row(raw: PostmasterFilterRow | Mapping[str, object] | Sequence[object]) -> PostmasterFilterRow:
    """Accept a row as the dataclass, a mapping with the column names, or a column-ordered tuple."""
    if isinstance(raw, PostmasterFilterRow):
        return raw
    values = [raw.get(column) for column in ROW_COLUMNS] if isinstance(raw, Mapping) else list(raw)
    name, stop, kind, key, value, negate = (values + [None] * 6)[:6]
    return PostmasterFilterRow(
        f_name=str(name),
        f_stop=_small_int(stop),
        f_type=str(kind),
        f_key=str(key),
        f_value="" if value is None else str(value),
        f_not=_small_int(negate),
    )


def _small_int(value: object) -> int | None:
    """A SMALLINT column's value (None stays None; '1', 1 and True become 1)."""
    if value is None or value == "":
        return None
    return int(value) if isinstance(value, int | str) else int(bool(value))


def match_row_to_condition(row: PostmasterFilterRow) -> Condition:
    """A Match row as a condition with Znuny's semantics (case-insensitive regex, f_not negates)."""
    operator = "not_regex" if row.f_not else "regex"
    value = row.f_value or ""
    if value.startswith(EMAIL_ADDRESS_PREFIX):
        address_pattern = perl_regex_to_python(value[len(EMAIL_ADDRESS_PREFIX) :])
        # Named 'email' and first group, as Znuny's [***] and [**\email**] placeholders expect.
        return Condition(f"header_addresses:{row.f_key}", operator, rf"\A(?P<email>{address_pattern})\Z")
    field = "body" if row.f_key.lower() == "body" else f"znuny_header:{row.f_key}"
    return Condition(field, operator, perl_regex_to_python(value))


def header_to_action(header: str, value: str, followup: bool) -> Action | None:
    """The action an X-OTRS-* header means for a new ticket or a follow-up, or None if none."""
    name = header.strip()
    key = name.lower()
    if key == "x-otrs-ignore":
        return Action("ignore", True) if IGNORE_TRUE.search(value) else None
    if key == "x-otrs-loop":
        return None if LOOP_FALSE.fullmatch(value) else Action("suppress_auto_reply", True)
    is_followup_header = key.startswith(FOLLOWUP_PREFIX)
    if followup != is_followup_header or not key.startswith("x-otrs-") or not value.strip():
        return None
    suffix = name[len(FOLLOWUP_PREFIX if followup else "x-otrs-") :]
    return _ticket_header_action(suffix, value.strip(), followup)


def _ticket_header_action(suffix: str, value: str, followup: bool) -> Action | None:
    """The action for X-OTRS-(FollowUp-)<suffix> with a non-empty value; dynamic field names keep case."""
    lowered = suffix.lower()
    if lowered.startswith(DYNAMIC_FIELD_PREFIX) and len(suffix) > len(DYNAMIC_FIELD_PREFIX):
        return Action("set_dynamic_field", {suffix[len(DYNAMIC_FIELD_PREFIX) :]: value})
    names = TICKET_HEADERS if followup else {**TICKET_HEADERS, **NEW_TICKET_ONLY_HEADERS}
    action = names.get(lowered)
    if action is None:
        return None
    if lowered in ID_HEADERS:
        return Action(action, int(value)) if value.isascii() and value.isdigit() else None
    return Action(action, value)


def headers_to_actions(headers: Iterable[tuple[str, str]], followup: bool) -> list[Action]:
    """Every action the given X-OTRS-* headers mean for a new ticket or a follow-up, in order."""
    actions = (header_to_action(header, value, followup) for header, value in headers)
    return [action for action in actions if action is not None]


def otrs_headers(facts: MailFacts) -> list[tuple[str, str]]:
    """The mail's own X-OTRS-* headers."""
    return [(name, value) for name, value in facts.headers if name.lower().startswith("x-otrs-")]


def supported_header(header: str) -> bool:
    """Whether an X-OTRS-* header maps to an action for new tickets or follow-ups."""
    probes = [(probe, followup) for probe in ("yes", "1") for followup in (False, True)]
    return any(header_to_action(header, probe, followup) for probe, followup in probes)


def unsupported_set_keys(rows: Iterable[PostmasterFilterRow]) -> list[str]:
    """Set keys that map to no action for either new tickets or follow-ups."""
    return [row.f_key for row in rows if row.f_type.lower() == "set" and not supported_header(row.f_key)]


def rules_from_postmaster_filter(
    raw_rows: Iterable[PostmasterFilterRow | Mapping[str, object] | Sequence[object]],
    *,
    first_position: int = 0,
) -> list[Rule]:
    """Znuny postmaster_filter rows as Rules, in Znuny's order (filters sorted by name).

    A filter whose Set rows act differently on new tickets and on follow-ups becomes two rules
    with the same conditions: one for new tickets, one for follow-ups (named '... (follow-up)');
    the twin is left out when it would change nothing (no actions of its kind and no stop).
    """
    filters: dict[str, list[PostmasterFilterRow]] = {}
    for raw in raw_rows:
        row = _row(raw)
        filters.setdefault(row.f_name, []).append(row)
    rules: list[Rule] = []
    for name in sorted(filters):
        rules.extend(_filter_rules(name, filters[name], first_position + len(rules)))
    return rules


def _filter_rules(name: str, rows: list[PostmasterFilterRow], position: int) -> list[Rule]:
    """The rule (or new/follow-up pair of rules) for one named filter."""
    sets = [(row.f_key, row.f_value or "") for row in rows if row.f_type.lower() == "set"]
    stop = any(bool(row.f_stop) for row in rows)
    new_actions = tuple(headers_to_actions(sets, followup=False))
    followup_actions = tuple(headers_to_actions(sets, followup=True))
    template = _filter_template(name, rows, position, stop)
    if new_actions == followup_actions:
        return [replace(template, actions=new_actions)]
    if not stop and not followup_actions:  # without a stop, the follow-up twin would change nothing
        return [replace(template, actions=new_actions, applies_to="new")]
    if not stop and not new_actions:
        return [replace(template, actions=followup_actions, applies_to="followup")]
    twin_name, twin_position = f"{name} (follow-up)", position + 1
    return [
        replace(template, actions=new_actions, applies_to="new"),
        replace(
            template, name=twin_name, position=twin_position, actions=followup_actions, applies_to="followup"
        ),
    ]


def _filter_template(name: str, rows: list[PostmasterFilterRow], position: int, stop: bool) -> Rule:
    """The filter's rule without actions: its conditions, stop flag and a note on unsupported keys."""
    conditions = tuple(match_row_to_condition(row) for row in rows if row.f_type.lower() == "match")
    unsupported = unsupported_set_keys(rows)
    return Rule(
        name=name,
        conditions=conditions,
        position=position,
        stop_after_match=stop,
        match="all" if conditions else "any",  # Znuny: a filter without Match rows never hits
        description=f"Znuny Set keys without a mailgate action: {', '.join(unsupported)}"
        if unsupported
        else "",
    )
