"""HSDS schedule rows read as RFC 5545 reads them, checked by an independent expander.

``recurring-ical-events`` (over ``icalendar`` and ``python-dateutil``) expands the RRULE
each row stands for; saihan's calendar built from the same rows must open exactly then.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan.errors import ValidationError
from saihan.schedule import BusinessCalendar, SpecialOpening, WeeklyHours
from saihan.schedule.hsds import (
    from_hsds_schedules,
    is_japanese,
    localized,
    read_hsds_schedules,
    to_hsds_schedules,
)
from saihan.text import LocalizedText

HSDS = Path(__file__).resolve().parents[1] / "data" / "hsds-3.1"
TOKYO = ZoneInfo("Asia/Tokyo")
START = dt.datetime(2024, 1, 1, tzinfo=TOKYO)
END = dt.datetime(2025, 3, 1, tzinfo=TOKYO)  # 14 months


def _expanded(
    rrule: str, first: dt.datetime, hours: dt.timedelta, start: dt.datetime, end: dt.datetime
) -> set[tuple[dt.datetime, dt.datetime]]:
    """The openings an RFC 5545 expander gives for one VEVENT."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", "x@test")
    event.add("dtstamp", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    event.add("dtstart", first)
    event.add("dtend", first + hours)
    event.add("rrule", icalendar.vRecur.from_ical(rrule))
    calendar.add_component(event)
    return {
        (item["DTSTART"].dt, item["DTEND"].dt)
        for item in recurring_ical_events.of(calendar).between(start, end)
    }


def _saihan(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> set[tuple[dt.datetime, dt.datetime]]:
    return set(calendar.openings(start, end))


@pytest.mark.parametrize(
    ("byday", "first"),
    [
        ("1MO,3WE", dt.date(2024, 1, 1)),  # 1st Monday of January 2024
        ("2SA,4MO", dt.date(2024, 1, 13)),  # 2nd Saturday
        ("1MO,-1FR", dt.date(2024, 1, 1)),
        ("2SA,4SA", dt.date(2024, 1, 13)),
    ],
)
def test_monthly_byday_means_what_rfc_5545_means(byday: str, first: dt.date) -> None:
    row = {"freq": "MONTHLY", "byday": byday, "opens_at": "10:00+09:00", "closes_at": "12:00+09:00"}
    calendar = from_hsds_schedules([row])
    expected = _expanded(
        f"FREQ=MONTHLY;BYDAY={byday}",
        dt.datetime.combine(first, dt.time(10), TOKYO),
        dt.timedelta(hours=2),
        START,
        END,
    )
    assert expected  # the window holds openings
    assert _saihan(calendar, START, END) == expected


def test_mixed_ordinals_are_no_cross_product() -> None:
    calendar = from_hsds_schedules(
        [{"freq": "MONTHLY", "byday": "1MO,3WE", "opens_at": "10:00Z", "closes_at": "11:00Z"}]
    )
    third_monday = dt.datetime(2024, 1, 15, 10, tzinfo=dt.UTC)
    first_wednesday = dt.datetime(2024, 1, 3, 10, 30, tzinfo=dt.UTC)
    assert not calendar.is_open(third_monday)
    assert not calendar.is_open(first_wednesday)
    assert calendar.is_open(dt.datetime(2024, 1, 1, 10, 30, tzinfo=dt.UTC))
    assert calendar.is_open(dt.datetime(2024, 1, 17, 10, 30, tzinfo=dt.UTC))


_ENTRIES = st.tuples(
    st.sampled_from([1, 2, 3, 4, 5, -1]), st.sampled_from(["MO", "TU", "WE", "SA", "SU"])
)


# Numbered days only: python-dateutil (under recurring-ical-events) expands a MONTHLY
# BYDAY mixing plain and numbered days (MO,2TU) to nothing, so that mix is not compared.
@settings(max_examples=40, deadline=None)
@given(st.lists(_ENTRIES, min_size=1, max_size=4, unique=True))
def test_any_monthly_byday_expands_like_an_rrule_expander(
    entries: list[tuple[int | None, str]],
) -> None:
    byday = ",".join(f"{week or ''}{day}" for week, day in entries)
    calendar = from_hsds_schedules(
        [{"freq": "MONTHLY", "byday": byday, "opens_at": "09:00Z", "closes_at": "10:00Z"}]
    )
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    # DTSTART on an occurrence (RFC 5545 counts DTSTART itself): the first one saihan finds
    # is checked by the expander's own set below, which must contain it.
    found = sorted(_saihan(calendar, start, end))
    assert found
    expected = _expanded(
        f"FREQ=MONTHLY;BYDAY={byday}", found[0][0], dt.timedelta(hours=1), start, end
    )
    assert set(found) == expected


def test_times_without_an_offset_are_utc() -> None:
    calendar = from_hsds_schedules([{"byday": "MO", "opens_at": "09:00", "closes_at": "17:00"}])
    assert calendar.timezone == "UTC"
    monday_6pm_tokyo = dt.datetime(2024, 1, 1, 18, tzinfo=TOKYO)  # 09:00 UTC
    assert calendar.is_open(monday_6pm_tokyo)
    assert not calendar.is_open(dt.datetime(2024, 1, 1, 9, 30, tzinfo=TOKYO))


def test_a_row_timezone_applies_to_times_without_an_offset() -> None:
    calendar = from_hsds_schedules(
        [{"byday": "MO", "opens_at": "09:00", "closes_at": "17:00", "timezone": 9}]
    )
    assert calendar.timezone == "Asia/Tokyo"
    assert calendar.weekly[0].opens == dt.time(9)


def test_a_z_on_the_time_wins_over_the_row_timezone() -> None:
    rows = [{"byday": "SU", "opens_at": "23:00Z", "closes_at": "08:00Z", "timezone": 9}]
    calendar = from_hsds_schedules(rows)
    # 23:00 UTC on Sunday is 08:00 on Monday in Tokyo, the row's zone.
    assert calendar.timezone == "Asia/Tokyo"
    assert [(r.days, r.opens, r.closes) for r in calendar.weekly] == [
        (frozenset(WeeklyHours.of("MO", "08:00", "17:00").days), dt.time(8), dt.time(17))
    ]
    expected = _expanded(
        "FREQ=WEEKLY;BYDAY=SU",
        dt.datetime(2023, 12, 31, 23, tzinfo=dt.UTC),
        dt.timedelta(hours=9),
        START,
        END,
    )
    assert _saihan(calendar, START, END) == {
        (opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)) for opens, closes in expected
    }


def test_a_numbered_day_that_a_zone_change_moves_is_reported() -> None:
    rows = [{"freq": "MONTHLY", "byday": "2SA", "opens_at": "23:00Z", "closes_at": "01:00Z",
             "timezone": 9}]  # fmt: skip
    calendar, left_out = read_hsds_schedules(rows)
    assert calendar is None
    assert [item.path for item in left_out] == ["[0].opens_at"]


def _official_schedule() -> dict[str, Any]:
    service = json.loads((HSDS / "examples" / "service_full.json").read_text(encoding="utf-8"))
    return dict(service["schedules"][0])


def test_the_official_schedule_example_is_reported_not_invented() -> None:
    row = _official_schedule()
    calendar, left_out = read_hsds_schedules([row])
    assert calendar is None  # no opening invented
    assert left_out[0].path == "[0].count"
    assert "COUNT and UNTIL" in left_out[0].message
    with pytest.raises(ValidationError) as caught:
        from_hsds_schedules([row])
    assert caught.value.paths == ["[0].count"]
    # Without COUNT, BYWEEKNO ...: valid on one Saturday only, byday TH,FR: dtstart is off
    # the rule (RFC 5545 would make the Saturday an occurrence); left out, not guessed.
    for name in ("count", "byweekno", "bymonthday", "byyearday"):
        row.pop(name)
    calendar, left_out = read_hsds_schedules([row])
    assert calendar is None
    assert [item.path for item in left_out] == ["[0].dtstart"]
    # With no dtstart the row's days never fall in its one valid day: no opening.
    row.pop("dtstart")
    calendar, left_out = read_hsds_schedules([row])
    assert left_out == ()
    assert calendar is not None
    day = dt.datetime(2005, 1, 1, tzinfo=ZoneInfo("Etc/GMT-3"))
    assert list(calendar.openings(day - dt.timedelta(days=7), day + dt.timedelta(days=7))) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("byweekno", "41,42"), ("bymonthday", "2"), ("byyearday", "3"), ("interval", 2),
     ("count", 3)],
)  # fmt: skip
def test_rows_an_rrule_or_saihan_cannot_state_are_left_out(field: str, value: Any) -> None:
    row = {"byday": "MO", "opens_at": "09:00Z", "closes_at": "10:00Z", field: value}
    calendar, left_out = read_hsds_schedules([row, {"byday": "TU", "opens_at": "09:00Z",
                                                    "closes_at": "10:00Z"}])  # fmt: skip
    assert [item.path for item in left_out] == [f"[0].{field}"]
    assert calendar is not None
    assert len(calendar.weekly) == 1


