"""The storage docs say what the code does: every code block of the plugin guide is
copied from the example plugin, and the example plugin is installed and registered."""

from __future__ import annotations

import re
from pathlib import Path

from saihan import storage

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-storage-plugin.md"
EXAMPLE = ROOT / "examples" / "storage_plugin"


def _blocks(text: str) -> list[str]:
    return re.findall(r"```(?:python|toml)\n(.*?)```", text, flags=re.DOTALL)


def test_every_block_of_the_guide_is_in_the_example_plugin() -> None:
    sources = [
        (EXAMPLE / "src" / "saihan_jsonstore" / "__init__.py").read_text(encoding="utf-8"),
        (EXAMPLE / "tests" / "test_jsonstore_conformance.py").read_text(encoding="utf-8"),
        (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"),
    ]
    blocks = _blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    for block in blocks:
        assert any(block in source for source in sources), block


def test_the_example_plugin_is_registered_by_entry_point() -> None:
    assert "jsonfile" in storage.available_backends()


def test_the_storage_guide_names_every_backend_scheme() -> None:
    text = (ROOT / "docs" / "storage.md").read_text(encoding="utf-8")
    for scheme in ("memory://", "sqlite:///", "postgresql://", "jsonfile:///"):
        assert scheme in text
