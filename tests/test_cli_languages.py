"""Every command that prints words and needs no store says them in the language of
``--lang``: run with ``--lang en`` and ``--lang ja``, what it prints differs, and the
English has no kana of saihan's own words (the lifecycle commands, which need a store,
are run in both languages in tests/test_cli_conventions.py)."""

from __future__ import annotations

import glob
import re

import pytest

from saihan.cli import main

CASE = "examples/cases/elderly-man-hachioji.json"
RULES = "src/saihan/referral/data/tokyo_rules.yaml"
SAMPLE = "src/saihan/directory/data/sample_directory.json"
FLOW = sorted(glob.glob("src/saihan/referral/flows/data/*.yaml"))[0]

COMMANDS = {
    "directory validate": ["directory", "validate", SAMPLE],
    "directory search": ["directory", "search", "--need", "housing"],
    "directory needs": ["directory", "needs"],
    "directory kinds": ["directory", "kinds"],
    "directory municipalities": ["directory", "municipalities"],
    "calendar next-open": [
        "calendar",
        "next-open",
        "tokyo-crime-worry-desk",
        "--at",
        "2024-12-28T17:00",
    ],
    "calendar show": ["calendar", "show", "tokyo-crime-worry-desk", "--month", "2024-12"],
    "calendar holidays": ["calendar", "holidays", "2025"],
    "match": ["match", CASE],
    "gaps": ["gaps", "examples/cases"],
    "rules check": ["rules", "check", RULES, "--examples", "2"],
    "rules show": ["rules", "show"],
    "flow list": ["flow", "list"],
    "flow validate": ["flow", "validate", FLOW],
    "flow run": ["flow", "run", "debts", CASE],
}
_KANA = re.compile("[\u3040-\u30ff]")


def _printed(capsys: pytest.CaptureFixture[str], argv: list[str], lang: str) -> str:
    assert main([*argv, "--lang", lang]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_lang_en_and_ja_choose_the_words(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAIHAN_LANG", raising=False)
    argv = COMMANDS[name]
    english, japanese = _printed(capsys, argv, "en"), _printed(capsys, argv, "ja")
    assert english.strip()
    assert english != japanese
    if name in ("directory validate", "calendar holidays", "rules check", "flow validate"):
        assert not _KANA.search(english), english  # nothing but saihan's words here
