from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan.directory import (
    Address,
    MunicipalityKind,
    check_digit,
    code_problem,
    find_municipality,
    is_valid_code,
    municipality,
    normalize_for_search,
    tokyo_municipalities,
)
from saihan.errors import NotFoundError, ValidationError


def test_there_are_62_in_code_order() -> None:
    table = tokyo_municipalities()
    assert len(table) == 62
    assert [m.code for m in table] == sorted(m.code for m in table)
    assert all(m.code.startswith("13") for m in table)


def test_counts_by_kind() -> None:
    counts = Counter(m.kind for m in tokyo_municipalities())
    assert counts == {
        MunicipalityKind.SPECIAL_WARD: 23,
        MunicipalityKind.CITY: 26,
        MunicipalityKind.TOWN: 5,
        MunicipalityKind.VILLAGE: 8,
    }


def test_every_code_has_a_correct_check_digit() -> None:
    for item in tokyo_municipalities():
        assert int(item.code[5]) == check_digit(item.code[:5]), item
        assert is_valid_code(item.code)


def test_check_digit_edge_cases() -> None:
    # Shibuya: S = 34, 11 - 34 mod 11 = 10, which wraps to 0.  Setagaya: S = 32, 11 - 10 = 1.
    assert check_digit("13113") == 0
    assert check_digit("13112") == 1
    assert municipality("131130").name_ja == "渋谷区"
    assert municipality("131121").name_ja == "世田谷区"


@pytest.mark.parametrize("item", tokyo_municipalities(), ids=lambda m: m.code)
def test_every_name_form_resolves(item) -> None:  # type: ignore[no-untyped-def]
    katakana = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in item.name_kana)
    for form in (
        item.code,
        item.name_ja,
        item.name_kana,
        katakana,
        item.name_en,
        item.name_en.upper(),
    ):
        assert municipality(form) == item, form


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ("八王子市", "132012"),
        ("はちおうじし", "132012"),
        ("Hachioji-shi", "132012"),
        ("hachioji", "132012"),
        ("八王子", "132012"),
        ("ＨＡＣＨＩＯＪＩ", "132012"),
        ("chuo", "131024"),
        ("ogasawara", "134210"),
        ("新宿", "131041"),
    ],
)
def test_short_forms(form: str, code: str) -> None:
    assert municipality(form).code == code


def test_ambiguous_bare_name_lists_candidates() -> None:
    assert {m.name_ja for m in find_municipality("toshima")} == {"豊島区", "利島村"}
    with pytest.raises(NotFoundError, match="ambiguous") as caught:
        municipality("toshima")
    assert "豊島区" in str(caught.value)
    assert "利島村" in str(caught.value)


def test_unknown_name() -> None:
    with pytest.raises(NotFoundError, match="no Tokyo municipality"):
        municipality("大阪市")
    with pytest.raises(NotFoundError, match="check digit"):
        municipality("131017")
    assert find_municipality("nowhere") == ()


def test_non_string_lookup_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        find_municipality(131016)  # type: ignore[arg-type]


def test_codes_elsewhere_in_japan_are_accepted() -> None:
    osaka = "271004"  # 大阪市
    assert code_problem(osaka) is None
    assert Address(municipality_code=osaka, prefecture="大阪府").municipality_code == osaka


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("13101", "6-digit"),
        ("1310166", "6-digit"),
        ("131017", "check digit"),
        ("481000", "01-47"),
        ("００００００", "6-digit"),
        (131016, "6-digit"),
    ],
)
def test_bad_codes(code: object, reason: str) -> None:
    problem = code_problem(code)
    assert problem is not None
    assert reason in problem


@given(st.from_regex(r"\A(0[1-9]|[1-3][0-9]|4[0-7])[0-9]{3}\Z"))
def test_check_digit_makes_a_valid_code_and_any_other_digit_is_wrong(first_five: str) -> None:
    digit = check_digit(first_five)
    assert is_valid_code(first_five + str(digit))
    for other in set("0123456789") - {str(digit)}:
        assert not is_valid_code(first_five + other)


def test_normalisation_of_names_is_used_for_lookup() -> None:
    assert normalize_for_search("ﾊﾁｵｳｼﾞｼ") == "はちおうじし"
    assert municipality("ﾊﾁｵｳｼﾞｼ").code == "132012"
