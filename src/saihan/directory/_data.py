"""Reading the CSV tables bundled in ``saihan/directory/data/``."""

from __future__ import annotations

import csv
import io
from importlib import resources


def read_rows(name: str) -> list[dict[str, str]]:
    """The rows of a bundled CSV file as dicts keyed by its header."""
    text = resources.files("saihan.directory").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def read_bytes(name: str) -> bytes:
    """A bundled data file's bytes."""
    return resources.files("saihan.directory").joinpath(f"data/{name}").read_bytes()
