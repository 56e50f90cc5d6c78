"""A referral as the HL7 SDOH Clinical Care IG's Task, ServiceRequest and Consent.

One ``collection`` Bundle per referral.  Its history travels as versions of one
``Task`` (``meta.versionId`` 1, 2, ... one per saihan history event; FHIR allows
several versions of a resource in a collection bundle when their versionIds
differ), each with a ``Provenance`` saying who made that version and for which
side (``agent.onBehalfOf``: ``Task.requester`` or ``Task.owner``).  Reading one
back checks the IG's rule on who may set which status.  See ``docs/fhir.md``.

**Minimum necessary.**  The bundle names the person only by the case id
(``Task.for`` is a logical reference: an identifier, no name, no birth date, no
address).  The worker's words (status reasons and outcomes) go in only with
``include_reasons=True``; otherwise each required reason is sent as
"withheld".  The case's consent goes in only when the caller passes it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import attrs

from saihan._validation import Checker, checked
from saihan.directory.vocabulary import ConsentDecision
from saihan.errors import ErrorItem, ValidationError
from saihan.limits import DEFAULT_LIMITS, Limits, parse_json
from saihan.plugins import ImportReport, ImportResult, check_options
from saihan.referral.case import Consent
from saihan.referral.lifecycle import EventKind, Referral, ReferralEvent, ReferralStatus
from saihan_fhir import codes as c
from saihan_fhir._read import Reader

__all__ = [
    "WITHHELD_REASON",
    "FhirReferralExporter",
    "FhirReferralImporter",
    "ReadReferral",
    "read_referral_bundle",
    "referral_bundle",
]

WITHHELD_REASON = "reason withheld by the sender"
"""``Task.statusReason.text`` when the worker's words were not asked for."""

_EXTRA_KEYS = {
    "Task": {
        "resourceType", "id", "meta", "identifier", "status", "statusReason", "businessStatus",
        "intent", "code", "focus", "for", "authoredOn", "lastModified", "requester", "owner",
        "note",
    },
    "ServiceRequest": {
        "resourceType", "id", "meta", "identifier", "status", "intent", "category", "code",
        "subject", "authoredOn", "requester", "performer", "supportingInfo", "basedOn",
        "extension",
    },
    "Provenance": {"resourceType", "id", "target", "recorded", "agent", "activity"},
    "Consent": {
        "resourceType", "id", "meta", "identifier", "status", "scope", "category", "patient",
        "dateTime", "organization", "sourceReference", "policyRule", "provision", "extension",
    },
}  # fmt: skip


def _instant(moment: dt.datetime) -> str:
    """``moment`` as a FHIR instant (offsets FHIR cannot write become UTC)."""
    offset = moment.utcoffset()
    assert offset is not None
    seconds = offset.total_seconds()
    if seconds % 60 or abs(seconds) > 14 * 3600 or offset.microseconds:
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat()


def _reference(kind: str, system: str, value: str) -> dict[str, Any]:
    return {"reference": f"{kind}/{c.fhir_id(value)}", "identifier": c.identifier(system, value)}


def _logical(kind: str, system: str, value: str) -> dict[str, Any]:
    """A reference by identifier only: no resource for the reader to fetch."""
    return {"type": kind, "identifier": c.identifier(system, value)}


def _patient(referral: Referral) -> dict[str, Any]:
    return _logical("Patient", c.CASE, referral.case_id)


def _requester(referral: Referral, requester: str | None) -> dict[str, Any]:
    if requester is not None:
        return _reference("Organization", c.ORGANISATION, requester)
    return _logical("PractitionerRole", c.ACTOR, referral.history[0].actor)


def _owner(referral: Referral) -> dict[str, Any]:
    return _reference("Organization", c.AGENCY, referral.agency_id)


def _service_request_status(status: ReferralStatus) -> str:
    """ServiceRequest.status (the requester's view of the order) from saihan's."""
    S = ReferralStatus
    if status is S.DRAFT:
        return "draft"
    if status is S.COMPLETED:
        return "completed"
    if status is S.ON_HOLD:
        return "on-hold"
    if status is S.ENTERED_IN_ERROR:
        return "entered-in-error"
    if status in (S.REJECTED, S.CANCELLED, S.FAILED):
        return "revoked"
    return "active"