def test_a_schedule_description_is_kept_and_exported() -> None:
    rows = [
        {
            "byday": "MO,TU,WE,TH,FR",
            "opens_at": "08:30+09:00",
            "closes_at": "17:15+09:00",
            "description": "祝日と年末年始は休み",
        }
    ]
    calendar = from_hsds_schedules(rows)
    assert calendar.note == LocalizedText(ja="祝日と年末年始は休み")
    assert calendar.closed_on_national_holidays
    assert calendar.annual_closures
    exported = to_hsds_schedules(calendar, key="svc")
    assert exported[0]["description"] == "祝日と年末年始は休み"
    assert from_hsds_schedules(exported).note == calendar.note


def test_an_english_description_goes_to_en() -> None:
    rows = [{"byday": "MO", "opens_at": "09:00Z", "closes_at": "12:00Z",
             "description": "Monday mornings"}]  # fmt: skip
    note = from_hsds_schedules(rows).note
    assert note is not None
    assert note.en == "Monday mornings"
    assert localized("相談窓口").en is None
    assert not is_japanese("Open Monday")
    assert is_japanese("月曜")
    assert is_japanese("カナ")


def test_saihan_special_openings_and_descriptions_round_trip() -> None:
    calendar = BusinessCalendar(
        weekly=[WeeklyHours.of("MO", "09:00", "12:00")],
        special_openings=[
            SpecialOpening(
                dt.date(2024, 7, 20), dt.time(13), dt.time(16), note=LocalizedText(ja="夏祭り")
            )
        ],
    )
    back = from_hsds_schedules(to_hsds_schedules(calendar, key="k"))
    assert back.note is None  # saihan's own generated description is not a note
    assert back.special_openings == calendar.special_openings


