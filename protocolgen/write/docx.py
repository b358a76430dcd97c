r"""Markdown to a Word (.docx) document in the house style of a reference .docx.

Design, for speed and reproducibility:

* :class:`DocxWriter` reads the reference once. It resolves the style ids it needs by style *name* (so a
  restyled reference with other ids still works), finds the numbering that the heading and list styles are
  linked to, and keeps the parts it reuses (styles, numbering, settings, fonts, theme, page setup) either as
  finished bytes or as parsed trees to copy.
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

__all__ = ["DocxWriter", "REFERENCE_DOCX"]

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
    for tag in (
        "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
        "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
        "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
        "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
    ).split()
]

# settings.xml children that must come after w:updateFields (CT_Settings is a strict sequence).
_AFTER_UPDATE_FIELDS = {
    _w(tag)
    for tag in (
        "hdrShapeDefaults footnotePr endnotePr compat docVars rsids attachedSchema themeFontLang "
        "clrSchemeMapping doNotIncludeSubdocsInStats doNotAutoCompressPictures forceUpgrade captions "
        "readModeInkLockDown smartTagType shapeDefaults doNotEmbedSmartTags decimalSymbol listSeparator"
    ).split()
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


class _Reference:
    """A reference .docx, read and checked once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            archive = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ValueError(f"reference docx {path}: cannot be read as a .docx ({exc})") from exc
        with archive:
            names = set(archive.namelist())

            def read(name: str) -> bytes:
                if name not in names:
                    raise ValueError(f"reference docx {path}: has no part {name}")
                return archive.read(name)

            def parse(name: str) -> etree._Element:
                try:
                    return etree.fromstring(read(name), _parser())
                except etree.XMLSyntaxError as exc:
                    raise ValueError(f"reference docx {path}: {name} is not well-formed XML ({exc})") from exc

            main = self._target(parse("_rels/.rels"), "", _RT + "officeDocument")
            if main is None:
                raise ValueError(f"reference docx {path}: has no main document part")
            folder, base = posixpath.split(main)
            doc_rels = parse(posixpath.join(folder, "_rels", base + ".rels"))

            def related(kind: str) -> str | None:
                return self._target(doc_rels, folder, _RT + kind)

            styles_name = related("styles")
            numbering_name = related("numbering")
            if styles_name is None:
                raise ValueError(f"reference docx {path}: has no styles part")
            if numbering_name is None:
                raise ValueError(
                    f"reference docx {path}: has no numbering part, so headings and lists cannot be numbered"
                )
            self.styles_root = parse(styles_name)
            self.numbering_root = parse(numbering_name)
            settings_name = related("settings")
            self.settings_root = parse(settings_name) if settings_name else etree.Element(_w("settings"), nsmap=NSMAP)
            self.blobs: dict[str, bytes] = {}
            for kind, out_name in (("fontTable", "word/fontTable.xml"), ("theme", "word/theme/theme1.xml")):
                name = related(kind)
                if name is not None:
                    self.blobs[out_name] = read(name)
            body = parse(main).find(W_BODY)
            sect = body.find(W_SECTPR) if body is not None else None
        self.sect_pr = self._clean_sect_pr(sect)
        self.text_width = self._text_width(self.sect_pr)
        self.styles = self._resolve_styles()
        self._resolve_numbering()

    @staticmethod
    def _target(rels: etree._Element, folder: str, reltype: str) -> str | None:
        for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
            if rel.get("Type") == reltype and rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                return posixpath.normpath(joined)
        return None

    @staticmethod
    def _clean_sect_pr(sect: etree._Element | None) -> etree._Element:
        if sect is None:  # A4, 2.5 cm margins
            sect = etree.fromstring(
                f'<w:sectPr xmlns:w="{W_NS}"><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1417" '
                'w:right="1417" w:bottom="1417" w:left="1417" w:header="709" w:footer="709" w:gutter="0"/>'
                "</w:sectPr>"
            )
        sect = copy.deepcopy(sect)
        for child in list(sect):
            if child.tag in (W_HEADERREF, W_FOOTERREF, W_TITLEPG):
                sect.remove(child)
        for name in [name for name in sect.attrib if "rsid" in name]:
            del sect.attrib[name]
        return sect

    @staticmethod
    def _text_width(sect: etree._Element) -> int:
        size, margins = sect.find(W_PGSZ), sect.find(W_PGMAR)
        try:
            width = int(size.get(W_W)) - int(margins.get(W_LEFT)) - int(margins.get(W_RIGHT))
        except (AttributeError, TypeError, ValueError):
            width = 9071
        return max(width, 2000)

    def _resolve_styles(self) -> _Styles:
        by_name: dict[str, tuple[str | None, str, etree._Element]] = {}
        self.style_by_id: dict[str, etree._Element] = {}
        for element in self.styles_root.iter(W_STYLE):
            style_id = element.get(W_STYLEID)
            name = element.find(W_NAME)
            if style_id is None or name is None:
                continue
            self.style_by_id[style_id] = element
            by_name.setdefault(name.get(W_VAL, "").lower(), (element.get(W_TYPE), style_id, element))

        def find(name: str, kind: str) -> str | None:
            found = by_name.get(name.lower())
            return found[1] if found and found[0] == kind else None

        missing = [name for name, kind in _REQUIRED_STYLES.items() if find(name, kind) is None]
        table = next((sid for sid in (find(n, "table") for n in _TABLE_STYLES) if sid), None)
        if table is None:
            missing.append(" or ".join(_TABLE_STYLES))
        if missing:
            raise ValueError(
                f"reference docx {self.path}: missing required style(s): {', '.join(missing)}"
            )
        get = {name: find(name, kind) for name, kind in {**_REQUIRED_STYLES, **_OPTIONAL_STYLES}.items()}
        self.style_elements = {name: by_name[name.lower()][2] for name in _REQUIRED_STYLES}
        return _Styles(
            title=get["Title"],
            headings=(get["Heading 1"], get["Heading 2"], get["Heading 3"]),
            bullets=tuple(s for s in (get["List Bullet"], get["List Bullet 2"], get["List Bullet 3"]) if s),
            numbers=tuple(s for s in (get["List Number"], get["List Number 2"], get["List Number 3"]) if s),
            note=get["Note"],
            hyperlink=get["Hyperlink"],
            table=table,
            table_text=get["Table Text"],
            quote=get["Quote"],
            toc_heading=get["TOC Heading"],
            toc=(get["toc 1"], get["toc 2"], get["toc 3"]),
            header=get["header"],
            footer=get["footer"],
        )

    def _style_num_id(self, name: str) -> int | None:
        """The numId a style is linked to (following ``basedOn``), or None."""
        element, seen = self.style_elements[name], set()
        while element is not None and id(element) not in seen:
            seen.add(id(element))
            num_id = element.find(f"{W_PPR}/{W_NUMPR}/{W_NUMID}")
            if num_id is not None:
                return int(num_id.get(W_VAL, "0")) or None
            based = element.find(W_BASEDON)
            element = self.style_by_id.get(based.get(W_VAL)) if based is not None else None
        return None

    def _abstract(self, num_id: int) -> etree._Element | None:
        for num in self.numbering_root.iter(W_NUM):
            if num.get(W_NUMID) == str(num_id):
                ref = num.find(W_ABSTRACTNUMID)
                if ref is None:
                    return None
                for abstract in self.numbering_root.iter(W_ABSTRACTNUM):
                    if abstract.get(W_ABSTRACTNUMID) == ref.get(W_VAL):
                        return abstract
        return None

    def _resolve_numbering(self) -> None:
        problems, abstracts = [], {}
        for name in ("Heading 1", "Heading 2", "Heading 3", "List Bullet", "List Number"):
            num_id = self._style_num_id(name)
            abstract = self._abstract(num_id) if num_id else None
            if abstract is None:
                problems.append(name)
            abstracts[name] = (num_id, abstract)
        if problems:
            raise ValueError(
                f"reference docx {self.path}: style(s) not linked to a list in numbering.xml: "
                f"{', '.join(problems)} (headings and lists are numbered by Word list numbering)"
            )
        self.heading_abstract = abstracts["Heading 1"][1]
        self.bullet_num_id = abstracts["List Bullet"][0]
        ordered = abstracts["List Number"][1]
        self.ordered_abstract_id = ordered.get(W_ABSTRACTNUMID)
        self.max_num_id = max((int(n.get(W_NUMID, "0")) for n in self.numbering_root.iter(W_NUM)), default=0)

        def levels(abstract: etree._Element) -> dict[int, etree._Element]:
            return {int(lvl.get(W_ILVL, "0")): lvl for lvl in abstract.iter(W_LVL)}

        heading_levels = levels(self.heading_abstract)
        self.heading_formats = []
        for ilvl in range(3):
            text = heading_levels.get(ilvl)
            text = text.find(W_LVLTEXT) if text is not None else None
            default = ".".join(f"%{n}" for n in range(1, ilvl + 2))
            self.heading_formats.append(text.get(W_VAL, default) if text is not None else default)

        def lefts(abstract: etree._Element) -> list[int]:
            out, lvls = [], levels(abstract)
            for ilvl in range(9):
                ind = lvls[ilvl].find(f"{W_PPR}/{W_IND}") if ilvl in lvls else None
                try:
                    out.append(int(ind.get(W_LEFT) or ind.get(_w("start"))))
                except (AttributeError, TypeError, ValueError):
                    out.append(360 * (ilvl + 1))
            return out

        self.bullet_lefts = lefts(abstracts["List Bullet"][1])
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
                ppr = style.find(W_PPR)
                if ppr is None:
                    ppr = etree.SubElement(style, W_PPR)
                    rpr_el = style.find(W_RPR)
                    if rpr_el is not None:  # pPr comes before rPr
                        rpr_el.addprevious(ppr)
                old = ppr.find(W_NUMPR)
                if old is not None:
                    ppr.remove(old)
                num_pr = etree.Element(W_NUMPR)
                etree.SubElement(num_pr, W_NUMID).set(W_VAL, "0")
                _insert_ppr(ppr, num_pr)
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
            local = etree.QName(element).localname
            if local in ("rsids", "docId", "proofState", "attachedTemplate"):
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


