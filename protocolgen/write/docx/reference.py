"""The house style: reading a reference .docx and completing it with what the writer needs.

A user's reference (``--reference-docx``) works as pandoc's does: the styles it defines win, and what the
writer needs that it lacks is filled in from the bundled reference (``protocolgen/templates/reference.docx``).
A missing style is copied (with the styles it is based on, if those are missing too); Heading 1-3, List Bullet
and List Number not linked to a suitable Word list (three levels or more; bullets for bullets) are linked to a
copy of the bundled list, added to the reference's numbering under fresh ids (and a fresh ``w:nsid``). The
reference's page size and margins are used; its headers, footers, body and anything that needs its other
parts (attached template, embedded fonts, picture bullets, printer settings) are not. A file that is not a
Word document is a ``ValueError`` naming it.

Styles are found by *name*, so a restyled reference with other style ids still works; :class:`Reference`
keeps the ids it resolved in :class:`Styles` and gives the shared parts (styles, numbering, settings) as the
variants a document needs (numbered headings or not, its language, a contents field or not).

**Unnumbered headings** (privacy notices) are done by a variant of the styles in which Heading 1-3 carry
``<w:numPr><w:numId w:val="0"/></w:numPr>`` (Word's "no list") and a variant of the numbering in which the
heading list no longer names the heading styles (``w:pStyle``), which LibreOffice would otherwise follow. The
heading paragraphs stay plain ``Heading N`` paragraphs either way, so the outline, navigation pane and a later
contents update behave normally, and a user who adds a heading gets no stray number.
"""

from __future__ import annotations

import copy
import posixpath
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from protocolgen.write.docx.oxml import (
    NSMAP,
    R_NS,
    W_ABSTRACTNUM,
    W_ABSTRACTNUMID,
    W_BASEDON,
    W_BODY,
    W_DOCDEFAULTS,
    W_FOOTERREF,
    W_HEADERREF,
    W_ILVL,
    W_IND,
    W_LANG,
    W_LEFT,
    W_LVL,
    W_LVLTEXT,
    W_NAME,
    W_NS,
    W_NUM,
    W_NUMID,
    W_NUMPR,
    W_PGMAR,
    W_PGSZ,
    W_PPR,
    W_PSTYLE,
    W_RIGHT,
    W_RPR,
    W_SECTPR,
    W_STYLE,
    W_STYLEID,
    W_TITLEPG,
    W_TYPE,
    W_VAL,
    W_W,
    insert_ppr,
    parser,
    qn,
    xml_bytes,
)
from protocolgen.write.docx.package import RT, PackageReader, UnsafePackageError, relationship_target

__all__ = ["REFERENCE_DOCX", "Reference", "Styles", "append_num"]

REFERENCE_DOCX = Path(__file__).resolve().parent.parent.parent / "templates" / "reference.docx"

# settings.xml children that must come after w:updateFields (CT_Settings is a strict sequence).
_AFTER_UPDATE_FIELDS = {
    qn(tag)
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



@dataclass(frozen=True)
class Styles:
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
    qn(tag)
    for tag in ["name", "aliases", "basedOn", "next", "link", "autoRedefine", "hidden", "uiPriority", "semiHidden", "unhideWhenUsed", "qFormat", "locked", "personal", "personalCompose", "personalReply", "rsid"]
}
# settings.xml children dropped from a reference: revision noise, document-specific ids, protection and
# mail merge, and footnote/endnote separators (the output has no footnotes part).
_DROP_SETTINGS = {
    "rsids", "docId", "proofState", "attachedTemplate", "documentProtection", "writeProtection", "mailMerge",
    "footnotePr", "endnotePr", "embedTrueTypeFonts", "embedSystemFonts", "saveSubsetFonts",
}
_FONT_EMBEDS = {qn(tag) for tag in ("embedRegular", "embedBold", "embedItalic", "embedBoldItalic")}
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


