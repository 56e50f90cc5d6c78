"""The publication view: what the portal and the guidebook show, prepared once.

:func:`publication_view` turns a :class:`~saihan.directory.Directory` into a
:class:`PublicationView`: frozen, typed records holding words (Japanese and
English) rather than codes, ready for templates.  It is **sealed from case
data**: it is built from a directory (as :meth:`Directory.published` shows it,
confidential locations reduced to their municipality) and the support flows,
and nothing else; none of its records has a field that could hold a case, a
referral or a store.

The openings of each service for the coming ``weeks`` are computed here with
the service's :class:`~saihan.schedule.BusinessCalendar`, so that a page can
say "open now" and "next opens" in the browser without saihan; the view keeps
the moment it was prepared (``generated_at``) and the end of that window
(``window_end``), after which the openings say nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import attrs

from saihan._validation import Checker, checked, types_only
from saihan.directory.agency import Agency
from saihan.directory.directory import Directory, agency_search_key, service_search_key
from saihan.directory.location import Location
from saihan.directory.municipalities import Municipality, tokyo_municipalities
from saihan.directory.service import AreaKind, ContactPoint, Eligibility, Service, ServiceArea
from saihan.directory.taxonomy import NeedTaxonomy, priority_areas
from saihan.directory.vocabulary import Audience, Channel, Cost, ServiceStatus
from saihan.errors import NotFoundError
from saihan.publish import _words as words
from saihan.referral.flows.model import Flow, FlowNode
from saihan.referral.flows.render import action_text, to_svg
from saihan.referral.rules import Source
from saihan.schedule.calendar import BusinessCalendar
from saihan.schedule.rules import Weekday, WeeklyHours
from saihan.text import LocalizedText

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "Opening",
    "PublicationView",
    "PublishedAgency",
    "PublishedArea",
    "PublishedAudience",
    "PublishedChannel",
    "PublishedContact",
    "PublishedFlow",
    "PublishedFlowEdge",
    "PublishedFlowStep",
    "PublishedHours",
    "PublishedLocation",
    "PublishedMunicipality",
    "PublishedNeed",
    "PublishedService",
    "WeeklyRow",
    "publication_view",
]

DEFAULT_WEEKS = 8
"""How many weeks of openings :func:`publication_view` computes unless told."""
MAX_WEEKS = 106
"""The longest window :func:`publication_view` accepts (two years)."""
TOKYO = ZoneInfo("Asia/Tokyo")


def _lt(pair: tuple[str, str]) -> LocalizedText:
    return LocalizedText(ja=pair[0], en=pair[1])


# -- the records ------------------------------------------------------------------------


@attrs.frozen
class Opening:
    """One open interval of a service: from ``start`` to just before ``end``."""

    start: dt.datetime = attrs.field(metadata={"doc": "When it opens (with its UTC offset)."})
    end: dt.datetime = attrs.field(metadata={"doc": "When it closes."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(self.end >= self.start, "end", "an opening cannot end before it starts")


@attrs.frozen
class PublishedContact:
    """A public way to reach a service or agency, in words, with a link where it has one."""

    channel: Channel = attrs.field(metadata={"doc": "phone, email, web_form, visit or fax."})
    channel_label: LocalizedText = attrs.field(metadata={"doc": "The channel in words."})
    value: str = attrs.field(
        metadata={"doc": "The number, address or URL; for a visit, the place."}
    )
    label: LocalizedText | None = attrs.field(default=None, metadata={"doc": "What it is for."})
    href: str | None = attrs.field(
        default=None, metadata={"doc": "tel:, mailto: or https: link; none for fax and visits."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedLocation:
    """A place an agency receives people; a confidential one keeps its municipality only."""

    id: str = attrs.field(metadata={"doc": "Location id."})
    municipality_code: str = attrs.field(metadata={"doc": "The municipality's code."})
    municipality: LocalizedText = attrs.field(metadata={"doc": "The municipality's name."})
    confidential: bool = attrs.field(metadata={"doc": "True: only the municipality is shown."})
    name: LocalizedText | None = attrs.field(default=None, metadata={"doc": "Name of the place."})
    postal_code: str | None = attrs.field(default=None, metadata={"doc": "Postal code."})
    street: str | None = attrs.field(default=None, metadata={"doc": "Street address."})
    access: LocalizedText | None = attrs.field(default=None, metadata={"doc": "How to get there."})

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        if self.confidential and (self.street is not None or self.postal_code is not None):
            check.add("street", "a confidential location publishes its municipality only")

    @property
    def address(self) -> LocalizedText:
        """The address in words: 〒, prefecture, municipality and street, as far as published."""
        postal = f"〒{self.postal_code} " if self.postal_code else ""
        street = self.street or ""
        ja = f"{postal}東京都{self.municipality.ja}{street}"
        place = self.municipality.en or self.municipality.ja
        en = f"{street + ', ' if street else ''}{place}, Tokyo"
        return LocalizedText(ja=ja, en=f"{en} {self.postal_code}" if self.postal_code else en)


@attrs.frozen
class WeeklyRow:
    """One line of weekly hours: the days and the hours, in words."""

    days: LocalizedText = attrs.field(
        metadata={"doc": "月・水・金 / Mon, Wed, Fri (第2・第4 ...)."}
    )
    hours: LocalizedText = attrs.field(metadata={"doc": "9:00～17:00 / 09:00-17:00."})
    period: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "When the hours apply, if only between dates."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedHours:
    """A calendar in words: weekly hours, closed days and dated exceptions in the window."""

    weekly: tuple[WeeklyRow, ...] = attrs.field(metadata={"doc": "The weekly hours."})
    closed: tuple[LocalizedText, ...] = attrs.field(
        metadata={"doc": "Holidays and closures: national holidays, annual, own, ad hoc."}
    )
    special_openings: tuple[LocalizedText, ...] = attrs.field(
        default=(), metadata={"doc": "Extra openings within the window."}
    )
    reception_period: LocalizedText | None = attrs.field(
        default=None, metadata={"doc": "From and until when it takes people, if limited."}
    )
    note: LocalizedText | None = attrs.field(default=None, metadata={"doc": "The calendar's note."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedService:
    """A service as the public sees it, with its openings for the window precomputed."""

    id: str = attrs.field(metadata={"doc": "Service id."})
    agency_id: str = attrs.field(metadata={"doc": "Its agency's id."})
    agency_name: LocalizedText = attrs.field(metadata={"doc": "Its agency's name."})
    name: LocalizedText = attrs.field(metadata={"doc": "Name."})
    description: LocalizedText | None = attrs.field(metadata={"doc": "What it does."})
    needs: tuple[str, ...] = attrs.field(metadata={"doc": "The need codes it meets."})
    need_labels: tuple[LocalizedText, ...] = attrs.field(metadata={"doc": "Those needs in words."})
    priority_areas: tuple[int, ...] = attrs.field(metadata={"doc": "The plan's areas (1-6)."})
    audiences: tuple[Audience, ...] = attrs.field(metadata={"doc": "Who may consult it."})
    channels: tuple[Channel, ...] = attrs.field(
        metadata={"doc": "How it is reached (its own contacts', else its agency's)."}
    )
    contacts: tuple[PublishedContact, ...] = attrs.field(metadata={"doc": "Public contacts."})
    locations: tuple[PublishedLocation, ...] = attrs.field(metadata={"doc": "Where it is offered."})
    eligibility: tuple[LocalizedText, ...] = attrs.field(
        metadata={"doc": "Who may use it, in words, one condition a line."}
    )
    area: LocalizedText = attrs.field(metadata={"doc": "Its area in words."})
    municipality_codes: tuple[str, ...] = attrs.field(
        metadata={"doc": "The Tokyo municipalities its area covers."}
    )
    hours: PublishedHours | None = attrs.field(metadata={"doc": "Hours in words; None: unknown."})
    openings: tuple[Opening, ...] = attrs.field(metadata={"doc": "Open intervals in the window."})
    next_open: dt.datetime | None = attrs.field(
        metadata={"doc": "When it is next open from generated_at (then, if open)."}
    )
    status: ServiceStatus = attrs.field(metadata={"doc": "active, inactive, defunct ..."})
    status_label: LocalizedText = attrs.field(metadata={"doc": "The status in words."})
    accepting_referrals: bool = attrs.field(metadata={"doc": "Whether it takes referrals now."})
    cost: Cost = attrs.field(metadata={"doc": "What it costs."})
    cost_words: LocalizedText = attrs.field(metadata={"doc": "The cost in words, with its note."})
    languages: tuple[str, ...] = attrs.field(metadata={"doc": "BCP 47 language tags."})
    url: str | None = attrs.field(metadata={"doc": "Public page."})
    search_key: str = attrs.field(
        metadata={
            "doc": "Its names and description and its agency's name, folded as "
            "Directory.search folds them (normalize_for_search), one form a line."
        }
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def hours_known(self) -> bool:
        return self.hours is not None


@attrs.frozen
class PublishedAgency:
    """An agency as the public sees it."""

    id: str = attrs.field(metadata={"doc": "Agency id."})
    name: LocalizedText = attrs.field(metadata={"doc": "Name."})
    kind: str = attrs.field(metadata={"doc": "Agency kind code."})
    kind_name: LocalizedText = attrs.field(metadata={"doc": "The kind in words."})
    operator: str | None = attrs.field(metadata={"doc": "Who runs it."})
    description: LocalizedText | None = attrs.field(metadata={"doc": "What it does."})
    website: str | None = attrs.field(metadata={"doc": "Public website."})
    contacts: tuple[PublishedContact, ...] = attrs.field(metadata={"doc": "General contacts."})
    locations: tuple[PublishedLocation, ...] = attrs.field(metadata={"doc": "Its places."})
    service_ids: tuple[str, ...] = attrs.field(metadata={"doc": "Its services, in order."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedNeed:
    """A need under a priority area, with the services ``Directory.search(need=)`` gives."""

    code: str = attrs.field(metadata={"doc": "Need code."})
    label: LocalizedText = attrs.field(metadata={"doc": "Its name."})
    depth: int = attrs.field(metadata={"doc": "0 for a root need, 1 for its sub-needs ..."})
    parent: str | None = attrs.field(metadata={"doc": "The broader need."})
    service_ids: tuple[str, ...] = attrs.field(metadata={"doc": "Services for it, by id."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedArea:
    """One of the plan's six priority areas and its needs (a tree, flattened in order)."""

    number: int = attrs.field(metadata={"doc": "1-6."})
    label: LocalizedText = attrs.field(metadata={"doc": "Its name."})
    needs: tuple[PublishedNeed, ...] = attrs.field(metadata={"doc": "Its needs, depth first."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    @property
    def service_ids(self) -> tuple[str, ...]:
        """Every service of the area's needs, by id."""
        return tuple(sorted({sid for need in self.needs for sid in need.service_ids}))


@attrs.frozen
class PublishedMunicipality:
    """One of Tokyo's 62 municipalities, with its kana and romaji, and the services there."""

    code: str = attrs.field(metadata={"doc": "JIS X 0402 code with check digit."})
    name: LocalizedText = attrs.field(metadata={"doc": "Kanji, kana (ja/kana) and romaji (en)."})
    kind: str = attrs.field(metadata={"doc": "ward, city, town or village."})
    service_ids: tuple[str, ...] = attrs.field(metadata={"doc": "Services whose area covers it."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedAudience:
    """Who is asking: the person, a family member, a supporter or a professional."""

    audience: Audience = attrs.field(metadata={"doc": "The audience."})
    label: LocalizedText = attrs.field(metadata={"doc": "In words."})
    service_ids: tuple[str, ...] = attrs.field(metadata={"doc": "Services they may consult."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedChannel:
    """A way of getting in touch, and the services reached that way."""

    channel: Channel = attrs.field(metadata={"doc": "The channel."})
    label: LocalizedText = attrs.field(metadata={"doc": "In words."})
    service_ids: tuple[str, ...] = attrs.field(metadata={"doc": "Services reached that way."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedFlowEdge:
    """Where an answer (or the next step) leads."""

    label: LocalizedText | None = attrs.field(metadata={"doc": "The answer; None: next step."})
    to: str = attrs.field(metadata={"doc": "The node it leads to."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedFlowStep:
    """A node of a support flow in words, with the directory's services it leads to."""

    id: str = attrs.field(metadata={"doc": "Node id (an anchor on the flow's page)."})
    kind: str = attrs.field(metadata={"doc": "question, action or end."})
    text: LocalizedText | None = attrs.field(metadata={"doc": "The question, label or outcome."})
    actions: tuple[LocalizedText, ...] = attrs.field(metadata={"doc": "What to do, in words."})
    edges: tuple[PublishedFlowEdge, ...] = attrs.field(metadata={"doc": "Where it leads."})
    service_ids: tuple[str, ...] = attrs.field(
        metadata={"doc": "Services its 'connect' actions name or whose kind they name."}
    )

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


@attrs.frozen
class PublishedFlow:
    """A support flow: its title, drawing (SVG, Japanese and English) and steps in words."""

    id: str = attrs.field(metadata={"doc": "Flow id."})
    version: str = attrs.field(metadata={"doc": "Its version."})
    title: LocalizedText = attrs.field(metadata={"doc": "The situation it is for."})
    description: LocalizedText | None = attrs.field(metadata={"doc": "When to use it."})
    source: LocalizedText = attrs.field(metadata={"doc": "The part of the plan it serves."})
    steps: tuple[PublishedFlowStep, ...] = attrs.field(metadata={"doc": "Its nodes, start first."})
    svg_ja: str | None = attrs.field(metadata={"doc": "Drawn by Graphviz; None if not drawn."})
    svg_en: str | None = attrs.field(metadata={"doc": "The English drawing."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check

    def svg(self, lang: str) -> str | None:
        return self.svg_en if lang == "en" else self.svg_ja


@attrs.frozen(eq=False)
class PublicationView:
    """Everything the portal and the guidebook show, from one directory, sealed from cases.

    ``generated_at`` is the moment the openings were computed from; ``window_end``
    the end of that window. Lookups: :meth:`service`, :meth:`agency`, :meth:`flow`.
    """

    title: LocalizedText = attrs.field(metadata={"doc": "The directory's name."})
    description: LocalizedText | None = attrs.field(metadata={"doc": "About the directory."})
    sample: bool = attrs.field(metadata={"doc": "True for the bundled sample: show the banner."})
    source: str | None = attrs.field(metadata={"doc": "Who compiled the data."})
    license: str | None = attrs.field(metadata={"doc": "Licence of the data."})
    updated: dt.date | None = attrs.field(metadata={"doc": "When the data was last updated."})
    generated_at: dt.datetime = attrs.field(metadata={"doc": "When the view was prepared."})
    window_end: dt.datetime = attrs.field(metadata={"doc": "The openings are known until then."})
    priority_areas: tuple[PublishedArea, ...] = attrs.field(metadata={"doc": "The six areas."})
    municipalities: tuple[PublishedMunicipality, ...] = attrs.field(
        metadata={"doc": "Tokyo's 62 municipalities, by code."}
    )
    audiences: tuple[PublishedAudience, ...] = attrs.field(metadata={"doc": "Who is asking."})
    channels: tuple[PublishedChannel, ...] = attrs.field(metadata={"doc": "Ways in."})
    agencies: tuple[PublishedAgency, ...] = attrs.field(metadata={"doc": "Agencies, in order."})
    services: tuple[PublishedService, ...] = attrs.field(metadata={"doc": "Services, in order."})
    flows: tuple[PublishedFlow, ...] = attrs.field(metadata={"doc": "The support flows."})
    _by_service: dict[str, PublishedService] = attrs.field(init=False, repr=False)
    _by_agency: dict[str, PublishedAgency] = attrs.field(init=False, repr=False)

    @checked
    def __attrs_post_init__(self, check: Checker) -> None:
        check.require(
            self.window_end >= self.generated_at, "window_end", "the window ends before it starts"
        )
        check.done()
        object.__setattr__(self, "_by_service", {s.id: s for s in self.services})
        object.__setattr__(self, "_by_agency", {a.id: a for a in self.agencies})

    def service(self, service_id: str) -> PublishedService:
        """The service with this id; :class:`~saihan.errors.NotFoundError` if none."""
        try:
            return self._by_service[service_id]
        except KeyError:
            raise NotFoundError(f"no service has id {service_id!r}") from None

    def agency(self, agency_id: str) -> PublishedAgency:
        """The agency with this id; :class:`~saihan.errors.NotFoundError` if none."""
        try:
            return self._by_agency[agency_id]
        except KeyError:
            raise NotFoundError(f"no agency has id {agency_id!r}") from None

    def flow(self, flow_id: str) -> PublishedFlow:
        """The flow with this id; :class:`~saihan.errors.NotFoundError` if none."""
        for flow in self.flows:
            if flow.id == flow_id:
                return flow
        raise NotFoundError(f"no flow has id {flow_id!r}")

    @property
    def weeks(self) -> float:
        """The length of the window in weeks."""
        return (self.window_end - self.generated_at) / dt.timedelta(weeks=1)


# -- preparing ----------------------------------------------------------------------------

_ORDINAL_EN = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
_WEEKDAY_ORDER = tuple(Weekday)


def _both(fn: object) -> LocalizedText:
    """A LocalizedText from a function of the language."""
    assert callable(fn)
    return LocalizedText(ja=fn("ja"), en=fn("en"))


def _day(day: dt.date) -> LocalizedText:
    return _both(lambda lang: words.day(day, lang))


def _clock(value: dt.time, closing: bool = False) -> tuple[str, str]:
    if closing and value == dt.time(0):
        return "24:00", "24:00"
    return f"{value.hour}:{value:%M}", f"{value:%H:%M}"


def _weekly_row(rule: WeeklyHours) -> WeeklyRow:
    days = [day for day in _WEEKDAY_ORDER if day in rule.days]
    ja_days = "・".join("月火水木金土日"[day.number] for day in days)
    en_days = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d.number] for d in days)
    if rule.weeks:
        weeks = sorted(rule.weeks, key=lambda week: (week < 0, week))
        ja_days = "・".join("最終" if w < 0 else f"第{w}" for w in weeks) + " " + ja_days
        en_days = f"{en_days} ({', '.join(_ORDINAL_EN[w] for w in weeks)} of the month)"
    if (rule.opens, rule.closes) == (dt.time(0), dt.time(0)):
        hours = LocalizedText(ja="24時間", en="24 hours")
    else:
        opens, closes = _clock(rule.opens), _clock(rule.closes, closing=True)
        overnight = rule.closes <= rule.opens and rule.closes != dt.time(0)
        hours = LocalizedText(
            ja=f"{opens[0]}～{'翌' if overnight else ''}{closes[0]}",
            en=f"{opens[1]}–{closes[1]}{' (next day)' if overnight else ''}",
        )
    period = _period(rule.valid_from, rule.valid_until)
    return WeeklyRow(days=LocalizedText(ja=ja_days, en=en_days), hours=hours, period=period)


def _period(start: dt.date | None, end: dt.date | None) -> LocalizedText | None:
    if start is None and end is None:
        return None
    if start is not None and end is not None:
        first, last = _day(start), _day(end)
        return LocalizedText(ja=f"{first.ja}～{last.ja}", en=f"{first.en} to {last.en}")
    if start is not None:
        first = _day(start)
        return LocalizedText(ja=f"{first.ja}から", en=f"from {first.en}")
    assert end is not None
    last = _day(end)
    return LocalizedText(ja=f"{last.ja}まで", en=f"until {last.en}")


def _hours(calendar: BusinessCalendar, start: dt.date, end: dt.date) -> PublishedHours:
    closed: list[LocalizedText] = []
    if calendar.closed_on_national_holidays:
        closed.append(LocalizedText(ja="祝日は休み", en="closed on national holidays"))
    for annual in calendar.annual_closures:
        sm, sd = (int(part) for part in annual.start.split("-"))
        em, ed = (int(part) for part in annual.end.split("-"))
        closed.append(
            LocalizedText(
                ja=f"{annual.label.ja}（{sm}月{sd}日～{em}月{ed}日）は休み",
                en=f"closed for {annual.label.en or annual.label.ja} "
                f"({words.MONTHS_EN[sm - 1]} {sd} to {words.MONTHS_EN[em - 1]} {ed})",
            )
        )
    for holiday in calendar.own_holidays:
        if start <= holiday.date <= end:
            day = _day(holiday.date)
            closed.append(
                LocalizedText(
                    ja=f"{day.ja}は休み（{holiday.name.ja}）",
                    en=f"closed on {day.en} ({holiday.name.en or holiday.name.ja})",
                )
            )
    for closure in calendar.closures:
        if closure.start <= end and closure.last_day >= start:
            span = (
                _day(closure.start)
                if closure.last_day == closure.start
                else _period(closure.start, closure.last_day)
            )
            assert span is not None
            why = closure.reason
            closed.append(
                LocalizedText(
                    ja=f"{span.ja}は臨時休業{f'（{why.ja}）' if why else ''}",
                    en=f"temporarily closed {span.en}{f' ({why.en or why.ja})' if why else ''}",
                )
            )
    specials = []
    for opening in calendar.special_openings:
        if start <= opening.date <= end:
            day = _day(opening.date)
            opens, closes = _clock(opening.opens), _clock(opening.closes, closing=True)
            note = opening.note
            specials.append(
                LocalizedText(
                    ja=f"{day.ja} {opens[0]}～{closes[0]}は臨時に開所"
                    f"{f'（{note.ja}）' if note else ''}",
                    en=f"also open {day.en} {opens[1]}–{closes[1]}"
                    f"{f' ({note.en or note.ja})' if note else ''}",
                )
            )
    reception = _period(calendar.valid_from, calendar.valid_until)
    if reception is not None:
        reception = LocalizedText(
            ja=f"受付期間: {reception.ja}", en=f"taking people {reception.en}"
        )
    return PublishedHours(
        weekly=tuple(_weekly_row(rule) for rule in calendar.weekly),
        closed=tuple(closed),
        special_openings=tuple(specials),
        reception_period=reception,
        note=calendar.note,
    )


def _eligibility(rules: Eligibility) -> tuple[LocalizedText, ...]:
    lines: list[LocalizedText] = []
    low, high = rules.min_age, rules.max_age
    if low is not None and high is not None:
        lines.append(LocalizedText(ja=f"{low}歳から{high}歳まで", en=f"aged {low} to {high}"))
    elif low is not None:
        lines.append(LocalizedText(ja=f"{low}歳以上", en=f"aged {low} or over"))
    elif high is not None:
        lines.append(LocalizedText(ja=f"{high}歳以下", en=f"aged {high} or under"))
    if rules.legal_situations:
        pairs = [words.LEGAL_SITUATIONS[s] for s in sorted(rules.legal_situations)]
        lines.append(
            LocalizedText(
                ja="対象: " + "・".join(p[0] for p in pairs),
                en="for people " + ", ".join(p[1] for p in pairs),
            )
        )
    if rules.required_attributes:
        pairs = [words.ATTRIBUTES[a] for a in sorted(rules.required_attributes)]
        if rules.any_required_attribute and len(pairs) > 1:
            lines.append(
                LocalizedText(
                    ja="次のいずれかに当たる方: " + "・".join(p[0] for p in pairs),
                    en="for people with one of: " + ", ".join(p[1] for p in pairs),
                )
            )
        else:
            lines.append(
                LocalizedText(
                    ja="次のすべてに当たる方: " + "・".join(p[0] for p in pairs),
                    en="for people with all of: " + ", ".join(p[1] for p in pairs),
                )
            )
    if rules.excluded_attributes:
        pairs = [words.ATTRIBUTES[a] for a in sorted(rules.excluded_attributes)]
        lines.append(
            LocalizedText(
                ja="対象外: " + "・".join(p[0] for p in pairs),
                en="not for people with: " + ", ".join(p[1] for p in pairs),
            )
        )
    days = rules.within_days_of_release
    timing = rules.release_timing
    if timing is not None or days is not None:
        before = timing is not None and timing.value == "before_release"
        after = timing is not None and timing.value == "after_release"
        if before:
            ja, en = "釈放前（施設に入っている間）", "before release (while still inside)"
            if days is not None:
                ja, en = f"釈放の{days}日前から", f"from {days} days before release"
        elif after:
            ja, en = "釈放・出院の後", "after release"
            if days is not None:
                ja, en = f"釈放・出院から{days}日以内", f"within {days} days after release"
        else:
            ja, en = f"釈放の前後{days}日以内", f"within {days} days of release"
        lines.append(LocalizedText(ja=ja, en=en))
    if rules.note is not None:
        lines.append(rules.note)
    if not lines:
        lines.append(LocalizedText(ja="どなたでも相談できます", en="open to anyone"))
    return tuple(lines)


def _area(
    area: ServiceArea, names: dict[str, Municipality]
) -> tuple[LocalizedText, tuple[str, ...]]:
    codes = tuple(sorted(names))
    if area.kind is AreaKind.NATIONAL:
        text = LocalizedText(ja="全国", en="anywhere in Japan")
    elif area.kind is AreaKind.PREFECTURE:
        if area.prefecture_code == "13":
            text = LocalizedText(ja="東京都全域", en="all of Tokyo")
        else:
            text = LocalizedText(
                ja=f"都道府県コード{area.prefecture_code}の全域",
                en=f"all of prefecture {area.prefecture_code}",
            )
            codes = ()
    else:
        codes = tuple(sorted(code for code in area.municipality_codes if code in names))
        listed = sorted(area.municipality_codes)
        text = LocalizedText(
            ja="・".join(names[c].name_ja if c in names else c for c in listed) + "にお住まいの方",
            en="residents of " + ", ".join(names[c].name_en if c in names else c for c in listed),
        )
    if area.note is not None:
        text = LocalizedText(
            ja=f"{text.ja}（{area.note.ja}）",
            en=f"{text.en} ({area.note.en or area.note.ja})",
        )
    return text, codes


def _location(location: Location, names: dict[str, Municipality]) -> PublishedLocation:
    shown = location.published()
    code = shown.municipality_code
    known = names.get(code)
    municipality = (
        LocalizedText(ja=known.name_ja, kana=known.name_kana, en=known.name_en)
        if known is not None
        else LocalizedText(ja=code)
    )
    return PublishedLocation(
        id=shown.id,
        municipality_code=code,
        municipality=municipality,
        confidential=shown.confidential,
        name=shown.name,
        postal_code=shown.address.postal_code,
        street=shown.address.street,
        access=shown.access,
    )


def _contacts(
    contacts: Iterable[ContactPoint], places: dict[str, PublishedLocation]
) -> tuple[PublishedContact, ...]:
    found = []
    for contact in contacts:
        channel = contact.channel
        value, href = contact.value, None
        if channel is Channel.PHONE:
            href = "tel:" + value.replace("-", "")
        elif channel is Channel.EMAIL:
            href = "mailto:" + value
        elif channel is Channel.WEB_FORM:
            href = value
        elif channel is Channel.VISIT:
            place = places.get(value)
            if place is not None:
                value = place.name.ja if place.name else place.address.ja
        found.append(
            PublishedContact(
                channel=channel,
                channel_label=_lt(words.CHANNELS[channel]),
                value=value,
                label=contact.label,
                href=href,
            )
        )
    return tuple(found)


def _cost(service: Service) -> LocalizedText:
    pair = words.COSTS[service.cost]
    note = service.cost_note
    if note is None:
        return _lt(pair)
    return LocalizedText(ja=f"{pair[0]}（{note.ja}）", en=f"{pair[1]} ({note.en or note.ja})")


def _ids(services: Iterable[Service]) -> tuple[str, ...]:
    return tuple(service.id for service in services)


def _need_rows(directory: Directory, code: str, depth: int) -> list[PublishedNeed]:
    taxonomy: NeedTaxonomy = directory.taxonomy
    need = taxonomy.get(code)
    rows = [
        PublishedNeed(
            code=code,
            label=need.label,
            depth=depth,
            parent=need.parent,
            service_ids=_ids(directory.search(need=code)),
        )
    ]
    for child in taxonomy.children(code):
        rows += _need_rows(directory, child.code, depth + 1)
    return rows


def _area_tree(directory: Directory) -> tuple[PublishedArea, ...]:
    areas = []
    for area in priority_areas():
        needs: list[PublishedNeed] = []
        for root in directory.taxonomy.roots():
            if root.priority_area == area.number:
                needs += _need_rows(directory, root.code, 0)
        areas.append(PublishedArea(number=area.number, label=area.label, needs=tuple(needs)))
    return tuple(areas)


def _flow_edges(node: FlowNode) -> list[PublishedFlowEdge]:
    """Where each answer of a node leads, labelled as the drawings label it."""
    found: list[PublishedFlowEdge] = []
    if node.if_yes is not None:
        found.append(PublishedFlowEdge(_lt(words.FLOW_WORDS["yes"]), node.if_yes))
    if node.if_no is not None:
        found.append(PublishedFlowEdge(_lt(words.FLOW_WORDS["no"]), node.if_no))
    for answer in node.answers:
        label = answer.label or LocalizedText(ja=", ".join(answer.values))
        found.append(PublishedFlowEdge(label, answer.to))
    for index, branch in enumerate(node.branches):
        ja, en = words.FLOW_WORDS["branch"]
        label = branch.label or LocalizedText(ja=f"{ja} {index + 1}", en=f"{en} {index + 1}")
        found.append(PublishedFlowEdge(label, branch.to))
    if node.otherwise is not None:
        found.append(PublishedFlowEdge(_lt(words.FLOW_WORDS["otherwise"]), node.otherwise))
    if node.next is not None:
        found.append(PublishedFlowEdge(None, node.next))
    return found


def _flow(flow: Flow, directory: Directory, draw: bool) -> PublishedFlow:
    order: list[FlowNode] = []
    seen: set[str] = set()
    pending = [flow.start]
    while pending:  # breadth first from the start, then any node not reached
        node_id = pending.pop(0)
        if node_id in seen or node_id not in flow.by_id:
            continue
        seen.add(node_id)
        node = flow.by_id[node_id]
        order.append(node)
        pending += [target for _path, target in node.edges()]
    order += [node for node in flow.nodes if node.id not in seen]
    steps = []
    for node in order:
        linked: list[str] = []
        for action in node.actions:
            connect = action.connect
            if connect is None:
                continue
            if connect.service is not None:
                if connect.service in {s.id for s in directory.services}:
                    linked.append(connect.service)
            elif connect.agency_kind is not None and connect.agency_kind in directory.kinds:
                need = connect.for_need if connect.for_need in directory.taxonomy else None
                linked += _ids(directory.search(kind=connect.agency_kind, need=need))
        edges = _flow_edges(node)
        steps.append(
            PublishedFlowStep(
                id=node.id,
                kind=node.kind,
                text=node.text,
                actions=tuple(
                    LocalizedText(ja=action_text(a, "ja"), en=action_text(a, "en"))
                    for a in node.actions
                ),
                edges=tuple(edges),
                service_ids=tuple(dict.fromkeys(linked)),
            )
        )
    return PublishedFlow(
        id=flow.id,
        version=flow.version,
        title=flow.title,
        description=flow.description,
        source=_source_words(flow.source),
        steps=tuple(steps),
        svg_ja=to_svg(flow, "ja") if draw else None,
        svg_en=to_svg(flow, "en") if draw else None,
    )


def _source_words(source: Source) -> LocalizedText:
    parts = [source.document] + ([source.section] if source.section else [])
    page = source.page
    ja = " ".join(parts) + (f"（{page}頁）" if page is not None else "")
    en = " ".join(parts) + (f" (p. {page})" if page is not None else "")
    return LocalizedText(ja=ja, en=en)


def publication_view(
    directory: Directory,
    *,
    now: dt.datetime | None = None,
    weeks: int = DEFAULT_WEEKS,
    flows: Iterable[Flow] | None = None,
    draw_flows: bool = True,
) -> PublicationView:
    """The publication view of ``directory`` (confidential locations reduced to their
    municipality), with every service's openings from ``now`` for ``weeks`` weeks.

    ``now`` must carry its UTC offset (default: the current time in Tokyo);
    ``flows`` defaults to the bundled support flows; with ``draw_flows`` (the
    default) each is drawn as SVG with Graphviz, and
    :class:`~saihan.referral.flows.RenderError` says when Graphviz is missing.
    Raises :class:`~saihan.errors.ValidationError` naming ``directory``, ``now``
    or ``weeks`` when one is wrong.
    """
    check = Checker()
    if not isinstance(directory, Directory):
        check.add(
            "directory", f"a publication is made from a Directory, not a {type(directory).__name__}"
        )
    if now is not None and (not isinstance(now, dt.datetime) or now.utcoffset() is None):
        check.add("now", "give an aware datetime with its UTC offset (for Tokyo, +09:00)")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        check.add("weeks", f"{weeks!r} is not a number of weeks from 1 to {MAX_WEEKS}")
    check.done()
    start = dt.datetime.now(TOKYO).replace(microsecond=0) if now is None else now
    end = start + dt.timedelta(weeks=weeks)
    if flows is None:
        from saihan.referral.flows import bundled_flows

        flows = bundled_flows()
    public = directory.published()
    names = {m.code: m for m in tokyo_municipalities()}
    by_municipality: dict[str, list[str]] = {code: [] for code in names}
    agencies: list[PublishedAgency] = []
    places_of: dict[str, dict[str, PublishedLocation]] = {}
    agency_of: dict[str, Agency] = {}
    for agency in public.agencies:
        places = {loc.id: _location(loc, names) for loc in agency.locations}
        places_of[agency.id] = places
        agency_of[agency.id] = agency
        kind = public.kinds.get(agency.kind)
        agencies.append(
            PublishedAgency(
                id=agency.id,
                name=agency.name,
                kind=agency.kind,
                kind_name=kind.name if kind is not None else LocalizedText(ja=agency.kind),
                operator=agency.operator,
                description=agency.description,
                website=agency.website,
                contacts=_contacts(agency.contacts, places),
                locations=tuple(places.values()),
                service_ids=_ids(public.services_of(agency.id)),
            )
        )
    taxonomy = public.taxonomy
    services = []
    computed: dict[BusinessCalendar, tuple[tuple[Opening, ...], dt.datetime | None]] = {}
    for service in public.services:
        agency = agency_of[service.agency_id]
        places = places_of[service.agency_id]
        area_words, codes = _area(service.area, names)
        for code in codes:
            by_municipality[code].append(service.id)
        calendar = service.hours
        if calendar is not None and service.active:
            # Services share calendars (a body's desks, a kind's usual hours): each
            # distinct calendar is compiled and walked once.
            known = computed.get(calendar)
            if known is None:
                known = computed[calendar] = (
                    tuple(Opening(a, b) for a, b in calendar.openings(start, end)),
                    service.next_open(start),
                )
            openings, next_open = known
        else:
            openings, next_open = (), None
        needs = tuple(sorted(service.needs))
        services.append(
            PublishedService(
                id=service.id,
                agency_id=service.agency_id,
                agency_name=agency.name,
                name=service.name,
                description=service.description,
                needs=needs,
                need_labels=tuple(
                    taxonomy.get(code).label if code in taxonomy else LocalizedText(ja=code)
                    for code in needs
                ),
                priority_areas=tuple(
                    sorted({taxonomy.priority_area(c) for c in needs if c in taxonomy})
                ),
                audiences=tuple(a for a in Audience if a in service.audiences),
                channels=tuple(c for c in Channel if c in public.channels_of(service)),
                contacts=_contacts(public.contacts_of(service), places),
                locations=tuple(places[i] for i in service.location_ids if i in places),
                eligibility=_eligibility(service.eligibility),
                area=area_words,
                municipality_codes=codes,
                hours=None if calendar is None else _hours(calendar, start.date(), end.date()),
                openings=openings,
                next_open=next_open,
                status=service.status,
                status_label=_lt(words.STATUSES[service.status]),
                accepting_referrals=service.accepting_referrals,
                cost=service.cost,
                cost_words=_cost(service),
                languages=service.languages,
                url=service.url,
                search_key=service_search_key(service) + "\n" + agency_search_key(agency),
            )
        )
    municipalities = tuple(
        PublishedMunicipality(
            code=m.code,
            name=LocalizedText(ja=m.name_ja, kana=m.name_kana, en=m.name_en),
            kind=m.kind.value,
            service_ids=tuple(sorted(by_municipality[m.code])),
        )
        for m in names.values()
    )
    meta = public.meta
    return PublicationView(
        title=meta.name,
        description=meta.description,
        sample=meta.sample,
        source=meta.source,
        license=meta.license,
        updated=meta.updated,
        generated_at=start,
        window_end=end,
        priority_areas=_area_tree(public),
        municipalities=municipalities,
        audiences=tuple(
            PublishedAudience(
                audience=a,
                label=_lt(words.AUDIENCES[a]),
                service_ids=_ids(public.search(audience=a)),
            )
            for a in Audience
        ),
        channels=tuple(
            PublishedChannel(
                channel=c, label=_lt(words.CHANNELS[c]), service_ids=_ids(public.search(channel=c))
            )
            for c in Channel
        ),
        agencies=tuple(agencies),
        services=tuple(services),
        flows=tuple(_flow(flow, public, draw_flows) for flow in flows),
    )
