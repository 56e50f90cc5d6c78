"""JSON Schema (Draft 2020-12) for every public model, derived from its attrs fields.

cattrs does not generate schemas, so this module walks each class's typed
fields: field metadata adds constraints (``metadata={"schema": {...}}``) and a
description (``metadata={"doc": "..."}``).  The published copies live in
``docs/schemas/`` and a test keeps them in sync with the code.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import inspect
import itertools
import json
import re
import types
from collections import deque
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import attrs

from saihan.errors import ErrorItem, ValidationError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaViolation

__all__ = ["json_schema", "schema_errors"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SENSITIVE = "x-saihan-sensitive"
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def json_schema(cls: type) -> dict[str, Any]:
    """The Draft 2020-12 JSON Schema of a public attrs model class.

    Nested model classes go into ``$defs``; unknown fields are not allowed.
    """
    if not attrs.has(cls):
        raise ValidationError(f"{cls!r} is not a saihan model class", path="cls")
    defs: dict[str, Any] = {}
    _ref(cls, defs)
    root = defs.pop(cls.__name__)
    schema: dict[str, Any] = {"$schema": DRAFT, "title": cls.__name__, **root}
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def _ref(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    name = cls.__name__
    if name not in defs:
        defs[name] = {}  # placeholder: stops recursion on self-reference
        defs[name] = _object_schema(cls, defs)
    return {"$ref": f"#/$defs/{name}"}


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    from saihan.serialization.converter import converter

    attrs.resolve_types(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        prop = _type_schema(field.type, defs)
        extra = dict(field.metadata.get("schema", {}))
        _merge(prop, extra)
        if "doc" in field.metadata:
            prop = {"description": field.metadata["doc"], **prop}
        if field.metadata.get("sensitive"):
            # Special care-required personal information: error messages never echo it.
            prop[SENSITIVE] = True
        if field.default is attrs.NOTHING:
            required.append(field.name)
        else:
            default = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if not attrs.has(type(default)):
                prop["default"] = converter.unstructure(default, unstructure_as=field.type)
        properties[field.name] = prop
    schema: dict[str, Any] = {"type": "object"}
    doc = inspect.getdoc(cls)
    if doc:
        schema["description"] = doc.split("\n\n")[0].replace("\n", " ")
    schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _merge(prop: dict[str, Any], extra: dict[str, Any]) -> None:
    """Apply field constraints to the non-null branch of a property schema."""
    target = prop
    if "anyOf" in prop:
        target = next(branch for branch in prop["anyOf"] if branch.get("type") != "null")
        if "$ref" in target:
            return
    for key, value in extra.items():
        if key == "items" and "items" in target:
            target["items"] = {**target["items"], **value}
        else:
            target[key] = value


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(tp) if arg is not type(None)]
        nullable = len(options) < len(get_args(tp))
        if len(options) != 1:
            return {"anyOf": [_type_schema(arg, defs) for arg in get_args(tp)]}
        inner = _type_schema(options[0], defs)
        if not nullable:
            return inner
        if "type" in inner and isinstance(inner["type"], str) and "enum" not in inner:
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _type_schema(args[0], defs)}
        raise TypeError(f"fixed-length tuples are not used in models: {tp!r}")
    if origin is frozenset:
        return {"type": "array", "items": _type_schema(get_args(tp)[0], defs), "uniqueItems": True}
    if isinstance(tp, type):
        custom = getattr(tp, "__json_schema__", None)
        if custom is not None:  # a type that writes its own schema (recursive conditions)
            defs.setdefault(tp.__name__, custom())
            return {"$ref": f"#/$defs/{tp.__name__}"}
        if attrs.has(tp):
            return _ref(tp, defs)
        if issubclass(tp, enum.Enum):
            return {"type": "string", "enum": [member.value for member in tp]}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is str:
            return {"type": "string"}
        if tp is dt.datetime:
            return {"type": "string", "format": "date-time"}
        if tp is dt.time:
            return {"type": "string"}
        if tp is dt.date:
            return {"type": "string", "format": "date", "pattern": _DATE_PATTERN}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


# The patterns in saihan's schemas are ECMA-262 regular expressions, as JSON Schema says,
# and jsonschema-rs reads them so.  Python's ``re`` reads a few things otherwise: ``$``
# also matches before a final newline, ``\s`` counts U+001C-U+001F and U+0085 as space
# but not U+FEFF, and ``\d`` and ``\w`` take non-ASCII digits and letters.  The wording
# validator below reads each pattern through :func:`_python_pattern`, so both validators
# accept exactly the same strings (a Hypothesis property checks it).
_ECMA_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ECMA_OUTSIDE = {"$": r"\Z", ".": "[^\n\r\u2028\u2029]"}
_ECMA_CLASSES = {
    "s": _ECMA_SPACE,
    "d": "0-9",
    "w": "A-Za-z0-9_",
}


def _python_pattern(pattern: str) -> str:
    """An ECMA-262 ``pattern`` rewritten for Python's ``re`` with the same meaning.

    What the two read differently is rewritten: ``$`` and ``.`` outside a class,
    and the class escapes ``\\s``, ``\\d``, ``\\w`` and their negations.  A negated
    class escape inside brackets (``[^\\S]``) and an empty class have no plain
    translation and are refused with a ``ValueError``, so that a schema using one
    is noticed by the tests.
    """
    out: list[str] = []
    in_class = False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            escaped = pattern[position + 1]
            position += 2
            lower = escaped.lower()
            if lower in _ECMA_CLASSES:
                members = _ECMA_CLASSES[lower]
                if not in_class:
                    out.append(f"[^{members}]" if escaped.isupper() else f"[{members}]")
                elif escaped.isupper():
                    raise ValueError(f"\\{escaped} inside a class in pattern {pattern!r}")
                else:
                    out.append(members)
            else:
                out.append(char + escaped)
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            if pattern.startswith(("]", "^]"), position + 1):
                raise ValueError(f"an empty class ([] or [^]) in pattern {pattern!r}")
            in_class = True
        elif char in _ECMA_OUTSIDE:
            out.append(_ECMA_OUTSIDE[char])
            position += 1
            continue
        out.append(char)
        position += 1
    return "".join(out)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(_python_pattern(pattern))


def _pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema.exceptions import ValidationError as Violation

    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield Violation(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _wording_validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"pattern": _pattern_keyword}
    )


@functools.cache
def _validator(cls: type) -> Any:
    """jsonschema's validator for ``cls``, which words every error with its path."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in _FORMAT_CHECKS.items():
        checker.checks(name)(check)
    return _wording_validator_class()(json_schema(cls), format_checker=checker)


