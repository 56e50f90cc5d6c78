"""The directory as a FHIR R4 ``collection`` Bundle: Organization, Location, HealthcareService.

Agencies become ``Organization``, their locations ``Location`` (from
``Directory.published()``: a confidential location keeps its municipality and
nothing else), services ``HealthcareService``.  A service's business calendar
becomes ``availableTime`` (its weekly hours, every week) and ``notAvailable``
(each stretch of those hours the calendar keeps closed within a window:
holidays, year-end closures, temporary closures, weeks a rule skips, days
outside its reception period), each with the calendar's own reason as its
``description``.  See ``docs/fhir.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from saihan.directory import Agency, Directory, Location, Service
from saihan.directory.municipalities import find_municipality
from saihan.directory.service import ContactPoint
from saihan.directory.vocabulary import Channel
from saihan.errors import ValidationError
from saihan.plugins import check_options
from saihan.schedule import BusinessCalendar
from saihan.schedule.rules import Weekday
from saihan.text import LocalizedText
from saihan_fhir import codes as c

__all__ = ["DEFAULT_WINDOW_DAYS", "FhirExporter", "availability", "directory_bundle"]

DEFAULT_WINDOW_DAYS = 366
"""How many days ``notAvailable`` covers from the window's first day."""

_DAYS = {
    Weekday.MO: "mon",
    Weekday.TU: "tue",
    Weekday.WE: "wed",
    Weekday.TH: "thu",
    Weekday.FR: "fri",
    Weekday.SA: "sat",
    Weekday.SU: "sun",
}
_ORDER = list(_DAYS.values())
_TELECOM = {
    Channel.PHONE: "phone",
    Channel.FAX: "fax",
    Channel.EMAIL: "email",
    Channel.WEB_FORM: "url",
}

Interval = tuple[dt.datetime, dt.datetime]


def _aliases(text: LocalizedText) -> list[str]:
    return [value for value in (text.kana, text.en) if value]


def _telecom(contacts: tuple[ContactPoint, ...]) -> list[dict[str, Any]]:
    found = []
    for contact in contacts:
        system = _TELECOM.get(contact.channel)
        if system is not None:  # "visit" is a place: it is the Location
            found.append({"system": system, "value": contact.value, "use": "work"})
    return found


