"""The condition language of referral rules: data in, fast predicates out.

A condition is a small JSON/YAML tree::

    {"all": [c, ...]}   {"any": [c, ...]}   {"not": c}
    {"field": "case.legal_situation", "in": ["on_parole", "on_probation"]}
    {"field": "case.attributes", "has": "elderly"}
    {"field": "case.days_since_release", "le": 365}
    {"age": {"ge": 65}}                      age on the day of the match
    {"age": {"lt": 20, "on": "2025-04-01"}}  age on a given date

Fields are a closed list (:data:`CASE_FIELDS`, :data:`SERVICE_FIELDS`) so that
a typo is an error at load time, not a rule that silently never fires.  Need
sets (``case.needs``, ``service.needs``) hold every ancestor of each need too:
``{"field": "case.needs", "has": "housing"}`` holds for ``housing.emergency``.

An age test holds only when every age the subject can have satisfies it; with
no age at all it is false (so ``{"not": {"age": {"lt": 20}}}`` holds then).

:func:`compile_condition` turns a tree into a closure once; :func:`evaluate`
walks the tree on every call and is kept as the reference the compiled form
is tested against.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs

from saihan._validation import ID_PATTERN, types_only
from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.municipalities import code_problem
from saihan.directory.service import AreaKind
from saihan.directory.taxonomy import default_taxonomy
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    Cost,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
)
from saihan.errors import ErrorItem, ValidationError

__all__ = [
    "CASE_FIELDS",
    "SERVICE_FIELDS",
    "TRUE",
    "AgeTest",
    "AllOf",
    "AnyOf",
    "Condition",
    "FieldSpec",
    "FieldTest",
    "Not",
    "compile_condition",
    "condition_problems",
    "evaluate",
    "parse_condition",
]

Facts = Mapping[str, Any]
Predicate = Callable[[Facts, Facts], bool]

COMPARISONS = ("lt", "le", "gt", "ge")
SCALAR_OPS = ("equals", "in", "exists")
SET_OPS = ("has", "has_any", "has_all", "exists")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


class ValueKind(enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"


@attrs.frozen
class FieldSpec:
    """A field rules may test: its shape, its vocabulary, and what it means."""

    name: str
    doc: str
    is_set: bool = False
    kind: ValueKind = ValueKind.TEXT
    vocabulary: Callable[[], frozenset[str]] | None = None  # allowed values, when closed
    check: Callable[[str], str | None] | None = None  # per-value check (codes)

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def ops(self) -> tuple[str, ...]:
        if self.is_set:
            return SET_OPS
        if self.kind is ValueKind.INTEGER:
            return (*SCALAR_OPS, *COMPARISONS)
        if self.kind is ValueKind.BOOLEAN:
            return ("equals", "exists")
        return SCALAR_OPS


def _values(cls: type[enum.StrEnum]) -> Callable[[], frozenset[str]]:
    return lambda: frozenset(member.value for member in cls)


# The need and agency-kind codes rules may name: the bundled ones, or a directory's own
# (see :func:`codes_of`) while a rule file written for that directory is loaded.
_KNOWN_CODES: ContextVar[tuple[frozenset[str], frozenset[str]] | None] = ContextVar(
    "saihan_known_codes", default=None
)


@functools.cache
def _bundled_codes() -> tuple[frozenset[str], frozenset[str]]:
    return (
        frozenset(need.code for need in default_taxonomy()),
        frozenset(kind.code for kind in default_agency_kinds()),
    )


def known_codes() -> tuple[frozenset[str], frozenset[str]]:
    """(need codes, agency-kind codes) that rules being loaded may name."""
    return _KNOWN_CODES.get() or _bundled_codes()


@contextmanager
def codes_of(needs: Iterable[str], kinds: Iterable[str]) -> Iterator[None]:
    """Within this block, rules may name these needs and kinds (a directory's own)."""
    token = _KNOWN_CODES.set((frozenset(needs), frozenset(kinds)))
    try:
        yield
    finally:
        _KNOWN_CODES.reset(token)


def _need_problem(code: str) -> str | None:
    return None if code in known_codes()[0] else f"unknown need {code!r}"


def _kind_problem(code: str) -> str | None:
    return None if code in known_codes()[1] else f"unknown agency kind {code!r}"


def _id_problem(value: str) -> str | None:
    import re

    return None if re.fullmatch(ID_PATTERN, value) else f"{value!r} is not a valid id"


def _fields(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in specs}


CASE_FIELDS = _fields(
    FieldSpec("case.consulter", "Who consulted.", vocabulary=_values(Audience)),
    FieldSpec("case.received_via", "How the case came in.", vocabulary=_values(Channel)),
    FieldSpec(
        "case.legal_situation", "The subject's legal situation.", vocabulary=_values(LegalSituation)
    ),
    FieldSpec(
        "case.juvenile_stage",
        "For a juvenile case: the procedure stage.",
        vocabulary=_values(JuvenileStage),
    ),
    FieldSpec(
        "case.attributes",
        "The subject's attributes, with those derived from the case (elderly from the age, "
        "specified_juvenile).",
        True,
        vocabulary=_values(PersonAttribute),
    ),
    FieldSpec(
        "case.suspected_attributes",
        "Attributes suspected but not diagnosed or certified.",
        True,
        vocabulary=_values(PersonAttribute),
    ),
    FieldSpec("case.residence", "Municipality code of residence.", check=code_problem),
    FieldSpec(
        "case.preferred_municipality",
        "Municipality code of where the person wants to live or be supported.",
        check=code_problem,
    ),
    FieldSpec("case.municipality", "Code of the municipality handling it.", check=code_problem),
    FieldSpec("case.needs", "Needs raised or added, with ancestors.", True, check=_need_problem),
    FieldSpec(
        "case.urgent_needs",
        "Needs raised as urgent, with ancestors.",
        True,
        check=_need_problem,
    ),
    FieldSpec(
        "case.preferred_channels", "Channels the person can use.", True, vocabulary=_values(Channel)
    ),
    FieldSpec("case.languages", "Languages the person can use.", True),
    FieldSpec(
        "case.days_since_release",
        "Days from release to the person's day of the match (null before release).",
        kind=ValueKind.INTEGER,
    ),
    FieldSpec(
        "case.days_until_release",
        "Days from the person's day of the match to the expected release (null after it).",
        kind=ValueKind.INTEGER,
    ),
)

SERVICE_FIELDS = _fields(
    FieldSpec("service.id", "The service id.", check=_id_problem),
    FieldSpec("service.agency_id", "The id of its agency.", check=_id_problem),
    FieldSpec("service.agency_kind", "Its agency's kind.", check=_kind_problem),
    FieldSpec("service.needs", "Needs it meets, with ancestors.", True, check=_need_problem),
    FieldSpec("service.audiences", "Who may consult it.", True, vocabulary=_values(Audience)),
    FieldSpec("service.channels", "How it can be reached.", True, vocabulary=_values(Channel)),
    FieldSpec("service.languages", "Languages it works in.", True),
    FieldSpec("service.cost", "What it costs.", vocabulary=_values(Cost)),
    FieldSpec("service.area", "How wide its area is.", vocabulary=_values(AreaKind)),
    FieldSpec(
        "service.local",
        "True when its area is a list of municipalities including the residence.",
        kind=ValueKind.BOOLEAN,
    ),
)

ALL_FIELDS = {**CASE_FIELDS, **SERVICE_FIELDS}


class Condition:
    """Base of the condition tree; build trees with :func:`parse_condition`."""

    def fields(self) -> frozenset[str]:
        """Every field the condition reads (``age`` for age tests)."""
        raise NotImplementedError

    def to_data(self) -> Any:
        """The JSON-ready form, as a rule file writes it."""
        raise NotImplementedError

    @classmethod
    def __json_schema__(cls) -> dict[str, Any]:
        return condition_schema()


@attrs.frozen
class AllOf(Condition):
    items: tuple[Condition, ...]

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))

    def to_data(self) -> Any:
        return {"all": [item.to_data() for item in self.items]}


