r"""Markdown to a Word (.docx) document in the house style of a reference .docx.

Design, for speed and reproducibility:

* :class:`DocxWriter` reads the reference once. It resolves the style ids it needs by style *name* (so a
  restyled reference with other ids still works), finds the numbering that the heading and list styles are
  linked to, and keeps the parts it reuses (styles, numbering, settings, fonts, theme, page setup) either as
  finished bytes or as parsed trees to copy.
* A user's reference (``--reference-docx``) works as pandoc's does: the styles it defines win, and what the
  writer needs that it lacks is filled in from the bundled reference. A missing style is copied (with the
  styles it is based on, if those are missing too); Heading 1-3, List Bullet and List Number not linked to a
  suitable Word list (three levels or more; bullets for bullets) are linked to a copy of the bundled list,
  added to the reference's numbering under fresh ids (and a fresh ``w:nsid``). The reference's page size and
  margins are used; its headers, footers, body and anything that needs its other parts (attached template,
  embedded fonts, picture bullets, printer settings) are not. A file that is not a Word document is a
  ``ValueError`` naming it.
* :meth:`DocxWriter.render` builds ``word/document.xml``, the header and the footer directly with lxml (no
  python-docx objects: their convenience API scans the style list for every paragraph), then writes the zip
  itself with a fixed entry order, fixed entry dates (``meta.created``) and fixed compression, so identical
  input gives byte-identical output. Nothing is taken from the clock, the host or a random source: no rsids,
  bookmark names and relationship ids are counters.

Headings are numbered by Word's own multilevel list (``numbering.xml``), which the reference links to the
Heading 1-3 styles, so numbers follow a user's edits. **Unnumbered headings** (``meta.numbered_headings`` is
False, e.g. privacy notices) are done by writing a variant of the styles in which Heading 1-3 carry
``<w:numPr><w:numId w:val="0"/></w:numPr>`` (Word's "no list") and a variant of the numbering in which the
heading list no longer names the heading styles (``w:pStyle``), which LibreOffice would otherwise follow. The
heading paragraphs stay plain ``Heading N`` paragraphs either way, so the document outline, navigation pane and
a later TOC update behave normally, and a user who adds a heading gets no stray number.

``::: toc`` becomes a real ``TOC \o "1-3" \h \z \u`` field whose cached result lists the headings (numbered
as Word numbers them, each a link to a bookmark on its heading) so LibreOffice and PDF converters show a
contents list; it carries no page numbers, which only a layout engine knows. ``w:updateFields`` in
settings.xml makes Word offer to refresh it, with page numbers, when the document is opened.

Ordered lists each get their own ``w:num`` (over the reference's "List Number" abstract list) with a
``w:startOverride``, so every list restarts at its own first number. Bullet lists share the "List Bullet" list.
"""

from __future__ import annotations

import copy
import datetime
import io
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from lxml import etree
from markdown_it.token import Token

from protocolgen.write import markdown as mdx

if TYPE_CHECKING:
    from protocolgen.write import DocMeta

__all__ = ["REFERENCE_DOCX", "DocxWriter"]

REFERENCE_DOCX = Path(__file__).resolve().parent.parent / "templates" / "reference.docx"

# --- namespaces and qualified names ---------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
NSMAP = {"w": W_NS, "r": R_NS}


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


W_VAL = _w("val")
W_P, W_PPR, W_PSTYLE, W_R, W_RPR, W_T, W_RSTYLE = map(_w, ("p", "pPr", "pStyle", "r", "rPr", "t", "rStyle"))
W_B, W_I, W_BR, W_TAB, W_RFONTS = map(_w, ("b", "i", "br", "tab", "rFonts"))
W_NUMPR, W_ILVL, W_NUMID, W_IND, W_JC = map(_w, ("numPr", "ilvl", "numId", "ind", "jc"))
W_PAGEBREAKBEFORE, W_PBDR, W_BOTTOM = map(_w, ("pageBreakBefore", "pBdr", "bottom"))
W_KEEPNEXT, W_SPACING, W_BEFORE = map(_w, ("keepNext", "spacing", "before"))
W_HYPERLINK, W_ANCHOR, W_HISTORY = map(_w, ("hyperlink", "anchor", "history"))
W_BOOKMARKSTART, W_BOOKMARKEND, W_ID, W_NAME = map(_w, ("bookmarkStart", "bookmarkEnd", "id", "name"))
W_FLDCHAR, W_FLDCHARTYPE, W_INSTRTEXT = map(_w, ("fldChar", "fldCharType", "instrText"))
W_TBL, W_TBLPR, W_TBLSTYLE, W_TBLW, W_TBLLAYOUT, W_TBLLOOK = map(
    _w, ("tbl", "tblPr", "tblStyle", "tblW", "tblLayout", "tblLook")
)
W_TBLGRID, W_GRIDCOL, W_TR, W_TRPR, W_TBLHEADER, W_CANTSPLIT, W_TRHEIGHT = map(
    _w, ("tblGrid", "gridCol", "tr", "trPr", "tblHeader", "cantSplit", "trHeight")
)
W_TC, W_TCPR, W_TCW, W_W, W_TYPE, W_HRULE = map(_w, ("tc", "tcPr", "tcW", "w", "type", "hRule"))
W_LEFT, W_FIRSTLINE = map(_w, ("left", "firstLine"))
W_STYLE, W_STYLEID, W_BASEDON, W_DOCDEFAULTS, W_LANG = map(_w, ("style", "styleId", "basedOn", "docDefaults", "lang"))
W_NUM, W_ABSTRACTNUM, W_ABSTRACTNUMID, W_LVL, W_LVLTEXT = map(_w, ("num", "abstractNum", "abstractNumId", "lvl", "lvlText"))
W_LVLOVERRIDE, W_STARTOVERRIDE = map(_w, ("lvlOverride", "startOverride"))
W_BODY, W_SECTPR, W_PGSZ, W_PGMAR, W_RIGHT = map(_w, ("body", "sectPr", "pgSz", "pgMar", "right"))
W_HEADERREF, W_FOOTERREF, W_TITLEPG = map(_w, ("headerReference", "footerReference", "titlePg"))
R_ID = f"{{{R_NS}}}id"

_PPR_ORDER = [
    _w(tag)
    for tag in ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"]
]

# settings.xml children that must come after w:updateFields (CT_Settings is a strict sequence).
_AFTER_UPDATE_FIELDS = {
    _w(tag)
    for tag in ["hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator"]
}

# --- styles the writer needs ------------------------------------------------------------------------------

_REQUIRED_STYLES: dict[str, str] = {
    "Normal": "paragraph",
    "Title": "paragraph",
    "Heading 1": "paragraph",
    "Heading 2": "paragraph",
    "Heading 3": "paragraph",
    "List Bullet": "paragraph",
    "List Bullet 2": "paragraph",
    "List Number": "paragraph",
    "List Number 2": "paragraph",
    "Note": "paragraph",
    "Hyperlink": "character",
}
_TABLE_STYLES = ("Protocol Table", "Table Grid")
_OPTIONAL_STYLES: dict[str, str] = {
    "List Bullet 3": "paragraph",
    "List Number 3": "paragraph",
    "Table Text": "paragraph",
    "Quote": "paragraph",
    "TOC Heading": "paragraph",
    "toc 1": "paragraph",
    "toc 2": "paragraph",
    "toc 3": "paragraph",
    "header": "paragraph",
    "footer": "paragraph",
}

# --- package layout of the output ---------------------------------------------------------------------

_CT = "application/vnd.openxmlformats-officedocument."
_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_PARTS: list[tuple[str, str, str]] = [
    # (part name, content type, relationship type from document.xml); order = zip order after the first four
    ("word/styles.xml", _CT + "wordprocessingml.styles+xml", _RT + "styles"),
    ("word/numbering.xml", _CT + "wordprocessingml.numbering+xml", _RT + "numbering"),
    ("word/settings.xml", _CT + "wordprocessingml.settings+xml", _RT + "settings"),
    ("word/fontTable.xml", _CT + "wordprocessingml.fontTable+xml", _RT + "fontTable"),
    ("word/theme/theme1.xml", _CT + "theme+xml", _RT + "theme"),
    ("word/header1.xml", _CT + "wordprocessingml.header+xml", _RT + "header"),
    ("word/footer1.xml", _CT + "wordprocessingml.footer+xml", _RT + "footer"),
]
_OPTIONAL_PARTS = ("word/fontTable.xml", "word/theme/theme1.xml")  # copied when the reference has them
_XML_DECL = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"

