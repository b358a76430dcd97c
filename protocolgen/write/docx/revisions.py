"""Tracked-change redlines: the new version of a document in which every difference from the old one is a
Word revision (``w:ins`` / ``w:del``), so a reviewer sees exactly what changed and can accept or reject it.

Both versions are rendered by the ordinary body writer into one set of ids (relationship ids, list ids), and
the two bodies are compared as Word XML, not as markdown, so the marks sit on what the reader sees:

* The blocks (paragraphs, list items, headings, tables) are aligned with :class:`difflib.SequenceMatcher`.
  Within a stretch that changed, blocks of the same kind (same paragraph style and list level, or tables of
  as many columns) that are at least half alike are paired, by a small dynamic programme that keeps their
  order; the rest were deleted or inserted.
* A paired paragraph (or table cell) is compared **word by word**: runs are cut into words, spaces and
  punctuation, each carrying its run's formatting and link, and only the pieces that differ are marked, the
  deleted ones as ``w:delText`` inside ``w:del``. A word whose formatting changed counts as changed. A space
  alone between two changes is folded into them, so "the cat" -> "a dog" reads as one replacement.
* A whole paragraph inserted or deleted has its runs marked and its paragraph mark too (``w:pPr/w:rPr/w:ins``
  or ``w:del``); a table row, ``w:trPr/w:ins`` or ``w:del`` with its cells' runs marked. Paired tables have
  their rows aligned the same way as blocks, and paired rows are compared cell by cell.
* The contents list is a field result that Word rebuilds when the document opens, so it is never marked:
  the new version's contents list is shown as it is.

Every mark has the given author and date (midnight UTC) and its own ``w:id``, numbered in document order
after the ids bookmarks use. Nothing here reads the clock, so a redline is as reproducible as a document.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from lxml import etree

from protocolgen.write.docx.oxml import (
    R_ID,
    W_ANCHOR,
    W_BOOKMARKEND,
    W_BOOKMARKSTART,
    W_BR,
    W_FLDCHAR,
    W_FLDCHARTYPE,
    W_HYPERLINK,
    W_ID,
    W_ILVL,
    W_INSTRTEXT,
    W_NUMID,
    W_NUMPR,
    W_P,
    W_PAGEBREAKBEFORE,
    W_PPR,
    W_PSTYLE,
    W_R,
    W_RPR,
    W_T,
    W_TAB,
    W_TBL,
    W_TC,
    W_TCPR,
    W_TCW,
    W_TR,
    W_TRPR,
    W_TYPE,
    W_VAL,
    XML_SPACE,
    insert_ppr,
    qn,
)

__all__ = ["Revision", "merge_documents"]

W_INS, W_DEL, W_DELTEXT, W_DELINSTRTEXT = map(qn, ("ins", "del", "delText", "delInstrText"))
W_AUTHOR, W_DATE, W_SDT, W_SDTCONTENT = map(qn, ("author", "date", "sdt", "sdtContent"))
W_TBLGRID, W_GRIDCOL, W_W = map(qn, ("tblGrid", "gridCol", "w"))

_SIMILAR = 0.5
"""Blocks (or rows) at least this alike, by their words, are shown as edited rather than replaced."""
_PAIRING_LIMIT = 2500
"""Pairs of blocks compared to match up one changed stretch; past it (a wholesale rewrite) blocks are paired
in order, so the work stays in proportion to the document."""
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*|\s+|[^\w\s]")


@dataclass(frozen=True)
class Revision:
    """Who made the changes and when: every ``w:ins`` and ``w:del`` carries these."""

    author: str
    date: str
    """W3CDTF, e.g. ``2026-05-01T00:00:00Z``."""


@dataclass(frozen=True, slots=True)
class _Piece:
    """A word, a space, a punctuation mark, or one non-text run item (a break, a field character...)."""

    key: tuple[object, ...]  # what is compared: the text (or item), the run's formatting, the link
    text: str | None  # None for a non-text item
    element: etree._Element | None  # the non-text item (a child of a run, or a run-level element)
    rpr: etree._Element | None
    rpr_key: bytes  # the run's formatting, serialised: pieces with equal keys can share a run
    link: tuple[tuple[str, str], ...] | None  # the attributes of the w:hyperlink it sits in
    in_run: bool = True  # False: ``element`` is a run-level element of its own (a content control)


@dataclass
class _Block:
    element: etree._Element
    kind: tuple[object, ...]  # what two blocks must share to be paired
    key: tuple[object, ...]  # equal keys: the reader sees the same block
    side: _Side
    rows: list[_Row] = field(default_factory=list)  # tables
    toc: bool = False
    _content: tuple[list[_Piece], list[tuple[int, etree._Element]]] | None = None

    def content(self) -> tuple[list[_Piece], list[tuple[int, etree._Element]]]:
        """A paragraph's pieces, and its bookmarks with the index of the piece each stands before; cut only
        for paragraphs in a stretch that changed, since most of a document does not."""
        if self._content is None:
            pieces: list[_Piece] = []
            markers: list[tuple[int, etree._Element]] = []
            self.side.walk(self.element, None, pieces, markers)
            self._content = (pieces, markers)
        return self._content

    def words(self) -> list[object]:
        if self.rows:
            return [word for row in self.rows for word in row.words()]
        return [piece.key for piece in self.content()[0] if piece.text is None or not piece.text.isspace()]


@dataclass
class _Row:
    element: etree._Element
    cells: list[list[_Block]]
    key: tuple[object, ...]

    def words(self) -> list[object]:
        return [word for cell in self.cells for block in cell for word in block.words()]


class _Side:
    """One version's blocks, read from its rendered ``w:body``; the old side's anchors and list ids are
    translated to the new side's as they are read."""

    def __init__(self, anchor: Callable[[str], str | None], toc: Sequence[etree._Element]) -> None:
        self.anchor = anchor
        self.toc = set(toc)

    def blocks(self, container: etree._Element) -> list[_Block]:
        out = []
        for child in container:
            if child.tag == W_P:
                out.append(self.paragraph(child))
            elif child.tag == W_TBL:
                out.append(self.table(child))
        return out

    def paragraph(self, p: etree._Element) -> _Block:
        ppr = p.find(W_PPR)
        style = ppr.find(W_PSTYLE) if ppr is not None else None
        num = ppr.find(W_NUMPR) if ppr is not None else None
        level: object = None
        if num is not None:
            num_id, ilvl = num.find(W_NUMID), num.find(W_ILVL)
            if num_id is not None and num_id.get(W_VAL) == "0":
                level = "continued"  # a further paragraph of a list item
            else:
                level = ilvl.get(W_VAL) if ilvl is not None else "0"
        kind = ("p", style.get(W_VAL) if style is not None else None, level)
        return _Block(p, kind, (kind, *self._runs_key(p, None)), self, toc=p in self.toc)

    def _runs_key(self, parent: etree._Element, link: tuple[tuple[str, str], ...] | None) -> list[object]:
        """What a paragraph shows, run by run (the writer splits equal content into equal runs)."""
        out: list[object] = []
        for child in parent:
            tag = child.tag
            if tag == W_R:
                rpr = child.find(W_RPR)
                out.append((etree.tostring(rpr) if rpr is not None else b"", link,
                            *(c.text if c.tag == W_T else _item_key(c) for c in child if c.tag != W_RPR)))
            elif tag == W_HYPERLINK:
                out.extend(self._runs_key(child, self._link(child)))
            elif tag not in (W_PPR, W_BOOKMARKSTART, W_BOOKMARKEND) and isinstance(tag, str):
                out.append((_item_key(child), link))
        return out

    def walk(self, parent: etree._Element, link: tuple[tuple[str, str], ...] | None, pieces: list[_Piece],
             markers: list[tuple[int, etree._Element]]) -> None:
        """Cut ``parent``'s content into pieces (and note where its bookmarks are)."""
        for child in parent:
            tag = child.tag
            if tag == W_R:
                self._run(child, link, pieces)
            elif tag == W_HYPERLINK:
                self.walk(child, self._link(child), pieces, markers)
            elif tag in (W_BOOKMARKSTART, W_BOOKMARKEND):
                markers.append((len(pieces), child))
            elif tag != W_PPR and isinstance(tag, str):  # a content control or other run-level element
                pieces.append(_Piece((_item_key(child), link), None, child, None, b"", link, in_run=False))

    def _link(self, hyperlink: etree._Element) -> tuple[tuple[str, str], ...]:
        attrs = dict(hyperlink.attrib)
        anchor = attrs.get(W_ANCHOR)
        if anchor is not None:
            target = self.anchor(anchor)
            if target is None:
                del attrs[W_ANCHOR]  # the old version's heading is gone: the deleted link points nowhere
            else:
                attrs[W_ANCHOR] = target
        return tuple(sorted(attrs.items()))

    @staticmethod
    def _run(r: etree._Element, link: tuple[tuple[str, str], ...] | None, pieces: list[_Piece]) -> None:
        rpr = r.find(W_RPR)
        rpr_key = etree.tostring(rpr) if rpr is not None else b""
        for child in r:
            if child.tag == W_T:
                for word in _WORD.findall(child.text or ""):
                    pieces.append(_Piece((word, rpr_key, link), word, None, rpr, rpr_key, link))
            elif child.tag != W_RPR:
                pieces.append(_Piece((_item_key(child), rpr_key, link), None, child, rpr, rpr_key, link))

    def table(self, tbl: etree._Element) -> _Block:
        rows = []
        for tr in tbl.iter(W_TR):
            cells = [self.blocks(tc) for tc in tr.iter(W_TC)]
            rows.append(_Row(tr, cells, tuple(tuple(block.key for block in cell) for cell in cells)))
        columns = len(rows[0].cells) if rows else 0
        kind = ("tbl", columns)
        return _Block(tbl, kind, (kind, *(row.key for row in rows)), self, rows=rows)


