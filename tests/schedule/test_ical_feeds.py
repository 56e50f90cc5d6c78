"""iCalendar feeds as other programs read them, round-the-clock services, service status."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan import plugins
from saihan.cli import main
from saihan.directory import ServiceStatus, sample_directory
from saihan.errors import ValidationError
from saihan.schedule import BusinessCalendar, SpecialOpening, WeeklyHours
from saihan.schedule.ical import to_ical

ROUND_THE_CLOCK = "sample-housing-support-short-stay"
OFFICE = "adachi-hogoshi-kai-support-center"


def _events(data: bytes) -> list[Any]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def _merged(
    data: bytes, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    events = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(start, end)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for opens, closes in sorted(
        (max(e["DTSTART"].dt, start), min(e["DTEND"].dt, end)) for e in events
    ):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(closes, merged[-1][1]))
        elif opens < closes:
            merged.append((opens, closes))
    return merged


def test_every_vevent_has_a_dtstamp_and_a_uid_with_a_domain() -> None:
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-FR", "09:00", "17:00")],
        special_openings=[SpecialOpening(dt.date(2025, 2, 1), dt.time(10), dt.time(12))],
    )
    stamp = dt.datetime(2025, 1, 10, 12, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    data = to_ical(
        calendar,
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 31),
        uid="service-x",
        domain="city.example.jp",
        stamp=stamp,
    )
    events = _events(data)
    assert len(events) >= 2
    for event in events:
        assert event.decoded("DTSTAMP") == dt.datetime(2025, 1, 10, 3, tzinfo=dt.UTC)
        assert str(event["UID"]).startswith("service-x-")
        assert str(event["UID"]).endswith("@city.example.jp")
    assert b"DTSTAMP:20250110T030000Z" in data
    assert len({str(event["UID"]) for event in events}) == len(events)


def test_the_default_uid_differs_between_calendars_and_holds_still() -> None:
    one = BusinessCalendar(weekly=[WeeklyHours.of("MO", "09:00", "17:00")])
    two = BusinessCalendar(weekly=[WeeklyHours.of("TU", "09:00", "17:00")])
    first, last = dt.date(2025, 1, 1), dt.date(2025, 1, 31)
    uids = [
        {str(e["UID"]) for e in _events(to_ical(c, start=first, end=last))} for c in (one, two, one)
    ]
    assert uids[0].isdisjoint(uids[1])
    assert uids[0] == uids[2]


def test_bad_uid_domain_and_stamp_are_refused() -> None:
    calendar = BusinessCalendar(weekly=[WeeklyHours.of("MO", "09:00", "17:00")])
    with pytest.raises(ValidationError) as caught:
        to_ical(calendar, uid="a b", domain="not a domain", stamp=dt.datetime(2025, 1, 1))
    assert caught.value.paths == ["uid", "domain", "stamp"]


def test_two_services_feeds_share_no_uid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uids = []
    for service in (OFFICE, ROUND_THE_CLOCK):
        target = tmp_path / f"{service}.ics"
        argv = ["calendar", "export", service, "--from", "2025-01-01", "--to", "2025-03-31"]
        assert main([*argv, "-o", str(target), "--uid-domain", "city.example.jp"]) == 0
        events = _events(target.read_bytes())
        assert all("DTSTAMP" in event for event in events)
        found = {str(event["UID"]) for event in events}
        assert all(uid.startswith(f"service-{service}-") for uid in found)
        assert all(uid.endswith("@city.example.jp") for uid in found)
        uids.append(found)
    capsys.readouterr()
    assert uids[0].isdisjoint(uids[1])


@pytest.mark.parametrize("service_id", [OFFICE, ROUND_THE_CLOCK])
def test_sample_feeds_expand_to_exactly_saihans_openings(service_id: str) -> None:
    calendar = sample_directory().service(service_id).hours
    assert calendar is not None
    zone = calendar.zone
    first, last = dt.date(2024, 12, 1), dt.date(2025, 5, 31)
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    data = plugins.exporter("ical").export(calendar, start=first, end=last)
    assert _merged(data, start, end) == calendar.openings(start, end)


@settings(max_examples=25, deadline=None)
@given(
    days=st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1),
    weeks=st.sets(st.sampled_from([1, 2, 3, 4, -1])),
    holidays=st.booleans(),
)
def test_round_the_clock_and_monthly_feeds_expand_to_saihans_openings(
    days: set[str], weeks: set[int], holidays: bool
) -> None:
    calendar = BusinessCalendar(
        weekly=[
            WeeklyHours.of(",".join(sorted(days)), "00:00", "00:00", weeks=tuple(sorted(weeks)))
        ],
        closed_on_national_holidays=holidays,
    )
    zone = calendar.zone
    first, last = dt.date(2025, 1, 1), dt.date(2025, 4, 30)
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    data = to_ical(calendar, start=first, end=last)
    assert _merged(data, start, end) == calendar.openings(start, end)


def test_calendar_show_prints_a_round_the_clock_service_on_every_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["calendar", "show", ROUND_THE_CLOCK, "--month", "2025-02"]) == 0
    out = capsys.readouterr().out
    assert "00:00-00:00" not in out
    for day in range(1, 29):
        assert f"  2/{day}(" in out
    assert out.count("00:00-24:00") == 28


def _with_status(tmp_path: Path, status: ServiceStatus) -> Path:
    directory = sample_directory()
    services = [attrs.evolve(s, status=status) if s.id == OFFICE else s for s in directory.services]
    path = tmp_path / "directory.json"
    path.write_bytes(
        plugins.exporter("json").export(
            attrs.evolve(directory, services=services), include_confidential=True
        )
    )
    return path


@pytest.mark.parametrize(
    "status", [ServiceStatus.INACTIVE, ServiceStatus.TEMPORARILY_CLOSED, ServiceStatus.DEFUNCT]
)
def test_a_service_not_active_is_closed_in_the_calendar_commands(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, status: ServiceStatus
) -> None:
    path = str(_with_status(tmp_path, status))
    at = "2025-02-03T10:00"  # a Monday morning, open by its hours
    assert main(["calendar", "next-open", OFFICE, "--at", at, "--lang", "en", "-i", path]) == 0
    out = capsys.readouterr().out
    assert status.value in out
    assert "no further openings" in out
    assert main(["calendar", "show", OFFICE, "--month", "2025-02", "-i", path]) == 0
    out = capsys.readouterr().out
    assert "この月の受付はありません" in out
    assert json.loads(json.dumps(status.value)) in out


@settings(max_examples=30, deadline=None)
@given(
    status=st.sampled_from(list(ServiceStatus)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 90),
)
def test_only_an_active_service_is_ever_open(status: ServiceStatus, minutes: int) -> None:
    service = attrs.evolve(sample_directory().service(OFFICE), status=status)
    assert service.hours is not None
    t = dt.datetime(2025, 1, 6, tzinfo=service.hours.zone) + dt.timedelta(minutes=minutes)
    if status is ServiceStatus.ACTIVE:
        assert service.is_open(t) == service.hours.is_open(t)
        found = service.next_open(t)
        assert found is None or service.hours.is_open(found)
    else:
        assert service.is_open(t) is False
        assert service.next_open(t) is None
