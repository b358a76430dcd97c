"""``build --pdf``: a PDF beside each public document and protocol, made by one LibreOffice after the Word
documents are written, recorded in the manifest like the other files (hand edits held back, index.html
links them), and a rebuild with nothing changed writes nothing.

The first part runs the real LibreOffice (skipped with the reason where it is missing, failed in CI); the
second replaces the converter with a stand-in that writes small fake PDFs, to check the bookkeeping (hand
edits, a failed conversion, a build without --pdf) quickly and without an office suite.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A
from office import pdf_info, pdf_pages, tool_missing

from protocolgen.build import PDF_KINDS
from protocolgen.cli import main
from protocolgen.manifest import MANIFEST_NAME, sha256
from protocolgen.write import pdf as pdfmod
from protocolgen.write.pdf import LibreOffice, LibreOfficeMissing, PdfConversionFailed, find_libreoffice


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def records(out: Path) -> dict[str, dict]:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}


def pdfs_of(out: Path) -> dict[str, str]:
    """Every PDF in the output folder, by document id, with the hash of its bytes."""
    return {p.relative_to(out).as_posix().removesuffix(".pdf"): sha256(p.read_bytes())
            for p in out.rglob("*.pdf") if ".protocolgen" not in p.parts}


# --- with LibreOffice -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def office() -> LibreOffice:
    try:
        return find_libreoffice()
    except LibreOfficeMissing as error:
        tool_missing(str(error))


@pytest.fixture(scope="module")
def built(office: LibreOffice, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Result]:
    """The minimal area built with --pdf by a soffice that notes each time it is started."""
    if os.name != "posix":
        pytest.skip("the counting soffice is a POSIX shell script")
    work = tmp_path_factory.mktemp("build-pdf")
    starts = work / "soffice-starts.log"
    wrapper = work / "soffice"
    wrapper.write_text(f'#!/bin/sh\necho start >> "{starts}"\nexec "{office.soffice}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    root = A.write_area(work / "area")
    out = work / "out"
    env = {"PROTOCOLGEN_SOFFICE": str(wrapper), "PROTOCOLGEN_UNO_PYTHON": office.python}
    result = run("build", root, "-o", out, "--pdf", env=env)
    return root, out, starts, result


def test_a_pdf_beside_each_public_document_and_protocol_by_one_libreoffice(built) -> None:
    _, out, starts, result = built
    assert result.exit_code == 0, result.output
    documents = records(out)
    wanted = {doc for doc in documents if not doc.endswith("/decision-record")}
    assert wanted and set(pdfs_of(out)) == wanted  # the internal decision record has none
    assert f"and {len(wanted)} PDFs" in result.stdout
    assert starts.read_text().split() == ["start"]  # one LibreOffice for every document
    for doc in sorted(wanted):
        pdf = out / f"{doc}.pdf"
        assert pdf_info(pdf)["Title"] == documents[doc]["title"]
        text = " ".join(" ".join(pdf_pages(pdf)).split())
        assert "DRAFT" in text  # the draft the build wrote, not some other file
        # Recorded like the other files, and linked from the index.
        assert documents[doc]["files"][f"{doc}.pdf"] == sha256(pdf.read_bytes())
    index = (out / "index.html").read_text(encoding="utf-8")
    for doc in wanted:
        assert f'<a href="{doc}.pdf">PDF</a>' in index


def test_a_rebuild_with_nothing_changed_writes_nothing_and_starts_no_office(built) -> None:
    root, out, starts, _ = built
    before = snapshot(out)
    again = run("build", root, "-o", out, "--pdf", env={"PROTOCOLGEN_SOFFICE": str(starts.parent / "soffice")})
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    assert snapshot(out) == before
    assert starts.read_text().split() == ["start"]


def test_the_same_documents_give_the_same_pdfs_wherever_they_are_built(built, tmp_path: Path) -> None:
    root, out, _, _ = built
    other = tmp_path / "again"
    assert run("build", root, "-o", other, "--pdf").exit_code == 0
    assert pdfs_of(other) == pdfs_of(out)
    # A link to the notice's web page stays relative, so the PDF works wherever it is published.
    assert b"URI(privacy-notice.html)" in (out / "panels/early-help/young-people.pdf").read_bytes()


def test_a_change_remakes_the_pdfs_of_the_documents_it_changes(built, tmp_path: Path) -> None:
    work = A.write_area(tmp_path / "copy")
    out = tmp_path / "copy-out"
    assert run("build", work, "-o", out, "--pdf").exit_code == 0
    before, words = pdfs_of(out), {p: p.read_bytes() for p in out.rglob("*.docx")}
    A.set_field(work, A.CHARITY, "description", "North Youth Trust runs the Harbour Street youth centre.")
    result = run("build", work, "-o", out, "--pdf")
    assert result.exit_code == 0, result.output
    after = pdfs_of(out)
    rewritten = {p.relative_to(out).as_posix().removesuffix(".docx") for p in out.rglob("*.docx")
                 if words.get(p) != p.read_bytes()}
    assert {doc for doc in after if after[doc] != before[doc]} == rewritten & set(after)
    assert "agencies/north-youth-trust/privacy-notice" in rewritten
    assert "agencies/north-council/privacy-notice" not in rewritten
    text = " ".join(" ".join(pdf_pages(out / "agencies/north-youth-trust/privacy-notice.pdf")).split())
    assert "Harbour Street youth centre" in text


# --- without LibreOffice --------------------------------------------------------------------------------


def test_without_libreoffice_pdf_fails_at_once_saying_how_to_install(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    for name in ("PROTOCOLGEN_SOFFICE", "PROTOCOLGEN_UNO_PYTHON", "PROGRAMFILES", "PROGRAMFILES(X86)"):
        monkeypatch.delenv(name, raising=False)
    if Path("/Applications/LibreOffice.app/Contents/MacOS/soffice").is_file():
        pytest.skip("LibreOffice is installed in /Applications")
    root = A.write_area(tmp_path / "area")
    out = tmp_path / "out"
    result = run("build", root, "-o", out, "--pdf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "PDF output needs LibreOffice" in result.stderr and "apt-get install" in result.stderr
    assert not out.exists()  # nothing was done before the check
    assert run("build", root, "-o", out).exit_code == 0  # the rest of the build does not need it


# --- the bookkeeping, with a stand-in converter ----------------------------------------------------------


class FakeConverter:
    """Writes '%PDF-fake' and the Word document's hash as each PDF; fails the documents it is told to."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.fail: set[str] = set()

    def __call__(self, paths, out_dir=None, *, timeout=0.0, office=None, progress=None):
        self.calls.append([Path(p).as_posix() for p in paths])
        done, failures = [], {}
        for path in map(Path, paths):
            if any(path.as_posix().endswith(f"{doc}.docx") for doc in self.fail):
                failures[path] = "LibreOffice could not open it"
                continue
            target = path.with_suffix(".pdf")
            target.write_bytes(b"%PDF-fake " + sha256(path.read_bytes()).encode())
            done.append(target)
            if progress is not None:
                progress(target)
        if failures:
            raise PdfConversionFailed(failures, done)
        return done


