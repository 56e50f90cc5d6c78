"""Rule files: loading, validation with rule ids and paths, dated versions, each effect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from _cases import RECEIVED, case

from saihan import ValidationError
from saihan.directory import Audience, LegalSituation, PersonAttribute, sample_directory
from saihan.referral import (
    Effect,
    RuleSet,
    default_rules,
    load_rules,
    match,
    rules_from_data,
)
from saihan.referral.rules import rule_set_json

PLAN_START, PLAN_END = dt.date(2024, 4, 1), dt.date(2029, 3, 31)


def rule(rule_id: str, effect: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "description": {"ja": f"規則 {rule_id}", "en": f"rule {rule_id}"},
        "source": {"document": "test"},
        "valid_from": "2024-04-01",
        "effect": effect,
        **fields,
    }


def rule_set(*rules: dict[str, Any]) -> RuleSet:
    return rules_from_data(
        {"id": "test", "version": "1", "description": {"ja": "テスト"}, "rules": list(rules)}
    )


KIND = {"field": "service.agency_kind", "equals": "welfare_office"}


def test_the_default_rules_cite_the_plan_and_apply_for_its_five_years() -> None:
    rules = default_rules()
    assert len(rules.rules) >= 15
    for item in rules.rules:
        assert item.source.document == "第二次東京都再犯防止推進計画"
        assert item.source.section is not None
        assert item.source.section.startswith("重点課題")
        assert item.description.en
        assert (item.valid_from, item.valid_to) == (PLAN_START, PLAN_END)
    assert {item.effect for item in rules.rules} == set(Effect) - {Effect.DEMOTE}
    assert rules.active(dt.date(2024, 3, 31)) == ()
    assert rules.active(PLAN_END) == rules.rules


def test_a_rule_set_round_trips_through_json() -> None:
    rules = default_rules()
    assert load_rules(rule_set_json(rules)) == rules


BAD_RULES = """\
id: bad
version: "1"
description: {ja: 壊れた規則}
rules:
  - id: wrong-field
    description: {ja: x}
    source: {document: test}
    valid_from: 2024-04-01
    when: {field: case.legal_situtation, equals: on_parole}
    effect: first
    target: {field: service.agency_kind, equals: probation_office}
  - id: wrong-dates
    description: {ja: x}
    source: {document: test}
    valid_from: 2025-04-01
    valid_to: 2024-03-31
    effect: prefer
    target: {field: service.agency_kind, equals: probaton_office}
  - id: wrong-value
    description: {ja: x}
    source: {document: test}
    valid_from: 2024-04-01
    when: {all: [{field: case.legal_situation, in: [on_parol]}, {age: {gte: 20}}]}
    effect: exclude
    target: {field: case.attributes, has: elderly}
