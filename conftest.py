"""Run the Python and shell blocks of README.md and docs/*.md as tests (Sybil).

Each page runs in one namespace, top to bottom, in a fresh working directory that
sees the repository's ``examples/`` (so ``sqlite:///saihan.db`` never lands in the
clone). A block that prints must show every printed line as a ``# line`` comment,
so the results a page shows are the results it gets. Excerpts that are not meant to
run carry ``<!-- skip: next -->`` and say which file they come from.

A block shows what it prints in one of two ways, and both are checked: a
``print(...)  # -> text`` line whose text must be one of the lines printed, or a run
of ``# line`` comments closing the block, which must be the last lines printed.
Other printed lines (a loop's output, say) are not compared.

A ``sh`` block is a list of commands, or a transcript (``$ command`` lines, each
followed by what it prints; ``...`` stands for any text). Each command runs with
this Python's ``saihan`` first on the PATH and must succeed; usage synopses are
``text`` blocks, and commands not to run here (installs) are skipped.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sybil import Example, Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, SkipParser

ROOT = Path(__file__).resolve().parent
BLOCKS_RUN: list[str] = []


_INLINE_SHOWN = re.compile(r"^\s*print\(.*\)\s+# -> (?P<shown>.+)$")


def _closing_comments(lines: list[str]) -> list[str]:
    shown: list[str] = []
    for line in reversed(lines):
        if not line.startswith("#"):
            break
        shown.append(line[2:] if line.startswith("# ") else line[1:])
    return shown[::-1]


class _ShownOutput:
    """Run a block and compare what it prints with what it shows."""

    def __init__(self) -> None:
        self.python = PythonEvaluator()

    def __call__(self, example: Example) -> str | None:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            self.python(example)
        BLOCKS_RUN.append(f"{example.path}:{example.line}")
        printed = [line.rstrip() for line in captured.getvalue().splitlines() if line.strip()]
        lines = str(example.parsed).rstrip("\n").splitlines()
        closing = [line.rstrip() for line in _closing_comments(lines) if line.strip()]
        inline = [found["shown"].rstrip() for found in map(_INLINE_SHOWN.match, lines) if found]
        if not printed or not (closing or inline):
            return None
        output = "\n".join(printed)
        if closing and printed[-len(closing) :] != closing:
            return f"the block ends by showing:\n{chr(10).join(closing)}\nbut printed:\n{output}"
        for shown in inline:
            if shown not in printed:
                return f"the block shows {shown!r}, but printed:\n{output}"
        return None


def _expected(line: str) -> re.Pattern[str]:
    # "..." or "…" in a shown line stands for whatever the command printed there.
    parts = re.split(r"\.\.\.|…", line.strip())
    return re.compile(".*".join(re.escape(part) for part in parts))


def _commands(source: str) -> list[tuple[str, list[str]]]:
    """The commands of a shell block, each with the output lines it shows."""
    lines = source.replace("\\\n", " ").splitlines()
    transcript = any(line.startswith("$ ") for line in lines)
    found: list[tuple[str, list[str]]] = []
    for line in lines:
        if transcript and line.startswith("$ "):
            found.append((line[2:], []))
        elif transcript and found and line.strip():
            found[-1][1].append(line)
        elif not transcript and line.strip() and not line.lstrip().startswith("#"):
            found.append((line, []))
    return found


class _ShellBlock:
    """Run each command of a shell block in the page's directory; each must succeed
    (unless it says ``|| ...``), and the output a transcript shows must be printed."""

    def __call__(self, example: Example) -> str | None:
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "NO_COLOR": "1",
        }
        for command, shown in _commands(str(example.parsed)):
            result = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=False,
            )
            if result.returncode != 0 and "||" not in command:
                return f"{command!r} exited {result.returncode}:\n{result.stderr[-2000:]}"
            printed = (result.stdout + result.stderr).splitlines()
            for line in shown:
                if not any(_expected(line).search(out) for out in printed):
                    return f"{command!r} did not print {line!r}; it printed:\n" + "\n".join(
                        printed[:40]
                    )
        BLOCKS_RUN.append(f"{example.path}:{example.line}")
        return None


def _setup(namespace: dict[str, Any]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="saihan-docs-"))
    (workdir / "examples").symlink_to(ROOT / "examples")
    namespace["__docs_previous_cwd__"] = os.getcwd()
    namespace["__docs_workdir__"] = workdir
    namespace["__docs_root__"] = ROOT
    os.environ.setdefault("SAIHAN_PRINCIPAL", "system:system")
    os.chdir(workdir)


def _teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["__docs_previous_cwd__"])
    shutil.rmtree(namespace["__docs_workdir__"], ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if BLOCKS_RUN:
        terminalreporter.write_line(f"documentation: {len(BLOCKS_RUN)} Python and shell blocks run")


pytest_collect_file = Sybil(
    parsers=[
        CodeBlockParser(language="python", evaluator=_ShownOutput()),
        CodeBlockParser(language="sh", evaluator=_ShellBlock()),
        SkipParser(),
    ],
    patterns=["README.md", "docs/*.md"],
    setup=_setup,
    teardown=_teardown,
).pytest()
