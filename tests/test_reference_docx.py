"""A user's own house-style document as reference (``--reference-docx``), the way pandoc takes one.

The styles the user's document defines win; what the writer needs and the document lacks (styles, heading
and list numbering) is filled in from the bundled reference. Each reference here is made with python-docx
the way a user would make or save one, and each output is opened with python-docx and read back.
"""

from __future__ import annotations

import copy
import io
import shutil
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from protocolgen.write import DocxWriter
from protocolgen.write.docx import REFERENCE_DOCX

sys.path.insert(0, str(Path(__file__).parent))
from office import convert_to_pdf, needs_soffice
from test_write_docx import META, SAMPLE

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
NUMBERED = "# One\n\n## One point one\n\n### One point one point one\n\n# Two\n\n## Two point one\n"
LISTS = "1. a\n2. b\n\nbetween\n\n1. c\n2. d\n\n- x\n  - y\n    - z\n"


# --- references, made the way a user would ----------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """python-docx's default document: Letter paper, its own Title/Heading/List styles, no Note, no
    Hyperlink, no TOC styles, headings not numbered, single-level lists."""
    path = tmp_path_factory.mktemp("ref") / "plain.docx"
    docx.Document().save(path)
    return path


@pytest.fixture(scope="module")
def plain_writer(plain) -> DocxWriter:
    return DocxWriter(plain)


@pytest.fixture(scope="module")
def georgia(tmp_path_factory) -> Path:
    document = docx.Document()
    heading = document.styles["Heading 1"]
    heading.font.size = Pt(20)
    heading.font.name = "Georgia"
    fonts = heading.element.rPr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # else the theme font wins
        fonts.attrib.pop(qn(attr), None)
    path = tmp_path_factory.mktemp("ref") / "georgia.docx"
    document.save(path)
    return path


USER_LIST = f"""\
<w:abstractNum xmlns:w="{W}" w:abstractNumId="30"><w:nsid w:val="5A0C0001"/>
<w:multiLevelType w:val="hybridMultilevel"/>
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="(%1)"/>
<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>"""


@pytest.fixture(scope="module")
def own_numbering(tmp_path_factory) -> Path:
    """A document that used a numbered list of its own: abstractNum 30 / num 40, with the nsid that the
    bundled heading list has."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    first_num.addprevious(parse_xml(USER_LIST))
    numbering.append(parse_xml(f'<w:num xmlns:w="{W}" w:numId="40"><w:abstractNumId w:val="30"/></w:num>'))
    for text in ("first", "second"):
        paragraph = document.add_paragraph(text, style="List Paragraph")
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="0"/><w:numId w:val="40"/></w:numPr>'))
    path = tmp_path_factory.mktemp("ref") / "own-numbering.docx"
    document.save(path)
    return path


HEADING_LIST = f"""\
<w:abstractNum xmlns:w="{W}" w:abstractNumId="50"><w:nsid w:val="1234ABCD"/>
<w:multiLevelType w:val="multilevel"/>""" + "".join(
    f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:pStyle w:val="Heading{i + 1}"/>'
    f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
    for i, (fmt, text) in enumerate((("upperRoman", "%1."), ("decimal", "%1.%2"), ("lowerLetter", "%1.%2.%3")))
) + "</w:abstractNum>"


