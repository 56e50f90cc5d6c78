"""Building the guidebook: HTML from the Jinja2 template, PDF through WeasyPrint.

The HTML is one self-contained file (styles inline, flowcharts as ``data:`` SVG
images), so the PDF build fetches nothing: WeasyPrint is given a URL fetcher that
allows ``data:`` URLs only.

The PDF is made from the same template as three WeasyPrint documents, laid out in
turn and joined into one PDF: the body (parts 1 to 3), then the index with the pages
where the body put each service, then the cover and contents with the pages of every
heading. The page numbers are written into the HTML rather than asked of WeasyPrint
with ``target-counter()``: that costs WeasyPrint time in the number of anchors times
the number of references (10,000 services by 30,000 index entries) and lays pages out
again. docs/guidebook.md ("Speed") has the figures.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from saihan.directory import Directory
from saihan.errors import SaihanError, ValidationError
from saihan.publish.guidebook.columns import Column, bundled_columns, load_columns
from saihan.publish.guidebook.content import Guidebook, prepare_guidebook
from saihan.referral.flows import Flow, bundled_flows, to_svg

__all__ = [
    "FORMATS",
    "GuidebookError",
    "build_guidebook",
    "guidebook_html",
    "japanese_font",
    "write_guidebook",
]

FORMATS = ("pdf", "html")


class GuidebookError(SaihanError):
    """The guidebook cannot be made here: WeasyPrint, Jinja2 or a Japanese font is missing."""


_WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "toc": "目次",
        "part1": "第1部 支援機関・制度（重点分野別）",
        "part2": "第2部 支援の流れ（フローチャート）",
        "part3": "第3部 コラム",
        "index": "索引",
        "index_municipality": "市区町村別索引",
        "index_need": "ニーズ別索引",
        "area": "重点分野{}",
        "part1_lead": (
            "第二次東京都再犯防止推進計画の重点分野ごとに、支援機関とその事業・制度を載せています。"
            "いくつかの分野にまたがる事業は、最初の分野に載せ、索引からも引けます。"
        ),
        "part2_lead": (
            "相談の場面ごとに、確かめることと、つなぐ先の流れを図と文章で示します。"
            "同じ流れが saihan の照合（match）にも使われています。"
        ),
        "agency": "実施機関",
        "label": "【{}】",
        "fact_sep": "　",
        "who": "相談できる人",
        "service_area": "対象地域",
        "hours": "受付時間",
        "place": "所在地",
        "needs": "ニーズ",
        "source": "根拠",
        "in_words": "流れの説明",
        "chart_alt": "「{}」のフローチャート",
        "chart_caption": "図: {}",
        "sample_column": "サンプルのコラムです（実在の人物・団体のものではありません）",
        "wide_note": (
            "市区町村を限った事業を市区町村ごとに挙げています。"
            "東京都全域・全国を対象とする {} 件の事業は、どの市区町村からも使えます（第1部）。"
        ),
        "none_local": "この市区町村に限った事業は載っていません。",
        "no_services": "この分野の事業は載っていません。",
        "built": "作成日",
        "services_count": "掲載事業 {} 件",
        "cover_note": (
            "このガイドブックは支援ディレクトリから自動で作られています。"
            "所在地を公開していない施設は市区町村名のみを載せています。"
        ),
        "sample_running": "サンプルデータ — 実際の相談には使わないでください",
        "list_sep": "、",
    },
    "en": {
        "toc": "Contents",
        "part1": "Part 1 Support bodies and schemes, by priority area",
        "part2": "Part 2 Flows of support (flowcharts)",
        "part3": "Part 3 Columns",
        "index": "Index",
        "index_municipality": "Index by municipality",
        "index_need": "Index by need",
        "area": "Priority area {}",
        "part1_lead": (
            "The support bodies and their services and schemes, by the priority areas of "
            "Tokyo's second recidivism-prevention plan. A service meeting needs of several "
            "areas is printed under the first of them, and the index finds it under each."
        ),
        "part2_lead": (
            "For each situation, what to ask and where to connect the person, as a chart "
            "and in words. saihan's match follows the same flows."
        ),
        "agency": "Agency",
        "label": "{}: ",
        "fact_sep": " · ",
        "who": "Who may ask",
        "service_area": "Area",
        "hours": "Hours",
        "place": "Place",
        "needs": "Needs",
        "source": "Source",
        "in_words": "The flow in words",
        "chart_alt": "Flowchart: {}",
        "chart_caption": "Figure: {}",
        "sample_column": "A sample column (not by a real person or body)",
        "wide_note": (
            "Services limited to certain municipalities, by municipality. The {} services "
            "for all of Tokyo or the whole country can be used from any of them (part 1)."
        ),
        "none_local": "No service limited to this municipality.",
        "no_services": "No service in this area.",
        "built": "Made on",
        "services_count": "{} services",
        "cover_note": (
            "This guidebook is made from the support directory. Places that do not "
            "publish their address show their municipality only."
        ),
        "sample_running": "SAMPLE DATA - do not use for real referrals",
        "list_sep": ", ",
    },
}


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    try:
        import jinja2
    except ImportError:
        raise GuidebookError(_missing("Jinja2")) from None
    return jinja2.Environment(
        loader=jinja2.PackageLoader("saihan.publish", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _missing(what: str) -> str:
    return (
        f"{what} is needed to build the guidebook and is not installed: "
        "pip install 'saihan[publish]'"
    )


def _css() -> str:
    return (
        resources.files("saihan.publish")
        .joinpath("templates/guidebook/guidebook.css")
        .read_text(encoding="utf-8")
    )


def _svg_uri(svg: str) -> str:
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    return "data:image/svg+xml;base64," + base64.b64encode(body.encode("utf-8")).decode("ascii")


_PARTS = (None, "front", "body", "index")


def render_html(
    book: Guidebook,
    *,
    only: str | None = None,
    pages: Mapping[str, int] | None = None,
    first_page: int | None = None,
) -> str:
    """The guidebook ``book`` as one HTML document.

    For the PDF, ``only`` picks one of its three documents ("front": the cover and
    contents, "body": parts 1 to 3, "index"), ``pages`` gives the printed page of each
    anchor (the contents and index print them) and ``first_page`` the number of the
    document's first page.
    """
    if only not in _PARTS:
        raise ValidationError(f"only must be front, body or index, not {only!r}", path="only")
    template = _environment().get_template("guidebook/guidebook.html.j2")
    html: str = template.render(
        book=book,
        w=_WORDS[book.lang],
        css=_css(),
        only=only,
        pages=None if pages is None else dict(pages),
        first_page=first_page,
    )
    return html


def prepare(
    directory: Directory,
    *,
    flows: Sequence[Flow] | None = None,
    columns: Iterable[Column] | str | Path | None = None,
    lang: str = "ja",
    built: dt.date | None = None,
) -> Guidebook:
    """What the guidebook of ``directory`` says, flowcharts drawn (see :func:`guidebook_html`)."""
    if lang not in _WORDS:
        raise ValidationError(f"lang must be ja or en, not {lang!r}", path="lang")
    chosen_flows = bundled_flows() if flows is None else tuple(flows)
    if columns is None:
        chosen_columns: tuple[Column, ...] = bundled_columns()
    elif isinstance(columns, str | Path):
        chosen_columns = load_columns(columns)
    else:
        chosen_columns = tuple(columns)
    drawn = [(flow, _svg_uri(to_svg(flow, lang))) for flow in chosen_flows]
    return prepare_guidebook(directory, drawn, chosen_columns, lang=lang, built=built)


def guidebook_html(
    directory: Directory,
    *,
    flows: Sequence[Flow] | None = None,
    columns: Iterable[Column] | str | Path | None = None,
    lang: str = "ja",
    built: dt.date | None = None,
) -> str:
    """The guidebook of ``directory`` as one self-contained HTML document.

    ``flows`` default to the bundled support flows, ``columns`` (a folder, or columns
    already loaded) to the bundled sample columns.  Needs Graphviz for the flowcharts
    (:class:`~saihan.referral.flows.RenderError` when it is missing).
    """
    book = prepare(directory, flows=flows, columns=columns, lang=lang, built=built)
    return render_html(book)


def japanese_font() -> str:
    """The family fontconfig gives for Japanese text (Noto Sans CJK JP when installed);
    :class:`GuidebookError` when there is no font with Japanese glyphs."""
    program = shutil.which("fc-match")
    if program is None:
        raise GuidebookError(
            "fontconfig's fc-match was not found: install fontconfig and a Japanese font "
            "(apt install fonts-noto-cjk)"
        )
    done = subprocess.run(
        [program, "-f", "%{family}\n%{lang}", "Noto Sans CJK JP:lang=ja"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    family, _, languages = done.stdout.decode("utf-8", "replace").partition("\n")
    if done.returncode != 0 or "ja" not in languages.split("|"):
        raise GuidebookError(
            "no font with Japanese glyphs was found by fontconfig: install one "
            "(apt install fonts-noto-cjk) so that Japanese text is not drawn as boxes"
        )
    return family.split(",")[0]


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango missing
        raise GuidebookError(
            f"{_missing('WeasyPrint')} ({type(error).__name__}: {error})"
        ) from None
    japanese_font()
    return weasyprint


def _layout(weasyprint: Any, html: str) -> Any:
    """WeasyPrint's laid-out document of ``html``, fetching nothing but ``data:`` URLs."""
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    return weasyprint.HTML(string=html, url_fetcher=fetcher, media_type="print").render()


