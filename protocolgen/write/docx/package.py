"""The Open Packaging Conventions layer of the Word writer: which parts a .docx holds, their content types and
relationships, the core, extended and custom document properties, and the zip itself, written and read.

The zip is written with a fixed entry order, fixed entry dates (the document's ``created`` date) and fixed
compression, so identical input gives byte-identical files. Nothing here reads the clock or the host.

Reading is for files protocolgen did not write (a user's ``--reference-docx``, a document edited by hand), so
:class:`PackageReader` treats them as hostile: a zip that would inflate to gigabytes, holds thousands of
parts, or has XML with a DTD (entity expansion, external entities) is refused with a ``ValueError`` before it
can use much memory. Sizes are checked as declared in the zip *and* while inflating, since a declared size
can lie.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from lxml import etree

from protocolgen.write.docx.oxml import PKG_REL_NS, parser, xml_bytes

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


_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_RELTYPE = RT + "custom-properties"
# The format id Office gives every user-defined property (FMTID_UserDefinedProperties).
_USER_DEFINED_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def _custom(properties: Sequence[tuple[str, str]]) -> bytes:
    """``docProps/custom.xml``: each (name, text) as a string property, in the order given."""
    root = etree.Element(f"{{{_CUSTOM_NS}}}Properties", nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    for pid, (name, text) in enumerate(properties, start=2):  # Office numbers them from 2
        prop = etree.SubElement(root, f"{{{_CUSTOM_NS}}}property")
        prop.set("fmtid", _USER_DEFINED_FMTID)
        prop.set("pid", str(pid))
        prop.set("name", name)
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = text
    return xml_bytes(root)


def _package_rels(custom: bool) -> bytes:
    rels = [
        (RT + "officeDocument", "word/document.xml"),
        ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", "docProps/core.xml"),
        (RT + "extended-properties", "docProps/app.xml"),
        *([(_CUSTOM_RELTYPE, _CUSTOM_PART)] if custom else []),
    ]
    items = "".join(f'<Relationship Id="rId{n}" Type="{reltype}" Target="{target}"/>'
                    for n, (reltype, target) in enumerate(rels, start=1))
    return XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">{items}</Relationships>'.encode()


def _content_types(part_names: Sequence[str], custom: bool = False) -> bytes:
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
        + (f'<Override PartName="/{_CUSTOM_PART}" ContentType="{CT}custom-properties+xml"/>' if custom else "")
        + "</Types>"
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
    # A zip entry's date holds the years 1980 to 2107 only (MS-DOS time); the document's own date is in core.xml.
    date_time = (min(max(day.year, 1980), 2107), day.month, day.day, 0, 0, 0)
    ordered = [name for name, _, _ in PARTS if name in parts]
    custom = bool(meta.custom)
    entries = [
        ("[Content_Types].xml", _content_types(ordered, custom)),
        ("_rels/.rels", _package_rels(custom)),
        ("docProps/core.xml", _core(meta)),
        ("docProps/app.xml", _app(meta)),
        *([(_CUSTOM_PART, _custom(meta.custom))] if custom else []),
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


# --- reading -----------------------------------------------------------------------------------------------

MAX_PART_BYTES = 25 * 1024 * 1024
"""The most one part of a package may inflate to (a real house style's largest part, the theme or the
styles, is well under 1 MB)."""
MAX_TOTAL_BYTES = 100 * 1024 * 1024
"""The most all the parts read from one package may inflate to together, and the largest file accepted."""
MAX_PARTS = 2000
"""The most parts (zip entries) a package may hold."""
_CHUNK = 64 * 1024


def _mb(size: int) -> str:
    """A size for a message: ``31.5 MB``, ``25 MB``."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


class UnsafePackageError(ValueError):
    """A package refused as hostile (past a size or part limit, or XML with a DTD), not merely damaged."""


