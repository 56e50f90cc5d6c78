"""``saihan case``, ``saihan referral``, ``saihan followups`` and ``saihan audit``:
working cases and referrals in a store from the shell.

Every command takes ``--store URL`` (``--url`` too; default: ``$SAIHAN_STORE_URL``,
else the embedded SQLite file, as for ``saihan store``) and opens an existing store
only: make it with ``saihan store init`` or ``saihan store import``.  Commands that
read or change something act as ``--as PRINCIPAL`` (or ``$SAIHAN_PRINCIPAL``; see
``docs/access.md``), may name ``--actor ID`` (a system principal recording for a worker),
and take ``--at T`` (an
ISO 8601 date-time *with* its UTC offset; default: now).  Each is one audited
transaction of :mod:`saihan.casework`.

Case documents are special care-required personal information: nothing here prints
a case's summary, names, birth date, notes or consents (``case show`` counts the
consents given and refused) unless ``case show --show-sensitive`` asks, and a
referral's reasons and outcomes (the worker's own words) are shown only with
``referral show --show-sensitive`` (``referral export`` writes them only with
``--include-reasons``, and the consent covering the referral only with
``--include-consent``).
``saihan audit verify`` checks the audit trail's hash chain (exit 1 when broken).
See ``docs/referral-lifecycle.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from saihan import plugins, storage
from saihan.access import PRINCIPAL_FORM, Principal
from saihan.casework import due_followups, workflow
from saihan.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_importer,
    add_lang,
    add_printing_options,
    emit,
    importer_name,
    say,
)
from saihan.cli.principal import ENVIRONMENT_VARIABLE, add_store, principal_of
from saihan.cli.table import render_fields, render_table
from saihan.directory.municipalities import find_municipality
from saihan.errors import AccessDenied, PluginError, ValidationError
from saihan.limits import read_file
from saihan.referral.audit import AuditEvent
from saihan.referral.case import Consent, ConsultationCase, RelativeSituation, Subject
from saihan.referral.followup import FollowUp
from saihan.referral.io import load_case
from saihan.referral.lifecycle import Referral, ReferralStatus
from saihan.serialization import from_json, unstructure
from saihan.storage import Store, Versioned

__all__ = ["parse_at", "register"]

STATUSES = tuple(status.value for status in ReferralStatus)
FOLLOWUP_FIELDS = (
    "referral_id",
    "case_id",
    "service_id",
    "status",
    "reason",
    "since",
    "due_on",
    "overdue_days",
    "worker",
    "municipality",
    "description_ja",
    "description_en",
)


# -- shared options and parsing ---------------------------------------------------------


def _add_actor(parser: argparse.ArgumentParser) -> None:
    add_store(parser)
    parser.add_argument(
        "--actor",
        metavar="ID",
        help="the worker the change is recorded for (default: the --as principal's id; "
        "only a system principal may name another)",
    )
    parser.add_argument(
        "--at",
        metavar="T",
        help="when, ISO 8601 with its UTC offset, e.g. 2024-11-05T10:30+09:00 (default: now)",
    )
    add_printing_options(parser)


def parse_at(text: str | None, path: str = "at") -> dt.datetime | None:
    """``--at``: an ISO 8601 date-time (None when not given), read as every command
    reads it: with its UTC offset, or without one as Tokyo time (Asia/Tokyo), never
    in the zone of the machine that runs the command, so the audit trail and the
    follow-up due days do not depend on it."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{text!r} is not an ISO 8601 date-time like 2024-11-05T10:30+09:00", path=path
        ) from None
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    return moment


def _parse_day(text: str | None, path: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date like 2024-11-05", path=path) from None


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Store]:
    """The store of ``--store``; it must exist already (no store is made by mistake)."""
    with storage.open(args.store, create=False, principal=principal_of(args)) as store:
        yield store


def _actor(args: argparse.Namespace, store: Store) -> Principal | str:
    """``--actor``, else the principal acting (AccessDenied, saying how to give one,
    when there is none)."""
    if args.actor is not None:
        return str(args.actor)
    if store.principal is None:
        raise AccessDenied(
            f"give a principal: --as {PRINCIPAL_FORM} or ${ENVIRONMENT_VARIABLE} (docs/access.md)"
        )
    return store.principal


def _when(moment: dt.datetime | None) -> str:
    return "-" if moment is None else moment.isoformat(timespec="minutes")


def _place(code: str | None) -> str:
    if code is None:
        return "-"
    found = find_municipality(code)
    return f"{code} {found[0].name_ja}" if len(found) == 1 else code


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# Labels and table headers in Japanese (--lang ja); the English is the key.
_JA = {
    "referral": "紹介",
    "event": "イベント",
    "follow-up": "フォローアップ",
    "overdue follow-up": "期限超過のフォローアップ",
    "status": "状態",
    "version": "版",
    "case": "ケース",
    "service": "サービス",
    "agency": "機関",
    "need": "ニーズ",
    "referred by": "紹介元",
    "plan": "プラン",
    "created": "作成",
    "updated": "更新",
    "at": "日時",
    "actor": "記録者",
    "recorded": "記録あり",
    "record": "記録",
    "action": "操作",
    "changed": "変更箇所",
    "overdue": "超過日数",
    "due on": "期日",
    "worker": "担当者",
    "municipality": "市区町村",
    "why": "理由",
    "received": "受付",
    "time zone": "タイムゾーン",
    "consulter": "相談者",
    "received via": "受付方法",
    "received by": "受付窓口",
    "organisation": "組織",
    "residence": "住所地",
    "preferred place": "希望地",
    "age": "年齢",
    "legal situation": "法的状況",
    "juvenile stage": "少年手続の段階",
    "released on": "釈放日",
    "expected release": "釈放予定日",
    "attributes": "属性",
    "suspected": "疑われる属性",
    "relative": "家族",
    "relative's legal situation": "家族の法的状況",
    "relative's juvenile stage": "家族の少年手続の段階",
    "relative's released on": "家族の釈放日",
    "relative's expected release": "家族の釈放予定日",
    "relative's residence": "家族の住所地",
    "needs": "ニーズ",
    "consents": "同意",
}


