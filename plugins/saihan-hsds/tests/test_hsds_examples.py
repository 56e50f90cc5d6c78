"""Example tests: official examples, third-party errors, strict and lenient, the contract."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import attrs
import pytest
from saihan_hsds import (
    OTHER_KIND,
    PROFILE_URI,
    HsdsExporter,
    HsdsImporter,
    HsdsTabularExporter,
    HsdsTabularImporter,
)
from saihan_hsds.schemas import merge_patch, official_schemas, profile_patches, profile_schemas
from saihan_hsds.vocab import hsds_id

from saihan import plugins
from saihan.directory import Directory, sample_directory
from saihan.errors import ValidationError
from saihan.outreach import sample_events
from saihan.schedule.hsds import SAIHAN_NAMESPACE

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "hsds-3.1-examples"
THIRD_PARTY = DATA / "third_party_with_errors.json"


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    return buffer.getvalue()


def test_registered_through_entry_points_as_a_third_party_would() -> None:
    assert {"hsds", "hsds-tabular"} <= set(plugins.available(plugins.EXPORTERS))
    assert {"hsds", "hsds-tabular"} <= set(plugins.available(plugins.IMPORTERS))
    assert isinstance(plugins.exporter("hsds", for_type=Directory), HsdsExporter)
    assert isinstance(plugins.importer("hsds-tabular", for_type=Directory), HsdsTabularImporter)


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        HsdsExporter().export(sample_directory(), include_confidential=True)
    assert caught.value.paths == ["include_confidential"]
    with pytest.raises(ValidationError):
        HsdsImporter().load(b"{}", strict=True)
    with pytest.raises(ValidationError):
        HsdsTabularExporter().export(sample_directory(), validate="yes")


def test_export_shape_ids_and_profile() -> None:
    directory = sample_directory()
    document = json.loads(HsdsExporter().export(directory))
    assert document["version"] == "3.1"
    assert document["profile"] == PROFILE_URI
    assert document["total_items"] == len(directory.agencies) == len(document["contents"])
    desk = next(
        s
        for org in document["contents"]
        for s in org["services"]
        if s["saihan_id"] == "tokyo-crime-worry-desk"
    )
    assert desk["id"] == hsds_id("service", "tokyo-crime-worry-desk")
    assert str(SAIHAN_NAMESPACE) == "6f1d9c1e-4f39-5a51-9d0e-5a1d2b7f0c13"
    assert desk["schedules"]
    assert desk["hours"]["weekly"]
    codes = {a["value"] for a in desk["attributes"] if a["link_type"] == "audience"}
    assert codes == {"person", "family", "supporter"}
    # Stable: the same directory exports the same bytes every time.
    assert HsdsExporter().export(directory) == HsdsExporter().export(sample_directory())


def test_the_profile_is_merge_patches_over_the_official_schemas() -> None:
    assert set(profile_patches()) <= set(official_schemas())
    merged = profile_schemas()["service" + ".json"]
    assert merged["required"] == official_schemas()["service.json"]["required"]
    assert merged["properties"]["accepting_referrals"]["type"] == "boolean"
    assert merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}}) == {
        "b": {"c": 2, "d": 3}
    }


_VOCABULARY_ONLY = {"taxonomy.json", "taxonomy_list.json", "taxonomy_term.json",
                    "taxonomy_term_list.json"}  # fmt: skip


@pytest.mark.parametrize(
    "name",
    sorted(path.name for path in EXAMPLES.glob("*.json") if path.name not in _VOCABULARY_ONLY),
)
def test_every_official_example_loads(name: str) -> None:
    result = HsdsImporter().load_with_report((EXAMPLES / name).read_bytes())
    assert result.report.skipped == ()
    assert isinstance(result.value, Directory)


@pytest.mark.parametrize("name", sorted(_VOCABULARY_ONLY))
def test_taxonomy_documents_are_refused_with_a_clear_error(name: str) -> None:
    # They hold terms of another publisher's taxonomy and no services: importing them would
    # give an empty directory and an empty report.
    with pytest.raises(ValidationError) as caught:
        HsdsImporter().load((EXAMPLES / name).read_bytes())
    assert "a taxonomy document" in str(caught.value)
    assert "no organizations or services" in str(caught.value)


def test_the_official_full_service_carries_what_saihan_models() -> None:
    result = HsdsImporter().load_with_report((EXAMPLES / "service_full.json").read_bytes())
    (service,) = result.value.services
    assert service.name.ja == "Community Counselling"
    assert service.name.en == "Community Counselling"  # English text is said to be English
    assert service.description is not None
    assert service.description.en == service.description.ja
    assert (service.eligibility.min_age, service.eligibility.max_age) == (12, 100)
    assert service.url == "http://example.com/counselling"
    assert service.languages == ("ur",)
    assert service.needs == {"general"}  # its term is of another taxonomy
    assert [c.value for c in service.contacts] == ["email@example.com", "+441234234567"]
    # Its one schedule row gives COUNT with UNTIL (RFC 5545 forbids it), BYWEEKNO on a weekly
    # row, and one Saturday with byday TH,FR: no RRULE states it, so no opening is invented.
    assert service.hours is None
    assert (
        "schedules[0].count: COUNT and UNTIL together: RFC 5545 (3.3.10) forbids it; left out"
        " (1 record)"
    ) in result.report.not_carried
    assert result.value.agencies[0].kind == OTHER_KIND.code
    assert "service.wait_time (1 record)" in result.report.not_carried
    assert "location: not in a Tokyo municipality saihan can name (1 record)" in (
        result.report.not_carried
    )


def test_the_official_tabular_package_loads() -> None:
    result = HsdsTabularImporter().load_with_report(zipped(EXAMPLES / "csv"))
    assert result.report.skipped == ()
    (service,) = result.value.services
    assert service.name.ja == "Community Counselling"
    assert any("locations.csv[2]: names organization" in note for note in result.report.not_carried)
    tabular_json = HsdsImporter().load((EXAMPLES / "tabular.json").read_bytes())
    assert tabular_json.services[0].name == service.name


def test_a_third_party_feed_with_errors_is_refused_with_every_error() -> None:
    with pytest.raises(ValidationError) as caught:
        HsdsImporter().load(THIRD_PARTY.read_bytes())
    paths = caught.value.paths
    assert paths == [
        "contents[0].services[1].name",
        "contents[0].services[1].minimum_age",
        "contents[0].services[2].attributes[0].taxonomy_term_id",
        "contents[0].services[3].id",
        "contents[1].locations[0].addresses[0].municipality_code",
        "contents[2].organization_id",
        "contents[1].services[0]",
    ]
    text = str(caught.value)
    assert "dangling reference" in text
    assert "duplicate service id" in text
    assert "check digit" in text


def test_a_third_party_feed_loads_leniently_with_a_report() -> None:
    result = plugins.import_with_report(HsdsImporter(), THIRD_PARTY.read_bytes(), lenient=True)
    directory, report = result.value, result.report
    assert [s.name.ja for s in directory.services] == ["住まい探しの相談"]
    service = directory.services[0]
    assert service.needs == {"housing.rental"}  # a partner's term that names a saihan need
    assert service.area.municipality_codes == {"132012"}  # from its location's city
    assert directory.agencies[0].locations[0].address.postal_code == "192-0046"
    assert [s.record for s in report.skipped] == [
        "contents[0].services[1]",
        "contents[0].services[2]",
        "contents[0].services[3]",
        "contents[1]",
        "contents[1].services[0]",
        "contents[2]",
    ]
    dependent = report.skipped[4]
    assert "depends on contents[1], which was skipped" in dependent.errors[0].message
    assert report.loaded["services"] == 1
    assert "organization: no saihan agency kind; filed as 'other' (2 records)" in report.not_carried


def test_shift_jis_and_broken_input_get_clear_errors() -> None:
    sjis = json.dumps({"id": "x", "name": "更生保護"}, ensure_ascii=False).encode("shift_jis")
    with pytest.raises(ValidationError, match=r"not UTF-8.*Shift_JIS"):
        HsdsImporter().load(sjis)
    with pytest.raises(ValidationError, match="not valid JSON"):
        HsdsImporter().load(b'{"contents": [')
    with pytest.raises(ValidationError, match="not an HSDS document"):
        HsdsImporter().load(b'"text"')
    with pytest.raises(ValidationError) as caught:
        HsdsImporter().load(b'{"contents": {}}')
    assert caught.value.paths == ["contents"]
    with pytest.raises(ValidationError, match="not a ZIP"):
        HsdsTabularImporter().load(b"id,name\n")
    package = zipped(EXAMPLES / "csv")
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["csv/services.csv"] = "id,name\n1,更生\n".encode("shift_jis")
    with pytest.raises(ValidationError, match="Shift_JIS") as caught:
        HsdsTabularImporter().load(_zip(files))
    assert caught.value.paths == ["services.csv"]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _our_document() -> dict:  # type: ignore[type-arg]
    return json.loads(HsdsExporter().export(sample_directory()))  # type: ignore[no-any-return]


def _one_body_of_each_kind() -> dict:  # type: ignore[type-arg]
    """The sample cut to its first agency of each kind, with their services: every shape
    the exporter writes, at a size that does not grow with the sample (which has every
    municipality's offices)."""
    directory = sample_directory()
    first: dict[str, str] = {}
    for agency in directory.agencies:
        first.setdefault(agency.kind, agency.id)
    ids = set(first.values())
    part = attrs.evolve(
        directory,
        agencies=[a for a in directory.agencies if a.id in ids],
        services=[s for s in directory.services if s.agency_id in ids],
    )
    return json.loads(HsdsExporter().export(part))  # type: ignore[no-any-return]


def test_unknown_taxonomy_terms_and_duplicate_terms_are_errors() -> None:
    document = _our_document()
    audience = next(t for t in document["taxonomy_terms"] if t["code"] == "audience:family")
    audience["code"] = "audience:neighbours"
    document["taxonomy_terms"].append(dict(document["taxonomy_terms"][0]))
    with pytest.raises(ValidationError) as caught:
        HsdsImporter().load(json.dumps(document).encode())
    messages = str(caught.value)
    assert "unknown term 'neighbours' in taxonomy saihan-audiences" in messages
    assert "duplicate taxonomy term id" in messages


def test_tabular_errors_name_the_file_and_row() -> None:
    package = HsdsTabularExporter().export(sample_directory())
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    lines = files["services.csv"].decode("utf-8").split("\r\n")
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("minimum_age")] = "abc"
    lines[1] = ",".join(cells)
    files["services.csv"] = "\r\n".join(lines).encode("utf-8")
    with pytest.raises(ValidationError) as caught:
        HsdsTabularImporter().load(_zip(files))
    assert caught.value.paths == ["services.csv[2].minimum_age"]
    lenient = HsdsTabularImporter().load_with_report(_zip(files), lenient=True)
    assert [s.record for s in lenient.report.skipped] == ["services.csv[2]"]
    assert len(lenient.value.services) == len(sample_directory().services) - 1


