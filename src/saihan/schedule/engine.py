"""The precomputed form of a business calendar, answered by bisection.

A :class:`BusinessCalendar` is data; this is how it answers fast.  Each
year is expanded once into the open intervals that start in it (epoch
seconds) and the business days (ordinals); the years compiled so far are kept
as one flat, merged, sorted list of boundaries, so that "is it open at t" is
one ``bisect`` and "the 5th business day after d" is one ``bisect`` and an
index.  Years are compiled on demand, in both directions; a calendar with a
validity window never compiles beyond it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from saihan.schedule.holiday_calendar import HolidayCalendar, UnsupportedDateError
from saihan.schedule.rules import interval_on
from saihan.text import LocalizedText

if TYPE_CHECKING:
    from saihan.schedule.calendar import BusinessCalendar

__all__ = ["BatchTables", "CompiledCalendar", "DayReason"]


@dataclass(frozen=True, slots=True)
class DayReason:
    """Why a day is closed as a whole (a holiday, the year-end break, a closure ...)."""

    code: str  # "holiday", "own_holiday", "annual_closure", "outside_validity"
    message: LocalizedText


@dataclass(frozen=True, slots=True)
class BatchTables:
    """Every day of a compiled span, answered ahead: for the batch queries.

    ``left[d]`` and ``right[d]`` are where ``d`` falls among the business days
    (``bisect_left`` and ``bisect_right`` of its ordinal), ``member[d]`` whether it
    is one, and ``days`` the business days as dates: the ``n``-th business day
    after ``d`` is ``days[right[d] + n - 1]``, before it ``days[left[d] + n]``.
    Made from one span (``source`` is its list of business days) and never changed.
    """

    source: list[int]
    days: list[dt.date]
    left: dict[dt.date, int]
    right: dict[dt.date, int]
    member: dict[dt.date, bool]

    def shifted(self, k: int) -> list[dt.date | None]:
        """``days`` moved by ``k``: item ``i`` is ``days[i + k]``, None off either end,
        for every position ``i`` from 0 to ``len(days)``."""
        count = len(self.days)
        if abs(k) > count:
            return [None] * (count + 1)
        pad: list[dt.date | None] = [None] * (abs(k) + 1)
        padded = pad + self.days + pad
        start = len(pad) + k
        return padded[start : start + count + 1]


class CompiledCalendar:
    """Open intervals and business days of a calendar, compiled year by year."""

    def __init__(self, calendar: BusinessCalendar, holidays: HolidayCalendar | None) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self.holidays = holidays
        self._lock = threading.Lock()
        self._years: dict[int, tuple[list[tuple[float, float]], list[int]]] = {}
        self.bounds: list[float] = []  # alternating open, close: is_open <=> odd insertion index
        self.business_days: list[int] = []  # ordinals, sorted
        self.first_year = 0
        self.last_year = -1
        self.lo = float("inf")  # answers are right for lo <= t < hi
        self.hi = float("-inf")
        self.own = {holiday.date: holiday.name for holiday in calendar.own_holidays}
        self.min_year, self.max_year = self._year_limits()
        self.dated_horizon = max(calendar.dated_years(), default=self.min_year) + 2
        self._batch: BatchTables | None = None

    # -- what years can exist -----------------------------------------------------------

    def _year_limits(self) -> tuple[int, int]:
        cal = self.calendar
        low = cal.valid_from.year if cal.valid_from else 1
        high = cal.valid_until.year if cal.valid_until else 9998
        if self.holidays is not None:
            low = max(low, self.holidays.first_year)
            high = min(high, self.holidays.last_year)
        return low, high

    def can_extend(self) -> bool:
        """Whether compiling the next year may still find openings.

        After the last dated item (a closure, a special opening, a rule's end) the
        calendar repeats year after year, so a year past that without an opening
        means there will never be one again.  This is what stops every search.
        """
        if self.last_year < self.first_year or self.last_year >= self.max_year:
            return False  # nothing can open at all, or no year is left
        if self.last_year < self.dated_horizon:
            return True
        return bool(self._years[self.last_year][0] or self._years[self.last_year][1])

    def _open_all_year(self, start: float) -> bool:
        """True when an opening from ``start`` covers the whole last compiled year,
        and that year lies past every dated item."""
        year = self.last_year
        return year > self.dated_horizon and start <= self._local_ts(dt.datetime(year, 1, 1))

    def in_validity(self, year: int) -> bool:
        cal = self.calendar
        return (cal.valid_from is None or year >= cal.valid_from.year) and (
            cal.valid_until is None or year <= cal.valid_until.year
        )

    def batch_tables(self) -> BatchTables:
        """The batch tables of the span compiled now (made on first use after a change)."""
        tables = self._batch
        if tables is not None and tables.source is self.business_days:
            return tables
        with self._lock:
            source = self.business_days
            left: dict[dt.date, int] = {}
            right: dict[dt.date, int] = {}
            member: dict[dt.date, bool] = {}
            if self.first_year <= self.last_year:
                first = dt.date(self.first_year, 1, 1).toordinal()
                last = dt.date(self.last_year, 12, 31).toordinal()
                position, count = 0, len(source)
                for ordinal in range(first, last + 1):
                    while position < count and source[position] < ordinal:
                        position += 1
                    is_business = position < count and source[position] == ordinal
                    day = dt.date.fromordinal(ordinal)
                    left[day] = position
                    right[day] = position + is_business
                    member[day] = is_business
            days = list(map(dt.date.fromordinal, source))
            tables = BatchTables(source, days, left, right, member)
            self._batch = tables
        return tables

    # -- compiling ------------------------------------------------------------------------

    def _local_ts(self, moment: dt.datetime) -> float:
        return moment.replace(tzinfo=self.zone).timestamp()

    def _compile_year(self, year: int) -> tuple[list[tuple[float, float]], list[int]]:
        cal = self.calendar
        day = dt.date(year, 1, 1)
        end = dt.date(year, 12, 31)
        if cal.valid_from is not None and cal.valid_from > day:
            day = cal.valid_from
        if cal.valid_until is not None and cal.valid_until < end:
            end = cal.valid_until
        closures = [
            (self._local_ts(begin), self._local_ts(finish))
            for begin, finish in (closure.bounds() for closure in cal.closures)
        ]
        specials: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
        for opening in cal.special_openings:
            specials.setdefault(opening.date, []).append((opening.opens, opening.closes))
        intervals: list[tuple[float, float]] = []
        business: list[int] = []
        one_day = dt.timedelta(days=1)
        while day <= end:
            todays: list[tuple[dt.time, dt.time]] = []
            if self.closed_day_reason(day) is None:
                todays.extend(
                    (rule.opens, rule.closes) for rule in cal.weekly if rule.applies_on(day)
                )
            todays.extend(specials.get(day, ()))
            opened_today = False
            midnight = self._local_ts(dt.datetime.combine(day + one_day, dt.time()))
            for opens, closes in todays:
                start, finish = interval_on(day, opens, closes)
                for piece in _subtract((self._local_ts(start), self._local_ts(finish)), closures):
                    intervals.append(piece)
                    # A business day is one on which an opening starts: what a closure
                    # leaves of a night line after midnight belongs to the next day.
                    opened_today = opened_today or piece[0] < midnight
            if opened_today:
                business.append(day.toordinal())
            day += one_day
        return _merge(sorted(intervals)), business

    def closed_day_reason(self, day: dt.date) -> DayReason | None:
        """Why the whole of ``day`` is closed, before ad-hoc closures; None if it may open."""
        cal = self.calendar
        if (cal.valid_from is not None and day < cal.valid_from) or (
            cal.valid_until is not None and day > cal.valid_until
        ):
            return DayReason(
                "outside_validity",
                LocalizedText(ja="受付期間外です", en="outside the reception period"),
            )
        own = self.own.get(day)
        if own is not None:
            return DayReason(
                "own_holiday",
                LocalizedText(
                    ja=f"本日は休業日 ({own.ja}) のため休み",
                    en=f"closed today: {own.en or own.ja}",
                ),
            )
        if self.holidays is not None:
            name = self.holidays.name_of(day)
            if name is not None:
                return DayReason(
                    "holiday",
                    LocalizedText(
                        ja=f"本日は祝日 ({name.ja}) のため休み",
                        en=f"closed today: a national holiday ({name.en or name.ja})",
                    ),
                )
        for closure in cal.annual_closures:
            if closure.covers(day):
                label = closure.label
                return DayReason(
                    "annual_closure",
                    LocalizedText(
                        ja=f"本日は{label.ja}のため休み", en=f"closed today: {label.en or label.ja}"
                    ),
                )
        return None

    def ensure(self, first_year: int, last_year: int) -> None:
        """Compile every year from ``first_year`` to ``last_year`` (clamped to the limits)."""
        first_year = max(first_year, self.min_year)
        last_year = min(last_year, self.max_year)
        if first_year > last_year:
            return
        if self.first_year <= first_year and last_year <= self.last_year:
            return
        with self._lock:
            if self.last_year < self.first_year:  # nothing compiled yet
                low, high = first_year, last_year
            else:
                low, high = min(first_year, self.first_year), max(last_year, self.last_year)
            for year in range(low, high + 1):
                if year not in self._years:
                    self._years[year] = self._compile_year(year)
            intervals: list[tuple[float, float]] = []
            days: list[int] = []
            for year in range(low, high + 1):
                year_intervals, year_days = self._years[year]
                intervals.extend(year_intervals)
                days.extend(year_days)
            self.bounds = [edge for interval in _merge(intervals) for edge in interval]
            self.business_days = days
            self.first_year, self.last_year = low, high
            # Intervals start at most a day before they end: a year's answers are exact from
            # 2 January (the previous year's last night line has ended) to its end.
            cal = self.calendar
            hard_low = cal.valid_from is not None and low <= cal.valid_from.year
            hard_high = cal.valid_until is not None and high >= cal.valid_until.year
            self.lo = float("-inf") if hard_low else self._local_ts(dt.datetime(low, 1, 2))
            self.hi = float("inf") if hard_high else self._local_ts(dt.datetime(high + 1, 1, 1))

    def cover(self, ts: float, year: int) -> None:
        """Make sure the compiled span answers for the instant ``ts`` (local year ``year``)."""
        if not self.lo <= ts < self.hi:
            self.cover_year(year)
            nearest = self._nearest(year)
            self.ensure(nearest - 1, nearest)

    def cover_year(self, year: int) -> None:
        """Compile ``year`` (or the nearest year that can open); a year whose holidays are
        unknown raises, never guesses."""
        holidays = self.holidays
        if holidays is not None and not holidays.supports(year) and self.in_validity(year):
            raise UnsupportedDateError(
                f"national holidays are known for {holidays.first_year}-{holidays.last_year}, "
                f"not {year}; set closed_on_national_holidays to false to go beyond",
                path="date",
            )
        nearest = self._nearest(year)
        self.ensure(nearest, nearest)

    def _nearest(self, year: int) -> int:
        return min(max(year, self.min_year), self.max_year)

    def intervals_from(self, ts: float, year: int) -> Iterator[tuple[float, float]]:
        """Open intervals that end after ``ts``, in order, compiling later years as needed.

        Stops when :meth:`can_extend` says no more can come, so it never runs forever.
        """
        self.cover(ts, year)
        last = ts
        position = bisect.bisect_right(self.bounds, ts)
        if position % 2:  # ts is inside an interval: start from that interval
            position -= 1
        while True:
            can_extend = self.can_extend()
            while position < len(self.bounds):
                start, end = self.bounds[position], self.bounds[position + 1]
                if end >= self.hi and can_extend:
                    if self._open_all_year(start):
                        # Past the last dated item, a year open throughout repeats for
                        # ever: this opening never ends.
                        yield start, math.inf
                        return
                    break  # it may go on into the next year: compile that first
                yield start, end
                last = end
                position += 2
            if not can_extend:
                return
            compiled_until = self.last_year
            self.ensure(self.first_year, self.last_year + 1)
            if self.last_year == compiled_until:  # no progress is possible: stop
                return
            position = bisect.bisect_right(self.bounds, last)
            if position % 2:
                position -= 1


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted intervals with overlapping or touching ones joined."""
    merged: list[tuple[float, float]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(
    interval: tuple[float, float], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    pieces = [interval]
    for hole_start, hole_end in holes:
        next_pieces = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                next_pieces.append((start, end))
                continue
            if start < hole_start:
                next_pieces.append((start, hole_start))
            if hole_end < end:
                next_pieces.append((hole_end, end))
        pieces = next_pieces
    return [(start, end) for start, end in pieces if end > start]
