"""The batch queries (``*_many``) answer exactly as a loop of the one-date queries.

Properties over random calendars, with dates inside and beyond what is compiled,
negative and mixed offsets, and now and then a value that is not a date; the batch
must give the loop's answers, or raise the loop's first error under that element's
path (``dates[i]``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.errors import NotFoundError, ValidationError
from saihan.schedule import (
    BusinessCalendar,
    Holiday,
    UnsupportedDateError,
    WeeklyHours,
    japanese_holidays,
)
from saihan.testing.calendar_strategies import calendars, own_holidays

SLOW = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
EDGES = settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow], deadline=None)

NOT_DATES: st.SearchStrategy[Any] = st.sampled_from(
    ["2024-06-03", 20240603, None, dt.datetime(2024, 6, 3, 9, 0), [2024, 6, 3], 1.5]
)


def near_dates() -> st.SearchStrategy[dt.date]:
    """Around the random calendars' dated parts (2024-2026) and years beyond them."""
    return st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2030, 12, 31))


def edge_dates(end: int) -> st.SearchStrategy[dt.date]:
    """Near one end of the years the national holidays are known for (1955-2099)."""
    if end < 0:
        return st.dates(dt.date(1953, 6, 1), dt.date(1956, 6, 30))
    return st.dates(dt.date(2098, 6, 1), dt.date(2101, 6, 30))


def batches(dates: st.SearchStrategy[dt.date]) -> st.SearchStrategy[list[Any]]:
    """Lists of dates with, now and then, a value that is not a date."""
    one_in_twenty = st.integers(0, 19).flatmap(lambda k: NOT_DATES if k == 0 else dates)
    return st.lists(one_in_twenty, max_size=40)


