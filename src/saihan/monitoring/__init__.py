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

__all__ = [
    "ANY",
    "LEVELS",
    "MAX_CASES",
    "OTHER",
    "QUASI_IDENTIFIERS",
    "REASON_CODES",
    "Region",
    "SeedSummary",
    "ShareReport",
    "SharedCases",
    "SharedReferral",
    "SharedRow",
    "anonymise",
    "case_id_for",
    "generalised",
    "reason_code",
    "region_of",
    "review_summary",
    "seed_caseload",
    "share_cases",
    "summary_problems",
]
