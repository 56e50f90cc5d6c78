"""医療機関一覧 and 介護サービス事業所一覧, read as services of the matching agency kinds."""

from __future__ import annotations

import pytest
from saihan_opendata_jp import (
    CARE_KIND,
    MEDICAL_KIND,
    CareServiceCsvImporter,
    MedicalInstitutionCsvImporter,
)
from saihan_opendata_jp.lists import CARE_LIST, MEDICAL_LIST

from saihan import plugins
from saihan.directory import Directory
from saihan.errors import ValidationError
from saihan.schedule import Weekday

MEDICAL = MedicalInstitutionCsvImporter()
CARE = CareServiceCsvImporter()


def csv_of(columns: tuple[str, ...], *rows: dict[str, str], encoding: str = "utf-8") -> bytes:
    lines = [",".join(columns), *(",".join(row.get(c, "") for c in columns) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


HOSPITAL = {
    "全国地方公共団体コード": "132012",
    "ID": "H0001",
    "地方公共団体名": "東京都八王子市",
    "名称": "八王子こころの病院",
    "名称_カナ": "ハチオウジココロノビョウイン",
    "医療機関の種類": "病院",
    "住所": "東京都八王子市元本郷町3-24-1",
    "緯度": "35.6664",
    "経度": "139.316",
    "電話番号": "042-626-3111",
    "法人の名称": "医療法人社団はちおうじ会",
    "診療曜日": "月～金",
    "診療開始時間": "9:00",
    "診療終了時間": "17:00",
    "診療日時特記事項": "月～金 9時～17時（祝日・年末年始を除く）",
    "時間外における対応": "救急外来あり",
    "診療科目": "内科;精神科",
    "病床数": "120",
    "URL": "https://example.org/hospital",
}

CARE_OFFICE = {
    "全国地方公共団体コード": "131130",
    "ID": "K0042",
    "地方公共団体名": "東京都渋谷区",
    "介護サービス事業所名称": "しぶや訪問介護ステーション",
    "介護サービス事業所名称_カナ": "ｼﾌﾞﾔﾎｳﾓﾝｶｲｺﾞｽﾃｰｼｮﾝ",
    "実施サービス": "訪問介護",
    "住所": "東京都渋谷区宇田川町1-1",
    "電話番号": "03-3463-1211",
    "法人の名称": "社会福祉法人しぶや",
    "事業所番号": "1371300001",
    "利用可能曜日": "月～土",
    "利用可能曜日特記事項": "月～土 8時30分～17時30分",
    "定員": "30",
}


def test_a_hospital_is_a_service_of_a_medical_institution() -> None:
    result = MEDICAL.load_with_report(csv_of(MEDICAL_LIST.columns, HOSPITAL))
    directory = result.value
    (agency,) = directory.agencies
    (service,) = directory.services
    assert agency.kind == MEDICAL_KIND.code
    assert MEDICAL_KIND in directory.agency_kinds
    assert agency.name.ja == "医療法人社団はちおうじ会"
    assert service.name.ja == "八王子こころの病院"
    assert service.name.kana == "はちおうじこころのびょういん"
    assert service.needs == {"general", "mental_health.treatment"}
    assert service.description is not None
    assert service.description.ja == "病院。診療科目: 内科;精神科。時間外の対応: 救急外来あり"
    assert agency.locations[0].municipality_code == "132012"
    assert agency.locations[0].address.street == "元本郷町3-24-1"
    assert service.hours is not None
    assert service.hours.closed_on_national_holidays
    assert service.hours.weekly[0].days == {
        Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR
    }  # fmt: skip
    assert "病床数 (not carried): row 2" in result.report.not_carried
    assert result.report.format == "opendata-medical-csv"


def test_a_care_office_is_a_service_of_a_care_service_office() -> None:
    result = CARE.load_with_report(csv_of(CARE_LIST.columns, CARE_OFFICE, encoding="cp932"),
                                   encoding="cp932")  # fmt: skip
    (agency,) = result.value.agencies
    (service,) = result.value.services
    assert agency.kind == CARE_KIND.code
    assert service.needs == {"elderly_disability.elderly_care"}
    assert service.name.kana == "しぶやほうもんかいごすてーしょん"
    assert service.description is not None
    assert service.description.ja == "訪問介護"
    assert service.hours is not None
    (rule,) = service.hours.weekly
    assert Weekday.SA in rule.days
    assert "定員 (not carried): row 2" in result.report.not_carried
    assert "利用可能曜日 (not carried): row 2" in result.report.not_carried


def test_paths_name_the_lists_own_columns() -> None:
    bad = dict(HOSPITAL, 診療開始時間="25:00", ID="H0002")
    with pytest.raises(ValidationError) as caught:
        MEDICAL.load(csv_of(MEDICAL_LIST.columns, HOSPITAL, bad))
    paths = [item.path for item in caught.value.errors]
    assert "row 3.診療開始時間" in paths
    lenient = MEDICAL.load_with_report(csv_of(MEDICAL_LIST.columns, HOSPITAL, bad), lenient=True)
    assert [s.record for s in lenient.report.skipped] == ["row 3"]
    assert len(lenient.value.services) == 1


def test_the_header_is_checked_against_the_lists_definition() -> None:
    with pytest.raises(ValidationError, match="missing column\\(s\\) 医療機関の種類") as caught:
        MEDICAL.load(csv_of(tuple(c for c in MEDICAL_LIST.columns if c != "医療機関の種類"), {}))
    assert "the 医療機関一覧 has these columns" in str(caught.value)
    with pytest.raises(ValidationError, match="介護サービス事業所名称"):
        CARE.load(csv_of(MEDICAL_LIST.columns, HOSPITAL))


def test_registered_by_entry_point() -> None:
    medical = plugins.importer("opendata-medical-csv", for_type=Directory)
    care = plugins.importer("opendata-care-csv", for_type=Directory)
    assert isinstance(medical, MedicalInstitutionCsvImporter)
    assert isinstance(care, CareServiceCsvImporter)
