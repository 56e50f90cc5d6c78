"""Consent refused, in a store: recorded through the principal, audited, and told
apart from "no consent yet" wherever information would go."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import attrs
import pytest

import saihan.storage
from saihan.access import Principal
from saihan.casework import (
    create_referral,
    due_followups,
    give_consent,
    open_case,
    refuse_consent,
    transition_referral,
    update_case,
    withdraw_consent,
)
from saihan.directory import ConsentDecision, sample_directory
from saihan.errors import (
    AccessDenied,
    ConflictError,
    ConsentError,
    ConsentRefusedError,
    ValidationError,
)
from saihan.referral import AuditAction, Consent, load_case
from saihan.referral.lifecycle import check_consent, new_referral
from saihan.storage import Store, memory

MOTHER = load_case("examples/cases/mother-son-in-prison.json")
AT = MOTHER.received_at
WELFARE = "hachioji-welfare-office-public-assistance"  # a welfare_office: she refused those
HELLO_WORK = "hellowork-hachioji-offender-employment"  # hello_work: never asked


def later(**delta: float) -> dt.datetime:
    return AT + dt.timedelta(**delta)


@pytest.fixture
def store() -> Iterator[Store]:
    name = f"refusals-{uuid.uuid4().hex}"
    with saihan.storage.open(f"memory://{name}", principal=Principal.system()) as opened:
        opened.import_directory(sample_directory())
        open_case(opened, MOTHER, actor="worker-1", at=AT)
        yield opened
    memory.forget(name)


def _everything(store: Store) -> tuple[object, ...]:
    return (store.cases.list(), store.referrals.list(), store.audit.list())


def test_a_refused_agency_is_refused_with_its_own_error(store: Store) -> None:
    before = _everything(store)
    with pytest.raises(ConsentRefusedError, match="refused on 2024-11-09") as refused:
        create_referral(
            store, MOTHER.id, WELFARE, actor="worker-1", at=later(hours=1), request=True
        )
    assert "hachioji-welfare-office" in str(refused.value)
    assert "no consent in force" not in str(refused.value)
    assert _everything(store) == before
    with pytest.raises(ConsentError, match="no consent in force") as missing:
        create_referral(
            store, MOTHER.id, HELLO_WORK, actor="worker-1", at=later(hours=1), request=True
        )
    assert not isinstance(missing.value, ConsentRefusedError)
    assert _everything(store) == before


def test_a_draft_to_a_refused_agency_cannot_be_requested(store: Store) -> None:
    draft = create_referral(store, MOTHER.id, WELFARE, actor="worker-1", at=later(hours=1))
    with pytest.raises(ConsentRefusedError):
        transition_referral(store, draft.id, "requested", actor="worker-1", at=later(hours=2))


def test_check_consent_tells_a_refusal_from_no_consent() -> None:
    referral = new_referral(
        "r-1",
        MOTHER,
        service_id=WELFARE,
        agency_id="hachioji-welfare-office",
        agency_kind="welfare_office",
        actor="worker-1",
        at=later(hours=1),
    )
    with pytest.raises(ConsentRefusedError):
        check_consent(MOTHER, referral, MOTHER.received_on)
    before = MOTHER.received_on - dt.timedelta(days=1)  # not yet asked that day
    with pytest.raises(ConsentError) as caught:
        check_consent(MOTHER, referral, before)
    assert not isinstance(caught.value, ConsentRefusedError)


def test_refuse_consent_records_an_audited_refusal(store: Store) -> None:
    case = refuse_consent(
        store,
        MOTHER.id,
        agency_kinds=["hello_work"],
        agency_ids=["corrework-tokyo"],
        actor="worker-1",
        at=later(days=1),
    )
    refusal = case.consents[-1]
    assert refusal.decision is ConsentDecision.REFUSED
    assert refusal.agency_kinds == {"hello_work"}
    assert refusal.agency_ids == {"corrework-tokyo"}
    assert refusal.given_on == dt.date(2024, 11, 10)
    assert store.cases.get(MOTHER.id).value == case
    event = store.audit.list()[-1]
    assert (event.record_kind, event.record_id) == ("case", MOTHER.id)
    assert event.action is AuditAction.CONSENT_REFUSED
    assert event.actor == "worker-1"
    assert f"consents[{len(case.consents) - 1}]" in event.changed
    with pytest.raises(ConsentRefusedError):
        create_referral(store, MOTHER.id, HELLO_WORK, actor="w", at=later(days=1), request=True)


def test_the_refusals_day_is_the_persons_day(store: Store) -> None:
    # 16:00 UTC on 9 Nov is 01:00 on 10 Nov in Tokyo, the case's zone.
    moment = dt.datetime(2024, 11, 9, 16, 0, tzinfo=dt.UTC)
    case = refuse_consent(store, MOTHER.id, agency_kinds=["hello_work"], actor="w", at=moment)
    assert case.consents[-1].given_on == dt.date(2024, 11, 10)
    given = refuse_consent(
        store, MOTHER.id, agency_kinds=["bbs"], actor="w", at=moment, on=dt.date(2024, 11, 9)
    )
    assert given.consents[-1].given_on == dt.date(2024, 11, 9)


def test_a_refusal_needs_names_and_known_kinds(store: Store) -> None:
    before = _everything(store)
    with pytest.raises(ValidationError) as caught:
        refuse_consent(store, MOTHER.id, actor="w", at=later(days=1))
    assert caught.value.paths == ["agency_ids"]
    with pytest.raises(ValidationError) as caught:
        refuse_consent(store, MOTHER.id, agency_kinds=["no-such-kind"], actor="w", at=later(days=1))
    assert caught.value.paths == ["agency_kinds"]
    with pytest.raises(ValidationError) as caught:
        refuse_consent(store, MOTHER.id, agency_ids=["Not An Id"], actor="w", at=later(days=1))
    assert caught.value.paths == ["agency_ids[0]"]
    with pytest.raises(ValidationError) as caught:
        refuse_consent(store, MOTHER.id, agency_kinds="bbs", actor="w", at=later(days=1))
    assert caught.value.paths == ["agency_kinds"]
    assert _everything(store) == before


def test_a_consent_in_force_must_be_withdrawn_before_refusing(store: Store) -> None:
    before = _everything(store)
    with pytest.raises(ConflictError, match="withdraw it with withdraw_consent"):
        refuse_consent(
            store, MOTHER.id, agency_kinds=["probation_office"], actor="w", at=later(days=1)
        )
    assert _everything(store) == before
    withdraw_consent(store, MOTHER.id, 0, actor="w", at=later(days=1))
    case = refuse_consent(
        store, MOTHER.id, agency_kinds=["probation_office"], actor="w", at=later(days=1)
    )
    assert case.consents[-1].refused


def test_give_and_withdraw_consent_leave_refusals_alone(store: Store) -> None:
    before = _everything(store)
    refusal = Consent(
        given_on=MOTHER.received_on,
        agency_kinds=frozenset({"bbs"}),
        decision=ConsentDecision.REFUSED,
    )
    with pytest.raises(ValidationError) as caught:
        give_consent(store, MOTHER.id, refusal, actor="w", at=later(days=1))
    assert caught.value.paths == ["consent.decision"]
    index = next(i for i, consent in enumerate(MOTHER.consents) if consent.refused)
    with pytest.raises(ValidationError, match="is a refusal") as caught:
        withdraw_consent(store, MOTHER.id, index, actor="w", at=later(days=1))
    assert caught.value.paths == ["index"]
    assert _everything(store) == before


def test_a_consent_given_later_lifts_the_refusal(store: Store) -> None:
    day = later(days=3)
    give_consent(
        store,
        MOTHER.id,
        Consent(given_on=day.date(), agency_ids=frozenset({"hachioji-welfare-office"})),
        actor="worker-1",
        at=day,
    )
    assert store.audit.list()[-1].action is AuditAction.CONSENT_GIVEN
    referral = create_referral(store, MOTHER.id, WELFARE, actor="worker-1", at=day, request=True)
    assert referral.status.value == "requested"


def test_a_consent_dated_over_a_refusal_is_refused(store: Store) -> None:
    before = _everything(store)
    backdated = Consent(
        given_on=MOTHER.received_on - dt.timedelta(days=5),
        agency_kinds=frozenset({"welfare_office"}),
    )
    with pytest.raises(ValidationError, match="withdraw consent"):
        give_consent(store, MOTHER.id, backdated, actor="w", at=later(days=1))
    assert _everything(store) == before


MUSASHINO_OFFICER = Principal(id="worker-3", municipalities={"132039"}, roles={"municipal-officer"})
SHINJUKU_OFFICER = Principal(id="worker-9", municipalities={"131041"}, roles={"municipal-officer"})


def test_refusing_goes_through_the_principal(store: Store) -> None:
    before = store.cases.get(MOTHER.id)
    events = store.audit.count()
    with pytest.raises(AccessDenied, match="worker-9"):
        refuse_consent(
            store, MOTHER.id, agency_kinds=["bbs"], actor=SHINJUKU_OFFICER, at=later(days=1)
        )
    denied = store.audit.list()[events:]
    assert [(e.action, e.actor) for e in denied] == [(AuditAction.ACCESS_DENIED, "worker-9")]
    assert store.cases.get(MOTHER.id) == before
    case = refuse_consent(
        store, MOTHER.id, agency_kinds=["bbs"], actor=MUSASHINO_OFFICER, at=later(days=1)
    )
    assert case.consents[-1].refused
    last = store.audit.list()[-1]
    assert (last.action, last.actor) == (AuditAction.CONSENT_REFUSED, "worker-3")


def test_a_withdrawn_then_refused_agency_is_no_longer_referred(store: Store) -> None:
    referral = create_referral(
        store,
        MOTHER.id,
        "tokyo-probation-office-family-meeting",
        actor="worker-1",
        at=later(hours=1),
        request=True,
    )
    [cancelled] = withdraw_consent(store, MOTHER.id, 0, actor="w", at=later(days=2))
    assert cancelled.id == referral.id
    refuse_consent(store, MOTHER.id, agency_kinds=["probation_office"], actor="w", at=later(days=2))
    with pytest.raises(ConsentRefusedError, match="refused on 2024-11-11"):
        create_referral(
            store,
            MOTHER.id,
            "tokyo-probation-office-family-meeting",
            actor="worker-1",
            at=later(days=3),
            request=True,
        )
    assert due_followups(store, later(days=3)) == []


def test_a_recorded_decision_cannot_be_changed(store: Store) -> None:
    stored = store.cases.get(MOTHER.id)
    index = next(i for i, consent in enumerate(MOTHER.consents) if consent.refused)
    consents = list(stored.value.consents)
    consents[index] = attrs.evolve(consents[index], decision=ConsentDecision.GIVEN)
    before = _everything(store)
    with pytest.raises(ValidationError) as caught:
        update_case(
            store,
            attrs.evolve(stored.value, consents=tuple(consents)),
            actor="worker-1",
            expected_version=stored.version,
            at=later(days=1),
        )
    assert caught.value.paths == [f"consents[{index}].decision"]
    assert _everything(store) == before
