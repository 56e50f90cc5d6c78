"""Referral export and import through a store: access-checked and audited.

A referral is case data.  These functions read and write it only through a
:class:`~saihan.storage.Store` acting as a :class:`~saihan.access.Principal`
(``AccessDenied`` without one, or when the principal may not read the case),
so every read and write is checked and leaves its audit event
(``docs/access.md``).  The case itself is read only for its consent, and only
when ``include_consent`` asks for it.
"""

from __future__ import annotations

import json
from typing import Any

from saihan.access import PRINCIPAL_FORM
from saihan.errors import AccessDenied, ConflictError, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits
from saihan.referral.case import Consent, ConsultationCase
from saihan.referral.lifecycle import Referral
from saihan.storage import Store, Versioned
from saihan_fhir.referral import FhirReferralImporter, ReadReferral, referral_bundle

__all__ = ["covering_consent", "export_referral", "import_referral"]


def _check(store: object) -> Store:
    if not isinstance(store, Store):
        raise ValidationError(f"expected a Store, got {type(store).__name__}", path="store")
    if store.principal is None:
        raise AccessDenied(
            f"a referral is case data: open the store with a principal ({PRINCIPAL_FORM}); "
            "see docs/access.md"
        )
    return store


def covering_consent(case: ConsultationCase, referral: Referral) -> tuple[int, Consent] | None:
    """The consent a referral rests on, with its position in the case.

    The one covering the referral's agency on the day of its last event, else on
    the day it last entered a status that hands information on, else the last
    consent that names the agency at all (a refusal, say); None without any.
    """
    agency, kind = referral.agency_id, referral.agency_kind
    days = [case.local_day(referral.updated_at)]
    days += [
        case.local_day(event.at)
        for event in reversed(referral.history)
        if event.status.needs_consent
    ]
    for day in days:
        found = case.consent_for(agency, kind, day)
        if found is not None:
            return case.consents.index(found), found
    for index in range(len(case.consents) - 1, -1, -1):
        if case.consents[index].names(agency, kind):
            return index, case.consents[index]
    return None


def export_referral(
    store: Store,
    referral_id: str,
    *,
    include_reasons: bool = False,
    include_consent: bool = False,
    indent: int = 2,
) -> bytes:
    """The stored referral ``referral_id`` as a FHIR R4 Bundle (UTF-8 JSON).

    Reads the referral as the store's principal (a ``read`` audit event for any
    principal but ``system``); with ``include_consent`` also the case, for the
    consent that covers the referral (its own ``read`` event).  Nothing else of
    the case is read or written.  ``include_reasons`` adds the worker's words.
    """
    store = _check(store)
    principal = store.principal
    assert principal is not None
    with store.transaction():
        referral = store.referrals.get(referral_id).value
        requester = None
        if referral.referred_by is not None:
            referring = store.services.find(referral.referred_by)
            if referring is not None:
                requester = referring.value.agency_id
        consent = index = None
        if include_consent:
            case = store.cases.get(referral.case_id).value
            found = covering_consent(case, referral)
            if found is not None:
                index, consent = found
    document: dict[str, Any] = referral_bundle(
        referral,
        include_reasons=include_reasons,
        consent=consent,
        consent_index=index,
        requester=requester,
        custodian=principal.organisation,
    )
    text = json.dumps(document, ensure_ascii=False, indent=indent or None)
    return (text + "\n").encode("utf-8")


def import_referral(
    store: Store, data: bytes, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[Versioned[Referral], ReadReferral]:
    """Write the referral of a FHIR Bundle into ``store`` as its principal.

    A new referral is created; a known one must have a history that extends the
    stored one (the store refuses anything else, and a Task version the other
    side may not have made is refused before that).  Every status that hands
    information on must be covered by a consent of the stored case, as for any
    write.  All in one transaction: on any error the store is left as it was.
    The bundle's Consent is read and returned, never written into the case.
    """
    store = _check(store)
    found = FhirReferralImporter().read(data, limits=limits)
    referral = found.referral
    with store.transaction():
        stored = store.referrals.find(referral.id)
        if stored is None:
            return store.referrals.put(referral), found
        if stored.value == referral:
            return stored, found
        if len(referral.history) < len(stored.value.history):
            raise ConflictError(
                f"referral {referral.id!r} has {len(stored.value.history)} events in the store "
                f"and {len(referral.history)} in the bundle: the bundle is older"
            )
        return store.referrals.put(referral, expected_version=stored.version), found
