"""Hypothesis strategies that generate valid saihan models.

Importing this module requires `Hypothesis <https://hypothesis.readthedocs.io>`_,
which is not a dependency of saihan itself: install ``saihan[test]`` (or
``hypothesis``) to use it.  Everything generated is valid: building it never
raises, and it survives :func:`saihan.serialization.to_json` and
:func:`~saihan.serialization.from_json` unchanged.

The strategies compose: :func:`directories` draws agencies with
:func:`agencies`, their services with :func:`services` constrained to the
agency's id and locations, and so on.  Keyword arguments narrow what a
strategy generates (``municipality_codes(tokyo_only=True)``,
``services(agency_id="hachioji-welfare")``).

Text is deliberately awkward: kanji, kana, half-width katakana, full-width
Latin, combining marks, emoji, control and zero-width characters, as well as
plain ASCII.  Sizes are kept small so that property tests run fast.

Example::

    from hypothesis import given
    from saihan.serialization import from_json, to_json
    from saihan.testing import directories

    @given(directories())
    def test_round_trip(directory):
        assert from_json(to_json(directory), type(directory)) == directory
"""

from __future__ import annotations

import functools
import string
from collections.abc import Collection, Sequence
from typing import TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from saihan.directory.agency import Agency
from saihan.directory.agency_kinds import AgencyKind, default_agency_kinds
from saihan.directory.directory import Directory, DirectoryMeta
from saihan.directory.location import Address, GeoPoint, Location
from saihan.directory.municipalities import check_digit, tokyo_municipalities
from saihan.directory.service import (
    MAX_AGE,
    AreaKind,
    ContactPoint,
    Eligibility,
    Service,
    ServiceArea,
)
from saihan.directory.taxonomy import Need, NeedTaxonomy, default_taxonomy
from saihan.directory.vocabulary import Audience, Channel, Cost, LegalSituation, PersonAttribute
from saihan.schedule import BusinessCalendar
from saihan.testing.calendar_strategies import calendars
from saihan.text import LocalizedText

__all__ = [
    "PREFECTURES",
    "addresses",
    "agencies",
    "agency_kinds",
    "contact_points",
    "directories",
    "directory_metas",
    "eligibilities",
    "extension_needs",
    "geo_points",
    "identifiers",
    "language_tags",
    "localized_texts",
    "locations",
    "municipality_codes",
    "need_codes",
    "phone_numbers",
    "postal_codes",
    "service_areas",
    "services",
    "texts",
    "urls",
]

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip
"""The 47 prefectures in code order: ``PREFECTURES[0]`` is code 01, Tokyo is code 13."""

_T = TypeVar("_T")

_ID_FIRST = string.ascii_lowercase + string.digits
_ID_REST = _ID_FIRST + "._-"

# Words a real directory contains, and some that trip up naive text handling:
# half-width kana, full-width Latin, a character outside the BMP (𠮷), an
# ideographic space, circled digits, a combining dakuten, emoji, RTL override.
_SAMPLE_WORDS = (
    "保護観察所",
    "更生保護施設",
    "地域生活定着支援センター",
    "福祉事務所",
    "八王子市",
    "新宿区",
    "ハローワーク",
    "ﾊﾛｰﾜｰｸ",
    "ＴＯＫＹＯ",
    "ほごかんさつしょ",
    "𠮷野",
    "髙橋",
    "相談　窓口",
    "①②③",
    "㈱",
    "か\u3099",
    "ヴァ",
    "～",
    "🏠🤝",
    "\u202eabc",
    "zero\u200bwidth",
    "tab\tand\nnewline",
    "nul\x00char",
    'quote"back\\slash',
    "Probation office",
)

_KANA_RANGES = (
    st.characters(min_codepoint=0x3041, max_codepoint=0x3096),  # hiragana
    st.characters(min_codepoint=0x30A1, max_codepoint=0x30FA),  # katakana
)
_JAPANESE_CHARACTERS = st.one_of(
    *_KANA_RANGES,
    st.characters(min_codepoint=0xFF66, max_codepoint=0xFF9F),  # half-width katakana
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK ideographs
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),  # full-width ASCII
    st.sampled_from("ー・「」。、々〆"),
)
_KANA_CHARACTERS = st.one_of(*_KANA_RANGES, st.sampled_from("ー・"))
_SPACES = st.sampled_from(" \u3000\t")
# Python's str.isspace() and the \s of re are true exactly for categories Z* and Cc
# among these, so excluding them leaves characters that are never white space.
_VISIBLE = st.characters(codec="utf-8", exclude_categories=["Z", "Cc"])


