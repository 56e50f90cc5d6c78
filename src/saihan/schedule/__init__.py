"""Business calendars: opening hours, Japanese holidays, business days, iCalendar.

A :class:`BusinessCalendar` is data (weekly hours, a reception period,
holidays, closures); it compiles itself year by year, on first use, into
sorted interval boundaries, so ``is_open`` is one bisection.
"""

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
from saihan.schedule.japanese_hours import (
    JapaneseHours,
    UnreadFragment,
    parse_japanese_hours,
    render_japanese_hours,
)
from saihan.schedule.rules import (
    YEAR_END_CLOSURE,
    AnnualClosure,
    Closure,
    SpecialOpening,
    Weekday,
    WeeklyHours,
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
