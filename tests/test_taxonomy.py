import pytest

from saihan.directory import (
    Need,
    NeedTaxonomy,
    default_agency_kinds,
    default_taxonomy,
    priority_areas,
)
from saihan.errors import NotFoundError, ValidationError
from saihan.text import LocalizedText

NEED_AREAS = {
    "employment",
    "housing",
    "welfare",
    "elderly_disability",
    "drug_alcohol",
    "mental_health",
    "juvenile_education",
    "family",
    "legal",
    "general",
}


def label(ja: str) -> LocalizedText:
    return LocalizedText(ja=ja, en=ja)


def test_ten_need_areas_under_the_six_priority_areas() -> None:
    taxonomy = default_taxonomy()
    assert {need.code for need in taxonomy.roots()} == NEED_AREAS
    assert [area.number for area in priority_areas()] == [1, 2, 3, 4, 5, 6]
    for need in taxonomy:
        assert 1 <= taxonomy.priority_area(need.code) <= 6
        assert need.label.ja
        assert need.label.en
    assert taxonomy.priority_area("housing.emergency") == 1
    assert taxonomy.priority_area("drug_alcohol.peer_recovery") == 2
    assert taxonomy.priority_area("juvenile_education.schooling") == 3


def test_descendants_and_ancestors() -> None:
    taxonomy = default_taxonomy()
    assert "housing.emergency" in taxonomy.descendants("housing")
    assert "housing" in taxonomy.descendants("housing")
    assert "employment" not in taxonomy.descendants("housing")
    assert taxonomy.ancestors("housing.emergency") == ("housing.emergency", "housing")
    assert taxonomy.root("legal.aid").code == "legal"
    assert {n.code for n in taxonomy.children("family")} >= {"family.prisoner_family"}
    with pytest.raises(NotFoundError):
        taxonomy.get("nothing")


def test_agency_kinds_cover_the_shared_table_and_known_needs() -> None:
    kinds = {kind.code: kind for kind in default_agency_kinds()}
    assert len(kinds) == 24
    assert {"probation_office", "darc", "tokyo_crime_worry_desk", "hello_work"} <= set(kinds)
    for kind in kinds.values():
        assert kind.needs, kind.code
        assert kind.needs <= NEED_AREAS, kind.code


def test_extension_errors_point_into_the_extension() -> None:
    base = default_taxonomy()
    with pytest.raises(ValidationError) as caught:
        base.extended(
            [
                Need(code="housing", label=label("重複"), priority_area=1),
                Need(code="a", label=label("a"), parent="b"),
                Need(code="b", label=label("b"), parent="a"),
                Need(code="c", label=label("c"), parent="missing"),
            ]
        )
    assert caught.value.paths == ["[0].code", "[1].parent", "[2].parent", "[3].parent"]


def test_need_checks() -> None:
    with pytest.raises(ValidationError) as caught:
        Need(code="root", label=label("x"))
    assert caught.value.paths == ["priority_area"]
    with pytest.raises(ValidationError) as caught:
        Need(code="child", label=label("x"), parent="housing", priority_area=1)
    assert caught.value.paths == ["priority_area"]


def test_taxonomy_equality_and_size() -> None:
    assert default_taxonomy() == NeedTaxonomy(default_taxonomy())
    assert len(default_taxonomy()) > len(NEED_AREAS)
