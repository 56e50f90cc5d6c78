"""Small counts suppressed as statistical offices do, with secondary suppression.

The rule (:func:`suppress`), for a table of counts that add up to a total shown with it:

1. **primary**: a count from 1 to ``k - 1`` is suppressed (a zero is shown: it says
   that nobody is in the cell, which identifies no one);
2. **secondary**: if exactly one count of the table is suppressed, the smallest other
   count above zero is suppressed too (ties: the first in the table's order), so that no
   suppressed count is the total minus the counts shown; if no other count is above
   zero, the suppressed count could still be read from the total, so the total is
   suppressed as well;
3. a **total** below ``k`` (but above zero) is suppressed with every count of the table.

A statistic over a set of items (a median, a percentile) is suppressed when the set has
fewer than ``k`` items.
"""

from __future__ import annotations

from collections.abc import Sequence

from saihan.errors import ErrorItem, ValidationError

__all__ = ["SUPPRESSION_RULE", "suppress"]

SUPPRESSION_RULE = (
    "A count from 1 to k-1 is suppressed (primary); zeros are shown. When a table has "
    "exactly one suppressed count, its smallest other count above zero is suppressed too "
    "(secondary), so no suppressed count can be worked out from the total; when there is "
    "none, the total is suppressed. A total below k is suppressed with its whole table. A "
    "median or percentile of fewer than k items is suppressed."
)
"""The rule in words, as the report states it."""

SUPPRESSION_RULE_JA = (
    "1以上k未満の度数は秘匿する（一次秘匿）。0は表示する。表の中で秘匿した度数が一つだけのときは、"
    "合計から逆算できないよう、0を超える他の度数のうち最小のものも秘匿する（二次秘匿）。"
    "そのような度数がないときは合計を秘匿する。合計がk未満の表は全体を秘匿する。"
    "k件未満の中央値・パーセンタイルは秘匿する。"
)
"""The rule in Japanese."""


def suppress(counts: Sequence[int], k: int) -> tuple[list[bool], bool]:
    """Which ``counts`` to suppress, and whether to suppress their total, by the rule."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError([ErrorItem("k", "expected a whole number of at least 1")])
    for index, count in enumerate(counts):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError([ErrorItem(f"counts[{index}]", "expected a count >= 0")])
    total = sum(counts)
    if 0 < total < k:
        return [count > 0 for count in counts], True
    hidden = [0 < count < k for count in counts]
    if sum(hidden) == 1:
        others = [(count, index) for index, count in enumerate(counts) if count > 0]
        others = [(count, index) for count, index in others if not hidden[index]]
        if others:
            hidden[min(others)[1]] = True
        else:
            return hidden, True
    return hidden, False
