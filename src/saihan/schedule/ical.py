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
import hashlib
import json
import re
from typing import Any

import icalendar
from icalendar.prop import vBroken

from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, check_text, parse_json
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
DEFAULT_UID_DOMAIN = "saihan.invalid"
"""The default domain of exported UIDs (``.invalid`` is reserved: it is nobody's)."""
_UID_PART = re.compile(r"[A-Za-z0-9._:-]{1,200}")
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
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
    uid: str | None = None,
    domain: str = DEFAULT_UID_DOMAIN,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The calendar as an iCalendar file (UTF-8 bytes) for the dates ``start`` to ``end``.

    Without dates: the reception period, or a year from today when there is none.
    Every VEVENT has a ``UID`` of the form ``<uid>-rule-<n>@<domain>`` (RFC 5545
    3.8.4.7: unique across feeds): ``uid`` names the calendar (``saihan calendar
    export`` passes ``service-<service id>``; by default it is a digest of the
    calendar), ``domain`` the publisher (default ``saihan.invalid``, a name that is
    nobody's; pass your own).  Every VEVENT has the ``DTSTAMP`` RFC 5545 3.6.1
    requires: ``stamp`` (an aware datetime, written in UTC), default now.
    """
    problems = []
    if uid is None:
        uid = "calendar-" + hashlib.sha256(_json(calendar).encode()).hexdigest()[:16]
    elif not _UID_PART.fullmatch(uid):
        problems.append(ErrorItem("uid", f"{uid!r}: use letters, digits and . _ - : only"))
    if not _DOMAIN.fullmatch(domain):
        problems.append(ErrorItem("domain", f"{domain!r} is not a domain name like example.jp"))
    if stamp is None:
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    elif stamp.tzinfo is None or stamp.utcoffset() is None:
        problems.append(ErrorItem("stamp", "give an aware datetime (with a time zone)"))
    if problems:
        raise ValidationError(problems)
    stamp = stamp.astimezone(dt.UTC)
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
        event.add("uid", f"{uid}-rule-{index}@{domain}")
        event.add("dtstamp", stamp)
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
        event.add("uid", f"{uid}-extra-{number}@{domain}")
        event.add("dtstamp", stamp)
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


def from_ical(data: bytes | str, *, limits: Limits = DEFAULT_LIMITS) -> BusinessCalendar:
    """Read an iCalendar file into a :class:`BusinessCalendar`.

    A file saihan wrote comes back equal to the calendar it was made from.  For
    another program's file: each recurring event becomes weekly hours (RRULE
    FREQ=WEEKLY, or MONTHLY with BYDAY=2SA for the 2nd Saturday), each EXDATE a
    closure, each single event a special opening; national holidays are then
    only what the file excludes.  Anything else is refused with its place named.

    The file is read within ``limits`` (see :mod:`saihan.limits`): its size, its
    content lines and EXDATE dates (``max_calendar_entries``), the length of one
    unfolded line (``max_string_length``).  Recurrences are never expanded: an
    RRULE becomes a weekly rule, and COUNT, FREQ other than WEEKLY, MONTHLY or
    DAILY and BY* parts other than BYDAY are refused.  Every failure is a
    :class:`ValidationError` naming its place (``VEVENT[3].DTSTART``).
    """
    text = check_text(data, limits=limits, what="iCalendar file")
    _check_lines(text, limits)
    try:
        parsed = icalendar.Calendar.from_ical(text)
    except Exception as error:  # a third-party parser on hostile input: refuse, never escape
        raise ValidationError(f"not an iCalendar file: {_describe(error)}") from None
    if not isinstance(parsed, icalendar.Calendar):
        raise ValidationError("not an iCalendar file: no VCALENDAR")
    try:
        return _read_calendar(parsed, limits)
    except ValidationError:
        raise
    except Exception as error:
        # What the checks below do not foresee in a broken file is still the file's fault.
        raise ValidationError(f"not a readable iCalendar file: {_describe(error)}") from None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def _check_lines(text: str, limits: Limits) -> None:
    """Count content lines and measure unfolded ones before icalendar parses anything
    (it costs some 50 microseconds a line, and keeps every line in memory)."""
    count = 0
    length = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] in (" ", "\t"):  # a folded continuation of the line before
            length += len(line) - 1
        else:
            count += 1
            length = len(line)
            if count > limits.max_calendar_entries:
                raise ValidationError(
                    f"the iCalendar file has more than {limits.max_calendar_entries:,} content "
                    "lines; the limit is max_calendar_entries",
                    path=f"line {number}",
                )
        if length > limits.max_string_length:
            raise ValidationError(
                f"a content line is longer than {limits.max_string_length:,} characters",
                path=f"line {number}",
            )


def _single(component: Any, name: str) -> Any:
    """The one value of property ``name`` (None when absent); a property given twice,
    or one icalendar could not parse, is refused under its name."""
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        raise ValidationError(
            f"{name.upper()} is given {len(value)} times; it is allowed once", path=name.upper()
        )
    _check_broken(value, name)
    return value


def _check_broken(value: Any, name: str) -> None:
    if isinstance(value, vBroken):
        shown = str(value)[:60]
        raise ValidationError(
            f"{name.upper()} cannot be read from {shown!r}: {str(value.parse_error)[:200]}"
            if shown
            else f"{name.upper()} is empty",
            path=name.upper(),
        )


def _single_text(component: Any, name: str, default: str = "") -> str:
    value = _single(component, name)
    return default if value is None else str(value)


def _read_calendar(parsed: icalendar.Calendar, limits: Limits) -> BusinessCalendar:
    ours = _single(parsed, "x-saihan-version") is not None
    zone_name = _single_text(parsed, "x-wr-timezone") or _zone_of_events(parsed) or "Asia/Tokyo"
    problems: list[ErrorItem] = []
    rules: list[tuple[int, WeeklyHours]] = []
    closures: list[Closure] = []
    openings: list[SpecialOpening] = []
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(f"unknown time zone {zone_name!r}", path="X-WR-TIMEZONE") from None

    excluded_dates = 0
    for index, event in enumerate(parsed.walk("VEVENT")):
        path = f"VEVENT[{index}]"
        try:
            read = _read_event(event, zone, ours, index)
        except ValidationError as error:
            problems.extend(
                ErrorItem(_join(path, item.path), item.message) for item in error.errors
            )
            continue
        except Exception as error:
            problems.append(ErrorItem(path, f"cannot be read: {_describe(error)}"))
            continue
        if read is None:
            continue
        if isinstance(read, SpecialOpening):
            openings.append(read)
            continue
        order, rule, excluded = read
        excluded_dates += len(excluded)
        if excluded_dates > limits.max_calendar_entries:
            raise ValidationError(
                f"the EXDATEs list more than {limits.max_calendar_entries:,} dates; "
                "the limit is max_calendar_entries",
                path=f"{path}.EXDATE",
            )
        closures.extend(excluded)
        rules.append((order, rule))
        if len(problems) >= limits.max_errors:
            break
    if problems:
        raise ValidationError(problems[: limits.max_errors])
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
        closed_on_national_holidays=_single_text(
            parsed, "x-saihan-closed-on-national-holidays", "TRUE"
        )
        == "TRUE",
        annual_closures=_models(parsed, "x-saihan-annual-closure", AnnualClosure, limits),
        own_holidays=_models(parsed, "x-saihan-own-holiday", Holiday, limits),
        closures=_models(parsed, "x-saihan-closure", Closure, limits),
        special_openings=_models(parsed, "x-saihan-special-opening", SpecialOpening, limits),
        note=_note(parsed, limits),
    )


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if field else path


def _read_event(
    event: Any, zone: Any, ours: bool, index: int
) -> SpecialOpening | tuple[int, WeeklyHours, list[Closure]] | None:
    """One VEVENT: a special opening, a weekly rule (with its order and its EXDATEs as
    closures), or None for what import skips."""
    if ours and _single_text(event, "x-saihan-kind") == _DERIVED:
        return None
    start, end = _event_span(event, zone)
    opens, closes = start.time(), end.time()
    recur = _single(event, "rrule")
    if recur is None:
        if ours:
            return None  # our special openings travel in X-SAIHAN-SPECIAL-OPENING
        return SpecialOpening(date=start.date(), opens=opens, closes=closes)
    try:
        days, weeks = _parse_byday(recur, start)
        until = _until(recur, zone)
    except ValidationError as error:
        raise error.under("RRULE") from None
    closures: list[Closure] = []
    if ours:
        valid_from = _date_prop(event, "x-saihan-valid-from")
        valid_until = _date_prop(event, "x-saihan-valid-until")
        order_text = _single_text(event, "x-saihan-rule", str(index))
        if not (order_text.isdigit() and len(order_text) <= 6):
            raise ValidationError(f"{order_text[:40]!r} is not a rule number", path="X-SAIHAN-RULE")
        order = int(order_text)
    else:
        valid_from, valid_until, order = start.date(), until, index
        for excluded in _exdates(event, zone):
            a, b = interval_on(excluded.date(), opens, closes)
            closures.append(
                Closure(start=a.date(), end=b.date(), from_time=a.time(), until_time=b.time())
            )
    rule = WeeklyHours(
        days=days,
        opens=opens,
        closes=closes,
        weeks=weeks,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return order, rule, closures


def _zone_of_events(parsed: icalendar.Calendar) -> str | None:
    for event in parsed.walk("VEVENT"):
        start = event.get("dtstart")
        if isinstance(start, list | vBroken):
            continue  # refused with its path when the event is read
        tzinfo = getattr(getattr(start, "dt", None), "tzinfo", None)
        key = getattr(tzinfo, "key", None)
        if isinstance(key, str):
            return key
    return None


def _moment(prop: Any, name: str) -> dt.date | dt.datetime:
    try:
        moment = prop.dt
    except Exception as error:
        raise ValidationError(f"{name} cannot be read: {_describe(error)}", path=name) from None
    if not isinstance(moment, dt.date):
        raise ValidationError(f"{name} is not a date or a date-time", path=name)
    return moment


def _event_span(event: Any, zone: Any) -> tuple[dt.datetime, dt.datetime]:
    start_prop = _single(event, "dtstart")
    if start_prop is None:
        raise ValidationError("an event needs DTSTART", path="DTSTART")
    start = _moment(start_prop, "DTSTART")
    if not isinstance(start, dt.datetime):
        raise ValidationError("all-day events are not opening hours", path="DTSTART")
    start = _in_zone(start, zone, "DTSTART")
    end_prop = _single(event, "dtend")
    duration_prop = _single(event, "duration")
    if end_prop is not None:
        end = _moment(end_prop, "DTEND")
        if not isinstance(end, dt.datetime):
            raise ValidationError("DTEND must be a date-time", path="DTEND")
        end = _in_zone(end, zone, "DTEND")
    elif duration_prop is not None:
        try:
            duration = duration_prop.dt
            if not isinstance(duration, dt.timedelta):
                raise ValidationError("DURATION is not a duration", path="DURATION")
            end = start + duration
        except (OverflowError, AttributeError, TypeError) as error:
            raise ValidationError(
                f"DURATION cannot be read: {_describe(error)}", path="DURATION"
            ) from None
    else:
        raise ValidationError("an event needs DTEND or DURATION", path="DTEND")
    length = end - start
    if length <= dt.timedelta(0) or length > dt.timedelta(days=1):
        raise ValidationError(
            "an opening lasts more than nothing and at most 24 hours", path="DTEND"
        )
    return start, end


def _in_zone(moment: dt.datetime, zone: Any, name: str) -> dt.datetime:
    try:
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    except (OverflowError, ValueError) as error:  # year 1 or 9999 moved across a day
        raise ValidationError(f"{name} is out of range: {error}", path=name) from None


_BYDAY = re.compile(r"^([+-]?[0-9]{1,2})?([A-Z]{2})$")


def _parse_byday(recur: Any, start: dt.datetime) -> tuple[frozenset[Weekday], frozenset[int]]:
    freq = [str(value).upper() for value in recur.get("FREQ", [])]
    if freq not in (["WEEKLY"], ["MONTHLY"], ["DAILY"]):
        raise ValidationError(f"FREQ={','.join(freq)[:40] or '?'} is not weekly hours")
    for unsupported in ("COUNT", "BYMONTH", "BYMONTHDAY", "BYSETPOS", "BYYEARDAY", "BYWEEKNO"):
        if recur.get(unsupported):
            raise ValidationError(f"{unsupported} is not supported in opening hours; use UNTIL")
    for unsupported in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        if recur.get(unsupported):
            raise ValidationError(f"{unsupported} is not supported in opening hours")
    interval = recur.get("INTERVAL", [1])
    if [str(value) for value in interval] != ["1"]:
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
        found = _BYDAY.fullmatch(entry)
        try:
            if found is None:
                raise ValueError(entry)
            days.add(Weekday(found.group(2)))
        except ValueError:
            raise ValidationError(f"{entry[:40]!r} is not a BYDAY value") from None
        prefix = found.group(1)
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
        return _in_zone(until, zone, "UNTIL").date()
    if isinstance(until, dt.date):
        return until
    return None


def _exdates(event: Any, zone: Any) -> list[dt.datetime]:
    found: list[dt.datetime] = []
    values = event.get("exdate")
    if values is None:
        return found
    for group in values if isinstance(values, list) else [values]:
        _check_broken(group, "exdate")
        for item in group.dts:
            moment = _moment(item, "EXDATE")
            if isinstance(moment, dt.datetime):
                found.append(_in_zone(moment, zone, "EXDATE"))
            else:
                found.append(dt.datetime.combine(moment, dt.time(), zone))
    return found


def _date_prop(component: Any, name: str) -> dt.date | None:
    value = _single(component, name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{str(value)[:40]!r} is not a date", path=name.upper()) from None


def _models(parsed: Any, name: str, cls: type[Any], limits: Limits) -> list[Any]:
    from saihan.serialization import structure

    values = parsed.get(name)
    if values is None:
        return []
    found = []
    for index, value in enumerate(values if isinstance(values, list) else [values]):
        where = f"{name.upper()}[{index}]"
        try:
            _check_broken(value, name)
            found.append(structure(parse_json(str(value), limits=limits), cls))
        except ValidationError as error:
            raise error.under(where) from None
    return found


def _note(parsed: Any, limits: Limits) -> Any:
    from saihan.text import LocalizedText

    notes = _models(parsed, "x-saihan-note", LocalizedText, limits)
    if len(notes) > 1:
        raise ValidationError("X-SAIHAN-NOTE is given more than once", path="X-SAIHAN-NOTE")
    return notes[0] if notes else None


class IcalCalendarExporter:
    """The ``ical`` exporter: a business calendar as an iCalendar file."""

    name = "ical"
    media_type = "text/calendar"
    suffix = ".ics"
    exports = BusinessCalendar

    def export(self, calendar: BusinessCalendar, **options: Any) -> bytes:
        check_options(
            "ical",
            options,
            {
                "start": dt.date,
                "end": dt.date,
                "name": str,
                "uid": str,
                "domain": str,
                "stamp": dt.datetime,
            },
        )
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
        """Read ``data``; the option ``limits`` (a :class:`~saihan.limits.Limits`) replaces
        the default bounds."""
        check_options("ical", options, {"limits": Limits})
        return from_ical(data, limits=options.get("limits", DEFAULT_LIMITS))
