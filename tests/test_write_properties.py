"""DocMeta's marking, status label and custom properties: in the page header and footer, and in
``docProps/custom.xml``, read back with python-docx, lxml, read_custom_properties and LibreOffice."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from lxml import etree

from protocolgen.write import DocxWriter, read_custom_properties

sys.path.insert(0, str(Path(__file__).parent))
from office import convert_to_pdf, needs_soffice
from test_write_docx import META, SAMPLE

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
MARKED = replace(META, marking="OFFICIAL", status_label="DRAFT",
                 custom=(("protocolgen-id", "panel:complex-needs/protocol"), ("protocolgen-version", "1.2"),
                         ("protocolgen-content-hash", "9f2c" * 16)))


@pytest.fixture(scope="module")
def writer() -> DocxWriter:
    return DocxWriter()


def header_and_footer(data: bytes) -> tuple[list, list]:
    section = docx.Document(io.BytesIO(data)).sections[0]
    return section.header.paragraphs, section.footer.paragraphs


def test_marking_heads_the_header_and_ends_the_footer(writer):
    header, footer = header_and_footer(writer.render(SAMPLE, MARKED))
    assert [p.text for p in header] == ["OFFICIAL", "DRAFT", META.title]
    assert footer[-1].text == "OFFICIAL"
    # a draft is dated, not issued
    assert footer[0].text.startswith("WSCP-ISP-COMPLEX-NEEDS | Version 1.0 | Dated 1 April 2026 | Page ")
    _header, issued_footer = header_and_footer(writer.render(SAMPLE, replace(MARKED, status_label="")))
    assert issued_footer[0].text.startswith("WSCP-ISP-COMPLEX-NEEDS | Version 1.0 | Issued 1 April 2026 | Page ")
    for p in (header[0], footer[-1]):
        assert p.alignment == 1  # centred
        assert p.runs[0].bold


def test_status_label_is_bold_and_larger_than_the_header(writer):
    header, _ = header_and_footer(writer.render(SAMPLE, replace(META, status_label="DRAFT")))
    assert [p.text for p in header] == ["DRAFT", META.title]
    status, title = header
    assert status.runs[0].bold
    assert status.runs[0].font.size.pt == 14
    header_size = status.style.font.size.pt  # the header style's size (9 pt in the bundled reference)
    assert status.runs[0].font.size.pt > header_size
    assert title.runs[0].font.size is None and not title.runs[0].bold


def test_marking_alone_leaves_no_status_line(writer):
    header, footer = header_and_footer(writer.render(SAMPLE, replace(META, marking="OFFICIAL-SENSITIVE")))
    assert [p.text for p in header] == ["OFFICIAL-SENSITIVE", META.title]
    assert [p.text for p in footer][-1] == "OFFICIAL-SENSITIVE"


def test_without_marking_status_or_custom_the_package_is_as_before(writer):
    data = writer.render(SAMPLE, META)
    header, footer = header_and_footer(data)
    assert [p.text for p in header] == [META.title]
    assert len(footer) == 1
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "docProps/custom.xml" not in archive.namelist()
        assert b"custom-properties" not in archive.read("[Content_Types].xml")
        assert b"custom-properties" not in archive.read("_rels/.rels")
    assert read_custom_properties(data) == {}


def test_custom_properties_are_written_and_read_back(writer):
    data = writer.render(SAMPLE, MARKED)
    assert read_custom_properties(data) == dict(MARKED.custom)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = etree.fromstring(archive.read("[Content_Types].xml"))
        override = [o for o in types if o.get("PartName") == "/docProps/custom.xml"]
        assert override[0].get("ContentType") == "application/vnd.openxmlformats-officedocument.custom-properties+xml"
        rels = etree.fromstring(archive.read("_rels/.rels"))
        targets = {r.get("Target"): r.get("Type") for r in rels}
        assert targets["docProps/custom.xml"].endswith("/relationships/custom-properties")
        assert len({r.get("Id") for r in rels}) == len(rels)
        custom = etree.fromstring(archive.read("docProps/custom.xml"))
        pids = [p.get("pid") for p in custom]
        assert pids == ["2", "3", "4"]  # Office numbers user-defined properties from 2
        assert {p.get("fmtid") for p in custom} == {"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"}


def test_custom_property_text_is_escaped(writer):
    tricky = (("note", 'a <b> & "c" \u00e9'),)
    assert read_custom_properties(writer.render("x", replace(META, custom=tricky))) == dict(tricky)


def test_marked_documents_are_deterministic(writer):
    assert writer.render(SAMPLE, MARKED) == writer.render(SAMPLE, MARKED)


def test_python_docx_still_opens_a_marked_document(writer):
    document = docx.Document(io.BytesIO(writer.render(SAMPLE, MARKED)))
    assert document.core_properties.title == META.title


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_read_custom_properties_of_something_else_is_a_value_error(data):
    with pytest.raises(ValueError, match="Word document"):
        read_custom_properties(data)


def test_read_custom_properties_of_a_zip_that_is_not_a_package():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match=r"no _rels/\.rels"):
        read_custom_properties(buffer.getvalue())


@needs_soffice
def test_marking_and_status_print_on_every_page(writer, tmp_path):
    long = SAMPLE + "\n::: pagebreak\n:::\n\n# Another page\n\nMore text.\n"
    path = tmp_path / "marked.docx"
    path.write_bytes(writer.render(long, MARKED))
    convert_to_pdf([path], tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "marked.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) >= 2
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[0] == "OFFICIAL"
        assert lines[1] == "DRAFT"
        assert lines[-1] == "OFFICIAL"
