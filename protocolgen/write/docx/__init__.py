"""Markdown to a Word (.docx) document in the house style of a reference .docx.

The writer is layered like python-docx, each module one layer, data flowing one way:

* :mod:`~protocolgen.write.docx.oxml`: WordprocessingML names, the safe XML parser, tiny element builders.
* :mod:`~protocolgen.write.docx.package`: the zip and its Open Packaging parts (content types,
  relationships, document properties), written with fixed order, dates and compression.
* :mod:`~protocolgen.write.docx.reference`: the house style read from a reference .docx and completed from
  the bundled one (styles found by name, headings and lists linked to Word list numbering).
* :mod:`~protocolgen.write.docx.body`: markdown-it tokens to paragraphs and tables, one method per token
  type, with beside it :mod:`~protocolgen.write.docx.fields` (fields, the contents list, bookmarks),
  :mod:`~protocolgen.write.docx.section` (page setup, header with marking and status, footer),
  :mod:`~protocolgen.write.docx.controls` (check boxes and text boxes in ``::: form``) and
  :mod:`~protocolgen.write.docx.drawing` (``::: flowchart`` as DrawingML shapes).
* :mod:`~protocolgen.write.docx.revisions`: two rendered bodies compared into one with tracked changes.
* :mod:`~protocolgen.write.docx.writer`: :class:`DocxWriter`, which puts them together (``render``,
  ``redline``).

Design, for speed and reproducibility: :class:`DocxWriter` reads the reference once; a render builds
``word/document.xml``, the header and the footer directly with lxml (no python-docx objects: their
convenience API scans the style list for every paragraph), then writes the zip itself, so identical input
gives byte-identical output. Nothing is taken from the clock, the host or a random source.
"""

from __future__ import annotations

from protocolgen.write.docx.body import FORM_ROW_HEIGHT, SIGNATURE_ROW_HEIGHT
from protocolgen.write.docx.reference import REFERENCE_DOCX
from protocolgen.write.docx.writer import DocxWriter

__all__ = ["FORM_ROW_HEIGHT", "REFERENCE_DOCX", "SIGNATURE_ROW_HEIGHT", "DocxWriter"]
