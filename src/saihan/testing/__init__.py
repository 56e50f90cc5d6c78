"""Helpers for testing code that uses saihan: Hypothesis strategies for every model.

Using this package requires `Hypothesis <https://hypothesis.readthedocs.io>`_,
which saihan itself does not depend on: install ``saihan[test]`` (or
``hypothesis``) first; its names are imported on first use, so importing the
package itself (as the entry point below does) needs nothing more.  See
:mod:`saihan.testing.strategies` and, for
business calendars, :mod:`saihan.testing.calendar_strategies`; for referral
(cases, consents, conditions, rules, plans), :mod:`saihan.testing.referral_strategies`,
and the ready-made properties of plans to check your own rules with,
:mod:`saihan.testing.referral_properties`; for referrals, their history, audit
events and follow-up policies, :mod:`saihan.testing.lifecycle_strategies`, and
the state machine that checks the referral lifecycle on your own store,
:mod:`saihan.testing.lifecycle`.  The strategies are also registered
for ``st.from_type`` (``st.from_type(ConsultationCase)``) through the
``hypothesis`` entry point.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from saihan.testing.calendar_strategies import (
        annual_closures,
        calendar_closures,
        calendars,
        own_holidays,
        special_openings,
        wall_times,
        weekly_hours,
    )
    from saihan.testing.flow_strategies import flow_actions, flows
    from saihan.testing.lifecycle import ReferralLifecycleMachine, lifecycle_machine
    from saihan.testing.lifecycle_strategies import (
        audit_events,
        followup_policies,
        followup_rules,
        referral_events,
        referrals,
    )
    from saihan.testing.outreach_strategies import (
        event_times,
        events,
        materials,
        newsletter_issues,
        outreach_urls,
        registrations,
        service_snapshots,
        subscribers,
    )
    from saihan.testing.referral_properties import (
        PROPERTIES,
        PropertyFailure,
        RuleSetProperties,
        assert_age_and_timing_respected,
        assert_consent_respected,
        assert_deterministic,
        assert_eligibility_respected,
        assert_fast_path_agrees,
        assert_monotonic,
        assert_no_unrequested_needs,
        assert_offset_invariant,
        assert_service_area_respected,
        assert_specific_before_general,
        check_rule_set,
    )
    from saihan.testing.referral_strategies import (
        age_ranges,
        cases,
        conditions,
        consents,
        exclusions,
        facts,
        missing_requirements,
        need_plans,
        plans,
        raised_needs,
        reasons,
        recommendations,
        relative_situations,
        rule_sets,
        rules,
        sources,
        subjects,
    )
    from saihan.testing.strategies import (
        PREFECTURES,
        addresses,
        agencies,
        agency_kinds,
        contact_points,
        directories,
        directory_metas,
        eligibilities,
        extension_needs,
        geo_points,
        identifiers,
        language_tags,
        localized_texts,
        locations,
        municipality_codes,
        need_codes,
        phone_numbers,
        postal_codes,
        service_areas,
        services,
        texts,
        urls,
    )

__all__ = [
    "PREFECTURES",
    "PROPERTIES",
    "PropertyFailure",
    "ReferralLifecycleMachine",
    "RuleSetProperties",
    "addresses",
    "age_ranges",
    "agencies",
    "agency_kinds",
    "annual_closures",
    "assert_age_and_timing_respected",
    "assert_consent_respected",
    "assert_deterministic",
    "assert_eligibility_respected",
    "assert_fast_path_agrees",
    "assert_monotonic",
    "assert_no_unrequested_needs",
    "assert_offset_invariant",
    "assert_service_area_respected",
    "assert_specific_before_general",
    "audit_events",
    "calendar_closures",
    "calendars",
    "cases",
    "check_rule_set",
    "conditions",
    "consents",
    "contact_points",
    "directories",
    "directory_metas",
    "eligibilities",
    "event_times",
    "events",
    "exclusions",
    "extension_needs",
    "facts",
    "flow_actions",
    "flows",
    "followup_policies",
    "followup_rules",
    "geo_points",
    "identifiers",
    "language_tags",
    "lifecycle_machine",
    "localized_texts",
    "locations",
    "materials",
    "missing_requirements",
    "municipality_codes",
    "need_codes",
    "need_plans",
    "newsletter_issues",
    "outreach_urls",
    "own_holidays",
    "phone_numbers",
    "plans",
    "postal_codes",
    "raised_needs",
    "reasons",
    "recommendations",
    "referral_events",
    "referrals",
    "registrations",
    "relative_situations",
    "rule_sets",
    "rules",
    "service_areas",
    "service_snapshots",
    "services",
    "sources",
    "special_openings",
    "subjects",
    "subscribers",
    "texts",
    "urls",
    "wall_times",
    "weekly_hours",
]


_MODULES = (
    "strategies",
    "calendar_strategies",
    "referral_strategies",
    "referral_properties",
    "flow_strategies",
    "lifecycle_strategies",
    "lifecycle",
    "outreach_strategies",
)


def __getattr__(name: str) -> object:
    """Import the strategies when one is first asked for (they need Hypothesis)."""
    if name in __all__:
        for module in _MODULES:
            loaded = importlib.import_module(f"saihan.testing.{module}")
            if name in getattr(loaded, "__all__", ()):
                value = getattr(loaded, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module 'saihan.testing' has no attribute {name!r}")
