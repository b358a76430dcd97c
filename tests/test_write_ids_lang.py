"""Heading ids ({#some-id}: a Word bookmark, an HTML id) and language spans (::: lang cy), in both writers."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from protocolgen.write import DocxWriter, render_html

sys.path.insert(0, str(Path(__file__).parent))
from test_write_docx import META

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}

IDS = """\
::: toc
:::

{#data-protection}
# Data protection

See [that section](#data-protection) and [scope](#scope).

{#scope}
## Who it covers

# Scope
"""

WELSH = """\
An English paragraph.

:::: lang cy
Mae'r ffurflen hon yn **gofyn** am eich [caniatâd](https://example.org/cy).

- eitem gyntaf

| Enw | Dyddiad |
|---|---|
| Siân | |

::: lang en
Back in English.
:::
::::

After.
"""


@pytest.fixture(scope="module")
def writer() -> DocxWriter:
    return DocxWriter()


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def paragraph(root: etree._Element, text: str) -> etree._Element:
    return next(p for p in root.iter(f"{{{W}}}p") if "".join(p.itertext()) == text)


# --- heading ids ---------------------------------------------------------------------------------------------


def test_a_heading_id_is_a_word_bookmark_around_the_heading_text(writer):
    root = document_xml(writer.render(IDS, META))
    heading = paragraph(root, "Data protection")
    starts = heading.findall("w:bookmarkStart", NS)
    names = [s.get(f"{{{W}}}name") for s in starts]
    assert names[1] == "data_protection" and names[0].startswith("_Toc")
    own_id = starts[1].get(f"{{{W}}}id")
    children = [etree.QName(c).localname for c in heading if c.tag != f"{{{W}}}pPr"]
    assert children == ["bookmarkStart", "bookmarkStart", "r", "bookmarkEnd", "bookmarkEnd"]
    assert heading.findall("w:bookmarkEnd", NS)[0].get(f"{{{W}}}id") == own_id
    all_ids = [b.get(f"{{{W}}}id") for b in root.iter(f"{{{W}}}bookmarkStart")]
    assert len(all_ids) == len(set(all_ids))


def test_the_attribute_line_never_prints(writer):
    root = document_xml(writer.render(IDS, META))
    assert "{#" not in "".join(root.itertext())
    assert "{#" not in render_html(IDS, META)


def test_links_to_an_id_reach_its_heading(writer):
    root = document_xml(writer.render(IDS, META))
    bookmarks = {b.get(f"{{{W}}}name"): b.getparent() for b in root.iter(f"{{{W}}}bookmarkStart")}
    links = paragraph(root, "See that section and scope.").findall("w:hyperlink", NS)
    targets = ["".join(bookmarks[link.get(f"{{{W}}}anchor")].itertext()) for link in links]
    assert targets == ["Data protection", "Who it covers"]  # "#scope" is the id, not the heading "Scope"


def test_html_headings_carry_their_ids_and_other_slugs_avoid_them():
    page = render_html(IDS, META)
    assert '<h2 id="data-protection">' in page
    assert '<h3 id="scope">' in page
    assert '<h2 id="scope-2">' in page  # the heading "Scope" yields its slug to the id
    assert '<a href="#scope">' in page


def test_word_bookmark_names_map_dashes_and_stay_within_40_characters(writer):
    long_id = "a" + "-b" * 19  # 39 characters
    root = document_xml(writer.render(f"{{#{long_id}}}\n# Long\n", META))
    names = {b.get(f"{{{W}}}name") for b in root.iter(f"{{{W}}}bookmarkStart")}
    own = next(n for n in names if not n.startswith("_"))
    assert own == long_id.replace("-", "_") and len(own) <= 40
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", own)


@pytest.mark.parametrize(("markdown", "message"), [
    ("{#one}\n# A\n\n{#one}\n# B\n", "given to two headings"),
    ("{#a-b}\n# A\n\n{#a_b}\n# B\n", "same Word bookmark"),
    ("{#Intro}\n# A\n\n{#intro}\n# B\n", "same Word bookmark"),
    ("{#1st}\n# A\n", "must start with a letter"),
    ("{#" + "x" * 41 + "}\n# A\n", "40 at most"),
    ("{#para}\nA paragraph.\n", "may only give a heading its id"),
    ("{.wide}\n# A\n", "may only give a heading its id"),
    ("{#main}\n# A\n", "reserved"),
])
def test_a_wrong_attribute_line_is_an_error_in_both_writers(writer, markdown, message):
    with pytest.raises(ValueError, match=message):
        writer.render(markdown, META)
    with pytest.raises(ValueError, match=message):
        render_html(markdown, META)


# --- languages ------------------------------------------------------------------------------------------------


def languages(p: etree._Element) -> tuple[set[str | None], str | None]:
    """The w:lang of each run, and of the paragraph mark."""
    runs = {(r.find("w:rPr/w:lang", NS).get(f"{{{W}}}val") if r.find("w:rPr/w:lang", NS) is not None else None)
            for r in p.iter(f"{{{W}}}r")}
    mark = p.find("w:pPr/w:rPr/w:lang", NS)
    return runs, mark.get(f"{{{W}}}val") if mark is not None else None


def test_every_run_and_paragraph_mark_in_a_welsh_span_is_welsh(writer):
    root = document_xml(writer.render(WELSH, META))
    for text in ("Mae'r ffurflen hon yn gofyn am eich caniatâd.", "eitem gyntaf", "Enw", "Siân"):
        assert languages(paragraph(root, text)) == ({"cy-GB"}, "cy-GB"), text
    link = paragraph(root, "Mae'r ffurflen hon yn gofyn am eich caniatâd.").find("w:hyperlink/w:r", NS)
    assert link.find("w:rPr/w:lang", NS).get(f"{{{W}}}val") == "cy-GB"
    assert link.find("w:rPr/w:rStyle", NS) is not None  # formatting kept beside the language


def test_an_inner_span_wins_and_text_outside_keeps_the_default(writer):
    root = document_xml(writer.render(WELSH, META))
    assert languages(paragraph(root, "Back in English.")) == ({"en-GB"}, "en-GB")
    for text in ("An English paragraph.", "After."):
        assert languages(paragraph(root, text)) == ({None}, None)


def test_empty_form_cells_in_a_span_take_its_language(writer):
    root = document_xml(writer.render(":::: lang cy\n::: form\n| Enw |\n|---|\n| |\n:::\n::::\n", META))
    run = next(root.iter(f"{{{W}}}sdt")).find("w:sdtContent/w:r", NS)
    assert run.find("w:rPr/w:lang", NS).get(f"{{{W}}}val") == "cy-GB"


def test_the_document_default_language_is_unchanged(writer):
    data = writer.render(WELSH, replace(META, language="en-GB"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    assert styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS).get(f"{{{W}}}val") == "en-GB"


@pytest.mark.parametrize(("tag", "word"), [("cy", "cy-GB"), ("en", "en-GB"), ("fr", "fr"), ("pt-BR", "pt-BR")])
def test_language_tags_for_word(writer, tag, word):
    root = document_xml(writer.render(f"::: lang {tag}\nText.\n:::\n", META))
    assert languages(paragraph(root, "Text.")) == ({word}, word)


def test_html_wraps_a_span_in_a_div_with_its_language():
    page = render_html(WELSH, META)
    assert '<html lang="en-GB">' in page
    assert re.search(r'<div lang="cy">\n<p>Mae.r ffurflen', page)
    assert '<div lang="en">\n<p>Back in English.</p>\n</div>' in page


@pytest.mark.parametrize("fence", ["::: lang", "::: lang cy en", "::: lang c", "::: lang cy!"])
def test_a_span_needs_one_language_tag(writer, fence):
    with pytest.raises(ValueError, match="needs a language tag"):
        writer.render(f"{fence}\nText.\n:::\n", META)


def test_ids_and_languages_validate_against_the_office_schema(writer, tmp_path):
    audit = pytest.importorskip("openxml_audit")
    path = tmp_path / "ids.docx"
    path.write_bytes(writer.render(IDS + "\n" + WELSH, META))
    result = audit.OpenXmlValidator(file_format=audit.FileFormat.OFFICE_2019, max_errors=50).validate(str(path))
    assert result.is_valid, [str(error) for error in result.errors]
