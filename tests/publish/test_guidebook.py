"""The guidebook: built from the sample as a real PDF (WeasyPrint), read back with poppler
(pdftotext, pdftoppm, pdffonts) and pypdf, and as HTML.

The page images are kept under ``build/artifacts/guidebook/`` for a person to look at.
Without WeasyPrint, Graphviz or poppler these tests are skipped on a developer's machine
and FAIL under ``CI=true``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest

from saihan.cli import main
from saihan.directory import AreaKind, Directory, sample_directory, tokyo_municipalities
from saihan.publish.guidebook.content import IndexGroup, prepare_guidebook
from saihan.referral.flows import bundled_flows

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "build" / "artifacts" / "guidebook"


def _require() -> None:
    missing = [
        tool for tool in ("dot", "pdftotext", "pdftoppm", "pdffonts") if not shutil.which(tool)
    ]
    try:
        import pypdf  # noqa: F401
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        missing.append(f"weasyprint/pypdf ({error})")
    if missing:
        message = f"the guidebook tests need {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _squash(text: str) -> str:
    """Text without any white space: a name wrapped over two lines is found whole."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require()
    path = tmp_path_factory.mktemp("guidebook") / "guidebook.pdf"
    assert main(["guidebook", "build", "--output", str(path)]) == 0
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, ARTEFACTS / "guidebook.pdf")
    return path


@pytest.fixture(scope="module")
def pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext -layout; pages end with a form feed)."""
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout.split("\f")[:-1]


def _toc(pages: list[str]) -> dict[str, int]:
    """The entries of the table of contents (page 2): title -> printed page number."""
    entries = {}
    for line in pages[1].splitlines():
        found = re.match(r"^\s*(\S.*?)\s*\.{2,}\s*(\d+)\s*$", line)
        if found:
            entries[found.group(1)] = int(found.group(2))
    return entries


def _outline(pdf: Path) -> dict[str, int]:
    """The PDF's bookmarks (WeasyPrint makes them from the headings): title -> page (1-based)."""
    from pypdf import PdfReader
    from pypdf.generic import Destination

    reader = PdfReader(pdf)
    found: dict[str, int] = {}

    def walk(items: Sequence[object]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            elif isinstance(item, Destination):
                page = reader.get_destination_page_number(item)
                assert page is not None
                found.setdefault(str(item.title), page + 1)

    walk(reader.outline)
    return found


def _active(directory: Directory) -> list[str]:
    return [service.name.ja for service in directory.services if service.active]


def test_every_service_agency_and_flow_title_is_in_the_pdf(pages: list[str]) -> None:
    directory = sample_directory()
    text = _squash("".join(pages))
    missing = [name for name in _active(directory) if _squash(name) not in text]
    assert not missing
    agencies = {directory.agency_of(s).name.ja for s in directory.services if s.active}
    assert len(agencies) == len(directory.agencies)  # every agency of the sample has a service
    assert not [name for name in agencies if _squash(name) not in text]
    assert not [f.title.ja for f in bundled_flows() if _squash(f.title.ja) not in text]


def test_the_contents_give_the_pages_where_the_headings_are(pdf: Path, pages: list[str]) -> None:
    toc = _toc(pages)
    flows = [flow.title.ja for flow in bundled_flows()]
    expected = [
        "第1部 支援機関・制度（重点分野別）",
        "第2部 支援の流れ（フローチャート）",
        "第3部 コラム",
        "索引",
        "市区町村別索引",
        "ニーズ別索引",
        "重点分野1 就労・住居の確保等",
        "重点分野6 再犯防止のための連携体制の強化等",
        *flows,
        "保護司として十年（サンプルコラム）",
    ]
    assert not [title for title in expected if title not in toc], toc
    outline = _outline(pdf)
    for title, page in toc.items():
        # the heading is on the page the contents name, and the PDF's bookmark agrees
        assert _squash(title) in _squash(pages[page - 1]), (title, page)
        assert outline[title] == page, (title, page, outline.get(title))
        # and the printed page number at the foot of that page is that number
        assert pages[page - 1].split()[-1] == str(page)
    # the contents are in page order, and the parts come in order
    numbers = [toc[title] for title in expected[:4]]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 4
    assert [toc[title] for title in flows] == sorted(toc[title] for title in flows)


def _page_body(page: str) -> str:
    """A page's text without its running head (the first line) and page number (the last)."""
    lines = [line for line in page.splitlines() if line.strip()]
    return "".join(lines[1:-1])


def _index_entries(
    pages: list[str], heading: str, stop: str | None, groups: Sequence[IndexGroup]
) -> list[tuple[str, int]]:
    """The (name, page) entries of the index under ``heading`` (up to ``stop``): the
    groups' services in order, each printed 「name … page」, read back from the PDF."""
    toc = _toc(pages)
    end = toc[stop] if stop else len(pages)
    text = _squash("".join(_page_body(page) for page in pages[toc[heading] - 1 : end]))
    text = text[text.index(heading) : text.index(stop) if stop else None]
    entries = []
    cursor = 0
    for group in groups:  # (a group's heading ends the entries of the one before it)
        found_heading = text.find(_squash(group.label), cursor)
        assert found_heading >= 0, group.label
        cursor = found_heading
        for _, name in group.entries:
            found = re.compile(re.escape(_squash(name)) + r"…(\d+)").search(text, cursor)
            assert found is not None, (group.label, name)
            entries.append((name, int(found.group(1))))
            cursor = found.end()
    return entries


def test_the_index_lists_each_municipality_and_need_with_true_pages(pages: list[str]) -> None:
    directory = sample_directory()
    book = prepare_guidebook(directory, [], [])
    toc = _toc(pages)
    by_place = _index_entries(pages, "市区町村別索引", "ニーズ別索引", book.by_municipality)
    by_need = _index_entries(pages, "ニーズ別索引", None, book.by_need)
    active = [s for s in directory.services if s.active]
    local = sum(
        len(s.area.municipality_codes) for s in active if s.area.kind is AreaKind.MUNICIPALITIES
    )
    assert len(by_place) == local
    assert len(by_need) == sum(len(s.needs) for s in active)
    part1 = toc["第1部 支援機関・制度（重点分野別）"]
    part2 = toc["第2部 支援の流れ（フローチャート）"]
    for name, number in by_place + by_need:
        # the page the index gives is one where the service is printed, in part 1
        assert part1 <= number < part2, (name, number)
        assert _squash(name) in _squash(pages[number - 1]), (name, number)
    index_text = _squash("".join(pages[toc["市区町村別索引"] - 1 : toc["ニーズ別索引"]]))
    assert not [m.name_ja for m in tokyo_municipalities() if m.name_ja not in index_text]
    need_text = _squash("".join(pages[toc["ニーズ別索引"] - 1 :]))
    used = {code for s in active for code in s.needs}
    labels = [need.label.ja for need in directory.taxonomy if need.code in used]
    assert not [label for label in labels if _squash(label) not in need_text]


def _ppm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert header is not None
    return int(header.group(1)), int(header.group(2)), data[header.end() :]


def _render(pdf: Path, page: int, name: str) -> tuple[int, int, bytes]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTEFACTS / name
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), stem],
        check=True,
    )
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "80",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            stem,
        ],
        check=True,
    )
    return _ppm(stem.with_suffix(".ppm"))


