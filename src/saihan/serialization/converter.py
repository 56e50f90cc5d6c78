"""The one cattrs converter that owns JSON in and out for every public model.

Structuring (JSON data to objects) is strict and complete: the data is first
checked against the model's JSON Schema, which finds every wrong type,
unknown field, missing field and bad pattern at once; then cattrs builds the
objects, and the models' own checks (check digits, cross-references) report
what a schema cannot express.  Every problem comes out as one
:class:`~saihan.errors.ValidationError` with field paths.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import types
from collections.abc import Iterator
from typing import Any, NoReturn, TypeVar, Union

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.fns import identity

from saihan._validation import typed_already
from saihan.errors import ErrorItem, SaihanError, ValidationError, join_path
from saihan.limits import DEFAULT_LIMITS, Limits, parse_json
from saihan.serialization.paths import document_paths
from saihan.serialization.schema import _FAST_MAX_DEPTH, _fast_is_valid, json_schema, schema_errors

__all__ = ["converter", "from_json", "structure", "to_json", "unstructure"]

T = TypeVar("T")


class _Converter(cattrs.Converter):
    """cattrs' converter with detailed validation, and a twin without it (:attr:`fast`).

    Every structure hook registered on this converter (by saihan or a plugin) is also
    registered on the twin, so both build the same objects from the same data; the twin
    then takes quicker hooks of its own for the types every model uses (below).
    """

    def __init__(self) -> None:
        super().__init__(forbid_extra_keys=True, omit_if_default=True, detailed_validation=True)
        self.fast = cattrs.Converter(
            forbid_extra_keys=False, omit_if_default=True, detailed_validation=False
        )
        """Builds data the schema has accepted: no per-field error notes, no type checks
        the schema has made (see :func:`structure`)."""

    def register_structure_hook(self, cl: Any, func: Any = None) -> Any:
        if func is None:  # as a decorator: cattrs calls this again with the function
            return super().register_structure_hook(cl)
        super().register_structure_hook(cl, func)
        self._twin().register_structure_hook(cl, func)
        return None

    def register_structure_hook_func(self, check_func: Any, func: Any) -> None:
        super().register_structure_hook_func(check_func, func)
        self._twin().register_structure_hook_func(check_func, func)

    def register_structure_hook_factory(self, predicate: Any, factory: Any = None) -> Any:
        if factory is None:  # as a decorator

            def register(made: Any) -> Any:
                self.register_structure_hook_factory(predicate, made)
                return made

            return register
        result = super().register_structure_hook_factory(predicate, factory)
        self._twin().register_structure_hook_factory(predicate, factory)
        return result

    def _twin(self) -> cattrs.Converter:
        # cattrs registers its own defaults while __init__ runs, before the twin exists;
        # the twin has the same defaults of its own.
        return self.__dict__.get("fast") or cattrs.Converter()


converter = _Converter()
"""The project's converter.  Plugins that serialise saihan models use this one."""

converter.register_unstructure_hook(dt.date, lambda value: value.isoformat())
converter.register_structure_hook(dt.date, lambda value, _: dt.date.fromisoformat(value))
converter.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())
converter.register_structure_hook(dt.datetime, lambda value, _: dt.datetime.fromisoformat(value))
converter.register_unstructure_hook(
    dt.time, lambda value: value.isoformat(timespec="minutes" if not value.second else "seconds")
)
converter.register_structure_hook(dt.time, lambda value, _: dt.time.fromisoformat(value))


def _set_order(item: Any) -> Any:
    if isinstance(item, enum.Enum):
        return _enum_positions(type(item))[item]
    return item


@functools.cache
def _enum_positions(cls: type[enum.Enum]) -> dict[enum.Enum, int]:
    return {member: position for position, member in enumerate(cls)}


def _sorted_set(value: frozenset[Any]) -> list[Any]:
    # Sets serialise sorted (enum members in the order they are defined: MO before TU)
    # so that the same object always gives the same JSON.
    return [converter.unstructure(item) for item in sorted(value, key=_set_order)]


converter.register_unstructure_hook_func(
    lambda cls: cls is frozenset or getattr(cls, "__origin__", None) is frozenset, _sorted_set
)


# Quicker hooks for the shapes every model uses, each looked up once per field type
# (cattrs' own look the items' hook up again for every member).  Plain values (strings,
# numbers, vocabulary members, which are strings) are written as they are.
def _unstructure_set_hook(cls: Any) -> Any:
    item_type = cls.__args__[0]
    if item_type is str:
        return sorted
    if _is_enum(item_type):
        positions = _enum_positions(item_type).__getitem__
        item = converter.get_unstructure_hook(item_type)
        if item == identity:
            return lambda value: sorted(value, key=positions)
    return _sorted_set