@functools.cache
def _maybe(strategy: SearchStrategy[_T]) -> SearchStrategy[_T | None]:
    """None or a value of ``strategy``: the usual shape of an optional field."""
    return st.none() | strategy


def _around(
    visible: SearchStrategy[str], anything: SearchStrategy[str], max_size: int
) -> SearchStrategy[str]:
    """Strings of at most ``max_size`` characters with at least one ``visible`` one."""
    before = (max_size - 1) // 2
    return st.builds(
        "{}{}{}".format,
        st.text(anything, max_size=before),
        visible,
        st.text(anything, max_size=max_size - 1 - before),
    )


def texts(*, max_size: int = 16) -> SearchStrategy[str]:
    """Strings with Japanese, kana and odd characters, never empty or only white space.

    :class:`LocalizedText` and most text fields refuse blank strings; control
    characters, ideographic spaces and the like do come up around the visible ones.
    """
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    return _texts(max_size)


# Strategies are cached: building and validating them afresh for every draw
# costs more than drawing from them.
@functools.cache
def _texts(max_size: int) -> SearchStrategy[str]:
    words = [word for word in _SAMPLE_WORDS if len(word) <= max_size]
    japanese = _JAPANESE_CHARACTERS | _SPACES
    return st.one_of(
        st.sampled_from(words) if words else st.nothing(),
        _around(_JAPANESE_CHARACTERS, japanese, max_size),
        _around(_VISIBLE, st.characters(codec="utf-8"), max_size),
    )


def identifiers(*, max_size: int = 12) -> SearchStrategy[str]:
    """Ids that match ``^[a-z0-9][a-z0-9._-]{0,127}$`` (at most ``max_size`` long)."""
    if not 1 <= max_size <= 128:
        raise ValueError("max_size must be between 1 and 128")
    return _identifiers(max_size)


@functools.cache
def _identifiers(max_size: int) -> SearchStrategy[str]:
    return st.builds(
        str.__add__,
        st.sampled_from(_ID_FIRST),
        st.text(st.sampled_from(_ID_REST), max_size=max_size - 1),
    )


def localized_texts(
    *, kana: bool | None = None, en: bool | None = None, max_size: int = 16
) -> SearchStrategy[LocalizedText]:
    """:class:`LocalizedText` values.

    ``kana`` and ``en`` say whether the reading and the English form are
    present (True), absent (False) or either (None, the default).
    """
    return _localized_texts(kana, en, max_size)


@functools.cache
def _localized_texts(
    kana: bool | None, en: bool | None, max_size: int
) -> SearchStrategy[LocalizedText]:
    def optional(flag: bool | None, present: SearchStrategy[str]) -> SearchStrategy[str | None]:
        if flag is None:
            return _maybe(present)
        return present if flag else st.none()

    readings = _around(_KANA_CHARACTERS, _KANA_CHARACTERS | _SPACES, max_size)
    return st.builds(
        LocalizedText,
        ja=texts(max_size=max_size),
        kana=optional(kana, readings),
        en=optional(en, texts(max_size=max_size)),
    )


def _code_with_check_digit(prefecture: int, rest: int) -> str:
    first_five = f"{prefecture:02d}{rest:03d}"
    return f"{first_five}{check_digit(first_five)}"


def municipality_codes(
    *, tokyo_only: bool = False, prefectures: Collection[int] | None = None
) -> SearchStrategy[str]:
    """Valid local government codes (JIS X 0402 with check digit).

    Tokyo's 62 municipalities come up often; unless ``tokyo_only``, so do
    other well-formed codes anywhere in Japan, built with
    :func:`~saihan.directory.check_digit`.  ``prefectures`` limits the other
    codes to those prefecture numbers (1-47).
    """
    numbers = tuple(sorted(prefectures)) if prefectures is not None else tuple(range(1, 48))
    if not numbers or not all(1 <= number <= 47 for number in numbers):
        raise ValueError("prefectures must be a non-empty collection of numbers 1-47")
    return _municipality_codes(tokyo_only, numbers)


@functools.cache
def _municipality_codes(tokyo_only: bool, numbers: tuple[int, ...]) -> SearchStrategy[str]:
    tokyo = st.sampled_from([item.code for item in tokyo_municipalities()])
    if tokyo_only:
        return tokyo
    anywhere = st.builds(
        _code_with_check_digit, st.sampled_from(numbers), st.integers(min_value=0, max_value=999)
    )
    return tokyo | anywhere


