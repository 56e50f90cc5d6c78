"""Reading FHIR JSON as plain data, every problem with the path of its field."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from saihan.errors import ErrorItem, ValidationError

__all__ = ["Reader"]

T = TypeVar("T")

_NAMES = {dict: "an object", list: "an array", str: "a string", int: "a number", bool: "a boolean"}


def _fail(path: str, message: str) -> ValidationError:
    return ValidationError([ErrorItem(path, message)])


class Reader:
    """Typed access to a JSON value at a path; raises ValidationError naming it."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def get(self, key: str, kind: type[T], *, required: bool = True) -> T | None:
        if not isinstance(self.value, dict):
            raise _fail(self.path, "expected an object")
        found = self.value.get(key)
        if found is None:
            if required:
                raise _fail(self.at(key), "is required")
            return None
        if not isinstance(found, kind) or (kind is int and isinstance(found, bool)):
            raise _fail(self.at(key), f"expected {_NAMES.get(kind, kind.__name__)}")
        return found

    def need(self, key: str, kind: type[T]) -> T:
        found = self.get(key, kind)
        assert found is not None
        return found

    def child(self, key: str) -> Reader | None:
        found = self.get(key, dict, required=False)
        return None if found is None else Reader(found, self.at(key))

    def items(self, key: str, *, required: bool = False) -> list[Reader]:
        found = self.get(key, list, required=required) or []
        return [Reader(item, f"{self.at(key)}[{index}]") for index, item in enumerate(found)]

    def moment(self, key: str, *, required: bool = True) -> dt.datetime | None:
        text = self.get(key, str, required=required)
        if text is None:
            return None
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _fail(self.at(key), f"{text!r} is not a FHIR dateTime") from None
        if value.utcoffset() is None:
            raise _fail(self.at(key), f"{text!r} has no time zone: saihan needs one")
        return value

    def day(self, key: str, *, required: bool = True) -> dt.date | None:
        text = self.get(key, str, required=required)
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise _fail(self.at(key), f"{text!r} is not a FHIR date") from None

    def identifier_value(self, key: str, system: str) -> str | None:
        """The value of the first ``key`` identifier (one, or an array) of ``system``."""
        found = self.value.get(key) if isinstance(self.value, dict) else None
        candidates = found if isinstance(found, list) else [found]
        for item in candidates:
            if isinstance(item, dict) and item.get("system") == system:
                value = item.get("value")
                if isinstance(value, str):
                    return value
        return None

    def code_of(self, key: str, system: str) -> str | None:
        """The code of ``system`` in the CodeableConcept ``key`` (or None)."""
        concept = self.value.get(key) if isinstance(self.value, dict) else None
        concepts = concept if isinstance(concept, list) else [concept]
        for item in concepts:
            if not isinstance(item, dict):
                continue
            codings = item.get("coding")
            for one in codings if isinstance(codings, list) else []:
                if isinstance(one, dict) and one.get("system") == system:
                    code = one.get("code")
                    if isinstance(code, str):
                        return code
        return None
