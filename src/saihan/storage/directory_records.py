"""The directory's record types: agencies, services, extension needs and kinds, meta.

Index entries (what the queries use):

- service ``agency``: its agency id; ``need``: each need code; ``area``:
  ``m:<municipality code>`` for each listed municipality, ``p:<prefecture code>``
  for a prefecture-wide area, ``national`` for a national one; ``need_area``:
  ``<need>@<area>`` for each pair of those (the candidates of a match in one index
  range: :func:`need_area_key`).
- agency ``kind``: its agency kind code.

Texts (``text``, for ``store.services.search(text=...)``): a service's name and
description, an agency's name, folded for search; a service is found by its
agency's name through its reference to the agency.

References: a service names its agency and any extension need it meets; an
agency names an extension kind; an extension need names an extension parent; an
extension kind names extension needs.  Bundled needs and kinds are not records.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from saihan.directory.agency import Agency
from saihan.directory.agency_kinds import AgencyKind, default_agency_kinds
from saihan.directory.directory import DirectoryMeta, agency_search_key, service_search_key
from saihan.directory.service import AreaKind, Service
from saihan.directory.taxonomy import Need, default_taxonomy
from saihan.directory.vocabulary import Channel
from saihan.errors import ErrorItem, ValidationError
from saihan.storage.records import Reader, RecordType, Reference

__all__ = [
    "AGENCIES",
    "AGENCY_KINDS",
    "DIRECTORY_RECORD_TYPES",
    "META",
    "META_ID",
    "NEEDS",
    "SERVICES",
    "area_keys",
    "need_area_key",
]

META_ID = "directory"


@functools.cache
def _bundled_needs() -> frozenset[str]:
    return frozenset(need.code for need in default_taxonomy())


@functools.cache
def _bundled_kinds() -> frozenset[str]:
    return frozenset(kind.code for kind in default_agency_kinds())


def area_keys(service: Service) -> Iterable[tuple[str, str]]:
    area = service.area
    if area.kind is AreaKind.NATIONAL:
        yield ("area", "national")
    elif area.kind is AreaKind.PREFECTURE:
        yield ("area", f"p:{area.prefecture_code}")
    else:
        for code in area.municipality_codes:
            yield ("area", f"m:{code}")


def need_area_key(need: str, area: str) -> str:
    """The ``need_area`` index value of a need code and an ``area`` value."""
    return f"{need}@{area}"


def _service_index(service: Service) -> Iterable[tuple[str, str]]:
    yield ("agency", service.agency_id)
    for code in service.needs:
        yield ("need", code)
    areas = [value for _, value in area_keys(service)]
    yield from (("area", value) for value in areas)
    for code in service.needs:
        for value in areas:
            yield ("need_area", need_area_key(code, value))


def _need_references(path: str, codes: frozenset[str]) -> Iterable[Reference]:
    bundled = _bundled_needs()
    for position, code in enumerate(sorted(codes)):
        if code not in bundled:
            yield Reference(f"{path}[{position}]", "need", code)


def _service_references(service: Service) -> Iterable[Reference]:
    yield Reference("agency_id", "agency", service.agency_id)
    yield from _need_references("needs", service.needs)


def _location_problems(service: Service, agency: Agency) -> list[ErrorItem]:
    problems = []
    for position, location_id in enumerate(service.location_ids):
        if agency.location(location_id) is None:
            problems.append(
                ErrorItem(
                    f"location_ids[{position}]",
                    f"agency {agency.id!r} has no location {location_id!r}",
                )
            )
    for position, contact in enumerate(service.contacts):
        if contact.channel is Channel.VISIT and agency.location(contact.value) is None:
            problems.append(
                ErrorItem(
                    f"contacts[{position}].value",
                    f"agency {agency.id!r} has no location {contact.value!r} to visit",
                )
            )
    return problems


def _check_service(service: Service, reader: Reader) -> list[ErrorItem]:
    agency = reader.load(AGENCIES, service.agency_id)
    return [] if agency is None else _location_problems(service, agency)


def _check_agency(agency: Agency, reader: Reader) -> list[ErrorItem]:
    problems = []
    for position, contact in enumerate(agency.contacts):
        if contact.channel is Channel.VISIT and agency.location(contact.value) is None:
            problems.append(
                ErrorItem(
                    f"contacts[{position}].value",
                    f"agency {agency.id!r} has no location {contact.value!r} to visit",
                )
            )
    for service in reader.load_where(SERVICES, [("agency", [agency.id])]):
        for problem in _location_problems(service, agency):
            problems.append(
                ErrorItem(
                    "locations",
                    f"service {service.id!r} still uses it: {problem.message}",
                )
            )
    return problems


def _agency_references(agency: Agency) -> Iterable[Reference]:
    if agency.kind not in _bundled_kinds():
        yield Reference("kind", "agency_kind", agency.kind)


def _need_parent_references(need: Need) -> Iterable[Reference]:
    if need.parent is not None and need.parent not in _bundled_needs():
        yield Reference("parent", "need", need.parent)


def _check_need(need: Need, reader: Reader) -> list[ErrorItem]:
    if need.code in _bundled_needs():
        return [ErrorItem("code", f"need {need.code!r} is bundled; use a new code")]
    others = [stored for stored in reader.load_all(NEEDS) if stored.code != need.code]
    extension = [*others, need]
    try:
        default_taxonomy().extended(extension)
    except ValidationError as error:
        prefix = f"[{len(others)}]."
        # A missing extension parent is reported as a missing reference instead.
        found = [item for item in error.errors if "unknown parent" not in item.message]
        own = [
            ErrorItem(item.path.removeprefix(prefix), item.message)
            for item in found
            if item.path.startswith(prefix)
        ]
        if own or not found:
            return own
        return [ErrorItem("parent", f"makes the taxonomy inconsistent: {found[0].message}")]
    return []


def _check_kind(kind: AgencyKind, reader: Reader) -> list[ErrorItem]:
    del reader
    if kind.code in _bundled_kinds():
        return [ErrorItem("code", f"agency kind {kind.code!r} is bundled; use a new code")]
    return []


SERVICES: RecordType[Service] = RecordType(
    kind="service",
    model=Service,
    id_of=lambda service: service.id,
    label="service",
    index=_service_index,
    references=_service_references,
    check=_check_service,
    text=service_search_key,
)

AGENCIES: RecordType[Agency] = RecordType(
    kind="agency",
    model=Agency,
    id_of=lambda agency: agency.id,
    label="agency",
    index=lambda agency: [("kind", agency.kind)],
    references=_agency_references,
    check=_check_agency,
    text=agency_search_key,
)

NEEDS: RecordType[Need] = RecordType(
    kind="need",
    model=Need,
    id_of=lambda need: need.code,
    label="need",
    references=_need_parent_references,
    check=_check_need,
)

AGENCY_KINDS: RecordType[AgencyKind] = RecordType(
    kind="agency_kind",
    model=AgencyKind,
    id_of=lambda kind: kind.code,
    label="agency kind",
    references=lambda kind: _need_references("needs", kind.needs),
    check=_check_kind,
)

META: RecordType[DirectoryMeta] = RecordType(
    kind="directory_meta",
    model=DirectoryMeta,
    id_of=lambda meta: META_ID,
    label="directory meta",
)

DIRECTORY_RECORD_TYPES: tuple[RecordType[Any], ...] = (
    META,
    NEEDS,
    AGENCY_KINDS,
    AGENCIES,
    SERVICES,
)
"""In the order a directory is written: what is referenced comes first."""
