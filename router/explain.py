"""Render a Decision and its trace for humans (`mailgate route --explain`)."""

from __future__ import annotations

from router.decision import HIT, MISS, SKIPPED, Decision, TraceEntry

OUTCOME_LABELS = {HIT: "HIT ", MISS: "miss", SKIPPED: "skip"}
DECISION_FIELDS = ("priority", "state", "type", "owner", "responsible", "customer", "title")


def format_decision(decision: Decision, *, show_skipped: bool = True) -> str:
    """The decision's outcome, then every rule considered with hit, miss or skip and the reason."""
    lines = ["Decision:", *_outcome_lines(decision), "", _trace_heading(decision)]
    lines.extend(_trace_line(entry) for entry in decision.trace if show_skipped or entry.outcome != SKIPPED)
    return "\n".join(lines) + "\n"


def _outcome_lines(decision: Decision) -> list[str]:
    """One line per attribute the decision sets, with who set it."""
    lines = [f"  queue: {_text(decision.queue)}  <- {decision.queue_source}"]
    for name in DECISION_FIELDS:
        value = getattr(decision, name)
        if value is not None:
            lines.append(f"  {name}: {_text(value)}  <- {decision.sources.get(name, '?')}")
    if decision.tags:
        lines.append(f"  tags: {', '.join(decision.tags)}")
    for field_name, value in decision.dynamic_fields.items():
        lines.append(f"  dynamic field {field_name}: {value}")
    for flag, label in (
        ("suppress_auto_reply", "no auto-reply"),
        ("ignore", "IGNORE this mail"),
        ("junk", "move to Junk"),
    ):
        if getattr(decision, flag):
            lines.append(f"  {label}  <- {decision.sources.get(flag, '?')}")
    return lines


def _trace_heading(decision: Decision) -> str:
    """A summary line: how many rules hit, missed and were skipped."""
    counts = dict.fromkeys(OUTCOME_LABELS, 0)
    for entry in decision.trace:
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
    return f"Rules: {counts[HIT]} hit, {counts[MISS]} missed, {counts[SKIPPED]} skipped"


def _trace_line(entry: TraceEntry) -> str:
    """One trace entry: outcome, position, name (and id), reason."""
    ident = "" if entry.rule_id is None else f" [id {entry.rule_id}]"
    position = "" if entry.position < 0 else f"#{entry.position} "
    outcome = OUTCOME_LABELS.get(entry.outcome, entry.outcome)
    return f"  {outcome}  {position}{entry.rule_name!r}{ident}: {entry.reason}"


def _text(value: object) -> str:
    """A decision value for display."""
    return "(none)" if value is None else str(value)
