import attrs
import pytest

from _builders import CHIYODA, HACHIOJI, SHINJUKU, service, small_directory, text
from saihan.directory import (
    Address,
    Agency,
    AgencyKind,
    Audience,
    Channel,
    ContactPoint,
    Directory,
    Eligibility,
    Location,
    Need,
    PersonAttribute,
    ServiceArea,
)
from saihan.errors import NotFoundError, ValidationError


def ids(services) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.id for s in services]


def test_search_without_criteria_returns_everything_sorted() -> None:
    directory = small_directory()
    assert ids(directory.search()) == sorted(s.id for s in directory.services)


def test_need_matches_descendants_and_broader_needs() -> None:
    directory = small_directory()
    # housing covers housing.transitional; welfare-housing serves housing as a whole.
    assert ids(directory.search(need="housing")) == ["halfway-stay", "welfare-housing"]
    # A broad housing service also serves a request for a sub-need.
    assert ids(directory.search(need="housing.emergency")) == ["welfare-housing"]
    assert ids(directory.search(need="legal")) == ["debt", "legal-line"]
    assert ids(directory.search(need="employment")) == ["hw-job"]


def test_unknown_need_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="unknown need"):
        small_directory().search(need="space_travel")


def test_municipality_by_code_or_name_and_wide_areas() -> None:
    directory = small_directory()
    expected = ["halfway-stay", "hw-job", "legal-line", "welfare-assist", "welfare-housing"]
    for form in (HACHIOJI, "八王子市", "hachioji", "ハチオウジシ"):
        assert ids(directory.search(municipality=form)) == expected
    # Osaka: only the national service.
    assert ids(directory.search(municipality="271004")) == ["legal-line"]
    assert ids(directory.search(municipality=CHIYODA)) == [
        "debt",
        "halfway-stay",
        "hw-job",
        "legal-line",
    ]


def test_bad_municipality_code_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        small_directory().search(municipality="131017")
    assert caught.value.paths == ["municipality"]


def test_audience_channel_and_kind() -> None:
    directory = small_directory()
    assert ids(directory.search(audience=Audience.FAMILY)) == ["legal-line", "welfare-housing"]
    assert ids(directory.search(audience="supporter")) == ["legal-line"]
    # Services without contacts of their own use their agency's.
    assert ids(directory.search(channel=Channel.PHONE)) == ["legal-line", "welfare-assist"]
    assert ids(directory.search(channel="email")) == ["hw-job"]
    assert ids(directory.search(channel="visit")) == ["welfare-housing"]
    assert ids(directory.search(kind="houterasu")) == ["debt", "legal-line"]
    assert ids(directory.search(kind="darc")) == []
    with pytest.raises(NotFoundError):
        directory.search(kind="spaceport")
    with pytest.raises(ValidationError) as caught:
        directory.search(audience="martians")
    assert caught.value.paths == ["audience"]


def test_text_search_folds_width_kana_and_case() -> None:
    directory = small_directory()
    for query in ("ハローワーク", "はろーわーく", "ﾊﾛｰﾜｰｸ", "hello work", "HELLO", "職業相談"):
        assert ids(directory.search(text=query)) == ["hw-job"], query
    assert ids(directory.search(text="八王子 福祉")) == ["welfare-assist", "welfare-housing"]
    assert ids(directory.search(text="八王子 法律")) == []


def test_criteria_combine() -> None:
    directory = small_directory()
    found = directory.search(need="housing", municipality=SHINJUKU, audience="person")
    assert ids(found) == ["halfway-stay"]


def test_lookups() -> None:
    directory = small_directory()
    assert directory.service("hw-job").agency_id == "hw-shinjuku"
    assert directory.agency_of("hw-job").kind == "hello_work"
    assert ids(directory.services_of("houterasu")) == ["legal-line", "debt"]
    assert directory.contacts_of("welfare-assist") == directory.agency("hachioji-welfare").contacts
    assert len(directory) == 6
    with pytest.raises(NotFoundError):
        directory.service("nope")
    with pytest.raises(NotFoundError):
        directory.agency("nope")


def test_published_directory_hides_confidential_addresses() -> None:
    directory = small_directory()
    house = directory.published().agency("halfway").locations[0]
    assert house.confidential
    assert house.address.municipality_code == SHINJUKU
    assert house.address.street is None
    assert house.address.postal_code is None
    assert house.geo is None
    # Everything else is untouched.
    assert directory.published().services == directory.services
    assert directory.agency("halfway").locations[0].address.street == "秘密1-1"


