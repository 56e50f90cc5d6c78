"""Argument parsing and dispatch for the ``saihan`` command.

Each command group lives in its own module with a ``register(commands)``
function; this module only builds the top level and runs the chosen handler.
A handler takes ``(args, out)`` and returns an exit code.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from saihan._version import __version__
from saihan.cli.examples import EXAMPLES
from saihan.cli.exit_codes import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from saihan.cli.language import chosen_language
from saihan.errors import SaihanError

__all__ = ["build_parser", "main"]

# The modules of the command groups, in the order --help lists them, and the top-level
# commands each registers (a test checks this table against the modules).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "directory_commands": ("directory",),
    "calendar_commands": ("calendar",),
    "referral_commands": ("match", "gaps", "rules"),
    "flow_commands": ("flow",),
    "schema_command": ("schema",),
    "store_commands": ("store",),
    "interop_commands": ("export", "import"),
    "lifecycle_commands": ("case", "referral", "followups", "audit"),
    "monitoring_commands": ("demo", "cases", "report"),
}
_MODULE_OF = {command: module for module, names in COMMAND_MODULES.items() for command in names}


def build_parser(command: str | None = None, lang: str = "en") -> argparse.ArgumentParser:
    """The ``saihan`` argument parser, with every command, its help in ``lang`` (en, or
    ja from the catalogue of :mod:`saihan.cli.help_ja`).

    With ``command`` (a top-level command such as ``match``), only the module of that
    command is imported and registered: what ``saihan match ...`` needs, without the
    cost of importing the store, the plugins' formats and every other command group.
    """
    parser = argparse.ArgumentParser(
        prog="saihan",
        description="Find support in Tokyo's recidivism-prevention support network.",
    )
    parser.add_argument("--version", action="version", version=f"saihan {__version__}")
    parser.add_argument(
        "--lang",
        dest="chosen_lang",
        choices=("ja", "en"),
        help="language of help and of what is printed: ja or en (default: $SAIHAN_LANG, "
        "else en for help and ja for output)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = (_MODULE_OF[command],) if command in _MODULE_OF else tuple(COMMAND_MODULES)
    for module in chosen:
        importlib.import_module(f"saihan.cli.{module}").register(commands)
    _fill_standard_help(parser)
    _add_examples(parser)
    if lang == "ja":
        from saihan.cli import help_ja

        help_ja.translate(parser)
    return parser


def _add_examples(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> None:
    if path in EXAMPLES:
        parser.epilog = f"example:\n  {EXAMPLES[path]}"
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                _add_examples(child, (*path, name))


# The options every command shares mean the same everywhere, so they say so in the same
# words; a command's own help, when it gives one, is kept.
_STANDARD_HELP = {
    "--lang": "language of what is printed: ja or en (default: $SAIHAN_LANG, else ja)",
    "--format": "output format: %(choices)s (default: %(default)s)",
    "--at": "the moment to ask about, ISO 8601 (2024-11-05T10:30+09:00; no offset: Tokyo time)",
    "--as": "act as this principal: WORKER[@ORG][/CODE,...]:ROLE[,...] "
    "(default: $SAIHAN_PRINCIPAL)",
    "--actor": "the worker id recorded as having done it (default: the principal's id)",
    "--output": "write to this file instead of standard output",
    "-o": "write to this file instead of standard output",
}


def _fill_standard_help(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in {id(c): c for c in action.choices.values()}.values():
                _fill_standard_help(child)
        elif action.help is None:
            for flag in action.option_strings:
                if flag in _STANDARD_HELP:
                    action.help = _STANDARD_HELP[flag]
                    break


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``saihan`` command; the exit code (see docs/cli.md and docs/limits.md).

    Nothing reaches the user as a traceback: bad input (any SaihanError) is a
    message and exit 1, Ctrl-C one line and exit 130, and an unexpected
    exception (a bug) names its type and exits 70 without echoing its message,
    which could hold case data.  ``SAIHAN_TRACEBACK=1`` shows the traceback of
    a bug.
    """
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print("saihan: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if argv is None:
            _end_quickly()


def _end_quickly() -> None:
    """Spare the command run from a shell the interpreter's last garbage collection.

    When Python exits it walks every object still alive for cycles: after ``saihan
    match`` or ``saihan directory search`` on a directory of 32,000 services that took
    3-4 s *after* the output was printed (the prompt did not come back).  Frozen
    objects are left to the operating system instead.  Only ``main()`` as the shell
    calls it (``argv`` None) does this; a program calling ``main([...])`` keeps its
    collector as it was.  Stores and files are closed by the commands themselves.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()


def _command_of(words: Sequence[str]) -> str | None:
    """The top-level command of a command line: its first word, after a ``--lang``
    given before it (None when it starts with another option)."""
    rest = list(words)
    if rest[:1] == ["--lang"]:
        rest = rest[2:]
    elif rest and rest[0].startswith("--lang="):
        rest = rest[1:]
    return rest[0] if rest and not rest[0].startswith("-") else None


def _run(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words == ["--version"]:  # said without building the parser, as argparse says it
        print(f"saihan {__version__}")
        raise SystemExit(EXIT_OK)
    lang = chosen_language(words)
    command = _command_of(words)
    parser = build_parser(command, lang or "en")
    args = parser.parse_args(words)
    if lang is not None and hasattr(args, "lang"):
        # `saihan --lang en match ...` and $SAIHAN_LANG choose the output's language too.
        args.lang = lang
    handler = getattr(args, "handler", None)
    if handler is None:
        # A command group given without its action: show that group's help.
        chosen: argparse.ArgumentParser = getattr(args, "group_parser", parser)
        chosen.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        result: int = handler(args, sys.stdout)
    except SaihanError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `saihan ... | head` closed the pipe: not an error
        return EXIT_OK
    except Exception as error:
        if os.environ.get("SAIHAN_TRACEBACK") == "1":
            traceback.print_exc()
        print(
            f"saihan: internal error ({type(error).__name__}): this is a bug in saihan or a "
            "plugin, not in your input; please report it with the command you ran "
            "(SAIHAN_TRACEBACK=1 shows the details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return result
