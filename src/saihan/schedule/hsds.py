"""Business calendars as Open Referral HSDS 3.1 ``schedule`` rows, and back.

HSDS describes regular hours as iCalendar-like rows (``freq``, ``byday``,
``opens_at``, ``closes_at``, ``valid_from``, ``valid_to``, ...).  Each weekly
rule becomes one row and each special opening a one-day row.  HSDS has no
field for national holidays, annual closures or ad-hoc closures: they are
written, in Japanese and English, into the rows' ``notes`` (for people), and
are not read back.  See ``docs/schedule.md`` for the field-by-field mapping.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from saihan.errors import ErrorItem, ValidationError
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.rules import (
    YEAR_END_CLOSURE,
    SpecialOpening,
    Weekday,
    WeeklyHours,
    week_of_month,
)
from saihan.text import LocalizedText

__all__ = [
    "SAIHAN_NAMESPACE",
    "from_hsds_schedules",
    "is_japanese",
    "localized",
    "read_hsds_schedules",
    "to_hsds_schedules",
]

SAIHAN_NAMESPACE = uuid.UUID("6f1d9c1e-4f39-5a51-9d0e-5a1d2b7f0c13")
"""UUID namespace for the stable HSDS ids saihan derives from its own ids."""

_TIME_WITH_OFFSET = re.compile(
    r"^(?P<h>[01][0-9]|2[0-3]):(?P<m>[0-5][0-9])(?::(?P<s>[0-5][0-9]))?(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _offset_hours(calendar: BusinessCalendar) -> float:
    """The zone's UTC offset in hours on the first day the calendar is valid (HSDS ``timezone``)."""
    day = calendar.valid_from or dt.date.today()
    offset = dt.datetime.combine(day, dt.time(12), calendar.zone).utcoffset() or dt.timedelta(0)
    return offset.total_seconds() / 3600


