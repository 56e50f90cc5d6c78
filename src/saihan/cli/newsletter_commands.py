"""``saihan newsletter compose|send|unsubscribe``: the e-mail newsletter (docs/outreach.md).

Subscribers are personal data: these commands act as ``--as PRINCIPAL`` (reads and
changes of subscribers are audited) and print counts, never an address or a token.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from saihan import storage
from saihan.cli.common import EXIT_OK, add_printing_options, say, write_json
from saihan.cli.principal import add_store, principal_of
from saihan.errors import ValidationError
from saihan.limits import read_file
from saihan.outreach.newsletter import DEFAULT_WEEKS, check_sender, compose_issue, issue_message
from saihan.outreach.sending import send_issue, unsubscribe
from saihan.storage import Store

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``newsletter`` to the top-level subparsers."""
    group = commands.add_parser("newsletter", help="compose and send the e-mail newsletter")
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="action", metavar="ACTION")

    compose = sub.add_parser(
        "compose", help="compose the next issue from the directory's changes and coming events"
    )
    add_store(compose)
    compose.add_argument(
        "--since", required=True, metavar="DATE", help="compare with the last issue up to this day"
    )
    compose.add_argument(
        "--municipality",
        action="append",
        metavar="CODE",
        help="an issue for this municipality (code or name; repeat for more)",
    )
    compose.add_argument(
        "--editorial", type=Path, metavar="FILE.md", help="the editor's text, in Markdown"
    )
    compose.add_argument(
        "--output", "-o", type=Path, required=True, metavar="FILE.eml", help="write the issue here"
    )
    compose.add_argument(
        "--weeks",
        type=int,
        default=DEFAULT_WEEKS,
        help="weeks ahead for closures and events (default: %(default)s)",
    )
    compose.add_argument(
        "--from", dest="sender", default="newsletter@saihan.invalid", help="the From address"
    )
    compose.add_argument("--at", metavar="T", help="when it is composed, ISO 8601 (default: now)")
    add_printing_options(compose)
    compose.set_defaults(handler=_compose)

    send = sub.add_parser("send", help="send the latest unsent issue to consenting subscribers")
    add_store(send)
    send.add_argument("--smtp", required=True, metavar="HOST:PORT", help="the SMTP server")
    send.add_argument("--from", dest="sender", required=True, help="the From address")
    send.add_argument(
        "--unsubscribe-url",
        required=True,
        metavar="URL",
        help="https:// URL with {token}: each subscriber's one-click unsubscribe link",
    )
    send.add_argument("--unsubscribe-mailto", metavar="ADDR", help="an address to unsubscribe by")
    send.add_argument("--issue", type=int, metavar="N", help="the issue (default: latest unsent)")
    send.add_argument("--at", metavar="T", help="when it is sent, ISO 8601 (default: now)")
    add_printing_options(send)
    send.set_defaults(handler=_send)

    leave = sub.add_parser("unsubscribe", help="end a subscription at once, by its token")
    add_store(leave)
    leave.add_argument("--token", required=True, help="the token of the unsubscribe link")
    leave.add_argument("--at", metavar="T", help="when, ISO 8601 (default: now)")
    add_printing_options(leave)
    leave.set_defaults(handler=_unsubscribe)


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Store]:
    with storage.open(args.store, create=False, principal=principal_of(args)) as store:
        yield store


def _moment(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not an ISO 8601 date-time", path="at") from None
    if moment.utcoffset() is None:
        raise ValidationError(f"{text!r} has no UTC offset (for Tokyo, +09:00)", path="at")
    return moment


def _compose(args: argparse.Namespace, out: TextIO) -> int:
    try:
        since = dt.date.fromisoformat(args.since)
    except ValueError:
        raise ValidationError(
            f"{args.since!r} is not a date like 2024-11-05", path="since"
        ) from None
    at = _moment(args.at)
    editorial = None
    if args.editorial is not None:
        raw = read_file(args.editorial, what="editorial")
        try:
            editorial = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("the editorial is not UTF-8 text", path="editorial") from None
    check_sender(args.sender, "from")  # before anything is stored
    with _opened(args) as store:
        composed = compose_issue(
            store,
            since=since,
            at=at,
            municipalities=args.municipality or (),
            editorial=editorial,
            weeks=args.weeks,
        )
    message = issue_message(composed.issue, sender=args.sender)
    try:
        args.output.write_bytes(message.as_bytes())
    except OSError as error:
        raise ValidationError(f"cannot write {str(args.output)!r}: {error.strerror}") from None
    changes = composed.changes
    summary = {
        "issue": composed.issue.number,
        "subject": composed.issue.subject,
        "baseline": changes.baseline,
        "new": len(changes.new),
        "changed": len(changes.changed),
        "removed": len(changes.removed),
        "closures": len(changes.closures) + len(changes.closed),
        "events": len(changes.events),
        "output": str(args.output),
    }
    if args.format == "json":
        write_json(summary, out)
        return EXIT_OK
    print(
        say(
            args,
            f"第{summary['issue']}号を作成しました（新規 {summary['new']}、変更 "
            f"{summary['changed']}、終了 {summary['removed']}、休業 {summary['closures']}、"
            f"イベント {summary['events']}）: {args.output}",
            f"composed issue {summary['issue']} ({summary['new']} new, {summary['changed']} "
            f"changed, {summary['removed']} gone, {summary['closures']} closures, "
            f"{summary['events']} events): {args.output}",
        ),
        file=out,
    )
    return EXIT_OK


def _send(args: argparse.Namespace, out: TextIO) -> int:
    at = _moment(args.at)
    with _opened(args) as store:
        report = send_issue(
            store,
            smtp=args.smtp,
            sender=args.sender,
            unsubscribe_url=args.unsubscribe_url,
            unsubscribe_mailto=args.unsubscribe_mailto,
            number=args.issue,
            at=at,
        )
    counts = {
        "issue": report.issue,
        "delivered": report.delivered,
        "refused": report.refused,
        "failed": report.failed,
        "skipped": report.skipped,
    }
    if args.format == "json":
        write_json(counts, out)
        return EXIT_OK
    print(
        say(
            args,
            f"第{report.issue}号: 送信 {report.delivered}件、受信拒否 {report.refused}件、"
            f"失敗 {report.failed}件、対象外 {report.skipped}件",
            f"issue {report.issue}: {report.delivered} delivered, {report.refused} refused "
            f"(bounced), {report.failed} failed, {report.skipped} not for them",
        ),
        file=out,
    )
    return EXIT_OK


def _unsubscribe(args: argparse.Namespace, out: TextIO) -> int:
    at = _moment(args.at)
    with _opened(args) as store:
        ended = unsubscribe(store, args.token, at=at)
    if args.format == "json":
        write_json({"unsubscribed": ended}, out)
        return EXIT_OK
    print(
        say(
            args,
            "配信を停止しました。"
            if ended
            else "該当する購読はありません（停止済みの可能性があります）。",
            "unsubscribed" if ended else "no such subscription (it may have ended already)",
        ),
        file=out,
    )
    return EXIT_OK
