"""Small hand-built directories for example tests (the sample data is tested on its own)."""

from __future__ import annotations

from saihan.directory import (
    Address,
    Agency,
    Audience,
    Channel,
    ContactPoint,
    Directory,
    Eligibility,
    LocalizedText,
    Location,
    Service,
    ServiceArea,
)

HACHIOJI = "132012"
SHINJUKU = "131041"
CHIYODA = "131016"


def text(ja: str, en: str | None = None, kana: str | None = None) -> LocalizedText:
    return LocalizedText(ja=ja, en=en, kana=kana)


def service(
    id: str,
    agency_id: str,
    needs: set[str],
    area: ServiceArea,
    *,
    name: LocalizedText | None = None,
    audiences: set[Audience] | None = None,
    contacts: tuple[ContactPoint, ...] = (),
    eligibility: Eligibility | None = None,
    location_ids: tuple[str, ...] = (),
) -> Service:
    return Service(
        id=id,
        agency_id=agency_id,
        name=name or text(f"サービス {id}", f"Service {id}"),
        area=area,
        needs=frozenset(needs),
        audiences=frozenset(audiences or {Audience.PERSON}),
        contacts=contacts,
        eligibility=eligibility or Eligibility(),
        location_ids=location_ids,
    )


def small_directory() -> Directory:
    """Four agencies, six services, one confidential location."""
    agencies = [
        Agency(
            id="hachioji-welfare",
            name=text(
                "八王子市福祉事務所", "Hachioji welfare office", "はちおうじしふくしじむしょ"
            ),
            kind="welfare_office",
            contacts=(ContactPoint(Channel.PHONE, "042-000-0001"),),
            locations=(Location(id="main", address=Address(municipality_code=HACHIOJI)),),
        ),
        Agency(
            id="hw-shinjuku",
            name=text("ハローワーク新宿", "Hello Work Shinjuku", "はろーわーくしんじゅく"),
            kind="hello_work",
            contacts=(ContactPoint(Channel.EMAIL, "shinjuku@example.jp"),),
        ),
        Agency(
            id="halfway",
            name=text("更生保護施設サンプル寮", "Sample halfway house"),
            kind="rehabilitation_facility",
            locations=(
                Location(
                    id="house",
                    address=Address(
                        municipality_code=SHINJUKU, postal_code="160-0000", street="秘密1-1"
                    ),
                    confidential=True,
                ),
            ),
        ),
        Agency(id="houterasu", name=text("法テラス", "Houterasu"), kind="houterasu"),
    ]
    services = [
        service(
            "welfare-assist",
            "hachioji-welfare",
            {"welfare.public_assistance"},
            ServiceArea.of(HACHIOJI),
        ),
        service(
            "welfare-housing",
            "hachioji-welfare",
            {"housing"},
            ServiceArea.of(HACHIOJI),
            audiences={Audience.PERSON, Audience.FAMILY},
            contacts=(ContactPoint(Channel.VISIT, "main"),),
            location_ids=("main",),
        ),
        service(
            "hw-job",
            "hw-shinjuku",
            {"employment.job_search"},
            ServiceArea.tokyo(),
            name=text("職業相談", "Job counselling", "しょくぎょうそうだん"),
        ),
        service(
            "halfway-stay",
            "halfway",
            {"housing.transitional"},
            ServiceArea.tokyo(),
            location_ids=("house",),
            eligibility=Eligibility(min_age=20),
        ),
        service(
            "legal-line",
            "houterasu",
            {"legal"},
            ServiceArea.national(),
            audiences={Audience.PERSON, Audience.FAMILY, Audience.SUPPORTER},
            contacts=(ContactPoint(Channel.PHONE, "0570-000-000"),),
        ),
        service("debt", "houterasu", {"legal.debt_settlement"}, ServiceArea.of(CHIYODA, SHINJUKU)),
    ]
    return Directory(agencies=agencies, services=services)
