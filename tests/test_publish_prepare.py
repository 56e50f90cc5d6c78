"""The publication view (saihan.publish.prepare): what the portal and guidebook show."""

from __future__ import annotations

import datetime as dt
import shutil
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _builders import HACHIOJI, SHINJUKU, small_directory
from saihan.directory import (
    Audience,
    Channel,
    Directory,
    DirectoryMeta,
    LocalizedText,
    ServiceStatus,
    sample_directory,
)
from saihan.directory.municipalities import tokyo_municipalities
from saihan.errors import NotFoundError, ValidationError
from saihan.publish import PublicationView, PublishedLocation, publication_view
from saihan.referral import load_case
from saihan.referral.flows import bundled_flows
from saihan.schedule import BusinessCalendar, WeeklyHours
from saihan.text import normalize_for_search

ROOT = Path(__file__).resolve().parents[1]
TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)


@pytest.fixture(scope="module")
def view() -> PublicationView:
    return publication_view(sample_directory(), now=NOW, draw_flows=False)


def _ids(services: Any) -> tuple[str, ...]:
    return tuple(service.id for service in services)


# -- the home page's three ways in ---------------------------------------------------------


def test_all_62_municipalities_come_with_kana_and_romaji(view: PublicationView) -> None:
    table = tokyo_municipalities()
    assert len(view.municipalities) == len(table) == 62
    for shown, row in zip(view.municipalities, table, strict=True):
        assert (shown.code, shown.name.ja, shown.name.kana, shown.name.en) == (
            row.code,
            row.name_ja,
            row.name_kana,
            row.name_en,
        )


def test_each_municipality_lists_what_directory_search_finds_there(view: PublicationView) -> None:
    directory = sample_directory()
    for shown in view.municipalities:
        assert shown.service_ids == _ids(directory.search(municipality=shown.code))


def test_needs_sit_under_their_priority_area_with_searchs_services(view: PublicationView) -> None:
    directory = sample_directory()
    assert [area.number for area in view.priority_areas] == [1, 2, 3, 4, 5, 6]
    codes = [need.code for area in view.priority_areas for need in area.needs]
    assert sorted(codes) == sorted(need.code for need in directory.taxonomy)
    for area in view.priority_areas:
        for need in area.needs:
            assert directory.taxonomy.priority_area(need.code) == area.number
            assert need.service_ids == _ids(directory.search(need=need.code))
            assert need.depth == len(directory.taxonomy.ancestors(need.code)) - 1


def test_who_is_asking_and_channels_match_search(view: PublicationView) -> None:
    directory = sample_directory()
    assert [a.audience for a in view.audiences] == list(Audience)
    for audience in view.audiences:
        assert audience.service_ids == _ids(directory.search(audience=audience.audience))
    for channel in view.channels:
        assert channel.service_ids == _ids(directory.search(channel=channel.channel))


# -- services and agencies --------------------------------------------------------------


def test_every_service_and_agency_is_there_in_order(view: PublicationView) -> None:
    directory = sample_directory()
    assert _ids(view.services) == _ids(directory.services)
    assert _ids(view.agencies) == _ids(directory.agencies)
    for agency in view.agencies:
        assert agency.service_ids == _ids(directory.services_of(agency.id))
    first = directory.services[0]
    assert view.service(first.id).name == first.name
    with pytest.raises(NotFoundError):
        view.service("no-such-service")
    with pytest.raises(NotFoundError):
        view.agency("no-such-agency")


def test_channels_and_contacts_fall_back_to_the_agencys(view: PublicationView) -> None:
    directory = sample_directory()
    for service in directory.services:
        shown = view.service(service.id)
        assert set(shown.channels) == set(directory.channels_of(service))
        assert [c.channel for c in shown.contacts] == [
            c.channel for c in directory.contacts_of(service)
        ]


def test_area_codes_are_the_municipalities_the_area_covers(view: PublicationView) -> None:
    directory = sample_directory()
    for service in directory.services:
        covered = tuple(m.code for m in tokyo_municipalities() if service.area.covers(m.code))
        assert view.service(service.id).municipality_codes == covered