@pytest.fixture(scope="module")
def roman_headings(tmp_path_factory) -> Path:
    """A house style whose headings are already numbered I. / I.1 / I.1.a by its own multilevel list."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.find(qn("w:num")).addprevious(parse_xml(HEADING_LIST))
    numbering.append(parse_xml(f'<w:num xmlns:w="{W}" w:numId="60"><w:abstractNumId w:val="50"/></w:num>'))
    for level in range(3):
        ppr = document.styles[f"Heading {level + 1}"].element.get_or_add_pPr()
        ppr.insert(2, parse_xml(
            f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="{level}"/><w:numId w:val="60"/></w:numPr>'))
    path = tmp_path_factory.mktemp("ref") / "roman.docx"
    document.save(path)
    return path


def rewrite(source: Path, target: Path, drop: tuple[str, ...] = (), change: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist() if name not in drop}
    parts.update(change or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def no_numbering(plain, tmp_path_factory) -> Path:
    """A document with no numbering part at all (and no relationship or content type for one)."""
    with zipfile.ZipFile(plain) as archive:
        rels = etree.fromstring(archive.read("word/_rels/document.xml.rels"))
        types = etree.fromstring(archive.read("[Content_Types].xml"))
        styles = etree.fromstring(archive.read("word/styles.xml"))
    for rel in [r for r in rels if r.get("Target") == "numbering.xml"]:
        rels.remove(rel)
    for override in [o for o in types if o.get("PartName") == "/word/numbering.xml"]:
        types.remove(override)
    for num_pr in styles.xpath("//w:style/w:pPr/w:numPr", namespaces=NS):  # nothing to link to any more
        num_pr.getparent().remove(num_pr)
    return rewrite(plain, tmp_path_factory.mktemp("ref") / "no-numbering.docx", drop=("word/numbering.xml",),
                   change={"word/_rels/document.xml.rels": etree.tostring(rels),
                           "[Content_Types].xml": etree.tostring(types),
                           "word/styles.xml": etree.tostring(styles)})


# --- reading the output --------------------------------------------------------------------------------------


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


def plain_tree(element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def numbering_of(document) -> etree._Element:
    return plain_tree(document.part.numbering_part.element)


def abstract_of(numbering: etree._Element, num_id: str) -> etree._Element:
    nums = numbering.xpath(f"w:num[@w:numId='{num_id}']", namespaces=NS)
    assert len(nums) == 1, f"numId {num_id} defined {len(nums)} times"
    abstract_id = nums[0].find("w:abstractNumId", NS).get(qn("w:val"))
    abstracts = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{abstract_id}']", namespaces=NS)
    assert len(abstracts) == 1, f"abstractNumId {abstract_id} defined {len(abstracts)} times"
    return abstracts[0]


def style_num(style) -> tuple[str | None, str | None]:
    """(ilvl, numId) in a style's own pPr."""
    num_pr = style.element.find("w:pPr/w:numPr", NS)
    if num_pr is None:
        return None, None
    ilvl, num_id = num_pr.find("w:ilvl", NS), num_pr.find("w:numId", NS)
    return (ilvl.get(qn("w:val")) if ilvl is not None else None,
            num_id.get(qn("w:val")) if num_id is not None else None)


def without(element, *tags: str) -> bytes:
    """Canonical XML of a style with the named descendants (e.g. w:rsid, w:numPr) removed."""
    element = copy.deepcopy(plain_tree(element))
    for tag in tags:
        for found in element.findall(f".//{tag}", NS):
            found.getparent().remove(found)
    return etree.tostring(element, method="c14n")


def user_styles(path: Path):
    return docx.Document(str(path)).styles


def assert_ids_unique_and_resolved(numbering: etree._Element) -> None:
    abstract_ids = numbering.xpath("w:abstractNum/@w:abstractNumId", namespaces=NS)
    num_ids = numbering.xpath("w:num/@w:numId", namespaces=NS)
    nsids = numbering.xpath("w:abstractNum/w:nsid/@w:val", namespaces=NS)
    assert len(abstract_ids) == len(set(abstract_ids))
    assert len(num_ids) == len(set(num_ids))
    assert len(nsids) == len(set(nsids))
    for num in numbering.findall("w:num", NS):
        assert num.find("w:abstractNumId", NS).get(qn("w:val")) in abstract_ids
    tags = [etree.QName(child).localname for child in numbering]
    assert tags == sorted(tags, key=lambda t: {"abstractNum": 0, "num": 1}.get(t, 2)), "schema order"


# --- a plain python-docx document ------------------------------------------------------------------------


def test_plain_reference_renders(plain_writer):
    document = open_docx(plain_writer.render(SAMPLE, META))
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Purpose"] == "Heading 1"
    assert styles["Share without delay where a child is at risk."] == "Note"
    assert styles["Contents"] == "TOC Heading"
    assert document.tables[0].style.name == "Table Grid"  # the user's own table style