def _consent_resource(
    referral: Referral, consent: Consent, index: int | None, custodian: str | None
) -> dict[str, Any]:
    key = f"{referral.case_id}#consents[{'' if index is None else index}]"
    status = "inactive" if consent.withdrawn_on is not None else "active"
    period: dict[str, str] = {"start": consent.given_on.isoformat()}
    if consent.until is not None:
        period["end"] = consent.until.isoformat()
    provision: dict[str, Any] = {
        "type": "deny" if consent.decision is ConsentDecision.REFUSED else "permit",
        "period": period,
    }
    actors = [
        {
            "role": {"coding": [c.coding(c.PARTICIPATION, "IRCP", "information recipient")]},
            "reference": _reference("Organization", c.AGENCY, agency),
        }
        for agency in sorted(consent.agency_ids)
    ]
    if actors:
        provision["actor"] = actors
    if consent.agency_kinds:
        provision["extension"] = [
            {"url": c.EXT_CONSENT_KINDS, "valueCode": kind} for kind in sorted(consent.agency_kinds)
        ]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": c.fhir_id(f"{referral.id}.consent"),
        "meta": {"profile": [c.PROFILE_CONSENT]},
        "identifier": [c.identifier(c.CONSENT, key)],
        "status": status,
        "scope": {"coding": [c.coding(c.CONSENT_SCOPE, "patient-privacy", "Privacy Consent")]},
        "category": [{"coding": [c.coding(c.ACT_CODE, "IDSCL", "information disclosure")]}],
        "patient": _patient(referral),
        "dateTime": consent.given_on.isoformat(),
        "sourceReference": _logical("Consent", c.CONSENT, key),
        "policyRule": {"coding": [c.coding(c.ACT_CODE, "OPTIN", "opt-in")]},
        "provision": provision,
    }
    if custodian is not None:
        resource["organization"] = [_reference("Organization", c.ORGANISATION, custodian)]
    if consent.withdrawn_on is not None:
        resource["extension"] = [
            {"url": c.EXT_WITHDRAWN_ON, "valueDate": consent.withdrawn_on.isoformat()}
        ]
    return resource


def _service_request(
    referral: Referral, requester: dict[str, Any], consent_url: str | None
) -> dict[str, Any]:
    if referral.need is not None:
        code: dict[str, Any] = {"coding": [c.coding(c.NEED, referral.need)], "text": referral.need}
    else:
        code = {"text": "support (no need named)"}
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": c.fhir_id(referral.id),
        "meta": {"profile": [c.PROFILE_SERVICE_REQUEST]},
        "identifier": [c.identifier(c.REFERRAL, referral.id)],
        "status": _service_request_status(referral.status),
        "intent": "order",
        "category": [
            {"coding": [c.coding(c.SDOHCC_CODES, "incarceration-status", "Incarceration Status")]}
        ],
        "code": code,
        "subject": _patient(referral),
        "authoredOn": _instant(referral.created_at),
        "requester": requester,
        "performer": [_reference("HealthcareService", c.SERVICE, referral.service_id)],
        "extension": [{"url": c.EXT_AGENCY_KIND, "valueCode": referral.agency_kind}],
    }
    if referral.referred_by is not None:
        resource["extension"].append(
            {
                "url": c.EXT_REFERRED_BY,
                "valueReference": _reference("HealthcareService", c.SERVICE, referral.referred_by),
            }
        )
    if referral.plan_id is not None:
        resource["basedOn"] = [_logical("CarePlan", c.PLAN, referral.plan_id)]
    if consent_url is not None:
        resource["supportingInfo"] = [{"reference": consent_url}]
    return resource


def _task_version(
    referral: Referral,
    index: int,
    focus: str,
    requester: dict[str, Any],
    include_reasons: bool,
) -> dict[str, Any]:
    event = referral.history[index]
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": c.fhir_id(referral.id),
        "meta": {
            "versionId": str(index + 1),
            "lastUpdated": _instant(event.at),
            "profile": [c.PROFILE_TASK],
        },
        "identifier": [c.identifier(c.REFERRAL, referral.id)],
        "status": c.to_task_status(event.status),
    }
    if event.reason is not None:
        if include_reasons:
            task["statusReason"] = {"text": event.reason}
        else:
            task["statusReason"] = {
                "coding": [c.coding(c.REASON, "withheld", "withheld")],
                "text": WITHHELD_REASON,
            }
    task.update(
        {
            "businessStatus": {"coding": [c.coding(c.EVENT_KIND, event.kind.value)]},
            "intent": "order",
            "code": {"coding": [c.coding(c.TASK_CODE, "fulfill", "Fulfill the focal request")]},
            "focus": {"reference": focus},
            "for": _patient(referral),
            "authoredOn": _instant(referral.created_at),
            "lastModified": _instant(event.at),
            "requester": requester,
            "owner": _owner(referral),
        }
    )
    if include_reasons and event.outcome is not None:
        task["note"] = [{"text": event.outcome, "time": _instant(event.at)}]
    return task


