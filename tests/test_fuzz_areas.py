"""A property test of the whole pipeline: mutants of real profile files never crash, hang or corrupt a document.

Hypothesis mutates one YAML file at a time, of the small test area (``arealib``) and of the bundled example:
it deletes, duplicates, swaps and re-indents lines, blanks them, changes scalars' types (numbers, yes/no
values, dates, nulls, lists, tags, anchors and aliases), inserts odd Unicode and YAML or Jinja syntax at a
random place, truncates the file, and re-saves it in another encoding. For every mutant:

- validation (``inspect_area``, in-process, as ``protocolgen validate`` runs it) returns diagnostics and never
  raises; each diagnostic names a file and says something, and a file gets a bounded number of them;
- a sample of the mutants that validate are built (``protocolgen build --only``, through the CLI): the build
  ends by its own decision (exit 0 or 1, never a traceback) and every .docx it writes reopens with zipfile
  and python-docx, every web page is UTF-8 HTML to its end.

The run is fixed (derandomised, no example database), so CI sees the same mutants every time; the tests count
their mutants and builds and fail if fewer ran than promised. ``PROTOCOLGEN_FUZZ_SCALE=10`` runs ten times as
many (a different, longer run, for looking harder locally).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import arealib as A
import docx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocolgen.area import inspect_area
from protocolgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "agency_profiles"
SCALE = max(1, int(os.environ.get("PROTOCOLGEN_FUZZ_SCALE", "1")))
# Mutants per area (together at least the 2,000 the issue asks for) and the builds made of those that validate.
SMALL_MUTANTS, SMALL_BUILDS = 1500 * SCALE, 24 * SCALE
EXAMPLE_MUTANTS, EXAMPLE_BUILDS = 520 * SCALE, 6 * SCALE
# A mutant is validated in well under a second; this only turns an endless loop into a failure naming the
# mutant (instead of CI's time running out), so it is generous and never measures speed.
HANG_SECONDS = 120

ODD_TEXT = [
    "\u2028", "\u2029", "\x85", "\u00a0", "\u202f", "\u202e", "\u200b", "\u200d", "\ufeff", "\x00", "\x07", "\x1b",
    "\x7f", "\x9b", "\t", "\r", "\r\n", "\ufffe", "\U0010ffff", "🧒", "ŵŷ", "نعم", "שלום", "e\u0301", "𝐍",
    '"', "'", ":", ": ", " #", "# ", "{{ 7*7 }}", "{% if %}", "{#", "[", "]", "{", "}", "*", "&a ", "*a", "!",
    "!!python/name:os.system ", "|", ">", "%", "@", "`", "\\", "- ", "? ", "---", "...", "<script>",
    "](javascript:alert(1))", "<file:///etc/passwd>", "::: toc", "1. ", "\\u0000",
]
SCALARS = [
    "0", "-1", "12", "37", "99999999999999999999999", "1e999", ".inf", "-.nan", "0x1F", "0o17", "1:30", "true",
    "no", "off", "null", "~", "''", '""', "[]", "{}", "[a, b]", "{a: b}", "2026-02-30", "2026-04-01",
    "9999-12-31", "1970-01-01", "2026-04-01 10:00:00", "!!binary aGk=", "!!set {a}", "&x value", "*x",
    "*undefined", "'unterminated", '"unterminated', "|", ">", "!!str 12", "!!int x", "!!float y",
    "!!bool maybe", "!!timestamp 2026-13-01", "!!python/object/apply:os.system ['true']", "9" * 5000,
    "x" * 120_000, "early-help", "north-council", " early-help ", "con", "../x", "a/b", "UPPER",
    "1000 years", "forever", "0 months", "https://x.example/\\", "javascript:alert(1)", "a@b.example\\",
]
ENCODINGS = ["utf-16", "utf-16-le", "latin-1", "utf-8-sig", "cp1252"]

MUTATION = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("indent"), st.integers(0, 10_000), st.sampled_from([-4, -2, -1, 1, 2, 3, 8, "tab"])),
    st.tuples(st.just("blank"), st.integers(0, 10_000), st.sampled_from(["", "  ", "\t", "#", "-", ":"])),
    st.tuples(st.just("scalar"), st.integers(0, 10_000), st.sampled_from(SCALARS)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.integers(0, 200), st.sampled_from(ODD_TEXT)),
    st.tuples(st.just("unicode"), st.integers(0, 10_000), st.integers(0, 200),
              st.text(min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.integers(0, 1000)),
)
MUTANT = st.tuples(st.integers(0, 10_000), st.lists(MUTATION, min_size=1, max_size=4),
                   st.sampled_from([None] * 12 + ENCODINGS))


def mutate(text: str, mutations: list[tuple[Any, ...]]) -> str:
    """``text`` with each mutation applied in turn (indices are taken modulo the lines there are)."""
    for mutation in mutations:
        kind, *args = mutation
        lines = text.split("\n")
        at = args[0] % len(lines) if args and isinstance(args[0], int) else 0
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = args[1] % len(lines)
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "indent":
            line = lines[at]
            if args[1] == "tab":
                lines[at] = "\t" + line
            elif args[1] > 0:
                lines[at] = " " * args[1] + line
            else:
                strip = min(-args[1], len(line) - len(line.lstrip(" ")))
                lines[at] = line[strip:]
        elif kind == "blank":
            lines[at] = args[1]
        elif kind == "scalar":  # the value of a "key: value" or "- value" line, replaced
            line = lines[at]
            head, sep, _value = line.partition(": ")
            if sep:
                lines[at] = f"{head}: {args[1]}"
            elif line.lstrip().startswith("- "):
                lines[at] = line[: line.index("- ") + 2] + args[1]
            else:
                lines[at] = f"{line} {args[1]}"
        elif kind in ("insert", "unicode"):
            line = lines[at]
            column = args[1] % (len(line) + 1)
            lines[at] = line[:column] + args[2] + line[column:]
        elif kind == "truncate":
            return "\n".join(lines)[: len(text) * args[0] // 1000]
        text = "\n".join(lines)
    return text


def encode(text: str, encoding: str | None) -> bytes:
    """The mutant's bytes: UTF-8 as editors save it, or another encoding (lone surrogates kept as written)."""
    try:
        return text.encode(encoding or "utf-8", errors="surrogatepass" if not encoding else "strict")
    except (UnicodeEncodeError, LookupError):
        return text.encode("utf-8", errors="surrogatepass")


