"""Reading cases from files: every problem reported with its path, nothing half-loaded."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, read_file
from saihan.referral.case import ConsultationCase

__all__ = ["load_case", "load_cases"]


def load_case(source: str | Path | bytes, *, limits: Limits = DEFAULT_LIMITS) -> ConsultationCase:
    """A case from a JSON file (a path) or JSON text.

    Unknown fields are errors, not ignored: a misspelt field would otherwise
    silently drop what the worker recorded.  The document is read within
    ``limits`` (see docs/limits.md): anything outside them, a lone surrogate
    included, is a :class:`ValidationError` naming where.
    """
    from saihan.serialization import from_json

    if isinstance(source, bytes) or (isinstance(source, str) and source.lstrip().startswith("{")):
        return from_json(source, ConsultationCase, limits=limits)
    if not isinstance(source, str | os.PathLike):
        raise ValidationError(
            f"expected a path, JSON text or bytes, got {type(source).__name__}", path="source"
        )
    return from_json(
        read_file(source, limits=limits, what="case file"), ConsultationCase, limits=limits
    )


def load_cases(
    paths: Iterable[str | Path], *, limits: Limits = DEFAULT_LIMITS
) -> list[ConsultationCase]:
    """Several case files; every file's problems are reported together, under its name."""
    cases: list[ConsultationCase] = []
    problems: list[ErrorItem] = []
    for path in paths:
        try:
            cases.append(load_case(Path(path), limits=limits))
        except ValidationError as error:
            problems.extend(item.under(str(path)) for item in error.errors)
    if problems:
        raise ValidationError(problems)
    return cases
