"""Outreach: events of the support network, registrations, newsletter subscribers and issues.

The models (:class:`Event`, :class:`Registration`, :class:`Subscriber`,
:class:`NewsletterIssue`) are frozen attrs classes validated at the boundary
like every saihan model; the store keeps them (``store.events``,
``store.registrations``, ``store.subscribers``, ``store.newsletters``).
See ``docs/outreach.md``.
"""

from __future__ import annotations

from saihan.outreach.event import (
    DEFAULT_OFFICE_CALENDAR,
    EVENT_TRANSITIONS,
    Event,
    EventAudience,
    EventKind,
    EventStatus,
    Material,
    organiser_calendar,
)
from saihan.outreach.issue import NewsletterIssue, ServiceSnapshot, issue_id
from saihan.outreach.registering import (
    RegistrationResult,
    cancel_registration,
    change_event_status,
    register,
)
from saihan.outreach.registration import Registration, RegistrationStatus
from saihan.outreach.sample import load_events, sample_events
from saihan.outreach.subscriber import Subscriber, new_token, token_digest

__all__ = [
    "DEFAULT_OFFICE_CALENDAR",
    "EVENT_TRANSITIONS",
    "Event",
    "EventAudience",
    "EventKind",
    "EventStatus",
    "Material",
    "NewsletterIssue",
    "Registration",
    "RegistrationResult",
    "RegistrationStatus",
    "ServiceSnapshot",
    "Subscriber",
    "cancel_registration",
    "change_event_status",
    "issue_id",
    "load_events",
    "new_token",
    "organiser_calendar",
    "register",
    "sample_events",
    "token_digest",
]