def _pdf(html: str) -> bytes:
    """One HTML document through WeasyPrint as it is (the benchmark's peer does this)."""
    pdf: bytes = _layout(_weasyprint(), html).write_pdf()
    return pdf


def _anchors(document: Any, first_page: int) -> dict[str, int]:
    """The printed page of each anchor of ``document``, whose first page is ``first_page``."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=first_page):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    return found


def render_pdf(book: Guidebook) -> bytes:
    """The guidebook ``book`` as PDF (A4): front, body and index laid out by WeasyPrint in
    turn (each given the page numbers the ones before it found), joined into one PDF.

    The contents' own length is known first (laid out without numbers) so the body can
    be numbered from the page after it; should the numbers make the contents longer,
    the body and index are laid out again (at most twice).
    """
    weasyprint = _weasyprint()
    front_pages = len(_layout(weasyprint, render_html(book, only="front", pages={})).pages)
    for _ in range(3):
        body_first = front_pages + 1
        body = _layout(weasyprint, render_html(book, only="body", pages={}, first_page=body_first))
        pages = _anchors(body, body_first)
        index_first = body_first + len(body.pages)
        index = _layout(
            weasyprint,
            render_html(book, only="index", pages=pages, first_page=index_first),
        )
        pages.update(_anchors(index, index_first))
        front = _layout(weasyprint, render_html(book, only="front", pages=pages))
        if len(front.pages) == front_pages:
            break
        front_pages = len(front.pages)
    else:  # pragma: no cover - contents that grow with every layout
        raise GuidebookError("the contents did not settle to a length in three layouts")
    pdf: bytes = front.copy([*front.pages, *body.pages, *index.pages]).write_pdf()
    return pdf


def build_guidebook(
    directory: Directory,
    *,
    format: str = "pdf",
    flows: Sequence[Flow] | None = None,
    columns: Iterable[Column] | str | Path | None = None,
    lang: str = "ja",
    built: dt.date | None = None,
) -> bytes:
    """The guidebook of ``directory`` as PDF (A4) or HTML (UTF-8) bytes.

    See :func:`guidebook_html` for the arguments; the PDF needs WeasyPrint (the
    ``publish`` extra) and a Japanese font (:class:`GuidebookError` otherwise).
    """
    if format not in FORMATS:
        raise ValidationError(f"format must be pdf or html, not {format!r}", path="format")
    book = prepare(directory, flows=flows, columns=columns, lang=lang, built=built)
    if format == "html":
        return render_html(book).encode("utf-8")
    return render_pdf(book)


def write_guidebook(
    directory: Directory,
    output: str | Path,
    *,
    format: str = "pdf",
    flows: Sequence[Flow] | None = None,
    columns: Iterable[Column] | str | Path | None = None,
    lang: str = "ja",
    built: dt.date | None = None,
) -> Path:
    """Build the guidebook and write it to ``output`` (written whole, or not at all)."""
    output = Path(output)
    payload = build_guidebook(
        directory, format=format, flows=flows, columns=columns, lang=lang, built=built
    )
    partial = output.with_name(f".{output.name}.partial")
    try:
        partial.write_bytes(payload)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ValidationError(
            f"cannot write {str(output)!r}: {error.strerror}", path="output"
        ) from None
    return output
