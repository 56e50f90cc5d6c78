"""Referral: consultation cases, rules as data, explainable matching, gap reports.

>>> from saihan.referral import match, load_case          # doctest: +SKIP
>>> plan = match(load_case("examples/cases/elderly-man-hachioji.json"), sample_directory())

The operations on a store (``open_case``, ``create_referral``, ``due_followups``
...) live in :mod:`saihan.casework`; their old names here still work (looked up
when first used, so that the models never import the store).

See ``docs/referral.md``.
"""

from typing import Any

from saihan.referral.audit import (
    GENESIS_DIGEST,
    AuditAction,
    AuditChainHead,
    AuditEvent,
    canonical_digest,
    event_digest,
)
from saihan.referral.case import (
    AgeRange,
    Consent,
    ConsultationCase,
    RaisedNeed,
    RelativeSituation,
    SharedSummary,
    Subject,
    Urgency,
)
from saihan.referral.conditions import (
    CASE_FIELDS,
    SERVICE_FIELDS,
    AgeTest,
    AllOf,
    AnyOf,
    Condition,
    FieldTest,
    Not,
    compile_condition,
    evaluate,
    parse_condition,
)
from saihan.referral.contacts import hours_on, public_address, public_contacts
from saihan.referral.flows import (
    Flow,
    FlowProblem,
    FlowRun,
    bundled_flow,
    bundled_flows,
    load_flow,
    run_flow,
)
from saihan.referral.followup import (
    DEFAULT_POLICY,
    OFFICE_CALENDAR,
    FollowUp,
    FollowUpPolicy,
    FollowUpReason,
    FollowUpRule,
    followup_for,
    followups_due,
)
from saihan.referral.gaps import GapReport, GapRow, gap_report
from saihan.referral.io import load_case, load_cases
from saihan.referral.lifecycle import (
    ENDED,
    NEEDS_CONSENT,
    TRANSITIONS,
    EventKind,
    Referral,
    ReferralEvent,
    ReferralStatus,
    check_consent,
    new_referral,
    record_followup,
    transition,
)
from saihan.referral.match import (
    DEFAULT_PER_NEED,
    DirectorySource,
    MatchIndex,
    candidate_needs,
    derived_attributes,
    match,
    match_needs,
    match_services,
    place_of,
    reference_match,
    release_of,
)
from saihan.referral.plan import (
    NEAR_MISS_EXAMPLES,
    TRACE_VERSION,
    Exclusion,
    Fact,
    MissingRequirement,
    NearMisses,
    NeedPlan,
    OpenInterval,
    Reason,
    Recommendation,
    RecommendationStatus,
    ReferralPlan,
    RuleChange,
    summarise_near_misses,
)
from saihan.referral.rules import (
    Effect,
    Rule,
    RuleSet,
    Source,
    default_rules,
    load_rules,
    rules_from_data,
)

__all__ = [
    "CASE_FIELDS",
    "DEFAULT_PER_NEED",
    "DEFAULT_POLICY",
    "ENDED",
    "GENESIS_DIGEST",
    "NEAR_MISS_EXAMPLES",
    "NEEDS_CONSENT",
    "OFFICE_CALENDAR",
    "SERVICE_FIELDS",
    "TRACE_VERSION",
    "TRANSITIONS",
    "AgeRange",
    "AgeTest",
    "AllOf",
    "AnyOf",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "Condition",
    "Consent",
    "ConsultationCase",
    "DirectorySource",
    "Effect",
    "EventKind",
    "Exclusion",
    "Fact",
    "FieldTest",
    "Flow",
    "FlowProblem",
    "FlowRun",
    "FollowUp",
    "FollowUpPolicy",
    "FollowUpReason",
    "FollowUpRule",
    "GapReport",
    "GapRow",
    "MatchIndex",
    "MissingRequirement",
    "NearMisses",
    "NeedPlan",
    "Not",
    "OpenInterval",
    "RaisedNeed",
    "Reason",
    "Recommendation",
    "RecommendationStatus",
    "Referral",
    "ReferralEvent",
    "ReferralPlan",
    "ReferralStatus",
    "RelativeSituation",
    "Rule",
    "RuleChange",
    "RuleSet",
    "SharedSummary",
    "Source",
    "Subject",
    "Urgency",
    "bundled_flow",
    "bundled_flows",
    "candidate_needs",
    "canonical_digest",
    "check_consent",
    "close_case",
    "compile_condition",
    "create_referral",
    "default_rules",
    "derived_attributes",
    "due_followups",
    "evaluate",
    "event_digest",
    "follow_up",
    "followup_for",
    "followups_due",
    "gap_report",
    "give_consent",
    "hours_on",
    "load_case",
    "load_cases",
    "load_flow",
    "load_rules",
    "match",
    "match_needs",
    "match_services",
    "new_referral",
    "open_case",
    "overdue_by_municipality",
    "overdue_by_worker",
    "parse_condition",
    "place_of",
    "public_address",
    "public_contacts",
    "record_followup",
    "reference_match",
    "release_of",
    "reopen_case",
    "rules_from_data",
    "run_flow",
    "summarise_near_misses",
    "transition",
    "transition_referral",
    "update_case",
    "withdraw_consent",
]

_CASEWORK = frozenset(
    {
        "close_case",
        "create_referral",
        "due_followups",
        "follow_up",
        "give_consent",
        "open_case",
        "overdue_by_municipality",
        "overdue_by_worker",
        "reopen_case",
        "transition_referral",
        "update_case",
        "withdraw_consent",
    }
)


def __getattr__(name: str) -> Any:
    """The casework names kept here for old callers, loaded on first use: the store
    imports this package, so importing saihan.casework here eagerly would be a cycle."""
    if name in _CASEWORK or name == "workflow":
        import saihan.casework
        import saihan.casework.workflow

        return saihan.casework.workflow if name == "workflow" else getattr(saihan.casework, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
