"""The parts a business calendar is made of: weekly hours, closures, special openings.

All times are wall-clock times in the calendar's own time zone.  An interval
whose closing time is not after its opening time ends on the next day
(22:00-06:00 is a night line); equal times mean 24 hours.  An interval
belongs to the day it starts: a holiday closes the night line that would start
on it, not the one that started the evening before.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import enum
import re

import attrs

from saihan._validation import Checker, checked
from saihan.text import LocalizedText

__all__ = [
    "YEAR_END_CLOSURE",
    "AnnualClosure",
    "Closure",
    "SpecialOpening",
    "Weekday",
    "WeeklyHours",
]

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
MONTH_DAY_PATTERN = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_MONTH_DAY_RE = re.compile(MONTH_DAY_PATTERN)


class Weekday(enum.StrEnum):
    """Days of the week, spelled as RFC 5545 spells them (BYDAY)."""

    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"

    @property
    def number(self) -> int:
        """Monday is 0, as in :meth:`datetime.date.weekday`."""
        return _WEEKDAY_ORDER.index(self)

    @classmethod
    def of(cls, day: dt.date) -> Weekday:
        return _WEEKDAY_ORDER[day.weekday()]

    @classmethod
    def parse_days(cls, text: str) -> frozenset[Weekday]:
        """``"MO-FR"``, ``"TU,TH,SA"`` or ``"SA SU"`` as a set of weekdays."""
        days: set[Weekday] = set()
        for part in re.split(r"[\s,]+", text.strip().upper()):
            if not part:
                continue
            if "-" in part:
                first, _, last = part.partition("-")
                start, end = cls._named(first).number, cls._named(last).number
                span = (
                    range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
                )
                days.update(_WEEKDAY_ORDER[i] for i in span)
            else:
                days.add(cls._named(part))
        if not days:
            raise ValueError(f"no weekdays in {text!r}")
        return frozenset(days)

    @classmethod
    def _named(cls, code: str) -> Weekday:
        try:
            return cls(code)
        except ValueError:
            raise ValueError(f"{code!r} is not a weekday (MO TU WE TH FR SA SU)") from None


_WEEKDAY_ORDER = tuple(Weekday)


def week_of_month(day: dt.date) -> tuple[int, bool]:
    """Which occurrence of its weekday ``day`` is in its month, and whether it is the last."""
    days_in_month = _calendar.monthrange(day.year, day.month)[1]
    return (day.day - 1) // 7 + 1, day.day + 7 > days_in_month


@attrs.frozen
class WeeklyHours:
    """Opening hours on some weekdays: ``TU,TH,SA 09:00-17:00``.

    ``weeks`` limits the rule to some weeks of the month (2 and 4 for the 2nd and
    4th Saturday, -1 for the last); empty means every week.  ``valid_from`` and
    ``valid_until`` (inclusive) let hours change from a given date.
    """

    days: frozenset[Weekday] = attrs.field(metadata={"schema": {"minItems": 1}, "doc": "Weekdays."})
    opens: dt.time = attrs.field(metadata={"schema": {"pattern": TIME_PATTERN}, "doc": "HH:MM."})
    closes: dt.time = attrs.field(
        metadata={"schema": {"pattern": TIME_PATTERN}, "doc": "HH:MM; not after opens: next day."}
    )
    weeks: frozenset[int] = attrs.field(
        factory=frozenset,
        metadata={
            "schema": {"items": {"enum": [-1, 1, 2, 3, 4, 5]}},
            "doc": "Weeks of the month (1-5, -1 = last); empty means every week.",
        },
    )
    valid_from: dt.date | None = attrs.field(
        default=None, metadata={"doc": "First day it applies."}
    )
    valid_until: dt.date | None = attrs.field(
        default=None, metadata={"doc": "Last day it applies."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(bool(self.days), "days", "name at least one weekday")
        for position, week in enumerate(sorted(self.weeks)):
            if week not in (-1, 1, 2, 3, 4, 5):
                check.add(f"weeks[{position}]", f"{week} is not a week of the month (1-5 or -1)")
        _check_times(check, self.opens, self.closes)
        _check_range(check, self.valid_from, self.valid_until)
        check.done()

    @classmethod
    def of(
        cls,
        days: str,
        opens: str,
        closes: str,
        *,
        weeks: tuple[int, ...] = (),
        valid_from: dt.date | None = None,
        valid_until: dt.date | None = None,
    ) -> WeeklyHours:
        """``WeeklyHours.of("MO-FR", "08:30", "17:15")``; bad text raises ValidationError."""
        check = Checker()
        try:
            parsed_days = Weekday.parse_days(days)
        except ValueError as error:
            check.add("days", str(error))
        opened = _parse_time(check, "opens", opens)
        closed = _parse_time(check, "closes", closes)
        check.done()
        return cls(
            days=parsed_days,
            opens=opened,  # type: ignore[arg-type]
            closes=closed,  # type: ignore[arg-type]
            weeks=frozenset(weeks),
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def applies_on(self, day: dt.date) -> bool:
        """True when the rule opens on ``day`` (its weekday, week of month and dates fit)."""
        if Weekday.of(day) not in self.days:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        if self.weeks:
            nth, last = week_of_month(day)
            return nth in self.weeks or (last and -1 in self.weeks)
        return True


@attrs.frozen
class AnnualClosure:
    """Days closed every year, given as month-day: the year-end break is 12-29 to 01-03.

    ``end`` before ``start`` wraps over the new year.  Both days are closed.
    """

    start: str = attrs.field(metadata={"schema": {"pattern": MONTH_DAY_PATTERN}, "doc": "MM-DD."})
    end: str = attrs.field(metadata={"schema": {"pattern": MONTH_DAY_PATTERN}, "doc": "MM-DD."})
    label: LocalizedText = attrs.field(metadata={"doc": "What the closure is."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not _MONTH_DAY_RE.fullmatch(value) or not _real_month_day(value):
                check.add(name, f"{value!r} is not a month-day like 12-29")
        check.done()

    def covers(self, day: dt.date) -> bool:
        key = f"{day.month:02d}-{day.day:02d}"
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


def _real_month_day(value: str) -> bool:
    month, day = int(value[:2]), int(value[3:])
    return day <= (29 if month == 2 else _calendar.monthrange(2001, month)[1])


YEAR_END_CLOSURE = AnnualClosure(
    start="12-29",
    end="01-03",
    label=LocalizedText(ja="年末年始", en="Year-end and New Year holidays"),
)
"""29 December to 3 January: the closure of public offices (行政機関の休日に関する法律)."""


@attrs.frozen
class Closure:
    """An ad-hoc closure: whole days, or from a time on one day to a time on another.

    Without times, every day from ``start`` to ``end`` (inclusive) is closed.
    ``from_time`` starts the closure later on ``start``; ``until_time`` ends it
    earlier on ``end``.  A closure wins over every opening, special ones too.
    """

    start: dt.date = attrs.field(metadata={"doc": "First day."})
    end: dt.date | None = attrs.field(default=None, metadata={"doc": "Last day; default: start."})
    from_time: dt.time | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": TIME_PATTERN}, "doc": "Closed from this time."},
    )
    until_time: dt.time | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": TIME_PATTERN}, "doc": "Closed until this time."},
    )
    reason: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "Why (臨時休業 ...)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        last = self.last_day
        if last < self.start:
            check.add("end", f"{last} is before start {self.start}")
        elif (
            last == self.start
            and self.from_time is not None
            and self.until_time is not None
            and self.until_time <= self.from_time
        ):
            check.add("until_time", "a closure on one day must end after it starts")
        check.done()

    @property
    def last_day(self) -> dt.date:
        return self.end if self.end is not None else self.start

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Naive local start (inclusive) and end (exclusive) of the closure."""
        begin = dt.datetime.combine(self.start, self.from_time or dt.time())
        if self.until_time is None:
            finish = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time())
        else:
            finish = dt.datetime.combine(self.last_day, self.until_time)
        return begin, finish


