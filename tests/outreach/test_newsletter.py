"""Newsletters against a real SMTP server (aiosmtpd on 127.0.0.1): every message's
headers, parts and unsubscribe link; no case text in any of them; a refused
recipient counted; the store unchanged when the server cannot be reached."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
import urllib.parse
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol
from aiosmtpd.smtp import Envelope, Session

from saihan import Principal, storage
from saihan.cli import main
from saihan.directory import LocalizedText, sample_directory
from saihan.errors import AccessDenied, ConflictError, DeliveryError, NotFoundError, ValidationError
from saihan.outreach import Subscriber, new_token, sample_events
from saihan.outreach.newsletter import compose_issue, issue_message
from saihan.outreach.sending import send_issue, unsubscribe
from saihan.referral import AuditAction, load_case
from saihan.schedule import Closure, Weekday
from saihan.storage import ANY_VERSION, Store

TOKYO = ZoneInfo("Asia/Tokyo")
CASE_TEXT = "ケース極秘ZQ9-本人は八王子駅前で保護された"
CASE_NAME = "極秘太郎ZQ9"
REFUSED = "refused@example.jp"
UNSUBSCRIBE = "https://example.jp/unsubscribe?token={token}"
SENDER = "news@example.jp"


class Recorder:
    """An aiosmtpd handler that keeps every message and refuses one recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(
        self, server: SMTPProtocol, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        if address == REFUSED:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPProtocol, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append((list(envelope.rcpt_tos), bytes(content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield f"127.0.0.1:{controller.port}", recorder
    finally:
        controller.stop()


def _subscriber(id: str, email_address: str, **changes: Any) -> Subscriber:
    base = Subscriber(
        id=id,
        email=email_address,
        organisation="tmg-crime-worry-desk",
        consent=True,
        consented_on=dt.date(2024, 4, 1),
        token=new_token(),
    )
    return attrs.evolve(base, **changes)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/news.db"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(sample_directory())
        for event in sample_events():
            store.events.put(event)
        case = load_case("examples/cases/elderly-man-hachioji.json")
        subject = attrs.evolve(case.subject, name=CASE_NAME)
        store.cases.put(attrs.evolve(case, summary=CASE_TEXT, subject=subject))
        store.subscribers.put(_subscriber("s-hachioji", "hachioji@example.jp",
                                          municipalities={"132012"}))  # fmt: skip
        store.subscribers.put(_subscriber("s-all", "all@example.jp"))
        store.subscribers.put(_subscriber("s-shinjuku", "shinjuku@example.jp",
                                          municipalities={"131041"}))  # fmt: skip
        store.subscribers.put(_subscriber("s-refused", REFUSED))
        store.subscribers.put(_subscriber("s-no-consent", "no@example.jp", consent=False,
                                          consented_on=None))  # fmt: skip
        left = dt.datetime(2024, 5, 1, tzinfo=TOKYO)
        store.subscribers.put(_subscriber("s-gone", "gone@example.jp", unsubscribed_at=left))
    return url


def _change_the_directory(store: Store) -> dict[str, str]:
    """A new service, changed hours, a closure in the coming weeks, a service gone."""
    services = {item.value.id: item for item in store.services.list()}
    desk = services["tokyo-crime-worry-desk"]
    hours = desk.value.hours
    assert hours is not None
    wednesday = attrs.evolve(hours.weekly[0], days=frozenset({Weekday.WE}))
    wider = attrs.evolve(hours, weekly=(*hours.weekly, wednesday))
    store.services.put(attrs.evolve(desk.value, hours=wider), expected_version=desk.version)
    darc = services["tokyo-darc-consultation"]
    assert darc.value.hours is not None
    closed = attrs.evolve(
        darc.value.hours,
        closures=(Closure(start=dt.date(2024, 11, 15), reason=LocalizedText(ja="施設点検")),),
    )
    store.services.put(attrs.evolve(darc.value, hours=closed), expected_version=darc.version)
    new = attrs.evolve(
        services["hachioji-self-reliance-desk-consultation"].value,
        id="hachioji-self-reliance-desk-evening",
        name=LocalizedText(ja="八王子市 夜間相談（新設）"),
    )
    store.services.put(new)
    store.services.delete("tokyo-restanet-portal", expected_version=ANY_VERSION)
    return {"new": new.id, "hours": desk.value.id, "closure": darc.value.id}


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _everything(raw: bytes, message: EmailMessage) -> str:
    """The raw message and every decoded part, to look for text in."""
    texts = [raw.decode("utf-8", "replace"), str(message["Subject"])]
    for part in message.walk():
        if not part.is_multipart():
            texts.append(part.get_content())
    return "\n".join(texts)


def test_an_issue_is_sent_one_message_per_consenting_subscriber(
    store_url: str, smtp: tuple[str, Recorder], tmp_path: Path
) -> None:
    server, recorder = smtp
    with storage.open(store_url, principal=Principal.system()) as store:
        first = compose_issue(store, since=dt.date(2024, 9, 1),
                              at=dt.datetime(2024, 10, 1, 9, tzinfo=TOKYO))  # fmt: skip
        assert first.changes.baseline is None
        send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE,
                   at=dt.datetime(2024, 10, 1, 10, tzinfo=TOKYO))  # fmt: skip
        recorder.messages.clear()
        changed = _change_the_directory(store)
        tokens = {item.value.email: item.value.token for item in store.subscribers.list()}
    editorial = tmp_path / "editorial.md"
    editorial.write_text("## 今月のお知らせ\n\n研修の**申込受付中**です。<script>x</script>\n",
                         encoding="utf-8")  # fmt: skip
    eml = tmp_path / "issue.eml"
    code = main(["newsletter", "compose", "--since", "2024-10-01", "--editorial", str(editorial),
                 "-o", str(eml), "--at", "2024-11-01T09:00+09:00", "--store", store_url,
                 "--as", "system:system", "--format", "json"])  # fmt: skip
    assert code == 0
    preview = _parse(eml.read_bytes())
    assert preview["To"] == "undisclosed-recipients:;"
    assert "List-Unsubscribe" not in preview
    code = main(["newsletter", "send", "--smtp", server, "--from", SENDER, "--unsubscribe-url",
                 UNSUBSCRIBE, "--unsubscribe-mailto", "unsubscribe@example.jp",
                 "--at", "2024-11-01T10:00+09:00", "--store", store_url,
                 "--as", "system:system"])  # fmt: skip
    assert code == 0
    # one message each: the Hachioji and all-Tokyo subscribers (an all-Tokyo issue is for
    # every subscriber), the Shinjuku one; the refused one is counted, not delivered; no
    # message to the one without consent or the one who unsubscribed
    delivered = {tuple(rcpt): raw for rcpt, raw in recorder.messages}
    assert set(delivered) == {
        ("hachioji@example.jp",),
        ("all@example.jp",),
        ("shinjuku@example.jp",),
    }
    for (recipient,), raw in delivered.items():
        message = _parse(raw)
        assert message["To"] == recipient
        assert message["From"] == SENDER
        assert str(message["Subject"]).startswith("再犯防止 支援ネットワーク通信 第2号")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = UNSUBSCRIBE.replace("{token}", urllib.parse.quote(tokens[recipient], safe=""))
        assert message["List-Unsubscribe"] == (
            f"<{link}>, <mailto:unsubscribe@example.jp?subject=unsubscribe>"
        )
        assert message["Message-ID"].endswith("@example.jp>")
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert text is not None
        assert html is not None
        plain, markup = text.get_content(), html.get_content()
        assert link in plain
        assert f'href="{link.replace("&", "&amp;")}"' in markup
        for other, token in tokens.items():
            if other != recipient:
                assert token not in raw.decode("ascii", "replace")  # nobody else's link
        assert "【新規】八王子市 夜間相談（新設）" in plain
        assert "【受付時間の変更】犯罪お悩みなんでも相談" in plain
        assert "【掲載終了】" in plain
        assert "11月15日（金） 休業" in plain.replace("（施設点検）", "")
        assert "万引き防止ミュージカル" in plain  # 8 November, within four weeks
        assert "<strong>申込受付中</strong>" in markup
        assert "<script>" not in markup  # the editor's raw HTML is escaped
        everything = _everything(raw, message)
        assert CASE_TEXT not in everything
        assert CASE_NAME not in everything
        for address in tokens:
            if address != recipient:
                assert address not in everything
    with storage.open(store_url, principal=Principal.system()) as store:
        issue = store.newsletters.get("issue-00002").value
        assert (issue.delivered, issue.refused, issue.failed) == (3, 1, 0)
        assert issue.sent_at == dt.datetime(2024, 11, 1, 10, tzinfo=TOKYO)
    preview_text = preview.get_body(("plain",))
    assert preview_text is not None
    assert "【新規】八王子市 夜間相談（新設）" in preview_text.get_content()
    assert "（購読者ごとのリンクをお送りします）" in preview_text.get_content()
    assert changed["new"] not in _everything(eml.read_bytes(), preview)  # names, not ids


def test_refused_recipients_are_counted_and_unsubscribing_takes_effect_at_once(
    store_url: str, smtp: tuple[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    server, recorder = smtp
    at = dt.datetime(2024, 10, 1, 9, tzinfo=TOKYO)
    with storage.open(store_url, principal=Principal.system()) as store:
        compose_issue(store, since=at.date(), at=at, municipalities=["八王子市"])
        report = send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE, at=at)
        # an issue for Hachioji: the Hachioji and all-Tokyo subscribers, and the refused one
        assert (report.delivered, report.refused, report.failed, report.skipped) == (2, 1, 0, 1)
        with pytest.raises(NotFoundError):
            send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE)
        with pytest.raises(ConflictError):
            send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE, number=1)
    raw = next(raw for rcpt, raw in recorder.messages if rcpt == ["hachioji@example.jp"])
    link = _parse(raw)["List-Unsubscribe"].strip("<>")
    token = urllib.parse.unquote(re.search(r"token=([^&>]+)", link).group(1))  # type: ignore[union-attr]
    argv = ["newsletter", "unsubscribe", f"--token={token}", "--store", store_url,
            "--as", "system:system", "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"unsubscribed": True}
    assert main(argv) == 0  # a second click: nothing more to do, and no error
    assert json.loads(capsys.readouterr().out) == {"unsubscribed": False}
    recorder.messages.clear()
    later = dt.datetime(2024, 11, 1, 9, tzinfo=TOKYO)
    with storage.open(store_url, principal=Principal.system()) as store:
        compose_issue(store, since=later.date(), at=later, municipalities=["八王子市"])
        report = send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE)
        assert (report.delivered, report.refused) == (1, 1)
        gone = store.subscribers.get("s-hachioji").value
        assert gone.unsubscribed_at is not None
        events = store.audit.for_record("subscriber", "s-hachioji")
        assert events[-1].changed == ("unsubscribed_at",)
        assert store.integrity_check() == []
    assert [rcpt for rcpt, _ in recorder.messages] == [["all@example.jp"]]
    with storage.open(store_url, principal=Principal.system()) as store:
        assert unsubscribe(store, "x" * 43) is False


def test_the_store_is_unchanged_when_the_server_cannot_be_reached(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = dt.datetime(2024, 10, 1, 9, tzinfo=TOKYO)
    with storage.open(store_url, principal=Principal.system()) as store:
        compose_issue(store, since=at.date(), at=at)
        before = (store.revision(), store.newsletters.list(), store.audit.count())
    closed_port = _free_port()  # nothing listens there
    argv = ["newsletter", "send", "--smtp", f"127.0.0.1:{closed_port}", "--from", SENDER,
            "--unsubscribe-url", UNSUBSCRIBE, "--store", store_url,
            "--as", "system:system"]  # fmt: skip
    assert main(argv) == 1
    assert "cannot reach the SMTP server" in capsys.readouterr().err
    with storage.open(store_url, principal=Principal.system()) as store:
        assert (store.revision(), store.newsletters.list(), store.audit.count()) == before
        with pytest.raises(DeliveryError):
            send_issue(store, smtp=f"127.0.0.1:{closed_port}", sender=SENDER,
                       unsubscribe_url=UNSUBSCRIBE)  # fmt: skip
        assert store.newsletters.list() == before[1]


def test_compose_refuses_an_unknown_municipality_naming_the_nearest(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eml = tmp_path / "issue.eml"
    code = main(["newsletter", "compose", "--since", "2024-10-01", "--municipality",
                 "Hachiouji", "-o", str(eml), "--at", "2024-11-01T09:00+09:00",
                 "--store", store_url, "--as", "system:system"])  # fmt: skip
    assert code == 1
    error = capsys.readouterr().err
    assert "municipalities[0]" in error
    assert "八王子市" in error
    assert not eml.exists()


def test_bad_arguments_name_their_field_and_store_nothing(store_url: str) -> None:
    at = dt.datetime(2024, 10, 1, 9, tzinfo=TOKYO)
    with storage.open(store_url, principal=Principal.system()) as store:
        before = store.revision()
        with pytest.raises(ValidationError) as bad:
            compose_issue(store, since=dt.date(2024, 10, 2), at=at.replace(tzinfo=None))
        assert bad.value.paths == ["at"]
        with pytest.raises(ValidationError) as late:
            compose_issue(store, since=dt.date(2024, 10, 2), at=at)
        assert late.value.paths == ["since"]
        with pytest.raises(ValidationError) as place:
            compose_issue(store, since=at.date(), at=at, municipalities=["大阪市?"])
        assert place.value.paths == ["municipalities[0]"]
        with pytest.raises(ValidationError, match="新宿区") as near:
            compose_issue(store, since=at.date(), at=at, municipalities=["八王子市", "shinjyuku"])
        assert near.value.paths == ["municipalities[1]"]
        assert store.revision() == before
        for template, path in (
            ("http://example.jp/u?t={token}", "unsubscribe_url"),
            ("https://example.jp/u", "unsubscribe_url"),
        ):
            with pytest.raises(ValidationError) as refused:
                send_issue(store, smtp="127.0.0.1:25", sender=SENDER, unsubscribe_url=template)
            assert refused.value.paths == [path]
        with pytest.raises(ValidationError) as address:
            send_issue(store, smtp="localhost", sender=SENDER, unsubscribe_url=UNSUBSCRIBE)
        assert address.value.paths == ["smtp"]
        composed = compose_issue(store, since=at.date(), at=at)
        with pytest.raises(ValidationError) as sender:
            issue_message(composed.issue, sender="not an address")
        assert sender.value.paths == ["sender"]


def test_subscriber_reads_by_a_person_are_audited(store_url: str) -> None:
    staff = Principal(id="editor-1", organisation="tmg-crime-worry-desk", roles={"supervisor"})
    with storage.open(store_url, principal=Principal.system()) as store:
        before = store.audit.count()
        with store.acting_as(staff):
            active = store.subscribers.active()
            with pytest.raises(AccessDenied):  # issues are public records: system writes them
                compose_issue(store, since=dt.date(2024, 10, 1),
                              at=dt.datetime(2024, 10, 1, 9, tzinfo=TOKYO))  # fmt: skip
        assert store.newsletters.count() == 0
        events = [e for e in store.audit.list()[before:] if e.actor == "editor-1"]
        reads = [e for e in events if e.action is AuditAction.READ]
        assert (
            {e.record_id for e in reads}
            == {s.value.id for s in active}
            == {"s-hachioji", "s-all", "s-shinjuku", "s-refused"}
        )
        assert all(e.record_kind == "subscriber" for e in reads)
        denied = [e for e in events if e.action is AuditAction.ACCESS_DENIED]
        assert [(e.record_kind, e.record_id) for e in denied] == [
            ("newsletter_issue", "issue-00001")
        ]


def test_the_one_click_unsubscribe_page_ends_the_subscription_at_once(
    store_url: str, smtp: tuple[str, Recorder]
) -> None:
    """The link of a message sent, POSTed as RFC 8058 says, to the WSGI page on
    127.0.0.1; a GET shows a button and changes nothing."""
    import threading
    import urllib.request
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from saihan.outreach.web import unsubscribe_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

    server, recorder = smtp
    at = dt.datetime(2024, 10, 1, 9, tzinfo=TOKYO)
    with storage.open(store_url, principal=Principal.system()) as store:
        compose_issue(store, since=at.date(), at=at)
        send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE, at=at)
    raw = next(raw for rcpt, raw in recorder.messages if rcpt == ["all@example.jp"])
    link = _parse(raw)["List-Unsubscribe"].strip("<>")
    app = unsubscribe_app(lambda: storage.open(store_url, principal=Principal.system()))
    web = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        local = link.replace("https://example.jp", f"http://127.0.0.1:{web.server_port}")
        with urllib.request.urlopen(local, timeout=10) as page:  # GET: a button only
            assert "配信を停止する" in page.read().decode("utf-8")
        with storage.open(store_url, principal=Principal.system()) as store:
            assert store.subscribers.get("s-all").value.active
        request = urllib.request.Request(
            local, data=b"List-Unsubscribe=One-Click", method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        with storage.open(store_url, principal=Principal.system()) as store:
            assert not store.subscribers.get("s-all").value.active  # at once
        unknown = urllib.request.Request(
            f"http://127.0.0.1:{web.server_port}/unsubscribe?token={'y' * 43}",
            data=b"List-Unsubscribe=One-Click", method="POST",
        )  # fmt: skip
        with urllib.request.urlopen(unknown, timeout=10) as answer:
            assert answer.status == 200  # the same answer: it tells a stranger nothing
    finally:
        web.shutdown()
        web.server_close()
    recorder.messages.clear()
    later = dt.datetime(2024, 11, 1, 9, tzinfo=TOKYO)
    with storage.open(store_url, principal=Principal.system()) as store:
        compose_issue(store, since=later.date(), at=later)
        send_issue(store, smtp=server, sender=SENDER, unsubscribe_url=UNSUBSCRIBE, at=later)
    assert ["all@example.jp"] not in [rcpt for rcpt, _ in recorder.messages]
    assert len(recorder.messages) == 2  # the Hachioji and Shinjuku subscribers still get it
