"""The ready-made referral properties: the default rules pass them, and broken plans fail them."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from saihan.directory import (
    Audience,
    Channel,
    Directory,
    LegalSituation,
    PersonAttribute,
    Service,
    ServiceArea,
    sample_directory,
)
from saihan.errors import ValidationError
from saihan.referral import (
    Consent,
    ConsultationCase,
    NeedPlan,
    RaisedNeed,
    RecommendationStatus,
    ReferralPlan,
    RuleSet,
    Subject,
    Urgency,
    default_rules,
    match,
)
from saihan.serialization import structure
from saihan.testing import (
    PROPERTIES,
    PropertyFailure,
    RuleSetProperties,
    assert_consent_respected,
    assert_deterministic,
    assert_eligibility_respected,
    assert_fast_path_agrees,
    assert_monotonic,
    assert_no_unrequested_needs,
    assert_service_area_respected,
    check_rule_set,
    referral_properties,
    rule_sets,
)

JST = dt.timezone(dt.timedelta(hours=9))
HACHIOJI = "132012"
DIRECTORY = sample_directory()


class TestDefaultRules(RuleSetProperties):
    """Tokyo's default rules against the sample directory: every property holds."""

    rules = default_rules()
    directory = DIRECTORY


def _elderly_man() -> ConsultationCase:
    """A man of 72 in Hachioji, released a week ago, homeless, consenting to two kinds."""
    return ConsultationCase(
        id="property-test-case",
        received_at=dt.datetime(2024, 11, 5, 10, 30, tzinfo=JST),
        consulter=Audience.SUPPORTER,
        received_via=Channel.PHONE,
        subject=Subject(
            residence=HACHIOJI,
            age=72,
            legal_situation=LegalSituation.RELEASED_FROM_PRISON,
            released_on=dt.date(2024, 10, 28),
            attributes=frozenset(
                {PersonAttribute.ELDERLY, PersonAttribute.HOMELESS, PersonAttribute.UNEMPLOYED}
            ),
        ),
        needs=(RaisedNeed("housing", Urgency.URGENT), RaisedNeed("welfare", Urgency.HIGH)),
        consents=(
            Consent(
                given_on=dt.date(2024, 11, 5),
                agency_kinds=frozenset({"community_settlement_center", "welfare_office"}),
            ),
        ),
        municipality=HACHIOJI,
    )


CASE = _elderly_man()
PLAN = match(CASE, DIRECTORY)


def _need(plan: ReferralPlan, code: str) -> NeedPlan:
    return next(need_plan for need_plan in plan.needs if need_plan.need == code)


def _replace_need(plan: ReferralPlan, code: str, **changes: Any) -> ReferralPlan:
    return attrs.evolve(
        plan,
        needs=tuple(
            attrs.evolve(need_plan, **changes) if need_plan.need == code else need_plan
            for need_plan in plan.needs
        ),
    )


def _swap_first_recommendation(plan: ReferralPlan, code: str, service_id: str) -> ReferralPlan:
    """The plan with the first recommendation for ``code`` pointing at another service."""
    need_plan = _need(plan, code)
    service = DIRECTORY.service(service_id)
    agency = DIRECTORY.agency(service.agency_id)
    first = attrs.evolve(
        need_plan.recommendations[0],
        service_id=service.id,
        agency_id=agency.id,
        agency_kind=agency.kind,
    )
    return _replace_need(plan, code, recommendations=(first, *need_plan.recommendations[1:]))


def test_the_real_plan_passes_every_checker() -> None:
    assert PLAN.recommendations()  # the checks below are about something
    assert_eligibility_respected(CASE, DIRECTORY, PLAN)
    assert_service_area_respected(CASE, DIRECTORY, PLAN)
    assert_consent_respected(CASE, DIRECTORY, PLAN)
    assert_no_unrequested_needs(CASE, DIRECTORY, PLAN)
    assert_deterministic(CASE, DIRECTORY, PLAN)
    assert_fast_path_agrees(CASE, DIRECTORY, PLAN)


# -- each checker can fail ---------------------------------------------------------------


