"""``saihan import --dry-run``: what an import would change, the store left as it was."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from saihan import plugins, storage
from saihan.access import Principal
from saihan.cli import main
from saihan.directory import LocalizedText, sample_directory
from saihan.storage import memory

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "src" / "saihan" / "directory" / "data" / "sample_directory.json"


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English summaries and errors (``SAIHAN_LANG=en``, as
    ``--lang en``); tests/test_cli_import_words.py reads both languages."""
    monkeypatch.setenv("SAIHAN_LANG", "en")


@pytest.fixture(params=["sqlite", "memory"])
def url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A store holding the sample directory, on SQLite or in memory."""
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    name = f"dry-run-{uuid.uuid4().hex}"
    url = f"sqlite:///{tmp_path}/dry.db" if request.param == "sqlite" else f"memory://{name}"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    yield url
    memory.forget(name)


def _snapshot(url: str) -> dict[str, Any]:
    """Everything a dry run could have touched: the directory, the counts, the audit trail."""
    with storage.open(url, create=False, principal=Principal.system()) as store:
        directory = store.load_directory()
        return {
            "directory": plugins.exporter("json").export(directory, include_confidential=True),
            "counts": dict(store.info().counts),
            "audit": [event.id for event in store.audit.list()],
        }


def _edited(tmp_path: Path) -> Path:
    """The sample without its first service, the second renamed, and one new service."""
    directory = sample_directory()
    _, second, *rest = directory.services
    renamed = attrs.evolve(second, name=LocalizedText(ja="改名した窓口", en="Renamed desk"))
    added = attrs.evolve(rest[0], id="dry-run-new-service")
    edited = attrs.evolve(directory, services=[renamed, *rest, added])
    path = tmp_path / "edited.json"
    path.write_bytes(plugins.exporter("json").export(edited, include_confidential=True))
    return path


def _dry_run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["import", *argv, "--dry-run"])
    return code, capsys.readouterr().out


def test_a_dry_run_says_what_would_change_and_writes_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(url)
    services = sample_directory().services
    code, out = _dry_run(capsys, str(_edited(tmp_path)), "--store", url)
    assert code == 0
    said = "dry run: nothing was written; the import would replace the directory in"
    assert out.startswith(f"{said} {url}\n")
    count = len(services)
    assert f"services: 1 added, 1 changed, 1 removed, {count - 2} unchanged\n" in out
    assert "  + dry-run-new-service\n" in out
    assert f"  ~ {services[1].id}\n" in out
    assert f"  - {services[0].id}\n" in out
    assert f"agencies: 0 added, 0 changed, 0 removed, {len(sample_directory().agencies)}" in out
    assert _snapshot(url) == before
    # The real import then writes as many records as the dry run said it would.
    would = re.search(r"^would write (\d+) records", out, flags=re.MULTILINE)
    assert would is not None
    assert main(["import", str(_edited(tmp_path)), "--store", url]) == 0
    assert f"({would[1]} records)" in capsys.readouterr().err
    assert _snapshot(url) != before


def test_a_dry_run_of_a_merge_removes_nothing_and_names_the_conflicts(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(url)
    services = sample_directory().services
    code, out = _dry_run(capsys, str(_edited(tmp_path)), "--store", url, "--merge")
    assert code == 0
    assert "the import would merge the file into" in out
    assert f"services: 1 added, 1 changed, 0 removed, {len(services) - 1} unchanged\n" in out
    assert f"merge conflict: service {services[1].id!r}: the sources differ in name" in out
    assert _snapshot(url) == before


def test_a_dry_run_reports_skipped_records_and_writes_the_report_only(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["services"][3]["needs"] = ["no-such-need"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    before = _snapshot(url)
    report = tmp_path / "report.json"
    code, out = _dry_run(capsys, str(broken), "--store", url, "--lenient", "--report", str(report))
    assert code == 0
    assert "skipped 1 record(s):" in out
    assert "services[3].needs[0]" in out
    assert json.loads(report.read_text(encoding="utf-8"))["skipped"][0]["record"]
    assert f"{len(data['services']) - 1} services" in out.splitlines()[-1]
    assert _snapshot(url) == before
    # Strict, the same file is refused: exit 1, nothing written either.
    assert main(["import", str(broken), "--store", url, "--dry-run"]) == 1
    assert "services[3].needs[0]" in capsys.readouterr().err
    assert _snapshot(url) == before


def test_a_dry_run_checks_the_principal_as_the_import_would(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(url)
    worker = "worker-7@org-hachioji/132012:desk-worker"
    code = main(["import", str(SAMPLE), "--store", url, "--dry-run", "--as", worker])
    assert code == 1
    assert "may not" in capsys.readouterr().err
    after = _snapshot(url)
    assert after["directory"] == before["directory"]
    assert after["counts"]["service"] == before["counts"]["service"]


def test_a_dry_run_makes_no_store_where_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    target = tmp_path / "none.db"
    code, out = _dry_run(capsys, str(SAMPLE), "--store", f"sqlite:///{target}")
    assert code == 0
    assert "there is no store there yet: the import would create it" in out
    assert f"services: {len(sample_directory().services)} added, 0 changed" in out
    assert not target.exists()
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "nobody:desk-worker")
    assert main(["import", str(SAMPLE), "--store", f"sqlite:///{target}", "--dry-run"]) == 1
    assert "system principal" in capsys.readouterr().err
    assert not target.exists()
