"""Validation of saihan's FHIR output with an independent reader: ``fhir.resources``.

fhir.resources 8.x models FHIR R4B (4.3.0), the R4 line's release, as
``fhir.resources.R4B`` (pydantic 2): every element's name, type and cardinality,
and required elements.  It does not check code values against bindings, so the
SDOH Clinical Care IG's value sets and fixed values are checked here as well.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from saihan_fhir import IG_STATUSES

__all__ = ["fhir_problems", "validate_bundle"]

TASK_STATUS = {*IG_STATUSES, "ready", "received"}


def validate_bundle(bundle: dict[str, Any]) -> list[str]:
    """Validate the Bundle and each of its resources; returns their resource types.

    Raises pydantic's ValidationError on anything fhir.resources refuses, and
    AssertionError on a code outside the IG's value sets."""
    Bundle.model_validate(bundle)
    kinds = []
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        kind = resource["resourceType"]
        get_fhir_model_class(kind).model_validate(resource)
        assert not fhir_problems(resource), fhir_problems(resource)
        kinds.append(kind)
    return kinds


def fhir_problems(resource: dict[str, Any]) -> list[str]:
    """Bindings and fixed values fhir.resources does not check."""
    problems = []
    kind = resource["resourceType"]
    if kind == "Task":
        if resource["status"] not in IG_STATUSES:
            problems.append(f"Task.status {resource['status']!r} outside the IG's value set")
        if resource["intent"] != "order":
            problems.append("Task.intent is fixed to order")
        codes = [(c["system"], c["code"]) for c in resource["code"]["coding"]]
        if ("http://hl7.org/fhir/CodeSystem/task-code", "fulfill") not in codes:
            problems.append("Task.code is fixed to task-code#fulfill")
        for name in ("focus", "for", "authoredOn", "requester"):
            if name not in resource:
                problems.append(f"Task.{name} is required by the IG")
        if "statusReason" in resource and not resource["statusReason"].get("text"):
            problems.append("Task.statusReason.text is required by the IG")
    elif kind == "ServiceRequest":
        if not resource.get("category"):
            problems.append("ServiceRequest.category (an SDOH category) is required by the IG")
    elif kind == "Consent":
        for name in ("patient", "dateTime", "sourceReference"):
            if name not in resource:
                problems.append(f"Consent.{name} is required by the IG")
        scope = resource["scope"]["coding"][0]["code"]
        if scope != "patient-privacy":
            problems.append("Consent.scope is patient-privacy here")
    elif kind == "HealthcareService":
        for item in resource.get("notAvailable", []):
            if not item.get("description"):
                problems.append("HealthcareService.notAvailable.description is required")
    return problems
