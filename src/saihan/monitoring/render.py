"""The plan report as one HTML page with its charts (``saihan report --format html``).

Each figure is a heading, its definition, a bar chart drawn by matplotlib as SVG and put
into the page as it is (its glyphs drawn as paths, so the page needs no font and makes
no request: no script, no stylesheet, no image is fetched), and its table, suppressed
counts shown as ``＊``.  matplotlib comes with the ``report`` extra
(``pip install 'saihan[report]'``); without it :func:`report_html` raises
:class:`~saihan.errors.PluginError` saying so.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

from saihan.errors import PluginError, ValidationError
from saihan.monitoring.report import UNMET_NEEDS, Figure, PlanReport
from saihan.monitoring.suppression import SUPPRESSION_RULE, SUPPRESSION_RULE_JA
from saihan.text import LocalizedText

__all__ = ["figure_svg", "report_html"]

_FONTS = ["Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "DejaVu Sans"]
_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; line-height: 1.5; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #999; padding: 0.2em 0.6em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.definition { color: #333; }
figure { margin: 0; }
"""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PluginError(
            "the HTML report draws its charts with matplotlib: pip install 'saihan[report]'"
        ) from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _text(words: LocalizedText, lang: str) -> str:
    return (words.en or words.ja) if lang == "en" else words.ja


def figure_svg(figure: Figure, lang: str = "ja") -> str:
    """The figure's counts as a horizontal bar chart, an ``<svg>`` element (no XML
    declaration); suppressed counts get no bar and the mark ``＊``."""
    if lang not in ("ja", "en"):
        raise ValidationError("expected ja or en", path="lang")
    plt = _pyplot()
    from matplotlib import rc_context

    labels = [_text(cell.label, lang) for cell in figure.cells]
    values = [cell.count or 0 for cell in figure.cells]
    settings: dict[str, Any] = {
        "svg.fonttype": "path",
        "svg.hashsalt": f"saihan-{figure.id}",
        "font.family": "sans-serif",
        "font.sans-serif": _FONTS,
        "font.size": 9,
    }
    with rc_context(settings):  # type: ignore[arg-type]  # keys checked by matplotlib
        height = 0.9 + 0.28 * max(1, len(labels))
        fig, axes = plt.subplots(figsize=(7, height))
        try:
            positions = list(range(len(labels)))
            axes.barh(positions, values, color="#3f51b5")
            axes.set_yticks(positions, labels)
            axes.invert_yaxis()
            axes.set_title(_text(figure.title, lang))
            for position, cell in zip(positions, figure.cells, strict=True):
                if cell.suppressed:
                    axes.text(0, position, " ＊", va="center")
            axes.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    svg = buffer.getvalue()
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    return svg[svg.index("<svg") :]


def _number(value: float | None) -> str:
    if value is None:
        return "＊"
    return f"{value:g}"


def _figure_html(figure: Figure, lang: str) -> str:
    head = "件数" if lang == "ja" else "count"
    rows = "".join(
        f"<tr><td>{html.escape(_text(cell.label, lang))}</td>"
        f'<td class="n">{_number(cell.count)}</td></tr>'
        for cell in figure.cells
    )
    total = "合計" if lang == "ja" else "total"
    rows += f'<tr><th>{total}</th><td class="n">{_number(figure.total)}</td></tr>'
    for stat in figure.statistics:
        name = {"median": "中央値", "p90": "90パーセンタイル"}.get(stat.name, stat.name)
        shown = "-" if stat.value is None and not stat.suppressed else _number(stat.value)
        rows += f"<tr><th>{html.escape(name if lang == 'ja' else stat.name)}</th>"
        rows += f'<td class="n">{shown}</td></tr>'
    return (
        f'<section id="{figure.id}"><h2>{html.escape(_text(figure.title, lang))}</h2>'
        f'<p class="definition">{html.escape(_text(figure.definition, lang))}</p>'
        f"<figure>{figure_svg(figure, lang)}</figure>"
        f"<table><tr><th></th><th>{head}</th></tr>{rows}</table></section>"
    )


def report_html(report: PlanReport, lang: str = "ja") -> str:
    """The whole report as one self-contained HTML page in ``lang`` (ja or en)."""
    if lang not in ("ja", "en"):
        raise ValidationError("expected ja or en", path="lang")
    ja = lang == "ja"
    place = report.municipality or ("東京都全体" if ja else "all of Tokyo")
    title = (
        f"{report.era}（FY{report.fiscal_year}） 再犯防止推進計画 モニタリング報告"
        if ja
        else f"FY{report.fiscal_year} ({report.era}) plan monitoring report"
    )
    intro = (
        f"{report.first_day.isoformat()}〜{report.last_day.isoformat()}、{place}。"
        f"計画期間 令和6〜10年度（FY2024〜FY2028）"
        f"{'の年度' if report.in_plan_period else 'の外の年度'}。k = {report.k}。"
        if ja
        else f"{report.first_day.isoformat()} to {report.last_day.isoformat()}, {place}. "
        f"The plan runs FY2024-FY2028 (令和6-10年度); this year is "
        f"{'in' if report.in_plan_period else 'outside'} it. k = {report.k}."
    )
    rule = SUPPRESSION_RULE_JA if ja else SUPPRESSION_RULE
    sections = "".join(_figure_html(figure, lang) for figure in report.figures)
    gap_head = (
        ("区市町村", "ニーズ", "ケース数", "該当なし", "不十分")
        if ja
        else ("municipality", "need", "cases", "unmet", "poorly met")
    )
    gap_rows = "".join(
        f"<tr><td>{html.escape(row.municipality)}</td><td>{html.escape(row.need)}</td>"
        + "".join(
            f'<td class="n">{_number(n)}</td>' for n in (row.cases, row.unmet, row.poorly_met)
        )
        + "</tr>"
        for row in report.unmet_needs
    )
    unmet = (
        f'<section id="unmet_needs"><h2>{html.escape(_text(UNMET_NEEDS[0], lang))}</h2>'
        f'<p class="definition">{html.escape(_text(UNMET_NEEDS[1], lang))}</p>'
        f"<table><tr>{''.join(f'<th>{h}</th>' for h in gap_head)}</tr>{gap_rows}</table>"
        "</section>"
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>"
        f'<p class="definition">{html.escape(rule)}</p>{sections}{unmet}</body></html>\n'
    )
    if re.search(r"(?:href|src)\s*=\s*[\"']?(?:https?:)?//", page):
        raise AssertionError("the report page would fetch something")  # pragma: no cover
    return page