def test_a_service_not_taking_referrals_breaks_eligibility() -> None:
    broken = _swap_first_recommendation(PLAN, "housing", "sample-transport-employment")
    with pytest.raises(AssertionError) as failure:
        assert_eligibility_respected(CASE, DIRECTORY, broken)
    message = str(failure.value)
    assert "property-test-case" in message
    assert "sample-transport-employment" in message
    assert "not accepting referrals" in message
    assert "tokyo-default" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"audiences": frozenset({Audience.PERSON})}, "not from supporter"),
        ({"eligibility_min_age": 80}, "limited to ages 80-"),
        ({"eligibility_legal": frozenset({LegalSituation.ON_PAROLE})}, "legal situation"),
        (
            {"eligibility_required": frozenset({PersonAttribute.STUDENT})},
            "requires (one|all) of student",
        ),
        ({"eligibility_excluded": frozenset({PersonAttribute.ELDERLY})}, "excludes elderly"),
        ({"languages": ("en",)}, "works in en"),
    ],
)
def test_each_eligibility_rule_is_checked(change: dict[str, Any], expected: str) -> None:
    """The plan stays as it was; the directory now says the first service refuses the case."""
    service_id = _need(PLAN, "housing").recommendations[0].service_id
    service = DIRECTORY.service(service_id)
    eligibility = service.eligibility
    fields: dict[str, Any] = {}
    for key, value in change.items():
        if key == "eligibility_min_age":
            eligibility = attrs.evolve(eligibility, min_age=value)
        elif key == "eligibility_legal":
            eligibility = attrs.evolve(eligibility, legal_situations=value)
        elif key == "eligibility_required":
            eligibility = attrs.evolve(eligibility, required_attributes=value)
        elif key == "eligibility_excluded":
            eligibility = attrs.evolve(
                eligibility, required_attributes=frozenset(), excluded_attributes=value
            )
        else:
            fields[key] = value
    changed = attrs.evolve(service, eligibility=eligibility, **fields)
    directory = _with_service(DIRECTORY, changed)
    with pytest.raises(AssertionError, match=expected) as failure:
        assert_eligibility_respected(CASE, directory, PLAN)
    assert service_id in str(failure.value)


def _with_service(directory: Directory, changed: Service) -> Directory:
    return attrs.evolve(
        directory,
        services=tuple(changed if s.id == changed.id else s for s in directory.services),
    )


def test_a_service_of_another_city_breaks_the_service_area() -> None:
    broken = _swap_first_recommendation(PLAN, "welfare", "adachi-welfare-office-public-assistance")
    assert_eligibility_respected(CASE, DIRECTORY, broken)  # eligible, but elsewhere
    with pytest.raises(AssertionError, match="outside its area") as failure:
        assert_service_area_respected(CASE, DIRECTORY, broken)
    assert "adachi-welfare-office-public-assistance" in str(failure.value)
    assert HACHIOJI in str(failure.value)


def test_without_a_residence_only_national_services_may_be_proposed() -> None:
    nowhere = attrs.evolve(
        CASE, subject=attrs.evolve(CASE.subject, residence=None), municipality=None
    )
    with pytest.raises(AssertionError, match="residence is unknown"):
        assert_service_area_respected(nowhere, DIRECTORY, PLAN)


def test_a_wrong_status_breaks_consent() -> None:
    need_plan = _need(PLAN, "housing")
    ready = need_plan.recommendations[0]
    assert ready.status is RecommendationStatus.READY
    broken = _replace_need(
        PLAN,
        "housing",
        recommendations=(
            attrs.evolve(ready, status=RecommendationStatus.NEEDS_CONSENT),
            *need_plan.recommendations[1:],
        ),
    )
    with pytest.raises(AssertionError, match="a consent covers agency"):
        assert_consent_respected(CASE, DIRECTORY, broken)
    # and the other way: ready although the consent was withdrawn the day before
    withdrawn = attrs.evolve(
        CASE, consents=(attrs.evolve(CASE.consents[0], withdrawn_on=dt.date(2024, 11, 5)),)
    )
    with pytest.raises(AssertionError, match="no consent in force"):
        assert_consent_respected(withdrawn, DIRECTORY, PLAN)


def test_a_recommendation_dropped_for_lack_of_consent_is_caught() -> None:
    need_plan = _need(PLAN, "housing")
    kept = tuple(
        rec for rec in need_plan.recommendations if rec.status is RecommendationStatus.READY
    )
    assert len(kept) < len(need_plan.recommendations)
    broken = _replace_need(PLAN, "housing", recommendations=kept)
    with pytest.raises(AssertionError, match="were dropped"):
        assert_consent_respected(CASE, DIRECTORY, broken)


def test_a_plan_from_other_rules_is_refused_not_failed() -> None:
    other = attrs.evolve(default_rules(), version="draft")
    with pytest.raises(ValidationError, match="pass the rules it was made with"):
        assert_consent_respected(CASE, DIRECTORY, PLAN, other)


def test_a_need_nobody_raised_is_caught() -> None:
    stray = attrs.evolve(_need(PLAN, "welfare"), need="legal.debt_settlement")
    with pytest.raises(AssertionError, match="did not raise it and no rule added it"):
        assert_no_unrequested_needs(CASE, DIRECTORY, attrs.evolve(PLAN, needs=(*PLAN.needs, stray)))
    made_up = attrs.evolve(stray, added_by="no-such-rule")
    with pytest.raises(AssertionError, match="no add_need rule"):
        assert_no_unrequested_needs(
            CASE, DIRECTORY, attrs.evolve(PLAN, needs=(*PLAN.needs, made_up))
        )


