"""Hypothesis strategies for business calendars (``saihan.schedule``).

Random calendars stay inside a few years so that properties run fast; pass
arguments to narrow them further.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from saihan.schedule import (
    YEAR_END_CLOSURE,
    AnnualClosure,
    BusinessCalendar,
    Closure,
    Holiday,
    SpecialOpening,
    Weekday,
    WeeklyHours,
)
from saihan.text import LocalizedText

__all__ = [
    "annual_closures",
    "calendar_closures",
    "calendars",
    "own_holidays",
    "special_openings",
    "wall_times",
    "weekly_hours",
]

_LABELS = st.sampled_from(
    [
        LocalizedText(ja="臨時休業", en="Temporary closure"),
        LocalizedText(ja="創立記念日", en="Founding day"),
        LocalizedText(ja="夏季休業", en="Summer break"),
        LocalizedText(ja="庁舎点検", en="Building inspection"),
    ]
)


def wall_times(*, step_minutes: int = 15) -> st.SearchStrategy[dt.time]:
    """Wall-clock times on a ``step_minutes`` grid (real timetables are)."""
    return st.integers(0, 24 * 60 // step_minutes - 1).map(
        lambda n: dt.time(n * step_minutes // 60, n * step_minutes % 60)
    )


def _dates(first: dt.date, last: dt.date) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=first, max_value=last)


@st.composite
def weekly_hours(
    draw: st.DrawFn,
    *,
    first: dt.date = dt.date(2024, 1, 1),
    last: dt.date = dt.date(2026, 12, 31),
    allow_nth: bool = True,
    allow_dated: bool = True,
) -> WeeklyHours:
    """A weekly rule: any days, any times (night lines and 24 hours included)."""
    days = draw(st.frozensets(st.sampled_from(list(Weekday)), min_size=1, max_size=7))
    opens = draw(wall_times())
    closes = draw(wall_times())
    weeks: frozenset[int] = frozenset()
    if allow_nth and draw(st.booleans()):
        weeks = draw(st.frozensets(st.sampled_from([-1, 1, 2, 3, 4, 5]), min_size=1, max_size=3))
    valid_from = valid_until = None
    if allow_dated and draw(st.booleans()):
        valid_from = draw(_dates(first, last))
        valid_until = draw(st.none() | _dates(valid_from, last))
    return WeeklyHours(
        days=days,
        opens=opens,
        closes=closes,
        weeks=weeks,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def annual_closures() -> st.SearchStrategy[AnnualClosure]:
    """Yearly closures, the year-end break among them."""
    month_days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 12, 31)).map(
        lambda day: f"{day.month:02d}-{day.day:02d}"
    )
    return st.just(YEAR_END_CLOSURE) | st.builds(
        AnnualClosure, start=month_days, end=month_days, label=_LABELS
    )


@st.composite
def calendar_closures(
    draw: st.DrawFn, *, first: dt.date = dt.date(2024, 1, 1), last: dt.date = dt.date(2026, 12, 31)
) -> Closure:
    """Ad-hoc closures: whole days or from a time to a time."""
    start = draw(_dates(first, last))
    end = draw(st.none() | _dates(start, min(last, start + dt.timedelta(days=10))))
    from_time = draw(st.none() | wall_times())
    until_time = draw(st.none() | wall_times())
    if (end is None or end == start) and from_time and until_time and until_time <= from_time:
        from_time, until_time = until_time, from_time
        if from_time == until_time:
            until_time = None
    return Closure(
        start=start,
        end=end,
        from_time=from_time,
        until_time=until_time,
        reason=draw(st.none() | _LABELS),
    )


def own_holidays(
    *, first: dt.date = dt.date(2024, 1, 1), last: dt.date = dt.date(2026, 12, 31)
) -> st.SearchStrategy[Holiday]:
    return st.builds(Holiday, date=_dates(first, last), name=_LABELS)


def special_openings(
    *, first: dt.date = dt.date(2024, 1, 1), last: dt.date = dt.date(2026, 12, 31)
) -> st.SearchStrategy[SpecialOpening]:
    return st.builds(
        SpecialOpening,
        date=_dates(first, last),
        opens=wall_times(),
        closes=wall_times(),
        note=st.none() | _LABELS,
    )


@st.composite
def calendars(
    draw: st.DrawFn,
    *,
    first: dt.date = dt.date(2024, 1, 1),
    last: dt.date = dt.date(2026, 12, 31),
    timezones: tuple[str, ...] = ("Asia/Tokyo",),
    max_rules: int = 3,
    max_dated: int = 3,
    windowed: bool | None = None,
) -> BusinessCalendar:
    """A random business calendar whose dated parts lie between ``first`` and ``last``.

    ``windowed`` forces a reception period (True), forbids one (False) or
    lets Hypothesis choose (None).  Pass other ``timezones`` (e.g.
    ``("America/New_York",)``) to exercise daylight saving time.
    """
    has_window = draw(st.booleans()) if windowed is None else windowed
    valid_from = valid_until = None
    if has_window:
        valid_from = draw(_dates(first, last))
        valid_until = draw(_dates(valid_from, last))
    window_first, window_last = valid_from or first, valid_until or last
    openings = draw(
        st.lists(special_openings(first=window_first, last=window_last), max_size=max_dated)
    )
    holidays = draw(
        st.lists(
            own_holidays(first=first, last=last), max_size=max_dated, unique_by=lambda h: h.date
        )
    )
    return BusinessCalendar(
        weekly=draw(st.lists(weekly_hours(first=first, last=last), max_size=max_rules)),
        timezone=draw(st.sampled_from(timezones)),
        valid_from=valid_from,
        valid_until=valid_until,
        closed_on_national_holidays=draw(st.booleans()),
        annual_closures=draw(st.lists(annual_closures(), max_size=2)),
        own_holidays=holidays,
        closures=draw(st.lists(calendar_closures(first=first, last=last), max_size=max_dated)),
        special_openings=openings,
        note=draw(st.none() | _LABELS),
    )
