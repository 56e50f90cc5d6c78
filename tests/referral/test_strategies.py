"""The referral strategies make valid objects, keep to their arguments, and serve st.from_type."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.directory import (
    Audience,
    Directory,
    LegalSituation,
    PersonAttribute,
    sample_directory,
    tokyo_municipalities,
)
from saihan.referral import (
    CASE_FIELDS,
    SERVICE_FIELDS,
    AgeTest,
    AllOf,
    AnyOf,
    Condition,
    Consent,
    ConsultationCase,
    Effect,
    Not,
    RaisedNeed,
    ReferralPlan,
    Rule,
    RuleSet,
    Subject,
    match,
    parse_condition,
)
from saihan.serialization import from_json, public_models, structure, to_json, unstructure
from saihan.testing import (
    cases,
    conditions,
    consents,
    directories,
    plans,
    raised_needs,
    rule_sets,
    rules,
    subjects,
)
from saihan.testing._hypothesis_setup import registrations

DIRECTORY = sample_directory()
TOKYO = [item.code for item in tokyo_municipalities()]
JST = dt.timezone(dt.timedelta(hours=9))

# Drawing cases and rule sets is the slow part here, not what is done with them.
quick = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trips(value: Any) -> None:
    cls = type(value)
    assert structure(unstructure(value), cls) == value
    assert from_json(to_json(value), cls) == value


@quick
@given(cases(directory=DIRECTORY))
def test_cases_are_valid_and_round_trip(case: ConsultationCase) -> None:
    _round_trips(case)
    match(case, DIRECTORY)  # accepted: needs of the directory's taxonomy, an aware time


@quick
@given(rule_sets(directory=DIRECTORY, max_rules=4))
def test_rule_sets_are_valid_and_round_trip(rule_set: RuleSet) -> None:
    _round_trips(rule_set)
    ids = [(rule.id, rule.valid_from) for rule in rule_set.rules]
    assert len(ids) == len(set(ids))


@quick
@given(st.one_of(subjects(), consents(), raised_needs(), rules(max_depth=1)))
def test_the_parts_round_trip(value: Subject | Consent | RaisedNeed | Rule) -> None:
    _round_trips(value)


def _condition_round_trips(condition: Condition) -> bool:
    return parse_condition(json.loads(json.dumps(condition.to_data()))) == condition


def _depth(condition: Condition) -> int:
    if isinstance(condition, AllOf | AnyOf):
        return 1 + max((_depth(item) for item in condition.items), default=0)
    if isinstance(condition, Not):
        return 1 + _depth(condition.item)
    return 0


@quick
@given(st.data(), st.booleans(), st.integers(0, 3))
def test_conditions_read_their_side_only_and_keep_their_depth(
    data: st.DataObject, case_side: bool, depth: int
) -> None:
    condition = data.draw(conditions(case_side=case_side, max_depth=depth))
    allowed = set(CASE_FIELDS) | {"age"} if case_side else set(SERVICE_FIELDS)
    assert condition.fields() <= allowed
    assert _depth(condition) <= depth
    assert _condition_round_trips(condition)
    if not case_side:
        assert not isinstance(condition, AgeTest)


@quick
@given(
    cases(
        needs=["housing", "employment.job_search"],
        min_needs=2,
        municipalities=["132012"],
        with_residence=True,
        legal_situations=[LegalSituation.ON_PAROLE],
        attributes=[PersonAttribute.HOMELESS],
        consulters=[Audience.FAMILY],
        min_age=20,
        max_age=29,
        age_known=True,
        with_consent=True,
        consent_kinds=["welfare_office"],
        consent_agencies=[],
        first=dt.date(2025, 1, 1),
        last=dt.date(2025, 1, 31),
    )
)
def test_cases_keep_to_their_arguments(case: ConsultationCase) -> None:
    assert set(case.need_codes) == {"housing", "employment.job_search"}
    assert case.subject.residence == "132012"
    assert case.municipality in (None, "132012")
    assert case.subject.legal_situation is LegalSituation.ON_PAROLE
    assert case.subject.attributes <= {PersonAttribute.HOMELESS}
    assert case.consulter is Audience.FAMILY
    bounds = case.subject.age_bounds(case.received_on, case.received_on)
    assert bounds is not None
    assert 20 <= bounds[0] <= bounds[1] <= 29
    assert case.consents
    assert all(c.agency_kinds == {"welfare_office"} and not c.agency_ids for c in case.consents)
    assert dt.date(2025, 1, 1) <= case.received_at.replace(tzinfo=None).date()
    assert case.received_at.replace(tzinfo=None).date() <= dt.date(2025, 1, 31)
    assert case.received_at.utcoffset() is not None


@quick
@given(cases(directory=DIRECTORY, with_residence=False, age_known=False, with_consent=False))
def test_cases_without_residence_age_or_consent(case: ConsultationCase) -> None:
    assert case.subject.residence is None
    assert case.subject.age_bounds(case.received_on, case.received_on) is None
    assert case.consents == ()
    assert case.municipality is None or case.municipality in TOKYO


@quick
@given(cases(directory=DIRECTORY, with_consent=True))
def test_cases_consent_to_the_directorys_agencies(case: ConsultationCase) -> None:
    agencies = {agency.id for agency in DIRECTORY.agencies}
    kinds = {agency.kind for agency in DIRECTORY.agencies}
    for consent in case.consents:
        assert consent.agency_ids <= agencies
        assert consent.agency_kinds <= kinds


AT = dt.datetime(2024, 6, 3, 9, 15, tzinfo=JST)


@quick
@given(cases(at=AT, needs=st.just("legal")), st.data())
def test_at_fixes_the_time_and_a_strategy_gives_the_needs(
    case: ConsultationCase, data: st.DataObject
) -> None:
    assert case.received_at == AT
    assert case.need_codes == ("legal",)
    assert case.subject.released_on is None or case.subject.released_on <= AT.date()
    consent = data.draw(consents(agency_ids=["a"], agency_kinds=[], in_force_on=AT.date()))
    assert consent.in_force(AT.date())
    assert consent.agency_ids == {"a"}


def test_a_directory_with_its_own_needs_gives_them_to_cases() -> None:
    @settings(quick, max_examples=20)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        directory = data.draw(directories(extensions=True, min_services=1, max_services=3))
        extra = {need.code for need in directory.needs}
        case = data.draw(cases(directory=directory, needs=sorted(extra)))
        assert set(case.need_codes) <= extra
        match(case, directory)

    check()


@quick
@given(rule_sets(effects=[Effect.PREFER, Effect.ADD_NEED], min_rules=1, max_rules=5, versions=True))
def test_rule_sets_keep_to_their_effects_and_count(rule_set: RuleSet) -> None:
    assert 1 <= len(rule_set.rules) <= 5
    assert {rule.effect for rule in rule_set.rules} <= {Effect.PREFER, Effect.ADD_NEED}
    for rule in rule_set.rules:
        assert rule.valid_from >= dt.date(2024, 4, 1)
        assert rule.valid_to is None or rule.valid_to <= dt.date(2029, 3, 31)


@quick
@given(rules(first=dt.date(2030, 1, 1), last=dt.date(2030, 1, 10), effects=[Effect.EXCLUDE]))
def test_rules_keep_to_their_dates(rule: Rule) -> None:
    assert rule.effect is Effect.EXCLUDE
    assert rule.target is not None
    assert dt.date(2030, 1, 1) <= rule.valid_from <= dt.date(2030, 1, 10)
    assert rule.valid_to is None or rule.valid_to <= dt.date(2030, 1, 10)


@pytest.mark.parametrize(
    "make",
    [
        lambda: cases(min_needs=0),
        lambda: cases(needs=["housing"], min_needs=2),
        lambda: cases(at=dt.datetime(2024, 6, 3)),
        lambda: cases(min_age=30, max_age=20),
        lambda: cases(legal_situations=[]),
        lambda: rule_sets(min_rules=3, max_rules=2),
        lambda: rule_sets(effects=[]),
        lambda: conditions(max_depth=-1),
        lambda: consents(agency_ids=[], agency_kinds=[]),
    ],
)
def test_impossible_arguments_are_refused_at_once(make: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the argument
        make()


@settings(quick, max_examples=25)  # each is a match and a large plan checked by its schema
@given(plans())
def test_plans_round_trip(plan: ReferralPlan) -> None:
    _round_trips(plan)


# -- st.from_type ----------------------------------------------------------------------


def test_the_hypothesis_entry_point_is_declared() -> None:
    hooks = [entry.value for entry in importlib.metadata.entry_points(group="hypothesis")]
    assert "saihan.testing._hypothesis_setup:_hypothesis_setup_hook" in hooks


def test_every_public_model_has_a_strategy() -> None:
    assert set(public_models()) <= set(registrations())


FROM_TYPE = [
    ConsultationCase,
    Subject,
    Consent,
    RuleSet,
    Rule,
    Condition,
    Directory,
    ReferralPlan,
    *(model for model in public_models() if model.__module__.startswith("saihan.referral.plan")),
]


@pytest.mark.parametrize("model", FROM_TYPE, ids=lambda model: model.__name__)
def test_from_type_gives_valid_models(model: type) -> None:
    @settings(
        deadline=None, max_examples=5, suppress_health_check=[HealthCheck.too_slow], database=None
    )
    @given(st.from_type(model))
    def check(value: Any) -> None:
        assert isinstance(value, model)
        if isinstance(value, Condition):
            assert _condition_round_trips(value)
        else:
            _round_trips(value)

    check()


def test_the_setup_module_imports_without_hypothesis() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import saihan.testing._hypothesis_setup as setup\n"
        "assert len(setup.registrations()) > 30\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
