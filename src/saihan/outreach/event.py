"""Events: trainings, liaison meetings, the council, school programmes, seminars.

An :class:`Event` says what happens, who organises it (an agency id of the
directory), for whom, in which municipalities, when (time-zone-aware start
and end, with the IANA zone the times are read in), where (a place, an
online URL, or both), how many may come, until when one may register
(business days before the start, counted in the organiser's business
calendar: :func:`organiser_calendar`), the materials handed out, and its
status, which changes only along :data:`EVENT_TRANSITIONS`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from saihan._validation import ID_PATTERN, Checker, checked
from saihan.directory.location import MUNICIPALITY_CODE_PATTERN
from saihan.directory.service import Service
from saihan.errors import ErrorItem, ValidationError
from saihan.outreach._checks import (
    HTTPS_PATTERN,
    TIME_ZONE_PATTERN,
    check_codes,
    check_time_zone,
    check_url,
)
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.rules import Weekday, WeeklyHours
from saihan.text import LocalizedText

__all__ = [
    "DEFAULT_OFFICE_CALENDAR",
    "EVENT_TRANSITIONS",
    "MAX_CAPACITY",
    "MAX_REGISTRATION_DAYS",
    "Event",
    "EventAudience",
    "EventKind",
    "EventStatus",
    "Material",
    "organiser_calendar",
]

MAX_CAPACITY = 100_000
MAX_REGISTRATION_DAYS = 250
"""At most about a year of business days between the registration deadline and the start."""


class EventKind(enum.StrEnum):
    """What kind of event it is."""

    TRAINING = "training"  # 研修 (e.g. for municipal staff, 区市町村サポート事業)
    LIAISON_MEETING = "liaison_meeting"  # 区市町村担当者連絡会
    COUNCIL = "council"  # 東京都再犯防止推進協議会
    SCHOOL_PROGRAMME = "school_programme"  # 小学校での万引き防止ミュージカル ...
    SEMINAR = "seminar"  # 講演会・シンポジウム
    OTHER = "other"


class EventStatus(enum.StrEnum):
    """Where an event stands; see :data:`EVENT_TRANSITIONS`."""

    PLANNED = "planned"  # announced, registration not yet open
    OPEN = "open"  # taking registrations
    FULL = "full"  # every place taken: new registrations go on the waiting list
    HELD = "held"  # it took place
    CANCELLED = "cancelled"


class EventAudience(enum.StrEnum):
    """Whom an event is for."""

    MUNICIPAL_STAFF = "municipal_staff"  # 区市町村職員
    PROFESSIONAL = "professional"  # 関係機関の職員
    SUPPORTER = "supporter"  # 保護司・支援者
    FAMILY = "family"  # 家族
    PERSON = "person"  # 本人
    PUPIL = "pupil"  # 児童・生徒
    PUBLIC = "public"  # 一般


EVENT_TRANSITIONS: Mapping[EventStatus, frozenset[EventStatus]] = {
    EventStatus.PLANNED: frozenset({EventStatus.OPEN, EventStatus.HELD, EventStatus.CANCELLED}),
    EventStatus.OPEN: frozenset({EventStatus.FULL, EventStatus.HELD, EventStatus.CANCELLED}),
    EventStatus.FULL: frozenset({EventStatus.OPEN, EventStatus.HELD, EventStatus.CANCELLED}),
    EventStatus.HELD: frozenset(),
    EventStatus.CANCELLED: frozenset(),
}
"""The statuses an event may move to from each status (held and cancelled are final)."""

DEFAULT_OFFICE_CALENDAR = BusinessCalendar(
    weekly=(
        WeeklyHours(
            days=frozenset({Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR}),
            opens=dt.time(9),
            closes=dt.time(17),
        ),
    )
)
"""Monday to Friday 09:00-17:00, closed on national holidays and 29 Dec - 3 Jan: the
calendar of a public office, used when the organiser publishes no hours."""


@attrs.frozen
class Material:
    """A document handed out or published with an event (slides, a leaflet)."""

    title: LocalizedText = attrs.field(metadata={"doc": "What it is."})
    url: str = attrs.field(metadata={"schema": {"pattern": HTTPS_PATTERN}, "doc": "Where it is."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check_url(check, "url", self.url)


def _codes(value: Iterable[str] | str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value) if isinstance(value, Iterable) else value


@attrs.frozen
class Event:
    """An event of the support network (see the module's docstring)."""

    id: str = attrs.field(metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Stable event id."})
    kind: EventKind = attrs.field(metadata={"doc": "training, liaison_meeting, council, ..."})
    title: LocalizedText = attrs.field(metadata={"doc": "The event's name."})
    organiser: str = attrs.field(
        metadata={"schema": {"pattern": ID_PATTERN}, "doc": "Id of the organising agency."}
    )
    start: dt.datetime = attrs.field(metadata={"doc": "When it starts (with UTC offset)."})
    end: dt.datetime = attrs.field(metadata={"doc": "When it ends (with UTC offset)."})
    audiences: frozenset[EventAudience] = attrs.field(
        metadata={"schema": {"minItems": 1}, "doc": "Whom it is for."}
    )
    time_zone: str = attrs.field(
        default="Asia/Tokyo",
        metadata={
            "schema": {"pattern": TIME_ZONE_PATTERN, "maxLength": 64},
            "doc": "IANA zone its times are read and published in.",
        },
    )
    municipalities: frozenset[str] = attrs.field(
        factory=frozenset,
        converter=_codes,
        metadata={
            "schema": {"items": {"pattern": MUNICIPALITY_CODE_PATTERN}},
            "doc": "Municipalities it is for (JIS X 0402); empty: all of Tokyo.",
        },
    )
    description: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "What happens there."}
    )
    place: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "Where it takes place (hall, school, address)."}
    )
    online_url: str | None = attrs.field(
        default=None,
        metadata={"schema": {"pattern": HTTPS_PATTERN}, "doc": "Where to join online."},
    )
    capacity: int | None = attrs.field(
        default=None,
        metadata={
            "schema": {"minimum": 1, "maximum": MAX_CAPACITY},
            "doc": "Places; null: no limit.",
        },
    )
    registration_closes: int | None = attrs.field(
        default=None,
        metadata={
            "schema": {"minimum": 0, "maximum": MAX_REGISTRATION_DAYS},
            "doc": "Registration closes this many business days (of the organiser's "
            "calendar) before the day it starts; null: no registration deadline.",
        },
    )
    materials: tuple[Material, ...] = attrs.field(
        default=(), metadata={"doc": "Documents handed out or published."}
    )
    status: EventStatus = attrs.field(
        default=EventStatus.PLANNED, metadata={"doc": "planned, open, full, held or cancelled."}
    )
    sample: bool = attrs.field(
        default=False, metadata={"doc": "True for the bundled sample events (not real dates)."}
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("id", self.id)
        check.identifier("organiser", self.organiser)
        check_time_zone(check, "time_zone", self.time_zone)
        if self.end <= self.start:
            check.add("end", f"{self.end.isoformat()} is not after start {self.start.isoformat()}")
        check.require(bool(self.audiences), "audiences", "say whom the event is for")
        check_codes(check, "municipalities", self.municipalities)
        check.require(
            self.place is not None or self.online_url is not None,
            "place",
            "give a place, an online_url, or both",
        )
        if self.online_url is not None:
            check_url(check, "online_url", self.online_url)
        if self.capacity is not None and not 1 <= self.capacity <= MAX_CAPACITY:
            check.add("capacity", f"{self.capacity} is outside 1..{MAX_CAPACITY}")
        days = self.registration_closes
        if days is not None and not 0 <= days <= MAX_REGISTRATION_DAYS:
            check.add("registration_closes", f"{days} is outside 0..{MAX_REGISTRATION_DAYS}")
        if self.status is EventStatus.FULL and self.capacity is None:
            check.add("status", "an event without a capacity cannot be full")
        check.done()

    @property
    def local_start(self) -> dt.datetime:
        """``start`` in the event's zone."""
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> dt.datetime:
        """``end`` in the event's zone."""
        return self.end.astimezone(self.zone)

    @property
    def zone(self) -> dt.tzinfo:
        import zoneinfo

        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def online(self) -> bool:
        return self.online_url is not None

    def registration_deadline(self, calendar: BusinessCalendar) -> dt.date | None:
        """The last day one may register (to its end, in the event's zone): the
        ``registration_closes``-th business day of ``calendar`` before the day the
        event starts; None when there is no deadline.  ``NotFoundError`` when the
        calendar has no such day."""
        if self.registration_closes is None:
            return None
        if not isinstance(calendar, BusinessCalendar):
            raise ValidationError([ErrorItem("calendar", "expected a BusinessCalendar")])
        return calendar.add_business_days(self.local_start.date(), -self.registration_closes)

    def registration_open_at(self, at: dt.datetime, calendar: BusinessCalendar) -> bool:
        """True when a registration at ``at`` is on time: the event takes registrations
        (open or full: full puts it on the waiting list), it has not started, and
        the deadline (if any) has not passed."""
        if not isinstance(at, dt.datetime) or at.utcoffset() is None:
            raise ValidationError([ErrorItem("at", "give a datetime with its UTC offset")])
        if self.status not in (EventStatus.OPEN, EventStatus.FULL) or at >= self.start:
            return False
        deadline = self.registration_deadline(calendar)
        return deadline is None or at.astimezone(self.zone).date() <= deadline

    def can_become(self, status: EventStatus | str) -> bool:
        """True when the event may move from its status to ``status``."""
        return EventStatus(status) in EVENT_TRANSITIONS[self.status]

    def moved_to(self, status: EventStatus | str) -> Event:
        """The event with ``status``; ValidationError (``status``) for a move the
        transition table does not allow."""
        try:
            wanted = EventStatus(status)
        except ValueError:
            raise ValidationError(
                [ErrorItem("status", f"{status!r} is not one of {', '.join(EventStatus)}")]
            ) from None
        if wanted not in EVENT_TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(EVENT_TRANSITIONS[self.status])) or "nothing (final)"
            raise ValidationError(
                [
                    ErrorItem(
                        "status",
                        f"event {self.id!r} is {self.status.value}: it may become {allowed}, "
                        f"not {wanted.value}",
                    )
                ]
            )
        return attrs.evolve(self, status=wanted)


def organiser_calendar(services: Iterable[Service], organiser: str) -> BusinessCalendar:
    """The organiser's business calendar: the hours of its first active service (by id)
    that publishes hours, else :data:`DEFAULT_OFFICE_CALENDAR`."""
    own = sorted(
        (s for s in services if s.agency_id == organiser and s.active and s.hours is not None),
        key=lambda s: s.id,
    )
    if own and own[0].hours is not None:
        return own[0].hours
    return DEFAULT_OFFICE_CALENDAR