def test_a_need_added_by_a_rule_out_of_its_period_is_caught() -> None:
    added = _need(PLAN, "housing.emergency")
    assert added.added_by == "homeless-emergency-housing-need"
    after_the_plan = attrs.evolve(PLAN, at=dt.datetime(2029, 4, 1, 10, tzinfo=JST))
    with pytest.raises(AssertionError, match="that applies on 2029-04-01"):
        assert_no_unrequested_needs(CASE, DIRECTORY, after_the_plan)


def test_a_recommendation_for_an_unrelated_need_is_caught() -> None:
    broken = _swap_first_recommendation(PLAN, "welfare", "hellowork-hachioji-offender-employment")
    with pytest.raises(AssertionError, match="none of them 'welfare'"):
        assert_no_unrequested_needs(CASE, DIRECTORY, broken)


def test_a_plan_match_would_not_make_fails_determinism_and_the_reference() -> None:
    need_plan = _need(PLAN, "welfare")
    reordered = _replace_need(PLAN, "welfare", recommendations=need_plan.recommendations[::-1])
    with pytest.raises(AssertionError, match="matching again gave another plan"):
        assert_deterministic(CASE, DIRECTORY, reordered)
    with pytest.raises(AssertionError, match="match and reference_match disagree"):
        assert_fast_path_agrees(CASE, DIRECTORY, reordered)


def test_a_matcher_that_depends_on_the_order_of_services_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def order_dependent(case: ConsultationCase, directory: Directory, *args: Any, **kw: Any) -> Any:
        plan = match(case, directory, *args, **kw)
        if directory.services[0] is DIRECTORY.services[0]:
            return plan
        return attrs.evolve(plan, needs=plan.needs[::-1])

    monkeypatch.setattr(referral_properties, "match", order_dependent)
    with pytest.raises(AssertionError, match="with the directory's services and agencies"):
        assert_deterministic(CASE, DIRECTORY, PLAN)


def _extra_service(**changes: Any) -> Service:
    base = DIRECTORY.service("hachioji-welfare-office-public-assistance")
    return attrs.evolve(base, id="extra-hachioji-housing-desk", **changes)


def test_adding_a_service_that_outranks_others_may_push_them_out() -> None:
    strong = _extra_service(needs=frozenset({"housing"}), area=ServiceArea.of(HACHIOJI))
    assert_monotonic(CASE, DIRECTORY, None, strong)
    assert_monotonic(CASE, DIRECTORY, None, _extra_service(accepting_referrals=False))


def test_a_matcher_that_loses_recommendations_when_the_directory_grows_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forgetful(case: ConsultationCase, directory: Directory, *args: Any, **kw: Any) -> Any:
        plan = match(case, directory, *args, **kw)
        if len(directory.services) <= len(DIRECTORY.services):
            return plan
        return attrs.evolve(
            plan,
            needs=tuple(
                attrs.evolve(need_plan, recommendations=need_plan.recommendations[:-1])
                for need_plan in plan.needs
            ),
        )

    monkeypatch.setattr(referral_properties, "match", forgetful)
    unrelated = _extra_service(needs=frozenset({"legal.debt_settlement"}))
    with pytest.raises(AssertionError, match="no longer recommended once service") as failure:
        assert_monotonic(CASE, DIRECTORY, None, unrelated)
    assert "extra-hachioji-housing-desk" in str(failure.value)
    assert "which is not recommended for it" in str(failure.value)


def test_monotonicity_wants_a_new_service_id() -> None:
    existing = DIRECTORY.service("hachioji-welfare-office-public-assistance")
    with pytest.raises(ValidationError, match="already in the directory"):
        assert_monotonic(CASE, DIRECTORY, None, existing)


# -- the runner --------------------------------------------------------------------------


def test_check_rule_set_passes_the_default_rules() -> None:
    # TestDefaultRules runs the properties at length; this runs the runner.
    assert check_rule_set(default_rules(), DIRECTORY, max_examples=5) == []


# Hypothesis inside Hypothesis: kept small, and the health check that warns of it is off.
NESTED = [check for check in HealthCheck if check.name == "nested_given"]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, *NESTED])
@given(rule_sets(directory=DIRECTORY, min_rules=1, max_rules=6))
def test_the_properties_hold_for_random_rule_sets(rules: RuleSet) -> None:
    """Rules cannot break saihan's promises: random rule sets pass them too."""
    assert check_rule_set(rules, DIRECTORY, max_examples=5) == []


