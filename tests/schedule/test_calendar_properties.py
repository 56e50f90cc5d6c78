"""Properties of business calendars, over random calendars (saihan.testing strategies)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.errors import NotFoundError
from saihan.schedule import BusinessCalendar
from saihan.schedule.ical import from_ical, to_ical
from saihan.testing.calendar_strategies import calendars

FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2026, 12, 31)
SLOW = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def moments(zone: str = "Asia/Tokyo") -> st.SearchStrategy[dt.datetime]:
    """Instants around the calendars' dates, on a minute grid and in between."""
    return st.datetimes(
        min_value=dt.datetime(2023, 12, 1),
        max_value=dt.datetime(2027, 1, 31),
        timezones=st.just(ZoneInfo(zone)),
    )


@SLOW
@given(calendars(), moments())
def test_next_open_is_open_and_nothing_before_it_is(
    calendar: BusinessCalendar, t: dt.datetime
) -> None:
    found = calendar.next_open(t)
    if found is None:
        # Nothing opens from t on: not now, and no opening in the years the data covers.
        assert not calendar.is_open(t)
        assert calendar.openings(t, dt.datetime(2029, 1, 1, tzinfo=t.tzinfo)) == []
        return
    assert found >= t
    assert calendar.is_open(found)
    if found > t:
        assert not calendar.is_open(t)
        assert calendar.openings(t, found) == []
        assert not calendar.is_open(t + (found - t) / 2)


@SLOW
@given(calendars(), moments())
def test_next_close_ends_the_opening(calendar: BusinessCalendar, t: dt.datetime) -> None:
    closes = calendar.next_close(t)
    if closes is None:
        assert calendar.next_open(t) is None
        return
    assert closes > t
    assert not calendar.is_open(closes)
    assert calendar.is_open(closes - dt.timedelta(microseconds=1))


@SLOW
@given(calendars(), moments(), st.integers(min_value=1, max_value=24 * 40))
def test_openings_agree_with_is_open(
    calendar: BusinessCalendar, start: dt.datetime, hours: int
) -> None:
    end = start + dt.timedelta(hours=hours)
    found = calendar.openings(start, end)
    previous_end = start
    for opens, closes in found:
        assert start <= opens < closes <= end
        assert calendar.is_open(opens)
        assert calendar.is_open(opens + (closes - opens) / 2)
        assert calendar.is_open(closes - dt.timedelta(microseconds=1))
        if opens > previous_end:  # the gap before this opening is closed throughout
            assert not calendar.is_open(previous_end + (opens - previous_end) / 2)
            assert not calendar.is_open(opens - dt.timedelta(microseconds=1))
        previous_end = closes
    if found and found[-1][1] < end:
        assert not calendar.is_open(found[-1][1])
    if not found:
        assert not calendar.is_open(start + (end - start) / 2)


@SLOW
@given(
    calendars(),
    st.dates(min_value=FIRST, max_value=LAST),
    st.integers(min_value=-30, max_value=30),
)
def test_add_business_days_returns_for_business_days(
    calendar: BusinessCalendar, day: dt.date, n: int
) -> None:
    try:
        start = calendar.add_business_days(day, 1)  # the first business day after day
    except NotFoundError:
        assert calendar.business_days_between(day + dt.timedelta(days=1), dt.date(2030, 1, 1)) == 0
        return
    assert calendar.is_business_day(start)
    try:
        moved = calendar.add_business_days(start, n)
    except NotFoundError:  # running off either end of the calendar is allowed, nothing else
        return
    assert calendar.is_business_day(moved)
    assert calendar.add_business_days(moved, -n) == start
    assert calendar.business_days_between(start, moved) == n
    assert (moved > start) if n > 0 else (moved < start) if n < 0 else (moved == start)


@SLOW
@given(calendars(), st.dates(min_value=FIRST, max_value=LAST))
def test_business_day_means_an_opening_starts_that_day(
    calendar: BusinessCalendar, day: dt.date
) -> None:
    zone = calendar.zone
    start = dt.datetime.combine(day, dt.time(), zone)
    starts_today = calendar.openings(start, start + dt.timedelta(days=1))
    # A merged opening that began the day before does not make today a business day on its own.
    begins_today = [
        opens
        for opens, _ in starts_today
        if opens > start or not calendar.is_open(start - dt.timedelta(microseconds=1))
    ]
    if calendar.is_business_day(day):
        assert starts_today
    elif not calendar.is_open(start - dt.timedelta(microseconds=1)):
        assert begins_today == []


@SLOW
@given(calendars())
def test_icalendar_export_then_import_is_equal(calendar: BusinessCalendar) -> None:
    assert from_ical(to_ical(calendar, start=FIRST, end=LAST)) == calendar


@SLOW
@given(calendars())
def test_an_independent_icalendar_expansion_shows_the_same_openings(
    calendar: BusinessCalendar,
) -> None:
    zone = calendar.zone
    first = calendar.valid_from or dt.date(2025, 1, 1)
    last = calendar.valid_until or dt.date(2025, 12, 31)
    first, last = max(first, FIRST), min(last, LAST)
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    data = to_ical(calendar, start=first, end=last)
    events = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(start, end)
    spans = sorted(
        (max(event["DTSTART"].dt, start), min(event["DTEND"].dt, end)) for event in events
    )
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for opens, closes in spans:
        if closes <= opens:
            continue
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(closes, merged[-1][1]))
        else:
            merged.append((opens, closes))
    assert merged == calendar.openings(start, end)


@settings(max_examples=30, deadline=None)
@given(calendars(timezones=("America/New_York", "Europe/London")), moments("America/New_York"))
def test_daylight_saving_zones_keep_the_properties(
    calendar: BusinessCalendar, t: dt.datetime
) -> None:
    found = calendar.next_open(t)
    if found is not None:
        assert calendar.is_open(found)
        if found > t:
            assert calendar.openings(t, found) == []
