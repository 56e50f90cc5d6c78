"""The plugin registry: plugins are found by entry-point group, never by scanning folders.

Groups:

``saihan.exporters``
    Objects with ``name``, ``media_type``, ``suffix``, ``exports`` (the model
    class they write: :class:`~saihan.directory.Directory` or
    :class:`~saihan.schedule.BusinessCalendar`) and
    ``export(obj, **options) -> bytes``.
``saihan.importers``
    Objects with ``name``, ``media_type``, ``suffix``, ``imports`` (the model
    class they read) and ``load(data: bytes, **options)`` returning one.
``saihan.storage``
    Storage backends (see the storage documentation).

An entry point names a class (instantiated with no arguments) or a ready
object.  A distribution registers one in its ``pyproject.toml``::

    [project.entry-points."saihan.exporters"]
    hsds = "saihan_hsds:HsdsExporter"
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

from saihan.errors import ErrorItem, PluginError, ValidationError

__all__ = [
    "EXPORTERS",
    "GROUPS",
    "IMPORTERS",
    "STORAGE",
    "Exporter",
    "Importer",
    "available",
    "check_options",
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
    """Turns a model object (a directory, a calendar) into bytes in some format."""

    name: str
    media_type: str
    suffix: str
    exports: type

    def export(self, obj: Any, /, **options: Any) -> bytes: ...


@runtime_checkable
class Importer(Protocol):
    """Turns bytes in some format into a validated model object."""

    name: str
    media_type: str
    suffix: str
    imports: type

    def load(self, data: bytes, /, **options: Any) -> Any: ...


def check_options(plugin: str, options: dict[str, Any], allowed: dict[str, type]) -> None:
    """Refuse options a format plugin does not take, or of the wrong type.

    ``allowed`` maps each option's name to the type its value must have.
    Raises :class:`~saihan.errors.ValidationError` naming every bad option.
    """
    problems = [
        ErrorItem(name, f"the {plugin} format takes no option {name!r}")
        for name in sorted(set(options) - set(allowed))
    ]
    problems += [
        ErrorItem(name, f"expected {allowed[name].__name__}, got {type(value).__name__}")
        for name, value in sorted(options.items())
        if name in allowed and not isinstance(value, allowed[name])
    ]
    if problems:
        raise ValidationError(problems)


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


def exporter(name: str, *, for_type: type | None = None) -> Exporter:
    """The exporter registered as ``name`` (``json`` and ``ical`` are built in).

    With ``for_type``, the exporter must write that model class.
    """
    plugin = load_plugin(EXPORTERS, name)
    if not isinstance(plugin, Exporter):
        raise PluginError(f"plugin {name!r} in group {EXPORTERS!r} is not an exporter")
    if for_type is not None and plugin.exports is not for_type:
        fitting = ", ".join(_fitting(EXPORTERS, "exports", for_type)) or "none"
        raise PluginError(
            f"exporter {name!r} writes {plugin.exports.__name__}, not {for_type.__name__}; "
            f"exporters for {for_type.__name__}: {fitting}"
        )
    return plugin


def importer(name: str, *, for_type: type | None = None) -> Importer:
    """The importer registered as ``name`` (``json`` and ``ical`` are built in).

    With ``for_type``, the importer must read that model class.
    """
    plugin = load_plugin(IMPORTERS, name)
    if not isinstance(plugin, Importer):
        raise PluginError(f"plugin {name!r} in group {IMPORTERS!r} is not an importer")
    if for_type is not None and plugin.imports is not for_type:
        fitting = ", ".join(_fitting(IMPORTERS, "imports", for_type)) or "none"
        raise PluginError(
            f"importer {name!r} reads {plugin.imports.__name__}, not {for_type.__name__}; "
            f"importers for {for_type.__name__}: {fitting}"
        )
    return plugin


def _fitting(group: str, attribute: str, for_type: type) -> list[str]:
    """Names in ``group`` whose plugin handles ``for_type`` (those that load cleanly)."""
    names = []
    for name in available(group):
        try:
            plugin = load_plugin(group, name)
        except PluginError:
            continue
        if getattr(plugin, attribute, None) is for_type:
            names.append(name)
    return names
