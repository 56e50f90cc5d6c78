"""Running flows, and match(..., flow=): needs added, connections preferred, the path kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.referral import (
    TRACE_VERSION,
    ConsultationCase,
    ReferralPlan,
    load_case,
    match,
    reference_match,
    run_flow,
)
from saihan.referral.flows import FLOW_WEIGHT, Flow, bundled_flow, flow_rule_id
from saihan.serialization import from_json
from saihan.testing import assert_fast_path_agrees, cases, flows

CASES = Path(__file__).resolve().parents[3] / "examples" / "cases"


def test_run_flow_refuses_bad_arguments_and_unvalidated_flows() -> None:
    case = load_case(CASES / "elderly-man-hachioji.json")
    flow = bundled_flow("debts")
    with pytest.raises(ValidationError) as caught:
        run_flow("debts", "case", at=dt.datetime(2024, 1, 1))  # type: ignore[arg-type]
    assert caught.value.paths == ["flow", "case", "at"]
    broken = Flow(flow.id, flow.version, flow.title, flow.source, "nowhere", flow.nodes)
    with pytest.raises(ValidationError, match="start node 'nowhere' does not exist"):
        run_flow(broken, case)


def test_match_with_a_flow_adds_its_needs_and_prefers_its_connections() -> None:
    directory = sample_directory()
    case = load_case(CASES / "woman-probation-stimulants.json")
    flow = bundled_flow("drug-dependence")
    plan = match(case, directory, flow=flow)
    assert plan.trace_version == TRACE_VERSION == 5
    assert plan.flow is not None
    assert plan.flow.end == "end-recovery"
    peer = next(need for need in plan.needs if need.need == "drug_alcohol.peer_recovery")
    assert peer.added_by == flow_rule_id("drug-dependence", "peer-recovery")
    assert flow_rule_id("drug-dependence", "peer-recovery") in plan.applied_rules
    # The connect action reads as a prefer reason naming the flow and node.
    reasons = [
        reason
        for rec in plan.recommendations()
        for reason in rec.reasons
        if reason.rule_id == "flow:drug-dependence/peer-recovery"
    ]
    assert reasons
    assert all(reason.points == FLOW_WEIGHT for reason in reasons)
    assert all(
        rec.agency_kind == "darc"
        for rec in plan.recommendations()
        if any(reason.rule_id == "flow:drug-dependence/peer-recovery" for reason in rec.reasons)
    )
    without = match(case, directory)
    assert without.flow is None
    assert not any(
        reason.rule_id and reason.rule_id.startswith("flow:")
        for rec in without.recommendations()
        for reason in rec.reasons
    )


def test_plan_with_a_flow_round_trips_and_shows_the_path() -> None:
    case = load_case(CASES / "elderly-man-hachioji.json")
    plan = match(case, sample_directory(), flow=bundled_flow("leaving-prison-elderly-disabled"))
    assert from_json(plan.to_json(), ReferralPlan) == plan
    ja, en = plan.to_text("ja", width=None), plan.to_text("en", width=None)
    assert "支援フロー: leaving-prison-elderly-disabled" in ja
    assert "where-tonight [はい] → emergency-housing" in ja
    assert "Support flow: leaving-prison-elderly-disabled" in en
    assert "where-tonight [yes] → emergency-housing" in en
    assert "支援フローにより追加 flow:leaving-prison-elderly-disabled/emergency-housing" in ja


def test_version_1_plans_are_still_read() -> None:
    plan = match(load_case(CASES / "man-parole-work.json"), sample_directory())
    old = plan.to_json().replace(f'"trace_version": {TRACE_VERSION}', '"trace_version": 1')
    assert from_json(old, ReferralPlan).trace_version == 1


def test_a_flow_connecting_to_a_service_puts_it_first() -> None:
    from saihan.referral.flows import load_flow

    directory = sample_directory()
    case = load_case(CASES / "elderly-man-hachioji.json")
    flow = load_flow(
        """
id: one-service
version: "1"
title: {ja: テスト, en: test}
source: {document: doc}
start: go
nodes:
  - id: go
    kind: action
    actions:
      - connect: {service: hachioji-housing-security-benefit-rent, for_need: housing}
    next: end
  - {id: end, kind: end, text: {ja: 終}}
""",
        directory=directory,
    )
    plan = match(case, directory, flow=flow)
    housing = next(need for need in plan.needs if need.need == "housing")
    first = housing.recommendations[0]
    assert first.service_id == "hachioji-housing-security-benefit-rent"
    assert first.first
    assert any(reason.rule_id == "flow:one-service/go" for reason in first.reasons)


def test_match_refuses_a_flow_that_is_not_a_flow() -> None:
    case = load_case(CASES / "elderly-man-hachioji.json")
    with pytest.raises(ValidationError) as caught:
        match(case, sample_directory(), flow="debts")  # type: ignore[arg-type]
    assert caught.value.paths == ["flow"]


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_fast_path_agrees_with_the_reference_with_flows(data: st.DataObject) -> None:
    directory = sample_directory()
    flow = data.draw(flows(directory=directory), label="flow")
    case: ConsultationCase = data.draw(cases(directory=directory), label="case")
    plan = match(case, directory, flow=flow)
    assert reference_match(case, directory, flow=flow) == plan
    assert_fast_path_agrees(case, directory, plan, flow=flow)
    assert plan.flow == run_flow(flow, case, directory=directory)


def test_match_validates_a_flow_once_per_directory_and_always_refuses_a_bad_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import saihan.referral.flows.run as run_module

    calls: list[str] = []
    real = run_module.check

    def counting(flow: Flow, directory: object) -> None:
        calls.append(flow.id)
        real(flow, directory)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "check", counting)
    directory = attrs.evolve(sample_directory())  # a directory no other test has matched on
    case = load_case(CASES / "elderly-man-hachioji.json")
    flow = bundled_flow("debts")
    first = match(case, directory, flow=flow)
    again = match(case, directory, flow=flow)
    assert first == again
    assert calls == ["debts"]  # validated once for this directory
    reference_match(case, directory, flow=flow)
    assert calls == ["debts", "debts"]  # the reference checks every time
    broken = Flow(flow.id, flow.version, flow.title, flow.source, "nowhere", flow.nodes)
    for _ in range(2):
        with pytest.raises(ValidationError, match="nowhere"):
            match(case, directory, flow=broken)
