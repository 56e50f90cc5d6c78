"""``saihan events`` and ``saihan newsletter``: outreach events and their iCalendar feeds,
and the e-mail newsletter (docs/outreach.md).

``events list`` and ``events export`` read the events of ``--store URL`` (or, with
``--sample``, the bundled FY2024 sample events); ``events import`` stores events
(a JSON array, or ``--sample``).  ``newsletter compose`` writes an issue as an
``.eml`` file and stores it; ``newsletter send`` sends the latest unsent issue to
every subscriber who consented; ``newsletter unsubscribe`` ends a subscription at
once.  Subscribers are personal data: these commands act as ``--as PRINCIPAL``
and never print an address.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from saihan import storage
from saihan.cli.common import EXIT_OK, add_lang, add_printing_options, emit, say, write_json
from saihan.cli.principal import add_store, principal_of
from saihan.cli.table import render_table
from saihan.errors import ValidationError
from saihan.limits import read_file
from saihan.outreach.event import Event, EventAudience, organiser_calendar
from saihan.outreach.feeds import events_to_ical, select_events
from saihan.outreach.sample import load_events, sample_events
from saihan.storage import Store

__all__ = ["register"]

_KIND_JA = {
    "training": "研修",
    "liaison_meeting": "連絡会",
    "council": "協議会",
    "school_programme": "学校プログラム",
    "seminar": "講演会",
    "other": "その他",
}
_STATUS_JA = {
    "planned": "予定",
    "open": "受付中",
    "full": "満員",
    "held": "開催済",
    "cancelled": "中止",
}


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--organiser", metavar="ID", help="events of this organiser (agency id)")
    parser.add_argument(
        "--municipality",
        metavar="CODE",
        help="events for this municipality (code or name), and those for all of Tokyo",
    )
    parser.add_argument(
        "--audience", choices=[a.value for a in EventAudience], help="events for this audience"
    )
    parser.add_argument("--from", dest="first", metavar="DATE", help="events starting on or after")
    parser.add_argument("--to", dest="last", metavar="DATE", help="events starting on or before")
    parser.add_argument(
        "--sample", action="store_true", help="the bundled FY2024 sample events, not a store's"
    )


def register(commands: Any) -> None:
    """Add ``events`` to the top-level subparsers."""
    events = commands.add_parser("events", help="outreach events and their iCalendar feeds")
    events.set_defaults(group_parser=events)
    sub = events.add_subparsers(dest="action", metavar="ACTION")

    listing = sub.add_parser("list", help="list events, by start")
    add_store(listing)
    _add_filters(listing)
    add_printing_options(listing)
    listing.set_defaults(handler=_events_list)

    export = sub.add_parser(
        "export", help="write an iCalendar feed of events (per organiser, municipality, audience)"
    )
    add_store(export)
    _add_filters(export)
    export.add_argument(
        "--format",
        type=_feed_format,
        choices=("ical",),
        default="ical",
        help="feed format: ical (RFC 5545); HSDS 3.1 defines no event record",
    )
    export.add_argument("--output", "-o", type=Path, metavar="FILE")
    export.add_argument(
        "--domain",
        default="saihan.invalid",
        help="the publisher's domain, the right-hand side of every UID (default: saihan.invalid)",
    )
    export.add_argument("--name", help="the feed's name (X-WR-CALNAME)")
    add_lang(export)
    export.set_defaults(handler=_events_export)

    load = sub.add_parser("import", help="store events from a JSON array of events")
    add_store(load)
    load.add_argument("file", nargs="?", type=Path, help="a JSON array of event documents")
    load.add_argument(
        "--sample", action="store_true", help="store the bundled FY2024 sample events"
    )
    add_printing_options(load)
    load.set_defaults(handler=_events_import)


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Store]:
    with storage.open(args.store, create=False, principal=principal_of(args)) as store:
        yield store


def _day(text: str | None, path: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date like 2024-11-05", path=path) from None


def _chosen(args: argparse.Namespace) -> tuple[list[Event], dict[str, int], dict[str, dt.date]]:
    """The events the filters pick, their store versions, their registration deadlines."""
    first, last = _day(args.first, "from"), _day(args.last, "to")
    versions: dict[str, int] = {}
    if args.sample:
        from saihan.directory import sample_directory

        found = list(sample_events())
        services = list(sample_directory().services)
    else:
        with _opened(args) as store:
            stored = store.events.list()
            versions = {item.value.id: item.version for item in stored}
            found = [item.value for item in stored]
            organisers = {event.organiser for event in found}
            services = [s.value for o in sorted(organisers) for s in store.services.by_agency(o)]
    chosen = select_events(
        found, organiser=args.organiser, municipality=args.municipality, audience=args.audience
    )
    chosen = [
        event
        for event in chosen
        if (first is None or event.local_start.date() >= first)
        and (last is None or event.local_start.date() <= last)
    ]
    deadlines = {}
    for event in chosen:
        deadline = event.registration_deadline(organiser_calendar(services, event.organiser))
        if deadline is not None:
            deadlines[event.id] = deadline
    return chosen, versions, deadlines


def _event_json(event: Event, deadline: dt.date | None) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind.value,
        "title": {"ja": event.title.ja, "en": event.title.en},
        "organiser": event.organiser,
        "start": event.local_start.isoformat(),
        "end": event.local_end.isoformat(),
        "time_zone": event.time_zone,
        "audiences": sorted(a.value for a in event.audiences),
        "municipalities": sorted(event.municipalities),
        "place": None if event.place is None else event.place.ja,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "registration_deadline": None if deadline is None else deadline.isoformat(),
        "status": event.status.value,
        "sample": event.sample,
    }


def _events_list(args: argparse.Namespace, out: TextIO) -> int:
    chosen, _, deadlines = _chosen(args)
    if args.format == "json":
        listed = [_event_json(event, deadlines.get(event.id)) for event in chosen]
        write_json({"count": len(listed), "events": listed}, out)
        return EXIT_OK
    en = args.lang == "en"
    rows = [
        [
            event.id,
            event.local_start.strftime("%Y-%m-%d %H:%M"),
            event.kind.value if en else _KIND_JA[event.kind.value],
            event.title.get(args.lang)
            + (" (sample)" if en and event.sample else "")
            + ("（サンプル）" if not en and event.sample else ""),
            event.status.value if en else _STATUS_JA[event.status.value],
            deadlines[event.id].isoformat() if event.id in deadlines else "-",
        ]
        for event in chosen
    ]
    headers = (
        ["event", "starts", "kind", "title", "status", "register by"]
        if en
        else ["イベント", "開始", "種類", "名称", "状態", "申込締切"]
    )
    print(render_table(headers, rows, keep=(0, 1)), file=out)
    print(
        say(args, f"{len(rows)}件", f"{len(rows)} event{'s' if len(rows) != 1 else ''}"), file=out
    )
    return EXIT_OK


def _feed_format(value: str) -> str:
    """``--format``: refuses an HSDS format by name, saying why, rather than as any
    unknown choice (events have no HSDS form)."""
    if value.lower().startswith("hsds"):
        raise argparse.ArgumentTypeError(
            "HSDS 3.1 defines no event record (Open Referral's schema has none), so events "
            "have no HSDS export: they are exchanged as iCalendar feeds, --format ical"
        )
    return value


def _events_export(args: argparse.Namespace, out: TextIO) -> int:
    chosen, versions, deadlines = _chosen(args)
    payload = events_to_ical(
        chosen,
        name=args.name,
        domain=args.domain,
        lang=args.lang,
        deadlines=deadlines,
        versions=versions,
    )
    emit(payload, args.output, out, f"{len(chosen)} events")
    return EXIT_OK


def _events_import(args: argparse.Namespace, out: TextIO) -> int:
    if args.sample == (args.file is not None):
        raise ValidationError("give a FILE of events or --sample (one of them)", path="file")
    events: Sequence[Event] = (
        sample_events() if args.sample else load_events(read_file(args.file, what="events file"))
    )
    created = updated = 0
    with _opened(args) as store, store.transaction():
        for event in events:
            current = store.events.find(event.id)
            if current is None:
                store.events.put(event)
                created += 1
            elif current.value != event:
                store.events.put(event, expected_version=current.version)
                updated += 1
    if args.format == "json":
        write_json({"created": created, "updated": updated, "count": len(events)}, out)
        return EXIT_OK
    print(
        say(
            args,
            f"{len(events)}件のイベント: 追加 {created}件、更新 {updated}件",
            f"{len(events)} events: {created} added, {updated} updated",
        ),
        file=out,
    )
    return EXIT_OK
