"""The Word writer: open what it writes with python-docx (and lxml, for what python-docx does not model)."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree
from office import convert_to_pdf, needs_soffice

from protocolgen.write import DocMeta, DocxWriter
from protocolgen.write.docx import FORM_ROW_HEIGHT, REFERENCE_DOCX, SIGNATURE_ROW_HEIGHT

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}

META = DocMeta(
    title="Information Sharing Protocol: Children with Complex Needs",
    subject="Multi-agency information sharing",
    author="Westshire Safeguarding Children Partnership",
    keywords=("safeguarding", "information sharing"),
    created=datetime.date(2026, 4, 1),
    version="1.0",
    issue_date_text="1 April 2026",
    reference="WSCP-ISP-COMPLEX-NEEDS",
)

SAMPLE = """\
::: toc
:::

# Purpose

Partners share information to **protect children**, see *guidance* at
[Working Together](https://www.gov.uk/government/publications/working-together-to-safeguard-children--2).

## Scope

- first bullet
  - nested bullet
- second bullet

1. first step
   1. nested step
2. second step

### Detail

::: note
Share without delay where a child is at risk.
:::

# Signatories

| Agency | Contact |
| --- | --- |
| Westshire Police | [email](mailto:isp@example.org) |
| Westshire Council | Duty desk |
"""

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_escape(text: str) -> str:
    """Escape data for markdown the way the templates do: a backslash before every ASCII punctuation mark."""
    return _PUNCTUATION.sub(r"\\\1", text)


@pytest.fixture(scope="module")
def writer() -> DocxWriter:
    return DocxWriter()


def render(writer: DocxWriter, markdown: str, meta: DocMeta = META) -> docx.document.Document:
    return docx.Document(io.BytesIO(writer.render(markdown, meta)))


def body_paragraphs(document) -> list:
    return document.paragraphs


def part_xml(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


# --- styles --------------------------------------------------------------------------------------------


def test_title_is_first_paragraph_in_title_style(writer):
    document = render(writer, "Some text.")
    first = document.paragraphs[0]
    assert first.text == META.title
    assert first.style.name == "Title"


def test_each_kind_of_block_gets_its_style(writer):
    document = render(writer, SAMPLE)
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Purpose"] == "Heading 1"
    assert styles["Scope"] == "Heading 2"
    assert styles["Detail"] == "Heading 3"
    assert styles["first bullet"] == "List Bullet"
    assert styles["nested bullet"] == "List Bullet 2"
    assert styles["first step"] == "List Number"
    assert styles["nested step"] == "List Number 2"
    assert styles["Share without delay where a child is at risk."] == "Note"
    assert styles[next(t for t in styles if t.startswith("Partners share"))] == "Normal"
    assert styles["Contents"] == "TOC Heading"


def test_deeper_markdown_headings_use_heading_3(writer):
    document = render(writer, "#### Four\n\n###### Six")
    assert [p.style.name for p in document.paragraphs[1:]] == ["Heading 3", "Heading 3"]


def test_inline_bold_and_italic_become_run_properties(writer):
    document = render(writer, "plain **bold** *italic* ***both***")
    runs = [(r.text, bool(r.bold), bool(r.italic)) for r in document.paragraphs[1].runs]
    assert runs == [("plain ", False, False), ("bold", True, False), (" ", False, False),
                    ("italic", False, True), (" ", False, False), ("both", True, True)]


def test_table_uses_reference_table_style_and_cell_style(writer):
    document = render(writer, SAMPLE)
    table = document.tables[0]
    assert table.style.name == "Protocol Table"
    assert table.cell(1, 0).paragraphs[0].style.name == "Table Text"


def test_document_language_is_en_gb_in_style_defaults(writer):
    data = writer.render("text", META)
    lang = part_xml(data, "word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
    assert lang.get(qn("w:val")) == "en-GB"


def test_note_style_is_boxed_not_just_coloured(writer):
    data = writer.render("::: note\nx\n:::", META)
    styles = part_xml(data, "word/styles.xml")
    note = styles.xpath("w:style[w:name/@w:val='Note']", namespaces=NS)[0]
    sides = {etree.QName(b).localname for b in note.find("w:pPr/w:pBdr", NS)}
    assert {"top", "left", "bottom", "right"} <= sides


def test_headings_are_bold_and_larger_than_body(writer):
    document = render(writer, "# A")
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        style = document.styles[name]
        assert style.font.bold, name
        assert style.font.size.pt > 11, name


def test_page_is_a4_with_25mm_margins(writer):
    section = render(writer, "x").sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm, 2) == 2.5 and round(section.right_margin.cm, 2) == 2.5


# --- numbering -----------------------------------------------------------------------------------------


def numbering(document) -> etree._Element:
    return etree.fromstring(etree.tostring(document.part.numbering_part.element))  # plain lxml, not oxml


def abstract_for(document, num_id: str) -> etree._Element:
    root = numbering(document)
    abstract_id = root.xpath(f"w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val", namespaces=NS)[0]
    return root.xpath(f"w:abstractNum[@w:abstractNumId='{abstract_id}']", namespaces=NS)[0]


def test_headings_numbered_by_word_list_linked_to_heading_styles(writer):
    document = render(writer, SAMPLE)
    for level, name in enumerate(("Heading 1", "Heading 2", "Heading 3")):
        style = document.styles[name].element
        num_id = style.find("w:pPr/w:numPr/w:numId", NS).get(qn("w:val"))
        assert num_id != "0"
        abstract = abstract_for(document, num_id)
        lvl = abstract.xpath(f"w:lvl[@w:ilvl='{level}']", namespaces=NS)[0]
        assert lvl.find("w:pStyle", NS).get(qn("w:val")) == document.styles[name].style_id
        assert lvl.find("w:lvlText", NS).get(qn("w:val")) == ".".join(f"%{n}" for n in range(1, level + 2))
    # the heading paragraphs carry no direct numbering: the style does it, so edits renumber
    heading = next(p for p in document.paragraphs if p.text == "Scope")
    assert heading._p.find("w:pPr/w:numPr", NS) is None


def test_unnumbered_headings_have_no_list(writer):
    document = render(writer, SAMPLE, replace(META, numbered_headings=False))
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        num_id = document.styles[name].element.find("w:pPr/w:numPr/w:numId", NS)
        assert num_id is not None and num_id.get(qn("w:val")) == "0"
    # no list level still claims the heading styles
    heading_ids = {document.styles[n].style_id for n in ("Heading 1", "Heading 2", "Heading 3")}
    linked = set(numbering(document).xpath("//w:lvl/w:pStyle/@w:val", namespaces=NS))
    assert not heading_ids & linked
    toc = [p.text for p in document.paragraphs if p.style.name.startswith("toc")]
    assert toc[0] == "Purpose"  # no "1" in front in the cached contents either


def list_num(paragraph) -> tuple[str, str]:
    num_pr = paragraph._p.find("w:pPr/w:numPr", NS)
    return num_pr.find("w:ilvl", NS).get(qn("w:val")), num_pr.find("w:numId", NS).get(qn("w:val"))


def test_each_ordered_list_restarts_with_its_own_num(writer):
    document = render(writer, "1. a\n2. b\n\nbetween\n\n1. c\n2. d\n\nand\n\n3. e\n4. f\n")
    items = {p.text: list_num(p) for p in document.paragraphs if p.text in "abcdef"}
    assert items["a"][1] == items["b"][1]
    assert items["c"][1] == items["d"][1]
    assert len({items["a"][1], items["c"][1], items["e"][1]}) == 3
    root = numbering(document)
    abstracts = set()
    for text, start in (("a", "1"), ("c", "1"), ("e", "3")):
        num = root.xpath(f"w:num[@w:numId='{items[text][1]}']", namespaces=NS)[0]
        assert num.find("w:lvlOverride/w:startOverride", NS).get(qn("w:val")) == start
        abstracts.add(num.find("w:abstractNumId", NS).get(qn("w:val")))
    assert len(abstracts) == 1  # one abstract list, one w:num per list


def test_nested_lists_use_the_next_level(writer):
    document = render(writer, SAMPLE)
    by_text = {p.text: p for p in document.paragraphs}
    assert list_num(by_text["first bullet"])[0] == "0"
    assert list_num(by_text["nested bullet"])[0] == "1"
    assert list_num(by_text["nested step"])[0] == "1"
    bullets = abstract_for(document, list_num(by_text["first bullet"])[1])
    assert bullets.find("w:lvl/w:numFmt", NS).get(qn("w:val")) == "bullet"


def test_second_paragraph_of_a_list_item_is_not_numbered(writer):
    document = render(writer, "1. first\n\n   more about first\n\n2. second\n")
    more = next(p for p in document.paragraphs if p.text == "more about first")
    assert more._p.find("w:pPr/w:numPr/w:numId", NS).get(qn("w:val")) == "0"
    assert list_num(next(p for p in document.paragraphs if p.text == "second"))[1] != "0"


# --- tables --------------------------------------------------------------------------------------------


def test_table_header_row_repeats_and_is_bold(writer):
    document = render(writer, SAMPLE)
    table = document.tables[0]
    rows = table._tbl.tr_lst
    assert rows[0].find("w:trPr/w:tblHeader", NS) is not None
    assert all(row.find("w:trPr/w:tblHeader", NS) is None for row in rows[1:])
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert [c.text for c in table.rows[1].cells] == ["Westshire Police", "email"]


def test_table_spans_the_text_width(writer):
    document = render(writer, SAMPLE)
    grid = [int(c.get(qn("w:w"))) for c in document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    section = document.sections[0]
    text_width = (section.page_width - section.left_margin - section.right_margin) / 635  # EMU to twips
    assert abs(sum(grid) - text_width) < 2
    assert min(grid) > 1000


def test_signature_and_form_rows_are_tall(writer):
    markdown = (
        "::: signatures\n| Agency | Signature |\n| --- | --- |\n| Police |  |\n:::\n\n"
        "::: form\n| Question | Answer |\n| --- | --- |\n| Name |  |\n:::\n\n"
        "| Plain | Table |\n| --- | --- |\n| a | b |\n"
    )
    document = render(writer, markdown)
    heights = []
    for table in document.tables:
        row = table._tbl.tr_lst[1].find("w:trPr/w:trHeight", NS)
        heights.append(None if row is None else (int(row.get(qn("w:val"))), row.get(qn("w:hRule"))))
    assert heights == [(SIGNATURE_ROW_HEIGHT, "atLeast"), (FORM_ROW_HEIGHT, "atLeast"), None]
    # the empty signature column is the wide one
    grid = [int(c.get(qn("w:w"))) for c in document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert grid[1] > grid[0]


def test_adjacent_tables_are_kept_apart(writer):
    markdown = "| a |\n| - |\n| 1 |\n\n::: form\n| b |\n| - |\n| 2 |\n:::\n"
    data = writer.render(markdown, META)
    body = part_xml(data, "word/document.xml").find("w:body", NS)
    tags = [etree.QName(child).localname for child in body]
    assert "tbltbl" not in "".join(tags)
    assert tags[-1] == "sectPr" and tags[-2] == "p"


def test_lead_in_is_kept_with_its_table_and_text_after_a_table_has_a_gap(writer):
    table = "| a |\n| - |\n| 1 |\n\n"
    document = render(writer, f"Table 1 lists the parties.\n\n{table}After the table.\n\n{table}# Heading")
    by_text = {p.text: p._p for p in document.paragraphs}
    assert by_text["Table 1 lists the parties."].find("w:pPr/w:keepNext", NS) is not None
    spacing = by_text["After the table."].find("w:pPr/w:spacing", NS)
    assert int(spacing.get(qn("w:before"))) >= 120
    assert by_text["Heading"].find("w:pPr/w:spacing", NS) is None  # headings keep their own spacing


# --- links, fields, header and footer ------------------------------------------------------------------


def test_links_are_real_hyperlinks_with_external_relationships(writer):
    document = render(writer, SAMPLE)
    links = document.element.body.findall(".//w:hyperlink[@r:id]", {**NS, "r": docx.oxml.ns.nsmap["r"]})
    targets = {}
    for link in links:
        rel = document.part.rels[link.get(qn("r:id"))]
        assert rel.is_external
        text = "".join(t.text for t in link.iter(qn("w:t")))
        targets[text] = rel.target_ref
        assert link.find("w:r/w:rPr/w:rStyle", NS).get(qn("w:val")) == document.styles["Hyperlink"].style_id
    assert targets == {
        "Working Together":
            "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2",
        "email": "mailto:isp@example.org",
    }


def test_internal_link_points_at_the_heading_bookmark(writer):
    document = render(writer, "# Roles and duties\n\nSee [roles](#roles-and-duties).")
    bookmark = document.element.body.find(".//w:bookmarkStart", NS).get(qn("w:name"))
    link = document.element.body.find(".//w:hyperlink", NS)
    assert link.get(qn("w:anchor")) == bookmark


def test_toc_is_a_real_field_with_cached_entries(writer):
    data = writer.render(SAMPLE, META)
    body = part_xml(data, "word/document.xml").find("w:body", NS)
    instructions = [t.text for t in body.iter(f"{{{W}}}instrText")]
    assert ' TOC \\o "1-2" \\h \\z \\u ' in instructions
    document = docx.Document(io.BytesIO(data))
    entries = [p.text for p in document.paragraphs if p.style.name.startswith("toc")]
    # Sections and subsections only: the third level is left out of the contents.
    assert entries == ["1\tPurpose", "1.1\tScope", "2\tSignatories"]
    chars = [c.get(qn("w:fldCharType")) for c in body.iter(f"{{{W}}}fldChar")]
    assert chars == ["begin", "separate", "end"]
    settings = part_xml(data, "word/settings.xml")
    assert settings.find("w:updateFields", NS).get(qn("w:val")) == "true"


def test_no_toc_means_no_update_prompt(writer):
    settings = part_xml(writer.render("# A", META), "word/settings.xml")
    assert settings.find("w:updateFields", NS) is None


def test_update_fields_sits_at_its_schema_position(writer):
    settings = part_xml(writer.render("::: toc\n:::\n# A", META), "word/settings.xml")
    names = [etree.QName(child).localname for child in settings]
    assert names.index("updateFields") < names.index("compat")


def test_page_break_starts_the_next_paragraph_on_a_new_page(writer):
    document = render(writer, "before\n\n::: pagebreak\n:::\n\n# After")
    after = next(p for p in document.paragraphs if p.text == "After")
    assert after._p.find("w:pPr/w:pageBreakBefore", NS) is not None
    before = next(p for p in document.paragraphs if p.text == "before")
    assert before._p.find("w:pPr/w:pageBreakBefore", NS) is None


def test_header_has_title_and_footer_has_page_fields(writer):
    document = render(writer, SAMPLE)
    section = document.sections[0]
    assert section.header.paragraphs[0].text == META.title
    footer = section.footer._element
    instructions = [t.text.strip() for t in footer.iter(f"{{{W}}}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    text = section.footer.paragraphs[0].text
    assert text.startswith("WSCP-ISP-COMPLEX-NEEDS | Version 1.0 | Issued 1 April 2026 | Page ")
    assert text.endswith(" of 1")


def test_footer_without_reference(writer):
    document = render(writer, "x", replace(META, reference=""))
    assert document.sections[0].footer.paragraphs[0].text.startswith("Version 1.0 | Issued 1 April 2026 | Page ")


# --- properties and determinism --------------------------------------------------------------------------


def test_core_properties(writer):
    props = render(writer, SAMPLE).core_properties
    assert props.title == META.title
    assert props.subject == META.subject
    assert props.author == META.author
    assert props.last_modified_by == META.author
    assert props.keywords == "safeguarding; information sharing"
    assert props.language == "en-GB"
    assert props.revision == 1
    expected = datetime.datetime(2026, 4, 1, 0, 0, 0)
    assert props.created.replace(tzinfo=None) == expected
    assert props.modified.replace(tzinfo=None) == expected


def test_nothing_from_python_docx_or_revision_ids(writer):
    data = writer.render(SAMPLE, META)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            content = archive.read(name).decode("utf-8")
            assert "python-docx" not in content, name
            assert "w:rsid" not in content, name


def test_same_input_gives_identical_bytes(writer):
    first = writer.render(SAMPLE, META)
    assert writer.render(SAMPLE, META) == first
    assert DocxWriter().render(SAMPLE, META) == first
    assert writer.render(SAMPLE, replace(META, title="Another title")) != first


def test_zip_entries_are_dated_from_meta_and_ordered(writer):
    data = writer.render(SAMPLE, META)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {info.date_time for info in infos} == {(2026, 4, 1, 0, 0, 0)}
    names = [info.filename for info in infos]
    assert len(names) == len(set(names))


# --- escaping --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["A | B *C* # {{x}}", "<b>not html</b> & [x](y) \\ `z` _u_"])
def test_escaped_data_prints_literally_in_paragraph_and_table_cell(writer, value):
    escaped = md_escape(value)
    markdown = f"{escaped}\n\n| Field | Value |\n| --- | --- |\n| {escaped} | {escaped} |\n"
    document = render(writer, markdown)
    assert document.paragraphs[1].text == value
    table = document.tables[0]
    assert [c.text for c in table.rows[1].cells] == [value, value]
    assert len(table.columns) == 2


def test_escaped_data_in_headings_and_meta(writer):
    meta = replace(META, title="Title <&> \"quoted\"", author="A & B")
    document = render(writer, f"# {md_escape('1. Not a list # {x}')}", meta)
    assert document.paragraphs[0].text == 'Title <&> "quoted"'
    assert document.paragraphs[1].text == "1. Not a list # {x}"
    assert document.core_properties.author == "A & B"


# --- errors ----------------------------------------------------------------------------------------------


def test_unknown_container_is_an_error(writer):
    with pytest.raises(ValueError, match="unknown container '::: sigantures'"):
        writer.render("::: sigantures\n| a |\n| - |\n:::", META)


def test_toc_container_must_be_empty(writer):
    with pytest.raises(ValueError, match="must be empty"):
        writer.render("::: toc\ntext\n:::", META)


def without_styles(tmp_path: Path, *names: str) -> Path:
    """A copy of the bundled reference with the named styles removed."""
    with zipfile.ZipFile(REFERENCE_DOCX) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    styles = etree.fromstring(parts["word/styles.xml"])
    for name in names:
        for style in styles.xpath(f"w:style[w:name/@w:val='{name}']", namespaces=NS):
            styles.remove(style)
    parts["word/styles.xml"] = etree.tostring(styles)
    path = tmp_path / "bad-reference.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_reference_missing_styles_are_taken_from_the_bundled_reference(tmp_path):
    path = without_styles(tmp_path, "Note", "heading 3")
    document = render(DocxWriter(path), SAMPLE)
    by_text = {p.text: p.style.name for p in document.paragraphs}
    assert by_text["Share without delay where a child is at risk."] == "Note"
    assert by_text["Detail"] == "Heading 3"
    note = document.styles["Note"].element
    assert {etree.QName(b).localname for b in note.find("w:pPr/w:pBdr", NS)} >= {"top", "left", "bottom", "right"}
    # the copied Heading 3 joins the reference's heading list at the third level: no second list
    heading1 = document.styles["Heading 1"].element.find("w:pPr/w:numPr", NS)
    heading3 = document.styles["Heading 3"].element.find("w:pPr/w:numPr", NS)
    assert heading3.find("w:numId", NS).get(qn("w:val")) == heading1.find("w:numId", NS).get(qn("w:val"))
    assert heading3.find("w:ilvl", NS).get(qn("w:val")) == "2"
    assert len(numbering(document).findall("w:abstractNum", NS)) == 3


def test_reference_whose_list_style_is_not_numbered_gets_the_bundled_list(tmp_path):
    with zipfile.ZipFile(REFERENCE_DOCX) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    styles = etree.fromstring(parts["word/styles.xml"])
    for num_pr in styles.xpath("w:style[w:name/@w:val='List Number']/w:pPr/w:numPr", namespaces=NS):
        num_pr.getparent().remove(num_pr)
    parts["word/styles.xml"] = etree.tostring(styles)
    path = tmp_path / "unnumbered.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    document = render(DocxWriter(path), "1. a\n2. b\n   1. nested\n\nbetween\n\n1. c\n")
    style_num = document.styles["List Number"].element.find("w:pPr/w:numPr/w:numId", NS).get(qn("w:val"))
    added = abstract_for(document, style_num)
    assert added.get(qn("w:abstractNumId")) == "3"  # after the reference's 0-2
    assert [lvl.find("w:numFmt", NS).get(qn("w:val")) for lvl in added.findall("w:lvl", NS)][:3] == \
           ["decimal", "lowerLetter", "lowerRoman"]
    items = {p.text: list_num(p) for p in document.paragraphs if p.text in ("a", "b", "nested", "c")}
    assert items["nested"][0] == "1"
    assert items["a"][1] != items["c"][1]
    for text in ("a", "c"):
        assert abstract_for(document, items[text][1]) is not None
        assert abstract_for(document, items[text][1]).get(qn("w:abstractNumId")) == "3"


@pytest.mark.parametrize("damage", ["no styles part", "styles not well-formed"])
def test_reference_that_is_broken_is_an_error(tmp_path, damage):
    with zipfile.ZipFile(REFERENCE_DOCX) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    if damage == "no styles part":
        del parts["word/styles.xml"]
    else:
        parts["word/styles.xml"] = parts["word/styles.xml"][:200]
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"broken\.docx.*styles"):
        DocxWriter(path)


def test_reference_that_is_not_a_docx_is_an_error(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_text("not a zip")
    with pytest.raises(ValueError, match=r"notes\.docx"):
        DocxWriter(path)


def test_bundled_reference_is_what_the_tool_generates(tmp_path):
    tool = Path(__file__).resolve().parent.parent / "tools" / "make_reference_docx.py"
    out = tmp_path / "reference.docx"
    subprocess.run([sys.executable, str(tool), str(out)], check=True, capture_output=True)
    assert out.read_bytes() == REFERENCE_DOCX.read_bytes(), "regenerate with tools/make_reference_docx.py"


# --- a real office suite ---------------------------------------------------------------------------------


@needs_soffice
def test_libreoffice_converts_the_document_to_pdf(writer, tmp_path):
    source = tmp_path / "protocol.docx"
    source.write_bytes(writer.render(SAMPLE, META))
    convert_to_pdf([source], tmp_path)
    pdf = tmp_path / "protocol.pdf"
    assert pdf.exists()
    assert pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")


def test_text_after_a_list_gets_a_gap_and_list_items_do_not(writer):
    body = part_xml(writer.render("Intro\n\n- a\n- b\n\nAfter the list\n\n1. one\n", META), "word/document.xml")
    paragraphs = body.find("w:body", NS).findall("w:p", NS)
    texts = ["".join(t.text for t in p.iter(qn("w:t"))) for p in paragraphs]
    after = paragraphs[texts.index("After the list")]
    assert after.find("w:pPr/w:spacing", NS).get(qn("w:before")) == "120"
    for name in ("a", "b", "one"):
        assert paragraphs[texts.index(name)].find("w:pPr/w:spacing", NS) is None