class PackageReader:
    """A zip package opened for reading under the limits above; every problem is a ``ValueError`` that starts
    with ``label`` (e.g. ``reference docx house.docx``).

    Use as a context manager. :meth:`read` inflates one part in chunks and stops at the first byte over a
    limit; :meth:`parse` parses one XML part with entity resolution and network access off, and refuses a
    part that declares a DTD (Office never writes one, so it can only be an entity attack)."""

    def __init__(self, source: Path | bytes, label: str) -> None:
        self.label = label
        try:
            size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        except OSError as exc:
            raise self.error(f"cannot be read ({exc})") from exc
        if size > MAX_TOTAL_BYTES:
            raise self.refusal(f"is too large to be a Word document ({_mb(size)}; the limit is {_mb(MAX_TOTAL_BYTES)})")
        try:
            stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        except OSError as exc:
            raise self.error(f"cannot be read ({exc})") from exc
        self._stream = stream  # zipfile does not close a file it was given
        try:
            self._check_entry_count(stream, size)
            self.archive = zipfile.ZipFile(stream)
        except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            stream.close()
            if isinstance(exc, UnsafePackageError):
                raise
            raise self.error(f"cannot be read as a .docx ({exc})") from exc
        try:
            self._check_declared_sizes()
        except ValueError:
            self.close()
            raise
        self.names = {info.filename for info in self.archive.infolist()}
        self._inflated = 0

    def error(self, problem: str) -> ValueError:
        return ValueError(f"{self.label}: {problem}")

    def refusal(self, problem: str) -> UnsafePackageError:
        return UnsafePackageError(f"{self.label}: {problem}")

    def _check_entry_count(self, stream: io.BufferedIOBase | io.BytesIO, size: int) -> None:
        """Refuse a zip declaring too many entries before zipfile reads its directory into memory: the count
        is in the end-of-central-directory record, within the last 64 KB. (zip64, for more than 65,535
        entries or 4 GB, is never needed by a Word document, so its marker count is refused too.)"""
        tail_size = min(size, 22 + 65535)
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        stream.seek(0)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + 22 > len(tail):
            return  # not a zip: zipfile says so, in its own words
        entries = int.from_bytes(tail[at + 10:at + 12], "little")
        if entries > MAX_PARTS:
            raise self.refusal(f"declares {entries:,} parts; a Word document has far fewer (the limit is "
                               f"{MAX_PARTS:,})")

    def _check_declared_sizes(self) -> None:
        infos = self.archive.infolist()
        if len(infos) > MAX_PARTS:
            raise self.refusal(f"has {len(infos):,} parts; a Word document has far fewer (the limit is {MAX_PARTS:,})")
        total = 0
        for info in infos:
            if info.file_size > MAX_PART_BYTES:
                raise self.refusal(f"part {info.filename} would inflate to {_mb(info.file_size)}; the limit for "
                                   f"one part is {_mb(MAX_PART_BYTES)}")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise self.refusal(f"would inflate to {_mb(total)}; the limit is {_mb(MAX_TOTAL_BYTES)}")

    def __enter__(self) -> PackageReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.archive.close()
        self._stream.close()

    def read(self, name: str) -> bytes:
        """The inflated bytes of part ``name``; ``ValueError`` if it is missing, damaged or over a limit."""
        if name not in self.names:
            raise self.error(f"has no part {name}")
        cap = min(MAX_PART_BYTES, MAX_TOTAL_BYTES - self._inflated)
        chunks: list[bytes] = []
        size = 0
        try:
            with self.archive.open(name) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > cap:  # the declared size lied, or the package as a whole is too big
                        raise self.refusal(f"part {name} inflates past the limit of {_mb(cap)}")
                    chunks.append(chunk)
        except (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as exc:
            # a lying size header ends here too: zipfile stops at the declared size and the CRC fails
            raise self.error(f"part {name} cannot be read: it is damaged, or larger than the zip says ({exc})") \
                from exc
        self._inflated += size
        return b"".join(chunks)

    def parse(self, name: str, data: bytes | None = None) -> etree._Element:
        """Part ``name`` (or its ``data``, already read) parsed as XML, safely; ``ValueError`` if it is not
        well-formed or declares a DTD."""
        if data is None:
            data = self.read(name)
        try:
            root = etree.fromstring(data, parser())
        except etree.XMLSyntaxError as exc:
            raise self.error(f"{name} is not well-formed XML ({exc})") from exc
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise self.refusal(f"{name} declares a DTD, which a Word document never does; refusing it")
        return root

    def related(self, rels_part: str, source_folder: str, reltype: str) -> str | None:
        """The target part of the first internal relationship of type ``reltype`` in ``rels_part``."""
        if rels_part not in self.names:
            return None
        return relationship_target(self.parse(rels_part), source_folder, reltype)


def read_custom_properties(data: bytes) -> dict[str, str]:
    """The custom document properties of a .docx (``docProps/custom.xml``), name -> text, in file order.

    A document without custom properties gives ``{}``; data that is not a Word package, or is damaged or
    hostile, raises ``ValueError``. Properties of other types than text (numbers, dates, yes/no) are given as
    the text of their value."""
    with PackageReader(data, "Word document") as package:
        if "_rels/.rels" not in package.names:
            raise package.error("has no _rels/.rels, so it is not a Word document")
        name = package.related("_rels/.rels", "", _CUSTOM_RELTYPE)
        if name is None or name not in package.names:
            return {}
        root = package.parse(name)
        out: dict[str, str] = {}
        for prop in root.iter(f"{{{_CUSTOM_NS}}}property"):
            key = prop.get("name")
            if key is None or key in out:
                continue
            value = next((child for child in prop if isinstance(child.tag, str)), None)
            out[key] = (value.text or "") if value is not None else ""
        return out
