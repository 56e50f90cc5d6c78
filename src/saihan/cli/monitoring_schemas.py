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
