"""Business calendars: when a desk answers, and business-day arithmetic on it."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
import operator
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from saihan._validation import Checker, checked, types_only
from saihan.errors import NotFoundError, ValidationError
from saihan.schedule._batch import as_list, lookup_all, one
from saihan.schedule.engine import BatchTables, CompiledCalendar
from saihan.schedule.holiday_calendar import Holiday, japanese_holidays
from saihan.schedule.rules import (
    YEAR_END_CLOSURE,
    AnnualClosure,
    Closure,
    SpecialOpening,
    WeeklyHours,
)
from saihan.text import LocalizedText

__all__ = ["BusinessCalendar", "OpeningStatus"]

DEFAULT_TIMEZONE = "Asia/Tokyo"

# Held while a calendar's compiled form is made, so that every thread gets the same one
# (it holds the years compiled so far and their lock).
_COMPILING = threading.Lock()


def _tuple_of_weekly(items: Iterable[WeeklyHours]) -> tuple[WeeklyHours, ...]:
    return tuple(items)


def _tuple_of_annual(items: Iterable[AnnualClosure]) -> tuple[AnnualClosure, ...]:
    return tuple(items)


def _tuple_of_holidays(items: Iterable[Holiday]) -> tuple[Holiday, ...]:
    return tuple(items)


def _tuple_of_closures(items: Iterable[Closure]) -> tuple[Closure, ...]:
    return tuple(items)


def _tuple_of_openings(items: Iterable[SpecialOpening]) -> tuple[SpecialOpening, ...]:
    return tuple(items)


@attrs.frozen
class OpeningStatus:
    """Whether a calendar is open at a moment, why, and until or from when."""

    open: bool
    reason: (
        str  # open, holiday, own_holiday, annual_closure, closure, outside_validity, outside_hours
    )
    message: LocalizedText
    change: dt.datetime | None  # when open: when it closes; when closed: when it next opens

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class BusinessCalendar:
    """When a service answers: weekly hours, holidays, closures, a reception period.

    Queries take time-zone-aware datetimes (a naive one raises
    :class:`~saihan.errors.ValidationError`) and answer in the calendar's own
    zone.  An opening starts at ``opens`` and ends just before ``closes``.
    Precedence: a day is closed by a national holiday (when
    ``closed_on_national_holidays``), an own holiday or an annual closure;
    special openings open it anyway; ad-hoc closures close anything.
    """

    weekly: tuple[WeeklyHours, ...] = attrs.field(
        default=(), converter=_tuple_of_weekly, metadata={"doc": "Weekly opening hours."}
    )
    timezone: str = attrs.field(
        default=DEFAULT_TIMEZONE, metadata={"doc": "IANA time zone of the hours."}
    )
    valid_from: dt.date | None = attrs.field(
        default=None, metadata={"doc": "First day of the reception period."}
    )
    valid_until: dt.date | None = attrs.field(
        default=None, metadata={"doc": "Last day of the reception period (inclusive)."}
    )
    closed_on_national_holidays: bool = attrs.field(
        default=True, metadata={"doc": "Closed on Japan's national holidays."}
    )
    annual_closures: tuple[AnnualClosure, ...] = attrs.field(
        default=(YEAR_END_CLOSURE,),
        converter=_tuple_of_annual,
        metadata={"doc": "Closed every year (default: the 29 Dec - 3 Jan year-end break)."},
    )
    own_holidays: tuple[Holiday, ...] = attrs.field(
        default=(), converter=_tuple_of_holidays, metadata={"doc": "The body's own closed days."}
    )
    closures: tuple[Closure, ...] = attrs.field(
        default=(), converter=_tuple_of_closures, metadata={"doc": "Ad-hoc closures."}
    )
    special_openings: tuple[SpecialOpening, ...] = attrs.field(
        default=(), converter=_tuple_of_openings, metadata={"doc": "Extra openings."}
    )
    note: LocalizedText | None = attrs.field(default=None, metadata={"doc": "Free-text remark."})
    # The compiled form, made on first use (see _compiled): a calendar loaded with a
    # directory to be stored or written out is never asked when it is open.
    _compiled_form: CompiledCalendar | None = attrs.field(
        init=False, default=None, repr=False, eq=False, hash=False
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            check.add("timezone", f"{self.timezone!r} is not an IANA time zone like Asia/Tokyo")
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        ):
            check.add("valid_until", f"{self.valid_until} is before valid_from {self.valid_from}")
        for index, opening in enumerate(self.special_openings):
            if not self._within_validity(opening.date):
                check.add(f"special_openings[{index}].date", "outside the reception period")
        seen: set[dt.date] = set()
        for index, holiday in enumerate(self.own_holidays):
            if holiday.date in seen:
                check.add(f"own_holidays[{index}].date", f"{holiday.date} is listed twice")
            seen.add(holiday.date)
        check.done()

    @property
    def _compiled(self) -> CompiledCalendar:
        """The calendar's compiled form, made on the first query (once, under a lock)."""
        compiled = self._compiled_form
        if compiled is None:
            with _COMPILING:
                compiled = self._compiled_form
                if compiled is None:
                    holidays = japanese_holidays() if self.closed_on_national_holidays else None
                    compiled = CompiledCalendar(self, holidays)
                    object.__setattr__(self, "_compiled_form", compiled)
        return compiled

    def _within_validity(self, day: dt.date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day <= self.valid_until
        )

    def dated_years(self) -> list[int]:
        """Years of every dated item; after the last of them the calendar repeats."""
        dates = [c.last_day for c in self.closures]
        dates += [o.date for o in self.special_openings]
        dates += [h.date for h in self.own_holidays]
        for rule in self.weekly:
            dates += [day for day in (rule.valid_from, rule.valid_until) if day is not None]
        return [day.year for day in dates]

    @property
    def zone(self) -> ZoneInfo:
        return self._compiled.zone

    # -- instants ------------------------------------------------------------------------

    def _instant(self, moment: dt.datetime, path: str = "t") -> tuple[float, int]:
        if not isinstance(moment, dt.datetime):
            raise ValidationError(f"expected a datetime, got {type(moment).__name__}", path=path)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValidationError(
                f"{moment.isoformat()} has no time zone; pass an aware datetime "
                "(e.g. with tzinfo=ZoneInfo('Asia/Tokyo'))",
                path=path,
            )
        return moment.timestamp(), moment.astimezone(self._compiled.zone).year

    def _at(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, self._compiled.zone)

    def is_open(self, t: dt.datetime) -> bool:
        """True when the service is open at ``t``."""
        compiled = self._compiled
        if t.tzinfo is not None and t.utcoffset() is not None:
            ts = t.timestamp()
            if compiled.lo <= ts < compiled.hi:  # the hot path: one bisect
                return bisect.bisect_right(compiled.bounds, ts) % 2 == 1
        ts, year = self._instant(t)
        compiled.cover(ts, year)
        return bisect.bisect_right(compiled.bounds, ts) % 2 == 1

    def next_open(self, t: dt.datetime) -> dt.datetime | None:
        """``t`` itself when open, else the next moment it opens; None if it never will."""
        ts, year = self._instant(t)
        for start, _end in self._compiled.intervals_from(ts, year):
            return t.astimezone(self.zone) if start <= ts else self._at(start)
        return None

    def next_close(self, t: dt.datetime) -> dt.datetime | None:
        """When the current opening ends, or the next one if closed now.

        None when nothing opens again, or when the opening never ends (a 24-hour
        service with no closed days).
        """
        ts, year = self._instant(t)
        for _start, end in self._compiled.intervals_from(ts, year):
            return None if math.isinf(end) else self._at(end)
        return None

    def openings(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open intervals between ``start`` and ``end``, clipped to them."""
        begin_ts, year = self._instant(start, "start")
        end_ts, _ = self._instant(end, "end")
        if end_ts < begin_ts:
            raise ValidationError("end is before start", path="end")
        found: list[tuple[dt.datetime, dt.datetime]] = []
        for opens, closes in self._compiled.intervals_from(begin_ts, year):
            if opens >= end_ts:
                break
            found.append((self._at(max(opens, begin_ts)), self._at(min(closes, end_ts))))
        return found

    def status(self, t: dt.datetime) -> OpeningStatus:
        """Open or closed at ``t``, with the reason in Japanese and English.

        e.g. 「本日は祝日 (春分の日) のため休み」 / "closed today: a national holiday
        (Vernal Equinox Day)".
        """
        self._instant(t)  # validates t
        local = t.astimezone(self.zone)
        if self.is_open(t):
            closes = self.next_close(t)
            if closes is None:  # open around the clock from here on
                message = LocalizedText(ja="受付中 (24時間)", en="open around the clock")
            else:
                when = closes.strftime("%H:%M")
                message = LocalizedText(ja=f"受付中 ({when}まで)", en=f"open until {when}")
            return OpeningStatus(True, "open", message, closes)
        upcoming = self.next_open(t)
        day_reason = self._compiled.closed_day_reason(local.date())
        for closure in self.closures:
            begin, finish = closure.bounds()
            if begin <= local.replace(tzinfo=None) < finish:
                why = closure.reason
                return OpeningStatus(
                    False,
                    "closure",
                    LocalizedText(
                        ja=f"臨時休業のため休み{f' ({why.ja})' if why else ''}",
                        en=f"closed: temporary closure{f' ({why.en or why.ja})' if why else ''}",
                    ),
                    upcoming,
                )
        if day_reason is not None and not any(
            o.date == local.date() for o in self.special_openings
        ):
            return OpeningStatus(False, day_reason.code, day_reason.message, upcoming)
        if upcoming is None:
            message = LocalizedText(ja="今後の受付予定はありません", en="no further openings")
        else:
            ja_day = f"{upcoming.month}月{upcoming.day}日({'月火水木金土日'[upcoming.weekday()]})"
            message = LocalizedText(
                ja=f"受付時間外です (次は{ja_day} {upcoming:%H:%M}から)",
                en=f"closed now; opens {upcoming:%a %d %b %Y %H:%M}",
            )
        return OpeningStatus(False, "outside_hours", message, upcoming)

    # -- business days --------------------------------------------------------------------

    def _day(self, day: dt.date, path: str) -> dt.date:
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise ValidationError(f"expected a date, got {type(day).__name__}", path=path)
        return day

    def is_business_day(self, day: dt.date) -> bool:
        """True when the service opens on ``day`` (an opening starts that day)."""
        day = self._day(day, "day")
        compiled = self._compiled
        compiled.cover_year(day.year)
        days = compiled.business_days
        ordinal = day.toordinal()
        index = bisect.bisect_left(days, ordinal)
        return index < len(days) and days[index] == ordinal

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th business day after ``day`` (before it when ``n`` is negative).

        ``day`` itself is not counted; ``n == 0`` returns ``day``.  Raises
        :class:`NotFoundError` when the calendar has no such day (past the end of
        its reception period).
        """
        compiled = self._compiled
        if type(day) is dt.date and type(n) is int and n:
            # The hot path: the year is compiled and the answer lies in what is compiled.
            days = compiled.business_days
            if days and days[0] <= (ordinal := day.toordinal()) <= days[-1]:
                index = bisect.bisect_left(days, ordinal)
                target = index + n - 1 if n > 0 and days[index] != ordinal else index + n
                if 0 <= target < len(days):
                    return dt.date.fromordinal(days[target])
        day = self._day(day, "day")
        if isinstance(n, bool) or not isinstance(n, int):
            raise ValidationError(f"n must be an integer, got {n!r}", path="n")
        if n == 0:
            return day
        compiled = self._compiled
        compiled.cover_year(day.year)
        ordinal = day.toordinal()
        while True:
            days = compiled.business_days
            index = bisect.bisect_left(days, ordinal)
            is_business = index < len(days) and days[index] == ordinal
            target = index + n - 1 if n > 0 and not is_business else index + n
            if 0 <= target < len(days):
                # The answer is final only if no uncompiled year could come between.
                return dt.date.fromordinal(days[target])
            if n > 0 and compiled.can_extend():
                compiled.ensure(compiled.first_year, compiled.last_year + 1)
            elif n < 0 and compiled.first_year > compiled.min_year:
                compiled.ensure(compiled.first_year - 1, compiled.last_year)
            else:
                direction = "after" if n > 0 else "before"
                raise NotFoundError(
                    f"the calendar has fewer than {abs(n)} business days {direction} {day}"
                )

    # -- many dates at once ------------------------------------------------------------

    def is_business_day_many(self, dates: Iterable[dt.date]) -> list[bool]:
        """:meth:`is_business_day` of every date in ``dates``, in order.

        The same answers as the loop, from a table of every day of the compiled years
        (one dict lookup a date).  A value that is not a date raises
        :class:`ValidationError` at its path, e.g. ``dates[3]``.
        """
        days = as_list(dates)
        _tables, found, complete = self._looked_up(days, _member)
        if not complete:
            single = self.is_business_day
            for index, value in enumerate(found):
                if value is None:
                    found[index] = one("dates", index, functools.partial(single, days[index]))
        return found  # type: ignore[return-value]  # no None is left

    def add_business_days_many(
        self, dates: Iterable[dt.date], n: int | Sequence[int]
    ) -> list[dt.date]:
        """:meth:`add_business_days` of every date in ``dates``, in order.

        ``n`` is one offset for all of them, or a sequence of offsets as long as
        ``dates``.  The same answers and errors as the loop: a bad date raises
        :class:`ValidationError` at ``dates[i]``, a bad offset at ``n`` or ``n[i]``,
        and running off the calendar's end :class:`NotFoundError` naming ``dates[i]``.
        """
        days = as_list(dates)
        single = self.add_business_days
        if isinstance(n, int) and not isinstance(n, bool):
            if n == 0:
                if not all(type(day) is dt.date for day in days):
                    for index, day in enumerate(days):
                        one("dates", index, functools.partial(self._day, day, "day"))
                return list(days)
            tables, positions, complete = self._looked_up(days, _right if n > 0 else _left)
            k = n - 1 if n > 0 else n
            if complete and days:
                known = cast("list[int]", positions)  # complete: no None in it
                if min(known) + k >= 0 and max(known) + k < len(tables.days):
                    # The hot path: every answer lies in the compiled span.
                    if 2 * len(days) > len(tables.days):
                        return list(map(tables.shifted(k).__getitem__, known))  # type: ignore[arg-type]
                    return list(map(tables.days.__getitem__, map(k.__add__, known)))
            shifted = tables.shifted(k)
            answers = [None if p is None else shifted[p] for p in positions]
            for index, answer in enumerate(answers):
                if answer is None:
                    answers[index] = one("dates", index, functools.partial(single, days[index], n))
            return answers  # type: ignore[return-value]  # no None is left
        offsets = _offsets(n, len(days))
        if days and (min(offsets) > 0 or max(offsets) < 0):
            # Offsets of one sign: one table, then the answers by index (-1 for n > 0).
            forward = offsets[0] > 0
            tables, positions, complete = self._looked_up(days, _right if forward else _left)
            if complete:
                targets = list(map(operator.add, cast("list[int]", positions), offsets))
                if min(targets) >= forward and max(targets) < len(tables.days) + forward:
                    source = tables.shifted(-1) if forward else tables.days
                    return list(map(source.__getitem__, targets))  # type: ignore[arg-type]
        tables, lefts, _complete = self._looked_up(days, _left)
        rights, _complete = lookup_all(tables.right, days)
        business, count = tables.days, len(tables.days)
        out: list[dt.date | None] = []
        append = out.append
        for day, low, high, k in zip(days, lefts, rights, offsets, strict=True):
            if k > 0 and high is not None and high + k <= count:
                append(business[high + k - 1])
            elif k < 0 and low is not None and low + k >= 0:
                append(business[low + k])
            elif k == 0 and low is not None:
                append(day)
            else:
                append(None)
        for index, answer in enumerate(out):
            if answer is None:
                out[index] = one(
                    "dates", index, functools.partial(single, days[index], offsets[index])
                )
        return out  # type: ignore[return-value]  # no None is left

    def _looked_up(
        self, days: list[dt.date], pick: Callable[[BatchTables], dict[dt.date, T]]
    ) -> tuple[BatchTables, list[T | None], bool]:
        """The batch tables, each day's entry in the picked one, and whether every
        day has one; None where the tables cannot answer (a value that is not a date,
        a year not compiled), after compiling the years of every date that is missing
        and can be compiled."""
        compiled = self._compiled
        tables = compiled.batch_tables()
        found, complete = lookup_all(pick(tables), days)
        if complete:
            return tables, found, True
        years = {
            day.year
            for day, value in zip(days, found, strict=True)
            if value is None and type(day) is dt.date and self._compilable(day.year)
        }
        if not years:
            return tables, found, False
        compiled.ensure(min(years), max(years))
        tables = compiled.batch_tables()
        found, complete = lookup_all(pick(tables), days)
        return tables, found, complete

    def _compilable(self, year: int) -> bool:
        """Whether asking about ``year`` compiles it without raising."""
        compiled = self._compiled
        holidays = compiled.holidays
        return (
            holidays is None or holidays.supports(year) or not compiled.in_validity(year)
        ) and compiled.min_year <= year <= compiled.max_year

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days from ``start`` (counted) to ``end`` (not counted); negative if end < start.

        The same convention as ``numpy.busday_count``.
        """
        start = self._day(start, "start")
        end = self._day(end, "end")
        low, high = sorted((start, end))
        compiled = self._compiled
        compiled.cover_year(low.year)
        compiled.cover_year(high.year)
        compiled.ensure(low.year, high.year)
        days = compiled.business_days
        return bisect.bisect_left(days, end.toordinal()) - bisect.bisect_left(
            days, start.toordinal()
        )

    def add_business_hours(self, t: dt.datetime, hours: float | dt.timedelta) -> dt.datetime:
        """The moment when ``hours`` of opening time have passed after ``t``.

        For service-level deadlines: "answer within 8 business hours".  Raises
        :class:`NotFoundError` when the calendar runs out of openings first.
        """
        ts, year = self._instant(t)
        if isinstance(hours, dt.timedelta):
            budget = hours.total_seconds()
        elif isinstance(hours, int | float) and not isinstance(hours, bool):
            budget = float(hours) * 3600
        else:
            raise ValidationError(
                f"hours must be a number or timedelta, got {hours!r}", path="hours"
            )
        if budget < 0 or budget != budget:
            raise ValidationError("hours must not be negative", path="hours")
        if budget == 0:
            return t.astimezone(self.zone)
        for opens, closes in self._compiled.intervals_from(ts, year):
            start = max(opens, ts)
            if closes - start >= budget:
                return self._at(start + budget)
            budget -= closes - start
        raise NotFoundError(f"the calendar runs out of openings before {hours} business hours")


T = TypeVar("T")


def _member(tables: BatchTables) -> dict[dt.date, bool]:
    return tables.member


def _left(tables: BatchTables) -> dict[dt.date, int]:
    return tables.left


def _right(tables: BatchTables) -> dict[dt.date, int]:
    return tables.right


def _offsets(n: object, count: int) -> list[int]:
    """``n`` as a list of ``count`` integer offsets, or a ValidationError naming it."""
    if isinstance(n, str | bytes) or not isinstance(n, Iterable):
        raise ValidationError(
            f"n must be an integer or a sequence of integers, got {n!r}", path="n"
        )
    offsets = list(n)
    if len(offsets) != count:
        raise ValidationError(
            f"n has {len(offsets)} offsets for {count} dates; give one offset a date",
            path="n",
        )
    if not all(type(k) is int for k in offsets):
        for index, k in enumerate(offsets):
            if isinstance(k, bool) or not isinstance(k, int):
                raise ValidationError(f"n must be an integer, got {k!r}", path=f"n[{index}]")
    return offsets
