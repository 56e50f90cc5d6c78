"""Agencies: the organisations that run services (HSDS ``organization``)."""

from __future__ import annotations

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import Location
from saihan.directory.service import _URL_RE, ContactPoint
from saihan.text import LocalizedText

__all__ = ["Agency"]


@attrs.frozen
class Agency:
    """A body that supports people: a probation office, a welfare office, an NPO.

    Its services are separate records that name it by ``agency_id``; ask a
    :class:`~saihan.directory.Directory` for ``services_of(agency_id)``.
    """

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Stable agency id."})
    name: LocalizedText = attrs.field(metadata={"doc": "Name in Japanese, kana and English."})
    kind: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Agency kind code (see agency kinds)."}
    )
    operator: str | None = attrs.field(
        default=None, metadata={"doc": "Who runs it (national, TMG, a municipality, an NPO ...)."}
    )
    description: LocalizedText | None = attrs.field(default=None, metadata={"doc": "What it does."})
    website: str | None = attrs.field(
        default=None, metadata={"schema": {"pattern": r"^https?://\S+$"}, "doc": "Public website."}
    )
    contacts: tuple[ContactPoint, ...] = attrs.field(
        default=(), metadata={"doc": "General contacts of the agency."}
    )
    locations: tuple[Location, ...] = attrs.field(
        default=(), metadata={"doc": "Places where it receives people."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.identifier("kind", self.kind)
        if self.website is not None and not _URL_RE.fullmatch(self.website):
            check.add("website", f"{self.website!r} is not an http(s) URL")
        seen: set[str] = set()
        for index, location in enumerate(self.locations):
            if location.id in seen:
                check.add(f"locations[{index}].id", f"duplicate location id {location.id!r}")
            seen.add(location.id)
        check.done()

    def location(self, location_id: str) -> Location | None:
        return next((loc for loc in self.locations if loc.id == location_id), None)
