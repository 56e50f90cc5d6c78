"""The direction of imports inside saihan (docs/architecture.md, "Structure").

- the models (``saihan.referral``) do not import the store or the operations on it;
- the store (``saihan.storage``) does not import the operations (``saihan.casework``);
- the schedule does not import the directory (both use ``saihan.text``);
- no module imports another package's private (underscore) names or modules.

Imports are read with ``ast``, wherever they are in a module (inside functions too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src"
MODULES = sorted((SRC / "saihan").rglob("*.py"))

# saihan.referral keeps the old names of the casework operations, loaded on first use.
LAZY_SHIM = ("saihan.referral", "saihan.casework")


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str:
    """The top-level subpackage a module belongs to (``saihan.storage``), or the root."""
    parts = module.split(".")
    return (
        ".".join(parts[:2]) if len(parts) > 2 or (SRC / "saihan" / parts[-1]).is_dir() else "saihan"
    )


def _imports(path: Path) -> Iterator[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every import in the file."""
    module = _name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if path.name != "__init__.py":
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield base, alias.name


def _all() -> list[tuple[str, str, str | None]]:
    return [(_name(path), imported, name) for path in MODULES for imported, name in _imports(path)]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("saihan.referral", "saihan.storage"),
        ("saihan.referral", "saihan.casework"),
        ("saihan.access", "saihan.storage"),
        ("saihan.access", "saihan.referral"),
        ("saihan.storage", "saihan.casework"),
        ("saihan.storage", "saihan.cli"),
        # LocalizedText lives in saihan.text, below both: calendars need no directory
        ("saihan.schedule", "saihan.directory"),
        ("saihan.text", "saihan.directory"),
        ("saihan.limits", "saihan.directory"),
        ("saihan.limits", "saihan.storage"),
        # publications are made from a directory and flows, never from a store or cases
        ("saihan.publish", "saihan.storage"),
        ("saihan.publish", "saihan.casework"),
    ],
)
def test_imports_go_one_way(importer: str, forbidden: str) -> None:
    found = [
        (module, imported)
        for module, imported, _ in _all()
        if _within(module, importer)
        and _within(imported, forbidden)
        and not (module == LAZY_SHIM[0] and _within(imported, LAZY_SHIM[1]))
    ]
    assert found == []


def test_no_module_imports_another_packages_private_names() -> None:
    found = []
    for module, imported, name in _all():
        if not _within(imported, "saihan"):
            continue
        own = _package(module)
        if _within(imported, own) and own != "saihan":
            continue  # a package's own private names are its own business
        private_module = any(
            part.startswith("_") and part != "__init__" for part in imported.split(".")[2:]
        )
        if private_module or (name is not None and name.startswith("_") and name != "__version__"):
            found.append((module, imported, name))
    assert found == []


def test_the_direction_test_sees_imports() -> None:
    """The test cannot pass by finding nothing."""
    pairs = {(module, imported) for module, imported, _ in _all()}
    assert ("saihan.casework.workflow", "saihan.storage.store") in pairs
    assert ("saihan.storage.store", "saihan.referral.case") in pairs
    assert ("saihan.schedule.calendar", "saihan.text") in pairs


def test_the_old_casework_names_still_answer_from_referral() -> None:
    """saihan.referral's lazy list of casework names is a copy (importing casework there
    eagerly would be a cycle): every name in it must be casework's, and answer."""
    import saihan.casework
    import saihan.referral

    lazy = saihan.referral._CASEWORK
    assert lazy <= set(saihan.casework.__all__)
    for name in lazy:
        assert getattr(saihan.referral, name) is getattr(saihan.casework, name)