@dataclass
class Counts:
    mutants: int = 0
    valid: int = 0
    builds: int = 0
    documents: int = 0


@contextmanager
def _hang_guard(what: str) -> Iterator[None]:
    if sys.platform == "win32":
        yield
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise AssertionError(f"{what} ran for more than {HANG_SECONDS} s: protocolgen hangs on this mutant")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _check_outputs(out: Path, shown: str) -> int:
    """Every document in OUT reopens: the zip is whole, python-docx reads it; every page is HTML to its end."""
    count = 0
    for path in sorted(out.rglob("*")):
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as package:
                assert package.testzip() is None, f"{path} is corrupt\n{shown}"
            document = docx.Document(str(path))
            assert document.paragraphs or document.tables, f"{path} is empty\n{shown}"
            count += 1
        elif path.suffix == ".html":
            page = path.read_bytes().decode("utf-8")
            assert page.rstrip().endswith("</html>"), f"{path} is cut short\n{shown}"
    return count


def _only_for(rel: str, text: str) -> list[str]:
    """The --only that builds the documents of the mutated file (its panel or agency), or one panel."""
    kind = {"agencies": "agency", "panels": "panel"}.get(rel.split("/")[0])
    if kind is not None:
        return ["--only", f"{kind}:{Path(rel).stem}"]
    return ["--only", "panel:early-help"]


