"""Hypothesis strategies for the outreach models: events, registrations, subscribers,
newsletter issues (registered for ``st.from_type`` too)."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from saihan.outreach import (
    Event,
    EventAudience,
    EventKind,
    EventStatus,
    Material,
    NewsletterIssue,
    Registration,
    RegistrationStatus,
    ServiceSnapshot,
    Subscriber,
)
from saihan.testing.strategies import identifiers, localized_texts, municipality_codes, texts

__all__ = [
    "event_times",
    "events",
    "materials",
    "newsletter_issues",
    "outreach_urls",
    "registrations",
    "service_snapshots",
    "subscribers",
]

_ZONES = ("Asia/Tokyo", "UTC", "America/New_York", "Europe/London", "Pacific/Chatham")
_OFFSETS = st.sampled_from([dt.timedelta(hours=h) for h in (9, 0, -5, 1)] + [dt.timedelta(0)])


def outreach_urls() -> SearchStrategy[str]:
    """http(s) URLs as the outreach models take them."""
    tail = st.text(st.sampled_from(string.ascii_letters + string.digits + "/?=&%-_.~"), max_size=16)
    return st.builds("https://{}.example.jp/{}".format, identifiers(max_size=8), tail)


def _moments(
    first: dt.datetime = dt.datetime(2020, 1, 1), last: dt.datetime = dt.datetime(2035, 12, 31)
) -> SearchStrategy[dt.datetime]:
    return st.builds(
        lambda naive, offset: naive.replace(tzinfo=dt.timezone(offset)),
        st.datetimes(min_value=first, max_value=last).map(lambda t: t.replace(microsecond=0)),
        _OFFSETS,
    )


def event_times() -> SearchStrategy[tuple[dt.datetime, dt.datetime]]:
    """(start, end) with end after start (by 15 minutes to 3 days)."""
    return st.builds(
        lambda start, minutes: (start, start + dt.timedelta(minutes=minutes)),
        _moments(),
        st.integers(15, 3 * 24 * 60),
    )


def materials() -> SearchStrategy[Material]:
    return st.builds(Material, title=localized_texts(), url=outreach_urls())


@st.composite
def _events(draw: st.DrawFn, organiser: str | None) -> Event:
    start, end = draw(event_times())
    place = draw(st.none() | localized_texts())
    online = draw(st.none() | outreach_urls()) if place is not None else draw(outreach_urls())
    capacity = draw(st.none() | st.integers(1, 500))
    statuses = (
        list(EventStatus)
        if capacity is not None
        else [status for status in EventStatus if status is not EventStatus.FULL]
    )
    return Event(
        id=draw(identifiers()),
        kind=draw(st.sampled_from(EventKind)),
        title=draw(localized_texts()),
        organiser=organiser if organiser is not None else draw(identifiers()),
        start=start,
        end=end,
        audiences=draw(st.frozensets(st.sampled_from(EventAudience), min_size=1)),
        time_zone=draw(st.sampled_from(_ZONES)),
        municipalities=draw(st.frozensets(municipality_codes(tokyo_only=True), max_size=3)),
        description=draw(st.none() | localized_texts()),
        place=place,
        online_url=online,
        capacity=capacity,
        registration_closes=draw(st.none() | st.integers(0, 20)),
        materials=tuple(draw(st.lists(materials(), max_size=2))),
        status=draw(st.sampled_from(statuses)),
        sample=draw(st.booleans()),
    )


def events(*, organiser: str | None = None) -> SearchStrategy[Event]:
    """Valid events (``organiser``: always this agency id)."""
    return _events(organiser)


def _emails() -> SearchStrategy[str]:
    local = st.text(st.sampled_from(string.ascii_lowercase + string.digits + "._+-"), min_size=1,
                    max_size=12)  # fmt: skip
    return st.builds("{}@{}.example.jp".format, local, identifiers(max_size=8))


@st.composite
def _registrations(draw: st.DrawFn, event_id: str | None, organisation: str | None) -> Any:
    email = draw(st.none() | _emails())
    phone = draw(st.sampled_from(["03-5320-0000", "+81 42 620 0000"]) if email is None else
                 st.none() | st.sampled_from(["03-5320-0000", "(042) 620-0000"]))  # fmt: skip
    return Registration(
        id=draw(identifiers()),
        event_id=event_id if event_id is not None else draw(identifiers()),
        organisation=organisation if organisation is not None else draw(identifiers()),
        name=draw(texts(max_size=20)),
        registered_at=draw(_moments()),
        consent_to_contact=draw(st.booleans()),
        email=email,
        phone=phone,
        affiliation=draw(st.none() | texts(max_size=20)),
        municipality=draw(st.none() | municipality_codes(tokyo_only=True)),
        status=draw(st.sampled_from(RegistrationStatus)),
        shared_with=draw(st.frozensets(identifiers(), max_size=2)),
    )


def registrations(
    *, event_id: str | None = None, organisation: str | None = None
) -> SearchStrategy[Registration]:
    """Valid registrations (for ``event_id`` of ``organisation`` when given)."""
    return _registrations(event_id, organisation)


_TOKENS = st.text(st.sampled_from(string.ascii_letters + string.digits + "-_"), min_size=32,
                  max_size=64)  # fmt: skip


_DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31))


@st.composite
def _subscribers(draw: st.DrawFn, organisation: str | None) -> Subscriber:
    consent = draw(st.booleans())
    return Subscriber(
        id=draw(identifiers()),
        email=draw(_emails()),
        organisation=organisation if organisation is not None else draw(identifiers()),
        consent=consent,
        token=draw(_TOKENS),
        consented_on=draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)))
        if consent
        else None,
        municipalities=draw(st.frozensets(municipality_codes(tokyo_only=True), max_size=3)),
        unsubscribed_at=draw(st.none() | _moments()),
    )


def subscribers(*, organisation: str | None = None) -> SearchStrategy[Subscriber]:
    """Valid subscribers, consenting or not, some unsubscribed."""
    return _subscribers(organisation)


_BODIES = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
_DIGESTS = st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64)


def service_snapshots() -> SearchStrategy[ServiceSnapshot]:
    return st.builds(
        ServiceSnapshot, id=identifiers(), digest=_DIGESTS, hours_digest=st.none() | _DIGESTS
    )


@st.composite
def _issues(draw: st.DrawFn) -> NewsletterIssue:
    snapshots = draw(st.lists(service_snapshots(), max_size=4, unique_by=lambda s: s.id))
    sent = draw(st.booleans())
    return NewsletterIssue(
        number=draw(st.integers(1, 9999)),
        subject=draw(texts(max_size=30)).replace("\n", " ").replace("\r", " ").strip() or "号",
        composed_at=draw(_moments()),
        since=draw(_DAYS),
        text=draw(_BODIES),
        html=draw(_BODIES),
        municipalities=draw(st.frozensets(municipality_codes(tokyo_only=True), max_size=2)),
        services=tuple(snapshots),
        revision=draw(st.none() | st.integers(0, 10**9)),
        sent_at=draw(_moments()) if sent else None,
        delivered=draw(st.integers(0, 1000)) if sent else 0,
        refused=draw(st.integers(0, 10)) if sent else 0,
        failed=draw(st.integers(0, 10)) if sent else 0,
    )


def newsletter_issues() -> SearchStrategy[NewsletterIssue]:
    """Valid newsletter issues, sent or not."""
    return _issues()