def _provenance(referral: Referral, index: int, requester: dict[str, Any]) -> dict[str, Any]:
    event = referral.history[index]
    if event.kind is EventKind.FOLLOW_UP:
        party = c.Party.REQUESTER  # the referring desk follows its referrals up
    else:
        party = c.exporting_party(event.status)
    side = requester if party is c.Party.REQUESTER else _owner(referral)
    return {
        "resourceType": "Provenance",
        "id": c.fhir_id(f"{referral.id}.{index + 1}"),
        "target": [{"reference": f"Task/{c.fhir_id(referral.id)}/_history/{index + 1}"}],
        "recorded": _instant(event.at),
        "activity": {"coding": [c.coding(c.DATA_OPERATION, "CREATE" if index == 0 else "UPDATE")]},
        "agent": [
            {
                "who": _logical("Practitioner", c.ACTOR, event.actor),
                "onBehalfOf": side,
            }
        ],
    }


def referral_bundle(
    referral: Referral,
    *,
    include_reasons: bool = False,
    consent: Consent | None = None,
    consent_index: int | None = None,
    requester: str | None = None,
    custodian: str | None = None,
) -> dict[str, Any]:
    """The FHIR R4 ``collection`` Bundle of ``referral`` (plain JSON data).

    ``include_reasons`` puts the worker's words (reasons, outcomes) in;
    ``consent`` (with its position ``consent_index`` in the case) adds a
    ``Consent``; ``requester`` names the referring organisation (default: the
    worker who made the referral, as a PractitionerRole by identifier);
    ``custodian`` is the organisation holding the consent (``Consent.organization``).
    """
    if not isinstance(referral, Referral):
        raise ValidationError(f"expected a Referral, got {type(referral).__name__}", path="")
    who = _requester(referral, requester)
    focus = c.urn_uuid("ServiceRequest", referral.id)
    entries: list[dict[str, Any]] = []
    consent_url = None
    if consent is not None:
        consent_url = c.urn_uuid("Consent", referral.id)
    entries.append({"fullUrl": focus, "resource": _service_request(referral, who, consent_url)})
    if consent is not None and consent_url is not None:
        resource = _consent_resource(referral, consent, consent_index, custodian)
        entries.append({"fullUrl": consent_url, "resource": resource})
    task_url = c.urn_uuid("Task", referral.id)
    for index in range(len(referral.history)):
        task = _task_version(referral, index, focus, who, include_reasons)
        entries.append({"fullUrl": task_url, "resource": task})
        entries.append(
            {
                "fullUrl": c.urn_uuid("Provenance", f"{referral.id}/{index + 1}"),
                "resource": _provenance(referral, index, who),
            }
        )
    return {
        "resourceType": "Bundle",
        "id": c.fhir_id(referral.id),
        "identifier": c.identifier(c.REFERRAL, referral.id),
        "type": "collection",
        "timestamp": _instant(referral.updated_at),
        "entry": entries,
    }


# -- reading ------------------------------------------------------------------------------


@attrs.frozen
class ReadReferral:
    """What a referral bundle held: the referral, its consent if sent, and the report."""

    referral: Referral
    consent: Consent | None
    report: ImportReport

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        pass  # the fields' types are all there is to check


_HISTORY_PATH = re.compile(r"^history\[(\d+)\](.*)$")


def _fail(path: str, message: str) -> ValidationError:
    return ValidationError([ErrorItem(path, message)])


def _same(a: Reader | None, b: dict[str, Any] | None) -> bool:
    return a is not None and b is not None and a.value == b