def _label(args: argparse.Namespace, english: str) -> str:
    return english if getattr(args, "lang", "ja") == "en" else _JA[english]


def _count(args: argparse.Namespace, count: int, word: str) -> str:
    """``3 referrals`` / ``紹介 3 件``."""
    return say(args, f"{_JA[word]} {count} 件", _plural(count, word))


def _write_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# -- registration -----------------------------------------------------------------------


def register(commands: Any) -> None:
    """Add ``case``, ``referral``, ``followups`` and ``audit`` to the top-level subparsers."""
    _register_case(commands)
    _register_referral(commands)

    followups = commands.add_parser(
        "followups", help="referrals due for follow-up, most overdue first"
    )
    add_store(followups)
    followups.add_argument("--at", metavar="T", help="the moment asked about (default: now)")
    followups.add_argument("--municipality", help="cases handled there (code or name)")
    followups.add_argument("--worker", metavar="ID", help="cases of this worker")
    followups.add_argument("--overdue", action="store_true", help="only those past their due day")
    followups.add_argument(
        "--by", choices=("worker", "municipality"), help="group them by worker or municipality"
    )
    followups.add_argument("--format", choices=("text", "csv", "json"), default="text")
    followups.add_argument("--lang", choices=("ja", "en"), default="ja")
    followups.set_defaults(handler=_followups)

    audit = commands.add_parser(
        "audit", help="the audit trail of cases and referrals (field paths, never values)"
    )
    add_store(audit)
    audit.add_argument("--record", metavar="KIND:ID", help="one record: case:ID or referral:ID")
    audit.add_argument("--actor", metavar="ID", help="one actor's changes")
    audit.add_argument("--from", dest="first", metavar="DATE", help="first UTC day")
    audit.add_argument("--to", dest="last", metavar="DATE", help="last UTC day")
    add_printing_options(audit)
    audit.set_defaults(handler=_audit)
    verbs = audit.add_subparsers(dest="audit_command", metavar="verify")
    verify = verbs.add_parser(
        "verify", help="check the audit trail's hash chain and coverage (exit 1 if broken)"
    )
    verify.add_argument(
        "--store",
        "--url",
        dest="store",
        metavar="URL",
        default=argparse.SUPPRESS,  # keep a --store given before "verify"
        help="store URL (default: $SAIHAN_STORE_URL, else the embedded store)",
    )
    # Given before "verify" (audit --format json verify) or after it: both are kept.
    verify.add_argument(
        "--lang",
        choices=("ja", "en"),
        default=argparse.SUPPRESS,
        help="language of what is printed: ja or en (default: $SAIHAN_LANG, else ja)",
    )
    verify.add_argument(
        "--format",
        choices=("text", "json"),
        default=argparse.SUPPRESS,
        help="output format: text or json (default: text)",
    )
    verify.set_defaults(handler=_audit_verify)


def _register_case(commands: Any) -> None:
    group = commands.add_parser("case", help="open, close and record consent on stored cases")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")

    opened = sub.add_parser("open", help="store a new case from a case document (audited)")
    opened.add_argument("case_file", type=Path, metavar="CASE.json")
    _add_actor(opened)
    opened.set_defaults(handler=_case_open)

    close = sub.add_parser("close", help="close a case whose referrals have all ended")
    close.add_argument("case_id", metavar="CASE_ID")
    _add_actor(close)
    close.set_defaults(handler=_case_close)

    reopen = sub.add_parser("reopen", help="open a closed case again")
    reopen.add_argument("case_id", metavar="CASE_ID")
    _add_actor(reopen)
    reopen.set_defaults(handler=_case_reopen)

    consent = sub.add_parser(
        "consent",
        help="record a consent or a refusal, or withdraw a consent (cancelling the "
        "referrals it covered)",
    )
    consent.add_argument("case_id", metavar="CASE_ID")
    which = consent.add_mutually_exclusive_group(required=True)
    which.add_argument("--give", type=Path, metavar="CONSENT.json", help="a consent document")
    which.add_argument(
        "--withdraw", type=int, metavar="INDEX", help="the position of the consent (from 0)"
    )
    which.add_argument(
        "--refuse",
        action="store_true",
        help="the person was asked and said no, for the --agency and --agency-kind given",
    )
    consent.add_argument(
        "--agency", action="append", default=[], metavar="ID", help="with --refuse (repeatable)"
    )
    consent.add_argument(
        "--agency-kind",
        action="append",
        default=[],
        metavar="CODE",
        help="with --refuse: every agency of this kind (repeatable)",
    )
    consent.add_argument(
        "--on",
        metavar="DATE",
        help="--withdraw: withdrawn from this day; --refuse: the day they were asked "
        "(default: --at's day, the person's day)",
    )
    _add_actor(consent)
    consent.set_defaults(handler=_case_consent)

    show = sub.add_parser(
        "show", help="a stored case: what a worker needs, never its sensitive fields unless asked"
    )
    show.add_argument("case_id", metavar="CASE_ID")
    add_store(show)
    add_printing_options(show)
    show.add_argument(
        "--show-sensitive",
        action="store_true",
        help="also print the summary, name, birth date, notes and consents",
    )
    show.set_defaults(handler=_case_show)


