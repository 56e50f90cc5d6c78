"""The referral lifecycle as values: statuses, the transition table, history, consent."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from _cases import JST, RECEIVED, case

from saihan import from_json, to_json
from saihan.errors import ConflictError, ConsentError, IllegalTransitionError, ValidationError
from saihan.referral import (
    ENDED,
    NEEDS_CONSENT,
    TRANSITIONS,
    Consent,
    EventKind,
    Referral,
    ReferralEvent,
    ReferralStatus,
    new_referral,
    record_followup,
    transition,
)

S = ReferralStatus
CONSENT = Consent(given_on=RECEIVED.date(), agency_kinds=frozenset({"welfare_office"}))
LATER = RECEIVED + dt.timedelta(hours=1)


def _draft(**extra: object) -> Referral:
    return new_referral(
        "r-1",
        case(consents=(CONSENT,)),
        service_id="hachioji-welfare-office-public-assistance",
        agency_id="hachioji-welfare-office",
        agency_kind="welfare_office",
        actor="worker-1",
        at=RECEIVED,
        **extra,  # type: ignore[arg-type]
    )


def test_the_statuses_are_fhirs_task_codes() -> None:
    assert [status.value for status in S] == [
        "draft",
        "requested",
        "accepted",
        "rejected",
        "in-progress",
        "on-hold",
        "cancelled",
        "failed",
        "completed",
        "entered-in-error",
    ]


def test_the_transition_table_as_built() -> None:
    assert {
        status.value: sorted(s.value for s in after) for status, after in TRANSITIONS.items()
    } == {
        "draft": ["cancelled", "entered-in-error", "requested"],
        "requested": ["accepted", "cancelled", "entered-in-error", "rejected"],
        "accepted": [
            "cancelled",
            "completed",
            "entered-in-error",
            "failed",
            "in-progress",
            "on-hold",
        ],
        "in-progress": ["cancelled", "completed", "entered-in-error", "failed", "on-hold"],
        "on-hold": ["cancelled", "entered-in-error", "failed", "in-progress"],
        "rejected": [],
        "cancelled": [],
        "failed": [],
        "completed": [],
        "entered-in-error": [],
    }
    assert {status.value for status in ENDED} == {
        "rejected",
        "cancelled",
        "failed",
        "completed",
        "entered-in-error",
    }
    assert all(status.ended for status in ENDED)
    assert {S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD} == NEEDS_CONSENT


def test_a_referral_starts_as_a_draft_with_one_event() -> None:
    referral = _draft(need="welfare")
    assert referral.status is S.DRAFT
    assert referral.created_at == RECEIVED
    assert referral.history == (ReferralEvent(at=RECEIVED, actor="worker-1", status=S.DRAFT),)
    assert referral.need == "welfare"


def test_a_whole_happy_path_records_who_when_why_and_outcome() -> None:
    the_case = case(consents=(CONSENT,))
    referral = _draft()
    referral = transition(referral, "requested", actor="worker-1", at=LATER, case=the_case)
    referral = transition(
        referral, S.ACCEPTED, actor="desk-2", at=LATER + dt.timedelta(days=1), case=the_case
    )
    referral = transition(
        referral,
        S.COMPLETED,
        actor="desk-2",
        at=LATER + dt.timedelta(days=9),
        outcome="public assistance granted",
    )
    assert [event.status for event in referral.history] == [
        S.DRAFT,
        S.REQUESTED,
        S.ACCEPTED,
        S.COMPLETED,
    ]
    assert [event.previous for event in referral.history] == [
        None,
        S.DRAFT,
        S.REQUESTED,
        S.ACCEPTED,
    ]
    assert referral.history[-1].outcome == "public assistance granted"
    assert referral.ended
    assert referral.entered(S.ACCEPTED) == LATER + dt.timedelta(days=1)
    assert referral.entered(S.ON_HOLD) is None


def test_an_illegal_transition_names_both_statuses() -> None:
    with pytest.raises(IllegalTransitionError) as raised:
        transition(_draft(), S.COMPLETED, actor="worker-1", at=LATER)
    assert "from draft to completed" in str(raised.value)
    assert "allowed from there: cancelled, entered-in-error, requested" in str(raised.value)
    assert (raised.value.current, raised.value.wanted) == ("draft", "completed")
    assert isinstance(raised.value, ConflictError)


def test_nothing_leaves_an_ended_status() -> None:
    cancelled = transition(_draft(), S.CANCELLED, actor="worker-1", at=LATER, reason="duplicate")
    for status in S:
        with pytest.raises(IllegalTransitionError, match="cancelled is an ended status"):
            transition(cancelled, status, actor="worker-1", at=LATER, reason="x")


def test_some_statuses_need_a_reason() -> None:
    with pytest.raises(ValidationError) as raised:
        transition(_draft(), S.CANCELLED, actor="worker-1", at=LATER)
    assert raised.value.paths == ["reason"]


def test_requesting_needs_consent_covering_the_agency() -> None:
    without = case()
    with pytest.raises(ConsentError, match="no consent in force on 2024-11-05 that covers"):
        transition(_draft(), S.REQUESTED, actor="worker-1", at=LATER, case=without)
    with pytest.raises(ConsentError, match="pass the case"):
        transition(_draft(), S.REQUESTED, actor="worker-1", at=LATER)
    withdrawn = case(consents=(attrs.evolve(CONSENT, withdrawn_on=RECEIVED.date()),))
    with pytest.raises(ConsentError):
        transition(_draft(), S.REQUESTED, actor="worker-1", at=LATER, case=withdrawn)
    other_kind = case(consents=(Consent(given_on=RECEIVED.date(), agency_ids=frozenset({"x"})),))
    with pytest.raises(ConsentError):
        transition(_draft(), S.REQUESTED, actor="worker-1", at=LATER, case=other_kind)


def test_consent_is_checked_on_the_day_of_the_event() -> None:
    short = case(consents=(attrs.evolve(CONSENT, until=RECEIVED.date()),))
    requested = transition(_draft(), S.REQUESTED, actor="w", at=LATER, case=short)
    next_day = RECEIVED + dt.timedelta(days=1)
    with pytest.raises(ConsentError, match="2024-11-06"):
        transition(requested, S.ACCEPTED, actor="w", at=next_day, case=short)


def test_a_referral_made_as_requested_checks_consent_at_once() -> None:
    with pytest.raises(ConsentError):
        new_referral(
            "r-2",
            case(),
            service_id="s",
            agency_id="a",
            agency_kind="welfare_office",
            actor="w",
            at=RECEIVED,
            status="requested",
        )
    made = _draft(status="requested")
    assert made.status is S.REQUESTED


def test_a_referral_cannot_start_in_another_status_or_on_a_closed_case() -> None:
    with pytest.raises(ValidationError) as raised:
        _draft(status="accepted")
    assert raised.value.paths == ["status"]
    with pytest.raises(ValidationError) as raised:
        _draft(status="nonsense")
    assert raised.value.paths == ["status"]
    closed = case(consents=(CONSENT,), closed_at=LATER)
    with pytest.raises(ConflictError, match="closed"):
        new_referral(
            "r-3",
            closed,
            service_id="s",
            agency_id="a",
            agency_kind="k",
            actor="w",
            at=LATER,
        )


def test_events_cannot_go_back_in_time() -> None:
    with pytest.raises(ValidationError) as raised:
        transition(_draft(), S.CANCELLED, actor="w", at=RECEIVED - dt.timedelta(1), reason="x")
    assert raised.value.paths == ["at"]


def test_follow_ups_keep_the_status_and_are_refused_once_ended() -> None:
    followed = record_followup(_draft(), actor="w", at=LATER, outcome="called the desk")
    assert followed.status is S.DRAFT
    assert followed.history[-1].kind is EventKind.FOLLOW_UP
    assert followed.last_followup() == LATER
    assert followed.entered(S.DRAFT) == RECEIVED  # a follow-up is not a new entry
    ended = transition(followed, S.CANCELLED, actor="w", at=LATER, reason="x")
    with pytest.raises(ConflictError, match="nothing to follow up"):
        record_followup(ended, actor="w", at=LATER)


def test_a_history_is_checked_as_a_whole() -> None:
    event = ReferralEvent(at=RECEIVED, actor="w", status=S.DRAFT)
    bad = [
        event,
        ReferralEvent(
            at=RECEIVED - dt.timedelta(1), actor="w", status=S.ACCEPTED, previous=S.DRAFT
        ),
        ReferralEvent(at=RECEIVED, actor="w", status=S.CANCELLED, previous=S.REQUESTED),
    ]
    with pytest.raises(ValidationError) as raised:
        Referral(
            id="r",
            case_id="c",
            service_id="s",
            agency_id="a",
            agency_kind="k",
            history=tuple(bad),
        )
    assert raised.value.paths == [
        "history[1].status",
        "history[1].at",
        "history[2].previous",
        "history[2].reason",
    ]
    with pytest.raises(ValidationError) as raised:
        Referral(id="r", case_id="c", service_id="s", agency_id="a", agency_kind="k", history=())
    assert raised.value.paths == ["history"]


def test_events_need_aware_times_and_ids() -> None:
    with pytest.raises(ValidationError) as raised:
        ReferralEvent(at=dt.datetime(2024, 11, 5, 10), actor="Not An Id", status=S.DRAFT)
    assert raised.value.paths == ["at", "actor"]
    with pytest.raises(ValidationError) as raised:
        ReferralEvent(
            at=RECEIVED, actor="w", status=S.DRAFT, previous=S.REQUESTED, kind=EventKind.FOLLOW_UP
        )
    assert raised.value.paths == ["previous"]


def test_reasons_and_outcomes_stay_out_of_repr_and_round_trip_in_json() -> None:
    referral = transition(_draft(), S.CANCELLED, actor="w", at=LATER, reason="moved to Osaka")
    assert "Osaka" not in repr(referral)
    assert from_json(to_json(referral), Referral) == referral
    assert "Osaka" in to_json(referral)  # written only when the caller serialises it


def test_a_referral_document_with_a_bad_field_names_its_path() -> None:
    data = to_json(_draft()).replace('"draft"', '"drafted"')
    with pytest.raises(ValidationError) as raised:
        from_json(data, Referral)
    assert raised.value.paths == ["history[0].status"]


def test_times_in_other_offsets_compare_as_moments() -> None:
    utc_earlier = dt.datetime(2024, 11, 5, 2, 0, tzinfo=dt.UTC)  # 11:00 in Tokyo, after RECEIVED
    referral = transition(_draft(), S.CANCELLED, actor="w", at=utc_earlier, reason="x")
    assert referral.updated_at == dt.datetime(2024, 11, 5, 11, 0, tzinfo=JST)
