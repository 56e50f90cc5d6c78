"""Working a case in a store: referrals, consent, closing, and the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator

import attrs
import pytest

import saihan.storage
from saihan.access import Principal
from saihan.casework import (
    close_case,
    create_referral,
    follow_up,
    give_consent,
    open_case,
    reopen_case,
    transition_referral,
    update_case,
    withdraw_consent,
)
from saihan.directory import sample_directory
from saihan.errors import (
    AccessDenied,
    ConflictError,
    ConsentError,
    IllegalTransitionError,
    NotFoundError,
    ValidationError,
)
from saihan.referral import (
    AuditAction,
    AuditEvent,
    Consent,
    ConsultationCase,
    ReferralStatus,
    load_case,
)
from saihan.storage import Repository, Store, memory
from saihan.storage.referral_records import AUDIT_EVENTS, audit_event_id

S = ReferralStatus
CASE = load_case("examples/cases/elderly-man-hachioji.json")
AT = CASE.received_at
WELFARE = "hachioji-welfare-office-public-assistance"  # a welfare_office: consent covers it
HELLO_WORK = "hellowork-hachioji-offender-employment"  # hello_work: not covered


def later(**delta: float) -> dt.datetime:
    return AT + dt.timedelta(**delta)


@pytest.fixture
def store() -> Iterator[Store]:
    name = f"workflow-{uuid.uuid4().hex}"
    with saihan.storage.open(f"memory://{name}", principal=Principal.system()) as opened:
        opened.import_directory(sample_directory())
        open_case(opened, CASE, actor="worker-1", at=AT)
        yield opened
    memory.forget(name)


def _everything(store: Store) -> tuple[object, ...]:
    return (store.cases.list(), store.referrals.list(), store.audit.list())


def test_a_referral_is_made_from_the_stores_service_and_agency(store: Store) -> None:
    referral = create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1))
    assert referral.id == f"{CASE.id}.{WELFARE}.1"
    assert (referral.agency_id, referral.agency_kind) == (
        "hachioji-welfare-office",
        "welfare_office",
    )
    assert referral.status is S.DRAFT
    again = create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1))
    assert again.id == f"{CASE.id}.{WELFARE}.2"
    assert [item.value.id for item in store.referrals.for_case(CASE.id)] == [referral.id, again.id]


def test_the_whole_loop_ends_with_the_case_closed(store: Store) -> None:
    referral = create_referral(
        store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1), request=True, need="welfare"
    )
    assert referral.status is S.REQUESTED
    transition_referral(store, referral.id, "accepted", actor="desk-3", at=later(days=1))
    with pytest.raises(ConflictError, match="cannot be closed while referrals are open"):
        close_case(store, CASE.id, actor="worker-1", at=later(days=2))
    done = transition_referral(
        store, referral.id, "completed", actor="desk-3", at=later(days=8), outcome="granted"
    )
    assert done.ended
    closed = close_case(store, CASE.id, actor="worker-1", at=later(days=9))
    assert closed.closed_at == later(days=9)
    with pytest.raises(ConflictError, match="was closed"):
        close_case(store, CASE.id, actor="worker-1", at=later(days=9))
    with pytest.raises(ConflictError, match="closed"):
        create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(days=10))
    opened = reopen_case(store, CASE.id, actor="worker-1", at=later(days=11))
    assert opened.closed_at is None
    actions = [(event.record_kind, event.action) for event in store.audit.list()]
    assert actions == [
        ("case", AuditAction.CREATED),
        ("referral", AuditAction.CREATED),
        ("referral", AuditAction.STATUS_CHANGED),
        ("referral", AuditAction.STATUS_CHANGED),
        ("case", AuditAction.CLOSED),
        ("case", AuditAction.REOPENED),
    ]


def test_requesting_without_consent_is_refused_and_changes_nothing(store: Store) -> None:
    before = _everything(store)
    with pytest.raises(ConsentError, match="hellowork-hachioji"):
        create_referral(
            store, CASE.id, HELLO_WORK, actor="worker-1", at=later(hours=1), request=True
        )
    assert _everything(store) == before
    draft = create_referral(store, CASE.id, HELLO_WORK, actor="worker-1", at=later(hours=1))
    before = _everything(store)
    with pytest.raises(ConsentError):
        transition_referral(store, draft.id, "requested", actor="worker-1", at=later(hours=2))
    assert _everything(store) == before
    give_consent(
        store,
        CASE.id,
        Consent(given_on=later(days=1).date(), agency_ids=frozenset({"hellowork-hachioji"})),
        actor="worker-1",
        at=later(days=1),
    )
    requested = transition_referral(store, draft.id, "requested", actor="w", at=later(days=1))
    assert requested.status is S.REQUESTED
    assert store.audit.list()[-2].action is AuditAction.CONSENT_GIVEN


def test_an_illegal_transition_names_both_statuses_and_changes_nothing(store: Store) -> None:
    draft = create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1))
    before = _everything(store)
    with pytest.raises(IllegalTransitionError, match="from draft to completed"):
        transition_referral(store, draft.id, "completed", actor="worker-1", at=later(hours=2))
    assert _everything(store) == before


def test_a_stale_version_conflicts(store: Store) -> None:
    draft = create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1))
    version = store.referrals.get(draft.id).version
    transition_referral(store, draft.id, "requested", actor="a", at=later(hours=2))
    with pytest.raises(ConflictError, match="someone else changed it"):
        transition_referral(
            store,
            draft.id,
            "cancelled",
            actor="b",
            at=later(hours=3),
            reason="x",
            expected_version=version,
        )


def test_withdrawing_consent_cancels_the_referrals_it_covered(store: Store) -> None:
    welfare = create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1), request=True)
    settlement = create_referral(
        store, CASE.id, "tokyo-community-settlement-coordination", actor="w", at=later(hours=1)
    )
    other = create_referral(store, CASE.id, HELLO_WORK, actor="w", at=later(hours=1))
    cancelled = withdraw_consent(store, CASE.id, 0, actor="worker-1", at=later(days=3))
    assert {referral.id for referral in cancelled} == {welfare.id, settlement.id}
    for referral in cancelled:
        assert referral.status is S.CANCELLED
        assert referral.history[-1].reason == "consent withdrawn"
        assert referral.history[-1].actor == "worker-1"
    assert store.referrals.get(other.id).value.status is S.DRAFT  # never covered by it
    stored = store.cases.get(CASE.id).value
    assert stored.consents[0].withdrawn_on == later(days=3).date()
    assert store.audit.list()[-1].action is AuditAction.CONSENT_WITHDRAWN
    assert store.audit.list()[-1].changed == ("consents[0].withdrawn_on",)
    with pytest.raises(ValidationError) as raised:
        withdraw_consent(store, CASE.id, 0, actor="worker-1", at=later(days=4))
    assert raised.value.paths == ["index"]
    with pytest.raises(ValidationError) as raised:
        withdraw_consent(store, CASE.id, 5, actor="worker-1", at=later(days=4))
    assert raised.value.paths == ["index"]


def test_another_consent_still_covering_keeps_the_referral(store: Store) -> None:
    give_consent(
        store,
        CASE.id,
        Consent(given_on=AT.date(), agency_ids=frozenset({"hachioji-welfare-office"})),
        actor="w",
        at=later(minutes=5),
    )
    welfare = create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1), request=True)
    assert withdraw_consent(store, CASE.id, 0, actor="w", at=later(days=3)) == []
    assert store.referrals.get(welfare.id).value.status is S.REQUESTED


def test_dropping_consent_by_a_plain_update_is_refused(store: Store) -> None:
    create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1), request=True)
    stored = store.cases.get(CASE.id)
    no_consent = attrs.evolve(stored.value, consents=())
    with pytest.raises(ValidationError) as raised:
        update_case(store, no_consent, actor="w", expected_version=stored.version, at=later(days=1))
    assert raised.value.paths == ["consents"]
    assert "withdraw_consent" in str(raised.value)
    assert store.cases.get(CASE.id) == stored


def test_the_store_refuses_a_rewritten_history(store: Store) -> None:
    draft = create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1))
    stored = store.referrals.get(draft.id)
    forged = attrs.evolve(draft, history=(attrs.evolve(draft.history[0], actor="someone-else"),))
    with pytest.raises(ValidationError) as raised:
        store.referrals.put(forged, expected_version=stored.version)
    assert raised.value.paths == ["history"]
    moved = attrs.evolve(draft, service_id=HELLO_WORK)
    with pytest.raises(ValidationError) as raised:
        store.referrals.put(moved, expected_version=stored.version)
    assert raised.value.paths == ["service_id"]


def test_a_case_with_referrals_cannot_be_deleted(store: Store) -> None:
    create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1))
    with pytest.raises(ConflictError, match="still referred to"):
        store.cases.delete(CASE.id, expected_version=store.cases.get(CASE.id).version)


def test_follow_ups_are_recorded_and_audited(store: Store) -> None:
    draft = create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1))
    followed = follow_up(store, draft.id, actor="w", at=later(days=6), outcome="left a message")
    assert followed.last_followup() == later(days=6)
    event = store.audit.list()[-1]
    assert (event.action, event.changed) == (AuditAction.FOLLOWED_UP, ("history[1]",))


def test_missing_records_and_bad_arguments(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no service has id 'nowhere'"):
        create_referral(store, CASE.id, "nowhere", actor="w", at=later(hours=1))
    with pytest.raises(NotFoundError):
        create_referral(store, "no-such-case", WELFARE, actor="w", at=later(hours=1))
    with pytest.raises(ValidationError) as raised:
        create_referral(store, CASE.id, WELFARE, actor="Not An Id", at=later(hours=1))
    assert raised.value.paths == ["actor"]
    with pytest.raises(ValidationError) as raised:
        create_referral(store, CASE.id, WELFARE, actor="w", at=dt.datetime(2024, 11, 5))
    assert raised.value.paths == ["at"]
    with pytest.raises(ValidationError) as raised:
        create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1), referred_by="x")
    assert raised.value.paths == ["referred_by"]
    with pytest.raises(ValidationError) as raised:
        create_referral("not a store", CASE.id, WELFARE, actor="w")  # type: ignore[arg-type]
    assert raised.value.paths == ["store"]
    with pytest.raises(ValidationError) as raised:
        transition_referral(store, f"{CASE.id}.{WELFARE}.1", "nonsense", actor="w")
    assert raised.value.paths == ["to"]
    with pytest.raises(NotFoundError):
        transition_referral(store, "missing", "requested", actor="w")


def test_audit_events_record_paths_never_sensitive_values(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stored = store.cases.get(CASE.id)
    secret = "SECRET-SUMMARY-TEXT"
    update_case(
        store,
        attrs.evolve(stored.value, summary=secret),
        actor="worker-1",
        expected_version=stored.version,
        at=later(hours=2),
    )
    referral = create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=3))
    transition_referral(
        store, referral.id, "cancelled", actor="w", at=later(hours=4), reason="SECRET-REASON"
    )
    events = store.audit.list()
    assert events[1].action is AuditAction.UPDATED
    assert events[1].changed == ("summary",)
    assert (events[-1].status_from, events[-1].status_to) == ("draft", "cancelled")
    written = json.dumps([attrs.asdict(event) for event in events], default=str)
    assert "SECRET" not in written
    assert "SECRET" not in caplog.text
    assert "SAMPLE" not in written  # the case's own summary


def test_audit_events_cannot_be_written_changed_or_deleted(store: Store) -> None:
    event = store.audit.list()[0]
    with pytest.raises(ValidationError, match="'audit_event' is internal"):
        store.repository(AUDIT_EVENTS)
    repository = Repository(store, AUDIT_EVENTS)  # made directly: reads only
    with pytest.raises(ConflictError, match="written by the store itself"):
        repository.put(attrs.evolve(event, actor="someone-else"), expected_version=1)
    with pytest.raises(ConflictError):
        repository.put(attrs.evolve(event, id="e999"))
    with pytest.raises(ConflictError):
        repository.delete(event.id, expected_version=saihan.storage.ANY_VERSION)
    assert store.audit.list()[0] == event
    assert not hasattr(store.audit, "put")
    assert not hasattr(store.audit, "delete")


def test_direct_writes_are_audited_as_the_stores_principal(store: Store) -> None:
    stored = store.cases.get(CASE.id)
    store.cases.put(attrs.evolve(stored.value, worker="worker-9"), expected_version=stored.version)
    event = store.audit.list()[-1]
    assert (event.actor, event.roles, event.changed) == ("system", ("system",), ("worker",))
    with store.acting_as("admin-1", at=later(days=1)):
        store.cases.delete(CASE.id, expected_version=store.cases.get(CASE.id).version)
    deleted = store.audit.list()[-1]
    assert (deleted.actor, deleted.action, deleted.version) == (
        "admin-1",
        AuditAction.DELETED,
        None,
    )
    assert deleted.id.endswith("-deleted")


def test_audit_events_roll_back_with_their_change(store: Store) -> None:
    count = store.audit.count()

    def block() -> None:
        with store.transaction():
            create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1))
            raise RuntimeError("undo")

    with pytest.raises(RuntimeError):
        block()
    assert store.audit.count() == count
    assert store.referrals.count() == 0


def test_the_audit_log_is_queried_by_record_actor_and_day(store: Store) -> None:
    referral = create_referral(store, CASE.id, WELFARE, actor="desk-9", at=later(days=2))
    assert [e.action for e in store.audit.for_record("referral", referral.id)] == [
        AuditAction.CREATED
    ]
    assert [e.record_id for e in store.audit.by_actor("desk-9")] == [referral.id]
    day = later(days=2).astimezone(dt.UTC).date()
    assert [e.record_id for e in store.audit.on_days(day, day)] == [referral.id]
    assert store.audit.on_days(day, day - dt.timedelta(1)) == []
    assert isinstance(store.audit.get(store.audit.list()[0].id), AuditEvent)


def test_acting_as_checks_its_arguments(store: Store) -> None:
    with pytest.raises(ValidationError) as raised, store.acting_as("Bad Actor"):
        pass
    assert raised.value.paths == ["actor"]
    with pytest.raises(ValidationError) as raised, store.acting_as("w", at=dt.datetime(2024, 1, 1)):
        pass
    assert raised.value.paths == ["at"]


def test_a_closed_case_must_have_no_open_referral_even_when_put_directly(store: Store) -> None:
    create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1))
    stored = store.cases.get(CASE.id)
    closed: ConsultationCase = attrs.evolve(stored.value, closed_at=later(days=1))
    with pytest.raises(ValidationError) as raised:
        store.cases.put(closed, expected_version=stored.version)
    assert raised.value.paths == ["closed_at"]


def test_the_integrity_check_finds_a_change_without_its_audit_event(store: Store) -> None:
    referral = create_referral(store, CASE.id, WELFARE, actor="w", at=later(hours=1))
    assert store.integrity_check() == []
    version = store.referrals.get(referral.id).version
    event_id = audit_event_id(version)
    # Delete the event behind the store's back, as a tool with direct access could.
    tx = store.engine.begin(write=True)
    tx.prepare_write()
    stored = tx.get(AUDIT_EVENTS.kind, event_id)
    assert stored is not None
    tx.delete(AUDIT_EVENTS.kind, event_id, previous=stored.version)
    tx.commit()
    problems = store.integrity_check()
    assert f"referral {referral.id!r} version {version} has no audit event" in problems
    # and the chain shows it too: the newest event is gone
    assert any("the newest events were deleted" in problem for problem in problems)


# -- arguments checked against the case and the store ------------------------------------


def test_a_referral_names_a_need_of_the_case_and_a_stored_plan(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1), need="houses")
    assert caught.value.paths == ["need"]
    with pytest.raises(ValidationError) as caught:
        create_referral(
            store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1), plan_id="no-such-plan"
        )
    assert caught.value.paths == ["plan_id"]
    assert store.referrals.list() == []
    made = create_referral(
        store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1), need=CASE.need_codes[0]
    )
    assert made.need == CASE.need_codes[0]


def test_a_consent_names_known_agency_kinds(store: Store) -> None:
    consent = Consent(given_on=AT.date(), agency_kinds=frozenset({"welfare_offise"}))
    with pytest.raises(ValidationError) as caught:
        give_consent(store, CASE.id, consent, actor="worker-1", at=later(hours=1))
    assert caught.value.paths == ["consent.agency_kinds"]
    assert store.cases.get(CASE.id).value.consents == CASE.consents


def test_a_consent_withdrawal_cannot_be_undone_through_update_case(store: Store) -> None:
    withdraw_consent(store, CASE.id, 0, actor="worker-1", at=later(days=1))
    stored = store.cases.get(CASE.id)
    undone = attrs.evolve(
        stored.value,
        consents=(
            attrs.evolve(stored.value.consents[0], withdrawn_on=None),
            *stored.value.consents[1:],
        ),
    )
    events = store.audit.count()
    with pytest.raises(ValidationError) as caught:
        update_case(store, undone, actor="worker-1", expected_version=stored.version)
    assert caught.value.paths == ["consents[0].withdrawn_on"]
    assert store.audit.count() == events


# -- principals ----------------------------------------------------------------------------

HACHIOJI_OFFICER = Principal(id="worker-1", municipalities={"132012"}, roles={"municipal-officer"})
SHINJUKU_OFFICER = Principal(id="worker-9", municipalities={"131041"}, roles={"municipal-officer"})


def test_operations_act_as_the_principal_given(store: Store) -> None:
    made = create_referral(store, CASE.id, WELFARE, actor=HACHIOJI_OFFICER, at=later(hours=1))
    assert made.history[0].actor == "worker-1"
    for attempt in (
        lambda: create_referral(store, CASE.id, WELFARE, actor=SHINJUKU_OFFICER),
        lambda: transition_referral(store, made.id, "cancelled", actor=SHINJUKU_OFFICER),
        lambda: follow_up(store, made.id, actor=SHINJUKU_OFFICER),
        lambda: close_case(store, CASE.id, actor=SHINJUKU_OFFICER),
        lambda: give_consent(
            store, CASE.id, CASE.consents[0], actor=SHINJUKU_OFFICER, at=later(hours=2)
        ),
    ):
        before = store.audit.count()
        with pytest.raises(AccessDenied, match="worker-9"):
            attempt()
        denied = store.audit.list()[before:]
        assert [(e.action, e.actor) for e in denied] == [(AuditAction.ACCESS_DENIED, "worker-9")]
    with store.acting_as(SHINJUKU_OFFICER):
        assert store.referrals.list() == []
        assert store.cases.count() == 0


def test_a_worker_may_name_only_themself(store: Store) -> None:
    with store.acting_as(HACHIOJI_OFFICER), pytest.raises(AccessDenied, match="cannot act as"):
        create_referral(store, CASE.id, WELFARE, actor="someone-else")


def test_a_shared_case_opens_to_the_worker_it_names(store: Store) -> None:
    stored = store.cases.get(CASE.id)
    update_case(
        store,
        attrs.evolve(stored.value, shared_with=frozenset({"worker-9"})),
        actor="worker-1",
        expected_version=stored.version,
    )
    assert store.audit.list()[-1].changed == ("shared_with",)
    with store.acting_as(SHINJUKU_OFFICER):
        assert [item.value.id for item in store.cases.list()] == [CASE.id]
    made = create_referral(store, CASE.id, WELFARE, actor=SHINJUKU_OFFICER, at=later(hours=1))
    assert made.history[0].actor == "worker-9"


def test_follow_up_without_a_time_under_contention_is_a_conflict(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker's follow-up lands between our read and our write: a conflict, never
    a complaint about the time we did not give."""
    made = create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1))
    real_get = store.referrals.get
    raced: list[bool] = []

    def get_then_race(id: str) -> object:
        found = real_get(id)
        if not raced:
            raced.append(True)
            with store.acting_as("worker-2"):
                follow_up(store, id, actor="worker-2", at=dt.datetime.now(dt.UTC))
        return found

    monkeypatch.setattr(store.referrals, "get", get_then_race)
    with pytest.raises(ConflictError):
        follow_up(store, made.id, actor="worker-1")


def test_follow_up_without_a_time_reads_the_clock_after_the_referral(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker's follow-up committed just before ours reads the referral: ours
    comes after it (the clock was read before the referral, and refused, before)."""
    made = create_referral(store, CASE.id, WELFARE, actor="worker-1", at=later(hours=1))
    real_get = store.referrals.get

    def race_then_get(id: str) -> object:
        monkeypatch.setattr(store.referrals, "get", real_get)
        follow_up(store, id, actor="worker-2", at=dt.datetime.now(dt.UTC))
        return real_get(id)

    monkeypatch.setattr(store.referrals, "get", race_then_get)
    done = follow_up(store, made.id, actor="worker-1")
    assert [event.actor for event in done.history[1:]] == ["worker-2", "worker-1"]
