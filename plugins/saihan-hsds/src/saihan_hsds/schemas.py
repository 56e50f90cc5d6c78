"""The official HSDS 3.1 schemas, the Japan profile over them, and validation.

The official schema files are bundled unchanged in ``schema/`` (CC BY-SA 4.0,
see ``schema/LICENSE.md``).  The Japan profile in ``profile/`` is written as
HSDS profiles are: one JSON Merge Patch (RFC 7386) per schema file it changes.
:func:`profile_schemas` applies the patches; :func:`official_validator` and
:func:`profile_validator` validate objects with ``$ref`` between the files
resolved through a :class:`referencing.Registry`.
"""

from __future__ import annotations

import copy
import functools
import json
from collections import deque
from collections.abc import Callable
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from saihan.errors import ErrorItem

__all__ = [
    "OFFICIAL_BASE",
    "PROFILE_BASE",
    "PROFILE_URI",
    "datapackage",
    "errors_of",
    "is_valid",
    "merge_patch",
    "official_schemas",
    "official_validator",
    "profile_patches",
    "profile_schemas",
    "profile_validator",
]

PROFILE_URI = "urn:saihan:hsds:japan-profile:1.0"
"""The Japan profile's URI, written into every exported document's ``profile``."""

OFFICIAL_BASE = "https://hsds.invalid/3.1/schema/"
PROFILE_BASE = "https://hsds.invalid/saihan-japan-profile/schema/"

_FORMATS = FormatChecker()


