"""Properties of the referral lifecycle: the transition table, append-only
histories, follow-up days on random calendars, audit paths, and the strategies
of :mod:`saihan.testing.lifecycle_strategies`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan import storage
from saihan.access import Principal
from saihan.directory import Audience, Channel
from saihan.directory.vocabulary import LegalSituation
from saihan.errors import ConflictError, IllegalTransitionError, SaihanError, ValidationError
from saihan.referral import (
    AuditEvent,
    Consent,
    ConsultationCase,
    FollowUpPolicy,
    FollowUpRule,
    RaisedNeed,
    Referral,
    ReferralEvent,
    Subject,
)
from saihan.referral.audit import MAX_CHANGED_PATHS, changed_paths
from saihan.referral.followup import (
    DEFAULT_POLICY,
    OFFICE_CALENDAR,
    FollowUpReason,
    clock_start,
    followup_for,
)
from saihan.referral.lifecycle import (
    ENDED,
    NEEDS_CONSENT,
    REASON_REQUIRED,
    TRANSITIONS,
    EventKind,
    ReferralStatus,
    record_followup,
    transition,
)
from saihan.schedule import BusinessCalendar
from saihan.serialization import from_json, to_json
from saihan.storage.referral_records import REFERRALS
from saihan.testing import (
    audit_events,
    calendars,
    cases,
    followup_policies,
    followup_rules,
    lifecycle_machine,
    referral_events,
    referrals,
)
from saihan.testing.referral_strategies import JST

_S = ReferralStatus
_STATUSES = st.sampled_from(list(ReferralStatus))
_AT = dt.datetime(2024, 11, 5, 10, tzinfo=JST)


def _covering_case(referral: Referral) -> ConsultationCase:
    """A case whose consent covers the referral's agency on every day."""
    return ConsultationCase(
        id=referral.case_id,
        received_at=dt.datetime(2000, 1, 1, tzinfo=JST),
        consulter=Audience.PERSON,
        received_via=Channel.PHONE,
        subject=Subject(legal_situation=LegalSituation.ON_PAROLE),
        needs=(RaisedNeed("housing"),),
        consents=(
            Consent(given_on=dt.date(2000, 1, 1), agency_ids=frozenset({referral.agency_id})),
        ),
    )


# -- the transition table ---------------------------------------------------------


def test_the_table_is_the_fhir_task_states() -> None:
    assert set(TRANSITIONS) == set(ReferralStatus)
    assert {_S.REJECTED, _S.CANCELLED, _S.FAILED, _S.COMPLETED, _S.ENTERED_IN_ERROR} == ENDED
    assert all(not TRANSITIONS[status] for status in ENDED)
    assert all(status.ended == (status in ENDED) for status in ReferralStatus)
    # Every open status can still be ended, and every status is reachable from draft.
    reachable = {_S.DRAFT}
    frontier = [_S.DRAFT]
    while frontier:
        for after in TRANSITIONS[frontier.pop()]:
            if after not in reachable:
                reachable.add(after)
                frontier.append(after)
    assert reachable == set(ReferralStatus)
    assert all(_S.ENTERED_IN_ERROR in TRANSITIONS[s] for s in ReferralStatus if not s.ended)


@given(st.data(), _STATUSES, st.sampled_from([None, "理由 lc-reason"]))
def test_every_legal_move_succeeds_and_every_illegal_one_names_both_statuses(
    data: st.DataObject, to: ReferralStatus, reason: str | None
) -> None:
    referral = data.draw(referrals(follow_ups=False))
    case = _covering_case(referral)
    current = referral.status
    later = referral.updated_at + dt.timedelta(hours=1)
    if to not in TRANSITIONS[current]:
        with pytest.raises(IllegalTransitionError) as caught:
            transition(referral, to, actor="worker-1", at=later, reason=reason, case=case)
        message = str(caught.value)
        assert f"from {current.value} to {to.value}" in message
        assert (caught.value.current, caught.value.wanted) == (current.value, to.value)
        assert isinstance(caught.value, ConflictError)
        return
    if to in REASON_REQUIRED and reason is None:
        with pytest.raises(ValidationError) as missing:
            transition(referral, to, actor="worker-1", at=later, case=case)
        assert missing.value.paths == ["reason"]
        return
    moved = transition(referral, to, actor="worker-1", at=later, reason=reason, case=case)
    assert moved.status is to
    assert moved.history[:-1] == referral.history
    assert moved.history[-1] == ReferralEvent(
        at=later, actor="worker-1", status=to, previous=current, reason=reason
    )
    assert referral.status is current  # the original is unchanged


