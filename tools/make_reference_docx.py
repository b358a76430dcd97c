"""Generate ``protocolgen/templates/reference.docx``, the house style of every Word document protocolgen writes.

Run from the repository root::

    python tools/make_reference_docx.py            # writes protocolgen/templates/reference.docx
    python tools/make_reference_docx.py OUT.docx   # writes elsewhere, e.g. to compare

The output is deterministic (fixed zip dates and entry order), so a regenerated file that differs from the
committed one means the style really changed. It starts from python-docx's default template (for its theme
and latent-style table) and replaces the rest with the definitions below, written out as WordprocessingML so a
reviewer can read exactly what each style does:

* A4, 2.5 cm margins; Arial 11 pt body (LibreOffice substitutes the metric-compatible Liberation Sans);
  language en-GB on the document defaults.
* Title 26 pt bold with a rule beneath; Heading 1-3 bold dark blue (bold and size carry the hierarchy, the
  colour is decoration only), numbered 1 / 1.1 / 1.1.1 by a multilevel list linked to the heading styles
  (numbering.xml numId 1), so headings renumber themselves when a user edits the document.
* List Bullet / List Bullet 2 / List Bullet 3 (numId 2) and List Number / List Number 2 / List Number 3
  (numId 3). The writer gives each ordered list its own ``w:num`` over the same abstract list so it restarts.
* Note: a boxed, lightly shaded paragraph (the box border shows it in greyscale print too).
* Protocol Table: light grey grid, header row shaded with a heavier rule beneath and bold text, repeated on
  each page. Table Text: the compact paragraph style used inside table cells.
* Hyperlink (blue and underlined), TOC Heading, TOC 1-3, Header, Footer, Quote.

The body holds a short specimen of each style; the writer uses only the styles, numbering, settings, fonts,
theme and page setup, never the body.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.shared import Cm

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = f'xmlns:w="{W_NS}"'

OUT = Path(__file__).resolve().parent.parent / "protocolgen" / "templates" / "reference.docx"
FIXED_DATE = dt.datetime(2026, 1, 1, 0, 0, 0)

# --- house palette and measures (twentieths of a point unless noted) -------------------------------------
NAVY = "1F3864"  # headings, title rule: contrast 12.6:1 on white
LINK_BLUE = "0563C1"
GREY_TEXT = "595959"  # header/footer text: 7:1 on white
GRID = "A6A6A6"  # table borders
HEADER_FILL = "D9E2F3"  # table header shading (black text on it: 15:1)
NOTE_FILL = "EEF3FA"
NOTE_RULE = "2F5496"
FONT = "Arial"
A4_W, A4_H = Cm(21.0), Cm(29.7)
MARGIN = Cm(2.5)
TEXT_WIDTH = 9071  # 16 cm in twips: A4 width less two 2.5 cm margins
HEADING_INDENT = 794  # 1.4 cm: heading text starts here, the number hangs in front of it


def style(kind: str, style_id: str, name: str, body: str, *, custom: bool = False, default: bool = False) -> str:
    attrs = f'w:type="{kind}" w:styleId="{style_id}"'
    if default:
        attrs += ' w:default="1"'
    if custom:
        attrs += ' w:customStyle="1"'
    return f'<w:style {NSDECL} {attrs}><w:name w:val="{name}"/>{body}</w:style>'


def heading(level: int, size_half_points: int, before: int, after: int) -> str:
    return style(
        "paragraph",
        f"Heading{level}",
        f"heading {level}",
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>'
        "<w:pPr><w:keepNext/><w:keepLines/>"
        f'<w:numPr><w:ilvl w:val="{level - 1}"/><w:numId w:val="1"/></w:numPr>'
        f'<w:spacing w:before="{before}" w:after="{after}" w:line="240" w:lineRule="auto"/>'
        f'<w:outlineLvl w:val="{level - 1}"/></w:pPr>'
        f'<w:rPr><w:b/><w:bCs/><w:color w:val="{NAVY}"/><w:sz w:val="{size_half_points}"/>'
        f'<w:szCs w:val="{size_half_points}"/></w:rPr>',
    )


def list_style(style_id: str, name: str, num_id: int, level: int) -> str:
    return style(
        "paragraph",
        style_id,
        name,
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
        f'<w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
        '<w:spacing w:after="60"/></w:pPr>',
    )


def toc_style(level: int, left: int, hanging: int, bold: bool) -> str:
    return style(
        "paragraph",
        f"TOC{level}",
        f"toc {level}",
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/>'
        f'<w:pPr><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'
        f'<w:spacing w:before="{80 if level == 1 else 0}" w:after="40"/>'
        f'<w:ind w:left="{left}" w:hanging="{hanging}"/></w:pPr>'
        + ("<w:rPr><w:b/><w:bCs/></w:rPr>" if bold else ""),
    )


def box(color: str, size: int, space: int) -> str:
    return f'w:val="single" w:sz="{size}" w:space="{space}" w:color="{color}"'


STYLES = [
    style(
        "paragraph",
        "Normal",
        "Normal",
        '<w:qFormat/><w:pPr><w:widowControl/></w:pPr>',
        default=True,
    ),
    style(
        "character",
        "DefaultParagraphFont",
        "Default Paragraph Font",
        '<w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/>',
        default=True,
    ),
    style(
        "table",
        "TableNormal",
        "Normal Table",
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>'
        '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
        '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr>",
        default=True,
    ),
    style(
        "numbering",
        "NoList",
        "No List",
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>',
        default=True,
    ),
    style(
        "paragraph",
        "Title",
        "Title",
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="10"/><w:qFormat/>'
        f'<w:pPr><w:keepNext/><w:pBdr><w:bottom {box(NAVY, 12, 8)}/></w:pBdr>'
        '<w:spacing w:before="0" w:after="360" w:line="240" w:lineRule="auto"/></w:pPr>'
        f'<w:rPr><w:b/><w:bCs/><w:color w:val="{NAVY}"/><w:kern w:val="28"/>'
        '<w:sz w:val="52"/><w:szCs w:val="52"/></w:rPr>',
    ),
    heading(1, 32, 400, 160),
    heading(2, 26, 280, 120),
    heading(3, 23, 220, 80),
    list_style("ListBullet", "List Bullet", 2, 0),
    list_style("ListBullet2", "List Bullet 2", 2, 1),
    list_style("ListBullet3", "List Bullet 3", 2, 2),
    list_style("ListNumber", "List Number", 3, 0),
    list_style("ListNumber2", "List Number 2", 3, 1),
    list_style("ListNumber3", "List Number 3", 3, 2),
    style(
        "paragraph",
        "Note",
        "Note",
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="29"/><w:qFormat/>'
        "<w:pPr><w:keepLines/><w:pBdr>"
        f"<w:top {box(NOTE_RULE, 4, 6)}/><w:left {box(NOTE_RULE, 24, 8)}/>"
        f"<w:bottom {box(NOTE_RULE, 4, 6)}/><w:right {box(NOTE_RULE, 4, 6)}/></w:pBdr>"
        f'<w:shd w:val="clear" w:color="auto" w:fill="{NOTE_FILL}"/>'
        '<w:spacing w:before="200" w:after="200"/><w:ind w:left="255" w:right="170"/></w:pPr>',
        custom=True,
    ),
    style(
        "paragraph",
        "Quote",
        "Quote",
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="29"/><w:qFormat/>'
        f'<w:pPr><w:pBdr><w:left {box(GRID, 18, 8)}/></w:pBdr><w:ind w:left="397" w:right="397"/></w:pPr>'
        "<w:rPr><w:i/><w:iCs/></w:rPr>",
    ),
    style(
        "paragraph",
        "TableText",
        "Table Text",
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="29"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/></w:pPr>'
        '<w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>',
        custom=True,
    ),
    style(
        "table",
        "TableGrid",
        "Table Grid",
        '<w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/>'
        '<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        "<w:tblPr><w:tblBorders>"
        + "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + "</w:tblBorders></w:tblPr>",
    ),
    style(
        "table",
        "ProtocolTable",
        "Protocol Table",
        '<w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        '<w:tblPr><w:tblStyleRowBandSize w:val="1"/><w:tblStyleColBandSize w:val="1"/><w:tblBorders>'
        + "".join(f"<w:{side} {box(GRID, 4, 0)}/>"
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + '</w:tblBorders><w:tblCellMar><w:top w:w="57" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="57" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr>'
        '<w:tblStylePr w:type="firstRow"><w:pPr><w:keepNext/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr>'
        "<w:trPr><w:tblHeader/></w:trPr>"
        f'<w:tcPr><w:tcBorders><w:bottom {box(NAVY, 12, 0)}/></w:tcBorders>'
        f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/></w:tcPr></w:tblStylePr>',
        custom=True,
    ),
    style(
        "character",
        "Hyperlink",
        "Hyperlink",
        '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
        f'<w:rPr><w:color w:val="{LINK_BLUE}"/><w:u w:val="single"/></w:rPr>',
    ),
    style(
        "character",
        "FollowedHyperlink",
        "FollowedHyperlink",
        '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>'
        '<w:rPr><w:color w:val="954F72"/><w:u w:val="single"/></w:rPr>',
    ),
    style(
        "paragraph",
        "TOCHeading",
        "TOC Heading",
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/>'
        '<w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="160"/>'
        '<w:outlineLvl w:val="9"/></w:pPr>'
        f'<w:rPr><w:b/><w:bCs/><w:color w:val="{NAVY}"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr>',
    ),
    toc_style(1, 567, 567, bold=True),
    toc_style(2, 1361, 794, bold=False),
    toc_style(3, 2325, 964, bold=False),
    style(
        "paragraph",
        "Header",
        "header",
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
        f'<w:pPr><w:pBdr><w:bottom {box(GRID, 4, 4)}/></w:pBdr>'
        '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="right"/></w:pPr>'
        f'<w:rPr><w:color w:val="{GREY_TEXT}"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>',
    ),
    style(
        "paragraph",
        "Footer",
        "footer",
        '<w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
        f'<w:pPr><w:pBdr><w:top {box(GRID, 4, 4)}/></w:pBdr>'
        '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/></w:pPr>'
        f'<w:rPr><w:color w:val="{GREY_TEXT}"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>',
    ),
]

DOC_DEFAULTS = (
    f"<w:docDefaults {NSDECL}><w:rPrDefault><w:rPr>"
    f'<w:rFonts w:ascii="{FONT}" w:eastAsia="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}"/>'
    '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-GB" w:eastAsia="en-GB" w:bidi="ar-SA"/>'
    "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
    '<w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
)


def level(ilvl: int, fmt: str, text: str, left: int, hanging: int, *, pstyle: str = "", font: str = "") -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        + (f'<w:pStyle w:val="{pstyle}"/>' if pstyle else "")
        + f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{left}" w:hanging="{hanging}"/></w:pPr>'
        + (f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:hint="default"/></w:rPr>' if font else "")
        + "</w:lvl>"
    )


def heading_levels() -> str:
    out = []
    for ilvl in range(9):
        text = ".".join(f"%{n}" for n in range(1, ilvl + 2))
        pstyle = f"Heading{ilvl + 1}" if ilvl < 3 else ""
        out.append(level(ilvl, "decimal", text, HEADING_INDENT, HEADING_INDENT, pstyle=pstyle))
    return "".join(out)


BULLETS = ["\u2022", "\u2013", "\u25aa"]
ORDERED = [("decimal", "%{n}."), ("lowerLetter", "%{n}."), ("lowerRoman", "%{n}.")]
LIST_STYLES = {"bullet": ["ListBullet", "ListBullet2", "ListBullet3"], "number": ["ListNumber", "ListNumber2", "ListNumber3"]}

NUMBERING = (
    f"<w:numbering {NSDECL}>"
    # 0: headings 1 / 1.1 / 1.1.1, linked to Heading 1-3
    '<w:abstractNum w:abstractNumId="0"><w:nsid w:val="5A0C0001"/><w:multiLevelType w:val="multilevel"/>'
    + heading_levels()
    + "</w:abstractNum>"
    # 1: bullets
    '<w:abstractNum w:abstractNumId="1"><w:nsid w:val="5A0C0002"/><w:multiLevelType w:val="hybridMultilevel"/>'
    + "".join(
        level(i, "bullet", BULLETS[i % 3], 357 * (i + 1), 357,
              pstyle=LIST_STYLES["bullet"][i] if i < 3 else "", font=FONT)
        for i in range(9)
    )
    + "</w:abstractNum>"
    # 2: ordered 1. / a. / i.
    '<w:abstractNum w:abstractNumId="2"><w:nsid w:val="5A0C0003"/><w:multiLevelType w:val="hybridMultilevel"/>'
    + "".join(
        level(i, ORDERED[i % 3][0], ORDERED[i % 3][1].format(n=i + 1), 425 * (i + 1), 425,
              pstyle=LIST_STYLES["number"][i] if i < 3 else "")
        for i in range(9)
    )
    + "</w:abstractNum>"
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
    '<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num>'
    "</w:numbering>"
)

SETTINGS = (
    f'<w:settings {NSDECL}><w:zoom w:percent="100"/><w:defaultTabStop w:val="720"/>'
    '<w:characterSpacingControl w:val="doNotCompress"/><w:compat>'
    + "".join(
        f'<w:compatSetting w:name="{name}" w:uri="http://schemas.microsoft.com/office/word" w:val="{val}"/>'
        for name, val in (
            ("compatibilityMode", "15"),
            ("overrideTableStyleFontSizeAndJustification", "1"),
            ("enableOpenTypeFeatures", "1"),
            ("doNotFlipMirrorIndents", "1"),
        )
    )
    + '</w:compat><w:themeFontLang w:val="en-GB"/>'
    '<w:clrSchemeMapping w:bg1="light1" w:t1="dark1" w:bg2="light2" w:t2="dark2" w:accent1="accent1" '
    'w:accent2="accent2" w:accent3="accent3" w:accent4="accent4" w:accent5="accent5" w:accent6="accent6" '
    'w:hyperlink="hyperlink" w:followedHyperlink="followedHyperlink"/>'
    '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/></w:settings>'
)


def font(name: str, panose: str, family: str, pitch: str) -> str:
    return (
        f'<w:font w:name="{name}"><w:panose1 w:val="{panose}"/><w:charset w:val="00"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
    )


FONT_TABLE = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    f"<w:fonts {NSDECL}>"
    + font("Arial", "020B0604020202020204", "swiss", "variable")
    + font("Times New Roman", "02020603050405020304", "roman", "variable")
    + font("Courier New", "02070309020205020404", "modern", "fixed")
    + "</w:fonts>"
).encode()

APP_XML = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>protocolgen</Application><DocSecurity>0</DocSecurity></Properties>"
)

DROP_RELTYPES = {
    RT.CUSTOM_XML,
    RT.WEB_SETTINGS,
    RT.THUMBNAIL,
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
}

ZIP_ORDER = [
    "[Content_Types].xml",
    "_rels/.rels",
    "docProps/core.xml",
    "docProps/app.xml",
    "word/document.xml",
    "word/_rels/document.xml.rels",
    "word/styles.xml",
    "word/numbering.xml",
    "word/settings.xml",
    "word/fontTable.xml",
    "word/theme/theme1.xml",
]


def replace_children(element, xml: str, keep: tuple[str, ...] = ()) -> None:
    """Replace ``element``'s children by those of ``xml`` (keeping children whose tag is in ``keep``)."""
    kept = [child for child in element if child.tag in keep]
    for child in list(element):
        element.remove(child)
    for child in parse_xml(xml):
        element.append(child)
    for child in kept:
        element.append(child)