@attrs.frozen
class AnyOf(Condition):
    items: tuple[Condition, ...]

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))

    def to_data(self) -> Any:
        return {"any": [item.to_data() for item in self.items]}


@attrs.frozen
class Not(Condition):
    item: Condition

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def fields(self) -> frozenset[str]:
        return self.item.fields()

    def to_data(self) -> Any:
        return {"not": self.item.to_data()}


@attrs.frozen
class FieldTest(Condition):
    """``field <op> value``; for ``exists`` the value is true or false."""

    field: str
    op: str
    value: Any  # str, int, bool or frozenset[str] for ``in`` / ``has_any`` / ``has_all``

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def to_data(self) -> Any:
        value = sorted(self.value) if isinstance(self.value, frozenset) else self.value
        return {"field": self.field, self.op: value}


@attrs.frozen
class AgeTest(Condition):
    """The subject's age compared with a number, on the day of the match or on ``on``."""

    op: str
    value: int
    on: dt.date | None = None

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def fields(self) -> frozenset[str]:
        return frozenset({"age"})

    def to_data(self) -> Any:
        data: dict[str, Any] = {self.op: self.value}
        if self.on is not None:
            data["on"] = self.on.isoformat()
        return {"age": data}


TRUE: Condition = AllOf(())


@attrs.frozen
class InvalidCondition(Condition):
    """What the converter builds from a condition it cannot parse.

    It carries the problems so that the rule holding it reports them
    together with its own (dates, effect and target), rather than the first
    bad condition hiding every other mistake in the rule.
    """

    problems: tuple[ErrorItem, ...]

    def fields(self) -> frozenset[str]:
        return frozenset()

    def to_data(self) -> Any:
        raise ValidationError(list(self.problems))


