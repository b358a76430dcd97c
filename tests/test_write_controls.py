"""Fillable forms: inside ``::: form`` every ☐ is a check box content control and every empty table cell a
plain-text control named after its column; found with python-docx and lxml, and in LibreOffice."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree

from protocolgen.write import DocxWriter, redline, render_html

sys.path.insert(0, str(Path(__file__).parent))
from office import convert_to_pdf, needs_soffice
from test_write_docx import META

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = {"w": W, "w14": W14}

FORM = """\
## About the child

::: form

| Child's name | Date of birth | Address |
|---|---|---|
| | | |

:::

## Agreement

::: form
☐ Yes  ☐ No  I agree to Westmarsh Police sharing information about my child.

☐ I know that I can change my mind at any time.

| Signed | Relationship to the child | Date |
|---|---|---|
| | Parent | |
:::

Outside a form: ☐ stays a glyph.

| Child's name |
|---|
| |
"""


@pytest.fixture(scope="module")
def writer() -> DocxWriter:
    return DocxWriter()


@pytest.fixture(scope="module")
def form_docx(writer) -> bytes:
    return writer.render(FORM, META)


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def controls(root: etree._Element, kind: str) -> list[etree._Element]:
    path = {"checkbox": "w:sdtPr/w14:checkbox", "text": "w:sdtPr/w:text"}[kind]
    return [sdt for sdt in root.iter(f"{{{W}}}sdt") if sdt.find(path, NS) is not None]


def title(sdt: etree._Element) -> tuple[str, str]:
    return sdt.find("w:sdtPr/w:alias", NS).get(f"{{{W}}}val"), sdt.find("w:sdtPr/w:tag", NS).get(f"{{{W}}}val")


def test_every_box_in_a_form_is_a_check_box(form_docx):
    boxes = controls(document_xml(form_docx), "checkbox")
    assert len(boxes) == 3
    for sdt in boxes:
        box = sdt.find("w:sdtPr/w14:checkbox", NS)
        assert box.find("w14:checked", NS).get(f"{{{W14}}}val") == "0"
        assert box.find("w14:checkedState", NS).get(f"{{{W14}}}val") == "2612"  # ☒
        assert box.find("w14:uncheckedState", NS).get(f"{{{W14}}}val") == "2610"  # ☐
        assert box.find("w14:checkedState", NS).get(f"{{{W14}}}font") == "MS Gothic"
        assert "".join(sdt.find("w:sdtContent", NS).itertext()) == "☐"
        fonts = sdt.find("w:sdtContent/w:r/w:rPr/w:rFonts", NS)
        assert fonts.get(f"{{{W}}}ascii") == "MS Gothic" and fonts.get(f"{{{W}}}hint") == "eastAsia"


def test_check_boxes_are_titled_by_the_words_after_them(form_docx):
    assert [title(sdt) for sdt in controls(document_xml(form_docx), "checkbox")] == [
        ("Yes", "Yes"), ("No", "No"),
        ("I know that I can change my mind at any time.", "I know that I can change my mind at any time.")]


def test_the_text_around_the_boxes_is_unchanged(form_docx):
    document = docx.Document(io.BytesIO(form_docx))
    agree = next(p for p in document.paragraphs if "I agree" in p._p.xpath("string(.)"))
    assert agree._p.xpath("string(.)") == "☐ Yes  ☐ No  I agree to Westmarsh Police sharing information about my child."


def test_empty_form_cells_are_text_controls_named_by_their_column(form_docx):
    texts = controls(document_xml(form_docx), "text")
    assert [title(sdt)[0] for sdt in texts] == ["Child's name", "Date of birth", "Address", "Signed", "Date"]
    for sdt in texts:
        assert title(sdt)[0] == title(sdt)[1]
        properties = sdt.find("w:sdtPr", NS)
        assert properties.find("w:showingPlcHdr", NS) is None and properties.find("w:placeholder", NS) is None
        assert "".join(sdt.find("w:sdtContent", NS).itertext()) == ""  # prints as a blank box
        assert sdt.getparent().tag == f"{{{W}}}p" and sdt.getparent().getparent().tag == f"{{{W}}}tc"


def test_filled_cells_and_header_cells_stay_text(form_docx):
    document = docx.Document(io.BytesIO(form_docx))
    table = document.tables[1]
    assert table.cell(0, 1).text == "Relationship to the child"
    assert table.cell(1, 1).text == "Parent"
    assert table.cell(1, 1)._tc.find(".//w:sdt", NS) is None


def test_control_ids_are_unique(form_docx):
    root = document_xml(form_docx)
    ids = [sdt.find("w:sdtPr/w:id", NS).get(f"{{{W}}}val") for sdt in root.iter(f"{{{W}}}sdt")]
    assert len(ids) == 8 and len(set(ids)) == 8


def test_outside_a_form_nothing_changes(writer, form_docx):
    root = document_xml(form_docx)
    outside = next(p for p in root.iter(f"{{{W}}}p") if "Outside a form" in "".join(p.itertext()))
    assert outside.find(".//w:sdt", NS) is None and "☐" in "".join(outside.itertext())
    last_table = root.findall("w:body/w:tbl", NS)[-1]
    assert last_table.find(".//w:sdt", NS) is None
    plain = "Outside a form: ☐ stays a glyph.\n\n| Child's name |\n|---|\n| |\n"
    assert b"w14" not in writer.render(plain, META)  # no extension namespace without controls


def test_the_w14_namespace_is_declared_ignorable(form_docx):
    with zipfile.ZipFile(io.BytesIO(form_docx)) as archive:
        head = archive.read("word/document.xml")[:600].decode()
    assert 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"' in head
    assert 'mc:Ignorable="w14"' in head


def test_the_font_table_names_the_box_fonts_with_a_linux_alternative(form_docx):
    with zipfile.ZipFile(io.BytesIO(form_docx)) as archive:
        fonts = etree.fromstring(archive.read("word/fontTable.xml"))
    names = {f.get(f"{{{W}}}name"): f for f in fonts.iter(f"{{{W}}}font")}
    for name in ("MS Gothic", "Segoe UI Symbol"):
        assert names[name].find("w:altName", NS).get(f"{{{W}}}val") == "DejaVu Sans"
    assert "Arial" in names  # the reference's own fonts are kept


def test_forms_are_deterministic(writer):
    assert writer.render(FORM, META) == writer.render(FORM, META)


def test_a_form_validates_against_the_office_schema(form_docx, tmp_path):
    audit = pytest.importorskip("openxml_audit")
    path = tmp_path / "form.docx"
    path.write_bytes(form_docx)
    result = audit.OpenXmlValidator(file_format=audit.FileFormat.OFFICE_2019, max_errors=50).validate(str(path))
    assert result.is_valid, [str(error) for error in result.errors]


def test_a_redline_of_a_form_marks_a_removed_box(writer):
    new = FORM.replace("☐ I know that I can change my mind at any time.\n\n", "")
    data = redline(FORM, new, META, author="A", when=datetime.date(2026, 5, 1), writer=writer)
    root = document_xml(data)
    gone = next(p for p in root.iter(f"{{{W}}}p") if "change my mind" in "".join(p.itertext()))
    assert gone.find("w:pPr/w:rPr/w:del", NS) is not None
    box = gone.find("w:sdt", NS)
    assert box.find("w:sdtContent/w:del/w:r/w:delText", NS).text == "☐"


def test_html_keeps_boxes_as_text_and_form_tables_as_tables():
    page = render_html(FORM, META)
    assert "☐ Yes  ☐ No  I agree" in page
    assert "<input" not in page and "<table>" in page
    assert page.count('<div class="form">') == 2


@needs_soffice
def test_libreoffice_reads_the_boxes_as_check_box_controls(form_docx, tmp_path):
    path = tmp_path / "form.docx"
    path.write_bytes(form_docx)
    convert_to_pdf([path], tmp_path)  # prints: the boxes and blank cells, no placeholder text
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "form.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "☐ Yes" in text and "Click" not in text
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
                    "--convert-to", "odt", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(tmp_path / "form.odt") as archive:
        content = archive.read("content.xml").decode()
    # LibreOffice's own check box content control, which it toggles with a click
    assert content.count('loext:checkbox="true"') == 3
