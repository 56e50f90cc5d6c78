"""Running a flow on a case, and turning its actions into what ``match`` uses.

A validated flow is a DAG whose questions cover every answer, so a run always
reaches an end: :func:`run_flow` refuses flows that do not validate rather
than risk a run that never ends.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from saihan.directory.directory import Directory
from saihan.directory.taxonomy import NeedTaxonomy, default_taxonomy
from saihan.errors import ErrorItem, ValidationError
from saihan.referral.case import ConsultationCase
from saihan.referral.conditions import TRUE, FieldTest, codes_of, evaluate
from saihan.referral.flows.model import Flow, FlowNode, FlowRun, FlowStep, TakenAction, flow_rule_id
from saihan.referral.flows.validate import validate
from saihan.referral.rules import CompiledRule, Effect, Rule
from saihan.text import LocalizedText

__all__ = ["FLOW_WEIGHT", "run_flow"]

FLOW_WEIGHT = 20
"""What a flow's ``connect`` to an agency kind adds to a service's score.

More than a whole step of need fit (30 → 20) or area (10 → 5), so that the
kind the flowchart names comes before others; ``first`` rules still come first.
"""


def run_flow(
    flow: Flow,
    case: ConsultationCase,
    at: dt.datetime | None = None,
    *,
    directory: Directory | None = None,
) -> FlowRun:
    """Follow ``flow`` for ``case``: the path taken, the actions collected, the end reached.

    ``at`` (default: when the case was received) is the day ages and days
    since release are counted to.  ``directory`` supplies the taxonomy that
    need tests read (and the codes the flow is checked against).
    """
    problems: list[ErrorItem] = []
    if not isinstance(flow, Flow):
        problems.append(ErrorItem("flow", f"expected a Flow, got {type(flow).__name__}"))
    if not isinstance(case, ConsultationCase):
        problems.append(
            ErrorItem("case", f"expected a ConsultationCase, got {type(case).__name__}")
        )
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        problems.append(ErrorItem("at", "expected a datetime with its UTC offset"))
    if directory is not None and not isinstance(directory, Directory):
        problems.append(
            ErrorItem("directory", f"expected a Directory, got {type(directory).__name__}")
        )
    if problems:
        raise ValidationError(problems)
    check(flow, directory)
    taxonomy = directory.taxonomy if directory is not None else default_taxonomy()
    moment = at or case.received_at
    raised = {need.code: need.urgency for need in case.needs}
    facts = case_facts(case, raised, moment, taxonomy)
    return walk(flow, facts, compiled=True)


def check(flow: Flow, directory: Directory | None) -> None:
    """Raise :class:`ValidationError` with every problem when ``flow`` does not validate."""
    problems = validate(flow, directory)
    if problems:
        raise ValidationError([problem.as_error() for problem in problems])


def case_facts(
    case: ConsultationCase, urgency: Mapping[str, Any], at: dt.datetime, taxonomy: NeedTaxonomy
) -> dict[str, Any]:
    """The facts a flow's conditions read, as ``match`` builds them."""
    from saihan.referral.case import Urgency
    from saihan.referral.match import _case_facts

    def ancestors(codes: Iterable[str]) -> frozenset[str]:
        found: set[str] = set()
        for code in codes:
            found.add(code)
            if code in taxonomy:
                found.update(taxonomy.ancestors(code))
        return frozenset(found)

    urgent = [code for code, level in urgency.items() if level is Urgency.URGENT]
    return _case_facts(case, urgency, urgent, at, ancestors)


def walk(flow: Flow, facts: Mapping[str, Any], *, compiled: bool) -> FlowRun:
    """Follow a validated flow over case facts; ``compiled=False`` walks the condition
    trees (the reference ``reference_match`` uses)."""
    nodes = flow.by_id
    node = nodes[flow.start]
    path: list[FlowStep] = []
    actions: list[TakenAction] = []
    # A validated flow is acyclic, so no path is longer than the flow: the bound only
    # guards against a flow that was changed after validation.
    for _ in range(len(flow.nodes)):
        if node.kind == "end":
            path.append(FlowStep(node.id))
            return FlowRun(
                flow_id=flow.id,
                flow_version=flow.version,
                title=flow.title,
                path=tuple(path),
                actions=tuple(actions),
                end=node.id,
                outcome=node.text,
            )
        if node.kind == "action":
            path.append(FlowStep(node.id))
            actions.extend(TakenAction(node.id, action) for action in node.actions)
            target = node.next
        else:
            answer, target = _answer(flow, node, facts, compiled)
            path.append(FlowStep(node.id, answer))
        if target is None or target not in nodes:  # only a flow changed after validation
            break
        node = nodes[target]
    raise ValidationError(f"flow {flow.id!r} did not reach an end: validate it", path="flow")


