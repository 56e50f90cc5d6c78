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
from collections.abc import Iterator
from typing import Any, NoReturn, TypeVar

import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import ClassValidationError, IterableValidationError

from saihan.errors import ErrorItem, SaihanError, ValidationError, join_path
from saihan.limits import DEFAULT_LIMITS, Limits, parse_json
from saihan.serialization.paths import document_paths
from saihan.serialization.schema import json_schema, schema_errors

__all__ = ["converter", "from_json", "structure", "to_json", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, omit_if_default=True, detailed_validation=True)
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
    try:
        problems = schema_errors(data, cls, limit=limits.max_errors)
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
    return json.dumps(unstructure(obj), ensure_ascii=False, indent=indent)


def from_json(text: str | bytes, cls: type[T], *, limits: Limits = DEFAULT_LIMITS) -> T:
    """Parse JSON text into a ``cls``, validating it completely (see :func:`structure`).

    The text is read within ``limits`` (:func:`saihan.limits.parse_json`: size,
    nesting, string and collection sizes, integer digits, valid Unicode), so a
    hostile document is a :class:`ValidationError`, never a hang or a crash.
    """
    return structure(parse_json(text, limits=limits), cls, limits=limits)
