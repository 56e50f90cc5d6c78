"""The parts of a support flow: question, action and end nodes, and what a run records.

A flow is plain data, as its file says it: the model is deliberately loose
(one node class whose ``kind`` says which fields it uses) so that a flow
with mistakes can still be built and :func:`~saihan.referral.flows.validate`
can report every mistake at once, rather than the first one stopping the
load.  :func:`~saihan.referral.flows.load_flow` and
:func:`~saihan.referral.flows.run_flow` refuse a flow that does not validate.
"""

from __future__ import annotations

import enum
import functools

import attrs

from saihan._validation import ID_PATTERN, types_only
from saihan.errors import NotFoundError
from saihan.referral.case import Urgency
from saihan.referral.conditions import Condition, Predicate, compile_condition
from saihan.referral.rules import Source
from saihan.text import LocalizedText

__all__ = [
    "Action",
    "Answer",
    "Branch",
    "Connect",
    "Flow",
    "FlowNode",
    "FlowRun",
    "FlowStep",
    "NodeKind",
    "TakenAction",
    "flow_rule_id",
]


class NodeKind(enum.StrEnum):
    """What a node is; the model keeps ``kind`` as text so that a typo is reported,
    with its node id, together with every other problem of the flow."""

    QUESTION = "question"
    ACTION = "action"
    END = "end"


_ID = {"schema": {"pattern": ID_PATTERN}}


@attrs.frozen
class Answer:
    """One arm of a ``field`` question: the values that lead to ``to``."""

    values: tuple[str, ...] = attrs.field(
        metadata={"schema": {"minItems": 1}, "doc": "Values of the field taking this arm."}
    )
    to: str = attrs.field(metadata={**_ID, "doc": "The node it leads to."})
    label: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "The answer in words, for drawings."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Branch:
    """One arm of a ``branches`` question: taken when ``when`` holds (first one wins)."""

    when: Condition = attrs.field(metadata={"doc": "Condition on case fields."})
    to: str = attrs.field(metadata={**_ID, "doc": "The node it leads to."})
    label: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "The answer in words, for drawings."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Connect:
    """Connect the person to a kind of agency or to one service."""

    agency_kind: str | None = attrs.field(
        default=None, metadata={**_ID, "doc": "An agency kind code (agency_types.csv)."}
    )
    service: str | None = attrs.field(
        default=None, metadata={**_ID, "doc": "A service id of the directory."}
    )
    for_need: str | None = attrs.field(
        default=None,
        metadata={**_ID, "doc": "Only for this need (and its sub-needs); null: every need."},
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class Action:
    """One thing an action node does; exactly one of the fields is set."""

    add_need: str | None = attrs.field(
        default=None, metadata={**_ID, "doc": "Add this need code to the case's needs."}
    )
    urgency: Urgency | None = attrs.field(
        default=None, metadata={"doc": "With add_need: how urgent (default normal)."}
    )
    connect: Connect | None = attrs.field(
        default=None, metadata={"doc": "Connect to an agency kind or a service."}
    )
    inform: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "Information to give the person."}
    )
    note: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "A note for the worker."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def kinds(self) -> tuple[str, ...]:
        """The names of the fields that are set (one, in a valid action)."""
        found = []
        if self.add_need is not None:
            found.append("add_need")
        if self.connect is not None:
            found.append("connect")
        if self.inform is not None:
            found.append("inform")
        if self.note is not None:
            found.append("note")
        return tuple(found)


