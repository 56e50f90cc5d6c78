"""Building the portal from a 10,000-service directory, against plain Jinja2.

    python benchmarks/bench_publish.py [--services 10000] [--seed 0]

Steps timed: the publication view (``publication_view``: words, areas, openings for 8
weeks, the six flows drawn by Graphviz), then the site (``build_portal`` from that view:
every page in both languages, the search index). The peer is **plain Jinja2**: the same
number of pages, each from a one-line template holding the service's or agency's name and
description, written to files, with no view, no words and no openings: the floor any
static generator on Jinja2 pays for its pages. It prints the times and the ratio of
saihan's build to the peer; when /usr/bin/chromium and Playwright are there, it also times
a search on the built 10,000-service index in the browser (the portal's own script). It
asserts nothing about times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import jinja2
from national_directory import national_directory

from saihan.publish import build_portal, publication_view

TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)
_PLAIN = jinja2.Environment(autoescape=True).from_string(
    '<!DOCTYPE html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ name }}'
    "</title></head><body><h1>{{ name }}</h1><p>{{ text }}</p></body></html>"
)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _plain(items: list[tuple[str, str, str]], out: Path) -> int:
    count = 0
    for lang in ("ja", "en"):
        for kind, name, text in items:
            path = out / lang / kind / f"{count}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_PLAIN.render(lang=lang, name=name, text=text), encoding="utf-8")
            count += 1
    return count


def _browser_search(site: Path) -> list[float] | None:
    if not Path("/usr/bin/chromium").exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    times = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto((site / "search.html").as_uri())
        page.wait_for_selector("#result-count:not(:empty)")
        for query in ("そうだん", "相談", "ｿｳﾀﾞﾝ", "就労 支援", "じゅうきょ", "ハローワーク"):
            elapsed = page.evaluate(
                """q => { const box = document.getElementById('q'); const t = performance.now();
                    box.value = q; box.dispatchEvent(new Event('input'));
                    return performance.now() - t; }""",
                query,
            )
            times.append(float(elapsed))
        browser.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000, help="services to build from")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic directory")
    args = parser.parse_args()
    started = time.perf_counter()
    directory = national_directory(args.services, seed=args.seed)
    made = time.perf_counter() - started
    print(
        f"directory: {len(directory.services)} services, {len(directory.agencies)} agencies "
        f"(made in {made:.1f} s); load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        t0 = time.perf_counter()
        view = publication_view(directory, now=NOW)
        t1 = time.perf_counter()
        report = build_portal(view, work / "site")
        t2 = time.perf_counter()
        prepare_s, render_s = t1 - t0, t2 - t1
        items = [("s", s.name.ja, s.description.ja if s.description else "") for s in view.services]
        items += [
            ("a", a.name.ja, a.description.ja if a.description else "") for a in view.agencies
        ]
        items += [("f", f.title.ja, "") for f in view.flows]
        t3 = time.perf_counter()
        plain_pages = _plain(items, work / "plain")
        plain_s = time.perf_counter() - t3
        index = (work / "site" / "assets" / "search-index.js").stat().st_size
        print(f"saihan publication_view      {prepare_s:8.2f} s")
        print(
            f"saihan build_portal (render) {render_s:8.2f} s  {report.pages} pages, "
            f"{_size(work / 'site') / 1e6:.1f} MB, search index {index / 1e6:.1f} MB"
        )
        print(f"saihan total                 {prepare_s + render_s:8.2f} s")
        print(f"plain Jinja2 (peer)          {plain_s:8.2f} s  {plain_pages} pages")
        print(
            f"ratio render / plain Jinja2: {render_s / plain_s:.2f}x; "
            f"total / plain Jinja2: {(prepare_s + render_s) / plain_s:.2f}x"
        )
        searched = _browser_search(work / "site")
        if searched is None:
            print("browser search: skipped (no /usr/bin/chromium or Playwright)")
        else:
            print(
                f"browser search on {report.services} services: median "
                f"{statistics.median(searched):.1f} ms, max {max(searched):.1f} ms a query"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