"""


def test_a_bad_rule_file_names_every_rule_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD_RULES, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_rules(path)
    found = {(item.path, item.message.split(":")[0]) for item in caught.value.errors}
    assert found == {
        ("rules[0].when.field", "rule 'wrong-field'"),
        ("rules[1].valid_to", "rule 'wrong-dates'"),
        ("rules[1].target.equals", "rule 'wrong-dates'"),
        ("rules[2].when.all[0].in[0]", "rule 'wrong-value'"),
        ("rules[2].when.all[1].age.gte", "rule 'wrong-value'"),
        ("rules[2].target", "rule 'wrong-value'"),
    }


def test_unreadable_and_malformed_files_are_validation_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="line 2"):
        load_rules(broken)
    shift_jis = tmp_path / "sjis.yaml"
    shift_jis.write_bytes("id: 規則\n".encode("shift_jis"))
    with pytest.raises(ValidationError):
        load_rules(shift_jis)


def test_versions_of_a_rule_may_follow_each_other_but_not_overlap() -> None:
    first = rule("r", "prefer", target=KIND, valid_to="2025-03-31", weight=3)
    second = rule("r", "prefer", target=KIND, weight=9) | {"valid_from": "2025-04-01"}
    rules = rule_set(first, second)
    assert rules.rule("r", dt.date(2024, 5, 1)).weight == 3
    assert rules.rule("r", dt.date(2025, 5, 1)).weight == 9
    overlapping = rule("r", "prefer", target=KIND) | {"valid_from": "2025-03-01"}
    with pytest.raises(ValidationError) as caught:
        rule_set(first, overlapping)
    assert caught.value.paths == ["rules[1].valid_from"]
    assert "still applies" in caught.value.errors[0].message


def test_effects_need_what_they_act_on() -> None:
    with pytest.raises(ValidationError) as caught:
        rule_set(
            rule("no-target", "prefer"),
            rule("no-need", "add_need"),
            rule("need-and-target", "add_need", need="housing", target=KIND),
            rule("scope", "prefer", target=KIND, for_needs=["nowhere"]),
        )
    assert set(caught.value.paths) == {
        "rules[0].target",
        "rules[1].need",
        "rules[2].target",
        "rules[3].for_needs[0]",
    }


# -- each effect, on the sample directory ----------------------------------------------


def ids(plan_needs: Any) -> list[str]:
    return [rec.service_id for rec in plan_needs]


def test_exclude_leaves_a_service_out_and_says_which_rule() -> None:
    rules = rule_set(rule("no-welfare", "exclude", target=KIND))
    plan = match(
        case("welfare.public_assistance"),
        sample_directory(),
        rules,
        per_need=None,
        near_misses="all",
    )
    assert "hachioji-welfare-office-public-assistance" not in plan.recommended_ids()
    reasons = {
        (exclusion.service_id, reason.rule_id)
        for exclusion in plan.excluded
        for reason in exclusion.reasons
    }
    assert ("hachioji-welfare-office-public-assistance", "no-welfare") in reasons


def test_prefer_and_demote_move_the_score_by_their_weight() -> None:
    target = "hachioji-welfare-office-public-assistance"
    plain = match(case("welfare"), sample_directory(), rule_set(), per_need=None)
    base = next(rec.score for rec in plain.recommendations() if rec.service_id == target)
    for effect, sign in (("prefer", 1), ("demote", -1)):
        rules = rule_set(rule("move", effect, target=KIND, weight=7))
        plan = match(case("welfare"), sample_directory(), rules, per_need=None)
        moved = next(rec for rec in plan.recommendations() if rec.service_id == target)
        assert moved.score == base + sign * 7
        assert [r.rule_id for r in moved.reasons if r.rule_id] == ["move"]


def test_first_ranks_a_service_above_higher_scores() -> None:
    target = {"field": "service.agency_kind", "equals": "tokyo_crime_worry_desk"}
    rules = rule_set(rule("desk-first", "first", target=target))
    need = "welfare.public_assistance"  # the desk meets only the broader "welfare"
    plan = match(case(need), sample_directory(), rules, per_need=None)
    ranked = plan.needs[0].recommendations
    assert ranked[0].service_id == "tokyo-crime-worry-desk"
    assert ranked[0].first
    assert ranked[0].score < ranked[1].score


def test_require_keeps_a_service_past_the_limit_or_reports_it_missing() -> None:
    desk = {"field": "service.agency_kind", "equals": "tokyo_crime_worry_desk"}
    rules = rule_set(rule("desk-required", "require", target=desk))
    plan = match(case("welfare"), sample_directory(), rules, per_need=1)
    assert "tokyo-crime-worry-desk" in ids(plan.needs[0].recommendations)
    assert plan.missing == ()
    nobody = {"field": "service.agency_kind", "equals": "darc"}
    plan = match(
        case("welfare"), sample_directory(), rule_set(rule("darc", "require", target=nobody))
    )
    assert [(item.rule_id, item.needs) for item in plan.missing] == [("darc", ("welfare",))]


def test_add_need_adds_the_need_with_its_urgency_and_the_facts_used() -> None:
    rules = default_rules()
    plan = match(case("welfare", attributes=(PersonAttribute.HOMELESS,)), sample_directory(), rules)
    added = next(np for np in plan.needs if np.need == "housing.emergency")
    assert added.added_by == "homeless-emergency-housing-need"
    assert added.urgency.value == "urgent"
    assert plan.needs[0].need == "housing.emergency"  # most urgent first
    assert any(fact.field == "case.attributes" for fact in added.added_because)


def test_for_needs_limits_an_effect_to_those_needs() -> None:
    rules = rule_set(rule("only-housing", "exclude", target=KIND, for_needs=["housing"]))
    plan = match(case("housing", "welfare"), sample_directory(), rules, per_need=None)
    welfare_office = "hachioji-welfare-office-public-assistance"
    assert welfare_office not in ids(plan.recommendations("housing"))
    assert welfare_office in ids(plan.recommendations("welfare"))


def test_a_rule_applies_only_between_its_dates() -> None:
    rules = rule_set(rule("later", "exclude", target=KIND) | {"valid_from": "2025-04-01"})
    before = match(case("welfare"), sample_directory(), rules, per_need=None)
    after = match(
        case("welfare"),
        sample_directory(),
        rules,
        RECEIVED.replace(year=2025, month=6),
        per_need=None,
    )
    office = "hachioji-welfare-office-public-assistance"
    assert office in before.recommended_ids()
    assert office not in after.recommended_ids()
    assert "later" in after.applied_rules
    assert "later" not in before.applied_rules


def test_when_conditions_read_the_case() -> None:
    rules = rule_set(
        rule(
            "parolees-only",
            "exclude",
            when={"field": "case.legal_situation", "equals": "on_parole"},
            target=KIND,
        )
    )
    office = "hachioji-welfare-office-public-assistance"
    on_parole = case("welfare", legal=LegalSituation.ON_PAROLE)
    assert (
        office not in match(on_parole, sample_directory(), rules, per_need=None).recommended_ids()
    )
    free = case("welfare", consulter=Audience.FAMILY)
    assert office in match(free, sample_directory(), rules, per_need=None).recommended_ids()


def test_rules_may_name_a_directorys_own_needs_and_kinds() -> None:
    from saihan.directory import load_directory

    examples = Path(__file__).resolve().parents[2] / "examples"
    extended = load_directory(examples / "municipal_extension.json")
    data = {
        "id": "hachioji",
        "version": "1",
        "description": {"ja": "八王子市"},
        "rules": [
            rule(
                "food-banks",
                "prefer",
                target={"field": "service.agency_kind", "equals": "food_bank"},
                for_needs=["welfare.food"],
            )
        ],
    }
    with pytest.raises(ValidationError) as caught:
        rules_from_data(data)  # against the bundled codes only
    assert set(caught.value.paths) == {"rules[0].target.equals", "rules[0].for_needs[0]"}
    rules = rules_from_data(data, directory=extended)
    assert rules.rules[0].for_needs == frozenset({"welfare.food"})


def test_a_plan_from_a_newer_saihan_is_refused() -> None:
    import json

    from saihan.referral import TRACE_VERSION, ReferralPlan
    from saihan.serialization import from_json

    plan = match(case("welfare"), sample_directory())
    data = json.loads(plan.to_json())
    data["trace_version"] = TRACE_VERSION + 1
    with pytest.raises(ValidationError, match="newer saihan") as caught:
        from_json(json.dumps(data), ReferralPlan)
    assert caught.value.paths == ["trace_version"]


def test_the_bundled_rules_pass_every_check_that_loading_rules_makes() -> None:
    """default_rules() builds the bundled file without the schema and limits checks
    (they would cost every start); here the file goes through all of them, and the
    quick reading gives the same rules."""
    from jsonschema import Draft202012Validator

    from saihan.limits import parse_yaml
    from saihan.referral.rules import _bundled_rule_set, _bundled_rules_text, _plain
    from saihan.serialization import json_schema, schema_errors

    text = _bundled_rules_text()
    data = _plain(parse_yaml(text))  # within the default limits
    assert schema_errors(data, RuleSet) == []
    plain = Draft202012Validator(
        json_schema(RuleSet), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [error.message for error in plain.iter_errors(data)] == []
    assert load_rules(text) == default_rules() == _bundled_rule_set(text)
    assert rule_set_json(default_rules()) == rule_set_json(load_rules(text))


def test_the_quick_reading_of_bundled_rules_still_runs_the_models_checks() -> None:
    from saihan.referral.rules import _bundled_rule_set, _bundled_rules_text

    repeated = _bundled_rules_text().replace(
        b"id: special-coordination-settlement-centre-first", b"id: special-coordination-need"
    )
    with pytest.raises(ExceptionGroup) as caught:  # cattrs wraps what the model raised
        _bundled_rule_set(repeated)
    found, _ = caught.value.split(ValidationError)
    assert found is not None
    assert "special-coordination-need" in str(found.exceptions)
