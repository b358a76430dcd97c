"""The page: the section properties at the end of the body (the reference's page size and margins, with this
document's header and footer), and the header and footer parts themselves.

The header names the document, under its protective marking and status label (``DocMeta.marking``, e.g.
OFFICIAL, and ``DocMeta.status_label``, e.g. DRAFT) when they are set; the footer gives its reference, version,
issue date and "Page N of M" (``PAGE`` and ``NUMPAGES`` fields, which Word and LibreOffice fill in when they
lay the pages out), and the marking again at the foot of the page.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lxml import etree

from protocolgen.write.docx.fields import field
from protocolgen.write.docx.oxml import (
    NSMAP,
    R_ID,
    W_B,
    W_COLOR,
    W_FOOTERREF,
    W_HEADERREF,
    W_JC,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_R,
    W_RPR,
    W_SZ,
    W_SZCS,
    W_T,
    W_TYPE,
    W_VAL,
    add_run,
    qn,
    xml_bytes,
)

if TYPE_CHECKING:
    from protocolgen.write import DocMeta


def section_properties(reference_sect: etree._Element, header_rid: str, footer_rid: str) -> etree._Element:
    """A copy of the reference's ``w:sectPr`` pointing at this document's header and footer."""
    sect = copy.deepcopy(reference_sect)
    footer = etree.Element(W_FOOTERREF)
    footer.set(W_TYPE, "default")
    footer.set(R_ID, footer_rid)
    sect.insert(0, footer)
    header = etree.Element(W_HEADERREF)
    header.set(W_TYPE, "default")
    header.set(R_ID, header_rid)
    sect.insert(0, header)
    return sect


# The marking and the status label are not the reference's to style: they must read the same in every house
# style, so they carry their own emphasis on top of the header and footer styles.
_MARKING_SIZE = "20"  # half-points: 10 pt, bold, a little above the 9 pt header text
_STATUS_SIZE = "28"  # 14 pt bold: a draft must be unmistakable on every page


def _paragraph(root: etree._Element, style_id: str | None, centred: bool = False) -> etree._Element:
    p = etree.SubElement(root, W_P)
    if style_id or centred:
        ppr = etree.SubElement(p, W_PPR)
        if style_id:
            etree.SubElement(ppr, W_PSTYLE).set(W_VAL, style_id)
        if centred:
            etree.SubElement(ppr, W_JC).set(W_VAL, "center")
    return p


def _emphasised(p: etree._Element, text: str, size: str) -> None:
    """A bold run of ``text`` at ``size`` half-points, black so that it survives greyscale printing."""
    r = etree.SubElement(p, W_R)
    rpr = etree.SubElement(r, W_RPR)
    etree.SubElement(rpr, W_B)
    etree.SubElement(rpr, W_COLOR).set(W_VAL, "000000")
    etree.SubElement(rpr, W_SZ).set(W_VAL, size)
    etree.SubElement(rpr, W_SZCS).set(W_VAL, size)
    etree.SubElement(r, W_T).text = text


def header_part(meta: DocMeta, style_id: str | None) -> bytes:
    """The page header: the protective marking (centred, at the very top), the status label (e.g. DRAFT, bold
    and larger) and the document title, each when set."""
    root = etree.Element(qn("hdr"), nsmap=NSMAP)
    if meta.marking:
        _emphasised(_paragraph(root, style_id, centred=True), meta.marking, _MARKING_SIZE)
    if meta.status_label:
        _emphasised(_paragraph(root, style_id, centred=True), meta.status_label, _STATUS_SIZE)
    add_run(_paragraph(root, style_id), meta.title)
    return xml_bytes(root)


def footer_part(meta: DocMeta, style_id: str | None) -> bytes:
    """The page footer: reference, version, issue date and "Page N of M", then the protective marking at the
    very bottom, when set."""
    root = etree.Element(qn("ftr"), nsmap=NSMAP)
    p = _paragraph(root, style_id)
    prefix = f"{meta.reference} | " if meta.reference else ""
    words = meta.label("Version"), meta.label("Issued"), meta.label("Page"), meta.label("of")
    add_run(p, f"{prefix}{words[0]} {meta.version} | {words[1]} {meta.issue_date_text} | {words[2]} ")
    field(p, " PAGE ", "1")
    add_run(p, f" {words[3]} ")
    field(p, " NUMPAGES ", "1")
    if meta.marking:
        _emphasised(_paragraph(root, style_id, centred=True), meta.marking, _MARKING_SIZE)
    return xml_bytes(root)
