"""Register saihan's strategies for ``st.from_type``: Hypothesis calls the hook below.

``pyproject.toml`` names :func:`_hypothesis_setup_hook` under the
``hypothesis`` entry-point group; Hypothesis loads every such entry point
when it is imported and calls it.  This module imports nothing from
Hypothesis (nor from :mod:`saihan.testing`, which needs it) until the hook
runs, so that importing it never fails where Hypothesis is not installed,
and the strategies themselves are only built when a test first asks for
them (:func:`hypothesis.strategies.deferred`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["registrations"]


class _Lazy:
    """``module.name()``, the module imported on first call (after Hypothesis is ready)."""

    def __init__(self, module: str) -> None:
        self.module = module

    def __getattr__(self, name: str) -> Callable[[], Any]:
        module = self.module
        return lambda: getattr(importlib.import_module(module), name)()


def registrations() -> dict[type, Callable[[], Any]]:
    """Each model class, with a function building its strategy."""
    from saihan import directory, outreach, referral, schedule

    base = _Lazy("saihan.testing.strategies")
    calendar = _Lazy("saihan.testing.calendar_strategies")
    ref = _Lazy("saihan.testing.referral_strategies")
    life = _Lazy("saihan.testing.lifecycle_strategies")
    out = _Lazy("saihan.testing.outreach_strategies")
    return {
        directory.LocalizedText: base.localized_texts,
        directory.Address: base.addresses,
        directory.GeoPoint: base.geo_points,
        directory.Location: base.locations,
        directory.ContactPoint: base.contact_points,
        directory.ServiceArea: base.service_areas,
        directory.Eligibility: base.eligibilities,
        directory.Service: base.services,
        directory.Agency: base.agencies,
        directory.Need: base.extension_needs,
        directory.AgencyKind: base.agency_kinds,
        directory.DirectoryMeta: base.directory_metas,
        directory.Directory: base.directories,
        schedule.WeeklyHours: calendar.weekly_hours,
        schedule.AnnualClosure: calendar.annual_closures,
        schedule.Closure: calendar.calendar_closures,
        schedule.SpecialOpening: calendar.special_openings,
        schedule.Holiday: calendar.own_holidays,
        schedule.BusinessCalendar: calendar.calendars,
        referral.AgeRange: ref.age_ranges,
        referral.Subject: ref.subjects,
        referral.RaisedNeed: ref.raised_needs,
        referral.Consent: ref.consents,
        referral.RelativeSituation: ref.relative_situations,
        referral.ConsultationCase: ref.cases,
        referral.Source: ref.sources,
        referral.Rule: ref.rules,
        referral.RuleSet: ref.rule_sets,
        referral.Condition: ref.conditions,
        referral.ReferralPlan: ref.plans,
        referral.NeedPlan: ref.need_plans,
        referral.Recommendation: ref.recommendations,
        referral.Reason: ref.reasons,
        referral.Fact: ref.facts,
        referral.Exclusion: ref.exclusions,
        referral.MissingRequirement: ref.missing_requirements,
        referral.Flow: _Lazy("saihan.testing.flow_strategies").flows,
        referral.GapReport: _Lazy("saihan.testing.gap_strategies").gap_reports,
        referral.GapRow: _Lazy("saihan.testing.gap_strategies").gap_rows,
        referral.Referral: life.referrals,
        referral.ReferralEvent: life.referral_events,
        referral.AuditEvent: life.audit_events,
        referral.FollowUpPolicy: life.followup_policies,
        referral.FollowUpRule: life.followup_rules,
        outreach.Event: out.events,
        outreach.Material: out.materials,
        outreach.Registration: out.registrations,
        outreach.Subscriber: out.subscribers,
        outreach.NewsletterIssue: out.newsletter_issues,
        outreach.ServiceSnapshot: out.service_snapshots,
    }


def _hypothesis_setup_hook() -> None:
    """Register a strategy for every saihan model with ``st.register_type_strategy``."""
    from hypothesis import strategies as st

    for model, build in registrations().items():
        st.register_type_strategy(model, st.deferred(build))
