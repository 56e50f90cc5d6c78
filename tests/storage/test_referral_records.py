"""Referral records in stores: the example cases, record ids, day ranges, privacy.

Every backend runs the conformance suite's tests of cases, rule sets and plans
(``saihan.testing.storage``); these test what the record types themselves
promise, on the built-in backends.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan import storage
from saihan._validation import ID_PATTERN
from saihan.access import Principal
from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.referral import ConsultationCase, default_rules, load_case, match
from saihan.storage import Store
from saihan.storage.referral_records import (
    CASES,
    PLANS,
    REFERRAL_RECORD_TYPES,
    RULE_SETS,
    plan_record_id,
    received_cover,
    received_keys,
    rule_set_record_id,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))
ID = re.compile(ID_PATTERN)
TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/s.db"
    with storage.open(url, principal=Principal.system()) as opened:
        yield opened


def _examples() -> list[ConsultationCase]:
    return [load_case(path) for path in EXAMPLES]


def test_the_record_kinds_are_the_documented_ones() -> None:
    assert [record_type.kind for record_type in REFERRAL_RECORD_TYPES] == [
        "case",
        "rule_set",
        "referral_plan",
        "referral",
        "audit_event",
        "flow",
        "audit_chain",
    ]
    assert (CASES.label, RULE_SETS.label, PLANS.label) == ("case", "rule set", "referral plan")
    text = (ROOT / "docs" / "storage.md").read_text(encoding="utf-8")
    for kind in (
        "`case`",
        "`rule_set`",
        "`referral_plan`",
        "`referral`",
        "`audit_event`",
        "`flow`",
        "`audit_chain`",
    ):
        assert kind in text


def test_the_example_cases_are_stored_and_found(store: Store) -> None:
    cases = _examples()
    assert len(cases) == 8
    with store.transaction():
        for case in cases:
            store.cases.put(case)
    assert [item.value for item in store.cases.list()] == sorted(cases, key=lambda c: c.id)
    for case in cases:
        assert store.cases.get(case.id).value == case
        if case.municipality is not None:
            assert case.id in [c.value.id for c in store.cases.by_municipality(case.municipality)]
        for code in case.need_codes:
            assert case.id in [c.value.id for c in store.cases.by_need(code)]
    hachioji = [c.value.id for c in store.cases.by_municipality("八王子市")]
    assert "example-elderly-man-hachioji" in hachioji
    on_day = store.cases.search(
        received_from=dt.date(2024, 11, 5), received_to=dt.date(2024, 11, 5)
    )
    assert "example-elderly-man-hachioji" in [c.value.id for c in on_day]
    assert store.integrity_check() == []


def test_plans_of_the_example_cases_round_trip_with_their_rules(store: Store) -> None:
    directory = sample_directory()
    rules = store.rule_sets.put(default_rules()).value
    at = dt.datetime(2024, 11, 5, 10, 30, tzinfo=TOKYO)
    for case in _examples():
        store.cases.put(case)
        plan = match(case, directory, rules=rules, at=at)
        assert store.plans.put(plan).value == plan
        assert store.plans.latest_for_case(case.id) is not None
        again = match(store.cases.get(case.id).value, directory, rules=rules, at=at)
        assert again == store.plans.find_plan(case.id, at).value  # type: ignore[union-attr]
    stored_rules = store.rule_sets.latest(rules.id).value
    assert stored_rules == default_rules()
    case = store.cases.get("example-elderly-man-hachioji").value
    assert match(case, directory, rules=stored_rules, at=at) == match(
        case, directory, rules=default_rules(), at=at
    )


@given(
    st.from_regex(ID, fullmatch=True),
    st.from_regex(ID, fullmatch=True),
    st.text(min_size=1, max_size=40),
    st.text(min_size=1, max_size=40),
)
def test_rule_set_record_ids_are_ids_and_tell_versions_apart(
    first: str, second: str, version: str, other: str
) -> None:
    made = rule_set_record_id(first, version)
    assert ID.match(made)
    assert made == rule_set_record_id(first, version)
    if (first, version) != (second, other):
        assert made != rule_set_record_id(second, other)


def test_rule_set_record_ids_are_readable() -> None:
    assert rule_set_record_id("tokyo-default", "2024.1").startswith("tokyo-default.2024.1.")
    assert rule_set_record_id("tokyo-default", "2024.1") != rule_set_record_id(
        "tokyo-default", "2024/1"
    )
    assert rule_set_record_id("a" * 128, "第2版").startswith("a" * 100)


_MOMENTS = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([dt.UTC, TOKYO, dt.timezone(dt.timedelta(hours=-5))]),
)


@given(st.from_regex(ID, fullmatch=True), _MOMENTS, _MOMENTS)
def test_plan_record_ids_are_ids_and_sort_one_case_by_time(
    case_id: str, at: dt.datetime, other: dt.datetime
) -> None:
    made = plan_record_id(case_id, at)
    assert ID.match(made)
    assert made == plan_record_id(case_id, at.astimezone(TOKYO))  # the same moment
    other_id = plan_record_id(case_id, other)
    assert (made == other_id) == (at == other)
    assert (made < other_id) == (at < other)


def test_plan_record_ids_refuse_what_cannot_name_a_plan() -> None:
    with pytest.raises(ValidationError) as caught:
        plan_record_id("Not An Id", dt.datetime(2024, 1, 1))
    assert caught.value.paths == ["case_id", "at"]
    assert "Not An Id" not in str(caught.value)


@given(st.dates(), st.dates(), st.dates())
def test_received_cover_is_exactly_the_range(first: dt.date, last: dt.date, day: dt.date) -> None:
    cover = received_cover(first, last)
    assert bool(cover & set(received_keys(day))) == (first <= day <= last)
    if first <= last and (last - first).days < 3 * 366:
        assert len(cover) <= 2 * (31 + 12) + 3


def test_no_record_value_reaches_the_log(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    case = load_case(EXAMPLES[0])
    assert case.summary is not None
    store.import_directory(sample_directory())
    stored = store.cases.put(case)
    store.cases.put(case, expected_version=stored.version)
    store.plans.put(match(case, sample_directory(), at=case.received_at))
    store.cases.by_need(case.need_codes[0])
    store.info()
    store.integrity_check()
    assert case.summary not in caplog.text
    assert case.summary[:30] not in caplog.text


def test_an_unreadable_case_is_reported_by_id_and_path_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    case = load_case(EXAMPLES[0])
    assert case.summary is not None
    with storage.open(url, principal=Principal.system()) as store:
        store.cases.put(case)
    with sqlite3.connect(tmp_path / "s.db") as db:
        (document,) = db.execute(
            "SELECT document FROM saihan_records WHERE kind = 'case'"
        ).fetchone()
        data = json.loads(document)
        data["needs"] = case.summary  # a document that no longer fits the model
        db.execute(
            "UPDATE saihan_records SET document = ? WHERE kind = 'case'", (json.dumps(data),)
        )
    with storage.open(url, principal=Principal.system()) as store:
        problems = store.integrity_check()
        assert len(problems) == 2  # unreadable, and changed without an audit event
        assert case.id in problems[0]
        assert "needs" in problems[0]
        assert "differs from what audit event" in problems[1]
        assert case.summary[:20] not in " ".join(problems)
        with pytest.raises(storage.StorageError) as caught:
            store.cases.get(case.id)
        assert case.summary[:20] not in str(caught.value)


def test_store_cases_lists_ids_places_and_days_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from saihan.cli import main

    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    url = f"sqlite:///{tmp_path}/cli.db"
    cases = _examples()
    with storage.open(url, principal=Principal.system()) as store:
        for case in cases:
            store.cases.put(case)
    assert main(["store", "cases", "--url", url, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "8 cases" in out
    assert "example-elderly-man-hachioji" in out
    assert "132012 八王子市" in out
    assert "2024-11-05" in out
    for case in cases:
        assert case.summary is None or case.summary[:20] not in out
    listing = ["store", "cases", "--url", url, "--municipality", "八王子市", "--need", "housing"]
    assert main([*listing, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith("example-elderly-man-hachioji")
    assert "1 case\n" in out
    assert main(["store", "cases", "--url", url, "--municipality", "132013"]) != 0
    assert main(["store", "cases", "--url", f"sqlite:///{tmp_path}/none.db"]) != 0