def _answer(
    flow: Flow, node: FlowNode, facts: Mapping[str, Any], compiled: bool
) -> tuple[str, str | None]:
    """The answer the case gives at a question, and where it leads."""
    if node.condition is not None:
        if compiled:
            holds = flow.compiled[node.id][0](facts, {})
        else:
            holds = evaluate(node.condition, facts, {})
        return ("yes", node.if_yes) if holds else ("no", node.if_no)
    if node.field is not None:
        value = facts.get(node.field)
        for answer in node.answers:
            if value in answer.values:
                return str(value), answer.to
        return "otherwise", node.otherwise
    for index, branch in enumerate(node.branches):
        if compiled:
            holds = flow.compiled[node.id][index](facts, {})
        else:
            holds = evaluate(branch.when, facts, {})
        if holds:
            return f"branches[{index}]", branch.to
    return "otherwise", node.otherwise


def fields_read(flow: Flow, run: FlowRun, until: str | None = None) -> frozenset[str]:
    """The case fields the questions on the run's path read (up to node ``until``)."""
    found: set[str] = set()
    for step in run.path:
        if step.node == until:
            break
        node = flow.by_id[step.node]
        if node.condition is not None:
            found |= node.condition.fields()
        if node.field is not None:
            found.add(node.field)
        for branch in node.branches:
            found |= branch.when.fields()
    return frozenset(found)


# -- connect actions as rules ------------------------------------------------------------

# The rules a flow's connect actions become, made once per flow object: the match index
# caches what each rule targets by the rule's identity, so new rules on every match would
# grow that cache without end.
_CONNECTS: dict[int, tuple[weakref.ref[Flow], dict[tuple[str, int], CompiledRule]]] = {}
_LOCK = threading.Lock()


def connect_rules(flow: Flow, run: FlowRun) -> list[CompiledRule]:
    """The run's ``connect`` actions as compiled rules: an agency kind is preferred by
    :data:`FLOW_WEIGHT`, a service is put first; reasons name ``flow:<flow>/<node>``."""
    key = id(flow)
    with _LOCK:
        found = _CONNECTS.get(key)
        if found is None or found[0]() is not flow:
            found = (weakref.ref(flow, lambda _: _CONNECTS.pop(key, None)), _make_rules(flow))
            _CONNECTS[key] = found
    rules = found[1]
    chosen: list[CompiledRule] = []
    for step in run.path:
        node = flow.by_id[step.node]
        for index, action in enumerate(node.actions):
            if action.connect is not None:
                chosen.append(rules[node.id, index])
    return chosen


def _make_rules(flow: Flow) -> dict[tuple[str, int], CompiledRule]:
    made: dict[tuple[str, int], CompiledRule] = {}
    needs: set[str] = set()
    kinds: set[str] = set()
    for node in flow.nodes:
        for action in node.actions:
            if action.connect is not None:
                needs.update([action.connect.for_need] if action.connect.for_need else [])
                kinds.update([action.connect.agency_kind] if action.connect.agency_kind else [])
    # The flow was validated against the directory; here its codes are taken as known,
    # so that a directory's own needs and kinds pass the rule's load-time checks.
    with codes_of(needs, kinds):
        for node in flow.nodes:
            for index, action in enumerate(node.actions):
                connect = action.connect
                if connect is None:
                    continue
                if connect.agency_kind is not None:
                    effect, field, value = Effect.PREFER, "service.agency_kind", connect.agency_kind
                else:
                    effect, field, value = Effect.FIRST, "service.id", connect.service or ""
                rule = Rule(
                    id="flow-connect",
                    description=_connect_text(flow, node, index),
                    source=flow.source,
                    valid_from=dt.date.min,
                    effect=effect,
                    target=FieldTest(field, "equals", value),
                    for_needs=frozenset([connect.for_need] if connect.for_need else []),
                    weight=FLOW_WEIGHT,
                    when=TRUE,
                )
                made[node.id, index] = CompiledRule.of(rule, label=flow_rule_id(flow.id, node.id))
    return made


def _connect_text(flow: Flow, node: FlowNode, index: int) -> LocalizedText:
    from saihan.referral.flows.render import action_text

    action = node.actions[index]
    title_en = flow.title.en or flow.id
    return LocalizedText(
        ja=f"支援フロー「{flow.title.ja}」（{node.id}）: {action_text(action, 'ja')}",
        en=f"support flow '{title_en}' ({node.id}): {action_text(action, 'en')}",
    )