def _hhmm(value: dt.time, offset_hours: float) -> str:
    minutes = round(offset_hours * 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    seconds = f":{value.second:02d}" if value.second else ""
    return f"{value.hour:02d}:{value.minute:02d}{seconds}{sign}{hours:02d}:{rest:02d}"


def _notes(calendar: BusinessCalendar) -> str:
    """What HSDS cannot carry, in words (Japanese / English)."""
    parts_ja, parts_en = [], []
    if calendar.closed_on_national_holidays:
        parts_ja.append("祝日は休み")
        parts_en.append("closed on national holidays")
    for annual in calendar.annual_closures:
        span = f"{annual.start.replace('-', '/')}〜{annual.end.replace('-', '/')}"
        parts_ja.append(f"{annual.label.ja}（{span}）は休み")
        parts_en.append(
            f"closed {annual.label.en or annual.label.ja} ({annual.start} to {annual.end})"
        )
    for holiday in calendar.own_holidays:
        parts_ja.append(f"{holiday.date.isoformat()} {holiday.name.ja}は休み")
        parts_en.append(f"closed {holiday.date.isoformat()} ({holiday.name.en or holiday.name.ja})")
    for closure in calendar.closures:
        span = closure.start.isoformat() + (
            f"〜{closure.last_day.isoformat()}" if closure.last_day != closure.start else ""
        )
        parts_ja.append(f"{span} 臨時休業")
        parts_en.append(f"temporarily closed {span.replace('〜', ' to ')}")
    if not parts_ja:
        return ""
    return "。".join(parts_ja) + "。 / " + "; ".join(parts_en) + "."


def _later(*days: dt.date | None) -> dt.date | None:
    known = [day for day in days if day is not None]
    return max(known) if known else None


def _earlier(*days: dt.date | None) -> dt.date | None:
    known = [day for day in days if day is not None]
    return min(known) if known else None


def to_hsds_schedules(
    calendar: BusinessCalendar,
    *,
    key: str,
    service_id: str | None = None,
    location_id: str | None = None,
) -> list[dict[str, Any]]:
    """HSDS 3.1 ``schedule`` objects for ``calendar``.

    ``key`` is a stable name for the calendar (a service id); the rows' UUIDs
    are derived from it, so the same calendar always gets the same ids.
    ``service_id`` and ``location_id`` are the HSDS ids the rows belong to.
    """
    offset = _offset_hours(calendar)
    notes = _notes(calendar)
    kept = _note_text(calendar.note)
    rows: list[dict[str, Any]] = []

    def row(number: str, fields: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": str(uuid.uuid5(SAIHAN_NAMESPACE, f"{key}/schedule/{number}"))
        }
        if service_id is not None:
            record["service_id"] = service_id
        if location_id is not None:
            record["location_id"] = location_id
        record.update({name: value for name, value in fields.items() if value is not None})
        record["timezone"] = offset
        if notes:
            record["notes"] = notes
        return record

    for index, rule in enumerate(calendar.weekly):
        days = sorted(rule.days, key=lambda day: day.number)
        if rule.weeks:
            byday = ",".join(f"{week}{day.value}" for week in sorted(rule.weeks) for day in days)
        else:
            byday = ",".join(day.value for day in days)
        valid_from = _later(rule.valid_from, calendar.valid_from)
        valid_to = _earlier(rule.valid_until, calendar.valid_until)
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            continue  # the rule never applies inside the reception period
        rows.append(
            row(
                f"rule-{index}",
                {
                    "freq": "MONTHLY" if rule.weeks else "WEEKLY",
                    "byday": byday,
                    "opens_at": _hhmm(rule.opens, offset),
                    "closes_at": _hhmm(rule.closes, offset),
                    "valid_from": valid_from.isoformat() if valid_from else None,
                    "valid_to": valid_to.isoformat() if valid_to else None,
                    "description": kept or _describe(rule),
                },
            )
        )
    for index, opening in enumerate(calendar.special_openings):
        rows.append(
            row(
                f"special-{index}",
                {
                    "freq": "WEEKLY",
                    "byday": Weekday.of(opening.date).value,
                    "opens_at": _hhmm(opening.opens, offset),
                    "closes_at": _hhmm(opening.closes, offset),
                    "valid_from": opening.date.isoformat(),
                    "valid_to": opening.date.isoformat(),
                    "dtstart": opening.date.isoformat(),
                    "until": opening.date.isoformat(),
                    "description": _note_text(opening.note) or _SAIHAN_SPECIAL,
                },
            )
        )
    return rows


def _note_text(note: LocalizedText | None) -> str | None:
    """A note as one text: Japanese, and English after ` / ` when it differs."""
    if note is None:
        return None
    if note.en and note.en != note.ja:
        return f"{note.ja} / {note.en}"
    return note.ja


def _describe(rule: WeeklyHours) -> str:
    names = "月火水木金土日"
    days = "・".join(names[day.number] for day in sorted(rule.days, key=lambda d: d.number))
    weeks = ""
    if rule.weeks:
        weeks = "第" + "・".join("最終" if w == -1 else str(w) for w in sorted(rule.weeks)) + " "
    return f"{weeks}{days}曜日 {rule.opens:%H:%M}〜{rule.closes:%H:%M}"


class _NotExpressible(Exception):
    """A row that is valid HSDS but that no RRULE, or no saihan calendar, can state."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f\u3000-\u303f]")
_ORDINALS = frozenset({-1, 1, 2, 3, 4, 5})
_SAIHAN_SPECIAL = "臨時開設 / special opening"


def is_japanese(text: str) -> bool:
    """True when ``text`` holds any kana or kanji (or Japanese punctuation).

    The test HSDS import uses to put a text in the ``ja`` or the ``en`` slot:
    a text with no Japanese script at all is not Japanese.
    """
    return _JAPANESE.search(text) is not None


def localized(text: str) -> LocalizedText:
    """``text`` in the slot its script says: Japanese, or (no kana or kanji) English.

    A saihan text always has a display form in ``ja``; an English-only text is
    therefore ``LocalizedText(ja=text, en=text)``: ``en`` says which language it is
    in, and exporters write it once (``ja == en``).
    """
    stripped = text.strip()
    if is_japanese(stripped):
        return LocalizedText(ja=stripped)
    return LocalizedText(ja=stripped, en=stripped)


def from_hsds_schedules(
    rows: Sequence[Mapping[str, Any]], *, timezone: str | None = None
) -> BusinessCalendar:
    """A business calendar from HSDS ``schedule`` rows (one service's), strictly.

    Like :func:`read_hsds_schedules`, but a row that cannot be expressed (COUNT,
    BYWEEKNO, BYMONTHDAY, BYYEARDAY, an INTERVAL other than 1, COUNT with UNTIL,
    a DTSTART off the row's days) raises :class:`~saihan.errors.ValidationError`
    naming the row and field, with every bad row, instead of being left out.
    Rows that never open (their days never fall inside their dates) are no error.
    """
    calendar, unexpressed = _read(rows, timezone)
    if unexpressed:
        raise ValidationError(list(unexpressed))
    return calendar or BusinessCalendar(
        timezone=timezone or "UTC", closed_on_national_holidays=False, annual_closures=()
    )


def read_hsds_schedules(
    rows: Sequence[Mapping[str, Any]], *, timezone: str | None = None
) -> tuple[BusinessCalendar | None, tuple[ErrorItem, ...]]:
    """A business calendar from HSDS ``schedule`` rows, and the rows left out.

    Times: a time's own suffix (``Z`` or ``+09:00``) says which instant it is; a
    time without one is in the row's ``timezone`` (a UTC offset in hours), and
    with neither it is UTC, as HSDS says.  The calendar's zone is ``timezone``
    (an IANA name) if given, else the first row's ``timezone``, else the first
    time's offset, else UTC; every time is converted to it (``00:00Z`` in a
    ``timezone: 9`` row is 09:00), moving the days when the conversion crosses
    midnight.  Monthly ``byday`` lists are read as RFC 5545 reads them:
    ``1MO,3WE`` is the first Monday and the third Wednesday (not the first and
    third of each).  Each row's dates are the intersection of ``valid_from`` ..
    ``valid_to`` and ``dtstart`` .. ``until``.  A row no RRULE or saihan
    calendar can state is left out and listed (``[0].count: ...``), never turned
    into an opening; the result is ``None`` when no row is left.  Descriptions
    other than saihan's own become the calendar's ``note`` (in ``ja`` or ``en``
    by :func:`is_japanese`); a one-day row's description is its opening's note.
    Holidays: closed on national holidays and over the year-end break when the
    rows' notes or descriptions say so (「祝日…休」, 「年末年始」, saihan's English).
    Malformed rows raise :class:`~saihan.errors.ValidationError`, all at once.
    """
    return _read(rows, timezone)


def _read(
    rows: Sequence[Mapping[str, Any]], timezone: str | None
) -> tuple[BusinessCalendar | None, tuple[ErrorItem, ...]]:
    problems: list[ErrorItem] = []
    unexpressed: list[ErrorItem] = []
    weekly: list[WeeklyHours] = []
    openings: list[SpecialOpening] = []
    descriptions: list[str] = []
    words = " ".join(
        str(row.get(field) or "")
        for row in rows
        if isinstance(row, Mapping)
        for field in ("notes", "description")
    )
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"{timezone!r} is not an IANA time zone like Asia/Tokyo", path="timezone"
            ) from None
    zone_name = timezone
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            problems.append(ErrorItem(f"[{index}]", "a schedule row must be an object"))
            continue
        try:
            fields = _fields(row)
        except ValidationError as error:
            problems.extend(item.under(index) for item in error.errors)
            continue
        if zone_name is None:
            try:
                zone_name = _zone_for_offset(fields.zone_hint)
            except ValidationError as error:
                problems.extend(item.under(index) for item in error.errors)
                continue
        try:
            items = _items(fields, ZoneInfo(zone_name))
        except _NotExpressible as why:
            unexpressed.append(ErrorItem(f"[{index}].{why.field}", why.message))
            continue
        description = str(row.get("description") or "").strip()
        for item in items:
            if isinstance(item, SpecialOpening):
                if description and description != _SAIHAN_SPECIAL:
                    item = attrs.evolve(item, note=localized(description))
                openings.append(item)
            else:
                weekly.append(item)
        if (
            description
            and not any(isinstance(item, SpecialOpening) for item in items)
            and all(
                not isinstance(item, WeeklyHours) or _describe(item) != description
                for item in items
            )
            and description not in descriptions
        ):
            descriptions.append(description)
    if problems:
        raise ValidationError(problems)
    if not weekly and not openings:
        return None, tuple(unexpressed)
    closes_on_holidays = (
        "祝日" in words and "休" in words
    ) or "closed on national holidays" in words
    year_end = "年末年始" in words
    return (
        BusinessCalendar(
            weekly=weekly,
            timezone=zone_name or "UTC",
            closed_on_national_holidays=closes_on_holidays,
            annual_closures=(YEAR_END_CLOSURE,) if year_end else (),
            special_openings=openings,
            note=localized("\n".join(descriptions)) if descriptions else None,
        ),
        tuple(unexpressed),
    )


def _zone_for_offset(hours: float | None) -> str:
    if hours is None or hours == 0:
        return "UTC"  # HSDS: "Dates are assumed to be UTC otherwise."
    if hours == 9:
        return "Asia/Tokyo"
    if hours == int(hours) and -12 <= hours <= 14:
        # Etc/GMT zones have the sign inverted by POSIX convention.
        return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(int(hours))}"
    raise ValidationError(
        f"no fixed IANA zone for UTC offset {hours}; pass timezone=", path="timezone"
    )


@attrs.frozen
class _Fields:
    opens: dt.time
    opens_offset: float | None  # the time's own suffix
    closes: dt.time
    closes_offset: float | None
    row_offset: float | None  # the row's ``timezone``
    first: dt.date | None
    last: dt.date | None
    dtstart: dt.date | None
    freq: str
    byday: tuple[tuple[int | None, Weekday], ...]
    row: Mapping[str, Any]

    @property
    def zone_hint(self) -> float | None:
        if self.row_offset is not None:
            return self.row_offset
        return self.opens_offset if self.opens_offset is not None else self.closes_offset


def _parse_time(value: Any, path: str) -> tuple[dt.time, float | None]:
    if not isinstance(value, str):
        raise ValidationError(f"expected a time like 09:00, got {value!r}", path=path)
    match = _TIME_WITH_OFFSET.fullmatch(value.strip())
    if match is None:
        raise ValidationError(f"{value!r} is not a time like 09:00 or 09:00+09:00", path=path)
    moment = dt.time(int(match["h"]), int(match["m"]), int(match["s"] or 0))
    zone = match["tz"]
    if zone is None:
        return moment, None
    if zone == "Z":
        return moment, 0.0
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    return moment, sign * (int(digits[:2]) + int(digits[2:]) / 60)


def _parse_date(value: Any, path: str) -> dt.date | None:
    if value in (None, "", "null"):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{value!r} is not a date like 2024-04-01", path=path) from None


def _fields(row: Mapping[str, Any]) -> _Fields:
    problems: list[ErrorItem] = []

    def attempt(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except ValidationError as error:
            problems.extend(error.errors)
            return None

    opens = attempt(_parse_time, row.get("opens_at"), "opens_at")
    closes = attempt(_parse_time, row.get("closes_at"), "closes_at")
    valid_from = attempt(_parse_date, row.get("valid_from"), "valid_from")
    valid_to = attempt(_parse_date, row.get("valid_to"), "valid_to")
    dtstart = attempt(_parse_date, row.get("dtstart"), "dtstart")
    until = attempt(_parse_date, row.get("until"), "until")
    freq = str(row.get("freq") or "WEEKLY").upper()
    if freq not in ("WEEKLY", "MONTHLY"):
        problems.append(ErrorItem("freq", f"{freq!r} is not WEEKLY or MONTHLY"))
    offset = row.get("timezone")
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int | float)):
        try:
            offset = float(str(offset))
        except ValueError:
            problems.append(ErrorItem("timezone", f"{offset!r} is not a UTC offset in hours"))
            offset = None
    if offset is not None and not -14 <= float(offset) <= 14:
        problems.append(ErrorItem("timezone", f"{offset!r} is not a UTC offset (-14 to 14 hours)"))
        offset = None
    byday = str(row.get("byday") or "")
    entries: list[tuple[int | None, Weekday]] = []
    for entry in filter(None, (part.strip().upper() for part in byday.split(","))):
        try:
            day = Weekday(entry[-2:])
        except ValueError:
            problems.append(ErrorItem("byday", f"{entry!r} is not a day like MO or 2SA"))
            continue
        week: int | None = None
        if entry[:-2]:
            try:
                week = int(entry[:-2])
            except ValueError:
                problems.append(ErrorItem("byday", f"{entry!r} has no week number before the day"))
                continue
        entries.append((week, day))
    if not byday.strip():
        problems.append(ErrorItem("byday", "name the days (MO,TU ...)"))
    if problems:
        raise ValidationError(problems)
    return _Fields(
        opens=opens[0],
        opens_offset=opens[1],
        closes=closes[0],
        closes_offset=closes[1],
        row_offset=None if offset is None else float(offset),
        first=_later(valid_from, dtstart),
        last=_earlier(valid_to, until),
        dtstart=dtstart,
        freq=freq,
        byday=tuple(entries),
        row=row,
    )


def _local(
    moment: dt.time, offset: float | None, fields: _Fields, zone: ZoneInfo
) -> tuple[dt.time, int]:
    """``moment`` (at ``offset``, else the row's, else UTC) in ``zone``; and the day shift."""
    day = fields.first or dt.date.today()
    source = offset if offset is not None else fields.row_offset
    if source is None:
        source = 0.0
    used = {
        (dt.datetime.combine(d, dt.time(12), zone).utcoffset() or dt.timedelta()).total_seconds()
        / 3600
        for d in (day, dt.date(day.year, 1, 1), dt.date(day.year, 7, 1))
    }
    if source in used:
        return moment, 0  # already wall-clock time in the zone
    target = (
        dt.datetime.combine(day, dt.time(12), zone).utcoffset() or dt.timedelta()
    ).total_seconds() / 3600
    minutes = moment.hour * 60 + moment.minute + round((target - source) * 60)
    shift, rest = divmod(minutes, 24 * 60)
    return dt.time(rest // 60, rest % 60, moment.second), shift


def _items(fields: _Fields, zone: ZoneInfo) -> list[WeeklyHours | SpecialOpening]:
    row = fields.row
    if row.get("count") not in (None, "", "null"):
        if row.get("until") not in (None, "", "null"):
            raise _NotExpressible(
                "count", "COUNT and UNTIL together: RFC 5545 (3.3.10) forbids it; left out"
            )
        raise _NotExpressible(
            "count", "COUNT (a number of occurrences) has no place in a saihan calendar; left out"
        )
    for name in ("byweekno", "byyearday", "bymonthday"):
        if row.get(name) not in (None, "", "null"):
            extra = (
                " (RFC 5545 allows it only with YEARLY)"
                if name == "byweekno" or (name == "byyearday" and fields.freq == "MONTHLY")
                else ""
            )
            raise _NotExpressible(
                name, f"{name.upper()} cannot be stated in a saihan calendar{extra}; left out"
            )
    if row.get("interval") not in (None, 1, 1.0, "1", "", "null"):
        raise _NotExpressible("interval", "only an INTERVAL of 1 can be stated; left out")
    if fields.freq == "WEEKLY" and any(week is not None for week, _ in fields.byday):
        raise _NotExpressible(
            "byday", "a numbered day (2MO) in a WEEKLY row: RFC 5545 allows it only with MONTHLY"
        )
    if any(week is not None and week not in _ORDINALS for week, _ in fields.byday):
        raise _NotExpressible("byday", "only the 1st to 5th and the last (-1) weekday of a month")
    opens, shift = _local(fields.opens, fields.opens_offset, fields, zone)
    closes, _ = _local(fields.closes, fields.closes_offset, fields, zone)
    if opens == closes and fields.opens != fields.closes:
        raise _NotExpressible("closes_at", "opens and closes at the same moment")
    byday = fields.byday
    if shift:
        if any(week is not None for week, _ in byday):
            raise _NotExpressible(
                "opens_at",
                "in the calendar's zone the opening moves to another day, which a numbered "
                "day (2SA) cannot follow",
            )
        byday = tuple((None, _shifted(day, shift)) for _, day in byday)
    first, last = fields.first, fields.last
    if fields.dtstart is not None and not any(
        _matches(fields.dtstart, week, day) for week, day in fields.byday
    ):
        raise _NotExpressible(
            "dtstart",
            f"dtstart {fields.dtstart} is not one of the row's days ({row.get('byday')}): "
            "RFC 5545 makes it an occurrence anyway, HSDS calls it the first event; left out",
        )
    if first is not None and last is not None and last < first:
        return []  # never applies
    one_day = fields.dtstart is not None and fields.dtstart == _parse_date(row.get("until"), "")
    if one_day and first == last and first is not None:
        # saihan writes a special opening so; a day the row's days miss is no opening
        if any(_matches(first, week, day) for week, day in byday):
            return [SpecialOpening(date=first, opens=opens, closes=closes)]
        return []
    # RFC 5545: each BYDAY entry stands alone (1MO,3WE is not 3MO or 1WE). Days with the
    # same weeks share one rule.
    weeks_of: dict[Weekday, set[int]] = {}
    every: set[Weekday] = set()
    for week, day in byday:
        if week is None:
            every.add(day)
        else:
            weeks_of.setdefault(day, set()).add(week)
    groups: dict[frozenset[int], set[Weekday]] = {}
    for day in every:
        groups.setdefault(frozenset(), set()).add(day)
    for day, weeks in weeks_of.items():
        if day not in every:
            groups.setdefault(frozenset(weeks), set()).add(day)
    return [
        WeeklyHours(
            days=frozenset(days),
            opens=opens,
            closes=closes,
            weeks=weeks,
            valid_from=first,
            valid_until=last,
        )
        for weeks, days in sorted(
            groups.items(), key=lambda item: (sorted(item[0]), sorted(d.number for d in item[1]))
        )
    ]


def _shifted(day: Weekday, shift: int) -> Weekday:
    order = sorted(Weekday, key=lambda weekday: weekday.number)
    return order[(day.number + shift) % 7]


def _matches(day: dt.date, week: int | None, weekday: Weekday) -> bool:
    if Weekday.of(day) != weekday:
        return False
    if week is None:
        return True
    nth, last = week_of_month(day)
    return nth == week or (week == -1 and last)