# jsonschema (pure Python) words the errors with the field paths saihan reports;
# jsonschema-rs (Rust) answers "is this valid?" many times faster.  A document the fast
# one accepts has no schema errors; any other goes through jsonschema, which has the
# last word and words every error as before.  Both judge formats by saihan's own checks
# below, whatever extras of jsonschema happen to be installed.
@functools.cache
def _fast_validator(cls: type) -> Any:
    import jsonschema_rs

    formats: dict[str, Any] = dict.fromkeys(_STANDARD_FORMATS, _anything)
    formats.update(_FORMAT_CHECKS)
    return jsonschema_rs.validator_for(json_schema(cls), validate_formats=True, formats=formats)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(instance: Any) -> bool:
    """An RFC 3339 full-date that is a real day (as jsonschema's own ``date`` check)."""
    if not isinstance(instance, str):
        return True
    if not _ISO_DATE.fullmatch(instance):
        return False
    try:
        dt.date.fromisoformat(instance)
    except ValueError:
        return False
    return True


# The formats saihan's schemas use and what each checks.  ``date-time`` is left to the
# models (datetime.fromisoformat), as jsonschema without its optional format packages does.
_FORMAT_CHECKS: dict[str, Any] = {"date": _is_date}


_STANDARD_FORMATS = (
    "date",
    "date-time",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
)

# jsonschema-rs recurses on the machine stack: a recursive schema (conditions) over data
# nested tens of thousands deep would overflow it and end the process.  Deeper data than
# this goes to jsonschema, which raises RecursionError (structure() reports it).
_FAST_MAX_DEPTH = 512


def _anything(instance: Any) -> bool:
    return True


def _shallow(data: Any, bound: int = _FAST_MAX_DEPTH) -> bool:
    """True when ``data`` is nested fewer than ``bound`` levels deep (one walk, no recursion)."""
    level: list[Any] = [data]
    for _ in range(bound):
        deeper: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                deeper.extend(value.values())
            elif isinstance(value, list | tuple):
                deeper.extend(value)
        if not deeper:
            return True
        level = deeper
    return False


