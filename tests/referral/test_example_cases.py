"""The bundled example cases, pinned: what each is connected to, and what never."""

from __future__ import annotations

from pathlib import Path

import pytest

from saihan.directory import sample_directory
from saihan.referral import RecommendationStatus, load_case, match, reference_match

CASES = Path(__file__).resolve().parents[2] / "examples" / "cases"
JUVENILE_KINDS = {"child_guidance_center", "juvenile_support_center", "bbs"}


def plan_for(name: str):  # type: ignore[no-untyped-def]
    return match(load_case(CASES / f"{name}.json"), sample_directory(), near_misses="all")


def test_every_example_case_loads_and_both_paths_agree() -> None:
    files = sorted(CASES.glob("*.json"))
    assert len(files) == 8
    for path in files:
        case = load_case(path)
        assert match(case, sample_directory()) == reference_match(case, sample_directory())


def test_the_elderly_man_in_hachioji() -> None:
    plan = plan_for("elderly-man-hachioji")
    recommended = plan.recommended_ids()
    # He was released a week ago: coordination *before* release is a near miss, and
    # the settlement centre's follow-up after release is put first for his welfare.
    assert "tokyo-community-settlement-coordination" not in recommended
    coordination = [
        e for e in plan.excluded if e.service_id == "tokyo-community-settlement-coordination"
    ]
    assert coordination
    assert all("release_timing" in {r.code for r in e.reasons} for e in coordination)
    assert "hachioji-welfare-office-public-assistance" in recommended
    assert not {rec.agency_kind for rec in plan.recommendations()} & JUVENILE_KINDS
    welfare = plan.recommendations("welfare")
    assert welfare[0].service_id == "tokyo-community-settlement-follow-up"
    assert welfare[0].first
    assert welfare[0].status is RecommendationStatus.READY
    housing = plan.recommendations("housing")
    assert housing[0].service_id == "hachioji-welfare-office-public-assistance"
    assert housing[0].required
    assert housing[0].status is RecommendationStatus.READY
    added = {np.need: np.added_by for np in plan.needs}
    assert added["elderly_disability.special_coordination"] == "special-coordination-need"
    assert added["housing.emergency"] == "homeless-emergency-housing-need"
    assert plan.needs[0].urgency.value == "urgent"
    assert plan.missing == ()
    assert plan.unmet_needs == ()


def test_the_mother_worried_about_her_sons_shoplifting() -> None:
    plan = plan_for("mother-son-shoplifting")
    delinquency = plan.recommendations("juvenile_education.delinquency")
    assert delinquency[0].service_id == "setagaya-child-guidance-center-consultation"
    assert delinquency[0].status is RecommendationStatus.READY
    schooling = plan.recommendations("juvenile_education.schooling")
    assert schooling[0].service_id == "tokyo-bbs-federation-study-support"
    # The others meet a sibling need (delinquency, mentoring), and say so.
    for rec in schooling[1:]:
        fit = next(reason for reason in rec.reasons if reason.code == "need_fit")
        assert fit.text.en is not None
        assert fit.text.en.startswith("meets a related need under the same heading")


def test_the_woman_on_probation_using_stimulants() -> None:
    plan = plan_for("woman-probation-stimulants")
    treatment = plan.recommendations("drug_alcohol.treatment")
    assert treatment[0].service_id == "tokyo-probation-office-drug-programme"
    assert treatment[0].first
    consultation = plan.recommendations("drug_alcohol.consultation")
    assert consultation[0].service_id == "shinjuku-public-health-center-mental-health"
    peer = {rec.service_id for rec in plan.recommendations("drug_alcohol.peer_recovery")}
    assert "tokyo-darc-day-programme" in peer


def test_the_man_on_parole_looking_for_work() -> None:
    plan = plan_for("man-parole-work")
    work = plan.recommendations("employment")
    assert work[0].service_id == "tokyo-probation-office-employment-support"
    assert "hellowork-adachi-offender-employment" in {rec.service_id for rec in work}
    assert "sample-construction-employment" in {rec.service_id for rec in work}


def test_the_wife_of_a_prisoner_in_financial_trouble() -> None:
    plan = plan_for("prisoner-wife-finances")
    family = plan.recommendations("family.prisoner_family")
    assert family[0].service_id == "tokyo-probation-office-family-meeting"
    debt = plan.recommendations("legal.debt_settlement")
    assert debt[0].agency_kind == "houterasu"
    assert plan.recommendations("welfare.public_assistance")[0].service_id == (
        "ota-welfare-office-public-assistance"
    )
    # No consent was recorded: everything waits for it.
    assert {rec.status for rec in plan.recommendations()} == {RecommendationStatus.NEEDS_CONSENT}


def test_the_nineteen_year_old_leaving_juvenile_training_school() -> None:
    plan = plan_for("youth-leaving-training-school")
    jobs = plan.recommendations("employment.job_search")
    assert jobs[0].service_id == "hellowork-tachikawa-offender-employment"
    assert "tokyo-bbs-federation-study-support" in plan.recommended_ids()
    # Urgent aid is for adults released from prison: a near miss, with its reason.
    assert any(
        e.service_id == "tokyo-probation-office-tachikawa-urgent-aid"
        and {r.code for r in e.reasons} == {"legal_situation"}
        for e in plan.excluded
    )


def _adult_cases() -> list[Path]:
    adults = []
    for path in sorted(CASES.glob("*.json")):
        case = load_case(path)
        bounds = case.subject.age_bounds(case.received_on, case.received_on)
        if bounds is not None and bounds[0] >= 20:
            adults.append(path)
    return adults


def test_six_example_cases_are_about_adults() -> None:
    assert [path.stem for path in _adult_cases()] == [
        "elderly-man-hachioji",
        "homeless-man-released-taito",
        "man-parole-work",
        "mother-son-in-prison",
        "prisoner-wife-finances",
        "woman-probation-stimulants",
    ]


@pytest.mark.parametrize("path", _adult_cases(), ids=lambda p: p.stem)
def test_no_adult_is_sent_to_a_body_for_juveniles(path: Path) -> None:
    plan = match(load_case(path), sample_directory(), per_need=None)
    kinds = {rec.agency_kind for rec in plan.recommendations()}
    assert not kinds & {"child_guidance_center", "bbs"}
