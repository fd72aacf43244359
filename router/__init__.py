"""Routing: admin-defined rules that decide queue, priority, state and more for a mail.

Pure code: values in (MailFacts, rules, defaults), values out (a Decision with its trace).

    ruleset = compile_rules(load_rules(yaml_text) + rules_from_postmaster_filter(rows))  # once
    facts = MailFacts(headers=..., from_email=..., to=[...], subject=..., is_followup=False)
    decision = route(facts, ruleset, RoutingDefaults("Raw", {"support@example.com": "Support"}))
    print(format_decision(decision))                                                   # --explain

Rules are stored as dicts (router.dicts.rule_to_dict / rule_from_dict), YAML lives in
router.yaml_io, Znuny's postmaster_filter rows in router.znuny, and the fields, operators and
actions rules may name in registries (router.compiler.Registries) that refuse duplicate names.
"""

from router.compiler import Registries, RuleSet, compile_rules
from router.decision import Decision, TraceEntry
from router.engine import RoutingDefaults, route
from router.errors import DuplicateNameError, RouterError, RuleValidationError, UnknownNameError
from router.facts import MailFacts
from router.rules import Action, Condition, Rule

__all__ = [
    "Action",
    "Condition",
    "Decision",
    "DuplicateNameError",
    "MailFacts",
    "Registries",
    "RouterError",
    "RoutingDefaults",
    "Rule",
    "RuleSet",
    "RuleValidationError",
    "TraceEntry",
    "UnknownNameError",
    "compile_rules",
    "route",
]
