"""validate() and load_flow: every problem at once, each with its node id and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.referral.flows import (
    Action,
    Connect,
    Flow,
    FlowNode,
    bundled_flow,
    load_flow,
    validate,
)
from saihan.referral.rules import Source

BROKEN = Path(__file__).with_name("broken_flow.yaml")


def _messages(error: ValidationError) -> list[str]:
    return [str(item) for item in error.errors]


def test_broken_flow_reports_every_planted_problem_with_its_node_id() -> None:
    with pytest.raises(ValidationError) as caught:
        load_flow(BROKEN)
    found = _messages(caught.value)
    expected = [
        ("nodes[0].answers", "'ask-situation'", "does not cover every answer"),
        ("nodes[0].answers[1].to", "'ask-situation'", "'nowhere', which is not a node"),
        ("nodes[1].actions[0].add_need", "'add-wrong-need'", "unknown need 'housing.castle'"),
        (
            "nodes[1].actions[1].connect.agency_kind",
            "'add-wrong-need'",
            "unknown agency kind 'police_box'",
        ),
        ("nodes[2]", "'loop-a'", "is on a cycle: loop-a → loop-b → loop-a"),
        ("nodes[4].next", "'no-next'", "needs 'next'"),
        ("nodes[4]", "'no-next'", "cannot be reached"),
        ("nodes[5].next", "'done'", "does not take 'next'"),
        ("nodes[6].kind", "'mystery'", "unknown node kind 'decision'"),
        ("nodes[6]", "'mystery'", "cannot be reached"),
        ("nodes[7].otherwise", "'branchy'", "add 'otherwise'"),
        ("nodes[7]", "'branchy'", "cannot be reached"),
        ("nodes[8].id", "'done'", "the id is used twice (first at nodes[5])"),
    ]
    for path, node, words in expected:
        assert any(line.startswith(f"{path}: node {node}: ") and words in line for line in found), (
            path,
            words,
            found,
        )
    assert len(found) == len(expected), found


def test_validate_returns_problems_with_node_ids() -> None:
    flow = Flow(
        id="f",
        version="1",
        title=bundled_flow("debts").title,
        source=Source("doc"),
        start="a",
        nodes=(FlowNode("a", "action", actions=(Action(add_need="housing"),)),),
    )
    problems = validate(flow)
    assert [(p.node_id, p.path) for p in problems] == [("a", "nodes[0].next")]
    assert (
        str(problems[0])
        == "nodes[0].next: node 'a': an action node needs 'next', the node after it"
    )


def test_missing_start_is_reported() -> None:
    flow = bundled_flow("debts")
    broken = Flow(flow.id, flow.version, flow.title, flow.source, "nowhere", flow.nodes)
    assert next((p.node_id, p.path) for p in validate(broken)) == (None, "start")


def test_service_ids_are_checked_against_a_directory() -> None:
    flow = bundled_flow("debts")
    node = FlowNode(
        "x",
        "action",
        actions=(Action(connect=Connect(service="no-such-service")),),
        next="end-debts",
    )
    start = FlowNode("start", "action", actions=(Action(note=flow.title),), next="x")
    changed = Flow(
        flow.id, flow.version, flow.title, flow.source, "start", (start, node, *flow.nodes)
    )
    assert not [p for p in validate(changed) if "service" in p.path]
    problems = validate(changed, sample_directory())
    assert [(p.node_id, p.path) for p in problems if "service" in p.path] == [
        ("x", "nodes[1].actions[0].connect.service")
    ]


def test_schema_errors_carry_node_ids_and_graph_problems_still_come() -> None:
    text = """
id: f
version: "1"
title: {ja: テスト}
source: {document: doc}
start: a
nodes:
  - {id: a, kind: action, actions: [{note: {ja: x}}], nxt: b}
  - {id: b, kind: end, text: {ja: 終}, next: zzz}
"""
    with pytest.raises(ValidationError) as caught:
        load_flow(text)
    found = _messages(caught.value)
    assert "nodes[0].nxt: node 'a': unknown field 'nxt'" in found
    assert any(line.startswith("nodes[1].next: node 'b': leads to 'zzz'") for line in found)
    assert any(line.startswith("nodes[1]: node 'b': cannot be reached") for line in found)


def test_questions_of_every_form_must_cover_every_answer() -> None:
    text = """
id: f
version: "1"
title: {ja: テスト}
source: {document: doc}
start: q
nodes:
  - id: q
    kind: question
    text: {ja: 誰？}
    field: case.consulter
    answers:
      - {values: [person, family], to: e}
      - {values: [supervisor], to: e}
  - id: r
    kind: question
    text: {ja: 住所？}
    field: case.residence
    answers: [{values: ["13101"], to: e}]
  - id: s
    kind: question
    text: {ja: 属性？}
    field: case.attributes
  - id: t
    kind: question
    text: {ja: はい？}
    condition: {field: service.cost, equals: free}
    if_yes: e
  - {id: e, kind: end, text: {ja: 終}}
"""
    with pytest.raises(ValidationError) as caught:
        load_flow(text)
    found = _messages(caught.value)
    for path, words in [
        ("nodes[0].answers[1].values[0]", "'supervisor' is not one of"),
        ("nodes[0].answers", "nothing for professional, supporter"),
        ("nodes[1].otherwise", "case.residence can take any value"),
        ("nodes[2].field", "not a single text value"),
        ("nodes[3].condition", "service.cost is a service field"),
        ("nodes[3].if_no", "needs 'if_no'"),
    ]:
        assert any(line.startswith(path + ": ") and words in line for line in found), (path, found)


def test_bad_yaml_and_unreadable_files_are_validation_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_flow("id: [unclosed\nnodes: x\n")
    with pytest.raises(ValidationError, match="cannot read"):
        load_flow(tmp_path / "missing.yaml")


def test_every_bundled_flow_validates_against_the_sample_directory() -> None:
    from saihan.referral.flows import bundled_flows

    for flow in bundled_flows():
        assert validate(flow) == []
        assert validate(flow, sample_directory()) == []
