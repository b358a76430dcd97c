"""Fields and bookmarks: Word's complex fields (``PAGE``, ``NUMPAGES``, ``TOC``), the contents list's cached
result, heading numbers as Word's list numbering shows them, and bookmark names.

``::: toc`` becomes a real ``TOC \\o "1-2" \\h \\z \\u`` field whose cached result lists the headings
(numbered as Word numbers them, each a link to a bookmark on its heading) so LibreOffice and PDF converters
show a contents list; it carries no page numbers, which only a layout engine knows. ``w:updateFields`` in
settings.xml makes Word offer to refresh it, with page numbers, when the document is opened.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from protocolgen.write import markdown as mdx
from protocolgen.write.docx.oxml import (
    W_BOOKMARKEND,
    W_BOOKMARKSTART,
    W_FLDCHAR,
    W_FLDCHARTYPE,
    W_ID,
    W_INSTRTEXT,
    W_NAME,
    W_R,
    XML_SPACE,
    add_run,
)

TOC_LEVELS = 2  # sections and subsections: a third level doubles the contents' length for little help
TOC_INSTRUCTION = f' TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u '
NO_TOC_ENTRIES = "No table of contents entries found."


def field_char(parent: etree._Element, kind: str) -> None:
    """A run holding a ``w:fldChar`` of ``kind`` (``begin``, ``separate`` or ``end``)."""
    etree.SubElement(etree.SubElement(parent, W_R), W_FLDCHAR).set(W_FLDCHARTYPE, kind)


def field_begin(parent: etree._Element, instruction: str) -> None:
    """Begin a complex field: begin, instruction, separate (the caller writes the cached result and end)."""
    field_char(parent, "begin")
    instr = etree.SubElement(etree.SubElement(parent, W_R), W_INSTRTEXT)
    instr.text = instruction
    instr.set(XML_SPACE, "preserve")
    field_char(parent, "separate")


def field(parent: etree._Element, instruction: str, cached: str) -> None:
    """A whole complex field with its cached result, e.g. ``PAGE`` showing ``1`` until Word lays it out."""
    field_begin(parent, instruction)
    add_run(parent, cached)
    field_char(parent, "end")


# --- bookmarks -------------------------------------------------------------------------------------------


def heading_bookmarks(outline: Sequence[mdx.Heading]) -> dict[str, str]:
    """Bookmark names of the headings by slug, as Word names the ones it makes for a contents list.

    Counters, not the heading text, so names stay valid Word bookmark names and never collide."""
    return {heading.slug: f"_Toc{index + 1:09d}" for index, heading in enumerate(outline)}


def id_bookmarks(outline: Sequence[mdx.Heading]) -> dict[str, str]:
    """Word bookmark names for the headings given an id (``{#some-id}``), by slug: ``some-id`` -> ``some_id``.

    Word's bookmark names are a letter, then letters, digits and underscores, 40 at most; markdown.py checks
    the ids (and that no two map to one name), so only ``-`` needs mapping."""
    return {heading.slug: heading.slug.replace("-", "_") for heading in outline if heading.explicit}


def bookmark_start(parent: etree._Element, bookmark_id: int, name: str) -> None:
    start = etree.SubElement(parent, W_BOOKMARKSTART)
    start.set(W_ID, str(bookmark_id))
    start.set(W_NAME, name)


def bookmark_end(parent: etree._Element, bookmark_id: int) -> None:
    etree.SubElement(parent, W_BOOKMARKEND).set(W_ID, str(bookmark_id))


# --- heading numbers -------------------------------------------------------------------------------------

_NUMBER_PLACEHOLDER = re.compile(r"%([1-9])")


def format_number(pattern: str, counters: Sequence[int], kinds: Sequence[tuple[str, int]] = (),
                  legal: bool = False) -> str:
    """A heading number as Word shows it, e.g. pattern ``%1.%2`` with counters (2, 3) -> ``2.3``.

    ``kinds`` gives each level's (``w:numFmt``, ``w:start``) of the heading list (decimal from 1 if not
    given); ``legal`` (``w:isLgl``) shows every level as a decimal number."""

    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        count = counters[index] if index < len(counters) else 0
        fmt, start = kinds[index] if index < len(kinds) else ("decimal", 1)
        return number_text(count + start - 1, "decimal" if legal else fmt)

    return _NUMBER_PLACEHOLDER.sub(value, pattern)


_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def number_text(number: int, fmt: str) -> str:
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
