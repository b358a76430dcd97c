"""The Open Packaging Conventions layer of the Word writer: which parts a .docx holds, their content types and
relationships, the core and extended document properties, and the zip itself.

The zip is written with a fixed entry order, fixed entry dates (the document's ``created`` date) and fixed
compression, so identical input gives byte-identical files. Nothing here reads the clock or the host.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from lxml import etree

from protocolgen.write.docx.oxml import PKG_REL_NS

if TYPE_CHECKING:
    from protocolgen.write import DocMeta

CT = "application/vnd.openxmlformats-officedocument."
"""The common prefix of the Office content types."""
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
"""The common prefix of the Office relationship types."""

PARTS: list[tuple[str, str, str]] = [
    # (part name, content type, relationship type from document.xml); order = zip order after the first four
    ("word/styles.xml", CT + "wordprocessingml.styles+xml", RT + "styles"),
    ("word/numbering.xml", CT + "wordprocessingml.numbering+xml", RT + "numbering"),
    ("word/settings.xml", CT + "wordprocessingml.settings+xml", RT + "settings"),
    ("word/fontTable.xml", CT + "wordprocessingml.fontTable+xml", RT + "fontTable"),
    ("word/theme/theme1.xml", CT + "theme+xml", RT + "theme"),
    ("word/header1.xml", CT + "wordprocessingml.header+xml", RT + "header"),
    ("word/footer1.xml", CT + "wordprocessingml.footer+xml", RT + "footer"),
]
OPTIONAL_PARTS = ("word/fontTable.xml", "word/theme/theme1.xml")  # copied when the reference has them
XML_DECL = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"

Relationship = tuple[str, str, str, bool]
"""(rId, relationship type, target, external) of one relationship of ``word/document.xml``."""


def relationship_target(rels: etree._Element, folder: str, reltype: str) -> str | None:
    """The part name an internal relationship of type ``reltype`` points to (``folder`` is the source part's)."""
    for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("Type") == reltype and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            return posixpath.normpath(joined)
    return None


def _timestamp(day: datetime.date) -> str:
    if isinstance(day, datetime.datetime):
        day = day.date()
    return f"{day.isoformat()}T00:00:00Z"


def _core(meta: DocMeta) -> bytes:
    stamp = _timestamp(meta.created)
    fields = (
        f"<dc:title>{escape(meta.title)}</dc:title>"
        f"<dc:subject>{escape(meta.subject)}</dc:subject>"
        f"<dc:creator>{escape(meta.author)}</dc:creator>"
        f"<cp:keywords>{escape('; '.join(meta.keywords))}</cp:keywords>"
        f"<cp:lastModifiedBy>{escape(meta.author)}</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f"<dc:language>{escape(meta.language)}</dc:language>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
    )
    return XML_DECL + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{fields}</cp:coreProperties>"
    ).encode()


def _app(meta: DocMeta) -> bytes:
    return XML_DECL + (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>protocolgen</Application><DocSecurity>0</DocSecurity>"
        f"<Company>{escape(meta.author)}</Company></Properties>"
    ).encode()


_PACKAGE_RELS = XML_DECL + (
    f'<Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{RT}officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{RT}extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
).encode()


def _content_types(part_names: Sequence[str]) -> bytes:
    types = dict((name, ct) for name, ct, _ in PARTS)
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{types[name]}"/>' for name in part_names if name in types
    )
    return XML_DECL + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{CT}wordprocessingml.document.main+xml"/>'
        f"{overrides}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{CT}extended-properties+xml"/>'
        "</Types>"
    ).encode()


def _document_rels(rels: Sequence[Relationship]) -> bytes:
    items = "".join(
        f'<Relationship Id="{rid}" Type="{reltype}" Target="{escape(target, {chr(34): "&quot;"})}"'
        + (' TargetMode="External"/>' if external else "/>")
        for rid, reltype, target, external in sorted(rels, key=lambda rel: int(rel[0][3:]))
    )
    return XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">{items}</Relationships>'.encode()


def write_package(meta: DocMeta, document: bytes, parts: dict[str, bytes], rels: Sequence[Relationship]) -> bytes:
    """The package as a zip with a fixed entry order, fixed dates (``meta.created``) and fixed compression.

    ``parts`` maps the part names of :data:`PARTS` to their bytes; ``rels`` are the main document's
    relationships. Identical input gives identical bytes with the same zlib; a different zlib build could
    compress differently, so compare documents by content across machines, by bytes on one machine.
    """
    day = meta.created.date() if isinstance(meta.created, datetime.datetime) else meta.created
    date_time = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    ordered = [name for name, _, _ in PARTS if name in parts]
    entries = [
        ("[Content_Types].xml", _content_types(ordered)),
        ("_rels/.rels", _PACKAGE_RELS),
        ("docProps/core.xml", _core(meta)),
        ("docProps/app.xml", _app(meta)),
        ("word/document.xml", document),
        ("word/_rels/document.xml.rels", _document_rels(rels)),
        *((name, parts[name]) for name in ordered),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()
