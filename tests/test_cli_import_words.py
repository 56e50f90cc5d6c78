"""``directory validate``, ``import`` and ``store import`` speak ``--lang``: their summary
lines and their errors, in Japanese (the default) and in English; ``--importer NAME``
names the importer everywhere, and the old ``--format NAME`` still works, with a warning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from saihan import plugins, storage
from saihan.cli import main
from saihan.cli.messages import PATTERNS, japanese_message
from saihan.directory import sample_directory

SAMPLE = "src/saihan/directory/data/sample_directory.json"
_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _system(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    monkeypatch.delenv("SAIHAN_LANG", raising=False)
    monkeypatch.delenv("SAIHAN_STORE_URL", raising=False)


def _broken(tmp_path: Path, *, references: bool = False) -> Path:
    """The sample with one of each problem a directory file most often has: of its shape
    (found first, all at once), or with ``references``, of what it refers to."""
    data = json.loads(plugins.exporter("json").export(sample_directory()))
    if references:
        data["services"][5]["needs"] = ["no-such-need"]  # unknown need
        data["services"][7]["agency_id"] = "nobody"  # broken reference
    else:
        data["agencies"][0]["surprise"] = 1  # unknown field
        del data["services"][1]["name"]  # required field
        data["services"][2]["eligibility"] = {"min_age": "ten"}  # wrong type
        data["services"][4]["audiences"] = ["aliens"]  # outside the vocabulary
    path = tmp_path / f"broken-{references}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _said(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_says_ok_in_either_language(capsys: pytest.CaptureFixture[str]) -> None:
    code, ja, _ = _said(capsys, "directory", "validate", SAMPLE)
    assert code == 0
    assert ja == f"ok: {SAMPLE}: 機関 213 件、サービス 240 件（json）\n"
    code, en, _ = _said(capsys, "directory", "validate", SAMPLE, "--lang", "en")
    assert code == 0
    assert en == f"ok: {SAMPLE}: 213 agencies, 240 services (json)\n"


def test_validate_errors_in_japanese_keep_the_paths_and_in_english_the_library_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ja_lines: list[str] = []
    for references, count in ((False, 4), (True, 2)):
        broken = str(_broken(tmp_path, references=references))
        code, out, ja = _said(capsys, "directory", "validate", broken)
        assert (code, out) == (1, "")
        assert ja.startswith(f"エラー: 検証エラー {count} 件:\n")
        code, _, en = _said(capsys, "directory", "validate", broken, "--lang", "en")
        assert code == 1
        assert en.startswith(f"error: {count} validation errors:\n")
        assert len(ja.splitlines()) == len(en.splitlines()) == 1 + count
        for japanese, english in zip(ja.splitlines()[1:], en.splitlines()[1:], strict=True):
            path = english.split(": ", 1)[0]
            assert japanese.startswith(path + ": ")  # the same field, named the same
            assert _JAPANESE.search(japanese), japanese  # every one of these is translated
            assert japanese != english
        ja_lines += ja.splitlines()[1:]
    assert "  agencies[0].surprise: 未知の項目 'surprise'" in ja_lines
    assert "  services[1].name: 必須の項目がありません" in ja_lines
    assert any('整数 または null が必要ですが、文字列 "ten" です' in line for line in ja_lines)
    assert "  services[7].agency_id: id が 'nobody' の機関はありません" in ja_lines


def test_the_message_catalogue_leaves_what_it_does_not_know_as_it_was() -> None:
    assert japanese_message("the moon is made of cheese") == "the moon is made of cheese"
    assert japanese_message("unknown need 'x'") == "未知のニーズ 'x'"
    for pattern, japanese in PATTERNS:
        assert _JAPANESE.search(japanese), pattern.pattern


def test_import_summary_in_either_language(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/words.db"
    code, _, ja = _said(capsys, "import", SAMPLE, "--store", url)
    assert code == 0
    assert ja == f"機関 213 件とサービス 240 件を {url} に取り込みました（記録 454 件）\n"
    code, _, en = _said(capsys, "import", SAMPLE, "--store", url, "--merge", "--lang", "en")
    assert code == 0
    assert en.startswith(f"merged into {url}, which now holds 213 agencies and 240 services")
    code, ja, _ = _said(capsys, "store", "import", SAMPLE, "--store", url)
    assert code == 0
    assert "機関 213 件とサービス 240 件を" in ja  # store import prints it on stdout
    code, out, _ = _said(capsys, "store", "import", SAMPLE, "--store", url, "--lang", "en")
    assert code == 0
    assert out.startswith("imported 213 agencies and 240 services")


def test_lenient_import_counts_what_it_skipped_in_either_language(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = json.loads(Path(SAMPLE).read_text(encoding="utf-8"))
    data["services"][5]["needs"] = ["no-such-need"]
    broken = tmp_path / "one-bad.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    url = f"sqlite:///{tmp_path}/lenient.db"
    code, _, ja = _said(capsys, "import", str(broken), "--store", url, "--lenient")
    assert code == 0
    assert ja.rstrip().endswith("。飛ばした記録 1 件")
    code, _, en = _said(capsys, "import", str(broken), "--store", url, "--lenient", "--lang", "en")
    assert en.rstrip().endswith("; skipped 1 record(s)")


def test_a_failed_import_says_why_in_japanese_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/failed.db"
    code, _, ja = _said(capsys, "import", str(_broken(tmp_path)), "--store", url)
    assert code == 1
    assert ja.startswith("エラー: 検証エラー 4 件:\n")
    code, _, ja = _said(capsys, "import", str(tmp_path / "nope.json"), "--store", url)
    assert code == 1
    assert "を読めません" in ja
    code, _, ja = _said(capsys, "import", SAMPLE, "--store", url, "--importer", "xml")
    assert code == 1
    assert ja.startswith("エラー: インポーター 'xml' はありません。インストール済み: ")
    with storage.open(url) as store:
        assert store.load_directory().services == ()


def test_the_old_format_spelling_still_names_the_importer_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    code, _, ja = _said(capsys, "import", SAMPLE, "--store", url, "--format", "json")
    assert code == 0
    assert ja.startswith("警告: --format json は --importer json の古い書き方です")
    assert "に取り込みました" in ja
    code, _, en = _said(capsys, "store", "import", SAMPLE, "--store", url, "--format", "json",
                        "--lang", "en")  # fmt: skip
    assert code == 0
    assert en.startswith("warning: --format json is the old spelling of --importer json")
    code, _, said = _said(capsys, "import", SAMPLE, "--store", url, "--importer", "json")
    assert code == 0
    assert "warning" not in said
    assert "警告" not in said
    code, _, said = _said(
        capsys, "import", SAMPLE, "--store", url, "--importer", "json", "--format", "hsds",
        "--lang", "en",
    )  # fmt: skip
    assert code == 1
    assert "--importer json and the old --format hsds disagree" in said


def test_validate_takes_an_importer_name_in_format_as_the_old_spelling(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `--format json` is JSON output now; any other name is the old --importer.
    code, out, err = _said(capsys, "directory", "validate", SAMPLE, "--format", "hsds")
    assert code == 1  # the sample is not an HSDS document: hsds did read it
    assert out == ""
    assert err.startswith("警告: --format hsds は --importer hsds の古い書き方です")
    assert "not an HSDS document" in err
    code, out, err = _said(capsys, "directory", "validate", SAMPLE, "--format", "json")
    assert code == 0
    assert err == ""
    assert json.loads(out)["valid"] is True
