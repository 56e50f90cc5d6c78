"""Opening days and hours: a business calendar as the facility list writes it.

The list has one line of hours per facility: 利用可能曜日 (days, ``月,火,水``, with
``祝`` when open on national holidays), 開始時間 and 終了時間 (``09:00``).  A calendar
whose weekly rules share one opening time and one closing time, with no week-of-month
or dated rules, in Asia/Tokyo, fits those columns exactly ("simple"); any other is
written out in words in 利用可能日時特記事項 instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import attrs

from saihan.schedule import BusinessCalendar, Weekday, render_japanese_hours

__all__ = [
    "DAY_NAMES",
    "HOLIDAY",
    "SimpleHours",
    "carried_part",
    "format_closing",
    "format_days",
    "format_time",
    "hours_note",
    "parse_days",
    "parse_time",
    "simple_hours",
    "split_note",
]

DAY_NAMES: dict[Weekday, str] = {
    Weekday.MO: "月",
    Weekday.TU: "火",
    Weekday.WE: "水",
    Weekday.TH: "木",
    Weekday.FR: "金",
    Weekday.SA: "土",
    Weekday.SU: "日",
}
HOLIDAY = "祝"
_BY_NAME = {name: day for day, name in DAY_NAMES.items()}
_ORDER = tuple(Weekday)
_SEPARATORS = re.compile(r"[\s,、・/;；]+")
_RANGE = re.compile(r"^(.)[~〜～\-ー－](.)$")
_TIME_RE = re.compile(r"^([01]?[0-9]|2[0-4]):([0-5][0-9])(?::([0-5][0-9]))?$")
TOKYO = "Asia/Tokyo"

SimpleHours = tuple[frozenset[Weekday], bool, dt.time, dt.time]
"""Days, open on national holidays, opening time, closing time."""


def simple_hours(calendar: BusinessCalendar) -> SimpleHours | None:
    """The calendar's days and hours when they fit the list's columns exactly, else None."""
    rules = calendar.weekly
    if not rules or calendar.timezone != TOKYO:
        return None
    times = {(rule.opens, rule.closes) for rule in rules}
    if len(times) != 1 or any(rule.weeks or rule.valid_from or rule.valid_until for rule in rules):
        return None
    ((opens, closes),) = times
    days = frozenset(day for rule in rules for day in rule.days)
    return days, not calendar.closed_on_national_holidays, opens, closes


def format_days(days: frozenset[Weekday], holidays_open: bool) -> str:
    names = [DAY_NAMES[day] for day in _ORDER if day in days]
    return ",".join([*names, HOLIDAY] if holidays_open else names)


def parse_days(text: str) -> tuple[frozenset[Weekday], bool]:
    """``月,火,祝``, ``月～金``, ``月曜日・水曜日`` as days and whether holidays are open.

    Raises ValueError naming what is not a day.
    """
    days: set[Weekday] = set()
    holidays_open = False
    for raw in _SEPARATORS.split(unicodedata.normalize("NFKC", text).strip()):
        token = raw.removesuffix("曜日").removesuffix("曜")
        if not token:
            continue
        if token in (HOLIDAY, "祝日", "祝祭日"):
            holidays_open = True
            continue
        span = _RANGE.match(token)
        if span and span.group(1) in _BY_NAME and span.group(2) in _BY_NAME:
            first, last = _BY_NAME[span.group(1)].number, _BY_NAME[span.group(2)].number
            indices = (
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            )
            days.update(_ORDER[i] for i in indices)
        elif token in _BY_NAME:
            days.add(_BY_NAME[token])
        else:
            raise ValueError(
                f"{raw!r} is not a day of the week; write days like 月,火,水 (祝 for holidays)"
            )
    if not days:
        raise ValueError(f"{text!r} names no day of the week; write days like 月,火,水")
    return frozenset(days), holidays_open


def format_closing(value: dt.time) -> str:
    """A closing time: midnight is ``24:00`` (a 24-hour service is 00:00-24:00, not 00:00-00:00)."""
    return "24:00" if value == dt.time(0) else format_time(value)


def format_time(value: dt.time) -> str:
    return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")


def parse_time(text: str) -> dt.time:
    """``9:00``, ``09:00``, ``17:15:30``; ``24:00`` is midnight at the end of the day."""
    found = _TIME_RE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        raise ValueError(f"{text!r} is not a time like 09:00")
    hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
    if hour == 24:
        if minute or second:
            raise ValueError(f"{text!r} is not a time like 09:00 (24:00 is the latest)")
        hour = 0
    return dt.time(hour, minute, second)


def carried_part(calendar: BusinessCalendar) -> BusinessCalendar | None:
    """What the words of 利用可能日時特記事項 carry of a calendar: its weekly rules without
    dates, its national holidays and annual closures, in Asia/Tokyo (None elsewhere).
    Reception periods, dated rules, own holidays, closures and special openings are not."""
    if calendar.timezone != TOKYO:
        return None
    return attrs.evolve(
        calendar,
        weekly=tuple(
            rule
            for rule in calendar.weekly
            if rule.valid_from is None and rule.valid_until is None
            and not rule.opens.second and not rule.closes.second
        ),
        valid_from=None,
        valid_until=None,
        own_holidays=(),
        closures=(),
        special_openings=(),
        note=None,
    )  # fmt: skip


def hours_note(calendar: BusinessCalendar) -> str:
    """利用可能日時特記事項: the calendar in the standard's words on the first line
    (:func:`saihan.schedule.render_japanese_hours`), the calendar's note after a line break."""
    part = carried_part(calendar)
    words = render_japanese_hours(part) if part is not None else ""
    note = calendar.note.ja if calendar.note is not None else ""
    return f"{words}\n{note}" if note else words


def split_note(text: str) -> tuple[str, str | None]:
    """利用可能日時特記事項 as (the hours in words, the note): the first line, then the rest."""
    words, newline, note = text.partition("\n")
    return words.strip(), (note if newline and note.strip() else None)
