"""What the listing commands print fits 80 columns (Japanese counted as two), in both
languages, by wrapping words, never ids; a wider terminal gets longer lines."""

from __future__ import annotations

import pytest

from saihan.cli import main
from saihan.cli.table import display_width, paragraph
from saihan.referral import default_rules
from saihan.referral.flows import bundled_flows

COMMANDS = [
    ["directory", "search", "--need", "housing"],
    ["directory", "needs"],
    ["directory", "kinds"],
    ["directory", "municipalities"],
    ["rules", "show"],
    ["flow", "list"],
    ["gaps", "examples/cases"],
    ["calendar", "holidays", "2025"],
]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_listings_fit_80_columns(
    argv: list[str], lang: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main([*argv, "--lang", lang]) == 0
    out = capsys.readouterr().out
    widest = max(out.splitlines(), key=display_width)
    assert display_width(widest) <= 80, widest


def test_rule_and_flow_ids_stay_whole_however_narrow(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    assert main(["rules", "show"]) == 0
    assert main(["flow", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for rule in default_rules().rules:
        assert any(line.startswith(f"{rule.id} [") for line in lines), rule.id
    for flow in bundled_flows():
        assert any(line.startswith(f"{flow.id} {flow.version}:") for line in lines), flow.id


def test_a_paragraph_keeps_every_character_and_its_indent() -> None:
    text = "子どもの非行が心配な保護者からの相談 (a worry about a child's delinquency)"
    wrapped = paragraph(text, "  ", width=24)
    lines = wrapped.splitlines()
    assert all(line.startswith("  ") and display_width(line) <= 24 for line in lines)
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
