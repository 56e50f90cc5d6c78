"""Japanese national holidays, and holiday sets of a municipality's own.

The holiday law is not written here: the dates come from the ``holidays``
package, which matched the Cabinet Office's published list exactly for
1955-2027 in our check (substitute holidays 振替休日, citizens' holidays
国民の休日, the 2019 enthronement days and the 2020/2021 Olympic moves
included).  They are written out in a bundled table
(``data/japanese_holidays.csv``, kept equal to the installed package by a test;
``python -m saihan.schedule._holiday_table`` regenerates it), which is read
instead of importing the package.  Each year is read once, on first use, into a
dict; a lookup after that is a dict lookup.

Outside the supported years a lookup raises :class:`UnsupportedDateError`:
never a silent "not a holiday".  Years after :data:`PUBLISHED_UNTIL` are
projections: the equinox days are announced by the Cabinet Office only a year
ahead, and a future change of the law cannot be known.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from saihan._validation import types_only
from saihan.errors import ValidationError
from saihan.schedule._batch import as_list, lookup_all, one
from saihan.text import LocalizedText

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "PUBLISHED_UNTIL",
    "Holiday",
    "HolidayCalendar",
    "UnsupportedDateError",
    "japanese_holidays",
]

FIRST_YEAR = 1955
LAST_YEAR = 2099
PUBLISHED_UNTIL = 2027  # the last year the Cabinet Office list was checked against


class UnsupportedDateError(ValidationError):
    """A date outside the years a holiday calendar knows."""


@attrs.frozen
class Holiday:
    """A named closed day: a national holiday or a body's own (創立記念日, 庁舎点検日)."""

    date: dt.date = attrs.field(metadata={"doc": "The day."})
    name: LocalizedText = attrs.field(metadata={"doc": "Its name in Japanese and English."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


class HolidayCalendar:
    """A set of named holidays over a range of years, answered by dict lookups.

    ``compute(year)`` supplies the holidays of one year; each year is computed
    once, the first time it is asked about, then kept.
    """

    def __init__(
        self,
        label: str,
        first_year: int,
        last_year: int,
        compute: Callable[[int], Mapping[dt.date, LocalizedText]],
    ) -> None:
        self.label = label
        self.first_year = first_year
        self.last_year = last_year
        self._compute = compute
        self._years: dict[int, dict[dt.date, LocalizedText]] = {}
        # Every holiday of the years computed so far, for the one-lookup fast path.
        self._dates: set[dt.date] = set()
        # Every day of the years computed so far, holiday or not: for is_holiday_many.
        self._every_day: dict[dt.date, bool] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HolidayCalendar({self.label!r}, {self.first_year}-{self.last_year})"

    def _year(self, year: int) -> dict[dt.date, LocalizedText]:
        found = self._years.get(year)
        if found is not None:
            return found
        if not self.first_year <= year <= self.last_year:
            raise UnsupportedDateError(
                f"{self.label} knows the years {self.first_year}-{self.last_year}, not {year}",
                path="date",
            )
        with self._lock:
            if year not in self._years:
                computed = dict(self._compute(year))
                self._dates.update(computed)
                first = dt.date(year, 1, 1).toordinal()
                last = dt.date(year, 12, 31).toordinal()
                for ordinal in range(first, last + 1):
                    day = dt.date.fromordinal(ordinal)
                    self._every_day[day] = day in computed
                self._years[year] = computed
        return self._years[year]

    def supports(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def is_holiday(self, day: dt.date) -> bool:
        """True when ``day`` is a holiday; :class:`UnsupportedDateError` outside the years."""
        if type(day) is dt.date and day.year in self._years:  # the hot path: one set lookup
            return day in self._dates
        return _as_date(day) in self._year(day.year)

    def is_holiday_many(self, dates: Iterable[dt.date]) -> list[bool]:
        """:meth:`is_holiday` of every date in ``dates``, in order.

        One dict lookup a date (every day of the years computed so far is in a
        table).  The same answers and errors as the loop: a date outside the years
        raises :class:`UnsupportedDateError`, a value that is not a date
        :class:`~saihan.errors.ValidationError`, both at its path, e.g. ``dates[3]``.
        """
        days = as_list(dates)
        found, complete = lookup_all(self._every_day, days)
        if complete:  # the hot path: every year computed
            return found  # type: ignore[return-value]  # complete: no None
        if None in found:
            single = self.is_holiday
            for index, value in enumerate(found):
                if value is None:
                    found[index] = one("dates", index, functools.partial(single, days[index]))
        return found  # type: ignore[return-value]  # no None is left

    def name_of(self, day: dt.date) -> LocalizedText | None:
        """The holiday's name in Japanese and English, or None on an ordinary day."""
        return self._year(day.year).get(_as_date(day))

    def name(self, day: dt.date, lang: str = "ja") -> str | None:
        """The holiday's name in ``lang`` ("ja" or "en"), or None on an ordinary day."""
        found = self.name_of(day)
        return None if found is None else found.get(lang)

    def in_year(self, year: int) -> dict[dt.date, LocalizedText]:
        """Every holiday of ``year``, in date order."""
        return dict(sorted(self._year(year).items()))

    def between(self, start: dt.date, end: dt.date) -> Iterator[Holiday]:
        """Holidays from ``start`` to ``end`` inclusive, in date order."""
        for year in range(start.year, end.year + 1):
            for day, name in sorted(self._year(year).items()):
                if start <= day <= end:
                    yield Holiday(day, name)

    def with_days(self, extra: Iterable[Holiday], label: str | None = None) -> HolidayCalendar:
        """This calendar plus ``extra`` days (a municipality's own closed days).

        An extra day on a national holiday keeps the national name.
        """
        added: dict[int, dict[dt.date, LocalizedText]] = {}
        for holiday in extra:
            added.setdefault(holiday.date.year, {})[holiday.date] = holiday.name

        def compute(year: int) -> dict[dt.date, LocalizedText]:
            return {**added.get(year, {}), **self._year(year)}

        return HolidayCalendar(label or self.label, self.first_year, self.last_year, compute)


def _as_date(day: dt.date) -> dt.date:
    # datetime is a subclass of date; hash-compare on the date part only.
    if isinstance(day, dt.datetime):
        return day.date()
    if not isinstance(day, dt.date):
        raise ValidationError(f"expected a date, got {type(day).__name__}", path="date")
    return day


def _national_year(year: int) -> dict[dt.date, LocalizedText]:
    from saihan.schedule import _holiday_table

    # The bundled table (the holidays package's days, written out; a test keeps it so):
    # reading it costs a fraction of importing the package.
    table = _holiday_table.year(year)
    if table is not None:
        return {day: LocalizedText(ja=ja, en=en) for day, ja, en in table}
    japan = _japan_class()
    japanese = japan(years=year, language="ja")
    english = japan(years=year, language="en_US")
    return {
        day: LocalizedText(ja=name, en=english.get(day) or name)
        for day, name in sorted(japanese.items())
    }


@functools.cache
def _japan_class() -> Any:
    """The ``holidays`` package's class for Japan, loaded without the other countries.

    ``holidays.country_holidays("JP")`` imports ``holidays.countries``, whose
    ``__init__`` imports every country the package knows (some 250 modules, most of a
    cold start).  Japan's own module needs none of them: it is read here from its file
    in the installed package, under a private name (``sys.modules`` is not touched, so
    anyone else importing ``holidays.countries`` gets the package's own modules).
    Where the file is not where holidays 0.50-0.109 keep it, or is already imported,
    the package's own way is used.
    """
    import holidays

    loaded = sys.modules.get("holidays.countries.japan")
    if loaded is not None:
        return loaded.Japan
    path = Path(holidays.__file__).with_name("countries") / "japan.py"
    spec = importlib.util.spec_from_file_location("saihan._holidays_japan", path)
    if spec is None or spec.loader is None or not path.is_file():  # pragma: no cover
        return functools.partial(holidays.country_holidays, "JP")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Japan


@functools.cache
def japanese_holidays() -> HolidayCalendar:
    """Japan's national holidays (国民の祝日 and the days the holiday law closes), 1955-2099."""
    return HolidayCalendar("Japanese national holidays", FIRST_YEAR, LAST_YEAR, _national_year)
