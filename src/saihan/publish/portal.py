"""``saihan portal build``: the directory as a static, self-contained web site.

Rendered with Jinja2 from a :class:`~saihan.publish.PublicationView`. Every page
links only to files of the site, with relative links, so it works from a file
share (``file://``) or any web server, and asks no other host for anything: the
styles, the script and the search index are files of the site. The search index
is a script (``assets/search-index.js``) rather than JSON fetched at run time,
because browsers refuse ``fetch`` from ``file://`` pages. See docs/portal.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from saihan._validation import Checker, types_only
from saihan.directory.directory import Directory
from saihan.directory.vocabulary import Audience, Channel
from saihan.errors import SaihanError
from saihan.publish.prepare import DEFAULT_WEEKS, PublicationView, publication_view
from saihan.text import LocalizedText

__all__ = ["LANGUAGES", "PortalReport", "build_portal"]

LANGUAGES = ("ja", "en")
_HERE = Path(__file__).parent
_URL_RE = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_SVG_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_SVG_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@attrs.frozen
class PortalReport:
    """What :func:`build_portal` wrote."""

    output: str = attrs.field(metadata={"doc": "The site's folder."})
    pages: int = attrs.field(metadata={"doc": "HTML pages written, both languages."})
    services: int = attrs.field(metadata={"doc": "Services published."})
    agencies: int = attrs.field(metadata={"doc": "Agencies published."})
    flows: int = attrs.field(metadata={"doc": "Support flows published."})
    sample: bool = attrs.field(metadata={"doc": "True: the sample-data banner is on every page."})
    generated_at: dt.datetime = attrs.field(metadata={"doc": "When the openings start."})
    window_end: dt.datetime = attrs.field(metadata={"doc": "When the openings end."})

    __attrs_post_init__ = types_only  # the fields' types are all there is to check


def _environment() -> Any:
    try:
        import jinja2
    except ImportError:  # pragma: no cover - the publish extra brings it
        raise SaihanError("the portal needs Jinja2: pip install 'saihan[publish]'") from None
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_HERE / "templates" / "portal")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _svg(svg: str | None) -> str | None:
    """Graphviz's SVG made fit to inline: no XML prolog, DOCTYPE or comments."""
    if svg is None:
        return None
    body = _SVG_COMMENT.sub("", _SVG_PROLOG.sub("", svg, count=1))
    return body.replace("<svg ", '<svg role="img" aria-labelledby="flow-title" ', 1)


def _ts(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _search_index(view: PublicationView) -> dict[str, Any]:
    """The data the search page's script searches: compact, ids by position."""
    position = {service.id: index for index, service in enumerate(view.services)}
    muni_position = {m.code: index for index, m in enumerate(view.municipalities)}
    everywhere = len(view.municipalities)
    audiences, channels = list(Audience), list(Channel)
    services = []
    for service in view.services:
        codes = service.municipality_codes
        services.append(
            {
                "id": service.id,
                "n": [service.name.ja, service.name.en or service.name.ja],
                "a": [service.agency_name.ja, service.agency_name.en or service.agency_name.ja],
                "k": service.search_key,
                # its names alone, folded the same way: a match here ranks first
                "f": service.name.search_key(),
                # every Tokyo municipality: 1; else the positions of those covered
                "m": 1 if len(codes) == everywhere else [muni_position[c] for c in codes],
                "u": [audiences.index(a) for a in service.audiences],
                "c": [channels.index(c) for c in service.channels],
            }
        )
    needs = {
        need.code: [position[sid] for sid in need.service_ids]
        for area in view.priority_areas
        for need in area.needs
    }
    return {
        "generated": _ts(view.generated_at),
        "services": services,
        "needs": needs,
        "municipalities": [m.code for m in view.municipalities],
        "audiences": [a.value for a in audiences],
        "channels": [c.value for c in channels],
    }


def _check(output: object, lang: object, base_url: object, weeks: object, source: object) -> None:
    check = Checker()
    if not isinstance(output, str | os.PathLike):
        check.add("output", "give the folder to write the site into")
    elif Path(output).exists() and not Path(output).is_dir():
        check.add("output", f"{os.fspath(output)!r} exists and is not a folder")
    if lang not in LANGUAGES:
        check.add("lang", f"{lang!r} is not ja or en")
    if base_url is not None and not (isinstance(base_url, str) and _URL_RE.fullmatch(base_url)):
        check.add("base_url", f"{base_url!r} is not an http(s) URL like https://example.jp/portal/")
    if not isinstance(source, Directory | PublicationView):
        check.add("directory", f"a portal is built from a Directory, not a {type(source).__name__}")
    if isinstance(weeks, bool) or not isinstance(weeks, int):
        check.add("weeks", f"{weeks!r} is not a number of weeks")
    check.done()


def build_portal(
    source: Directory | PublicationView,
    output: str | os.PathLike[str],
    *,
    lang: str = "ja",
    base_url: str | None = None,
    now: dt.datetime | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> PortalReport:
    """Write the portal site for ``source`` into the folder ``output``.

    ``lang`` is the language of the pages at the top of the site (the other one is
    under ``en/`` or ``ja/``); ``base_url``, when the site is served from a known
    address, gives each page its canonical link and the site a ``sitemap.xml``.
    A directory is first made into a publication view (``now``, ``weeks``: see
    :func:`~saihan.publish.publication_view`). The site is written to a temporary
    folder next to ``output`` and moved into place at the end, so a failed build
    leaves ``output`` as it was. Raises :class:`~saihan.errors.ValidationError`
    naming ``output``, ``lang``, ``base_url`` or ``directory``.
    """
    _check(output, lang, base_url, weeks, source)
    view = (
        source
        if isinstance(source, PublicationView)
        else publication_view(source, now=now, weeks=weeks)
    )
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".portal-", dir=target.parent))
    try:
        pages = _render(view, work, lang, base_url)
        if target.exists():
            old = target.with_name(target.name + ".old-" + work.name[-8:])
            target.rename(old)
            work.rename(target)
            shutil.rmtree(old)
        else:
            work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return PortalReport(
        output=str(target),
        pages=pages,
        services=len(view.services),
        agencies=len(view.agencies),
        flows=len(view.flows),
        sample=view.sample,
        generated_at=view.generated_at,
        window_end=view.window_end,
    )


