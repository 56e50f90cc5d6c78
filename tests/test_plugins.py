import json
from importlib.metadata import EntryPoint

import pytest

from _builders import small_directory
from saihan import plugins
from saihan.directory import Directory
from saihan.errors import PluginError, ValidationError


def test_json_format_is_registered_through_entry_points() -> None:
    assert "json" in plugins.available(plugins.EXPORTERS)
    assert "json" in plugins.available(plugins.IMPORTERS)
    exporter = plugins.exporter("json")
    importer = plugins.importer("json")
    assert isinstance(exporter, plugins.Exporter)
    assert isinstance(importer, plugins.Importer)


def test_json_round_trip_with_confidential_kept_for_backup() -> None:
    directory = small_directory()
    data = plugins.exporter("json").export(directory, include_confidential=True)
    assert plugins.importer("json").load(data) == directory


def test_json_export_never_publishes_a_confidential_address_by_default() -> None:
    data = plugins.exporter("json").export(small_directory())
    assert "秘密" not in data.decode("utf-8")
    loaded = plugins.importer("json").load(data)
    assert loaded.agency("halfway").locations[0].address.municipality_code == "131041"
    assert loaded == small_directory().published()


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValidationError, match="takes no option"):
        plugins.exporter("json").export(small_directory(), colour="red")
    with pytest.raises(ValidationError) as caught:
        plugins.exporter("json").export(small_directory(), include_confidential="yes")
    assert caught.value.paths == ["include_confidential"]
    with pytest.raises(ValidationError, match="takes no option"):
        plugins.importer("json").load(b"{}", lenient=True)


def test_importer_reports_bad_json() -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        plugins.importer("json").load(b"{not json")
    with pytest.raises(ValidationError, match="UTF-8"):
        plugins.importer("json").load("{}".encode("shift_jis") + b"\x82\xa0")
    assert plugins.importer("json").load(b"{}") == Directory()


def test_missing_plugin_names_group_name_and_choices() -> None:
    with pytest.raises(PluginError) as caught:
        plugins.exporter("hsds-9")
    message = str(caught.value)
    assert "'hsds-9'" in message
    assert "saihan.exporters" in message
    assert "json" in message


def test_unknown_group() -> None:
    with pytest.raises(PluginError, match="unknown plugin group"):
        plugins.available("saihan.nothing")


def _fake_entry_points(points: list[EntryPoint]):  # type: ignore[no-untyped-def]
    def select(group: str):  # type: ignore[no-untyped-def]
        return [point for point in points if point.group == group]

    return select


def test_plugin_that_fails_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint("broken", "no_such_module_xyz:Thing", plugins.EXPORTERS)
    monkeypatch.setattr(plugins, "entry_points", _fake_entry_points([broken]))
    with pytest.raises(PluginError) as caught:
        plugins.exporter("broken")
    message = str(caught.value)
    assert "failed to load" in message
    assert "no_such_module_xyz" in message
    assert "ModuleNotFoundError" in message


def test_plugin_registered_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint("dup", "json:dumps", plugins.EXPORTERS),
        EntryPoint("dup", "json:loads", plugins.EXPORTERS),
    ]
    monkeypatch.setattr(plugins, "entry_points", _fake_entry_points(points))
    with pytest.raises(PluginError, match="registered twice"):
        plugins.load_plugin(plugins.EXPORTERS, "dup")


def test_plugin_of_the_wrong_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("dumps", "json:dumps", plugins.EXPORTERS)
    monkeypatch.setattr(plugins, "entry_points", _fake_entry_points([point]))
    assert plugins.load_plugin(plugins.EXPORTERS, "dumps") is json.dumps
    with pytest.raises(PluginError, match="not an exporter"):
        plugins.exporter("dumps")
