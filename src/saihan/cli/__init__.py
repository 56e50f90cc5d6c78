"""The ``saihan`` command line: ``saihan --help`` lists the commands."""

from saihan.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
