"""One command line: every command has help, and an option means the same everywhere.

The parser is walked, so a command added later is held to the same conventions.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Callable, Iterator
from typing import Any

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
    parser = dict(_leaves(build_parser()))[command]
    if parser.get_default("handler") is not None:
        # A command that does something shows how, with an example that uses it.
        assert f"example:\n  saihan {' '.join(command)}" in printed.getvalue()


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


def _json_commands(tmp: str) -> dict[str, list[str]]:
    import glob

    flow_file = sorted(glob.glob("src/saihan/referral/flows/data/*.yaml"))[0]
    rules_file = "src/saihan/referral/data/tokyo_rules.yaml"
    store = f"sqlite:///{tmp}/conventions.db"
    return {
        "directory search": ["directory", "search", "--need", "housing"],
        "directory needs": ["directory", "needs"],
        "directory kinds": ["directory", "kinds"],
        "directory municipalities": ["directory", "municipalities"],
        "rules show": ["rules", "show", "--on", "2024-11-05"],
        "rules check": ["rules", "check", rules_file, "--examples", "3"],
        "flow list": ["flow", "list"],
        "flow validate": ["flow", "validate", flow_file],
        "store info": ["store", "info", "--store", store, "--check"],
        "store cases": ["store", "cases", "--store", store],
    }


@pytest.mark.parametrize(
    "name",
    [
        "directory search",
        "directory needs",
        "directory kinds",
        "directory municipalities",
        "rules show",
        "rules check",
        "flow list",
        "flow validate",
        "store info",
        "store cases",
    ],
)
def test_commands_that_print_data_print_json(
    name: str, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    argv = _json_commands(str(tmp_path))[name]
    if argv[0] == "store":
        assert main(["store", "import", "src/saihan/directory/data/sample_directory.json",
                     "--store", argv[argv.index("--store") + 1]]) == 0  # fmt: skip
        capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    expected: Callable[[Any], bool] = {
        "directory search": lambda d: d["count"] == len(d["services"]) > 0,
        "directory needs": lambda d: d["count"] == len(d["needs"]) > 40,
        "directory kinds": lambda d: d["count"] == len(d["kinds"]) > 20,
        "directory municipalities": lambda d: d["count"] == len(d["municipalities"]) == 62,
        "rules show": lambda d: d["id"] == "tokyo-default" and len(d["rules"]) > 10,
        "rules check": lambda d: d["valid"] is True and d["failures"] == [],
        "flow list": lambda d: len(d["flows"]) >= 5,
        "flow validate": lambda d: d["valid"] is True and d["nodes"] > 2,
        "store info": lambda d: d["integrity"] == {"ok": True, "problems": []},
        "store cases": lambda d: d == {"count": 0, "cases": []},
    }[name]
    assert expected(document), document


def test_every_example_is_a_command_line_the_parser_takes() -> None:
    import shlex

    from saihan.cli.examples import EXAMPLES

    for path, example in EXAMPLES.items():
        words = shlex.split(example)
        assert words[0] == "saihan"
        assert tuple(words[1 : 1 + len(path)]) == path, example
        args = build_parser().parse_args(words[1:])
        assert args.handler is not None, example
    assert set(EXAMPLES) <= set(COMMANDS)
