"""Near misses: summarised by need and verdict, every one on request, old plans read."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan.cli.main import main
from saihan.directory import Directory, sample_directory
from saihan.directory.municipalities import tokyo_municipalities
from saihan.directory.service import AreaKind, ServiceArea
from saihan.errors import ValidationError
from saihan.referral import (
    NEAR_MISS_EXAMPLES,
    ConsultationCase,
    ReferralPlan,
    default_rules,
    load_case,
    match,
    reference_match,
    summarise_near_misses,
)
from saihan.serialization import from_json
from saihan.testing import (
    assert_fast_path_agrees,
    assert_near_misses_summarised,
    cases,
    directories,
    rule_sets,
)

ROOT = Path(__file__).resolve().parents[2]
ELDERLY = ROOT / "examples" / "cases" / "elderly-man-hachioji.json"
TOKYO = [item.code for item in tokyo_municipalities()]


def _elsewhere(directory: Directory, every: int = 2) -> Directory:
    """The directory with every ``every``-th service made prefecture-wide in Osaka (27):
    candidates for their needs in Tokyo, and near misses, outside their area."""
    services = [
        attrs.evolve(s, area=ServiceArea(kind=AreaKind.PREFECTURE, prefecture_code="27"))
        if position % every == 0
        else s
        for position, s in enumerate(directory.services)
    ]
    return attrs.evolve(directory, services=services)


def test_near_misses_are_summarised_by_verdict_and_listed_only_on_request() -> None:
    directory = _elsewhere(sample_directory())
    case = load_case(ELDERLY)
    plan = match(case, directory, per_need=None)
    every = match(case, directory, per_need=None, near_misses="all")
    assert plan.excluded == ()
    assert every.excluded
    assert plan.near_misses == every.near_misses == summarise_near_misses(every.excluded)
    assert attrs.evolve(every, excluded=()) == plan
    outside = [g for g in plan.near_misses if [r.code for r in g.reasons] == ["outside_area"]]
    assert outside
    for group in outside:
        ids = sorted(
            e.service_id
            for e in every.excluded
            if e.need == group.need and e.reasons == group.reasons
        )
        assert group.count == len(ids)
        assert group.examples == tuple(ids[:NEAR_MISS_EXAMPLES])
    # Within a need, the largest group comes first.
    for need in {g.need for g in plan.near_misses}:
        counts = [g.count for g in plan.near_misses if g.need == need]
        assert counts == sorted(counts, reverse=True)
    assert reference_match(case, directory, per_need=None) == plan
    assert reference_match(case, directory, per_need=None, near_misses="all") == every


def test_an_exclude_rule_is_in_the_verdict_of_the_services_it_targets() -> None:
    directory = _elsewhere(sample_directory(), every=3)
    case = load_case(ROOT / "examples" / "cases" / "man-parole-work.json")
    plan = match(case, directory, per_need=None)
    every = match(case, directory, per_need=None, near_misses="all")
    ruled = {r.rule_id for g in plan.near_misses for r in g.reasons if r.rule_id}
    assert ruled == {r.rule_id for e in every.excluded for r in e.reasons if r.rule_id}
    assert plan.near_misses == summarise_near_misses(every.excluded)


def test_a_bad_near_misses_argument_is_named() -> None:
    case = load_case(ELDERLY)
    for call in (match, reference_match):
        with pytest.raises(ValidationError) as caught:
            call(case, sample_directory(), near_misses="some")  # type: ignore[arg-type]
        assert caught.value.paths == ["near_misses"]


def test_a_version_4_plan_lists_its_near_misses_and_is_summarised_when_read() -> None:
    every = match(load_case(ELDERLY), _elsewhere(sample_directory()), near_misses="all")
    data = json.loads(every.to_json())
    data["trace_version"] = 4
    del data["near_misses"]
    old = from_json(json.dumps(data), ReferralPlan)
    assert old.near_misses == ()
    assert old.near_miss_summary() == every.near_misses
    text = old.to_text("en")
    assert "Services left out, by reason:" in text
    assert "Services left out, one by one:" in text


@pytest.mark.parametrize(
    ("lang", "heading", "hint", "each"),
    [
        ("ja", "対象外とした支援（理由ごとの件数）:", "--near-misses all", "（1件ずつ）"),
        ("en", "Services left out, by reason:", "--near-misses all", "one by one"),
    ],
)
def test_the_text_plan_shows_the_summary_and_says_how_to_see_every_one(
    capsys: pytest.CaptureFixture[str], lang: str, heading: str, hint: str, each: str
) -> None:
    assert main(["match", str(ELDERLY), "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert heading in out
    assert hint in out
    assert each not in out
    assert main(["match", str(ELDERLY), "--lang", lang, "--near-misses", "all"]) == 0
    listed = capsys.readouterr().out
    assert heading in listed
    assert hint not in listed
    assert each in listed
    plan = match(load_case(ELDERLY), sample_directory(), near_misses="all")
    assert all(e.service_id in listed for e in plan.excluded)
    assert len(listed.splitlines()) > len(out.splitlines())


def test_the_json_plan_has_the_summary_and_every_one_on_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", str(ELDERLY), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data.get("excluded", []) == []
    assert data["near_misses"]
    assert main(["match", str(ELDERLY), "--format", "json", "--near-misses", "all"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sum(g["count"] for g in listed["near_misses"]) == len(listed["excluded"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_summary_counts_the_full_list_on_random_directories(data: st.DataObject) -> None:
    """Random directories (prefecture-wide services of other prefectures among them) and
    rule sets: the summary is the full list's, and both paths agree in both modes."""
    directory = data.draw(directories(min_services=1, max_services=10), label="directory")
    rules = data.draw(
        st.just(default_rules()) | rule_sets(directory=directory, min_rules=1, max_rules=4),
        label="rules",
    )
    case: ConsultationCase = data.draw(
        cases(directory=directory, municipalities=TOKYO), label="case"
    )
    plan = match(case, directory, rules, per_need=None)
    assert_near_misses_summarised(case, directory, plan, rules, per_need=None)
    assert_fast_path_agrees(case, directory, plan, rules, per_need=None)
    every = match(case, directory, rules, per_need=None, near_misses="all")
    assert sum(g.count for g in plan.near_misses) == len(every.excluded)
