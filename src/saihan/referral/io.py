"""Reading cases from files: every problem reported with its path, nothing half-loaded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from saihan.errors import ErrorItem, ValidationError
from saihan.referral.case import ConsultationCase

__all__ = ["load_case", "load_cases"]


def load_case(source: str | Path | bytes) -> ConsultationCase:
    """A case from a JSON file (a path) or JSON text.

    Unknown fields are errors, not ignored: a misspelt field would otherwise
    silently drop what the worker recorded.
    """
    from saihan.serialization import from_json

    if isinstance(source, bytes) or (isinstance(source, str) and source.lstrip().startswith("{")):
        return from_json(source, ConsultationCase)
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValidationError(f"cannot read {str(path)!r}: {error.strerror}") from None
    return from_json(data, ConsultationCase)


def load_cases(paths: Iterable[str | Path]) -> list[ConsultationCase]:
    """Several case files; every file's problems are reported together, under its name."""
    cases: list[ConsultationCase] = []
    problems: list[ErrorItem] = []
    for path in paths:
        try:
            cases.append(load_case(Path(path)))
        except ValidationError as error:
            problems.extend(item.under(str(path)) for item in error.errors)
    if problems:
        raise ValidationError(problems)
    return cases
