"""Hypothesis strategies for support flows (:mod:`saihan.referral.flows`).

:func:`flows` draws flows that validate: trees of questions (each of the
three forms, always covering every answer), actions and ends, with the
bundled need and agency-kind codes.  Use them to check code that stores,
draws or runs flows::

    @given(flows(), cases())
    def test_every_flow_ends(flow, case):
        assert run_flow(flow, case).end
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.directory import Directory
from saihan.directory.taxonomy import default_taxonomy
from saihan.directory.vocabulary import Audience, Channel, LegalSituation
from saihan.referral.case import Urgency
from saihan.referral.flows.model import Action, Answer, Branch, Connect, Flow, FlowNode
from saihan.testing.referral_strategies import conditions, sources
from saihan.testing.strategies import localized_texts

__all__ = ["flow_actions", "flows"]

# The single-valued case fields with a closed vocabulary, which a ``field`` question asks.
_ASKABLE = {
    "case.consulter": tuple(member.value for member in Audience),
    "case.received_via": tuple(member.value for member in Channel),
    "case.legal_situation": tuple(member.value for member in LegalSituation),
}


@functools.cache
def _needs() -> SearchStrategy[str]:
    return st.sampled_from(sorted(need.code for need in default_taxonomy()))


@functools.cache
def _kinds() -> SearchStrategy[str]:
    return st.sampled_from(sorted(kind.code for kind in default_agency_kinds()))


@functools.cache
def flow_actions(*, directory: Directory | None = None) -> SearchStrategy[Action]:
    """One valid :class:`Action` of each kind: add_need, connect, inform, note.

    ``connect`` names a service of ``directory`` when given (any id otherwise).
    """
    services = (
        st.sampled_from(sorted(service.id for service in directory.services))
        if directory is not None and directory.services
        else st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
    )
    connect = st.one_of(
        st.builds(Connect, agency_kind=_kinds(), for_need=st.none() | _needs()),
        st.builds(Connect, service=services, for_need=st.none() | _needs()),
    )
    return st.one_of(
        st.builds(Action, add_need=_needs(), urgency=st.none() | st.sampled_from(Urgency)),
        st.builds(Action, connect=connect),
        st.builds(Action, inform=localized_texts()),
        st.builds(Action, note=localized_texts()),
    )


@st.composite
def flows(draw: DrawFn, *, max_depth: int = 3, directory: Directory | None = None) -> Flow:
    """:class:`Flow` values that validate, at most ``max_depth`` questions or actions deep.

    With ``directory``, services that actions connect to are its services
    (so that the flow validates against it, and can be given to ``match``).

    Every node is reached from the start, no node is reached twice, and
    every question covers every answer, so a run always ends.
    """
    if max_depth < 0:
        raise ValueError("max_depth must be at least 0")
    counter = itertools.count()
    nodes: list[FlowNode] = []
    prefix = draw(st.sampled_from(["n", "ask-", "step."]))

    def build(depth: int) -> str:
        node_id = f"{prefix}{next(counter)}"
        kinds = ["end"] if depth == 0 else ["question", "action", "end"]
        kind = draw(st.sampled_from(kinds))
        position = len(nodes)
        nodes.append(FlowNode(node_id, "end"))  # replaced below, once its children exist
        if kind == "end":
            nodes[position] = FlowNode(node_id, "end", text=draw(localized_texts()))
        elif kind == "action":
            actions = tuple(
                draw(st.lists(flow_actions(directory=directory), min_size=1, max_size=3))
            )
            after = build(depth - 1)
            nodes[position] = FlowNode(node_id, "action", actions=actions, next=after)
        else:
            nodes[position] = _question(draw, node_id, depth, build)
        return node_id

    start = build(max_depth)
    return Flow(
        id=draw(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True)),
        version=draw(st.sampled_from(["1", "2024.1", "2025.2"])),
        title=draw(localized_texts()),
        source=draw(sources()),
        start=start,
        nodes=tuple(nodes),
        description=draw(st.none() | localized_texts()),
    )


def _question(draw: DrawFn, node_id: str, depth: int, grow: Callable[[int], str]) -> FlowNode:
    text = draw(localized_texts())
    form = draw(st.sampled_from(["condition", "field", "branches"]))
    if form == "condition":
        condition = draw(conditions(case_side=True, max_depth=1))
        return FlowNode(
            node_id,
            "question",
            text=text,
            condition=condition,
            if_yes=grow(depth - 1),
            if_no=grow(depth - 1),
        )
    if form == "field":
        field = draw(st.sampled_from(sorted(_ASKABLE)))
        values = list(_ASKABLE[field])
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=4, unique=True))
        split = draw(st.integers(1, len(chosen)))
        groups = [chosen[:split], chosen[split:]] if split < len(chosen) else [chosen]
        answers = tuple(
            Answer(tuple(group), grow(depth - 1), draw(st.none() | localized_texts()))
            for group in groups
        )
        covered = set(chosen) == set(values)
        otherwise = grow(depth - 1) if not covered or draw(st.booleans()) else None
        return FlowNode(
            node_id, "question", text=text, field=field, answers=answers, otherwise=otherwise
        )
    count = draw(st.integers(1, 2))
    branches = tuple(
        Branch(
            draw(conditions(case_side=True, max_depth=1)),
            grow(depth - 1),
            draw(st.none() | localized_texts()),
        )
        for _ in range(count)
    )
    return FlowNode(node_id, "question", text=text, branches=branches, otherwise=grow(depth - 1))
