"""JSON Schemas of what the commands print with ``--format json``.

A command whose JSON is a model's stored form (``match``: a ``ReferralPlan``, ``gaps``: a
``GapReport``) points at that model's schema; every other command's document has its
own schema here, published beside the models' in ``docs/schemas/`` as
``cli-<command>.schema.json`` (``saihan schema cli-referral-list``).  Models a document
carries (a ``Referral`` in ``referral show``, the ``Need``\\s of ``directory needs``) are
embedded from their own schemas, so the two cannot drift apart.  A test runs every
command with ``--format json`` and validates what it prints against its schema.
"""

from __future__ import annotations

import functools
from typing import Any

from saihan.serialization.schema import DRAFT, json_schema

__all__ = ["COMMAND_SCHEMAS", "output_schemas"]

# The schema (a file name in docs/schemas/, without ".schema.json") of each command's JSON.
COMMAND_SCHEMAS: dict[tuple[str, ...], str] = {
    ("match",): "ReferralPlan",
    ("gaps",): "GapReport",
    **{
        path: "cli-" + "-".join(path)
        for path in (
            ("directory", "search"),
            ("directory", "needs"),
            ("directory", "kinds"),
            ("directory", "municipalities"),
            ("calendar", "next-open"),
            ("calendar", "show"),
            ("calendar", "holidays"),
            ("rules", "check"),
            ("rules", "show"),
            ("flow", "list"),
            ("flow", "validate"),
            ("flow", "run"),
            ("store", "init"),
            ("store", "info"),
            ("store", "cases"),
            ("case", "open"),
            ("case", "close"),
            ("case", "reopen"),
            ("case", "consent"),
            ("case", "show"),
            ("referral", "create"),
            ("referral", "transition"),
            ("referral", "follow-up"),
            ("referral", "show"),
            ("referral", "list"),
            ("followups",),
            ("audit",),
            ("audit", "verify"),
            ("demo", "seed"),
            ("cases", "share"),
            ("cases", "review"),
            ("report",),
        )
    },
}

_STRING: dict[str, Any] = {"type": "string"}
_OPTIONAL_STRING: dict[str, Any] = {"type": ["string", "null"]}
_INTEGER: dict[str, Any] = {"type": "integer", "minimum": 0}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}
# ISO 8601 with its UTC offset, to the minute or finer (2024-11-05T10:30+09:00).
_ISO_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}.*([+-][0-9]{2}:[0-9]{2}|Z)$"
_MOMENT: dict[str, Any] = {"type": "string", "pattern": _ISO_MOMENT}
_OPTIONAL_MOMENT: dict[str, Any] = {"type": ["string", "null"], "pattern": _ISO_MOMENT}
_BILINGUAL: dict[str, Any] = {
    "type": "object",
    "properties": {"ja": _STRING, "en": _OPTIONAL_STRING},
    "required": ["ja"],
    "additionalProperties": False,
}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with exactly these properties, the ``required`` ones always there."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _counted(name: str, items: dict[str, Any]) -> dict[str, Any]:
    """``{"count": N, name: [...]}``, the listing most commands print."""
    return _object({"count": _INTEGER, name: _array(items)})


def _embed(
    model: type, defs: dict[str, Any], *, extra: dict[str, Any] | None = None, name: str = ""
) -> Any:
    """A ``$ref`` to ``model``'s own schema, copied with its ``$defs`` into ``defs``;
    with ``extra``, a copy of it called ``name`` that also has those properties."""
    schema = json_schema(model)
    defs.update(schema.pop("$defs", {}))
    body = {key: value for key, value in schema.items() if key not in ("$schema", "title")}
    name = name or model.__name__
    if extra:
        body = {**body, "properties": {**body["properties"], **extra}}
        body["required"] = [*body.get("required", []), *extra]
    defs[name] = body
    return {"$ref": f"#/$defs/{name}"}


def _action(what: str, **fields: dict[str, Any]) -> dict[str, Any]:
    """What a change to a case or referral printed: the action, the record, its version."""
    return _object({"action": {"const": what}, **fields, "version": _INTEGER})


