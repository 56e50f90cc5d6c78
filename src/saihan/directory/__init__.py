"""The support directory: agencies, services, locations, needs and municipalities.

Everything here is an immutable, validated value; :class:`Directory` holds a
whole dataset and answers queries over it.
"""

from saihan.directory.agency import Agency
from saihan.directory.agency_kinds import AgencyKind, default_agency_kinds
from saihan.directory.directory import Directory, DirectoryMeta
from saihan.directory.location import Address, GeoPoint, Location
from saihan.directory.merge import merge_directories
from saihan.directory.municipalities import (
    TOKYO_PREFECTURE_CODE,
    Municipality,
    MunicipalityKind,
    check_digit,
    code_problem,
    find_municipality,
    is_valid_code,
    municipality,
    municipality_code,
    near_municipalities,
    tokyo_municipalities,
)
from saihan.directory.sample import load_directory, sample_directory
from saihan.directory.service import (
    AreaKind,
    ContactPoint,
    Eligibility,
    ReleaseTiming,
    Service,
    ServiceArea,
)
from saihan.directory.taxonomy import (
    Need,
    NeedTaxonomy,
    PriorityArea,
    default_taxonomy,
    priority_areas,
)
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    ConsentDecision,
    Cost,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
    Relation,
    ServiceStatus,
)
from saihan.text import LocalizedText, normalize_for_search

__all__ = [
    "TOKYO_PREFECTURE_CODE",
    "Address",
    "Agency",
    "AgencyKind",
    "AreaKind",
    "Audience",
    "Channel",
    "ConsentDecision",
    "ContactPoint",
    "Cost",
    "Directory",
    "DirectoryMeta",
    "Eligibility",
    "GeoPoint",
    "JuvenileStage",
    "LegalSituation",
    "LocalizedText",
    "Location",
    "Municipality",
    "MunicipalityKind",
    "Need",
    "NeedTaxonomy",
    "PersonAttribute",
    "PriorityArea",
    "Relation",
    "ReleaseTiming",
    "Service",
    "ServiceArea",
    "ServiceStatus",
    "check_digit",
    "code_problem",
    "default_agency_kinds",
    "default_taxonomy",
    "find_municipality",
    "is_valid_code",
    "load_directory",
    "merge_directories",
    "municipality",
    "municipality_code",
    "near_municipalities",
    "normalize_for_search",
    "priority_areas",
    "sample_directory",
    "tokyo_municipalities",
]