def build() -> bytes:
    document = docx.Document()
    package = document.part.package

    # Styles: new docDefaults, python-docx's latent-style table, then the house styles.
    styles = document.styles.element
    latent = styles.find(f"{{{W_NS}}}latentStyles")
    for child in list(styles):
        styles.remove(child)
    styles.append(parse_xml(DOC_DEFAULTS))
    styles.append(latent)
    for xml in STYLES:
        styles.append(parse_xml(xml))

    numbering = document.part.numbering_part.element
    replace_children(numbering, NUMBERING)
    replace_children(document.settings.element, SETTINGS)

    for source in (document.part, package):
        for rid, rel in list(source.rels.items()):
            if rel.reltype in DROP_RELTYPES:
                source.rels.pop(rid)
    font_part = document.part.part_related_by(RT.FONT_TABLE)
    font_part._blob = FONT_TABLE  # a plain Part: its blob is what gets written

    section = document.sections[0]
    section.page_width, section.page_height = A4_W, A4_H
    section.top_margin = section.bottom_margin = MARGIN
    section.left_margin = section.right_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1.25)
    for name in [a for a in section._sectPr.attrib if "rsid" in a]:  # revision-session ids: noise
        del section._sectPr.attrib[name]

    specimen(document)

    props = document.core_properties
    props.title = "protocolgen reference styles"
    props.subject = "House style for generated information-sharing protocols"
    props.author = props.last_modified_by = "protocolgen"
    props.comments = ""
    props.keywords = ""
    props.category = ""
    props.language = "en-GB"
    props.revision = 1
    props.created = props.modified = FIXED_DATE

    buffer = io.BytesIO()
    document.save(buffer)
    return repack(buffer.getvalue())