def test_plain_reference_keeps_the_users_styles(plain, plain_writer):
    data = plain_writer.render(SAMPLE, META)
    document, user = open_docx(data), user_styles(plain)
    heading = document.styles["Heading 1"]
    assert heading.font.size == user["Heading 1"].font.size == Pt(14)
    fonts = heading.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:asciiTheme")) == user["Heading 1"].element.rPr.find(qn("w:rFonts")).get(
        qn("w:asciiTheme")) == "majorHAnsi"
    # apart from the numbering link, the user's styles are exactly the user's
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Quote"):
        assert without(document.styles[name].element, "w:rsid", "w:numPr") == \
               without(user[name].element, "w:rsid", "w:numPr"), name
    assert without(part(data, "word/styles.xml").find("w:docDefaults", NS), "w:lang") == \
           without(user.element.find(qn("w:docDefaults")), "w:lang")


def test_plain_reference_gets_the_missing_styles_from_the_bundled_reference(plain, plain_writer):
    user = user_styles(plain)
    bundled = user_styles(REFERENCE_DOCX)
    for name in ("Note", "Hyperlink", "toc 1", "Table Text"):
        with pytest.raises(KeyError):
            user[name]  # the premise: the user's document lacks them
    document = open_docx(plain_writer.render(SAMPLE, META))
    for name in ("Note", "Hyperlink", "toc 1", "toc 2", "toc 3", "Table Text"):
        assert without(document.styles[name].element, "w:tabs") == without(bundled[name].element, "w:tabs"), name
    # the contents' right tab moves from the bundled right margin to the user's (Letter, 1.25 in margins)
    tab = document.styles["toc 1"].element.find("w:pPr/w:tabs/w:tab", NS)
    assert tab.get(qn("w:pos")) == str(12240 - 1800 - 1800)
    link = document.element.body.find(".//w:hyperlink/w:r/w:rPr/w:rStyle", NS)
    assert link.get(qn("w:val")) == document.styles["Hyperlink"].style_id


def test_plain_reference_headings_are_numbered_by_word(plain_writer):
    document = open_docx(plain_writer.render(SAMPLE, META))
    numbering = numbering_of(document)
    num_ids = set()
    for level, name in enumerate(("Heading 1", "Heading 2", "Heading 3")):
        style = document.styles[name]
        ilvl, num_id = style_num(style)
        assert (ilvl, num_id != "0") == (str(level), True), name
        num_ids.add(num_id)
        lvl = abstract_of(numbering, num_id).xpath(f"w:lvl[@w:ilvl='{level}']", namespaces=NS)[0]
        assert lvl.find("w:pStyle", NS).get(qn("w:val")) == style.style_id
        assert lvl.find("w:lvlText", NS).get(qn("w:val")) == ".".join(f"%{n}" for n in range(1, level + 2))
        assert lvl.find("w:numFmt", NS).get(qn("w:val")) == "decimal"
    assert len(num_ids) == 1
    # the paragraphs are numbered by their style, not directly
    scope = next(p for p in document.paragraphs if p.text == "Scope")
    assert scope._p.find("w:pPr/w:numPr", NS) is None
    # no other style claims the heading styles (python-docx's lists do not name them, but check anyway)
    heading_ids = {document.styles[n].style_id for n in ("Heading 1", "Heading 2", "Heading 3")}
    claims = numbering.xpath("w:abstractNum[w:lvl/w:pStyle]", namespaces=NS)
    assert sum(1 for a in claims if heading_ids & set(a.xpath("w:lvl/w:pStyle/@w:val", namespaces=NS))) == 1
    # python-docx's "TOC Heading" is based on Heading 1: the contents heading must not take a number
    assert style_num(document.styles["TOC Heading"]) == (None, "0")
    toc = [p.text for p in document.paragraphs if p.style.name.startswith("toc")]
    assert toc == ["1\tPurpose", "1.1\tScope", "2\tSignatories"]


def test_plain_reference_unnumbered_headings(plain_writer):
    document = open_docx(plain_writer.render(SAMPLE, replace(META, numbered_headings=False)))
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        assert style_num(document.styles[name])[1] == "0"
    heading_ids = {document.styles[n].style_id for n in ("Heading 1", "Heading 2", "Heading 3")}
    assert not heading_ids & set(numbering_of(document).xpath("//w:lvl/w:pStyle/@w:val", namespaces=NS))


