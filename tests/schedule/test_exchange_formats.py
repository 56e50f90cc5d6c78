"""iCalendar from other programs, and HSDS 3.1 schedule rows out and in."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from saihan import plugins
from saihan.directory import Directory
from saihan.errors import PluginError, ValidationError
from saihan.schedule import BusinessCalendar, SpecialOpening, Weekday, WeeklyHours
from saihan.schedule.hsds import from_hsds_schedules, to_hsds_schedules
from saihan.schedule.ical import from_ical
from saihan.testing.calendar_strategies import calendars

HSDS = Path(__file__).resolve().parents[1] / "data" / "hsds-3.1"  # the official files, copied


def _schedule_validator() -> Draft202012Validator:
    resources = []
    for path in (HSDS / "schema").glob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (path.name, Resource.from_contents(document, default_specification=_draft()))
        )
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((HSDS / "schema" / "schedule.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry)


def _draft() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


THIRD_PARTY = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example City//Desk//EN
BEGIN:VEVENT
UID:weekday-hours
DTSTART;TZID=Asia/Tokyo:20240401T083000
DTEND;TZID=Asia/Tokyo:20240401T171500
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20250331T083000Z
EXDATE;TZID=Asia/Tokyo:20240429T083000
SUMMARY:Open
END:VEVENT
BEGIN:VEVENT
UID:saturdays
DTSTART;TZID=Asia/Tokyo:20240413T100000
DTEND;TZID=Asia/Tokyo:20240413T170000
RRULE:FREQ=MONTHLY;BYDAY=2SA,4SA
END:VEVENT
BEGIN:VEVENT
UID:open-day
DTSTART;TZID=Asia/Tokyo:20240720T130000
DTEND;TZID=Asia/Tokyo:20240720T160000
SUMMARY:Open day
END:VEVENT
END:VCALENDAR
"""


def test_a_third_party_icalendar_file_is_read_from_its_rules() -> None:
    calendar = from_ical(THIRD_PARTY)
    weekdays, saturdays = calendar.weekly
    assert weekdays.days == Weekday.parse_days("MO-FR")
    assert (weekdays.opens, weekdays.closes) == (dt.time(8, 30), dt.time(17, 15))
    assert (weekdays.valid_from, weekdays.valid_until) == (
        dt.date(2024, 4, 1),
        dt.date(2025, 3, 31),
    )
    assert saturdays.weeks == {2, 4}
    assert saturdays.valid_until is None
    assert not calendar.closed_on_national_holidays  # only what the file says
    assert calendar.annual_closures == ()
    assert calendar.special_openings == (
        SpecialOpening(dt.date(2024, 7, 20), dt.time(13), dt.time(16)),
    )
    tokyo = calendar.zone
    assert not calendar.is_open(dt.datetime(2024, 4, 29, 10, tzinfo=tokyo))  # the EXDATE
    assert calendar.is_open(dt.datetime(2024, 4, 30, 10, tzinfo=tokyo))


@pytest.mark.parametrize(
    ("broken", "fragment"),
    [
        (b"not a calendar", "not an iCalendar file"),
        (THIRD_PARTY.replace(b"FREQ=WEEKLY;", b"FREQ=YEARLY;"), "VEVENT[0].RRULE"),
        (THIRD_PARTY.replace(b"BYDAY=2SA,4SA", b"BYDAY=2SA,SU"), "week numbers"),
        (
            THIRD_PARTY.replace(
                b"DTSTART;TZID=Asia/Tokyo:20240720T130000", b"DTSTART;VALUE=DATE:20240720"
            ),
            "all-day",
        ),
    ],
)
def test_icalendar_problems_are_named(broken: bytes, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        from_ical(broken)


def test_ical_is_a_registered_plugin_for_calendars() -> None:
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("TU,TH,SA", "09:00", "17:00")],
        valid_from=dt.date(2024, 4, 1),
        valid_until=dt.date(2025, 3, 22),
    )
    data = plugins.exporter("ical", for_type=BusinessCalendar).export(calendar)
    assert b"RRULE:FREQ=WEEKLY;UNTIL=20250322T000000Z;BYDAY=TU,TH,SA" in data
    assert b"EXDATE;TZID=Asia/Tokyo:20240504T090000" in data  # みどりの日
    assert b"BEGIN:VTIMEZONE" in data
    assert plugins.importer("ical", for_type=BusinessCalendar).load(data) == calendar
    with pytest.raises(PluginError, match="writes BusinessCalendar, not Directory"):
        plugins.exporter("ical", for_type=Directory)
    with pytest.raises(ValidationError, match="takes no option"):
        plugins.exporter("ical").export(calendar, colour="red")
    with pytest.raises(ValidationError) as caught:
        plugins.exporter("ical").export(calendar, start="2024-04-01")
    assert caught.value.paths == ["start"]


