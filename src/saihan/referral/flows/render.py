"""Drawing flows: Mermaid and Graphviz DOT text, and SVG through Graphviz's ``dot``.

Labels are Japanese by default (``lang="en"`` for English where the flow has
it).  Questions are diamonds, actions boxes, ends rounded; edges carry the
answer that takes them.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from saihan.directory.agency_kinds import default_agency_kinds
from saihan.directory.taxonomy import default_taxonomy
from saihan.errors import SaihanError, ValidationError
from saihan.referral.case import Urgency
from saihan.referral.flows.model import Action, Flow, FlowNode
from saihan.text import LocalizedText

__all__ = ["FORMATS", "RenderError", "action_text", "to_dot", "to_mermaid", "to_svg"]

FORMATS = ("mermaid", "dot", "svg")
_LANGUAGES = ("ja", "en")


class RenderError(SaihanError):
    """A flow cannot be drawn as asked: Graphviz is not installed, or it failed."""


_WORDS = {
    "yes": ("はい", "yes"),
    "no": ("いいえ", "no"),
    "otherwise": ("その他", "otherwise"),
    "branch": ("条件", "case"),
    "add_need": ("ニーズを追加", "add need"),
    "connect": ("つなぐ", "connect to"),
    "service": ("サービス", "service"),
    "inform": ("伝える", "tell the person"),
    "note": ("記録", "note"),
}
_URGENCY = {
    Urgency.URGENT: ("緊急", "urgent"),
    Urgency.HIGH: ("高", "high"),
    Urgency.NORMAL: ("通常", "normal"),
    Urgency.LOW: ("低", "low"),
}


def _word(key: str, lang: str) -> str:
    pair = _WORDS[key]
    return pair[0] if lang == "ja" else pair[1]


def _say(text: LocalizedText | None, lang: str) -> str:
    return "" if text is None else text.get(lang)


def _need_label(code: str, lang: str) -> str:
    taxonomy = default_taxonomy()
    # A directory's own needs are not in the bundled taxonomy: show the code then.
    return taxonomy.get(code).label.get(lang) if code in taxonomy else code


def _kind_label(code: str, lang: str) -> str:
    for kind in default_agency_kinds():
        if kind.code == code:
            return kind.name.get(lang)
    return code


def action_text(action: Action, lang: str = "ja") -> str:
    """One action in words, as drawings and the CLI show it."""
    if action.add_need is not None:
        level = _URGENCY[action.urgency or Urgency.NORMAL]
        urgency = level[0] if lang == "ja" else level[1]
        return f"{_word('add_need', lang)}: {_need_label(action.add_need, lang)} ({urgency})"
    if action.connect is not None:
        connect = action.connect
        if connect.agency_kind is not None:
            target = _kind_label(connect.agency_kind, lang)
        else:
            target = f"{_word('service', lang)} {connect.service}"
        if connect.for_need is not None:
            target += f" [{_need_label(connect.for_need, lang)}]"
        return f"{_word('connect', lang)}: {target}"
    if action.inform is not None:
        return f"{_word('inform', lang)}: {_say(action.inform, lang)}"
    if action.note is not None:
        return f"{_word('note', lang)}: {_say(action.note, lang)}"
    return "?"


def _label(node: FlowNode, lang: str) -> str:
    if node.kind == "action":
        lines = [_say(node.text, lang)] if node.text is not None else []
        lines += [action_text(action, lang) for action in node.actions]
        return "\n".join(lines)
    return _say(node.text, lang) or node.id


def _edges(node: FlowNode, lang: str) -> list[tuple[str, str]]:
    """(label, target) of every edge of a node."""
    found: list[tuple[str, str]] = []
    if node.if_yes is not None:
        found.append((_word("yes", lang), node.if_yes))
    if node.if_no is not None:
        found.append((_word("no", lang), node.if_no))
    for answer in node.answers:
        label = _say(answer.label, lang) if answer.label else ", ".join(answer.values)
        found.append((label, answer.to))
    for index, branch in enumerate(node.branches):
        label = _say(branch.label, lang) if branch.label else f"{_word('branch', lang)} {index + 1}"
        found.append((label, branch.to))
    if node.otherwise is not None:
        found.append((_word("otherwise", lang), node.otherwise))
    if node.next is not None:
        found.append(("", node.next))
    return found


def _check_lang(lang: str) -> None:
    if lang not in _LANGUAGES:
        raise ValidationError(f"lang must be ja or en, not {lang!r}", path="lang")


# -- Mermaid ---------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    # Inside a quoted Mermaid label, entities stand for what would end or break it.
    return "<br/>".join(
        line.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
        for line in _lines(text)
    )


def _mermaid_ids(flow: Flow) -> dict[str, str]:
    """Node ids as Mermaid ids: letters, digits and ``_`` only, kept unique."""
    found: dict[str, str] = {}
    used: set[str] = set()
    for node in flow.nodes:
        if node.id in found:
            continue
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node.id)
        name, number = base, 2
        while name in used:
            name, number = f"{base}_{number}", number + 1
        used.add(name)
        found[node.id] = name
    return found


def to_mermaid(flow: Flow, lang: str = "ja") -> str:
    """The flow as a Mermaid flowchart (``flowchart TD``)."""
    _check_lang(lang)
    ids = _mermaid_ids(flow)
    lines = [
        " ".join(_lines(f"%% {flow.id} {flow.version}: {_say(flow.title, lang)}")),
        "flowchart TD",
    ]
    for node in flow.nodes:
        label = f'"{_mermaid_text(_label(node, lang))}"'
        shape = {"question": "{%s}", "action": "[%s]", "end": "([%s])"}.get(node.kind, "[%s]")
        lines.append(f"    {ids[node.id]}{shape % label}")
    for node in flow.nodes:
        for label, target in _edges(node, lang):
            to = ids.get(target, "n_missing_" + re.sub(r"[^A-Za-z0-9_]", "_", target))
            arrow = f'-->|"{_mermaid_text(label)}"|' if label else "-->"
            lines.append(f"    {ids[node.id]} {arrow} {to}")
    lines += [
        "    classDef question fill:#fff7e0,stroke:#b8860b",
        "    classDef action fill:#e8f1ff,stroke:#1f5fa8",
        "    classDef end fill:#e9f7ec,stroke:#2e7d32",
    ]
    for kind in ("question", "action", "end"):
        members = [ids[node.id] for node in flow.nodes if node.kind == kind]
        if members:
            lines.append(f"    class {','.join(dict.fromkeys(members))} {kind}")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT ----------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    # Every kind of line break (\r\n, U+2028, ...) is one break in a drawing.
    return text.splitlines() or [""]


def _dot_string(text: str) -> str:
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in _lines(text))
    return '"' + "\\n".join(escaped) + '"'


_DOT_SHAPES = {
    "question": 'shape=diamond, style=filled, fillcolor="#fff7e0"',
    "action": 'shape=box, style=filled, fillcolor="#e8f1ff"',
    "end": 'shape=box, style="rounded,filled", fillcolor="#e9f7ec", peripheries=2',
}


def to_dot(flow: Flow, lang: str = "ja") -> str:
    """The flow as a Graphviz DOT digraph (node names are the flow's node ids)."""
    _check_lang(lang)
    font = 'fontname="Noto Sans CJK JP,IPAexGothic,sans-serif"'
    lines = [
        f"digraph {_dot_string(flow.id)} {{",
        f"    graph [label={_dot_string(_say(flow.title, lang))}, labelloc=t, {font}];",
        f"    node [{font}];",
        f"    edge [{font}];",
    ]
    for node in flow.nodes:
        shape = _DOT_SHAPES.get(node.kind, "shape=box")
        lines.append(
            f"    {_dot_string(node.id)} [label={_dot_string(_label(node, lang))}, {shape}];"
        )
    for node in flow.nodes:
        for label, target in _edges(node, lang):
            attributes = f" [label={_dot_string(label)}]" if label else ""
            lines.append(f"    {_dot_string(node.id)} -> {_dot_string(target)}{attributes};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_INSTALL = (
    "Graphviz's 'dot' program is needed for SVG and was not found on PATH: install Graphviz "
    "(apt install graphviz, brew install graphviz, https://graphviz.org/download/), "
    "or write DOT with --format dot (to_dot) and draw it elsewhere"
)


def to_svg(flow: Flow, lang: str = "ja", *, timeout: float = 60.0) -> str:
    """The flow drawn as SVG by Graphviz's ``dot``; :class:`RenderError` when it is missing."""
    dot_text = to_dot(flow, lang)
    program = shutil.which("dot")
    if program is None:
        raise RenderError(_INSTALL)
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RenderError(f"Graphviz's dot could not draw flow {flow.id!r}: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"Graphviz's dot failed on flow {flow.id!r}: {message}")
    return done.stdout.decode("utf-8")
