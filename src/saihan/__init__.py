"""saihan: connect people who have offended, their families and supporters with support in Tokyo.

The public API is re-exported here; see ``docs/`` for the guide.
"""

from saihan import directory, errors, plugins, serialization
from saihan._version import __version__
from saihan.directory import Directory, sample_directory
from saihan.errors import (
    ConflictError,
    ConsentError,
    ErrorItem,
    NotFoundError,
    PluginError,
    SaihanError,
    ValidationError,
)
from saihan.serialization import from_json, json_schema, to_json

__all__ = [
    "ConflictError",
    "ConsentError",
    "Directory",
    "ErrorItem",
    "NotFoundError",
    "PluginError",
    "SaihanError",
    "ValidationError",
    "__version__",
    "directory",
    "errors",
    "from_json",
    "json_schema",
    "plugins",
    "sample_directory",
    "serialization",
    "to_json",
]
