"""The need taxonomy: hierarchical need codes under the plan's six priority areas.

The taxonomy is data (``data/needs.csv``, ``data/priority_areas.csv``), not
code.  Codes are dotted (``housing.emergency``) by convention, but the
hierarchy is what each need's ``parent`` says.  A municipality extends it by
listing extra needs in its directory document (``needs``): no code changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import attrs

from saihan._validation import Checker, checked, types_only
from saihan.directory._data import read_rows
from saihan.errors import ErrorItem, NotFoundError, ValidationError
from saihan.text import LocalizedText

__all__ = ["Need", "NeedTaxonomy", "PriorityArea", "default_taxonomy", "priority_areas"]


@attrs.frozen
class PriorityArea:
    """One of the six priority areas (重点課題) of Tokyo's second recidivism prevention plan."""

    number: int
    label: LocalizedText

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Need:
    """A need a person can have and a service can meet.

    A root need (no ``parent``) names the plan's priority area (1-6) it falls
    under; a child inherits its root's area.
    """

    code: str = attrs.field(
        metadata={"schema": {"pattern": r"^[a-z0-9][a-z0-9._-]{0,127}$"}, "doc": "Need code."}
    )
    label: LocalizedText = attrs.field(metadata={"doc": "Label in Japanese and English."})
    parent: str | None = attrs.field(default=None, metadata={"doc": "Code of the broader need."})
    priority_area: int | None = attrs.field(
        default=None,
        metadata={
            "schema": {"minimum": 1, "maximum": 6},
            "doc": "Priority area of the plan (1-6); required on a root need only.",
        },
    )

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.identifier("code", self.code)
        if self.parent is None and self.priority_area is None:
            check.add("priority_area", "a root need must name its priority area (1-6)")
        if self.parent is not None and self.priority_area is not None:
            check.add(
                "priority_area", "only a root need names a priority area; children inherit it"
            )
        if self.priority_area is not None and not 1 <= self.priority_area <= 6:
            check.add("priority_area", f"{self.priority_area} is not a priority area (1-6)")
        if self.parent == self.code:
            check.add("parent", "a need cannot be its own parent")
        check.done()


class NeedTaxonomy:
    """An immutable tree of needs with fast ancestor and descendant lookups."""

    __slots__ = ("_children", "_descendants", "_needs")

    def __init__(self, needs: Iterable[Need]) -> None:
        by_code: dict[str, Need] = {}
        problems = _problems(list(needs), by_code)
        if problems:
            raise ValidationError(problems)
        self._needs = by_code
        self._children: dict[str, list[str]] = {code: [] for code in by_code}
        for need in by_code.values():
            if need.parent is not None:
                self._children[need.parent].append(need.code)
        self._descendants: dict[str, frozenset[str]] = {
            code: frozenset(self._walk_down(code)) for code in by_code
        }

    def _walk_down(self, code: str) -> Iterator[str]:
        stack = [code]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(self._children[current])

    def __contains__(self, code: object) -> bool:
        return code in self._needs

    def __iter__(self) -> Iterator[Need]:
        return iter(self._needs.values())

    def __len__(self) -> int:
        return len(self._needs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NeedTaxonomy) and self._needs == other._needs

    def __hash__(self) -> int:
        return hash(frozenset(self._needs.items()))

    def __repr__(self) -> str:
        return f"NeedTaxonomy({len(self)} needs)"

    def get(self, code: str) -> Need:
        """The need with ``code``; :class:`NotFoundError` if there is none."""
        try:
            return self._needs[code]
        except KeyError:
            raise NotFoundError(f"unknown need code {code!r}") from None

    def roots(self) -> tuple[Need, ...]:
        """The top-level needs, in file order."""
        return tuple(need for need in self._needs.values() if need.parent is None)

    def children(self, code: str) -> tuple[Need, ...]:
        self.get(code)
        return tuple(self._needs[child] for child in self._children[code])

    def descendants(self, code: str) -> frozenset[str]:
        """``code`` and every need below it."""
        self.get(code)
        return self._descendants[code]

    def ancestors(self, code: str) -> tuple[str, ...]:
        """``code`` and its ancestors up to the root, nearest first."""
        chain = [self.get(code).code]
        while (parent := self._needs[chain[-1]].parent) is not None:
            chain.append(parent)
        return tuple(chain)

    def root(self, code: str) -> Need:
        return self._needs[self.ancestors(code)[-1]]

    def priority_area(self, code: str) -> int:
        """The plan's priority area (1-6) the need falls under."""
        area = self.root(code).priority_area
        assert area is not None  # guaranteed for roots by Need's own check
        return area

    def extended(self, extra: Iterable[Need]) -> NeedTaxonomy:
        """A new taxonomy with ``extra`` needs added (a municipality's own needs).

        Problems are reported with paths into ``extra`` (``[2].parent``).  With no
        ``extra`` it is this very taxonomy (it is immutable): directories without needs
        of their own share the bundled one.
        """
        added = list(extra)
        if not added:
            return self
        by_code = dict(self._needs)
        problems = _problems(added, by_code)
        if problems:
            raise ValidationError(problems)
        return NeedTaxonomy(by_code.values())


def _problems(needs: list[Need], by_code: dict[str, Need]) -> list[ErrorItem]:
    """Add ``needs`` to ``by_code``; return duplicates, unknown parents and cycles."""
    check = Checker()
    for index, need in enumerate(needs):
        if need.code in by_code:
            check.add(f"[{index}].code", f"duplicate need code {need.code!r}")
        else:
            by_code[need.code] = need
    for index, need in enumerate(needs):
        if need.parent is not None and need.parent not in by_code:
            check.add(f"[{index}].parent", f"unknown parent need {need.parent!r}")
        elif _in_cycle(need, by_code):
            check.add(f"[{index}].parent", f"need {need.code!r} is its own ancestor")
    return check.errors


def _in_cycle(need: Need, by_code: dict[str, Need]) -> bool:
    seen = {need.code}
    current = need
    while current.parent is not None and current.parent in by_code:
        if current.parent in seen:
            return True
        seen.add(current.parent)
        current = by_code[current.parent]
    return False


@functools.cache
def priority_areas() -> tuple[PriorityArea, ...]:
    """The six priority areas of the plan, in order."""
    return tuple(
        PriorityArea(int(row["number"]), LocalizedText(ja=row["label_ja"], en=row["label_en"]))
        for row in read_rows("priority_areas.csv")
    )


@functools.cache
def default_taxonomy() -> NeedTaxonomy:
    """The bundled need taxonomy: ten need areas and their sub-needs."""
    return NeedTaxonomy(
        Need(
            code=row["code"],
            label=LocalizedText(ja=row["label_ja"], en=row["label_en"]),
            parent=row["parent"] or None,
            priority_area=int(row["priority_area"]) if row["priority_area"] else None,
        )
        for row in read_rows("needs.csv")
    )
