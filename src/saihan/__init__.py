"""saihan: connect people who have offended, their families and supporters with support in Tokyo.

The public API is re-exported here; see ``docs/`` for the guide.  The names are
loaded on first use (``saihan.Directory`` imports the directory package then), so
``import saihan`` stays quick for a command line or a short script.
"""

from __future__ import annotations

import importlib

from saihan._version import __version__

TYPE_CHECKING = False  # not typing's: importing typing alone is a third of a cold start
if TYPE_CHECKING:  # what the lazy names below are, for type checkers and the API reference
    from typing import Any

    from saihan import (
        access,
        directory,
        errors,
        limits,
        plugins,
        schedule,
        serialization,
        storage,
    )
    from saihan.access import Principal, Role, may
    from saihan.directory import Directory, sample_directory
    from saihan.errors import (
        AccessDenied,
        ConflictError,
        ConsentError,
        ConsentRefusedError,
        ErrorItem,
        IllegalTransitionError,
        IncompatibleStoreError,
        NotFoundError,
        PluginError,
        SaihanError,
        StorageError,
        ValidationError,
    )
    from saihan.limits import DEFAULT_LIMITS, Limits
    from saihan.schedule import BusinessCalendar
    from saihan.serialization import from_json, json_schema, to_json
    from saihan.text import LocalizedText

__all__ = [
    "DEFAULT_LIMITS",
    "AccessDenied",
    "BusinessCalendar",
    "ConflictError",
    "ConsentError",
    "ConsentRefusedError",
    "Directory",
    "ErrorItem",
    "IllegalTransitionError",
    "IncompatibleStoreError",
    "Limits",
    "LocalizedText",
    "NotFoundError",
    "PluginError",
    "Principal",
    "Role",
    "SaihanError",
    "StorageError",
    "ValidationError",
    "__version__",
    "access",
    "directory",
    "errors",
    "from_json",
    "json_schema",
    "limits",
    "may",
    "plugins",
    "sample_directory",
    "schedule",
    "serialization",
    "storage",
    "to_json",
]

_SUBPACKAGES = frozenset(
    {"access", "directory", "errors", "limits", "plugins", "schedule", "serialization", "storage"}
)
_HOMES = {
    "saihan.access": ("Principal", "Role", "may"),
    "saihan.directory": ("Directory", "sample_directory"),
    "saihan.errors": (
        "AccessDenied",
        "ConflictError",
        "ConsentError",
        "ConsentRefusedError",
        "ErrorItem",
        "IllegalTransitionError",
        "IncompatibleStoreError",
        "NotFoundError",
        "PluginError",
        "SaihanError",
        "StorageError",
        "ValidationError",
    ),
    "saihan.limits": ("DEFAULT_LIMITS", "Limits"),
    "saihan.schedule": ("BusinessCalendar",),
    "saihan.serialization": ("from_json", "json_schema", "to_json"),
    "saihan.text": ("LocalizedText",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import a re-exported name's module the first time the name is asked for."""
    if name in _SUBPACKAGES:
        value: Any = importlib.import_module(f"saihan.{name}")
    elif name in _HOME_OF:
        value = getattr(importlib.import_module(_HOME_OF[name]), name)
    else:
        raise AttributeError(f"module 'saihan' has no attribute {name!r}")
    globals()[name] = value  # asked once: later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
