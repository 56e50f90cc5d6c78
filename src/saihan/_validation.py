"""Collecting every problem in a value before raising, with field paths.

Model classes check themselves in ``__attrs_post_init__`` with a
:class:`Checker`, which gathers every problem and raises one
:class:`~saihan.errors.ValidationError` at the end, so that a caller sees all
that is wrong with an object at once rather than the first thing.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from saihan.errors import ErrorItem, ValidationError, join_path

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
ID_RE = re.compile(ID_PATTERN)
"""The id pattern, compiled (``ID_RE.fullmatch(value)``)."""
_ID_RE = ID_RE


class Checker:
    """Gathers :class:`ErrorItem` objects; :meth:`done` raises if there are any."""

    def __init__(self) -> None:
        self.errors: list[ErrorItem] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(ErrorItem(path, message))

    def extend(self, prefix: str | int, errors: Iterable[ErrorItem]) -> None:
        self.errors.extend(item.under(prefix) for item in errors)

    def require(self, condition: bool, path: str, message: str) -> None:
        if not condition:
            self.add(path, message)

    def non_blank(self, path: str, value: str) -> None:
        if not value.strip():
            self.add(path, "must not be empty or blank")

    def non_blank_optional(self, path: str, value: str | None) -> None:
        if value is not None and not value.strip():
            self.add(path, "must not be empty or blank (leave it out instead)")

    def identifier(self, path: str, value: str) -> None:
        if not _ID_RE.fullmatch(value):
            self.add(
                path,
                f"{value!r} is not a valid id: use 1-128 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit",
            )

    def each(self, path: str, values: Iterable[str], check: Callable[[str], str | None]) -> None:
        """Run ``check`` on each value; it returns an error message or None."""
        for index, value in enumerate(sorted(values) if isinstance(values, frozenset) else values):
            message = check(value)
            if message is not None:
                self.add(f"{path}[{index}]", message)

    def done(self) -> None:
        if self.errors:
            # A type problem and a model's own check may say the same thing once each.
            raise ValidationError(list(dict.fromkeys(self.errors)))


# -- typed construction ----------------------------------------------------------
#
# Every public model's ``__attrs_post_init__`` is decorated with :func:`checked`.
# Before the model's own checks run, each init field is checked against its
# annotation: vocabulary strings become enum members, lists and sets become the
# tuples and frozensets the model holds, and a value of the wrong type is
# reported with its path and what is allowed.  This is the one way models are
# typed, however they are built (Python, cattrs from JSON or YAML, a store).

M = TypeVar("M")

# A field check returns None when the value is right as it is (the fast path, taken
# by nearly every construction), else the value converted (or unchanged) and the
# problems found, as (path relative to the field, message) pairs.
_Problems = list[tuple[str, str]]
_Result = tuple[Any, _Problems] | None
_FieldCheck = Callable[[Any], _Result]

_SWALLOWED = (TypeError, AttributeError, ValueError, KeyError, IndexError)
UTC_OFFSET_MESSAGE = "give the UTC offset (for Tokyo, +09:00)"


_TYPED_ALREADY: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "saihan_typed_already", default=False
)


@contextlib.contextmanager
def typed_already() -> Iterator[None]:
    """Within this block, models skip :func:`check_fields` (their own checks still run).

    Only for the converter's fast path: what it builds was accepted by the model's JSON
    Schema and made by hooks that give every field the type it declares, so checking the
    types again would only repeat the schema.  Per thread and per task (a context
    variable), so models built elsewhere meanwhile are checked as always.
    """
    token = _TYPED_ALREADY.set(True)
    try:
        yield
    finally:
        _TYPED_ALREADY.reset(token)


def checked(method: Callable[[M, Checker], None]) -> Callable[[M], None]:
    """Decorate a model's ``__attrs_post_init__(self, check)``.

    The fields are converted and type-checked first (see :func:`check_fields`),
    then ``method`` adds the model's own checks to ``check``, and every problem
    is raised at once.  A model's own checks may trip over a value of the
    wrong type; when a type problem was already found that explains it, the
    crash is dropped and the type problems are reported instead.
    """

    @functools.wraps(method)
    def post_init(self: M) -> None:
        check = Checker()
        if not _TYPED_ALREADY.get():
            check_fields(self, check)
        typed = not check.errors
        try:
            method(self, check)
        except ValidationError as error:
            if typed:
                raise
            check.errors.extend(item for item in error.errors if item not in check.errors)
        except _SWALLOWED:
            if typed:
                raise
        check.done()

    return post_init


def _no_own_checks(self: Any, check: Checker) -> None:
    """A model whose fields' types are all there is to check adds nothing of its own."""


