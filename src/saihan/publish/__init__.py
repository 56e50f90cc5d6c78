"""Publications made from the directory and the flows: the portal site and the guidebook.

:func:`publication_view` makes the :class:`PublicationView` the portal is rendered from,
so that it shows exactly what ``match`` uses; :func:`build_portal` writes the portal
(``saihan portal build``; docs/portal.md).

- :mod:`saihan.publish.guidebook`: 非行少年・再犯防止支援ガイドブック, a printable PDF or
  one HTML file (``saihan guidebook build``; docs/guidebook.md).
"""

from saihan.publish.portal import LANGUAGES, PortalReport, build_portal
from saihan.publish.prepare import (
    DEFAULT_WEEKS,
    MAX_WEEKS,
    Opening,
    PublicationView,
    PublishedAgency,
    PublishedArea,
    PublishedAudience,
    PublishedChannel,
    PublishedContact,
    PublishedFlow,
    PublishedFlowEdge,
    PublishedFlowStep,
    PublishedHours,
    PublishedLocation,
    PublishedMunicipality,
    PublishedNeed,
    PublishedService,
    WeeklyRow,
    publication_view,
)

__all__ = [
    "DEFAULT_WEEKS",
    "LANGUAGES",
    "MAX_WEEKS",
    "Opening",
    "PortalReport",
    "PublicationView",
    "PublishedAgency",
    "PublishedArea",
    "PublishedAudience",
    "PublishedChannel",
    "PublishedContact",
    "PublishedFlow",
    "PublishedFlowEdge",
    "PublishedFlowStep",
    "PublishedHours",
    "PublishedLocation",
    "PublishedMunicipality",
    "PublishedNeed",
    "PublishedService",
    "WeeklyRow",
    "build_portal",
    "publication_view",
]
