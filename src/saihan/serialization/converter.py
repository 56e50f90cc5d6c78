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
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError

from saihan.errors import ErrorItem, SaihanError, ValidationError, join_path
from saihan.serialization.paths import document_path
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

_TOO_DEEP = "the document is nested too deeply"


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from JSON-ready data, validating it completely.

    Raises :class:`ValidationError` listing every bad field path: what breaks
    the schema, and what the models' own checks refuse (check digits,
    references, duplicates) wherever the schema let it through.
    """
    try:
        problems = schema_errors(data, cls)
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
    # Models check sets in their sorted order; point at the member as the document has it.
    found = [document_path(item, data, json_schema(cls)) for item in found]
    # cattrs also trips over what the schema already explained; keep the schema's words.
    reported = [item.path for item in problems]
    extra = [item for item in found if not any(_related(item.path, path) for path in reported)]
    raise ValidationError([*problems, *extra])


def _related(one: str, other: str) -> bool:
    """True when one path is the other or lies inside it."""
    shorter, longer = sorted((one, other), key=len)
    return longer == shorter or longer.startswith((shorter + ".", shorter + "[")) or not shorter


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


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Parse JSON text into a ``cls``, validating it completely (see :func:`structure`)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            [
                ErrorItem(
                    "", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
                )
            ]
        ) from None
    except UnicodeDecodeError as error:
        raise ValidationError([ErrorItem("", f"not UTF-8 text: {error.reason}")]) from None
    except RecursionError:
        raise ValidationError(_TOO_DEEP) from None
    return structure(data, cls)
