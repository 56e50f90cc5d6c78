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

from saihan.errors import ErrorItem, ValidationError
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.rules import SpecialOpening, Weekday, WeeklyHours

__all__ = ["SAIHAN_NAMESPACE", "from_hsds_schedules", "to_hsds_schedules"]

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
    if calendar.note is not None:
        parts_ja.append(calendar.note.ja)
        if calendar.note.en:
            parts_en.append(calendar.note.en)
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
                    "description": _describe(rule),
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
                    "description": (
                        opening.note.ja if opening.note else "臨時開設 / special opening"
                    ),
                },
            )
        )
    return rows


def _describe(rule: WeeklyHours) -> str:
    names = "月火水木金土日"
    days = "・".join(names[day.number] for day in sorted(rule.days, key=lambda d: d.number))
    weeks = ""
    if rule.weeks:
        weeks = "第" + "・".join("最終" if w == -1 else str(w) for w in sorted(rule.weeks)) + " "
    return f"{weeks}{days}曜日 {rule.opens:%H:%M}〜{rule.closes:%H:%M}"


def from_hsds_schedules(
    rows: Sequence[Mapping[str, Any]], *, timezone: str | None = None
) -> BusinessCalendar:
    """A business calendar from HSDS ``schedule`` rows (one service's).

    Weekly and monthly rows become weekly hours; a row valid for a single day
    becomes a special opening.  The time zone comes from ``timezone`` (an IANA
    name) or else from the rows' UTC offset (+9 is Asia/Tokyo).  Holidays and
    closures are not in HSDS: the result is closed on national holidays and
    over the year-end break only if the rows' notes say so in saihan's words.
    Every bad row and field is reported at once.
    """
    problems: list[ErrorItem] = []
    weekly: list[WeeklyHours] = []
    openings: list[SpecialOpening] = []
    offsets: set[float] = set()
    notes = " ".join(str(row.get("notes") or "") for row in rows)
    for index, row in enumerate(rows):
        path = f"[{index}]"
        if not isinstance(row, Mapping):
            problems.append(ErrorItem(path, "a schedule row must be an object"))
            continue
        try:
            parsed = _parse_row(row)
        except ValidationError as error:
            problems.extend(item.under(index) for item in error.errors)
            continue
        offset, item = parsed
        if offset is not None:
            offsets.add(offset)
        if isinstance(item, SpecialOpening):
            openings.append(item)
        else:
            weekly.append(item)
    if len(offsets) > 1:
        problems.append(
            ErrorItem("timezone", f"the rows disagree on the UTC offset: {sorted(offsets)}")
        )
    if problems:
        raise ValidationError(problems)
    zone = timezone or _zone_for_offset(offsets.pop() if offsets else 9.0)
    closes_on_holidays = "祝日は休み" in notes or "closed on national holidays" in notes
    year_end = "年末年始" in notes
    from saihan.schedule.rules import YEAR_END_CLOSURE

    return BusinessCalendar(
        weekly=weekly,
        timezone=zone,
        closed_on_national_holidays=closes_on_holidays,
        annual_closures=(YEAR_END_CLOSURE,) if year_end else (),
        special_openings=openings,
    )


def _zone_for_offset(hours: float) -> str:
    if hours == 9:
        return "Asia/Tokyo"
    if hours == int(hours):
        # Etc/GMT zones have the sign inverted by POSIX convention.
        return "UTC" if hours == 0 else f"Etc/GMT{'-' if hours > 0 else '+'}{abs(int(hours))}"
    raise ValidationError(
        f"no fixed IANA zone for UTC offset {hours}; pass timezone=", path="timezone"
    )


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


def _parse_row(row: Mapping[str, Any]) -> tuple[float | None, WeeklyHours | SpecialOpening]:
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
    if valid_from is None:
        valid_from = attempt(_parse_date, row.get("dtstart"), "dtstart")
    if valid_to is None:
        valid_to = attempt(_parse_date, row.get("until"), "until")
    freq = str(row.get("freq") or "WEEKLY").upper()
    if freq not in ("WEEKLY", "MONTHLY"):
        problems.append(ErrorItem("freq", f"{freq!r} is not WEEKLY or MONTHLY"))
    if row.get("interval") not in (None, 1, "1"):
        problems.append(ErrorItem("interval", "only an interval of 1 can be read"))
    offset = None
    if isinstance(row.get("timezone"), int | float) and not isinstance(row.get("timezone"), bool):
        offset = float(row["timezone"])
    for parsed in (opens, closes):
        if parsed is not None and parsed[1] is not None:
            offset = parsed[1] if offset is None else offset
    byday = str(row.get("byday") or "")
    days: set[Weekday] = set()
    weeks: set[int] = set()
    for entry in filter(None, (part.strip().upper() for part in byday.split(","))):
        try:
            days.add(Weekday(entry[-2:]))
        except ValueError:
            problems.append(ErrorItem("byday", f"{entry!r} is not a day like MO or 2SA"))
            continue
        if entry[:-2]:
            try:
                weeks.add(int(entry[:-2]))
            except ValueError:
                problems.append(ErrorItem("byday", f"{entry!r} has no week number before the day"))
    if not byday.strip():
        problems.append(ErrorItem("byday", "name the days (MO,TU ...)"))
    if problems:
        raise ValidationError(problems)
    assert opens is not None  # problems is empty, so both times parsed
    assert closes is not None
    one_day = _parse_date(row.get("dtstart"), "dtstart")
    if one_day is not None and one_day == _parse_date(row.get("until"), "until") and not weeks:
        return offset, SpecialOpening(date=one_day, opens=opens[0], closes=closes[0])
    return offset, WeeklyHours(
        days=frozenset(days),
        opens=opens[0],
        closes=closes[0],
        weeks=frozenset(weeks),
        valid_from=valid_from,
        valid_until=valid_to,
    )
