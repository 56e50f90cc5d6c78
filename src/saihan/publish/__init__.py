"""Publications made from the directory: the portal site and the guidebook.

:func:`publication_view` makes the :class:`PublicationView` both are rendered from, so that
they show exactly what ``match`` uses; see docs/portal.md.
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