def _organization(agency: Agency) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": c.fhir_id(agency.id),
        "identifier": [c.identifier(c.AGENCY, agency.id)],
        "active": True,
        "type": [{"coding": [c.coding(c.AGENCY_KIND, agency.kind)], "text": agency.kind}],
        "name": agency.name.ja,
    }
    if aliases := _aliases(agency.name):
        resource["alias"] = aliases
    telecom = _telecom(agency.contacts)
    if agency.website is not None:
        telecom.append({"system": "url", "value": agency.website, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    return resource


def _location_key(agency: Agency, location: Location) -> str:
    return f"{agency.id}/{location.id}"


def _location(agency: Agency, location: Location) -> dict[str, Any]:
    key = _location_key(agency, location)
    address = location.address
    found = find_municipality(address.municipality_code)
    postal: dict[str, Any] = {
        "extension": [{"url": c.EXT_MUNICIPALITY, "valueCode": address.municipality_code}],
        "use": "work",
        "type": "physical",
        "state": address.prefecture,
        "country": "JP",
    }
    if len(found) == 1:
        postal["city"] = found[0].name_ja
    if address.street is not None:
        postal["line"] = [address.street]
    if address.postal_code is not None:
        postal["postalCode"] = address.postal_code
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": c.fhir_id(f"{agency.id}.{location.id}"),
        "identifier": [c.identifier(c.LOCATION, key)],
        "status": "active",
        "mode": "instance",
        "address": postal,
        "managingOrganization": _org_reference(agency.id),
    }
    if location.name is not None:
        resource["name"] = location.name.ja
        if aliases := _aliases(location.name):
            resource["alias"] = aliases
    if location.access is not None:
        resource["description"] = location.access.ja
    if location.geo is not None:
        resource["position"] = {"latitude": location.geo.lat, "longitude": location.geo.lon}
    return resource


def _org_reference(agency_id: str) -> dict[str, Any]:
    return {
        "reference": f"Organization/{c.fhir_id(agency_id)}",
        "identifier": c.identifier(c.AGENCY, agency_id),
    }


def _clock(value: dt.time) -> str:
    return value.strftime("%H:%M:%S")


def _available_time(calendar: BusinessCalendar) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for rule in calendar.weekly:
        days = sorted((_DAYS[day] for day in rule.days), key=_ORDER.index)
        if rule.opens == rule.closes == dt.time(0, 0):
            found.append({"daysOfWeek": days, "allDay": True})
        elif rule.closes > rule.opens:
            found.append(
                {
                    "daysOfWeek": days,
                    "availableStartTime": _clock(rule.opens),
                    "availableEndTime": _clock(rule.closes),
                }
            )
        else:  # past midnight: FHIR's times stay within a day, so two entries
            found.append(
                {
                    "daysOfWeek": days,
                    "availableStartTime": _clock(rule.opens),
                    "availableEndTime": "23:59:59",
                }
            )
            if rule.closes != dt.time(0, 0):
                after = sorted(
                    (_ORDER[(_ORDER.index(day) + 1) % 7] for day in days), key=_ORDER.index
                )
                found.append(
                    {
                        "daysOfWeek": after,
                        "availableStartTime": "00:00:00",
                        "availableEndTime": _clock(rule.closes),
                    }
                )
    return found


def _weekly_intervals(calendar: BusinessCalendar, first: dt.date, days: int) -> list[Interval]:
    """The open time ``availableTime`` says: every weekly rule, every week, always."""
    zone = calendar.zone
    found: list[Interval] = []
    for offset in range(-1, days):
        day = first + dt.timedelta(days=offset)
        for rule in calendar.weekly:
            if Weekday.of(day) not in rule.days:
                continue
            opens = dt.datetime.combine(day, rule.opens, zone)
            end_day = day if rule.closes > rule.opens else day + dt.timedelta(days=1)
            found.append((opens, dt.datetime.combine(end_day, rule.closes, zone)))
    return _merge(found)


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _minus(intervals: list[Interval], taken: list[Interval]) -> list[Interval]:
    """``intervals`` less ``taken`` (both sorted, without overlaps)."""
    left: list[Interval] = []
    for start, end in intervals:
        cursor = start
        for open_start, open_end in taken:
            if open_end <= cursor or open_start >= end:
                continue
            if open_start > cursor:
                left.append((cursor, open_start))
            cursor = max(cursor, open_end)
        if cursor < end:
            left.append((cursor, end))
    return left


def _why(calendar: BusinessCalendar, moment: dt.datetime) -> str:
    message = calendar.status(moment).message
    return f"{message.ja} / {message.en}" if message.en else message.ja


def availability(
    calendar: BusinessCalendar, *, first: dt.date, days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Any]:
    """``availableTime``, ``notAvailable`` and ``availabilityExceptions`` of a
    HealthcareService for ``calendar``, with ``notAvailable`` over ``days`` days
    from ``first`` (in the calendar's zone).

    Every stretch that ``availableTime`` calls open and the calendar keeps
    closed is one ``notAvailable`` (consecutive days closed for the same reason
    are one); openings outside the weekly hours (special openings), which
    HealthcareService cannot express, are listed in ``availabilityExceptions``.
    """
    if days < 1:
        raise ValidationError("give at least one day", path="days")
    zone = calendar.zone
    start = dt.datetime.combine(first, dt.time(0, 0), zone)
    end = dt.datetime.combine(first + dt.timedelta(days=days), dt.time(0, 0), zone)
    clipped = [(max(a, start), min(b, end)) for a, b in _weekly_intervals(calendar, first, days)]
    weekly = [(a, b) for a, b in clipped if a < b]
    actual = _merge(calendar.openings(start, end))
    closed = _minus(weekly, actual)
    not_available: list[dict[str, Any]] = []
    last_reason: str | None = None
    for closed_start, closed_end in closed:
        reason = _why(calendar, closed_start)
        previous = not_available[-1] if not_available else None
        contiguous = (
            previous is not None
            and reason == last_reason
            and not any(a < closed_start and b > previous["_end"] for a, b in actual)
        )
        if previous is not None and contiguous:
            previous["_end"] = closed_end
        else:
            not_available.append(
                {"description": reason, "_start": closed_start, "_end": closed_end}
            )
        last_reason = reason
    result: dict[str, Any] = {}
    available = _available_time(calendar)
    if available:
        result["availableTime"] = available
    if not_available:
        result["notAvailable"] = [
            {
                "description": item["description"],
                "during": {"start": item["_start"].isoformat(), "end": item["_end"].isoformat()},
            }
            for item in not_available
        ]
    extra = _minus(actual, weekly)
    notes = []
    if calendar.note is not None:
        notes.append(calendar.note.ja)
    for extra_start, extra_end in extra:
        notes.append(f"{extra_start:%Y-%m-%d %H:%M}-{extra_end:%H:%M} 臨時開所 (special opening)")
    if notes:
        result["availabilityExceptions"] = "\n".join(notes)
    return result


def _service(service: Service, first: dt.date, days: int) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": c.fhir_id(service.id),
        "identifier": [c.identifier(c.SERVICE, service.id)],
        "active": True,
        "providedBy": _org_reference(service.agency_id),
        "category": [
            {"coding": [c.coding(c.SDOHCC_CODES, "incarceration-status", "Incarceration Status")]}
        ],
        "name": service.name.ja,
    }
    if service.needs:
        resource["type"] = [
            {"coding": [c.coding(c.NEED, need)], "text": need} for need in sorted(service.needs)
        ]
    if service.location_ids:
        resource["location"] = [
            {
                "reference": f"Location/{c.fhir_id(f'{service.agency_id}.{location}')}",
                "identifier": c.identifier(c.LOCATION, f"{service.agency_id}/{location}"),
            }
            for location in service.location_ids
        ]
    if service.description is not None:
        resource["comment"] = service.description.ja
    if service.url is not None:
        resource["extraDetails"] = service.url
    telecom = _telecom(service.contacts)
    if telecom:
        resource["telecom"] = telecom
    if service.languages:
        resource["communication"] = [
            {"coding": [c.coding("urn:ietf:bcp:47", language)]} for language in service.languages
        ]
    if service.hours is not None:
        resource.update(availability(service.hours, first=first, days=days))
    return resource


