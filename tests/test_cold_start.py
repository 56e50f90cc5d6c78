"""What a cold start imports: ``import saihan`` loads the re-exported names only when
they are used, and the light modules do not pull in the heavy ones.

Each check runs a fresh interpreter and reads ``sys.modules``: what is imported, not
how long it takes (timings are for benchmarks/bench_cold_start.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import saihan


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def _saihan_modules(modules: set[str]) -> set[str]:
    return {name for name in modules if name == "saihan" or name.startswith("saihan.")}


def test_import_saihan_imports_nothing_else_of_saihan() -> None:
    modules = _modules_after("import saihan")
    assert _saihan_modules(modules) == {"saihan", "saihan._version"}
    assert "jsonschema" not in modules
    assert "holidays" not in modules


def test_principals_do_not_import_the_directory_the_store_or_the_models() -> None:
    modules = _modules_after("from saihan import Principal, Role, may")
    assert not {"saihan.directory", "saihan.storage", "saihan.referral"} & modules
    # building one checks its municipality codes, and only then loads the table
    modules = _modules_after(
        "from saihan import Principal\n"
        "Principal(id='w', roles='desk-worker', municipalities='131016')"
    )
    assert "saihan.directory.municipalities" in modules
    assert not {"saihan.storage", "saihan.referral"} & modules


def test_loading_a_directory_does_not_import_the_store_or_the_referral_models() -> None:
    modules = _modules_after("import saihan\nsaihan.sample_directory()")
    assert not {"saihan.storage", "saihan.referral", "jsonschema"} & modules


@pytest.mark.parametrize("name", saihan.__all__)
def test_every_re_exported_name_is_the_one_of_its_module(name: str) -> None:
    value = getattr(saihan, name)
    module = getattr(value, "__module__", None)
    if isinstance(value, type(saihan)):
        assert value.__name__ == f"saihan.{name}"
    elif module is not None and name != "__version__":
        assert module.startswith("saihan.")
    assert name in dir(saihan)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = saihan.no_such_name


def test_a_match_on_the_command_line_does_not_import_the_store() -> None:
    case = Path(__file__).resolve().parent.parent / "examples/cases/elderly-man-hachioji.json"
    modules = _modules_after(
        "import contextlib, io\n"
        "from saihan.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['match', {str(case)!r}]) == 0"
    )
    assert "saihan.referral.match" in modules
    assert not {"saihan.storage", "saihan.casework", "holidays.countries"} & modules
    assert "saihan.schedule.japanese_hours" not in modules  # loaded only when asked for
