"""Words for the vocabularies a publication shows, in Japanese and English.

Channels, legal situations, attributes, costs and dates are the words plans use
(``saihan.referral``'s), so that a page and a plan never name the same thing two
ways.  What a publication words on its own (its audiences, in the plural of a
page's headings, service statuses and the flowcharts' branch labels) is kept here.
"""

from __future__ import annotations

from saihan.directory.vocabulary import Audience, ServiceStatus
from saihan.referral._words import ATTRIBUTES as ATTRIBUTES
from saihan.referral._words import CHANNELS as CHANNELS
from saihan.referral._words import COSTS as COSTS
from saihan.referral._words import LEGAL_SITUATIONS as LEGAL_SITUATIONS
from saihan.referral._words import MONTHS_EN as MONTHS_EN
from saihan.referral._words import Pair as Pair
from saihan.referral._words import day as day

# A page's headings speak of groups ("for supporters"); a plan of one reader.
AUDIENCES: dict[str, Pair] = {
    Audience.PERSON: ("本人", "the person"),
    Audience.FAMILY: ("家族", "family"),
    Audience.SUPPORTER: ("支援者", "supporters"),
    Audience.PROFESSIONAL: ("関係機関の職員", "professionals"),
}
STATUSES: dict[str, Pair] = {
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
