"""Follow-up on a store: which referrals someone must check on, and by when.

The policy, the clock and :func:`~saihan.referral.followup.followup_for` are
models (:mod:`saihan.referral.followup`); this module asks a store.  It reads
as the principal acting on the store: a worker sees the follow-ups of the
cases they may read (``docs/access.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from saihan._validation import ID_RE
from saihan.directory.municipalities import municipality_code
from saihan.errors import ErrorItem, ValidationError
from saihan.referral.case import ConsultationCase
from saihan.referral.followup import (
    DEFAULT_POLICY,
    OFFICE_CALENDAR,
    FollowUp,
    FollowUpPolicy,
    check_at,
    followups_due,
)
from saihan.referral.lifecycle import Referral
from saihan.schedule.calendar import BusinessCalendar
from saihan.storage.store import Store

__all__ = ["due_followups", "overdue_by_municipality", "overdue_by_worker"]


def due_followups(
    store: Store,
    at: dt.datetime,
    *,
    policy: FollowUpPolicy = DEFAULT_POLICY,
    municipality: str | None = None,
    worker: str | None = None,
) -> list[FollowUp]:
    """Every open referral in ``store`` due for follow-up on ``at``'s day, most
    overdue first (then by due day and referral id): what
    :func:`~saihan.referral.followup.followups_due`, the one definition of due and
    overdue, says of the store's open referrals.

    ``municipality`` (a code or name) and ``worker`` keep the referrals of
    cases handled there or by them.  Reads the open referrals, their cases
    and the referring services' calendars (each read is its own transaction:
    a referral changed meanwhile shows as it was when read).
    """
    if not isinstance(store, Store):
        raise ValidationError([ErrorItem("store", f"expected a Store, got {type(store).__name__}")])
    at = check_at(at)
    if not isinstance(policy, FollowUpPolicy):
        raise ValidationError([ErrorItem("policy", "expected a FollowUpPolicy")])
    code = None if municipality is None else municipality_code(municipality)
    if worker is not None and (not isinstance(worker, str) or not ID_RE.fullmatch(worker)):
        raise ValidationError([ErrorItem("worker", f"{worker!r} is not a worker id")])
    cases: dict[str, ConsultationCase | None] = {}
    calendars: dict[str, BusinessCalendar] = {}

    def pairs() -> Iterator[tuple[Referral, ConsultationCase]]:
        for item in store.referrals.open():
            referral = item.value
            if referral.case_id not in cases:
                stored = store.cases.find(referral.case_id)
                cases[referral.case_id] = None if stored is None else stored.value
            case = cases[referral.case_id]
            if case is None:
                continue
            if code is not None and case.municipality != code:
                continue
            if worker is not None and case.worker != worker:
                continue
            yield referral, case

    return followups_due(
        pairs(),
        at,
        policy=policy,
        calendar_of=lambda service_id: _calendar_of(store, service_id, calendars),
    )


def _calendar_of(
    store: Store, service_id: str | None, cache: dict[str, BusinessCalendar]
) -> BusinessCalendar:
    if service_id is None:
        return OFFICE_CALENDAR
    if service_id not in cache:
        stored = store.services.find(service_id)
        hours = None if stored is None else stored.value.hours
        cache[service_id] = OFFICE_CALENDAR if hours is None else hours
    return cache[service_id]


def _grouped(
    items: Iterable[FollowUp], key: Callable[[FollowUp], str | None]
) -> dict[str | None, list[FollowUp]]:
    groups: dict[str | None, list[FollowUp]] = {}
    for item in items:
        if item.overdue:
            groups.setdefault(key(item), []).append(item)
    return groups


def overdue_by_worker(
    store: Store, at: dt.datetime, *, policy: FollowUpPolicy = DEFAULT_POLICY
) -> dict[str | None, list[FollowUp]]:
    """Overdue follow-ups grouped by the case's worker (None: no worker assigned)."""
    return _grouped(due_followups(store, at, policy=policy), lambda item: item.worker)


def overdue_by_municipality(
    store: Store, at: dt.datetime, *, policy: FollowUpPolicy = DEFAULT_POLICY
) -> dict[str | None, list[FollowUp]]:
    """Overdue follow-ups grouped by the municipality handling the case."""
    return _grouped(due_followups(store, at, policy=policy), lambda item: item.municipality)