@functools.cache
def postal_codes() -> SearchStrategy[str]:
    """Postal codes like ``160-0023``."""
    return st.from_regex(r"[0-9]{3}-[0-9]{4}", fullmatch=True)


@st.composite
def addresses(
    draw: DrawFn,
    *,
    municipality_code: str | None = None,
    tokyo_only: bool = False,
    minimal: bool = False,
) -> Address:
    """:class:`Address` values whose prefecture matches the municipality code.

    ``municipality_code`` fixes the code; ``tokyo_only`` draws it from
    Tokyo's 62; ``minimal`` leaves out the postal code and street.
    """
    code = (
        municipality_code
        if municipality_code is not None
        else draw(municipality_codes(tokyo_only=tokyo_only))
    )
    prefecture = PREFECTURES[int(code[:2]) - 1]
    if minimal:
        return Address(municipality_code=code, prefecture=prefecture)
    return Address(
        municipality_code=code,
        prefecture=prefecture,
        postal_code=draw(_maybe(postal_codes())),
        street=draw(_maybe(texts(max_size=24))),
    )


def geo_points(*, tokyo_only: bool = False) -> SearchStrategy[GeoPoint]:
    """:class:`GeoPoint` values with finite coordinates that survive JSON exactly.

    ``tokyo_only`` keeps them inside Tokyo's extent, islands included
    (Okinotorishima to Minamitorishima).
    """
    return _geo_points(tokyo_only)


@functools.cache
def _geo_points(tokyo_only: bool) -> SearchStrategy[GeoPoint]:
    lat_range, lon_range = (
        ((20.0, 36.0), (136.0, 154.0)) if tokyo_only else ((-90, 90), (-180, 180))
    )

    def coordinate(bounds: tuple[float, float]) -> SearchStrategy[float]:
        low, high = bounds
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)

    return st.builds(GeoPoint, lat=coordinate(lat_range), lon=coordinate(lon_range))


@st.composite
def locations(
    draw: DrawFn,
    *,
    id: str | None = None,
    tokyo_only: bool = False,
    confidential: bool | None = None,
) -> Location:
    """:class:`Location` values.

    ``id`` fixes the location id; ``tokyo_only`` keeps the address and
    coordinates in Tokyo; ``confidential`` fixes the flag (either when None).
    """
    return Location(
        id=id if id is not None else draw(identifiers()),
        address=draw(addresses(tokyo_only=tokyo_only)),
        name=draw(_maybe(localized_texts())),
        geo=draw(_maybe(geo_points(tokyo_only=tokyo_only))),
        confidential=draw(st.booleans()) if confidential is None else confidential,
        access=draw(_maybe(localized_texts())),
    )


@functools.cache
def phone_numbers() -> SearchStrategy[str]:
    """Phone and fax numbers: realistic ones and anything ``^\\+?[0-9][0-9-]{5,20}$`` allows."""
    realistic = st.builds(
        "{}-{:04d}-{:04d}".format,
        st.sampled_from(["03", "042", "0120", "090", "050"]),
        st.integers(min_value=0, max_value=9999),
        st.integers(min_value=0, max_value=9999),
    )
    return realistic | st.from_regex(r"\+?[0-9][0-9-]{5,20}", fullmatch=True)


@functools.cache
def urls() -> SearchStrategy[str]:
    """http(s) URLs: realistic ones and anything ``^https?://\\S+$`` allows."""
    realistic = st.builds(
        "https://{}.example.jp/{}".format,
        identifiers(max_size=8),
        st.text(st.sampled_from(string.ascii_letters + string.digits + "/?=&%-_"), max_size=12),
    )
    odd = st.builds(
        str.__add__,
        st.sampled_from(["http://", "https://"]),
        st.text(_VISIBLE, min_size=1, max_size=16),
    )
    return realistic | odd


@functools.cache
def _emails() -> SearchStrategy[str]:
    part = st.text(
        st.characters(codec="utf-8", exclude_categories=["Z", "Cc"], exclude_characters="@"),
        min_size=1,
        max_size=8,
    )
    realistic = st.builds("{}@example.jp".format, identifiers(max_size=8))
    odd = st.builds("{}@{}.{}".format, part, part, part)
    return realistic | odd


