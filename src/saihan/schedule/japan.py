"""Japanese dates: fiscal years (年度), era dates (和暦), and dates as documents write them.

Era start dates are those of the imperial eras; Japan adopted the Gregorian
calendar on 明治6年1月1日 (1873-01-01), so earlier era dates (lunisolar) are
refused rather than converted wrongly.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import attrs

from saihan._validation import types_only
from saihan.errors import ValidationError

__all__ = [
    "ERAS",
    "Era",
    "EraDate",
    "fiscal_year",
    "fiscal_year_bounds",
    "format_japanese_date",
    "from_era",
    "parse_japanese_date",
    "to_era",
]

GREGORIAN_SINCE = dt.date(1873, 1, 1)
WEEKDAYS_JA = "月火水木金土日"


@attrs.frozen
class Era:
    """An imperial era (元号)."""

    name: str  # 令和
    romaji: str  # Reiwa
    letter: str  # R
    start: dt.date

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


ERAS: tuple[Era, ...] = (
    Era("明治", "Meiji", "M", dt.date(1868, 1, 25)),
    Era("大正", "Taisho", "T", dt.date(1912, 7, 30)),
    Era("昭和", "Showa", "S", dt.date(1926, 12, 25)),
    Era("平成", "Heisei", "H", dt.date(1989, 1, 8)),
    Era("令和", "Reiwa", "R", dt.date(2019, 5, 1)),
)
"""Eras from Meiji on, oldest first."""

_BY_NAME = {era.name: era for era in ERAS} | {era.letter: era for era in ERAS}


@attrs.frozen
class EraDate:
    """A date in era form: 令和6年4月1日 is ``EraDate(令和, 6, 4, 1)``."""

    era: Era
    year: int
    month: int
    day: int

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def format(self, *, gannen: bool = True, weekday: bool = False) -> str:
        """``令和6年4月1日``; the first year is written 元年 unless ``gannen`` is False."""
        year = "元" if gannen and self.year == 1 else str(self.year)
        text = f"{self.era.name}{year}年{self.month}月{self.day}日"
        if weekday:
            text += f"（{WEEKDAYS_JA[self.to_date().weekday()]}）"
        return text

    def to_date(self) -> dt.date:
        return from_era(self.era.name, self.year, self.month, self.day)

    def __str__(self) -> str:
        return self.format()


def fiscal_year(day: dt.date) -> int:
    """The Japanese fiscal year (年度) of ``day``: April to March, named by its April's year.

    >>> fiscal_year(dt.date(2025, 3, 22))
    2024
    """
    _require_date(day, "day")
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year ``year``: FY2024 is 2024-04-01 to 2025-03-31."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year < 9999:
        raise ValidationError(f"{year!r} is not a fiscal year", path="year")
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def to_era(day: dt.date) -> EraDate:
    """The era form of ``day`` (from 1873-01-01, when Japan adopted the Gregorian calendar)."""
    _require_date(day, "day")
    if day < GREGORIAN_SINCE:
        raise ValidationError(
            f"{day} is before 1873-01-01, when Japan adopted the Gregorian calendar", path="day"
        )
    era = next(era for era in reversed(ERAS) if day >= era.start)
    return EraDate(era, day.year - era.start.year + 1, day.month, day.day)


def from_era(era: str, year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of an era date; the date must fall inside that era.

    >>> from_era("令和", 6, 4, 1)
    datetime.date(2024, 4, 1)
    """
    found = _BY_NAME.get(era)
    if found is None:
        names = ", ".join(f"{e.name} ({e.letter})" for e in ERAS)
        raise ValidationError(f"{era!r} is not an era: {names}", path="era")
    if year < 1:
        raise ValidationError(f"era year {year} must be 1 or more", path="year")
    try:
        result = dt.date(found.start.year + year - 1, month, day)
    except ValueError as error:
        raise ValidationError(
            f"{found.name}{year}年{month}月{day}日 is not a date: {error}"
        ) from None
    following = ERAS.index(found) + 1
    if result < found.start or (following < len(ERAS) and result >= ERAS[following].start):
        raise ValidationError(
            f"{found.name}{year}年{month}月{day}日 is not in the {found.romaji} era"
        )
    if result < GREGORIAN_SINCE:
        raise ValidationError(f"{result} is before Japan adopted the Gregorian calendar (1873)")
    return result