def _read_package(path: Path) -> _Package:
    """Read a Word document's house-style parts; ``ValueError`` naming the file if it is not a Word document,
    or if it is hostile (a zip bomb, thousands of parts, XML with a DTD: see :class:`PackageReader`)."""
    with PackageReader(path, f"reference docx {path}") as package:
        fail = package.error

        def parse(name: str, root_tag: str | None = None) -> etree._Element:
            root = package.parse(name)
            if root_tag is not None and root.tag != root_tag:
                if root.tag.startswith(f"{{{_STRICT_NS}"):
                    raise fail("is saved as Strict Open XML; save it from Word as 'Word Document (*.docx)'")
                raise fail(f"{name} is not a Word {etree.QName(root_tag).localname} part")
            return root

        package_rels = parse("_rels/.rels")
        main = relationship_target(package_rels, "", RT + "officeDocument")
        if main is None:
            if any(_STRICT_NS in (rel.get("Type") or "") for rel in package_rels):
                raise fail("is saved as Strict Open XML; save it from Word as 'Word Document (*.docx)'")
            raise fail("has no main document part, so it is not a Word document")
        document = parse(main, qn("document"))
        folder, base = posixpath.split(main)
        doc_rels = parse(posixpath.join(folder, "_rels", base + ".rels"))

        def related(kind: str) -> str | None:
            return relationship_target(doc_rels, folder, RT + kind)

        styles_name = related("styles")
        if styles_name is None:
            raise fail("has no styles part")
        styles = parse(styles_name, qn("styles"))
        numbering_name = related("numbering")
        numbering = parse(numbering_name, qn("numbering")) if numbering_name else None
        settings_name = related("settings")
        settings = parse(settings_name, qn("settings")) if settings_name else None
        blobs: dict[str, bytes] = {}
        for kind, out_name in (("fontTable", "word/fontTable.xml"), ("theme", "word/theme/theme1.xml")):
            name = related(kind)
            if name is not None and name in package.names:
                data = package.read(name)
                try:
                    package.parse(name, data)  # copied as it is, so checked here: well-formed, no DTD
                except UnsafePackageError:
                    raise
                except ValueError:
                    continue  # a damaged optional part is left out; the bundled defaults serve
                blobs[out_name] = data
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
        return any(s.get(W_TYPE) == kind and s.get(qn("default")) in ("1", "true", "on")
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
                link = abstract.find(qn("numStyleLink")) if abstract is not None else None
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
    fmt = lvl.find(qn("numFmt")) if lvl is not None else None
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
    insert_ppr(ppr, num_pr)


class _Bundled:
    """The bundled reference, the source of whatever a user's reference lacks. Read once, never modified."""

    _instance: _Bundled | None = None

    def __init__(self) -> None:
        package = _read_package(REFERENCE_DOCX)
        self.sheet = _StyleSheet(package.styles)
        self.numbering = _Numbering(
            package.numbering if package.numbering is not None else etree.Element(qn("numbering")), self.sheet
        )
        self.text_width = Reference.text_width_of(Reference.clean_sect_pr(package.sect))

    @classmethod
    def get(cls) -> _Bundled:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


class Reference:
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
            package.numbering if package.numbering is not None else etree.Element(qn("numbering"), nsmap=NSMAP)
        )
        self.numbering = _Numbering(self.numbering_root, self.sheet)
        self.settings_root = (
            package.settings if package.settings is not None else etree.Element(qn("settings"), nsmap=NSMAP)
        )
        self.blobs = self._clean_blobs(package.blobs)
        self.sect_pr = self.clean_sect_pr(package.sect)
        self.text_width = self.text_width_of(self.sect_pr)
        self.text_height = self.text_height_of(self.sect_pr)
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
            if child.tag in (W_HEADERREF, W_FOOTERREF, W_TITLEPG, qn("sectPrChange"), qn("printerSettings")) \
                    or _has_relationship(child):
                sect.remove(child)
        for name in [name for name in sect.attrib if "rsid" in name]:
            del sect.attrib[name]
        return sect

    @staticmethod
    def text_height_of(sect: etree._Element) -> int:
        """The page's height between its top and bottom margins, in twips (a drawing must fit in it)."""
        size, margins = sect.find(W_PGSZ), sect.find(W_PGMAR)
        try:
            height = int(size.get(qn("h"))) - abs(int(margins.get(qn("top")))) - abs(int(margins.get(qn("bottom"))))
        except (AttributeError, TypeError, ValueError):
            height = 14004
        return max(height, 2000)

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
                    root = etree.fromstring(data, parser())
                except etree.XMLSyntaxError:
                    continue  # an unreadable optional part is left out
                for element in [e for e in root.iter(*_FONT_EMBEDS)]:
                    element.getparent().remove(element)
                _drop_relationship_attributes(root)
                data = xml_bytes(root)
            out[name] = data
        return out

    def _clean_numbering(self) -> None:
        # picture bullets are images related to numbering.xml, which is copied without relationships
        for element in [*self.numbering_root.iter(qn("numPicBullet")), *self.numbering_root.iter(qn("lvlPicBulletId"))]:
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
        if style.get(qn("default")) is not None and self.sheet.has_default(kind):
            del style.attrib[qn("default")]
        for element in list(style.iter(qn("rsid"))):
            element.getparent().remove(element)
        self.styles_root.append(style)
        self.sheet.add(style)
        for tag in (W_BASEDON, qn("next"), qn("link")):
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
            for tab in ppr.iterfind(f"{qn('tabs')}/{qn('tab')}"):  # a tab at the bundled right margin
                if abs(_int(tab.get(qn("pos"))) - bundled.text_width) <= 2:  # moves to this one's
                    tab.set(qn("pos"), str(self.text_width))
        return style_id

    def _resolve_styles(self) -> Styles:
        find = self.sheet.find_id
        get = {name: find(name, kind) for name, kind in {**_REQUIRED_STYLES, **_OPTIONAL_STYLES}.items()}
        table = next(sid for sid in (find(n, "table") for n in _TABLE_STYLES) if sid)

        def required(name: str) -> str:
            style_id = get[name]
            assert style_id is not None, name  # _complete_styles raised if a required style was missing
            return style_id

        return Styles(
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
        nsid = abstract.find(qn("nsid"))
        if nsid is not None:  # the list's identity: it must differ from the reference's lists
            taken = {e.get(W_VAL, "").upper() for e in self.numbering_root.iter(qn("nsid"))}
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
            append_num(root, abstract)
        num = etree.Element(W_NUM)
        num.set(W_NUMID, str(num_id))
        etree.SubElement(num, W_ABSTRACTNUMID).set(W_VAL, str(abstract_id))
        append_num(root, num)
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
            start = lvl.find(qn("start")) if lvl is not None else None
            self.heading_kinds.append((_num_fmt(lvl), _int(start.get(W_VAL)) if start is not None else 1))
            legal.append(lvl is not None and lvl.find(qn("isLgl")) is not None)
        self.heading_legal = tuple(legal)

        def lefts(abstract: etree._Element) -> list[int]:
            out, lvls = [], _levels(abstract)
            for ilvl in range(9):
                ind = lvls[ilvl].find(f"{W_PPR}/{W_IND}") if ilvl in lvls else None
                left = (ind.get(W_LEFT) or ind.get(qn("start"))) if ind is not None else None
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
        rpr = defaults.find(f"{qn('rPrDefault')}/{W_RPR}")
        if rpr is None:
            rpr_default = defaults.find(qn("rPrDefault"))
            if rpr_default is None:
                rpr_default = etree.Element(qn("rPrDefault"))
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
        for element in root.iter(qn("rsid")):
            element.getparent().remove(element)
        return xml_bytes(root)

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
        lang = root.find(qn("themeFontLang"))
        if lang is not None:
            lang.set(W_VAL, language)
        old = root.find(qn("updateFields"))
        if old is not None:
            root.remove(old)
        if update_fields:
            flag = etree.Element(qn("updateFields"))
            flag.set(W_VAL, "true")
            for element in root:
                if element.tag in _AFTER_UPDATE_FIELDS or not element.tag.startswith(f"{{{W_NS}}}"):
                    element.addprevious(flag)
                    break
            else:
                root.append(flag)
        return xml_bytes(root)


def _int_hex(value: str | None) -> int:
    try:
        return int(value or "0", 16) & 0xFFFFFFFF
    except ValueError:
        return 0


def append_num(root: etree._Element, element: etree._Element) -> None:
    """Append a ``w:num`` (or a first ``w:abstractNum``) to a numbering part, before a trailing
    ``w:numIdMacAtCleanup``, which CT_Numbering puts last."""
    cleanup = root.find(qn("numIdMacAtCleanup"))
    if cleanup is not None:
        cleanup.addprevious(element)
    else:
        root.append(element)

