"""The Japanese municipal open-data facility list (公共施設一覧) for saihan directories.

Registered through the ``saihan.exporters`` and ``saihan.importers`` entry points
under the name ``opendata-csv``, exactly as any third-party format is::

    from saihan import plugins
    from saihan.directory import Directory, sample_directory

    data = plugins.exporter("opendata-csv", for_type=Directory).export(
        sample_directory(), bom=True
    )
    result = plugins.import_with_report(plugins.importer("opendata-csv"), data, lenient=True)

The related lists 医療機関一覧 and 介護サービス事業所一覧 are read by the importers
``opendata-medical-csv`` and ``opendata-care-csv``.  See docs/opendata-jp.md for the
columns, their source, and what each list cannot carry.
"""

from saihan_opendata_jp.columns import COLUMNS
from saihan_opendata_jp.exporter import DEFAULT_CODE, OpendataCsvExporter
from saihan_opendata_jp.importer import DEFAULTS, UNCLASSIFIED_KIND, OpendataCsvImporter
from saihan_opendata_jp.lists import (
    CARE_KIND,
    MEDICAL_KIND,
    CareServiceCsvImporter,
    MedicalInstitutionCsvImporter,
)

__all__ = [
    "CARE_KIND",
    "COLUMNS",
    "DEFAULTS",
    "DEFAULT_CODE",
    "MEDICAL_KIND",
    "UNCLASSIFIED_KIND",
    "CareServiceCsvImporter",
    "MedicalInstitutionCsvImporter",
    "OpendataCsvExporter",
    "OpendataCsvImporter",
]
