"""The public network of the sample directory, generated from ``data/sample_network.csv``.

Private: a maintainer's tool, not library API.  ``sample_network.csv`` lists, for every one
of Tokyo's 62 municipalities, the welfare office, child guidance centre, public health
centre and community general support centre that covers it, with the catchment and a
source per row.  Rows marked ``existing`` are bodies written by hand in
``sample_directory.json``: only their services' areas are set from the table.  The other
rows become an agency and one service each, with example contacts only.

Run ``python -m saihan.directory._sample_network`` to rewrite ``sample_directory.json``
(``--check`` exits 1 when it is out of date; ``--table`` prints the coverage table).
``tests/test_sample_directory.py`` checks that the committed file is what this produces.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from saihan.directory._data import read_rows
from saihan.directory.directory import Directory
from saihan.directory.municipalities import tokyo_municipalities

__all__: list[str] = []

DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLE_PATH = DATA_DIR / "sample_directory.json"

#: The four kinds of body that must cover every municipality, in table order.
NETWORK_KINDS = (
    "welfare_office",
    "child_guidance_center",
    "public_health_center",
    "community_general_support_center",
)

_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR"]
_AUDIENCES = ["family", "person", "professional", "supporter"]


class NetworkRow(NamedTuple):
    """One row of ``sample_network.csv``."""

    id: str
    kind: str
    existing: bool
    name_ja: str
    name_kana: str
    name_en: str
    operator: str
    location: str
    phone: str
    catchment: tuple[str, ...]
    area_note_ja: str
    area_note_en: str
    certainty: str
    source: str


def network_rows() -> list[NetworkRow]:
    """The rows of ``sample_network.csv``, checked for the things JSON loading cannot see."""
    rows = []
    for raw in read_rows("sample_network.csv"):
        row = NetworkRow(
            id=raw["id"],
            kind=raw["kind"],
            existing=raw["existing"] == "yes",
            name_ja=raw["name_ja"],
            name_kana=raw["name_kana"],
            name_en=raw["name_en"],
            operator=raw["operator"],
            location=raw["location"],
            phone=raw["phone"],
            catchment=tuple(raw["catchment"].split(";")),
            area_note_ja=raw["area_note_ja"],
            area_note_en=raw["area_note_en"],
            certainty=raw["certainty"],
            source=raw["source"],
        )
        problems = []
        if row.kind not in NETWORK_KINDS:
            problems.append(f"kind {row.kind!r}")
        if raw["existing"] not in ("yes", "no"):
            problems.append(f"existing {raw['existing']!r}")
        if row.certainty not in ("confirmed", "reconstructed", "uncertain"):
            problems.append(f"certainty {row.certainty!r}")
        if not row.source:
            problems.append("no source")
        if list(row.catchment) != sorted(set(row.catchment)):
            problems.append("catchment not sorted or repeated")
        if not row.existing and not row.phone:
            problems.append("no phone")
        if bool(row.area_note_ja) != bool(row.area_note_en):
            problems.append("area note in one language only")
        if problems:
            raise ValueError(f"sample_network.csv row {row.id}: {', '.join(problems)}")
        rows.append(row)
    return rows


def _area(row: NetworkRow) -> dict[str, Any]:
    area: dict[str, Any] = {"kind": "municipalities", "municipality_codes": list(row.catchment)}
    if row.area_note_ja:
        area["note"] = {"ja": row.area_note_ja, "en": row.area_note_en}
    return area


def _catchment_names(row: NetworkRow, names: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    ja = "・".join(names[code][0] for code in row.catchment)
    en = ", ".join(names[code][1] for code in row.catchment)
    return ja, en


def _agency(row: NetworkRow, names: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    agency: dict[str, Any] = {
        "id": row.id,
        "name": {"ja": row.name_ja, "kana": row.name_kana, "en": row.name_en},
        "kind": row.kind,
        "operator": row.operator,
    }
    if len(row.catchment) > 1:
        ja, en = _catchment_names(row, names)
        agency["description"] = {"ja": f"担当区域: {ja}", "en": f"Catchment: {en}"}
    agency["website"] = f"https://example.jp/{row.id}"
    agency["contacts"] = [
        {"channel": "phone", "value": row.phone},
        {"channel": "visit", "value": "main"},
    ]
    agency["locations"] = [
        {
            "id": "main",
            "address": {
                "municipality_code": row.location,
                "prefecture": "東京都",
                "street": f"サンプル町{int(row.phone[-4:])}-1",
            },
        }
    ]
    return agency


_SERVICE_TEXT: dict[str, dict[str, Any]] = {
    "welfare_office": {
        "suffix": "public-assistance",
        "name": {
            "ja": "生活保護の相談・申請",
            "kana": "せいかつほご",
            "en": "Public assistance: consultation and application",
        },
        "description": {
            "ja": "生活に困っている人の相談を受け、生活保護の申請を受け付けます。"
            "住まいのない人の相談にも応じます。",
            "en": "Consultation for people who cannot make ends meet, and applications for "
            "public assistance, including people with no home.",
        },
        "needs": ["elderly_disability", "housing.rent_support", "welfare.public_assistance"],
    },
    "child_guidance_center": {
        "suffix": "consultation",
        "name": {
            "ja": "子どもの非行・養育の相談",
            "en": "Consultation on children's delinquency and upbringing",
        },
        "description": {
            "ja": "18歳未満の子どもの非行や家庭での養育について、"
            "子ども本人や家族、学校などからの相談に応じます。",
            "en": "Advice for children under 18, their families and schools on delinquency "
            "and upbringing at home.",
        },
        "needs": ["family.child_rearing", "family.consultation", "juvenile_education.delinquency"],
        "eligibility": {"max_age": 17},
        "opens": "09:00",
        "closes": "17:00",
        "hours_note": {
            "ja": "児童虐待の通告・相談は、児童相談所虐待対応ダイヤル「189」で24時間受け付けます。",
            "en": "Reports of child abuse are taken 24 hours a day on the national dial 189.",
        },
    },
    "public_health_center": {
        "suffix": "mental-health",
        "name": {"ja": "精神保健福祉相談", "en": "Mental health and welfare consultation"},
        "description": {
            "ja": "保健師や精神科医が、こころの健康やアルコール・薬物の問題について"
            "本人や家族の相談に応じます。",
            "en": "Public health nurses and psychiatrists advise people and families on "
            "mental health and alcohol or drug problems.",
        },
        "needs": ["drug_alcohol.consultation", "mental_health.consultation"],
    },
    "community_general_support_center": {
        "suffix": "consultation",
        "name": {"ja": "高齢者の総合相談", "en": "General consultation for older people"},
        "description": {
            "ja": "65歳以上の人の介護、健康、暮らしの困りごとについて、本人や家族の相談に応じ、"
            "介護保険などのサービスにつなぎます。",
            "en": "Advice for people aged 65 and over and their families on care, health and "
            "daily life, and connection to long-term care insurance and other services.",
        },
        "needs": ["elderly_disability.elderly_care", "family.consultation"],
        "eligibility": {"min_age": 65, "required_attributes": ["elderly"]},
    },
}


def _service(row: NetworkRow) -> dict[str, Any]:
    text = _SERVICE_TEXT[row.kind]
    service: dict[str, Any] = {
        "id": f"{row.id}-{text['suffix']}",
        "agency_id": row.id,
        "name": dict(text["name"]),
        "description": dict(text["description"]),
        "area": _area(row),
        "needs": list(text["needs"]),
        "audiences": list(_AUDIENCES),
    }
    if "eligibility" in text:
        service["eligibility"] = json.loads(json.dumps(text["eligibility"]))
    service["contacts"] = [
        {"channel": "phone", "value": row.phone},
        {"channel": "visit", "value": "main"},
    ]
    hours: dict[str, Any] = {
        "weekly": [
            {
                "days": list(_WEEKDAYS),
                "opens": text.get("opens", "08:30"),
                "closes": text.get("closes", "17:15"),
            }
        ]
    }
    if "hours_note" in text:
        hours["note"] = dict(text["hours_note"])
    service["hours"] = hours
    service["location_ids"] = ["main"]
    service["languages"] = ["ja"]
    service["cost"] = "free"
    return service


def build(document: Mapping[str, Any], rows: Sequence[NetworkRow] | None = None) -> dict[str, Any]:
    """``document`` with the network of ``rows`` (default: the CSV) put in, sorted by id.

    Idempotent: earlier generated agencies and their services are replaced, and the
    areas of the hand-written ``existing`` bodies are set from their catchments.
    """
    rows = network_rows() if rows is None else rows
    names = {m.code: (m.name_ja, m.name_en.split("-")[0]) for m in tokyo_municipalities()}
    generated = {row.id for row in rows if not row.existing}
    agencies = [dict(a) for a in document["agencies"] if a["id"] not in generated]
    services = [dict(s) for s in document["services"] if s["agency_id"] not in generated]
    by_id = {agency["id"]: agency for agency in agencies}
    listed = {row.id for row in rows}
    for agency in agencies:
        if agency["kind"] in NETWORK_KINDS and agency["id"] not in listed:
            raise ValueError(
                f"agency {agency['id']} ({agency['kind']}) is not in sample_network.csv: "
                "add a row for it, or delete it from the JSON"
            )
    for row in rows:
        if row.existing:
            written = by_id.get(row.id)
            if (
                written is None
                or written["kind"] != row.kind
                or written["name"]["ja"] != row.name_ja
            ):
                raise ValueError(f"sample_network.csv row {row.id}: no such {row.kind} in the JSON")
            for service in services:
                if service["agency_id"] == row.id:
                    service["area"] = _area(row)
        else:
            if row.id in by_id:
                raise ValueError(f"sample_network.csv row {row.id}: already written by hand")
            agencies.append(_agency(row, names))
            services.append(_service(row))
    return {
        **document,
        "agencies": sorted(agencies, key=lambda a: str(a["id"])),
        "services": sorted(services, key=lambda s: str(s["id"])),
    }


def render(document: Mapping[str, Any]) -> str:
    """The JSON text of ``document`` as committed (two-space indent, UTF-8, final newline)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def generated_text() -> str:
    """What ``sample_directory.json`` should contain, built from the committed file."""
    return render(build(json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))))