def directory_bundle(
    directory: Directory, *, first: dt.date | None = None, days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Any]:
    """The FHIR R4 ``collection`` Bundle of ``directory.published()``.

    ``first`` is the first day of the ``notAvailable`` window (default: today in
    Tokyo), ``days`` its length.
    """
    if not isinstance(directory, Directory):
        raise ValidationError(
            f"the fhir exporter writes a Directory, not {type(directory).__name__}", path=""
        )
    if first is None:
        first = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    published = directory.published()
    entries: list[dict[str, Any]] = []
    for agency in sorted(published.agencies, key=lambda a: a.id):
        entries.append(
            {"fullUrl": c.urn_uuid("Organization", agency.id), "resource": _organization(agency)}
        )
        for location in agency.locations:
            entries.append(
                {
                    "fullUrl": c.urn_uuid("Location", _location_key(agency, location)),
                    "resource": _location(agency, location),
                }
            )
    for service in sorted(published.services, key=lambda s: s.id):
        entries.append(
            {
                "fullUrl": c.urn_uuid("HealthcareService", service.id),
                "resource": _service(service, first, days),
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


class FhirExporter:
    """Writes a directory as one FHIR R4 ``collection`` Bundle (UTF-8 JSON).

    Confidential locations keep only their municipality, always.  Options:
    ``first`` (a date, or its ISO text: the first day of the ``notAvailable`` window, default
    today in Tokyo), ``days`` (int, default 366), ``indent`` (int, default 2).
    """

    name = "fhir"
    media_type = "application/fhir+json"
    suffix = ".json"
    exports: type = Directory

    def export(self, directory: Directory, /, **options: Any) -> bytes:
        given = {key: value for key, value in options.items() if value is not None}
        if isinstance(given.get("first"), str):  # from the command line's --option
            try:
                given["first"] = dt.date.fromisoformat(given["first"])
            except ValueError:
                raise ValidationError(
                    f"{given['first']!r} is not a date like 2025-04-01", path="first"
                ) from None
        check_options(self.name, given, {"first": dt.date, "days": int, "indent": int})
        indent = given.pop("indent", 2)
        document = directory_bundle(directory, **given)
        text = json.dumps(document, ensure_ascii=False, indent=indent or None)
        return (text + "\n").encode("utf-8")
