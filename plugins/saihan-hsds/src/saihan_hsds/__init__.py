"""Open Referral HSDS 3.1 for saihan: export and import, JSON and tabular.

Registered through the ``saihan.exporters`` and ``saihan.importers`` entry
points as ``hsds`` (one JSON document) and ``hsds-tabular`` (a ZIP of CSV
files and ``datapackage.json``), exactly as a third-party format would be::

    from saihan import plugins
    data = plugins.exporter("hsds").export(directory)
    result = plugins.import_with_report(plugins.importer("hsds"), data, lenient=True)

What HSDS lacks travels through saihan's Japan profile (``profile/``): see
``docs/hsds.md`` for the mapping, field by field.
"""

from __future__ import annotations

from saihan_hsds.export import to_document
from saihan_hsds.importer import OTHER_KIND, read_document
from saihan_hsds.json_format import HsdsExporter, HsdsImporter, decode_json, document_errors
from saihan_hsds.schemas import PROFILE_URI
from saihan_hsds.tabular import HsdsTabularExporter, HsdsTabularImporter, package_errors

__all__ = [
    "OTHER_KIND",
    "PROFILE_URI",
    "HsdsExporter",
    "HsdsImporter",
    "HsdsTabularExporter",
    "HsdsTabularImporter",
    "decode_json",
    "document_errors",
    "package_errors",
    "read_document",
    "to_document",
]
