"""The Word writer's entry point: :class:`DocxWriter` holds a completed house style and renders markdown to
the bytes of a .docx, assembling the body, the shared parts and the package.

The shared parts (styles, numbering, settings) are computed once per variant a document can need and kept as
finished bytes, so a render only builds ``word/document.xml``, the header, the footer and (when a document has
ordered lists, each restarting at its own number) a copy of the numbering. A redline renders both versions
into one set of ids and hands them to :mod:`protocolgen.write.docx.revisions`.
"""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from protocolgen.write import markdown as mdx
from protocolgen.write.docx import controls
from protocolgen.write.docx.body import BodyWriter
from protocolgen.write.docx.oxml import (
    W_ABSTRACTNUMID,
    W_ILVL,
    W_LVLOVERRIDE,
    W_NUM,
    W_NUMID,
    W_STARTOVERRIDE,
    W_VAL,
    document_root,
    xml_bytes,
)
from protocolgen.write.docx.package import PARTS, RT, Relationship, write_package
from protocolgen.write.docx.reference import REFERENCE_DOCX, Reference, append_num
from protocolgen.write.docx.revisions import Revision, merge_documents, used_ids
from protocolgen.write.docx.section import footer_part, header_part

if TYPE_CHECKING:
    from markdown_it.token import Token

    from protocolgen.write import DocMeta

__all__ = ["DocxWriter"]


class DocxWriter:
    """Renders markdown to .docx bytes in the house style of a reference document.

    Create one writer and reuse it: the reference is parsed and completed here, once (see
    :mod:`protocolgen.write.docx.reference`: what a user's reference lacks comes from the bundled one). A file
    that is not a Word document raises ``ValueError`` naming it. ``render`` is safe to call from several
    threads.
    """

    def __init__(self, reference_docx: Path | None = None) -> None:
        self._ref = Reference(Path(reference_docx) if reference_docx is not None else REFERENCE_DOCX)
        self._styles_cache: dict[tuple[bool, str], bytes] = {}
        self._settings_cache: dict[tuple[bool, str], bytes] = {}
        self._numbering: dict[bool, tuple[etree._Element, bytes]] = {}
        self._font_table: bytes | None = None
        for numbered in (True, False):
            tree = self._ref.numbering_tree(numbered)
            self._numbering[numbered] = (tree, xml_bytes(tree))
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

    def render(self, markdown: str, meta: DocMeta, tokens: list[Token] | None = None) -> bytes:
        """A complete .docx for ``markdown`` (see :mod:`protocolgen.write.markdown`) as bytes.

        ``tokens``: ``markdown`` already parsed by ``markdown.parse`` (a build parses each document once for
        the Word writer, the HTML writer and the coverage check; the Word writer only reads them).
        Raises ``ValueError`` for an unknown ``:::`` container or a misused one.
        """
        body = BodyWriter(self._ref, mdx.parse(markdown) if tokens is None else tokens, meta)
        return self._package(body, body.build(), meta)

    def redline(self, old_markdown: str, new_markdown: str, meta: DocMeta, *, author: str,
                when: datetime.date) -> bytes:
        """A complete .docx of the new version in which every difference from the old is a tracked change by
        ``author`` on ``when`` (see :mod:`protocolgen.write.docx.revisions`). Identical versions give exactly
        :meth:`render`'s bytes. Raises ``ValueError`` as :meth:`render` does, for either version."""
        new = BodyWriter(self._ref, mdx.parse(new_markdown), meta)
        new_root = new.build_tree()
        old = BodyWriter(self._ref, mdx.parse(old_markdown), meta, ids=new.ids)  # ids after the new version's
        old_root = old.build_tree()
        old_slugs = {name: slug for slug, name in old.bookmarks.items()}

        def old_anchor(name: str) -> str | None:
            slug = old_slugs.get(name)
            return name if slug is None else new.bookmarks.get(slug)

        day = when.date() if isinstance(when, datetime.datetime) else when
        merge_documents(old_root, new_root, old_anchor=old_anchor, old_toc=old.toc_paragraphs,
                        new_toc=new.toc_paragraphs, revision=Revision(author, f"{day.isoformat()}T00:00:00Z"))
        if old.namespaces - new.namespaces:  # deleted check boxes or drawings need their namespaces declared
            new.namespaces |= old.namespaces
            body = new_root[0]
            new_root = document_root(new.namespaces)
            new_root.append(body)
        new.has_checkboxes |= old.has_checkboxes
        # relationships and lists only for what the redline still shows
        rids, nums = used_ids(new_root)
        new.hyperlinks = {url: rid for url, rid in new.hyperlinks.items() if rid in rids}
        new.ordered_lists += [entry for entry in old.ordered_lists if str(entry[0]) in nums]
        return self._package(new, xml_bytes(new_root), meta)

    def _box_fonts(self, body: BodyWriter) -> dict[str, bytes]:
        """The font table naming the check box fonts, for a document with check boxes (made once)."""
        name = "word/fontTable.xml"
        if not body.has_checkboxes or name not in self._ref.blobs:
            return {}
        if self._font_table is None:
            self._font_table = controls.with_box_fonts(self._ref.blobs[name])
        return {name: self._font_table}

    def _package(self, body: BodyWriter, document: bytes, meta: DocMeta) -> bytes:
        """The .docx around a rendered body: the shared parts in their variants, the header, the footer."""
        numbering_tree, numbering_xml = self._numbering[meta.numbered_headings]
        if body.ordered_lists:
            numbering_tree = copy.deepcopy(numbering_tree)
            for num_id, ilvl, start in body.ordered_lists:
                num = etree.Element(W_NUM)
                append_num(numbering_tree, num)
                num.set(W_NUMID, str(num_id))
                etree.SubElement(num, W_ABSTRACTNUMID).set(W_VAL, self._ref.ordered_abstract_id)
                override = etree.SubElement(num, W_LVLOVERRIDE)
                override.set(W_ILVL, str(ilvl))
                etree.SubElement(override, W_STARTOVERRIDE).set(W_VAL, str(start))
            numbering_xml = xml_bytes(numbering_tree)

        parts: dict[str, bytes] = {
            "word/styles.xml": self._styles(meta.numbered_headings, meta.language),
            "word/numbering.xml": numbering_xml,
            "word/settings.xml": self._settings(body.has_toc, meta.language),
            **self._ref.blobs,
            **self._box_fonts(body),
            "word/header1.xml": header_part(meta, self._ref.styles.header),
            "word/footer1.xml": footer_part(meta, self._ref.styles.footer),
        }
        rels: list[Relationship] = []
        for name, _, reltype in PARTS:
            if name in parts:
                rels.append((body.rel_id(name), reltype, name.removeprefix("word/"), False))
        rels.extend((rid, RT + "hyperlink", url, True) for url, rid in body.hyperlinks.items())
        return write_package(meta, document, parts, rels)
