"""Flowcharts: DrawingML shapes in Word (read back with lxml and seen by LibreOffice), an inline SVG and a text
table in HTML, and the layout and checks they share."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree

from protocolgen.write import DocxWriter, redline, render_html
from protocolgen.write import flowchart as fc
from protocolgen.write import markdown as mdx

sys.path.insert(0, str(Path(__file__).parent))
from office import convert_to_pdf, needs_soffice
from test_write_docx import META

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wpg": "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}

CHART = """\
::: flowchart Deciding whether to share
| Step | Box | Yes | No |
|---|---|---|---|
| 1 | Is a child at risk of significant harm? | 4 | 2 |
| 2 | Has the family agreed? | 5 | 3 |
| 3 | Is there another lawful basis? | 4 | 6 |
| 4 | Share now, and record why | | |
| 5 | Share what was agreed | | |
| 6 | Do not share; record the decision | | |
:::
"""
DOCUMENT = f"# Sharing\n\nUse the chart.\n\n{CHART}\nAfter the chart.\n"


@pytest.fixture(scope="module")
def writer() -> DocxWriter:
    return DocxWriter()


@pytest.fixture(scope="module")
def chart_docx(writer) -> bytes:
    return writer.render(DOCUMENT, META)


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def read(markdown: str) -> fc.Flowchart:
    tokens = mdx.parse(markdown)
    index = next(i for i, t in enumerate(tokens) if t.type == mdx.CONTAINER_OPEN)
    return fc.read_flowchart(tokens, index)[0]


def shapes(root: etree._Element, geometry: str) -> list[etree._Element]:
    return [wsp for wsp in root.iter(f"{{{NS['wps']}}}wsp")
            if wsp.find("wps:spPr/a:prstGeom", NS).get("prst") == geometry]


def box_text(wsp: etree._Element) -> str:
    return "".join(wsp.find("wps:txbx/w:txbxContent", NS).itertext())


# --- Word ---------------------------------------------------------------------------------------------------


def test_the_chart_is_one_inline_group_of_shapes(chart_docx):
    root = document_xml(chart_docx)
    choice = root.find(".//mc:AlternateContent/mc:Choice", NS)
    assert choice.get("Requires") == "wpg"
    inline = choice.find("w:drawing/wp:inline", NS)
    data = inline.find("a:graphic/a:graphicData", NS)
    assert data.get("uri") == "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup"
    assert data.find("wpg:wgp", NS) is not None
    extent = inline.find("wp:extent", NS)
    section = docx.Document(io.BytesIO(chart_docx)).sections[0]
    assert int(extent.get("cx")) == section.page_width - section.left_margin - section.right_margin


def test_decisions_are_diamonds_and_outcomes_rounded_boxes_with_their_text(chart_docx):
    root = document_xml(chart_docx)
    assert [box_text(s) for s in shapes(root, "flowChartDecision")] == [
        "Is a child at risk of significant harm?", "Has the family agreed?", "Is there another lawful basis?"]
    outcomes = [box_text(s) for s in shapes(root, "roundRect")]
    # each decision's outcome on the right, and the last decision's No below it
    assert outcomes == ["Share now, and record why", "Share what was agreed", "Share now, and record why",
                        "Do not share; record the decision"]


def test_branches_are_arrows_labelled_yes_and_no(chart_docx):
    root = document_xml(chart_docx)
    arrows = shapes(root, "straightConnector1")
    assert len(arrows) == 6
    for arrow in arrows:
        assert arrow.find("wps:cNvCnPr", NS) is not None
        assert arrow.find("wps:spPr/a:ln/a:tailEnd", NS).get("type") == "triangle"
    labels = [box_text(s) for s in shapes(root, "rect")]
    assert labels == ["Yes", "No", "Yes", "No", "Yes", "No"]


def test_the_alt_text_is_the_title_and_a_walk_through_the_steps(chart_docx):
    doc_pr = document_xml(chart_docx).find(".//wp:docPr", NS)
    assert doc_pr.get("title") == "Deciding whether to share"
    assert doc_pr.get("descr") == (
        "Deciding whether to share. Step 1: Is a child at risk of significant harm? If yes, share now, and "
        "record why. If no, go to step 2. Step 2: Has the family agreed? If yes, share what was agreed. If no, go "
        "to step 3. Step 3: Is there another lawful basis? If yes, share now, and record why. If no, do not "
        "share; record the decision.")


def test_a_reader_without_shapes_gets_the_chart_in_words(chart_docx):
    root = document_xml(chart_docx)
    fallback = root.find(".//mc:AlternateContent/mc:Fallback", NS)
    assert "".join(fallback.itertext()) == root.find(".//wp:docPr", NS).get("descr")


def test_drawing_ids_are_unique_and_namespaces_declared(chart_docx, writer):
    root = document_xml(chart_docx)
    ids = [e.get("id") for e in root.iter(f"{{{NS['wp']}}}docPr", f"{{{NS['wps']}}}cNvPr")]
    assert len(ids) == 1 + 6 + 7 + 6 and len(set(ids)) == len(ids)
    with zipfile.ZipFile(io.BytesIO(chart_docx)) as archive:
        head = archive.read("word/document.xml")[:800].decode()
    for prefix in ("wp", "a", "wps", "wpg", "mc"):
        assert f"xmlns:{prefix}=" in head
    assert b"wpg" not in writer.render("No chart here.", META)


def test_the_table_is_not_printed_in_word(chart_docx):
    document = docx.Document(io.BytesIO(chart_docx))
    assert document.tables == []
    texts = [p.text for p in document.paragraphs]
    assert texts[-1] == "After the chart."


def test_the_chart_fits_a_narrower_page(tmp_path):
    reference = tmp_path / "narrow.docx"
    document = docx.Document()
    document.sections[0].page_width = docx.shared.Cm(15)
    document.sections[0].left_margin = document.sections[0].right_margin = docx.shared.Cm(2)
    document.save(reference)
    root = document_xml(DocxWriter(reference).render(DOCUMENT, META))
    extent = root.find(".//wp:inline/wp:extent", NS)
    assert abs(int(extent.get("cx")) - docx.shared.Cm(11)) < 635  # the page less its margins, to the twip


def test_box_text_keeps_its_formatting_and_language(writer):
    markdown = ":::: lang cy\n" + CHART.replace("Has the family agreed?", "Has the family **agreed**?") + "::::\n"
    root = document_xml(writer.render(markdown, META))
    decision = shapes(root, "flowChartDecision")[1]
    bold = [r for r in decision.iter(f"{{{W}}}r") if r.find("w:rPr/w:b", NS) is not None]
    assert "".join("".join(r.itertext()) for r in bold) == "agreed"
    langs = {r.find("w:rPr/w:lang", NS).get(f"{{{W}}}val") for r in decision.iter(f"{{{W}}}r")}
    assert langs == {"cy-GB"}


def test_charts_are_deterministic_and_validate(writer, chart_docx, tmp_path):
    assert writer.render(DOCUMENT, META) == chart_docx
    audit = pytest.importorskip("openxml_audit")
    path = tmp_path / "chart.docx"
    path.write_bytes(chart_docx)
    result = audit.OpenXmlValidator(file_format=audit.FileFormat.OFFICE_2019, max_errors=50).validate(str(path))
    assert result.is_valid, [str(error) for error in result.errors]


def test_a_redline_leaves_an_unchanged_chart_alone_and_marks_a_changed_one(writer):
    when = datetime.date(2026, 5, 1)
    edited = DOCUMENT.replace("After the chart.", "After the chart, changed.")
    root = document_xml(redline(DOCUMENT, edited, META, author="A", when=when, writer=writer))
    chart_paragraph = next(p for p in root.iter(f"{{{W}}}p") if p.find(".//w:drawing", NS) is not None)
    assert chart_paragraph.find(".//w:ins", NS) is None and chart_paragraph.find(".//w:del", NS) is None
    changed = DOCUMENT.replace("Share what was agreed", "Share only what was agreed")
    root = document_xml(redline(DOCUMENT, changed, META, author="A", when=when, writer=writer))
    assert root.find(".//w:del/w:r/mc:AlternateContent", NS) is not None
    assert root.find(".//w:ins/w:r/mc:AlternateContent", NS) is not None


# --- the layout -----------------------------------------------------------------------------------------------


def test_layout_decisions_down_the_left_outcomes_to_the_right():
    shape = fc.layout(read(CHART), 9071 * 635, 10**12)
    decisions = [b for b in shape.boxes if b.kind == "decision"]
    assert {b.x for b in decisions} == {0}
    assert [b.y for b in decisions] == sorted(b.y for b in decisions)
    right = [b for b in shape.boxes if b.kind == "outcome" and b.x > decisions[0].w]
    assert len(right) == 3
    for arrow in shape.arrows:
        assert arrow.x1 == arrow.x2 or arrow.y1 == arrow.y2  # straight down or straight across
        # each arrow starts on a box edge and ends on another's
        starts = [b for b in shape.boxes if b.x <= arrow.x1 <= b.x + b.w and b.y <= arrow.y1 <= b.y + b.h]
        ends = [b for b in shape.boxes if b.x <= arrow.x2 <= b.x + b.w and b.y <= arrow.y2 <= b.y + b.h]
        assert starts and ends and starts != ends
    for a in shape.boxes:  # no two boxes overlap
        for b in shape.boxes:
            if a is not b:
                assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
    assert max(b.y + b.h for b in shape.boxes) == shape.height


def test_layout_grows_a_box_for_long_text():
    long = CHART.replace("Share what was agreed", "Share what was agreed " + "and nothing more " * 8)
    short_h = next(b.h for b in fc.layout(read(CHART), 9071 * 635, 10**12).boxes if b.step.id == "5")
    long_h = next(b.h for b in fc.layout(read(long), 9071 * 635, 10**12).boxes if b.step.id == "5")
    assert long_h > short_h


def test_a_chart_too_tall_for_the_page_shrinks_then_is_an_error():
    chart = read(CHART)
    full = fc.layout(chart, 9071 * 635, 10**12)
    assert full.font_size == 10
    assert fc.layout(chart, 9071 * 635, full.height - 1).font_size < 10
    with pytest.raises(ValueError, match="taller than the page"):
        fc.layout(chart, 9071 * 635, full.height // 3)


@pytest.mark.parametrize(("change", "message"), [
    (("| 4 | 2 |", "| 9 | 2 |"), "does not have"),
    (("| 5 | 3 |", "| 1 | 3 |"), "goes back"),
    (("| 5 | 3 |", "| 5 | |"), "needs both a Yes and a No"),
    (("| Step | Box | Yes | No |", "| Step | Text | Yes | No |"), "header must be"),
    (("| 4 | 2 |", "| 2 | 3 |"), "both lead to decisions"),
    (("| 2 | Has the family agreed? | 5 | 3 |", "| 2 | Has the family agreed? | 5 | 6 |"), "not on the chain"),
    (("| 5 | Share", "| 4 | Share"), "given twice"),
])
def test_charts_that_cannot_be_drawn_are_errors(writer, change, message):
    with pytest.raises(ValueError, match=message):
        writer.render(CHART.replace(*change), META)
    with pytest.raises(ValueError, match=message):
        render_html(CHART.replace(*change), META)


@pytest.mark.parametrize(("markdown", "message"), [
    ("::: flowchart\n| Step | Box | Yes | No |\n|---|---|---|---|\n| 1 | A | | |\n:::\n", "needs a title"),
    ("::: flowchart T\nSome text.\n:::\n", "only its table"),
    ("::: flowchart T\n| Step | Box | Yes | No |\n|---|---|---|---|\n| 1 | A | | |\n:::\n", "at least one decision"),
    ("::: flowchart T\n| Step | Box | Yes | No |\n|---|---|---|---|\n| 1 | A | | |\n| 2 | B? | 1 | 1 |\n:::\n",
     "first row"),
])
def test_malformed_containers_are_errors(writer, markdown, message):
    with pytest.raises(ValueError, match=message):
        writer.render(markdown, META)


# --- HTML -----------------------------------------------------------------------------------------------------


def test_html_draws_an_svg_then_the_table_as_text():
    page = render_html(DOCUMENT, META)
    block = page[page.index('<div class="flowchart">'):]
    svg = block[:block.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="flowchart-1-title flowchart-1-desc"' in svg
    assert '<title id="flowchart-1-title">Deciding whether to share</title>' in svg
    assert "<desc id=\"flowchart-1-desc\">Deciding whether to share. Step 1:" in svg
    assert svg.count("<polygon") == 3 and svg.count("<rect") == 4 and svg.count("<line") == 6
    rest = block[block.index("</svg>"):]
    assert rest.index("<table>") < rest.index("</div>")
    assert "<td>Share what was agreed</td>" in rest


def test_two_charts_on_a_page_have_their_own_ids():
    page = render_html(DOCUMENT + "\n" + CHART, META)
    ids = re.findall(r' id="([^"]+)"', page)
    assert "flowchart-2-title" in ids and len(ids) == len(set(ids))


# --- LibreOffice ------------------------------------------------------------------------------------------------


@needs_soffice
def test_libreoffice_draws_the_shapes_not_the_fallback(chart_docx, tmp_path):
    path = tmp_path / "chart.docx"
    path.write_bytes(chart_docx)
    convert_to_pdf([path], tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "chart.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    words = " ".join(text.split())
    assert "Share what was agreed" in words and "Yes" in words and "No" in words
    assert "If yes, share what was agreed" not in words  # the fallback text was not used



def test_a_redline_that_removes_the_chart_declares_its_namespaces_and_validates(writer, tmp_path):
    data = redline(DOCUMENT, "# Sharing\n\nNo chart now.\n", META, author="A", when=datetime.date(2026, 5, 1),
                   writer=writer)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        head = archive.read("word/document.xml")[:800].decode()
    assert 'xmlns:wpg="' in head and 'xmlns:wps="' in head
    assert document_xml(data).find(".//w:del/w:r/mc:AlternateContent", NS) is not None
    audit = pytest.importorskip("openxml_audit")
    path = tmp_path / "removed.docx"
    path.write_bytes(data)
    result = audit.OpenXmlValidator(file_format=audit.FileFormat.OFFICE_2019, max_errors=50).validate(str(path))
    assert result.is_valid, [str(error) for error in result.errors]
