"""The bundled sample directory meets what the README and the docs promise of it."""

import csv
import re
from pathlib import Path

import pytest

from saihan.directory import (
    AreaKind,
    Channel,
    Directory,
    default_agency_kinds,
    default_taxonomy,
    is_valid_code,
    sample_directory,
)

DATA = Path(__file__).resolve().parent.parent / "src" / "saihan" / "directory" / "data"


@pytest.fixture(scope="module")
def sample() -> Directory:
    return sample_directory()


def test_it_says_it_is_a_sample(sample: Directory) -> None:
    assert sample.meta.sample is True
    assert sample.meta.description is not None
    assert "SAMPLE" in (sample.meta.description.en or "")


def test_size_and_spread(sample: Directory) -> None:
    assert len(sample.services) >= 60
    municipalities = {
        location.municipality_code for agency in sample.agencies for location in agency.locations
    }
    municipalities |= {
        code
        for service in sample.services
        if len(service.area.municipality_codes) == 1
        for code in service.area.municipality_codes
    }
    assert len(municipalities) >= 12


def test_every_agency_kind_and_every_need_area_is_covered(sample: Directory) -> None:
    assert {agency.kind for agency in sample.agencies} >= {k.code for k in default_agency_kinds()}
    taxonomy = default_taxonomy()
    served = {taxonomy.root(code).code for service in sample.services for code in service.needs}
    assert served == {root.code for root in taxonomy.roots()}


def test_the_tokyo_desk_and_its_published_terms(sample: Directory) -> None:
    desk = sample.service("tokyo-crime-worry-desk")
    assert desk.name.ja == "犯罪お悩みなんでも相談"
    assert sample.agency_of(desk).kind == "tokyo_crime_worry_desk"
    assert desk.area.kind is AreaKind.PREFECTURE
    assert desk.area.prefecture_code == "13"
    assert sorted(desk.audiences) == ["family", "person", "supporter"]
    assert sample.channels_of(desk) == {Channel.PHONE, Channel.EMAIL}
    assert desk.description is not None
    for term in (
        "2024年4月1日",
        "2025年3月22日",
        "火曜日・木曜日・土曜日",
        "9時から17時",
        "社会福祉士",
    ):
        assert term in desk.description.ja


def test_mental_health_centres_serve_exactly_their_catchments(sample: Directory) -> None:
    with (DATA / "mental_health_centre_catchments.csv").open(encoding="utf-8") as handle:
        expected: dict[str, set[str]] = {}
        for row in csv.DictReader(handle):
            expected.setdefault(row["centre"], set()).add(row["municipality_code"])
    found = {}
    for agency in sample.agencies:
        if agency.kind == "mental_health_welfare_center":
            areas = {s.area.municipality_codes for s in sample.services_of(agency.id)}
            assert len(areas) == 1, agency.id  # every service of a centre covers its catchment
            found[agency.name.ja] = set(areas.pop())
    assert found == expected
    assert sorted(len(codes) for codes in found.values()) == [10, 22, 30]


def test_national_bodies_have_a_national_area(sample: Directory) -> None:
    national = [s for s in sample.services if s.area.kind is AreaKind.NATIONAL]
    assert national
    assert {sample.agency_of(s).kind for s in national} >= {"houterasu", "corrework"}
    assert sample.search(municipality="271004")  # an Osaka resident can still be helped


def test_contacts_are_example_values_only(sample: Directory) -> None:
    contacts = [c for a in sample.agencies for c in a.contacts]
    contacts += [c for s in sample.services for c in s.contacts]
    for contact in contacts:
        if contact.channel is Channel.EMAIL:
            assert contact.value.endswith("@example.jp"), contact
        elif contact.channel is Channel.WEB_FORM:
            assert contact.value.startswith("https://example.jp/"), contact
        elif contact.channel in (Channel.PHONE, Channel.FAX):
            # Example numbers have an all-zero exchange: 03-0000-xxxx, 042-000-xxxx ...
            assert re.match(r"^0\d{1,4}-0+-\d{4}$", contact.value), contact
    urls = [a.website for a in sample.agencies] + [s.url for s in sample.services]
    assert all(url.startswith("https://example.jp/") for url in urls if url), urls


def test_confidential_locations_are_published_as_municipality_only(sample: Directory) -> None:
    confidential = [
        (agency.id, location)
        for agency in sample.agencies
        for location in agency.locations
        if location.confidential
    ]
    assert confidential
    published = sample.published()
    for agency_id, location in confidential:
        shown = published.agency(agency_id).location(location.id)
        assert shown is not None
        assert shown.address.street is None
        assert shown.geo is None
        assert is_valid_code(shown.address.municipality_code)


def test_at_least_one_service_is_not_taking_referrals(sample: Directory) -> None:
    assert sample.search(accepting_referrals=False)