@given(st.data(), _STATUSES)
def test_nothing_leaves_an_ended_status(data: st.DataObject, to: ReferralStatus) -> None:
    referral = data.draw(referrals(min_events=2, max_events=10))
    assert all(
        not before.status.ended for before in referral.history[:-1]
    )  # the strategy keeps to the table
    if not referral.ended:
        ended = sorted(TRANSITIONS[referral.status] & ENDED)
        target = data.draw(st.sampled_from(ended))
        referral = transition(
            referral, target, actor="w", at=referral.updated_at, reason="終了 lc", case=None
        )
    later = referral.updated_at + dt.timedelta(days=1)
    with pytest.raises(IllegalTransitionError) as caught:
        transition(referral, to, actor="w", at=later, reason="x", case=_covering_case(referral))
    assert f"from {referral.status.value} to {to.value}" in str(caught.value)
    with pytest.raises(ConflictError):
        record_followup(referral, actor="w", at=later)
    # Nor can a history be written that does: the model refuses it.
    event = ReferralEvent(at=later, actor="w", status=to, previous=referral.status, reason="x")
    with pytest.raises(ValidationError) as invalid:
        attrs.evolve(referral, history=(*referral.history, event))
    assert invalid.value.paths == [f"history[{len(referral.history)}].status"]


@given(referrals(follow_ups=False), st.sampled_from(sorted(NEEDS_CONSENT)))
def test_entering_a_consent_status_needs_the_case(referral: Referral, to: ReferralStatus) -> None:
    if to not in TRANSITIONS[referral.status]:
        return
    with pytest.raises(SaihanError, match="consent"):
        transition(referral, to, actor="w", at=referral.updated_at, reason="x")


# -- histories ----------------------------------------------------------------------


@settings(max_examples=40)
@given(referrals(min_events=2), st.data())
def test_a_stored_history_is_append_only(referral: Referral, data: st.DataObject) -> None:
    """Any change to the stored events (or dropping one) is refused; adding one is not."""
    case = _covering_case(referral)
    with storage.open("memory://", principal=Principal.system()) as store:
        store.cases.put(case)
        known = data.draw(st.integers(1, len(referral.history) - 1), label="stored events")
        first = attrs.evolve(referral, history=referral.history[:known])
        stored = store.referrals.put(first)
        grown = store.referrals.put(referral, expected_version=stored.version)
        assert grown.value == referral
        index = data.draw(st.integers(0, len(referral.history) - 1), label="changed event")
        event = referral.history[index]
        changed = attrs.evolve(event, actor=event.actor + "x")
        rewritten = attrs.evolve(
            referral,
            history=(*referral.history[:index], changed, *referral.history[index + 1 :]),
        )
        shorter = attrs.evolve(referral, history=referral.history[:-1])
        for bad in (rewritten, shorter):
            with pytest.raises(ValidationError) as caught:
                store.referrals.put(bad, expected_version=grown.version)
            assert "history" in caught.value.paths
        assert store.referrals.get(referral.id) == grown
        assert REFERRALS.kind == "referral"


@given(referrals())
def test_referrals_survive_json_and_keep_the_table(referral: Referral) -> None:
    assert from_json(to_json(referral), Referral) == referral
    for before, after in zip(referral.history, referral.history[1:], strict=False):
        assert after.at >= before.at
        assert after.at.utcoffset() is not None
        assert after.previous is before.status
        if after.kind is EventKind.TRANSITION:
            assert after.status in TRANSITIONS[before.status]
            assert after.status not in REASON_REQUIRED or after.reason is not None
        else:
            assert after.status is before.status


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_referrals_of_a_case_are_covered_where_they_must_be(data: st.DataObject) -> None:
    case = data.draw(cases(with_consent=True))
    referral = data.draw(referrals(case=case))
    assert referral.case_id == case.id
    for event in referral.history:
        if event.kind is EventKind.TRANSITION and event.status.needs_consent:
            assert case.consent_for(referral.agency_id, referral.agency_kind, event.at.date())
    with storage.open("memory://", principal=Principal.system()) as store:
        store.cases.put(case)
        assert store.referrals.put(referral).value == referral


