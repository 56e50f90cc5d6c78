"""A support flow in words: its steps numbered in reading order, each with where it leads.

The flowchart shows the shape; these words say the same thing for a reader who
follows the text (or cannot see the drawing): 「1. 質問: …　はい → 2、いいえ → 4」.
"""

from __future__ import annotations

from collections import deque

import attrs

from saihan.referral.flows import Flow, FlowNode, action_text
from saihan.text import LocalizedText

__all__ = ["FlowStepText", "explain_flow"]

_KIND = {
    "question": ("質問", "Question"),
    "action": ("対応", "Action"),
    "end": ("終わり", "End"),
}


_ANSWER = {
    "if_yes": ("はい", "yes"),
    "if_no": ("いいえ", "no"),
    "otherwise": ("その他", "otherwise"),
    "branch": ("条件", "case"),
}


def _say(text: LocalizedText | None, lang: str) -> str:
    return "" if text is None else text.get(lang)


def _edges(node: FlowNode, lang: str) -> list[tuple[str, str]]:
    """(answer in words, target) of every edge of a node, as the drawings label them."""

    def word(key: str) -> str:
        pair = _ANSWER[key]
        return pair[1] if lang == "en" else pair[0]

    found: list[tuple[str, str]] = []
    for place, target in node.edges():
        if place in ("if_yes", "if_no", "otherwise"):
            found.append((word(place), target))
        elif place.startswith("answers["):
            answer = node.answers[int(place[8 : place.index("]")])]
            found.append((_say(answer.label, lang) or ", ".join(answer.values), target))
        elif place.startswith("branches["):
            index = int(place[9 : place.index("]")])
            label = _say(node.branches[index].label, lang) or f"{word('branch')} {index + 1}"
            found.append((label, target))
        else:  # next: no answer to give
            found.append(("", target))
    return found


@attrs.frozen
class FlowStepText:
    """One node of a flow in words."""

    number: int
    kind: str  # the node's kind in words (質問 / 対応 / 終わり)
    text: str
    actions: tuple[str, ...]
    leads: tuple[tuple[str, int], ...]  # (answer, number of the step it leads to)


def _order(flow: Flow) -> list[str]:
    """Node ids breadth-first from the start, then any node not reached."""
    by_id = flow.by_id
    seen: dict[str, None] = {}
    queue = deque([flow.start])
    while queue:
        node_id = queue.popleft()
        if node_id in seen or node_id not in by_id:
            continue
        seen[node_id] = None
        queue.extend(target for _, target in _edges(by_id[node_id], "ja"))
    for node in flow.nodes:
        seen.setdefault(node.id, None)
    return list(seen)


def explain_flow(flow: Flow, lang: str = "ja") -> tuple[FlowStepText, ...]:
    """Every node of ``flow`` as a numbered step in words, in reading order."""
    order = _order(flow)
    number = {node_id: index + 1 for index, node_id in enumerate(order)}
    by_id = flow.by_id
    steps = []
    for node_id in order:
        node = by_id[node_id]
        words = _KIND.get(node.kind, (node.kind, node.kind))
        leads = tuple(
            (label, number[target]) for label, target in _edges(node, lang) if target in number
        )
        steps.append(
            FlowStepText(
                number=number[node_id],
                kind=words[1] if lang == "en" else words[0],
                text=_say(node.text, lang),
                actions=tuple(action_text(action, lang) for action in node.actions),
                leads=leads,
            )
        )
    return tuple(steps)