_ERA_DATE = re.compile(
    r"^(?P<era>明治|大正|昭和|平成|令和)\s*(?P<year>元|\d{1,3})\s*年\s*(?P<month>\d{1,2})\s*月"
    r"\s*(?P<day>\d{1,2})\s*日$"
)
_SHORT_ERA_DATE = re.compile(
    r"^(?P<era>[MTSHR])(?P<year>\d{1,3})[./-](?P<month>\d{1,2})[./-](?P<day>\d{1,2})$"
)
_WESTERN_DATE = re.compile(
    r"^(?P<year>\d{4})(?:\s*年\s*|[./-])(?P<month>\d{1,2})(?:\s*月\s*|[./-])(?P<day>\d{1,2})\s*日?$"
)
_WEEKDAY_SUFFIX = re.compile(r"\s*\(\s*(?P<weekday>[月火水木金土日])(?:曜日?)?\s*\)\s*$")


def parse_japanese_date(text: str) -> dt.date:
    """Read a date the way Japanese documents write it.

    Accepts era dates (``令和6年4月1日``, ``令和元年5月1日``, ``R6.4.1``, ``㋿6年4月1日``),
    Western dates (``2024年4月1日``, ``2024/4/1``, ``2024-04-01``), full-width digits and a
    weekday in brackets (``令和６年４月1日（月）``), which must be the right one.
    """
    if not isinstance(text, str):
        raise ValidationError(f"expected text, got {type(text).__name__}", path="text")
    # NFKC folds full-width digits and brackets, and the era ligatures ㋿ ㍻ ㍼ into 令和 ...
    normal = unicodedata.normalize("NFKC", text).strip()
    weekday = None
    suffix = _WEEKDAY_SUFFIX.search(normal)
    if suffix:
        weekday = suffix.group("weekday")
        normal = normal[: suffix.start()].strip()
    result = _parse_plain(normal, text)
    if weekday is not None and WEEKDAYS_JA[result.weekday()] != weekday:
        actual = WEEKDAYS_JA[result.weekday()]
        raise ValidationError(
            f"{text!r}: {result} is a {actual}曜日, not {weekday}曜日", path="text"
        )
    return result


def _parse_plain(normal: str, original: str) -> dt.date:
    for pattern in (_ERA_DATE, _SHORT_ERA_DATE):
        match = pattern.fullmatch(normal)
        if match:
            year_text = match.group("year")
            year = 1 if year_text == "元" else int(year_text)
            return from_era(
                match.group("era"), year, int(match.group("month")), int(match.group("day"))
            )
    match = _WESTERN_DATE.fullmatch(normal)
    if match:
        try:
            return dt.date(
                int(match.group("year")), int(match.group("month")), int(match.group("day"))
            )
        except ValueError as error:
            raise ValidationError(f"{original!r} is not a date: {error}", path="text") from None
    raise ValidationError(
        f"{original!r} is not a date like 令和6年4月1日, R6.4.1 or 2024年4月1日", path="text"
    )


def format_japanese_date(day: dt.date, *, era: bool = True, weekday: bool = True) -> str:
    """``令和6年4月1日（月）`` (or ``2024年4月1日（月）`` with ``era=False``)."""
    _require_date(day, "day")
    if era:
        return to_era(day).format(weekday=weekday)
    text = f"{day.year}年{day.month}月{day.day}日"
    return text + (f"（{WEEKDAYS_JA[day.weekday()]}）" if weekday else "")


def _require_date(day: object, path: str) -> None:
    if not isinstance(day, dt.date):
        raise ValidationError(f"expected a date, got {type(day).__name__}", path=path)