def _fuzz(tmp_path_factory: pytest.TempPathFactory, source: Path, mutants: int, builds: int) -> Counts:
    root = tmp_path_factory.mktemp("fuzz") / "area"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml"))
    originals = {rel: (root / rel).read_bytes() for rel in files}
    counts = Counts()
    runner = CliRunner()

    @settings(max_examples=mutants, derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(MUTANT)
    def run(mutant: tuple[int, list[tuple[Any, ...]], str | None]) -> None:
        which, mutations, encoding = mutant
        rel = files[which % len(files)]
        path = root / rel
        data = encode(mutate(originals[rel].decode("utf-8"), mutations), encoding)
        shown = f"mutant of {rel}: {mutations!r}, saved as {encoding or 'utf-8'}"
        path.write_bytes(data)
        try:
            counts.mutants += 1
            with _hang_guard(shown):
                loaded = inspect_area(root)
            for diagnostic in loaded.diagnostics:
                assert diagnostic.file and diagnostic.message.strip(), f"{diagnostic!r}\n{shown}"
                assert "Traceback" not in diagnostic.format(), shown
            per_file = sum(d.file == rel for d in loaded.diagnostics)
            assert per_file <= 60, f"{per_file} diagnostics for one mutated file\n{shown}"
            if loaded.errors:
                return
            counts.valid += 1
            if counts.builds >= builds or counts.valid % 6:
                return
            counts.builds += 1
            out = root.parent / f"out-{counts.builds}"
            args = ["build", str(root), "-o", str(out), *_only_for(rel, data.decode("utf-8", "replace"))]
            with _hang_guard(shown):
                result = runner.invoke(main, args)
            shown += f"\n$ protocolgen {' '.join(args)}\n{result.output}"
            assert "Traceback" not in result.output, shown
            assert result.exception is None or isinstance(result.exception, SystemExit), (repr(result.exception),
                                                                                          shown)
            assert result.exit_code in (0, 1), shown
            if out.exists():
                counts.documents += _check_outputs(out, shown)
                shutil.rmtree(out)
        finally:
            path.write_bytes(originals[rel])

    run()
    return counts


def test_mutants_of_the_small_area(tmp_path_factory: pytest.TempPathFactory) -> None:
    source = A.write_area(tmp_path_factory.mktemp("small") / "area")
    counts = _fuzz(tmp_path_factory, source, SMALL_MUTANTS, SMALL_BUILDS)
    assert counts.mutants >= SMALL_MUTANTS, counts
    assert counts.builds >= SMALL_BUILDS // 2 and counts.documents > 0, counts


def test_mutants_of_the_example_area(tmp_path_factory: pytest.TempPathFactory) -> None:
    counts = _fuzz(tmp_path_factory, EXAMPLE, EXAMPLE_MUTANTS, EXAMPLE_BUILDS)
    assert counts.mutants >= EXAMPLE_MUTANTS, counts
    assert counts.builds >= EXAMPLE_BUILDS // 2 and counts.documents > 0, counts


def test_the_mutations_do_what_they_say() -> None:
    text = "a: 1\nb: 2\n- c\n"
    assert mutate(text, [("delete", 1)]) == "a: 1\n- c\n"
    assert mutate(text, [("duplicate", 0)]) == "a: 1\na: 1\nb: 2\n- c\n"
    assert mutate(text, [("swap", 0, 1)]) == "b: 2\na: 1\n- c\n"
    assert mutate(text, [("indent", 1, 2)]) == "a: 1\n  b: 2\n- c\n"
    assert mutate(text, [("indent", 1, "tab")]) == "a: 1\n\tb: 2\n- c\n"
    assert mutate(text, [("scalar", 0, "no")]) == "a: no\nb: 2\n- c\n"
    assert mutate(text, [("scalar", 2, "[]")]) == "a: 1\nb: 2\n- []\n"
    assert mutate(text, [("insert", 0, 1, "\u2028")]) == "a\u2028: 1\nb: 2\n- c\n"
    assert mutate(text, [("truncate", 500)]) == "a: 1\nb:"
    assert encode("é", "latin-1") == b"\xe9" and encode("\udc80", None) == b"\xed\xb2\x80"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL as on POSIX")
def test_builds_killed_at_random_points_then_rebuilt(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SIGKILL at a point Hypothesis picks among the files a build writes (journal, documents, reports, the
    manifest and its copy; a build that writes fewer ends by itself), one or two builds in a row, then a
    rebuild: OUT is as a build from scratch leaves it."""
    from test_hostile_catalogue import _snapshot

    runner = CliRunner()
    counts = Counts()

    @settings(max_examples=3 * SCALE, derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.integers(1, 24), min_size=1, max_size=2))
    def run(kills: list[int]) -> None:
        base = tmp_path_factory.mktemp("killed")
        root, out, clean = A.write_area(base / "area"), base / "out", base / "clean"
        assert runner.invoke(main, ["build", str(root), "-o", str(out)]).exit_code == 0
        for number, at in enumerate(kills):
            A.set_field(root, A.AREA, "name", f"North Safeguarding Children Partnership {number}")
            counts.builds += A.killed_build(root, out, str(at), may_finish=True)
        result = runner.invoke(main, ["build", str(root), "-o", str(out)])
        shown = f"killed at {kills}\n{result.output}"
        assert result.exit_code == 0 and "edited by hand" not in result.output, shown
        assert runner.invoke(main, ["build", str(root), "-o", str(clean)]).exit_code == 0

        def documents(folder: Path) -> dict[str, bytes]:
            return {rel: data for rel, data in _snapshot(folder).items()
                    if not rel.startswith(".") and ".edited-" not in rel}

        assert documents(out) == documents(clean), shown
        counts.mutants += 1
        shutil.rmtree(base)

    run()
    assert counts.mutants >= 3 * SCALE and counts.builds >= 1, counts
