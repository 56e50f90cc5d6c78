"""iCalendar (RFC 5545) out and in, with the ``icalendar`` package.

Export writes what a calendar app needs to show exactly the hours saihan
answers: a VTIMEZONE, one recurring VEVENT per weekly rule (RRULE with BYDAY
and UNTIL), an EXDATE for every occurrence a holiday or closure removes, extra
VEVENTs for what is left of a partly closed occurrence and for special
openings.  What iCalendar cannot say (that the body closes on national
holidays, the year-end break, the reception period, the reasons) travels in
``X-SAIHAN-*`` properties, so that import gives back the same calendar; a
file from another program (no ``X-SAIHAN-VERSION``) is read from its RRULEs,
EXDATEs and single events alone.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import icalendar

from saihan.errors import ErrorItem, ValidationError
from saihan.plugins import check_options
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.holiday_calendar import Holiday
from saihan.schedule.rules import (
    AnnualClosure,
    Closure,
    SpecialOpening,
    Weekday,
    WeeklyHours,
    interval_on,
)

__all__ = ["IcalCalendarExporter", "IcalCalendarImporter", "from_ical", "to_ical"]

FORMAT_VERSION = "1"
PRODID = "-//saihan//business calendar//JA"
_DERIVED = "DERIVED"  # VEVENTs that import ignores: they follow from the rest


def _text(value: str) -> icalendar.vText:
    return icalendar.vText(value)


def _json(model: Any) -> str:
    from saihan.serialization import unstructure

    return json.dumps(unstructure(model), ensure_ascii=False, sort_keys=True)


def export_window(
    calendar: BusinessCalendar, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The dates an export covers: the reception period, else a year from today."""
    first = start or calendar.valid_from or dt.date.today()
    last = end or calendar.valid_until or (first + dt.timedelta(days=365))
    if calendar.valid_from is not None:
        first = max(first, calendar.valid_from)
    if calendar.valid_until is not None:
        last = min(last, calendar.valid_until)
    if last < first:
        raise ValidationError(f"the export window {first} to {last} is empty", path="end")
    return first, last


def to_ical(
    calendar: BusinessCalendar,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    name: str | None = None,
    uid: str = "saihan-calendar",
) -> bytes:
    """The calendar as an iCalendar file (UTF-8 bytes) for the dates ``start`` to ``end``.

    Without dates: the reception period, or a year from today when there is none.
    """
    first, last = export_window(calendar, start, end)
    zone = calendar.zone
    out = icalendar.Calendar()
    out.add("prodid", PRODID)
    out.add("version", "2.0")
    out.add("calscale", "GREGORIAN")
    if name:
        out.add("x-wr-calname", name)
    out.add("x-wr-timezone", calendar.timezone)
    out.add("x-saihan-version", FORMAT_VERSION)
    out.add(
        "x-saihan-closed-on-national-holidays",
        "TRUE" if calendar.closed_on_national_holidays else "FALSE",
    )
    if calendar.valid_from is not None:
        out.add("x-saihan-valid-from", calendar.valid_from.isoformat())
    if calendar.valid_until is not None:
        out.add("x-saihan-valid-until", calendar.valid_until.isoformat())
    carried: list[tuple[str, tuple[Any, ...]]] = [
        ("x-saihan-annual-closure", calendar.annual_closures),
        ("x-saihan-own-holiday", calendar.own_holidays),
        ("x-saihan-closure", calendar.closures),
        ("x-saihan-special-opening", calendar.special_openings),
        ("x-saihan-note", (calendar.note,) if calendar.note is not None else ()),
    ]
    for property_name, parts in carried:
        for part in parts:
            out.add(property_name, _text(_json(part)), parameters={"VALUE": "TEXT"})

    # What the calendar really answers: every VEVENT is cut from this.  One day more
    # than the window so that a night line starting on the last day is whole.
    window_start = dt.datetime.combine(first, dt.time(), zone)
    window_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    truth = [
        (a.timestamp(), b.timestamp())
        for a, b in calendar.openings(window_start, window_end + dt.timedelta(days=1))
    ]
    shown: list[tuple[float, float]] = []

    for index, rule in enumerate(calendar.weekly):
        occurrences = [day for day in _days(first, last) if rule.applies_on(day)]
        event = icalendar.Event()
        event.add("uid", f"{uid}-rule-{index}")
        event.add("summary", _summary(calendar))
        event.add("x-saihan-rule", str(index))
        if rule.valid_from is not None:
            event.add("x-saihan-valid-from", rule.valid_from.isoformat())
        if rule.valid_until is not None:
            event.add("x-saihan-valid-until", rule.valid_until.isoformat())
        anchor = occurrences[0] if occurrences else _first_possible(rule, first)
        begin, finish = interval_on(anchor, rule.opens, rule.closes)
        event.add("dtstart", begin.replace(tzinfo=zone))
        event.add("dtend", finish.replace(tzinfo=zone))
        last_occurrence = occurrences[-1] if occurrences else anchor
        event.add(
            "rrule",
            {
                "freq": "monthly" if rule.weeks else "weekly",
                "byday": _byday(rule),
                "until": dt.datetime.combine(last_occurrence, rule.opens, zone).astimezone(dt.UTC),
            },
        )
        excluded = []
        if not occurrences:  # no day in the window: keep the rule, show nothing of it
            excluded.append(begin.replace(tzinfo=zone))
        for day in occurrences:
            a, b = interval_on(day, rule.opens, rule.closes)
            nominal = (a.replace(tzinfo=zone).timestamp(), b.replace(tzinfo=zone).timestamp())
            if _clip(truth, nominal) == [nominal]:
                shown.append(nominal)
            else:  # a holiday or a closure took all or part of it
                excluded.append(a.replace(tzinfo=zone))
        if excluded:
            event.add("exdate", excluded)
        out.add_component(event)

    # Special openings and what is left of partly closed days, as single events.
    limit = window_end.timestamp()
    extras = [piece for piece in _minus(truth, _union(shown)) if piece[0] < limit]
    for number, (opens_ts, closes_ts) in enumerate(extras):
        event = icalendar.Event()
        event.add("uid", f"{uid}-extra-{number}")
        event.add("summary", _summary(calendar))
        event.add("dtstart", dt.datetime.fromtimestamp(opens_ts, zone))
        event.add("dtend", dt.datetime.fromtimestamp(closes_ts, zone))
        event.add("x-saihan-kind", _DERIVED)
        out.add_component(event)
    out.add_missing_timezones()
    result: bytes = out.to_ical()
    return result


