"""Pieces every command module shares: exit codes and the --input option."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from saihan.directory import Directory, load_directory, sample_directory
from saihan.errors import ValidationError

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_directory_export_options",
    "add_input",
    "emit",
    "input_directory",
]

EXIT_OK = 0
EXIT_FAILED = 1  # the input was bad or something was not found
EXIT_USAGE = 2  # argparse's own code for a bad command line


def add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        "-i",
        type=Path,
        metavar="FILE",
        help="directory document to use (default: the bundled sample)",
    )


def add_directory_export_options(parser: argparse.ArgumentParser) -> None:
    """``--format``, ``-o`` and ``--include-confidential``, for every command that exports."""
    parser.add_argument("--format", default="json", help="exporter name (default: json)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    parser.add_argument(
        "--include-confidential",
        action="store_true",
        help="keep confidential addresses (for a private backup, never for publishing)",
    )


def input_directory(args: argparse.Namespace) -> Directory:
    """The directory named by ``--input``, or the bundled sample."""
    path: Path | None = args.input
    return sample_directory() if path is None else load_directory(path)


def emit(payload: bytes, output: Path | None, out: TextIO, what: str) -> None:
    """Write an exporter's bytes to ``output``, or as text to ``out`` when there is none.

    ``what`` names what was written, for the note on standard error.
    """
    if output is None:
        out.write(payload.decode("utf-8"))
        out.flush()
        return
    try:
        output.write_bytes(payload)
    except OSError as error:
        raise ValidationError(f"cannot write {str(output)!r}: {error.strerror}") from None
    print(f"wrote {what} to {output}", file=sys.stderr)