_UI: dict[str, tuple[str, str]] = {
    "site": ("リスタネット 支援機関・相談窓口ガイド", "Restart Net: support agencies and desks"),
    "skip": ("本文へ移動", "Skip to content"),
    "home": ("ホーム", "Home"),
    "search": ("検索", "Search"),
    "flows": ("支援の流れ", "Support flows"),
    "agencies": ("支援機関の一覧", "Agencies"),
    "agencies_all": ("すべての支援機関を見る", "Every agency"),
    "services_here": (
        "この区市町村を対象地域に含むサービスです。",
        "The services whose area covers this municipality.",
    ),
    "search_here": ("言葉や条件を足して検索する", "Search within them by words and filters"),
    "about": ("このサイトについて", "About this site"),
    "sample_banner": (
        "これはサンプルデータです。電話番号・住所などは例であり、実際の相談には使えません。",
        "This is sample data: phone numbers and addresses are examples, not real lines.",
    ),
    "by_need": ("困りごとから探す", "Find by need"),
    "by_place": ("お住まいの区市町村から探す", "Find by municipality"),
    "by_who": ("相談する人から探す", "Find by who is asking"),
    "search_label": ("キーワード（ひらがな・カタカナ・漢字）", "Keywords (Japanese or English)"),
    "search_button": ("検索する", "Search"),
    "need": ("困りごと", "Need"),
    "municipality": ("区市町村", "Municipality"),
    "audience": ("相談する人", "Who is asking"),
    "channel": ("連絡方法", "How to get in touch"),
    "any": ("指定しない", "Any"),
    "results": ("件見つかりました", "services found"),
    "more": ("さらに表示", "Show more"),
    "noscript": (
        "検索にはJavaScriptが必要です。ホームの一覧（困りごと別・区市町村別・支援機関）から"
        "探すこともできます。",
        "Search needs JavaScript; the lists on the home page (by need, by municipality, "
        "every agency) work without it.",
    ),
    "services": ("サービス", "Services"),
    "agency": ("運営機関", "Agency"),
    "description": ("内容", "What it does"),
    "eligibility": ("対象となる方", "Who may use it"),
    "area": ("対象地域", "Area"),
    "contacts": ("連絡先", "Contacts"),
    "channels": ("連絡方法", "Ways to get in touch"),
    "hours": ("受付時間", "Hours"),
    "closed": ("休み", "Closed"),
    "special": ("臨時の受付", "Extra openings"),
    "hours_unknown": ("受付時間は掲載されていません。", "Hours are not published."),
    "open_now": ("いまの受付状況", "Open now?"),
    "status_js": (
        "受付状況の表示にはJavaScriptが必要です。",
        "The status needs JavaScript.",
    ),
    "built": ("データ作成日時", "Data built"),
    "window": ("受付時間の計算は次の日時まで", "Openings computed until"),
    "stale": (
        "このページのデータは古くなっています。受付時間は窓口に確認してください。",
        "The data of this page is out of date: check the hours with the desk.",
    ),
    "locations": ("所在地", "Locations"),
    "confidential": (
        "所在地は非公開です（区市町村のみ表示）",
        "The address is not published (municipality only)",
    ),
    "cost": ("費用", "Cost"),
    "languages": ("対応言語", "Languages"),
    "website": ("ウェブサイト", "Website"),
    "accepting": ("紹介の受付", "Referrals"),
    "accepting_yes": ("受け付けています", "accepted"),
    "accepting_no": ("現在受け付けていません", "not taken now"),
    "status": ("状態", "Status"),
    "kind": ("種別", "Kind"),
    "operator": ("運営", "Run by"),
    "steps": ("手順", "Steps"),
    "leads_to": ("つながるサービス", "Services it leads to"),
    "source": ("出典", "Source"),
    "next": ("次へ", "next"),
    "other_lang": ("English", "日本語"),
    "services_count": ("件", "services"),
    "needs_in": ("この分野の困りごと", "Needs in this area"),
    "print": ("印刷する", "Print"),
    "data_source": ("データの出典", "Data source"),
    "license": ("ライセンス", "Licence"),
    "updated": ("データ更新日", "Data updated"),
    "no_flow_drawing": ("図は作成されていません。", "No drawing was made."),
    "flow_figure": ("支援の流れ図", "Flow chart"),
}


