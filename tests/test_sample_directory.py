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


# --- The public network: every municipality's welfare office, child guidance centre,
# --- public health centre and community general support centre (data/sample_network.csv).


def test_the_committed_json_is_what_the_generator_makes() -> None:
    from saihan.directory import _sample_network

    committed = (DATA / "sample_directory.json").read_text(encoding="utf-8")
    assert _sample_network.generated_text() == committed, (
        "run: python -m saihan.directory._sample_network"
    )
    assert _sample_network.main(["--check"]) == 0


def test_generating_twice_changes_nothing() -> None:
    import json

    from saihan.directory import _sample_network

    once = _sample_network.build(json.loads((DATA / "sample_directory.json").read_text("utf-8")))
    assert _sample_network.build(once) == once


def test_a_network_body_missing_from_the_csv_is_refused() -> None:
    import json

    from saihan.directory import _sample_network

    document = json.loads((DATA / "sample_directory.json").read_text("utf-8"))
    rows = [row for row in _sample_network.network_rows() if row.id != "nishitama-welfare-office"]
    with pytest.raises(ValueError, match="nishitama-welfare-office"):
        _sample_network.build(document, rows)


def test_every_municipality_has_each_network_kind_covering_it(sample: Directory) -> None:
    from saihan.directory import _sample_network, tokyo_municipalities

    table = _sample_network.coverage(sample)
    codes = {m.code for m in tokyo_municipalities()}
    assert len(codes) == 62
    for kind in _sample_network.NETWORK_KINDS:
        assert set(table[kind]) == codes
        uncovered = sorted(code for code, count in table[kind].items() if count == 0)
        assert not uncovered, (kind, uncovered)
    # The same through the public search: a resident of each municipality finds each kind.
    for code in sorted(codes):
        kinds = {sample.agency_of(s).kind for s in sample.search(municipality=code)}
        assert kinds >= set(_sample_network.NETWORK_KINDS), code


def test_coverage_table(sample: Directory, capsys: pytest.CaptureFixture[str]) -> None:
    """The kind x municipality counts, printed (run with -s) and kept in data/README.md."""
    from saihan.directory import _sample_network

    table = _sample_network.coverage(sample)
    markdown = _sample_network.coverage_markdown(sample)
    print(markdown)
    assert len(markdown.splitlines()) == 2 + 62 + 1
    # Jurisdictions are exclusive: one body of each kind per municipality, except where
    # a ward's centre and the metropolitan one would overlap (none in the sample).
    assert {count for counts in table.values() for count in counts.values()} == {1}
    assert markdown in (DATA / "README.md").read_text(encoding="utf-8"), (
        "paste `python -m saihan.directory._sample_network --table` into data/README.md"
    )
    assert "| 131016 | 千代田区 | 1 | 1 | 1 | 1 |" in capsys.readouterr().out


def test_network_rows_have_sources_and_match_the_services(sample: Directory) -> None:
    from saihan.directory import _sample_network

    rows = _sample_network.network_rows()
    assert len({row.id for row in rows}) == len(rows)
    for row in rows:
        assert row.source, row.id
        agency = sample.agency(row.id)
        assert agency.kind == row.kind
        assert agency.name.ja == row.name_ja
        services = sample.services_of(row.id)
        assert services, row.id
        for service in services:
            assert service.area.kind is AreaKind.MUNICIPALITIES
            assert service.area.municipality_codes == frozenset(row.catchment), service.id
    # Every body of the four kinds in the sample is in the table, with its catchment.
    listed = {row.id for row in rows}
    network = {a.id for a in sample.agencies if a.kind in _sample_network.NETWORK_KINDS}
    assert network == listed


def test_network_services_are_sensible(sample: Directory) -> None:
    from saihan.directory import _sample_network
    from saihan.schedule import BusinessCalendar

    default = BusinessCalendar()
    taxonomy = default_taxonomy()
    kinds = {k.code: k for k in default_agency_kinds()}
    for row in _sample_network.network_rows():
        for service in sample.services_of(row.id):
            assert service.needs
            assert all(taxonomy.get(code) for code in service.needs)
            # Each need is one the kind of body serves (its top-level need or a sub-need).
            assert {taxonomy.root(code).code for code in service.needs} <= set(
                kinds[row.kind].needs
            ), service.id
            assert "person" in service.audiences, service.id
            assert service.hours is not None
            assert service.hours.closed_on_national_holidays
            assert service.hours.annual_closures == default.annual_closures  # 年末年始
            if row.kind == "child_guidance_center":
                assert service.eligibility.max_age == 17, service.id  # under 18
            if row.kind == "community_general_support_center":
                assert service.eligibility.min_age == 65, service.id
            if not row.existing:
                assert {d for w in service.hours.weekly for d in w.days} <= {
                    "MO",
                    "TU",
                    "WE",
                    "TH",
                    "FR",
                }


def test_child_guidance_centres_by_jurisdiction(sample: Directory) -> None:
    """The ward-run centres serve their own ward; the metropolitan ones the rest."""
    from saihan.directory import municipality

    def centre_of(name: str) -> str:
        code = municipality(name).code
        found = [
            s
            for s in sample.search(municipality=code)
            if sample.agency_of(s).kind == "child_guidance_center"
        ]
        assert len(found) == 1, (name, found)
        return sample.agency_of(found[0]).name.ja

    for ward in ("世田谷区", "江戸川区", "港区", "中野区", "豊島区", "葛飾区", "品川区", "文京区"):
        assert centre_of(ward) == f"{ward}児童相談所"
    assert centre_of("荒川区") == "荒川区子ども家庭総合センター"
    assert centre_of("板橋区") == "板橋区子ども家庭総合支援センター"
    assert centre_of("目黒区") == "東京都品川児童相談所"  # after 品川区 opened its own
    assert centre_of("墨田区") == "東京都江東児童相談所"
    assert centre_of("新宿区") == "東京都児童相談センター"
    assert centre_of("八丈町") == "東京都児童相談センター"
    assert centre_of("練馬区") == "東京都練馬児童相談所"
    assert centre_of("町田市") == "東京都町田児童相談所"
    assert centre_of("奥多摩町") == "東京都立川児童相談所"
    assert centre_of("武蔵野市") == "東京都杉並児童相談所"


def test_the_bundled_file_passes_every_check_that_loading_a_directory_makes() -> None:
    """sample_directory() builds the bundled file without the schema and limits checks
    (they would cost every start); here the file goes through all of them."""
    import json

    from jsonschema import Draft202012Validator

    from saihan.limits import parse_json
    from saihan.serialization import from_json, json_schema, schema_errors

    raw = (DATA / "sample_directory.json").read_bytes()
    data = parse_json(raw)  # within the default limits
    assert schema_errors(data, Directory) == []
    plain = Draft202012Validator(
        json_schema(Directory), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [error.message for error in plain.iter_errors(json.loads(raw))] == []
    assert from_json(raw, Directory) == sample_directory()
    # sample_directory() is built by the converter's fast twin: the same as the detailed way
    from saihan.serialization import converter

    assert converter.structure(json.loads(raw), Directory) == sample_directory()
