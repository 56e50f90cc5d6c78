"""A saihan directory as one HSDS 3.1 document under the Japan profile.

The document is one page of the API's ``/organizations?full_service=true``
response (``contents``: fully nested organizations, each with its
``services``), plus the taxonomies and their terms and a ``dataset`` object
(the profile's ``/directory`` endpoint).  See ``docs/hsds.md``.
"""

from __future__ import annotations

from typing import Any

from saihan.directory import Agency, Directory, Location, Service
from saihan.directory.municipalities import find_municipality
from saihan.directory.service import AreaKind, ContactPoint, ServiceArea
from saihan.directory.vocabulary import Channel
from saihan.schedule.hsds import to_hsds_schedules
from saihan.serialization import unstructure
from saihan.text import LocalizedText
from saihan_hsds.schemas import PROFILE_URI
from saihan_hsds.vocab import TAXONOMIES, VOCABULARY_LABELS, hsds_id, taxonomy, term_id

__all__ = ["to_document"]

HSDS_VERSION = "3.1"


def put_text(record: dict[str, Any], field: str, text: LocalizedText | None) -> None:
    """``field`` = Japanese, ``field_kana`` and ``field_en`` (profile) when set."""
    if text is None:
        return
    record[field] = text.ja
    if text.kana is not None:
        record[f"{field}_kana"] = text.kana
    if text.en is not None:
        record[f"{field}_en"] = text.en


def _contact(
    contact: ContactPoint, key: str, owner: dict[str, str], agency_id: str
) -> dict[str, Any]:
    record: dict[str, Any] = {"id": hsds_id("contact", key), **owner}
    put_text(record, "name", contact.label)
    record["channel"] = contact.channel.value
    if contact.channel in (Channel.PHONE, Channel.FAX):
        record["phones"] = [
            {
                "id": hsds_id("phone", key),
                "contact_id": record["id"],
                "number": contact.value,
                "type": "voice" if contact.channel is Channel.PHONE else "fax",
            }
        ]
    elif contact.channel is Channel.EMAIL:
        record["email"] = contact.value
    elif contact.channel is Channel.WEB_FORM:
        record["url"] = contact.value
    else:
        record["location_id"] = hsds_id("location", agency_id, contact.value)
    return record


def _contacts(
    contacts: tuple[ContactPoint, ...], key: str, owner: dict[str, str], agency_id: str
) -> list[dict[str, Any]]:
    return [
        _contact(contact, f"{key}/contact/{index}", owner, agency_id)
        for index, contact in enumerate(contacts)
    ]


def _location(location: Location, agency: Agency) -> dict[str, Any]:
    location_id = hsds_id("location", agency.id, location.id)
    record: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "organization_id": hsds_id("organization", agency.id),
        "saihan_id": location.id,
    }
    put_text(record, "name", location.name)
    put_text(record, "transportation", location.access)
    if location.geo is not None:
        record["latitude"] = location.geo.lat
        record["longitude"] = location.geo.lon
    if location.confidential:
        record["confidential"] = True
    address = location.address
    found = find_municipality(address.municipality_code)
    record["addresses"] = [
        {
            "id": hsds_id("address", agency.id, location.id),
            "location_id": location_id,
            "address_1": address.street or "",
            "city": found[0].name_ja if len(found) == 1 else "",
            "state_province": address.prefecture,
            "postal_code": address.postal_code or "",
            "country": "JP",
            "address_type": "physical",
            "municipality_code": address.municipality_code,
        }
    ]
    return record


