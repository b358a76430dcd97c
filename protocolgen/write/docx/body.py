"""The body: markdown-it block tokens to the paragraphs and tables of ``word/document.xml``.

:class:`BodyWriter` has markdown-it-py's renderer shape: a table of rules, one method per token type, each
taking the index of its token and returning the index of the next token to render; a token type without a
rule (a closing token whose opening rule already did the work) is skipped. Inline content is written by
:meth:`BodyWriter.runs`, which merges consecutive text of the same formatting into one run.

Ordered lists each get their own ``w:num`` (over the reference's "List Number" abstract list) with a
``w:startOverride``, so every list restarts at its own first number. Bullet lists share the "List Bullet"
list. Nothing is taken from the clock, the host or a random source: no rsids, and bookmark names and
relationship ids are counters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree
from markdown_it.token import Token

from protocolgen.write import flowchart
from protocolgen.write import markdown as mdx
from protocolgen.write.docx import controls, drawing
from protocolgen.write.docx.fields import (
    NO_TOC_ENTRIES,
    TOC_INSTRUCTION,
    TOC_LEVELS,
    bookmark_end,
    bookmark_start,
    field_begin,
    field_char,
    format_number,
    heading_bookmarks,
    id_bookmarks,
)
from protocolgen.write.docx.oxml import (
    CODE_FONTS,
    NSMAP,
    R_ID,
    W_ANCHOR,
    W_BEFORE,
    W_BODY,
    W_BOTTOM,
    W_BR,
    W_CANTSPLIT,
    W_FIRSTLINE,
    W_GRIDCOL,
    W_HISTORY,
    W_HRULE,
    W_HYPERLINK,
    W_ILVL,
    W_IND,
    W_JC,
    W_KEEPNEXT,
    W_LANG,
    W_LEFT,
    W_NUMID,
    W_NUMPR,
    W_P,
    W_PAGEBREAKBEFORE,
    W_PBDR,
    W_PPR,
    W_PSTYLE,
    W_R,
    W_RFONTS,
    W_RPR,
    W_SPACING,
    W_T,
    W_TAB,
    W_TBL,
    W_TBLGRID,
    W_TBLHEADER,
    W_TBLLAYOUT,
    W_TBLLOOK,
    W_TBLPR,
    W_TBLSTYLE,
    W_TBLW,
    W_TC,
    W_TCPR,
    W_TCW,
    W_TR,
    W_TRHEIGHT,
    W_TRPR,
    W_TYPE,
    W_VAL,
    W_W,
    XML_SPACE,
    add_run,
    document_root,
    insert_ppr,
    qn,
    xml_bytes,
)
from protocolgen.write.docx.package import OPTIONAL_PARTS, PARTS
from protocolgen.write.docx.section import section_properties

if TYPE_CHECKING:
    from protocolgen.write import DocMeta
    from protocolgen.write.docx.reference import Reference

__all__ = ["FORM_ROW_HEIGHT", "SIGNATURE_ROW_HEIGHT", "BodyWriter", "Ids", "column_widths"]

# Row heights (twips) for tables inside ``::: signatures`` and ``::: form``.
SIGNATURE_ROW_HEIGHT = 1021  # 1.8 cm: room for a handwritten signature
FORM_ROW_HEIGHT = 794  # 1.4 cm: room for a handwritten answer
_GAP_AFTER_TABLE = {W_BEFORE: "200"}  # 10 pt
_GAP_AFTER_LIST = {W_BEFORE: "120"}  # 6 pt

Cell = tuple[Token, "str | None"]
"""A table cell: its inline token and its alignment (``left``, ``center``, ``right`` or None)."""
Row = tuple[bool, list[Cell]]
"""A table row: whether it is the header row, and its cells."""


@dataclass
class _List:
    ordered: bool
    num_id: int


@dataclass
class Ids:
    """The ids of one output document that its bodies draw from: relationship ids (one per part and per
    link target), list instance ids. A redline renders the old and the new version into one document, so
    both bodies share one ``Ids`` and never hand out the same id twice."""

    rid_count: int = 0
    rels: dict[str, str] = field(default_factory=dict)  # part name -> rId, in PARTS order
    hyperlinks: dict[str, str] = field(default_factory=dict)  # url -> rId, in order of first use
    next_num_id: int = 0
    sdt_count: int = 0  # content controls (w:sdt w:id)
    drawing_count: int = 0  # drawings (wp:docPr id)

    def next_sdt(self) -> int:
        self.sdt_count += 1
        return self.sdt_count

    def next_drawing(self) -> int:
        self.drawing_count += 1
        return self.drawing_count


class BodyWriter:
    """One render: walks the block tokens and builds ``word/document.xml``."""

    def __init__(self, ref: Reference, tokens: list[Token], meta: DocMeta, ids: Ids | None = None) -> None:
        self.ref, self.s, self.tokens, self.meta = ref, ref.styles, tokens, meta
        self.outline = mdx.outline(tokens)
        self.bookmarks = heading_bookmarks(self.outline)
        self.id_bookmarks = id_bookmarks(self.outline)  # slug -> Word name, for headings given an id
        self.languages: list[tuple[int, str]] = []  # open ::: lang containers: (first body child, Word tag)
        self.heading_index = 0
        if ids is None:
            ids = Ids(next_num_id=ref.max_num_id + 1)
            for name, _, _ in PARTS:
                if name in ref.blobs or name not in OPTIONAL_PARTS:
                    self._rel_id(ids, name)
        self.ids = ids
        self.hyperlinks = ids.hyperlinks
        self.ordered_lists: list[tuple[int, int, int]] = []  # (numId, ilvl, start) of this body's lists
        self.toc_paragraphs: list[etree._Element] = []  # the contents list's paragraphs, a field's result
        self.namespaces: set[str] = set()  # extension namespaces the body uses (oxml.EXTENSION_NAMESPACES)
        self.has_checkboxes = False
        self._boxes: list[etree._Element] = []  # check boxes of the paragraph being written, to title
        self.lists: list[_List] = []
        self.items: list[bool] = []  # per open list item: has its numbered paragraph been written?
        self.containers: list[str] = []
        self.quote_depth = 0
        self.page_break = False
        self.has_toc = False
        self.list_styles = frozenset((*self.s.bullets, *self.s.numbers))
        self.rules: dict[str, Callable[[int], int]] = {
            "paragraph_open": self.paragraph_open,
            "heading_open": self.heading_open,
            "bullet_list_open": self.list_open,
            "ordered_list_open": self.list_open,
            "bullet_list_close": self.list_close,
            "ordered_list_close": self.list_close,
            "list_item_open": self.list_item_open,
            "list_item_close": self.list_item_close,
            "table_open": self.table_open,
            mdx.CONTAINER_OPEN: self.container_open,
            mdx.CONTAINER_CLOSE: self.container_close,
            "blockquote_open": self.blockquote_open,
            "blockquote_close": self.blockquote_close,
            "hr": self.hr,
            "fence": self.code,
            "code_block": self.code,
        }

    @staticmethod
    def _next_rid(ids: Ids) -> str:
        ids.rid_count += 1
        return f"rId{ids.rid_count}"

    @classmethod
    def _rel_id(cls, ids: Ids, part_name: str) -> str:
        rid = ids.rels.get(part_name)
        if rid is None:
            rid = ids.rels[part_name] = cls._next_rid(ids)
        return rid

    def rel_id(self, part_name: str) -> str:
        """The relationship id of a part of the package (``word/styles.xml``...), allocated on first use."""
        return self._rel_id(self.ids, part_name)

    # -- assembly

    def build(self) -> bytes:
        """``word/document.xml``: the title, the blocks, and the section properties."""
        return xml_bytes(self.build_tree())

    def build_tree(self) -> etree._Element:
        """The ``w:document`` element of :meth:`build`."""
        root = etree.Element(qn("document"), nsmap=NSMAP)
        self.body = body = etree.SubElement(root, W_BODY)
        self._paragraph_with_text(self.s.title, self.meta.title)
        self.render(self.tokens)
        if len(body) == 0 or body[-1].tag == W_TBL:
            etree.SubElement(body, W_P)  # Word wants a paragraph after a final table
        body.append(section_properties(self.ref.sect_pr, self.rel_id("word/header1.xml"),
                                       self.rel_id("word/footer1.xml")))
        if self.namespaces:  # re-rooted under a w:document that declares them (lxml re-uses its prefixes)
            root = document_root(self.namespaces)
            root.append(body)
        return root

    def render(self, tokens: Sequence[Token]) -> None:
        rules, n, i = self.rules, len(tokens), 0
        while i < n:
            rule = rules.get(tokens[i].type)
            i = rule(i) if rule is not None else i + 1

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
        add_run(p, text)
        return p

    def paragraph_open(self, i: int) -> int:
        inline = self.tokens[i + 1]
        if self.lists:
            self._list_paragraph(inline)
        else:
            if self.quote_depth:
                style = self.s.quote
            elif "note" in self.containers:
                style = self.s.note
            else:
                style = None  # Normal, the default paragraph style
            p = self._new_paragraph(style)
            self.runs(p, inline.children)
        return i + 3  # paragraph_open, inline, paragraph_close

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
            insert_ppr(ppr, num_pr)
        else:  # a further paragraph of the same item: no number, aligned with the item's text
            etree.SubElement(num_pr, W_NUMID, {W_VAL: "0"})
            insert_ppr(ppr, num_pr)
            lefts = self.ref.number_lefts if current.ordered else self.ref.bullet_lefts
            insert_ppr(ppr, etree.Element(W_IND, {W_LEFT: str(lefts[ilvl]), W_FIRSTLINE: "0"}))
        if inline is not None:
            self.runs(p, inline.children)

    def heading_open(self, i: int) -> int:
        token, inline = self.tokens[i], self.tokens[i + 1]
        level = mdx.heading_level(token)
        p = self._new_paragraph(self.s.headings[level - 1], gap_after_table=False)
        heading = self.outline[self.heading_index]
        index = self.heading_index
        self.heading_index += 1
        bookmark_start(p, index, self.bookmarks[heading.slug])
        own = self.id_bookmarks.get(heading.slug)
        own_id = len(self.outline) + index  # ids after the contents bookmarks' 0..n-1
        if own is not None:  # the heading's own id, as a bookmark around its text
            bookmark_start(p, own_id, own)
        self.runs(p, inline.children)
        if own is not None:
            bookmark_end(p, own_id)
        bookmark_end(p, index)
        return i + 3  # heading_open, inline, heading_close

    def hr(self, i: int) -> int:
        p = self._new_paragraph(None)
        ppr = p[0] if len(p) else etree.SubElement(p, W_PPR)
        border = etree.Element(W_PBDR)
        bottom = etree.SubElement(border, W_BOTTOM)
        for attr, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "auto")):
            bottom.set(qn(attr), value)
        insert_ppr(ppr, border)
        return i + 1

    def code(self, i: int) -> int:
        p = self._new_paragraph(None)
        lines = self.tokens[i].content.rstrip("\n").split("\n")
        for number, line in enumerate(lines):
            r = etree.SubElement(p, W_R)
            rpr = etree.SubElement(r, W_RPR)
            etree.SubElement(rpr, W_RFONTS, CODE_FONTS)
            if number:
                etree.SubElement(r, W_BR)
            t = etree.SubElement(r, W_T)
            t.text = line
            t.set(XML_SPACE, "preserve")
        return i + 1

    def blockquote_open(self, i: int) -> int:
        self.quote_depth += 1
        return i + 1

    def blockquote_close(self, i: int) -> int:
        self.quote_depth -= 1
        return i + 1

    # -- lists

    def list_open(self, i: int) -> int:
        token = self.tokens[i]
        if token.type == "ordered_list_open":
            num_id = self.ids.next_num_id
            self.ids.next_num_id += 1
            start = token.attrGet("start")
            self.ordered_lists.append((num_id, min(len(self.lists), 8), int(start) if start is not None else 1))
            self.lists.append(_List(True, num_id))
        else:
            self.lists.append(_List(False, self.ref.bullet_num_id))
        return i + 1

    def list_close(self, i: int) -> int:
        self.lists.pop()
        return i + 1

    def list_item_open(self, i: int) -> int:
        self.items.append(False)
        return i + 1

    def list_item_close(self, i: int) -> int:
        if not self.items[-1]:  # an empty item still takes its number
            self._list_paragraph(None)
        self.items.pop()
        return i + 1

    # -- inline content

    def runs(self, parent: etree._Element, children: Sequence[Token] | None, bold: bool = False) -> None:
        """Append runs for inline tokens; consecutive text with the same formatting becomes one run."""
        b, it = 1 if bold else 0, 0
        target, rstyle = parent, None
        text: list[str] = []
        spans: list[tuple[etree._Element, int, str]] = []  # open [..]{lang=..}: (element, first child, tag)
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
                self._text(target, "".join(text), b, it, rstyle)
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
                add_run(target, child.content, b, it, rstyle, code=True)
            elif kind == "image" and child.content:
                text.append(child.content)
            elif kind == "span_open":
                spans.append((target, len(target), word_language(mdx.span_language(child) or "")))
            elif kind == "span_close" and spans:
                owner, first, tag = spans.pop()
                for element in owner[first:]:  # runs, and hyperlinks holding runs
                    if element.tag == W_R:
                        _mark_run(element, tag)
                    else:
                        mark_language(element, tag)
        if text:
            self._text(target, "".join(text), b, it, rstyle)
        if self._boxes:
            controls.title_checkboxes(parent, self._boxes)
            self._boxes = []

    def _text(self, target: etree._Element, text: str, bold: int, italic: int, rstyle: str | None) -> None:
        """A run of text; inside ``::: form`` each ☐ in it becomes a check box control."""
        if controls.BALLOT_BOX not in text or "form" not in self.containers:
            add_run(target, text, bold, italic, rstyle)
            return
        for index, part in enumerate(text.split(controls.BALLOT_BOX)):
            if index:
                self._boxes.append(controls.add_checkbox(target, self.ids.next_sdt()))
            if part:
                add_run(target, part, bold, italic, rstyle)
        self.namespaces.add("w14")
        self.has_checkboxes = True

    def _hyperlink(self, parent: etree._Element, href: str) -> etree._Element:
        link = etree.SubElement(parent, W_HYPERLINK)
        if href.startswith("#"):
            link.set(W_ANCHOR, self.bookmarks.get(href[1:], href[1:]))
        else:
            rid = self.hyperlinks.get(href)
            if rid is None:
                rid = self.hyperlinks[href] = self._next_rid(self.ids)
            link.set(R_ID, rid)
        link.set(W_HISTORY, "1")
        return link

    # -- containers

    def container_open(self, i: int) -> int:
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
        if name == "flowchart":
            return self._flowchart(i)
        if name == "lang":
            self.languages.append((len(self.body), word_language(mdx.container_argument(token))))
        self.containers.append(name)
        return i + 1

    def container_close(self, i: int) -> int:
        if self.containers.pop() == "lang":
            start, tag = self.languages.pop()
            for block in self.body[start:]:
                mark_language(block, tag)
        return i + 1

    def _flowchart(self, i: int) -> int:
        """The chart as DrawingML shapes in a paragraph of its own (see drawing.py); its table is not printed:
        the drawing's alt text and fallback carry the chart in words."""
        chart, after = flowchart.read_flowchart(self.tokens, i)
        # the drawing must fit the page below the heading and a line or two that introduce it, so it never
        # leaves its heading alone at the foot of the page before
        width = self.ref.text_width * flowchart.EMU_PER_TWIP
        try:
            shape = flowchart.layout(chart, width, self.ref.text_height * 4 // 5 * flowchart.EMU_PER_TWIP)
        except ValueError:  # a smaller page (a house style's): the chart on a page of its own, if it fits there
            shape = flowchart.layout(chart, width, (self.ref.text_height - 600) * flowchart.EMU_PER_TWIP)
        p = self._new_paragraph(None)
        ppr = p[0] if len(p) else etree.SubElement(p, W_PPR)
        spacing = ppr.find(W_SPACING)
        if spacing is None:
            spacing = etree.Element(W_SPACING)
            insert_ppr(ppr, spacing)
        spacing.set(W_BEFORE, spacing.get(W_BEFORE, "120"))
        spacing.set(qn("after"), "240")  # room below the chart before the text goes on
        p.append(drawing.flowchart_run(chart, shape, self.ids.next_drawing,
                                       lambda paragraph, step: self.runs(paragraph, step.inline.children)))
        self.namespaces |= drawing.NAMESPACES
        return after

    def _toc(self) -> None:
        self.has_toc = True
        s = self.s
        self.toc_paragraphs.append(self._paragraph_with_text(s.toc_heading, self.meta.label("Contents")))
        if not self.outline:
            p = self._new_paragraph(s.toc[0])
            self.toc_paragraphs.append(p)
            field_begin(p, TOC_INSTRUCTION)
            add_run(p, NO_TOC_ENTRIES)
            field_char(p, "end")
            return
        numbered = self.meta.numbered_headings
        formats, kinds, legal = self.ref.heading_formats, self.ref.heading_kinds, self.ref.heading_legal
        outline = [h for h in self.outline if h.level <= TOC_LEVELS]
        last = len(outline) - 1
        for index, heading in enumerate(outline):
            p = self._new_paragraph(s.toc[heading.level - 1])
            self.toc_paragraphs.append(p)
            if index == 0:
                field_begin(p, TOC_INSTRUCTION)
            bookmark = self.bookmarks[heading.slug]
            link = etree.SubElement(p, W_HYPERLINK)
            link.set(W_ANCHOR, bookmark)
            link.set(W_HISTORY, "1")
            number = format_number(formats[heading.level - 1], heading.counters, kinds,
                                   legal[heading.level - 1]) if numbered else ""
            if number.strip():  # a reference's heading list may show no number at a level
                add_run(link, number)
                etree.SubElement(etree.SubElement(link, W_R), W_TAB)
            add_run(link, heading.text)
            if index == last:
                field_char(p, "end")

    # -- tables

    def table_open(self, i: int) -> int:
        tokens = self.tokens
        rows: list[Row] = []
        header = False
        cells: list[Cell] = []
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

    def _write_table(self, rows: list[Row]) -> None:
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
                insert_ppr(ppr, etree.Element(W_KEEPNEXT))
        kind = next((c for c in reversed(self.containers) if c in ("signatures", "form")), None)
        height = {"signatures": SIGNATURE_ROW_HEIGHT, "form": FORM_ROW_HEIGHT}.get(kind) if kind else None
        columns = len(rows[0][1])
        texts = [[mdx.inline_text(cell) for cell, _ in cells] for _, cells in rows]
        widths = column_widths(texts, self.ref.text_width, wide_empty=kind is not None)

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
            look.set(qn(attr), setting)
        grid = etree.SubElement(tbl, W_TBLGRID)
        for value in widths:
            etree.SubElement(grid, W_GRIDCOL).set(W_W, str(value))
        sub = etree.SubElement
        cell_style = s.table_text
        cell_widths = [{W_W: str(value), W_TYPE: "dxa"} for value in widths]
        jc = {"right": {W_VAL: "right"}, "center": {W_VAL: "center"}}
        row_height = {W_VAL: str(height), W_HRULE: "atLeast"} if height else None
        headers = texts[0] if rows and rows[0][0] else [""] * columns
        for row_index, (header, cells) in enumerate(rows):
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
                if kind == "form" and not header and not texts[row_index][column].strip() \
                        and not inline.children:
                    # a blank to fill in: a text control named after its column, or the row's first cell
                    title = headers[column].strip() or texts[row_index][0].strip() or f"Field {column + 1}"
                    controls.add_text_control(p, self.ids.next_sdt(), title)
                    continue
                self.runs(p, inline.children, bold=header)


# Word knows a language by language and region; the languages of the United Kingdom and Ireland get theirs.
_WORD_REGIONS = {"cy": "cy-GB", "en": "en-GB", "gd": "gd-GB", "ga": "ga-IE", "kw": "kw-GB"}


def word_language(tag: str) -> str:
    """The ``w:lang`` value for a BCP 47 tag: a bare primary tag gets its region where Word needs one."""
    return _WORD_REGIONS.get(tag.lower(), tag)


def _mark_run(run: etree._Element, tag: str) -> None:
    """Give one run the language ``tag`` (a span inside a paragraph), unless it has one."""
    rpr = run.find(W_RPR)
    if rpr is None:
        rpr = etree.Element(W_RPR)
        run.insert(0, rpr)
    if rpr.find(W_LANG) is None:
        etree.SubElement(rpr, W_LANG, {W_VAL: tag})


def mark_language(block: etree._Element, tag: str) -> None:
    """Give every run of ``block`` (a paragraph or table), and every paragraph mark, the language ``tag``,
    unless an inner ``::: lang`` already gave it one."""
    for run in block.iter(W_R):
        rpr = run.find(W_RPR)
        if rpr is None:
            rpr = etree.Element(W_RPR)
            run.insert(0, rpr)
        if rpr.find(W_LANG) is None:
            etree.SubElement(rpr, W_LANG, {W_VAL: tag})  # w:lang comes late in CT_RPr: after all we write
    for p in block.iter(W_P):
        ppr = p.find(W_PPR)
        if ppr is None:
            ppr = etree.Element(W_PPR)
            p.insert(0, ppr)
        rpr = ppr.find(W_RPR)
        if rpr is None:
            rpr = etree.Element(W_RPR)
            insert_ppr(ppr, rpr)
        if rpr.find(W_LANG) is None:
            etree.SubElement(rpr, W_LANG, {W_VAL: tag})


def column_widths(rows: list[list[str]], total: int, wide_empty: bool = False) -> list[int]:
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
