"""The guidebook's content without the PDF: columns, flows in words, the parts and indexes
(fast, no WeasyPrint, no Graphviz)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saihan.directory import AreaKind, Directory, sample_directory
from saihan.errors import ValidationError
from saihan.publish.guidebook import (
    Column,
    build_guidebook,
    bundled_columns,
    explain_flow,
    load_column,
    load_columns,
)
from saihan.publish.guidebook.build import render_html
from saihan.publish.guidebook.content import hours_words, prepare_guidebook
from saihan.referral.flows import Flow, bundled_flow
from saihan.testing.flow_strategies import flows
from saihan.testing.strategies import directories


def test_a_column_takes_its_title_from_front_matter_or_its_first_heading(tmp_path: Path) -> None:
    front = tmp_path / "a.md"
    front.write_text("---\ntitle: 表題\nauthor: 書き手\n---\n本文 **強調**\n", encoding="utf-8")
    column = load_column(front)
    assert (column.title, column.author, column.sample) == ("表題", "書き手", False)
    assert "<strong>強調</strong>" in column.body_html
    heading = tmp_path / "b.md"
    heading.write_text("# 見出しの表題\n\n## 節\n\n本文\n", encoding="utf-8")
    column = load_column(heading)
    assert column.title == "見出しの表題"
    assert "見出しの表題" not in column.body_html  # the title is printed once, as the title
    assert "<h4>節</h4>" in column.body_html  # below the guidebook's own headings


def test_raw_html_in_a_column_is_text_never_markup(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# t\n\n<script>alert(1)</script>\n\n<b onclick=x>b</b>\n", encoding="utf-8")
    body = load_column(path).body_html
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
    assert "<b " not in body


def test_a_column_image_is_embedded_and_a_remote_one_refused(tmp_path: Path) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "dot.png").write_bytes(png)
    path = tmp_path / "a.md"
    path.write_text("# t\n\n![点](images/dot.png)\n", encoding="utf-8")
    assert 'src="data:image/png;base64,' in load_column(path).body_html
    for source in ("https://example.org/x.png", "//example.org/x.png", "../outside.png", "no.png"):
        path.write_text(f"# t\n\n![x]({source})\n", encoding="utf-8")
        with pytest.raises(ValidationError) as caught:
            load_column(path, root=tmp_path)
        assert caught.value.paths == [str(path)]
        assert source in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b"---\ntitle: [x\n---\nbody\n", "not valid YAML"),
        (b"---\ntitle: t\n", "no closing"),
        (b"---\ntitle: t\ncolour: red\n---\n", "unknown front matter key(s) colour"),
        (b"---\n- a\n---\n", "must be a mapping"),
        (b"---\ntitle: 3\n---\n", "'title' must be a non-empty text"),
        (b"---\ntitle: t\nsample: yes please\n---\n", "'sample' must be true or false"),
        (b"just a body\n", "needs a title"),
        (b"# \x82\xa0\n", "UTF-8"),
    ],
)
def test_every_bad_column_is_a_validation_error_naming_the_file(
    tmp_path: Path, text: bytes, words: str
) -> None:
    path = tmp_path / "03-bad.md"
    path.write_bytes(text)
    with pytest.raises(ValidationError) as caught:
        load_column(path)
    assert caught.value.paths == [str(path)]
    assert words in str(caught.value)


def test_a_columns_folder_must_exist_and_hold_markdown(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a folder"):
        load_columns(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"no Markdown \(\.md\)"):
        load_columns(tmp_path)
    (tmp_path / "02-b.md").write_text("# B\n", encoding="utf-8")
    (tmp_path / "01-a.md").write_text("# A\n", encoding="utf-8")
    assert [column.title for column in load_columns(tmp_path)] == ["A", "B"]


def test_the_bundled_columns_are_marked_as_samples() -> None:
    columns = bundled_columns()
    assert len(columns) >= 3
    assert all(column.sample and "サンプル" in column.title for column in columns)


def test_a_flow_in_words_names_each_step_and_where_it_leads() -> None:
    steps = explain_flow(bundled_flow("debts"))
    assert steps[0].kind == "質問"
    assert steps[0].text == bundled_flow("debts").node("money-today").text.ja  # type: ignore[union-attr]
    assert ("その他", 3) in steps[0].leads
    assert any("法テラス" in action for step in steps for action in step.actions)
    english = explain_flow(bundled_flow("debts"), "en")
    assert english[0].kind == "Question"
    assert ("otherwise", 3) in english[0].leads


@settings(max_examples=40)
@given(flows())
def test_every_node_of_a_flow_is_one_numbered_step_leading_to_steps(flow: Flow) -> None:
    steps = explain_flow(flow)
    assert [step.number for step in steps] == list(range(1, len(flow.nodes) + 1))
    assert all(1 <= to <= len(steps) for step in steps for _, to in step.leads)
    first = flow.node(flow.start).text
    assert steps[0].text == ("" if first is None else first.ja)


def _moved(directory: Directory) -> Directory:
    """The same directory with every confidential place's street, postcode and point changed."""
    agencies = []
    for agency in directory.agencies:
        locations = tuple(
            attrs.evolve(
                loc,
                address=attrs.evolve(loc.address, street="別の番地9-9", postal_code="999-9999"),
                geo=None,
            )
            if loc.confidential
            else loc
            for loc in agency.locations
        )
        agencies.append(attrs.evolve(agency, locations=locations))
    return attrs.evolve(directory, agencies=tuple(agencies))


@settings(max_examples=40, deadline=None)
@given(directories(max_services=8), st.sampled_from(("ja", "en")))
def test_each_service_is_printed_once_indexed_by_each_need_and_no_hidden_street(
    directory: Directory, lang: str
) -> None:
    book = prepare_guidebook(directory, [], [], lang=lang, built=dt.date(2026, 12, 3))
    active = [service for service in directory.services if service.active]
    placed = [entry.id for area in book.areas for need in area.needs for entry in need.services]
    assert sorted(placed) == sorted(service.id for service in active)
    assert sum(len(group.entries) for group in book.by_need) == sum(len(s.needs) for s in active)
    local = sum(
        len(s.area.municipality_codes) for s in active if s.area.kind is AreaKind.MUNICIPALITIES
    )
    assert sum(len(group.entries) for group in book.by_municipality) == local
    assert book.wide_area_count == len(active) - sum(
        1 for s in active if s.area.kind is AreaKind.MUNICIPALITIES
    )
    html = render_html(book)
    # a confidential place's address makes no difference to a single character of the book
    moved = prepare_guidebook(_moved(directory), [], [], lang=lang, built=dt.date(2026, 12, 3))
    assert render_html(moved) == html
    assert ('class="sample"' in html) == directory.meta.sample


def test_hours_in_words_in_both_languages() -> None:
    service = next(s for s in sample_directory().services if s.hours is not None)
    assert "時" in hours_words(service.hours, "ja")
    english = hours_words(service.hours, "en")
    assert any(day in english for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
    assert hours_words(None, "ja") == ""


def test_an_unknown_format_or_language_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        build_guidebook(sample_directory(), format="docx")
    assert caught.value.paths == ["format"]
    with pytest.raises(ValidationError) as caught:
        prepare_guidebook(sample_directory(), [], [Column("a.md", "t", "")], lang="fr")
    assert caught.value.paths == ["lang"]
