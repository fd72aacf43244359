"""Routing: admin-defined rules that decide queue, priority, state and more for a mail.

Pure code: values in (MailFacts, rules, defaults), values out (a Decision with its trace).
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
