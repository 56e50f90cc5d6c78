"""Loading flows from YAML or JSON, and the flows saihan bundles.

A flow file is checked twice over: against the published JSON Schema
(``docs/schemas/Flow.schema.json``: types, unknown fields, id patterns), then
by :func:`~saihan.referral.flows.validate` (kinds, coverage, codes, the
graph).  Every problem of both comes out in one :class:`ValidationError`,
each naming its node id and a path such as ``nodes[3].answers[1].to``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from saihan.directory.directory import Directory
from saihan.errors import ErrorItem, NotFoundError, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits
from saihan.referral.flows.model import Flow
from saihan.referral.flows.validate import node_ids_by_index, raw_graph_problems, validate
from saihan.referral.rules import _plain, directory_codes, read_document

__all__ = ["bundled_flow", "bundled_flows", "flow_from_data", "load_flow"]


def flow_from_data(data: Any, *, directory: Directory | None = None) -> Flow:
    """Build a :class:`Flow` from parsed YAML or JSON, validating it completely.

    Need and agency-kind codes must be the bundled ones, or with
    ``directory`` that directory's (its own added); service ids are then
    checked against its services too.
    """
    from saihan.serialization import structure

    codes = directory_codes(directory)
    try:
        with codes:
            flow = structure(_plain(data), Flow)
    except ValidationError as error:
        # The schema refused it: still say what is wrong with the graph, so that one
        # round of fixes is enough.
        ids = node_ids_by_index(data)
        items = [_with_node_id(item, ids) for item in error.errors]
        reported = {item.path for item in items}
        items += [
            problem.as_error()
            for problem in raw_graph_problems(data)
            if problem.path not in reported
        ]
        raise ValidationError(items) from None
    problems = validate(flow, directory)
    if problems:
        raise ValidationError([problem.as_error() for problem in problems])
    return flow


def _with_node_id(item: ErrorItem, ids: dict[int, str]) -> ErrorItem:
    if not item.path.startswith("nodes["):
        return item
    number = item.path[len("nodes[") : item.path.find("]")]
    if not number.isdigit() or int(number) not in ids:
        return item
    return ErrorItem(item.path, f"node {ids[int(number)]!r}: {item.message}")


def load_flow(
    source: str | Path | bytes,
    *,
    directory: Directory | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Flow:
    """Load a flow from a YAML or JSON file (a path) or text.

    Raises :class:`ValidationError` for unreadable files, bad YAML, a document
    outside ``limits`` (see docs/limits.md) and every problem in the flow,
    each with its node id and path.
    """
    return flow_from_data(read_document(source, limits=limits), directory=directory)


_DATA = "data"


@functools.cache
def bundled_flows() -> tuple[Flow, ...]:
    """The flows saihan bundles for the guidebook's situations, in id order."""
    folder = resources.files("saihan.referral.flows").joinpath(_DATA)
    found = [
        load_flow(entry.read_bytes()) for entry in folder.iterdir() if entry.name.endswith(".yaml")
    ]
    return tuple(sorted(found, key=lambda flow: flow.id))


def bundled_flow(flow_id: str) -> Flow:
    """The bundled flow with ``flow_id``; :class:`NotFoundError` naming the others if none."""
    for flow in bundled_flows():
        if flow.id == flow_id:
            return flow
    known = ", ".join(flow.id for flow in bundled_flows())
    raise NotFoundError(f"no bundled flow {flow_id!r}; the bundled flows are: {known}")