# Row heights (twips) for tables inside ``::: signatures`` and ``::: form``.
SIGNATURE_ROW_HEIGHT = 1021  # 1.8 cm: room for a handwritten signature
FORM_ROW_HEIGHT = 794  # 1.4 cm: room for a handwritten answer
_TOC_LEVELS = 2  # sections and subsections: a third level doubles the contents' length for little help
_TOC_INSTRUCTION = f' TOC \\o "1-{_TOC_LEVELS}" \\h \\z \\u '
_NO_TOC_ENTRIES = "No table of contents entries found."
_CODE_FONT = "Courier New"
_CODE_FONTS = {_w("ascii"): _CODE_FONT, _w("hAnsi"): _CODE_FONT}
_PRESERVE = {XML_SPACE: "preserve"}
_GAP_AFTER_TABLE = {W_BEFORE: "200"}  # 10 pt
_GAP_AFTER_LIST = {W_BEFORE: "120"}  # 6 pt


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _insert_ppr(ppr: etree._Element, child: etree._Element) -> None:
    """Insert ``child`` into a ``w:pPr`` at its schema position (Word rejects out-of-order children)."""
    rank = _PPR_ORDER.index(child.tag)
    for index, existing in enumerate(ppr):
        if existing.tag in _PPR_ORDER and _PPR_ORDER.index(existing.tag) > rank:
            ppr.insert(index, child)
            return
    ppr.append(child)


@dataclass(frozen=True)
class _Styles:
    """Style ids resolved from the reference, by name."""

    title: str
    headings: tuple[str, str, str]
    bullets: tuple[str, ...]  # by depth
    numbers: tuple[str, ...]
    note: str
    hyperlink: str
    table: str
    table_text: str | None
    quote: str | None
    toc_heading: str | None
    toc: tuple[str | None, str | None, str | None]
    header: str | None
    footer: str | None


# Style families numbered by one Word list each: (what, style names by level). The first style is the anchor:
# a reference whose anchor is linked to a suitable list keeps that list.
_FAMILIES: tuple[tuple[str, tuple[str, str, str]], ...] = (
    ("heading", ("Heading 1", "Heading 2", "Heading 3")),
    ("bullet", ("List Bullet", "List Bullet 2", "List Bullet 3")),
    ("number", ("List Number", "List Number 2", "List Number 3")),
)
# Styles the writer uses that must not inherit the heading numbering through ``basedOn`` (Word's own
# "TOC Heading" is based on "Heading 1", so a numbered Heading 1 would number the contents heading).
_NOT_NUMBERED = ("Title", "TOC Heading", "toc 1", "toc 2", "toc 3", "Note", "Quote", "Table Text", "header",
                 "footer")
# w:style children that come before w:pPr (CT_Style is a sequence).
_BEFORE_STYLE_PPR = {
    _w(tag)
    for tag in ["name", "aliases", "basedOn", "next", "link", "autoRedefine", "hidden", "uiPriority", "semiHidden", "unhideWhenUsed", "qFormat", "locked", "personal", "personalCompose", "personalReply", "rsid"]
}
# settings.xml children dropped from a reference: revision noise, document-specific ids, protection and
# mail merge, and footnote/endnote separators (the output has no footnotes part).
_DROP_SETTINGS = {
    "rsids", "docId", "proofState", "attachedTemplate", "documentProtection", "writeProtection", "mailMerge",
    "footnotePr", "endnotePr", "embedTrueTypeFonts", "embedSystemFonts", "saveSubsetFonts",
}
_FONT_EMBEDS = {_w(tag) for tag in ("embedRegular", "embedBold", "embedItalic", "embedBoldItalic")}
_STRICT_NS = "http://purl.oclc.org/ooxml/"


def _has_relationship(element: etree._Element) -> bool:
    """Whether ``element`` or a descendant refers to a relationship of its part (``r:id``, ``r:embed``...)."""
    return any(
        name.startswith(f"{{{R_NS}}}") for node in element.iter() if isinstance(node.tag, str) for name in node.attrib
    )


def _drop_relationship_attributes(root: etree._Element) -> bool:
    """Remove every ``r:*`` attribute (the part's own relationships are not copied); True if any was."""
    changed = False
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for name in [name for name in node.attrib if name.startswith(f"{{{R_NS}}}")]:
            del node.attrib[name]
            changed = True
    return changed


@dataclass
class _Package:
    """The parts of a .docx that a house style is taken from, parsed but not interpreted."""

    styles: etree._Element
    numbering: etree._Element | None
    settings: etree._Element | None
    blobs: dict[str, bytes]  # output part name -> bytes: font table and theme
    sect: etree._Element | None  # the last section's properties (page size and margins)


def _target(rels: etree._Element, folder: str, reltype: str) -> str | None:
    for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("Type") == reltype and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            return posixpath.normpath(joined)
    return None


def _read_package(path: Path) -> _Package:
    """Read a Word document's house-style parts; ``ValueError`` naming the file if it is not a Word document."""

    def fail(problem: str) -> ValueError:
        return ValueError(f"reference docx {path}: {problem}")

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise fail(f"cannot be read as a .docx ({exc})") from exc
    with archive:
        names = set(archive.namelist())

        def read(name: str) -> bytes:
            if name not in names:
                raise fail(f"has no part {name}")
            try:
                return archive.read(name)
            except (OSError, EOFError, RuntimeError, zipfile.BadZipFile, zlib.error) as exc:
                raise fail(f"part {name} cannot be read ({exc})") from exc

        def parse(name: str, root_tag: str | None = None) -> etree._Element:
            try:
                root = etree.fromstring(read(name), _parser())
            except etree.XMLSyntaxError as exc:
                raise fail(f"{name} is not well-formed XML ({exc})") from exc
            if root_tag is not None and root.tag != root_tag:
                if root.tag.startswith(f"{{{_STRICT_NS}"):
                    raise fail("is saved as Strict Open XML; save it from Word as 'Word Document (*.docx)'")
                raise fail(f"{name} is not a Word {etree.QName(root_tag).localname} part")
            return root

        package_rels = parse("_rels/.rels")
        main = _target(package_rels, "", _RT + "officeDocument")
        if main is None:
            if any(_STRICT_NS in (rel.get("Type") or "") for rel in package_rels):
                raise fail("is saved as Strict Open XML; save it from Word as 'Word Document (*.docx)'")
            raise fail("has no main document part, so it is not a Word document")
        document = parse(main, _w("document"))
        folder, base = posixpath.split(main)
        doc_rels = parse(posixpath.join(folder, "_rels", base + ".rels"))

        def related(kind: str) -> str | None:
            return _target(doc_rels, folder, _RT + kind)

        styles_name = related("styles")
        if styles_name is None:
            raise fail("has no styles part")
        styles = parse(styles_name, _w("styles"))
        numbering_name = related("numbering")
        numbering = parse(numbering_name, _w("numbering")) if numbering_name else None
        settings_name = related("settings")
        settings = parse(settings_name, _w("settings")) if settings_name else None
        blobs: dict[str, bytes] = {}
        for kind, out_name in (("fontTable", "word/fontTable.xml"), ("theme", "word/theme/theme1.xml")):
            name = related(kind)
            if name is not None and name in names:
                blobs[out_name] = read(name)
        body = document.find(W_BODY)
        sect = body.find(W_SECTPR) if body is not None else None
    return _Package(styles, numbering, settings, blobs, sect)