def _summary(calendar: BusinessCalendar) -> str:
    return calendar.note.ja if calendar.note is not None else "受付時間 / Open"


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _first_possible(rule: WeeklyHours, after: dt.date) -> dt.date:
    day = rule.valid_from or after
    for _ in range(400):
        if rule.applies_on(day):
            return day
        day += dt.timedelta(days=1)
    return rule.valid_from or after


def _byday(rule: WeeklyHours) -> list[str]:
    days = sorted(rule.days, key=lambda day: day.number)
    if not rule.weeks:
        return [day.value for day in days]
    return [f"{week}{day.value}" for week in sorted(rule.weeks) for day in days]


def _clip(truth: list[tuple[float, float]], span: tuple[float, float]) -> list[tuple[float, float]]:
    """The parts of ``span`` that ``truth`` (sorted, merged) covers."""
    start, end = span
    return [(max(a, start), min(b, end)) for a, b in truth if a < end and b > start]


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _minus(
    truth: list[tuple[float, float]], covered: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    left = []
    for start, end in truth:
        pieces = [(start, end)]
        for hole_start, hole_end in covered:
            pieces = [
                piece
                for a, b in pieces
                for piece in ((a, min(b, hole_start)), (max(a, hole_end), b))
                if piece[1] > piece[0]
            ]
        left.extend(pieces)
    return left


def from_ical(data: bytes | str) -> BusinessCalendar:
    """Read an iCalendar file into a :class:`BusinessCalendar`.

    A file saihan wrote comes back equal to the calendar it was made from.  For
    another program's file: each recurring event becomes weekly hours (RRULE
    FREQ=WEEKLY, or MONTHLY with BYDAY=2SA for the 2nd Saturday), each EXDATE a
    closure, each single event a special opening; national holidays are then
    only what the file excludes.  Anything else is refused with its place named.
    """
    try:
        parsed = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as error:
        raise ValidationError(f"not an iCalendar file: {error}") from None
    if not isinstance(parsed, icalendar.Calendar):
        raise ValidationError("not an iCalendar file: no VCALENDAR")
    ours = parsed.get("x-saihan-version") is not None
    zone_name = str(parsed.get("x-wr-timezone") or "") or _zone_of_events(parsed) or "Asia/Tokyo"
    problems: list[ErrorItem] = []
    rules: list[tuple[int, WeeklyHours]] = []
    closures: list[Closure] = []
    openings: list[SpecialOpening] = []
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {zone_name!r}", path="X-WR-TIMEZONE") from None

    for index, event in enumerate(parsed.walk("VEVENT")):
        path = f"VEVENT[{index}]"
        if ours and str(event.get("x-saihan-kind", "")) == _DERIVED:
            continue
        try:
            start, end = _event_span(event, zone)
        except ValidationError as error:
            problems.extend(ErrorItem(f"{path}.{item.path}", item.message) for item in error.errors)
            continue
        opens, closes = start.time(), end.time()
        recur = event.get("rrule")
        if recur is None:
            if ours:
                continue  # our special openings travel in X-SAIHAN-SPECIAL-OPENING
            openings.append(SpecialOpening(date=start.date(), opens=opens, closes=closes))
            continue
        try:
            days, weeks = _parse_byday(recur, start)
        except ValidationError as error:
            problems.extend(ErrorItem(f"{path}.RRULE", item.message) for item in error.errors)
            continue
        until = _until(recur, zone)
        if ours:
            valid_from = _date_prop(event, "x-saihan-valid-from")
            valid_until = _date_prop(event, "x-saihan-valid-until")
            order = int(str(event.get("x-saihan-rule", index)))
        else:
            valid_from, valid_until, order = start.date(), until, index
            for excluded in _exdates(event, zone):
                a, b = interval_on(excluded.date(), opens, closes)
                closures.append(
                    Closure(start=a.date(), end=b.date(), from_time=a.time(), until_time=b.time())
                )
        rules.append(
            (
                order,
                WeeklyHours(
                    days=days,
                    opens=opens,
                    closes=closes,
                    weeks=weeks,
                    valid_from=valid_from,
                    valid_until=valid_until,
                ),
            )
        )
    if problems:
        raise ValidationError(problems)
    weekly = [rule for _, rule in sorted(rules, key=lambda pair: pair[0])]
    if not ours:
        return BusinessCalendar(
            weekly=weekly,
            timezone=zone_name,
            closed_on_national_holidays=False,
            annual_closures=(),
            closures=closures,
            special_openings=openings,
        )
    return BusinessCalendar(
        weekly=weekly,
        timezone=zone_name,
        valid_from=_date_prop(parsed, "x-saihan-valid-from"),
        valid_until=_date_prop(parsed, "x-saihan-valid-until"),
        closed_on_national_holidays=str(parsed.get("x-saihan-closed-on-national-holidays", "TRUE"))
        == "TRUE",
        annual_closures=_models(parsed, "x-saihan-annual-closure", AnnualClosure),
        own_holidays=_models(parsed, "x-saihan-own-holiday", Holiday),
        closures=_models(parsed, "x-saihan-closure", Closure),
        special_openings=_models(parsed, "x-saihan-special-opening", SpecialOpening),
        note=_note(parsed),
    )


def _zone_of_events(parsed: icalendar.Calendar) -> str | None:
    for event in parsed.walk("VEVENT"):
        start = event.get("dtstart")
        tzinfo = getattr(getattr(start, "dt", None), "tzinfo", None)
        key = getattr(tzinfo, "key", None)
        if isinstance(key, str):
            return key
    return None


def _event_span(event: Any, zone: Any) -> tuple[dt.datetime, dt.datetime]:
    start_prop = event.get("dtstart")
    if start_prop is None:
        raise ValidationError("an event needs DTSTART", path="DTSTART")
    start = start_prop.dt
    if not isinstance(start, dt.datetime):
        raise ValidationError("all-day events are not opening hours", path="DTSTART")
    start = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
    if event.get("dtend") is not None:
        end = event.get("dtend").dt
        if not isinstance(end, dt.datetime):
            raise ValidationError("DTEND must be a date-time", path="DTEND")
        end = end.replace(tzinfo=zone) if end.tzinfo is None else end.astimezone(zone)
    elif event.get("duration") is not None:
        end = start + event.get("duration").dt
    else:
        raise ValidationError("an event needs DTEND or DURATION", path="DTEND")
    length = end - start
    if length <= dt.timedelta(0) or length > dt.timedelta(days=1):
        raise ValidationError(
            "an opening lasts more than nothing and at most 24 hours", path="DTEND"
        )
    return start, end


def _parse_byday(recur: Any, start: dt.datetime) -> tuple[frozenset[Weekday], frozenset[int]]:
    freq = [str(value).upper() for value in recur.get("FREQ", [])]
    if freq not in (["WEEKLY"], ["MONTHLY"], ["DAILY"]):
        raise ValidationError(f"FREQ={','.join(freq) or '?'} is not weekly hours")
    for unsupported in ("COUNT", "BYMONTH", "BYMONTHDAY", "BYSETPOS", "BYYEARDAY", "BYWEEKNO"):
        if recur.get(unsupported):
            raise ValidationError(f"{unsupported} is not supported in opening hours; use UNTIL")
    interval = recur.get("INTERVAL", [1])
    if int(interval[0]) != 1:
        raise ValidationError("INTERVAL other than 1 is not supported")
    entries = [str(value).upper() for value in recur.get("BYDAY", [])]
    if freq == ["DAILY"]:
        entries = entries or [day.value for day in Weekday]
    if not entries:
        entries = [Weekday.of(start.date()).value]
    days: set[Weekday] = set()
    weeks: set[int] = set()
    plain = 0
    for entry in entries:
        code = entry[-2:]
        prefix = entry[:-2]
        try:
            days.add(Weekday(code))
        except ValueError:
            raise ValidationError(f"{entry!r} is not a BYDAY value") from None
        if prefix:
            if freq != ["MONTHLY"]:
                raise ValidationError(f"{entry!r}: a week number needs FREQ=MONTHLY")
            weeks.add(int(prefix))
        else:
            plain += 1
    if freq == ["MONTHLY"]:
        if plain:
            raise ValidationError("FREQ=MONTHLY needs week numbers on every BYDAY (2SA, -1FR)")
        if len(entries) != len(days) * len(weeks):
            raise ValidationError("BYDAY must combine every day with every week number")
    return frozenset(days), frozenset(weeks)


def _until(recur: Any, zone: Any) -> dt.date | None:
    values = recur.get("UNTIL")
    if not values:
        return None
    until = values[0]
    if isinstance(until, dt.datetime):
        return (
            until.replace(tzinfo=zone) if until.tzinfo is None else until.astimezone(zone)
        ).date()
    if isinstance(until, dt.date):
        return until
    return None


def _exdates(event: Any, zone: Any) -> list[dt.datetime]:
    found: list[dt.datetime] = []
    values = event.get("exdate")
    if values is None:
        return found
    for group in values if isinstance(values, list) else [values]:
        for item in group.dts:
            moment = item.dt
            if isinstance(moment, dt.datetime):
                found.append(
                    moment.replace(tzinfo=zone)
                    if moment.tzinfo is None
                    else moment.astimezone(zone)
                )
            else:
                found.append(dt.datetime.combine(moment, dt.time(), zone))
    return found


def _date_prop(component: Any, name: str) -> dt.date | None:
    value = component.get(name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{value!r} is not a date", path=name.upper()) from None


def _models(parsed: Any, name: str, cls: type[Any]) -> list[Any]:
    from saihan.serialization import structure

    values = parsed.get(name)
    if values is None:
        return []
    found = []
    for index, value in enumerate(values if isinstance(values, list) else [values]):
        try:
            found.append(structure(json.loads(str(value)), cls))
        except json.JSONDecodeError:
            raise ValidationError(
                f"{name.upper()} is not JSON", path=f"{name.upper()}[{index}]"
            ) from None
        except ValidationError as error:
            raise error.under(f"{name.upper()}[{index}]") from None
    return found


def _note(parsed: Any) -> Any:
    from saihan.directory.text import LocalizedText

    notes = _models(parsed, "x-saihan-note", LocalizedText)
    return notes[0] if notes else None


class IcalCalendarExporter:
    """The ``ical`` exporter: a business calendar as an iCalendar file."""

    name = "ical"
    media_type = "text/calendar"
    suffix = ".ics"
    exports = BusinessCalendar

    def export(self, calendar: BusinessCalendar, **options: Any) -> bytes:
        check_options("ical", options, {"start": dt.date, "end": dt.date, "name": str, "uid": str})
        if not isinstance(calendar, BusinessCalendar):
            raise ValidationError(
                f"the ical exporter writes a BusinessCalendar, not {type(calendar).__name__}"
            )
        return to_ical(calendar, **options)


class IcalCalendarImporter:
    """The ``ical`` importer: an iCalendar file as a business calendar."""

    name = "ical"
    media_type = "text/calendar"
    suffix = ".ics"
    imports = BusinessCalendar

    def load(self, data: bytes, **options: Any) -> BusinessCalendar:
        check_options("ical", options, {})
        return from_ical(data)