# -- parsing ---------------------------------------------------------------------------


def parse_condition(data: Any, *, allowed: Mapping[str, FieldSpec] | None = None) -> Condition:
    """Build a condition tree from its JSON-ready form.

    ``allowed`` limits the fields it may read (only case fields in ``when``,
    only service fields in ``target``).  Raises :class:`ValidationError`
    naming every problem with its path inside the condition.
    """
    problems: list[ErrorItem] = []
    condition = _parse(data, "", ALL_FIELDS if allowed is None else allowed, problems)
    if problems:
        raise ValidationError(problems)
    return condition


def _parse(
    data: Any, path: str, allowed: Mapping[str, FieldSpec], problems: list[ErrorItem]
) -> Condition:
    def fail(where: str, message: str) -> Condition:
        problems.append(ErrorItem(where, message))
        return TRUE

    if not isinstance(data, dict):
        return fail(path, f"a condition is an object, not {type(data).__name__}")
    keys = set(data)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if combinator in keys:
            if keys != {combinator}:
                return fail(
                    path, f"'{combinator}' stands alone; found also {sorted(keys - {combinator})}"
                )
            items = data[combinator]
            if not isinstance(items, list):
                return fail(_join(path, combinator), "expected a list of conditions")
            return cls(
                tuple(
                    _parse(item, f"{_join(path, combinator)}[{index}]", allowed, problems)
                    for index, item in enumerate(items)
                )
            )
    if "not" in keys:
        if keys != {"not"}:
            return fail(path, f"'not' stands alone; found also {sorted(keys - {'not'})}")
        return Not(_parse(data["not"], _join(path, "not"), allowed, problems))
    if "age" in keys:
        if keys != {"age"}:
            return fail(path, f"'age' stands alone; found also {sorted(keys - {'age'})}")
        if not any(spec.name.startswith("case.") for spec in allowed.values()):
            return fail(_join(path, "age"), "age tests belong in 'when', not here")
        return _parse_age(data["age"], _join(path, "age"), problems)
    if "field" in keys:
        return _parse_field_test(data, path, allowed, problems)
    return fail(path, "expected one of 'all', 'any', 'not', 'age' or 'field'")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _parse_age(data: Any, path: str, problems: list[ErrorItem]) -> Condition:
    if not isinstance(data, dict):
        problems.append(ErrorItem(path, 'expected an object like {"ge": 65}'))
        return TRUE
    ops = [key for key in data if key in COMPARISONS or key == "equals"]
    unknown = sorted(set(data) - {*COMPARISONS, "equals", "on"})
    if unknown:
        problems.append(ErrorItem(path, f"unknown keys {unknown}; use lt, le, gt, ge, equals, on"))
        return TRUE
    if len(ops) != 1:
        problems.append(ErrorItem(path, "give exactly one of lt, le, gt, ge, equals"))
        return TRUE
    op = ops[0]
    value = data[op]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
        problems.append(
            ErrorItem(_join(path, op), f"an age is a whole number 0-130, not {value!r}")
        )
        return TRUE
    on = None
    if "on" in data:
        raw = data["on"]
        try:
            on = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(raw)
        except (TypeError, ValueError):
            problems.append(ErrorItem(_join(path, "on"), f"{raw!r} is not a date YYYY-MM-DD"))
            return TRUE
    return AgeTest(op, value, on)