class _StyleSheet:
    """A styles part indexed by style id and by (case-insensitive) name."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.by_id: dict[str, etree._Element] = {}
        self.by_name: dict[str, etree._Element] = {}
        for element in root.iter(W_STYLE):
            self.add(element)

    def add(self, element: etree._Element) -> None:
        style_id, name = element.get(W_STYLEID), element.find(W_NAME)
        if style_id is None or name is None:
            return
        self.by_id.setdefault(style_id, element)
        self.by_name.setdefault(name.get(W_VAL, "").lower(), element)

    def find(self, name: str, kind: str) -> etree._Element | None:
        found = self.by_name.get(name.lower())
        return found if found is not None and found.get(W_TYPE, "paragraph") == kind else None

    def find_id(self, name: str, kind: str) -> str | None:
        found = self.find(name, kind)
        return found.get(W_STYLEID) if found is not None else None

    def has_default(self, kind: str) -> bool:
        return any(s.get(W_TYPE) == kind and s.get(_w("default")) in ("1", "true", "on")
                   for s in self.root.iter(W_STYLE))


class _Numbering:
    """Look-ups in a numbering part: which list a style is linked to, and at which level."""

    def __init__(self, root: etree._Element, sheet: _StyleSheet) -> None:
        self.root, self.sheet = root, sheet

    def abstract(self, num_id: int | None, depth: int = 0) -> etree._Element | None:
        """The abstract list a ``w:num`` uses, following a numbering style's ``w:numStyleLink``."""
        if not num_id or depth > 3:
            return None
        for num in self.root.iter(W_NUM):
            if num.get(W_NUMID) == str(num_id):
                ref = num.find(W_ABSTRACTNUMID)
                abstract = next((a for a in self.root.iter(W_ABSTRACTNUM)
                                 if ref is not None and a.get(W_ABSTRACTNUMID) == ref.get(W_VAL)), None)
                link = abstract.find(_w("numStyleLink")) if abstract is not None else None
                if link is not None:  # levels live in the abstract list of a numbering style
                    style = self.sheet.by_id.get(link.get(W_VAL, ""))
                    target = style.find(f"{W_PPR}/{W_NUMPR}/{W_NUMID}") if style is not None else None
                    return self.abstract(_int(target.get(W_VAL)) if target is not None else None, depth + 1)
                return abstract
        return None

    def style_list(self, style: etree._Element | None) -> tuple[int | None, int]:
        """(numId, ilvl) a paragraph style is numbered with, following ``basedOn``; numId None = no list."""
        element, seen = style, set()
        while element is not None and id(element) not in seen:
            seen.add(id(element))
            num_pr = element.find(f"{W_PPR}/{W_NUMPR}")
            num_id = num_pr.find(W_NUMID) if num_pr is not None else None
            if num_id is not None:
                value = _int(num_id.get(W_VAL)) or None
                ilvl = num_pr.find(W_ILVL)
                if ilvl is not None:
                    return value, _int(ilvl.get(W_VAL))
                abstract = self.abstract(value)  # no ilvl: the level that names the style
                assert style is not None  # the walk starts at ``style``, so there is one
                style_id = style.get(W_STYLEID)
                for lvl in abstract.iter(W_LVL) if abstract is not None else ():
                    pstyle = lvl.find(W_PSTYLE)
                    if pstyle is not None and pstyle.get(W_VAL) == style_id:
                        return value, _int(lvl.get(W_ILVL))
                return value, 0
            based = element.find(W_BASEDON)
            element = self.sheet.by_id.get(based.get(W_VAL, "")) if based is not None else None
        return None, 0

    def next_ids(self) -> tuple[int, int]:
        """Fresh (abstractNumId, numId): one above the highest in use."""
        abstract = max((_int(a.get(W_ABSTRACTNUMID)) for a in self.root.iter(W_ABSTRACTNUM)), default=-1)
        num = max((_int(n.get(W_NUMID)) for n in self.root.iter(W_NUM)), default=0)
        return abstract + 1, num + 1


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _levels(abstract: etree._Element) -> dict[int, etree._Element]:
    return {_int(lvl.get(W_ILVL)): lvl for lvl in abstract.iter(W_LVL)}


def _num_fmt(lvl: etree._Element | None) -> str:
    fmt = lvl.find(_w("numFmt")) if lvl is not None else None
    return fmt.get(W_VAL, "decimal") if fmt is not None else "decimal"


def _style_ppr(style: etree._Element) -> etree._Element:
    """A style's ``w:pPr``, created at its schema position if missing."""
    ppr = style.find(W_PPR)
    if ppr is None:
        ppr = etree.Element(W_PPR)
        index = 0
        for position, child in enumerate(style):
            if child.tag in _BEFORE_STYLE_PPR:
                index = position + 1
        style.insert(index, ppr)
    return ppr


def _set_num_pr(style: etree._Element, num_id: int, ilvl: int | None) -> None:
    ppr = _style_ppr(style)
    old = ppr.find(W_NUMPR)
    if old is not None:
        ppr.remove(old)
    num_pr = etree.Element(W_NUMPR)
    if ilvl is not None:
        etree.SubElement(num_pr, W_ILVL).set(W_VAL, str(ilvl))
    etree.SubElement(num_pr, W_NUMID).set(W_VAL, str(num_id))
    _insert_ppr(ppr, num_pr)


class _Bundled:
    """The bundled reference, the source of whatever a user's reference lacks. Read once, never modified."""

    _instance: _Bundled | None = None

    def __init__(self) -> None:
        package = _read_package(REFERENCE_DOCX)
        self.sheet = _StyleSheet(package.styles)
        self.numbering = _Numbering(
            package.numbering if package.numbering is not None else etree.Element(_w("numbering")), self.sheet
        )
        self.text_width = _Reference.text_width_of(_Reference.clean_sect_pr(package.sect))

    @classmethod
    def get(cls) -> _Bundled:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