def _unstructure_tuple_hook(cls: Any) -> Any:
    item = converter.get_unstructure_hook(cls.__args__[0])
    if item == identity:
        return list
    return lambda value: [item(member) for member in value]


def _unstructure_optional_hook(cls: Any) -> Any:
    inner_type = next(arg for arg in cls.__args__ if arg is not type(None))
    inner = converter.get_unstructure_hook(inner_type)
    if inner == identity:
        return identity
    return lambda value: None if value is None else inner(value)


def _is_set_of(cls: Any) -> bool:
    return getattr(cls, "__origin__", None) is frozenset and len(cls.__args__) == 1


def _is_tuple_of(cls: Any) -> bool:
    args: tuple[Any, ...] = getattr(cls, "__args__", ())
    return getattr(cls, "__origin__", None) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_enum(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, enum.Enum)


def _is_optional(cls: Any) -> bool:
    args: tuple[Any, ...] = getattr(cls, "__args__", ())
    union = getattr(cls, "__origin__", None) is Union or isinstance(cls, types.UnionType)
    return union and len(args) == 2 and type(None) in args


converter.register_unstructure_hook_factory(_is_set_of, _unstructure_set_hook)
converter.register_unstructure_hook_factory(_is_tuple_of, _unstructure_tuple_hook)
converter.register_unstructure_hook_factory(_is_optional, _unstructure_optional_hook)


# Defaults compared by identity first: an attrs default (a shared Eligibility) is its own
# value, and `value != None` would call the model's Python __ne__ for every field set.
_CONSTANT_FACTORIES = (frozenset, tuple)


def _unstructure_attrs_hook(cls: Any) -> Any:
    """The unstructure function of a model: cattrs' own, with the defaults compared
    quicker (the same keys in the same order, defaults left out as before)."""
    attrs.resolve_types(cls)
    names: dict[str, Any] = {}
    required: list[str] = []
    optional: list[str] = []
    for number, field in enumerate(attrs.fields(cls)):
        if not field.init:
            continue
        try:
            hook = converter.get_unstructure_hook(field.type, cache_result=False)
        except RecursionError:  # a model that holds its own kind
            hook = converter.unstructure
        value = f"instance.{field.name}"
        if hook != identity:
            names[f"_u{number}"] = hook
            value = f"_u{number}(instance.{field.name})"
        default = field.default
        if default is attrs.NOTHING:
            required.append(f"        {field.name!r}: {value},")
            continue
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self or default.factory not in _CONSTANT_FACTORIES:
                return converter.gen_unstructure_attrs_fromdict(cls)
            default = default.factory()
        if field.converter is not None:
            if not callable(field.converter):
                return converter.gen_unstructure_attrs_fromdict(cls)
            default = field.converter(default)
        if default is None or isinstance(default, bool):
            test = f"instance.{field.name} is not {default!r}"
        else:
            names[f"_d{number}"] = default
            test = (
                f"instance.{field.name} is not _d{number} and instance.{field.name} != _d{number}"
            )
        optional += [f"    if {test}:", f"        res[{field.name!r}] = {value}"]
    head = [f"def unstructure_{cls.__name__}(instance):", "    res = {", *required, "    }"]
    source = "\n".join([*head, *optional, "    return res"])
    exec(compile(source, f"<saihan unstructure {cls.__qualname__}>", "exec"), names)
    return names[f"unstructure_{cls.__name__}"]


converter.register_unstructure_hook_factory(attrs.has, _unstructure_attrs_hook)


def unstructure(obj: Any) -> Any:
    """The JSON-ready data (dicts, lists, strings, numbers) of a model object."""
    return converter.unstructure(obj)


