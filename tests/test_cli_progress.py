"""Progress of the long steps goes to standard error when it is a terminal, and only then.

Each command runs in a child process whose standard error is a pseudo-terminal (or a
pipe), its standard output a pipe, as a shell would run it.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "src" / "saihan" / "directory" / "data" / "sample_directory.json")
CASE = str(ROOT / "examples" / "cases" / "elderly-man-hachioji.json")
SAIHAN = [sys.executable, "-m", "saihan"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SAIHAN_STORE_URL")}
    return {**env, "SAIHAN_PRINCIPAL": "system:system", "TERM": "xterm", "COLUMNS": "100"}


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``saihan argv`` with standard error on a pseudo-terminal: exit code, what it
    printed on standard output, and everything the terminal received."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [*SAIHAN, *argv], stdout=subprocess.PIPE, stderr=child, env=env, cwd=ROOT
    )
    os.close(child)
    received = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(main)
    assert process.stdout is not None
    out = process.stdout.read().decode("utf-8")
    process.stdout.close()
    return process.wait(timeout=120), out, received.decode("utf-8", errors="replace")


def _piped(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SAIHAN, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


RULES = "src/saihan/referral/data/tokyo_rules.yaml"
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "import": (
        ["import", SAMPLE, "--store", "sqlite:///{tmp}/p.db"],
        ["reading", "validating", "writing"],
    ),
    "store import": (["store", "import", SAMPLE, "--store", "sqlite:///{tmp}/s.db"], ["writing"]),
    "import --dry-run": (
        ["import", SAMPLE, "--store", "sqlite:///{tmp}/d.db", "--dry-run"],
        ["reading", "validating", "comparing with the stored directory"],
    ),
    "import --merge": (
        ["import", SAMPLE, "--store", "sqlite:///{tmp}/m.db", "--merge"],
        ["reading the stored directory", "merging into the stored directory", "writing"],
    ),
    "directory validate": (["directory", "validate", SAMPLE], ["validating"]),
    "directory search": (["directory", "search", "--need", "housing", "-i", SAMPLE], ["searching"]),
    "match": (["match", CASE], ["matching against", "writing the plan"]),
    "gaps": (["gaps", "examples/cases"], ["matching 8 cases"]),
    "rules check": (["rules", "check", RULES, "--examples", "2"], ["checking the properties"]),
    "export": (["export", "-o", "{tmp}/e.json"], ["exporting"]),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_progress_shows_on_a_terminal_and_never_in_a_pipe(name: str, tmp_path: Path) -> None:
    argv, steps = COMMANDS[name]
    argv = [word.replace("{tmp}", str(tmp_path)) for word in argv]
    env = _env(tmp_path)
    code, out, terminal = _on_a_terminal(argv, env)
    assert code == 0, terminal
    for step in steps:
        assert step in terminal, terminal
    assert "\x1b[" not in out  # standard output (a pipe) gets no escape codes

    piped = _piped(argv, env)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == out  # the output is the same with and without progress
    for step in steps:
        assert step not in piped.stderr
    assert "\x1b[" not in piped.stderr

    code, _, terminal = _on_a_terminal([*argv, "--quiet"], env)
    assert code == 0
    for step in steps:
        assert step not in terminal


def test_progress_bar_forced_and_none(tmp_path: Path) -> None:
    env = _env(tmp_path)
    forced = _piped(
        ["import", SAMPLE, "--store", f"sqlite:///{tmp_path}/f.db", "--progress", "bar"], env
    )
    assert forced.returncode == 0
    assert "writing" in forced.stderr
    code, _, terminal = _on_a_terminal(
        ["import", SAMPLE, "--store", f"sqlite:///{tmp_path}/n.db", "--progress", "none"], env
    )
    assert code == 0
    assert "writing" not in terminal
    assert "imported 213 agencies" in terminal  # the summary is still said


def test_the_shell_command_ends_without_a_last_collection_and_a_program_keeps_its_own() -> None:
    """``saihan`` from a shell freezes what it made before the interpreter exits (its
    last collection took seconds after a large match); ``main([...])`` in a program
    leaves the collector alone."""
    script = (
        "import gc, sys\n"
        "from saihan.cli import main\n"
        "assert main(['directory', 'municipalities', '--format', 'json']) == 0\n"
        "kept = gc.get_freeze_count()\n"
        "sys.argv = ['saihan', 'directory', 'municipalities', '--format', 'json']\n"
        "assert main() == 0\n"
        "print(kept, gc.get_freeze_count() > 0, file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SAIHAN_LANG"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.split() == ["0", "True"]
