"""Plan monitoring: a synthetic caseload, case examples shared without personal data,
and the plan's figures by fiscal year.

- :func:`seed_caseload` (``saihan demo seed``): a year of made-up cases, plans, consents
  and referral histories, through the public casework API;
- :func:`share_cases` (``saihan cases share``): cases with their referrals' paths and
  outcomes, generalised and suppressed so that every combination of quasi-identifiers
  is shared by at least *k* cases; :func:`review_summary` (``saihan cases review``)
  marks a summary as edited for sharing;
- :func:`plan_report` (``saihan report``): consultations, referrals, outcomes, time to
  acceptance in business days and unmet needs, with small counts suppressed.

See ``docs/monitoring.md``.
"""

from saihan.monitoring.reasons import OTHER, REASON_CODES, reason_code
from saihan.monitoring.regions import Region, region_of
from saihan.monitoring.render import figure_svg, report_html
from saihan.monitoring.report import (
    FIGURES,
    PLAN_PERIOD,
    Cell,
    Figure,
    GapCell,
    PlanReport,
    Statistic,
    acceptance_days,
    era_name,
    percentile,
    plan_report,
)
from saihan.monitoring.review import review_summary, summary_problems
from saihan.monitoring.seed import MAX_CASES, SeedSummary, case_id_for, seed_caseload
from saihan.monitoring.share import (
    ANY,
    LEVELS,
    QUASI_IDENTIFIERS,
    SharedCases,
    SharedReferral,
    SharedRow,
    ShareReport,
    anonymise,
    generalised,
    share_cases,
)
from saihan.monitoring.suppression import SUPPRESSION_RULE, SUPPRESSION_RULE_JA, suppress

__all__ = [
    "ANY",
    "FIGURES",
    "LEVELS",
    "MAX_CASES",
    "OTHER",
    "PLAN_PERIOD",
    "QUASI_IDENTIFIERS",
    "REASON_CODES",
    "SUPPRESSION_RULE",
    "SUPPRESSION_RULE_JA",
    "Cell",
    "Figure",
    "GapCell",
    "PlanReport",
    "Region",
    "SeedSummary",
    "ShareReport",
    "SharedCases",
    "SharedReferral",
    "SharedRow",
    "Statistic",
    "acceptance_days",
    "anonymise",
    "case_id_for",
    "era_name",
    "figure_svg",
    "generalised",
    "percentile",
    "plan_report",
    "reason_code",
    "region_of",
    "report_html",
    "review_summary",
    "seed_caseload",
    "share_cases",
    "summary_problems",
    "suppress",
]
