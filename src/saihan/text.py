"""Localized names and the text normalisation Japanese search needs."""

from __future__ import annotations

import unicodedata

import attrs

from saihan._validation import Checker, checked

__all__ = ["LocalizedText", "normalize_for_search"]

# Katakana ァ (U+30A1) .. ヶ (U+30F6) sit exactly 0x60 above their hiragana.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def normalize_for_search(text: str) -> str:
    """Fold text the way Japanese users expect search to ignore differences.

    NFKC first (full-width ``ＡＢＣ１２３`` and half-width ``ｶﾀｶﾅ`` become their
    ordinary forms), then katakana to hiragana, then case folding.  Runs of
    white space, ideographic space included, become one ASCII space.

    >>> normalize_for_search("ﾊﾛｰﾜｰｸ　ＴＯＫＹＯ")
    'はろーわーく tokyo'
    """
    folded = unicodedata.normalize("NFKC", text).translate(_KATAKANA_TO_HIRAGANA).casefold()
    return " ".join(folded.split())


@attrs.frozen
class LocalizedText:
    """A name or text in Japanese, with its kana reading and English form.

    ``ja`` is required; ``kana`` (the reading, hiragana or katakana) and
    ``en`` are optional.  Search matches any of the three.
    """

    ja: str = attrs.field(metadata={"schema": {"minLength": 1}, "doc": "Japanese text."})
    kana: str | None = attrs.field(
        default=None, metadata={"doc": "Reading in kana, for sorting and search."}
    )
    en: str | None = attrs.field(default=None, metadata={"doc": "English text."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.non_blank("ja", self.ja)
        check.non_blank_optional("kana", self.kana)
        check.non_blank_optional("en", self.en)
        check.done()

    def forms(self) -> tuple[str, ...]:
        """Every form that is set, Japanese first."""
        return tuple(form for form in (self.ja, self.kana, self.en) if form)

    def search_key(self) -> str:
        """All forms, normalised, for substring search."""
        return "\n".join(normalize_for_search(form) for form in self.forms())

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("ja" or "en"), falling back to Japanese."""
        if lang == "en" and self.en:
            return self.en
        return self.ja