@functools.cache
def language_tags() -> SearchStrategy[str]:
    """BCP 47 language tags as saihan accepts them (``ja``, ``pt-BR``, ``zh-Hant-TW``)."""
    common = st.sampled_from(["ja", "en", "zh", "ko", "vi", "tl", "ne", "pt-BR", "zh-Hans", "es"])
    return common | st.from_regex(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}", fullmatch=True)


def _contact_value(channel: Channel, location_ids: Sequence[str] | None) -> SearchStrategy[str]:
    if channel in (Channel.PHONE, Channel.FAX):
        return phone_numbers()
    if channel is Channel.EMAIL:
        return _emails()
    if channel is Channel.WEB_FORM:
        return urls()
    if location_ids is None:
        return identifiers()
    return st.sampled_from(list(location_ids))


@st.composite
def contact_points(
    draw: DrawFn,
    *,
    location_ids: Sequence[str] | None = None,
    channels: Collection[Channel] | None = None,
) -> ContactPoint:
    """:class:`ContactPoint` values whose value fits the channel.

    A ``visit`` contact names one of ``location_ids``; with an empty
    sequence there are no ``visit`` contacts, and with None (the default) it
    names any id.  ``channels`` limits the channels used.
    """
    allowed = [
        channel
        for channel in Channel
        if (channels is None or channel in channels)
        and not (channel is Channel.VISIT and location_ids is not None and not location_ids)
    ]
    if not allowed:
        raise ValueError("no channel is left to generate a contact point with")
    channel = draw(st.sampled_from(allowed))
    return ContactPoint(
        channel=channel,
        value=draw(_contact_value(channel, location_ids)),
        label=draw(_maybe(localized_texts())),
    )


@st.composite
def service_areas(
    draw: DrawFn,
    *,
    kinds: Collection[AreaKind] | None = None,
    tokyo_only: bool = False,
    max_codes: int = 4,
) -> ServiceArea:
    """:class:`ServiceArea` values of the given ``kinds`` (every kind by default).

    ``tokyo_only`` keeps municipality lists and prefecture areas in Tokyo.
    """
    kind = draw(st.sampled_from([kind for kind in AreaKind if kinds is None or kind in kinds]))
    note = draw(_maybe(localized_texts()))
    if kind is AreaKind.MUNICIPALITIES:
        codes = draw(
            st.frozensets(
                municipality_codes(tokyo_only=tokyo_only), min_size=1, max_size=max(max_codes, 1)
            )
        )
        return ServiceArea(kind=kind, municipality_codes=codes, note=note)
    if kind is AreaKind.PREFECTURE:
        number = 13 if tokyo_only else draw(st.integers(min_value=1, max_value=47))
        return ServiceArea(kind=kind, prefecture_code=f"{number:02d}", note=note)
    return ServiceArea(kind=kind, note=note)


_AGES = st.integers(min_value=0, max_value=MAX_AGE)


@st.composite
def eligibilities(draw: DrawFn, *, unrestricted: bool = False) -> Eligibility:
    """:class:`Eligibility` values: ages in order, no attribute both required and excluded.

    ``unrestricted`` gives the default (anyone) every time.
    """
    if unrestricted:
        return Eligibility()
    ages = _maybe(_AGES)
    min_age, max_age = draw(ages), draw(ages)
    if min_age is not None and max_age is not None and min_age > max_age:
        min_age, max_age = max_age, min_age
    required = draw(st.frozensets(st.sampled_from(PersonAttribute), max_size=3))
    excluded = draw(
        st.frozensets(
            st.sampled_from([item for item in PersonAttribute if item not in required]),
            max_size=3,
        )
    )
    return Eligibility(
        min_age=min_age,
        max_age=max_age,
        legal_situations=draw(st.frozensets(st.sampled_from(LegalSituation), max_size=4)),
        required_attributes=required,
        any_required_attribute=draw(st.booleans()),
        excluded_attributes=excluded,
        note=draw(_maybe(localized_texts())),
    )


def need_codes(*, taxonomy: NeedTaxonomy | None = None) -> SearchStrategy[str]:
    """Need codes of ``taxonomy`` (the bundled :func:`default_taxonomy` by default)."""
    return _need_codes(default_taxonomy() if taxonomy is None else taxonomy)


@functools.cache
def _need_codes(taxonomy: NeedTaxonomy) -> SearchStrategy[str]:
    return st.sampled_from(sorted(need.code for need in taxonomy))


