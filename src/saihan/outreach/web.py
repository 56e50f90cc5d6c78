"""The page an unsubscribe link points at: a small WSGI application (standard library).

``unsubscribe_app(open_store)`` answers the two requests RFC 8058 describes for the
URL in ``List-Unsubscribe`` (give the send command ``--unsubscribe-url
https://your.host/unsubscribe?token={token}``):

- ``POST`` with the body ``List-Unsubscribe=One-Click`` (a mail program's one-click
  unsubscribe, or the button of the page below): the subscription ends at once
  (:func:`saihan.outreach.unsubscribe`), and the answer is ``200`` whether or not the
  token was known, so the page tells a stranger nothing;
- ``GET``: a page with that button.  A GET never unsubscribes: mail scanners fetch
  links, and RFC 8058 forbids acting on them.

``open_store`` is called for each request and returns a store opened with the
principal the page acts as (a ``system`` principal, or the publisher's own); the
application closes it.  Run it under any WSGI server behind HTTPS.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from saihan.errors import SaihanError
from saihan.outreach.sending import unsubscribe

if TYPE_CHECKING:
    from saihan.storage import Store

__all__ = ["unsubscribe_app"]

_MAX_BODY = 4096
_PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>配信停止</title></head><body>
<h1>メールマガジンの配信停止</h1>
<form method="post" action="?token={token}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">配信を停止する</button>
</form></body></html>
"""
_DONE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>配信停止</title></head><body>
<p>配信停止を受け付けました。</p></body></html>
"""


def unsubscribe_app(open_store: Callable[[], Store]) -> Callable[..., Iterable[bytes]]:
    """A WSGI application for the unsubscribe link (see the module)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        token = (query.get("token") or [""])[0]
        method = environ.get("REQUEST_METHOD", "GET")
        if not token:
            return _answer(start_response, "400 Bad Request", "<p>リンクが正しくありません。</p>")
        if method == "GET":
            page = _PAGE.replace("{token}", html.escape(urllib.parse.quote(token), quote=True))
            return _answer(start_response, "200 OK", page)
        if method != "POST":
            start_response("405 Method Not Allowed", [("Allow", "GET, POST")])
            return [b""]
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        form = urllib.parse.parse_qs(body)
        if form.get("List-Unsubscribe") != ["One-Click"]:
            return _answer(start_response, "400 Bad Request", "<p>List-Unsubscribe=One-Click</p>")
        store = open_store()
        try:
            unsubscribe(store, token)
        except SaihanError:
            return _answer(start_response, "503 Service Unavailable", "<p>しばらくしてから</p>")
        finally:
            store.close()
        return _answer(start_response, "200 OK", _DONE)

    return app


def _answer(start_response: Callable[..., Any], status: str, page: str) -> list[bytes]:
    data = page.encode("utf-8")
    start_response(
        status,
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]
