"""saihan match, gaps and rules from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.directory import sample_directory

CASES = Path(__file__).resolve().parents[2] / "examples" / "cases"
ELDERLY = str(CASES / "elderly-man-hachioji.json")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_match_prints_a_plan_in_japanese_and_warns_about_sample_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "match", ELDERLY)
    assert code == 0
    assert "紹介計画" in out
    assert "tokyo-community-settlement-coordination" in out
    assert "SAMPLE" in err


def test_match_json_is_the_stored_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "match", ELDERLY, "--format", "json", "--per-need", "0")
    assert code == 0
    data = json.loads(out)
    assert data["trace_version"] == 5
    assert data["case_id"] == "example-elderly-man-hachioji"
    assert "summary" not in out


def test_match_at_another_time_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "match", ELDERLY, "--lang", "en", "--at", "2024-11-06T12:00")
    assert code == 0
    assert "as of Wed 6 Nov 2024 12:00 JST" in out
    assert "Referral plan" in out


def test_match_reads_the_directory_from_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'saihan.db'}"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    code, out, _ = run(capsys, "match", ELDERLY, "--store", url)
    assert code == 0
    assert "hachioji-welfare-office-public-assistance" in out


def test_a_bad_case_exits_1_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = json.loads(Path(ELDERLY).read_text(encoding="utf-8"))
    data["subject"]["legal_situation"] = "paroled"
    bad = tmp_path / "case.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "match", str(bad))
    assert code == 1
    assert "subject.legal_situation" in err
    code, _, err = run(capsys, "match", ELDERLY, "--at", "tomorrow")
    assert code == 1
    assert "at:" in err


def test_gaps_over_the_example_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gaps", str(CASES), "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "municipality,need,cases,unmet,poorly_met"
    assert "131113,welfare.debt,1,0,1" in lines


def test_rules_show_lists_the_default_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "show", "--lang", "en")
    assert code == 0
    assert out.startswith("tokyo-default 2024.1: ")
    assert "supervised-probation-office-first [first] 2024-04-01..2029-03-31" in out
    code, out, _ = run(capsys, "rules", "show", "--on", "2024-03-31", "--lang", "en")
    assert out.startswith("tokyo-default 2024.1: 0 rules")


def test_rules_check_refuses_a_broken_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("id: x\nversion: '1'\ndescription: {ja: x}\nrules: [{id: r}]\n")
    code, _, err = run(capsys, "rules", "check", str(broken))
    assert code == 1
    assert "rules[0]" in err
    assert "rule 'r'" in err


def test_rules_check_runs_the_properties_on_a_good_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rules_file = Path(__file__).resolve().parents[2] / "src/saihan/referral/data/tokyo_rules.yaml"
    code, out, _ = run(capsys, "rules", "check", str(rules_file), "--examples", "5", "--lang", "en")
    assert code == 0
    assert out.splitlines() == [
        f"{rules_file}: valid; 21 rules in tokyo-default 2024.1",
        "every property holds",
    ]


def test_rules_check_prints_each_failure_and_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With saihan's own matcher no rule file breaks the properties, so stand in a runner
    # that reports one, to check what the command does with it.
    from saihan.testing import referral_properties

    failure = referral_properties.PropertyFailure(
        name="eligibility", message="service x admits no one", example='{"case": {}}'
    )
    monkeypatch.setattr(referral_properties, "check_rule_set", lambda *a, **k: [failure])
    rules_file = Path(__file__).resolve().parents[2] / "src/saihan/referral/data/tokyo_rules.yaml"
    code, out, _ = run(capsys, "rules", "check", str(rules_file), "--lang", "en")
    assert code == 1
    assert "FAILED eligibility: service x admits no one" in out
    assert 'falsifying example: {"case": {}}' in out


def test_match_accepts_a_need_the_given_directory_adds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A municipality's own need lives in its directory's taxonomy, not the bundled one:
    # the case is checked against the directory it is matched on.
    import attrs

    from saihan.directory import LocalizedText, Need
    from saihan.serialization import to_json

    base = sample_directory()
    parent = base.taxonomy.roots()[0].code
    local = Need(code="local-night-shelter", label=LocalizedText("夜間シェルター"), parent=parent)
    directory = tmp_path / "directory.json"
    directory.write_text(to_json(attrs.evolve(base, needs=(*base.needs, local))), encoding="utf-8")
    data = json.loads(Path(ELDERLY).read_text(encoding="utf-8"))
    data["needs"] = [{"code": "local-night-shelter", "urgency": "high"}]
    case = tmp_path / "case.json"
    case.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(capsys, "match", str(case), "--input", str(directory))
    assert code == 0, err
    assert "夜間シェルター" in out  # the need, by the label the directory gives it
    code, _, err = run(capsys, "match", str(case))
    assert code == 1
    assert "needs[0].code" in err