def test_hsds_rows_validate_against_the_official_schema() -> None:
    validator = _schedule_validator()
    calendar = BusinessCalendar(
        weekly=[
            WeeklyHours.of("MO-FR", "08:30", "17:15"),
            WeeklyHours.of("SA", "10:00", "17:00", weeks=(2, 4)),
        ],
        special_openings=[SpecialOpening(dt.date(2024, 7, 20), dt.time(13), dt.time(16))],
    )
    rows = to_hsds_schedules(
        calendar, key="hellowork-shinjuku", service_id="3f0e8f3a-7b1e-4e0b-9a47-3b1f2f6f0a11"
    )
    assert len(rows) == 3
    for row in rows:
        assert list(validator.iter_errors(row)) == []
    assert rows[1]["freq"] == "MONTHLY"
    assert rows[1]["byday"] == "2SA,4SA"
    assert rows[0]["opens_at"] == "08:30+09:00"
    assert "祝日は休み" in rows[0]["notes"]
    assert "closed on national holidays" in rows[0]["notes"]
    # The same calendar gets the same ids every time.
    assert to_hsds_schedules(calendar, key="hellowork-shinjuku")[0]["id"] == rows[0]["id"]
    assert from_hsds_schedules(rows) == calendar


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars())
def test_hsds_rows_carry_weekly_hours_and_special_openings(calendar: BusinessCalendar) -> None:
    rows = to_hsds_schedules(calendar, key="svc")
    validator = _schedule_validator()
    for row in rows:
        assert list(validator.iter_errors(row)) == []
    back = from_hsds_schedules(rows, timezone=calendar.timezone)

    def effective(rule: WeeklyHours) -> bool:  # rules that apply inside the reception period
        first = max(filter(None, (rule.valid_from, calendar.valid_from)), default=None)
        last = min(filter(None, (rule.valid_until, calendar.valid_until)), default=None)
        return first is None or last is None or first <= last

    assert {(r.days, r.opens, r.closes, r.weeks) for r in back.weekly} == {
        (r.days, r.opens, r.closes, r.weeks) for r in calendar.weekly if effective(r)
    }
    assert {(o.date, o.opens, o.closes) for o in back.special_openings} == {
        (o.date, o.opens, o.closes) for o in calendar.special_openings
    }
    if rows:  # with no row at all there is nowhere to write the holiday rule
        assert back.closed_on_national_holidays == calendar.closed_on_national_holidays


def test_the_hsds_field_guidance_schedules_import() -> None:
    with (HSDS / "field_guidance" / "schedules" / "schedules.csv").open(encoding="utf-8") as handle:
        rows = [
            {key: (None if value == "null" else value) for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]
    by_service: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_service.setdefault(str(row["service_id"]), []).append(row)
    for service_rows in by_service.values():
        calendar = from_hsds_schedules(service_rows)
        assert calendar.weekly or calendar.special_openings
    first = from_hsds_schedules(by_service[str(rows[0]["service_id"])])
    assert first.timezone == "UTC"  # the guidance writes times with Z
    assert first.weekly[0].days == Weekday.parse_days("MO-TH")


def test_bad_hsds_rows_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        from_hsds_schedules(
            [
                {
                    "id": "a",
                    "freq": "DAILY",
                    "byday": "XX",
                    "opens_at": "9am",
                    "closes_at": "17:00",
                },
                {
                    "id": "b",
                    "byday": "MO",
                    "opens_at": "09:00",
                    "closes_at": "17:00",
                    "valid_from": "soon",
                },
            ]
        )
    assert caught.value.paths == ["[0].opens_at", "[0].freq", "[0].byday", "[1].valid_from"]
