"""Profile text is data all the way into Word and HTML: whatever a profile says prints exactly as written."""

from __future__ import annotations

import datetime
import html
import io

import docx
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render import as_written

from protocolgen.render import md_escape
from protocolgen.write import DocMeta, DocxWriter, render_html

META = DocMeta(title="Title", subject="Subject", author="Author", keywords=(), created=datetime.date(2026, 4, 1),
               version="1.0", issue_date_text="1 April 2026", numbered_headings=False)
WRITER = DocxWriter()
# Text a profile may hold: anything printable (XML-forbidden control characters are refused at validation).
# Line breaks (a literal block's), tabs and Unicode line and paragraph separators included; stripped at both
# ends as validation strips them.
profile_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t\x85"),
                       min_size=1, max_size=60).map(str.strip).filter(bool)


def _docx_texts(markdown: str) -> tuple[list[str], list[str]]:
    document = docx.Document(io.BytesIO(WRITER.render(markdown, META)))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return paragraphs, cells


@settings(max_examples=120, deadline=None)
@given(profile_text, profile_text)
def test_profile_text_reaches_word_exactly(name: str, role: str) -> None:
    markdown = (f"## {md_escape(name)}\n\n{md_escape(name)} is the chair.\n\n- {md_escape(role)}\n\n"
                f"| Agency | Role |\n|---|---|\n| {md_escape(name)} | {md_escape(role)} |\n")
    paragraphs, cells = _docx_texts(markdown)
    name, role = as_written(name, "\n"), as_written(role, "\n")  # a line break reads as "\n" in python-docx
    assert paragraphs[1] == name  # the heading (after the title)
    assert paragraphs[2] == f"{name} is the chair."
    assert paragraphs[3] == role
    assert cells == ["Agency", "Role", name, role]


@settings(max_examples=80, deadline=None)
@given(profile_text)
def test_profile_text_reaches_html_escaped(name: str) -> None:
    page = render_html(f"{md_escape(name)} is the chair.\n", META)
    expected = html.escape(as_written(name, "\n"), quote=False).replace("\n", "<br />\n")
    assert f"{expected} is the chair." in page.replace("&#x27;", "'").replace("&quot;", '"')
