"""saihan: connect people who have offended, their families and supporters with support in Tokyo.

The public API is re-exported here; see ``docs/`` for the guide.
"""

from saihan import access, directory, errors, limits, plugins, schedule, serialization, storage
from saihan._version import __version__
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
