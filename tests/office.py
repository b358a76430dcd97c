"""The real clients, for the tests that check output the way readers' software sees it: LibreOffice (Word
documents to PDF), poppler's pdftotext/pdfinfo (reading the PDFs), and the example area built once per test
session for the Office-schema, PDF and browser checks.

A tool that is missing is a skip with the reason on a developer's machine, but a failure in CI (``CI`` set
to anything but ``0``/``false``): there ``.ci/run`` installs every tool, so a skip would hide a check that
silently stopped running.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "agency_profiles"

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")


def convert_to_pdf(documents: list[Path], outdir: Path, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Convert ``documents`` into ``outdir`` with a private LibreOffice profile (no clash with another soffice
    running); raises if LibreOffice fails. Its log names one 'convert' line per document converted.

    Plain ``--convert-to``: fields and the contents list are left as written. For PDFs as protocolgen makes
    them (contents page numbers, tagged, one process) use :func:`protocolgen.write.pdf.convert_to_pdf`."""
    profile = outdir / "lo-profile"
    return subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, documents)],
        check=True, capture_output=True, text=True, timeout=timeout,
    )


# --- missing tools: skip here, fail in CI ------------------------------------------------------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def tool_missing(reason: str) -> NoReturn:
    """Skip the test for a tool this machine lacks; in CI, fail it (CI installs every tool)."""
    if in_ci():
        pytest.fail(f"{reason} (CI must install it: see .ci/run)", pytrace=False)
    pytest.skip(reason)


def require_programs(*names: str) -> dict[str, str]:
    """The path of each program, or :func:`tool_missing` naming the first that is not on PATH."""
    found = {}
    for name in names:
        path = shutil.which(name)
        if path is None:
            tool_missing(f"{name} is not installed")
        found[name] = path
    return found


# --- the example area, built once --------------------------------------------------------------------------

_EXAMPLE_BUILD: dict[str, Path] = {}


def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example area built into a temporary folder, once per test session however many modules
    ask (a module's fixture calls this). Read it; never write into it."""
    if "out" not in _EXAMPLE_BUILD:
        from protocolgen import BuildOptions, build

        out = tmp_path_factory.mktemp("example-build")
        build(BuildOptions(area_dir=EXAMPLE, out_dir=out))
        _EXAMPLE_BUILD["out"] = out
    return _EXAMPLE_BUILD["out"]


def example_documents(out: Path) -> list[Path]:
    """Every Word document of a build, change report included, in a stable order."""
    return sorted(out.rglob("*.docx"))


# --- reading PDFs ------------------------------------------------------------------------------------------


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed (pdftotext -layout)."""
    require_programs("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, timeout=120).stdout.decode("utf-8")
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's fields (Title, Tagged, Pages, ...), values as printed."""
    require_programs("pdfinfo")
    out = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(pdf)], check=True, capture_output=True,
                         timeout=60).stdout.decode("utf-8")
    fields = {}
    for line in out.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


# A contents line as LibreOffice lays it out: number, title, dot leaders, page number.
_CONTENTS_LINE = re.compile(r"^\s*(\d+(?:\.\d+)*)\s+(\S.*?)\s*\.{4,}\s*(\d+)\s*$")


def contents_entries(pages: list[str]) -> list[tuple[str, str, int]]:
    """(number, heading, page) for each entry of the contents list that shows a page number; an entry too
    long for one line is read across two."""
    entries = []
    for page in pages:
        lines = page.splitlines()
        for i, line in enumerate(lines):
            m = _CONTENTS_LINE.match(line)
            if m is None and i + 1 < len(lines) and not _CONTENTS_LINE.match(lines[i + 1]):
                m = _CONTENTS_LINE.match(line.rstrip() + " " + lines[i + 1].strip())
            if m is not None:
                entries.append((m[1], m[2], int(m[3])))
    return entries


def pages_with_heading(pages: list[str], number: str, title: str) -> list[int]:
    """The pages (from 1) where the numbered heading itself is printed (not its contents line)."""
    heading = re.compile(r"^\s*" + re.escape(number) + r"\s+" + re.escape(title[:30]))
    return [n for n, page in enumerate(pages, 1)
            if any(heading.match(line) and not _CONTENTS_LINE.match(line) for line in page.splitlines())]
