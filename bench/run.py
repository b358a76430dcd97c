"""The benchmark of issue 11: a county's worth of documents, built as a new user would build them.

    python bench/run.py [--agencies 500] [--panels 40] [--jobs J] [--repeat N] [--json FILE] [--keep DIR]

Writes a synthetic but valid area (``bench/synth.py``: the example's profiles cloned in a county's mix) into a
temporary folder and runs ``python -m protocolgen`` on it, each step a fresh process, as someone at a
terminal would:

1. ``validate``;
2. a full build into an empty folder (seconds, documents, documents per second, peak memory);
3. the same build again, which must write nothing (the no-op), and ``status`` on it;
4. the build after one register entry's title changes (``crime-and-disorder-act-1998-s115``, in the area's
   ``legislation.yaml``): the documents rewritten, and the documents whose text prints the new title, which
   must be the same documents;
5. the build after one agency's phone number changes: the documents rewritten;
6. a one-panel ``--only`` build into an empty folder;
7. pandoc (where it is installed) converting the Markdown of the area's largest protocol to .docx, against
   protocolgen's own cost per document: the ratio.

Times are CPU seconds (user + system, of the process and every worker it started) and wall seconds; this
machine is shared, so CPU time is the steadier figure. Each repetition gets a fresh cache folder
(``PROTOCOLGEN_CACHE_DIR``), so the full build is a first build, and the later steps use what it cached. ``--repeat N`` runs steps 2-6 N times on fresh
copies and reports the minimum and the median. Peak memory is the largest resident set of any one process of
the step (POSIX only). Nothing here reaches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a clone: protocolgen and bench are imported from it, not installed

from bench.synth import make_area  # noqa: E402

CHANGED_ENTRY = "crime-and-disorder-act-1998-s115"
CHANGED_TITLE = "Crime and Disorder Act 1998 (as amended by the benchmark)"
CHANGED_PHONE = "01632 960999"

# Runs a command and reports what it and all its descendants used: CPU seconds and the largest resident set of
# any one of them (RUSAGE_CHILDREN counts every process waited for, workers included).
_MEASURE = """
import json, subprocess, sys, time
try:
    import resource
except ImportError:
    resource = None
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
scale = 1024 if sys.platform != "darwin" else 1  # ru_maxrss is in KB on Linux, bytes on macOS
print(json.dumps({"wall": wall, "cpu": (usage.ru_utime + usage.ru_stime) if usage else wall,
                  "rss_mb": usage.ru_maxrss * scale / 1e6 if usage else None,
                  "code": done.returncode, "out": done.stdout[-4000:], "err": done.stderr[-4000:]}))
"""


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float | None
    out: str


@dataclass
class Series:
    """One step measured ``--repeat`` times."""

    runs: list[Run] = field(default_factory=list)

    def cpu(self) -> tuple[float, float]:
        values = [r.cpu for r in self.runs]
        return min(values), statistics.median(values)

    def wall(self) -> tuple[float, float]:
        values = [r.wall for r in self.runs]
        return min(values), statistics.median(values)

    def rss(self) -> float | None:
        values = [r.rss_mb for r in self.runs if r.rss_mb is not None]
        return max(values) if values else None


CACHE: Path | None = None  # protocolgen's cache folder for this run (fresh for each repetition)


def measure(args: list[str], expect_ok: bool = True) -> Run:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if CACHE is not None:
        env["PROTOCOLGEN_CACHE_DIR"] = str(CACHE)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    done = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, env=env, check=True)
    report = json.loads(done.stdout)
    if expect_ok and report["code"] != 0:
        raise SystemExit(f"{' '.join(args)} failed ({report['code']}):\n{report['out']}\n{report['err']}")
    return Run(report["wall"], report["cpu"], report["rss_mb"], report["out"])


def protocolgen(*args: str, expect_ok: bool = True) -> Run:
    return measure([sys.executable, "-m", "protocolgen", *args], expect_ok)


def snapshot(out: Path) -> dict[str, tuple[int, int, int]]:
    """Every file in OUT with what a write would change (a new inode from the atomic rename, its time, size)."""
    found = {}
    for path in out.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(out).as_posix()] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return found


def written(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> list[str]:
    return sorted(rel for rel, stamp in after.items() if before.get(rel) != stamp)


def documents_of(files: list[str]) -> list[str]:
    """The documents among written files: their .docx, not the reports, issued copies or redlines."""
    return [rel for rel in files if rel.endswith(".docx") and rel.startswith(("panels/", "agencies/"))
            and ".redline-" not in rel]


_TEXT = re.compile(rb"<w:t(?: [^>]*)?>([^<]*)</w:t>")


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        xml = package.read("word/document.xml")
    return "".join(part.decode("utf-8") for part in _TEXT.findall(xml))


def citing(out: Path, words: str) -> list[str]:
    """The documents in OUT whose text prints ``words``."""
    escaped = words.replace("&", "&amp;")
    return sorted(p.relative_to(out).as_posix() for folder in ("panels", "agencies") for p in (out / folder).rglob("*.docx")
                  if ".redline-" not in p.name and escaped in docx_text(p))


def change_title(area: Path) -> None:
    (area / "legislation.yaml").write_text(f'{CHANGED_ENTRY}:\n  title: "{CHANGED_TITLE}"\n', encoding="utf-8")


def change_phone(area: Path, agency: str) -> None:
    path = area / "agencies" / f"{agency}.yaml"
    text = path.read_text(encoding="utf-8")
    general = text.index("  general:")
    at = text.index("phone: ", general)
    end = text.index("\n", at)
    path.write_text(text[:at] + f"phone: {CHANGED_PHONE}" + text[end:], encoding="utf-8")


def largest_protocol_markdown(area: Path) -> tuple[str, str]:
    """The id and Markdown of the area's protocol with the most parties, rendered by protocolgen."""
    from protocolgen.area import load_area
    from protocolgen.build import render_markdown
    from protocolgen.render import Renderer
    from protocolgen.resolve import resolve

    loaded = load_area(area)
    jobs = [job for job in resolve(loaded) if job.kind == "protocol"]
    job = max(jobs, key=lambda j: (len(loaded.members(j.id.split("/")[1])), j.id))
    return job.id, render_markdown(job, Renderer())