@pytest.fixture()
def fake(monkeypatch) -> FakeConverter:
    converter = FakeConverter()
    monkeypatch.setattr(pdfmod, "find_libreoffice", lambda: LibreOffice("soffice", "python"))
    monkeypatch.setattr(pdfmod, "convert_to_pdf", converter)
    return converter


@pytest.fixture()
def area(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


NOTICE = "agencies/north-youth-trust/privacy-notice"


def test_the_pdf_kinds_are_the_public_documents_and_protocols() -> None:
    public = {"protocol", "panel-notice", "young-people", "agency-notice", "consent-form", "panel-consent-form"}
    assert public == PDF_KINDS


def test_a_pdf_edited_by_hand_is_held_back_and_force_keeps_a_copy(fake: FakeConverter, area: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", area, "-o", out, "--pdf").exit_code == 0
    edited = out / f"{NOTICE}.pdf"
    edited.write_bytes(b"%PDF-1.7 signed and annotated by hand")
    status = run("status", area, "-o", out)
    assert status.exit_code == 3 and f"edited by hand: {edited.as_posix()}" in status.stdout

    held = run("build", area, "-o", out, "--pdf")
    assert held.exit_code == 4, held.output  # held back: a distinct exit code
    assert edited.as_posix() in held.stderr and "--force" in held.stderr
    assert edited.read_bytes() == b"%PDF-1.7 signed and annotated by hand"
    assert len(fake.calls) == 1  # nothing else needed converting

    forced = run("build", area, "-o", out, "--pdf", "--force")
    assert forced.exit_code == 0, forced.output
    backups = list(edited.parent.glob("privacy-notice.edited-*.pdf"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"%PDF-1.7 signed and annotated by hand"
    assert edited.read_bytes().startswith(b"%PDF-fake ")
    assert records(out)[NOTICE]["files"][f"{NOTICE}.pdf"] == sha256(edited.read_bytes())
    assert run("status", area, "-o", out).exit_code == 0


def test_a_deleted_pdf_is_made_again_and_only_it(fake: FakeConverter, area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", area, "-o", out, "--pdf").exit_code == 0
    (out / f"{NOTICE}.pdf").unlink()
    result = run("build", area, "-o", out, "--pdf")
    assert result.exit_code == 0, result.output
    assert fake.calls[-1] == [(out / f"{NOTICE}.docx").as_posix()]
    assert (out / f"{NOTICE}.pdf").is_file()


def test_a_first_build_with_pdf_after_one_without_converts_every_document_and_rewrites_no_word_file(
        fake: FakeConverter, area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", area, "-o", out).exit_code == 0
    words = {p: p.read_bytes() for p in out.rglob("*.docx")}
    result = run("build", area, "-o", out, "--pdf")
    assert result.exit_code == 0, result.output
    assert len(fake.calls) == 1 and len(fake.calls[0]) == len(pdfs_of(out)) == 10
    assert {p: p.read_bytes() for p in out.rglob("*.docx")} == words


def test_a_failed_pdf_is_named_not_recorded_and_made_by_the_next_build(fake: FakeConverter, area: Path,
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "out"
    fake.fail = {NOTICE}
    result = run("build", area, "-o", out, "--pdf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "could not make a PDF of 1 document" in result.stderr and f"{NOTICE}.docx" in result.stderr
    documents = records(out)  # the build is complete apart from that PDF: Word documents, index, manifest
    assert f"{NOTICE}.pdf" not in documents[NOTICE]["files"]
    assert all(f"{doc}.pdf" in rec["files"] for doc, rec in documents.items()
               if doc != NOTICE and not doc.endswith("decision-record"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{NOTICE}.pdf"' not in index and 'href="agencies/north-council/privacy-notice.pdf"' in index
    assert not (out / ".protocolgen-pending.json").exists()

    fake.fail = set()
    again = run("build", area, "-o", out, "--pdf")
    assert again.exit_code == 0, again.output
    assert fake.calls[-1] == [(out / f"{NOTICE}.docx").as_posix()]
    assert f'href="{NOTICE}.pdf"' in (out / "index.html").read_text(encoding="utf-8")


def test_a_build_without_pdf_removes_the_pdfs_of_the_documents_it_rewrites(fake: FakeConverter, area: Path,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", area, "-o", out, "--pdf").exit_code == 0
    A.set_field(area, A.CHARITY, "description", "North Youth Trust runs a youth centre on Harbour Street.")
    result = run("build", area, "-o", out)
    assert result.exit_code == 0, result.output
    assert "removed" in result.stderr and "build with --pdf" in result.stderr
    assert not (out / f"{NOTICE}.pdf").exists()  # it showed the old description
    assert (out / "agencies/north-council/privacy-notice.pdf").is_file()  # unchanged, still current
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{NOTICE}.pdf"' not in index and 'href="agencies/north-council/privacy-notice.pdf"' in index


def test_issue_with_pdf_remakes_the_pdfs_of_what_it_issues_and_without_removes_the_drafts(
        fake: FakeConverter, area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", area, "-o", out, "--pdf").exit_code == 0
    drafts = pdfs_of(out)
    issued = run("issue", area, "-o", out, "--pdf")
    assert issued.exit_code == 0, issued.output
    # Every issued document is rewritten (no DRAFT mark), and so is its PDF, from the issued Word document.
    assert set(pdfs_of(out)) == set(drafts) and all(pdfs_of(out)[doc] != drafts[doc] for doc in drafts)
    for doc in drafts:
        assert (out / f"{doc}.pdf").read_bytes() == b"%PDF-fake " + sha256((out / f"{doc}.docx").read_bytes()).encode()

    other = tmp_path / "other"
    assert run("build", area, "-o", other, "--pdf").exit_code == 0
    plain = run("issue", area, "-o", other)
    assert plain.exit_code == 0, plain.output
    assert pdfs_of(other) == {} and "build with --pdf" in plain.stderr  # no PDF of a draft stays beside an issue


def test_emit_markdown_rewrites_no_pdf_when_the_documents_are_as_they_were(fake: FakeConverter, area: Path,
                                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", area, "-o", out, "--pdf").exit_code == 0
    before = pdfs_of(out)
    assert run("build", area, "-o", out, "--emit-markdown").exit_code == 0
    assert (out / f"{NOTICE}.md").is_file() and pdfs_of(out) == before  # kept: the documents did not change
    assert run("build", area, "-o", out, "--emit-markdown", "--pdf").exit_code == 0
    assert len(fake.calls) == 1 and pdfs_of(out) == before
