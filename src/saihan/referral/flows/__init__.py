"""Support flows: the guidebook's consultation flowcharts as data to run, check and draw.

A flow is a graph of question nodes (a test on the case, and where each answer
leads), action nodes (add a need, connect to an agency kind or a service, tell
the person something, note something for the worker) and end nodes.

>>> from saihan.referral.flows import bundled_flow, run_flow      # doctest: +SKIP
>>> run = run_flow(bundled_flow("drug-dependence"), case)
>>> run.node_ids, run.actions, run.end

``match(case, directory, flow=...)`` runs a flow and follows it.  See ``docs/flows.md``.
"""

from saihan.referral.flows.load import bundled_flow, bundled_flows, flow_from_data, load_flow
from saihan.referral.flows.model import (
    Action,
    Answer,
    Branch,
    Connect,
    Flow,
    FlowNode,
    FlowRun,
    FlowStep,
    NodeKind,
    TakenAction,
    flow_rule_id,
)
from saihan.referral.flows.render import (
    FORMATS,
    RenderError,
    action_text,
    to_dot,
    to_mermaid,
    to_svg,
)
from saihan.referral.flows.run import FLOW_WEIGHT, run_flow
from saihan.referral.flows.validate import FlowProblem, validate

__all__ = [
    "FLOW_WEIGHT",
    "FORMATS",
    "Action",
    "Answer",
    "Branch",
    "Connect",
    "Flow",
    "FlowNode",
    "FlowProblem",
    "FlowRun",
    "FlowStep",
    "NodeKind",
    "RenderError",
    "TakenAction",
    "action_text",
    "bundled_flow",
    "bundled_flows",
    "flow_from_data",
    "flow_rule_id",
    "load_flow",
    "run_flow",
    "to_dot",
    "to_mermaid",
    "to_svg",
    "validate",
]
