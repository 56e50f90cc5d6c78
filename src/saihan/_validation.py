"""Collecting every problem in a value before raising, with field paths.

Model classes check themselves in ``__attrs_post_init__`` with a
:class:`Checker`, which gathers every problem and raises one
:class:`~saihan.errors.ValidationError` at the end, so that a caller sees all
that is wrong with an object at once rather than the first thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from saihan.errors import ErrorItem, ValidationError

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
ID_RE = re.compile(ID_PATTERN)
"""The id pattern, compiled (``ID_RE.fullmatch(value)``)."""
_ID_RE = ID_RE


class Checker:
    """Gathers :class:`ErrorItem` objects; :meth:`done` raises if there are any."""

    def __init__(self) -> None:
        self.errors: list[ErrorItem] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(ErrorItem(path, message))

    def extend(self, prefix: str | int, errors: Iterable[ErrorItem]) -> None:
        self.errors.extend(item.under(prefix) for item in errors)

    def require(self, condition: bool, path: str, message: str) -> None:
        if not condition:
            self.add(path, message)

    def non_blank(self, path: str, value: str) -> None:
        if not value.strip():
            self.add(path, "must not be empty or blank")

    def non_blank_optional(self, path: str, value: str | None) -> None:
        if value is not None and not value.strip():
            self.add(path, "must not be empty or blank (leave it out instead)")

    def identifier(self, path: str, value: str) -> None:
        if not _ID_RE.fullmatch(value):
            self.add(
                path,
                f"{value!r} is not a valid id: use 1-128 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit",
            )

    def each(self, path: str, values: Iterable[str], check: Callable[[str], str | None]) -> None:
        """Run ``check`` on each value; it returns an error message or None."""
        for index, value in enumerate(sorted(values) if isinstance(values, frozenset) else values):
            message = check(value)
            if message is not None:
                self.add(f"{path}[{index}]", message)

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