def _read_folder(folder: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in resources.files("saihan_hsds").joinpath(folder).iterdir():
        if item.name.endswith(".json"):
            found[item.name] = json.loads(item.read_text(encoding="utf-8"))
    return found


@functools.cache
def official_schemas() -> dict[str, dict[str, Any]]:
    """The official HSDS 3.1 schema files by file name (``service.json`` ...), unchanged."""
    found = _read_folder("schema")
    found.pop("datapackage.json")
    return found


@functools.cache
def profile_patches() -> dict[str, dict[str, Any]]:
    """The Japan profile: JSON Merge Patch documents by the file name they change."""
    return _read_folder("profile")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: ``patch`` applied to a copy of ``target``."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@functools.cache
def profile_schemas() -> dict[str, dict[str, Any]]:
    """The official schemas with the Japan profile merged in."""
    merged = dict(official_schemas())
    for name, patch in profile_patches().items():
        merged[name] = merge_patch(merged.get(name, {}), patch)
    return merged


def _registry(schemas: dict[str, dict[str, Any]], base: str) -> Registry[Any]:
    return Registry().with_resources(
        (base + name, Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in schemas.items()
    )


@functools.cache
def _official_registry() -> Registry[Any]:
    return _registry(official_schemas(), OFFICIAL_BASE)


@functools.cache
def _profile_registry() -> Registry[Any]:
    return _registry(profile_schemas(), PROFILE_BASE)


# jsonschema (pure Python) gives the detailed errors with paths that saihan reports;
# jsonschema-rs (Rust) answers "is this valid?" some 40x faster.  A document the fast one
# accepts is accepted; any other goes through jsonschema, which has the last word.  The
# fast one checks formats through jsonschema's own checkers, so it is never more lenient.
_TARGETS: dict[int, tuple[str, str]] = {}


@functools.cache
def _fast_validator(base: str, target: str) -> Any | None:
    try:
        import jsonschema_rs
    except ImportError:  # optional speed-up: without it, jsonschema alone decides
        return None
    schemas = official_schemas() if base == OFFICIAL_BASE else profile_schemas()
    registry = jsonschema_rs.Registry(
        [(base + name, schema) for name, schema in schemas.items()],
        draft=jsonschema_rs.Draft202012,
    )
    # Formats are judged exactly as jsonschema judges them: by its checkers where it has
    # one, and not at all where it has none (it then lets any string through).
    formats: dict[str, Callable[..., bool]] = dict.fromkeys(_STANDARD_FORMATS, _anything)
    formats.update({name: functools.partial(_conforms, name) for name in _FORMATS.checkers})
    return jsonschema_rs.validator_for(
        {"$ref": target}, registry=registry, validate_formats=True, formats=formats
    )


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


def _anything(instance: Any) -> bool:
    return True


def _conforms(format_name: str, instance: Any) -> bool:
    return _FORMATS.conforms(instance, format_name)


def is_valid(validator: Draft202012Validator, instance: Any) -> bool:
    """``validator.is_valid(instance)``, answered by jsonschema-rs when it says yes."""
    target = _TARGETS.get(id(validator))
    fast = _fast_validator(*target) if target is not None else None
    if fast is not None and fast.is_valid(instance):
        return True
    return validator.is_valid(instance)


def _remember(validator: Draft202012Validator, base: str, target: str) -> Draft202012Validator:
    _TARGETS[id(validator)] = (base, target)  # validators are cached: ids stay theirs
    return validator


@functools.cache
def official_validator(name: str) -> Draft202012Validator:
    """A validator for the official object schema ``name`` (``service``, ``organization`` ...)."""
    target = f"{OFFICIAL_BASE}{name}.json"
    validator = Draft202012Validator(
        {"$ref": target}, registry=_official_registry(), format_checker=_FORMATS
    )
    return _remember(validator, OFFICIAL_BASE, target)


@functools.cache
def profile_validator(name: str) -> Draft202012Validator:
    """A validator for ``name`` under the Japan profile.

    ``directory`` is the profile's whole-directory document and ``dataset`` its
    ``dataset`` object (components of its ``openapi.json``); other names are
    object schemas.
    """
    components = {"directory": "Directory", "dataset": "Dataset"}
    target = (
        f"{PROFILE_BASE}openapi.json#/components/schemas/{components[name]}"
        if name in components
        else f"{PROFILE_BASE}{name}.json"
    )
    validator = Draft202012Validator(
        {"$ref": target}, registry=_profile_registry(), format_checker=_FORMATS
    )
    return _remember(validator, PROFILE_BASE, target)


def _path(parts: deque[str | int] | list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def errors_of(
    validator: Draft202012Validator, instance: Any, prefix: str = "", *, max_errors: int = 1_000
) -> list[ErrorItem]:
    """Every schema violation of ``instance`` as an ErrorItem under ``prefix``, up to
    ``max_errors`` of them (then one item says there are more)."""
    if is_valid(validator, instance):
        return []
    items = []
    for count, error in enumerate(validator.iter_errors(instance)):
        if count == max_errors:
            items.append(ErrorItem(prefix, "... and more schema errors (max_errors)"))
            break
        leaves = [error]
        if error.context:  # an anyOf/oneOf: say what the deepest branches said
            leaves = [sub for sub in error.context if not sub.context] or [error]
        for leaf in leaves[:3]:
            where = _path(list(leaf.absolute_path))
            path = (
                f"{prefix}.{where}"
                if prefix and where and not where.startswith("[")
                else (prefix + where)
            )
            items.append(ErrorItem(path, _message(leaf.message)))
    items.sort(key=lambda item: item.path)
    return items


def _message(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


@functools.cache
def _official_datapackage() -> dict[str, Any]:
    text = resources.files("saihan_hsds").joinpath("schema", "datapackage.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_TABULAR_TYPES = {
    "string": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
}


@functools.cache
def datapackage() -> dict[str, Any]:
    """The tabular ``datapackage.json`` of the Japan profile.

    The official descriptor with, for each table whose object the profile
    changes, the profile's new scalar fields appended (an ``object`` field,
    such as a service's ``hours``, is JSON text in its cell).
    """
    package = copy.deepcopy(_official_datapackage())
    patches = profile_patches()
    for resource in package["resources"]:
        patch = patches.get(f"{resource['name']}.json")
        if patch is None:
            continue
        names = {field["name"] for field in resource["schema"]["fields"]}
        for name, spec in patch.get("properties", {}).items():
            if name in names or spec.get("type") == "array" or "type" not in spec:
                continue
            field: dict[str, Any] = {
                "name": name,
                "type": "object" if spec["type"] == "object" else _TABULAR_TYPES[spec["type"]],
                "description": spec.get("description", ""),
                "constraints": {"required": False, "unique": False},
            }
            if "format" in spec:
                field["format"] = spec["format"]
            if "enum" in spec:
                field["constraints"]["enum"] = spec["enum"]
            resource["schema"]["fields"].append(field)
    package["name"] = "saihan_hsds_directory"
    package["profile"] = "tabular-data-package"
    return package