@st.composite
def extension_needs(
    draw: DrawFn,
    *,
    taxonomy: NeedTaxonomy | None = None,
    root: bool | None = None,
    code: str | None = None,
) -> Need:
    """:class:`Need` values that extend ``taxonomy`` (the bundled one by default).

    The code is new to the taxonomy.  ``root=False`` gives a sub-need of one
    of the taxonomy's needs, ``root=True`` a new root with a priority area,
    None either.  ``code`` fixes the code.
    """
    base = default_taxonomy() if taxonomy is None else taxonomy
    new_code = code if code is not None else draw(identifiers().filter(lambda c: c not in base))
    label = draw(localized_texts())
    make_root = draw(st.booleans()) if root is None else root
    if make_root:
        return Need(
            code=new_code,
            label=label,
            priority_area=draw(st.integers(min_value=1, max_value=6)),
        )
    parents = [need.code for need in base if need.code != new_code]
    return Need(code=new_code, label=label, parent=draw(st.sampled_from(parents)))


@st.composite
def agency_kinds(
    draw: DrawFn,
    *,
    needs: Sequence[str] | None = None,
    code: str | None = None,
) -> AgencyKind:
    """:class:`AgencyKind` values with a code that none of the bundled kinds has.

    ``needs`` are the need codes the kind may list (the bundled taxonomy's by
    default); ``code`` fixes the code.
    """
    existing = {kind.code for kind in default_agency_kinds()}
    new_code = code if code is not None else draw(identifiers().filter(lambda c: c not in existing))
    if needs is None:
        served = draw(st.frozensets(need_codes(), max_size=3))
    else:
        served = (
            draw(st.frozensets(st.sampled_from(list(needs)), max_size=3)) if needs else frozenset()
        )
    return AgencyKind(
        code=new_code,
        name=draw(localized_texts()),
        operator=draw(_maybe(texts())),
        needs=served,
        source=draw(_maybe(urls())),
    )


@functools.cache
def _hours(present: bool | None) -> SearchStrategy[BusinessCalendar | None]:
    # Small calendars: they are the slowest part of a service to generate.
    calendar = calendars(max_rules=2, max_dated=2)
    if present is None:
        return st.one_of(st.none(), st.none(), st.none(), calendar)  # about one in four
    return calendar if present else st.none()


@st.composite
def services(
    draw: DrawFn,
    *,
    id: str | None = None,
    agency_id: str | None = None,
    location_ids: Sequence[str] | None = None,
    needs: Sequence[str] | None = None,
    tokyo_only: bool = False,
    max_contacts: int = 2,
    hours: bool | None = None,
) -> Service:
    """:class:`Service` values.

    ``id`` and ``agency_id`` fix those ids.  ``location_ids`` are the
    agency's locations: the service is offered at some of them and its
    ``visit`` contacts name them (None: any ids).  ``needs`` are the need
    codes to choose from (the bundled taxonomy's by default).  ``hours``
    says whether the service has a business calendar (None: now and then;
    they come from :func:`saihan.testing.calendar_strategies.calendars`).
    """
    if needs is not None and not needs:
        raise ValueError("a service meets at least one need: give some need codes")
    codes = need_codes() if needs is None else st.sampled_from(list(needs))
    if location_ids is None:
        offered = draw(st.lists(identifiers(), max_size=2, unique=True))
    elif location_ids:
        offered = draw(st.lists(st.sampled_from(list(location_ids)), unique=True))
    else:
        offered = []
    return Service(
        id=id if id is not None else draw(identifiers()),
        agency_id=agency_id if agency_id is not None else draw(identifiers()),
        name=draw(localized_texts()),
        area=draw(service_areas(tokyo_only=tokyo_only)),
        needs=draw(st.frozensets(codes, min_size=1, max_size=3)),
        audiences=draw(st.frozensets(st.sampled_from(Audience), min_size=1)),
        description=draw(_maybe(localized_texts(max_size=40))),
        eligibility=draw(eligibilities()),
        contacts=tuple(
            draw(st.lists(contact_points(location_ids=location_ids), max_size=max_contacts))
        ),
        hours=draw(_hours(hours)),
        location_ids=tuple(offered),
        languages=tuple(draw(st.lists(language_tags(), min_size=0, max_size=3, unique=True))),
        cost=draw(st.sampled_from(Cost)),
        cost_note=draw(_maybe(localized_texts())),
        accepting_referrals=draw(st.booleans()),
        url=draw(_maybe(urls())),
    )


