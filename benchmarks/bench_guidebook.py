"""The guidebook from a 10,000-service directory: saihan's build against WeasyPrint alone.

Run from the repository root (with the ``publish`` extra installed)::

    python benchmarks/bench_guidebook.py                    # 10,000 services
    python benchmarks/bench_guidebook.py --services 2000 --runs 1

The directory is ``national_directory.py``'s (Tokyo's 62 municipalities and 1,679
synthetic ones; the sample's mix of kinds, needs and areas), made before the clock
starts. It times, in one run:

- **prepare**: ``prepare`` (the published directory, parts, indexes, the six flowcharts
  through Graphviz);
- **PDF**: ``render_pdf``: the template's three documents (body, index with the body's
  page numbers, cover and contents) laid out by WeasyPrint and joined into one PDF
  (``build_guidebook(format="pdf")`` is the two);
- the **peer**: WeasyPrint rendering a plain HTML list of the same services (name, agency,
  description, area, contacts, with the same stylesheet and fonts) made by a few lines of
  Python with no preparation, no contents, no flowcharts and no index: what any tool that
  prints this directory through WeasyPrint would pay at least.

It prints seconds (wall clock, and the process's CPU time), pages, the peak memory of
the process, and the ratios to the peer; it asserts nothing.
"""

from __future__ import annotations

import argparse
import html
import math
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from national_directory import national_directory

from saihan.directory import Directory
from saihan.publish.guidebook.build import _css, _pdf, prepare, render_pdf


def plain_html(directory: Directory) -> str:
    """The peer's document: every active service as a plain block, nothing else."""
    rows = []
    for service in directory.published().services:
        if not service.active:
            continue
        agency = directory.agency_of(service)
        contacts = " ".join(f"{c.channel.value} {c.value}" for c in service.contacts)
        description = service.description.ja if service.description else ""
        rows.append(
            f"<article class='service'><h4>{html.escape(service.name.ja)}</h4>"
            f"<p class='agency'>{html.escape(agency.name.ja)}</p>"
            f"<p>{html.escape(description)}</p><p>{html.escape(contacts)}</p></article>"
        )
    return (
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><style>{_css()}</style>"
        f"</head><body>{''.join(rows)}</body></html>"
    )


def pages(pdf: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(pdf)).pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000, help="services (10,000)")
    parser.add_argument("--runs", type=int, default=1, help="best of N runs (1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the directory (0)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    directory = national_directory(args.services, seed=args.seed)
    print(
        f"directory: {len(directory.services):,} services, {len(directory.agencies):,} "
        f"agencies (made in {time.perf_counter() - start:.1f} s)"
    )
    best: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):
        start = time.perf_counter()
        cpu = time.process_time()
        book = prepare(directory)
        prepared = time.perf_counter() - start
        start = time.perf_counter()
        pdf = render_pdf(book)
        rendered = time.perf_counter() - start
        best["cpu"] = min(best.get("cpu", math.inf), time.process_time() - cpu)
        start = time.perf_counter()
        peer_document = plain_html(directory)
        peer_prepared = time.perf_counter() - start
        start = time.perf_counter()
        peer_pdf = _pdf(peer_document)
        peer_rendered = time.perf_counter() - start
        for name, value in (
            ("prepare", prepared),
            ("render", rendered),
            ("peer_prepare", peer_prepared),
            ("peer_render", peer_rendered),
        ):
            best[name] = min(best.get(name, value), value)
        sizes = {"pages": pages(pdf), "peer_pages": pages(peer_pdf)}
    total = best["prepare"] + best["render"]
    peer = best["peer_prepare"] + best["peer_render"]
    print(f"saihan guidebook ({sizes['pages']:,} pages, best of {args.runs}):")
    print(f"  prepare                   {best['prepare']:8.1f} s")
    print(f"  WeasyPrint PDF            {best['render']:8.1f} s")
    print(f"  total                     {total:8.1f} s   goal: under 60 s")
    print(f"  (CPU time                 {best['cpu']:8.1f} s)")
    print(f"peer: plain HTML list through WeasyPrint ({sizes['peer_pages']:,} pages):")
    print(f"  HTML                      {best['peer_prepare']:8.1f} s")
    print(f"  WeasyPrint PDF            {best['peer_render']:8.1f} s")
    print(f"  total                     {peer:8.1f} s")
    print(f"ratio saihan / peer: total {total / peer:.2f}x, ", end="")
    print(f"per page {total / sizes['pages'] / (peer / sizes['peer_pages']):.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak memory of the process (both builds): {peak:.2f} GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
