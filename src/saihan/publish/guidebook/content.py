"""What the guidebook says, as plain data for its templates: parts, entries and indexes.

Everything here comes from :meth:`Directory.published` (confidential locations carry
their municipality only, so a street address of one never reaches the page) and from
the support flows; nothing here reads a case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs

from saihan.directory import Directory, Service, municipality, tokyo_municipalities
from saihan.directory.service import AreaKind
from saihan.directory.taxonomy import priority_areas
from saihan.directory.vocabulary import Audience, Channel
from saihan.errors import SaihanError, ValidationError
from saihan.publish.guidebook.columns import Column
from saihan.publish.guidebook.explain import FlowStepText, explain_flow
from saihan.referral.flows import Flow
from saihan.schedule import BusinessCalendar
from saihan.text import LocalizedText

__all__ = [
    "AreaSection",
    "FlowSection",
    "Guidebook",
    "IndexGroup",
    "NeedSection",
    "ServiceEntry",
    "prepare_guidebook",
]

LANGUAGES = ("ja", "en")

_AUDIENCE = {
    Audience.PERSON: ("本人", "the person"),
    Audience.FAMILY: ("家族", "family"),
    Audience.SUPPORTER: ("支援者", "supporters"),
    Audience.PROFESSIONAL: ("関係機関の職員", "professionals"),
}
_CHANNEL = {
    Channel.PHONE: ("電話", "Phone"),
    Channel.EMAIL: ("メール", "E-mail"),
    Channel.WEB_FORM: ("ウェブ", "Web form"),
    Channel.VISIT: ("来所", "Visit"),
    Channel.FAX: ("FAX", "Fax"),
}
_DAYS = {
    "MO": ("月", "Mon"),
    "TU": ("火", "Tue"),
    "WE": ("水", "Wed"),
    "TH": ("木", "Thu"),
    "FR": ("金", "Fri"),
    "SA": ("土", "Sat"),
    "SU": ("日", "Sun"),
}
_ORDER = tuple(_DAYS)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


@attrs.frozen
class ServiceEntry:
    """One service as the directory part prints it (every text already in one language)."""

    id: str
    anchor: str
    name: str
    agency: str
    description: str
    audiences: str
    area: str
    hours: str
    contacts: tuple[tuple[str, str], ...]
    places: tuple[str, ...]
    needs: tuple[str, ...]
    url: str | None


@attrs.frozen
class NeedSection:
    code: str
    label: str
    services: tuple[ServiceEntry, ...]


@attrs.frozen
class AreaSection:
    number: int
    anchor: str
    title: str
    needs: tuple[NeedSection, ...]

    @property
    def count(self) -> int:
        return sum(len(need.services) for need in self.needs)


@attrs.frozen
class FlowSection:
    id: str
    anchor: str
    title: str
    source: str
    description: str
    svg_uri: str  # the flowchart, SVG as a data: URI
    steps: tuple[FlowStepText, ...]


@attrs.frozen
class IndexGroup:
    """One heading of an index (a municipality or a need) and the services under it."""

    key: str
    label: str
    reading: str
    entries: tuple[tuple[str, str], ...]  # (anchor, service name)
    note: str = ""


@attrs.frozen
class Guidebook:
    """The whole guidebook as its templates see it."""

    lang: str
    title: str
    subtitle: str
    dataset: str
    sample: bool
    sample_note: str
    built: str
    areas: tuple[AreaSection, ...]
    flows: tuple[FlowSection, ...]
    columns: tuple[Column, ...]
    by_municipality: tuple[IndexGroup, ...]
    by_need: tuple[IndexGroup, ...]
    wide_area_count: int

    @property
    def service_count(self) -> int:
        return sum(area.count for area in self.areas)


def _anchor(prefix: str, text: str) -> str:
    return f"{prefix}-{text}".replace(".", "-")


def _area_words(service: Service, lang: str) -> str:
    area = service.area
    if area.kind is AreaKind.NATIONAL:
        return "全国" if lang == "ja" else "Nationwide"
    if area.kind is AreaKind.PREFECTURE:
        if area.prefecture_code == "13":
            return "東京都全域" if lang == "ja" else "All of Tokyo"
        return (
            f"都道府県 {area.prefecture_code}"
            if lang == "ja"
            else f"Prefecture {area.prefecture_code}"
        )
    return ("、" if lang == "ja" else ", ").join(
        _municipality_name(code, lang) for code in sorted(area.municipality_codes)
    )


def _municipality_name(code: str, lang: str) -> str:
    try:
        place = municipality(code)
    except SaihanError:
        return code
    return place.name_en if lang == "en" else place.name_ja


def _time(value: dt.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def hours_words(calendar: BusinessCalendar | None, lang: str) -> str:
    """A service's weekly hours and closures in words ("" when it publishes none)."""
    if calendar is None:
        return ""
    if lang == "ja":
        from saihan.schedule.japanese_hours import render_japanese_hours

        try:
            return render_japanese_hours(calendar)
        except ValidationError:
            pass  # dated parts the standard words do not carry: the general words below
    parts = []
    for rule in calendar.weekly:
        days = ("・" if lang == "ja" else ", ").join(
            _pick(_DAYS[day.value], lang) for day in sorted(rule.days, key=lambda d: d.number)
        )
        parts.append(f"{days} {_time(rule.opens)}–{_time(rule.closes)}")
    text = ("、" if lang == "ja" else "; ").join(parts)
    closed = []
    if calendar.closed_on_national_holidays:
        closed.append("祝日" if lang == "ja" else "national holidays")
    closed += [
        closure.label.get(lang) if closure.label else "" for closure in calendar.annual_closures
    ]
    closed = [word for word in closed if word]
    if closed:
        if lang == "ja":
            text += f"（{'・'.join(closed)}を除く）"
        else:
            text += f" (closed on {', '.join(closed)})"
    return text


