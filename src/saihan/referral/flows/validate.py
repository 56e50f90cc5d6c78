"""Checking a flow: every problem at once, each with its node id and path.

Two kinds of check: each node on its own (its kind's fields, conditions,
coverage of every answer, known need and agency-kind codes), and the graph
(duplicate ids, dangling edges, unreachable nodes, cycles).  The graph checks
also run on raw data (:func:`raw_graph_problems`) so that a file the schema
refuses still has its graph problems reported alongside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from saihan._validation import ID_PATTERN, types_only
from saihan.directory.directory import Directory
from saihan.errors import ErrorItem
from saihan.referral.conditions import (
    CASE_FIELDS,
    Condition,
    InvalidCondition,
    ValueKind,
    condition_problems,
    known_codes,
)
from saihan.referral.flows.model import Action, Flow, FlowNode, NodeKind

__all__ = ["FlowProblem", "raw_graph_problems", "validate"]

_ID_RE = re.compile(ID_PATTERN)


@attrs.frozen
class FlowProblem:
    """One problem of a flow: the node it is in (None: the flow itself), where, and what."""

    node_id: str | None
    path: str
    message: str

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def __str__(self) -> str:
        return str(self.as_error())

    def as_error(self) -> ErrorItem:
        """The problem as :class:`ValidationError` items carry it, node id in the message."""
        if self.node_id is None:
            return ErrorItem(self.path, self.message)
        return ErrorItem(self.path, f"node {self.node_id!r}: {self.message}")


@attrs.frozen
class _Codes:
    needs: frozenset[str]
    kinds: frozenset[str]
    services: frozenset[str] | None  # None: no directory, so service ids are not checked


def _codes(directory: Directory | None) -> _Codes:
    if directory is None:
        needs, kinds = known_codes()
        return _Codes(needs, kinds, None)
    return _Codes(
        frozenset(need.code for need in directory.taxonomy),
        frozenset(directory.kinds),
        frozenset(service.id for service in directory.services),
    )


def validate(flow: Flow, directory: Directory | None = None) -> list[FlowProblem]:
    """Every problem of ``flow``; empty when it is sound.

    Need and agency-kind codes are checked against ``directory``'s taxonomy
    and kinds (the bundled ones when None), and service ids against its
    services (not checked when None).
    """
    codes = _codes(directory)
    problems: list[FlowProblem] = []
    for index, node in enumerate(flow.nodes):
        where = f"nodes[{index}]"
        problems += [
            FlowProblem(node.id, _join(where, path), message)
            for path, message in _node_problems(node, codes)
        ]
    graph = [(index, node.id, tuple(node.edges())) for index, node in enumerate(flow.nodes)]
    problems += _graph_problems(graph, flow.start)
    return problems


# -- each node -------------------------------------------------------------------------

_QUESTION_FIELDS = ("condition", "if_yes", "if_no", "field", "answers", "branches", "otherwise")
_ALLOWED = {
    NodeKind.QUESTION: {"text", *_QUESTION_FIELDS},
    NodeKind.ACTION: {"text", "actions", "next"},
    NodeKind.END: {"text"},
}
_HINTS = {
    NodeKind.QUESTION: "put actions in an action node after the question",
    NodeKind.ACTION: "an action node has only 'actions' and 'next'",
    NodeKind.END: "an end node has no edges or actions",
}


def _set_fields(node: FlowNode) -> list[str]:
    values = {
        "text": node.text,
        "condition": node.condition,
        "if_yes": node.if_yes,
        "if_no": node.if_no,
        "field": node.field,
        "answers": node.answers or None,
        "branches": node.branches or None,
        "otherwise": node.otherwise,
        "actions": node.actions or None,
        "next": node.next,
    }
    return [name for name, value in values.items() if value is not None]


def _node_problems(node: FlowNode, codes: _Codes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not _ID_RE.fullmatch(node.id):
        found.append(("id", f"{node.id!r} is not a valid node id"))
    try:
        kind = NodeKind(node.kind)
    except ValueError:
        return [*found, ("kind", f"unknown node kind {node.kind!r}: use question, action or end")]
    found += [
        (name, f"a {kind.value} node does not take '{name}' ({_HINTS[kind]})")
        for name in _set_fields(node)
        if name not in _ALLOWED[kind]
    ]
    if kind is NodeKind.QUESTION:
        found += _question_problems(node, codes)
    elif kind is NodeKind.ACTION:
        if not node.actions:
            found.append(("actions", "an action node needs at least one action"))
        for index, action in enumerate(node.actions):
            found += [(f"actions[{index}]{p}", m) for p, m in _action_problems(action, codes)]
        if node.next is None:
            found.append(("next", "an action node needs 'next', the node after it"))
    elif node.text is None:
        found.append(("text", "an end node needs its outcome text"))
    return found


def _question_problems(node: FlowNode, codes: _Codes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if node.text is None:
        found.append(("text", "a question needs its text: what the worker asks"))
    forms = [
        name
        for name, present in (
            ("condition", node.condition is not None),
            ("field", node.field is not None),
            ("branches", bool(node.branches)),
        )
        if present
    ]
    if len(forms) != 1:
        found.append(
            (
                "",
                "a question has exactly one of 'condition' (with if_yes and if_no), "
                f"'field' (with answers) or 'branches'; found {forms or 'none'}",
            )
        )
    if node.condition is not None:
        found += _condition_problems(node.condition, "condition", codes)
        for name in ("if_yes", "if_no"):
            if getattr(node, name) is None:
                found.append((name, f"a yes/no question needs '{name}'"))
        if node.otherwise is not None and node.field is None and not node.branches:
            found.append(("otherwise", "a yes/no question has no 'otherwise'"))
    elif node.if_yes is not None or node.if_no is not None:
        found.append(("", "'if_yes' and 'if_no' go with 'condition'"))
    if node.field is not None:
        found += _field_problems(node)
    elif node.answers:
        found.append(("answers", "'answers' go with 'field'"))
    for index, branch in enumerate(node.branches):
        found += _condition_problems(branch.when, f"branches[{index}].when", codes)
    if node.branches and node.otherwise is None:
        found.append(
            (
                "otherwise",
                "the branches may leave a case with no way on: add 'otherwise' "
                "(conditions cannot be shown to cover every case)",
            )
        )
    return found


def _condition_problems(condition: Condition, path: str, codes: _Codes) -> list[tuple[str, str]]:
    if isinstance(condition, InvalidCondition):
        return [(_join(path, item.path), item.message) for item in condition.problems]
    found = [
        (path, f"{name} is a service field: a flow asks about the case")
        for name in sorted(condition.fields() - {"age"} - set(CASE_FIELDS))
    ]
    found += [
        (_join(path, item.path), item.message)
        for item in condition_problems(condition, needs=codes.needs, kinds=codes.kinds)
    ]
    return found


def _field_problems(node: FlowNode) -> list[tuple[str, str]]:
    name = node.field
    spec = CASE_FIELDS.get(name or "")
    if spec is None:
        return [("field", f"unknown case field {name!r}: use one of {', '.join(CASE_FIELDS)}")]
    if spec.is_set or spec.kind is not ValueKind.TEXT:
        return [
            (
                "field",
                f"{name} is not a single text value: ask about it with 'condition' or 'branches'",
            )
        ]
    found: list[tuple[str, str]] = []
    vocabulary = spec.vocabulary() if spec.vocabulary is not None else None
    seen: dict[str, str] = {}
    for index, answer in enumerate(node.answers):
        for number, value in enumerate(answer.values):
            where = f"answers[{index}].values[{number}]"
            if vocabulary is not None and value not in vocabulary:
                found.append((where, f"{value!r} is not one of {', '.join(sorted(vocabulary))}"))
            elif vocabulary is None and spec.check is not None:
                problem = spec.check(value)
                if problem is not None:
                    found.append((where, problem))
            if value in seen:
                found.append((where, f"{value!r} is answered twice (also at {seen[value]})"))
            seen.setdefault(value, where)
    if node.otherwise is None:
        if vocabulary is None:
            found.append(
                ("otherwise", f"{name} can take any value (or none): add 'otherwise' for the rest")
            )
        else:
            missing = sorted(vocabulary - set(seen))
            if missing:
                found.append(
                    (
                        "answers",
                        f"does not cover every answer: nothing for {', '.join(missing)}; "
                        "answer them or add 'otherwise'",
                    )
                )
    return found


def _action_problems(action: Action, codes: _Codes) -> list[tuple[str, str]]:
    kinds = action.kinds
    if len(kinds) != 1:
        shown = ", ".join(kinds) or "none"
        return [
            ("", f"an action has exactly one of add_need, connect, inform, note; found {shown}")
        ]
    found: list[tuple[str, str]] = []
    if action.add_need is not None and action.add_need not in codes.needs:
        found.append((".add_need", f"unknown need {action.add_need!r}"))
    if action.urgency is not None and action.add_need is None:
        found.append((".urgency", "urgency goes with add_need"))
    connect = action.connect
    if connect is not None:
        if (connect.agency_kind is None) == (connect.service is None):
            found.append((".connect", "connect names exactly one of agency_kind or service"))
        if connect.agency_kind is not None and connect.agency_kind not in codes.kinds:
            found.append((".connect.agency_kind", f"unknown agency kind {connect.agency_kind!r}"))
        if (
            connect.service is not None
            and codes.services is not None
            and connect.service not in codes.services
        ):
            found.append((".connect.service", f"no service {connect.service!r} in the directory"))
        if connect.for_need is not None and connect.for_need not in codes.needs:
            found.append((".connect.for_need", f"unknown need {connect.for_need!r}"))
    return found


def _join(path: str, name: str) -> str:
    if not name:
        return path
    if not path:
        return name.lstrip(".")
    if name.startswith((".", "[")):
        return path + name
    return f"{path}.{name}"


# -- the graph -------------------------------------------------------------------------

# (index in nodes, node id, ((path inside the node, target id), ...))
GraphNode = tuple[int, str, tuple[tuple[str, str], ...]]


def _graph_problems(graph: Sequence[GraphNode], start: str) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    first: dict[str, int] = {}
    for index, node_id, _ in graph:
        if node_id in first:
            problems.append(
                FlowProblem(
                    node_id,
                    f"nodes[{index}].id",
                    f"the id is used twice (first at nodes[{first[node_id]}])",
                )
            )
        else:
            first[node_id] = index
    if start not in first:
        problems.append(FlowProblem(None, "start", f"the start node {start!r} does not exist"))
    edges: dict[str, list[str]] = {node_id: [] for node_id in first}
    for index, node_id, node_edges in graph:
        for path, target in node_edges:
            if target not in first:
                problems.append(
                    FlowProblem(
                        node_id,
                        f"nodes[{index}].{path}",
                        f"leads to {target!r}, which is not a node of this flow",
                    )
                )
            elif first[node_id] == index:
                edges[node_id].append(target)
    if start in first:
        reached = _reachable(edges, start)
        problems += [
            FlowProblem(node_id, f"nodes[{index}]", f"cannot be reached from the start {start!r}")
            for index, node_id, _ in graph
            if first[node_id] == index and node_id not in reached
        ]
    for cycle in _cycles(edges, list(first)):
        head = cycle[0]
        problems.append(
            FlowProblem(
                head,
                f"nodes[{first[head]}]",
                "is on a cycle: " + " → ".join([*cycle, head]) + " (a flow must always end)",
            )
        )
    return problems


def _reachable(edges: dict[str, list[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for target in edges[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _cycles(edges: dict[str, list[str]], order: list[str]) -> list[list[str]]:
    """One cycle per strongly connected component that has one, nodes in edge order."""
    position = {node_id: number for number, node_id in enumerate(order)}
    found = []
    for component in _components(edges, order):
        members = set(component)
        head = min(component, key=position.__getitem__)
        if len(component) == 1 and head not in edges[head]:
            continue
        found.append(_path_back(edges, head, members))
    found.sort(key=lambda cycle: position[cycle[0]])
    return found


def _path_back(edges: dict[str, list[str]], head: str, members: set[str]) -> list[str]:
    """A path from ``head`` back to itself inside its component (breadth first: shortest)."""
    came_from: dict[str, str] = {}
    queue = [head]
    for current in queue:
        for target in edges[current]:
            if target == head:
                path = [current]
                while path[-1] != head:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if target in members and target not in came_from:
                came_from[target] = current
                queue.append(target)
    return [head]  # pragma: no cover - a component with a cycle always has a way back


def _components(edges: dict[str, list[str]], order: list[str]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (flows may be long)."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in order:
        if root in index_of:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if next_edge < len(targets):
                work.append((node, next_edge + 1))
                target = targets[next_edge]
                if target not in index_of:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index_of[target])
                continue
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result


# -- raw data --------------------------------------------------------------------------


def raw_graph_problems(data: Any) -> list[FlowProblem]:
    """The graph checks on parsed YAML/JSON, for a file the schema refused."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return []
    graph: list[GraphNode] = []
    for index, node in enumerate(data["nodes"]):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        graph.append((index, node["id"], tuple(_raw_edges(node))))
    start = data.get("start")
    if not isinstance(start, str):  # the schema reports it; no reachability without a start
        return [p for p in _graph_problems(graph, "") if p.path != "start"]
    return _graph_problems(graph, start)


def _raw_edges(node: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for name in ("if_yes", "if_no"):
        if isinstance(node.get(name), str):
            yield name, node[name]
    for listed in ("answers", "branches"):
        items = node.get(listed)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("to"), str):
                    yield f"{listed}[{index}].to", item["to"]
    for name in ("otherwise", "next"):
        if isinstance(node.get(name), str):
            yield name, node[name]


def node_ids_by_index(data: Any) -> dict[int, str]:
    """Node ids by position, as far as raw data has them (for schema error messages)."""
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, list):
        return {}
    return {
        index: node["id"]
        for index, node in enumerate(nodes)
        if isinstance(node, dict) and isinstance(node.get("id"), str)
    }