def _register_referral(commands: Any) -> None:
    group = commands.add_parser("referral", help="make, move, follow up and show referrals")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")

    create = sub.add_parser("create", help="refer a stored case to a stored service")
    create.add_argument("case_id", metavar="CASE_ID")
    create.add_argument("service_id", metavar="SERVICE_ID")
    create.add_argument(
        "--request", action="store_true", help="send it at once (requested; needs consent)"
    )
    create.add_argument("--need", metavar="CODE", help="the need it is for")
    create.add_argument(
        "--referred-by", metavar="SERVICE", help="the referring service (its days count)"
    )
    create.add_argument("--plan", metavar="PLAN_ID", help="the stored plan it came from")
    create.add_argument("--id", metavar="ID", help="the referral id (default: CASE.SERVICE.N)")
    _add_actor(create)
    create.set_defaults(handler=_referral_create)

    move = sub.add_parser("transition", help="move a referral to another status")
    move.add_argument("referral_id", metavar="REFERRAL_ID")
    move.add_argument(
        "status", choices=STATUSES, metavar="STATUS", help="the new status: " + ", ".join(STATUSES)
    )
    move.add_argument("--reason", metavar="TEXT", help="why (needed for rejected, on-hold ...)")
    move.add_argument("--outcome", metavar="TEXT", help="what came of it")
    move.add_argument(
        "--expected-version",
        type=int,
        metavar="N",
        help="refuse if the referral is no longer at this version",
    )
    _add_actor(move)
    move.set_defaults(handler=_referral_transition)

    follow = sub.add_parser("follow-up", help="record a follow-up: the status stays")
    follow.add_argument("referral_id", metavar="REFERRAL_ID")
    follow.add_argument("--outcome", metavar="TEXT", help="what the follow-up found")
    _add_actor(follow)
    follow.set_defaults(handler=_referral_follow_up)

    show = sub.add_parser("show", help="a referral and its history")
    show.add_argument("referral_id", metavar="REFERRAL_ID")
    add_store(show)
    add_printing_options(show)
    show.add_argument(
        "--show-sensitive",
        action="store_true",
        help="also print reasons and outcomes (the worker's words about the person)",
    )
    show.set_defaults(handler=_referral_show)

    listing = sub.add_parser("list", help="stored referrals: id, case, service, status")
    add_store(listing)
    listing.add_argument("--case", metavar="ID", help="one case's referrals")
    listing.add_argument("--service", metavar="ID", help="referrals to one service")
    listing.add_argument("--status", choices=STATUSES, metavar="STATUS", help="now in this status")
    listing.add_argument("--open", action="store_true", help="only those not yet ended")
    add_printing_options(listing)
    listing.set_defaults(handler=_referral_list)

    export = sub.add_parser(
        "export",
        help="write a stored referral through an exporter (fhir: the SDOH Clinical Care IG's "
        "Task, ServiceRequest and Consent; needs the saihan-fhir plugin)",
    )
    export.add_argument("referral_id", metavar="REFERRAL_ID")
    add_store(export)
    export.add_argument("--format", default="fhir", help="exporter name (default: fhir)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.add_argument(
        "--include-reasons",
        action="store_true",
        help="also write reasons and outcomes (the worker's words about the person)",
    )
    export.add_argument(
        "--include-consent",
        action="store_true",
        help="also write the case's consent that covers the referral (reads the case, audited)",
    )
    export.set_defaults(handler=_referral_export)

    imported = sub.add_parser(
        "import", help="store a referral from a file through an importer (default: fhir)"
    )
    imported.add_argument("file", type=Path, metavar="FILE")
    add_store(imported)
    add_importer(imported, "fhir", old_spelling=True)
    add_lang(imported)
    imported.set_defaults(handler=_referral_import)


# -- cases ------------------------------------------------------------------------------


def _case_open(args: argparse.Namespace, out: TextIO) -> int:
    case = load_case(args.case_file)
    at = parse_at(args.at)
    with _opened(args) as store:
        workflow.open_case(store, case, actor=_actor(args, store), at=at)
        version = store.cases.get(case.id).version
    if args.format == "json":
        _write_json({"action": "opened", "case": case.id, "version": version}, out)
        return EXIT_OK
    print(
        say(
            args,
            f"ケース {case.id} を開きました（版 {version}）",
            f"opened case {case.id} (version {version})",
        ),
        file=out,
    )
    return EXIT_OK