def list_num(paragraph) -> tuple[str, str]:
    num_pr = paragraph._p.find("w:pPr/w:numPr", NS)
    return num_pr.find("w:ilvl", NS).get(qn("w:val")), num_pr.find("w:numId", NS).get(qn("w:val"))


def test_plain_reference_lists_restart_and_nest(plain_writer):
    document = open_docx(plain_writer.render(LISTS, META))
    items = {p.text: list_num(p) for p in document.paragraphs if p.text in ("a", "b", "c", "d", "x", "y", "z")}
    assert items["a"][1] == items["b"][1] != items["c"][1] == items["d"][1]
    numbering = numbering_of(document)
    ordered = abstract_of(numbering, items["a"][1])
    assert abstract_of(numbering, items["c"][1]) is not None
    assert ordered.get(qn("w:abstractNumId")) == abstract_of(numbering, items["c"][1]).get(qn("w:abstractNumId"))
    for text in ("a", "c"):
        num = numbering.xpath(f"w:num[@w:numId='{items[text][1]}']", namespaces=NS)[0]
        assert num.find("w:lvlOverride/w:startOverride", NS).get(qn("w:val")) == "1"
    # python-docx's lists have a single level; the writer's nest three deep, so the bundled lists are used
    levels = {lvl.get(qn("w:ilvl")): lvl.find("w:numFmt", NS).get(qn("w:val")) for lvl in ordered.findall("w:lvl", NS)}
    assert levels["0"] == "decimal" and levels["1"] == "lowerLetter"
    assert [items[t][0] for t in ("x", "y", "z")] == ["0", "1", "2"]
    bullets = abstract_of(numbering, items["x"][1])
    assert {lvl.find("w:numFmt", NS).get(qn("w:val")) for lvl in bullets.findall("w:lvl", NS)} == {"bullet"}
    # the list styles are linked to the lists the writer uses
    assert style_num(document.styles["List Number"]) == ("0", ordered_num_id(document))
    assert style_num(document.styles["List Bullet 3"]) == ("2", items["x"][1])
    assert_ids_unique_and_resolved(numbering)
    # python-docx's single-level lists named List Bullet, List Number 2...: a style is linked to one list
    for name in ("List Bullet", "List Bullet 2", "List Bullet 3", "List Number", "List Number 2", "List Number 3"):
        style = document.styles[name]
        claims = numbering.xpath(f"w:abstractNum[w:lvl/w:pStyle/@w:val='{style.style_id}']", namespaces=NS)
        assert claims == [abstract_of(numbering, style_num(style)[1])], name


def ordered_num_id(document) -> str:
    """The w:num over the ordered abstract list that has no start override: the one List Number links to."""
    numbering = numbering_of(document)
    ids = [n.get(qn("w:numId")) for n in numbering.findall("w:num", NS) if n.find("w:lvlOverride", NS) is None]
    style_id = style_num(document.styles["List Number"])[1]
    assert style_id in ids
    return style_id


