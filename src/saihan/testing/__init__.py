"""Helpers for testing code that uses saihan: Hypothesis strategies for every model.

Importing this package requires `Hypothesis <https://hypothesis.readthedocs.io>`_,
which saihan itself does not depend on: install ``saihan[test]`` (or
``hypothesis``) first.  See :mod:`saihan.testing.strategies` and, for
business calendars, :mod:`saihan.testing.calendar_strategies`.
"""

from saihan.testing.calendar_strategies import (
    annual_closures,
    calendar_closures,
    calendars,
    own_holidays,
    special_openings,
    wall_times,
    weekly_hours,
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
    "addresses",
    "agencies",
    "agency_kinds",
    "annual_closures",
    "calendar_closures",
    "calendars",
    "contact_points",
    "directories",
    "directory_metas",
    "eligibilities",
    "extension_needs",
    "geo_points",
    "identifiers",
    "language_tags",
    "localized_texts",
    "locations",
    "municipality_codes",
    "need_codes",
    "own_holidays",
    "phone_numbers",
    "postal_codes",
    "service_areas",
    "services",
    "special_openings",
    "texts",
    "urls",
    "wall_times",
    "weekly_hours",
]
