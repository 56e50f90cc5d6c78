"""HL7 FHIR R4 for saihan: the directory, and referrals as the SDOH Clinical Care IG has them.

Registered through the ``saihan.exporters`` and ``saihan.importers`` entry
points, exactly as a third-party format would be:

- ``fhir`` (exporter of a :class:`~saihan.directory.Directory`): a collection
  Bundle of ``Organization``, ``Location`` and ``HealthcareService``;
- ``fhir-referral`` (exporter and importer of a
  :class:`~saihan.referral.lifecycle.Referral`): ``Task`` (a version per history
  event, each with its ``Provenance``), ``ServiceRequest`` and, when asked,
  ``Consent``.

The resources are built and read as plain JSON data: no FHIR model library is
needed at run time.  A referral is case data: :func:`export_referral` and
:func:`import_referral` go through a store acting as a principal (audited).
See ``docs/fhir.md`` for the mapping, field by field.
"""

from __future__ import annotations

from saihan_fhir.codes import IG_STATUSES, SET_BY, Party, from_task_status, to_task_status
from saihan_fhir.directory import DEFAULT_WINDOW_DAYS, FhirExporter, availability, directory_bundle
from saihan_fhir.referral import (
    WITHHELD_REASON,
    FhirReferralExporter,
    FhirReferralImporter,
    ReadReferral,
    read_referral_bundle,
    referral_bundle,
)
from saihan_fhir.store_io import covering_consent, export_referral, import_referral

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "IG_STATUSES",
    "SET_BY",
    "WITHHELD_REASON",
    "FhirExporter",
    "FhirReferralExporter",
    "FhirReferralImporter",
    "Party",
    "ReadReferral",
    "availability",
    "covering_consent",
    "directory_bundle",
    "export_referral",
    "from_task_status",
    "import_referral",
    "read_referral_bundle",
    "referral_bundle",
    "to_task_status",
]
