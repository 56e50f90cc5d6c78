"""Referral: consultation cases, rules as data, explainable matching, gap reports.

>>> from saihan.referral import match, load_case          # doctest: +SKIP
>>> plan = match(load_case("examples/cases/elderly-man-hachioji.json"), sample_directory())

See ``docs/referral.md``.
"""

from saihan.referral.case import AgeRange, Consent, ConsultationCase, RaisedNeed, Subject, Urgency
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
from saihan.referral.gaps import GapReport, GapRow, gap_report
from saihan.referral.io import load_case, load_cases
from saihan.referral.match import DEFAULT_PER_NEED, MatchIndex, match, reference_match
from saihan.referral.plan import (
    TRACE_VERSION,
    Exclusion,
    Fact,
    MissingRequirement,
    NeedPlan,
    Reason,
    Recommendation,
    RecommendationStatus,
    ReferralPlan,
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
    "SERVICE_FIELDS",
    "TRACE_VERSION",
    "AgeRange",
    "AgeTest",
    "AllOf",
    "AnyOf",
    "Condition",
    "Consent",
    "ConsultationCase",
    "Effect",
    "Exclusion",
    "Fact",
    "FieldTest",
    "GapReport",
    "GapRow",
    "MatchIndex",
    "MissingRequirement",
    "NeedPlan",
    "Not",
    "RaisedNeed",
    "Reason",
    "Recommendation",
    "RecommendationStatus",
    "ReferralPlan",
    "Rule",
    "RuleSet",
    "Source",
    "Subject",
    "Urgency",
    "compile_condition",
    "default_rules",
    "evaluate",
    "gap_report",
    "load_case",
    "load_cases",
    "load_rules",
    "match",
    "parse_condition",
    "reference_match",
    "rules_from_data",
]
