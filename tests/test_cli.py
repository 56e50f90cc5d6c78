import json
import subprocess
import sys
from pathlib import Path

import pytest

from _builders import small_directory
from saihan import __version__, plugins
from saihan.cli import main
from saihan.cli.table import display_width


@pytest.fixture
def directory_file(tmp_path: Path) -> Path:
    path = tmp_path / "directory.json"
    path.write_bytes(plugins.exporter("json").export(small_directory(), include_confidential=True))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"saihan {__version__}"


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "saihan", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"saihan {__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "directory" in err
    code, _, err = run(capsys, "directory")
    assert code == 2
    assert "search" in err


def test_validate_good_file(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, out, _ = run(capsys, "directory", "validate", str(directory_file), "--lang", "en")
    assert code == 0
    assert "4 agencies, 6 services" in out


def test_validate_lists_every_bad_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, directory_file: Path
) -> None:
    data = json.loads(directory_file.read_text(encoding="utf-8"))
    data["services"][2]["eligibility"] = {"min_age": "ten"}
    data["services"][4]["audiences"] = ["aliens"]
    data["agencies"][0]["surprise"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "directory", "validate", str(bad), "--lang", "en")
    assert code == 1
    assert out == ""
    assert "3 validation errors" in err
    for path in (
        "services[2].eligibility.min_age",
        "services[4].audiences[0]",
        "agencies[0].surprise",
    ):
        assert path in err


def test_validate_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "directory", "validate", str(tmp_path / "nope.json"), "--lang", "en")
    assert code == 1
    assert "cannot read" in err


def test_validate_with_unknown_format(
    capsys: pytest.CaptureFixture[str], directory_file: Path
) -> None:
    code, _, err = run(
        capsys, "directory", "validate", str(directory_file), "--importer", "xml", "--lang", "en"
    )
    assert code == 1
    assert "saihan.importers" in err
    assert "json" in err


def test_export_to_stdout_and_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, directory_file: Path
) -> None:
    code, out, _ = run(capsys, "directory", "export", "--input", str(directory_file))
    assert code == 0
    assert "秘密" not in out  # confidential street withheld
    assert plugins.importer("json").load(out.encode()) == small_directory().published()
    target = tmp_path / "out.json"
    code, _, err = run(
        capsys,
        "directory",
        "export",
        "-i",
        str(directory_file),
        "-o",
        str(target),
        "--include-confidential",
    )
    assert code == 0
    assert "wrote 6 services" in err
    assert plugins.importer("json").load(target.read_bytes()) == small_directory()


def test_search_table(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, out, _ = run(
        capsys, "directory", "search", "-i", str(directory_file), "--need", "housing"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "サービス", "機関の種別", "対象地域", "連絡方法"]
    assert lines[-1] == "2 件"
    # Ids start their row, whole; other cells wrap within 80 columns.
    starts = [number for number, line in enumerate(lines) if line[:1] not in ("", " ", "-")]
    assert [lines[n].split()[0] for n in starts[1:-1]] == ["halfway-stay", "welfare-housing"]
    assert "東京都全域" in "".join(lines[starts[1] : starts[2]])
    assert "八王子市" in "".join(lines[starts[2] : starts[3]])
    assert max(display_width(line) for line in lines) <= 80


def test_search_table_in_english(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "directory",
        "search",
        "-i",
        str(directory_file),
        "--municipality",
        "osaka-shi",
    )
    assert code == 1  # not a Tokyo name
    code, out, _ = run(
        capsys,
        "directory",
        "search",
        "-i",
        str(directory_file),
        "--kind",
        "houterasu",
        "--lang",
        "en",
    )
    assert code == 0
    assert "national" in out
    assert "Japan Legal Support" in out  # the cell wraps at 80 columns: "Center" follows
    assert out.rstrip().endswith("2 services")


def test_search_json(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "directory",
        "search",
        "-i",
        str(directory_file),
        "--text",
        "ハローワーク",
        "--format",
        "json",
    )
    assert code == 0
    result = json.loads(out)
    assert result["count"] == 1
    record = result["services"][0]
    assert record["id"] == "hw-job"
    assert record["agency"] == {
        "id": "hw-shinjuku",
        "name": {
            "ja": "ハローワーク新宿",
            "kana": "はろーわーくしんじゅく",
            "en": "Hello Work Shinjuku",
        },
        "kind": "hello_work",
    }
    assert record["channels"] == ["email"]


def test_search_nothing_found(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, out, _ = run(capsys, "directory", "search", "-i", str(directory_file), "--kind", "darc")
    assert code == 0
    assert "該当するサービスはありません" in out


def test_search_bad_need(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, _, err = run(capsys, "directory", "search", "-i", str(directory_file), "--need", "zzz")
    assert code == 1
    assert "unknown need code 'zzz'" in err


def test_listings(capsys: pytest.CaptureFixture[str], directory_file: Path) -> None:
    code, out, _ = run(capsys, "directory", "municipalities")
    assert code == 0
    assert len(out.splitlines()) == 64
    assert "八王子市" in out
    code, out, _ = run(capsys, "directory", "needs", "-i", str(directory_file), "--lang", "en")
    assert code == 0
    assert "housing.emergency" in out
    assert "Emergency place to stay" in out
    code, out, _ = run(capsys, "directory", "kinds", "-i", str(directory_file))
    assert code == 0
    assert "保護観察所" in out


def test_schema_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "schema", "Service")
    assert code == 0
    assert json.loads(out)["title"] == "Service"
    code, _, err = run(capsys, "schema", "Nothing")
    assert code == 1
    assert "Service" in err
    code, _, _ = run(capsys, "schema", "--write", str(tmp_path))
    assert code == 0
    assert (tmp_path / "Directory.schema.json").exists()
