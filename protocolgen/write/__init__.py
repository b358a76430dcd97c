"""Writers: markdown (as produced by the templates) to a Word document or a standalone HTML page.

::

    from protocolgen.write import DocMeta, DocxWriter, render_html

    writer = DocxWriter()                 # parses the bundled house style once; reuse it for every document
    data = writer.render(markdown, meta)  # a complete .docx as bytes, byte-identical for identical input
    page = render_html(markdown, meta)    # a standalone accessible HTML page
    read_custom_properties(data)          # {"protocolgen-id": ..., ...}: what meta.custom put in the file
    redline(old_markdown, markdown, meta, author="Westmarsh SCP", when=date(2026, 5, 1))
                                          # the new version with every change from the old tracked

The markdown dialect (CommonMark, GFM tables and ``:::`` containers) is described in
:mod:`protocolgen.write.markdown`.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class DocMeta:
    """What a writer needs to know about a document besides its markdown body."""

    title: str
    """Document title: the Title paragraph at the top, the core-properties title and the page header."""
    subject: str
    author: str
    """The issuing body."""
    keywords: tuple[str, ...]
    created: datetime.date
    """From the area's issue date; core created/modified and the zip entry dates. Never the clock."""
    version: str
    """E.g. ``"1.0"``, printed in the footer."""
    issue_date_text: str
    """E.g. ``"1 April 2026"``, printed in the footer."""
    reference: str = ""
    """E.g. ``"WSCP-ISP-COMPLEX-NEEDS"``, printed in the footer when set."""
    language: str = "en-GB"
    numbered_headings: bool = True
    """Protocols number their headings 1, 1.1, 1.1.1 (by Word's list numbering); notices do not."""
    marking: str = ""
    """Protective marking, e.g. ``"OFFICIAL"``, printed at the top and bottom of every page when set."""
    status_label: str = ""
    """E.g. ``"DRAFT"``: printed prominently in the page header when set (drafts not yet issued)."""
    custom: tuple[tuple[str, str], ...] = ()
    """Custom document properties (name, text), e.g. the document's id, version and content hash, so that the
    files themselves say what protocolgen wrote even when the manifest is lost."""
    labels: tuple[tuple[str, str], ...] = ()
    """The writers' own words in the document's language, by their English: ``(("Version", "Fersiwn"), ...)``
    for "Version", "Issued", "Page", "of" and "Contents". Left out, English."""

    def label(self, word: str) -> str:
        """``word`` (one of the writers' own words) in the document's language."""
        return dict(self.labels).get(word, word)


from protocolgen.write.docx import DocxWriter  # noqa: E402  (after DocMeta, which the writers use)
from protocolgen.write.docx.package import read_custom_properties  # noqa: E402
from protocolgen.write.html import render_html  # noqa: E402


@functools.cache
def _bundled_writer() -> DocxWriter:
    return DocxWriter()


def redline(old_markdown: str, new_markdown: str, meta: DocMeta, *, author: str, when: datetime.date,
            writer: DocxWriter | None = None) -> bytes:
    """A complete .docx of the new version in which every difference from the old is a tracked change
    (``w:ins``/``w:del`` by ``author``, dated ``when`` at 00:00:00Z), compared block by block and, within a
    changed paragraph or table cell, word by word. ``writer`` gives the house style (default: the bundled
    one). See :mod:`protocolgen.write.docx.revisions`."""
    return (writer or _bundled_writer()).redline(old_markdown, new_markdown, meta, author=author, when=when)


__all__ = ["DocMeta", "DocxWriter", "read_custom_properties", "redline", "render_html"]
