"""Mermaid, DOT and SVG drawings of flows."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings

from saihan.errors import SaihanError, ValidationError
from saihan.referral.flows import (
    Flow,
    FlowNode,
    RenderError,
    bundled_flow,
    bundled_flows,
    to_dot,
    to_mermaid,
    to_svg,
)
from saihan.testing import flows
from saihan.text import LocalizedText

FLOWS = bundled_flows()


def _mermaid_id(node_id: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _check_mermaid(flow: Flow, text: str, lang: str) -> None:
    lines = text.splitlines()
    assert lines[1] == "flowchart TD"
    for node in flow.nodes:
        assert _mermaid_id(node.id) in text
        if node.text is not None:
            assert node.text.get(lang).split("\n")[0].replace('"', "#quot;")[:10] in text
    for line in lines[2:]:
        # Every label is quoted, and no quote is left inside a label.
        assert line.count('"') % 2 == 0, line


def _check_dot(flow: Flow, text: str) -> None:
    assert text.startswith(f'digraph "{flow.id}" {{')
    assert text.rstrip().endswith("}")
    for node in flow.nodes:
        assert f'"{node.id}" [label=' in text
        for _, target in node.edges():
            assert f'"{node.id}" -> "{target}"' in text
    # Once escapes (a backslash and what follows) are dropped, quotes pair up.
    for line in text.splitlines():
        assert re.sub(r"\\.", "", line).count('"') % 2 == 0, line


@pytest.mark.parametrize("flow", FLOWS, ids=lambda flow: flow.id)
def test_bundled_flows_render_with_japanese_and_english_labels(flow: Flow) -> None:
    for lang in ("ja", "en"):
        _check_mermaid(flow, to_mermaid(flow, lang), lang)
        _check_dot(flow, to_dot(flow, lang))
    assert "はい" in to_dot(flow) or "その他" in to_dot(flow)
    assert "-->|" in to_mermaid(flow)
    question = next(node for node in flow.nodes if node.kind == "question")
    assert f"{_mermaid_id(question.id)}{{" in to_mermaid(flow)
    assert f'"{question.id}" [label=' in to_dot(flow)
    assert "shape=diamond" in to_dot(flow)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(flow=flows())
def test_any_flow_renders_naming_every_node(flow: Flow) -> None:
    _check_dot(flow, to_dot(flow))
    mermaid = to_mermaid(flow)
    for node in flow.nodes:
        assert _mermaid_id(node.id) in mermaid


def test_quotes_and_newlines_are_escaped() -> None:
    base = bundled_flow("debts")
    tricky = LocalizedText(ja='「引用」"quoted" <b>#1\n二行目', en='say "hi"\\')
    flow = Flow(
        base.id,
        base.version,
        tricky,
        base.source,
        "e",
        (FlowNode("e", "end", text=tricky),),
    )
    dot = to_dot(flow, "en")
    assert r'label="say \"hi\"\\"' in dot
    assert '\\"quoted\\" <b>#1\\n二行目' in to_dot(flow)
    mermaid = to_mermaid(flow)
    assert "#quot;quoted#quot; #lt;b#gt;#35;1<br/>二行目" in mermaid


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError):
        to_mermaid(bundled_flow("debts"), "fr")


def test_svg_without_graphviz_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RenderError) as caught:
        to_svg(bundled_flow("debts"))
    assert isinstance(caught.value, SaihanError)
    assert "apt install graphviz" in str(caught.value)
    assert "--format dot" in str(caught.value)


@pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("CI") != "true",
    reason="Graphviz is not installed (under CI=true this fails instead: .ci/run installs it)",
)
def test_svg_through_graphviz() -> None:
    svg = to_svg(bundled_flow("debts"))
    assert "<svg" in svg
    assert "今日・明日の住まいや生活費" in svg