def _fast_is_valid(data: Any, cls: type, *, depth_checked: bool = False) -> bool | None:
    """jsonschema-rs's answer to "is ``data`` valid for ``cls``?", or None without one.

    None where the data is nested too deeply for it, or is not plain JSON it can read
    (lone surrogates, tuples, other objects); jsonschema then decides alone.  With
    ``depth_checked`` the caller has already refused data nested ``_FAST_MAX_DEPTH``
    deep (parse_json within limits of no more depth), and the walk is skipped.
    """
    if not depth_checked and not _shallow(data):
        return None
    try:
        return bool(_fast_validator(cls).is_valid(data))
    except Exception:  # not JSON that Rust can read: let jsonschema judge it
        return None


def schema_errors(data: Any, cls: type, *, limit: int | None = None) -> list[ErrorItem]:
    """Every way ``data`` breaks the schema of ``cls``, as ErrorItems with field paths.

    With ``limit``, validation stops after that many violations (a document with a
    hundred thousand bad members is reported in the time its first ones take).
    A valid document is recognised by jsonschema-rs; only an invalid one is walked
    by jsonschema to word its errors.
    """
    if _fast_is_valid(data, cls):
        return []
    items: list[ErrorItem] = []
    for violation in itertools.islice(_validator(cls).iter_errors(data), limit):
        items.extend(_items(violation))
    return sorted(set(items), key=lambda item: (item.path, item.message))


def _format_path(parts: deque[str | int] | list[str | int]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _items(violation: SchemaViolation) -> list[ErrorItem]:
    where = list(violation.absolute_path)
    schema = violation.schema if isinstance(violation.schema, dict) else {}
    if violation.validator == "additionalProperties" and isinstance(violation.instance, dict):
        allowed = schema.get("properties", {})
        return [
            ErrorItem(_format_path([*where, key]), f"unknown field {key!r}")
            for key in violation.instance
            if key not in allowed
        ]
    if violation.validator == "required" and isinstance(violation.instance, dict):
        missing = [
            key for key in _as_list(violation.validator_value) if key not in violation.instance
        ]
        return [
            ErrorItem(_format_path([*where, key]), "required field is missing") for key in missing
        ]
    tagged = violation.validator == "oneOf" and violation.context
    if tagged and isinstance(violation.instance, dict):
        # Tagged alternatives (conditions): report the branch whose required key is present.
        branches = violation.validator_value if isinstance(violation.validator_value, list) else []
        for number, branch in enumerate(branches):
            required = set(branch.get("required", ())) if isinstance(branch, dict) else set()
            if required and required <= set(violation.instance):
                inner_errors = [e for e in violation.context if e.relative_schema_path[0] == number]
                chosen: list[ErrorItem] = []
                for inner in inner_errors:
                    chosen.extend(_items(inner))
                return chosen or [ErrorItem(_format_path(where), _message(violation))]
        keys = [next(iter(b.get("required", ["?"]))) for b in branches if isinstance(b, dict)]
        return [ErrorItem(_format_path(where), f"expected an object with one of the keys {keys}")]
    if violation.validator == "anyOf" and violation.context:
        # Optional[Model]: report why the non-null branch failed, not "not valid under any".
        not_null = [
            inner
            for inner in violation.context
            if not (isinstance(inner.schema, dict) and inner.schema.get("type") == "null")
        ]
        if not_null and violation.instance is not None:
            found: list[ErrorItem] = []
            for inner in not_null:
                found.extend(_items(inner))
            return found
    return [ErrorItem(_format_path(where), _message(violation))]


def _message(violation: SchemaViolation) -> str:
    if isinstance(violation.schema, dict) and violation.schema.get(SENSITIVE):
        withheld = "(value withheld: sensitive field)"
        if violation.validator == "type":
            expected = violation.validator_value
            expected_text = " or ".join(expected) if isinstance(expected, list) else expected
            return f"expected {expected_text}, got {_json_type(violation.instance)} {withheld}"
        return f"fails the {violation.validator} check {withheld}"
    if violation.validator == "type":
        expected = violation.validator_value
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        got = _json_type(violation.instance)
        return f"expected {expected_text}, got {got} {_short(violation.instance)}"
    if violation.validator == "enum":
        allowed = ", ".join(str(value) for value in _as_list(violation.validator_value))
        return f"{_short(violation.instance)} is not one of: {allowed}"
    if violation.validator == "pattern":
        return (
            f"{_short(violation.instance)} does not match the pattern {violation.validator_value}"
        )
    return violation.message


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
