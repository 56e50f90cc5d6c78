"""The columns of the facility list (公共施設一覧), the places they name, and its IDs.

The column set is the 公共施設一覧 of the Digital Agency's 自治体標準オープンデータセット
(the former 推奨データセット, renamed when the Digital Agency took it over); the sources
and the version are cited in docs/opendata-jp.md.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from saihan.directory import tokyo_municipalities

__all__ = [
    "ADDRESS",
    "ADDRESS_DETAIL",
    "AGENCY_NAME",
    "BARRIER_FREE",
    "CODE",
    "COLUMNS",
    "CORPORATE_NUMBER",
    "DAYS",
    "DESCRIPTION",
    "ENCODINGS",
    "END",
    "EXTENSION",
    "HOURS_NOTE",
    "ID",
    "ID_RE",
    "LAT",
    "LON",
    "NAME",
    "NAME_ALIAS",
    "NAME_KANA",
    "NOTE",
    "PHONE",
    "PLACE_NAME",
    "POI",
    "PREFECTURES",
    "START",
    "URL",
    "code_for_address",
    "decode_id",
    "encode_id",
    "hiragana",
    "katakana",
    "place_name",
    "prefecture_code",
    "prefecture_name",
    "publisher_name",
    "split_address",
]

CODE = "全国地方公共団体コード"
ID = "ID"
PLACE_NAME = "地方公共団体名"
NAME = "名称"
NAME_KANA = "名称_カナ"
NAME_ALIAS = "名称_通称"
POI = "POIコード"
ADDRESS = "住所"
ADDRESS_DETAIL = "方書"
LAT = "緯度"
LON = "経度"
PHONE = "電話番号"
EXTENSION = "内線番号"
CORPORATE_NUMBER = "法人番号"
AGENCY_NAME = "団体名"
DAYS = "利用可能曜日"
START = "開始時間"
END = "終了時間"
HOURS_NOTE = "利用可能日時特記事項"
DESCRIPTION = "説明"
BARRIER_FREE = "バリアフリー情報"
URL = "URL"
NOTE = "備考"

COLUMNS: tuple[str, ...] = (
    CODE, CORPORATE_NUMBER, ID, PLACE_NAME, NAME, NAME_KANA, NAME_ALIAS, POI, ADDRESS,
    ADDRESS_DETAIL, LAT, LON, PHONE, EXTENSION, AGENCY_NAME, DAYS, START, END, HOURS_NOTE,
    DESCRIPTION, BARRIER_FREE, URL, NOTE,
)  # fmt: skip
"""Every column, in the order the definition lists them (and the exporter writes them).

The first four are the standard's common columns and describe the *publishing* body
(情報の管理主体): its local government code, its corporate number when it is not a local
government, the row's ID within it, and its name.  The rest describe the facility."""

ENCODINGS: tuple[str, ...] = ("utf-8", "cp932")
"""The encodings read and written: UTF-8 (a BOM allowed, or written with ``bom``) and
cp932, the Windows form of Shift_JIS that municipalities (Tokyo among them) publish in."""

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
"""saihan's id pattern (agencies, services, locations)."""

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip
"""The 47 prefectures in code order (JIS X 0401): index 12 is Tokyo, code 13."""


def prefecture_name(code: str) -> str:
    """The prefecture a (valid) local government code lies in."""
    return PREFECTURES[int(code[:2]) - 1]


@functools.cache
def _tokyo_names() -> dict[str, str]:
    return {place.code: place.name_ja for place in tokyo_municipalities()}


def place_name(code: str) -> str | None:
    """The municipality's name for Tokyo's 62 codes; None for codes saihan has no name for."""
    return _tokyo_names().get(code)


def prefecture_code(code: str) -> str:
    """The code of the prefecture (as a body, ``130001``) a valid code lies in."""
    from saihan.directory import check_digit

    return f"{code[:2]}000{check_digit(code[:2] + '000')}"