def _documents() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """Schema name to (its description, its body, its ``$defs``)."""
    from saihan.directory import AgencyKind, Need, Service
    from saihan.directory.municipalities import Municipality
    from saihan.referral import ConsultationCase, Referral, Rule
    from saihan.referral.flows.model import FlowRun

    found: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}

    def add(command: str, description: str, build: Any) -> None:
        defs: dict[str, Any] = {}
        body = build(defs)
        found["cli-" + command.replace(" ", "-")] = (f"saihan {command}: {description}", body, defs)

    channel = {"type": "string"}
    add(
        "directory search",
        "the services found, each as in the directory document with its agency and channels",
        lambda defs: _counted(
            "services",
            _embed(
                Service,
                defs,
                extra={
                    "agency": _object({"id": _STRING, "name": {"type": "object"}, "kind": _STRING}),
                    "channels": _array(channel),
                },
                name="FoundService",
            ),
        ),
    )
    add("directory needs", "the need taxonomy", lambda d: _counted("needs", _embed(Need, d)))
    add("directory kinds", "the agency kinds", lambda d: _counted("kinds", _embed(AgencyKind, d)))
    add(
        "directory municipalities",
        "Tokyo's municipalities",
        lambda d: _counted("municipalities", _embed(Municipality, d)),
    )
    opening = {
        "service": _STRING,
        "name": _STRING,
        "active": _BOOLEAN,
        "status": _STRING,
        "open": _BOOLEAN,
        "at": _OPTIONAL_MOMENT,
        "next_open": _OPTIONAL_MOMENT,
        "closes": _OPTIONAL_MOMENT,
    }
    add(
        "calendar next-open",
        "open or not at --at, why, and the next opening (all null for a service not active)",
        lambda d: _object(opening, {"reason": _STRING, "message": _BILINGUAL}),
    )
    day = _object({"date": _DATE, "hours": _array({"type": "string", "pattern": "^..:..-..:..$"})})
    add(
        "calendar show",
        "the days of --month the service is open, their hours, and the national holidays",
        lambda d: _object(
            {
                "service": _STRING,
                "name": _STRING,
                "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                "active": _BOOLEAN,
                "status": _STRING,
                "days": _array(day),
                "holidays": _array(_DATE),
            }
        ),
    )
    holiday = _object({"date": _DATE, "name": _BILINGUAL})
    add(
        "calendar holidays",
        "Japan's national holidays of a year",
        lambda d: _object(
            {"year": {"type": "integer"}, "count": _INTEGER, "holidays": _array(holiday)}
        ),
    )
    failure = _object({"name": _STRING, "message": _STRING, "example": _OPTIONAL_STRING})
    add(
        "rules check",
        "the rule file's set and the properties that failed on it (exit 1 when any did)",
        lambda d: _object(
            {
                "rules_id": _STRING,
                "rules_version": _STRING,
                "rules": _INTEGER,
                "valid": {"const": True},
                "failures": _array(failure),
            }
        ),
    )
    add(
        "rules show",
        "the rules of a rule file (those in force on --on)",
        lambda d: _object({"id": _STRING, "version": _STRING, "rules": _array(_embed(Rule, d))}),
    )
    flow = _object(
        {
            "id": _STRING,
            "version": _STRING,
            "title": _BILINGUAL,
            "source": _object({"document": _STRING, "section": _OPTIONAL_STRING}),
        }
    )
    add("flow list", "the bundled support flows", lambda d: _object({"flows": _array(flow)}))
    problem = _object({"path": _STRING, "message": _STRING})
    add(
        "flow validate",
        "valid with the flow's id, version and node count, or every problem (exit 1)",
        lambda d: {
            "oneOf": [
                _object(
                    {
                        "file": _STRING,
                        "valid": {"const": True},
                        "flow": _STRING,
                        "version": _STRING,
                        "nodes": _INTEGER,
                    }
                ),
                _object({"file": _STRING, "valid": {"const": False}, "problems": _array(problem)}),
            ]
        },
    )
    add("flow run", "the path through a flow for a case", lambda d: _embed(FlowRun, d))
    add(
        "store init",
        "the store made ready",
        lambda d: _object(
            {
                "ready": {"const": True},
                "url": _STRING,
                "backend": _STRING,
                "schema_version": _INTEGER,
            }
        ),
    )
    integrity = _object({"ok": _BOOLEAN, "problems": _array(_STRING)})
    add(
        "store info",
        "the backend, schema version and record counts (and the integrity check with --check)",
        lambda d: _object(
            {
                "url": _STRING,
                "backend": _STRING,
                "schema_version": _INTEGER,
                "counts": {"type": "object", "additionalProperties": _INTEGER},
                "details": {"type": "object", "additionalProperties": _STRING},
            },
            {"integrity": integrity},
        ),
    )
    listed_case = _object({"id": _STRING, "municipality": _OPTIONAL_STRING, "received_on": _DATE})
    add(
        "store cases",
        "stored cases: id, municipality and day received, never their contents",
        lambda d: _counted("cases", listed_case),
    )
    add("case open", "the case stored", lambda d: _action("opened", case=_STRING))
    add(
        "case close",
        "the case closed",
        lambda d: _action("closed", case=_STRING, closed_at=_MOMENT),
    )
    add("case reopen", "the case opened again", lambda d: _action("reopened", case=_STRING))
    cancelled = _object({"referral": _STRING, "service": _STRING})
    add(
        "case consent",
        "the consent given, refused or withdrawn (by its index), and the referrals cancelled",
        lambda d: _object(
            {
                "action": {"enum": ["given", "refused", "withdrawn"]},
                "case": _STRING,
                "consent": _INTEGER,
                "cancelled": _array(cancelled),
            }
        ),
    )
    add(
        "case show",
        "a stored case without its sensitive fields unless --show-sensitive (see withheld)",
        lambda d: _object(
            {
                "version": _INTEGER,
                "received_on": _DATE,
                "open": _BOOLEAN,
                "consents_given": _INTEGER,
                "consents_refused": _INTEGER,
                "case": _embed(ConsultationCase, d),
                "withheld": _array(_STRING),
            }
        ),
    )
    add(
        "referral create",
        "the referral made",
        lambda d: _action("created", referral=_STRING, case=_STRING, status=_STRING),
    )
    add(
        "referral transition",
        "the referral moved from one status to another",
        lambda d: _action("moved", referral=_STRING, **{"from": _STRING}, status=_STRING),
    )
    add(
        "referral follow-up",
        "the follow-up recorded (the status stays)",
        lambda d: _action("followed-up", referral=_STRING, at=_MOMENT, status=_STRING),
    )
    add(
        "referral show",
        "a referral and its history, reasons and outcomes withheld unless --show-sensitive",
        lambda d: _object(
            {
                "version": _INTEGER,
                "status": _STRING,
                "open": _BOOLEAN,
                "referral": _embed(Referral, d),
                "withheld": _array(_STRING),
            }
        ),
    )
    listed_referral = _object(
        {
            "id": _STRING,
            "case": _STRING,
            "service": _STRING,
            "status": _STRING,
            "open": _BOOLEAN,
            "updated_at": {"anyOf": [_MOMENT, {"const": "-"}]},
        }
    )
    add(
        "referral list",
        "stored referrals: id, case, service, status",
        lambda d: _counted("referrals", listed_referral),
    )
    followup = _object(
        {
            "referral_id": _STRING,
            "case_id": _STRING,
            "service_id": _STRING,
            "status": _STRING,
            "reason": _STRING,
            "since": _DATE,
            "due_on": _DATE,
            "overdue_days": {"type": "integer"},
            "worker": _OPTIONAL_STRING,
            "municipality": _OPTIONAL_STRING,
            "description_ja": _STRING,
            "description_en": _OPTIONAL_STRING,
        }
    )
    group = {
        "type": "object",
        "properties": {"followups": _array(followup)},
        "required": ["followups"],
        "minProperties": 2,
        "maxProperties": 2,
    }
    add(
        "followups",
        "the referrals due for follow-up at --at, most overdue first (in groups with --by)",
        lambda d: _object(
            {"at": _MOMENT, "count": _INTEGER},
            {
                "followups": _array(followup),
                "by": {"enum": ["worker", "municipality"]},
                "groups": _array(group),
            },
        ),
    )
    event = _object(
        {
            "id": _STRING,
            "at": _MOMENT,
            "actor": _OPTIONAL_STRING,
            "record_kind": _STRING,
            "record_id": _STRING,
            "action": _STRING,
            "version": {"type": ["integer", "null"]},
            "changed": _array(_STRING),
            "status_from": _OPTIONAL_STRING,
            "status_to": _OPTIONAL_STRING,
        }
    )
    add("audit", "audit events: field paths, never values", lambda d: _counted("events", event))
    add(
        "audit verify",
        "whether the audit trail's hash chain holds, and the problems (exit 1 when broken)",
        lambda d: _object(
            {
                "ok": _BOOLEAN,
                "events": _INTEGER,
                "chained": _INTEGER,
                "head_digest": _OPTIONAL_STRING,
                "problems": _array(_STRING),
            }
        ),
    )
    from saihan.cli.monitoring_schemas import monitoring_documents

    monitoring_documents(add)
    return found


@functools.cache
def _built() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for name, (description, body, defs) in _documents().items():
        schema = {"$schema": DRAFT, "title": name, "description": description, **body}
        if defs:
            schema["$defs"] = dict(sorted(defs.items()))
        schemas[f"{name}.schema.json"] = schema
    return schemas


def output_schemas() -> dict[str, dict[str, Any]]:
    """File name (``cli-referral-list.schema.json``) to schema, for every command's JSON."""
    import copy

    return copy.deepcopy(_built())
