"""match(): eligibility, consent, reachability, determinism, the plan's forms."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest
from _cases import JST, RECEIVED, case

from saihan import ValidationError
from saihan.directory import (
    Audience,
    Channel,
    Directory,
    Eligibility,
    LegalSituation,
    PersonAttribute,
    sample_directory,
)
from saihan.referral import (
    TRACE_VERSION,
    Consent,
    RecommendationStatus,
    ReferralPlan,
    gap_report,
    match,
    reference_match,
)
from saihan.serialization import from_json

OFFICE = "hachioji-welfare-office-public-assistance"


def directory_with(service_id: str, **changes: object) -> Directory:
    """The sample directory with one service changed."""
    sample = sample_directory()
    services = [
        attrs.evolve(s, **changes) if s.id == service_id else s  # type: ignore[arg-type]
        for s in sample.services
    ]
    return attrs.evolve(sample, services=services)


def reasons_for(plan: ReferralPlan, service_id: str) -> set[str]:
    return {
        reason.code
        for exclusion in plan.excluded
        if exclusion.service_id == service_id
        for reason in exclusion.reasons
    }


def test_a_service_not_taking_referrals_is_a_near_miss_with_its_reason() -> None:
    directory = directory_with(OFFICE, accepting_referrals=False)
    plan = match(case("welfare.public_assistance"), directory, per_need=None)
    assert OFFICE not in plan.recommended_ids()
    assert reasons_for(plan, OFFICE) == {"not_accepting_referrals"}


@pytest.mark.parametrize(
    ("eligibility", "subject", "code"),
    [
        (Eligibility(min_age=65), {"age": 40}, "age"),
        (Eligibility(max_age=19), {"age": None}, "age_unknown"),
        (
            Eligibility(legal_situations=frozenset({LegalSituation.ON_PAROLE})),
            {"legal": LegalSituation.NONE},
            "legal_situation",
        ),
        (
            Eligibility(required_attributes=frozenset({PersonAttribute.ELDERLY})),
            {},
            "attributes",
        ),
        (
            Eligibility(excluded_attributes=frozenset({PersonAttribute.DEBT})),
            {"attributes": (PersonAttribute.DEBT,)},
            "attributes",
        ),
    ],
)
def test_eligibility_is_respected_and_explained(
    eligibility: Eligibility, subject: dict[str, object], code: str
) -> None:
    directory = directory_with(OFFICE, eligibility=eligibility)
    plan = match(case("welfare.public_assistance", **subject), directory, per_need=None)  # type: ignore[arg-type]
    assert OFFICE not in plan.recommended_ids()
    assert code in reasons_for(plan, OFFICE)


def test_who_consults_how_and_in_what_language_are_respected() -> None:
    directory = directory_with(OFFICE, audiences=frozenset({Audience.PROFESSIONAL}))
    plan = match(case("welfare.public_assistance"), directory, per_need=None)
    assert reasons_for(plan, OFFICE) == {"audience"}
    by_email_only = case("welfare.public_assistance", preferred_channels=frozenset({Channel.FAX}))
    plan = match(by_email_only, sample_directory(), per_need=None)
    assert "channel" in reasons_for(plan, OFFICE)
    in_english = case("welfare.public_assistance", languages=("en",))
    assert "language" in reasons_for(match(in_english, sample_directory(), per_need=None), OFFICE)


def test_services_of_other_municipalities_are_not_candidates() -> None:
    plan = match(case("welfare.public_assistance"), sample_directory(), per_need=None)
    considered = plan.recommended_ids() | {e.service_id for e in plan.excluded}
    assert "shinjuku-welfare-office-public-assistance" not in considered
    assert OFFICE in considered


def test_without_residence_the_handling_municipality_is_used() -> None:
    homeless = case("welfare.public_assistance", residence=None, municipality="131041")
    plan = match(homeless, sample_directory(), per_need=None)
    assert "shinjuku-welfare-office-public-assistance" in plan.recommended_ids()
    nowhere = case("welfare.public_assistance", residence=None)
    plan = match(nowhere, sample_directory(), per_need=None)
    # No municipality at all: no municipal desk, but Tokyo-wide services still apply.
    assert all(r.agency_kind != "welfare_office" for r in plan.recommendations())
    assert "tokyo-crime-worry-desk" in plan.recommended_ids()
    desk = next(r for r in plan.recommendations() if r.service_id == "tokyo-crime-worry-desk")
    area = next(reason for reason in desk.reasons if reason.code == "area")
    assert area.text.en == "serves the whole prefecture (the person's municipality is not known)"
    assert "residence_unknown" not in {reason.code for e in plan.excluded for reason in e.reasons}


def test_a_preferred_municipality_is_the_area_before_the_handling_one() -> None:
    wants = case("welfare.public_assistance", residence=None, municipality="131041")
    wants = attrs.evolve(wants, subject=attrs.evolve(wants.subject, preferred_municipality="131113"))
    plan = match(wants, sample_directory(), per_need=None)
    assert "ota-welfare-office-public-assistance" in plan.recommended_ids()
    assert "shinjuku-welfare-office-public-assistance" not in plan.recommended_ids()
    office = next(r for r in plan.recommendations() if r.agency_kind == "welfare_office")
    area = next(reason for reason in office.reasons if reason.code == "area")
    assert area.facts[0].field == "case.preferred_municipality"


def test_a_fitting_service_without_consent_is_listed_as_needing_it() -> None:
    without = match(case("welfare.public_assistance"), sample_directory(), per_need=None)
    office = next(r for r in without.recommendations() if r.service_id == OFFICE)
    assert office.status is RecommendationStatus.NEEDS_CONSENT
    consent = Consent(given_on=RECEIVED.date(), agency_kinds=frozenset({"welfare_office"}))
    given = match(
        case("welfare.public_assistance", consents=(consent,)), sample_directory(), per_need=None
    )
    office = next(r for r in given.recommendations() if r.service_id == OFFICE)
    assert office.status is RecommendationStatus.READY
    # Consent changes the status, never what is recommended or in what order.
    assert [r.service_id for r in given.recommendations()] == [
        r.service_id for r in without.recommendations()
    ]


def test_unmet_needs_are_listed() -> None:
    # In Setagaya every body for young people has an age limit (and none for a
    # related need takes a 40-year-old), so nothing meets it.
    plan = match(
        case("juvenile_education.prevention", age=40, residence="131121"), sample_directory()
    )
    assert plan.unmet_needs == ("juvenile_education.prevention",)
    assert plan.needs[0].recommendations == ()


def test_next_open_comes_from_the_services_calendar() -> None:
    desk = "tokyo-crime-worry-desk"  # Tue, Thu, Sat 09:00-17:00 in FY2024
    wednesday = dt.datetime(2024, 11, 6, 12, 0, tzinfo=JST)
    plan = match(case("welfare"), sample_directory(), at=wednesday, per_need=None)
    found = next(r for r in plan.recommendations() if r.service_id == desk)
    assert not found.open_now
    assert found.next_open == dt.datetime(2024, 11, 7, 9, 0, tzinfo=JST)
    tuesday = dt.datetime(2024, 11, 5, 12, 0, tzinfo=JST)
    plan = match(case("welfare"), sample_directory(), at=tuesday, per_need=None)
    found = next(r for r in plan.recommendations() if r.service_id == desk)
    assert found.open_now
    assert found.next_open == tuesday


def test_ranking_is_by_score_then_id_and_repeatable() -> None:
    first = match(case("housing", "welfare"), sample_directory(), per_need=None)
    shuffled = attrs.evolve(
        sample_directory(), services=tuple(reversed(sample_directory().services))
    )
    assert match(case("housing", "welfare"), shuffled, per_need=None) == first
    for need_plan in first.needs:
        keys = [(not r.first, -r.score, r.service_id) for r in need_plan.recommendations]
        assert keys == sorted(keys)


def test_per_need_caps_and_counts_the_rest() -> None:
    everything = match(case("housing"), sample_directory(), per_need=None)
    capped = match(case("housing"), sample_directory(), per_need=2)
    assert len(capped.needs[0].recommendations) == 2
    assert capped.needs[0].more == len(everything.needs[0].recommendations) - 2
    assert capped.needs[0].recommendations == everything.needs[0].recommendations[:2]


def test_the_fast_path_and_the_reference_agree_on_a_busy_case() -> None:
    busy = case(
        "housing",
        "employment",
        "drug_alcohol",
        legal=LegalSituation.ON_PAROLE,
        attributes=(PersonAttribute.DRUG_DEPENDENCE, PersonAttribute.HOMELESS),
    )
    for per_need in (None, 1, 5):
        assert match(busy, sample_directory(), per_need=per_need) == reference_match(
            busy, sample_directory(), per_need=per_need
        )


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValidationError) as caught:
        match("case", "directory", rules="rules", at=dt.datetime(2024, 1, 1), per_need=0)  # type: ignore[arg-type]
    assert caught.value.paths == ["case", "directory", "rules", "at", "per_need"]
    with pytest.raises(ValidationError) as caught:
        match(case("no_such_need"), sample_directory())
    assert caught.value.paths == ["needs[0].code"]


def test_a_plan_round_trips_through_json_and_never_holds_the_summary() -> None:
    secret = "SECRET-仮の相談内容"
    plan = match(case("housing", summary=secret), sample_directory())
    text = plan.to_json()
    assert secret not in text
    assert secret not in plan.to_text("ja")
    assert from_json(text, ReferralPlan) == plan
    assert json.loads(text)["trace_version"] == TRACE_VERSION


def test_a_plan_reads_in_japanese_and_english() -> None:
    plan = match(case("housing"), sample_directory())
    assert "紹介計画" in plan.to_text("ja")
    assert "Referral plan" in plan.to_text("en")
    with pytest.raises(ValidationError):
        plan.to_text("fr")


def test_the_gap_report_counts_unmet_and_poorly_met_needs() -> None:
    cases = [
        case("juvenile_education.prevention", id="a", residence="131121"),  # nothing eligible
        # Only desks for a sibling need (welfare.needy_persons ...) and the Tokyo desk, for
        # the broader "welfare": poorly met.
        case("welfare.debt", id="b"),
        case("welfare.public_assistance", id="c"),  # the local welfare office: met well
        case("welfare.public_assistance", id="d", residence="131041"),
    ]
    report = gap_report(cases, sample_directory())
    rows = {(row.municipality, row.need): row for row in report.rows}
    assert rows["131121", "juvenile_education.prevention"].unmet == 1
    assert rows["132012", "welfare.debt"].poorly_met == 1
    assert rows["132012", "welfare.public_assistance"].met_well == 1
    assert rows["131041", "welfare.public_assistance"].cases == 1
    assert report.cases == 4
    assert report.rows[0].unmet == 1  # most unmet first
    assert report.to_csv().splitlines()[0] == "municipality,need,cases,unmet,poorly_met"
    assert report.by_need()["welfare.public_assistance"] == (2, 0, 0)


def test_a_match_index_is_built_only_from_a_directory() -> None:
    from saihan.referral import MatchIndex

    with pytest.raises(ValidationError) as caught:
        MatchIndex({"services": []})  # type: ignore[arg-type]
    assert caught.value.paths == ["directory"]
    assert MatchIndex.of(sample_directory()) is MatchIndex.of(sample_directory())
