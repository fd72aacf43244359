"""Routing rules in the database (mailgate_rule, Znuny postmaster_filter) and the cached pipeline config."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session

from mailgate.pipeline.repository import QueueDirectory, load_queue_directory
from mailgate.tickets.clock import now_utc
from router import Rule, RuleSet, compile_rules
from router.dicts import rule_from_dict, rule_to_dict
from router.znuny import PostmasterFilterRow, rules_from_postmaster_filter
from schema import PostmasterFilter, Queue, QueueAutoResponse, SystemAddress
from schema.pipeline import RoutingRule

ZNUNY_FILTER_OFFSET = 1_000_000  # Znuny's filters run after mailgate's own rules


def row_to_rule(row: RoutingRule) -> Rule:
    """A mailgate_rule row as a router Rule."""
    return rule_from_dict(
        {
            "id": row.id,
            "name": row.name,
            "position": row.position,
            "enabled": bool(row.enabled),
            "stop_after_match": bool(row.stop_after_match),
            "applies_to": row.applies_to,
            "match": row.match_mode,
            "conditions": json.loads(row.conditions or "[]"),
            "actions": json.loads(row.actions or "[]"),
            "description": row.comments or "",
        },
        where=f"mailgate_rule {row.id}",
    )


def load_rules(session: Session) -> list[Rule]:
    """Mailgate's rules in position order, then the Znuny postmaster filters."""
    own = [row_to_rule(row) for row in session.scalars(select(RoutingRule).order_by(RoutingRule.position))]
    filters = [
        PostmasterFilterRow(r.f_name, r.f_stop, r.f_type, r.f_key, r.f_value, r.f_not)
        for r in session.scalars(select(PostmasterFilter).order_by(PostmasterFilter.id))
    ]
    return own + rules_from_postmaster_filter(filters, first_position=ZNUNY_FILTER_OFFSET)


def replace_rules(session: Session, rules: Sequence[Rule]) -> None:
    """Replace every mailgate_rule row with these rules (positions as given), in the caller's transaction."""
    compile_rules(list(rules))  # reject invalid rules before touching the table
    session.execute(delete(RoutingRule))
    now = now_utc()
    for index, rule in enumerate(rules):
        data = rule_to_dict(rule)
        session.add(
            RoutingRule(
                name=rule.name,
                position=rule.position or (index + 1) * 10,
                enabled=int(rule.enabled),
                stop_after_match=int(rule.stop_after_match),
                applies_to=rule.applies_to,
                match_mode=rule.match,
                conditions=json.dumps(data.get("conditions", [])),
                actions=json.dumps(data.get("actions", [])),
                comments=rule.description or None,
                create_time=now,
                change_time=now,
            )
        )


def fingerprint_query() -> Select[Any]:
    """One SELECT whose answer changes when a rule, filter, queue, address or auto-response link changes."""
    probes: tuple[ColumnElement[Any], ...] = (
        func.count(RoutingRule.id),
        func.max(RoutingRule.change_time),
        func.sum(RoutingRule.id),
        func.count(PostmasterFilter.id),
        func.sum(PostmasterFilter.id),
        func.max(PostmasterFilter.id),
        func.count(Queue.id),
        func.max(Queue.change_time),
        func.sum(Queue.valid_id),
        func.count(SystemAddress.id),
        func.max(SystemAddress.change_time),
        func.sum(SystemAddress.queue_id),
        func.count(QueueAutoResponse.id),  # last: read by PipelineConfigCache.may_auto_reply
    )
    return select(*(select(probe).scalar_subquery().label(f"fp{n}") for n, probe in enumerate(probes)))


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """The compiled rules and the queue directory, read together."""

    rules: RuleSet
    queues: QueueDirectory


class PipelineConfigCache:
    """Rules and queues, re-read only when a one-query fingerprint of their tables changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._config: PipelineConfig | None = None
        self._fingerprint = fingerprint_query()

    def get(self, session: Session, fingerprint: tuple[object, ...] | None = None) -> PipelineConfig:
        """The current configuration; pass the fingerprint if it was already read with another query."""
        if fingerprint is None:
            fingerprint = tuple(session.connection().execute(self._fingerprint).one())
        key = fingerprint
        with self._lock:
            if self._config is None or key != self._key:
                rules = compile_rules(load_rules(session))
                self._config = PipelineConfig(rules, load_queue_directory(session))
                self._key = key
            return self._config

    def may_auto_reply(self) -> bool:
        """Whether any queue had an auto-response when the configuration was last read (True if unknown).

        One batch may see it late; the auto-reply policy takes its own lock as well, so this only decides
        whether recipient locks are worth taking up front.
        """
        with self._lock:
            return self._key is None or bool(self._key[-1])
