"""Japanese local government codes and Tokyo's 62 municipalities.

Codes are JIS X 0402 with the check digit the Ministry of Internal Affairs and
Communications appends: six digits, the first two the prefecture (13 is Tokyo).
Any valid code anywhere in Japan is accepted where a code is asked for; the
bundled table names Tokyo's.

Source of the table: ``data/tokyo_municipalities.csv`` (see ``data/README.md``).
"""

from __future__ import annotations

import difflib
import enum
import functools
import re

import attrs

from saihan._validation import types_only
from saihan.directory._data import read_rows
from saihan.errors import ErrorItem, NotFoundError, ValidationError
from saihan.text import normalize_for_search

__all__ = [
    "TOKYO_PREFECTURE_CODE",
    "Municipality",
    "MunicipalityKind",
    "check_digit",
    "code_problem",
    "find_municipality",
    "is_valid_code",
    "municipality",
    "municipality_code",
    "near_municipalities",
    "tokyo_municipalities",
]

TOKYO_PREFECTURE_CODE = "13"
_CODE_RE = re.compile(r"^[0-9]{6}$")


class MunicipalityKind(enum.StrEnum):
    """The four kinds of municipality (区市町村) in Tokyo."""

    SPECIAL_WARD = "special_ward"
    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"


def check_digit(first_five: str) -> int:
    """The check digit of a local government code from its first five digits.

    S = 6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5, digit = (11 − S mod 11) mod 10.

    >>> check_digit("13113")  # Shibuya
    0
    >>> check_digit("13112")  # Setagaya
    1
    """
    if len(first_five) != 5 or not first_five.isascii() or not first_five.isdigit():
        raise ValidationError(f"{first_five!r} is not five ASCII digits")
    total = sum(
        weight * int(digit) for weight, digit in zip((6, 5, 4, 3, 2), first_five, strict=True)
    )
    return (11 - total % 11) % 10


def code_problem(code: object) -> str | None:
    """Why ``code`` is not a valid local government code, or None when it is."""
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        return f"{code!r} is not a 6-digit local government code (JIS X 0402 + check digit)"
    return _code_problem(code)


@functools.lru_cache(maxsize=4096)
def _code_problem(code: str) -> str | None:
    # A directory names the same few codes thousands of times: each is worked out once.
    prefecture = int(code[:2])
    if not 1 <= prefecture <= 47:
        return f"{code!r} has prefecture part {code[:2]}, which is not 01-47"
    expected = check_digit(code[:5])
    if int(code[5]) != expected:
        return f"{code!r} has check digit {code[5]}, expected {expected}"
    return None


def is_valid_code(code: object) -> bool:
    """True when ``code`` is a well-formed local government code with a correct check digit."""
    return code_problem(code) is None


@attrs.frozen
class Municipality:
    """A municipality (区市町村) with its code and the three forms of its name."""

    code: str
    name_ja: str
    name_kana: str
    name_en: str
    kind: MunicipalityKind

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def prefecture_code(self) -> str:
        return self.code[:2]


def _read_table() -> tuple[Municipality, ...]:
    rows = [
        Municipality(
            code=row["code"],
            name_ja=row["name_ja"],
            name_kana=row["name_kana"],
            name_en=row["name_en"],
            kind=MunicipalityKind(row["kind"]),
        )
        for row in read_rows("tokyo_municipalities.csv")
    ]
    return tuple(sorted(rows, key=lambda m: m.code))


_SUFFIXES_EN = ("-ku", "-shi", "-machi", "-mura", "-cho", "-son")
_SUFFIXES_JA = ("区", "市", "町", "村")


def _bare_forms(item: Municipality) -> set[str]:
    """Name forms without the kind suffix (``hachioji``, ``八王子``)."""
    forms = set()
    lowered = item.name_en.lower()
    for suffix in _SUFFIXES_EN:
        if lowered.endswith(suffix):
            forms.add(lowered[: -len(suffix)])
    if item.name_ja.endswith(_SUFFIXES_JA) and len(item.name_ja) > 2:
        forms.add(item.name_ja[:-1])
    return {normalize_for_search(form) for form in forms}