def test_area_and_eligibility_are_in_words() -> None:
    shown = publication_view(small_directory(), now=NOW, draw_flows=False)
    assert "八王子市" in shown.service("welfare-assist").area.ja
    assert shown.service("hw-job").area.ja == "東京都全域"
    assert shown.service("legal-line").area == LocalizedText(ja="全国", en="anywhere in Japan")
    debt = shown.service("debt").area
    assert "千代田区" in debt.ja
    assert "新宿区" in debt.ja
    assert "Shinjuku" in (debt.en or "")
    assert shown.service("halfway-stay").eligibility[0] == LocalizedText(
        ja="20歳以上", en="aged 20 or over"
    )
    assert shown.service("hw-job").eligibility[0].ja == "どなたでも相談できます"


def test_search_keys_fold_as_directory_search_does(view: PublicationView) -> None:
    directory = sample_directory()
    for query in ("じゅうきょ", "住居", "ｼﾞｭｳｷｮ", "ハローワーク", "ＮＰＯ", "相談"):
        words = normalize_for_search(query).split()
        found = tuple(s.id for s in view.services if all(w in s.search_key for w in words))
        assert found == tuple(sorted(found))
        assert found == _ids(directory.search(text=query)), query


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_piece_of_a_name_finds_the_same_services_as_search(
    view: PublicationView, data: st.DataObject
) -> None:
    directory = sample_directory()
    service = data.draw(st.sampled_from(directory.services))
    name = data.draw(st.sampled_from(service.name.forms()))
    start = data.draw(st.integers(0, len(name) - 1))
    piece = name[start : data.draw(st.integers(start + 1, len(name)))]
    words = normalize_for_search(piece).split()
    found = tuple(s.id for s in view.services if all(w in s.search_key for w in words))
    assert found == _ids(directory.search(text=piece))
    assert service.id in found or not words


# -- openings -------------------------------------------------------------------------------


def test_openings_are_the_calendars_for_the_window(view: PublicationView) -> None:
    directory = sample_directory()
    assert view.generated_at == NOW
    assert view.window_end == NOW + dt.timedelta(weeks=8)
    for service in directory.services:
        shown = view.service(service.id)
        if service.hours is None or not service.active:
            assert shown.openings == ()
            assert shown.next_open is None
            continue
        expected = service.hours.openings(NOW, view.window_end)
        assert [(o.start, o.end) for o in shown.openings] == expected
        assert shown.next_open == service.next_open(NOW)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_open_at_a_moment_in_the_window_is_what_the_calendar_says(
    view: PublicationView, data: st.DataObject
) -> None:
    directory = sample_directory()
    service = data.draw(st.sampled_from([s for s in directory.services if s.hours is not None]))
    minutes = data.draw(st.integers(0, 8 * 7 * 24 * 60 - 1))
    moment = NOW + dt.timedelta(minutes=minutes)
    shown = view.service(service.id)
    open_in_view = any(o.start <= moment < o.end for o in shown.openings)
    assert open_in_view == bool(service.is_open(moment))
    upcoming = [o.start for o in shown.openings if o.end > moment]
    if upcoming and service.active:
        expected = service.next_open(moment)
        assert max(upcoming[0], moment) == expected


def test_an_inactive_service_never_opens_and_says_why() -> None:
    directory = small_directory()
    hours = BusinessCalendar(weekly=[WeeklyHours.of("MO-FR", "09:00", "17:00")])
    services = [
        attrs.evolve(s, hours=hours, status=ServiceStatus.TEMPORARILY_CLOSED)
        if s.id == "hw-job"
        else attrs.evolve(s, hours=hours)
        for s in directory.services
    ]
    shown = publication_view(attrs.evolve(directory, services=services), now=NOW, draw_flows=False)
    closed = shown.service("hw-job")
    assert closed.openings == ()
    assert closed.next_open is None
    assert closed.status_label.ja == "一時休止中"
    assert shown.service("legal-line").openings  # the same hours, active: it opens
    row = shown.service("legal-line").hours
    assert row is not None
    assert row.weekly[0].days.ja == "月・火・水・木・金"
    assert row.weekly[0].hours.en == "09:00–17:00"
    assert row.closed[0].ja == "祝日は休み"


