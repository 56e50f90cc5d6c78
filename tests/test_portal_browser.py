"""The built portal in a real browser: /usr/bin/chromium driven by Playwright (from PyPI).

Never ``playwright install``: the distribution's Chromium is used. Under ``CI=true`` a
missing Chromium, Playwright or axe-core fails these tests rather than skipping them.
Screenshots are kept under ``build/artifacts/portal/``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from saihan.directory import sample_directory
from saihan.publish import build_portal, publication_view
from saihan.text import normalize_for_search

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
AXE_DIR = ROOT / "tests" / "portal"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "build" / "artifacts" / "portal"
TOKYO = dt.timezone(dt.timedelta(hours=9))
BUILT = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)  # a Thursday
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI installs it: .ci/run)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal") / "site"
    build_portal(sample_directory(), out, now=BUILT)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (the test extra brings it)")
    with sync_playwright() as driver:
        found = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield found
        found.close()


class Page:
    """A browser page whose every request is checked: only file: URLs of the site go out."""

    def __init__(self, browser: Any, site: Path, *, width: int = 1200, script: bool = True) -> None:
        self.site = site
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=script
        )
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file://") and url[7:].startswith(str(self.site)):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str) -> Any:
        file, _, query = path.partition("?")
        self.page.goto((self.site / file).as_uri() + (f"?{query}" if query else ""))
        return self.page

    def close(self) -> None:
        assert self.outside == [], f"requests left the site: {self.outside}"
        assert self.errors == [], f"script errors: {self.errors}"
        self.context.close()


@pytest.fixture
def page(browser: Any, site: Path) -> Iterator[Page]:
    opened = Page(browser, site)
    yield opened
    opened.close()


def _result_ids(page: Any) -> list[str]:
    page.wait_for_function("document.getElementById('result-count').textContent !== ''")
    while page.is_visible("#more"):
        page.click("#more")
    return list(page.eval_on_selector_all("#results li", "items => items.map(i => i.dataset.id)"))


# -- search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["じゅうきょ", "住居", "ｼﾞｭｳｷｮ", "ジュウキョ", "ﾊﾛｰﾜｰｸ", "ＮＰＯ", "相談"]
)
def test_search_finds_what_directory_search_finds(page: Page, query: str) -> None:
    tab = page.open("search.html")
    tab.fill("#q", query)
    directory = sample_directory()
    found = directory.search(text=query)
    # the same services, ranked: every word in the names, some, none; by id within a rank
    assert _result_ids(tab) == [s.id for s in sorted(found, key=lambda s: (_rank(s, query), s.id))]
    assert tab.text_content("#result-count") == f"{len(found)}件見つかりました"


def _rank(service: Any, query: str) -> int:
    words = normalize_for_search(query).split()
    names = service.name.search_key()
    held = sum(1 for word in words if word in names)
    return 0 if held == len(words) else 1 if held else 2


def test_a_match_in_the_name_ranks_before_one_in_the_description(page: Page) -> None:
    directory = sample_directory()
    query = "相談"
    found = directory.search(text=query)
    ranks = {s.id: _rank(s, query) for s in found}
    assert 0 in ranks.values()  # the sample has both kinds
    assert 2 in ranks.values()
    tab = page.open("search.html")
    tab.fill("#q", query)
    shown = [ranks[sid] for sid in _result_ids(tab)]
    assert shown == sorted(shown)
    # and not in id order, which put description matches among name matches
    assert [s.id for s in found] != _result_ids(tab)


def test_kana_kanji_and_half_width_find_the_same_housing_services(page: Page) -> None:
    tab = page.open("search.html")
    found = []
    for query in ("じゅうきょ", "住居", "ｼﾞｭｳｷｮ"):
        tab.fill("#q", query)
        found.append(_result_ids(tab))
    assert found[0] == found[1] == found[2]
    assert found[0]
    assert all("housing" in sid for sid in found[0])


def test_the_home_search_box_carries_the_query(page: Page) -> None:
    tab = page.open("index.html")
    tab.fill("#home-q", "住居")
    tab.press("#home-q", "Enter")
    tab.wait_for_url("**/search.html?q=*")
    found = sample_directory().search(text="住居")
    assert _result_ids(tab) == [s.id for s in sorted(found, key=lambda s: (_rank(s, "住居"), s.id))]


@pytest.mark.parametrize(
    ("field", "value", "criterion"),
    [
        ("municipality", "132012", {"municipality": "132012"}),  # 八王子市
        ("need", "housing", {"need": "housing"}),
        ("need", "employment.job_search", {"need": "employment.job_search"}),
        ("audience", "family", {"audience": "family"}),
        ("channel", "email", {"channel": "email"}),
    ],
)
def test_each_filter_is_directory_search(
    page: Page, field: str, value: str, criterion: dict[str, str]
) -> None:
    tab = page.open(f"search.html?{field}={value}")
    assert tab.input_value(f"#{field}") == value
    expected = [s.id for s in sample_directory().search(**criterion)]  # type: ignore[arg-type]
    assert _result_ids(tab) == expected


def test_hachioji_shows_only_services_whose_area_covers_it(page: Page) -> None:
    tab = page.open("search.html")
    tab.select_option("#municipality", "132012")
    shown = _result_ids(tab)
    directory = sample_directory()
    assert shown
    assert all(directory.service(sid).area.covers("132012") for sid in shown)
    tab.fill("#q", "住居")
    found = directory.search(text="住居", municipality="八王子市")
    assert _result_ids(tab) == [s.id for s in sorted(found, key=lambda s: (_rank(s, "住居"), s.id))]


def test_filters_combine(page: Page) -> None:
    tab = page.open("search.html?need=housing&audience=family&channel=phone&q=相談")
    expected = sample_directory().search(need="housing", audience="family", channel="phone")
    words = normalize_for_search("相談").split()
    key = publication_view(sample_directory(), now=BUILT, draw_flows=False)
    held = [s for s in expected if all(w in key.service(s.id).search_key for w in words)]
    assert _result_ids(tab) == [s.id for s in sorted(held, key=lambda s: (_rank(s, "相談"), s.id))]


# -- the home page's lists without JavaScript --------------------------------------------------


def _listed(tab: Any, selector: str) -> list[str]:
    return list(tab.eval_on_selector_all(selector, "items => items.map(i => i.dataset.id)"))


def test_the_lists_work_without_javascript(browser: Any, site: Path) -> None:
    directory = sample_directory()
    plain = Page(browser, site, script=False)
    try:
        tab = plain.open("index.html")
        # by municipality: 八王子市's page lists the services whose area covers it
        tab.click("#by-place ~ ul a[href$='132012.html']")
        tab.wait_for_url("**/municipalities/132012.html")
        shown = _listed(tab, ".service-list li")
        assert shown
        assert sorted(shown) == sorted(s.id for s in directory.search(municipality="132012"))
        tab.click(".service-list a")
        tab.wait_for_url("**/services/*.html")
        # by need: the page of 住居 lists what Directory.search finds for it
        tab = plain.open("index.html")
        tab.click("a[href='needs/housing.html']")
        tab.wait_for_url("**/needs/housing.html")
        shown = _listed(tab, ".service-list li")
        assert sorted(shown) == sorted(s.id for s in directory.search(need="housing"))
        # every agency, from the navigation, each linking to its page
        tab.click("header nav a[href$='agencies.html']")
        tab.wait_for_url("**/agencies.html")
        assert sorted(_listed(tab, ".agency-list li")) == sorted(a.id for a in directory.agencies)
        tab.click(".agency-list a")
        tab.wait_for_url("**/agencies/*.html")
        assert tab.locator("h1").text_content()
    finally:
        plain.close()


# -- open now under a fixed clock ---------------------------------------------------------------


def _service_with_hours() -> Any:
    return next(s for s in sample_directory().services if s.hours is not None and s.active)


@pytest.mark.parametrize(
    "moment",
    [
        BUILT + dt.timedelta(hours=1),  # Thursday 11:00: open
        BUILT + dt.timedelta(hours=12),  # Thursday 22:00: closed, opens Friday
        dt.datetime(2026, 12, 5, 12, 0, tzinfo=TOKYO),  # Saturday
        dt.datetime(2026, 12, 30, 10, 0, tzinfo=TOKYO),  # the year-end closure
        dt.datetime(2027, 1, 11, 10, 0, tzinfo=TOKYO),  # 成人の日, a national holiday
    ],
)
def test_open_now_agrees_with_the_business_calendar(
    browser: Any, site: Path, moment: dt.datetime
) -> None:
    service = _service_with_hours()
    opened = Page(browser, site)
    try:
        opened.page.clock.set_fixed_time(moment)
        tab = opened.open(f"services/{service.id}.html")
        status = tab.locator("#open-status")
        state = status.get_attribute("data-state")
        assert service.hours is not None
        if service.is_open(moment):
            assert state == "open"
            closes = service.hours.next_close(moment)
            assert closes is not None
            assert status.get_attribute("data-change") == str(int(closes.timestamp()))
            assert f"{closes:%H:%M}まで" in (status.text_content() or "")
        else:
            assert state == "closed"
            upcoming = service.next_open(moment)
            assert upcoming is not None
            assert status.get_attribute("data-next") == str(int(upcoming.timestamp()))
            assert f"{upcoming:%H:%M}" in (status.text_content() or "")
        assert tab.is_hidden("#stale-note")
        assert "2026年12月3日" in (tab.text_content(".built") or "")
    finally:
        opened.close()


def test_a_page_older_than_its_window_says_so(browser: Any, site: Path) -> None:
    service = _service_with_hours()
    opened = Page(browser, site)
    try:
        opened.page.clock.set_fixed_time(BUILT + dt.timedelta(weeks=9))
        tab = opened.open(f"en/services/{service.id}.html")
        assert tab.is_visible("#stale-note")
        assert tab.locator("#open-status").get_attribute("data-state") == "beyond"
        assert "out of date" in (tab.text_content("#stale-note") or "")
    finally:
        opened.close()


# -- keyboard, accessibility, screenshots ---------------------------------------------------------


def test_keyboard_reaches_the_skip_link_search_and_results(page: Page) -> None:
    tab = page.open("search.html")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.className") == "skip"
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.id") == "main"
    focused = []
    for _ in range(8):
        tab.keyboard.press("Tab")
        focused.append(tab.evaluate("document.activeElement.id"))
    assert focused[:5] == ["q", "need", "municipality", "audience", "channel"]
    tab.focus("#q")
    tab.keyboard.type("住居")
    for _ in range(6):
        tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    href = tab.evaluate("document.activeElement.getAttribute('href') || ''")
    assert href.startswith("services/")
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/services/*.html")


def _axe(tab: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        if shutil.which("npm") is not None:
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--silent"],
                cwd=AXE_DIR,
                check=False,
                timeout=300,
            )
        if not AXE.exists():
            _missing(f"axe-core is not installed at {AXE} (cd tests/portal && npm install)")
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "search.html?q=相談",
        "en/index.html",
        "en/search.html?need=housing",
        "flows/index.html",
        "about.html",
    ],
)
def test_axe_finds_no_wcag_21_aa_violation(page: Page, path: str) -> None:
    tab = page.open(path)
    assert _axe(tab) == []


def test_axe_finds_no_violation_on_service_agency_and_flow_pages(page: Page) -> None:
    directory = sample_directory()
    service = _service_with_hours()
    flow_id = publication_view(directory, now=BUILT, draw_flows=False).flows[0].id
    for path in (
        f"services/{service.id}.html",
        f"en/services/{service.id}.html",
        f"agencies/{service.agency_id}.html",
        f"flows/{flow_id}.html",
        "agencies.html",
        "municipalities/132012.html",
        "en/municipalities/132012.html",
        "needs/housing.html",
    ):
        tab = page.open(path)
        assert _axe(tab) == [], path


def test_pages_declare_their_language(page: Page) -> None:
    service = _service_with_hours()
    assert page.open("index.html").get_attribute("html", "lang") == "ja"
    assert page.open(f"en/services/{service.id}.html").get_attribute("html", "lang") == "en"
    tab = page.open("index.html")
    switch = tab.locator("a[hreflang=en]").first
    assert switch.get_attribute("lang") == "en"
    switch.click()
    tab.wait_for_url("**/en/index.html")


def test_the_sample_banner_shows_and_screenshots_are_kept(browser: Any, site: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    service = _service_with_hours()
    for width, suffix in ((1200, "desktop"), (390, "phone")):
        opened = Page(browser, site, width=width)
        try:
            opened.page.clock.set_fixed_time(BUILT + dt.timedelta(hours=1))
            home = opened.open("index.html")
            assert home.is_visible("#sample-banner")
            home.screenshot(path=str(ARTIFACTS / f"home-{suffix}.png"), full_page=False)
            tab = opened.open(f"services/{service.id}.html")
            assert tab.is_visible("#sample-banner")
            # nothing wider than the screen on a phone
            assert tab.evaluate("document.documentElement.scrollWidth") <= width + 1
            tab.screenshot(path=str(ARTIFACTS / f"service-{suffix}.png"), full_page=True)
            search = opened.open("search.html?q=住居")
            search.wait_for_selector("#results li")
            search.screenshot(path=str(ARTIFACTS / f"search-{suffix}.png"))
        finally:
            opened.close()
    for name in ("home-desktop", "service-desktop", "home-phone", "service-phone"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_print_layout_hides_the_navigation(page: Page) -> None:
    service = _service_with_hours()
    tab = page.open(f"services/{service.id}.html")
    tab.emulate_media(media="print")
    assert tab.is_hidden("header.site nav")
    assert tab.is_visible("h1")
    pdf = tab.pdf()
    assert pdf.startswith(b"%PDF")


def test_axe_does_report_a_violation_when_there_is_one(page: Page) -> None:
    """The accessibility checks cannot pass by finding nothing."""
    tab = page.open("index.html")
    tab.evaluate(
        "() => { const i = document.createElement('input'); i.type = 'text';"
        " document.getElementById('main').appendChild(i); }"
    )
    assert "label" in [v["id"] for v in _axe(tab)]
