"""Business calendars: opening hours, Japanese holidays, business days, iCalendar.

A :class:`BusinessCalendar` is data (weekly hours, a reception period,
holidays, closures); it compiles itself year by year, on first use, into
sorted interval boundaries, so ``is_open`` is one bisection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from saihan.schedule.calendar import BusinessCalendar, OpeningStatus
from saihan.schedule.holiday_calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    PUBLISHED_UNTIL,
    Holiday,
    HolidayCalendar,
    UnsupportedDateError,
    japanese_holidays,
)
from saihan.schedule.rules import (
    YEAR_END_CLOSURE,
    AnnualClosure,
    Closure,
    SpecialOpening,
    Weekday,
    WeeklyHours,
)

if TYPE_CHECKING:  # loaded on first use (see __getattr__ below)
    from saihan.schedule.japanese_hours import (
        JapaneseHours,
        UnreadFragment,
        parse_japanese_hours,
        render_japanese_hours,
    )

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "PUBLISHED_UNTIL",
    "YEAR_END_CLOSURE",
    "AnnualClosure",
    "BusinessCalendar",
    "Closure",
    "Holiday",
    "HolidayCalendar",
    "JapaneseHours",
    "OpeningStatus",
    "SpecialOpening",
    "UnreadFragment",
    "UnsupportedDateError",
    "Weekday",
    "WeeklyHours",
    "japanese_holidays",
    "parse_japanese_hours",
    "render_japanese_hours",
]

# The Japanese opening-hours parser is loaded when first asked for: a match, which
# only reads calendars, does not wait for its phrase tables.
_JAPANESE_HOURS = frozenset(
    {"JapaneseHours", "UnreadFragment", "parse_japanese_hours", "render_japanese_hours"}
)


def __getattr__(name: str) -> Any:
    if name in _JAPANESE_HOURS:
        from saihan.schedule import japanese_hours

        value = getattr(japanese_hours, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'saihan.schedule' has no attribute {name!r}")
