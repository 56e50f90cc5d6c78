"""saihan: connect people who have offended, their families and supporters with support in Tokyo.

The public API is re-exported here; see ``docs/`` for the guide.
"""

from saihan import directory, errors, plugins, schedule, serialization, storage
from saihan._version import __version__
from saihan.directory import Directory, sample_directory
from saihan.errors import (
    ConflictError,
    ConsentError,
    ErrorItem,
    IllegalTransitionError,
    IncompatibleStoreError,
    NotFoundError,
    PluginError,
    SaihanError,
    StorageError,
    ValidationError,
)
from saihan.schedule import BusinessCalendar
from saihan.serialization import from_json, json_schema, to_json

__all__ = [
    "BusinessCalendar",
    "ConflictError",
    "ConsentError",
    "Directory",
    "ErrorItem",
    "IllegalTransitionError",
    "IncompatibleStoreError",
    "NotFoundError",
    "PluginError",
    "SaihanError",
    "StorageError",
    "ValidationError",
    "__version__",
    "directory",
    "errors",
    "from_json",
    "json_schema",
    "plugins",
    "sample_directory",
    "schedule",
    "serialization",
    "storage",
    "to_json",
]
