"""The condition language: parsing with paths, meaning, and compiled == walked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from _cases import RECEIVED
from hypothesis import given
from hypothesis import strategies as st

from saihan import ValidationError
from saihan.directory import sample_directory
from saihan.referral import (
    CASE_FIELDS,
    SERVICE_FIELDS,
    ConsultationCase,
    MatchIndex,
    compile_condition,
    evaluate,
    parse_condition,
)
from saihan.referral.match import _case_facts
from saihan.testing import cases, conditions

INDEX = MatchIndex.of(sample_directory())
SERVICE_IDS = sorted(INDEX.entries)


def case_facts(case: ConsultationCase) -> dict[str, Any]:
    return _case_facts(case, case.need_codes, [n.code for n in case.needs], case.received_at, INDEX)


def service_facts(service_id: str, local: bool) -> dict[str, Any]:
    return {**INDEX.entries[service_id].facts, "service.local": local}


@given(
    condition=conditions(case_side=True, max_depth=3),
    case=cases(directory=sample_directory()),
)
def test_a_compiled_when_condition_agrees_with_walking_the_tree(
    condition: Any, case: ConsultationCase
) -> None:
    facts = case_facts(case)
    assert compile_condition(condition)(facts, {}) is evaluate(condition, facts, {})


@given(
    condition=conditions(case_side=False, max_depth=3, directory=sample_directory()),
    service_id=st.sampled_from(SERVICE_IDS),
    local=st.booleans(),
)
def test_a_compiled_target_condition_agrees_with_walking_the_tree(
    condition: Any, service_id: str, local: bool
) -> None:
    facts = service_facts(service_id, local)
    assert compile_condition(condition)({}, facts) is evaluate(condition, {}, facts)


@given(condition=st.one_of(conditions(case_side=True), conditions(case_side=False)))
def test_a_condition_round_trips_through_its_data(condition: Any) -> None:
    assert parse_condition(condition.to_data()) == condition


def test_every_field_is_documented_and_on_its_side() -> None:
    assert all(name.startswith("case.") for name in CASE_FIELDS)
    assert all(name.startswith("service.") for name in SERVICE_FIELDS)
    assert all(spec.doc for spec in (*CASE_FIELDS.values(), *SERVICE_FIELDS.values()))


@pytest.mark.parametrize(
    ("data", "paths"),
    [
        ({"field": "case.nothing", "equals": "x"}, ["field"]),
        ({"field": "case.legal_situation", "has": "x"}, [""]),
        ({"field": "case.legal_situation", "in": ["on_parol"]}, ["in[0]"]),
        ({"field": "case.attributes", "has_any": []}, ["has_any"]),
        ({"field": "case.days_since_release", "lt": "soon"}, ["lt"]),
        (
            {"all": [{"age": {"ge": 200}}, {"not": {"field": "case.needs", "has": "nope"}}]},
            ["all[0].age.ge", "all[1].not.has"],
        ),
        ({"any": "x"}, ["any"]),
        ({"all": [], "any": []}, [""]),
        ("text", [""]),
        ({"field": "service.local", "in": [True]}, [""]),
    ],
)
def test_bad_conditions_name_the_path(data: Any, paths: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_condition(data)
    assert caught.value.paths == paths


def test_need_sets_hold_ancestors_and_age_tests_hold_only_when_certain() -> None:
    from _cases import case

    emergency = case_facts(case("housing.emergency"))
    has_housing = parse_condition({"field": "case.needs", "has": "housing"})
    assert evaluate(has_housing, emergency, {})
    unknown_age = case_facts(case("housing", age=None))
    young = parse_condition({"age": {"lt": 20}})
    assert not evaluate(young, unknown_age, {})
    assert evaluate(parse_condition({"not": {"age": {"lt": 20}}}), unknown_age, {})
    nineteen = case("housing", age=19)
    later = _case_facts(nineteen, ["housing"], [], RECEIVED + dt.timedelta(days=30), INDEX)
    # A month later the person may have turned 20: "under 20" is no longer certain.
    assert evaluate(young, case_facts(nineteen), {})
    assert not evaluate(young, later, {})
    on_day = parse_condition({"age": {"lt": 20, "on": RECEIVED.date().isoformat()}})
    assert evaluate(on_day, later, {})