def publisher_name(code: str) -> str | None:
    """地方公共団体名 of a publishing body: the prefecture, or the prefecture and the
    municipality for Tokyo's 62; None for a municipality saihan has no name for."""
    if code[2:5] == "000":
        return prefecture_name(code)
    name = place_name(code)
    return None if name is None else prefecture_name(code) + name


def split_address(address: str) -> tuple[str | None, str | None, str]:
    """住所 as (prefecture name, Tokyo municipality code, the rest).

    The prefecture is one of the 47 names at the start; the municipality is looked
    for only in Tokyo, whose 62 names saihan has (none is a prefix of another).
    """
    prefecture = next((name for name in PREFECTURES if address.startswith(name)), None)
    if prefecture is None:
        return None, None, address
    rest = address[len(prefecture) :]
    if prefecture != PREFECTURES[12]:
        return prefecture, None, rest
    for code, name in _tokyo_names().items():
        if rest.startswith(name):
            return prefecture, code, rest[len(name) :]
    return prefecture, None, rest


def code_for_address(prefecture: str | None, municipality: str | None, publisher: str) -> str:
    """The facility's municipality code from its 住所, as :func:`split_address` read it:
    the municipality's; else the publisher's when it lies in that prefecture (or no
    prefecture is named); else the prefecture's."""
    if municipality is not None:
        return municipality
    if prefecture is None or prefecture_name(publisher) == prefecture:
        return publisher
    return prefecture_code(f"{PREFECTURES.index(prefecture) + 1:02d}0000")


# The ID column holds half-width letters and digits only.  saihan ids are lower-case
# letters, digits and '.', '_', '-'; the exporter writes AGENCY:SERVICE[:LOCATION] with
# each of the four other characters as an upper-case letter (saihan ids have none), so
# the ID is as long as the ids, the same for the same directory, and reads back exactly.
_ESCAPES = {":": "Z", "-": "H", ".": "D", "_": "U"}
_UNESCAPES = {letter: char for char, letter in _ESCAPES.items()}
_ENCODE = str.maketrans(_ESCAPES)
_DECODE = str.maketrans(_UNESCAPES)
_ENCODED_RE = re.compile(r"^[a-z0-9HDUZ]+$")


def encode_id(agency_id: str, service_id: str, location_id: str | None = None) -> str:
    """The ID of a row: ``tokyo-desk``, ``consult``, ``main`` → ``tokyoHdeskZconsultZmain``."""
    parts = [agency_id, service_id] if location_id is None else [agency_id, service_id, location_id]
    return ":".join(parts).translate(_ENCODE)


def decode_id(text: str) -> tuple[str, str, str | None] | None:
    """The saihan ids an ID written by :func:`encode_id` stands for; None for any other ID."""
    if not _ENCODED_RE.fullmatch(text):
        return None
    parts = text.translate(_DECODE).split(":")
    if len(parts) not in (2, 3) or not all(ID_RE.fullmatch(part) for part in parts):
        return None
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


# 名称_カナ is full-width katakana (文字列(全角カナ)); saihan keeps readings in hiragana.
# ぁ (U+3041) .. ゖ (U+3096) sit exactly 0x60 below ァ .. ヶ.
_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_TO_HIRAGANA = {code + 0x60: code for code in range(0x3041, 0x3097)}
_HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]+")


def katakana(reading: str) -> str:
    """A reading in full-width katakana: hiragana become katakana, the rest is kept."""
    return reading.translate(_TO_KATAKANA)


def hiragana(reading: str) -> str:
    """A 名称_カナ cell as saihan keeps readings: half-width katakana made full-width
    (``ｶﾞ`` → ``ガ``), then katakana made hiragana; the rest is kept."""
    full = _HALF_WIDTH_KANA.sub(lambda run: unicodedata.normalize("NFKC", run.group()), reading)
    return full.translate(_TO_HIRAGANA)
