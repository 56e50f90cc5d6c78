"""saihan portal build without a browser: the files, their HTML, what they never contain."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import html5lib
import pytest

from _builders import small_directory
from saihan import storage
from saihan.access import Principal
from saihan.cli import main
from saihan.directory import sample_directory
from saihan.errors import ValidationError
from saihan.publish import build_portal, publication_view

TOKYO = dt.timezone(dt.timedelta(hours=9))
BUILT = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)
# a src, href or url() that names another host (links out, tel: and mailto: are not requests)
_REQUESTS = re.compile(
    r"""(?:src=|<link(?![^>]*rel="(?:canonical|alternate)")[^>]*href=|url\()["']?(?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal") / "site"
    build_portal(sample_directory(), out, now=BUILT, base_url="https://portal.example.jp/")
    return out


def test_a_page_per_service_agency_and_flow_in_both_languages(site: Path) -> None:
    directory = sample_directory()
    view = publication_view(directory, now=BUILT, draw_flows=False)
    for prefix in ("", "en/"):
        for service in directory.services:
            assert (site / f"{prefix}services/{service.id}.html").is_file()
        for agency in directory.agencies:
            assert (site / f"{prefix}agencies/{agency.id}.html").is_file()
        for flow in view.flows:
            assert (site / f"{prefix}flows/{flow.id}.html").is_file()
        for page in ("index.html", "search.html", "about.html", "flows/index.html"):
            assert (site / prefix / page).is_file()


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_page_is_well_formed_html5_with_its_language(site: Path) -> None:
    pages = _pages(site)
    # every kind of page, both languages; the whole site is checked for requests below
    chosen = [p for p in pages if "/services/" not in str(p) and "/agencies/" not in str(p)]
    chosen += [p for p in pages if "/services/" in str(p)][:: max(1, len(pages) // 40)]
    chosen += [p for p in pages if "/agencies/" in str(p)][:: max(1, len(pages) // 40)]
    for page in chosen:
        text = page.read_text(encoding="utf-8")
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        parser.parse(text)  # raises on any parse error
        lang = "en" if "/en/" in str(page) else "ja"
        assert text.startswith(f'<!DOCTYPE html>\n<html lang="{lang}">'), page
        assert "<title>" in text
        assert 'name="viewport"' in text


def test_no_page_asks_another_host_for_anything(site: Path) -> None:
    for path in [*_pages(site), *sorted((site / "assets").iterdir())]:
        text = path.read_text(encoding="utf-8")
        assert not _REQUESTS.search(text), path
        assert "@import" not in text


def test_the_sample_banner_is_on_every_page_of_the_sample(site: Path, tmp_path: Path) -> None:
    for page in _pages(site):
        assert 'id="sample-banner"' in page.read_text(encoding="utf-8"), page
    mine = build_portal(small_directory(), tmp_path / "own", now=BUILT)
    assert mine.sample is False
    assert 'id="sample-banner"' not in (tmp_path / "own" / "index.html").read_text("utf-8")


def test_confidential_addresses_never_reach_the_site(tmp_path: Path) -> None:
    build_portal(small_directory(), tmp_path / "site", now=BUILT)
    everything = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*") if p.is_file()
    )
    assert "秘密1-1" not in everything
    assert "160-0000" not in everything
    page = (tmp_path / "site" / "agencies" / "halfway.html").read_text(encoding="utf-8")
    assert "新宿区（所在地は非公開です" in page


def test_the_search_index_is_the_views(site: Path) -> None:
    text = (site / "assets" / "search-index.js").read_text(encoding="utf-8")
    prefix = "window.SAIHAN_INDEX = "
    assert text.startswith(prefix)
    index = json.loads(text[len(prefix) :].rstrip().rstrip(";"))
    view = publication_view(sample_directory(), now=BUILT, draw_flows=False)
    assert [s["id"] for s in index["services"]] == [s.id for s in view.services]
    assert [s["k"] for s in index["services"]] == [s.search_key for s in view.services]
    assert index["municipalities"] == [m.code for m in view.municipalities]
    for area in view.priority_areas:
        for need in area.needs:
            assert [index["services"][i]["id"] for i in index["needs"][need.code]] == list(
                need.service_ids
            )


def test_base_url_gives_canonical_links_and_a_sitemap(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://portal.example.jp/index.html">' in home
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<url>") == len(_pages(site))


def test_links_between_pages_resolve(site: Path) -> None:
    for page in [site / "index.html", site / "en" / "flows" / "index.html", *_pages(site)[:60]]:
        for href in re.findall(r'href="([^"#?:]+)"', page.read_text(encoding="utf-8")):
            assert (page.parent / href).resolve().exists(), (page, href)


def test_a_failed_build_leaves_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saihan.publish import portal

    out = tmp_path / "site"
    build_portal(small_directory(), out, now=BUILT)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    written = portal._Writer.write
    calls = []

    def failing(self: object, path: str, template: str, **context: object) -> None:
        calls.append(path)
        if len(calls) > 5:
            raise OSError("disk full")
        written(self, path, template, **context)  # type: ignore[arg-type]

    monkeypatch.setattr(portal._Writer, "write", failing)
    with pytest.raises(OSError, match="disk full"):
        build_portal(sample_directory(), out, now=BUILT, lang="en")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"lang": "fr"}, "lang"),
        ({"base_url": "ftp://example.jp"}, "base_url"),
        ({"base_url": "portal.example.jp"}, "base_url"),
        ({"weeks": "8"}, "weeks"),
    ],
)
def test_wrong_arguments_name_their_field(
    tmp_path: Path, kwargs: dict[str, object], path: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        build_portal(small_directory(), tmp_path / "site", now=BUILT, **kwargs)  # type: ignore[arg-type]
    assert raised.value.paths == [path]
    assert not (tmp_path / "site").exists()


def test_output_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        build_portal(small_directory(), tmp_path / "file", now=BUILT)
    assert raised.value.paths == ["output"]
    with pytest.raises(ValidationError) as raised:
        build_portal({"agencies": []}, tmp_path / "x", now=BUILT)  # type: ignore[arg-type]
    assert raised.value.paths == ["directory"]


def test_the_command_builds_from_a_file_or_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory_file = tmp_path / "directory.json"
    from saihan.serialization import to_json

    directory_file.write_text(to_json(small_directory()), encoding="utf-8")
    assert main(["portal", "build", "-o", str(tmp_path / "a"), "--input", str(directory_file),
                 "--lang", "en", "--quiet"]) == 0  # fmt: skip
    assert "wrote" in capsys.readouterr().out
    assert '<html lang="en">' in (tmp_path / "a" / "index.html").read_text("utf-8")
    assert '<html lang="ja">' in (tmp_path / "a" / "ja" / "index.html").read_text("utf-8")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with storage.open(url, principal=Principal.system()) as store:
        store.import_directory(small_directory())
    assert main(["portal", "build", "-o", str(tmp_path / "b"), "--store", url, "--quiet"]) == 0
    assert (tmp_path / "b" / "services" / "hw-job.html").is_file()
    assert main(["portal", "build", "-o", str(tmp_path / "c"), "--store", url,
                 "--input", str(directory_file)]) != 0  # fmt: skip
    assert "--input or --store" in capsys.readouterr().err
