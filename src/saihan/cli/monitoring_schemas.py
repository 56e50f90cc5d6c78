"""The JSON Schemas of what the monitoring commands print (``saihan demo seed``,
``saihan cases share``, ``saihan cases review``, ``saihan report``), added to
:mod:`saihan.cli.output_schemas`' documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["monitoring_documents"]

_STRING: dict[str, Any] = {"type": "string"}
_INTEGER: dict[str, Any] = {"type": "integer", "minimum": 0}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_OPTIONAL_STRING: dict[str, Any] = {"type": ["string", "null"]}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def monitoring_documents(add: Callable[[str, str, Any], None]) -> None:
    """Add each monitoring command's schema through ``add(command, description, build)``."""
    add(
        "demo seed",
        "what the synthetic caseload wrote: cases, plans, referrals and their statuses",
        lambda d: _object(
            {
                "store": _STRING,
                "fiscal_year": {"type": "integer"},
                "seed": _INTEGER,
                "cases": _INTEGER,
                "plans": _INTEGER,
                "referrals": _INTEGER,
                "closed": _INTEGER,
                "consents_refused": _INTEGER,
                "consents_withdrawn": _INTEGER,
                "statuses": {"type": "object", "additionalProperties": _INTEGER},
                "directory_imported": _BOOLEAN,
            }
        ),
    )
    referral = _object(
        {
            "need": _OPTIONAL_STRING,
            "agency_kind": _STRING,
            "path": {"type": "array", "items": _STRING, "minItems": 1},
            "outcome": _STRING,
            "reason": _OPTIONAL_STRING,
        }
    )
    row = _object(
        {
            "number": {"type": "integer", "minimum": 1},
            "age_band": _STRING,
            "place": _STRING,
            "legal_situation": _STRING,
            "attributes": _STRING,
            "month": _STRING,
            "needs": {"type": "array", "items": _STRING},
            "referrals": {"type": "array", "items": referral},
            "summary": _OPTIONAL_STRING,
        }
    )
    report = _object(
        {
            "k": {"type": "integer", "minimum": 2},
            "max_suppression": {"type": "number", "minimum": 0, "maximum": 1},
            "cases": _INTEGER,
            "rows": _INTEGER,
            "suppressed": _INTEGER,
            "groups": _INTEGER,
            "smallest_group": {"type": ["integer", "null"], "minimum": 2},
            "levels": {"type": "object", "additionalProperties": _STRING},
            "summaries_shared": _INTEGER,
            "summaries_withheld": _INTEGER,
            "never_shared": {"type": "array", "items": _STRING},
        }
    )
    add(
        "cases share",
        "k-anonymous case examples: what was generalised and suppressed, and the rows",
        lambda d: _object({"report": report, "rows": {"type": "array", "items": row}}),
    )
    add(
        "cases review",
        "a case's summary marked as edited for sharing, or the mark removed",
        lambda d: _object(
            {
                "action": {"enum": ["reviewed", "cleared"]},
                "case": _STRING,
                "version": _INTEGER,
                "characters": _INTEGER,
            }
        ),
    )
    words = _object({"ja": _STRING, "en": _OPTIONAL_STRING})
    count = {"type": ["integer", "null"], "minimum": 0}
    cell = _object({"key": _STRING, "label": words, "count": count, "suppressed": _BOOLEAN})
    statistic = _object({"value": {"type": ["number", "null"]}, "suppressed": _BOOLEAN})
    figure = _object(
        {
            "id": _STRING,
            "title": words,
            "definition": words,
            "cells": {"type": "array", "items": cell},
            "total": count,
            "total_suppressed": _BOOLEAN,
            "statistics": {"type": "object", "additionalProperties": statistic},
        }
    )
    gap = _object(
        {
            "municipality": _STRING,
            "need": _STRING,
            "cases": count,
            "unmet": count,
            "poorly_met": count,
            "suppressed": _BOOLEAN,
        }
    )
    add(
        "report",
        "the plan's figures of a fiscal year, each with its definition, small counts "
        "suppressed (null, with suppressed true)",
        lambda d: _object(
            {
                "fiscal_year": {"type": "integer"},
                "era": _STRING,
                "first_day": {"type": "string", "format": "date"},
                "last_day": {"type": "string", "format": "date"},
                "as_of": _STRING,
                "municipality": _OPTIONAL_STRING,
                "k": {"type": "integer", "minimum": 1},
                "plan_period": {"const": "FY2024-FY2028"},
                "in_plan_period": _BOOLEAN,
                "suppression_rule": words,
                "figures": {"type": "array", "items": figure},
                "unmet_needs": _object(
                    {
                        "title": words,
                        "definition": words,
                        "rules": _STRING,
                        "rows": {"type": "array", "items": gap},
                    }
                ),
            }
        ),
    )
