"""Reading cases from files: every problem reported with its path, nothing half-loaded."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from saihan.directory.taxonomy import NeedTaxonomy, default_taxonomy
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, read_file
from saihan.referral.case import ConsultationCase

if TYPE_CHECKING:
    from saihan.directory.directory import Directory

__all__ = ["load_case", "load_cases"]


def load_case(
    source: str | Path | bytes,
    *,
    directory: Directory | None = None,
    taxonomy: NeedTaxonomy | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ConsultationCase:
    """A case from a JSON file (a path) or JSON text.

    Unknown fields are errors, not ignored: a misspelt field would otherwise
    silently drop what the worker recorded.  So are need codes outside the
    taxonomy: ``taxonomy`` when given, else that of ``directory`` (the bundled
    needs and the directory's own), else the bundled taxonomy.  The document is
    read within ``limits`` (see docs/limits.md): anything outside them, a lone
    surrogate included, is a :class:`ValidationError` naming where.
    """
    from saihan.serialization import from_json

    if isinstance(source, bytes) or (isinstance(source, str) and source.lstrip().startswith("{")):
        case = from_json(source, ConsultationCase, limits=limits)
    elif isinstance(source, str | os.PathLike):
        case = from_json(
            read_file(source, limits=limits, what="case file"), ConsultationCase, limits=limits
        )
    else:
        raise ValidationError(
            f"expected a path, JSON text or bytes, got {type(source).__name__}", path="source"
        )
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
    limits: Limits = DEFAULT_LIMITS,
) -> list[ConsultationCase]:
    """Several case files; every file's problems are reported together, under its name."""
    cases: list[ConsultationCase] = []
    problems: list[ErrorItem] = []
    for path in paths:
        try:
            cases.append(
                load_case(Path(path), directory=directory, taxonomy=taxonomy, limits=limits)
            )
        except ValidationError as error:
            problems.extend(item.under(str(path)) for item in error.errors)
    if problems:
        raise ValidationError(problems)
    return cases
