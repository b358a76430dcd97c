"""Fillable forms: Word content controls for consent forms, inside ``::: form`` only.

* Every "☐" (U+2610) becomes a **check box** content control (``w:sdt`` with ``w14:checkbox``) that Word and
  LibreOffice toggle with a click, showing ☒ (U+2612) when ticked. Its title and tag are the words printed
  after it ("Yes", "No", "I know that I can change my mind at any time"), so a screen reader names it.
* Every empty body cell of a table becomes a **plain text** content control (``w:sdt`` with ``w:text``),
  titled and tagged with its column's header ("Child's name"). The control is empty and has no placeholder,
  so a printed form shows only the cell's box, to fill in by hand; on screen one types into it.

The glyphs need a font that has them on every reader's machine: "MS Gothic" (what Word itself uses for check
boxes, with the ``eastAsia`` hint so Word picks it), "Segoe UI Symbol" for complex-script text, and the font
table names "DejaVu Sans" as the alternative LibreOffice finds on Linux. ``w14`` is Word 2010's namespace:
the document declares it ignorable (``mc:Ignorable``), so an older reader keeps the glyph as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from protocolgen.write.docx.oxml import (
    W14_NS,
    W_NAME,
    W_R,
    W_RFONTS,
    W_RPR,
    W_T,
    W_VAL,
    parser,
    qn,
    xml_bytes,
)

__all__ = ["BALLOT_BOX", "add_checkbox", "add_text_control", "title_checkboxes", "with_box_fonts"]

BALLOT_BOX = "\u2610"  # ☐
BALLOT_BOX_CHECKED = "\u2612"  # ☒
BOX_FONT = "MS Gothic"
BOX_FONT_COMPLEX = "Segoe UI Symbol"
BOX_FONT_LINUX = "DejaVu Sans"
_TITLE_LIMIT = 80  # characters of the following text a check box is titled with

W_SDT, W_SDTPR, W_SDTCONTENT, W_ALIAS, W_TAG, W_ID, W_TEXT = map(
    qn, ("sdt", "sdtPr", "sdtContent", "alias", "tag", "id", "text")
)
W_FONT, W_ALTNAME, W_CHARSET, W_FAMILY, W_PITCH, W_PANOSE = map(
    qn, ("font", "altName", "charset", "family", "pitch", "panose1")
)


def _w14(tag: str) -> str:
    return f"{{{W14_NS}}}{tag}"


def _box_rpr() -> etree._Element:
    rpr = etree.Element(W_RPR)
    fonts = etree.SubElement(rpr, W_RFONTS)
    for attr, font in (("ascii", BOX_FONT), ("eastAsia", BOX_FONT), ("hAnsi", BOX_FONT), ("cs", BOX_FONT_COMPLEX),
                       ("hint", "eastAsia")):
        fonts.set(qn(attr), font)
    return rpr


def _sdt(parent: etree._Element, sdt_id: int, title: str | None) -> tuple[etree._Element, etree._Element]:
    """A run-level ``w:sdt`` appended to ``parent``: (its properties, its content)."""
    sdt = etree.SubElement(parent, W_SDT)
    properties = etree.SubElement(sdt, W_SDTPR)
    if title is not None:
        _set_title(properties, title)
    etree.SubElement(properties, W_ID).set(W_VAL, str(sdt_id))
    return properties, etree.SubElement(sdt, W_SDTCONTENT)


def _set_title(properties: etree._Element, title: str) -> None:
    """Title (``w:alias``) and tag of a control, after its ``w:rPr`` as CT_SdtPr orders them."""
    index = 1 if len(properties) and properties[0].tag == W_RPR else 0
    tag = etree.Element(W_TAG)
    tag.set(W_VAL, title)
    alias = etree.Element(W_ALIAS)
    alias.set(W_VAL, title)
    properties.insert(index, tag)
    properties.insert(index, alias)


def add_checkbox(parent: etree._Element, sdt_id: int) -> etree._Element:
    """Append an unticked check box control to ``parent`` (a paragraph or a hyperlink); returns the ``w:sdt``.
    Its title is set by :func:`title_checkboxes` once the paragraph's text is written."""
    properties, content = _sdt(parent, sdt_id, None)
    properties.insert(0, _box_rpr())
    box = etree.SubElement(properties, _w14("checkbox"))
    etree.SubElement(box, _w14("checked")).set(_w14("val"), "0")
    for state, glyph in (("checkedState", BALLOT_BOX_CHECKED), ("uncheckedState", BALLOT_BOX)):
        element = etree.SubElement(box, _w14(state))
        element.set(_w14("val"), f"{ord(glyph):04X}")
        element.set(_w14("font"), BOX_FONT)
    run = etree.SubElement(content, W_R)
    run.append(_box_rpr())
    etree.SubElement(run, W_T).text = BALLOT_BOX
    return properties.getparent()


def add_text_control(p: etree._Element, sdt_id: int, title: str) -> etree._Element:
    """Append an empty plain-text control titled ``title`` to paragraph ``p``. No placeholder: it prints blank."""
    properties, content = _sdt(p, sdt_id, title)
    etree.SubElement(properties, W_TEXT)
    etree.SubElement(etree.SubElement(content, W_R), W_T).text = ""
    return properties.getparent()


def title_checkboxes(p: etree._Element, boxes: Sequence[etree._Element]) -> None:
    """Title each check box in ``boxes`` (all in paragraph ``p``) with the text that follows it, up to the next
    box or a double space (the separator forms use between "☐ Yes  ☐ No  I agree ...")."""
    wanted = set(boxes)
    following: dict[etree._Element, list[str]] = {}
    current: list[str] | None = None
    for element in p.iter(W_T, W_SDT):
        if element.tag == W_SDT:
            current = following.setdefault(element, []) if element in wanted else None
        elif current is not None and element.getparent().getparent().tag != W_SDTCONTENT:
            current.append(element.text or "")
    for box in boxes:
        text = "".join(following.get(box, ())).strip().split("  ")[0].strip()
        if len(text) > _TITLE_LIMIT:
            text = text[:_TITLE_LIMIT].rsplit(" ", 1)[0]
        _set_title(box.find(W_SDTPR), text or "Check box")


def with_box_fonts(font_table: bytes) -> bytes:
    """The font table with entries for the check box fonts (unless it has them), naming the alternative that
    LibreOffice finds on Linux, so a reader's substitution picks a font with the glyphs."""
    root = etree.fromstring(font_table, parser())
    present = {font.get(W_NAME) for font in root.iter(W_FONT)}
    for name, panose, charset, family, pitch in (
        (BOX_FONT, "020B0609070205080204", "80", "modern", "fixed"),
        (BOX_FONT_COMPLEX, "020B0502040204020203", "00", "swiss", "variable"),
    ):
        if name in present:
            continue
        font = etree.SubElement(root, W_FONT)
        font.set(W_NAME, name)
        etree.SubElement(font, W_ALTNAME).set(W_VAL, BOX_FONT_LINUX)
        etree.SubElement(font, W_PANOSE).set(W_VAL, panose)
        etree.SubElement(font, W_CHARSET).set(W_VAL, charset)
        etree.SubElement(font, W_FAMILY).set(W_VAL, family)
        etree.SubElement(font, W_PITCH).set(W_VAL, pitch)
    return xml_bytes(root)
