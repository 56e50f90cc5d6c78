"""One command line: every command has help, and an option means the same everywhere.

The parser is walked, so a command added later is held to the same conventions.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
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


def test_each_command_module_registers_the_top_level_commands_main_lists() -> None:
    """``saihan COMMAND`` imports only COMMAND's module: the table saying which module
    that is must be the modules' own truth."""
    import argparse
    import importlib

    from saihan.cli.main import COMMAND_MODULES

    for module, names in COMMAND_MODULES.items():
        commands = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"saihan.cli.{module}").register(commands)
        assert tuple(commands.choices) == names, module
    full = next(
        action.choices
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert list(full) == [name for names in COMMAND_MODULES.values() for name in names]


def test_the_parser_of_one_command_reads_its_examples_as_the_whole_parser_does() -> None:
    import argparse
    import shlex

    from saihan.cli.examples import EXAMPLES

    def plain(args: object) -> dict[str, object]:  # parsers compare by identity: their prog
        return {
            key: value.prog if isinstance(value, argparse.ArgumentParser) else value
            for key, value in vars(args).items()
        }

    for example in EXAMPLES.values():
        words = shlex.split(example)[1:]
        one, whole = build_parser(words[0]).parse_args(words), build_parser().parse_args(words)
        assert plain(one) == plain(whole), example


def test_version_is_printed_without_loading_the_commands() -> None:
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from saihan.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit as exited:\n"
        "    assert exited.code == 0\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    version, modules = result.stdout.splitlines()
    assert version.startswith("saihan ")
    assert not {"saihan.directory", "saihan.referral", "saihan.storage"} & set(json.loads(modules))


# -- every command that prints data offers --format text|json and --lang ja|en ----------

# --format names a format plugin here (an importer or exporter), not text or JSON: what
# these write is the plugin's format.
FORMAT_IS_A_PLUGIN = {
    ("directory", "validate"),
    ("directory", "export"),
    ("calendar", "export"),
    ("store", "import"),
    ("store", "export"),
    ("export",),
    ("import",),
    ("referral", "export"),
    ("referral", "import"),
}
# What these print is not data in words: JSON Schemas, and a drawing (--format mermaid|dot|svg).
NOT_DATA = {("schema",), ("flow", "render")}


def _acting(command: tuple[str, ...]) -> bool:
    return dict(_leaves(build_parser()))[command].get_default("handler") is not None


@pytest.mark.parametrize("command", [c for c in COMMANDS if _acting(c)], ids=" ".join)
def test_every_command_that_prints_data_offers_text_json_and_both_languages(
    command: tuple[str, ...],
) -> None:
    options = _options(dict(_leaves(build_parser()))[command])
    if command in NOT_DATA:
        return
    if command in FORMAT_IS_A_PLUGIN:
        assert "--format" in options
        assert options["--format"].choices is None  # any installed plugin, by name
        assert re.search(r"importer|exporter", options["--format"].help or ""), command
        return
    assert "--format" in options, f"saihan {' '.join(command)} has no --format"
    assert {"text", "json"} <= set(options["--format"].choices or ())
    assert options["--format"].default in ("text", argparse.SUPPRESS)
    assert "--lang" in options, f"saihan {' '.join(command)} has no --lang"


def test_every_command_printing_json_has_a_published_schema() -> None:
    from saihan.cli.output_schemas import COMMAND_SCHEMAS

    printing_json = {
        command
        for command in COMMANDS
        if _acting(command)
        and command not in FORMAT_IS_A_PLUGIN | NOT_DATA
        and "json" in (_options(dict(_leaves(build_parser()))[command])["--format"].choices or ())
    }
    assert printing_json == set(COMMAND_SCHEMAS)
    for name in COMMAND_SCHEMAS.values():
        assert (ROOT / "docs" / "schemas" / f"{name}.schema.json").is_file(), name


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
CASE_FILE = "examples/cases/elderly-man-hachioji.json"
CASE_ID = "example-elderly-man-hachioji"
WELFARE = "hachioji-welfare-office-public-assistance"
REFERRAL = f"{CASE_ID}.{WELFARE}.1"


class _JsonRun:
    """Runs commands with ``--format json`` and validates each document against the
    published schema of its command; remembers which commands it has checked."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.checked: set[tuple[str, ...]] = set()

    def __call__(self, command: tuple[str, ...], *argv: str, code: int = 0) -> Any:
        import json

        from jsonschema import Draft202012Validator

        from saihan.cli.output_schemas import COMMAND_SCHEMAS

        assert main([*command, *argv, "--format", "json"]) == code
        document = json.loads(self.capsys.readouterr().out)
        path = ROOT / "docs" / "schemas" / f"{COMMAND_SCHEMAS[command]}.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in Draft202012Validator(schema).iter_errors(document)
        ]
        assert errors == [], command
        self.checked.add(command)
        return document


def test_json_of_every_command_validates_against_its_published_schema(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command with its --format json, on a store taken through a referral's life."""
    import glob

    from saihan.cli.output_schemas import COMMAND_SCHEMAS

    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    monkeypatch.delenv("SAIHAN_STORE_URL", raising=False)
    run = _JsonRun(capsys)
    store = ("--store", f"sqlite:///{tmp_path}/all.db")
    at = ("--actor", "worker-7", "--at")
    flow_file = sorted(glob.glob("src/saihan/referral/flows/data/*.yaml"))[0]
    bad_flow = tmp_path / "bad-flow.yaml"
    bad_flow.write_text("id: x\n", encoding="utf-8")
    consent = tmp_path / "consent.json"
    consent.write_text('{"given_on": "2024-11-06", "agency_kinds": ["hello_work"]}', "utf-8")

    run(("directory", "search"), "--need", "housing")
    run(("directory", "needs"))
    run(("directory", "kinds"))
    run(("directory", "municipalities"))
    open_now = run(("calendar", "next-open"), "tokyo-crime-worry-desk", "--at", "2024-12-28T17:00")
    assert open_now["next_open"] == "2025-01-04T09:00+09:00"
    month = run(("calendar", "show"), "tokyo-crime-worry-desk", "--month", "2024-12")
    assert month["days"][0] == {"date": "2024-12-03", "hours": ["09:00-17:00"]}
    assert run(("calendar", "holidays"), "2025")["count"] == 16 + 3  # with substitute days
    run(("match",), CASE_FILE)
    run(("gaps",), "examples/cases")
    run(("rules", "check"), "src/saihan/referral/data/tokyo_rules.yaml", "--examples", "3")
    run(("rules", "show"), "--on", "2024-11-05")
    run(("flow", "list"))
    run(("flow", "validate"), flow_file)
    assert run(("flow", "validate"), str(bad_flow), code=1)["valid"] is False
    run(("flow", "run"), "debts", CASE_FILE)
    assert run(("store", "init"), *store)["ready"] is True
    assert main(["store", "import", "src/saihan/directory/data/sample_directory.json", *store]) == 0
    capsys.readouterr()
    run(("store", "info"), *store, "--check")
    run(("case", "open"), CASE_FILE, *store, *at, "2024-11-05T11:00+09:00")
    assert run(("store", "cases"), *store)["count"] == 1
    made = run(("referral", "create"), CASE_ID, WELFARE, *store, *at, "2024-11-05T11:30+09:00")
    assert (made["referral"], made["status"]) == (REFERRAL, "draft")
    moved = ("referral", "transition")
    run(moved, REFERRAL, "requested", *store, *at, "2024-11-05T11:40+09:00")
    assert run(moved, REFERRAL, "accepted", *store, *at, "2024-11-06T10:00+09:00")["from"] == (
        "requested"
    )
    due = run(("followups",), *store, "--at", "2024-12-20T09:00+09:00")
    assert [item["referral_id"] for item in due["followups"]] == [REFERRAL]
    run(("followups",), *store, "--at", "2024-12-20T09:00+09:00", "--by", "worker")
    run(("referral", "follow-up"), REFERRAL, *store, *at, "2024-12-20T10:00+09:00")
    run(("referral", "show"), REFERRAL, *store)
    assert run(("referral", "list"), *store, "--open")["count"] == 1
    given = run(("case", "consent"), CASE_ID, "--give", str(consent), *store, *at,
                "2024-11-07T09:00+09:00")  # fmt: skip
    assert (given["action"], given["cancelled"]) == ("given", [])
    withdrawn = run(("case", "consent"), CASE_ID, "--withdraw", "0", "--on", "2024-12-21",
                    *store, *at, "2024-12-21T09:00+09:00")  # fmt: skip
    assert withdrawn["cancelled"] == [{"referral": REFERRAL, "service": WELFARE}]
    shown = run(("case", "show"), CASE_ID, *store)
    assert "summary" in shown["withheld"]
    run(("case", "close"), CASE_ID, *store, *at, "2024-12-25T09:00+09:00")
    run(("case", "reopen"), CASE_ID, *store, *at, "2024-12-26T09:00+09:00")
    assert run(("audit",), *store)["count"] > 5
    assert run(("audit", "verify"), *store)["ok"] is True
    demo = ("--store", f"sqlite:///{tmp_path}/demo.db")
    assert run(("demo", "seed"), *demo, "--cases", "4", "--seed", "2")["cases"] == 4
    reviewed = run(("cases", "review"), "demo-2024-00001", "--text", "60代の男性。", *demo)
    assert reviewed["action"] == "reviewed"
    shared = run(("cases", "share"), "--k", "2", "--for", "liaison-meeting", *demo)
    assert shared["report"]["cases"] == 4
    figures = run(("report",), "--fiscal-year", "2024", "--k", "2", *demo)
    assert figures["figures"][0]["id"] == "consultations_by_channel"
    assert run.checked == set(COMMAND_SCHEMAS)


def test_lang_chooses_the_words_of_the_lifecycle_commands(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    store = ["--store", f"sqlite:///{tmp_path}/words.db"]
    assert main(["store", "import", "src/saihan/directory/data/sample_directory.json", *store]) == 0
    assert main(["case", "open", CASE_FILE, *store, "--actor", "worker-7"]) == 0
    assert main(["referral", "create", CASE_ID, WELFARE, *store, "--actor", "worker-7"]) == 0
    capsys.readouterr()
    said: dict[str, str] = {}
    for lang in ("ja", "en"):
        for argv in (["referral", "list"], ["referral", "show", REFERRAL], ["audit"]):
            assert main([*argv, *store, "--lang", lang]) == 0
        assert main(["store", "info", *store, "--lang", lang]) == 0
        said[lang] = capsys.readouterr().out
    assert "紹介 1 件" in said["ja"]
    assert "状態" in said["ja"]
    assert "スキーマの版" in said["ja"]
    assert "1 referral\n" in said["en"]
    assert "status" in said["en"]
    assert not re.search("[\u3040-\u30ff]", said["en"].replace("生活保護の相談・申請", ""))
    assert main(["case", "close", CASE_ID, *store, "--actor", "worker-7"]) == 1  # still open


# -- help in Japanese --------------------------------------------------------------------

_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_help_text_has_its_japanese() -> None:
    from saihan.cli import help_ja

    missing = help_ja.missing(build_parser())
    assert missing == [], "add the Japanese of these to saihan/cli/help_ja.py CATALOGUE"
    for english in [text for _, _, text in help_ja._texts(build_parser())]:
        japanese = help_ja.japanese(english)
        assert japanese is not None
        assert _JAPANESE.search(japanese), english
        for placeholder in re.findall(r"%\(\w+\)s", english):
            assert placeholder in japanese, english


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_in_japanese_for_every_command_and_option(command: tuple[str, ...]) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as stopped:
        main(["--lang", "ja", *command, "--help"])
    assert stopped.value.code == 0
    text = printed.getvalue()
    assert text.startswith("使い方: saihan " + " ".join(command))
    assert "オプション:" in text
    japanese = dict(_leaves(build_parser(lang="ja")))[command]
    for action in japanese._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            assert _JAPANESE.search(action.help), (command, action.option_strings, action.help)
    if japanese.get_default("handler") is not None:
        assert f"例:\n  saihan {' '.join(command)}" in text


def test_saihan_lang_chooses_the_help_and_the_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAIHAN_LANG", "ja")
    with pytest.raises(SystemExit):
        main(["match", "--help"])
    assert capsys.readouterr().out.startswith("使い方: saihan match")
    with pytest.raises(SystemExit):
        main(["match", "--help", "--lang", "en"])  # the command line wins
    assert capsys.readouterr().out.startswith("usage: saihan match")
    monkeypatch.setenv("SAIHAN_LANG", "en")
    assert main(["calendar", "holidays", "2025"]) == 0
    assert "New Year's Day" in capsys.readouterr().out
    monkeypatch.delenv("SAIHAN_LANG")
    assert main(["calendar", "holidays", "2025"]) == 0
    assert "元日" in capsys.readouterr().out  # Japanese by default
    assert main(["--lang", "en", "calendar", "holidays", "2025"]) == 0  # before the command
    assert "New Year's Day" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: saihan")  # help is English by default