@settings(max_examples=50)
@given(referral_events(), audit_events(), followup_rules(), followup_policies())
def test_lifecycle_models_survive_json(
    event: ReferralEvent, audit: AuditEvent, rule: FollowUpRule, policy: FollowUpPolicy
) -> None:
    for value, model in (
        (event, ReferralEvent),
        (audit, AuditEvent),
        (rule, FollowUpRule),
        (policy, FollowUpPolicy),
    ):
        assert from_json(to_json(value), model) == value
    assert len({r.status for r in policy.rules}) == len(policy.rules)
    assert not rule.status.ended


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.from_type(Referral),
    st.from_type(ReferralEvent),
    st.from_type(AuditEvent),
    st.from_type(FollowUpPolicy),
    st.from_type(FollowUpRule),
)
def test_the_lifecycle_models_are_registered_for_from_type(
    referral: Referral,
    event: ReferralEvent,
    audit: AuditEvent,
    policy: FollowUpPolicy,
    rule: FollowUpRule,
) -> None:
    assert isinstance(referral, Referral)
    assert isinstance(event, ReferralEvent)
    assert isinstance(audit, AuditEvent)
    assert isinstance(policy, FollowUpPolicy)
    assert isinstance(rule, FollowUpRule)


# -- follow-up ------------------------------------------------------------------------

_OPEN = [status for status in ReferralStatus if not status.ended]


def _tokyo_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(JST).date()


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    referrals(start=dt.datetime(2024, 6, 1, 9, tzinfo=JST), max_events=6),
    calendars(),
    st.just(DEFAULT_POLICY) | followup_policies(),
    st.integers(0, 400),
)
def test_follow_ups_are_due_on_business_days(
    referral: Referral, calendar: BusinessCalendar, policy: FollowUpPolicy, days: int
) -> None:
    """Due on a business day of the calendar the days were counted on: the
    service's, or the office's once the service's has no such day (past its
    reception period); listed exactly when that day has come."""
    case = _covering_case(referral)  # consent never lapses: the policy decides
    at = referral.updated_at + dt.timedelta(days=days)
    due = followup_for(referral, case, at, policy=policy, calendar=calendar)
    rule = policy.rule_for(referral.status)
    if referral.ended or rule is None:
        assert due is None
        return
    start = clock_start(referral, rule)
    assert start is not None
    counted_on = calendar
    try:
        expected = calendar.add_business_days(_tokyo_day(start), rule.business_days)
    except SaihanError:
        counted_on = OFFICE_CALENDAR
        expected = OFFICE_CALENDAR.add_business_days(_tokyo_day(start), rule.business_days)
    assert counted_on.is_business_day(expected)
    if expected > _tokyo_day(at):
        assert due is None
        return
    assert due is not None
    assert due.reason is FollowUpReason.POLICY
    assert due.due_on == expected
    assert counted_on.is_business_day(due.due_on), (due.due_on, calendar)
    assert due.since == start
    assert due.overdue == (due.overdue_days > 0)
    assert due.overdue == (due.due_on < _tokyo_day(at) and due.overdue_days > 0)


def test_the_office_calendar_counts_weekdays_without_holidays() -> None:
    assert OFFICE_CALENDAR.is_business_day(dt.date(2024, 11, 5))  # a Tuesday
    assert not OFFICE_CALENDAR.is_business_day(dt.date(2024, 11, 3))  # a Sunday, and 文化の日
    assert not OFFICE_CALENDAR.is_business_day(dt.date(2024, 11, 4))  # its substitute holiday
    assert not OFFICE_CALENDAR.is_business_day(dt.date(2024, 12, 30))  # the year-end break


