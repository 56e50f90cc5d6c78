"""Words for the vocabularies a publication shows, in Japanese and English.

The same words as plans use (``saihan.referral``'s), kept here as the
publication's own so that the portal and the guidebook can change their wording
(and a reader's page its tone) without changing what a plan says.
"""

from __future__ import annotations

import datetime as dt

from saihan.directory.vocabulary import (
    Audience,
    Channel,
    Cost,
    LegalSituation,
    PersonAttribute,
    ServiceStatus,
)

Pair = tuple[str, str]

CHANNELS: dict[Channel, Pair] = {
    Channel.PHONE: ("電話", "phone"),
    Channel.EMAIL: ("メール", "e-mail"),
    Channel.WEB_FORM: ("Webフォーム", "web form"),
    Channel.VISIT: ("来所", "in person"),
    Channel.FAX: ("FAX", "fax"),
}
AUDIENCES: dict[Audience, Pair] = {
    Audience.PERSON: ("本人", "the person"),
    Audience.FAMILY: ("家族", "family"),
    Audience.SUPPORTER: ("支援者", "supporters"),
    Audience.PROFESSIONAL: ("関係機関の職員", "professionals"),
}
LEGAL_SITUATIONS: dict[LegalSituation, Pair] = {
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
ATTRIBUTES: dict[PersonAttribute, Pair] = {
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
COSTS: dict[Cost, Pair] = {
    Cost.FREE: ("無料", "free"),
    Cost.PAID: ("有料", "paid"),
    Cost.SLIDING_SCALE: ("収入に応じて", "by income"),
    Cost.UNKNOWN: ("費用不明", "cost unknown"),
}
STATUSES: dict[ServiceStatus, Pair] = {
    ServiceStatus.ACTIVE: ("受付中", "active"),
    ServiceStatus.INACTIVE: ("休止中", "inactive"),
    ServiceStatus.DEFUNCT: ("終了しました", "discontinued"),
    ServiceStatus.TEMPORARILY_CLOSED: ("一時休止中", "temporarily closed"),
}
FLOW_WORDS: dict[str, Pair] = {
    "yes": ("はい", "yes"),
    "no": ("いいえ", "no"),
    "otherwise": ("その他", "otherwise"),
    "branch": ("条件", "case"),
}
WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(moment: dt.date, lang: str) -> str:
    """2026年12月3日（木） in Japanese, Thu 3 Dec 2026 in English."""
    if lang == "ja":
        return f"{moment.year}年{moment.month}月{moment.day}日（{WEEKDAYS_JA[moment.weekday()]}）"
    weekday, month = WEEKDAYS_EN[moment.weekday()], MONTHS_EN[moment.month - 1]
    return f"{weekday} {moment.day} {month} {moment.year}"