def _count(pixels: bytes, colour: tuple[int, int, int], slack: int = 6) -> int:
    red, green, blue = colour
    return sum(
        1
        for i in range(0, len(pixels), 3)
        if abs(pixels[i] - red) <= slack
        and abs(pixels[i + 1] - green) <= slack
        and abs(pixels[i + 2] - blue) <= slack
    )


def test_the_flowchart_pages_are_drawn(pdf: Path, pages: list[str]) -> None:
    toc = _toc(pages)
    for flow in bundled_flows()[:2]:
        width, height, pixels = _render(pdf, toc[flow.title.ja], f"flow-{flow.id}")
        area = width * height
        # the chart's question diamonds (#fff7e0) and action boxes (#e8f1ff) are filled
        assert _count(pixels, (0xFF, 0xF7, 0xE0)) > area / 400, flow.id
        assert _count(pixels, (0xE8, 0xF1, 0xFF)) > area / 400, flow.id
    # a page of the directory has text but no chart colours
    width, height, pixels = _render(pdf, toc["重点分野1 就労・住居の確保等"], "directory-page")
    assert _count(pixels, (0xFF, 0xF7, 0xE0)) == 0
    dark = sum(1 for i in range(0, len(pixels), 3) if pixels[i] < 100)
    assert dark > width * height / 200  # text was drawn