@attrs.frozen
class SpecialOpening:
    """Open on a day it would otherwise be closed, or with extra hours (a holiday opening)."""

    date: dt.date = attrs.field(metadata={"doc": "The day."})
    opens: dt.time = attrs.field(metadata={"schema": {"pattern": TIME_PATTERN}, "doc": "HH:MM."})
    closes: dt.time = attrs.field(
        metadata={"schema": {"pattern": TIME_PATTERN}, "doc": "HH:MM; not after opens: next day."}
    )
    note: LocalizedText | None = attrs.field(default=None, metadata={"doc": "Why."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        _check_times(check, self.opens, self.closes)
        check.done()


def _check_times(check: Checker, opens: dt.time, closes: dt.time) -> None:
    for name, value in (("opens", opens), ("closes", closes)):
        if value.tzinfo is not None:
            check.add(name, "give wall-clock times; the calendar has the time zone")
        if value.microsecond:
            check.add(name, "times are to the second at most")


def _check_range(check: Checker, start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        check.add("valid_until", f"{end} is before valid_from {start}")


def _parse_time(check: Checker, path: str, text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text)
    except (TypeError, ValueError):
        hint = ""
        if isinstance(text, str) and text.strip().startswith("24:"):
            hint = "; write midnight as 00:00 (a closing time not after opening ends next day)"
        check.add(path, f"{text!r} is not a time like 09:00{hint}")
        return None


def interval_on(day: dt.date, opens: dt.time, closes: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """Naive local start and end of an opening that starts on ``day``."""
    start = dt.datetime.combine(day, opens)
    end_day = day if closes > opens else day + dt.timedelta(days=1)
    return start, dt.datetime.combine(end_day, closes)