def _area(area: ServiceArea, service_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {"id": hsds_id("service_area", service_id), "service_id": service_id}
    if area.kind is AreaKind.MUNICIPALITIES:
        codes = sorted(area.municipality_codes)
        names = [found[0].name_ja for code in codes if len(found := find_municipality(code)) == 1]
        record["name"] = "・".join(names) if len(names) == len(codes) else " ".join(codes)
        record["extent_type"] = "jis_x0402"
        record["extent"] = " ".join(codes)
    elif area.kind is AreaKind.PREFECTURE:
        assert area.prefecture_code is not None  # ServiceArea checks it
        record["name"] = "東京都全域" if area.prefecture_code == "13" else area.prefecture_code
        record["extent_type"] = "jis_x0401"
        record["extent"] = area.prefecture_code
    else:
        record["name"] = "全国"
        record["extent_type"] = "iso3166_1"
        record["extent"] = "JP"
    put_text(record, "description", area.note)
    return record


def _attribute(link_id: str, entity: str, link_type: str, key: str, code: str) -> dict[str, Any]:
    return {
        "id": hsds_id("attribute", entity, link_id, link_type, code),
        "link_id": link_id,
        "link_type": link_type,
        "link_entity": entity,
        "taxonomy_term_id": term_id(key, code),
        "value": code,
    }


def _service(service: Service) -> dict[str, Any]:
    service_id = hsds_id("service", service.id)
    record: dict[str, Any] = {
        "id": service_id,
        "organization_id": hsds_id("organization", service.agency_id),
        "saihan_id": service.id,
    }
    put_text(record, "name", service.name)
    put_text(record, "description", service.description)
    if service.url is not None:
        record["url"] = service.url
    record["status"] = service.status.value
    record["accepting_referrals"] = service.accepting_referrals
    eligibility = service.eligibility
    put_text(record, "eligibility_description", eligibility.note)
    if eligibility.min_age is not None:
        record["minimum_age"] = eligibility.min_age
    if eligibility.max_age is not None:
        record["maximum_age"] = eligibility.max_age
    record["eligibility_any_required_attribute"] = eligibility.any_required_attribute
    put_text(record, "fees_description", service.cost_note)
    owner = {"service_id": service_id}
    record["contacts"] = _contacts(
        service.contacts, f"service/{service.id}", owner, service.agency_id
    )
    if service.hours is not None:
        record["hours"] = unstructure(service.hours)
        record["schedules"] = to_hsds_schedules(
            service.hours, key=f"hsds/service/{service.id}", service_id=service_id
        )
    record["service_areas"] = [_area(service.area, service_id)]
    record["service_at_locations"] = [
        {
            "id": hsds_id("service_at_location", service.id, location_id),
            "service_id": service_id,
            "location_id": hsds_id("location", service.agency_id, location_id),
        }
        for location_id in service.location_ids
    ]
    record["languages"] = [
        {"id": hsds_id("language", service.id, str(index)), "service_id": service_id, "code": tag}
        for index, tag in enumerate(service.languages)
    ]
    attributes = [
        _attribute(service_id, "service", "need", "needs", c) for c in sorted(service.needs)
    ]
    attributes += [
        _attribute(service_id, "service", "audience", "audiences", a.value)
        for a in sorted(service.audiences)
    ]
    attributes += [
        _attribute(service_id, "service", "eligibility", "legal-situations", s.value)
        for s in sorted(eligibility.legal_situations)
    ]
    attributes += [
        _attribute(service_id, "service", "eligibility_required", "person-attributes", a.value)
        for a in sorted(eligibility.required_attributes)
    ]
    attributes += [
        _attribute(service_id, "service", "eligibility_excluded", "person-attributes", a.value)
        for a in sorted(eligibility.excluded_attributes)
    ]
    attributes.append(_attribute(service_id, "service", "cost", "cost", service.cost.value))
    record["attributes"] = attributes
    return record


def _organization(agency: Agency, services: tuple[Service, ...]) -> dict[str, Any]:
    organization_id = hsds_id("organization", agency.id)
    record: dict[str, Any] = {"id": organization_id, "saihan_id": agency.id}
    put_text(record, "name", agency.name)
    put_text(record, "description", agency.description)
    record.setdefault("description", "")  # required by HSDS; "" means none
    if agency.website is not None:
        record["website"] = agency.website
    if agency.operator is not None:
        record["operator"] = agency.operator
    owner = {"organization_id": organization_id}
    record["contacts"] = _contacts(agency.contacts, f"organization/{agency.id}", owner, agency.id)
    record["locations"] = [_location(location, agency) for location in agency.locations]
    record["attributes"] = [
        _attribute(organization_id, "organization", "agency_kind", "agency-kinds", agency.kind)
    ]
    record["services"] = [_service(service) for service in services]
    return record


def _taxonomy_terms(directory: Directory) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []

    def term(key: str, code: str, label: LocalizedText, **extra: Any) -> dict[str, Any]:
        found = taxonomy(key)
        record: dict[str, Any] = {"id": term_id(key, code), "code": found.term_code(code)}
        put_text(record, "name", label)
        record["description"] = label.en or label.ja
        record["taxonomy"] = found.name
        record["taxonomy_id"] = found.id
        record.update({name: value for name, value in extra.items() if value is not None})
        terms.append(record)
        return record

    for need in directory.taxonomy:
        parent = term_id("needs", need.parent) if need.parent is not None else None
        term("needs", need.code, need.label, parent_id=parent, priority_area=need.priority_area)
    for kind in directory.kinds.values():
        term(
            "agency-kinds",
            kind.code,
            kind.name,
            operator=kind.operator,
            needs=" ".join(sorted(kind.needs)) if kind.needs else None,
            term_uri=kind.source,
        )
    for found in TAXONOMIES:
        for code in found.fixed:
            term(found.key, code, VOCABULARY_LABELS[code])
    return terms


def _dataset(directory: Directory) -> dict[str, Any]:
    meta = directory.meta
    record: dict[str, Any] = {}
    put_text(record, "name", meta.name)
    put_text(record, "description", meta.description)
    record["sample"] = meta.sample
    if meta.source is not None:
        record["source"] = meta.source
    if meta.license is not None:
        record["license"] = meta.license
    if meta.updated is not None:
        record["updated"] = meta.updated.isoformat()
    return record


def to_document(directory: Directory) -> dict[str, Any]:
    """The HSDS document of ``directory`` (which should already be published)."""
    organizations = [
        _organization(agency, directory.services_of(agency.id)) for agency in directory.agencies
    ]
    count = len(organizations)
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE_URI,
        "total_items": count,
        "total_pages": 1,
        "page_number": 1,
        "size": count,
        "first_page": True,
        "last_page": True,
        "empty": count == 0,
        "contents": organizations,
        "taxonomies": [
            {"id": found.id, "name": found.name, "description": found.description}
            for found in TAXONOMIES
        ],
        "taxonomy_terms": _taxonomy_terms(directory),
        "dataset": _dataset(directory),
    }
