"""saihan flow list|validate|render|run, and saihan match --flow."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from saihan.cli import main

HERE = Path(__file__).resolve().parent
CASES = HERE.parents[2] / "examples" / "cases"
BROKEN = str(HERE / "broken_flow.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_names_every_bundled_flow_and_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flow", "list")
    assert code == 0
    for flow_id in ("debts", "drug-dependence", "leaving-prison-elderly-disabled"):
        assert flow_id in out
    assert "重点課題2" in out


def test_validate_a_broken_file_exits_1_with_every_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "flow", "validate", BROKEN, "--lang", "en")
    assert code == 1
    assert "13 problems" in out
    for node_id in ("ask-situation", "add-wrong-need", "loop-a", "no-next", "mystery", "branchy"):
        assert f"node '{node_id}'" in out


def test_validate_a_good_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from saihan.referral.flows import bundled_flow

    path = tmp_path / "debts.json"
    path.write_text(bundled_flow("debts").to_json(), encoding="utf-8")
    code, out, _ = run(capsys, "flow", "validate", str(path), "--lang", "en")
    assert code == 0
    assert "valid" in out


def test_render_mermaid_and_dot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "flow", "render", "debts")
    assert code == 0
    assert "flowchart TD" in out
    target = tmp_path / "debts.dot"
    code, out, _ = run(capsys, "flow", "render", "debts", "--format", "dot", "-o", str(target))
    assert code == 0
    assert out == ""
    assert target.read_text(encoding="utf-8").startswith('digraph "debts"')
    code, out, _ = run(capsys, "flow", "render", "debts", "--format", "dot", "--lang", "en")
    assert "Do you lack a place" in out


def test_render_svg_without_graphviz_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    code, _, err = run(capsys, "flow", "render", "debts", "--format", "svg")
    assert code == 1
    assert "install Graphviz" in err


@pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("CI") != "true",
    reason="Graphviz is not installed (under CI=true this fails instead: .ci/run installs it)",
)
def test_render_svg(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flow", "render", "debts", "--format", "svg")
    assert code == 0
    assert "<svg" in out


def test_unknown_flow_names_the_bundled_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "flow", "render", "no-such-flow")
    assert code == 1
    assert "no bundled flow 'no-such-flow'" in err
    assert "debts" in err


def test_run_prints_path_actions_and_end(capsys: pytest.CaptureFixture[str]) -> None:
    case = str(CASES / "man-parole-work.json")
    code, out, _ = run(capsys, "flow", "run", "work-after-release", case)
    assert code == 0
    assert "  supervised [yes]\n  probation-employment\n" in out
    assert "end: end-work" in out
    code, out, _ = run(capsys, "flow", "run", "work-after-release", case, "--format", "json")
    data = json.loads(out)
    assert data["end"] == "end-work"
    assert data["path"][0] == {"node": "supervised", "answer": "yes"}


def test_match_with_flow(capsys: pytest.CaptureFixture[str]) -> None:
    case = str(CASES / "woman-probation-stimulants.json")
    code, out, _ = run(capsys, "match", case, "--flow", "drug-dependence")
    assert code == 0
    assert "支援フロー: drug-dependence" in out
    assert "who-consults [person]" in out
    code, out, _ = run(capsys, "match", case, "--flow", "drug-dependence", "--format", "json")
    assert json.loads(out)["flow"]["end"] == "end-recovery"
