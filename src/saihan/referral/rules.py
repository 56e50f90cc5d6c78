"""Referral rules as data: dated, sourced, validated at load, compiled once.

A rule says *when* (a condition on the case) it applies, *what* it does
(its effect) and to which services (*target*, a condition on the service):

======== =============================================================
effect   what happens to each targeted service that fits the case
======== =============================================================
require  must be in the plan; if none is eligible the plan says so
exclude  left out, with the rule as the reason
prefer   score raised by ``weight``
demote   score lowered by ``weight``
first    ranked before every service no ``first`` rule put first
add_need ``need`` is added to the case's needs (no target)
======== =============================================================

``for_needs`` limits an effect to recommendations for those needs (and
their sub-needs).  Each rule has an id, a description in Japanese and
English, the source it comes from, and the days it applies
(``valid_from``..``valid_to``, both inclusive).  A rule set may hold several
versions of one id for different periods, as OpenFisca parameters do; their
periods must not overlap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
import itertools
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from saihan._validation import ID_PATTERN, Checker, checked, types_only
from saihan.directory.directory import Directory
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, parse_yaml, read_file
from saihan.referral.case import Urgency
from saihan.referral.conditions import (
    CASE_FIELDS,
    SERVICE_FIELDS,
    TRUE,
    Condition,
    InvalidCondition,
    Predicate,
    codes_of,
    compile_condition,
    condition_problems,
    known_codes,
)
from saihan.text import LocalizedText

__all__ = [
    "CompiledRule",
    "Effect",
    "Rule",
    "RuleSet",
    "Source",
    "default_rules",
    "load_rules",
    "rules_from_data",
]

DEFAULT_WEIGHT = 5


class Effect(enum.StrEnum):
    """What a rule does when it applies."""

    REQUIRE = "require"
    EXCLUDE = "exclude"
    PREFER = "prefer"
    DEMOTE = "demote"
    FIRST = "first"
    ADD_NEED = "add_need"

    @property
    def targets_services(self) -> bool:
        return self is not Effect.ADD_NEED


@attrs.frozen
class Source:
    """Where a rule comes from: a plan, a guidebook page, a council decision."""

    document: str = attrs.field(metadata={"doc": "Title of the source document."})
    section: str | None = attrs.field(default=None, metadata={"doc": "Chapter or section."})
    page: int | None = attrs.field(
        default=None, metadata={"schema": {"minimum": 1}, "doc": "Page number."}
    )
    url: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": r"^https?://\S+$"}, "doc": "Where to read it."},
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.non_blank("document", self.document)
        check.non_blank_optional("section", self.section)
        check.done()


def _scope_problem(code: str) -> str | None:
    return None if code in known_codes()[0] else f"unknown need {code!r}"


@attrs.frozen
class Rule:
    """One referral rule (see the module documentation for the effects)."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Rule id."})
    description: LocalizedText = attrs.field(
        metadata={"doc": "What the rule does and why, in Japanese and English."}
    )
    source: Source = attrs.field(metadata={"doc": "The document the rule comes from."})
    valid_from: dt.date = attrs.field(metadata={"doc": "First day the rule applies."})
    effect: Effect = attrs.field(metadata={"doc": "What the rule does."})
    when: Condition = attrs.field(
        default=TRUE, metadata={"doc": "Condition on case fields; always when left out."}
    )
    target: Condition | None = attrs.field(
        default=None,
        metadata={"doc": "Condition on service fields: the services the effect is about."},
    )
    need: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "For add_need: the need added."},
    )
    urgency: Urgency = attrs.field(
        default=Urgency.NORMAL, metadata={"doc": "For add_need: how urgent the added need is."}
    )
    for_needs: frozenset[str] = attrs.field(
        factory=frozenset,
        metadata={
            "schema": {"items": {"pattern": ID_PATTERN}},
            "doc": "Only for recommendations for these needs (and sub-needs); empty: all.",
        },
    )
    weight: int = attrs.field(
        default=DEFAULT_WEIGHT,
        metadata={"schema": {"minimum": 1, "maximum": 100}, "doc": "For prefer and demote."},
    )
    valid_to: dt.date | None = attrs.field(
        default=None, metadata={"doc": "Last day the rule applies; null for no end."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        if self.valid_to is not None and self.valid_to < self.valid_from:
            check.add(
                "valid_to",
                f"the rule ends on {self.valid_to}, before it starts on {self.valid_from}",
            )
        for name, condition in (("when", self.when), ("target", self.target)):
            if isinstance(condition, InvalidCondition):
                check.extend(name, condition.problems)
        for name in sorted(self.when.fields() - {"age"} - set(CASE_FIELDS)):
            check.add("when", f"{name} is a service field: test services in 'target'")
        if self.effect.targets_services:
            if self.target is None:
                check.add("target", f"a {self.effect.value} rule needs a target")
            else:
                for name in sorted(self.target.fields() - set(SERVICE_FIELDS)):
                    check.add("target", f"{name} is not a service field: test the case in 'when'")
            if self.need is not None:
                check.add("need", f"only add_need rules name a need, not {self.effect.value}")
        else:
            if self.target is not None:
                check.add("target", "an add_need rule has no target")
            if self.need is None:
                check.add("need", "an add_need rule names the need it adds")
            elif self.need not in known_codes()[0]:
                check.add("need", f"unknown need {self.need!r}")
        check.each("for_needs", self.for_needs, _scope_problem)
        needs, kinds = known_codes()
        check.extend("when", condition_problems(self.when, needs=needs, kinds=kinds))
        if self.target is not None:
            check.extend("target", condition_problems(self.target, needs=needs, kinds=kinds))
        check.done()

    def applies_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@attrs.frozen
class RuleSet:
    """A named, versioned list of rules; later rules see needs earlier ones added."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Rule set id."})
    version: str = attrs.field(
        metadata={"schema": {"minLength": 1}, "doc": "Version, stored with every plan."}
    )
    description: LocalizedText = attrs.field(metadata={"doc": "What the rule set is for."})
    rules: tuple[Rule, ...] = attrs.field(default=(), metadata={"doc": "The rules, in order."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.non_blank("version", self.version)
        versions: dict[str, list[tuple[int, Rule]]] = {}
        for index, rule in enumerate(self.rules):
            versions.setdefault(rule.id, []).append((index, rule))
        for rule_id, listed in versions.items():
            ordered = sorted(listed, key=lambda pair: pair[1].valid_from)
            for (_, earlier), (index, later) in itertools.pairwise(ordered):
                if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                    check.add(
                        f"rules[{index}].valid_from",
                        f"rule {rule_id!r}: this version starts {later.valid_from}, while the "
                        f"version from {earlier.valid_from} still applies "
                        f"(until {earlier.valid_to or 'no end'})",
                    )
        check.done()

    def active(self, day: dt.date) -> tuple[Rule, ...]:
        """The rules that apply on ``day``, in order."""
        return tuple(rule for rule in self.rules if rule.applies_on(day))

    def rule(self, rule_id: str, day: dt.date | None = None) -> Rule:
        """The rule with ``rule_id`` (the version in force on ``day`` when given)."""
        from saihan.errors import NotFoundError

        for rule in self.rules:
            if rule.id == rule_id and (day is None or rule.applies_on(day)):
                return rule
        raise NotFoundError(f"no rule {rule_id!r} in rule set {self.id!r}")

    def check_codes(self, *, needs: Iterable[str], kinds: Iterable[str]) -> None:
        """Refuse need and agency-kind codes a directory does not know.

        The bundled codes are checked at load; call this (``match`` does)
        with a directory's own taxonomy and kinds when it extends them.
        """
        known_needs, known_kinds = frozenset(needs), frozenset(kinds)
        problems: list[ErrorItem] = []
        for index, rule in enumerate(self.rules):
            where = f"rules[{index}]"
            found = [
                *(
                    i.under("when")
                    for i in condition_problems(rule.when, needs=known_needs, kinds=known_kinds)
                ),
            ]
            if rule.target is not None:
                found += [
                    i.under("target")
                    for i in condition_problems(rule.target, needs=known_needs, kinds=known_kinds)
                ]
            problems += [_with_rule_id(item.under(where), rule.id) for item in found]
        if problems:
            raise ValidationError(problems)

    @functools.cached_property
    def compiled(self) -> tuple[CompiledRule, ...]:
        """Every rule with its conditions compiled to predicates (built once)."""
        return tuple(CompiledRule.of(rule) for rule in self.rules)


@attrs.frozen(eq=False)
class CompiledRule:
    """A rule with its ``when`` and ``target`` turned into predicates."""

    rule: Rule
    when: Predicate
    target: Predicate
    # What plans call it when it is not a rule of the rule set: a support flow's connect
    # action is run as a rule, and named ``flow:<flow>/<node>`` in reasons.
    label: str | None = None

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def id(self) -> str:
        """The id plans show: the rule's, or the label of a flow's action."""
        return self.label if self.label is not None else self.rule.id

    @classmethod
    def of(cls, rule: Rule, *, label: str | None = None) -> CompiledRule:
        target = compile_condition(rule.target) if rule.target is not None else _always
        return cls(rule, compile_condition(rule.when), target, label)


def _always(case: Any, service: Any) -> bool:
    return True


def _with_rule_id(item: ErrorItem, rule_id: str) -> ErrorItem:
    return ErrorItem(item.path, f"rule {rule_id!r}: {item.message}")


def _rule_ids(data: Any) -> dict[int, str]:
    """Rule ids by position, as far as the raw data has them (for error messages)."""
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        return {}
    return {
        index: rule["id"]
        for index, rule in enumerate(rules)
        if isinstance(rule, dict) and isinstance(rule.get("id"), str)
    }


def rules_from_data(data: Any, *, directory: Directory | None = None) -> RuleSet:
    """Build a :class:`RuleSet` from parsed JSON or YAML, validating it completely.

    Every error names its path (``rules[3].when.any[0].field``) and, for
    errors inside a rule, the rule's id.  Need and agency-kind codes must be
    bundled ones, or with ``directory`` that directory's (its own needs and
    kinds added to the bundled ones).
    """
    from saihan.serialization import structure

    try:
        with directory_codes(directory):
            return structure(_plain(data), RuleSet)
    except ValidationError as error:
        ids = _rule_ids(data)
        items = []
        for item in error.errors:
            index = _rule_index(item.path)
            if index is not None and index in ids:
                item = _with_rule_id(item, ids[index])
            items.append(item)
        raise ValidationError(items) from None


def _rule_index(path: str) -> int | None:
    if not path.startswith("rules["):
        return None
    number = path[len("rules[") : path.find("]")]
    return int(number) if number.isdigit() else None


def _plain(data: Any) -> Any:
    """YAML gives dates as ``date`` objects; the schema expects ISO strings."""
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(value) for value in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def directory_codes(directory: Directory | None) -> contextlib.AbstractContextManager[object]:
    """While loading rules or flows: the need and agency-kind codes conditions may
    name are ``directory``'s (its own added to the bundled ones); the bundled ones
    when it is None.  Raises ValidationError (``directory``) for anything else."""
    if directory is None:
        return contextlib.nullcontext()
    if not isinstance(directory, Directory):
        raise ValidationError(
            f"expected a Directory, got {type(directory).__name__}", path="directory"
        )
    return codes_of((need.code for need in directory.taxonomy), directory.kinds)


def load_rules(
    source: str | Path | bytes,
    *,
    directory: Directory | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RuleSet:
    """Load a rule set from a YAML or JSON file (a path) or text.

    YAML is a superset of JSON, so one parser reads both.  Raises
    :class:`ValidationError` for unreadable files, bad YAML, a document
    outside ``limits`` (see docs/limits.md) and every problem in the rules.
    Pass ``directory`` when the rules name that directory's own needs or
    agency kinds.
    """
    return rules_from_data(read_document(source, limits=limits), directory=directory)


def read_document(source: str | Path | bytes, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse a YAML or JSON file (a path) or text, as rule and flow files are read.

    Raises :class:`ValidationError` for unreadable files, bad YAML and
    documents outside ``limits`` (:func:`saihan.limits.parse_yaml`: aliases
    counted, nesting bounded, impossible dates and huge integers refused).
    """
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and not source.lstrip().startswith("{")
    ):
        text: str | bytes = read_file(source, limits=limits)
    elif isinstance(source, str | bytes):
        text = source
    else:
        raise ValidationError(
            f"expected a path, YAML or JSON text or bytes, got {type(source).__name__}",
            path="source",
        )
    return parse_yaml(text, limits=limits)


@functools.cache
def default_rules() -> RuleSet:
    """Tokyo's default rule set, from the Second Recidivism Prevention Promotion Plan.

    Each rule cites the priority area of the plan it serves; see
    ``docs/referral.md`` for the list.
    """
    return _bundled_rule_set(_bundled_rules_text())


def _bundled_rules_text() -> bytes:
    return resources.files("saihan.referral").joinpath("data/tokyo_rules.yaml").read_bytes()


def _bundled_rule_set(text: bytes) -> RuleSet:
    """The bundled rules, read once per process and not checked against the schema again.

    The file ships with saihan and the tests check it completely (schema, limits and
    the models, ``tests/referral/test_rules.py``), so a start reads it with libyaml's
    safe loader where PyYAML has one, and builds the rules straight from the data;
    the models' own checks still run as the rules are made.
    """
    import yaml

    from saihan.serialization.converter import converter

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return converter.structure(_plain(yaml.load(text, Loader=loader)), RuleSet)


def rule_set_json(rule_set: RuleSet) -> str:
    """A rule set as JSON text (the form ``load_rules`` reads back)."""
    from saihan.serialization import unstructure

    return json.dumps(unstructure(rule_set), ensure_ascii=False, indent=2)
