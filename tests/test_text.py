import pytest
from hypothesis import given
from hypothesis import strategies as st

from saihan.directory import LocalizedText, normalize_for_search
from saihan.errors import ValidationError


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ＡＢＣ１２３", "abc123"),
        ("ﾊﾛｰﾜｰｸ", "はろーわーく"),
        ("ハローワーク", "はろーわーく"),
        ("はろーわーく", "はろーわーく"),
        ("Hello　Work", "hello work"),
        ("  many   spaces ", "many spaces"),
        ("ダルク", "だるく"),
        ("ｶﾞ", "が"),
    ],
)
def test_normalize_for_search(raw: str, folded: str) -> None:
    assert normalize_for_search(raw) == folded


@given(st.text())
def test_normalisation_is_idempotent(value: str) -> None:
    once = normalize_for_search(value)
    assert normalize_for_search(once) == once


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096)))
def test_hiragana_and_katakana_fold_alike(hiragana: str) -> None:
    katakana = "".join(chr(ord(c) + 0x60) for c in hiragana)
    assert normalize_for_search(katakana) == normalize_for_search(hiragana)


def test_localized_text_requires_japanese() -> None:
    with pytest.raises(ValidationError) as caught:
        LocalizedText(ja="  ", en="")
    assert caught.value.paths == ["ja", "en"]


def test_localized_text_forms_and_get() -> None:
    name = LocalizedText(ja="法テラス", kana="ほうてらす", en="Houterasu")
    assert name.forms() == ("法テラス", "ほうてらす", "Houterasu")
    assert name.get("en") == "Houterasu"
    assert LocalizedText(ja="法テラス").get("en") == "法テラス"
    assert "ほうてらす" in name.search_key()