@functools.cache
def _index() -> tuple[dict[str, Municipality], dict[str, tuple[Municipality, ...]]]:
    """Full names map to one municipality; bare names may be shared (豊島区 and 利島村)."""
    exact: dict[str, Municipality] = {}
    bare: dict[str, list[Municipality]] = {}
    for item in tokyo_municipalities():
        exact[item.code] = item
        for form in (item.name_ja, item.name_kana, item.name_en):
            exact[normalize_for_search(form)] = item
        for form in _bare_forms(item):
            bare.setdefault(form, []).append(item)
    return exact, {key: tuple(value) for key, value in bare.items()}


@functools.cache
def tokyo_municipalities() -> tuple[Municipality, ...]:
    """Tokyo's 62 municipalities in code order: 23 special wards, 26 cities, 5 towns, 8 villages."""
    return _read_table()


def find_municipality(name_or_code: str) -> tuple[Municipality, ...]:
    """Every Tokyo municipality that ``name_or_code`` may mean (none, one, or several).

    Accepts the code, the kanji name, the kana reading (hiragana or katakana),
    the romanised name (``Hachioji-shi``) and the romanised or kanji name
    without its suffix (``hachioji``, ``八王子``), ignoring case and width.
    """
    if not isinstance(name_or_code, str):
        raise ValidationError(f"expected a name or code as a string, got {name_or_code!r}")
    exact, bare = _index()
    key = normalize_for_search(name_or_code)
    if key in exact:
        return (exact[key],)
    return bare.get(key, ())


def near_municipalities(name: str, limit: int = 3) -> tuple[Municipality, ...]:
    """Tokyo municipalities whose names (any form :func:`find_municipality` accepts)
    are closest to ``name`` (:func:`difflib.get_close_matches`), best first, at most
    ``limit``: the suggestions of a "did you mean" for a name that is not found."""
    if not isinstance(name, str):
        return ()
    exact, bare = _index()
    keys = [key for key in (*exact, *bare) if not key.isdigit()]
    found: list[Municipality] = []
    for key in difflib.get_close_matches(normalize_for_search(name), keys, n=limit * 3, cutoff=0.7):
        for item in (exact[key],) if key in exact else bare[key]:
            if item not in found:
                found.append(item)
    return tuple(found[:limit])


def _named(items: tuple[Municipality, ...]) -> str:
    return ", ".join(f"{m.name_ja} ({m.name_en}, {m.code})" for m in items)


def _not_found(name_or_code: str) -> str:
    """Why ``name_or_code`` names no municipality (one it names none of), with near names."""
    found = find_municipality(name_or_code)
    if found:
        return f"{name_or_code!r} is ambiguous: it may mean {_named(found)}"
    problem = code_problem(name_or_code) if name_or_code.isdigit() else None
    detail = f" ({problem})" if problem else ""
    near = near_municipalities(name_or_code)
    hint = f"; did you mean {_named(near)}?" if near else ""
    return f"no Tokyo municipality is called {name_or_code!r}{detail}{hint}"


def municipality(name_or_code: str) -> Municipality:
    """The one Tokyo municipality that ``name_or_code`` names.

    Raises :class:`NotFoundError` when none matches (naming the nearest names) or
    when the name is ambiguous (``toshima`` is both 豊島区 and 利島村); the message
    lists the candidates.
    """
    found = find_municipality(name_or_code)
    if len(found) == 1:
        return found[0]
    raise NotFoundError(_not_found(name_or_code))


def municipality_code(value: object, path: str = "municipality") -> str:
    """A municipality's code from its code or name, for an argument that names one.

    Any well-formed code is accepted (a code anywhere in Japan); a name must be one
    of Tokyo's.  :class:`~saihan.errors.ValidationError` at ``path`` for anything
    else: a malformed code, or a name that is not one of Tokyo's municipalities or
    is ambiguous (the message names the nearest names, or the candidates).
    """
    if not isinstance(value, str):
        raise ValidationError([ErrorItem(path, f"expected a string, got {type(value).__name__}")])
    if value.isascii() and value.isdigit():
        problem = code_problem(value)
        if problem:
            raise ValidationError([ErrorItem(path, problem)])
        return value
    found = find_municipality(value)
    if len(found) == 1:
        return found[0].code
    raise ValidationError([ErrorItem(path, _not_found(value))])