def _case_close(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at)
    with _opened(args) as store:
        case = workflow.close_case(store, args.case_id, actor=_actor(args, store), at=at)
        version = store.cases.get(case.id).version
    if args.format == "json":
        document = {"action": "closed", "case": case.id, "version": version}
        _write_json({**document, "closed_at": _when(case.closed_at)}, out)
        return EXIT_OK
    when = _when(case.closed_at)
    print(
        say(args, f"ケース {case.id} を閉じました（{when}）", f"closed case {case.id} at {when}"),
        file=out,
    )
    return EXIT_OK


def _case_reopen(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at)
    with _opened(args) as store:
        case = workflow.reopen_case(store, args.case_id, actor=_actor(args, store), at=at)
        version = store.cases.get(case.id).version
    if args.format == "json":
        _write_json({"action": "reopened", "case": case.id, "version": version}, out)
        return EXIT_OK
    print(say(args, f"ケース {case.id} を再開しました", f"reopened case {case.id}"), file=out)
    return EXIT_OK


def _load_consent(path: Path) -> Consent:
    return from_json(read_file(path), Consent)


def _case_consent(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at)
    if not args.refuse and (args.agency or args.agency_kind):
        raise ValidationError("--agency and --agency-kind go with --refuse", path="agency")
    if args.refuse:
        on = _parse_day(args.on, "on")
        with _opened(args) as store:
            case = workflow.refuse_consent(
                store,
                args.case_id,
                agency_ids=args.agency,
                agency_kinds=args.agency_kind,
                actor=_actor(args, store),
                on=on,
                at=at,
            )
        refusal, index = case.consents[-1], len(case.consents) - 1
        if args.format == "json":
            _write_json(_consent_json("refused", case.id, index, []), out)
            return EXIT_OK
        print(
            say(
                args,
                f"ケース {case.id}: 同意の拒否を同意 {index} として記録しました"
                f"（{refusal.given_on} に確認）",
                f"case {case.id}: refusal recorded as consent {index} "
                f"(asked on {refusal.given_on})",
            ),
            file=out,
        )
        return EXIT_OK
    if args.give is not None:
        if args.on is not None:
            raise ValidationError("--on goes with --withdraw", path="on")
        consent = _load_consent(args.give)
        with _opened(args) as store:
            case = workflow.give_consent(
                store, args.case_id, consent, actor=_actor(args, store), at=at
            )
        index = len(case.consents) - 1
        if args.format == "json":
            _write_json(_consent_json("given", case.id, index, []), out)
            return EXIT_OK
        print(
            say(
                args,
                f"ケース {case.id}: 同意 {index} を記録しました",
                f"case {case.id}: consent {index} recorded",
            ),
            file=out,
        )
        return EXIT_OK
    on = _parse_day(args.on, "on")
    with _opened(args) as store:
        cancelled = workflow.withdraw_consent(
            store, args.case_id, args.withdraw, actor=_actor(args, store), on=on, at=at
        )
    if args.format == "json":
        _write_json(_consent_json("withdrawn", args.case_id, args.withdraw, cancelled), out)
        return EXIT_OK
    print(
        say(
            args,
            f"ケース {args.case_id}: 同意 {args.withdraw} を撤回しました。"
            f"紹介 {len(cancelled)} 件を取り消しました",
            f"case {args.case_id}: consent {args.withdraw} withdrawn; "
            f"{_plural(len(cancelled), 'referral')} cancelled",
        ),
        file=out,
    )
    for referral in cancelled:
        print(f"  {referral.id} ({referral.service_id})", file=out)
    return EXIT_OK


def _consent_json(
    action: str, case_id: str, index: int, cancelled: Sequence[Referral]
) -> dict[str, Any]:
    return {
        "action": action,
        "case": case_id,
        "consent": index,
        "cancelled": [{"referral": r.id, "service": r.service_id} for r in cancelled],
    }


_SENSITIVE_PATHS = (
    "summary",
    "shared_summary",
    "subject.name",
    "subject.birth_date",
    "consents",
)


def _case_json(item: Versioned[ConsultationCase], show_sensitive: bool) -> dict[str, Any]:
    case = item.value
    document: dict[str, Any] = unstructure(case)
    withheld: list[str] = []
    if not show_sensitive:
        for path in _SENSITIVE_PATHS:
            *parents, name = path.split(".")
            holder = document
            for parent in parents:
                holder = holder[parent]
            if name in holder:
                del holder[name]
                withheld.append(path)
        for index, need in enumerate(document["needs"]):
            if "note" in need:
                del need["note"]
                withheld.append(f"needs[{index}].note")
    return {
        "version": item.version,
        "received_on": case.received_on.isoformat(),
        "open": case.closed_at is None,
        "consents_given": sum(1 for c in case.consents if not c.refused),
        "consents_refused": sum(1 for c in case.consents if c.refused),
        "case": document,
        "withheld": withheld,
    }


def _words(values: Any) -> str:
    """Enum members (or their set) as their values, sorted; "-" for none."""
    if values is None:
        return "-"
    if isinstance(values, frozenset | set):
        return ", ".join(sorted(str(value) for value in values)) or "-"
    return str(values)


def _day(value: dt.date | None) -> str:
    return "-" if value is None else value.isoformat()


def _age(subject: Subject) -> str:
    if subject.age is not None:
        return str(subject.age)
    if subject.age_range is not None:
        return f"{subject.age_range.min}-{subject.age_range.max}"
    return "(from the birth date)" if subject.birth_date is not None else "-"


