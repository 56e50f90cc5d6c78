"""The synthetic caseload (saihan demo seed): deterministic for a seed, and every
history it writes is a lifecycle the rules allow, made by workers through the API."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.errors import AccessDenied, ConflictError, ValidationError
from saihan.monitoring import REASON_CODES, case_id_for, reason_code, seed_caseload
from saihan.referral.lifecycle import REASON_REQUIRED, TRANSITIONS, EventKind, ReferralStatus
from saihan.serialization import unstructure
from saihan.storage import Store

SYSTEM = Principal.system("demo-seed")
FIRST, LAST = dt.date(2024, 4, 1), dt.date(2025, 3, 31)


def _seeded(cases: int, seed: int, fiscal_year: int = 2024) -> Store:
    store = storage.open("memory://", principal=SYSTEM)
    seed_caseload(store, cases=cases, seed=seed, fiscal_year=fiscal_year)
    return store


def _content(store: Store) -> dict[str, Any]:
    """Everything a seed writes about cases, as plain data (versions included)."""
    return {
        "cases": [(item.version, unstructure(item.value)) for item in store.cases.list()],
        "plans": [unstructure(item.value) for item in store.plans.list()],
        "referrals": [(item.version, unstructure(item.value)) for item in store.referrals.list()],
        "audit": [unstructure(event) for event in store.audit.list()],
    }


def test_the_same_seed_writes_the_same_store_content() -> None:
    first, second = _seeded(12, seed=7), _seeded(12, seed=7)
    assert _content(first) == _content(second)
    assert json.dumps(_content(first), sort_keys=True) == json.dumps(
        _content(second), sort_keys=True
    )


def test_another_seed_writes_another_caseload() -> None:
    assert _content(_seeded(12, seed=7))["cases"] != _content(_seeded(12, seed=8))["cases"]


def _check_history(store: Store, fiscal_year: int) -> None:
    """Every referral's history is a lifecycle TRANSITIONS allows, in order, within the
    year, each reason a code, every case's events made by its own worker."""
    first, last = dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)
    cases = {item.value.id: item.value for item in store.cases.list()}
    for item in store.referrals.list():
        referral = item.value
        case = cases[referral.case_id]
        history = referral.history
        assert history[0].status is ReferralStatus.REQUESTED
        assert history[0].previous is None
        for before, event in itertools.pairwise(history):
            assert event.previous is before.status
            assert event.at >= before.at
            if event.kind is EventKind.TRANSITION:
                assert event.status in TRANSITIONS[before.status]
            else:
                assert event.status is before.status
                assert not before.status.ended
        for event in history:
            assert first <= case.local_day(event.at) <= last
            assert event.actor == case.worker
            if event.kind is EventKind.TRANSITION and event.status in REASON_REQUIRED:
                assert event.reason is not None
                assert reason_code(event.reason) in REASON_CODES
                assert reason_code(event.reason) != "other"
            if event.status.needs_consent and event.kind is EventKind.TRANSITION:
                day = case.local_day(event.at)
                assert case.consent_for(referral.agency_id, referral.agency_kind, day) or any(
                    c.withdrawn_on is not None for c in case.consents
                )
        assert referral.need in {need.code for need in case.needs} | {
            need.need for plan in store.plans.for_case(case.id) for need in plan.value.needs
        }
        assert referral.plan_id is not None
        assert store.plans.find(referral.plan_id) is not None
    for case in cases.values():
        assert first <= case.received_on <= last
        if case.closed_at is not None:
            assert all(r.value.ended for r in store.referrals.for_case(case.id))
    assert store.audit.verify().ok
    assert store.integrity_check() == []


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(seed=st.integers(0, 2**32), cases=st.integers(1, 8), year=st.sampled_from([2023, 2024]))
def test_every_seeded_history_is_a_valid_lifecycle(seed: int, cases: int, year: int) -> None:
    store = _seeded(cases, seed, year)
    assert store.cases.count() == cases
    assert [item.value.id for item in store.cases.list()] == [
        case_id_for(year, n) for n in range(1, cases + 1)
    ]
    _check_history(store, year)


def test_a_larger_caseload_shows_every_outcome_and_is_worked_by_named_workers() -> None:
    store = _seeded(120, seed=1)
    _check_history(store, 2024)
    statuses = {item.value.status for item in store.referrals.list()}
    assert {
        ReferralStatus.COMPLETED,
        ReferralStatus.FAILED,
        ReferralStatus.REJECTED,
        ReferralStatus.ACCEPTED,
    } <= statuses or {ReferralStatus.IN_PROGRESS} <= statuses
    actors = {event.actor for event in store.audit.list()}
    assert all(actor is not None and actor.startswith("worker-") for actor in actors)
    assert any(event.action == "followed-up" for event in store.audit.list())
    assert any(item.value.closed_at is not None for item in store.cases.list())
    # the sensitive fields are there to be protected (the sharing tests look for them)
    assert any(item.value.subject.name for item in store.cases.list())
    assert any(item.value.subject.birth_date for item in store.cases.list())


def test_seeding_needs_a_system_principal_and_an_unseeded_store() -> None:
    worker = Principal(id="worker-1", roles={"desk-worker"}, organisation="org-1")
    with storage.open("memory://", principal=worker) as store, pytest.raises(AccessDenied):
        seed_caseload(store, cases=2, seed=1)
    with storage.open("memory://") as store, pytest.raises(AccessDenied):
        seed_caseload(store, cases=2, seed=1)
    store = _seeded(3, seed=1)
    before = _content(store)
    with pytest.raises(ConflictError, match="demo-2024-00001"):
        seed_caseload(store, cases=3, seed=2)
    assert _content(store) == before  # the failed seed left nothing behind


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"cases": 0, "seed": 1}, "cases"),
        ({"cases": "3", "seed": 1}, "cases"),
        ({"cases": 3, "seed": -1}, "seed"),
        ({"cases": 3, "seed": 1, "fiscal_year": 1999}, "fiscal_year"),
    ],
)
def test_bad_arguments_name_their_field(arguments: dict[str, Any], path: str) -> None:
    with storage.open("memory://", principal=SYSTEM) as store:
        with pytest.raises(ValidationError) as raised:
            seed_caseload(store, **arguments)
        assert [item.path for item in raised.value.errors] == [path]
        assert store.cases.count() == 0


def test_the_command_seeds_a_store(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAIHAN_PRINCIPAL", raising=False)
    url = f"sqlite:///{tmp_path}/demo.db"
    argv = ["demo", "seed", "--store", url, "--cases", "5", "--seed", "3", "--as", "system:system"]
    assert main([*argv, "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["cases"] == 5
    assert printed["directory_imported"] is True
    assert sum(printed["statuses"].values()) == printed["referrals"]
    with storage.open(url, principal=SYSTEM) as store:
        assert store.cases.count() == 5
        assert store.referrals.count() == printed["referrals"]
    assert main([*argv, "--lang", "en"]) == 1  # seeded already
    assert "already holds" in capsys.readouterr().err
    assert main(["demo", "seed", "--store", url, "--cases", "5"]) == 1  # no principal
