"""One example per command, shown at the end of its ``--help``.

They use the bundled sample data and example cases, so each can be pasted as it is
into a shell in a clone of the repository (ids and files that must exist first, such as a
stored referral, are named as the lifecycle guide creates them).
"""

from __future__ import annotations

__all__ = ["EXAMPLES"]

_CASE = "examples/cases/elderly-man-hachioji.json"
_REFERRAL = "example-elderly-man-hachioji.hachioji-welfare-office-public-assistance.1"

EXAMPLES: dict[tuple[str, ...], str] = {
    ("directory", "validate"): "saihan directory validate my-directory.json",
    ("directory", "export"): "saihan directory export -o directory.json",
    ("directory", "search"): "saihan directory search --need housing --municipality 八王子市",
    ("directory", "needs"): "saihan directory needs --lang en",
    ("directory", "kinds"): "saihan directory kinds --format json",
    ("directory", "municipalities"): "saihan directory municipalities",
    ("calendar", "next-open"): "saihan calendar next-open tokyo-crime-worry-desk "
    "--at 2024-12-28T17:00",
    ("calendar", "show"): "saihan calendar show tokyo-crime-worry-desk --month 2024-12",
    ("calendar", "export"): "saihan calendar export tokyo-crime-worry-desk --format ical "
    "-o desk.ics",
    ("calendar", "holidays"): "saihan calendar holidays 2025 --lang en",
    ("match",): f"saihan match {_CASE} --lang en --per-need 3",
    ("gaps",): "saihan gaps examples/cases --format csv",
    ("rules", "check"): "saihan rules check hachioji_rules.yaml --examples 50",
    ("rules", "show"): "saihan rules show --on 2025-04-01",
    ("flow", "list"): "saihan flow list --lang en",
    ("flow", "validate"): "saihan flow validate my-flow.yaml",
    ("flow", "render"): "saihan flow render debts --format svg -o debts.svg",
    ("flow", "run"): f"saihan flow run debts {_CASE}",
    ("schema",): "saihan schema ConsultationCase",
    ("store", "init"): "saihan store init --store sqlite:///saihan.db",
    ("store", "import"): "saihan store import directory.json --store sqlite:///saihan.db",
    ("store", "export"): "saihan store export --store sqlite:///saihan.db -o directory.json",
    ("store", "info"): "saihan store info --store sqlite:///saihan.db --check",
    ("store", "cases"): "saihan store cases --municipality 八王子市 --as system:system",
    ("export",): "saihan export --format hsds -o directory.hsds.json",
    ("import",): "saihan import --format opendata-csv facilities.csv --encoding cp932 "
    "--lenient --report report.json",
    ("case", "open"): f"saihan case open {_CASE} --actor worker-7",
    ("case", "close"): "saihan case close example-elderly-man-hachioji --actor worker-7",
    ("case", "reopen"): "saihan case reopen example-elderly-man-hachioji --actor worker-7",
    ("case", "show"): "saihan case show example-elderly-man-hachioji --format json",
    ("case", "consent"): "saihan case consent example-elderly-man-hachioji "
    "--give consent.json --actor worker-7",
    ("referral", "create"): "saihan referral create example-elderly-man-hachioji "
    "hachioji-welfare-office-public-assistance --request --actor worker-7",
    ("referral", "transition"): f"saihan referral transition {_REFERRAL} accepted "
    "--actor worker-12",
    ("referral", "follow-up"): f"saihan referral follow-up {_REFERRAL} --actor worker-7",
    ("referral", "show"): f"saihan referral show {_REFERRAL}",
    ("referral", "list"): "saihan referral list --open",
    ("referral", "export"): f"saihan referral export {_REFERRAL} --format fhir "
    "-o referral.fhir.json",
    ("referral", "import"): "saihan referral import referral.fhir.json --format fhir",
    ("followups",): "saihan followups --at 2024-12-20T09:00 --worker worker-7",
    ("audit",): "saihan audit --format json",
    ("audit", "verify"): "saihan audit verify --store sqlite:///saihan.db",
    ("demo", "seed"): "saihan demo seed --store sqlite:///demo.db --cases 500 --seed 1 "
    "--as system:system",
    ("cases", "share"): "saihan cases share --k 5 --for liaison-meeting-2024-10 --fiscal-year 2024 "
    "--format md -o cases.md --store sqlite:///demo.db --as system:system",
    ("report",): "saihan report --fiscal-year 2024 --format html -o fy2024.html "
    "--store sqlite:///demo.db --as system:system",
    ("cases", "review"): "saihan cases review demo-2024-00001 --text '70代の男性。満期釈放後、"
    "住まいがなく福祉事務所につないだ。' --store sqlite:///demo.db --as system:system",
}
