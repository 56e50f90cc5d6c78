"""Pieces every command module shares: exit codes, --input, and writing through exporters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from saihan import plugins
from saihan.cli.exit_codes import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from saihan.cli.language import LANG_VARIABLE, user_language
from saihan.directory import Directory, load_directory, sample_directory
from saihan.errors import ValidationError
from saihan.limits import check_text, parse_json

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "LANG_VARIABLE",
    "add_directory_export_options",
    "add_importer",
    "add_input",
    "add_lang",
    "add_output_format",
    "add_printing_options",
    "emit",
    "emit_export",
    "export_directory",
    "export_payload",
    "format_options",
    "importer_name",
    "input_directory",
    "say",
    "user_language",
    "write_json",
]


def add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        "-i",
        type=Path,
        metavar="FILE",
        help="directory document to use (default: the bundled sample)",
    )


def add_importer(parser: argparse.ArgumentParser, default: str, *, old_spelling: bool) -> None:
    """``--importer NAME``: the importer a command reads its file through, in every command
    that reads one (``import``, ``store import``, ``directory validate``, ``referral
    import``).  ``old_spelling``: also take ``--format NAME``, which these commands used
    to name the importer, with a warning (:func:`importer_name`)."""
    parser.add_argument(
        "--importer",
        metavar="NAME",
        help=f"importer to read the file with (default: {default})",
    )
    parser.set_defaults(importer_default=default)
    if old_spelling:
        parser.add_argument(
            "--format",
            dest="old_importer",
            metavar="NAME",
            help="deprecated: the old spelling of --importer NAME",
        )


def importer_name(args: argparse.Namespace) -> str:
    """The importer ``--importer`` names, or the old ``--format NAME`` (with a warning on
    standard error), or the command's default."""
    old: str | None = getattr(args, "old_importer", None)
    chosen: str | None = args.importer
    if old is None:
        return chosen or str(args.importer_default)
    if chosen is not None and chosen != old:
        raise ValidationError(
            f"--importer {chosen} and the old --format {old} disagree: give --importer only",
            path="importer",
        )
    print(
        say(
            args,
            f"警告: --format {old} は --importer {old} の古い書き方です。"
            "いずれ使えなくなるので --importer をお使いください",
            f"warning: --format {old} is the old spelling of --importer {old} and will go "
            "away; use --importer",
        ),
        file=sys.stderr,
    )
    return old


def add_output_format(parser: argparse.ArgumentParser, *extra: str) -> None:
    """``--format text|json`` (and ``extra`` formats): every command that prints data."""
    parser.add_argument("--format", choices=("text", "json", *extra), default="text")


def add_lang(parser: argparse.ArgumentParser) -> None:
    """``--lang ja|en``: every command that prints words (default: ``$SAIHAN_LANG``, else ja)."""
    parser.add_argument("--lang", choices=("ja", "en"), default=user_language())


def add_printing_options(parser: argparse.ArgumentParser, *extra: str) -> None:
    """``--lang ja|en`` and ``--format text|json``: a command that prints data in words."""
    add_lang(parser)
    add_output_format(parser, *extra)


def say(args: argparse.Namespace, ja: str, en: str) -> str:
    """``ja`` or ``en``, as ``--lang`` chose (Japanese when the command has no ``--lang``)."""
    return en if getattr(args, "lang", "ja") == "en" else ja


def write_json(data: object, out: TextIO) -> None:
    """``data`` (plain JSON values) as indented UTF-8 JSON, Japanese kept readable."""
    import json

    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def add_directory_export_options(parser: argparse.ArgumentParser) -> None:
    """``--format``, ``-o`` and ``--include-confidential``, for every command that exports."""
    parser.add_argument("--format", default="json", help="exporter name (default: json)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    parser.add_argument(
        "--include-confidential",
        action="store_true",
        help="keep confidential addresses (for a private backup, never for publishing)",
    )


def format_options(pairs: list[str] | None) -> dict[str, Any]:
    """``--option NAME=VALUE`` pairs for a format plugin; VALUE is JSON when it parses.

    ``bom=true`` gives True, ``indent=4`` gives 4, ``default_code=130001`` stays text
    only when quoted as JSON (``'default_code="130001"'``) or not a JSON number.
    """
    options: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValidationError(f"{pair!r} is not NAME=VALUE", path="option")
        # A command line can carry bytes that are not UTF-8 (as lone surrogates): refuse them
        # here rather than pass them to a plugin.
        check_text(pair, path="option", what="option")
        try:
            options[name] = parse_json(text, what="option value")
        except ValidationError:  # not JSON, or JSON outside the limits: the text itself
            options[name] = text
    return options


def export_directory(directory: Directory, args: argparse.Namespace, out: TextIO) -> int:
    """Write ``directory`` through ``--format`` with ``--include-confidential`` and options."""
    return emit_export(directory, export_payload(directory, args), args, out)


def export_payload(directory: Directory, args: argparse.Namespace) -> bytes:
    """``directory`` through the exporter of ``--format``, with its options."""
    exporter = plugins.exporter(args.format, for_type=Directory)
    options = format_options(getattr(args, "option", None))
    if args.include_confidential:
        options["include_confidential"] = True
    if getattr(args, "encoding", None) is not None:
        options["encoding"] = args.encoding
    payload: bytes = exporter.export(directory, **options)
    return payload


def note_events_left_out(args: argparse.Namespace, events: int) -> None:
    """Say on standard error that a directory export from a store leaves its ``events``
    out: no directory format carries them (HSDS 3.1 defines no event record)."""
    if events:
        print(
            say(
                args,
                f"注: ストアのイベント {events} 件はディレクトリの出力に含まれません"
                "（HSDS 3.1 にはイベントの記録がありません）。iCalendar で出力してください: "
                "saihan events export --format ical",
                f"note: the store's {events} event(s) are not in a directory export (HSDS 3.1 "
                "defines no event record, nor does any directory format): write them as "
                "iCalendar with saihan events export --format ical",
            ),
            file=sys.stderr,
        )


def emit_export(directory: Directory, payload: bytes, args: argparse.Namespace, out: TextIO) -> int:
    """Write what :func:`export_payload` made to ``-o`` or ``out``."""
    emit(payload, args.output, out, f"{len(directory.services)} services")
    return EXIT_OK


def input_directory(args: argparse.Namespace) -> Directory:
    """The directory named by ``--input``, or the bundled sample."""
    path: Path | None = args.input
    return sample_directory() if path is None else load_directory(path)


def emit(payload: bytes, output: Path | None, out: TextIO, what: str) -> None:
    """Write an exporter's bytes to ``output``, or as text to ``out`` when there is none.

    ``what`` names what was written, for the note on standard error.
    """
    if output is None:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"the {what} are not text (a ZIP?); give -o FILE") from None
        out.write(text)
        out.flush()
        return
    try:
        output.write_bytes(payload)
    except OSError as error:
        raise ValidationError(f"cannot write {str(output)!r}: {error.strerror}") from None
    print(f"wrote {what} to {output}", file=sys.stderr)
