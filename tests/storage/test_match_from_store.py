"""``match(case, store)`` and ``saihan match --store``: only the part of the directory a
case can use is read, through the backend's index, and the plan is the same.

The property over random directories, cases, rule sets and flows is in the
conformance suite (``test_a_match_from_the_store_equals_the_match_in_memory``), run
on every backend; these are the examples and the checks of how the store is read.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.directory import AreaKind, Directory, Service, sample_directory
from saihan.errors import ValidationError
from saihan.referral import (
    ConsultationCase,
    candidate_needs,
    default_rules,
    load_case,
    match,
    match_needs,
)
from saihan.storage import CachedDirectorySource, Store
from saihan.storage import sqlite as sqlite_backend
from saihan.storage.directory_records import area_keys
from saihan.storage.engine import Condition

CASES = Path(__file__).resolve().parents[2] / "examples" / "cases"
ELDERLY = CASES / "elderly-man-hachioji.json"
HACHIOJI = "132012"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'saihan.db'}"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    return url


@pytest.fixture
def no_whole_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the whole directory fails the test."""

    def refuse(self: Store) -> Directory:
        raise AssertionError("load_directory was called")

    monkeypatch.setattr(Store, "load_directory", refuse)


def _case() -> ConsultationCase:
    return load_case(ELDERLY, directory=sample_directory())


def _may_serve(service: Service, place: str | None, related: frozenset[str]) -> bool:
    """What load_directory_for must select, worked out from the services themselves."""
    area = service.area
    covers = area.kind is not AreaKind.MUNICIPALITIES or place in area.municipality_codes
    return covers and not service.needs.isdisjoint(related)


def test_only_the_services_of_the_area_and_needs_are_loaded() -> None:
    directory = sample_directory()
    case = _case()
    needs = match_needs(case)
    related = frozenset().union(*(candidate_needs(directory.taxonomy, n) for n in needs))
    with storage.open("memory://", principal=Principal.system()) as store:
        store.import_directory(directory)
        part = store.load_directory_for(HACHIOJI, needs)
        by_area = store.load_directory_for(HACHIOJI)
        nothing = store.load_directory_for(HACHIOJI, needs=())
        unknown = store.load_directory_for(None, needs=["no-such-need"])
    expected = sorted(s.id for s in directory.services if _may_serve(s, HACHIOJI, related))
    assert sorted(s.id for s in part.services) == expected
    assert 0 < len(part.services) < len(by_area.services) < len(directory.services)
    every = frozenset(code for need in directory.taxonomy for code in [need.code])
    assert sorted(s.id for s in by_area.services) == sorted(
        s.id for s in directory.services if _may_serve(s, HACHIOJI, every)
    )
    assert {a.id for a in part.agencies} == {s.agency_id for s in part.services}
    assert nothing.services == ()
    assert unknown.services == ()
    assert nothing.meta == directory.meta
    assert nothing.needs == directory.needs


def test_a_match_from_the_store_reads_no_whole_directory(no_whole_directory: None) -> None:
    directory = sample_directory()
    case = _case()
    with storage.open("memory://", principal=Principal.system()) as store:
        store.import_directory(directory)
        for per_need in (None, 5):
            found = match(case, store, per_need=per_need)
            assert found.to_json() == match(case, directory, per_need=per_need).to_json()