def test_japanese_text_is_set_in_noto_sans_cjk(pdf: Path, pages: list[str]) -> None:
    done = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)
    fonts = [line.split()[0] for line in done.stdout.splitlines()[2:]]
    assert any("Noto-Sans-CJK-JP" in font for font in fonts), fonts
    # every font is embedded, and no serif or other fallback stands in for Japanese
    assert all("+" in font for font in fonts)
    assert not [font for font in fonts if "Noto" not in font and "Mono" not in font], fonts
    # the cover's title comes back as the same characters (no tofu, no missing glyphs)
    assert "非行少年・再犯防止支援ガイドブック" in pages[0]
    assert "\ufffd" not in "".join(pages)


def _confidential_streets(directory: Directory) -> set[str]:
    hidden = {
        location.address.street
        for agency in directory.agencies
        for location in agency.locations
        if location.confidential and location.address.street
    }
    shown = {
        location.address.street
        for agency in directory.agencies
        for location in agency.locations
        if not location.confidential
    }
    return {street for street in hidden if street is not None and street not in shown}


def test_a_confidential_address_never_appears_and_the_sample_is_marked(pages: list[str]) -> None:
    directory = sample_directory()
    streets = _confidential_streets(directory)
    assert streets  # the sample has confidential places
    text = _squash("".join(pages))
    assert not [street for street in streets if _squash(street) in text]
    assert "所在地は非公開" in text
    assert "これはサンプルデータから作ったガイドブックです" in text
    # the running head says it on every page after the cover
    assert all("サンプルデータ" in page for page in pages[1:])


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.sources: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = values.get("lang")
        if tag in ("img", "script", "link", "iframe") and (values.get("src") or values.get("href")):
            self.sources.append(str(values.get("src") or values.get("href")))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))


def test_the_html_guidebook_is_one_self_contained_file(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the guidebook needs Graphviz's dot")
        pytest.skip("Graphviz's dot is not installed")
    path = tmp_path / "guidebook.html"
    assert main(["guidebook", "build", "--output", str(path), "--lang", "en"]) == 0
    html = path.read_text(encoding="utf-8")
    parsed = _Html()
    parsed.feed(html)
    assert parsed.lang == "en"
    assert "script" not in parsed.tags
    assert parsed.sources
    assert all(src.startswith("data:image/svg+xml;base64,") for src in parsed.sources)
    assert all(link.startswith("#") for link in parsed.links)  # every link within the book
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert {link[1:] for link in parsed.links} <= ids  # and every one lands somewhere
    directory = sample_directory()
    for service in directory.services:
        assert (service.name.en or service.name.ja) in html.replace("&#39;", "'").replace(
            "&amp;", "&"
        )
    for flow in bundled_flows():
        assert (flow.title.en or flow.title.ja).replace("'", "&#39;") in html
    assert "Part 2 Flows of support" in html
    assert "Index by municipality" in html
    assert not [street for street in _confidential_streets(directory) if street in html]
    assert "SAMPLE" in html


def test_a_directory_that_is_not_the_sample_has_no_sample_banner(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the guidebook needs Graphviz's dot")
        pytest.skip("Graphviz's dot is not installed")
    import attrs

    from saihan.serialization import to_json

    sample = sample_directory()
    real = attrs.evolve(sample, meta=attrs.evolve(sample.meta, sample=False))
    source = tmp_path / "directory.json"
    source.write_text(to_json(real), encoding="utf-8")
    path = tmp_path / "guidebook.html"
    assert main(["guidebook", "build", "-o", str(path), "--input", str(source)]) == 0
    html = path.read_text(encoding="utf-8")
    assert "サンプルデータ" not in html
    assert 'class="sample"' not in html
    assert "第1部" in html


def test_a_bad_column_file_is_a_saihan_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    columns = tmp_path / "columns"
    columns.mkdir()
    (columns / "01-good.md").write_text("# よいコラム\n\n本文。\n", encoding="utf-8")
    (columns / "02-broken.md").write_text("---\ntitle: [unclosed\n---\n本文\n", encoding="utf-8")
    output = tmp_path / "guidebook.pdf"
    assert main(["guidebook", "build", "-o", str(output), "--columns", str(columns)]) == 1
    error = capsys.readouterr().err
    assert "02-broken.md" in error
    assert "front matter" in error
    assert "Traceback" not in error
    assert not output.exists()  # nothing written
    (columns / "02-broken.md").write_bytes(b"# \x82\xa0 Shift_JIS\n")
    assert main(["guidebook", "build", "-o", str(output), "--columns", str(columns)]) == 1
    assert "02-broken.md" in capsys.readouterr().err
    assert main(["guidebook", "build", "-o", str(output), "--columns", str(tmp_path / "no")]) == 1
    assert "not a folder" in capsys.readouterr().err