def _structure_text(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"expected a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("contains a lone surrogate: not valid Unicode text") from None
    return value


converter.register_structure_hook_func(lambda cls: cls is str, _structure_text)


def _is_collection(cls: Any) -> bool:
    origin = getattr(cls, "__origin__", None)
    args: tuple[Any, ...] = getattr(cls, "__args__", ())
    return origin is frozenset or (origin is tuple and len(args) == 2 and args[1] is Ellipsis)


def _collection_hook(cls: Any) -> Any:
    # cattrs would iterate anything, so a string where an array belongs became one error
    # per character (a 100,000-character string cost seconds); refuse it as a whole.
    if cls.__origin__ is tuple:
        base = homogenous_tuple_structure_factory(cls, converter)
    else:
        base = converter._structure_frozenset

    def structure_collection(value: Any, type_: Any) -> Any:
        if not isinstance(value, list | tuple | set | frozenset):
            raise ValidationError(f"expected an array, got {type(value).__name__}")
        return base(value, type_)

    return structure_collection


converter.register_structure_hook_factory(_is_collection, _collection_hook)


# -- the twin's own hooks: for data its model's JSON Schema has accepted ------------------
#
# The schema has checked every type, so strings are taken as they are (``str(value)`` is
# the value itself), vocabulary strings are looked up, and collections are built in one
# comprehension.  What the schema cannot say is still checked here (a datetime's UTC
# offset, a time of day) or by the models' own checks; a value that fails raises, and
# structure() then takes the detailed path, which words the problem with its path.

_fast = converter.fast
_fast.register_structure_hook_func(lambda cls: cls is str, _fast._structure_call)


def _fast_moment(value: str, _: type) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError("no UTC offset")  # the detailed path says so, with the path
    return moment


_fast.register_structure_hook(dt.datetime, _fast_moment)


def _fast_member(value: Any, cls: type[enum.StrEnum]) -> enum.StrEnum:
    # A vocabulary value the schema has accepted: looked up, as Enum(value) would.
    return cls._value2member_map_[value]  # type: ignore[return-value]


# Registered by class: StrEnum is a str, and cattrs dispatches on classes before predicates.
_fast.register_structure_hook(enum.StrEnum, _fast_member)


def _hook_of(cls: Any) -> Any:
    try:
        return _fast.get_structure_hook(cls)
    except RecursionError:  # a model that holds its own kind: look the hook up when used
        return _fast.structure


def _fast_optional_hook(cls: Any) -> Any:
    inner_type = next(arg for arg in cls.__args__ if arg is not type(None))
    inner = _hook_of(inner_type)
    if inner == _fast._structure_call:

        def structure_plain(value: Any, _: Any) -> Any:
            return None if value is None else inner_type(value)

        return structure_plain

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure_optional


_fast.register_structure_hook_factory(_is_optional, _fast_optional_hook)


def _fast_collection_hook(cls: Any) -> Any:
    make = tuple if cls.__origin__ is tuple else frozenset
    item_type = cls.__args__[0]
    item = _hook_of(item_type)
    if item_type is str and item == _fast._structure_call:

        def structure_strings(value: Any, _: Any) -> Any:
            return make(value)

        return structure_strings

    def structure_items(value: Any, _: Any) -> Any:
        return make([item(member, item_type) for member in value])

    return structure_items


_fast.register_structure_hook_factory(_is_collection, _fast_collection_hook)


_TOO_DEEP = "the document is nested too deeply"


def structure(data: Any, cls: type[T], *, limits: Limits = DEFAULT_LIMITS) -> T:
    """Build a ``cls`` from JSON-ready data, validating it completely.

    Raises :class:`ValidationError` listing every bad field path: what breaks
    the schema, and what the models' own checks refuse (check digits,
    references, duplicates) wherever the schema let it through.  At most
    ``limits.max_errors`` problems are listed (then one line counts the rest),
    and the cost of reporting grows with the number of problems, not with the
    size of the values in them.
    """
    return _structure(data, cls, limits, parsed=False)


def _structure(
    data: Any, cls: type[T], limits: Limits, *, parsed: bool, try_fast: bool = True
) -> T:
    # The fast path: jsonschema-rs accepts the document, and the twin converter builds
    # it without per-field error notes or type checks the schema has made.  Anything
    # else, or anything the fast path refuses, takes the detailed path, which words every
    # problem with its path (and so gives the same objects or the same error).
    # ``parsed``: read by parse_json within limits of no more than _FAST_MAX_DEPTH, which
    # has refused deeper nesting and lone surrogates (jsonschema-rs takes those for text).
    fast = (
        try_fast
        and (parsed or _valid_text(data))
        and _fast_is_valid(data, cls, depth_checked=parsed)
    )
    if fast:
        try:
            with typed_already():
                return _fast.structure(data, cls)
        except Exception:
            # A model's own check refused it (the schema had accepted it): the detailed
            # path below builds it again and raises the error with its field path.
            pass
    try:
        problems = [] if fast else schema_errors(data, cls, limit=limits.max_errors)
    except RecursionError:
        raise ValidationError(_TOO_DEEP) from None
    if len(problems) >= limits.max_errors:
        # Enough to report; building the objects would only repeat them.
        _refuse(problems, [], data, cls, limits, truncated=True)
    try:
        result = converter.structure(data, cls)
    except RecursionError:
        raise ValidationError(_TOO_DEEP) from None
    except SaihanError as error:
        if not isinstance(error, ValidationError):
            raise
        found = error.errors
    except Exception as error:  # cattrs wraps whatever a model's own checks raised
        found = list(_flatten(error, ""))
    else:
        if not problems:
            return result
        found = []
    return _refuse(problems, found, data, cls, limits, truncated=False)


def _valid_text(data: Any) -> bool:
    """True when no string in ``data`` holds a lone surrogate (nor is a str subclass)."""
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif kind is dict:
            stack.extend(value.values())
            if not all(type(key) is str and key.isascii() for key in value):
                return False  # the detailed path judges odd keys
        elif kind is list or kind is tuple:
            stack.extend(value)
        elif isinstance(value, str | dict | list | tuple):
            return False
    return True


def _refuse(
    problems: list[ErrorItem],
    found: list[ErrorItem],
    data: Any,
    cls: type,
    limits: Limits,
    *,
    truncated: bool,
) -> NoReturn:
    # cattrs also trips over what the schema already explained; keep the schema's words.
    reported = {item.path for item in problems}
    around = {ancestor for path in reported for ancestor in _ancestors(path)}
    extra = [
        item
        for item in found
        if item.path not in around and not any(a in reported for a in _ancestors(item.path))
    ]
    listed = [*problems, *extra]
    shown = listed[: limits.max_errors]
    # Models check sets in their sorted order; point at the member as the document has it.
    if len(problems) < len(shown):
        shown[len(problems) :] = document_paths(shown[len(problems) :], data, json_schema(cls))
    if len(listed) > len(shown):
        shown.append(ErrorItem("", f"... and {len(listed) - len(shown):,} more problems"))
    elif truncated:
        shown.append(ErrorItem("", f"... and more problems (the first {len(shown):,} are listed)"))
    raise ValidationError(shown)


def _ancestors(path: str) -> Iterator[str]:
    """``path`` and every path it lies inside, down to the root ``""``."""
    yield path
    for position in range(len(path) - 1, 0, -1):
        if path[position] in ".[":
            yield path[:position]
    if path:
        yield ""


def _flatten(error: BaseException, path: str) -> Iterator[ErrorItem]:
    """Turn cattrs' nested exception groups into ErrorItems with full paths."""
    if isinstance(error, ClassValidationError):
        with_notes, without_notes = error.group_exceptions()
        for inner, note in with_notes:
            yield from _flatten(inner, join_path(path, note.name))
        for inner in without_notes:
            yield from _flatten(inner, path)
    elif isinstance(error, IterableValidationError):
        with_index, without_index = error.group_exceptions()
        for inner, index_note in with_index:
            index = index_note.index
            yield from _flatten(
                inner, f"{path}[{index}]" if isinstance(index, int) else join_path(path, str(index))
            )
        for inner in without_index:
            yield from _flatten(inner, path)
    elif isinstance(error, ValidationError):
        for item in error.errors:
            yield ErrorItem(join_path(path, item.path), item.message)
    elif isinstance(error, ExceptionGroup):
        for inner in error.exceptions:
            yield from _flatten(inner, path)
    else:
        yield ErrorItem(path, f"{type(error).__name__}: {error}")


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    """A model object as JSON text (UTF-8 friendly: Japanese stays readable)."""
    # The data is a fresh tree made from frozen objects: it cannot hold a cycle.
    return json.dumps(unstructure(obj), ensure_ascii=False, indent=indent, check_circular=False)


def from_json(text: str | bytes, cls: type[T], *, limits: Limits = DEFAULT_LIMITS) -> T:
    """Parse JSON text into a ``cls``, validating it completely (see :func:`structure`).

    The text is read within ``limits`` (:func:`saihan.limits.parse_json`: size,
    nesting, string and collection sizes, integer digits, valid Unicode), so a
    hostile document is a :class:`ValidationError`, never a hang or a crash.
    """
    # parse_json has refused lone surrogates and nesting deeper than limits.max_depth.
    data = parse_json(text, limits=limits)
    return _structure(data, cls, limits, parsed=limits.max_depth <= _FAST_MAX_DEPTH)