def _texts(lang: str) -> dict[str, str]:
    return {key: pair[0] if lang == "ja" else pair[1] for key, pair in _UI.items()}


def _say_of(lang: str) -> Callable[[LocalizedText | None], str]:
    def say(text: LocalizedText | None) -> str:
        return "" if text is None else text.get(lang)

    return say


def _when_of(lang: str) -> Callable[[dt.datetime], str]:
    from saihan.publish import _words as words

    def when(moment: dt.datetime) -> str:
        local = moment.astimezone(dt.timezone(dt.timedelta(hours=9)))
        sep = " " if lang == "en" else ""
        return f"{words.day(local.date(), lang)}{sep}{local:%H:%M}"

    return when


class _Writer:
    """Writes the pages of one language: links relative to each page's folder."""

    def __init__(
        self,
        env: Any,
        root: Path,
        prefix: str,
        other: str,
        base: dict[str, Any],
        base_url: str | None,
    ) -> None:
        self.env, self.root, self.prefix, self.other = env, root, prefix, other
        self.base, self.base_url = base, base_url
        self.urls: list[str] = []

    def write(self, path: str, template: str, **context: Any) -> None:
        prefix = self.prefix
        up = "../" * (prefix + path).count("/")
        page = self.env.get_template(template).render(
            **self.base,
            **context,
            assets=up + "assets/",
            home="../" * path.count("/"),
            other_href=up + (path if prefix else f"{self.other}/{path}"),
            canonical=(self.base_url.rstrip("/") + "/" + prefix + path) if self.base_url else None,
        )
        out = self.root / prefix / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        self.urls.append(prefix + path)


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _render(view: PublicationView, root: Path, lang: str, base_url: str | None) -> int:
    env = _environment()
    assets = root / "assets"
    assets.mkdir()
    for name in ("portal.css", "portal.js", "search.js"):
        shutil.copyfile(_HERE / "static" / name, assets / name)
    index = json.dumps(_search_index(view), ensure_ascii=False, separators=(",", ":"))
    (assets / "search-index.js").write_text(f"window.SAIHAN_INDEX = {index};\n", encoding="utf-8")
    other = "en" if lang == "ja" else "ja"
    urls: list[str] = []
    flows = [(flow, _svg(flow.svg_ja), _svg(flow.svg_en)) for flow in view.flows]
    agencies = sorted(view.agencies, key=lambda a: (a.name.kana or a.name.ja, a.id))
    for page_lang, prefix in ((lang, ""), (other, f"{other}/")):
        base = {
            "view": view,
            "lang": page_lang,
            "t": _texts(page_lang),
            "say": _say_of(page_lang),
            "when": _when_of(page_lang),
            "ts": _ts,
            "json": _json,
        }
        site = _Writer(env, root, prefix, other, base, base_url)
        site.write("index.html", "home.html.j2")
        site.write("search.html", "search.html.j2")
        site.write("about.html", "about.html.j2")
        site.write("flows/index.html", "flows.html.j2", flows=flows)
        for flow, svg_ja, svg_en in flows:
            svg = svg_en if page_lang == "en" else svg_ja
            site.write(f"flows/{flow.id}.html", "flow.html.j2", flow=flow, svg=svg)
        for agency in view.agencies:
            site.write(f"agencies/{agency.id}.html", "agency.html.j2", agency=agency)
        # the home page's lists work without JavaScript: a page per need and per
        # municipality listing its services, and one of every agency
        site.write("agencies.html", "agencies.html.j2", agencies=agencies)
        for area in view.priority_areas:
            for need in area.needs:
                site.write(f"needs/{need.code}.html", "need.html.j2", need=need, area=area)
        for municipality in view.municipalities:
            site.write(
                f"municipalities/{municipality.code}.html",
                "municipality.html.j2",
                municipality=municipality,
            )
        for service in view.services:
            site.write(
                f"services/{service.id}.html",
                "service.html.j2",
                service=service,
                agency=view.agency(service.agency_id),
                intervals=[[_ts(o.start), _ts(o.end)] for o in service.openings],
            )
        urls += site.urls
    if base_url:
        home = base_url.rstrip("/") + "/"
        lines = "".join(f"<url><loc>{home}{url}</loc></url>" for url in urls)
        (root / "sitemap.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{lines}</urlset>\n',
            encoding="utf-8",
        )
    return len(urls)
