"""Reading cases from files: every problem reported with its path, nothing half-loaded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from saihan.directory.taxonomy import NeedTaxonomy, default_taxonomy
from saihan.errors import ErrorItem, ValidationError
from saihan.referral.case import ConsultationCase

if TYPE_CHECKING:
    from saihan.directory.directory import Directory

__all__ = ["load_case", "load_cases"]


def load_case(
    source: str | Path | bytes,
    *,
    directory: Directory | None = None,
    taxonomy: NeedTaxonomy | None = None,
) -> ConsultationCase:
    """A case from a JSON file (a path) or JSON text.

    Unknown fields are errors, not ignored: a misspelt field would otherwise
    silently drop what the worker recorded.  So are need codes outside the
    taxonomy: ``taxonomy`` when given, else that of ``directory`` (the bundled
    needs and the directory's own), else the bundled taxonomy.
    """
    from saihan.serialization import from_json

    if isinstance(source, bytes) or (isinstance(source, str) and source.lstrip().startswith("{")):
        case = from_json(source, ConsultationCase)
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ValidationError(f"cannot read {str(path)!r}: {error.strerror}") from None
        case = from_json(data, ConsultationCase)
    if taxonomy is None:
        taxonomy = directory.taxonomy if directory is not None else default_taxonomy()
    problems = _unknown_needs(case, taxonomy)
    if problems:
        raise ValidationError(problems)
    return case


def _unknown_needs(case: ConsultationCase, taxonomy: NeedTaxonomy) -> list[ErrorItem]:
    """A problem for each need the case raises that ``taxonomy`` does not know."""
    return [
        ErrorItem(f"needs[{index}].code", f"unknown need {need.code!r} (not in the taxonomy)")
        for index, need in enumerate(case.needs)
        if need.code not in taxonomy
    ]


def load_cases(
    paths: Iterable[str | Path],
    *,
    directory: Directory | None = None,
    taxonomy: NeedTaxonomy | None = None,
) -> list[ConsultationCase]:
    """Several case files; every file's problems are reported together, under its name."""
    cases: list[ConsultationCase] = []
    problems: list[ErrorItem] = []
    for path in paths:
        try:
            cases.append(load_case(Path(path), directory=directory, taxonomy=taxonomy))
        except ValidationError as error:
            problems.extend(item.under(str(path)) for item in error.errors)
    if problems:
        raise ValidationError(problems)
    return cases