def _parse_field_test(
    data: dict[str, Any], path: str, allowed: Mapping[str, FieldSpec], problems: list[ErrorItem]
) -> Condition:
    name = data["field"]
    if not isinstance(name, str) or name not in ALL_FIELDS:
        problems.append(ErrorItem(_join(path, "field"), f"unknown field {name!r}"))
        return TRUE
    if name not in allowed:
        side = "'target' (service fields)" if name.startswith("case.") else "'when' (case fields)"
        problems.append(ErrorItem(_join(path, "field"), f"{name} cannot be tested in {side}"))
        return TRUE
    spec = ALL_FIELDS[name]
    ops = [key for key in data if key != "field"]
    if len(ops) != 1 or ops[0] not in spec.ops:
        problems.append(
            ErrorItem(path, f"{name} takes exactly one of {', '.join(spec.ops)}; got {ops}")
        )
        return TRUE
    op = ops[0]
    value = data[op]
    where = _join(path, op)
    if op == "exists":
        if not isinstance(value, bool):
            problems.append(ErrorItem(where, "exists takes true or false"))
            return TRUE
        return FieldTest(name, op, value)
    many = op in ("in", "has_any", "has_all")
    if many:
        if not isinstance(value, list) or not value:
            problems.append(ErrorItem(where, f"{op} takes a non-empty list"))
            return TRUE
        items = value
    else:
        items = [value]
    before = len(problems)
    for index, item in enumerate(items):
        _check_value(spec, item, f"{where}[{index}]" if many else where, problems)
    if len(problems) > before:
        return TRUE
    return FieldTest(name, op, frozenset(items) if many else value)


def _check_value(spec: FieldSpec, value: Any, path: str, problems: list[ErrorItem]) -> None:
    if spec.kind is ValueKind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(ErrorItem(path, f"{spec.name} is a whole number, not {value!r}"))
        return
    if spec.kind is ValueKind.BOOLEAN:
        if not isinstance(value, bool):
            problems.append(ErrorItem(path, f"{spec.name} is true or false, not {value!r}"))
        return
    if not isinstance(value, str):
        problems.append(ErrorItem(path, f"{spec.name} holds text, not {value!r}"))
        return
    if spec.vocabulary is not None and value not in spec.vocabulary():
        choices = ", ".join(sorted(spec.vocabulary()))
        problems.append(ErrorItem(path, f"{value!r} is not one of {choices}"))
    elif spec.check is not None:
        problem = spec.check(value)
        if problem is not None:
            problems.append(ErrorItem(path, problem))


def condition_problems(
    condition: Condition, *, needs: frozenset[str], kinds: frozenset[str]
) -> list[ErrorItem]:
    """Need and agency-kind codes in ``condition`` that a directory does not know.

    Load-time checks use the bundled taxonomy and kinds; a directory that
    extends them is checked again with its own before matching.
    """
    found: list[ErrorItem] = []
    for test, path in _field_tests(condition, ""):
        known = {
            "case.needs": needs,
            "case.urgent_needs": needs,
            "service.needs": needs,
            "service.agency_kind": kinds,
        }.get(test.field)
        if known is None or test.op == "exists":
            continue
        values = sorted(test.value) if isinstance(test.value, frozenset) else [test.value]
        for value in values:
            if value not in known:
                found.append(ErrorItem(path, f"{test.field}: unknown code {value!r}"))
    return found


def _field_tests(condition: Condition, path: str) -> Iterator[tuple[FieldTest, str]]:
    if isinstance(condition, FieldTest):
        yield condition, path
    elif isinstance(condition, AllOf | AnyOf):
        name = "all" if isinstance(condition, AllOf) else "any"
        for index, item in enumerate(condition.items):
            yield from _field_tests(item, f"{_join(path, name)}[{index}]")
    elif isinstance(condition, Not):
        yield from _field_tests(condition.item, _join(path, "not"))


# -- evaluation ------------------------------------------------------------------------


def _age_holds(test: AgeTest, case: Facts) -> bool:
    bounds = case["age"](test.on)
    if bounds is None:
        return False
    low, high = bounds
    if test.op == "equals":
        return bool(low == high == test.value)
    compare = _COMPARE[test.op]
    return bool(compare(low, test.value) and compare(high, test.value))


def _field_holds(test: FieldTest, value: Any) -> bool:
    op = test.op
    if op == "exists":
        present = value is not None and value != frozenset()
        return present is test.value
    if value is None:
        return False
    if op == "equals":
        return bool(value == test.value)
    if op == "in":
        return value in test.value
    if op == "has":
        return test.value in value
    if op == "has_any":
        return not value.isdisjoint(test.value)
    if op == "has_all":
        return bool(test.value <= value)
    return bool(_COMPARE[op](value, test.value))


