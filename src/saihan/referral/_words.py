"""Words for codes, for plans people read: vocabulary values, need codes, municipality
codes, agency kinds and the facts rules used, in Japanese and English.

A plan keeps the codes (``Fact.field``, ``Fact.value``, ``Reason.code``) in its stored
form; what it shows a person is these words.  A code this module does not know (a
directory's own need or agency kind, a municipality outside the bundled list) is shown
as the code itself.
"""

from __future__ import annotations

import datetime as dt
import functools

from saihan.directory.service import AreaKind
from saihan.directory.vocabulary import (
    Audience,
    Channel,
    Cost,
    JuvenileStage,
    LegalSituation,
    PersonAttribute,
)
from saihan.referral.plan import Fact

Pair = tuple[str, str]

CHANNELS: dict[str, Pair] = {
    Channel.PHONE: ("電話", "phone"),
    Channel.EMAIL: ("メール", "e-mail"),
    Channel.WEB_FORM: ("Webフォーム", "web form"),
    Channel.VISIT: ("来所", "in person"),
    Channel.FAX: ("FAX", "fax"),
}
AUDIENCES: dict[str, Pair] = {
    Audience.PERSON: ("本人", "the person"),
    Audience.FAMILY: ("家族", "family"),
    Audience.SUPPORTER: ("支援者", "a supporter"),
    Audience.PROFESSIONAL: ("関係機関の職員", "a professional"),
}
LEGAL_SITUATIONS: dict[str, Pair] = {
    LegalSituation.NONE: ("刑事手続なし", "no proceedings"),
    LegalSituation.UNKNOWN: ("法的な状況は不明", "legal situation unknown"),
    LegalSituation.UNDER_INVESTIGATION: ("捜査・公判中", "under investigation or on trial"),
    LegalSituation.PROSECUTION_DEFERRED: ("起訴猶予", "prosecution deferred"),
    LegalSituation.SUSPENDED_SENTENCE: ("執行猶予中", "suspended sentence"),
    LegalSituation.ON_PROBATION: ("保護観察中", "on probation"),
    LegalSituation.IN_PRISON: ("受刑中", "in prison"),
    LegalSituation.ON_PAROLE: ("仮釈放中", "on parole"),
    LegalSituation.RELEASED_FROM_PRISON: ("刑務所出所後", "released from prison"),
    LegalSituation.JUVENILE_CASE: ("少年事件", "a juvenile case"),
    LegalSituation.RELEASED_FROM_JUVENILE_TRAINING_SCHOOL: (
        "少年院出院後",
        "left a juvenile training school",
    ),
}
ATTRIBUTES: dict[str, Pair] = {
    PersonAttribute.ELDERLY: ("高齢者", "older person"),
    PersonAttribute.PHYSICAL_DISABILITY: ("身体障害", "physical disability"),
    PersonAttribute.INTELLECTUAL_DISABILITY: ("知的障害", "intellectual disability"),
    PersonAttribute.MENTAL_DISABILITY: ("精神障害", "mental disability"),
    PersonAttribute.DEVELOPMENTAL_DISABILITY: ("発達障害", "developmental disability"),
    PersonAttribute.DRUG_DEPENDENCE: ("薬物依存", "drug dependence"),
    PersonAttribute.ALCOHOL_DEPENDENCE: ("アルコール依存", "alcohol dependence"),
    PersonAttribute.GAMBLING_DEPENDENCE: ("ギャンブル依存", "gambling dependence"),
    PersonAttribute.HOMELESS: ("住まいがない", "homeless"),
    PersonAttribute.UNEMPLOYED: ("無職", "unemployed"),
    PersonAttribute.STUDENT: ("学生", "student"),
    PersonAttribute.DEBT: ("借金がある", "in debt"),
    PersonAttribute.NEEDS_INTERPRETER: ("通訳が必要", "needs an interpreter"),
    PersonAttribute.SPECIFIED_JUVENILE: ("特定少年", "specified juvenile (特定少年)"),
}
JUVENILE_STAGES: dict[str, Pair] = {
    JuvenileStage.ARRESTED: ("逮捕・勾留中", "arrested"),
    JuvenileStage.UNDER_INVESTIGATION: ("捜査中", "under investigation"),
    JuvenileStage.FAMILY_COURT: ("家庭裁判所の調査・審判待ち", "before the family court"),
    JuvenileStage.CLASSIFICATION_HOME: ("少年鑑別所に在所", "in a juvenile classification home"),
    JuvenileStage.TENTATIVE_PROBATION: ("試験観察中", "on tentative probation"),
    JuvenileStage.ON_PROBATION: ("保護観察処分", "on juvenile probation"),
    JuvenileStage.IN_TRAINING_SCHOOL: ("少年院に在院", "in a juvenile training school"),
    JuvenileStage.CHILD_WELFARE_MEASURE: ("児童福祉の措置", "under a child-welfare measure"),
}
COSTS: dict[str, Pair] = {
    Cost.FREE: ("無料", "free"),
    Cost.PAID: ("有料", "paid"),
    Cost.SLIDING_SCALE: ("収入に応じて", "by income"),
    Cost.UNKNOWN: ("費用不明", "cost unknown"),
}
AREAS: dict[str, Pair] = {
    AreaKind.MUNICIPALITIES: ("区市町村の窓口", "a municipal desk"),
    AreaKind.PREFECTURE: ("都道府県全域", "the whole prefecture"),
    AreaKind.NATIONAL: ("全国", "the whole country"),
}
_VOCABULARY = {
    "case.consulter": AUDIENCES,
    "case.received_via": CHANNELS,
    "case.legal_situation": LEGAL_SITUATIONS,
    "case.juvenile_stage": JUVENILE_STAGES,
    "case.attributes": ATTRIBUTES,
    "case.suspected_attributes": ATTRIBUTES,
    "case.preferred_channels": CHANNELS,
    "service.audiences": AUDIENCES,
    "service.channels": CHANNELS,
    "service.cost": COSTS,
    "service.area": AREAS,
}
_NEEDS = ("case.needs", "case.urgent_needs", "service.needs")
_PLACES: dict[str, Pair] = {
    "case.residence": ("住所地", "lives in"),
    "case.preferred_municipality": ("希望する地域", "wants to live in"),
    "case.municipality": ("担当", "handled by"),
}
_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pick(pair: Pair, lang: str) -> str:
    return pair[0] if lang == "ja" else pair[1]