def _read_consent(reader: Reader) -> Consent:
    provision = reader.child("provision")
    if provision is None:
        raise _fail(reader.at("provision"), "is required: saihan reads who the consent covers")
    period = provision.child("period")
    given = period.day("start") if period is not None else reader.day("dateTime")
    assert given is not None
    until = period.day("end", required=False) if period is not None else None
    agencies = set()
    for actor in provision.items("actor"):
        ref = actor.child("reference")
        value = ref.identifier_value("identifier", c.AGENCY) if ref is not None else None
        if value is None:
            raise _fail(actor.at("reference"), f"name the agency by an identifier of {c.AGENCY}")
        agencies.add(value)
    kinds = {
        item.need("valueCode", str)
        for item in provision.items("extension")
        if isinstance(item.value, dict) and item.value.get("url") == c.EXT_CONSENT_KINDS
    }
    withdrawn = None
    for item in reader.items("extension"):
        if isinstance(item.value, dict) and item.value.get("url") == c.EXT_WITHDRAWN_ON:
            withdrawn = item.day("valueDate")
    refused = provision.get("type", str, required=False) == "deny"
    try:
        return Consent(
            given_on=given,
            until=until,
            agency_ids=frozenset(agencies),
            agency_kinds=frozenset(kinds),
            withdrawn_on=withdrawn,
            decision=ConsentDecision.REFUSED if refused else ConsentDecision.GIVEN,
        )
    except ValidationError as error:
        raise error.under(reader.path) from None


def _not_carried(kind: str, reader: Reader) -> list[str]:
    known = _EXTRA_KEYS.get(kind, set())
    if not isinstance(reader.value, dict):
        return []
    return [reader.at(key) for key in sorted(reader.value) if key not in known]


