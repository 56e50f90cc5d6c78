"""Newsletter issues (メールマガジン): composing one from the directory's changes, the
coming events and an editor's text, and sending it to the subscribers who consented.

What changed is found by comparing the directory with the snapshot the previous
issue kept (:class:`~saihan.outreach.ServiceSnapshot`: each service's id, name and
the digests of its document and of its hours): the store keeps only the latest
version of a directory record, and its revision counter says *that* something
changed, not what it was before.  So an issue lists the services that are new,
changed (with their hours marked when the hours changed) and gone since the
previous issue composed on or before ``since``; the first issue has no baseline
and says so.  It also lists ad-hoc closures and temporarily closed services in
the coming weeks, and the events starting in them.

The message (:func:`issue_message`) is built with the standard library's
:mod:`email`: ``multipart/alternative`` with a plain-text and an HTML part,
in UTF-8, the subject encoded as RFC 2047 requires.  Nothing here reads a case,
a plan or a referral: an issue is made from public directory records and
events only (the tests seed a case and look for its text in every message).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from saihan.directory.directory import Directory
from saihan.directory.municipalities import municipality_code
from saihan.directory.service import Service
from saihan.directory.vocabulary import ServiceStatus
from saihan.errors import ErrorItem, ValidationError
from saihan.outreach._checks import check_email
from saihan.outreach.event import Event, EventStatus
from saihan.outreach.issue import NewsletterIssue, ServiceSnapshot, issue_id
from saihan.schedule.rules import Closure
from saihan.serialization import unstructure

if TYPE_CHECKING:
    from saihan.storage import Store

__all__ = [
    "DEFAULT_WEEKS",
    "ComposedIssue",
    "DirectoryChanges",
    "check_sender",
    "compose_issue",
    "directory_changes",
    "issue_message",
    "render_editorial",
    "snapshot",
]

DEFAULT_WEEKS = 4
"""How many weeks ahead an issue looks for closures and events."""
MAX_EDITORIAL = 100_000
_UNSUBSCRIBE_HOLE = "{unsubscribe}"


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _codes(municipalities: Iterable[str]) -> frozenset[str]:
    if isinstance(municipalities, str):
        raise ValidationError("give a list of municipality codes or names", path="municipalities")
    found = set()
    problems = []
    for index, name in enumerate(municipalities):
        try:
            found.add(municipality_code(name, f"municipalities[{index}]"))
        except ValidationError as error:  # names the nearest municipalities
            problems.extend(error.errors)
    if problems:
        raise ValidationError(problems)
    return frozenset(found)


def _serves(service: Service, codes: frozenset[str]) -> bool:
    return not codes or any(service.area.covers(code) for code in codes)


def snapshot(services: Iterable[Service]) -> tuple[ServiceSnapshot, ...]:
    """What an issue keeps of each service, sorted by id."""
    return tuple(
        ServiceSnapshot(
            id=service.id,
            digest=_digest(unstructure(service)),
            hours_digest=None if service.hours is None else _digest(unstructure(service.hours)),
            name=service.name.ja,
        )
        for service in sorted(services, key=lambda s: s.id)
    )


@dataclasses.dataclass(frozen=True)
class DirectoryChanges:
    """What an issue reports about the directory."""

    baseline: int | None  # the number of the issue compared with; None: the first issue
    new: tuple[Service, ...] = ()
    changed: tuple[Service, ...] = ()
    hours_changed: frozenset[str] = frozenset()  # ids in ``changed`` whose hours changed
    removed: tuple[ServiceSnapshot, ...] = ()
    closures: tuple[tuple[Service, Closure], ...] = ()  # ad-hoc closures in the window
    closed: tuple[Service, ...] = ()  # temporarily closed services
    events: tuple[Event, ...] = ()  # events starting in the window

    @property
    def empty(self) -> bool:
        return not (
            self.new or self.changed or self.removed or self.closures or self.closed or self.events
        )


def directory_changes(
    directory: Directory,
    previous: NewsletterIssue | None,
    *,
    today: dt.date,
    weeks: int = DEFAULT_WEEKS,
    municipalities: Iterable[str] = (),
    events: Iterable[Event] = (),
) -> DirectoryChanges:
    """The changes since ``previous`` (None: none are known), and the closures and
    events from ``today`` to ``weeks`` weeks later, for ``municipalities`` (none: all)."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 26:
        raise ValidationError(f"{weeks!r}: give 1 to 26 weeks", path="weeks")
    codes = _codes(municipalities)
    last = today + dt.timedelta(days=7 * weeks - 1)
    services = [s for s in directory.services if _serves(s, codes)]
    new: list[Service] = []
    changed: list[Service] = []
    hours: set[str] = set()
    removed: list[ServiceSnapshot] = []
    if previous is not None:
        before = {snap.id: snap for snap in previous.services}
        now = {snap.id: snap for snap in snapshot(services)}
        for service in services:
            old = before.get(service.id)
            if old is None:
                new.append(service)
            elif old.digest != now[service.id].digest:
                changed.append(service)
                if old.hours_digest != now[service.id].hours_digest:
                    hours.add(service.id)
        ids = {s.id for s in directory.services}
        removed = [snap for snap in previous.services if snap.id not in ids]
    closures = []
    for service in services:
        if service.hours is None:
            continue
        for closure in service.hours.closures:
            end = closure.end or closure.start
            if closure.start <= last and end >= today:
                closures.append((service, closure))
    closed = [s for s in services if s.status is ServiceStatus.TEMPORARILY_CLOSED]
    coming = sorted(
        (
            event
            for event in events
            if today <= event.local_start.date() <= last
            and event.status is not EventStatus.CANCELLED
            and (not codes or not event.municipalities or event.municipalities & codes)
        ),
        key=lambda event: (event.start, event.id),
    )
    return DirectoryChanges(
        baseline=None if previous is None else previous.number,
        new=tuple(new),
        changed=tuple(changed),
        hours_changed=frozenset(hours),
        removed=tuple(removed),
        closures=tuple(sorted(closures, key=lambda pair: (pair[1].start, pair[0].id))),
        closed=tuple(closed),
        events=tuple(coming),
    )