def _situation_rows(who: Subject | RelativeSituation, prefix: str) -> list[tuple[str, str]]:
    rows = [(f"{prefix}legal situation", str(who.legal_situation))]
    if who.juvenile_stage is not None:
        rows.append((f"{prefix}juvenile stage", str(who.juvenile_stage)))
    if who.released_on is not None:
        rows.append((f"{prefix}released on", _day(who.released_on)))
    if who.expected_release_on is not None:
        rows.append((f"{prefix}expected release", _day(who.expected_release_on)))
    return rows


def _case_show(args: argparse.Namespace, out: TextIO) -> int:
    with _opened(args) as store:
        item = store.cases.get(args.case_id)
        desk = None
        if item.value.received_by is not None:
            found = store.services.find(item.value.received_by)
            desk = None if found is None else found.value.name.ja
    if args.format == "json":
        _write_json(_case_json(item, args.show_sensitive), out)
        return EXIT_OK
    case, subject = item.value, item.value.subject
    zone = case.time_zone or f"UTC{case.received_at.isoformat()[-6:]} (received_at's offset)"
    rows: list[tuple[str, str]] = [
        ("case", case.id),
        ("version", str(item.version)),
        (
            "status",
            say(args, "継続中", "open")
            if case.closed_at is None
            else say(args, "終了 ", "closed ") + _when(case.closed_at),
        ),
        (
            "received",
            _when(case.received_at)
            + say(
                args,
                f"（本人の日付 {case.received_on}）",
                f" (the person's day {case.received_on})",
            ),
        ),
        ("time zone", zone),
        ("consulter", str(case.consulter)),
        ("received via", str(case.received_via)),
        (
            "received by",
            "-" if case.received_by is None else case.received_by + (f"  {desk}" if desk else ""),
        ),
        ("municipality", _place(case.municipality)),
        ("worker", case.worker or "-"),
        ("organisation", case.organisation or "-"),
        ("residence", _place(subject.residence)),
        ("preferred place", _place(subject.preferred_municipality)),
        ("age", _age(subject)),
        *_situation_rows(subject, ""),
        ("attributes", _words(subject.attributes)),
        ("suspected", _words(subject.suspected_attributes)),
    ]
    if case.relative is not None:
        relative = case.relative
        rows.append(("relative", str(relative.relation)))
        rows.extend(_situation_rows(relative, "relative's "))
        rows.append(("relative's residence", _place(relative.residence)))
    rows.append(("needs", ", ".join(f"{need.code} ({need.urgency})" for need in case.needs)))
    given = sum(1 for consent in case.consents if not consent.refused)
    refused = len(case.consents) - given
    rows.append(
        (
            "consents",
            say(args, f"{given} 件、拒否 {refused} 件", f"{given} given, {refused} refused"),
        )
    )
    print(render_fields([(_label(args, name), value) for name, value in rows]), file=out)
    if not args.show_sensitive:
        print(
            say(
                args,
                "（概要・氏名・生年月日・メモ・同意の内容は表示していません: "
                "--show-sensitive で表示します）",
                "(summary, name, birth date, notes and consents are not shown: "
                "--show-sensitive shows them)",
            ),
            file=out,
        )
        return EXIT_OK
    print("", file=out)
    for index, consent in enumerate(case.consents):
        names = ", ".join(sorted(consent.agency_ids | consent.agency_kinds))
        state = say(
            args,
            f"{consent.decision} {consent.given_on}",
            f"{consent.decision} on {consent.given_on}",
        )
        if consent.until is not None:
            state += say(args, f"、{consent.until} まで", f", until {consent.until}")
        if consent.withdrawn_on is not None:
            state += say(
                args, f"、{consent.withdrawn_on} に撤回", f", withdrawn {consent.withdrawn_on}"
            )
        print(f"{say(args, '同意', 'consent')} [{index}] {state}: {names}", file=out)
    words: list[tuple[str, str | None]] = [
        (say(args, "氏名", "name"), subject.name),
        (
            say(args, "生年月日", "birth date"),
            _day(subject.birth_date) if subject.birth_date else None,
        ),
        (say(args, "概要", "summary"), case.summary),
        *(
            (say(args, f"ニーズ[{i}] のメモ", f"needs[{i}] note"), need.note)
            for i, need in enumerate(case.needs)
        ),
    ]
    for label, text in words:
        if text is not None:
            print(f"{label}: {text}", file=out)
    return EXIT_OK


# -- referrals --------------------------------------------------------------------------


def _referral_create(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at)
    with _opened(args) as store:
        referral = workflow.create_referral(
            store,
            args.case_id,
            args.service_id,
            actor=_actor(args, store),
            at=at,
            request=args.request,
            need=args.need,
            referred_by=args.referred_by,
            plan_id=args.plan,
            id=args.id,
        )
        version = store.referrals.get(referral.id).version
        meta = store.meta.find()
    if args.format == "json":
        document = {"action": "created", "referral": referral.id, "case": referral.case_id}
        _write_json({**document, "status": referral.status.value, "version": version}, out)
    else:
        print(f"{referral.id}: {referral.status} ({_label(args, 'version')} {version})", file=out)
    if meta is not None and meta.value.sample:
        print(
            "note: the stored directory is SAMPLE data; do not use it for real referrals",
            file=sys.stderr,
        )
    return EXIT_OK


