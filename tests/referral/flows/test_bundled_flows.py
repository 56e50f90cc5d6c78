"""The bundled flows: each pinned on one example case; every flow ends for every case."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.directory import sample_directory
from saihan.referral import ConsultationCase, load_case, match, run_flow
from saihan.referral.flows import Flow, bundled_flow, bundled_flows
from saihan.testing import cases

CASES = Path(__file__).resolve().parents[3] / "examples" / "cases"

BUNDLED = {
    "leaving-prison-elderly-disabled",
    "drug-dependence",
    "child-delinquency",
    "prisoner-family",
    "work-after-release",
    "debts",
}


def _run(
    flow_id: str, case_file: str
) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    run = run_flow(bundled_flow(flow_id), load_case(CASES / case_file))
    path = [(step.node, step.answer) for step in run.path]
    actions = []
    for taken in run.actions:
        action = taken.action
        if action.add_need is not None:
            actions.append((taken.node, f"add_need {action.add_need} {action.urgency or 'normal'}"))
        elif action.connect is not None:
            target = action.connect.agency_kind or action.connect.service
            actions.append((taken.node, f"connect {target} for {action.connect.for_need}"))
        else:
            actions.append((taken.node, action.kinds[0]))
    assert run.end == path[-1][0]
    return path, actions


def test_the_six_situations_are_bundled_and_cite_the_plan() -> None:
    assert {flow.id for flow in bundled_flows()} >= BUNDLED
    for flow in bundled_flows():
        assert flow.source.document == "第二次東京都再犯防止推進計画"
        assert flow.source.section is not None
        assert flow.source.section.startswith("重点課題")
        assert flow.title.en
        for node in flow.nodes:
            if node.text is not None:
                assert node.text.en, (flow.id, node.id)


def test_leaving_prison_elderly_man_hachioji() -> None:
    path, actions = _run("leaving-prison-elderly-disabled", "elderly-man-hachioji.json")
    assert path == [
        ("where-tonight", "yes"),
        ("emergency-housing", None),
        ("leaving-prison", "released_from_prison"),
        ("elderly-or-disabled", "yes"),
        ("special-coordination", None),
        ("on-parole", "no"),
        ("end-special-coordination", None),
    ]
    assert actions == [
        ("emergency-housing", "add_need housing.emergency urgent"),
        ("emergency-housing", "connect welfare_office for housing.emergency"),
        ("emergency-housing", "inform"),
        ("special-coordination", "add_need elderly_disability.special_coordination high"),
        ("special-coordination", "connect community_settlement_center for elderly_disability"),
        ("special-coordination", "note"),
    ]


def test_drug_dependence_woman_on_probation() -> None:
    path, actions = _run("drug-dependence", "woman-probation-stimulants.json")
    assert path == [
        ("who-consults", "person"),
        ("on-supervision", "yes"),
        ("probation-programme", None),
        ("wants-treatment", "yes"),
        ("treatment", None),
        ("peer-recovery", None),
        ("end-recovery", None),
    ]
    assert actions == [
        ("probation-programme", "connect probation_office for drug_alcohol"),
        ("probation-programme", "note"),
        ("treatment", "connect mental_health_welfare_center for drug_alcohol.treatment"),
        ("treatment", "inform"),
        ("peer-recovery", "add_need drug_alcohol.peer_recovery low"),
        ("peer-recovery", "connect darc for drug_alcohol.peer_recovery"),
    ]


def test_child_delinquency_mother_of_shoplifting_son() -> None:
    path, actions = _run("child-delinquency", "mother-son-shoplifting.json")
    assert path == [
        ("juvenile-case", "yes"),
        ("juvenile-procedure", None),
        ("under-18", "yes"),
        ("child-guidance", None),
        ("at-school", "yes"),
        ("schooling", None),
        ("parent-consults", "yes"),
        ("family-consultation", None),
        ("end-child", None),
    ]
    assert actions == [
        ("juvenile-procedure", "note"),
        ("juvenile-procedure", "connect juvenile_support_center for juvenile_education"),
        ("child-guidance", "add_need juvenile_education.delinquency normal"),
        ("child-guidance", "connect child_guidance_center for juvenile_education.delinquency"),
        ("schooling", "add_need juvenile_education.schooling low"),
        ("schooling", "connect bbs for juvenile_education.schooling"),
        ("schooling", "note"),
        ("family-consultation", "add_need family.consultation normal"),
        ("family-consultation", "connect child_guidance_center for family"),
        ("family-consultation", "inform"),
    ]


def test_prisoner_family_wife_with_money_worries() -> None:
    path, actions = _run("prisoner-family", "prisoner-wife-finances.json")
    assert path == [
        ("family-consults", "yes"),
        ("family-support", None),
        ("where-now", "in_prison"),
        ("prepare-return", None),
        ("money-worries", "yes"),
        ("money-help", None),
        ("end-family", None),
    ]
    assert actions == [
        ("family-support", "add_need family.prisoner_family normal"),
        ("family-support", "connect probation_office for family.prisoner_family"),
        ("prepare-return", "inform"),
        ("money-help", "add_need welfare.needy_persons normal"),
        ("money-help", "connect self_reliance_consultation for welfare"),
    ]


def test_work_after_release_man_on_parole() -> None:
    path, actions = _run("work-after-release", "man-parole-work.json")
    assert path == [
        ("supervised", "yes"),
        ("probation-employment", None),
        ("job-search", None),
        ("place-to-live", "no"),
        ("needs-consideration", "no"),
        ("end-work", None),
    ]
    assert actions == [
        ("probation-employment", "connect probation_office for employment"),
        ("probation-employment", "note"),
        ("job-search", "add_need employment.job_search normal"),
        ("job-search", "connect hello_work for employment.job_search"),
    ]


def test_debts_homeless_man_takes_the_first_branch() -> None:
    path, actions = _run("debts", "elderly-man-hachioji.json")
    assert path == [
        ("money-today", "branches[0]"),
        ("emergency-welfare", None),
        ("debt-settlement", None),
        ("working", "yes"),
        ("find-work", None),
        ("household-budget", None),
        ("dependence", "no"),
        ("end-debts", None),
    ]
    assert actions == [
        ("emergency-welfare", "add_need welfare.public_assistance urgent"),
        ("emergency-welfare", "connect welfare_office for welfare.public_assistance"),
        ("debt-settlement", "add_need legal.debt_settlement normal"),
        ("debt-settlement", "connect houterasu for legal"),
        ("debt-settlement", "inform"),
        ("find-work", "add_need employment.job_search normal"),
        ("find-work", "connect hello_work for employment.job_search"),
        ("household-budget", "add_need welfare.debt normal"),
        ("household-budget", "connect self_reliance_consultation for welfare.debt"),
    ]


FLOWS = sorted(bundled_flows(), key=lambda flow: flow.id)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda flow: flow.id)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_every_bundled_flow_reaches_an_end_for_every_case(
    flow: Flow, case: ConsultationCase
) -> None:
    run = run_flow(flow, case)
    assert flow.node(run.end).kind == "end"
    assert run.path[0].node == flow.start
    assert run.path[-1].node == run.end
    # Each step leads to the next along an edge of the flow.
    for step, after in zip(run.path, run.path[1:], strict=False):
        assert after.node in {target for _, target in flow.node(step.node).edges()}


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_match_with_a_flow_shows_its_path(data: st.DataObject) -> None:
    directory = sample_directory()
    flow = data.draw(st.sampled_from(FLOWS), label="flow")
    case = data.draw(cases(directory=directory), label="case")
    plan = match(case, directory, flow=flow)
    assert plan.flow == run_flow(flow, case, directory=directory)
    added = {taken.action.add_need for taken in plan.flow.actions} - {None}
    assert added <= {need_plan.need for need_plan in plan.needs}
    text = plan.to_text("en")
    assert plan.flow.path[0].node in text
    assert plan.flow.end in text