def evaluate(condition: Condition, case: Facts, service: Facts) -> bool:
    """Walk the tree: the slow, obviously-correct reference for compiled predicates.

    ``case`` and ``service`` map field names to values (``age`` to a function
    from a date or None to the age bounds).
    """
    if isinstance(condition, AllOf):
        return all(evaluate(item, case, service) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(evaluate(item, case, service) for item in condition.items)
    if isinstance(condition, Not):
        return not evaluate(condition.item, case, service)
    if isinstance(condition, AgeTest):
        return _age_holds(condition, case)
    if isinstance(condition, FieldTest):
        facts = case if condition.field.startswith("case.") else service
        return _field_holds(condition, facts[condition.field])
    raise TypeError(f"not a condition: {condition!r}")


def compile_condition(condition: Condition) -> Predicate:
    """A closure equal to ``evaluate(condition, ...)``, built once.

    The tree is walked here rather than on every call, and each test binds
    its field name and operator so that a call is a few dictionary lookups.
    """
    if isinstance(condition, AllOf):
        parts = tuple(compile_condition(item) for item in condition.items)
        if not parts:
            return lambda case, service: True
        if len(parts) == 1:
            return parts[0]
        return lambda case, service: all(part(case, service) for part in parts)
    if isinstance(condition, AnyOf):
        parts = tuple(compile_condition(item) for item in condition.items)
        return lambda case, service: any(part(case, service) for part in parts)
    if isinstance(condition, Not):
        inner = compile_condition(condition.item)
        return lambda case, service: not inner(case, service)
    if isinstance(condition, AgeTest):
        test = condition
        return lambda case, service: _age_holds(test, case)
    if isinstance(condition, FieldTest):
        return _compile_field_test(condition)
    raise TypeError(f"not a condition: {condition!r}")


def _compile_field_test(test: FieldTest) -> Predicate:
    name, op, expected = test.field, test.op, test.value
    on_case = name.startswith("case.")
    if op == "has":
        if on_case:
            return lambda case, service: expected in (case[name] or ())
        return lambda case, service: expected in (service[name] or ())
    if op == "in":
        if on_case:
            return lambda case, service: case[name] in expected
        return lambda case, service: service[name] in expected
    if op == "equals":
        if on_case:
            return lambda case, service: case[name] == expected
        return lambda case, service: service[name] == expected
    if on_case:
        return lambda case, service: _field_holds(test, case[name])
    return lambda case, service: _field_holds(test, service[name])


# -- JSON Schema -----------------------------------------------------------------------


def condition_schema() -> dict[str, Any]:
    """The JSON Schema of a condition (recursive through ``#/$defs/Condition``)."""
    ref = {"$ref": "#/$defs/Condition"}
    value = {"type": ["string", "integer", "boolean"]}
    listed = {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}}
    field_test = {
        "type": "object",
        "properties": {
            "field": {"type": "string", "enum": sorted(ALL_FIELDS)},
            "equals": value,
            "in": listed,
            "has": {"type": "string"},
            "has_any": listed,
            "has_all": listed,
            "exists": {"type": "boolean"},
            **{op: {"type": "integer"} for op in COMPARISONS},
        },
        "required": ["field"],
        "minProperties": 2,
        "maxProperties": 2,
        "additionalProperties": False,
    }
    age = {
        "type": "object",
        "properties": {
            **{op: {"type": "integer", "minimum": 0, "maximum": 130} for op in COMPARISONS},
            "equals": {"type": "integer", "minimum": 0, "maximum": 130},
            "on": {"type": "string", "format": "date"},
        },
        "additionalProperties": False,
    }
    return {
        "description": "A test on the case (in 'when') or on a service (in 'target').",
        "oneOf": [
            {
                "type": "object",
                "properties": {"all": {"type": "array", "items": ref}},
                "required": ["all"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"any": {"type": "array", "items": ref}},
                "required": ["any"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"not": ref},
                "required": ["not"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"age": age},
                "required": ["age"],
                "additionalProperties": False,
            },
            field_test,
        ],
    }


def _structure(data: Any) -> Condition:
    try:
        return parse_condition(data)
    except ValidationError as error:
        return InvalidCondition(tuple(error.errors))


def _register_with_converter() -> None:
    """Conditions are (un)structured by saihan's one converter, like every model."""
    from saihan.serialization.converter import converter

    converter.register_structure_hook(Condition, lambda data, _: _structure(data))
    converter.register_unstructure_hook(Condition, lambda condition: condition.to_data())


_register_with_converter()