def test_the_tabular_package_holds_csv_files_and_the_datapackage() -> None:
    package = HsdsTabularExporter().export(sample_directory())
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = set(archive.namelist())
        descriptor = json.loads(archive.read("datapackage.json"))
    assert {"organizations.csv", "services.csv", "taxonomy_terms.csv", "datapackage.json"} <= names
    assert {r["path"] for r in descriptor["resources"]} == names - {"datapackage.json"}
    assert descriptor["hsds_profile"] == PROFILE_URI
    assert descriptor["dataset"]["sample"] is True


def _leaf_paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _leaf_paths(item, (*path, index))
    return found


def test_damaged_documents_raise_validation_errors_only() -> None:
    """Any value anywhere replaced by any JSON value: a ValidationError or a directory."""
    import random

    document = _one_body_of_each_kind()
    paths = [path for path in _leaf_paths(document) if path]
    rng = random.Random(7)
    refused = 0
    for _ in range(40):  # each import validates against the HSDS schemas: about 0.2 s
        damaged = json.loads(json.dumps(document))
        path = rng.choice(paths)
        target = damaged
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = rng.choice([None, 1, "x", [], {}, True, -5.5, ""])
        for lenient in (False, True):
            try:
                HsdsImporter().load_with_report(json.dumps(damaged).encode(), lenient=lenient)
            except ValidationError:
                refused += 1
    assert refused > 0