def specimen(document) -> None:
    """A short sample of every style, for a reviewer opening the reference in Word."""
    body = document.element.body
    for child in list(body):
        if child.tag != f"{{{W_NS}}}sectPr":
            body.remove(child)
    document.add_paragraph("protocolgen house style", style="Title")
    document.add_paragraph(
        "This document supplies the styles, numbering and page setup of every Word document protocolgen "
        "writes. Its text is a specimen only; regenerate it with tools/make_reference_docx.py."
    )
    document.add_paragraph("Heading 1 (numbered by the heading list)", style="Heading 1")
    document.add_paragraph("Heading 2", style="Heading 2")
    document.add_paragraph("Heading 3", style="Heading 3")
    document.add_paragraph("List Bullet", style="List Bullet")
    document.add_paragraph("List Bullet 2", style="List Bullet 2")
    document.add_paragraph("List Number", style="List Number")
    document.add_paragraph("List Number 2", style="List Number 2")
    document.add_paragraph("Note: a boxed paragraph for important points.", style="Note")
    table = document.add_table(rows=2, cols=2, style="Protocol Table")
    for cell, text in zip(table._cells, ("Header", "Row", "Table Text", "in cells"), strict=True):
        cell.paragraphs[0].text = text
        cell.paragraphs[0].style = document.styles["Table Text"]
    document.add_paragraph("")


def repack(data: bytes) -> bytes:
    """Rewrite python-docx's zip with fixed dates, a fixed entry order and no time-stamped metadata."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["docProps/app.xml"] = APP_XML
    unexpected = set(parts) - set(ZIP_ORDER)
    if unexpected:
        raise SystemExit(f"unexpected parts in the reference: {sorted(unexpected)}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ZIP_ORDER:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, parts[name], compresslevel=9)
    return out.getvalue()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
