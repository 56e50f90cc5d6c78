"""iCalendar feeds of events: they parse with ``icalendar`` and expand with
``recurring-ical-events`` (an independent reader) to exactly the stored times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import icalendar
import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saihan import Principal, storage
from saihan.cli import main
from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.outreach import Event, EventAudience, EventKind, sample_events
from saihan.outreach.feeds import events_to_ical, select_events
from saihan.testing.outreach_strategies import events

STAMP = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
WINDOW = (dt.datetime(2019, 1, 1, tzinfo=dt.UTC), dt.datetime(2037, 1, 1, tzinfo=dt.UTC))


def _expanded(data: bytes) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    calendar = icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(calendar).between(*WINDOW)
    times: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    for item in found:
        start, end = item.decoded("DTSTART"), item.decoded("DTEND")
        assert isinstance(start, dt.datetime)
        assert isinstance(end, dt.datetime)
        times[str(item["UID"]).split("@")[0]] = (start, end)
    return times


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(events(organiser="org-1"), max_size=6, unique_by=lambda e: e.id))
def test_a_feed_expands_to_exactly_the_stored_times(drawn: list[Event]) -> None:
    data = events_to_ical(drawn, stamp=STAMP, domain="example.jp")
    expanded = _expanded(data)
    assert set(expanded) == {event.id for event in drawn}
    for event in drawn:
        start, end = expanded[event.id]
        assert start == event.start  # the same instant
        assert end == event.end
        assert str(start.tzinfo) == event.time_zone or start.utcoffset() == dt.timedelta(0)


def test_the_sample_feed_keeps_the_zone_the_texts_and_the_sample_mark() -> None:
    chosen = list(sample_events())
    data = events_to_ical(chosen, stamp=STAMP, name="再犯防止イベント", domain="example.jp")
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "再犯防止イベント"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    items = {str(item["UID"]): item for item in calendar.walk("VEVENT")}
    musical = items["fy2024-musical-setagaya@example.jp"]
    assert str(musical["SUMMARY"]) == "【サンプル】万引き防止ミュージカル（世田谷区立小学校）"
    assert musical["DTSTART"].params["TZID"] == "Asia/Tokyo"
    start = musical.decoded("DTSTART")
    assert isinstance(start, dt.datetime)
    assert start.replace(tzinfo=None) == dt.datetime(2024, 11, 8, 10, 45)
    assert str(musical["STATUS"]) == "TENTATIVE"  # planned
    assert str(musical["X-SAIHAN-SAMPLE"]) == "TRUE"
    assert str(musical["LOCATION"]) == "世田谷区立小学校 体育館（サンプル）"
    training = items["fy2024-training-hachioji@example.jp"]
    assert str(training["STATUS"]) == "CONFIRMED"
    assert "https://example.metro.tokyo.lg.jp/sample/training-hachioji.pdf" in str(
        training["DESCRIPTION"]
    )
    assert len(items) == len(chosen)


def test_feeds_per_organiser_municipality_and_audience() -> None:
    chosen = list(sample_events())
    hachioji = select_events(chosen, municipality="八王子市")
    # the Hachioji training, and every event for all of Tokyo
    assert {e.id for e in hachioji} == {
        e.id for e in chosen if not e.municipalities or "132012" in e.municipalities
    }
    assert "fy2024-training-adachi" not in {e.id for e in hachioji}
    pupils = select_events(chosen, audience="pupil")
    assert [e.id for e in pupils] == ["fy2024-musical-setagaya", "fy2024-musical-machida"]
    assert select_events(chosen, organiser="nobody") == []
    assert len(select_events(chosen, organiser="tmg-crime-worry-desk")) == len(chosen)
    with pytest.raises(ValidationError) as bad:
        select_events(chosen, audience="everyone")
    assert bad.value.paths == ["audience"]


def test_bad_arguments_name_their_field() -> None:
    with pytest.raises(ValidationError) as bad:
        events_to_ical(
            [sample_events()[0], "not an event"],  # type: ignore[list-item]
            domain="not a domain",
            stamp=dt.datetime(2024, 1, 1),
            lang="fr",
        )
    assert bad.value.paths == ["domain", "stamp", "lang", "events[1]"]


def test_cli_exports_a_feed_from_a_store_that_expands_to_the_stored_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    url = f"sqlite:///{tmp_path}/events.db"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    assert main(["events", "import", "--sample", "--store", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": 9, "updated": 0, "count": 9}
    assert main(["events", "import", "--sample", "--store", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 0  # idempotent
    feeds = {
        "staff": ["--audience", "municipal_staff"],
        "adachi": ["--municipality", "131211"],
        "desk": ["--organiser", "tmg-crime-worry-desk"],
    }
    with storage.open(url, principal=Principal.system()) as store:
        stored = {item.value.id: item.value for item in store.events.list()}
    for name, options in feeds.items():
        target = tmp_path / f"{name}.ics"
        argv = ["events", "export", "--format", "ical", *options, "--store", url, "-o", str(target)]
        assert main(argv) == 0
        expanded = _expanded(target.read_bytes())
        wanted = select_events(
            stored.values(),
            audience=EventAudience.MUNICIPAL_STAFF if name == "staff" else None,
            municipality="131211" if name == "adachi" else None,
            organiser="tmg-crime-worry-desk" if name == "desk" else None,
        )
        assert set(expanded) == {e.id for e in wanted} != set()
        for id, (start, end) in expanded.items():
            assert (start, end) == (stored[id].start, stored[id].end)
    # the deadline in the feed is counted in the organiser's calendar (Tue/Thu/Sat)
    desk = icalendar.Calendar.from_ical((tmp_path / "desk.ics").read_bytes())
    by_uid = {str(item["UID"]): item for item in desk.walk("VEVENT")}
    training = by_uid["fy2024-training-hachioji@saihan.invalid"]
    assert "申込締切: 2024-08-31" in str(training["DESCRIPTION"])
    assert int(str(training["SEQUENCE"])) > 0  # the store version


def test_cli_lists_events_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "list", "--sample", "--audience", "pupil", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "fy2024-musical-setagaya" in out
    assert "2 events" in out
    assert main(["events", "list", "--sample", "--from", "2024-11-01", "--to", "2024-11-30"]) == 0
    out = capsys.readouterr().out
    assert "万引き防止ミュージカル（世田谷区立小学校）（サンプル）" in out
    assert "予定" in out  # planned, in Japanese
    assert out.strip().endswith("2件")  # the Setagaya musical and the second liaison meeting
    assert main(["events", "list", "--sample", "--format", "json", "--municipality", "131211"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert "fy2024-training-adachi" in [e["id"] for e in listed["events"]]
    adachi = next(e for e in listed["events"] if e["id"] == "fy2024-training-adachi")
    assert adachi["start"] == "2024-10-17T13:30:00+09:00"
    assert main(["events", "list", "--sample", "--from", "Nov 1"]) == 1
    assert "from" in capsys.readouterr().err


def test_a_time_in_the_repeated_hour_is_written_in_utc() -> None:
    """New York's clocks go back at 02:00 on 5 November 2028: 01:50 happens twice. A
    TZID time would name the first; the feed writes the event in UTC instead, and
    its VTIMEZONE covers 2028 (icalendar's default window lost that autumn's change)."""
    from saihan.directory import LocalizedText

    second_run = dt.datetime(2028, 11, 5, 6, 50, tzinfo=dt.UTC)  # 01:50 EST
    night = Event(
        id="night",
        kind=EventKind.OTHER,
        title=LocalizedText(ja="夜間"),
        organiser="org-1",
        start=dt.datetime(2028, 11, 4, 21, 50, tzinfo=dt.UTC),  # 17:50 EDT
        end=second_run,
        audiences=frozenset({EventAudience.PUBLIC}),
        time_zone="America/New_York",
        online_url="https://example.jp/night",
    )
    evening = attrs.evolve(night, id="evening", end=dt.datetime(2028, 11, 4, 23, tzinfo=dt.UTC))
    data = events_to_ical([night, evening], stamp=STAMP)
    text = data.decode("utf-8")
    assert "DTSTART:20281104T215000Z" in text
    assert "DTEND:20281105T065000Z" in text
    assert "DTSTART;TZID=America/New_York:20281104T175000" in text  # the other one
    assert _expanded(data) == {
        "night": (night.start, night.end),
        "evening": (evening.start, evening.end),
    }


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_events_have_no_hsds_export_and_a_directory_export_says_it_left_them_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAIHAN_PRINCIPAL", "system:system")
    url = f"sqlite:///{tmp_path}/events.db"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
    assert main(["events", "import", "--sample", "--store", url, "--format", "json"]) == 0
    capsys.readouterr()
    for name in ("hsds", "hsds-tabular"):
        target = tmp_path / f"events.{name}"
        with pytest.raises(SystemExit) as usage:  # a usage error, as argparse makes them
            main(["events", "export", "--format", name, "--store", url, "-o", str(target)])
        assert usage.value.code == 2
        error = capsys.readouterr().err
        assert "HSDS 3.1 defines no event record" in error
        assert "--format ical" in error
        assert not target.exists()
    exported = tmp_path / "directory.json"
    for argv in (
        ["export", "--format", "hsds", "--store", url, "-o", str(exported)],
        ["store", "export", "--format", "hsds", "--store", url, "-o", str(exported)],
    ):
        assert main(argv) == 0
        error = capsys.readouterr().err
        assert "9" in error  # the sample's nine events, left out
        assert "saihan events export --format ical" in error
        document = json.loads(exported.read_text(encoding="utf-8"))
        assert document["contents"]  # the services
        assert not any("event" in key for key in _keys(document))
    # a directory export that is not from a store has nothing to say about events
    assert main(["export", "--format", "hsds", "-o", str(exported)]) == 0
    assert "events export" not in capsys.readouterr().err
