"""WordprocessingML vocabulary shared by every layer of the Word writer: namespaces, qualified names, the
one safe XML parser, serialisation, and the few element builders (a run of text, a paragraph property in its
schema position) that the body, the fields and the header and footer all use.

This is the writer's counterpart of python-docx's ``oxml`` layer, without element classes: the writer builds
trees with plain lxml calls because they are several times faster than python-docx's proxies.
"""

from __future__ import annotations

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
NSMAP = {"w": W_NS, "r": R_NS}
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
EXTENSION_NAMESPACES: dict[str, tuple[str, bool]] = {
    # prefix: (namespace, ignorable). Declared on w:document only when a document uses them, so a document
    # without forms or drawings is exactly what it was; the ignorable ones are Office 2010 extensions that
    # an older reader must skip (``mc:Ignorable``) rather than reject.
    "w14": (W14_NS, True),
    # drawings: DrawingML and its WordprocessingML placement are part of the standard; Word 2010's shapes
    # and groups are chosen by mc:AlternateContent (as Word itself writes them), so they need no Ignorable
    "a": ("http://schemas.openxmlformats.org/drawingml/2006/main", False),
    "wp": ("http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing", False),
    "wps": ("http://schemas.microsoft.com/office/word/2010/wordprocessingShape", False),
    "wpg": ("http://schemas.microsoft.com/office/word/2010/wordprocessingGroup", False),
}


def qn(tag: str) -> str:
    """The Clark name of a ``w:`` element or attribute: ``qn("p")`` -> ``{...wordprocessingml...}p``."""
    return f"{{{W_NS}}}{tag}"


W_VAL = qn("val")
W_P, W_PPR, W_PSTYLE, W_R, W_RPR, W_T, W_RSTYLE = map(qn, ("p", "pPr", "pStyle", "r", "rPr", "t", "rStyle"))
W_B, W_I, W_BR, W_TAB, W_RFONTS = map(qn, ("b", "i", "br", "tab", "rFonts"))
W_COLOR, W_SZ, W_SZCS = map(qn, ("color", "sz", "szCs"))
W_NUMPR, W_ILVL, W_NUMID, W_IND, W_JC = map(qn, ("numPr", "ilvl", "numId", "ind", "jc"))
W_PAGEBREAKBEFORE, W_PBDR, W_BOTTOM = map(qn, ("pageBreakBefore", "pBdr", "bottom"))
W_KEEPNEXT, W_SPACING, W_BEFORE = map(qn, ("keepNext", "spacing", "before"))
W_HYPERLINK, W_ANCHOR, W_HISTORY = map(qn, ("hyperlink", "anchor", "history"))
W_BOOKMARKSTART, W_BOOKMARKEND, W_ID, W_NAME = map(qn, ("bookmarkStart", "bookmarkEnd", "id", "name"))
W_FLDCHAR, W_FLDCHARTYPE, W_INSTRTEXT = map(qn, ("fldChar", "fldCharType", "instrText"))
W_TBL, W_TBLPR, W_TBLSTYLE, W_TBLW, W_TBLLAYOUT, W_TBLLOOK = map(
    qn, ("tbl", "tblPr", "tblStyle", "tblW", "tblLayout", "tblLook")
)
W_TBLGRID, W_GRIDCOL, W_TR, W_TRPR, W_TBLHEADER, W_CANTSPLIT, W_TRHEIGHT = map(
    qn, ("tblGrid", "gridCol", "tr", "trPr", "tblHeader", "cantSplit", "trHeight")
)
W_TC, W_TCPR, W_TCW, W_W, W_TYPE, W_HRULE = map(qn, ("tc", "tcPr", "tcW", "w", "type", "hRule"))
W_LEFT, W_FIRSTLINE = map(qn, ("left", "firstLine"))
W_STYLE, W_STYLEID, W_BASEDON, W_DOCDEFAULTS, W_LANG = map(qn, ("style", "styleId", "basedOn", "docDefaults", "lang"))
W_NUM, W_ABSTRACTNUM, W_ABSTRACTNUMID, W_LVL, W_LVLTEXT = map(qn, ("num", "abstractNum", "abstractNumId", "lvl", "lvlText"))
W_LVLOVERRIDE, W_STARTOVERRIDE = map(qn, ("lvlOverride", "startOverride"))
W_BODY, W_SECTPR, W_PGSZ, W_PGMAR, W_RIGHT = map(qn, ("body", "sectPr", "pgSz", "pgMar", "right"))
W_HEADERREF, W_FOOTERREF, W_TITLEPG = map(qn, ("headerReference", "footerReference", "titlePg"))
R_ID = f"{{{R_NS}}}id"

PPR_ORDER = [
    qn(tag)
    for tag in ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"]
]

CODE_FONT = "Courier New"
CODE_FONTS = {qn("ascii"): CODE_FONT, qn("hAnsi"): CODE_FONT}
PRESERVE = {XML_SPACE: "preserve"}


def parser() -> etree.XMLParser:
    """The only way the writer parses XML: no entity expansion, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def xml_bytes(root: etree._Element) -> bytes:
    """A part as bytes, with the XML declaration Word writes (``standalone="yes"``)."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def document_root(prefixes: set[str]) -> etree._Element:
    """An empty ``w:document`` declaring the extension namespaces ``prefixes`` (see EXTENSION_NAMESPACES)."""
    if not prefixes:
        return etree.Element(qn("document"), nsmap=NSMAP)
    ordered = sorted(prefixes)
    nsmap = {**NSMAP, "mc": MC_NS, **{prefix: EXTENSION_NAMESPACES[prefix][0] for prefix in ordered}}
    root = etree.Element(qn("document"), nsmap=nsmap)
    ignorable = [prefix for prefix in ordered if EXTENSION_NAMESPACES[prefix][1]]
    if ignorable:
        root.set(f"{{{MC_NS}}}Ignorable", " ".join(ignorable))
    return root


def insert_ppr(ppr: etree._Element, child: etree._Element) -> None:
    """Insert ``child`` into a ``w:pPr`` at its schema position (Word rejects out-of-order children)."""
    rank = PPR_ORDER.index(child.tag)
    for index, existing in enumerate(ppr):
        if existing.tag in PPR_ORDER and PPR_ORDER.index(existing.tag) > rank:
            ppr.insert(index, child)
            return
    ppr.append(child)


def add_run(parent: etree._Element, text: str, bold: int = 0, italic: int = 0, rstyle: str | None = None,
            code: bool = False) -> None:
    """Append a ``w:r`` holding ``text`` (spaces preserved only where XML would otherwise lose them)."""
    sub = etree.SubElement
    r = sub(parent, W_R)
    if rstyle is not None or bold or italic or code:
        rpr = sub(r, W_RPR)
        if rstyle is not None:
            sub(rpr, W_RSTYLE, {W_VAL: rstyle})
        if code:
            sub(rpr, W_RFONTS, CODE_FONTS)
        if bold:
            sub(rpr, W_B)
        if italic:
            sub(rpr, W_I)
    if text[:1].isspace() or text[-1:].isspace() or "  " in text:
        sub(r, W_T, PRESERVE).text = text
    else:
        sub(r, W_T).text = text