def _list(parts: list[str], lang: str) -> str:
    return ("・" if lang == "ja" else ", ").join(parts)


@functools.cache
def _need_labels() -> dict[str, Pair]:
    from saihan.directory.taxonomy import default_taxonomy

    return {
        need.code: (need.label.ja, need.label.en or need.label.ja) for need in default_taxonomy()
    }


@functools.cache
def _kind_names() -> dict[str, Pair]:
    from saihan.directory.agency_kinds import default_agency_kinds

    return {
        kind.code: (kind.name.ja, kind.name.en or kind.name.ja) for kind in default_agency_kinds()
    }


def need_label(code: str, lang: str) -> str:
    """The need's name (the bundled taxonomy's), or the code when it is not there."""
    found = _need_labels().get(code)
    return code if found is None else pick(found, lang)


def kind_name(code: str, lang: str) -> str:
    """The agency kind's name (the bundled kinds'), or the code when it is not there."""
    found = _kind_names().get(code)
    return code if found is None else pick(found, lang)


def place_name(code: str, lang: str) -> str:
    """A municipality's name (八王子市 / Hachioji-shi), or the code when it is unknown."""
    from saihan.directory.municipalities import municipality
    from saihan.errors import SaihanError

    try:
        found = municipality(code)
    except SaihanError:
        return code
    return found.name_ja if lang == "ja" else found.name_en