def test_plain_reference_page_setup_is_the_users(plain, plain_writer):
    document = open_docx(plain_writer.render(SAMPLE, META))
    section, user = document.sections[0], docx.Document(str(plain)).sections[0]
    for attr in ("page_width", "page_height", "left_margin", "right_margin", "top_margin", "bottom_margin"):
        assert getattr(section, attr) == getattr(user, attr), attr
    grid = [int(c.get(qn("w:w"))) for c in document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(grid) == 12240 - 1800 - 1800


def test_users_header_and_footer_are_replaced(tmp_path):
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "HOUSE HEADER TEXT"
    section.footer.paragraphs[0].text = "HOUSE FOOTER TEXT"
    section.different_first_page_header_footer = True
    path = tmp_path / "with-header.docx"
    document.save(path)
    data = DocxWriter(path).render("# A", META)
    out = open_docx(data).sections[0]
    assert out.header.paragraphs[0].text == META.title
    assert out.footer.paragraphs[0].text.startswith("WSCP-ISP-COMPLEX-NEEDS | Version 1.0")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert b"HOUSE HEADER TEXT" not in archive.read(name) and b"HOUSE FOOTER TEXT" not in archive.read(name)


def test_settings_that_refer_to_the_users_other_parts_are_dropped(plain, tmp_path):
    with zipfile.ZipFile(plain) as archive:
        settings = etree.fromstring(archive.read("word/settings.xml"))
    settings.insert(0, etree.fromstring(f'<w:documentProtection xmlns:w="{W}" w:edit="readOnly" w:enforcement="1"/>'))
    settings.insert(0, etree.fromstring(
        f'<w:attachedTemplate xmlns:w="{W}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships" r:id="rId1"/>'))
    path = rewrite(plain, tmp_path / "protected.docx", change={"word/settings.xml": etree.tostring(settings)})
    out = part(DocxWriter(path).render("# A", META), "word/settings.xml")
    assert out.find("w:documentProtection", NS) is None
    assert out.find("w:attachedTemplate", NS) is None
    assert out.find("w:zoom", NS) is not None  # the rest is the user's


@needs_soffice
def test_plain_reference_output_converts_to_pdf(plain_writer, tmp_path):
    source = tmp_path / "protocol.docx"
    source.write_bytes(plain_writer.render(SAMPLE, META))
    convert_to_pdf([source], tmp_path)
    pdf = tmp_path / "protocol.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 1000


# --- a distinctive heading style ------------------------------------------------------------------------


def test_users_heading_font_and_size_win(georgia):
    document = open_docx(DocxWriter(georgia).render(NUMBERED, META))
    heading = document.styles["Heading 1"]
    assert heading.font.name == "Georgia"
    assert heading.font.size == Pt(20)
    assert heading.element.rPr.find(qn("w:rFonts")).get(qn("w:asciiTheme")) is None
    assert next(p for p in document.paragraphs if p.text == "One").style.name == "Heading 1"
    assert style_num(heading)[0] == "0" and style_num(heading)[1] != "0"  # and numbered
    # the styles it lacked still come from the bundled reference
    assert document.styles["Note"].element.find("w:pPr/w:pBdr", NS) is not None


# --- a document with numbering of its own ------------------------------------------------------------------


def test_users_numbering_is_kept_and_new_ids_do_not_clash(own_numbering):
    with zipfile.ZipFile(own_numbering) as archive:
        user = etree.fromstring(archive.read("word/numbering.xml"))
    data = DocxWriter(own_numbering).render(NUMBERED + "\n" + LISTS, META)
    document = open_docx(data)
    numbering = numbering_of(document)
    assert_ids_unique_and_resolved(numbering)
    # every definition of the user's is still there, unchanged but for links to styles the writer relinked
    for abstract in user.findall("w:abstractNum", NS):
        abstract_id = abstract.get(qn("w:abstractNumId"))
        found = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{abstract_id}']", namespaces=NS)
        assert len(found) == 1
        assert without(found[0], "w:pStyle") == without(abstract, "w:pStyle")
    for num in user.findall("w:num", NS):
        found = numbering.xpath(f"w:num[@w:numId='{num.get(qn('w:numId'))}']", namespaces=NS)
        assert len(found) == 1 and without(found[0]) == without(num)
    # what the writer added has ids above the user's
    user_abstracts = {int(a) for a in user.xpath("w:abstractNum/@w:abstractNumId", namespaces=NS)}
    user_nums = {int(n) for n in user.xpath("w:num/@w:numId", namespaces=NS)}
    heading_num = style_num(document.styles["Heading 1"])[1]
    assert int(heading_num) > max(user_nums)
    heading_abstract = abstract_of(numbering, heading_num)
    assert int(heading_abstract.get(qn("w:abstractNumId"))) > max(user_abstracts)
    # the bundled heading list's nsid was the same as the user's list: the copy got another
    assert heading_abstract.find("w:nsid", NS).get(qn("w:val")) != "5A0C0001"
    items = [list_num(p)[1] for p in document.paragraphs if p.text in ("a", "c", "x")]
    assert all(int(num_id) > max(user_nums) for num_id in items)


def test_users_heading_numbering_wins(roman_headings):
    data = DocxWriter(roman_headings).render("::: toc\n:::\n\n" + NUMBERED, META)
    document = open_docx(data)
    for level, name in enumerate(("Heading 1", "Heading 2", "Heading 3")):
        assert style_num(document.styles[name]) == (str(level), "60")
    with zipfile.ZipFile(roman_headings) as archive:
        before = len(etree.fromstring(archive.read("word/numbering.xml")).findall("w:abstractNum", NS))
    numbering = numbering_of(document)
    # the heading list is the user's; only the bullet and number lists are added
    assert len(numbering.findall("w:abstractNum", NS)) == before + 2
    toc = [p.text for p in document.paragraphs if p.style.name.startswith("toc")]
    assert toc == ["I.\tOne", "I.1\tOne point one", "II.\tTwo", "II.1\tTwo point one"]


def test_reference_without_numbering_part(no_numbering):
    data = DocxWriter(no_numbering).render(NUMBERED + "\n" + LISTS, META)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "word/numbering.xml" in archive.namelist()
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
    assert 'PartName="/word/numbering.xml"' in types
    assert 'relationships/numbering" Target="numbering.xml"' in rels
    document = open_docx(data)
    numbering = numbering_of(document)
    assert_ids_unique_and_resolved(numbering)
    assert len(numbering.findall("w:abstractNum", NS)) == 3  # headings, bullets, numbers
    heading = abstract_of(numbering, style_num(document.styles["Heading 2"])[1])
    assert heading.xpath("w:lvl[@w:ilvl='1']/w:lvlText/@w:val", namespaces=NS) == ["%1.%2"]


# --- not a Word document -------------------------------------------------------------------------------------


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("kind", ["text", "empty zip", "no document part", "no styles part", "broken styles",
                                  "spreadsheet"])
def test_not_a_word_document_is_an_error_naming_the_file(plain, tmp_path, kind):
    path = tmp_path / f"house style {kind.replace(' ', '-')}.docx"
    if kind == "text":
        path.write_text("not a zip")
    elif kind == "empty zip":
        _zip(path, {"readme.txt": b"hello"})
    elif kind == "no document part":
        rewrite(plain, path, drop=("word/document.xml",))
    elif kind == "no styles part":
        with zipfile.ZipFile(plain) as archive:
            rels = etree.fromstring(archive.read("word/_rels/document.xml.rels"))
        for rel in [r for r in rels if r.get("Target") == "styles.xml"]:
            rels.remove(rel)
        rewrite(plain, path, drop=("word/styles.xml",),
                change={"word/_rels/document.xml.rels": etree.tostring(rels)})
    elif kind == "broken styles":
        rewrite(plain, path, change={"word/styles.xml": b"<w:styles"})
    else:  # an .xlsx renamed: a package whose main part is not a Word document
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        _zip(path, {
            "_rels/.rels": (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                            f'<Relationship Id="rId1" Type="{rel}officeDocument" Target="xl/workbook.xml"/>'
                            "</Relationships>").encode(),
            "xl/workbook.xml": b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        })
    with pytest.raises(ValueError) as error:
        DocxWriter(path)
    assert str(path) in str(error.value)


# --- determinism ---------------------------------------------------------------------------------------------


def test_same_reference_gives_identical_bytes(plain, own_numbering, tmp_path):
    for reference in (plain, own_numbering):
        first = DocxWriter(reference).render(SAMPLE + "\n" + LISTS, META)
        assert DocxWriter(reference).render(SAMPLE + "\n" + LISTS, META) == first
        copied = tmp_path / "elsewhere" / "copy.docx"
        copied.parent.mkdir(exist_ok=True)
        shutil.copyfile(reference, copied)
        assert DocxWriter(copied).render(SAMPLE + "\n" + LISTS, META) == first  # the path plays no part


def test_rendering_does_not_change_the_writer(plain_writer):
    first = plain_writer.render(SAMPLE + "\n" + LISTS, META)
    plain_writer.render(SAMPLE, replace(META, numbered_headings=False))
    plain_writer.render(LISTS * 3, META)
    assert plain_writer.render(SAMPLE + "\n" + LISTS, META) == first