def _places(directory: Directory, service: Service, lang: str) -> tuple[str, ...]:
    agency = directory.agency_of(service)
    found = []
    for location_id in service.location_ids:
        location = agency.location(location_id)
        if location is None:
            continue
        town = _municipality_name(location.municipality_code, lang)
        name = location.name.get(lang) if location.name is not None else ""
        if location.confidential:
            # published() has dropped the street already; say why there is none
            hidden = "所在地は非公開" if lang == "ja" else "address not published"
            found.append(
                f"{name} {town}（{hidden}）" if lang == "ja" else f"{name} {town} ({hidden})"
            )
            continue
        address = location.address
        street = address.street or ""
        postal = f"〒{address.postal_code} " if address.postal_code else ""
        if lang == "ja":
            found.append(f"{name} {postal}{address.prefecture}{town}{street}".strip())
        else:
            found.append(f"{name} {postal}{street} {town}".strip())
    return tuple(found)


def _contacts(directory: Directory, service: Service, lang: str) -> tuple[tuple[str, str], ...]:
    found = []
    for contact in directory.contacts_of(service):
        if contact.channel is Channel.VISIT:
            continue  # a visit names a location: the places say where
        label = _pick(_CHANNEL[contact.channel], lang)
        if contact.label is not None:
            label += (
                f"（{contact.label.get(lang)}）"
                if lang == "ja"
                else f" ({contact.label.get(lang)})"
            )
        found.append((label, contact.value))
    return tuple(found)


def _text(value: LocalizedText | None, lang: str) -> str:
    return "" if value is None else value.get(lang)


def _entry(directory: Directory, service: Service, lang: str) -> ServiceEntry:
    taxonomy = directory.taxonomy
    agency = directory.agency_of(service)
    audiences = ("・" if lang == "ja" else ", ").join(
        _pick(_AUDIENCE[a], lang) for a in Audience if a in service.audiences
    )
    return ServiceEntry(
        id=service.id,
        anchor=_anchor("svc", service.id),
        name=service.name.get(lang),
        agency=agency.name.get(lang),
        description=_text(service.description, lang),
        audiences=audiences,
        area=_area_words(service, lang),
        hours=hours_words(service.hours, lang),
        contacts=_contacts(directory, service, lang),
        places=_places(directory, service, lang),
        needs=tuple(
            taxonomy.get(code).label.get(lang) if code in taxonomy else code
            for code in sorted(service.needs)
        ),
        url=service.url,
    )


def _placement(directory: Directory, service: Service) -> tuple[int, str]:
    """The priority area and root need a service is printed under: its first need in
    the plan's order (the lowest area, then the taxonomy's order of roots)."""
    taxonomy = directory.taxonomy
    roots = [need.code for need in taxonomy.roots()]
    best: tuple[int, int, str] | None = None
    for code in service.needs:
        if code not in taxonomy:
            continue
        root = taxonomy.root(code)
        area = root.priority_area or taxonomy.priority_area(code) or 6
        key = (area, roots.index(root.code), root.code)
        if best is None or key < best:
            best = key
    if best is None:
        return 6, "other"
    return best[0], best[2]