def test_the_fast_validity_check_agrees_with_jsonschema() -> None:
    """jsonschema-rs may only say "valid" where jsonschema does (damaged documents too)."""
    import random

    from saihan_hsds.schemas import is_valid, official_validator, profile_validator

    document = _one_body_of_each_kind()
    paths = [path for path in _leaf_paths(document) if path]
    rng = random.Random(11)
    organizations = [official_validator("organization"), profile_validator("organization")]
    whole = profile_validator("directory")
    disagreements = []
    for round_ in range(25):
        damaged = json.loads(json.dumps(document))
        if round_:  # the first round checks the undamaged document
            path = rng.choice(paths)
            target = damaged
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = rng.choice([None, 1, "x", [], {}, True, -5.5, "", "not-a-uuid"])
        pairs = [(v, org) for v in organizations for org in damaged["contents"]]
        for validator, part in [*pairs, (whole, damaged)]:
            if is_valid(validator, part) != validator.is_valid(part):
                disagreements.append(round_)
    assert disagreements == []
    # and the fast check is really in use, for every validator above
    from saihan_hsds import schemas

    for validator in [*organizations, whole]:
        assert schemas._fast_validator(*schemas._TARGETS[id(validator)]) is not None


def test_events_are_refused_saying_hsds_has_no_event_record() -> None:
    events = sample_events()
    for exporter in (HsdsExporter(), HsdsTabularExporter()):
        for given in (events, events[0]):
            with pytest.raises(ValidationError, match="defines no event record") as caught:
                exporter.export(given)  # type: ignore[arg-type]
            assert "iCalendar" in str(caught.value)
        with pytest.raises(ValidationError, match="not str"):
            exporter.export("a directory")  # type: ignore[arg-type]
