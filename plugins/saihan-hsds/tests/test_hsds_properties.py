"""Properties: export then import gives the directory back, and every export validates."""

from __future__ import annotations

import io
import json
import zipfile

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saihan_hsds import (
    HsdsExporter,
    HsdsImporter,
    HsdsTabularExporter,
    HsdsTabularImporter,
    document_errors,
    package_errors,
)
from saihan_hsds.tabular import _read_csv, _resources

from saihan.directory import Directory
from saihan.testing import directories, locations

SLOW = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


def regrouped(directory: Directory) -> Directory:
    """The directory as HSDS orders it: each organization's services together."""
    services = [s for agency in directory.agencies for s in directory.services_of(agency.id)]
    return attrs.evolve(directory, services=services)


@SLOW
@given(directories())
def test_hsds_json_round_trip_and_validity(directory: Directory) -> None:
    data = HsdsExporter().export(directory, validate=False)
    document = json.loads(data)
    assert document_errors(document) == []
    result = HsdsImporter().load_with_report(data)
    assert result.value == regrouped(directory.published())
    assert result.report.skipped == ()
    assert result.report.not_carried == ()
    # The same directory exports the same bytes (stable ids) after the round trip.
    assert HsdsExporter().export(result.value) == HsdsExporter().export(regrouped(directory))


def _tables(package: bytes) -> dict[str, list[dict[str, str]]]:
    resources = {resource["path"]: name for name, resource in _resources().items()}
    tables = {}
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in archive.namelist():
            if name.endswith(".csv"):
                resource = _resources()[resources[name]]
                rows = _read_csv(name, archive.read(name), resource, [])
                tables[resources[name]] = [cells for _, cells in rows]
    return tables


@SLOW
@given(directories())
def test_hsds_tabular_round_trip_and_validity(directory: Directory) -> None:
    package = HsdsTabularExporter().export(directory, validate=False)
    assert package_errors(_tables(package)) == []
    result = HsdsTabularImporter().load_with_report(package)
    assert result.value == regrouped(directory.published())
    assert result.report.skipped == ()
    assert result.report.not_carried == ()


@SLOW
@given(directories(min_services=1), st.data())
def test_a_confidential_location_never_leaves(directory: Directory, data: st.DataObject) -> None:
    agency = directory.agencies[0]
    secret = data.draw(locations(id="secret-place", confidential=True))
    # Mark what only the confidential location holds, so it can be looked for in the bytes.
    secret = attrs.evolve(
        secret,
        address=attrs.evolve(secret.address, street="秘密の番地-XYZZY", postal_code="999-9999"),
        name=attrs.evolve(secret.name, ja="秘密の施設PLUGH") if secret.name else None,
    )
    agencies = (
        attrs.evolve(agency, locations=(*agency.locations, secret)),
        *directory.agencies[1:],
    )
    if any(loc.id == "secret-place" for loc in agency.locations):
        return
    leaky = attrs.evolve(directory, agencies=agencies)
    for exporter in (HsdsExporter(), HsdsTabularExporter()):
        out = exporter.export(leaky)
        text = out.decode("utf-8") if exporter.name == "hsds" else _unzipped(out)
        assert "XYZZY" not in text
        assert "999-9999" not in text
        assert "PLUGH" not in text
        assert secret.address.municipality_code in text


def _unzipped(package: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