_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@settings(max_examples=40, deadline=None)
@given(
    days=st.sets(st.sampled_from(_WEEKDAYS), min_size=1),
    hour=st.integers(min_value=0, max_value=23),
    length=st.integers(min_value=1, max_value=12),
    offset=st.integers(min_value=-11, max_value=14),
    suffix=st.booleans(),
)
def test_utc_times_in_any_row_timezone_open_at_the_instants_an_expander_gives(
    days: set[str], hour: int, length: int, offset: int, suffix: bool
) -> None:
    """A `Z` time is UTC whatever the row's `timezone`; a bare time is in `timezone`."""
    closes = (hour + length) % 24
    row = {
        "freq": "WEEKLY",
        "byday": ",".join(sorted(days)),
        "opens_at": f"{hour:02d}:00" + ("Z" if suffix else ""),
        "closes_at": f"{closes:02d}:00" + ("Z" if suffix else ""),
        "timezone": offset,
    }
    calendar = from_hsds_schedules([row])
    source = dt.UTC if suffix else dt.timezone(dt.timedelta(hours=offset))
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    first = next(
        day
        for day in (dt.date(2023, 12, 25) + dt.timedelta(days=n) for n in range(7))
        if _WEEKDAYS[day.weekday()] in days
    )
    expected = _expanded(
        f"FREQ=WEEKLY;BYDAY={row['byday']}",
        dt.datetime.combine(first, dt.time(hour), source),
        dt.timedelta(hours=length),
        start - dt.timedelta(days=2),
        end + dt.timedelta(days=2),
    )

    def utc(spans: set[tuple[dt.datetime, dt.datetime]]) -> set[tuple[dt.datetime, dt.datetime]]:
        return {
            (a.astimezone(dt.UTC), b.astimezone(dt.UTC))
            for a, b in spans
            if start <= a.astimezone(dt.UTC) < end
        }

    found = set(calendar.openings(start - dt.timedelta(days=2), end + dt.timedelta(days=2)))
    assert utc(found) == utc(expected)
