"""The medical institution list (医療機関一覧) and the care service office list
(介護サービス事業所一覧) of the 自治体標準オープンデータセット, read as facilities.

Each is read by the facility-list importer through a :class:`~saihan_opendata_jp.importer.ListSpec`:
its columns are mapped onto the facility list's, its own columns saihan does not carry
are reported when filled, and its agencies get the matching agency kind.  Row paths
name the list's own columns (``row 3.診療開始時間``).  Sources: docs/opendata-jp.md.
"""

from __future__ import annotations

from saihan.directory import AgencyKind, LocalizedText
from saihan_opendata_jp import columns as col
from saihan_opendata_jp.importer import DEFAULTS, ListSpec, OpendataCsvImporter

__all__ = [
    "CARE_KIND",
    "CARE_LIST",
    "MEDICAL_KIND",
    "MEDICAL_LIST",
    "CareServiceCsvImporter",
    "MedicalInstitutionCsvImporter",
]

_COMMON = (col.CODE, col.ID, col.PLACE_NAME)
_PLACE = (col.ADDRESS, col.ADDRESS_DETAIL, col.LAT, col.LON, col.PHONE, col.EXTENSION)


def _same(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def _defaults(kind: AgencyKind, *lines: str) -> tuple[str, ...]:
    kept = [line for line in DEFAULTS if not line.startswith(("needs:", "agency kind:"))]
    return (
        *lines,
        *kept,
        f"agency kind: not in the format; agencies get {kind.code!r} (an extension kind "
        "added to the directory) unless the agency_kind option names one",
    )


MEDICAL_KIND = AgencyKind(
    code="opendata-medical-institution",
    name=LocalizedText(
        ja="医療機関（オープンデータから取込）", en="Medical institution (loaded from open data)"
    ),
)
"""The agency kind of agencies read from 医療機関一覧 (unless ``agency_kind`` names another)."""

CARE_KIND = AgencyKind(
    code="opendata-care-service-office",
    name=LocalizedText(
        ja="介護サービス事業所（オープンデータから取込）",
        en="Long-term care service office (loaded from open data)",
    ),
)
"""The agency kind of agencies read from 介護サービス事業所一覧."""

_MEDICAL_TYPE = "医療機関の種類"
_DEPARTMENTS = "診療科目"
_AFTER_HOURS = "時間外における対応"
_OPERATOR = "法人の名称"


def _medical_description(cells: dict[str, str]) -> str:
    parts = [cells[_MEDICAL_TYPE].strip()]
    if cells[_DEPARTMENTS].strip():
        parts.append(f"診療科目: {cells[_DEPARTMENTS].strip()}")
    if cells[_AFTER_HOURS].strip():
        parts.append(f"時間外の対応: {cells[_AFTER_HOURS].strip()}")
    return "。".join(part for part in parts if part)


def _medical_needs(cells: dict[str, str]) -> frozenset[str]:
    """General help; psychiatric treatment too when 診療科目 lists 精神科 or 心療内科."""
    description = cells[col.DESCRIPTION]
    if "精神科" in description or "心療内科" in description:
        return frozenset({"general", "mental_health.treatment"})
    return frozenset({"general"})


MEDICAL_LIST = ListSpec(
    name="opendata-medical-csv",
    title="医療機関一覧",
    columns=(
        *_COMMON,
        col.NAME,
        col.NAME_KANA,
        _MEDICAL_TYPE,
        *_PLACE,
        "FAX番号",
        "法人番号",
        _OPERATOR,
        "医療機関コード",
        "診療曜日",
        "診療開始時間",
        "診療終了時間",
        "診療日時特記事項",
        _AFTER_HOURS,
        _DEPARTMENTS,
        "病床数",
        col.URL,
        col.NOTE,
    ),
    sources={
        **_same(*_COMMON, col.NAME, col.NAME_KANA, *_PLACE, col.URL, col.NOTE),
        col.AGENCY_NAME: _OPERATOR,
        col.DAYS: "診療曜日",
        col.START: "診療開始時間",
        col.END: "診療終了時間",
        col.HOURS_NOTE: "診療日時特記事項",
    },
    unused=("FAX番号", "法人番号", "医療機関コード", "病床数"),
    kind=MEDICAL_KIND,
    defaults=_defaults(
        MEDICAL_KIND,
        "needs: 'general', and 'mental_health.treatment' when 診療科目 lists 精神科 or 心療内科",
        "医療機関の種類, 診療科目 and 時間外における対応: in the service's description only",
    ),
    describe=_medical_description,
    needs=_medical_needs,
)
"""医療機関一覧: one service per institution; its operator (法人の名称) names the agency."""

_CARE_NAME = "介護サービス事業所名称"

CARE_LIST = ListSpec(
    name="opendata-care-csv",
    title="介護サービス事業所一覧",
    columns=(
        *_COMMON,
        _CARE_NAME,
        f"{_CARE_NAME}_カナ",
        "実施サービス",
        *_PLACE,
        "FAX番号",
        "法人番号",
        _OPERATOR,
        "事業所番号",
        "利用可能曜日",
        "利用可能曜日特記事項",
        "定員",
        col.URL,
        col.NOTE,
    ),
    sources={
        **_same(*_COMMON, *_PLACE, col.URL, col.NOTE),
        col.NAME: _CARE_NAME,
        col.NAME_KANA: f"{_CARE_NAME}_カナ",
        col.DESCRIPTION: "実施サービス",
        col.AGENCY_NAME: _OPERATOR,
        col.HOURS_NOTE: "利用可能曜日特記事項",
    },
    unused=("FAX番号", "法人番号", "事業所番号", "利用可能曜日", "定員"),
    kind=CARE_KIND,
    defaults=_defaults(
        CARE_KIND,
        "needs: not in the format; every service gets 'elderly_disability.elderly_care'",
        "利用可能曜日: the list gives days without times, so only the words of "
        "利用可能曜日特記事項 make a calendar; filled 利用可能曜日 cells are reported",
    ),
    needs=lambda cells: frozenset({"elderly_disability.elderly_care"}),
)
"""介護サービス事業所一覧: one service per office, 実施サービス its description."""


class MedicalInstitutionCsvImporter(OpendataCsvImporter):
    """Reads 医療機関一覧 (UTF-8 or cp932, or a ZIP of such files), strictly or leniently,
    with the options of :class:`OpendataCsvImporter`."""

    name = "opendata-medical-csv"
    spec = MEDICAL_LIST


class CareServiceCsvImporter(OpendataCsvImporter):
    """Reads 介護サービス事業所一覧 (UTF-8 or cp932, or a ZIP of such files), strictly or
    leniently, with the options of :class:`OpendataCsvImporter`."""

    name = "opendata-care-csv"
    spec = CARE_LIST