class _Reference:
    """A reference .docx, read and completed once.

    The styles, numbering, settings, fonts, theme and page setup are the user's. A style the writer needs that
    the reference lacks is copied from the bundled reference (with the styles it is based on, if those are
    missing too); Heading 1-3, List Bullet and List Number that are not linked to a suitable Word list are
    linked to a copy of the bundled list, added to the reference's numbering under fresh ids.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        package = _read_package(path)
        self.styles_root = package.styles
        self.sheet = _StyleSheet(self.styles_root)
        self.numbering_root = (
            package.numbering if package.numbering is not None else etree.Element(_w("numbering"), nsmap=NSMAP)
        )
        self.numbering = _Numbering(self.numbering_root, self.sheet)
        self.settings_root = (
            package.settings if package.settings is not None else etree.Element(_w("settings"), nsmap=NSMAP)
        )
        self.blobs = self._clean_blobs(package.blobs)
        self.sect_pr = self.clean_sect_pr(package.sect)
        self.text_width = self.text_width_of(self.sect_pr)
        self._clean_numbering()
        self._complete_styles()
        self.styles = self._resolve_styles()
        self._link_lists()
        self._resolve_numbering()

    # --- the parts as read ---------------------------------------------------------------------------

    @staticmethod
    def clean_sect_pr(sect: etree._Element | None) -> etree._Element:
        if sect is None:  # A4, 2.5 cm margins
            sect = etree.fromstring(
                f'<w:sectPr xmlns:w="{W_NS}"><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1417" '
                'w:right="1417" w:bottom="1417" w:left="1417" w:header="709" w:footer="709" w:gutter="0"/>'
                "</w:sectPr>"
            )
        sect = copy.deepcopy(sect)
        for child in list(sect):
            # the writer writes its own header and footer; printer settings and tracked changes refer to
            # parts and revisions of the reference
            if child.tag in (W_HEADERREF, W_FOOTERREF, W_TITLEPG, _w("sectPrChange"), _w("printerSettings")) \
                    or _has_relationship(child):
                sect.remove(child)
        for name in [name for name in sect.attrib if "rsid" in name]:
            del sect.attrib[name]
        return sect

    @staticmethod
    def text_width_of(sect: etree._Element) -> int:
        size, margins = sect.find(W_PGSZ), sect.find(W_PGMAR)
        try:
            width = int(size.get(W_W)) - int(margins.get(W_LEFT)) - int(margins.get(W_RIGHT))
        except (AttributeError, TypeError, ValueError):
            width = 9071
        return max(width, 2000)

    @staticmethod
    def _clean_blobs(blobs: dict[str, bytes]) -> dict[str, bytes]:
        """Drop what refers to the font table's and theme's own relationships (embedded fonts, pictures):
        those parts are copied without their relationships."""
        out = {}
        for name, data in blobs.items():
            if b"relationships" in data:  # cheap test before parsing
                try:
                    root = etree.fromstring(data, _parser())
                except etree.XMLSyntaxError:
                    continue  # an unreadable optional part is left out
                for element in [e for e in root.iter(*_FONT_EMBEDS)]:
                    element.getparent().remove(element)
                _drop_relationship_attributes(root)
                data = _xml(root)
            out[name] = data
        return out

    def _clean_numbering(self) -> None:
        # picture bullets are images related to numbering.xml, which is copied without relationships
        for element in [*self.numbering_root.iter(_w("numPicBullet")), *self.numbering_root.iter(_w("lvlPicBulletId"))]:
            element.getparent().remove(element)

    # --- styles --------------------------------------------------------------------------------------

    def _needed_styles(self) -> list[tuple[str, str]]:
        needed = [*_REQUIRED_STYLES.items(), *_OPTIONAL_STYLES.items()]
        if all(self.sheet.find(name, "table") is None for name in _TABLE_STYLES):
            needed.append((_TABLE_STYLES[0], "table"))
        return needed

    def _complete_styles(self) -> None:
        """Copy each style the writer uses and the reference lacks from the bundled reference."""
        missing = [(name, kind) for name, kind in self._needed_styles() if self.sheet.find(name, kind) is None]
        if not missing:
            return
        bundled = _Bundled.get()
        unavailable = []
        for name, kind in missing:
            source = bundled.sheet.find(name, kind)
            if source is None:
                unavailable.append(name)
            else:
                self._copy_style(source, bundled)
        required = [n for n in unavailable if n in _REQUIRED_STYLES or n == _TABLE_STYLES[0]]
        if required:  # only if the bundled reference itself is incomplete
            raise ValueError(f"reference docx {self.path}: missing required style(s): {', '.join(required)}")

    def _copy_style(self, source: etree._Element, bundled: _Bundled) -> str:
        """Copy ``source`` (a bundled style) unless a style of its name and type exists; return the id used."""
        name, kind = source.find(W_NAME).get(W_VAL, ""), source.get(W_TYPE, "paragraph")
        existing = self.sheet.find(name, kind)
        if existing is not None:
            return existing.get(W_STYLEID)
        style = copy.deepcopy(source)
        base_id = style_id = source.get(W_STYLEID)
        counter = 1
        while style_id in self.sheet.by_id:  # the id is taken by a style of another name
            style_id = f"{base_id}{counter}"
            counter += 1
        style.set(W_STYLEID, style_id)
        if style.get(_w("default")) is not None and self.sheet.has_default(kind):
            del style.attrib[_w("default")]
        for element in list(style.iter(_w("rsid"))):
            element.getparent().remove(element)
        self.styles_root.append(style)
        self.sheet.add(style)
        for tag in (W_BASEDON, _w("next"), _w("link")):
            ref = style.find(tag)
            if ref is None:
                continue
            target = bundled.sheet.by_id.get(ref.get(W_VAL, ""))
            if target is None:
                style.remove(ref)
            else:
                ref.set(W_VAL, style_id if target is source else self._copy_style(target, bundled))
        ppr = style.find(W_PPR)
        if ppr is not None:
            num_pr = ppr.find(W_NUMPR)
            if num_pr is not None:  # it named a bundled list; _link_lists links it to the output's
                ppr.remove(num_pr)
            for tab in ppr.iterfind(f"{_w('tabs')}/{_w('tab')}"):  # a tab at the bundled right margin
                if abs(_int(tab.get(_w("pos"))) - bundled.text_width) <= 2:  # moves to this one's
                    tab.set(_w("pos"), str(self.text_width))
        return style_id

    def _resolve_styles(self) -> _Styles:
        find = self.sheet.find_id
        get = {name: find(name, kind) for name, kind in {**_REQUIRED_STYLES, **_OPTIONAL_STYLES}.items()}
        table = next(sid for sid in (find(n, "table") for n in _TABLE_STYLES) if sid)

        def required(name: str) -> str:
            style_id = get[name]
            assert style_id is not None, name  # _complete_styles raised if a required style was missing
            return style_id

        return _Styles(
            title=required("Title"),
            headings=(required("Heading 1"), required("Heading 2"), required("Heading 3")),
            bullets=tuple(s for s in (get["List Bullet"], get["List Bullet 2"], get["List Bullet 3"]) if s),
            numbers=tuple(s for s in (get["List Number"], get["List Number 2"], get["List Number 3"]) if s),
            note=required("Note"),
            hyperlink=required("Hyperlink"),
            table=table,
            table_text=get["Table Text"],
            quote=get["Quote"],
            toc_heading=get["TOC Heading"],
            toc=(get["toc 1"], get["toc 2"], get["toc 3"]),
            header=get["header"],
            footer=get["footer"],
        )

    # --- numbering -----------------------------------------------------------------------------------

    def _suitable(self, family: str, abstract: etree._Element | None, ilvl: int) -> bool:
        """Whether a list can number a family: three levels at least, bullets for bullets, numbers for
        numbers."""
        if abstract is None or ilvl != 0:
            return False
        levels = _levels(abstract)
        if any(k not in levels for k in range(3)):
            return False
        first = _num_fmt(levels[0])
        if family == "bullet":
            return first == "bullet"
        if family == "number":
            return first not in ("bullet", "none")
        return True

    def _link_lists(self) -> None:
        """Link Heading 1-3, List Bullet 1-3 and List Number 1-3 to suitable Word lists."""
        numbering, sheet = self.numbering, self.sheet
        self.family_num_ids: dict[str, int] = {}
        for family, names in _FAMILIES:
            styles = [sheet.find(name, "paragraph") for name in names]
            num_id, ilvl = numbering.style_list(styles[0])
            abstract = numbering.abstract(num_id)
            if self._suitable(family, abstract, ilvl):
                assert num_id is not None  # a suitable list has an abstract list, so it has an id
                relink = []
                for level, style in enumerate(styles[1:], 1):
                    if style is None:
                        continue
                    other, other_ilvl = numbering.style_list(style)
                    unlinked = other is None
                    wrong = numbering.abstract(other) is not abstract or other_ilvl != level
                    # heading numbers come from the styles, so every level must be on the list; list items
                    # are numbered directly, so a list style's own link is left alone unless it has none
                    if unlinked or (family == "heading" and wrong):
                        relink.append((style, level))
            else:
                num_id, abstract = self._add_bundled_list(family, names)
                relink = [(style, level) for level, style in enumerate(styles) if style is not None]
            for style, level in relink:
                _set_num_pr(style, num_id, level)
            self._unclaim({style.get(W_STYLEID) for style, _ in relink}, abstract)
            self.family_num_ids[family] = num_id
        # a style the writer uses, based on a heading style, would inherit the heading numbering
        heading_abstract = numbering.abstract(self.family_num_ids["heading"])
        for name in _NOT_NUMBERED:
            style = sheet.find(name, "paragraph")
            if style is None or style.find(f"{W_PPR}/{W_NUMPR}") is not None:
                continue
            inherited, _ = numbering.style_list(style)
            if inherited is not None and numbering.abstract(inherited) is heading_abstract:
                _set_num_pr(style, 0, None)

    def _add_bundled_list(self, family: str, names: tuple[str, ...]) -> tuple[int, etree._Element]:
        """Add a copy of the bundled list for ``family`` to the numbering, under fresh ids; (numId, abstract)."""
        bundled = _Bundled.get()
        source_num, _ = bundled.numbering.style_list(bundled.sheet.find(names[0], "paragraph"))
        source = bundled.numbering.abstract(source_num)
        if source is None:  # only if the bundled reference itself is broken
            raise ValueError(
                f"reference docx {self.path}: style(s) not linked to a list in numbering.xml: {names[0]} "
                "(headings and lists are numbered by Word list numbering)"
            )
        abstract_id, num_id = self.numbering.next_ids()
        abstract = copy.deepcopy(source)
        abstract.set(W_ABSTRACTNUMID, str(abstract_id))
        nsid = abstract.find(_w("nsid"))
        if nsid is not None:  # the list's identity: it must differ from the reference's lists
            taken = {e.get(W_VAL, "").upper() for e in self.numbering_root.iter(_w("nsid"))}
            value = _int_hex(nsid.get(W_VAL))
            while f"{value:08X}" in taken:
                value = (value + 1) & 0xFFFFFFFF
            nsid.set(W_VAL, f"{value:08X}")
        for pstyle in list(abstract.iter(W_PSTYLE)):  # bundled style ids -> this reference's
            target = bundled.sheet.by_id.get(pstyle.get(W_VAL, ""))
            name = target.find(W_NAME).get(W_VAL, "") if target is not None else ""
            own = self.sheet.find_id(name, "paragraph") if name else None
            if own is None:
                pstyle.getparent().remove(pstyle)
            else:
                pstyle.set(W_VAL, own)
        root = self.numbering_root
        abstracts, nums = list(root.iter(W_ABSTRACTNUM)), list(root.iter(W_NUM))
        if abstracts:
            abstracts[-1].addnext(abstract)
        elif nums:
            nums[0].addprevious(abstract)
        else:
            _append_num(root, abstract)
        num = etree.Element(W_NUM)
        num.set(W_NUMID, str(num_id))
        etree.SubElement(num, W_ABSTRACTNUMID).set(W_VAL, str(abstract_id))
        _append_num(root, num)
        return num_id, abstract

    def _unclaim(self, style_ids: set[str], keep: etree._Element | None) -> None:
        """Remove ``w:pStyle`` links to ``style_ids`` from list levels other than ``keep``'s: a style is linked
        to one list, and LibreOffice follows these back-links."""
        for abstract in self.numbering_root.iter(W_ABSTRACTNUM):
            if abstract is keep:
                continue
            for pstyle in list(abstract.iter(W_PSTYLE)):
                if pstyle.get(W_VAL) in style_ids:
                    pstyle.getparent().remove(pstyle)

    def _resolve_numbering(self) -> None:
        numbering = self.numbering
        heading_abstract = numbering.abstract(self.family_num_ids["heading"])
        ordered = numbering.abstract(self.family_num_ids["number"])
        assert heading_abstract is not None and ordered is not None  # _link_lists gave each family a list
        self.heading_abstract = heading_abstract
        self.bullet_num_id = self.family_num_ids["bullet"]
        self.ordered_abstract_id = ordered.get(W_ABSTRACTNUMID)
        self.max_num_id = max((_int(n.get(W_NUMID)) for n in self.numbering_root.iter(W_NUM)), default=0)

        heading_levels = _levels(self.heading_abstract)
        self.heading_formats: list[str] = []
        self.heading_kinds: list[tuple[str, int]] = []  # (numFmt, start) per level, for the contents
        legal = []
        for ilvl in range(3):
            lvl = heading_levels.get(ilvl)
            text = lvl.find(W_LVLTEXT) if lvl is not None else None
            default = ".".join(f"%{n}" for n in range(1, ilvl + 2))
            self.heading_formats.append(text.get(W_VAL, default) if text is not None else default)
            start = lvl.find(_w("start")) if lvl is not None else None
            self.heading_kinds.append((_num_fmt(lvl), _int(start.get(W_VAL)) if start is not None else 1))
            legal.append(lvl is not None and lvl.find(_w("isLgl")) is not None)
        self.heading_legal = tuple(legal)

        def lefts(abstract: etree._Element) -> list[int]:
            out, lvls = [], _levels(abstract)
            for ilvl in range(9):
                ind = lvls[ilvl].find(f"{W_PPR}/{W_IND}") if ilvl in lvls else None
                left = (ind.get(W_LEFT) or ind.get(_w("start"))) if ind is not None else None
                try:
                    out.append(int(left) if left is not None else 360 * (ilvl + 1))
                except ValueError:
                    out.append(360 * (ilvl + 1))
            return out

        self.bullet_lefts = lefts(numbering.abstract(self.bullet_num_id))
        self.number_lefts = lefts(ordered)

    # --- variants of the shared parts, computed once per (flag, language) -----------------------------

    def styles_xml(self, numbered: bool, language: str) -> bytes:
        root = copy.deepcopy(self.styles_root)
        defaults = root.find(W_DOCDEFAULTS)
        if defaults is None:
            defaults = etree.Element(W_DOCDEFAULTS)
            root.insert(0, defaults)
        rpr = defaults.find(f"{_w('rPrDefault')}/{W_RPR}")
        if rpr is None:
            rpr_default = defaults.find(_w("rPrDefault"))
            if rpr_default is None:
                rpr_default = etree.Element(_w("rPrDefault"))
                defaults.insert(0, rpr_default)
            rpr = etree.SubElement(rpr_default, W_RPR)
        lang = rpr.find(W_LANG)
        if lang is None:
            lang = etree.SubElement(rpr, W_LANG)
        lang.set(W_VAL, language)
        if not numbered:
            for style_id in self.styles.headings:
                style = next(s for s in root.iter(W_STYLE) if s.get(W_STYLEID) == style_id)
                _set_num_pr(style, 0, None)
        for element in root.iter(_w("rsid")):
            element.getparent().remove(element)
        return _xml(root)

    def numbering_tree(self, numbered: bool) -> etree._Element:
        root = copy.deepcopy(self.numbering_root)
        if not numbered:
            abstract_id = self.heading_abstract.get(W_ABSTRACTNUMID)
            for abstract in root.iter(W_ABSTRACTNUM):
                if abstract.get(W_ABSTRACTNUMID) == abstract_id:
                    for pstyle in list(abstract.iter(W_PSTYLE)):
                        pstyle.getparent().remove(pstyle)
        return root

    def settings_xml(self, update_fields: bool, language: str) -> bytes:
        root = copy.deepcopy(self.settings_root)
        for element in list(root):
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            # settings.xml is copied without its relationships (attached template, mail merge source...)
            if local in _DROP_SETTINGS or _has_relationship(element):
                root.remove(element)
        lang = root.find(_w("themeFontLang"))
        if lang is not None:
            lang.set(W_VAL, language)
        old = root.find(_w("updateFields"))
        if old is not None:
            root.remove(old)
        if update_fields:
            flag = etree.Element(_w("updateFields"))
            flag.set(W_VAL, "true")
            for element in root:
                if element.tag in _AFTER_UPDATE_FIELDS or not element.tag.startswith(f"{{{W_NS}}}"):
                    element.addprevious(flag)
                    break
            else:
                root.append(flag)
        return _xml(root)


def _int_hex(value: str | None) -> int:
    try:
        return int(value or "0", 16) & 0xFFFFFFFF
    except ValueError:
        return 0


def _append_num(root: etree._Element, element: etree._Element) -> None:
    """Append a ``w:num`` (or a first ``w:abstractNum``) to a numbering part, before a trailing
    ``w:numIdMacAtCleanup``, which CT_Numbering puts last."""
    cleanup = root.find(_w("numIdMacAtCleanup"))
    if cleanup is not None:
        cleanup.addprevious(element)
    else:
        root.append(element)


class DocxWriter:
    """Renders markdown to .docx bytes in the house style of a reference document.

    Create one writer and reuse it: the reference is parsed and completed here, once (see the module's
    docstring: what a user's reference lacks comes from the bundled one). A file that is not a Word document
    raises ``ValueError`` naming it. ``render`` is safe to call from several threads.
    """

    def __init__(self, reference_docx: Path | None = None) -> None:
        self._ref = _Reference(Path(reference_docx) if reference_docx is not None else REFERENCE_DOCX)
        self._styles_cache: dict[tuple[bool, str], bytes] = {}
        self._settings_cache: dict[tuple[bool, str], bytes] = {}
        self._numbering: dict[bool, tuple[etree._Element, bytes]] = {}
        for numbered in (True, False):
            tree = self._ref.numbering_tree(numbered)
            self._numbering[numbered] = (tree, _xml(tree))
            self._styles(numbered, "en-GB")
            for update in (True, False):
                self._settings(update, "en-GB")

    def _styles(self, numbered: bool, language: str) -> bytes:
        key = (numbered, language)
        if key not in self._styles_cache:
            self._styles_cache[key] = self._ref.styles_xml(numbered, language)
        return self._styles_cache[key]

    def _settings(self, update_fields: bool, language: str) -> bytes:
        key = (update_fields, language)
        if key not in self._settings_cache:
            self._settings_cache[key] = self._ref.settings_xml(update_fields, language)
        return self._settings_cache[key]

    def render(self, markdown: str, meta: DocMeta) -> bytes:
        """A complete .docx for ``markdown`` (see :mod:`protocolgen.write.markdown`) as bytes.

        Raises ``ValueError`` for an unknown ``:::`` container or a misused one.
        """
        tokens = mdx.parse(markdown)
        body = _Body(self._ref, tokens, meta)
        document = body.build()

        numbering_tree, numbering_xml = self._numbering[meta.numbered_headings]
        if body.ordered_lists:
            numbering_tree = copy.deepcopy(numbering_tree)
            for num_id, ilvl, start in body.ordered_lists:
                num = etree.Element(W_NUM)
                _append_num(numbering_tree, num)
                num.set(W_NUMID, str(num_id))
                etree.SubElement(num, W_ABSTRACTNUMID).set(W_VAL, self._ref.ordered_abstract_id)
                override = etree.SubElement(num, W_LVLOVERRIDE)
                override.set(W_ILVL, str(ilvl))
                etree.SubElement(override, W_STARTOVERRIDE).set(W_VAL, str(start))
            numbering_xml = _xml(numbering_tree)

        parts: dict[str, bytes] = {
            "word/styles.xml": self._styles(meta.numbered_headings, meta.language),
            "word/numbering.xml": numbering_xml,
            "word/settings.xml": self._settings(body.has_toc, meta.language),
            **self._ref.blobs,
            "word/header1.xml": _header(meta, self._ref.styles.header),
            "word/footer1.xml": _footer(meta, self._ref.styles.footer),
        }
        rels = []
        for name, _, reltype in _PARTS:
            if name in parts:
                rels.append((body.rel_id(name), reltype, name.removeprefix("word/"), False))
        rels.extend((rid, _RT + "hyperlink", url, True) for url, rid in body.hyperlinks.items())
        return _zip(meta, document, parts, rels)


# --- the body -------------------------------------------------------------------------------------------


@dataclass
class _List:
    ordered: bool
    num_id: int


class _Body:
    """One render: walks the block tokens and builds ``word/document.xml``."""

    def __init__(self, ref: _Reference, tokens: list[Token], meta: DocMeta) -> None:
        self.ref, self.s, self.tokens, self.meta = ref, ref.styles, tokens, meta
        self.outline = mdx.outline(tokens)
        self.bookmarks = {h.slug: f"_Toc{index + 1:09d}" for index, h in enumerate(self.outline)}
        self.heading_index = 0
        self.rid_count = 0
        self.rels: dict[str, str] = {}  # part name -> rId, in _PARTS order
        for name, _, _ in _PARTS:
            if name in ref.blobs or name not in _OPTIONAL_PARTS:
                self.rel_id(name)
        self.hyperlinks: dict[str, str] = {}  # url -> rId, in order of first use
        self.ordered_lists: list[tuple[int, int, int]] = []  # (numId, ilvl, start)
        self.next_num_id = ref.max_num_id + 1
        self.lists: list[_List] = []
        self.items: list[bool] = []  # per open list item: has its numbered paragraph been written?
        self.containers: list[str] = []
        self.quote_depth = 0
        self.page_break = False
        self.has_toc = False
        self.list_styles = frozenset((*self.s.bullets, *self.s.numbers))

    def _next_rid(self) -> str:
        self.rid_count += 1
        return f"rId{self.rid_count}"

    def rel_id(self, part_name: str) -> str:
        rid = self.rels.get(part_name)
        if rid is None:
            rid = self.rels[part_name] = self._next_rid()
        return rid

    # -- assembly

    def build(self) -> bytes:
        root = etree.Element(_w("document"), nsmap=NSMAP)
        self.body = body = etree.SubElement(root, W_BODY)
        self._paragraph_with_text(self.s.title, self.meta.title)
        self._blocks()
        if len(body) == 0 or body[-1].tag == W_TBL:
            etree.SubElement(body, W_P)  # Word wants a paragraph after a final table
        sect = copy.deepcopy(self.ref.sect_pr)
        footer = etree.Element(W_FOOTERREF)
        footer.set(W_TYPE, "default")
        footer.set(R_ID, self.rel_id("word/footer1.xml"))
        sect.insert(0, footer)
        header = etree.Element(W_HEADERREF)
        header.set(W_TYPE, "default")
        header.set(R_ID, self.rel_id("word/header1.xml"))
        sect.insert(0, header)
        body.append(sect)
        return _xml(root)

    def _blocks(self) -> None:
        tokens, n, i = self.tokens, len(self.tokens), 0
        while i < n:
            token = tokens[i]
            kind = token.type
            if kind == "paragraph_open":
                self._paragraph(tokens[i + 1])
                i += 3
                continue
            if kind == "heading_open":
                self._heading(token, tokens[i + 1])
                i += 3
                continue
            if kind == "bullet_list_open" or kind == "ordered_list_open":
                self._open_list(token)
            elif kind == "bullet_list_close" or kind == "ordered_list_close":
                self.lists.pop()
            elif kind == "list_item_open":
                self.items.append(False)
            elif kind == "list_item_close":
                if not self.items[-1]:  # an empty item still takes its number
                    self._list_paragraph(None)
                self.items.pop()
            elif kind == "table_open":
                i = self._table(i)
                continue
            elif kind == mdx.CONTAINER_OPEN:
                i = self._container(i)
                continue
            elif kind == mdx.CONTAINER_CLOSE:
                self.containers.pop()
            elif kind == "blockquote_open":
                self.quote_depth += 1
            elif kind == "blockquote_close":
                self.quote_depth -= 1
            elif kind == "hr":
                p = self._new_paragraph(None)
                ppr = p[0] if len(p) else etree.SubElement(p, W_PPR)
                border = etree.Element(W_PBDR)
                bottom = etree.SubElement(border, W_BOTTOM)
                for attr, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "auto")):
                    bottom.set(_w(attr), value)
                _insert_ppr(ppr, border)
            elif kind == "fence" or kind == "code_block":
                self._code(token.content)
            i += 1

    # -- paragraphs

    def _new_paragraph(self, style_id: str | None, *, gap_after_table: bool = True) -> etree._Element:
        """A body paragraph; a pending page break goes on it. Text straight after a table gets a gap (Word
        tables have no space below them), and so does text straight after a list (list items sit close
        together, so without it the next paragraph reads as one more item)."""
        body = self.body
        last = body[-1] if len(body) else None
        follows_table = gap_after_table and last is not None and last.tag == W_TBL
        last_style = last.find(f"{W_PPR}/{W_PSTYLE}") if last is not None and last.tag == W_P else None
        follows_list = (gap_after_table and style_id not in self.list_styles and last_style is not None
                        and last_style.get(W_VAL) in self.list_styles)
        p = etree.SubElement(body, W_P)
        if style_id is not None or self.page_break or follows_table or follows_list:
            ppr = etree.SubElement(p, W_PPR)
            if style_id is not None:
                etree.SubElement(ppr, W_PSTYLE, {W_VAL: style_id})
            if self.page_break:
                etree.SubElement(ppr, W_PAGEBREAKBEFORE)
                self.page_break = False
            if follows_table:
                etree.SubElement(ppr, W_SPACING, _GAP_AFTER_TABLE)
            elif follows_list:
                etree.SubElement(ppr, W_SPACING, _GAP_AFTER_LIST)
        return p

    def _paragraph_with_text(self, style_id: str | None, text: str) -> etree._Element:
        p = self._new_paragraph(style_id, gap_after_table=False)
        _run(p, text)
        return p

    def _paragraph(self, inline: Token) -> None:
        if self.lists:
            self._list_paragraph(inline)
            return
        if self.quote_depth:
            style = self.s.quote
        elif "note" in self.containers:
            style = self.s.note
        else:
            style = None  # Normal, the default paragraph style
        p = self._new_paragraph(style)
        self._runs(p, inline.children)

    def _list_paragraph(self, inline: Token | None) -> None:
        current = self.lists[-1]
        depth = len(self.lists) - 1
        names = self.s.numbers if current.ordered else self.s.bullets
        p = self._new_paragraph(names[min(depth, len(names) - 1)])
        ppr = p[0]
        ilvl = min(depth, 8)
        num_pr = etree.Element(W_NUMPR)
        if not self.items[-1]:
            self.items[-1] = True
            etree.SubElement(num_pr, W_ILVL, {W_VAL: str(ilvl)})
            etree.SubElement(num_pr, W_NUMID, {W_VAL: str(current.num_id)})
            _insert_ppr(ppr, num_pr)
        else:  # a further paragraph of the same item: no number, aligned with the item's text
            etree.SubElement(num_pr, W_NUMID, {W_VAL: "0"})
            _insert_ppr(ppr, num_pr)
            lefts = self.ref.number_lefts if current.ordered else self.ref.bullet_lefts
            _insert_ppr(ppr, etree.Element(W_IND, {W_LEFT: str(lefts[ilvl]), W_FIRSTLINE: "0"}))
        if inline is not None:
            self._runs(p, inline.children)

    def _open_list(self, token: Token) -> None:
        if token.type == "ordered_list_open":
            num_id = self.next_num_id
            self.next_num_id += 1
            start = token.attrGet("start")
            self.ordered_lists.append((num_id, min(len(self.lists), 8), int(start) if start is not None else 1))
            self.lists.append(_List(True, num_id))
        else:
            self.lists.append(_List(False, self.ref.bullet_num_id))

    def _heading(self, token: Token, inline: Token) -> None:
        level = mdx.heading_level(token)
        p = self._new_paragraph(self.s.headings[level - 1], gap_after_table=False)
        heading = self.outline[self.heading_index]
        index = self.heading_index
        self.heading_index += 1
        start = etree.SubElement(p, W_BOOKMARKSTART)
        start.set(W_ID, str(index))
        start.set(W_NAME, self.bookmarks[heading.slug])
        self._runs(p, inline.children)
        etree.SubElement(p, W_BOOKMARKEND).set(W_ID, str(index))

    def _code(self, content: str) -> None:
        p = self._new_paragraph(None)
        lines = content.rstrip("\n").split("\n")
        for number, line in enumerate(lines):
            r = etree.SubElement(p, W_R)
            rpr = etree.SubElement(r, W_RPR)
            etree.SubElement(rpr, W_RFONTS, _CODE_FONTS)
            if number:
                etree.SubElement(r, W_BR)
            t = etree.SubElement(r, W_T)
            t.text = line
            t.set(XML_SPACE, "preserve")

    # -- inline content

    def _runs(self, parent: etree._Element, children: Sequence[Token] | None, bold: bool = False) -> None:
        """Append runs for inline tokens; consecutive text with the same formatting becomes one run."""
        b, it = 1 if bold else 0, 0
        target, rstyle = parent, None
        text: list[str] = []
        for child in children or ():
            kind = child.type
            if kind == "text":
                if child.content:
                    text.append(child.content)
                continue
            if kind == "softbreak":
                text.append(" ")
                continue
            if text:
                _run(target, "".join(text), b, it, rstyle)
                text = []
            if kind == "strong_open":
                b += 1
            elif kind == "strong_close":
                b -= 1
            elif kind == "em_open":
                it += 1
            elif kind == "em_close":
                it -= 1
            elif kind == "link_open":
                target, rstyle = self._hyperlink(parent, str(child.attrGet("href") or "")), self.s.hyperlink
            elif kind == "link_close":
                target, rstyle = parent, None
            elif kind == "hardbreak":
                etree.SubElement(etree.SubElement(target, W_R), W_BR)
            elif kind == "code_inline":
                _run(target, child.content, b, it, rstyle, code=True)
            elif kind == "image" and child.content:
                text.append(child.content)
        if text:
            _run(target, "".join(text), b, it, rstyle)

    def _hyperlink(self, parent: etree._Element, href: str) -> etree._Element:
        link = etree.SubElement(parent, W_HYPERLINK)
        if href.startswith("#"):
            link.set(W_ANCHOR, self.bookmarks.get(href[1:], href[1:]))
        else:
            rid = self.hyperlinks.get(href)
            if rid is None:
                rid = self.hyperlinks[href] = self._next_rid()
            link.set(R_ID, rid)
        link.set(W_HISTORY, "1")
        return link

    # -- containers

    def _container(self, i: int) -> int:
        token = self.tokens[i]
        name = mdx.container_name(token)
        if name in ("toc", "pagebreak"):
            close = i + 1
            if self.tokens[close].type != mdx.CONTAINER_CLOSE:
                assert token.map is not None  # block tokens always carry their source lines
                raise ValueError(f"'::: {name}' on line {token.map[0] + 1} must be empty")
            if name == "toc":
                self._toc()
            else:
                self.page_break = True
            return close + 1
        self.containers.append(name)
        return i + 1

    def _toc(self) -> None:
        self.has_toc = True
        s = self.s
        self._paragraph_with_text(s.toc_heading, "Contents")
        if not self.outline:
            p = self._new_paragraph(s.toc[0])
            _field_begin(p, _TOC_INSTRUCTION)
            _run(p, _NO_TOC_ENTRIES)
            _field_char(p, "end")
            return
        numbered = self.meta.numbered_headings
        formats, kinds, legal = self.ref.heading_formats, self.ref.heading_kinds, self.ref.heading_legal
        outline = [h for h in self.outline if h.level <= _TOC_LEVELS]
        last = len(outline) - 1
        for index, heading in enumerate(outline):
            p = self._new_paragraph(s.toc[heading.level - 1])
            if index == 0:
                _field_begin(p, _TOC_INSTRUCTION)
            bookmark = self.bookmarks[heading.slug]
            link = etree.SubElement(p, W_HYPERLINK)
            link.set(W_ANCHOR, bookmark)
            link.set(W_HISTORY, "1")
            number = _format_number(formats[heading.level - 1], heading.counters, kinds,
                                    legal[heading.level - 1]) if numbered else ""
            if number.strip():  # a reference's heading list may show no number at a level
                _run(link, number)
                etree.SubElement(etree.SubElement(link, W_R), W_TAB)
            _run(link, heading.text)
            if index == last:
                _field_char(p, "end")

    # -- tables

    def _table(self, i: int) -> int:
        tokens = self.tokens
        rows: list[tuple[bool, list[tuple[Token, str | None]]]] = []
        header = False
        cells: list[tuple[Token, str | None]] = []
        j = i + 1
        while tokens[j].type != "table_close":
            kind = tokens[j].type
            if kind == "thead_open":
                header = True
            elif kind == "thead_close":
                header = False
            elif kind == "tr_open":
                cells = []
                rows.append((header, cells))
            elif kind == "th_open" or kind == "td_open":
                style = str(tokens[j].attrGet("style") or "")
                align = style.partition("text-align:")[2] or None
                cells.append((tokens[j + 1], align))
                j += 1
            j += 1
        self._write_table(rows)
        return j + 1

    def _write_table(self, rows: list[tuple[bool, list[tuple[Token, str | None]]]]) -> None:
        body, s = self.body, self.s
        if len(body) and body[-1].tag == W_TBL:  # Word would merge two adjacent tables into one
            etree.SubElement(body, W_P)
        if self.page_break:
            p = etree.SubElement(body, W_P)
            etree.SubElement(etree.SubElement(p, W_R), W_BR).set(W_TYPE, "page")
            self.page_break = False
        elif len(body) and body[-1].tag == W_P:  # keep the lead-in ("Table 2 lists ...") with the table
            before = body[-1]
            ppr = before[0] if len(before) and before[0].tag == W_PPR else None
            if ppr is None:
                ppr = etree.Element(W_PPR)
                before.insert(0, ppr)
            if ppr.find(W_KEEPNEXT) is None:
                _insert_ppr(ppr, etree.Element(W_KEEPNEXT))
        kind = next((c for c in reversed(self.containers) if c in ("signatures", "form")), None)
        height = {"signatures": SIGNATURE_ROW_HEIGHT, "form": FORM_ROW_HEIGHT}.get(kind) if kind else None
        columns = len(rows[0][1])
        texts = [[mdx.inline_text(cell) for cell, _ in cells] for _, cells in rows]
        widths = _column_widths(texts, self.ref.text_width, wide_empty=kind is not None)

        tbl = etree.SubElement(body, W_TBL)
        tbl_pr = etree.SubElement(tbl, W_TBLPR)
        etree.SubElement(tbl_pr, W_TBLSTYLE).set(W_VAL, s.table)
        width = etree.SubElement(tbl_pr, W_TBLW)
        width.set(W_W, str(sum(widths)))
        width.set(W_TYPE, "dxa")
        etree.SubElement(tbl_pr, W_TBLLAYOUT).set(W_TYPE, "fixed")
        look = etree.SubElement(tbl_pr, W_TBLLOOK)
        for attr, setting in (("val", "04A0"), ("firstRow", "1"), ("lastRow", "0"), ("firstColumn", "0"),
                              ("lastColumn", "0"), ("noHBand", "1"), ("noVBand", "1")):
            look.set(_w(attr), setting)
        grid = etree.SubElement(tbl, W_TBLGRID)
        for value in widths:
            etree.SubElement(grid, W_GRIDCOL).set(W_W, str(value))
        sub = etree.SubElement
        cell_style = s.table_text
        cell_widths = [{W_W: str(value), W_TYPE: "dxa"} for value in widths]
        jc = {"right": {W_VAL: "right"}, "center": {W_VAL: "center"}}
        row_height = {W_VAL: str(height), W_HRULE: "atLeast"} if height else None
        for header, cells in rows:
            tr = sub(tbl, W_TR)
            tr_pr = sub(tr, W_TRPR)
            sub(tr_pr, W_CANTSPLIT)  # a row never breaks across pages
            if header:
                sub(tr_pr, W_TBLHEADER)
            elif row_height:
                sub(tr_pr, W_TRHEIGHT, row_height)
            for column in range(columns):
                inline, align = cells[column]
                tc = sub(tr, W_TC)
                sub(sub(tc, W_TCPR), W_TCW, cell_widths[column])
                p = sub(tc, W_P)
                if cell_style is not None or align in jc:
                    ppr = sub(p, W_PPR)
                    if cell_style is not None:
                        sub(ppr, W_PSTYLE, {W_VAL: cell_style})
                    if align in jc:
                        sub(ppr, W_JC, jc[align])
                self._runs(p, inline.children, bold=header)


# --- small builders -------------------------------------------------------------------------------------


def _run(parent: etree._Element, text: str, bold: int = 0, italic: int = 0, rstyle: str | None = None,
         code: bool = False) -> None:
    sub = etree.SubElement
    r = sub(parent, W_R)
    if rstyle is not None or bold or italic or code:
        rpr = sub(r, W_RPR)
        if rstyle is not None:
            sub(rpr, W_RSTYLE, {W_VAL: rstyle})
        if code:
            sub(rpr, W_RFONTS, _CODE_FONTS)
        if bold:
            sub(rpr, W_B)
        if italic:
            sub(rpr, W_I)
    if text[:1].isspace() or text[-1:].isspace() or "  " in text:
        sub(r, W_T, _PRESERVE).text = text
    else:
        sub(r, W_T).text = text


def _field_char(parent: etree._Element, kind: str) -> None:
    etree.SubElement(etree.SubElement(parent, W_R), W_FLDCHAR).set(W_FLDCHARTYPE, kind)


def _field_begin(parent: etree._Element, instruction: str) -> None:
    """Begin a complex field: begin, instruction, separate (the caller writes the cached result and end)."""
    _field_char(parent, "begin")
    instr = etree.SubElement(etree.SubElement(parent, W_R), W_INSTRTEXT)
    instr.text = instruction
    instr.set(XML_SPACE, "preserve")
    _field_char(parent, "separate")


def _field(parent: etree._Element, instruction: str, cached: str) -> None:
    _field_begin(parent, instruction)
    _run(parent, cached)
    _field_char(parent, "end")


_NUMBER_PLACEHOLDER = re.compile(r"%([1-9])")


def _format_number(pattern: str, counters: Sequence[int], kinds: Sequence[tuple[str, int]] = (),
                   legal: bool = False) -> str:
    """A heading number as Word shows it, e.g. pattern ``%1.%2`` with counters (2, 3) -> ``2.3``.

    ``kinds`` gives each level's (``w:numFmt``, ``w:start``) of the heading list (decimal from 1 if not
    given); ``legal`` (``w:isLgl``) shows every level as a decimal number."""

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        count = counters[index] if index < len(counters) else 0
        fmt, start = kinds[index] if index < len(kinds) else ("decimal", 1)
        return _number_text(count + start - 1, "decimal" if legal else fmt)

    return _NUMBER_PLACEHOLDER.sub(value, pattern)


_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _number_text(number: int, fmt: str) -> str:
    """``number`` in a Word number format (the common ones; others as decimal)."""
    if fmt == "none":
        return ""
    if number <= 0:
        return str(number)
    if fmt in ("lowerRoman", "upperRoman"):
        out = []
        for value, letters in _ROMAN:
            while number >= value:
                out.append(letters)
                number -= value
        text = "".join(out)
        return text.upper() if fmt == "upperRoman" else text
    if fmt in ("lowerLetter", "upperLetter"):  # Word: a..z, aa..zz, aaa..
        letter = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt == "decimalZero":
        return f"{number:02d}"
    return str(number)


def _column_widths(rows: list[list[str]], total: int, wide_empty: bool = False) -> list[int]:
    """Column widths (twips) adding up to ``total``: proportional to content, never narrower than the
    longest word (within reason). In forms and signature blocks a column that is empty below its header is
    for handwriting and gets a generous share."""
    columns = len(rows[0]) if rows else 1
    if columns == 0:
        return []
    total_length = [0] * columns
    word = [0] * columns
    body_empty = [True] * columns
    for row_index, row in enumerate(rows):
        for column, text in enumerate(row):
            total_length[column] += len(text)
            word[column] = max(word[column], max((len(w) for w in text.split()), default=0))
            if row_index and text.strip():
                body_empty[column] = False
    # Weight by the average text per row: a column of long passages gets the room it needs, so rows stay
    # short and the table takes fewer pages; the square root keeps short columns from being squeezed.
    weights = [max((length / len(rows)) ** 0.5, 2.0) for length in total_length]
    if wide_empty and len(rows) > 1:
        # Handwriting needs a little more room than the widest printed column.
        filled = [w for w, empty in zip(weights, body_empty, strict=True) if not empty]
        room = 1.2 * max(filled, default=6.0)
        weights = [room if empty else w for w, empty in zip(weights, body_empty, strict=True)]
    # About 125 twips a character: enough for the longest word in bold (header cells) at 10-11 pt.
    floor: list[float] = [min(word[c] * 125 + 216, total // 2) for c in range(columns)]
    if sum(floor) > total:
        floor = [f * total / sum(floor) for f in floor]
    widths = [total * w / sum(weights) for w in weights]
    for _ in range(columns):  # lift columns below their floor, taking the width from the others
        short = [c for c in range(columns) if widths[c] < floor[c]]
        if not short:
            break
        for c in short:
            widths[c] = floor[c]
        rest = [c for c in range(columns) if c not in short]
        spare = total - sum(widths[c] for c in short)
        rest_weight = sum(weights[c] for c in rest)
        for c in rest:
            widths[c] = spare * weights[c] / rest_weight if rest_weight else 0
    out = [math.floor(w) for w in widths]
    out[-1] += total - sum(out)
    return out


# --- the other parts ------------------------------------------------------------------------------------


def _header(meta: DocMeta, style_id: str | None) -> bytes:
    root = etree.Element(_w("hdr"), nsmap=NSMAP)
    p = etree.SubElement(root, W_P)
    if style_id:
        etree.SubElement(etree.SubElement(p, W_PPR), W_PSTYLE).set(W_VAL, style_id)
    _run(p, meta.title)
    return _xml(root)


def _footer(meta: DocMeta, style_id: str | None) -> bytes:
    root = etree.Element(_w("ftr"), nsmap=NSMAP)
    p = etree.SubElement(root, W_P)
    if style_id:
        etree.SubElement(etree.SubElement(p, W_PPR), W_PSTYLE).set(W_VAL, style_id)
    prefix = f"{meta.reference} | " if meta.reference else ""
    _run(p, f"{prefix}Version {meta.version} | Issued {meta.issue_date_text} | Page ")
    _field(p, " PAGE ", "1")
    _run(p, " of ")
    _field(p, " NUMPAGES ", "1")
    return _xml(root)


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
    return _XML_DECL + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{fields}</cp:coreProperties>"
    ).encode()


def _app(meta: DocMeta) -> bytes:
    return _XML_DECL + (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>protocolgen</Application><DocSecurity>0</DocSecurity>"
        f"<Company>{escape(meta.author)}</Company></Properties>"
    ).encode()


_PACKAGE_RELS = _XML_DECL + (
    f'<Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_RT}officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_RT}extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
).encode()


def _content_types(part_names: Sequence[str]) -> bytes:
    types = dict((name, ct) for name, ct, _ in _PARTS)
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{types[name]}"/>' for name in part_names if name in types
    )
    return _XML_DECL + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{_CT}wordprocessingml.document.main+xml"/>'
        f"{overrides}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_CT}extended-properties+xml"/>'
        "</Types>"
    ).encode()


def _document_rels(rels: Sequence[tuple[str, str, str, bool]]) -> bytes:
    items = "".join(
        f'<Relationship Id="{rid}" Type="{reltype}" Target="{escape(target, {chr(34): "&quot;"})}"'
        + (' TargetMode="External"/>' if external else "/>")
        for rid, reltype, target, external in sorted(rels, key=lambda rel: int(rel[0][3:]))
    )
    return _XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">{items}</Relationships>'.encode()


def _zip(meta: DocMeta, document: bytes, parts: dict[str, bytes], rels: Sequence[tuple[str, str, str, bool]]) -> bytes:
    """The package as a zip with a fixed entry order, fixed dates (``meta.created``) and fixed compression.

    Identical input gives identical bytes with the same zlib; a different zlib build could compress
    differently, so compare documents by content across machines, by bytes on one machine.
    """
    day = meta.created.date() if isinstance(meta.created, datetime.datetime) else meta.created
    date_time = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    ordered = [name for name, _, _ in _PARTS if name in parts]
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