def read_referral_bundle(document: Any) -> ReadReferral:
    """Read a referral bundle (parsed JSON) back into a saihan :class:`Referral`.

    Raises :class:`~saihan.errors.ValidationError` naming the bundle path of
    the first bad field: a missing Task or ServiceRequest, a ``Task.status``
    outside the IG's value set, ``intent`` other than ``order``, ``code`` other
    than ``fulfill``, versions without their ``Provenance``, and any status set
    by a side the IG does not allow (``entry[i].resource.status``), or a
    history saihan's transition table refuses.
    """
    root = Reader(document, "")
    if root.get("resourceType", str) != "Bundle":
        raise _fail("resourceType", "expected a FHIR Bundle")
    if root.get("type", str) != "collection":
        raise _fail("type", "expected a collection Bundle (saihan's referral bundle)")
    tasks: list[tuple[int, Reader]] = []
    requests: list[Reader] = []
    consents: list[Reader] = []
    provenance: dict[str, Reader] = {}
    not_carried: list[str] = []
    for entry in root.items("entry", required=True):
        resource = Reader(entry.need("resource", dict), entry.at("resource"))
        kind = resource.need("resourceType", str)
        if kind == "Task":
            version = resource.child("meta")
            text = version.get("versionId", str) if version is not None else None
            if text is None or not text.isdigit():
                raise _fail(resource.at("meta.versionId"), "give each Task version its number")
            tasks.append((int(text), resource))
        elif kind == "ServiceRequest":
            requests.append(resource)
        elif kind == "Consent":
            consents.append(resource)
        elif kind == "Provenance":
            for target in resource.items("target", required=True):
                provenance[target.need("reference", str)] = resource
        else:
            not_carried.append(f"{resource.path} ({kind})")
            continue
        not_carried += _not_carried(kind, resource)
    if not tasks:
        raise _fail("entry", "the bundle has no Task")
    if len(requests) != 1:
        raise _fail("entry", f"expected one ServiceRequest, found {len(requests)}")
    if len(consents) > 1:
        raise _fail("entry", f"expected at most one Consent, found {len(consents)}")
    tasks.sort(key=lambda pair: pair[0])
    numbers = [number for number, _ in tasks]
    if numbers != list(range(1, len(tasks) + 1)):
        raise _fail(
            tasks[0][1].at("meta.versionId"),
            f"Task versions must be 1..{len(tasks)}, each once; found {numbers}",
        )
    request = requests[0]
    last = tasks[-1][1]
    referral_id = last.identifier_value("identifier", c.REFERRAL)
    if referral_id is None:
        raise _fail(last.at("identifier"), f"name the referral by an identifier of {c.REFERRAL}")
    patient = last.child("for")
    case_id = patient.identifier_value("identifier", c.CASE) if patient is not None else None
    if case_id is None:
        raise _fail(last.at("for"), f"name the case by an identifier of {c.CASE}")
    owner_reader = last.child("owner")
    agency_id = (
        owner_reader.identifier_value("identifier", c.AGENCY) if owner_reader is not None else None
    )
    if agency_id is None:
        raise _fail(last.at("owner"), f"name the performing agency by an identifier of {c.AGENCY}")
    performers = request.items("performer", required=True)
    service_id = performers[0].identifier_value("identifier", c.SERVICE) if performers else None
    if service_id is None:
        raise _fail(request.at("performer[0]"), f"name the service by an identifier of {c.SERVICE}")
    agency_kind = referred_by = None
    for item in request.items("extension"):
        if not isinstance(item.value, dict):
            continue
        if item.value.get("url") == c.EXT_AGENCY_KIND:
            agency_kind = item.get("valueCode", str)
        elif item.value.get("url") == c.EXT_REFERRED_BY:
            ref = item.child("valueReference")
            referred_by = ref.identifier_value("identifier", c.SERVICE) if ref else None
    if agency_kind is None:
        raise _fail(request.at("extension"), f"give the agency's kind ({c.EXT_AGENCY_KIND})")
    need = request.code_of("code", c.NEED)
    plan_id = None
    for based in request.items("basedOn"):
        plan_id = plan_id or based.identifier_value("identifier", c.PLAN)

    events: list[ReferralEvent] = []
    paths: list[str] = []
    previous: ReferralStatus | None = None
    for number, task in tasks:
        if task.get("intent", str) != "order":
            raise _fail(task.at("intent"), "the SDOHCC referral Task's intent is 'order'")
        if task.code_of("code", c.TASK_CODE) != "fulfill":
            raise _fail(
                task.at("code"), f"the SDOHCC referral Task's code is {c.TASK_CODE}#fulfill"
            )
        if task.identifier_value("identifier", c.REFERRAL) != referral_id:
            raise _fail(task.at("identifier"), f"every Task version must be of {referral_id!r}")
        status = c.from_task_status(task.get("status", str), task.at("status"))
        kind_code = task.code_of("businessStatus", c.EVENT_KIND)
        if kind_code is None:
            kind = EventKind.TRANSITION if status is not previous else EventKind.FOLLOW_UP
        elif kind_code in (EventKind.TRANSITION.value, EventKind.FOLLOW_UP.value):
            kind = EventKind(kind_code)
        else:
            raise _fail(task.at("businessStatus"), f"{kind_code!r} is not a saihan event kind")
        version_url = f"Task/{task.get('id', str)}/_history/{number}"
        made = provenance.get(version_url)
        if made is None:
            raise _fail(task.path, f"no Provenance names {version_url}: who made this version?")
        agents = made.items("agent", required=True)
        who = agents[0].child("who") if agents else None
        actor = who.identifier_value("identifier", c.ACTOR) if who is not None else None
        if actor is None:
            raise _fail(made.at("agent[0].who"), f"name the worker by an identifier of {c.ACTOR}")
        side = agents[0].child("onBehalfOf")
        if _same(side, task.get("requester", dict)):
            party = c.Party.REQUESTER
        elif _same(side, task.get("owner", dict, required=False)):
            party = c.Party.PERFORMER
        else:
            raise _fail(
                made.at("agent[0].onBehalfOf"),
                "must be the Task's requester or its owner: saihan checks who set the status",
            )
        if kind is EventKind.TRANSITION and party not in c.SET_BY[status]:
            allowed = " or ".join(sorted(p.value for p in c.SET_BY[status]))
            raise _fail(
                task.at("status"),
                f"Task.status {status.value!r} may be set only by the {allowed} (SDOHCC Task "
                f"For Referral Management); version {number} was made on behalf of the "
                f"{party.value}",
            )
        reason_reader = task.child("statusReason")
        reason = reason_reader.get("text", str) if reason_reader is not None else None
        notes = task.items("note")
        outcome = notes[0].get("text", str) if notes else None
        at = task.moment("lastModified", required=False) or made.moment("recorded")
        assert at is not None
        try:
            events.append(
                ReferralEvent(
                    at=at,
                    actor=actor,
                    status=status,
                    previous=previous,
                    kind=kind,
                    reason=reason,
                    outcome=outcome,
                )
            )
        except ValidationError as error:
            raise error.under(task.path) from None
        paths.append(task.path)
        previous = status
    try:
        referral = Referral(
            id=referral_id,
            case_id=case_id,
            service_id=service_id,
            agency_id=agency_id,
            agency_kind=agency_kind,
            history=tuple(events),
            need=need,
            referred_by=referred_by,
            plan_id=plan_id,
        )
    except ValidationError as error:
        raise _repath(error, paths) from None
    consent = _read_consent(consents[0]) if consents else None
    report = ImportReport(
        format="fhir-referral",
        loaded={"referral": 1, "task-version": len(tasks), "consent": len(consents)},
        not_carried=tuple(not_carried),
    )
    return ReadReferral(referral, consent, report)


