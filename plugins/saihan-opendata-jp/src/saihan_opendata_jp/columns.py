"""The columns of the facility list (公共施設一覧) and the places they name.

The column set is the 公共施設一覧 of the Digital Agency's 自治体標準オープンデータセット
(the former 推奨データセット, renamed when the Digital Agency took it over; see the
plugin README for the sources and the version).
"""

from __future__ import annotations

import functools
import re

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
    "END",
    "EXTENSION",
    "HOURS_NOTE",
    "ID",
    "ID_RE",
    "LAT",
    "LON",
    "NAME",
    "NAME_EN",
    "NAME_KANA",
    "NOTE",
    "PHONE",
    "PLACE_NAME",
    "POI",
    "PREFECTURES",
    "START",
    "URL",
    "place_name",
    "prefecture_name",
]

CODE = "全国地方公共団体コード"
ID = "ID"
PLACE_NAME = "地方公共団体名"
NAME = "名称"
NAME_KANA = "名称_カナ"
NAME_EN = "名称_英字"
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
    CODE, ID, PLACE_NAME, NAME, NAME_KANA, NAME_EN, POI, ADDRESS, ADDRESS_DETAIL, LAT, LON,
    PHONE, EXTENSION, CORPORATE_NUMBER, AGENCY_NAME, DAYS, START, END, HOURS_NOTE,
    DESCRIPTION, BARRIER_FREE, URL, NOTE,
)  # fmt: skip
"""Every column, in the order the definition lists them (and the exporter writes them)."""

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