def _item_key(element: etree._Element) -> object:
    """What a non-text item is, for comparison: its markup, without the ids that differ between renders."""
    tag = element.tag
    if tag == W_BR:
        return ("br", element.get(W_TYPE, ""))
    if tag == W_TAB:
        return ("tab",)
    if tag == W_FLDCHAR:
        return ("fldChar", element.get(W_FLDCHARTYPE, ""))
    if tag == W_INSTRTEXT:
        return ("instr", element.text or "")
    return re.sub(rb' (?:w:)?id="[^"]*"', b"", etree.tostring(element))


def _similarity(a: Sequence[object], b: Sequence[object]) -> float:
    if not a and not b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < _SIMILAR or matcher.quick_ratio() < _SIMILAR:
        return 0.0
    return matcher.ratio()


def _pair(old: Sequence[object], new: Sequence[object], similar: Callable[[int, int], float]) -> list[tuple[int, int]]:
    """Pairs (i, j), in order in both, of the most alike old and new items (``similar`` >= _SIMILAR)."""
    n, m = len(old), len(new)
    if not n or not m:
        return []
    if n * m > _PAIRING_LIMIT:
        return [(i, i) for i in range(min(n, m)) if similar(i, i) >= _SIMILAR]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    paired = [[False] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(m):
            best = max(score[i][j + 1], score[i + 1][j])
            value = similar(i, j)
            if value >= _SIMILAR and score[i][j] + value > best:
                best = score[i][j] + value
                paired[i + 1][j + 1] = True
            score[i + 1][j + 1] = best
    pairs = []
    i, j = n, m
    while i and j:
        if paired[i][j]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif score[i][j] == score[i - 1][j]:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _opcodes(a: Sequence[object], b: Sequence[object]) -> Sequence[tuple[str, int, int, int, int]]:
    return SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


class _Merger:
    """Builds the redlined body from the old and new versions' blocks."""

    def __init__(self, old_anchor: Callable[[str], str | None]) -> None:
        self.old_anchor = old_anchor
        self.list_ids: dict[str, str] = {}  # old list instance (numId) -> the new one it continues
        self.deleted_list_items: list[etree._Element] = []  # their w:numId, mapped once all is aligned

    # -- block sequences

    def blocks(self, old: list[_Block], new: list[_Block]) -> list[etree._Element]:
        out: list[etree._Element] = []
        for tag, a0, a1, b0, b1 in _opcodes([b.key for b in old], [b.key for b in new]):
            if tag == "equal":
                for before, after in zip(old[a0:a1], new[b0:b1], strict=True):
                    self._note_list(before.element, after.element)
                    out.append(after.element)
            else:
                out.extend(self._changed(old[a0:a1], new[b0:b1]))
        return out

    def _changed(self, old: list[_Block], new: list[_Block]) -> list[etree._Element]:
        old = [block for block in old if not block.toc]  # the contents list is rebuilt by Word: not marked
        words_old = [block.words() for block in old]
        words_new = [block.words() for block in new]

        def similar(i: int, j: int) -> float:
            if old[i].kind != new[j].kind or new[j].toc:
                return 0.0
            if old[i].rows and new[j].rows and old[i].rows[0].key == new[j].rows[0].key:
                return 1.0  # a table under the same header row is the same table, edited
            return _similarity(words_old[i], words_new[j])

        out: list[etree._Element] = []
        i = j = 0
        for pi, pj in [*_pair(old, new, similar), (len(old), len(new))]:
            out.extend(self._deleted(block) for block in old[i:pi])
            out.extend(block.element if block.toc else self._inserted(block) for block in new[j:pj])
            if pi < len(old):
                out.append(self._edited(old[pi], new[pj]))
            i, j = pi + 1, pj + 1
        return out

    def _deleted(self, block: _Block) -> etree._Element:
        element = block.element
        self._adopt_links(element)
        if element.tag == W_TBL:
            for row in block.rows:
                self._delete_row(row.element)
            return element
        ppr = element.find(W_PPR)
        if ppr is None:
            ppr = etree.Element(W_PPR)
            element.insert(0, ppr)
        for brk in ppr.findall(W_PAGEBREAKBEFORE):  # a deleted paragraph does not push the page on
            ppr.remove(brk)
        num_id = ppr.find(f"{W_NUMPR}/{W_NUMID}")
        if num_id is not None:
            self.deleted_list_items.append(num_id)
        _mark_paragraph_mark(ppr, W_DEL)
        _mark_runs(element, W_DEL)
        return element

    def _inserted(self, block: _Block) -> etree._Element:
        element = block.element
        if element.tag == W_TBL:
            for row in block.rows:
                _mark_row(row.element, W_INS)
            return element
        ppr = element.find(W_PPR)
        if ppr is None:
            ppr = etree.Element(W_PPR)
            element.insert(0, ppr)
        _mark_paragraph_mark(ppr, W_INS)
        _mark_runs(element, W_INS)
        return element

    def _edited(self, old: _Block, new: _Block) -> etree._Element:
        if new.element.tag == W_TBL:
            return self._edited_table(old, new)
        self._note_list(old.element, new.element)
        p = etree.Element(W_P)
        ppr = new.element.find(W_PPR)
        if ppr is not None:
            p.append(ppr)
        (old_pieces, _), (new_pieces, markers) = old.content(), new.content()
        _emit(p, _diff_items(old_pieces, new_pieces, markers))
        return p

    # -- tables

    def _edited_table(self, old: _Block, new: _Block) -> etree._Element:
        tbl = new.element
        widths = [col.get(W_W) for col in tbl.iterfind(f"{W_TBLGRID}/{W_GRIDCOL}")]
        rows: list[etree._Element] = []
        old_rows, new_rows = old.rows, new.rows
        for tag, a0, a1, b0, b1 in _opcodes([r.key for r in old_rows], [r.key for r in new_rows]):
            if tag == "equal":
                rows.extend(row.element for row in new_rows[b0:b1])
                continue
            before, after = old_rows[a0:a1], new_rows[b0:b1]

            def similar(i: int, j: int, before: list[_Row] = before, after: list[_Row] = after) -> float:
                if len(before[i].cells) != len(after[j].cells):
                    return 0.0
                if before[i].cells[:1] and [b.key for b in before[i].cells[0]] == [b.key for b in after[j].cells[0]]:
                    return 1.0  # rows are usually keyed by their first column
                return _similarity(before[i].words(), after[j].words())

            i = j = 0
            for pi, pj in [*_pair(before, after, similar), (len(before), len(after))]:
                for row in before[i:pi]:
                    self._delete_row(row.element, widths)
                    rows.append(row.element)
                for row in after[j:pj]:
                    _mark_row(row.element, W_INS)
                    rows.append(row.element)
                if pi < len(before):
                    rows.append(self._edited_row(before[pi], after[pj]))
                i, j = pi + 1, pj + 1
        for tr in tbl.findall(W_TR):
            tbl.remove(tr)
        tbl.extend(rows)
        return tbl

    def _edited_row(self, old: _Row, new: _Row) -> etree._Element:
        for tc, before, after in zip(new.element.iterfind(W_TC), old.cells, new.cells, strict=True):
            merged = self.blocks(before, after)
            for child in list(tc):
                if child.tag != W_TCPR:
                    tc.remove(child)
            tc.extend(merged)
        return new.element

    def _delete_row(self, tr: etree._Element, widths: Sequence[str | None] = ()) -> None:
        self._adopt_links(tr)
        for tc, width in zip(tr.iterfind(W_TC), widths, strict=False):  # the new table's column widths
            tcw = tc.find(f"{W_TCPR}/{W_TCW}")
            if tcw is not None and width is not None:
                tcw.set(W_W, width)
        _mark_row(tr, W_DEL)

    # -- lists

    def _note_list(self, old: etree._Element, new: etree._Element) -> None:
        """Remember which new list an old list became, so deleted items stay in their list."""
        before, after = old.find(f"{W_PPR}/{W_NUMPR}/{W_NUMID}"), new.find(f"{W_PPR}/{W_NUMPR}/{W_NUMID}")
        if before is not None and after is not None and after.get(W_VAL) != "0":
            self.list_ids.setdefault(before.get(W_VAL, ""), after.get(W_VAL, ""))

    def adopt_lists(self) -> None:
        """Put each deleted list item into the new list its old list became (if it did), so it is numbered
        among its old neighbours rather than starting a list of its own."""
        for num_id in self.deleted_list_items:
            value = num_id.get(W_VAL, "")
            num_id.set(W_VAL, self.list_ids.get(value, value))

    def _adopt_links(self, element: etree._Element) -> None:
        """Old links to headings point at the new version's bookmark of the same heading, or nowhere."""
        for link in element.iter(W_HYPERLINK):
            anchor = link.get(W_ANCHOR)
            if anchor is not None:
                target = self.old_anchor(anchor)
                if target is None:
                    del link.attrib[W_ANCHOR]
                else:
                    link.set(W_ANCHOR, target)


# --- marking whole paragraphs and rows -------------------------------------------------------------------


def _mark_paragraph_mark(ppr: etree._Element, mark: str) -> None:
    rpr = ppr.find(W_RPR)
    if rpr is None:
        rpr = etree.Element(W_RPR)
        insert_ppr(ppr, rpr)
    rpr.insert(0, etree.Element(mark))  # CT_ParaRPr: ins/del come first


def _mark_row(tr: etree._Element, mark: str) -> None:
    tr_pr = tr.find(W_TRPR)
    if tr_pr is None:
        tr_pr = etree.Element(W_TRPR)
        tr.insert(0 if tr.find(qn("tblPrEx")) is None else 1, tr_pr)
    tr_pr.append(etree.Element(mark))  # CT_TrPr: ins/del come after the row's other properties
    for tc in tr.iterfind(W_TC):
        for p in tc.iter(W_P):
            _mark_runs(p, mark)


def _mark_runs(container: etree._Element, mark: str) -> None:
    """Wrap each stretch of runs in ``container`` (a paragraph, a hyperlink, a content control's content)
    in one ``mark`` element; deleted text becomes ``w:delText``. Bookmarks in deleted text are dropped."""
    wrapper: etree._Element | None = None
    for child in list(container):
        tag = child.tag
        if tag == W_R:
            if wrapper is None:
                wrapper = etree.Element(mark)
                child.addprevious(wrapper)
            wrapper.append(child)
            if mark == W_DEL:
                _as_deleted(child)
            continue
        wrapper = None
        if tag == W_HYPERLINK:
            _mark_runs(child, mark)
        elif tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                for inner in list(content.iter(W_P)) if content.find(W_P) is not None else [content]:
                    _mark_runs(inner, mark)
        elif mark == W_DEL and tag in (W_BOOKMARKSTART, W_BOOKMARKEND):
            container.remove(child)


def _as_deleted(run: etree._Element) -> None:
    for child in run:
        if child.tag == W_T:
            child.tag = W_DELTEXT
        elif child.tag == W_INSTRTEXT:
            child.tag = W_DELINSTRTEXT


# --- word by word ----------------------------------------------------------------------------------------

_Item = tuple[str, "_Piece | etree._Element"]  # ("", piece) unchanged, (W_INS/W_DEL, piece), ("mark", bookmark)


def _segments(old: Sequence[_Piece], new: Sequence[_Piece]) -> list[tuple[bool, int, int, int, int]]:
    """(changed, a0, a1, b0, b1) stretches of the two pieces lists; a space alone between two changes is
    folded into them, so that "the cat" -> "a dog" reads as one replacement."""
    raw = [(tag != "equal", a0, a1, b0, b1) for tag, a0, a1, b0, b1 in _opcodes([p.key for p in old],
                                                                                  [p.key for p in new])]
    out: list[tuple[bool, int, int, int, int]] = []
    for index, (changed, a0, a1, b0, b1) in enumerate(raw):
        between = 0 < index < len(raw) - 1 and raw[index - 1][0] and raw[index + 1][0]
        if between and not changed and all(p.text is not None and p.text.isspace() for p in old[a0:a1]):
            changed = True
        if out and changed and out[-1][0]:
            out[-1] = (True, out[-1][1], a1, out[-1][3], b1)
        else:
            out.append((changed, a0, a1, b0, b1))
    return out


def _diff_items(old: Sequence[_Piece], new: Sequence[_Piece],
                markers: Sequence[tuple[int, etree._Element]]) -> list[_Item]:
    """The edited paragraph's content in order: unchanged, deleted and inserted pieces, and the new version's
    bookmarks where they were."""
    by_position: dict[int, list[etree._Element]] = {}
    for position, marker in markers:
        by_position.setdefault(position, []).append(marker)
    items: list[_Item] = []

    def marks_at(position: int) -> None:
        items.extend(("mark", marker) for marker in by_position.pop(position, ()))

    for changed, a0, a1, b0, b1 in _segments(old, new):
        if not changed:
            for j in range(b0, b1):
                marks_at(j)
                items.append(("", new[j]))
            continue
        marks_at(b0)
        items.extend((W_DEL, old[i]) for i in range(a0, a1))
        for j in range(b0, b1):
            marks_at(j)
            items.append((W_INS, new[j]))
    for position in sorted(by_position):
        marks_at(position)
    return items


def _emit(p: etree._Element, items: Sequence[_Item]) -> None:
    """Append ``items`` to ``p``: hyperlinks around linked pieces, ``w:ins``/``w:del`` around changed ones,
    and one run for each stretch of text of the same formatting."""
    no_link: object = object()
    link_key: object = no_link
    link: etree._Element | None = None
    status: str | None = None
    wrapper: etree._Element | None = None
    run: etree._Element | None = None
    run_rpr = b""
    text: etree._Element | None = None
    for mark, item in items:
        if mark == "mark":
            assert isinstance(item, etree._Element)
            p.append(copy.deepcopy(item))
            link_key, link, status, wrapper, run, text = no_link, None, None, None, None, None
            continue
        assert isinstance(item, _Piece)
        if item.link != link_key:
            link_key, status, wrapper, run, text = item.link, None, None, None, None
            link = None
            if item.link is not None:
                link = etree.SubElement(p, W_HYPERLINK)
                for name, value in item.link:
                    link.set(name, value)
        parent = link if link is not None else p
        if mark != status:
            status, run, text = mark, None, None
            wrapper = etree.SubElement(parent, mark) if mark else None
        holder = wrapper if wrapper is not None else parent
        if not item.in_run:
            element = copy.deepcopy(item.element)
            assert element is not None
            holder.append(element)
            if mark:
                _mark_runs_in_control(element, mark)
            run, text = None, None
            continue
        if item.text is not None and text is not None and run_rpr == item.rpr_key:
            text.text = (text.text or "") + item.text
        else:
            run = etree.SubElement(holder, W_R)
            run_rpr = item.rpr_key
            if item.rpr is not None:
                run.append(copy.deepcopy(item.rpr))
            if item.text is not None:
                text = etree.SubElement(run, W_DELTEXT if mark == W_DEL else W_T)
                text.text = item.text
            else:
                element = copy.deepcopy(item.element)
                assert element is not None
                if mark == W_DEL and element.tag == W_INSTRTEXT:
                    element.tag = W_DELINSTRTEXT
                run.append(element)
                text = None
        if text is not None:
            value = text.text or ""
            if value[:1].isspace() or value[-1:].isspace() or "  " in value:
                text.set(XML_SPACE, "preserve")


def _mark_runs_in_control(element: etree._Element, mark: str) -> None:
    """A content control that was inserted or deleted as a whole: the runs in it carry the mark."""
    if element.tag == W_SDT:
        content = element.find(W_SDTCONTENT)
        if content is not None:
            _mark_runs(content, mark)


# --- the whole document ------------------------------------------------------------------------------------


def merge_documents(old_root: etree._Element, new_root: etree._Element, *, old_anchor: Callable[[str], str | None],
                    old_toc: Sequence[etree._Element], new_toc: Sequence[etree._Element],
                    revision: Revision) -> None:
    """Turn ``new_root`` (a rendered ``w:document``) into the redline against ``old_root``, in place.

    ``old_anchor`` translates a bookmark name of the old version to the new version's (None if the heading
    is gone); ``old_toc`` and ``new_toc`` are the contents list's paragraphs of each version."""
    new_body = new_root[0]
    sect = new_body[-1]  # the section properties close the body
    old_side = _Side(old_anchor, old_toc)
    new_side = _Side(lambda name: name, new_toc)
    merger = _Merger(old_anchor)
    merged = merger.blocks(old_side.blocks(old_root[0]), new_side.blocks(new_body))
    merger.adopt_lists()
    for child in list(new_body):
        new_body.remove(child)
    _separate_tables(merged)
    new_body.extend(merged)
    new_body.append(sect)
    _number_revisions(new_root, revision)


def _separate_tables(blocks: list[etree._Element]) -> None:
    """Word joins two adjacent tables into one; a deleted table next to an inserted one gets a paragraph
    between them, itself marked deleted, so that accepting or rejecting every change leaves nothing."""
    index = 1
    while index < len(blocks):
        if blocks[index].tag == W_TBL and blocks[index - 1].tag == W_TBL:
            p = etree.Element(W_P)
            _mark_paragraph_mark(etree.SubElement(p, W_PPR), W_DEL)
            blocks.insert(index, p)
        index += 1


def _number_revisions(root: etree._Element, revision: Revision) -> None:
    """Give every mark its id (in document order, after the ids bookmarks use), author and date."""
    used = [int(value) for element in root.iter(W_BOOKMARKSTART) if (value := element.get(W_ID, "")).isdigit()]
    next_id = max(used, default=-1) + 1
    for element in root.iter(W_INS, W_DEL):
        element.set(W_ID, str(next_id))
        element.set(W_AUTHOR, revision.author)
        element.set(W_DATE, revision.date)
        next_id += 1


def used_ids(root: etree._Element) -> tuple[set[str], set[str]]:
    """The relationship ids of links and the list ids (numId) that the merged document still uses."""
    rids = {value for element in root.iter(W_HYPERLINK) if (value := element.get(R_ID)) is not None}
    nums = {element.get(W_VAL, "") for element in root.iter(W_NUMID)}
    return rids, nums