types_only = checked(_no_own_checks)
"""The ``__attrs_post_init__`` of a model with no checks beyond its fields' types:
``__attrs_post_init__ = types_only`` in the class body."""


def check_fields(obj: Any, check: Checker) -> None:
    """Convert ``obj``'s fields to the types it declares, reporting what cannot be.

    Enum fields take a member or its exact value; ``frozenset[...]`` fields take
    any set, list or tuple, ``tuple[...]`` fields a tuple or list, each member
    checked in turn; datetimes must carry a UTC offset; ``int`` is not ``bool``;
    ``str`` must be valid Unicode (no lone surrogates).  Converted values are
    stored back on the (frozen) object, as attrs itself does in ``__init__``.
    """
    for name, exact, field_check in _field_checks(type(obj)):
        value = getattr(obj, name)
        if type(value) in exact:
            continue  # a value of one of these types is right whatever it is
        result = field_check(value)
        if result is None:
            continue
        converted, problems = result
        for path, message in problems:
            check.add(join_path(name, path), message)
        if not problems:
            object.__setattr__(obj, name, converted)


def vocabulary_problem(value: object, cls: type[enum.Enum]) -> str:
    """The message for ``value`` that is not one of ``cls``'s values."""
    allowed = ", ".join(repr(member.value) for member in cls)
    if isinstance(value, str):
        # The value itself may be huge; the message must not be.
        shown = repr(value) if len(value) <= 40 else repr(value[:40]) + " (cut short)"
    else:
        shown = f"a {type(value).__name__}"
    return f"{shown} is not one of {allowed}"


_Plan = tuple[tuple[str, frozenset[type], _FieldCheck], ...]
_CACHE: dict[type, _Plan] = {}


def _field_checks(cls: type) -> _Plan:
    plan = _CACHE.get(cls)
    if plan is None:
        try:
            hints = typing.get_type_hints(cls)
        except NameError:
            # Only while the module defining ``cls`` is still being imported
            # (a constant built at import time); the next construction retries.
            hints = {}
            complete = False
        else:
            complete = True
        compiled = [
            (field.name, _compile(hints[field.name]))
            for field in attrs.fields(cls)
            if field.init and field.name in hints
        ]
        plan = tuple(
            (name, _exact_types(hints[name]), one) for name, one in compiled if one is not _ok
        )
        if complete:
            _CACHE[cls] = plan
    return plan


