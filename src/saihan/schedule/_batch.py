"""Shared pieces of the batch queries (``add_business_days_many`` and the ``*_many``
membership tests): turning the input into a list, and naming the bad element.

The batch methods answer from tables made once per compiled span (a dict from every
day of the span to its answer, or to its place among the business days), so a batch
is a few ``map`` calls over C-level lookups; any element the tables cannot answer (a
year not compiled yet, a value that is not a date) goes to the one-date method, whose
error is raised again under the element's path, e.g. ``dates[3]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from saihan.errors import ErrorItem, NotFoundError, ValidationError

T = TypeVar("T")


def as_list(dates: Iterable[dt.date], field: str = "dates") -> list[dt.date]:
    """``dates`` as a list (the same list when it is one); a bare date or string is refused."""
    if isinstance(dates, list):
        return dates
    if isinstance(dates, dt.date | str | bytes) or not isinstance(dates, Iterable):
        raise ValidationError(
            f"expected a sequence of dates, got {type(dates).__name__}", path=field
        )
    return list(dates)


def one(field: str, index: int, answer: Callable[[], T]) -> T:
    """``answer()`` for the element at ``index``, its errors named ``field[index]``."""
    try:
        return answer()
    except ValidationError as error:
        items = [ErrorItem(f"{field}[{index}]", item.message) for item in error.errors]
        raise type(error)(items) from error
    except NotFoundError as error:
        raise NotFoundError(f"{field}[{index}]: {error}") from error


def lookup_all(table: Mapping[dt.date, T], days: list[dt.date]) -> tuple[list[T | None], bool]:
    """``table[day]`` of every day, and whether all were there; None for a value that
    is not there or not hashable."""
    try:
        return list(map(table.__getitem__, days)), True
    except (KeyError, TypeError):
        pass
    try:
        return list(map(table.get, days)), False
    except TypeError:  # an unhashable value: look the others up one by one
        found: list[T | None] = []
        for day in days:
            try:
                found.append(table.get(day))
            except TypeError:
                found.append(None)
        return found, False
