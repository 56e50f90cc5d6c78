"""The plugin registry: plugins are found by entry-point group, never by scanning folders.

Groups:

``saihan.exporters``
    Objects with ``name``, ``media_type``, ``suffix`` and
    ``export(directory, **options) -> bytes``.
``saihan.importers``
    Objects with ``name``, ``media_type``, ``suffix`` and
    ``load(data: bytes, **options) -> Directory``.
``saihan.storage``
    Storage backends (see the storage documentation).

An entry point names a class (instantiated with no arguments) or a ready
object.  A distribution registers one in its ``pyproject.toml``::

    [project.entry-points."saihan.exporters"]
    hsds = "saihan_hsds:HsdsExporter"
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from saihan.errors import PluginError

if TYPE_CHECKING:
    from saihan.directory import Directory

__all__ = [
    "EXPORTERS",
    "GROUPS",
    "IMPORTERS",
    "STORAGE",
    "Exporter",
    "Importer",
    "available",
    "exporter",
    "importer",
    "load_plugin",
]

EXPORTERS = "saihan.exporters"
IMPORTERS = "saihan.importers"
STORAGE = "saihan.storage"
GROUPS = (EXPORTERS, IMPORTERS, STORAGE)


@runtime_checkable
class Exporter(Protocol):
    """Turns a directory into bytes in some format."""

    name: str
    media_type: str
    suffix: str

    def export(self, directory: Directory, **options: Any) -> bytes: ...


@runtime_checkable
class Importer(Protocol):
    """Turns bytes in some format into a validated directory."""

    name: str
    media_type: str
    suffix: str

    def load(self, data: bytes, **options: Any) -> Directory: ...


def _entry_points(group: str) -> dict[str, list[EntryPoint]]:
    if group not in GROUPS:
        raise PluginError(f"unknown plugin group {group!r}; the groups are {', '.join(GROUPS)}")
    found: dict[str, list[EntryPoint]] = {}
    for point in entry_points(group=group):
        found.setdefault(point.name, []).append(point)
    return found


def available(group: str) -> list[str]:
    """The names of the plugins installed in ``group``, sorted."""
    return sorted(_entry_points(group))


def load_plugin(group: str, name: str) -> Any:
    """Load the plugin ``name`` from ``group``.

    Raises :class:`PluginError` naming the group, the name and the installed
    choices when it is missing, registered twice, or fails to import.
    """
    points = _entry_points(group)
    choices = ", ".join(sorted(points)) or "none"
    if name not in points:
        raise PluginError(f"no plugin {name!r} in group {group!r}; installed: {choices}")
    if len({point.value for point in points[name]}) > 1:
        targets = ", ".join(point.value for point in points[name])
        raise PluginError(f"plugin {name!r} in group {group!r} is registered twice: {targets}")
    point = points[name][0]
    try:
        target = point.load()
        return target() if isinstance(target, type) else target
    except Exception as error:
        raise PluginError(
            f"plugin {name!r} in group {group!r} ({point.value}) failed to load: "
            f"{type(error).__name__}: {error}; installed: {choices}"
        ) from error


def exporter(name: str) -> Exporter:
    """The exporter registered as ``name`` (``json`` is built in)."""
    plugin = load_plugin(EXPORTERS, name)
    if not isinstance(plugin, Exporter):
        raise PluginError(f"plugin {name!r} in group {EXPORTERS!r} is not an exporter")
    return plugin


def importer(name: str) -> Importer:
    """The importer registered as ``name`` (``json`` is built in)."""
    plugin = load_plugin(IMPORTERS, name)
    if not isinstance(plugin, Importer):
        raise PluginError(f"plugin {name!r} in group {IMPORTERS!r} is not an importer")
    return plugin