def outcome(answer: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", answer()
    except ValidationError as error:
        return type(error).__name__, [(item.path, item.message) for item in error.errors]
    except NotFoundError as error:
        return "NotFoundError", str(error)


def loop(dates: Sequence[Any], each: Callable[[int, Any], Any]) -> tuple[str, Any]:
    """The loop's answers, or its first error as the batch names it (under dates[i])."""
    answers = []
    for index, day in enumerate(dates):
        kind, found = outcome(functools.partial(each, index, day))
        if kind == "ok":
            answers.append(found)
        elif kind == "NotFoundError":
            return kind, f"dates[{index}]: {found}"
        else:
            return kind, [(f"dates[{index}]", message) for _path, message in found]
    return "ok", answers


def twin(calendar: BusinessCalendar) -> BusinessCalendar:
    """An equal calendar with nothing compiled: the loop runs on it, the batch on the other."""
    return attrs.evolve(calendar)


def warm(calendar: BusinessCalendar, day: dt.date | None) -> None:
    """Compile some span first, so that batches reach both inside and beyond it."""
    if day is not None:
        outcome(lambda: calendar.is_business_day(day))


@SLOW
@given(calendars(), st.none() | near_dates(), batches(near_dates()))
def test_is_business_day_many_is_the_loop(
    calendar: BusinessCalendar, first: dt.date | None, dates: list[Any]
) -> None:
    other = twin(calendar)
    warm(calendar, first)
    expected = loop(dates, lambda _i, day: other.is_business_day(day))
    assert outcome(lambda: calendar.is_business_day_many(dates)) == expected


@SLOW
@given(
    calendars(),
    st.none() | near_dates(),
    batches(near_dates()),
    st.integers(min_value=-80, max_value=80),
)
def test_add_business_days_many_with_one_offset_is_the_loop(
    calendar: BusinessCalendar, first: dt.date | None, dates: list[Any], n: int
) -> None:
    other = twin(calendar)
    warm(calendar, first)
    expected = loop(dates, lambda _i, day: other.add_business_days(day, n))
    assert outcome(lambda: calendar.add_business_days_many(dates, n)) == expected


@st.composite
def dates_and_offsets(
    draw: st.DrawFn, dates: st.SearchStrategy[dt.date]
) -> tuple[list[Any], list[int]]:
    days = draw(batches(dates))
    sign = draw(st.sampled_from([-1, 1, 0]))  # one sign (the fast path) or mixed
    low, high = (1, 80) if sign > 0 else (-80, -1) if sign < 0 else (-80, 80)
    offsets = draw(st.lists(st.integers(low, high), min_size=len(days), max_size=len(days)))
    return days, offsets


@SLOW
@given(calendars(), st.none() | near_dates(), dates_and_offsets(near_dates()))
def test_add_business_days_many_with_an_offset_each_is_the_loop(
    calendar: BusinessCalendar,
    first: dt.date | None,
    dates_offsets: tuple[list[Any], list[int]],
) -> None:
    dates, offsets = dates_offsets
    other = twin(calendar)
    warm(calendar, first)
    expected = loop(dates, lambda i, day: other.add_business_days(day, offsets[i]))
    assert outcome(lambda: calendar.add_business_days_many(dates, offsets)) == expected


@EDGES
@given(
    calendars(),
    st.sampled_from([-1, 1]).flatmap(
        lambda end: st.tuples(st.none() | edge_dates(end), batches(edge_dates(end)))
    ),
    st.integers(min_value=-80, max_value=80),
)
def test_batches_at_the_ends_of_the_known_years_are_the_loop(
    calendar: BusinessCalendar, first_dates: tuple[dt.date | None, list[Any]], n: int
) -> None:
    first, dates = first_dates
    other = twin(calendar)
    warm(calendar, first)
    expected = loop(dates, lambda _i, day: other.add_business_days(day, n))
    assert outcome(lambda: calendar.add_business_days_many(dates, n)) == expected
    expected = loop(dates, lambda _i, day: other.is_business_day(day))
    assert outcome(lambda: calendar.is_business_day_many(dates)) == expected


@SLOW
@given(
    st.lists(own_holidays(), max_size=3, unique_by=lambda h: h.date),
    st.lists(near_dates(), max_size=3),
    batches(near_dates() | edge_dates(-1) | edge_dates(1)),
)
def test_is_holiday_many_is_the_loop(
    extra: list[Holiday], first: list[dt.date], dates: list[Any]
) -> None:
    calendar = japanese_holidays().with_days(extra)
    other = japanese_holidays().with_days(extra)
    for day in first:  # some years computed before the batch, most not
        calendar.is_holiday(day)
    expected = loop(dates, lambda _i, day: other.is_holiday(day))
    assert outcome(lambda: calendar.is_holiday_many(dates)) == expected


# -- documented behaviour ---------------------------------------------------------------

OFFICE = BusinessCalendar(weekly=[WeeklyHours.of("MO-FR", "08:30", "17:15")])


def test_examples_around_the_year_end() -> None:
    starts = [dt.date(2024, 12, 24), dt.date(2024, 12, 28), dt.date(2025, 1, 6)]
    assert OFFICE.add_business_days_many(starts, 3) == [
        dt.date(2024, 12, 27),
        dt.date(2025, 1, 8),  # 29 Dec - 3 Jan closed, then the weekend
        dt.date(2025, 1, 9),
    ]
    assert OFFICE.add_business_days_many(starts, [-1, 1, 0]) == [
        dt.date(2024, 12, 23),
        dt.date(2025, 1, 6),
        dt.date(2025, 1, 6),
    ]
    assert OFFICE.is_business_day_many(starts) == [True, False, True]
    assert japanese_holidays().is_holiday_many([dt.date(2025, 1, 13), dt.date(2025, 1, 14)]) == [
        True,
        False,
    ]


def test_any_iterable_of_dates_is_taken() -> None:
    days = (dt.date(2025, 1, 6) + dt.timedelta(days=k) for k in range(7))
    assert OFFICE.is_business_day_many(days) == [True] * 5 + [False] * 2
    assert OFFICE.add_business_days_many((), 5) == []


def test_bad_input_names_its_path() -> None:
    days: list[Any] = [dt.date(2025, 1, 6), dt.date(2025, 1, 7), dt.date(2025, 1, 8), "2025-01-09"]
    with pytest.raises(ValidationError) as caught:
        OFFICE.add_business_days_many(days, 2)
    assert caught.value.paths == ["dates[3]"]
    with pytest.raises(ValidationError) as caught:
        OFFICE.is_business_day_many(days)
    assert caught.value.paths == ["dates[3]"]
    with pytest.raises(ValidationError) as caught:
        OFFICE.add_business_days_many(days[:3], [1, 2])
    assert caught.value.paths == ["n"]
    with pytest.raises(ValidationError) as caught:
        OFFICE.add_business_days_many(days[:3], [1, 2, 2.5])  # type: ignore[list-item]
    assert caught.value.paths == ["n[2]"]
    with pytest.raises(ValidationError) as caught:
        OFFICE.add_business_days_many(days[:3], True)
    assert caught.value.paths == ["n"]
    with pytest.raises(ValidationError) as caught:
        OFFICE.is_business_day_many(dt.date(2025, 1, 6))  # type: ignore[arg-type]
    assert caught.value.paths == ["dates"]
    with pytest.raises(UnsupportedDateError) as unsupported:
        japanese_holidays().is_holiday_many([dt.date(2025, 1, 6), dt.date(2100, 1, 1)])
    assert unsupported.value.paths == ["dates[1]"]


def test_running_off_the_calendar_names_the_date() -> None:
    until = BusinessCalendar(
        weekly=[WeeklyHours.of("MO-FR", "09:00", "17:00")], valid_until=dt.date(2025, 3, 31)
    )
    with pytest.raises(NotFoundError, match=r"^dates\[1\]: "):
        until.add_business_days_many([dt.date(2025, 3, 3), dt.date(2025, 3, 25)], 10)