@st.composite
def agencies(
    draw: DrawFn,
    *,
    id: str | None = None,
    kinds: Sequence[str] | None = None,
    tokyo_only: bool = False,
    max_locations: int = 3,
    max_contacts: int = 3,
) -> Agency:
    """:class:`Agency` values with unique location ids and ``visit`` contacts to them.

    ``id`` fixes the agency id; ``kinds`` are the kind codes to choose from
    (the bundled :func:`default_agency_kinds` by default).
    """
    kind_codes = list(kinds) if kinds is not None else [k.code for k in default_agency_kinds()]
    location_ids = draw(st.lists(identifiers(), max_size=max_locations, unique=True))
    places = tuple(
        draw(locations(id=location_id, tokyo_only=tokyo_only)) for location_id in location_ids
    )
    return Agency(
        id=id if id is not None else draw(identifiers()),
        name=draw(localized_texts()),
        kind=draw(st.sampled_from(kind_codes)),
        operator=draw(_maybe(texts())),
        description=draw(_maybe(localized_texts(max_size=40))),
        website=draw(_maybe(urls())),
        contacts=tuple(
            draw(st.lists(contact_points(location_ids=location_ids), max_size=max_contacts))
        ),
        locations=places,
    )


_LICENSES = st.sampled_from(["CC BY 4.0", "CC0-1.0", "ODbL"]) | texts()
_DATES = st.dates()


@st.composite
def directory_metas(draw: DrawFn, *, sample: bool | None = None) -> DirectoryMeta:
    """:class:`DirectoryMeta` values; ``sample`` fixes the sample flag."""
    return DirectoryMeta(
        name=draw(localized_texts()),
        description=draw(_maybe(localized_texts(max_size=40))),
        sample=draw(st.booleans()) if sample is None else sample,
        source=draw(_maybe(texts())),
        license=draw(_maybe(_LICENSES)),
        updated=draw(_maybe(_DATES)),
    )


@st.composite
def directories(
    draw: DrawFn,
    *,
    min_services: int = 0,
    max_services: int = 6,
    max_agencies: int = 4,
    extensions: bool | None = None,
    tokyo_only: bool = False,
) -> Directory:
    """:class:`Directory` values whose cross-references all hold.

    Agency, service and location ids are unique; every service names an
    existing agency and only that agency's locations; ``visit`` contacts
    name the agency's locations; kinds come from :func:`default_agency_kinds`
    and needs from :func:`default_taxonomy`.  With ``extensions`` (by default
    now and then) the directory adds its own need, under one of the bundled
    ones, and its own agency kind, and uses both.
    """
    if min_services > max_services:
        raise ValueError("min_services must not exceed max_services")
    if max_agencies < 1 and min_services > 0:
        raise ValueError("services need at least one agency")
    with_extensions = draw(st.booleans()) if extensions is None else extensions
    taxonomy = default_taxonomy()
    extra_needs: tuple[Need, ...] = ()
    extra_kinds: tuple[AgencyKind, ...] = ()
    codes = sorted(need.code for need in taxonomy)
    kind_codes = [kind.code for kind in default_agency_kinds()]
    if with_extensions:
        extra_needs = (draw(extension_needs(taxonomy=taxonomy, root=False)),)
        codes.append(extra_needs[0].code)
        extra_kinds = (draw(agency_kinds(needs=codes)),)
        kind_codes.append(extra_kinds[0].code)

    count = draw(st.integers(min_value=1 if min_services else 0, max_value=max_agencies))
    agency_ids = draw(st.lists(identifiers(), min_size=count, max_size=count, unique=True))
    members = [
        draw(agencies(id=agency_id, kinds=kind_codes, tokyo_only=tokyo_only))
        for agency_id in agency_ids
    ]
    if extra_kinds and members:
        members[0] = attrs.evolve(members[0], kind=extra_kinds[0].code)

    offered: list[Service] = []
    if members:
        service_ids = draw(
            st.lists(identifiers(), min_size=min_services, max_size=max_services, unique=True)
        )
        for service_id in service_ids:
            owner = draw(st.sampled_from(members))
            offered.append(
                draw(
                    services(
                        id=service_id,
                        agency_id=owner.id,
                        location_ids=[location.id for location in owner.locations],
                        needs=codes,
                        tokyo_only=tokyo_only,
                    )
                )
            )
    if extra_needs and offered:
        first = offered[0]
        offered[0] = attrs.evolve(first, needs=first.needs | {extra_needs[0].code})

    return Directory(
        agencies=members,
        services=offered,
        meta=draw(directory_metas()),
        needs=extra_needs,
        agency_kinds=extra_kinds,
    )
