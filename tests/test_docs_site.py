"""The documentation site builds with warnings as errors, and its API reference names
every public name of saihan and its subpackages."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "saihan",
    "saihan.access",
    "saihan.casework",
    "saihan.directory",
    "saihan.errors",
    "saihan.limits",
    "saihan.monitoring",
    "saihan.outreach",
    "saihan.plugins",
    "saihan.referral",
    "saihan.referral.flows",
    "saihan.schedule",
    "saihan.serialization",
    "saihan.storage",
    "saihan.testing",
    "saihan.text",
)


def _mkdocs() -> str:
    found = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mkdocs is not installed (the test extra installs it)")
        pytest.skip("mkdocs is not installed: pip install -e '.[docs]'")
    return found


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [_mkdocs(), "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    raw = (site / "objects.inv").read_bytes()
    # Sphinx inventory v2: four header lines, then zlib-compressed "name domain:role ..." lines.
    body = zlib.decompress(raw.split(b"\n", 4)[4]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in body.splitlines() if line}


def _documented(name: str, module: ModuleType, inventory: set[str]) -> bool:
    if f"{module.__name__}.{name}" in inventory:
        return True
    value = getattr(module, name)
    canonical = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    if canonical in inventory:
        return True
    # A name re-exported by several packages is documented once, under one of them.
    for other in PACKAGES:
        package = importlib.import_module(other)
        exported = name in getattr(package, "__all__", ()) and getattr(package, name) is value
        if exported and f"{other}.{name}" in inventory:
            return True
    return False


def test_the_site_builds_and_documents_every_public_name(inventory: set[str]) -> None:
    missing = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for name in package.__all__:
            if name == "__version__":
                continue
            if not _documented(name, package, inventory):
                missing.append(f"{package_name}.{name}")
    assert not missing, f"not in the API reference: {missing}"
    assert len(inventory) > 500


def test_every_page_under_docs_is_in_the_navigation() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(node: object) -> set[str]:
        if isinstance(node, str):
            return {node}
        if isinstance(node, list):
            return set().union(*(pages(item) for item in node)) if node else set()
        if isinstance(node, dict):
            return set().union(*(pages(value) for value in node.values()))
        return set()

    listed = pages(config["nav"])
    on_disk = {
        path.relative_to(ROOT / "docs").as_posix()
        for path in (ROOT / "docs").rglob("*.md")
        if "schemas" not in path.parts
    }
    assert on_disk - listed == set(), "pages missing from mkdocs.yml's nav"
    assert listed - on_disk == set(), "nav entries without a page"


def test_the_japanese_tutorial_runs_the_same_code_as_the_english_one() -> None:
    import re

    def code(name: str) -> list[str]:
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)

    english = code("tutorial.md")
    assert len(english) >= 8
    assert code("tutorial.ja.md") == english
