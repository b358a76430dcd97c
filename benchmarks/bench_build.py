"""Speed and memory of a full build of an area, stage by stage.

    python benchmarks/bench_build.py [AREA] [--repeat N]

Prints per-stage times (load+validate, resolve, render Markdown, write .docx/HTML), the mean time per
document, a full cold build, a no-op rebuild, and peak Python memory (tracemalloc). Targets: <= 20 ms per
document for Markdown -> .docx; a no-op rebuild well under a second.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from protocolgen import BuildOptions, build, load_area
from protocolgen.build import doc_meta, render_markdown
from protocolgen.render import Renderer
from protocolgen.resolve import resolve
from protocolgen.write import DocxWriter, render_html


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("area", nargs="?", default="agency_profiles")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    area = Path(args.area)

    t0 = time.perf_counter()
    loaded = load_area(area)
    t1 = time.perf_counter()
    jobs = resolve(loaded)
    t2 = time.perf_counter()
    renderer = Renderer()
    writer = DocxWriter()
    markdown = {job.id: render_markdown(job, renderer) for job in jobs}
    t3 = time.perf_counter()
    print(f"documents: {len(jobs)}")
    print(f"load + validate {_ms(t1 - t0)}")
    print(f"resolve         {_ms(t2 - t1)}")
    print(f"render Markdown {_ms(t3 - t2)}  ({_ms((t3 - t2) / len(jobs))} per document, first pass)")

    per_kind: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for job in jobs:
            meta = doc_meta(job, dataclasses.replace(job.doc))
            start = time.perf_counter()
            writer.render(markdown[job.id], meta)
            per_kind.setdefault(job.kind, []).append(time.perf_counter() - start)
    html_times = []
    for job in jobs:
        if job.html:
            start = time.perf_counter()
            render_html(markdown[job.id], doc_meta(job, job.doc))
            html_times.append(time.perf_counter() - start)
    for kind, times in sorted(per_kind.items()):
        print(f"write .docx {kind:<14} mean {_ms(statistics.mean(times))}  min {_ms(min(times))}")
    all_times = [t for times in per_kind.values() for t in times]
    print(f"write .docx all            mean {_ms(statistics.mean(all_times))}  max {_ms(max(all_times))}")
    print(f"write HTML                 mean {_ms(statistics.mean(html_times))}")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        start = time.perf_counter()
        build(BuildOptions(area_dir=area, out_dir=out))
        cold = time.perf_counter() - start
        start = time.perf_counter()
        result = build(BuildOptions(area_dir=area, out_dir=out))
        noop = time.perf_counter() - start
        assert not result.written, result.written
        # Memory is measured on a separate build: tracemalloc slows Python down several times over.
        tracemalloc.start()
        build(BuildOptions(area_dir=area, out_dir=Path(tmp) / "traced"))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"full cold build {_ms(cold)}  ({_ms(cold / len(jobs))} per document, all stages and writes)")
    print(f"no-op rebuild   {_ms(noop)}")
    print(f"peak Python memory during the cold build: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
