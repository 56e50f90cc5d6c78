"""What a plan shows of how to reach a service: contacts, website, address, today's hours."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given
from hypothesis import strategies as st

from saihan.directory import Channel, ContactPoint, Directory, Location, sample_directory
from saihan.directory.municipalities import municipality, tokyo_municipalities
from saihan.errors import SaihanError
from saihan.referral import load_case, match
from saihan.referral.contacts import (
    address_in_romaji,
    hours_on,
    public_address,
    public_contacts,
)
from saihan.referral.plan import ReferralPlan
from saihan.schedule import BusinessCalendar
from saihan.serialization import from_json, to_json
from saihan.testing import directories, plans
from saihan.testing.calendar_strategies import calendars

ROOT = Path(__file__).resolve().parents[2]
ELDERLY = ROOT / "examples" / "cases" / "elderly-man-hachioji.json"
TOKYO = ZoneInfo("Asia/Tokyo")


def _plan() -> ReferralPlan:
    return match(load_case(ELDERLY), sample_directory())


def test_a_recommendation_carries_the_services_contacts_website_address_and_hours() -> None:
    rec = next(
        rec
        for rec in _plan().recommendations("housing")
        if rec.service_id == "hachioji-welfare-office-public-assistance"
    )
    assert rec.contacts == (ContactPoint(Channel.PHONE, "042-000-0005"),)
    assert rec.website == "https://example.jp/hachioji-welfare-office"
    assert rec.address == "東京都八王子市サンプル町10-1"
    # 2024-11-05, the day the case came in, was a Tuesday: 08:30-17:15 in Tokyo.
    assert [(i.opens, i.closes) for i in rec.hours_today] == [
        (
            dt.datetime(2024, 11, 5, 8, 30, tzinfo=TOKYO),
            dt.datetime(2024, 11, 5, 17, 15, tzinfo=TOKYO),
        )
    ]


def test_hours_today_follow_the_plans_day_and_are_empty_on_a_closed_day() -> None:
    case = load_case(ELDERLY)
    sunday = dt.datetime(2024, 11, 10, 12, 0, tzinfo=TOKYO)
    plan = match(case, sample_directory(), at=sunday)
    welfare = next(
        rec
        for rec in plan.recommendations()
        if rec.service_id == "hachioji-welfare-office-public-assistance"
    )
    assert welfare.hours_today == ()
    assert welfare.next_open is not None
    assert welfare.next_open.date() == dt.date(2024, 11, 11)


def test_without_contacts_of_its_own_a_service_shows_its_agencys_but_never_a_visit() -> None:
    directory = sample_directory()
    service = directory.service("hachioji-welfare-office-public-assistance")
    agency = directory.agency_of(service)
    bare = attrs.evolve(service, contacts=())
    shown = public_contacts(bare, agency)
    assert shown == tuple(c for c in agency.contacts if c.channel is not Channel.VISIT)
    assert shown  # the agency has a phone
    assert all(contact.channel is not Channel.VISIT for contact in public_contacts(service, agency))


def test_a_confidential_place_is_never_shown_and_a_public_one_of_the_service_is() -> None:
    directory = sample_directory()
    service = directory.service("hachioji-welfare-office-public-assistance")
    agency = directory.agency_of(service)
    place = agency.locations[0]
    hidden = attrs.evolve(place, id="shelter", confidential=True)
    moved = attrs.evolve(agency, locations=(hidden, *agency.locations))
    assert public_address(attrs.evolve(service, location_ids=("shelter",)), moved) is None
    both = attrs.evolve(service, location_ids=("shelter", place.id))
    assert public_address(both, moved) == "東京都八王子市サンプル町10-1"


def test_the_json_plan_keeps_the_contacts_and_reads_back() -> None:
    plan = _plan()
    again = from_json(to_json(plan), ReferralPlan)
    assert again == plan
    assert all(rec.contacts for rec in again.recommendations())


def _line(location: Location) -> str:
    address = location.address
    postal = f"〒{address.postal_code} " if address.postal_code else ""
    try:
        city = municipality(address.municipality_code).name_ja
    except SaihanError:
        city = ""
    return postal + address.prefecture + city + (address.street or "")


@given(directories(min_services=1))
def test_contacts_never_expose_a_confidential_place(directory: Directory) -> None:
    for service in directory.services:
        agency = directory.agency_of(service)
        shown = public_contacts(service, agency)
        assert all(contact.channel is not Channel.VISIT for contact in shown)
        assert set(shown) <= set(service.contacts or agency.contacts)
        places = [
            agency.location(location_id)
            for location_id in service.location_ids
            or [c.value for c in service.contacts or agency.contacts if c.channel is Channel.VISIT]
        ]
        public = [place for place in places if place is not None and not place.confidential]
        address = public_address(service, agency)
        assert address == (_line(public[0]) if public else None)


@given(plans())
def test_no_plan_shows_the_address_of_a_confidential_place(plan: ReferralPlan) -> None:
    hidden = {
        _line(location)
        for agency in sample_directory().agencies
        for location in agency.locations
        if location.confidential
    }
    assert hidden  # the sample has shelters whose addresses must stay hidden
    for rec in plan.recommendations():
        assert rec.address not in hidden


@given(
    calendars(timezones=("Asia/Tokyo", "America/New_York")),
    st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    st.lists(st.integers(0, 25 * 60 - 1), min_size=1, max_size=8),
)
def test_hours_today_agree_with_the_calendar_for_that_day(
    hours: BusinessCalendar, day: dt.date, minutes: list[int]
) -> None:
    intervals = hours_on(hours, day)
    start = dt.datetime.combine(day, dt.time(), tzinfo=hours.zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=hours.zone)
    for first, second in itertools.pairwise(intervals):
        assert first.closes <= second.opens
    for interval in intervals:
        assert start <= interval.opens < interval.closes <= end
    for minute in minutes:
        # Walk in real time (UTC), so that a daylight-saving day has its own length.
        moment = (start.astimezone(dt.UTC) + dt.timedelta(minutes=minute)).astimezone(hours.zone)
        if moment >= end:
            continue
        inside = any(interval.opens <= moment < interval.closes for interval in intervals)
        assert inside == hours.is_open(moment), moment
    assert hours_on(None, day) == ()


def test_a_version_3_plan_without_contacts_is_still_read() -> None:
    data = json.loads(to_json(_plan()))
    data["trace_version"] = 3
    for need in data["needs"]:
        for rec in need["recommendations"]:
            for key in ("contacts", "website", "address", "hours_today"):
                rec.pop(key, None)
    old = from_json(json.dumps(data), ReferralPlan)
    assert old.trace_version == 3
    assert all(rec.contacts == () and rec.hours_today == () for rec in old.recommendations())
    assert "八王子市福祉事務所" in old.to_text("ja")


@given(
    st.sampled_from(tokyo_municipalities()),
    st.none() | st.from_regex(r"[0-9]{3}-[0-9]{4}", fullmatch=True),
    st.text(min_size=1, max_size=30),
)
def test_every_tokyo_address_line_names_its_place_in_romaji(
    place: object, postal: str | None, street: str
) -> None:
    from saihan.directory.municipalities import Municipality

    assert isinstance(place, Municipality)
    line = (f"〒{postal} " if postal else "") + "東京都" + place.name_ja + street
    assert address_in_romaji(line) == f"{place.name_en}, Tokyo"


def test_a_line_outside_tokyos_municipalities_has_no_romaji() -> None:
    assert address_in_romaji("〒530-0001 大阪府大阪市北区梅田1-1") is None
    assert address_in_romaji("東京都どこか町1-1") is None
    assert address_in_romaji("") is None


def test_an_english_plan_shows_each_address_as_written_with_its_place_in_romaji() -> None:
    plan = _plan()
    english, japanese = plan.to_text("en"), plan.to_text("ja")
    shown = [rec for need in plan.needs for rec in need.recommendations if rec.address]
    assert shown
    for rec in shown:
        place = address_in_romaji(rec.address or "")
        assert place is not None
        assert f"Address: {rec.address} ({place})" in english  # usable on a letter, and read
        assert place not in japanese
