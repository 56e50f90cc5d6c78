"""``saihan calendar ...``: when a service is open, a month grid, iCalendar export."""

from __future__ import annotations

import argparse
import calendar as month_calendar
import datetime as dt
from pathlib import Path
from typing import Any, TextIO

from saihan import plugins
from saihan.cli.common import (
    EXIT_OK,
    add_input,
    add_printing_options,
    emit,
    input_directory,
    say,
    write_json,
)
from saihan.directory import Service, ServiceStatus
from saihan.errors import ValidationError
from saihan.schedule import BusinessCalendar, japanese_holidays
from saihan.schedule.japan import WEEKDAYS_JA

__all__ = ["register"]

_WEEKDAYS_EN = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def register(commands: Any) -> None:
    """Add the ``calendar`` command group to the top-level subparsers."""
    group = commands.add_parser("calendar", help="opening hours of a service; holidays")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")

    next_open = sub.add_parser("next-open", help="when a service next opens")
    _add_service(next_open)
    next_open.add_argument(
        "--at", help="ISO date-time (default: now; no offset = the service's zone)"
    )
    add_printing_options(next_open)
    next_open.set_defaults(handler=_next_open)

    show = sub.add_parser("show", help="a month grid of a service's open days and hours")
    _add_service(show)
    show.add_argument("--month", required=True, help="YYYY-MM, e.g. 2024-12")
    add_printing_options(show)
    show.set_defaults(handler=_show)

    export = sub.add_parser("export", help="write a service's calendar through an exporter")
    _add_service(export)
    export.add_argument("--format", default="ical", help="exporter name (default: ical)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.add_argument("--from", dest="start", help="first date (default: reception period)")
    export.add_argument("--to", dest="end", help="last date (default: reception period)")
    export.add_argument(
        "--uid-domain", help="ical: the domain in every UID (default: saihan.invalid)"
    )
    export.set_defaults(handler=_export)

    holidays = sub.add_parser("holidays", help="Japan's national holidays of a year")
    holidays.add_argument("year", type=int, help="the year, e.g. 2025")
    add_printing_options(holidays)
    holidays.set_defaults(handler=_holidays)


def _add_service(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", metavar="SERVICE_ID", help="the service's id")
    add_input(parser)


def _service(args: argparse.Namespace) -> Service:
    return input_directory(args).service(args.service)


def _hours(
    args: argparse.Namespace, service: Service | None = None
) -> tuple[str, BusinessCalendar]:
    service = service or _service(args)
    if service.hours is None:
        raise ValidationError(f"service {service.id!r} has no opening hours", path="hours")
    return service.name.ja, service.hours


_STATUS_WORDS = {
    ServiceStatus.INACTIVE: ("休止中", "inactive"),
    ServiceStatus.DEFUNCT: ("廃止", "defunct"),
    ServiceStatus.TEMPORARILY_CLOSED: ("一時休止中", "temporarily closed"),
}


def _closed_status(service: Service, lang: str) -> str | None:
    """The words for a service that is not active (closed whatever its hours), else None."""
    if service.active:
        return None
    ja, en = _STATUS_WORDS[service.status]
    return en if lang == "en" else ja


def _moment(text: str | None, calendar: BusinessCalendar) -> dt.datetime:
    if text is None:
        return dt.datetime.now(calendar.zone)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{text!r} is not an ISO date-time like 2024-12-28T17:00", path="at"
        ) from None
    return moment.replace(tzinfo=calendar.zone) if moment.tzinfo is None else moment


def _date(text: str | None, path: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date like 2024-04-01", path=path) from None


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="minutes")


def _next_open_json(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    document: dict[str, Any] = {"service": service.id, "name": service.name.ja}
    if not service.active:
        document |= {"active": False, "status": service.status.value, "open": False}
        write_json({**document, "at": None, "next_open": None, "closes": None}, out)
        return EXIT_OK
    _, calendar = _hours(args, service)
    at = _moment(args.at, calendar)
    status = calendar.status(at)
    upcoming = calendar.next_open(at)
    closes = None if upcoming is None else calendar.next_close(upcoming)
    document |= {"active": True, "status": service.status.value, "open": status.open}
    document |= {"at": _when(at), "reason": status.reason}
    document["message"] = {"ja": status.message.ja, "en": status.message.en}
    write_json({**document, "next_open": _when(upcoming), "closes": _when(closes)}, out)
    return EXIT_OK


def _next_open(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    if args.format == "json":
        return _next_open_json(service, args, out)
    closed = _closed_status(service, args.lang)
    if closed is not None:
        print(f"{service.name.get(args.lang)}: {closed}", file=out)
        print("no further openings" if args.lang == "en" else "今後の受付はありません", file=out)
        return EXIT_OK
    _, calendar = _hours(args, service)
    at = _moment(args.at, calendar)
    status = calendar.status(at)
    print(f"{service.name.get(args.lang)}: {status.message.get(args.lang)}", file=out)
    upcoming = calendar.next_open(at)
    if upcoming is None:
        print("no further openings" if args.lang == "en" else "今後の受付はありません", file=out)
    else:
        closes = calendar.next_close(upcoming)
        until = (
            f"-{closes:%H:%M}" if closes is not None and closes.date() == upcoming.date() else ""
        )
        day = f"{upcoming:%Y-%m-%d}({WEEKDAYS_JA[upcoming.weekday()]})"
        label = "next open" if args.lang == "en" else "次の受付"
        print(f"{label}: {day} {upcoming:%H:%M}{until}", file=out)
    return EXIT_OK


def _show(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    name, calendar = _hours(args, service)
    closed = _closed_status(service, "ja")
    try:
        first = dt.date.fromisoformat(args.month + "-01")
    except ValueError:
        raise ValidationError(f"{args.month!r} is not a month like 2024-12", path="month") from None
    days_in_month = month_calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days_in_month)
    zone = calendar.zone
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    by_day: dict[dt.date, list[str]] = {}
    for opens, closes in [] if closed is not None else calendar.openings(start, end):
        # An opening over midnight (or round the clock) is shown on each day it covers.
        while opens < closes:
            midnight = dt.datetime.combine(opens.date() + dt.timedelta(days=1), dt.time(), zone)
            until = min(closes, midnight)
            end_text = "24:00" if until == midnight else f"{until:%H:%M}"
            by_day.setdefault(opens.date(), []).append(f"{opens:%H:%M}-{end_text}")
            opens = until
    holidays = japanese_holidays()
    national = [
        day
        for day in (first + dt.timedelta(days=n) for n in range(days_in_month))
        if holidays.supports(day.year) and holidays.is_holiday(day)
    ]
    if args.format == "json":
        document: dict[str, Any] = {"service": service.id, "name": name, "month": args.month}
        document |= {"active": closed is None, "status": service.status.value}
        document["days"] = [
            {"date": day.isoformat(), "hours": spans} for day, spans in sorted(by_day.items())
        ]
        write_json({**document, "holidays": [day.isoformat() for day in national]}, out)
        return EXIT_OK
    english = args.lang == "en"
    title = f"{first:%B %Y}" if english else f"{first.year}年{first.month}月"
    print(f"{title}  {service.name.get(args.lang)}", file=out)
    if closed is not None:
        status_en = _closed_status(service, "en")
        print(f"  {status_en}" if english else f"  {closed} / {status_en}", file=out)
    labels = _WEEKDAYS_EN if english else WEEKDAYS_JA
    print(" ".join(f" {label} " for label in labels), file=out)
    week = ["    "] * first.weekday()
    for number in range(1, days_in_month + 1):
        day = first.replace(day=number)
        mark = (
            "*"
            if day in by_day
            else ("H" if holidays.supports(day.year) and holidays.is_holiday(day) else " ")
        )
        week.append(f"{number:>3}{mark}")
        if len(week) == 7:
            print(" ".join(week).rstrip(), file=out)
            week = []
    if week:
        print(" ".join(week).rstrip(), file=out)
    print(
        say(args, "* 受付日 open   H 祝日 national holiday", "* open   H national holiday"),
        file=out,
    )
    for day, spans in sorted(by_day.items()):
        print(f"  {day.month}/{day.day}({labels[day.weekday()]}) {', '.join(spans)}", file=out)
    if not by_day:
        print(
            say(
                args,
                "  この月の受付はありません / no openings this month",
                "  no openings this month",
            ),
            file=out,
        )
    return EXIT_OK


def _export(args: argparse.Namespace, out: TextIO) -> int:
    _, calendar = _hours(args)
    exporter = plugins.exporter(args.format, for_type=BusinessCalendar)
    options: dict[str, Any] = {}
    if args.format == "ical":  # UIDs unique across services' feeds (RFC 5545 3.8.4.7)
        options["uid"] = f"service-{args.service}"
        if args.uid_domain is not None:
            options["domain"] = args.uid_domain
    start, end = _date(args.start, "from"), _date(args.end, "to")
    if start is not None:
        options["start"] = start
    if end is not None:
        options["end"] = end
    emit(exporter.export(calendar, **options), args.output, out, f"the calendar of {args.service}")
    return EXIT_OK


def _holidays(args: argparse.Namespace, out: TextIO) -> int:
    calendar = japanese_holidays()
    if args.format == "json":
        listed = [
            {"date": day.isoformat(), "name": {"ja": name.ja, "en": name.en}}
            for day, name in calendar.in_year(args.year).items()
        ]
        write_json({"year": args.year, "count": len(listed), "holidays": listed}, out)
        return EXIT_OK
    for day, name in calendar.in_year(args.year).items():
        print(f"{day.isoformat()} ({WEEKDAYS_JA[day.weekday()]}) {name.get(args.lang)}", file=out)
    return EXIT_OK