def _ineligible_added(case: ConsultationCase, directory: Directory, *args: Any, **kw: Any) -> Any:
    """A broken matcher: it also recommends a service that takes no referrals."""
    plan = match(case, directory, *args, **kw)
    if not plan.needs:
        return plan
    service = directory.service("sample-transport-employment")
    agency = directory.agency(service.agency_id)
    first = plan.needs[0]
    template = first.recommendations[0] if first.recommendations else None
    if template is None:
        from saihan.referral import Recommendation

        template = Recommendation(
            service_id=service.id,
            agency_id=agency.id,
            agency_kind=agency.kind,
            name=service.name,
            agency_name=agency.name,
            needs_covered=frozenset(),
            score=0,
            status=RecommendationStatus.NEEDS_CONSENT,
        )
    bad = attrs.evolve(
        template, service_id=service.id, agency_id=agency.id, agency_kind=agency.kind
    )
    return attrs.evolve(
        plan,
        needs=(attrs.evolve(first, recommendations=(*first.recommendations, bad)), *plan.needs[1:]),
    )


def test_check_rule_set_reports_failures_with_their_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(referral_properties, "match", _ineligible_added)
    failures = check_rule_set(
        default_rules(),
        DIRECTORY,
        max_examples=10,
        properties=["eligibility_respected", "service_area_respected"],
        shrink=False,
    )
    names = [failure.name for failure in failures]
    assert "eligibility_respected" in names
    failure = failures[names.index("eligibility_respected")]
    assert isinstance(failure, PropertyFailure)
    assert "sample-transport-employment" in failure.message
    assert failure.example is not None
    example = json.loads(failure.example)
    case = structure(example["case"], ConsultationCase)
    assert case.id in failure.message


def test_check_rule_set_is_reproducible_with_a_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(referral_properties, "match", _ineligible_added)
    runs = [
        check_rule_set(
            default_rules(),
            DIRECTORY,
            max_examples=5,
            seed=7,
            properties=["eligibility_respected"],
            shrink=False,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1] != []


def test_check_rule_set_reports_match_errors_as_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    def crashing(*args: Any, **kw: Any) -> Any:
        raise ValueError("the matcher broke")

    monkeypatch.setattr(referral_properties, "match", crashing)
    failures = check_rule_set(
        default_rules(), DIRECTORY, max_examples=3, properties=["monotonic"], shrink=False
    )
    assert [failure.name for failure in failures] == ["monotonic"]
    assert "the matcher broke" in failures[0].message
    assert failures[0].example is not None
    assert "extra_service" in json.loads(failures[0].example)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: check_rule_set("rules.yaml", DIRECTORY), "rules"),  # type: ignore[arg-type]
        (lambda: check_rule_set(default_rules(), {}), "directory"),  # type: ignore[arg-type]
        (lambda: check_rule_set(default_rules(), DIRECTORY, max_examples=0), "max_examples"),
        (lambda: check_rule_set(default_rules(), DIRECTORY, properties=["fast"]), "properties"),
    ],
)
def test_check_rule_set_refuses_bad_arguments(call: Callable[[], object], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        call()
    assert [item.path for item in error.value.errors] == [path]


def test_every_property_has_a_test_in_the_suite() -> None:
    names = {name.removeprefix("test_") for name in dir(RuleSetProperties)}
    assert set(PROPERTIES) <= names


def test_the_suite_defaults_to_the_default_rules_and_the_sample_directory() -> None:
    class Defaults(RuleSetProperties):
        hypothesis_examples = 3

    suite = Defaults()
    assert isinstance(suite._rules(), RuleSet)
    assert suite._rules() is default_rules()
    suite.test_rule_codes_known()
    suite.test_eligibility_respected()


# -- the guide ---------------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "checking-your-rules.md"


def _blocks(language: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copy, edit as the guide says, load, check, and run the guide's own tests."""
    monkeypatch.chdir(tmp_path)
    header, added = _blocks("yaml")
    copy, load, check, suite, own = _blocks("python")
    exec(copy, {})
    path = tmp_path / "hachioji_rules.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nid: tokyo-default")
    end = text.index("\nrules:")
    path.write_text(text[:start] + "\n" + header + text[end:] + "\n" + added, encoding="utf-8")
    exec(load, {})
    exec(check.replace("max_examples=50", "max_examples=3"), {})
    namespace: dict[str, Any] = {}
    exec(suite, namespace)
    tests = namespace["TestHachiojiRules"]
    tests.hypothesis_examples = 3
    tests().test_rule_codes_known()
    tests().test_eligibility_respected()
    namespace = {}
    exec(own, namespace)
    settings(max_examples=10)(namespace["test_no_juvenile_is_sent_to_an_adults_only_programme"])()