def test_bad_arguments_are_refused_with_their_paths() -> None:
    with storage.open("memory://", principal=Principal.system()) as store:
        with pytest.raises(ValidationError) as raised:
            store.load_directory_for(HACHIOJI, needs="housing")
        assert raised.value.paths == ["needs"]
        with pytest.raises(ValidationError) as raised:
            store.load_directory_for(HACHIOJI, services=["ok", 3])  # type: ignore[list-item]
        assert raised.value.paths == ["services[1]"]
        with pytest.raises(ValidationError) as raised:
            store.load_directory_for("1234")
        assert raised.value.paths
    with pytest.raises(ValidationError) as raised:
        match(_case(), object())  # type: ignore[arg-type]
    assert raised.value.paths == ["directory"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_saihan_match_store_gives_the_plan_of_the_whole_directory(
    capsys: pytest.CaptureFixture[str],
    sqlite_url: str,
    no_whole_directory: None,
    whole_scans: list[str],
) -> None:
    code, expected, _ = run(capsys, "match", str(ELDERLY), "--format", "json", "--per-need", "all")
    assert code == 0
    code, found, err = run(
        capsys,
        "match",
        str(ELDERLY),
        "--store",
        sqlite_url,
        "--format",
        "json",
        "--per-need",
        "all",
    )
    assert code == 0
    assert found == expected
    assert "SAMPLE" in err
    assert whole_scans == []  # no path read every service or agency of the store


def _far_service() -> Service:
    """A housing service of the sample whose area does not cover Hachioji."""
    return next(
        service
        for service in sample_directory().services
        if service.area.kind is AreaKind.MUNICIPALITIES
        and HACHIOJI not in service.area.municipality_codes
    )


def _flow_file(tmp_path: Path, service_id: str) -> Path:
    flow = {
        "id": "far-service",
        "version": "1",
        "title": {"ja": "遠くの支援につなぐ", "en": "Connect to a service far away"},
        "source": {"document": "test"},
        "start": "go",
        "nodes": [
            {
                "id": "go",
                "kind": "action",
                "actions": [{"add_need": "housing"}, {"connect": {"service": service_id}}],
                "next": "done",
            },
            {"id": "done", "kind": "end", "text": {"ja": "終わり", "en": "done"}},
        ],
    }
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(flow, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_flow_naming_a_service_outside_the_area_is_checked_as_on_the_whole_directory(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, tmp_path: Path, no_whole_directory: None
) -> None:
    far = _far_service()
    with storage.open(sqlite_url, principal=Principal.system()) as store:
        part = store.load_directory_for(HACHIOJI, match_needs(_case(), default_rules()))
    assert far.id not in {service.id for service in part.services}  # the flow loads it
    flow = str(_flow_file(tmp_path, far.id))
    argv = ["match", str(ELDERLY), "--format", "json", "--flow", flow, "--per-need", "all"]
    code, expected, _ = run(capsys, *argv)
    assert code == 0
    assert json.loads(expected)["flow"]["flow_id"] == "far-service"
    code, found, _ = run(capsys, *argv, "--store", sqlite_url)
    assert code == 0
    assert found == expected
    # A service the store does not have fails as it does on the whole directory.
    missing = str(_flow_file(tmp_path, "no-such-service"))
    code, _, expected_err = run(capsys, "match", str(ELDERLY), "--flow", missing)
    assert code == 1
    code, _, err = run(capsys, "match", str(ELDERLY), "--flow", missing, "--store", sqlite_url)
    assert code == 1
    assert err == expected_err
    assert "no-such-service" in err


def test_sqlite_answers_the_area_and_need_query_from_its_index(sqlite_url: str) -> None:
    directory = sample_directory()
    areas = {value for service in directory.services for _, value in area_keys(service)}
    conditions = [
        Condition("area", frozenset(areas)),
        Condition("need", frozenset(candidate_needs(directory.taxonomy, "housing"))),
    ]
    hits, params = sqlite_backend._hits("service", conditions)
    query = f"SELECT id, version, document FROM saihan_records WHERE kind = ? AND id IN ({hits})"
    db = sqlite3.connect(sqlite_backend.sqlite_path(storage.parse_url(sqlite_url)))
    try:
        db.execute("ANALYZE")
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", ["service", *params])]
    finally:
        db.close()
    assert not [step for step in plan if step.startswith("SCAN saihan_")], plan
    index_searches = [s for s in plan if s.startswith("SEARCH saihan_index USING PRIMARY KEY")]
    assert len(index_searches) == 2, plan
    assert any(s.startswith("SEARCH saihan_records USING INDEX") for s in plan), plan


def test_a_cached_source_refuses_bad_arguments_with_their_paths() -> None:
    with storage.open("memory://", principal=Principal.system()) as store:
        for size in (0, True, "9"):
            with pytest.raises(ValidationError) as raised:
                CachedDirectorySource(store, size=size)  # type: ignore[arg-type]
            assert raised.value.paths == ["size"]
        with pytest.raises(ValidationError) as raised:
            CachedDirectorySource(object())  # type: ignore[arg-type]
        assert raised.value.paths == ["store"]
        source = CachedDirectorySource(store, size=1)
        with pytest.raises(ValidationError) as raised:
            source.load_directory_for(HACHIOJI, needs="housing")
        assert raised.value.paths == ["needs"]


def test_a_cached_source_keeps_at_most_size_parts(no_whole_directory: None) -> None:
    with storage.open("memory://", principal=Principal.system()) as store:
        store.import_directory(sample_directory())
        source = CachedDirectorySource(store, size=1)
        housing = source.load_directory_for(HACHIOJI, ["housing"])
        assert source.load_directory_for("八王子市", ["housing"]) is housing  # name or code
        source.load_directory_for(HACHIOJI, ["welfare"])
        assert source.load_directory_for(HACHIOJI, ["housing"]) is not housing
        assert source.reads == 3
        assert source.revision == store.revision()


@pytest.fixture
def whole_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kinds the SQLite backend is asked to scan without a condition (a whole read)."""
    seen: list[str] = []
    scan = sqlite_backend._SqliteTransaction.scan

    def counting(self: Any, kind: str, conditions: Any = (), **options: Any) -> Any:
        if not conditions and kind in ("service", "agency"):
            seen.append(kind)
        return scan(self, kind, conditions, **options)

    monkeypatch.setattr(sqlite_backend._SqliteTransaction, "scan", counting)
    return seen


def test_saihan_gaps_store_gives_the_report_of_the_whole_directory(
    capsys: pytest.CaptureFixture[str],
    sqlite_url: str,
    no_whole_directory: None,
    whole_scans: list[str],
) -> None:
    for form in ("csv", "json"):
        code, expected, _ = run(capsys, "gaps", str(CASES), "--format", form)
        assert code == 0
        code, found, _ = run(capsys, "gaps", str(CASES), "--store", sqlite_url, "--format", form)
        assert code == 0
        assert found == expected
    assert len(expected.splitlines()) > 0
    assert whole_scans == []  # no path read every service or agency of the store
    code, _, err = run(capsys, "gaps", str(CASES), "--store", sqlite_url, "--input", str(ELDERLY))
    assert code != 0
    assert "store" in err


def test_gap_report_refuses_what_is_neither_a_directory_nor_a_store() -> None:
    from saihan.referral import gap_report

    with pytest.raises(ValidationError) as raised:
        gap_report([_case()], object())  # type: ignore[arg-type]
    assert raised.value.paths == ["directory"]


def test_sqlite_answers_the_candidate_query_from_one_range_of_its_index(sqlite_url: str) -> None:
    """With ``candidate_index`` the Store asks for (need, area) pairs: one condition."""
    from saihan.storage.directory_records import need_area_key

    directory = sample_directory()
    areas = {value for service in directory.services for _, value in area_keys(service)}
    pairs = frozenset(
        need_area_key(need, area)
        for need in candidate_needs(directory.taxonomy, "housing")
        for area in areas
    )
    hits, params = sqlite_backend._hits("service", [Condition("need_area", pairs)])
    query = f"SELECT id, version, document FROM saihan_records WHERE kind = ? AND id IN ({hits})"
    db = sqlite3.connect(sqlite_backend.sqlite_path(storage.parse_url(sqlite_url)))
    try:
        db.execute("ANALYZE")
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", ["service", *params])]
        found = {row[0] for row in db.execute(query, ["service", *params])}
    finally:
        db.close()
    assert not [step for step in plan if step.startswith("SCAN saihan_")], plan
    index_searches = [s for s in plan if s.startswith("SEARCH saihan_index USING PRIMARY KEY")]
    assert len(index_searches) == 1, plan
    related = candidate_needs(directory.taxonomy, "housing")
    assert found == {
        s.id
        for s in directory.services
        if not s.needs.isdisjoint(related) and {v for _, v in area_keys(s)} & areas
    }
