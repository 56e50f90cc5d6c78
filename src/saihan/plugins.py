"""The plugin registry: plugins are found by entry-point group, never by scanning folders.

Groups:

``saihan.exporters``
    Objects with ``name``, ``media_type``, ``suffix``, ``exports`` (the model
    class they write: :class:`~saihan.directory.Directory` or
    :class:`~saihan.schedule.BusinessCalendar`) and
    ``export(obj, **options) -> bytes``.
``saihan.importers``
    Objects with ``name``, ``media_type``, ``suffix``, ``imports`` (the model
    class they read) and ``load(data: bytes, **options)`` returning one.  A
    strict ``load`` refuses the whole input on any bad record.  An importer
    may also offer ``load_with_report(data, *, lenient=False, **options)``
    returning an :class:`ImportResult`: the value and an :class:`ImportReport`
    of what was skipped (lenient mode) and what the format held that saihan
    does not carry.  :func:`import_with_report` calls either kind.
``saihan.storage``
    Storage backends (see the storage documentation).

An entry point names a class (instantiated with no arguments) or a ready
object.  A distribution registers one in its ``pyproject.toml``::

    [project.entry-points."saihan.exporters"]
    hsds = "saihan_hsds:HsdsExporter"
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from saihan.errors import ErrorItem, PluginError, ValidationError

__all__ = [
    "EXPORTERS",
    "GROUPS",
    "IMPORTERS",
    "STORAGE",
    "Exporter",
    "ImportReport",
    "ImportResult",
    "Importer",
    "SkippedRecord",
    "available",
    "check_options",
    "exporter",
    "import_with_report",
    "importer",
    "load_plugin",
]

T = TypeVar("T")

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


@attrs.frozen
class SkippedRecord:
    """A record a lenient import left out, and every reason why.

    ``record`` says which record in the source it was, as the source names
    it (``services[3]``, ``service.csv row 12``, ``organization 1d2f…``);
    ``errors`` carry field paths from the root of the source document.
    """

    record: str
    errors: tuple[ErrorItem, ...]


@attrs.frozen
class ImportReport:
    """What an import did: counts loaded, records skipped, source data not carried.

    ``not_carried`` lists, as field paths or short sentences, what the
    source held that saihan has no place for (so a user can see the loss).
    """

    format: str
    loaded: Mapping[str, int] = attrs.field(factory=dict)
    skipped: tuple[SkippedRecord, ...] = ()
    not_carried: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when nothing was skipped and nothing was left behind."""
        return not self.skipped and not self.not_carried

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "loaded": dict(sorted(self.loaded.items())),
            "skipped": [
                {
                    "record": skipped.record,
                    "errors": [{"path": e.path, "message": e.message} for e in skipped.errors],
                }
                for skipped in self.skipped
            ],
            "not_carried": list(self.not_carried),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_text(self) -> str:
        loaded = ", ".join(f"{count} {kind}" for kind, count in sorted(self.loaded.items()))
        lines = [f"{self.format}: loaded {loaded or 'nothing'}"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} record(s):")
            for skipped in self.skipped:
                lines.append(f"  {skipped.record}")
                lines.extend(f"    {error}" for error in skipped.errors)
        if self.not_carried:
            lines.append("not carried:")
            lines.extend(f"  {item}" for item in self.not_carried)
        return "\n".join(lines) + "\n"


@attrs.frozen
class ImportResult(Generic[T]):
    """The value an import built, with its report."""

    value: T
    report: ImportReport


def import_with_report(
    plugin: Importer, data: bytes, *, lenient: bool = False, **options: Any
) -> ImportResult[Any]:
    """Run ``plugin`` on ``data`` and always get a report back.

    Importers that offer ``load_with_report`` are asked for theirs; for the
    rest, a strict ``load`` stands in (``lenient`` is then refused, since such
    an importer cannot skip records).
    """
    with_report = getattr(plugin, "load_with_report", None)
    if with_report is not None:
        result = with_report(data, lenient=lenient, **options)
        if not isinstance(result, ImportResult):
            raise PluginError(f"importer {plugin.name!r}: gave no ImportResult")
        return result
    if lenient:
        raise ValidationError(
            f"the {plugin.name} importer cannot skip records; it is strict only", path="lenient"
        )
    return ImportResult(plugin.load(data, **options), ImportReport(format=plugin.name))


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
