"""Collecting every problem in a value before raising, with field paths.

Model classes check themselves in ``__attrs_post_init__`` with a
:class:`Checker`, which gathers every problem and raises one
:class:`~saihan.errors.ValidationError` at the end, so that a caller sees all
that is wrong with an object at once rather than the first thing.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from saihan.errors import ErrorItem, ValidationError, join_path

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
_ID_RE = re.compile(ID_PATTERN)


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

    def vocabulary(self, path: str, value: object, cls: type[enum.Enum]) -> None:
        """Report ``value`` unless it is a member of ``cls`` (the allowed values listed)."""
        if not isinstance(value, cls):
            self.add(path, vocabulary_problem(value, cls))

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

# A field check takes a value and returns it converted (or unchanged) and the
# problems found, as (path relative to the field, message) pairs.
_Problems = list[tuple[str, str]]
_FieldCheck = Callable[[Any], tuple[Any, _Problems]]

_SWALLOWED = (TypeError, AttributeError, ValueError, KeyError, IndexError)


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


def check_fields(obj: Any, check: Checker) -> None:
    """Convert ``obj``'s fields to the types it declares, reporting what cannot be.

    Enum fields take a member or its exact value; ``frozenset[...]`` fields take
    any set, list or tuple, ``tuple[...]`` fields a tuple or list, each member
    checked in turn; datetimes must carry a UTC offset; ``int`` is not ``bool``;
    ``str`` must be valid Unicode (no lone surrogates).  Converted values are
    stored back on the (frozen) object, as attrs itself does in ``__init__``.
    """
    for name, field_check in _field_checks(type(obj)):
        value = getattr(obj, name)
        converted, problems = field_check(value)
        for path, message in problems:
            check.add(join_path(name, path), message)
        if converted is not value and not problems:
            object.__setattr__(obj, name, converted)


def vocabulary_problem(value: object, cls: type[enum.Enum]) -> str:
    """The message for ``value`` that is not one of ``cls``'s values."""
    allowed = ", ".join(repr(member.value) for member in cls)
    shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
    if isinstance(value, str) and len(shown) > 60:
        shown = shown[:57] + "...'"  # the value itself may be huge; the message must not be
    return f"{shown} is not one of {allowed}"


_CACHE: dict[type, tuple[tuple[str, _FieldCheck], ...]] = {}


def _field_checks(cls: type) -> tuple[tuple[str, _FieldCheck], ...]:
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
        plan = tuple(
            (field.name, _compile(hints[field.name]))
            for field in attrs.fields(cls)
            if field.init and field.name in hints
        )
        if complete:
            _CACHE[cls] = plan
    return plan


def _ok(value: Any) -> tuple[Any, _Problems]:
    return value, []


def _expected(what: str, value: object) -> tuple[Any, _Problems]:
    return value, [("", f"expected {what}, got {type(value).__name__}")]


def _compile(hint: Any) -> _FieldCheck:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or isinstance(hint, TypeVar):
        return _ok
    if hint is type(None):
        return lambda value: _ok(value) if value is None else _expected("null", value)
    if origin in (types.UnionType, typing.Union):
        return _union(args)
    if origin is typing.Literal:
        return _literal(args)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _vocabulary(hint)
    if hint is str:
        return _text
    if hint is bool:
        return lambda value: _ok(value) if isinstance(value, bool) else _expected("bool", value)
    if hint is int:
        return _integer
    if hint is float:
        return _number
    if hint is dt.datetime:
        return _moment
    if hint is dt.date:
        return _day
    if hint is dt.time:
        return lambda value: (
            _ok(value) if isinstance(value, dt.time) else _expected("a time of day", value)
        )
    if origin is frozenset:
        return _set_of(_compile(args[0]) if args else _ok, args[0] if args else None)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_of(_compile(args[0]))
        if args:
            return _fixed_tuple(tuple(_compile(arg) for arg in args))
        return _tuple_of(_ok)
    if isinstance(hint, type) and attrs.has(hint):
        name = hint.__name__
        return lambda value: (
            _ok(value) if isinstance(value, hint) else _expected(f"a {name}", value)
        )
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        return lambda value: _ok(value) if isinstance(value, Mapping) else _expected("a map", value)
    return _ok  # callables, type[...] and the like: nothing a document could get wrong