def _reading(kana: str | None, fallback: str) -> str:
    return kana or fallback


def prepare_guidebook(
    directory: Directory,
    flows: Sequence[tuple[Flow, str]],
    columns: Iterable[Column],
    *,
    lang: str = "ja",
    built: dt.date | None = None,
) -> Guidebook:
    """The guidebook of ``directory``.

    ``flows`` are (flow, its drawing as a ``data:`` URI) pairs; the directory is read
    through :meth:`Directory.published`, so confidential addresses never reach it.
    """
    if lang not in LANGUAGES:
        raise ValidationError(f"lang must be ja or en, not {lang!r}", path="lang")
    published = directory.published()
    taxonomy = published.taxonomy
    active = sorted(
        (service for service in published.services if service.active),
        key=lambda s: (s.name.kana or s.name.ja, s.id),
    )
    entries = {service.id: _entry(published, service, lang) for service in active}

    placed: dict[tuple[int, str], list[ServiceEntry]] = {}
    for service in active:
        placed.setdefault(_placement(published, service), []).append(entries[service.id])
    areas = []
    for area in priority_areas():
        needs = []
        roots = [need for need in taxonomy.roots() if (area.number, need.code) in placed]
        for root in roots:
            needs.append(
                NeedSection(
                    root.code, root.label.get(lang), tuple(placed[(area.number, root.code)])
                )
            )
        if (area.number, "other") in placed:
            other = "その他" if lang == "ja" else "Other"
            needs.append(NeedSection("other", other, tuple(placed[(area.number, "other")])))
        areas.append(
            AreaSection(
                number=area.number,
                anchor=f"area-{area.number}",
                title=area.label.get(lang),
                needs=tuple(needs),
            )
        )

    flow_sections = tuple(
        FlowSection(
            id=flow.id,
            anchor=_anchor("flow", flow.id),
            title=flow.title.get(lang),
            source=" ".join(part for part in (flow.source.document, flow.source.section) if part),
            description=_text(flow.description, lang),
            svg_uri=svg,
            steps=explain_flow(flow, lang),
        )
        for flow, svg in flows
    )

    by_municipality = []
    wide = sum(1 for service in active if service.area.kind is not AreaKind.MUNICIPALITIES)
    local: dict[str, list[Service]] = {}
    for service in active:
        if service.area.kind is AreaKind.MUNICIPALITIES:
            for code in service.area.municipality_codes:
                local.setdefault(code, []).append(service)
    for place in tokyo_municipalities():
        services = local.pop(place.code, [])
        by_municipality.append(
            IndexGroup(
                key=place.code,
                label=place.name_en if lang == "en" else place.name_ja,
                reading=place.name_kana,
                entries=tuple((entries[s.id].anchor, entries[s.id].name) for s in services),
            )
        )
    for code in sorted(local):  # services of municipalities outside Tokyo
        services = local[code]
        by_municipality.append(
            IndexGroup(
                key=code,
                label=_municipality_name(code, lang),
                reading="",
                entries=tuple((entries[s.id].anchor, entries[s.id].name) for s in services),
            )
        )

    by_need = []
    for need in taxonomy:
        services = [s for s in active if need.code in s.needs]
        if not services:
            continue
        by_need.append(
            IndexGroup(
                key=need.code,
                label=need.label.get(lang),
                reading=need.code,
                entries=tuple((entries[s.id].anchor, entries[s.id].name) for s in services),
            )
        )

    meta = published.meta
    if lang == "ja":
        title = "非行少年・再犯防止支援ガイドブック"
        subtitle = "支援機関・制度、支援の流れ、コラム"
        note = (
            "これはサンプルデータから作ったガイドブックです。"
            "連絡先は例示用の値で、実際の相談には使えません。"
        )
    else:
        title = "Support guidebook for juvenile delinquency and recidivism prevention"
        subtitle = "Support bodies and schemes, flows of support, columns"
        note = (
            "This guidebook is made from SAMPLE data. Its contact details are examples; "
            "do not use them for real referrals."
        )
    return Guidebook(
        lang=lang,
        title=title,
        subtitle=subtitle,
        dataset=meta.name.get(lang),
        sample=meta.sample,
        sample_note=note,
        built=(built or dt.date.today()).isoformat(),
        areas=tuple(areas),
        flows=flow_sections,
        columns=tuple(columns),
        by_municipality=tuple(by_municipality),
        by_need=tuple(by_need),
        wide_area_count=wide,
    )