def test_every_cross_reference_problem_is_reported_at_once() -> None:
    good = small_directory()
    broken_service = service(
        "hw-job",  # duplicate id
        "ghost",  # no such agency
        {"housing", "time_travel"},  # unknown need
        ServiceArea.tokyo(),
    )
    wrong_location = attrs.evolve(good.services[0], id="x", location_ids=("nowhere",))
    bad_visit = attrs.evolve(
        good.services[0], id="y", contacts=(ContactPoint(Channel.VISIT, "back-door"),)
    )
    bad_agency = Agency(id="hw-shinjuku", name=text("重複"), kind="spaceport")
    with pytest.raises(ValidationError) as caught:
        Directory(
            agencies=[*good.agencies, bad_agency],
            services=[*good.services, broken_service, wrong_location, bad_visit],
        )
    assert set(caught.value.paths) == {
        "agencies[4].id",
        "agencies[4].kind",
        "services[6].id",
        "services[6].agency_id",
        "services[6].needs[1]",
        "services[7].location_ids[0]",
        "services[8].contacts[0].value",
    }


def test_municipality_extends_needs_and_kinds_without_code() -> None:
    base = small_directory()
    extended = Directory(
        agencies=[
            *base.agencies,
            Agency(id="club", name=text("地域食堂"), kind="community_kitchen"),
        ],
        services=[
            *base.services,
            service("meals", "club", {"welfare.meals"}, ServiceArea.of(HACHIOJI)),
        ],
        needs=[Need(code="welfare.meals", label=text("食事の支援", "Meals"), parent="welfare")],
        agency_kinds=[
            AgencyKind(
                code="community_kitchen", name=text("子ども食堂"), needs=frozenset({"welfare"})
            )
        ],
    )
    assert ids(extended.search(need="welfare")) == ["meals", "welfare-assist"]
    assert extended.taxonomy.priority_area("welfare.meals") == 2
    assert "community_kitchen" in extended.kinds


def test_bad_extensions_are_reported_with_paths() -> None:
    with pytest.raises(ValidationError) as caught:
        Directory(
            needs=[Need(code="x", label=text("x"), parent="nowhere")],
            agency_kinds=[
                AgencyKind(code="hello_work", name=text("重複")),
                AgencyKind(code="new", name=text("新"), needs=frozenset({"zzz"})),
            ],
        )
    assert set(caught.value.paths) == {
        "needs[0].parent",
        "agency_kinds[0].code",
        "agency_kinds[1].needs[0]",
    }


@pytest.mark.parametrize(
    ("build", "paths"),
    [
        (lambda: Eligibility(min_age=30, max_age=20), ["max_age"]),
        (lambda: Eligibility(min_age=-1, max_age=200), ["min_age", "max_age"]),
        (
            lambda: Eligibility(
                required_attributes=frozenset({PersonAttribute.ELDERLY}),
                excluded_attributes=frozenset({PersonAttribute.ELDERLY}),
            ),
            ["excluded_attributes"],
        ),
        (lambda: ServiceArea.of(), ["municipality_codes"]),
        (lambda: ServiceArea.of("131016", "131017"), ["municipality_codes[1]"]),
        (lambda: ServiceArea(kind="prefecture", prefecture_code="99"), ["prefecture_code"]),  # type: ignore[arg-type]
        (
            lambda: Address(municipality_code="131017", postal_code="1600023"),
            ["municipality_code", "postal_code"],
        ),
        (lambda: ContactPoint(Channel.PHONE, "call me"), ["value"]),
        (lambda: ContactPoint(Channel.EMAIL, "nobody"), ["value"]),
        (lambda: ContactPoint(Channel.WEB_FORM, "example.jp/form"), ["value"]),
        (lambda: Location(id="Bad Id", address=Address(municipality_code=CHIYODA)), ["id"]),
        (
            lambda: service("s", "a", set(), ServiceArea.tokyo(), audiences=set()),
            ["needs"],
        ),
    ],
)
def test_model_checks_name_the_field(build, paths: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.paths == paths


def test_service_area_covers() -> None:
    assert ServiceArea.tokyo().covers(HACHIOJI)
    assert not ServiceArea.tokyo().covers("271004")
    assert ServiceArea.national().covers("271004")
    assert ServiceArea.of(HACHIOJI).covers(HACHIOJI)
    assert not ServiceArea.of(HACHIOJI).covers(SHINJUKU)


def test_eligibility_admits_age() -> None:
    rule = Eligibility(min_age=14, max_age=19)
    assert [rule.admits_age(age) for age in (13, 14, 19, 20)] == [False, True, True, False]