def _exact_types(hint: Any) -> frozenset[type]:
    """Types whose every value is right for ``hint`` (a fast path before the full check)."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return frozenset().union(*(_exact_types(arm) for arm in typing.get_args(hint)))
    if hint in (int, bool, dt.date, dt.time, type(None)):
        return frozenset({hint})
    if hint is float:
        return frozenset({float, int})
    if isinstance(hint, type) and (issubclass(hint, enum.Enum) or attrs.has(hint)):
        return frozenset({hint})
    return frozenset()  # text (lone surrogates), datetimes (offsets), collections (members)


def _ok(value: Any) -> _Result:
    return None


def _expected(what: str, value: object) -> _Result:
    return value, [("", f"expected {what}, got {type(value).__name__}")]


def _instance(cls: type | tuple[type, ...], what: str) -> _FieldCheck:
    return lambda value: None if isinstance(value, cls) else _expected(what, value)


def _compile(hint: Any) -> _FieldCheck:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or isinstance(hint, TypeVar):
        return _ok
    if hint is type(None):
        return lambda value: None if value is None else _expected("null", value)
    if origin in (types.UnionType, typing.Union):
        return _union(args)
    if origin is typing.Literal:
        return _literal(args)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _vocabulary(hint)
    if hint is str:
        return _text
    if hint is bool:
        return _instance(bool, "true or false")
    if hint is int:
        return _integer
    if hint is float:
        return _number
    if hint is dt.datetime:
        return _moment
    if hint is dt.date:
        return _day
    if hint is dt.time:
        return _instance(dt.time, "a time of day")
    if origin is frozenset:
        return _set_of(_compile(args[0]) if args else _ok, args[0] if args else None)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_of(_compile(args[0]))
        if args:
            return _fixed_tuple(tuple(_compile(arg) for arg in args))
        return _tuple_of(_ok)
    if isinstance(hint, type) and attrs.has(hint):
        return _instance(hint, f"a {hint.__name__}")
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        return _instance(Mapping, "a map")
    return _ok  # callables, type[...] and the like: nothing a document could get wrong


def _union(arms: tuple[Any, ...]) -> _FieldCheck:
    optional = type(None) in arms
    checks = [_compile(arm) for arm in arms if arm is not type(None)]
    names = " or ".join(getattr(arm, "__name__", str(arm)) for arm in arms)
    names = names.replace("NoneType", "null")

    def check(value: Any) -> _Result:
        if value is None and optional:
            return None
        if len(checks) == 1:
            return checks[0](value)
        for one in checks:
            result = one(value)
            if result is None or not result[1]:
                return result
        return _expected(names, value)

    return check


def _literal(allowed: tuple[Any, ...]) -> _FieldCheck:
    text = ", ".join(repr(value) for value in allowed)
    return lambda value: None if value in allowed else (value, [("", f"not one of {text}")])


def _vocabulary(cls: type[enum.Enum]) -> _FieldCheck:
    by_value = {member.value: member for member in cls}

    def check(value: Any) -> _Result:
        if isinstance(value, cls):
            return None
        if isinstance(value, str) and value in by_value:
            return by_value[value], []
        return value, [("", vocabulary_problem(value, cls))]

    return check


def _text(value: Any) -> _Result:
    if type(value) is str and value.isascii():
        return None
    if not isinstance(value, str):
        return _expected("a string", value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value, [("", "contains a lone surrogate: not valid Unicode text")]
    return None


def _integer(value: Any) -> _Result:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return _expected("an integer", value)


def _number(value: Any) -> _Result:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None
    return _expected("a number", value)


def _moment(value: Any) -> _Result:
    if not isinstance(value, dt.datetime):
        return _expected("a datetime", value)
    if value.utcoffset() is None:
        return value, [("", UTC_OFFSET_MESSAGE)]
    return None


def _day(value: Any) -> _Result:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return None
    return _expected("a date", value)


def _members(items: Iterable[Any], item_check: _FieldCheck) -> tuple[list[Any], _Problems] | None:
    """None when every item is right as it is; else the items converted and the problems."""
    listed = list(items)
    results = [item_check(item) for item in listed]
    if all(result is None for result in results):
        return None
    converted: list[Any] = []
    problems: _Problems = []
    for index, (item, result) in enumerate(zip(listed, results, strict=True)):
        if result is None:
            converted.append(item)
            continue
        converted.append(result[0])
        problems.extend((join_path(index, path), message) for path, message in result[1])
    return converted, problems


def _set_of(item_check: _FieldCheck, item_type: Any) -> _FieldCheck:
    order = _member_order(item_type)

    def check(value: Any) -> _Result:
        if not isinstance(value, frozenset | set | list | tuple):
            return _expected("a set (a list of distinct values)", value)
        if item_check is _ok or all(item_check(item) is None for item in value):
            return None if isinstance(value, frozenset) else (frozenset(value), [])
        # Members are numbered in the order they are written out (see _member_order).
        try:
            items = sorted(value, key=order)
        except TypeError:
            items = list(value)
        found = _members(items, item_check)
        assert found is not None  # something above was not right as it was
        converted, problems = found
        return (value, problems) if problems else (frozenset(converted), [])

    return check


def _member_order(item_type: Any) -> Callable[[Any], Any]:
    """Enum members in the order they are defined (JSON writes sets so), unknown values
    after them by their text; other members by value, as the model checks number them."""
    if isinstance(item_type, type) and issubclass(item_type, enum.Enum):
        positions = {member.value: index for index, member in enumerate(item_type)}
        size = len(positions)

        def key(item: Any) -> tuple[int, str]:
            value = item.value if isinstance(item, item_type) else item
            if isinstance(value, str) and value in positions:
                return (positions[value], "")
            return (size, repr(value))

        return key
    return lambda item: item


def _tuple_of(item_check: _FieldCheck) -> _FieldCheck:
    def check(value: Any) -> _Result:
        if not isinstance(value, tuple | list):
            return _expected("a list", value)
        found = None if item_check is _ok else _members(value, item_check)
        if found is None:
            return None if isinstance(value, tuple) else (tuple(value), [])
        converted, problems = found
        return (value, problems) if problems else (tuple(converted), [])

    return check


def _fixed_tuple(item_checks: tuple[_FieldCheck, ...]) -> _FieldCheck:
    def check(value: Any) -> _Result:
        if not isinstance(value, tuple | list) or len(value) != len(item_checks):
            return _expected(f"a list of {len(item_checks)}", value)
        converted: list[Any] = []
        problems: _Problems = []
        for index, (item, item_check) in enumerate(zip(value, item_checks, strict=True)):
            result = item_check(item)
            if result is None:
                converted.append(item)
                continue
            converted.append(result[0])
            problems.extend((join_path(index, path), message) for path, message in result[1])
        if problems:
            return value, problems
        return tuple(converted), []

    return check
