"""``saihan store init|import|export|info``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from saihan import plugins, storage
from saihan.access import Principal
from saihan.cli import main
from saihan.storage import SCHEMA_VERSION
from saihan.testing.storage import small_directory


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv(storage.ENVIRONMENT_VARIABLE, raising=False)
    return f"sqlite:///{tmp_path}/cli.db"


def _write_directory(tmp_path: Path, marker: str = "cli") -> Path:
    path = tmp_path / f"{marker}.json"
    path.write_bytes(
        plugins.exporter("json").export(small_directory(marker), include_confidential=True)
    )
    return path


def test_init_import_info_export(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "init", "--url", url, "--lang", "en"]) == 0
    assert f"schema version {SCHEMA_VERSION}" in capsys.readouterr().out
    source = _write_directory(tmp_path)
    assert main(["store", "import", str(source), "--url", url, "--progress", "bar"]) == 0
    captured = capsys.readouterr()
    assert "imported 4 agencies and 7 services (14 records)" in captured.out
    assert "writing 14/14 records" in captured.err  # --progress bar: even to a file
    assert main(["store", "info", "--url", url, "--check", "--lang", "en"]) == 0
    info = capsys.readouterr().out
    # the label column is as wide as the longest label (event_registration records)
    assert re.search(r"^service records +7$", info, re.M)
    assert re.search(r"^event_registration records +0$", info, re.M)
    assert re.search(r"^integrity +ok$", info, re.M)
    assert "journal_mode" in info
    assert main(["store", "export", "--url", url, "--include-confidential"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["meta"]["name"]["ja"] == "cli"
    assert "秘密1-1" in json.dumps(exported, ensure_ascii=False)
    target = tmp_path / "public.json"
    assert main(["store", "export", "--url", url, "-o", str(target)]) == 0
    assert "秘密1-1" not in target.read_text(encoding="utf-8")  # published by default


def test_the_default_store_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(storage.ENVIRONMENT_VARIABLE, f"sqlite:///{tmp_path}/env.db")
    assert main(["store", "import", str(_write_directory(tmp_path)), "--progress", "none"]) == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / "env.db").exists()


def test_a_bad_import_changes_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "import", str(_write_directory(tmp_path, "first")), "--url", url]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"agencies": [{"id": "x"}], "services": "nope"}', encoding="utf-8")
    assert main(["store", "import", str(bad), "--url", url]) == 1
    error = capsys.readouterr().err
    assert "agencies[0].name" in error
    assert "services" in error
    assert main(["store", "import", str(tmp_path / "missing.json"), "--url", url]) == 1
    with storage.open(url, principal=Principal.system()) as store:
        assert store.meta.get().value.name.ja == "first"


def test_missing_stores_and_unknown_backends_fail_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "info", "--url", f"sqlite:///{tmp_path}/none.db"]) == 1
    assert main(["store", "export", "--url", f"sqlite:///{tmp_path}/none.db"]) == 1
    assert not (tmp_path / "none.db").exists()
    assert main(["store", "info", "--url", "mongodb://x"]) == 1
    assert "installed:" in capsys.readouterr().err
    assert main(["store"]) == 2


def test_info_check_reports_problems(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    main(["store", "import", str(_write_directory(tmp_path)), "--url", url])
    db = sqlite3.connect(tmp_path / "cli.db")
    db.execute("UPDATE saihan_records SET document = 'oops' WHERE id = 'debt'")
    db.commit()
    db.close()
    capsys.readouterr()
    assert main(["store", "info", "--url", url, "--check", "--lang", "en"]) == 1
    assert "problem: stored service 'debt' cannot be read" in capsys.readouterr().out
