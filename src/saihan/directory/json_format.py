"""The JSON directory format: saihan's own exporter and importer.

Registered through the ``saihan.exporters`` and ``saihan.importers`` entry
points under the name ``json``, exactly as a third-party format would be.
"""

from __future__ import annotations

from typing import Any

from saihan.directory.directory import Directory
from saihan.errors import ValidationError

__all__ = ["JsonDirectoryExporter", "JsonDirectoryImporter"]


class JsonDirectoryExporter:
    """Writes a directory as a saihan JSON document (UTF-8).

    Confidential locations are published as their municipality only unless
    the caller asks for ``include_confidential=True`` (a private backup).
    """

    name = "json"
    media_type = "application/json"
    suffix = ".json"
    exports = Directory

    def export(self, directory: Directory, **options: Any) -> bytes:
        from saihan.serialization import to_json

        include_confidential = options.pop("include_confidential", False)
        indent = options.pop("indent", 2)
        if options:
            raise ValidationError(
                f"unknown option(s) for the json exporter: {', '.join(sorted(options))}"
            )
        if not isinstance(include_confidential, bool):
            raise ValidationError(
                "include_confidential must be true or false", path="include_confidential"
            )
        shown = directory if include_confidential else directory.published()
        return (to_json(shown, indent=indent) + "\n").encode("utf-8")


class JsonDirectoryImporter:
    """Reads a saihan JSON directory document, validating it completely."""

    name = "json"
    media_type = "application/json"
    suffix = ".json"
    imports = Directory

    def load(self, data: bytes, **options: Any) -> Directory:
        from saihan.serialization import from_json

        if options:
            raise ValidationError(
                f"unknown option(s) for the json importer: {', '.join(sorted(options))}"
            )
        return from_json(data, Directory)
