"""PDF output by LibreOffice (protocolgen.write.pdf): every document of the example area converted by one
soffice, with the contents list's page numbers filled in and right, the title and language in the PDF, and
tagged; clear errors for everything that can go wrong, and no process left behind.

The tests that need LibreOffice and its UNO bridge skip with the reason where they are missing, and fail in
CI. The tests of time-outs, crashes and start-up failures use a stand-in office (small scripts that speak the
worker's protocol), so they run anywhere with a POSIX shell and never wait long.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.util
import json
import os
import re
import shutil
import stat
import sys
import textwrap
import zipfile
from pathlib import Path

import pypdf
import pytest
from office import (
    built_example,
    contents_entries,
    example_documents,
    pages_with_heading,
    pdf_info,
    pdf_pages,
    require_programs,
    tool_missing,
)
from pypdf.generic import BooleanObject

from protocolgen.errors import ProtocolgenError
from protocolgen.write import DocMeta, DocxWriter
from protocolgen.write import pdf as pdfmod
from protocolgen.write._soffice_worker import PREFIX
from protocolgen.write.pdf import (
    LibreOffice,
    LibreOfficeMissing,
    PdfConversionFailed,
    PdfError,
    convert_to_pdf,
    find_libreoffice,
    libreoffice_path,
)

META = DocMeta(title="A short test document", subject="Testing", author="Tester", keywords=("test",),
               created=datetime.date(2026, 4, 1), version="1.0", issue_date_text="1 April 2026")


@pytest.fixture(scope="module")
def office() -> LibreOffice:
    require_programs("pdftotext", "pdfinfo")
    try:
        return find_libreoffice()
    except LibreOfficeMissing as error:
        tool_missing(str(error))


def _core(docx: Path, name: str) -> str:
    with zipfile.ZipFile(docx) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
    found = re.search(rf"<{name}[^>]*>([^<]*)</{name}>", core)
    assert found, (docx, name)
    return found.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def _catalogue(pdf: Path) -> dict:
    return pypdf.PdfReader(pdf).trailer["/Root"]


def _executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _counting_soffice(tmp_path: Path, real: str) -> tuple[Path, Path]:
    """A soffice that notes each start in a log, then is the real one."""
    log = tmp_path / "soffice-starts.log"
    wrapper = _executable(tmp_path / "soffice", f'#!/bin/sh\necho start >> "{log}"\nexec "{real}" "$@"\n')
    return wrapper, log


# --- every document of the example area ------------------------------------------------------------------


@dataclasses.dataclass
class Converted:
    documents: list[Path]
    pdfs: list[Path]
    progress: list[Path]
    soffice_starts: list[str]
    folder: Path


@pytest.fixture(scope="module")
def converted(office: LibreOffice, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    """Every document of the example build (a copy) converted beside itself in one call, by a soffice that
    notes each time it is started."""
    if os.name != "posix":
        pytest.skip("the counting soffice is a POSIX shell script")
    work = tmp_path_factory.mktemp("pdf-all")
    copy = work / "out"
    shutil.copytree(built_example(tmp_path_factory), copy)
    documents = example_documents(copy)
    soffice, starts = _counting_soffice(work, office.soffice)
    progress: list[Path] = []
    pdfs = convert_to_pdf(documents, office=LibreOffice(str(soffice), office.python), progress=progress.append)
    return Converted(documents, pdfs, progress, starts.read_text().split(), copy)


def test_every_example_document_converts_with_one_libreoffice(converted):
    assert len(converted.documents) >= 50
    assert converted.soffice_starts == ["start"]  # one LibreOffice for all of them
    assert converted.pdfs == [d.with_suffix(".pdf") for d in converted.documents]  # beside each, in order
    assert sorted(converted.progress) == sorted(converted.pdfs)
    for document, pdf in zip(converted.documents, converted.pdfs, strict=True):
        assert pdf.read_bytes().startswith(b"%PDF-"), pdf
        info = pdf_info(pdf)
        title = _core(document, "dc:title")
        assert info["Title"] == title, pdf
        assert info["Tagged"] == "yes", pdf
        catalogue = _catalogue(pdf)
        assert catalogue["/Lang"] == _core(document, "dc:language") == "en-GB", pdf
        assert catalogue["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True), pdf
        words = " ".join("\n".join(pdf_pages(pdf)).split())
        assert len(words) > 500, pdf
        assert title.split(":")[0] in words, pdf
    leftovers = [p for p in converted.folder.rglob("*") if p.name.endswith(".part") or p.name.startswith(".~lock")]
    assert leftovers == []


def test_contents_list_shows_the_right_page_of_every_heading(converted):
    protocols = [(d, p) for d, p in zip(converted.documents, converted.pdfs, strict=True) if d.name == "protocol.docx"]
    assert len(protocols) >= 4
    for protocol, pdf in protocols:
        pages = pdf_pages(pdf)
        entries = contents_entries(pages)
        with zipfile.ZipFile(protocol) as archive:
            links = len(re.findall(r'w:anchor="_Toc\d+"', archive.read("word/document.xml").decode("utf-8")))
        assert links > 10
        assert len(entries) == links, (protocol, entries)  # every contents line has its page number
        for number, heading, page in entries:
            assert pages_with_heading(pages, number, heading) == [page], (protocol, number, heading, page)
        assert len({page for _, _, page in entries}) > 3  # real page numbers, not one repeated


# --- what is taken from the document ---------------------------------------------------------------------


def test_title_and_language_come_from_the_document(office, tmp_path):
    source = tmp_path / "hysbysiad.docx"
    meta = dataclasses.replace(META, title="Hysbysiad preifatrwydd – prawf", language="cy-GB")
    source.write_bytes(DocxWriter().render("# Pwy ydym ni\n\nTestun y ddogfen.\n", meta))
    [pdf] = convert_to_pdf([source], office=office)
    assert pdf == tmp_path / "hysbysiad.pdf"
    assert pdf_info(pdf)["Title"] == "Hysbysiad preifatrwydd – prawf"
    assert _catalogue(pdf)["/Lang"] == "cy-GB"
    assert "Testun y ddogfen." in "".join(pdf_pages(pdf))
    outline = pypdf.PdfReader(pdf).outline
    assert [item.title for item in outline if not isinstance(item, list)][-1].endswith("Pwy ydym ni")


def test_same_document_gives_the_same_pdf(office, tmp_path):
    source = tmp_path / "doc.docx"
    source.write_bytes(DocxWriter().render("# One\n\n::: toc\n:::\n\n## Two\n\nText.\n", META))
    first = convert_to_pdf([source], tmp_path / "a", office=office)[0].read_bytes()
    second = convert_to_pdf([source], tmp_path / "b", office=office)[0].read_bytes()
    assert first == second
    # the export time is replaced by the document's own date
    assert pdf_info(tmp_path / "a" / "doc.pdf")["CreationDate"].startswith("Wed Apr  1 00:00:00 2026")
    pypdf.PdfReader(tmp_path / "a" / "doc.pdf", strict=True).pages[0].extract_text()  # still a sound PDF


def test_paths_with_spaces_and_accents(office, tmp_path):
    folder = tmp_path / "Café notes (été)"
    folder.mkdir()
    source = folder / "avis à tous.docx"
    source.write_bytes(DocxWriter().render("# Un\n\nBonjour.\n", META))
    [pdf] = convert_to_pdf([source], office=office)
    assert pdf == folder / "avis à tous.pdf"
    assert "Bonjour." in "".join(pdf_pages(pdf))


def test_an_existing_pdf_is_replaced(office, tmp_path):
    source = tmp_path / "doc.docx"
    source.write_bytes(DocxWriter().render("# Un\n\nNew text.\n", META))
    (tmp_path / "doc.pdf").write_bytes(b"old")
    [pdf] = convert_to_pdf([source], office=office)
    assert "New text." in "".join(pdf_pages(pdf))


# --- documents LibreOffice cannot convert ----------------------------------------------------------------


def test_bad_documents_are_named_and_the_rest_still_convert(office, tmp_path):
    good = tmp_path / "good.docx"
    good.write_bytes(DocxWriter().render("# Good\n\nFine.\n", META))
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    text = tmp_path / "text.docx"
    text.write_text("just some words", encoding="utf-8")
    not_word = tmp_path / "not-word.docx"
    with zipfile.ZipFile(not_word, "w") as archive:
        archive.writestr("hello.txt", "a zip, but no Word document inside")
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])

    with pytest.raises(PdfConversionFailed) as caught:
        convert_to_pdf([empty, good, text, not_word, truncated], office=office)
    error = caught.value
    assert isinstance(error, ProtocolgenError)
    assert set(error.failures) == {empty, text, not_word, truncated}
    assert error.converted == [tmp_path / "good.pdf"]
    for bad in (empty, text, not_word, truncated):
        assert str(bad) in str(error)
    assert "not a Word document" in error.failures[empty]
    assert "could not open it as a Word document" in error.failures[not_word]
    assert "Fine." in "".join(pdf_pages(tmp_path / "good.pdf"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".docx") == ["good.pdf"]


# --- no LibreOffice ---------------------------------------------------------------------------------------


@pytest.fixture()
def no_office(monkeypatch, tmp_path):
    """A machine without LibreOffice: nothing on PATH, no install in the usual places."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    for name in ("PROTOCOLGEN_SOFFICE", "PROTOCOLGEN_UNO_PYTHON", "PROGRAMFILES", "PROGRAMFILES(X86)"):
        monkeypatch.delenv(name, raising=False)
    if Path("/Applications/LibreOffice.app/Contents/MacOS/soffice").is_file():
        pytest.skip("LibreOffice is installed in /Applications")


