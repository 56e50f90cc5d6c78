"""Several imports of one directory (pages of a feed, several sources) merged by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

from saihan.directory.directory import Directory
from saihan.errors import ValidationError

__all__ = ["merge_directories"]

_T = TypeVar("_T")


def _differing(old: Any, new: Any) -> list[str]:
    return [
        field.name
        for field in attrs.fields(type(old))
        if field.init and getattr(old, field.name) != getattr(new, field.name)
    ]


def _merge(
    kind: str, old: Iterable[_T], new: Iterable[_T], key: str, conflicts: list[str]
) -> list[_T]:
    merged: dict[str, _T] = {getattr(item, key): item for item in old}
    for item in new:
        ident = getattr(item, key)
        before = merged.get(ident)
        if before is not None and before != item:
            fields = ", ".join(_differing(before, item))
            conflicts.append(f"{kind} {ident!r}: the sources differ in {fields}; the later kept")
        merged[ident] = item
    return list(merged.values())


def merge_directories(base: Directory, *more: Directory) -> tuple[Directory, tuple[str, ...]]:
    """``base`` with the agencies, services, needs and agency kinds of ``more`` added.

    Records are matched by id (needs and kinds by code): a record only in one
    source is kept; the same record in several is kept once; a record whose
    sources differ is taken from the later source, and each such conflict is
    listed (``service 'x': the sources differ in name, hours; the later kept``).
    The meta is the base's unless it is the default one.  The result is a
    valid :class:`Directory` (a service naming an agency no source has raises
    :class:`~saihan.errors.ValidationError`).
    """
    for position, directory in enumerate((base, *more)):
        if not isinstance(directory, Directory):
            raise ValidationError(
                f"expected a Directory, got {type(directory).__name__}", path=f"[{position}]"
            )
    conflicts: list[str] = []
    merged = base
    for directory in more:
        meta = merged.meta if merged.meta != Directory().meta else directory.meta
        merged = Directory(
            agencies=_merge("agency", merged.agencies, directory.agencies, "id", conflicts),
            services=_merge("service", merged.services, directory.services, "id", conflicts),
            meta=meta,
            needs=_merge("need", merged.needs, directory.needs, "code", conflicts),
            agency_kinds=_merge(
                "agency kind", merged.agency_kinds, directory.agency_kinds, "code", conflicts
            ),
        )
    return merged, tuple(conflicts)