def _referral_transition(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at)
    with _opened(args) as store:
        moved = workflow.transition_referral(
            store,
            args.referral_id,
            args.status,
            actor=_actor(args, store),
            at=at,
            reason=args.reason,
            outcome=args.outcome,
            expected_version=args.expected_version,
        )
        version = store.referrals.get(moved.id).version
    event = moved.history[-1]
    if args.format == "json":
        document = {"action": "moved", "referral": moved.id, "from": str(event.previous)}
        _write_json({**document, "status": event.status.value, "version": version}, out)
        return EXIT_OK
    label = _label(args, "version")
    print(f"{moved.id}: {event.previous} -> {event.status} ({label} {version})", file=out)
    return EXIT_OK


def _referral_follow_up(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at)
    with _opened(args) as store:
        done = workflow.follow_up(
            store, args.referral_id, actor=_actor(args, store), at=at, outcome=args.outcome
        )
        version = store.referrals.get(done.id).version
    if args.format == "json":
        document = {"action": "followed-up", "referral": done.id, "at": _when(done.updated_at)}
        _write_json({**document, "status": done.status.value, "version": version}, out)
        return EXIT_OK
    print(
        say(
            args,
            f"{done.id}: {_when(done.updated_at)} にフォローアップを記録しました。"
            f"状態は {done.status} のまま（版 {version}）",
            f"{done.id}: followed up at {_when(done.updated_at)}, still {done.status} "
            f"(version {version})",
        ),
        file=out,
    )
    return EXIT_OK


def _referral_json(item: Versioned[Referral], show_sensitive: bool) -> dict[str, Any]:
    document: dict[str, Any] = unstructure(item.value)
    withheld: list[str] = []
    if not show_sensitive:
        for index, event in enumerate(document["history"]):
            for name in ("reason", "outcome"):
                if name in event:
                    del event[name]
                    withheld.append(f"history[{index}].{name}")
    return {
        "version": item.version,
        "status": item.value.status.value,
        "open": not item.value.ended,
        "referral": document,
        "withheld": withheld,
    }


def _referral_show(args: argparse.Namespace, out: TextIO) -> int:
    with _opened(args) as store:
        item = store.referrals.get(args.referral_id)
        service = store.services.find(item.value.service_id)
    if args.format == "json":
        _write_json(_referral_json(item, args.show_sensitive), out)
        return EXIT_OK
    referral = item.value
    service_name = "" if service is None else f"  {service.value.name.ja}"
    ended = say(args, "（終了）", " (ended)") if referral.ended else ""
    fields = [
        ("referral", referral.id),
        ("status", f"{referral.status}{ended}"),
        ("version", str(item.version)),
        ("case", referral.case_id),
        ("service", referral.service_id + service_name),
        ("agency", f"{referral.agency_id} ({referral.agency_kind})"),
        ("need", referral.need or "-"),
        ("referred by", referral.referred_by or "-"),
        ("plan", referral.plan_id or "-"),
        ("created", _when(referral.created_at)),
        ("updated", _when(referral.updated_at)),
    ]
    print(render_fields([(_label(args, name), value) for name, value in fields]), file=out)
    print("", file=out)
    headers = ["#", *(_label(args, name) for name in ("at", "actor", "event", "status"))]
    headers.append(_label(args, "recorded"))
    rows: list[list[str]] = []
    words: list[str] = []  # the worker's words, in full, only with --show-sensitive
    for index, event in enumerate(referral.history):
        status = (
            str(event.status) if event.previous is None else f"{event.previous} -> {event.status}"
        )
        kept = [name for name in ("reason", "outcome") if getattr(event, name) is not None]
        row = [str(index), _when(event.at), event.actor, str(event.kind), status, ", ".join(kept)]
        rows.append(row)
        words.extend(f"[{index}] {name}: {getattr(event, name)}" for name in kept)
    print(render_table(headers, rows, keep=(0, 1, 2, 3, 4)), file=out)
    if words and args.show_sensitive:
        print("", file=out)
        for line in words:
            print(line, file=out)
    elif words:
        print(
            say(
                args,
                "（理由と結果は表示していません: --show-sensitive で表示します）",
                "(reasons and outcomes are not shown: --show-sensitive shows them)",
            ),
            file=out,
        )
    return EXIT_OK


def _referral_list(args: argparse.Namespace, out: TextIO) -> int:
    with _opened(args) as store:
        if args.case is not None:
            found = store.referrals.for_case(args.case)
        elif args.service is not None:
            found = store.referrals.for_service(args.service)
        elif args.status is not None:
            found = store.referrals.by_status(args.status)
        elif args.open:
            found = store.referrals.open()
        else:
            found = store.referrals.list()
    chosen = [
        item.value
        for item in found
        if (args.service is None or item.value.service_id == args.service)
        and (args.status is None or item.value.status.value == args.status)
        and (not args.open or not item.value.ended)
    ]
    chosen.sort(key=lambda r: r.id)
    if args.format == "json":
        listed = [
            {
                "id": r.id,
                "case": r.case_id,
                "service": r.service_id,
                "status": r.status.value,
                "open": not r.ended,
                "updated_at": _when(r.updated_at),
            }
            for r in chosen
        ]
        _write_json({"count": len(listed), "referrals": listed}, out)
        return EXIT_OK
    rows = [[r.id, r.case_id, r.service_id, str(r.status), _when(r.updated_at)] for r in chosen]
    headers = [_label(args, name) for name in ("referral", "case", "service", "status", "updated")]
    print(render_table(headers, rows, keep=(0, 1, 2, 3, 4)), file=out)
    print(_count(args, len(rows), "referral"), file=out)
    return EXIT_OK