def writer_ms(markdown: str, repeat: int = 5) -> float:
    """Our Word writer alone on that Markdown (parse, lay out, package), in this process: best of ``repeat``."""
    import datetime

    from protocolgen.write import DocMeta, DocxWriter

    writer = DocxWriter()
    meta = DocMeta(title="Protocol", subject="benchmark", author="benchmark", keywords=(), created=datetime.date(2026, 7, 1),
                   version="1.0", issue_date_text="1 July 2026")
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        writer.render(markdown, meta)
        best = min(best, time.process_time() - start)
    return best * 1000


def pandoc_ms(markdown: str, work: Path, repeat: int = 3) -> float | None:
    """One pandoc process converting the Markdown to .docx: CPU milliseconds, best of ``repeat``."""
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        return None
    source = work / "protocol.md"
    source.write_text(markdown, encoding="utf-8")
    best = float("inf")
    for _ in range(repeat):
        run = measure([pandoc, "-f", "commonmark+pipe_tables", "-t", "docx", "-o", str(work / "pandoc.docx"),
                       str(source)])
        best = min(best, run.cpu)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agencies", type=int, default=500)
    parser.add_argument("--panels", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=None, help="build --jobs (default: protocolgen's own, one per CPU)")
    parser.add_argument("--repeat", type=int, default=1, help="run each build step N times (min / median)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", type=Path, help="keep the area and output in this folder instead of a temporary one")
    args = parser.parse_args()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []

    work = Path(tempfile.mkdtemp(prefix="protocolgen-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        figures = run(args, jobs, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def run(args: argparse.Namespace, jobs: list[str], work: Path) -> dict[str, object]:
    synth = make_area(work / "area", args.agencies, args.panels)
    area = synth.root
    print(f"area: {args.agencies} agencies, {args.panels} panels ({min(synth.members.values())}-"
          f"{max(synth.members.values())} members each), in {work}", flush=True)
    global CACHE
    CACHE = work / "cache-validate"  # validate as a first run too
    validate = protocolgen("validate", str(area))
    print(f"  {validate.out.strip().splitlines()[-1]}", flush=True)

    full, noop, status, title, phone, only = Series(), Series(), Series(), Series(), Series(), Series()
    noop_written: list[str] = []
    title_written: list[str] = []
    title_citing: list[str] = []
    phone_written: list[str] = []
    documents = 0
    panel = sorted(synth.members, key=lambda p: (-synth.members[p], p))[0]
    for attempt in range(args.repeat):
        # Each repetition starts as a new user would: no caches (parsed files, compiled templates, stamps).
        CACHE = work / f"cache-{attempt}"
        copy = work / f"area-{attempt}"
        shutil.copytree(area, copy, dirs_exist_ok=False) if not copy.exists() else None
        out = work / f"out-{attempt}"
        shutil.rmtree(out, ignore_errors=True)
        full.runs.append(protocolgen("build", str(copy), "-o", str(out), *jobs))
        documents = len(json.loads((out / ".protocolgen-manifest.json").read_text(encoding="utf-8"))["documents"])
        print(f"  full build: {full.runs[-1].wall:.2f} s wall, {full.runs[-1].cpu:.2f} s CPU", flush=True)

        before = snapshot(out)
        noop.runs.append(protocolgen("build", str(copy), "-o", str(out), *jobs))
        noop_written = written(before, snapshot(out))
        status.runs.append(protocolgen("status", str(copy), "-o", str(out), expect_ok=False))

        change_title(copy)
        before = snapshot(out)
        title.runs.append(protocolgen("build", str(copy), "-o", str(out), *jobs))
        title_written = documents_of(written(before, snapshot(out)))
        title_citing = citing(out, CHANGED_TITLE)

        change_phone(copy, synth.phone_agency)
        before = snapshot(out)
        phone.runs.append(protocolgen("build", str(copy), "-o", str(out), *jobs))
        phone_written = documents_of(written(before, snapshot(out)))

        only_out = work / f"only-{attempt}"
        shutil.rmtree(only_out, ignore_errors=True)
        only.runs.append(protocolgen("build", str(copy), "-o", str(only_out), "--only", f"panel:{panel}", *jobs))

    protocol_id, markdown = largest_protocol_markdown(area)
    ours_writer = writer_ms(markdown)
    theirs = pandoc_ms(markdown, work)
    full_cpu = full.cpu()[1]
    ours = full_cpu / documents * 1000
    figures: dict[str, object] = {
        "agencies": args.agencies, "panels": args.panels, "documents": documents, "jobs": args.jobs,
        "repeat": args.repeat,
        "full_build_s": round(full.wall()[1], 3), "full_build_cpu_s": round(full_cpu, 3),
        "docs_per_s": round(documents / full.wall()[1], 1), "docs_per_cpu_s": round(documents / full_cpu, 1),
        "noop_s": round(noop.cpu()[1], 3), "noop_wall_s": round(noop.wall()[1], 3), "noop_written": len(noop_written),
        "status_s": round(status.cpu()[1], 3),
        "change_one_s": round(title.cpu()[1], 3), "change_one_written": len(title_written),
        "change_one_citing": len(title_citing), "change_one_same": title_written == title_citing,
        "phone_s": round(phone.cpu()[1], 3), "phone_written": len(phone_written),
        "only_panel_s": round(only.cpu()[1], 3), "only_panel_wall_s": round(only.wall()[1], 3),
        "validate_s": round(validate.cpu, 3), "peak_rss_mb": round(full.rss() or 0, 1) or None,
        "ours_ms_per_doc": round(ours, 2), "writer_ms_largest_protocol": round(ours_writer, 1),
        "largest_protocol": protocol_id,
        "pandoc_ms_per_doc": round(theirs, 1) if theirs is not None else None,
        "ratio_vs_pandoc": round(theirs / ours, 1) if theirs is not None else None,
    }
    _table(figures, full, noop, status, title, phone, only, noop_written)
    return figures


def _pair(values: tuple[float, float]) -> str:
    return f"{values[0]:.2f} / {values[1]:.2f} s"


def _table(f: dict[str, object], full: Series, noop: Series, status: Series, title: Series, phone: Series,
           only: Series, noop_written: list[str]) -> None:
    n = len(full.runs)
    label = "min / median" if n > 1 else "one run"
    rows = [
        ("documents", f"{f['documents']}"),
        (f"full build, CPU ({label})", _pair(full.cpu())),
        (f"full build, wall ({label})", _pair(full.wall())),
        ("documents per second (wall / CPU)", f"{f['docs_per_s']} / {f['docs_per_cpu_s']}"),
        ("peak RSS (largest process)", f"{f['peak_rss_mb']} MB"),
        (f"no-op rebuild, CPU ({label})", f"{_pair(noop.cpu())}, {f['noop_written']} files written"),
        (f"status, CPU ({label})", _pair(status.cpu())),
        (f"one title changed, CPU ({label})",
         f"{_pair(title.cpu())}, {f['change_one_written']} documents rewritten, {f['change_one_citing']} print it"
         + ("" if f["change_one_same"] else " (NOT the same documents)")),
        (f"one phone number changed, CPU ({label})", f"{_pair(phone.cpu())}, {f['phone_written']} documents rewritten"),
        (f"one panel (--only), CPU ({label})", f"{_pair(only.cpu())}; wall {_pair(only.wall())}"),
        ("validate, CPU", f"{f['validate_s']:.2f} s"),
        ("ours per document (full build CPU / documents)", f"{f['ours_ms_per_doc']} ms"),
        (f"our writer on {f['largest_protocol']}", f"{f['writer_ms_largest_protocol']} ms"),
    ]
    if f["pandoc_ms_per_doc"] is None:
        rows.append(("pandoc", "not installed: ratio skipped"))
    else:
        rows.append(("pandoc, one process on the same protocol (CPU)", f"{f['pandoc_ms_per_doc']} ms"))
        rows.append(("ratio: pandoc / ours per document", f"{f['ratio_vs_pandoc']}x"))
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if noop_written:
        print("no-op wrote:", ", ".join(noop_written[:10]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