class DocxWriter:
    """Renders markdown to .docx bytes in the house style of a reference document.

    Create one writer and reuse it: the reference is parsed and checked here, once. A reference that lacks a
    needed style, or whose heading/list styles are not linked to numbering, raises ``ValueError`` naming the
    file and what is missing. ``render`` is safe to call from several threads.
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
                num = etree.SubElement(numbering_tree, W_NUM)
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
        """A body paragraph; a pending page break goes on it, and text straight after a table gets a gap
        (Word tables have no space below them)."""
        body = self.body
        follows_table = gap_after_table and len(body) and body[-1].tag == W_TBL
        p = etree.SubElement(body, W_P)
        if style_id is not None or self.page_break or follows_table:
            ppr = etree.SubElement(p, W_PPR)
            if style_id is not None:
                etree.SubElement(ppr, W_PSTYLE, {W_VAL: style_id})
            if self.page_break:
                etree.SubElement(ppr, W_PAGEBREAKBEFORE)
                self.page_break = False
            if follows_table:
                etree.SubElement(ppr, W_SPACING, _GAP_AFTER_TABLE)
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
                target, rstyle = self._hyperlink(parent, child.attrGet("href") or ""), self.s.hyperlink
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
        formats = self.ref.heading_formats
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
            if numbered:
                _run(link, _format_number(formats[heading.level - 1], heading.counters))
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
                style = tokens[j].attrGet("style") or ""
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
        height = {"signatures": SIGNATURE_ROW_HEIGHT, "form": FORM_ROW_HEIGHT}.get(kind)
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
        for attr, value in (("val", "04A0"), ("firstRow", "1"), ("lastRow", "0"), ("firstColumn", "0"),
                            ("lastColumn", "0"), ("noHBand", "1"), ("noVBand", "1")):
            look.set(_w(attr), value)
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


def _format_number(pattern: str, counters: Sequence[int]) -> str:
    """A heading number as Word shows it, e.g. pattern ``%1.%2`` with counters (2, 3) -> ``2.3``."""

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return str(counters[index]) if index < len(counters) else "0"

    return _NUMBER_PLACEHOLDER.sub(value, pattern)


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
        weights = [30 if empty else w for w, empty in zip(weights, body_empty)]
    floor = [min(word[c] * 110 + 216, total // 2) for c in range(columns)]
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
    out = [int(math.floor(w)) for w in widths]
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
