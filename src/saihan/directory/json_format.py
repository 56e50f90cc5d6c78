"""The JSON directory format: saihan's own exporter and importer.

Registered through the ``saihan.exporters`` and ``saihan.importers`` entry
points under the name ``json``, exactly as a third-party format would be.
"""

from __future__ import annotations

from typing import Any

from saihan.directory.directory import Directory
from saihan.errors import ValidationError
from saihan.plugins import check_options

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

        check_options("json", options, {"include_confidential": bool, "indent": int})
        if not isinstance(directory, Directory):
            raise ValidationError(
                f"the json exporter writes a Directory, not {type(directory).__name__}"
            )
        shown = directory if options.get("include_confidential", False) else directory.published()
        return (to_json(shown, indent=options.get("indent", 2)) + "\n").encode("utf-8")


class JsonDirectoryImporter:
    """Reads a saihan JSON directory document, validating it completely."""

    name = "json"
    media_type = "application/json"
    suffix = ".json"
    imports = Directory

    def load(self, data: bytes, **options: Any) -> Directory:
        from saihan.serialization import from_json

        check_options("json", options, {})
        return from_json(data, Directory)
