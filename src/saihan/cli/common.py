"""Pieces every command module shares: exit codes and the --input option."""

from __future__ import annotations

import argparse
from pathlib import Path

from saihan.directory import Directory, load_directory, sample_directory

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "add_input", "input_directory"]

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


def input_directory(args: argparse.Namespace) -> Directory:
    """The directory named by ``--input``, or the bundled sample."""
    path: Path | None = args.input
    return sample_directory() if path is None else load_directory(path)
