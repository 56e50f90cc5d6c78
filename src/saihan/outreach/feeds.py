"""iCalendar (RFC 5545) feeds of events: per organiser, per municipality, per audience.

One VEVENT per event, with the event's start and end in its own zone
(``DTSTART;TZID=Asia/Tokyo``, with the VTIMEZONE it needs, covering the
events' years), so a calendar app shows exactly the stored times; an event with
a time in the second run of the hour repeated when daylight-saving time ends
is written in UTC, as a ``TZID`` time there would name the first run.
``UID`` is ``<event id>@<domain>`` (stable: an app updates the entry when the
event changes), ``SEQUENCE`` follows the store version when given, ``STATUS`` is ``TENTATIVE`` for a
planned event, ``CANCELLED`` for a cancelled one and ``CONFIRMED`` otherwise,
``CATEGORIES`` the kind and the audiences, ``LOCATION`` the place, ``URL``
the online address, ``DESCRIPTION`` the description, the registration
deadline when known and the materials.  Sample events say so in their
summary (``【サンプル】``) and in ``X-SAIHAN-SAMPLE``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping

import icalendar

from saihan.directory.municipalities import municipality_code
from saihan.errors import ErrorItem, ValidationError
from saihan.outreach.event import Event, EventAudience, EventStatus

__all__ = ["FEED_PRODID", "events_to_ical", "select_events"]

FEED_PRODID = "-//saihan//outreach events//JA"
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_STATUS = {
    EventStatus.PLANNED: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
}
_KIND_JA = {
    "training": "研修",
    "liaison_meeting": "連絡会",
    "council": "協議会",
    "school_programme": "学校プログラム",
    "seminar": "講演会・セミナー",
    "other": "その他",
}


def select_events(
    events: Iterable[Event],
    *,
    organiser: str | None = None,
    municipality: str | None = None,
    audience: EventAudience | str | None = None,
) -> list[Event]:
    """The events of one feed, by start then id: those of ``organiser`` (an agency
    id), for ``municipality`` (a code or a name; events for all of Tokyo count) and
    for ``audience``; a filter left out takes every event."""
    code = None if municipality is None else municipality_code(municipality)
    wanted = None
    if audience is not None:
        try:
            wanted = EventAudience(audience)
        except ValueError:
            allowed = ", ".join(EventAudience)
            raise ValidationError(
                [ErrorItem("audience", f"{audience!r} is not one of {allowed}")]
            ) from None
    chosen = [
        event
        for event in events
        if (organiser is None or event.organiser == organiser)
        and (code is None or not event.municipalities or code in event.municipalities)
        and (wanted is None or wanted in event.audiences)
    ]
    return sorted(chosen, key=lambda event: (event.start, event.id))


def events_to_ical(
    events: Iterable[Event],
    *,
    name: str | None = None,
    domain: str = "saihan.invalid",
    stamp: dt.datetime | None = None,
    lang: str = "ja",
    deadlines: Mapping[str, dt.date] | None = None,
    versions: Mapping[str, int] | None = None,
) -> bytes:
    """The events as one iCalendar feed (UTF-8 bytes).

    ``name`` becomes ``X-WR-CALNAME``; ``domain`` the right-hand side of every
    UID (default ``saihan.invalid``, nobody's; give your own); ``stamp`` the
    ``DTSTAMP`` (aware; default now); ``lang`` the language of the texts
    (``ja``, or ``en`` where the event has English); ``deadlines`` each event's
    registration deadline by id, ``versions`` its store version (``SEQUENCE``).
    """
    problems = []
    if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain):
        problems.append(ErrorItem("domain", f"{domain!r} is not a domain name like example.jp"))
    if stamp is None:
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    elif not isinstance(stamp, dt.datetime) or stamp.utcoffset() is None:
        problems.append(ErrorItem("stamp", "give an aware datetime (with a time zone)"))
    if lang not in ("ja", "en"):
        problems.append(ErrorItem("lang", f"{lang!r}: expected ja or en"))
    chosen = list(events)
    for index, event in enumerate(chosen):
        if not isinstance(event, Event):
            problems.append(ErrorItem(f"events[{index}]", "expected an Event"))
    if problems:
        raise ValidationError(problems)
    deadlines = deadlines or {}
    versions = versions or {}
    out = icalendar.Calendar()
    out.add("prodid", FEED_PRODID)
    out.add("version", "2.0")
    out.add("calscale", "GREGORIAN")
    out.add("method", "PUBLISH")
    if name:
        out.add("x-wr-calname", name)
    for event in sorted(chosen, key=lambda e: (e.start, e.id)):
        out.add_component(_vevent(event, domain, stamp, lang, deadlines, versions))
    if chosen:
        # The VTIMEZONEs cover the events' own years: icalendar's default window
        # (1970-2038) loses the daylight-saving ends of some zones after 2025 (the
        # feed of a New York event in 2028 came back an hour off).
        first = min(event.start for event in chosen).astimezone(dt.UTC).date()
        last = max(event.end for event in chosen).astimezone(dt.UTC).date()
        out.add_missing_timezones(
            first_date=first - dt.timedelta(days=2), last_date=last + dt.timedelta(days=2)
        )
    result: bytes = out.to_ical()
    return result


def _ambiguous(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """True when ``moment``'s wall time in ``zone`` happens twice (the hour repeated
    when daylight-saving time ends) and it is the second."""
    local = moment.astimezone(zone)
    return local.replace(fold=0).astimezone(dt.UTC) != moment.astimezone(dt.UTC)


def _vevent(
    event: Event,
    domain: str,
    stamp: dt.datetime,
    lang: str,
    deadlines: Mapping[str, dt.date],
    versions: Mapping[str, int],
) -> icalendar.Event:
    zone = zoneinfo.ZoneInfo(event.time_zone)
    item = icalendar.Event()
    item.add("uid", f"{event.id}@{domain}")
    item.add("dtstamp", stamp.astimezone(dt.UTC))
    if _ambiguous(event.start, zone) or _ambiguous(event.end, zone):
        # Both in UTC: a TZID time in the repeated hour would name the first of the
        # two (RFC 5545 3.3.5), and readers add an end in another form to a start
        # in wall-clock time.
        item.add("dtstart", event.start.astimezone(dt.UTC))
        item.add("dtend", event.end.astimezone(dt.UTC))
    else:
        item.add("dtstart", event.start.astimezone(zone))
        item.add("dtend", event.end.astimezone(zone))
    title = event.title.get(lang)
    item.add("summary", f"【サンプル】{title}" if event.sample else title)
    item.add("status", _STATUS.get(event.status, "CONFIRMED"))
    if event.id in versions:
        item.add("sequence", versions[event.id])
    kind = _KIND_JA[event.kind.value] if lang == "ja" else event.kind.value
    item.add("categories", [kind, *sorted(a.value for a in event.audiences)])
    if event.place is not None:
        item.add("location", event.place.get(lang))
    if event.online_url is not None:
        item.add("url", event.online_url)
    lines = []
    if event.description is not None:
        lines.append(event.description.get(lang))
    deadline = deadlines.get(event.id)
    if deadline is not None:
        lines.append(
            f"申込締切: {deadline.isoformat()}"
            if lang == "ja"
            else f"Register by {deadline.isoformat()}"
        )
    if event.capacity is not None:
        lines.append(f"定員: {event.capacity}名" if lang == "ja" else f"Places: {event.capacity}")
    if event.online_url is not None:
        lines.append(("オンライン: " if lang == "ja" else "Online: ") + event.online_url)
    for material in event.materials:
        lines.append(f"{material.title.get(lang)}: {material.url}")
    if lines:
        item.add("description", "\n".join(lines))
    item.add("x-saihan-event-kind", event.kind.value)
    if event.municipalities:
        item.add("x-saihan-municipalities", ",".join(sorted(event.municipalities)))
    if event.sample:
        item.add("x-saihan-sample", "TRUE")
    return item
