"""The page: the section properties at the end of the body (the reference's page size and margins, with this
document's header and footer), and the header and footer parts themselves.

The header names the document; the footer gives its reference, version, issue date and "Page N of M"
(``PAGE`` and ``NUMPAGES`` fields, which Word and LibreOffice fill in when they lay the pages out).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lxml import etree

from protocolgen.write.docx.fields import field
from protocolgen.write.docx.oxml import (
    NSMAP,
    R_ID,
    W_FOOTERREF,
    W_HEADERREF,
    W_P,
    W_PPR,
    W_PSTYLE,
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


def header_part(meta: DocMeta, style_id: str | None) -> bytes:
    root = etree.Element(qn("hdr"), nsmap=NSMAP)
    p = etree.SubElement(root, W_P)
    if style_id:
        etree.SubElement(etree.SubElement(p, W_PPR), W_PSTYLE).set(W_VAL, style_id)
    add_run(p, meta.title)
    return xml_bytes(root)


def footer_part(meta: DocMeta, style_id: str | None) -> bytes:
    root = etree.Element(qn("ftr"), nsmap=NSMAP)
    p = etree.SubElement(root, W_P)
    if style_id:
        etree.SubElement(etree.SubElement(p, W_PPR), W_PSTYLE).set(W_VAL, style_id)
    prefix = f"{meta.reference} | " if meta.reference else ""
    add_run(p, f"{prefix}Version {meta.version} | Issued {meta.issue_date_text} | Page ")
    field(p, " PAGE ", "1")
    add_run(p, " of ")
    field(p, " NUMPAGES ", "1")
    return xml_bytes(root)
