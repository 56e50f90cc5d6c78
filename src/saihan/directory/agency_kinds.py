"""The kinds of bodies in offender-reintegration support, as data.

Bundled from ``data/agency_types.csv`` (see ``data/README.md`` for sources);
a directory document may add its own kinds under ``agency_kinds``.
"""

from __future__ import annotations

import functools

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory._data import read_rows
from saihan.text import LocalizedText

__all__ = ["AgencyKind", "default_agency_kinds"]


@attrs.frozen
class AgencyKind:
    """A kind of support body (保護観察所, 地域生活定着支援センター, ...)."""

    code: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Kind code."})
    name: LocalizedText = attrs.field(metadata={"doc": "Name of the kind."})
    operator: str | None = attrs.field(
        default=None, metadata={"doc": "Who typically runs such a body."}
    )
    needs: frozenset[str] = attrs.field(
        factory=frozenset, metadata={"doc": "Need codes such bodies typically serve."}
    )
    source: str | None = attrs.field(
        default=None, metadata={"doc": "A public page describing the kind."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("code", self.code)
        check.done()


@functools.cache
def default_agency_kinds() -> tuple[AgencyKind, ...]:
    """Every bundled agency kind, in file order."""
    return tuple(
        AgencyKind(
            code=row["code"],
            name=LocalizedText(ja=row["name_ja"], en=row["name_en"]),
            operator=row["operator"] or None,
            needs=frozenset(filter(None, row["needs"].split(";"))),
            source=row["source"] or None,
        )
        for row in read_rows("agency_types.csv")
    )