def coverage(directory: Directory) -> dict[str, dict[str, int]]:
    """kind -> municipality code -> how many bodies of that kind have a service covering it.

    Counts agencies, not services (a welfare office with two services counts once);
    covering means the municipality is in a service's ``municipalities`` area.
    """
    table = {kind: {m.code: 0 for m in tokyo_municipalities()} for kind in NETWORK_KINDS}
    for agency in directory.agencies:
        if agency.kind not in table:
            continue
        covered: set[str] = set()
        for service in directory.services_of(agency.id):
            covered.update(service.area.municipality_codes)
        for code in covered:
            if code in table[agency.kind]:
                table[agency.kind][code] += 1
    return table


_HEADINGS = {
    "welfare_office": "福祉事務所",
    "child_guidance_center": "児童相談所",
    "public_health_center": "保健所",
    "community_general_support_center": "地域包括支援センター",
}


def coverage_markdown(directory: Directory) -> str:
    """The coverage table as Markdown: one row per municipality, one column per kind."""
    table = coverage(directory)
    lines = [
        "| code | municipality | " + " | ".join(_HEADINGS[k] for k in NETWORK_KINDS) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in NETWORK_KINDS) + " |",
    ]
    for m in tokyo_municipalities():
        counts = " | ".join(str(table[kind][m.code]) for kind in NETWORK_KINDS)
        lines.append(f"| {m.code} | {m.name_ja} | {counts} |")
    totals = " | ".join(
        str(sum(1 for a in directory.agencies if a.kind == kind)) for kind in NETWORK_KINDS
    )
    lines.append(f"| | bodies in the sample | {totals} |")
    return "\n".join(lines) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m saihan.directory._sample_network")
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON is out of date")
    parser.add_argument("--table", action="store_true", help="print the coverage table")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.table:
        from saihan.directory.sample import sample_directory

        sys.stdout.write(coverage_markdown(sample_directory()))
        return 0
    text = generated_text()
    if args.check:
        return 0 if SAMPLE_PATH.read_text(encoding="utf-8") == text else 1
    SAMPLE_PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
