"""The public models whose schemas are published in ``docs/schemas/``."""

from __future__ import annotations

from typing import Any

from saihan.serialization.schema import json_schema

__all__ = ["public_models", "published_schemas"]


def public_models() -> tuple[type, ...]:
    """Every model class with a published JSON Schema."""
    # Imported here: saihan.directory's loaders use this package.
    from saihan import directory, outreach, referral, schedule

    return (
        directory.LocalizedText,
        directory.Address,
        directory.GeoPoint,
        directory.Location,
        directory.ContactPoint,
        directory.ServiceArea,
        directory.Eligibility,
        directory.Service,
        directory.Agency,
        directory.Need,
        directory.AgencyKind,
        directory.DirectoryMeta,
        directory.Directory,
        schedule.WeeklyHours,
        schedule.AnnualClosure,
        schedule.Closure,
        schedule.SpecialOpening,
        schedule.Holiday,
        schedule.BusinessCalendar,
        # Referral: the documents systems exchange and store; their parts are in $defs.
        referral.Consent,
        referral.ConsultationCase,
        referral.Rule,
        referral.RuleSet,
        referral.ReferralPlan,
        referral.Flow,
        referral.GapReport,  # `saihan gaps --format json`
        # The life of a referral: stored, and exchanged with other case systems.
        referral.Referral,
        referral.AuditEvent,
        referral.FollowUpPolicy,
        # Outreach: events, registrations, subscribers and newsletter issues (docs/outreach.md).
        outreach.Event,
        outreach.Registration,
        outreach.Subscriber,
        outreach.NewsletterIssue,
    )


def published_schemas() -> dict[str, dict[str, Any]]:
    """File name (``Service.schema.json``) to schema, for every public model, and for the
    JSON each command prints (``cli-referral-list.schema.json``, see
    ``saihan.cli.output_schemas``)."""
    from saihan.cli.output_schemas import output_schemas

    models = {f"{model.__name__}.schema.json": json_schema(model) for model in public_models()}
    return {**models, **output_schemas()}