def _referral_plugin(group: str, name: str) -> Any:
    """The ``group`` plugin for referrals called ``name`` (or ``name-referral``, so that
    ``--importer fhir`` finds the ``fhir-referral`` plugin beside the directory's ``fhir``)."""
    for candidate in (name, f"{name}-referral"):
        if candidate in plugins.available(group):
            plugin = plugins.load_plugin(group, candidate)
            if getattr(plugin, "exports" if group == plugins.EXPORTERS else "imports", None) is (
                Referral
            ):
                return plugin
    what = "exporter" if group == plugins.EXPORTERS else "importer"
    option = "--format" if group == plugins.EXPORTERS else "--importer"
    raise PluginError(
        f"no {what} of referrals is called {name!r} or {name + '-referral'!r}; "
        f"install saihan-fhir for {option} fhir"
    )


def _referral_export(args: argparse.Namespace, out: TextIO) -> int:
    """Through the plugin's ``export_stored`` (the store read as the principal, audited)
    when it has one, else the referral read here and passed to ``export``."""
    exporter = _referral_plugin(plugins.EXPORTERS, args.format)
    with _opened(args) as store:
        if store.principal is None:
            raise AccessDenied(
                f"give a principal: --as {PRINCIPAL_FORM} or ${ENVIRONMENT_VARIABLE} "
                "(docs/access.md)"
            )
        stored = getattr(exporter, "export_stored", None)
        if stored is not None:
            payload = stored(
                store,
                args.referral_id,
                include_reasons=args.include_reasons,
                include_consent=args.include_consent,
            )
        elif args.include_consent or args.include_reasons:
            raise ValidationError(
                f"the {exporter.name} exporter cannot add reasons or consent", path="format"
            )
        else:
            payload = exporter.export(store.referrals.get(args.referral_id).value)
    emit(payload, args.output, out, f"referral {args.referral_id}")
    return EXIT_OK


def _referral_import(args: argparse.Namespace, out: TextIO) -> int:
    importer = _referral_plugin(plugins.IMPORTERS, importer_name(args))
    data = read_file(args.file)
    with _opened(args) as store:
        stored = getattr(importer, "import_stored", None)
        if stored is not None:
            item = stored(store, data)
        else:
            referral = importer.load(data)
            with store.transaction():
                found = store.referrals.find(referral.id)
                version = None if found is None else found.version
                item = store.referrals.put(referral, expected_version=version)
    referral = item.value
    events = _count(args, len(referral.history), "event")
    label = _label(args, "version")
    comma = say(args, "、", ", ")
    print(f"{referral.id}: {events}{comma}{referral.status} ({label} {item.version})", file=out)
    return EXIT_OK


# -- follow-ups -------------------------------------------------------------------------


def _followup_row(item: FollowUp) -> dict[str, Any]:
    return {
        "referral_id": item.referral_id,
        "case_id": item.case_id,
        "service_id": item.service_id,
        "status": item.status.value,
        "reason": item.reason.value,
        "since": item.since.isoformat(),
        "due_on": item.due_on.isoformat(),
        "overdue_days": item.overdue_days,
        "worker": item.worker,
        "municipality": item.municipality,
        "description_ja": item.description.ja,
        "description_en": item.description.en,
    }


def _group_key(by: str | None) -> Callable[[FollowUp], str | None]:
    if by == "worker":
        return lambda item: item.worker
    return lambda item: item.municipality


