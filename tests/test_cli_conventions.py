"""One command line: every command has help, and an option means the same everywhere.

The parser is walked, so a command added later is held to the same conventions.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Iterator

import pytest

from saihan.cli import main
from saihan.cli.main import build_parser


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    yield path, parser
    for group in groups:
        for name, child in group.choices.items():
            if child is not parser:
                yield from _leaves(child, (*path, name))


COMMANDS = [path for path, _ in _leaves(build_parser()) if path]


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {flag: action for action in parser._actions for flag in action.option_strings}


def test_there_are_commands_to_check() -> None:
    assert len(COMMANDS) > 25
    assert ("match",) in COMMANDS
    assert ("store", "import") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as stopped:
        main([*command, "--help"])
    assert stopped.value.code == 0
    assert printed.getvalue().startswith("usage: saihan " + " ".join(command))


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_options_mean_the_same_everywhere(command: tuple[str, ...]) -> None:
    parser = dict(_leaves(build_parser()))[command]
    options = _options(parser)
    if "--url" in options:
        assert "--store" in options["--url"].option_strings, "--url is only an alias of --store"
    if "--lang" in options:
        assert set(options["--lang"].choices or ()) == {"ja", "en"}
    choices = options["--format"].choices if "--format" in options else None
    if choices is not None and "text" in choices:
        assert "json" in choices, "a command that prints text also prints JSON"
    for flag, action in options.items():
        if flag != "--help":
            assert action.help, f"{flag} has no help text"


def test_per_need_takes_all_or_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    case = "examples/cases/elderly-man-hachioji.json"
    every = main(["match", case, "--per-need", "all", "--format", "json"])
    assert every == 0
    with pytest.raises(SystemExit) as stopped:
        main(["match", case, "--per-need", "-1"])
    assert stopped.value.code == 2
    assert "'all' or a number" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "schema"),
    [
        (["match", "examples/cases/elderly-man-hachioji.json"], "ReferralPlan"),
        (["gaps", "examples/cases"], "GapReport"),
        (["directory", "export", "--format", "json"], "Directory"),
    ],
    ids=["match", "gaps", "directory export"],
)
def test_json_output_validates_against_its_published_schema(
    argv: list[str], schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    from pathlib import Path

    from jsonschema import Draft202012Validator

    root = Path(__file__).resolve().parents[1]
    published = json.loads((root / "docs" / "schemas" / f"{schema}.schema.json").read_text())
    if "--format" not in argv:
        argv = [*argv, "--format", "json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    errors = sorted(Draft202012Validator(published).iter_errors(document), key=str)
    assert errors == []