def _repath(error: ValidationError, paths: list[str]) -> ValidationError:
    """The Referral's ``history[i].x`` paths as the bundle's ``entry[k].resource.x``."""
    items = []
    for item in error.errors:
        found = _HISTORY_PATH.match(item.path)
        if found and int(found.group(1)) < len(paths):
            items.append(ErrorItem(paths[int(found.group(1))] + found.group(2), item.message))
        else:
            items.append(item)
    return ValidationError(items)


class FhirReferralExporter:
    """Writes a :class:`Referral` as a FHIR R4 Bundle (SDOH Clinical Care IG pattern).

    Options: ``include_reasons`` (bool, default False: the worker's words are
    withheld), ``consent`` (a :class:`~saihan.referral.case.Consent`) with
    ``consent_index`` (int), ``requester`` and ``custodian`` (organisation ids),
    ``indent`` (int, default 2).  This writes only what it is given: reading the
    referral and the case from a store (audited) is :func:`saihan_fhir.export_referral`.
    """

    name = "fhir-referral"
    media_type = "application/fhir+json"
    suffix = ".json"
    exports: type = Referral

    def export(self, referral: Referral, /, **options: Any) -> bytes:
        given = {key: value for key, value in options.items() if value is not None}
        check_options(
            self.name,
            given,
            {
                "include_reasons": bool,
                "consent": Consent,
                "consent_index": int,
                "requester": str,
                "custodian": str,
                "indent": int,
            },
        )
        indent = given.pop("indent", 2)
        document = referral_bundle(referral, **given)
        text = json.dumps(document, ensure_ascii=False, indent=indent or None)
        return (text + "\n").encode("utf-8")

    def export_stored(self, store: Any, referral_id: str, /, **options: Any) -> bytes:
        """The stored referral, read as the store's principal (audited); options
        ``include_reasons``, ``include_consent`` (bool) and ``indent``.  See
        :func:`saihan_fhir.export_referral`."""
        from saihan_fhir.store_io import export_referral

        check_options(
            self.name, options, {"include_reasons": bool, "include_consent": bool, "indent": int}
        )
        return export_referral(store, referral_id, **options)


class FhirReferralImporter:
    """Reads a referral bundle written by :class:`FhirReferralExporter` (or a
    partner system following the same pattern) into a :class:`Referral`.

    The IG's rule on who may set which Task status is enforced on every
    version.  ``load_with_report`` reports what saihan did not carry.  Option:
    ``limits`` (a :class:`~saihan.limits.Limits`).  Writing the referral into a
    store (audited) is :func:`saihan_fhir.import_referral`.
    """

    name = "fhir-referral"
    media_type = "application/fhir+json"
    suffix = ".json"
    imports: type = Referral

    def read(self, data: bytes, /, **options: Any) -> ReadReferral:
        check_options(self.name, options, {"limits": Limits})
        limits = options.get("limits", DEFAULT_LIMITS)
        document = parse_json(data, limits=limits, what="FHIR Bundle")
        return read_referral_bundle(document)

    def load(self, data: bytes, /, **options: Any) -> Referral:
        return self.read(data, **options).referral

    def load_with_report(
        self, data: bytes, *, lenient: bool = False, **options: Any
    ) -> ImportResult[Referral]:
        if lenient:
            raise ValidationError(
                "a referral is one record: the fhir-referral importer is strict only",
                path="lenient",
            )
        found = self.read(data, **options)
        return ImportResult(found.referral, found.report)

    def import_stored(self, store: Any, data: bytes, /, **options: Any) -> Any:
        """Write the bundle's referral into ``store`` as its principal (audited, one
        transaction); returns the stored :class:`~saihan.storage.Versioned` referral.
        See :func:`saihan_fhir.import_referral`."""
        from saihan_fhir.store_io import import_referral

        check_options(self.name, options, {"limits": Limits})
        return import_referral(store, data, **options)[0]
