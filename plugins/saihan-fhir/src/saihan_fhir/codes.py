"""Code systems, profiles, identifiers and the status tables of the FHIR mapping.

Facts carried over from the standards, with their sources:

- FHIR R4 ``task-status`` (http://hl7.org/fhir/R4/codesystem-task-status.html).
- The HL7 SDOH Clinical Care IG (``hl7.fhir.us.sdoh-clinicalcare``), profile
  *SDOHCC Task For Referral Management*: ``Task.status`` from *SDOHCC ValueSet
  Referral Task Status* (task-status without ``ready`` and ``received``), the
  "Set By" column of its status table (who may set each status: requester,
  responder, or either), ``intent`` fixed to ``order``, ``code`` fixed to
  task-code ``fulfill``; *SDOHCC ServiceRequest*: ``category`` from the SDOH
  categories (``incarceration-status`` covers community supervision and reentry);
  *SDOHCC Consent*: ``scope`` ``patient-privacy``, ``category`` v3-ActCode ``IDSCL``.
"""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from collections.abc import Mapping
from typing import Any

from saihan.errors import ErrorItem, ValidationError
from saihan.referral.lifecycle import ReferralStatus

__all__ = [
    "FHIR_VERSION",
    "IG_STATUSES",
    "SET_BY",
    "Party",
    "fhir_id",
    "from_task_status",
    "identifier",
    "to_task_status",
    "urn_uuid",
]

FHIR_VERSION = "4.0.1"

# -- saihan's own identifier systems (URNs: saihan has no web home to name) ---------------
AGENCY = "urn:saihan:agency"
SERVICE = "urn:saihan:service"
LOCATION = "urn:saihan:location"
CASE = "urn:saihan:case"
REFERRAL = "urn:saihan:referral"
ACTOR = "urn:saihan:actor"
PLAN = "urn:saihan:plan"
ORGANISATION = "urn:saihan:organisation"
CONSENT = "urn:saihan:consent"
NEED = "urn:saihan:need"
AGENCY_KIND = "urn:saihan:agency-kind"
EVENT_KIND = "urn:saihan:referral-event-kind"
REASON = "urn:saihan:status-reason"
MUNICIPALITY = "urn:jis:x0402"  # JIS X 0402 municipality codes, with check digit

EXTENSION = "urn:saihan:fhir:extension:"
EXT_AGENCY_KIND = EXTENSION + "agency-kind"
EXT_REFERRED_BY = EXTENSION + "referred-by"
EXT_CONSENT_KINDS = EXTENSION + "consent-agency-kind"
EXT_WITHDRAWN_ON = EXTENSION + "consent-withdrawn-on"
EXT_MUNICIPALITY = EXTENSION + "municipality-code"

# -- HL7 systems and profiles -------------------------------------------------------------
TASK_STATUS = "http://hl7.org/fhir/task-status"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
SDOHCC_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
PROFILE_TASK = f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
PROFILE_SERVICE_REQUEST = f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"
PROFILE_CONSENT = f"{SDOHCC}/StructureDefinition/SDOHCC-Consent"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_NAMESPACE = uuid.UUID("7b1f2c9e-5a43-4a55-9d0e-3f1c6a2b8d10")  # saihan's, for uuid5


def fhir_id(saihan_id: str) -> str:
    """A FHIR resource id for a saihan id: the id itself where FHIR's id rule
    (``[A-Za-z0-9-.]{1,64}``) allows it, else ``h-`` and a SHA-256 prefix.  The
    saihan id always travels in ``identifier`` too, and importers read that."""
    if _FHIR_ID.fullmatch(saihan_id):
        return saihan_id
    return "h-" + hashlib.sha256(saihan_id.encode("utf-8")).hexdigest()[:40]


def urn_uuid(kind: str, saihan_id: str) -> str:
    """A stable ``urn:uuid:`` for a bundle entry (the same for the same record)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{saihan_id}')}"


def identifier(system: str, value: str) -> dict[str, str]:
    return {"system": system, "value": value}


# -- statuses -----------------------------------------------------------------------------

IG_STATUSES: tuple[str, ...] = (
    "draft",
    "requested",
    "accepted",
    "rejected",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)
"""The SDOHCC ValueSet Referral Task Status: task-status less ``ready`` and ``received``."""

_TASK_STATUSES = frozenset({*IG_STATUSES, "ready", "received"})  # FHIR R4 task-status


class Party(enum.StrEnum):
    """Which side of a referral set a Task status (the IG's "Set By")."""

    REQUESTER = "requester"  # Task.requester: the referring desk
    PERFORMER = "performer"  # Task.owner: the service's agency (the IG's "responder")


_R, _P = Party.REQUESTER, Party.PERFORMER
SET_BY: Mapping[ReferralStatus, frozenset[Party]] = {
    ReferralStatus.DRAFT: frozenset({_R}),
    ReferralStatus.REQUESTED: frozenset({_R}),
    ReferralStatus.ACCEPTED: frozenset({_P}),
    ReferralStatus.REJECTED: frozenset({_P}),
    ReferralStatus.CANCELLED: frozenset({_R, _P}),
    ReferralStatus.IN_PROGRESS: frozenset({_P}),
    ReferralStatus.ON_HOLD: frozenset({_P}),
    ReferralStatus.FAILED: frozenset({_P}),
    ReferralStatus.COMPLETED: frozenset({_P}),
    ReferralStatus.ENTERED_IN_ERROR: frozenset({_R}),
}
"""Who may set each status (SDOHCC Task For Referral Management, "Status Management")."""


def exporting_party(status: ReferralStatus) -> Party:
    """The side an export records for a saihan event entering ``status``.

    saihan does not record which side a worker acted for; the IG's table says it
    for every status but ``cancelled``, which saihan's workers set as the
    referrer (withdrawn, or consent withdrawn), so the requester."""
    allowed = SET_BY[status]
    return _R if _R in allowed else _P


def to_task_status(status: ReferralStatus) -> str:
    """saihan's status as ``Task.status``: the same code (saihan took FHIR's)."""
    code = ReferralStatus(status).value
    assert code in IG_STATUSES  # every saihan status is in the IG's value set
    return code


def from_task_status(code: object, path: str) -> ReferralStatus:
    """``Task.status`` as saihan's status; ValidationError at ``path`` for a code
    outside task-status, or for ``ready``/``received``, which the IG excludes."""
    if isinstance(code, str) and code in IG_STATUSES:
        return ReferralStatus(code)
    if isinstance(code, str) and code in _TASK_STATUSES:
        message = (
            f"Task.status {code!r} is not in the SDOHCC referral task status value set "
            f"({', '.join(IG_STATUSES)}); saihan has no such status"
        )
    else:
        message = f"Task.status {code!r} is not a FHIR task-status code"
    raise ValidationError([ErrorItem(path, message)])


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"system": system, "code": code}
    if display is not None:
        found["display"] = display
    return found