@attrs.frozen
class FlowNode:
    """A node: a ``question`` (one of three forms), an ``action`` or an ``end``.

    Questions: ``condition`` with ``if_yes`` and ``if_no``; or ``field`` (a
    single-valued case field) with ``answers`` and, unless they list every
    value, ``otherwise``; or ``branches`` (first that holds) with ``otherwise``.
    """

    id: str = attrs.field(metadata={**_ID, "doc": "Node id, unique in the flow."})
    kind: str = attrs.field(metadata={"doc": "question, action or end."})
    text: LocalizedText | None = attrs.field(
        default=None,
        metadata={"doc": "The question the worker asks, the outcome of an end, or a label."},
    )
    condition: Condition | None = attrs.field(
        default=None, metadata={"doc": "Question: a yes/no test on the case."}
    )
    if_yes: str | None = attrs.field(
        default=None, metadata={**_ID, "doc": "Question with condition: where yes leads."}
    )
    if_no: str | None = attrs.field(
        default=None, metadata={**_ID, "doc": "Question with condition: where no leads."}
    )
    field: str | None = attrs.field(
        default=None, metadata={"doc": "Question: the case field whose value is the answer."}
    )
    answers: tuple[Answer, ...] = attrs.field(
        default=(), metadata={"doc": "Question with field: where each value leads."}
    )
    branches: tuple[Branch, ...] = attrs.field(
        default=(), metadata={"doc": "Question: conditions tried in order."}
    )
    otherwise: str | None = attrs.field(
        default=None,
        metadata={**_ID, "doc": "Question: where an answer no arm names leads."},
    )
    actions: tuple[Action, ...] = attrs.field(
        default=(), metadata={"doc": "Action: what to do, in order."}
    )
    next: str | None = attrs.field(
        default=None, metadata={**_ID, "doc": "Action: the node after it."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def edges(self) -> tuple[tuple[str, str], ...]:
        """(path inside the node, target id) of every edge, in drawing order."""
        found: list[tuple[str, str]] = []
        if self.if_yes is not None:
            found.append(("if_yes", self.if_yes))
        if self.if_no is not None:
            found.append(("if_no", self.if_no))
        found += [(f"answers[{i}].to", answer.to) for i, answer in enumerate(self.answers)]
        found += [(f"branches[{i}].to", branch.to) for i, branch in enumerate(self.branches)]
        if self.otherwise is not None:
            found.append(("otherwise", self.otherwise))
        if self.next is not None:
            found.append(("next", self.next))
        return tuple(found)


@attrs.frozen
class Flow:
    """A support flow: the guidebook's flowchart of one kind of consultation, as data."""

    id: str = attrs.field(metadata={**_ID, "doc": "Flow id."})
    version: str = attrs.field(
        metadata={"schema": {"minLength": 1}, "doc": "Version, stored with every run."}
    )
    title: LocalizedText = attrs.field(metadata={"doc": "The situation the flow is for."})
    source: Source = attrs.field(metadata={"doc": "The part of the plan the flow serves."})
    start: str = attrs.field(metadata={**_ID, "doc": "Id of the first node."})
    nodes: tuple[FlowNode, ...] = attrs.field(
        metadata={"schema": {"minItems": 1}, "doc": "The nodes, in any order."}
    )
    description: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "When to use the flow."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @functools.cached_property
    def by_id(self) -> dict[str, FlowNode]:
        """Nodes by id (the first, when an id is repeated: validation refuses that)."""
        found: dict[str, FlowNode] = {}
        for node in self.nodes:
            found.setdefault(node.id, node)
        return found

    def node(self, node_id: str) -> FlowNode:
        """The node with ``node_id``; :class:`NotFoundError` if there is none."""
        try:
            return self.by_id[node_id]
        except KeyError:
            raise NotFoundError(f"flow {self.id!r} has no node {node_id!r}") from None

    @functools.cached_property
    def compiled(self) -> dict[str, tuple[Predicate, ...]]:
        """Each question's conditions (the condition, or each branch's) compiled once."""
        found: dict[str, tuple[Predicate, ...]] = {}
        for node in self.nodes:
            if node.condition is not None:
                found[node.id] = (compile_condition(node.condition),)
            elif node.branches:
                found[node.id] = tuple(compile_condition(b.when) for b in node.branches)
        return found

    def to_json(self) -> str:
        from saihan.serialization import to_json

        return to_json(self)


@attrs.frozen
class FlowStep:
    """A node on the path a run took, and the answer given there (questions only)."""

    node: str = attrs.field(metadata={"doc": "Node id."})
    answer: str | None = attrs.field(
        default=None,
        metadata={
            "doc": "yes or no; the field's value; branches[i]; otherwise. Null: not a question."
        },
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class TakenAction:
    """An action a run collected, with the node it comes from."""

    node: str = attrs.field(metadata={"doc": "Node id."})
    action: Action = attrs.field(metadata={"doc": "The action."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class FlowRun:
    """What running a flow on a case gave: the path, the actions and the end reached.

    ``ReferralPlan.flow`` stores it as the trace of the flow a plan followed.
    """

    flow_id: str = attrs.field(metadata={"doc": "The flow."})
    flow_version: str = attrs.field(metadata={"doc": "Its version."})
    title: LocalizedText = attrs.field(metadata={"doc": "The flow's title."})
    path: tuple[FlowStep, ...] = attrs.field(metadata={"doc": "Nodes visited, start to end."})
    actions: tuple[TakenAction, ...] = attrs.field(
        default=(), metadata={"doc": "Actions collected, in order."}
    )
    end: str = attrs.field(default="", metadata={"doc": "The end node reached."})
    outcome: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "The end node's text."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(step.node for step in self.path)

    def actions_of(self, kind: str) -> tuple[TakenAction, ...]:
        """The actions of one kind (add_need, connect, inform, note), in order."""
        return tuple(taken for taken in self.actions if kind in taken.action.kinds)


def flow_rule_id(flow_id: str, node_id: str) -> str:
    """How reasons and plans name a flow's node where they name rules: ``flow:<flow>/<node>``.

    ``:`` and ``/`` never occur in rule ids, so this cannot be taken for one.
    """
    return f"flow:{flow_id}/{node_id}"