@given(referrals(max_events=10), followup_rules())
def test_clock_start_rules(referral: Referral, rule: FollowUpRule) -> None:
    start = clock_start(referral, rule)
    if referral.status is not rule.status:
        assert start is None
        return
    assert start is not None
    entered = referral.entered(rule.status)
    assert entered is not None
    counted = referral.entered(rule.counted_from) if rule.counted_from is not None else None
    base = counted or entered
    assert start >= base
    assert start <= referral.updated_at
    # It is the base or the time of an event that restarts the clock.
    restarts = [
        event.at
        for event in referral.history
        if event.kind is EventKind.FOLLOW_UP
        or (event.previous is _S.ON_HOLD and event.status is not _S.ON_HOLD)
    ]
    assert start == max([base, *[at for at in restarts if at > base]])
    # A follow-up restarts it.
    later = referral.updated_at + dt.timedelta(minutes=1)
    assert clock_start(record_followup(referral, actor="w", at=later), rule) == later


def test_in_progress_is_counted_from_acceptance() -> None:
    rule = DEFAULT_POLICY.rule_for(_S.IN_PROGRESS)
    assert rule is not None
    assert rule.counted_from is _S.ACCEPTED
    made = Referral(
        id="r1",
        case_id="c1",
        service_id="s1",
        agency_id="a1",
        agency_kind="hello_work",
        history=(ReferralEvent(at=_AT, actor="w", status=_S.DRAFT),),
    )
    case = _covering_case(made)
    referral = made
    for hours, status in ((1, _S.REQUESTED), (24, _S.ACCEPTED), (72, _S.IN_PROGRESS)):
        referral = transition(
            referral, status, actor="w", at=_AT + dt.timedelta(hours=hours), case=case
        )
    assert clock_start(referral, rule) == _AT + dt.timedelta(hours=24)
    held = transition(
        referral, _S.ON_HOLD, actor="w", at=_AT + dt.timedelta(days=5), reason="入院", case=case
    )
    back = transition(held, _S.IN_PROGRESS, actor="w", at=_AT + dt.timedelta(days=9), case=case)
    assert clock_start(back, rule) == _AT + dt.timedelta(days=9)  # back from on-hold restarts it


# -- audit paths ------------------------------------------------------------------------

_LEAVES = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3)
_DOCUMENTS = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def _at(document: Any, path: str) -> Any:
    """The value at ``path`` (None when it is not there)."""
    import re

    value = document
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            position = int(index)
            inside = isinstance(value, list) and position < len(value)
            value = value[position] if inside else None
    return value


@given(_DOCUMENTS, _DOCUMENTS)
def test_changed_paths_name_where_documents_differ(before: Any, after: Any) -> None:
    paths = changed_paths(before, after)
    assert (paths == ()) == (before == after)
    assert changed_paths(after, before) == paths or len(paths) > MAX_CHANGED_PATHS
    assert changed_paths(before, before) == ()
    assert len(paths) <= MAX_CHANGED_PATHS + 1
    assert len(set(paths)) == len(paths)
    for path in paths:
        if path and path != "...":
            assert _at(before, path) != _at(after, path) or isinstance(before, dict | list)


@given(st.dictionaries(st.sampled_from(["x", "y"]), _LEAVES), st.text(min_size=1, max_size=8))
def test_changed_paths_never_hold_values(document: dict[str, Any], secret: str) -> None:
    changed = dict(document, summary=secret)
    paths = changed_paths(document, changed)
    assert paths in ((), ("summary",))
    assert all(secret not in path or secret in "summary" for path in paths)


def test_changed_paths_stop_at_the_limit() -> None:
    paths = changed_paths(list(range(MAX_CHANGED_PATHS + 5)), [])
    assert len(paths) == MAX_CHANGED_PATHS + 1
    assert paths[-1] == "..."
    assert paths[0] == "[0]"


@given(audit_events())
def test_audit_events_name_paths_and_statuses_only(event: AuditEvent) -> None:
    document = json.loads(to_json(event))
    assert set(document) <= {f.name for f in attrs.fields(AuditEvent)}
    if event.status_from is not None:
        assert ReferralStatus(event.status_from)
    if event.record_kind == "referral" and event.status_to is not None and event.status_from:
        before, after = ReferralStatus(event.status_from), ReferralStatus(event.status_to)
        assert after is before or after in TRANSITIONS[before]


# -- the state machine, as users run it ---------------------------------------------------

TestLifecycleOnMemory = lifecycle_machine(
    lambda: storage.open("memory://", principal=Principal.system())
).TestCase
TestLifecycleOnMemory.settings = settings(
    max_examples=10,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
