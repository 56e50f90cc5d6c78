"""The directory as FHIR R4: Organization, Location, HealthcareService, per fhir.resources."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from _fhir_validation import validate_bundle
from hypothesis import given, settings
from hypothesis import strategies as st
from saihan_fhir import FhirExporter, availability, directory_bundle

from saihan import plugins
from saihan.cli import main
from saihan.directory import Directory, sample_directory
from saihan.errors import ValidationError
from saihan.schedule import BusinessCalendar
from saihan.schedule.rules import Closure, WeeklyHours
from saihan.testing import directories
from saihan.testing.calendar_strategies import calendars
from saihan.text import LocalizedText

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = dt.date(2025, 1, 1)
DAYS = 60
_ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _saihan_id(resource: dict[str, Any], system: str) -> str:
    (found,) = [i["value"] for i in resource["identifier"] if i["system"] == system]
    return str(found)


def test_the_sample_directory_validates_resource_by_resource() -> None:
    directory = sample_directory()
    bundle = directory_bundle(directory, first=FIRST, days=DAYS)
    kinds = validate_bundle(bundle)
    assert kinds.count("Organization") == len(directory.agencies)
    assert kinds.count("Location") == sum(len(a.locations) for a in directory.agencies)
    assert kinds.count("HealthcareService") == len(directory.services)
    services = {
        _saihan_id(r, "urn:saihan:service"): r for r in _resources(bundle, "HealthcareService")
    }
    for service in directory.services:
        resource = services[service.id]
        assert resource["name"] == service.name.ja
        assert resource["providedBy"]["identifier"]["value"] == service.agency_id
        assert {t["text"] for t in resource.get("type", [])} == set(service.needs)
        assert ("availableTime" in resource) == bool(service.hours and service.hours.weekly)


def test_confidential_locations_carry_their_municipality_only() -> None:
    directory = sample_directory()
    bundle = directory_bundle(directory, first=FIRST, days=DAYS)
    locations = {_saihan_id(r, "urn:saihan:location"): r for r in _resources(bundle, "Location")}
    confidential = [
        (agency, location)
        for agency in directory.agencies
        for location in agency.locations
        if location.confidential
    ]
    assert confidential, "the sample has confidential locations"
    for agency, location in confidential:
        resource = locations[f"{agency.id}/{location.id}"]
        assert set(resource) == {
            "resourceType", "id", "identifier", "status", "mode", "address",
            "managingOrganization",
        }  # fmt: skip
        address = resource["address"]
        assert "line" not in address
        assert "postalCode" not in address
        code = address["extension"][0]["valueCode"]
        assert code == location.address.municipality_code
        text = json.dumps(resource, ensure_ascii=False)
        assert location.address.street is None or location.address.street not in text


def _weekday_calendar(**changes: Any) -> BusinessCalendar:
    return BusinessCalendar(
        weekly=(WeeklyHours.of("MO-FR", "09:00", "17:00"),),
        closed_on_national_holidays=True,
        **changes,
    )


def test_weekly_hours_holidays_and_a_closure_become_available_time_and_not_available() -> None:
    calendar = _weekday_calendar(
        closures=(
            Closure(
                start=dt.date(2025, 1, 20),
                end=dt.date(2025, 1, 21),
                reason=LocalizedText(ja="庁舎点検", en="building inspection"),
            ),
        ),
    )
    found = availability(calendar, first=dt.date(2025, 1, 6), days=30)
    assert found["availableTime"] == [
        {
            "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
            "availableStartTime": "09:00:00",
            "availableEndTime": "17:00:00",
        }
    ]
    closed = [
        (n["during"]["start"], n["during"]["end"], n["description"]) for n in found["notAvailable"]
    ]
    assert [(start, end) for start, end, _ in closed] == [
        ("2025-01-13T09:00:00+09:00", "2025-01-13T17:00:00+09:00"),  # 成人の日
        ("2025-01-20T09:00:00+09:00", "2025-01-21T17:00:00+09:00"),  # two days, one entry
    ]
    assert "成人の日" in closed[0][2]
    assert "庁舎点検" in closed[1][2]
    assert "building inspection" in closed[1][2]


def test_a_round_the_clock_rule_is_all_day_and_a_night_rule_is_split_at_midnight() -> None:
    calendar = BusinessCalendar(
        weekly=(
            WeeklyHours.of("SA,SU", "00:00", "00:00"),
            WeeklyHours.of("FR", "22:00", "02:00"),
        )
    )
    found = availability(calendar, first=dt.date(2025, 3, 3), days=7)
    assert found["availableTime"] == [
        {"daysOfWeek": ["sat", "sun"], "allDay": True},
        {"daysOfWeek": ["fri"], "availableStartTime": "22:00:00", "availableEndTime": "23:59:59"},
        {"daysOfWeek": ["sat"], "availableStartTime": "00:00:00", "availableEndTime": "02:00:00"},
    ]
    assert "notAvailable" not in found


def test_a_special_opening_outside_the_weekly_hours_is_written_as_an_exception() -> None:
    from saihan.schedule.rules import SpecialOpening

    calendar = _weekday_calendar(
        special_openings=(
            SpecialOpening(date=dt.date(2025, 1, 11), opens=dt.time(10), closes=dt.time(12)),
        )
    )
    found = availability(calendar, first=dt.date(2025, 1, 6), days=14)
    assert "2025-01-11 10:00-12:00" in found["availabilityExceptions"]


def test_the_window_must_have_a_day() -> None:
    with pytest.raises(ValidationError) as raised:
        availability(_weekday_calendar(), first=FIRST, days=0)
    assert raised.value.errors[0].path == "days"


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _fhir_open(found: dict[str, Any], moment: dt.datetime) -> tuple[bool, bool]:
    """(open by availableTime, open once notAvailable is taken off), read from the output."""
    local = moment.astimezone(TOKYO)
    day = _ORDER[local.weekday()]
    weekly = False
    for item in found.get("availableTime", []):
        if day not in item["daysOfWeek"]:
            continue
        if item.get("allDay"):
            weekly = True
        else:
            start = _time(item["availableStartTime"])
            end = _time(item["availableEndTime"])
            if start <= local.time() and (local.time() < end or end == dt.time(23, 59, 59)):
                weekly = True
    blocked = any(
        dt.datetime.fromisoformat(n["during"]["start"])
        <= moment
        < dt.datetime.fromisoformat(n["during"]["end"])
        for n in found.get("notAvailable", [])
    )
    return weekly, weekly and not blocked


@settings(max_examples=60)
@given(
    calendar=calendars(first=dt.date(2024, 10, 1), last=dt.date(2025, 4, 30)),
    minutes=st.lists(st.integers(0, DAYS * 24 * 4 - 1), min_size=1, max_size=40),
)
def test_fhir_availability_says_open_exactly_when_the_calendar_is_open(
    calendar: BusinessCalendar, minutes: list[int]
) -> None:
    """For any calendar and moment in the window: open by availableTime and not in a
    notAvailable stretch if and only if the calendar is open then (within the weekly
    hours); open outside them only as a written exception."""
    found = availability(calendar, first=FIRST, days=DAYS)
    start = dt.datetime.combine(FIRST, dt.time(0, 0), TOKYO)
    for quarter in minutes:
        moment = start + dt.timedelta(minutes=15 * quarter)
        weekly, fhir_open = _fhir_open(found, moment)
        if weekly:
            assert fhir_open == calendar.is_open(moment), moment
        elif calendar.is_open(moment):
            assert "special opening" in found.get("availabilityExceptions", "")
        else:
            assert not fhir_open


@settings(max_examples=25)
@given(directories(max_services=4, max_agencies=3))
def test_every_directory_exports_resources_fhir_resources_accepts(directory: Directory) -> None:
    bundle = directory_bundle(directory, first=FIRST, days=14)
    kinds = validate_bundle(bundle)
    assert kinds.count("HealthcareService") == len(directory.services)
    locations = {_saihan_id(r, "urn:saihan:location"): r for r in _resources(bundle, "Location")}
    for agency in directory.agencies:
        for location in agency.locations:
            resource = locations[f"{agency.id}/{location.id}"]
            if location.confidential:
                assert not {"name", "alias", "description", "position"} & set(resource)
                assert not {"line", "postalCode"} & set(resource["address"])


def test_the_exporter_is_found_by_entry_point_and_checks_its_options() -> None:
    exporter = plugins.exporter("fhir", for_type=Directory)
    assert isinstance(exporter, FhirExporter)
    data = exporter.export(sample_directory(), first=FIRST, days=7, indent=0)
    assert json.loads(data)["resourceType"] == "Bundle"
    with pytest.raises(ValidationError) as raised:
        exporter.export(sample_directory(), include_confidential=True)
    assert raised.value.errors[0].path == "include_confidential"
    with pytest.raises(ValidationError):
        exporter.export("not a directory")  # type: ignore[arg-type]


def test_saihan_export_format_fhir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "directory.fhir.json"
    window = ["--option", 'first="2025-01-01"', "--option", "days=40"]
    assert main(["export", "--format", "fhir", "-o", str(target), *window]) == 0
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert validate_bundle(bundle).count("Organization") == len(sample_directory().agencies)
    assert "wrote" in capsys.readouterr().err
    ends = [
        n["during"]["end"]
        for r in _resources(bundle, "HealthcareService")
        for n in r.get("notAvailable", [])
    ]
    assert ends
    assert max(ends) < "2025-02-10"
    assert main(["export", "--format", "fhir", "--option", 'first="someday"']) == 1
    assert "first" in capsys.readouterr().err