# -- what is never published ------------------------------------------------------------------


def test_confidential_locations_give_their_municipality_only() -> None:
    shown = publication_view(small_directory(), now=NOW, draw_flows=False)
    house = shown.agency("halfway").locations[0]
    assert house.confidential
    assert house.municipality_code == SHINJUKU
    assert house.street is None
    assert house.postal_code is None
    assert house.municipality.ja == "新宿区"
    assert "秘密" not in repr(shown)
    assert "160-0000" not in repr(shown)
    with pytest.raises(ValidationError) as raised:
        PublishedLocation(
            id="x",
            municipality_code=HACHIOJI,
            municipality=LocalizedText(ja="八王子市"),
            confidential=True,
            street="1-1",
        )
    assert "street" in raised.value.paths


def test_no_confidential_street_of_the_sample_reaches_the_view(view: PublicationView) -> None:
    text = repr(view)
    for agency in sample_directory().agencies:
        for location in agency.locations:
            if location.confidential and location.address.street:
                mine = next(a for a in view.agencies if a.id == agency.id)
                place = next(p for p in mine.locations if p.id == location.id)
                assert place.street is None
                assert f"street='{location.address.street}'" not in text


def _types_in(hint: Any, seen: set[type]) -> None:
    for arg in typing.get_args(hint) or (hint,):
        if typing.get_args(arg):
            _types_in(arg, seen)
        elif isinstance(arg, type) and arg not in seen:
            seen.add(arg)
            if attrs.has(arg):
                for value in typing.get_type_hints(arg).values():
                    _types_in(value, seen)


def test_the_view_has_no_field_that_could_hold_case_data() -> None:
    seen: set[type] = set()
    _types_in(PublicationView, seen)
    modules = {cls.__module__ for cls in seen}
    assert {"saihan.publish.prepare", "saihan.text"} <= modules
    forbidden = ("saihan.referral", "saihan.storage", "saihan.casework")
    assert not any(module.startswith(forbidden) for module in modules)


def test_only_a_directory_makes_a_publication() -> None:
    case = load_case(sorted((ROOT / "examples" / "cases").glob("*.json"))[0])
    with pytest.raises(ValidationError) as raised:
        publication_view(case, now=NOW)  # type: ignore[arg-type]
    assert raised.value.paths == ["directory"]
    with pytest.raises(ValidationError) as raised:
        publication_view(small_directory(), now=dt.datetime(2026, 12, 3, 10, 0), weeks=0)
    assert set(raised.value.paths) == {"now", "weeks"}


def test_the_sample_flag_follows_the_directory(view: PublicationView) -> None:
    assert view.sample is True
    mine = attrs.evolve(small_directory(), meta=DirectoryMeta(name=LocalizedText(ja="自前")))
    assert publication_view(mine, now=NOW, draw_flows=False).sample is False


# -- flows -------------------------------------------------------------------------------------


def test_flow_steps_link_to_services_of_the_directory(view: PublicationView) -> None:
    assert [f.id for f in view.flows] == [f.id for f in bundled_flows()]
    ids = {s.id for s in view.services}
    linked = 0
    for flow, source in zip(view.flows, bundled_flows(), strict=True):
        assert {step.id for step in flow.steps} == {node.id for node in source.nodes}
        assert flow.steps[0].id == source.start
        for step in flow.steps:
            assert set(step.service_ids) <= ids
            linked += len(step.service_ids)
            assert {edge.to for edge in step.edges} <= {n.id for n in source.nodes}
    assert linked > 0


def test_flows_are_drawn_as_svg_with_graphviz() -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is needed (apt-get install graphviz; .ci/run installs it)")
    drawn = publication_view(Directory(), now=NOW, flows=bundled_flows()[:1])
    flow = drawn.flows[0]
    assert flow.svg("ja") is not None
    assert "<svg" in (flow.svg("ja") or "")
    assert flow.title.ja in (flow.svg_ja or "") or flow.steps[0].text is not None
    assert drawn.municipalities
    assert all(not m.service_ids for m in drawn.municipalities)
    assert Channel.PHONE in [c.channel for c in drawn.channels]
