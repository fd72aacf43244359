"""Rules to and from YAML (`mailgate rules export|import`), validated with errors naming the rule."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from router.compiler import Registries, compile_rules
from router.dicts import rule_from_dict, rule_to_dict
from router.errors import RuleValidationError
from router.rules import Rule

__all__ = ["dump_rules", "load_rules", "rule_from_dict", "rule_to_dict"]

# libyaml's C implementations when PyYAML was built with them (several times faster), else pure Python.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_rules(rules: Sequence[Rule]) -> str:
    """Rules as a YAML document: a top-level `rules:` list in the dict shape of rule_to_dict."""
    document = {"rules": [rule_to_dict(rule) for rule in rules]}
    return yaml.dump(
        document, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def load_rules(text: str, *, registries: Registries | None = None) -> list[Rule]:
    """Rules from YAML (a `rules:` list, or a bare list), fully validated: shape, names and regexes."""
    rules: list[Rule] = []
    problems: list[str] = []
    for number, item in enumerate(_rule_items(text), start=1):
        try:
            rules.append(rule_from_dict(item, where=f"rule #{number}"))
        except RuleValidationError as error:
            problems.extend(error.problems)
    try:
        compile_rules(rules, registries=registries)
    except RuleValidationError as error:
        problems.extend(error.problems)
    if problems:
        raise RuleValidationError(problems)
    return rules


def _rule_items(text: str) -> list[object]:
    """The list of rule mappings in a YAML document (not yet checked)."""
    try:
        document = yaml.load(text, Loader=SAFE_LOADER)  # a safe loader, C or pure Python
    except yaml.YAMLError as error:
        raise RuleValidationError([f"not valid YAML: {error}"]) from None
    items = document.get("rules") if isinstance(document, dict) else document
    if document is None:
        return []
    if not isinstance(items, list):
        raise RuleValidationError(["expected a list of rules, or a mapping with a 'rules' list"])
    return items
