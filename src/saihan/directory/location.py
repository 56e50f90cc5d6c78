"""Where an agency works: Japanese addresses, coordinates, confidentiality."""

from __future__ import annotations

import re

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.municipalities import code_problem
from saihan.text import LocalizedText

__all__ = ["Address", "GeoPoint", "Location"]

POSTAL_CODE_PATTERN = r"^[0-9]{3}-[0-9]{4}$"
MUNICIPALITY_CODE_PATTERN = r"^[0-9]{6}$"
_POSTAL_RE = re.compile(POSTAL_CODE_PATTERN)


@attrs.frozen
class Address:
    """A Japanese postal address (住所), keyed by municipality code."""

    municipality_code: str = attrs.field(
        metadata={
            "schema": {"pattern": MUNICIPALITY_CODE_PATTERN},
            "doc": "Local government code (JIS X 0402 with check digit), e.g. 132012.",
        }
    )
    prefecture: str = attrs.field(
        default="東京都", metadata={"schema": {"minLength": 1}, "doc": "Prefecture in kanji."}
    )
    postal_code: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": POSTAL_CODE_PATTERN}, "doc": "Postal code, 123-4567."},
    )
    street: str | None = attrs.field(
        default=None,
        metadata={"doc": "Everything after the municipality: town, block, building."},
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        problem = code_problem(self.municipality_code)
        if problem:
            check.add("municipality_code", problem)
        if self.postal_code is not None and not _POSTAL_RE.fullmatch(self.postal_code):
            check.add("postal_code", f"{self.postal_code!r} is not a postal code like 160-0023")
        check.non_blank("prefecture", self.prefecture)
        check.non_blank_optional("street", self.street)
        check.done()


@attrs.frozen
class GeoPoint:
    """A WGS 84 coordinate."""

    lat: float = attrs.field(metadata={"schema": {"minimum": -90, "maximum": 90}})
    lon: float = attrs.field(metadata={"schema": {"minimum": -180, "maximum": 180}})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(-90 <= self.lat <= 90, "lat", f"{self.lat} is outside -90..90")
        check.require(-180 <= self.lon <= 180, "lon", f"{self.lon} is outside -180..180")
        check.done()


@attrs.frozen
class Location:
    """A place where an agency receives people.

    A **confidential** location (shelters and rehabilitation facilities often
    are) is never published: :meth:`published` keeps only its municipality,
    and every exporter uses it.
    """

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Location id."})
    address: Address = attrs.field(metadata={"doc": "Postal address."})
    name: LocalizedText | None = attrs.field(default=None, metadata={"doc": "Name of the place."})
    geo: GeoPoint | None = attrs.field(default=None, metadata={"doc": "Coordinates."})
    confidential: bool = attrs.field(
        default=False, metadata={"doc": "Never publish the address or coordinates."}
    )
    access: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "How to get there (nearest station...)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.done()

    @property
    def municipality_code(self) -> str:
        return self.address.municipality_code

    def published(self) -> Location:
        """What may be shown to the public: a confidential location keeps only its municipality."""
        if not self.confidential:
            return self
        return Location(
            id=self.id,
            address=Address(
                municipality_code=self.address.municipality_code,
                prefecture=self.address.prefecture,
            ),
            confidential=True,
        )