@dataclasses.dataclass(frozen=True)
class ComposedIssue:
    """A composed (and stored) issue, with the changes it reports."""

    issue: NewsletterIssue
    changes: DirectoryChanges


def render_editorial(markdown: str) -> str:
    """The editor's Markdown as HTML (CommonMark with tables, raw HTML escaped), with
    markdown-it-py (``saihan[newsletter]``)."""
    if not isinstance(markdown, str):
        raise ValidationError("expected Markdown text", path="editorial")
    if len(markdown) > MAX_EDITORIAL:
        raise ValidationError(f"longer than {MAX_EDITORIAL} characters", path="editorial")
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - the extra is missing
        raise ValidationError(
            "the editorial needs markdown-it-py: pip install 'saihan[newsletter]'",
            path="editorial",
        ) from None
    rendered: str = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return rendered


def _day_ja(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"


def _closure_text(closure: Closure) -> str:
    end = closure.end or closure.start
    span = (
        _day_ja(closure.start)
        if end == closure.start
        else f"{_day_ja(closure.start)}～{_day_ja(end)}"
    )
    if closure.from_time is not None:
        span += f" {closure.from_time:%H:%M}から"
    if closure.until_time is not None:
        span += f" {closure.until_time:%H:%M}まで"
    if closure.reason is not None:
        span += f"（{closure.reason.ja}）"
    return span


def _sections(changes: DirectoryChanges) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """(heading, [(line, link)]) of the issue, in Japanese."""
    sections: list[tuple[str, list[tuple[str, str | None]]]] = []
    if changes.baseline is None:
        sections.append(
            (
                "支援機関情報の更新",
                [
                    (
                        "今号が初号のため、更新の比較はありません。次号から前号以降の更新をお知らせします。",
                        None,
                    )
                ],
            )
        )
    else:
        lines: list[tuple[str, str | None]] = []
        lines += [(f"【新規】{s.name.ja}", s.url) for s in changes.new]
        for service in changes.changed:
            mark = "【受付時間の変更】" if service.id in changes.hours_changed else "【内容の変更】"
            lines.append((f"{mark}{service.name.ja}", service.url))
        lines += [(f"【掲載終了】{snap.name or snap.id}", None) for snap in changes.removed]
        if not lines:
            lines.append((f"第{changes.baseline}号以降、支援機関情報の更新はありません。", None))
        sections.append(("支援機関情報の更新", lines))
    closing: list[tuple[str, str | None]] = [
        (f"{service.name.ja}: {_closure_text(closure)} 休業", service.url)
        for service, closure in changes.closures
    ]
    closing += [(f"{service.name.ja}: 臨時休止中", service.url) for service in changes.closed]
    sections.append(("今後の臨時休業", closing or [("予定されている臨時休業はありません。", None)]))
    events: list[tuple[str, str | None]] = []
    for event in changes.events:
        start = event.local_start
        where = event.place.ja if event.place is not None else "オンライン"
        title = f"【サンプル】{event.title.ja}" if event.sample else event.title.ja
        events.append(
            (f"{_day_ja(start.date())} {start:%H:%M}～ {title}（{where}）", event.online_url)
        )
    sections.append(
        ("これからのイベント", events or [("予定されているイベントはありません。", None)])
    )
    return sections


def _text_body(title: str, sections: Sequence[tuple[str, list[tuple[str, str | None]]]],
               editorial: str | None) -> str:  # fmt: skip
    parts = [title, "=" * min(len(title) * 2, 60), ""]
    if editorial:
        parts += [editorial.strip(), ""]
    for heading, lines in sections:
        parts.append(f"■ {heading}")
        for line, link in lines:
            parts.append(f"・{line}")
            if link:
                parts.append(f"  {link}")
        parts.append("")
    parts += [
        "――",
        "このメールは配信を希望された方にお送りしています。",
        "配信停止: " + _UNSUBSCRIBE_HOLE,
        "",
    ]
    return "\n".join(parts)


def _html_body(title: str, sections: Sequence[tuple[str, list[tuple[str, str | None]]]],
               editorial: str | None) -> str:  # fmt: skip
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if editorial:
        out.append(f'<div class="editorial">{render_editorial(editorial)}</div>')
    for heading, lines in sections:
        out.append(f"<h2>{esc(heading)}</h2><ul>")
        for line, link in lines:
            if link:
                out.append(f'<li><a href="{esc(link, quote=True)}">{esc(line)}</a></li>')
            else:
                out.append(f"<li>{esc(line)}</li>")
        out.append("</ul>")
    out.append("<hr><p>このメールは配信を希望された方にお送りしています。<br>")
    out.append(f"配信停止: {_UNSUBSCRIBE_HOLE}</p></body></html>")
    return "\n".join(out) + "\n"


def compose_issue(
    store: Store,
    *,
    since: dt.date,
    at: dt.datetime,
    municipalities: Iterable[str] = (),
    editorial: str | None = None,
    weeks: int = DEFAULT_WEEKS,
    title: str = "再犯防止 支援ネットワーク通信",
) -> ComposedIssue:
    """Compose the next issue from ``store`` and store it (one transaction).

    Compared with the latest issue composed on or before ``since`` (none: the first
    issue, with no changes listed); closures and events from ``at``'s day for
    ``weeks`` weeks; ``editorial``: the editor's Markdown, first in the issue.
    ValidationError with the argument's name (``since``, ``at``, ``weeks``,
    ``municipalities``, ``editorial``) for bad input; nothing is stored then.
    """
    problems = []
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        problems.append(ErrorItem("at", "give a datetime with its UTC offset"))
    if isinstance(since, dt.datetime) or not isinstance(since, dt.date):
        problems.append(ErrorItem("since", "expected a date"))
    elif isinstance(at, dt.datetime) and at.utcoffset() is not None and since > at.date():
        problems.append(ErrorItem("since", f"{since} is after the day composed, {at.date()}"))
    if not isinstance(title, str) or not title.strip() or "\n" in title or len(title) > 120:
        problems.append(ErrorItem("title", "give a one-line title of at most 120 characters"))
    if editorial is not None:
        try:
            render_editorial(editorial)
        except ValidationError as error:
            problems += error.errors
    if problems:
        raise ValidationError(problems)
    codes = _codes(municipalities)
    with store.transaction():
        issues = [item.value for item in store.newsletters.list()]
        earlier = [i for i in issues if i.composed_at.astimezone(at.tzinfo).date() <= since]
        previous = max(earlier, key=lambda i: i.number) if earlier else None
        number = max((i.number for i in issues), default=0) + 1
        directory = store.load_directory()
        events = [item.value for item in store.events.list()]
        changes = directory_changes(
            directory,
            previous,
            today=at.date(),
            weeks=weeks,
            municipalities=codes,
            events=events,
        )
        heading = f"{title} 第{number}号（{at.year}年{at.month}月{at.day}日）"
        sections = _sections(changes)
        issue = NewsletterIssue(
            number=number,
            subject=heading,
            composed_at=at,
            since=since,
            text=_text_body(heading, sections, editorial),
            html=_html_body(heading, sections, editorial),
            municipalities=codes,
            services=snapshot(s for s in directory.services if _serves(s, codes)),
            revision=store.revision(),
        )
        store.newsletters.put(issue)
    return ComposedIssue(issue, changes)


def check_sender(sender: object, path: str = "sender") -> None:
    """ValidationError at ``path`` unless ``sender`` is an e-mail address."""
    from saihan._validation import Checker

    check = Checker()
    if not isinstance(sender, str):
        check.add(path, "expected an e-mail address")
    else:
        check_email(check, path, sender)
    check.done()


def _message_id_domain(sender: str) -> str:
    return sender.rpartition("@")[2] or "saihan.invalid"


def issue_message(
    issue: NewsletterIssue,
    *,
    sender: str,
    recipient: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    list_id: str | None = None,
) -> EmailMessage:
    """The issue as an e-mail: ``multipart/alternative`` (plain text, then HTML).

    With ``recipient`` and ``unsubscribe_url`` (that subscriber's own link), it
    carries ``List-Unsubscribe`` (the HTTPS link, and ``unsubscribe_mailto`` when
    given) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058);
    without them it is the preview ``newsletter compose`` writes, addressed to
    no one, its unsubscribe line saying each subscriber gets their own link.
    """
    problems: list[ErrorItem] = []
    from saihan._validation import Checker

    check = Checker()
    check_email(check, "sender", sender)
    if recipient is not None:
        check_email(check, "recipient", recipient)
    if unsubscribe_mailto is not None:
        check_email(check, "unsubscribe_mailto", unsubscribe_mailto)
    problems += check.errors
    if unsubscribe_url is not None and not unsubscribe_url.startswith("https://"):
        problems.append(ErrorItem("unsubscribe_url", "RFC 8058 needs an https:// URL"))
    if unsubscribe_url is not None and any(c in unsubscribe_url for c in '<>\r\n "'):
        problems.append(ErrorItem("unsubscribe_url", "not a URL"))
    if problems:
        raise ValidationError(problems)
    domain = _message_id_domain(sender)
    link = unsubscribe_url or "（購読者ごとのリンクをお送りします）"
    message = EmailMessage()
    message["Subject"] = issue.subject
    message["From"] = sender
    message["To"] = recipient if recipient is not None else "undisclosed-recipients:;"
    message["Date"] = format_datetime(issue.composed_at)
    message["Message-ID"] = make_msgid(idstring=issue_id(issue.number), domain=domain)
    message["List-Id"] = list_id or f"<newsletter.{domain}>"
    if unsubscribe_url is not None:
        targets = [f"<{unsubscribe_url}>"]
        if unsubscribe_mailto is not None:
            targets.append(f"<mailto:{unsubscribe_mailto}?subject=unsubscribe>")
        message["List-Unsubscribe"] = ", ".join(targets)
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(issue.text.replace(_UNSUBSCRIBE_HOLE, link), charset="utf-8")
    html_link = (
        f'<a href="{html.escape(unsubscribe_url, quote=True)}">{html.escape(unsubscribe_url)}</a>'
        if unsubscribe_url is not None
        else html.escape(link)
    )
    message.add_alternative(
        issue.html.replace(_UNSUBSCRIBE_HOLE, html_link), subtype="html", charset="utf-8"
    )
    return message