def _groups(items: Sequence[FollowUp], by: str) -> list[tuple[str | None, list[FollowUp]]]:
    """Groups in key order (no worker / municipality last), each most overdue first."""
    key = _group_key(by)
    groups: dict[str | None, list[FollowUp]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return sorted(groups.items(), key=lambda pair: (pair[0] is None, pair[0] or ""))


def _followups_table(items: Sequence[FollowUp], args: argparse.Namespace) -> str:
    lang = args.lang
    rows = [
        [
            str(item.overdue_days) if item.overdue else say(args, "期日", "due"),
            item.due_on.isoformat(),
            item.referral_id,
            item.service_id,
            str(item.status),
            item.worker or "-",
            _place(item.municipality),
            (item.description.en if lang == "en" else None) or item.description.ja,
        ]
        for item in items
    ]
    names = ("overdue", "due on", "referral", "service", "status", "worker", "municipality", "why")
    headers = [_label(args, name) for name in names]
    return render_table(headers, rows, keep=(0, 1, 2, 3, 4, 5))


def _followups(args: argparse.Namespace, out: TextIO) -> int:
    at = parse_at(args.at) or dt.datetime.now(dt.UTC)
    with _opened(args) as store:
        found = due_followups(store, at, municipality=args.municipality, worker=args.worker)
    if args.overdue:
        found = [item for item in found if item.overdue]
    if args.format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FOLLOWUP_FIELDS, lineterminator="\n")
        writer.writeheader()
        items = found
        if args.by is not None:
            items = [item for _, group in _groups(found, args.by) for item in group]
        writer.writerows(_followup_row(item) for item in items)
        out.write(buffer.getvalue())
        return EXIT_OK
    if args.format == "json":
        data: dict[str, Any] = {"at": at.isoformat(), "count": len(found)}
        if args.by is None:
            data["followups"] = [_followup_row(item) for item in found]
        else:
            data["by"] = args.by
            data["groups"] = [
                {args.by: key, "followups": [_followup_row(item) for item in group]}
                for key, group in _groups(found, args.by)
            ]
        _write_json(data, out)
        return EXIT_OK
    what = "overdue follow-up" if args.overdue else "follow-up"
    total = say(args, f"{_when(at)} 時点で", "") + _count(args, len(found), what)
    total += say(args, "", f" at {_when(at)}")
    if args.by is None:
        if found:
            print(_followups_table(found, args), file=out)
        print(total, file=out)
        return EXIT_OK
    for key, group in _groups(found, args.by):
        if args.by == "worker":
            name = key or say(args, "（担当者なし）", "(no worker)")
        else:
            name = (
                _place(key)
                if key is not None
                else say(args, "（市区町村なし）", "(no municipality)")
            )
        print(f"{name}: {_count(args, len(group), what)}", file=out)
        print(_followups_table(group, args), file=out)
        print("", file=out)
    print(total, file=out)
    return EXIT_OK


# -- audit ------------------------------------------------------------------------------


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "record_kind": event.record_kind,
        "record_id": event.record_id,
        "action": event.action.value,
        "version": event.version,
        "changed": list(event.changed),
        "status_from": event.status_from,
        "status_to": event.status_to,
    }


def _audit(args: argparse.Namespace, out: TextIO) -> int:
    kind = record = None
    if args.record is not None:
        kind, sep, record = args.record.partition(":")
        if not sep or kind not in ("case", "referral") or not record:
            raise ValidationError(f"{args.record!r} is not case:ID or referral:ID", path="record")
    first = _parse_day(args.first, "from")
    last = _parse_day(args.last, "to")
    with _opened(args) as store:
        if kind is not None and record is not None:
            events = store.audit.for_record(kind, record)
        elif args.actor is not None:
            events = store.audit.by_actor(args.actor)
        elif first is not None and last is not None and (last - first).days <= 366:
            events = store.audit.on_days(first, last)  # one query by day index
        else:
            events = store.audit.list()
    events = [
        event
        for event in events
        if (args.actor is None or event.actor == args.actor)
        and (first is None or event.at.astimezone(dt.UTC).date() >= first)
        and (last is None or event.at.astimezone(dt.UTC).date() <= last)
    ]
    if args.format == "json":
        _write_json({"count": len(events), "events": [_audit_row(e) for e in events]}, out)
        return EXIT_OK
    rows = [
        [
            event.id,
            _when(event.at),
            event.actor or "-",
            f"{event.record_kind}:{event.record_id}",
            str(event.action),
            "-" if event.version is None else str(event.version),
            f"{event.status_from or ''} -> {event.status_to}" if event.status_to else "",
            ", ".join(event.changed),
        ]
        for event in events
    ]
    names = ("event", "at", "actor", "record", "action", "version", "status", "changed")
    headers = [_label(args, name) for name in names]
    print(render_table(headers, rows, keep=(0, 1, 2, 3, 4, 5)), file=out)
    print(_count(args, len(rows), "event"), file=out)
    return EXIT_OK


def _audit_verify(args: argparse.Namespace, out: TextIO) -> int:
    """OK with the counts and the head digest (worth recording elsewhere: an
    attacker who rewrites the whole chain cannot match a digest kept outside), or
    the first broken link, exit 1.  Problems name ids only, never field values."""
    with _opened(args) as store:
        verified = store.audit.verify()
    if args.format == "json":
        document: dict[str, Any] = {"ok": verified.ok, "events": verified.events}
        document["chained"] = verified.chained
        document |= {"head_digest": verified.head_digest, "problems": list(verified.problems)}
        _write_json(document, out)
        return EXIT_OK if verified.ok else EXIT_FAILED
    if verified.ok:
        digest = verified.head_digest
        head = (
            ""
            if digest is None
            else say(args, f"、先頭 sha256 {digest}", f"; head sha256 {digest}")
        )
        before = verified.events - verified.chained
        earlier = ""
        if before:
            earlier = say(
                args,
                f"（うち {before} 件はチェーン開始前）",
                f" ({before} written before the chain began)",
            )
        print(
            say(
                args,
                f"OK: 監査証跡を検証しました。イベント {verified.events} 件、"
                f"チェーン {verified.chained} 件{earlier}{head}",
                f"OK: audit trail verified, {_plural(verified.events, 'event')}, "
                f"{verified.chained} chained{earlier}{head}",
            ),
            file=out,
        )
        return EXIT_OK
    more = len(verified.problems) - 1
    print(f"BROKEN: {verified.problems[0]}", file=out)
    if more:
        print(
            say(
                args,
                f"（ほかに {more} 件の問題があります）",
                f"({more} more {'problem' if more == 1 else 'problems'} after it)",
            ),
            file=out,
        )
    return EXIT_FAILED
