"""The exit codes of the ``saihan`` command (docs/cli.md), in a module that imports nothing."""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_FAILED = 1  # the input was bad or something was not found
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_INTERNAL = 70  # a bug in saihan or a plugin (EX_SOFTWARE); never bad input
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it