def values(field: str, text: str, lang: str) -> list[str]:
    """The words for the values of ``field`` as a fact shows them (``a, b`` for a set)."""
    if text in ("", "none"):
        return []
    parts = text.split(", ")
    if field in _NEEDS:
        return [need_label(part, lang) for part in parts]
    if field == "service.agency_kind":
        return [kind_name(part, lang) for part in parts]
    table = _VOCABULARY.get(field)
    if table is None:
        return parts
    return [pick(table[part], lang) if part in table else part for part in parts]


def fact(item: Fact, lang: str) -> str | None:
    """A fact in words: 「72歳」「刑務所出所後」「福祉事務所」; None for one that is not
    worth showing (the release, which the plan's derived facts say in words)."""
    field, value = item.field, item.value
    if field == "release":
        return None
    if field == "age":
        if value == "unknown":
            return "年齢不明" if lang == "ja" else "age unknown"
        low, _, high = value.partition("-")
        if lang == "ja":
            return f"{low}歳" if not high else f"{low}～{high}歳"
        return f"aged {value}"
    if field in _PLACES:
        return f"{pick(_PLACES[field], lang)} {place_name(value, lang)}"
    if field == "case.days_since_release":
        return f"出所から{value}日" if lang == "ja" else f"{value} days since release"
    if field == "case.days_until_release":
        return f"出所まで{value}日" if lang == "ja" else f"{value} days to release"
    if field == "service.local":
        local = value == "true"
        if lang == "ja":
            return "本人の区市町村の窓口" if local else "本人の区市町村だけの窓口ではない"
        return "a desk of the person's municipality" if local else "not a municipal desk"
    shown = values(field, value, lang)
    if field in ("case.attributes", "case.suspected_attributes") and not shown:
        return None
    words = _list(shown, lang) if shown else ("なし" if lang == "ja" else "none")
    if field == "case.suspected_attributes":
        return f"疑い: {words}" if lang == "ja" else f"suspected: {words}"
    if field == "case.consulter":
        return f"相談者: {words}" if lang == "ja" else f"consulted by {words}"
    return words


def facts(items: tuple[Fact, ...], lang: str) -> str:
    """The facts of a reason in words, joined (empty when none is worth showing)."""
    shown = [text for text in (fact(item, lang) for item in items) if text]
    return ("、" if lang == "ja" else "; ").join(shown)


def day(moment: dt.datetime | dt.date, lang: str) -> str:
    """2026年12月3日（木） in Japanese, Thu 3 Dec 2026 in English."""
    if lang == "ja":
        weekday = _WEEKDAYS_JA[moment.weekday()]
        return f"{moment.year}年{moment.month}月{moment.day}日（{weekday}）"
    weekday, month = _WEEKDAYS_EN[moment.weekday()], MONTHS_EN[moment.month - 1]
    return f"{weekday} {moment.day} {month} {moment.year}"


def clock(moment: dt.datetime, lang: str) -> str:
    """8:30 in Japanese, 08:30 in English."""
    return f"{moment.hour}:{moment:%M}" if lang == "ja" else f"{moment:%H:%M}"


def zone(moment: dt.datetime, lang: str) -> str:
    """The UTC offset as words: nothing for Tokyo time in Japanese, JST in English."""
    offset = moment.utcoffset()
    if offset == dt.timedelta(hours=9):
        return "" if lang == "ja" else " JST"
    total = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if total >= 0 else "-"
    text = f"UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
    return f"（{text}）" if lang == "ja" else f" {text}"


def moment(when: dt.datetime, lang: str) -> str:
    """A date and time: 2024年11月5日（火）10:30 / Tue 5 Nov 2024 10:30 JST."""
    gap = "" if lang == "ja" else " "
    return f"{day(when, lang)}{gap}{clock(when, lang)}{zone(when, lang)}"