def _union(arms: tuple[Any, ...]) -> _FieldCheck:
    optional = type(None) in arms
    checks = [_compile(arm) for arm in arms if arm is not type(None)]
    names = " or ".join(_type_name(arm) for arm in arms if arm is not type(None))

    def check(value: Any) -> tuple[Any, _Problems]:
        if value is None and optional:
            return value, []
        if len(checks) == 1:
            return checks[0](value)
        for one in checks:
            converted, problems = one(value)
            if not problems:
                return converted, problems
        return _expected(names + (" or null" if optional else ""), value)

    return check


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def _literal(allowed: tuple[Any, ...]) -> _FieldCheck:
    text = ", ".join(repr(value) for value in allowed)
    return lambda value: _ok(value) if value in allowed else (value, [("", f"not one of {text}")])


def _vocabulary(cls: type[enum.Enum]) -> _FieldCheck:
    by_value = {member.value: member for member in cls}

    def check(value: Any) -> tuple[Any, _Problems]:
        if isinstance(value, cls):
            return value, []
        if isinstance(value, str) and value in by_value:
            return by_value[value], []
        return value, [("", vocabulary_problem(value, cls))]

    return check


def _text(value: Any) -> tuple[Any, _Problems]:
    if not isinstance(value, str):
        return _expected("a string", value)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value, [("", "contains a lone surrogate: not valid Unicode text")]
    return value, []


def _integer(value: Any) -> tuple[Any, _Problems]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, []
    return _expected("an integer", value)


def _number(value: Any) -> tuple[Any, _Problems]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value, []
    return _expected("a number", value)


def _moment(value: Any) -> tuple[Any, _Problems]:
    if not isinstance(value, dt.datetime):
        return _expected("a datetime", value)
    if value.utcoffset() is None:
        return value, [("", UTC_OFFSET_MESSAGE)]
    return value, []


UTC_OFFSET_MESSAGE = "give the UTC offset (for Tokyo, +09:00)"


def _day(value: Any) -> tuple[Any, _Problems]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value, []
    return _expected("a date", value)


def _members(items: Iterable[Any], item_check: _FieldCheck) -> tuple[list[Any], _Problems, bool]:
    converted: list[Any] = []
    problems: _Problems = []
    changed = False
    for index, item in enumerate(items):
        new, found = item_check(item)
        problems.extend((join_path(index, path), message) for path, message in found)
        changed = changed or new is not item
        converted.append(new)
    return converted, problems, changed


def _set_of(item_check: _FieldCheck, item_type: Any) -> _FieldCheck:
    order = _member_order(item_type)

    def check(value: Any) -> tuple[Any, _Problems]:
        if not isinstance(value, frozenset | set | list | tuple):
            return _expected("a set (a list of distinct values)", value)
        # Members are numbered in the order they are written out (see _member_order).
        try:
            items = sorted(value, key=order)
        except TypeError:
            items = list(value)
        converted, problems, changed = _members(items, item_check)
        if problems:
            return value, problems
        if changed or not isinstance(value, frozenset):
            return frozenset(converted), []
        return value, []

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
    def check(value: Any) -> tuple[Any, _Problems]:
        if not isinstance(value, tuple | list):
            return _expected("a list", value)
        converted, problems, changed = _members(value, item_check)
        if problems:
            return value, problems
        if changed or not isinstance(value, tuple):
            return tuple(converted), []
        return value, []

    return check


def _fixed_tuple(item_checks: tuple[_FieldCheck, ...]) -> _FieldCheck:
    def check(value: Any) -> tuple[Any, _Problems]:
        if not isinstance(value, tuple | list) or len(value) != len(item_checks):
            return _expected(f"a list of {len(item_checks)}", value)
        converted: list[Any] = []
        problems: _Problems = []
        for index, (item, item_check) in enumerate(zip(value, item_checks, strict=True)):
            new, found = item_check(item)
            problems.extend((join_path(index, path), message) for path, message in found)
            converted.append(new)
        if problems:
            return value, problems
        return tuple(converted), []

    return check