def test_libreoffice_path_is_none_without_it(no_office):
    assert libreoffice_path() is None


def test_without_libreoffice_pdf_is_a_clear_error_saying_how_to_install(no_office, tmp_path):
    source = tmp_path / "doc.docx"
    source.write_bytes(DocxWriter().render("# Un\n", META))
    with pytest.raises(LibreOfficeMissing) as caught:
        convert_to_pdf([source])
    message = str(caught.value)
    assert "needs LibreOffice" in message and "apt-get install libreoffice-writer-nogui python3-uno" in message
    assert "libreoffice.org" in message
    assert not (tmp_path / "doc.pdf").exists()


def test_nothing_to_convert_needs_no_libreoffice(no_office):
    assert convert_to_pdf([]) == []


def test_soffice_found_on_path_and_by_variable(no_office, monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = _executable(bin_dir / "soffice", "#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    if os.name == "posix":
        assert libreoffice_path() == str(fake)
    other = _executable(tmp_path / "my-soffice", "#!/bin/sh\n")
    monkeypatch.setenv("PROTOCOLGEN_SOFFICE", str(other))
    assert libreoffice_path() == str(other)


def test_a_wrong_soffice_variable_is_named(no_office, monkeypatch, tmp_path):
    monkeypatch.setenv("PROTOCOLGEN_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    with pytest.raises(LibreOfficeMissing, match=r"PROTOCOLGEN_SOFFICE is set to .*nowhere.*which is not a file"):
        find_libreoffice()


@pytest.mark.skipif(importlib.util.find_spec("uno") is not None, reason="this Python has the UNO bridge")
def test_libreoffice_without_its_bridge_is_a_clear_error(no_office, monkeypatch, tmp_path):
    fake = _executable(tmp_path / "soffice", "#!/bin/sh\n")
    monkeypatch.setenv("PROTOCOLGEN_SOFFICE", str(fake))
    monkeypatch.setenv("PROTOCOLGEN_UNO_PYTHON", sys.executable)  # ours, which cannot import uno
    with pytest.raises(LibreOfficeMissing) as caught:
        find_libreoffice()
    assert "Python bridge (UNO)" in str(caught.value) and "apt-get install python3-uno" in str(caught.value)


# --- what the caller gets wrong ---------------------------------------------------------------------------


def test_a_missing_document_is_named(tmp_path):
    with pytest.raises(PdfError, match=r"nowhere\.docx: no such document"):
        convert_to_pdf([tmp_path / "nowhere.docx"], office=LibreOffice("soffice", "python"))


def test_two_documents_of_one_name_into_one_folder_is_an_error(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "protocol.docx").write_bytes(b"PK")
    with pytest.raises(PdfError, match=r"would both be converted to .*protocol\.pdf"):
        convert_to_pdf([tmp_path / "a" / "protocol.docx", tmp_path / "b" / "protocol.docx"], tmp_path / "pdf",
                       office=LibreOffice("soffice", "python"))


def test_an_output_folder_that_cannot_be_made_is_an_error(tmp_path):
    source = tmp_path / "doc.docx"
    source.write_bytes(b"PK")
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(PdfError, match="cannot create the folder"):
        convert_to_pdf([source], tmp_path / "file" / "pdf", office=LibreOffice("soffice", "python"))


# --- a stand-in office: time-outs, crashes, start-up failures ----------------------------------------------

FAKE_WORKER = """\
import json, os, sys, time
args = sys.argv[2:]  # after the real worker's path
jobs = json.load(open(args[args.index("--jobs") + 1], encoding="utf-8"))
mode = os.environ.get("FAKE_MODE", "")
def say(event, **fields):
    print(PREFIX + json.dumps(dict(event=event, **fields)), flush=True)
if mode == "unreachable" or (mode == "unreachable-again" and os.path.exists(os.environ["FAKE_LOG"])):
    say("unreachable", error="no answer on the pipe"); sys.exit(3)
if mode == "silent":
    time.sleep(600)
if mode == "dies":
    sys.exit(1)
print("uno noise that is not a report line", flush=True)
say("ready")
for index, (source, target) in enumerate(jobs):
    say("start", index=index)
    name = os.path.basename(source)
    with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {name}\\n")
    if "hang" in name:
        time.sleep(600)
    if "crash" in name:
        sys.exit(3)
    if "refused" in name:
        say("failed", index=index, error="LibreOffice failed (IOException: no space)"); continue
    if "empty" in name:
        say("done", index=index); continue
    open(target, "wb").write(b"%PDF-1.4 from " + name.encode())
    say("done", index=index)
say("finished")
# as desktop.terminate() does: the office quits
os.kill(int(open(os.environ["FAKE_PIDS"]).read().split()[-1]), 15)
"""


@pytest.fixture()
def fake_office(tmp_path, monkeypatch):
    """A LibreOffice stand-in: 'soffice' records its process id and waits, as an office does; 'python' runs a
    worker that speaks the real protocol and misbehaves on request (by document name or FAKE_MODE)."""
    if os.name != "posix":
        pytest.skip("the stand-in office is a POSIX shell script")
    pids = tmp_path / "office-pids"
    soffice = _executable(tmp_path / "fake-soffice", f'#!/bin/sh\necho $$ >> "{pids}"\nexec sleep 600\n')
    worker = tmp_path / "fake_worker.py"
    worker.write_text(f"PREFIX = {PREFIX!r}\n" + FAKE_WORKER, encoding="utf-8")
    python = _executable(tmp_path / "fake-python", f'#!/bin/sh\nexec "{sys.executable}" "{worker}" "$@"\n')
    log = tmp_path / "worker.log"
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_PIDS", str(pids))
    return LibreOffice(str(soffice), str(python)), pids, log


def _documents(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for name in names:
        path = folder / f"{name}.docx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        paths.append(path)
    return paths


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_fake_office_converts_everything_in_one_session(fake_office, tmp_path):
    office, pids, _ = fake_office
    docs = _documents(tmp_path / "docs", "one", "two", "three")
    assert convert_to_pdf(docs, office=office) == [d.with_suffix(".pdf") for d in docs]
    assert len(_pids(pids)) == 1
    assert not any(_alive(pid) for pid in _pids(pids))  # the office is gone when the call returns


def test_a_document_that_hangs_is_stopped_and_the_rest_convert(fake_office, tmp_path):
    office, pids, log = fake_office
    docs = _documents(tmp_path / "docs", "a-first", "b-hang", "c-last")
    with pytest.raises(PdfConversionFailed) as caught:
        convert_to_pdf(docs, office=office, timeout=2)
    error = caught.value
    assert list(error.failures) == [docs[1]]
    assert "took longer than 2 seconds" in error.failures[docs[1]]
    assert error.converted == [docs[0].with_suffix(".pdf"), docs[2].with_suffix(".pdf")]
    assert (tmp_path / "docs" / "c-last.pdf").read_bytes() == b"%PDF-1.4 from c-last.docx"
    # a fresh office took over after the time-out; none of them, nor the stuck worker, is left running
    assert len(_pids(pids)) == 2
    workers = [int(line.split()[0]) for line in log.read_text().splitlines()]
    assert not any(_alive(pid) for pid in _pids(pids) + workers)
    assert not list((tmp_path / "docs").glob(".*.part"))


def test_a_crash_is_named_and_a_fresh_office_does_the_rest(fake_office, tmp_path):
    office, pids, log = fake_office
    docs = _documents(tmp_path / "docs", "a", "b-crash", "c", "d-refused", "e-empty")
    with pytest.raises(PdfConversionFailed) as caught:
        convert_to_pdf(docs, office=office)
    failures = caught.value.failures
    assert list(failures) == [docs[1], docs[3], docs[4]]
    assert failures[docs[1]].startswith("LibreOffice stopped while converting it")
    assert failures[docs[3]] == "LibreOffice failed (IOException: no space)"
    assert failures[docs[4]] == "LibreOffice reported success but wrote no PDF"
    assert [p.name for p in caught.value.converted] == ["a.pdf", "c.pdf"]
    assert [line.split()[1] for line in log.read_text().splitlines()] == [
        "a.docx", "b-crash.docx", "c.docx", "d-refused.docx", "e-empty.docx"]  # each tried once
    assert len(_pids(pids)) == 2
    message = str(caught.value)
    assert "could not make a PDF of 3 document(s) (2 other(s) converted)" in message
    assert f"  {docs[1]}: LibreOffice stopped" in message


def test_an_office_that_will_not_start_again_after_a_crash_fails_the_rest(fake_office, tmp_path, monkeypatch):
    office, _, _ = fake_office
    monkeypatch.setenv("FAKE_MODE", "unreachable-again")
    docs = _documents(tmp_path / "docs", "a", "b-crash", "c")
    with pytest.raises(PdfConversionFailed) as caught:
        convert_to_pdf(docs, office=office)
    assert caught.value.converted == [docs[0].with_suffix(".pdf")]
    assert list(caught.value.failures) == [docs[1], docs[2]]
    assert caught.value.failures[docs[2]].startswith("not converted, as LibreOffice would not start again: "
                                                    "cannot drive LibreOffice")


@pytest.mark.parametrize(("mode", "expected"), [
    ("unreachable", "cannot drive LibreOffice .* through its bridge: no answer on the pipe"),
    ("dies", "cannot drive LibreOffice .* through its bridge"),
    ("silent", "did not start within 1 seconds"),
])
def test_an_office_that_does_not_start_is_a_clear_error(fake_office, tmp_path, monkeypatch, mode, expected):
    office, pids, _ = fake_office
    monkeypatch.setenv("FAKE_MODE", mode)
    docs = _documents(tmp_path / "docs", "one")
    with pytest.raises(PdfError, match=expected) as caught:
        convert_to_pdf(docs, office=office, timeout=1)
    assert not isinstance(caught.value, PdfConversionFailed)
    assert not any(_alive(pid) for pid in _pids(pids))
    assert not (tmp_path / "docs" / "one.pdf").exists()


def test_a_launcher_that_exits_at_once_is_reported_with_its_output(fake_office, tmp_path, monkeypatch):
    office, _, _ = fake_office
    broken = _executable(tmp_path / "broken-soffice",
                         '#!/bin/sh\necho "soffice.bin: error while loading shared libraries" >&2\nexit 127\n')
    monkeypatch.setenv("FAKE_MODE", "silent")
    docs = _documents(tmp_path / "docs", "one")
    with pytest.raises(PdfError, match="stopped as it started") as caught:
        convert_to_pdf(docs, office=LibreOffice(str(broken), office.python), timeout=60)
    assert "error while loading shared libraries" in str(caught.value)


def test_the_worker_runs_on_the_bridge_interpreter_without_our_packages(fake_office, tmp_path, monkeypatch):
    """PYTHONPATH and PYTHONHOME point at our Python's packages; the bridge's Python must not see them."""
    office, _, _ = fake_office
    monkeypatch.setenv("PYTHONPATH", "/somewhere/ours")
    seen = tmp_path / "env.json"
    python = _executable(tmp_path / "env-python", textwrap.dedent(f"""\
        #!/bin/sh
        "{sys.executable}" -c 'import json, os; json.dump({{k: os.environ.get(k) for k in ("PYTHONPATH", "PYTHONIOENCODING")}}, open("{seen}", "w"))'
        exec "{office.python}" "$@"
        """))
    convert_to_pdf(_documents(tmp_path / "docs", "one"), office=LibreOffice(office.soffice, str(python)))
    assert json.loads(seen.read_text()) == {"PYTHONPATH": None, "PYTHONIOENCODING": "utf-8"}


def test_the_module_names_its_worker_and_it_exists():
    assert pdfmod._WORKER.is_file()
    assert pdfmod._PREFIX == PREFIX
