"""Hypothesis strategies for the referral lifecycle: referrals, their events,
audit events and follow-up policies.

Everything generated is valid: building it never raises, and it survives
:func:`saihan.serialization.to_json` and :func:`~saihan.serialization.from_json`
unchanged.  :func:`referrals` walks :data:`~saihan.referral.lifecycle.TRANSITIONS`
from ``draft`` or ``requested``, gives a reason wherever the status needs
one, and makes every event later than the one before it.  Pass ``case=`` to
get referrals of that case that a store accepts as they are: every status
that hands the person's information on is entered only on a day one of the
case's consents covers the referral's agency::

    from hypothesis import given
    from saihan.testing import cases, referrals

    @given(st.data())
    def test_something(data):
        case = data.draw(cases(with_consent=True))
        referral = data.draw(referrals(case=case))
        ...

Requires Hypothesis (``saihan[test]``), like the rest of :mod:`saihan.testing`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from saihan.directory.agency_kinds import default_agency_kinds
from saihan.referral.audit import AuditAction, AuditEvent
from saihan.referral.case import ConsultationCase
from saihan.referral.followup import MAX_BUSINESS_DAYS, FollowUpPolicy, FollowUpRule
from saihan.referral.lifecycle import (
    REASON_REQUIRED,
    TRANSITIONS,
    EventKind,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from saihan.testing.strategies import identifiers, localized_texts, texts

__all__ = [
    "audit_events",
    "followup_policies",
    "followup_rules",
    "referral_events",
    "referrals",
]

_JST = dt.timezone(dt.timedelta(hours=9), "JST")
_OFFSETS = (_JST, _JST, _JST, dt.UTC, dt.timezone(dt.timedelta(hours=-5)))
_FIRST = dt.datetime(2024, 4, 1)
_LAST = dt.datetime(2029, 3, 31, 23, 59)
_OPEN = tuple(status for status in ReferralStatus if not status.ended)


def _moments(first: dt.datetime = _FIRST, last: dt.datetime = _LAST) -> SearchStrategy[dt.datetime]:
    return st.datetimes(min_value=first, max_value=last, timezones=st.sampled_from(_OFFSETS)).map(
        lambda moment: moment.replace(microsecond=0)
    )


# Steps between events: minutes to weeks, now and then none at all (the same second).
_STEPS = st.one_of(
    st.just(dt.timedelta(0)),
    st.integers(1, 600).map(lambda minutes: dt.timedelta(minutes=minutes)),
    st.integers(1, 40).map(lambda days: dt.timedelta(days=days, minutes=7 * days)),
)


def referral_events(
    *, statuses: Collection[ReferralStatus] | None = None
) -> SearchStrategy[ReferralEvent]:
    """Single :class:`ReferralEvent` values, valid on their own: a transition
    (with a reason where the status needs one) or a follow-up (which leaves
    an open status as it was).  ``statuses`` limits the status after the event.
    """
    chosen = (
        list(ReferralStatus) if statuses is None else [s for s in ReferralStatus if s in statuses]
    )
    if not chosen:
        raise ValueError("give at least one status")
    return _referral_event(tuple(chosen))


@st.composite
def _referral_event(draw: DrawFn, chosen: tuple[ReferralStatus, ...]) -> ReferralEvent:
    status = draw(st.sampled_from(chosen))
    follow_up = not status.ended and draw(st.integers(0, 3)) == 0
    if follow_up:
        previous: ReferralStatus | None = status
        kind = EventKind.FOLLOW_UP
        reason = None
    else:
        before = [s for s, after in TRANSITIONS.items() if status in after]
        options: list[ReferralStatus | None] = [*before]
        if status in (ReferralStatus.DRAFT, ReferralStatus.REQUESTED):
            options.append(None)
        previous = draw(st.sampled_from(options))
        kind = EventKind.TRANSITION
        reason = draw(texts(max_size=24)) if status in REASON_REQUIRED else draw(_maybe_text)
    return ReferralEvent(
        at=draw(_moments()),
        actor=draw(identifiers()),
        status=status,
        previous=previous,
        kind=kind,
        reason=reason,
        outcome=draw(_maybe_text),
    )


_maybe_text = st.none() | texts(max_size=24)


def _day(case: ConsultationCase | None, moment: dt.datetime) -> dt.date:
    """The person's day of ``moment`` (its own offset's day without a case)."""
    return moment.date() if case is None else case.local_day(moment)


def _covered(case: ConsultationCase | None, agency: str, kind: str, day: dt.date) -> bool:
    return case is None or case.consent_for(agency, kind, day) is not None


def referrals(
    case: ConsultationCase | None = None,
    *,
    id: str | None = None,
    service_ids: Sequence[str] | None = None,
    agency_ids: Sequence[str] | None = None,
    agency_kinds: Sequence[str] | None = None,
    min_events: int = 1,
    max_events: int = 8,
    follow_ups: bool = True,
    start: dt.datetime | None = None,
) -> SearchStrategy[Referral]:
    """:class:`Referral` values whose history follows the transition table.

    The history has ``min_events`` to ``max_events`` events (fewer when it
    reaches an ended status early), each at or after the one before it (the
    first at ``start``, or at a moment in the plan's years; with ``case``,
    at or after the case was received).  Follow-ups come up now and then
    unless ``follow_ups`` is False.

    With ``case`` the referral is of that case, and its agency is often one
    the case's consents name; the history enters ``requested``, ``accepted``,
    ``in-progress`` or ``on-hold`` only on days a consent of the case covers
    that agency, so a store that holds the case accepts the referral.
    ``service_ids``, ``agency_ids`` and ``agency_kinds`` are the values to
    choose from (by default any ids and the bundled kinds).
    """
    if not 1 <= min_events <= max_events:
        raise ValueError("need 1 <= min_events <= max_events")
    if start is not None and start.utcoffset() is None:
        raise ValueError("start must be timezone-aware (for Tokyo, +09:00)")
    for name, values in (
        ("service_ids", service_ids),
        ("agency_ids", agency_ids),
        ("agency_kinds", agency_kinds),
    ):
        if values is not None and not values:
            raise ValueError(f"give at least one of {name}, or None")
    return _referral(
        case,
        id,
        None if service_ids is None else tuple(service_ids),
        None if agency_ids is None else tuple(agency_ids),
        None if agency_kinds is None else tuple(agency_kinds),
        min_events,
        max_events,
        follow_ups,
        start,
    )


def _names(
    draw: DrawFn,
    given: tuple[str, ...] | None,
    named: Collection[str],
    default: SearchStrategy[str],
) -> str:
    if given is not None:
        return draw(st.sampled_from(given))
    if named:
        use_named: bool = draw(st.booleans())
        if use_named:
            return draw(st.sampled_from(sorted(named)))
    return draw(default)


_KINDS = st.deferred(lambda: st.sampled_from([kind.code for kind in default_agency_kinds()]))


@st.composite
def _referral(
    draw: DrawFn,
    case: ConsultationCase | None,
    id: str | None,
    service_ids: tuple[str, ...] | None,
    agency_ids: tuple[str, ...] | None,
    agency_kinds: tuple[str, ...] | None,
    min_events: int,
    max_events: int,
    follow_ups: bool,
    start: dt.datetime | None,
) -> Referral:
    consents = () if case is None else case.consents
    agency = _names(draw, agency_ids, {a for c in consents for a in c.agency_ids}, identifiers())
    kind = _names(draw, agency_kinds, {k for c in consents for k in c.agency_kinds}, _KINDS)
    if start is not None:
        at = start
    elif case is not None:
        at = case.received_at + draw(_STEPS)
    else:
        at = draw(_moments())
    length = draw(st.integers(min_events, max_events))
    first = [ReferralStatus.DRAFT]
    if _covered(case, agency, kind, _day(case, at)):
        first.append(ReferralStatus.REQUESTED)
    status = draw(st.sampled_from(first))
    history = [
        ReferralEvent(
            at=at,
            actor=draw(identifiers()),
            status=status,
            reason=draw(_maybe_text),
            outcome=draw(_maybe_text),
        )
    ]
    while len(history) < length and not status.ended:
        at = at + draw(_STEPS)
        day = _day(case, at)
        options = sorted(
            (
                after
                for after in TRANSITIONS[status]
                if not after.needs_consent or _covered(case, agency, kind, day)
            ),
            key=lambda s: s.value,
        )
        if follow_ups and (not options or draw(st.integers(0, 4)) == 0):
            history.append(
                ReferralEvent(
                    at=at,
                    actor=draw(identifiers()),
                    status=status,
                    previous=status,
                    kind=EventKind.FOLLOW_UP,
                    outcome=draw(_maybe_text),
                )
            )
            continue
        if not options:
            break
        after = draw(st.sampled_from(options))
        reason = draw(texts(max_size=24)) if after in REASON_REQUIRED else draw(_maybe_text)
        history.append(
            ReferralEvent(
                at=at,
                actor=draw(identifiers()),
                status=after,
                previous=status,
                reason=reason,
                outcome=draw(_maybe_text),
            )
        )
        status = after
    return Referral(
        id=id if id is not None else draw(identifiers(max_size=24)),
        case_id=case.id if case is not None else draw(identifiers()),
        service_id=_names(draw, service_ids, (), identifiers()),
        agency_id=agency,
        agency_kind=kind,
        history=tuple(history),
        need=draw(st.none() | identifiers()),
        referred_by=draw(st.none() | identifiers()),
        plan_id=draw(st.none() | identifiers(max_size=30)),
    )


# -- audit events ------------------------------------------------------------------------

_CASE_ACTIONS = (
    AuditAction.CREATED,
    AuditAction.UPDATED,
    AuditAction.DELETED,
    AuditAction.CONSENT_GIVEN,
    AuditAction.CONSENT_WITHDRAWN,
    AuditAction.CONSENT_REFUSED,
    AuditAction.CLOSED,
    AuditAction.REOPENED,
)
_REFERRAL_ACTIONS = (
    AuditAction.CREATED,
    AuditAction.UPDATED,
    AuditAction.DELETED,
    AuditAction.STATUS_CHANGED,
    AuditAction.FOLLOWED_UP,
)
_CASE_PATHS = (
    "summary",
    "worker",
    "closed_at",
    "municipality",
    "subject.name",
    "needs[0].note",
    "consents[0]",
    "consents[1].withdrawn_on",
)


_SHA256 = st.text("0123456789abcdef", min_size=64, max_size=64)


@st.composite
def audit_events(draw: DrawFn, *, record_kind: str | None = None) -> AuditEvent:
    """:class:`AuditEvent` values as a store writes them: ids ``e<revision>``, an
    action that fits the record kind (``case`` or ``referral``), field paths
    but never values, and statuses for referrals."""
    kind = record_kind if record_kind is not None else draw(st.sampled_from(["case", "referral"]))
    if kind not in ("case", "referral"):
        raise ValueError("record_kind is 'case', 'referral' or None")
    revision = draw(st.integers(1, 10**12))
    action = draw(st.sampled_from(_CASE_ACTIONS if kind == "case" else _REFERRAL_ACTIONS))
    deleted = action is AuditAction.DELETED
    status_from = status_to = None
    changed: tuple[str, ...] = ()
    if kind == "case" and action not in (AuditAction.CREATED, AuditAction.DELETED):
        changed = tuple(draw(st.lists(st.sampled_from(_CASE_PATHS), min_size=1, max_size=3)))
    if kind == "referral":
        before = draw(st.sampled_from(list(ReferralStatus)))
        if action is AuditAction.CREATED:
            status_to = draw(st.sampled_from([ReferralStatus.DRAFT, ReferralStatus.REQUESTED]))
        elif deleted:
            status_from = before
        elif action is AuditAction.STATUS_CHANGED and TRANSITIONS[before]:
            status_from, status_to = before, draw(st.sampled_from(sorted(TRANSITIONS[before])))
            changed = (f"history[{draw(st.integers(1, 40))}]",)
        else:
            status_from = status_to = before
            changed = (f"history[{draw(st.integers(1, 40))}]",)
    return AuditEvent(
        id=f"e{revision:015d}" + ("-deleted" if deleted else ""),
        at=draw(_moments()),
        actor=draw(st.none() | identifiers()),
        record_kind=kind,
        record_id=draw(identifiers(max_size=30)),
        action=action,
        version=None if deleted else revision,
        changed=changed,
        status_from=None if status_from is None else status_from.value,
        status_to=None if status_to is None else status_to.value,
        # chain fields as a store writes them (values, not a consistent chain)
        record_digest=None if deleted else draw(_SHA256),
        previous=draw(_SHA256),
        digest=draw(_SHA256),
    )


# -- follow-up policies ------------------------------------------------------------------


def followup_rules(
    *, statuses: Collection[ReferralStatus] | None = None, max_days: int = 40
) -> SearchStrategy[FollowUpRule]:
    """:class:`FollowUpRule` values for open statuses (``statuses``, by default
    all of them), waiting 1 to ``max_days`` business days, sometimes counted
    from another open status's entry."""
    if not 1 <= max_days <= MAX_BUSINESS_DAYS:
        raise ValueError(f"need 1 <= max_days <= {MAX_BUSINESS_DAYS}")
    chosen = [s for s in _OPEN if statuses is None or s in statuses]
    if not chosen:
        raise ValueError("give at least one open status")
    return st.builds(
        FollowUpRule,
        status=st.sampled_from(chosen),
        business_days=st.integers(1, max_days),
        description=localized_texts(),
        counted_from=st.none() | st.sampled_from(_OPEN),
    )


@st.composite
def followup_policies(draw: DrawFn, *, max_days: int = 40) -> FollowUpPolicy:
    """:class:`FollowUpPolicy` values: at most one rule per open status."""
    statuses = draw(st.lists(st.sampled_from(_OPEN), unique=True, max_size=len(_OPEN)))
    return FollowUpPolicy(
        rules=tuple(
            draw(followup_rules(statuses=[status], max_days=max_days)) for status in statuses
        )
    )
