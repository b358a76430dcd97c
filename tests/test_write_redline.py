"""Tracked-change redlines: open the .docx with lxml and python-docx, read the w:ins / w:del marks, and check
that accepting every change gives the new version's text and rejecting every change gives the old one's."""

from __future__ import annotations

import datetime
import io
import itertools
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from protocolgen.write import DocxWriter, redline

sys.path.insert(0, str(Path(__file__).parent))
from office import convert_to_pdf, needs_soffice
from test_write_docx import META, SAMPLE

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
WHEN = datetime.date(2026, 5, 1)
AUTHOR = "Westmarsh Safeguarding Children Partnership"


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


@pytest.fixture(scope="module")
def writer() -> DocxWriter:
    return DocxWriter()


def make(old: str, new: str, writer: DocxWriter | None = None) -> bytes:
    return redline(old, new, META, author=AUTHOR, when=WHEN, writer=writer)


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def marks(root: etree._Element, kind: str) -> list[str]:
    """The text of each w:ins or w:del, in document order."""
    return ["".join(el.itertext()) for el in root.iter(q(kind))]


def text_marks(root: etree._Element, kind: str) -> list[str]:
    """Like marks(), without the empty marks on paragraph marks and table rows."""
    return [t for el, t in zip(root.iter(q(kind)), marks(root, kind), strict=True)
            if el.getparent().tag not in (q("rPr"), q("trPr"))]


def paragraph_of(root: etree._Element, contains: str) -> etree._Element:
    return next(p for p in root.iter(q("p")) if contains in "".join(p.itertext()))


# --- reading a redline back as the reader would, after accepting or rejecting every change ------------------


_GONE = {"accept": "del", "reject": "ins", "plain": None}  # the mark whose content each mode removes


def _visible_text(p: etree._Element, mode: str) -> str:
    gone = _GONE[mode]
    return "".join(node.text or "" for node in p.iter(q("t"), q("delText"))
                   if gone is None or not any(a.tag == q(gone) for a in node.iterancestors()))


def _removed(properties: etree._Element | None, mode: str) -> bool:
    """Whether a paragraph (by its mark's w:rPr) or a row (by its w:trPr) goes in ``mode``."""
    gone = _GONE[mode]
    return properties is not None and gone is not None and properties.find(f"w:{gone}", NS) is not None


def _is_toc(p: etree._Element) -> bool:
    style = p.find("w:pPr/w:pStyle", NS)
    return style is not None and style.get(q("val"), "").upper().startswith("TOC")


def reading(data: bytes, mode: str) -> list[str]:
    """Non-empty paragraph and cell texts of the body, in order, after ``mode`` ("accept", "reject" or
    "plain") of every change; the contents list (a field Word rebuilds) is left out."""
    body = document_xml(data).find("w:body", NS)
    out = []
    for block in body:
        if block.tag == q("p"):
            if _removed(block.find("w:pPr/w:rPr", NS), mode):
                continue
            if not _is_toc(block) and (text := _visible_text(block, mode)):
                out.append(text)
        elif block.tag == q("tbl"):
            for row in block.iter(q("tr")):
                if _removed(row.find("w:trPr", NS), mode):
                    continue
                out.extend(t for p in row.iter(q("p")) if (t := _visible_text(p, mode)))
    return out


# --- word by word -----------------------------------------------------------------------------------------


def test_a_changed_number_is_marked_and_nothing_else(writer):
    root = document_xml(make("Records are kept for 8 years.\n", "Records are kept for 10 years.\n", writer))
    assert text_marks(root, "del") == ["8"]
    assert text_marks(root, "ins") == ["10"]
    deleted = next(root.iter(q("del")))
    assert [t.text for t in deleted.iter(q("delText"))] == ["8"]
    assert not list(deleted.iter(q("t")))  # deleted text is w:delText, never w:t
    p = paragraph_of(root, "Records")
    assert _visible_text(p, "accept") == "Records are kept for 10 years."
    assert _visible_text(p, "reject") == "Records are kept for 8 years."


def test_replaced_words_read_as_one_change(writer):
    root = document_xml(make("Ask the duty team first.\n", "Ask a named worker first.\n", writer))
    assert text_marks(root, "del") == ["the duty team"]
    assert text_marks(root, "ins") == ["a named worker"]


def test_unchanged_words_keep_their_formatting_and_links(writer):
    old = "Share to **protect children**, see [Working Together](https://www.gov.uk/wt) now.\n"
    new = "Share to **protect children**, see [Working Together](https://www.gov.uk/wt) today.\n"
    data = make(old, new, writer)
    root = document_xml(data)
    assert text_marks(root, "del") == ["now"] and text_marks(root, "ins") == ["today"]
    p = paragraph_of(root, "Share")
    bold = [r for r in p.iter(q("r")) if r.find("w:rPr/w:b", NS) is not None]
    assert "".join("".join(r.itertext()) for r in bold) == "protect children"
    assert all(r.getparent().tag == q("p") for r in bold)  # unmarked
    link = p.find("w:hyperlink", NS)
    assert "".join(link.itertext()) == "Working Together"
    assert link.find("w:ins", NS) is None and link.find("w:del", NS) is None
    rels = docx.Document(io.BytesIO(data)).part.rels
    assert rels[link.get(f"{{{'http://schemas.openxmlformats.org/officeDocument/2006/relationships'}}}id")]._target == \
        "https://www.gov.uk/wt"


def test_a_word_made_bold_counts_as_changed(writer):
    root = document_xml(make("Act without delay.\n", "Act **without delay**.\n", writer))
    assert text_marks(root, "del") == ["without delay"]
    inserted = next(el for el in root.iter(q("ins")) if "".join(el.itertext()))
    assert inserted.find("w:r/w:rPr/w:b", NS) is not None


def test_a_changed_link_target_is_marked(writer):
    root = document_xml(make("See [the guide](https://a.example/x).\n", "See [the guide](https://a.example/y).\n",
                             writer))
    assert text_marks(root, "del") == ["the guide"] and text_marks(root, "ins") == ["the guide"]


# --- whole paragraphs -------------------------------------------------------------------------------------


def test_an_added_paragraph_has_its_runs_and_mark_inserted(writer):
    root = document_xml(make("First.\n\nThird.\n", "First.\n\nSecond, new.\n\nThird.\n", writer))
    p = paragraph_of(root, "Second")
    assert p.find("w:pPr/w:rPr/w:ins", NS) is not None
    runs = list(p.iter(q("r")))
    assert runs and all(r.getparent().tag == q("ins") for r in runs)
    assert text_marks(root, "del") == []


def test_a_removed_paragraph_has_its_runs_and_mark_deleted(writer):
    root = document_xml(make("First.\n\nSecond, old.\n\nThird.\n", "First.\n\nThird.\n", writer))
    p = paragraph_of(root, "Second")
    assert p.find("w:pPr/w:rPr/w:del", NS) is not None
    assert [t.text for t in p.iter(q("delText"))] == ["Second, old."]
    assert not list(p.iter(q("t")))
    assert text_marks(root, "ins") == []


def test_a_removed_heading_leaves_no_bookmark_and_no_dangling_link(writer):
    old = "# Purpose\n\nSee [scope](#scope).\n\n# Scope\n\nText.\n"
    new = "# Purpose\n\nSee [scope](#scope).\n\nText.\n"
    root = document_xml(make(old, new, writer))
    bookmarks = {b.get(q("name")) for b in root.iter(q("bookmarkStart"))}
    anchors = {link.get(q("anchor")) for link in root.iter(q("hyperlink")) if link.get(q("anchor"))}
    heading = paragraph_of(root, "Scope")
    assert heading.find("w:pPr/w:rPr/w:del", NS) is not None
    assert heading.find("w:bookmarkStart", NS) is None
    assert len(bookmarks) == 1  # Purpose only
    assert anchors <= bookmarks | {"scope"}  # the new version's own link to the missing "#scope" stays as written


def test_a_removed_list_item_stays_in_its_list(writer):
    root = document_xml(make("1. alpha\n2. beta\n3. gamma\n", "1. alpha\n2. gamma\n", writer))
    num_ids = {"".join(p.itertext()): p.find("w:pPr/w:numPr/w:numId", NS).get(q("val"))
               for p in root.iter(q("p")) if p.find("w:pPr/w:numPr", NS) is not None}
    assert num_ids["beta"] == num_ids["alpha"] == num_ids["gamma"]


def test_a_removed_page_break_paragraph_does_not_push_the_page(writer):
    old = "One.\n\n::: pagebreak\n:::\n\nOld page.\n"
    root = document_xml(make(old, "One.\n", writer))
    p = paragraph_of(root, "Old page")
    assert p.find("w:pPr/w:pageBreakBefore", NS) is None


def test_an_empty_old_version_marks_everything_inserted(writer):
    data = make("", SAMPLE, writer)
    assert reading(data, "reject") == [META.title]
    assert reading(data, "accept") == reading(writer.render(SAMPLE, META), "plain")


# --- tables -------------------------------------------------------------------------------------------------

TABLE = "| Agency | Role |\n| --- | --- |\n| Police | Lead |\n| Health | Advice |\n| School | Attend |\n"


def rows(root: etree._Element) -> list[tuple[str, str]]:
    """(mark, text) of each row of the first table: mark is "ins", "del" or ""."""
    out = []
    for tr in root.find("w:body/w:tbl", NS).iter(q("tr")):
        mark = next((kind for kind in ("ins", "del") if tr.find(f"w:trPr/w:{kind}", NS) is not None), "")
        out.append((mark, " | ".join("".join(tc.itertext()) for tc in tr.iter(q("tc")))))
    return out


def test_table_rows_added_and_removed(writer):
    new = "| Agency | Role |\n| --- | --- |\n| Police | Lead |\n| School | Attend |\n| Council | Chair |\n"
    root = document_xml(make(TABLE, new, writer))
    assert rows(root) == [("", "Agency | Role"), ("", "Police | Lead"), ("del", "Health | Advice"),
                          ("", "School | Attend"), ("ins", "Council | Chair")]
    deleted = root.find("w:body/w:tbl", NS).findall("w:tr", NS)[2]
    assert [t.text for t in deleted.iter(q("delText"))] == ["Health", "Advice"]
    assert all(r.getparent().tag == q("del") for r in deleted.iter(q("r")))
    inserted = root.find("w:body/w:tbl", NS).findall("w:tr", NS)[4]
    assert all(r.getparent().tag == q("ins") for r in inserted.iter(q("r")))


def test_a_changed_row_is_marked_word_by_word(writer):
    new = TABLE.replace("| Police | Lead |", "| Police | Lead agency |")
    root = document_xml(make(TABLE, new, writer))
    assert [mark for mark, _ in rows(root)] == ["", "", "", ""]
    assert text_marks(root, "ins") == [" agency"]
    assert text_marks(root, "del") == []


def test_a_replaced_table_keeps_the_tables_apart(writer):
    other = "| Step | What |\n| --- | --- |\n| One | Ask |\n"
    data = make(f"Intro.\n\n{TABLE}", f"Intro.\n\n{other}", writer)
    body = document_xml(data).find("w:body", NS)
    tags = [etree.QName(child).localname for child in body]
    assert "tbl" in tags and all(not (a == b == "tbl") for a, b in itertools.pairwise(tags))
    assert reading(data, "accept") == reading(writer.render(f"Intro.\n\n{other}", META), "plain")


def test_deleted_rows_take_the_new_tables_column_widths(writer):
    new = "| Agency | Role |\n| --- | --- |\n| Police | Lead agency for every strategy discussion |\n"
    root = document_xml(make(TABLE, new, writer))
    tbl = root.find("w:body/w:tbl", NS)
    grid = [col.get(q("w")) for col in tbl.find("w:tblGrid", NS)]
    for tr in tbl.findall("w:tr", NS):
        assert [tc.find("w:tcPr/w:tcW", NS).get(q("w")) for tc in tr.findall("w:tc", NS)] == grid


# --- the document as a whole ----------------------------------------------------------------------------------


def test_unchanged_documents_give_no_revisions_and_the_plain_document(writer):
    data = make(SAMPLE, SAMPLE, writer)
    assert marks(document_xml(data), "ins") == marks(document_xml(data), "del") == []
    assert data == writer.render(SAMPLE, META)


def test_every_mark_has_author_date_and_its_own_id(writer):
    new = SAMPLE.replace("protect children", "keep children safe") + "\nA new closing paragraph.\n"
    root = document_xml(make(SAMPLE + "\nAn old closing paragraph.\n", new, writer))
    revisions = list(root.iter(q("ins"), q("del")))
    assert len(revisions) >= 4
    assert {r.get(q("author")) for r in revisions} == {AUTHOR}
    assert {r.get(q("date")) for r in revisions} == {"2026-05-01T00:00:00Z"}
    ids = [r.get(q("id")) for r in revisions]
    bookmark_ids = {b.get(q("id")) for b in root.iter(q("bookmarkStart"))}
    assert len(set(ids)) == len(ids) and not set(ids) & bookmark_ids


def test_the_contents_list_is_never_marked(writer):
    root = document_xml(make(SAMPLE, SAMPLE.replace("## Scope", "## Scope and purpose"), writer))
    for p in root.iter(q("p")):
        if _is_toc(p):
            assert p.find(".//w:ins", NS) is None and p.find(".//w:del", NS) is None
    assert text_marks(root, "ins") == [" and purpose"]


def test_redlines_are_deterministic(writer):
    new = SAMPLE.replace("second bullet", "last bullet") + "\n" + TABLE
    assert make(SAMPLE, new, writer) == make(SAMPLE, new, writer)


def test_a_redline_opens_in_python_docx(writer):
    document = docx.Document(io.BytesIO(make(SAMPLE, SAMPLE.replace("Purpose", "Aims"), writer)))
    assert document.paragraphs[0].text == META.title


def test_a_misused_container_in_either_version_is_a_value_error(writer):
    with pytest.raises(ValueError, match="unknown container"):
        make("::: nonsense\nx\n:::\n", "x\n", writer)
    with pytest.raises(ValueError, match="unknown container"):
        make("x\n", "::: nonsense\nx\n:::\n", writer)


def test_a_redline_validates_against_the_office_schema(writer, tmp_path):
    audit = pytest.importorskip("openxml_audit")
    old = SAMPLE + "\nRecords are kept for 8 years.\n\n" + TABLE
    new = SAMPLE.replace("protect children", "keep children safe").replace("# Signatories", "# Signing") \
        + "\nRecords are kept for 10 years.\n\n" + TABLE.replace("| Health | Advice |\n", "| Council | Chair |\n")
    path = tmp_path / "redline.docx"
    path.write_bytes(make(old, new, writer))
    result = audit.OpenXmlValidator(file_format=audit.FileFormat.OFFICE_2019, max_errors=50).validate(str(path))
    assert result.is_valid, [str(error) for error in result.errors]


# --- accept all gives the new version, reject all the old -------------------------------------------------

_WORDS = st.sampled_from(["child", "share", "consent", "8", "10", "years", "police", "school", "record",
                          "**safe**", "[link](https://example.org)", "the", "a", "must"])
_SENTENCE = st.lists(_WORDS, min_size=1, max_size=8).map(lambda words: " ".join(words) + ".")
_BLOCK = st.one_of(
    _SENTENCE,
    _SENTENCE.map(lambda s: f"# {s.rstrip('.')}"),
    st.lists(_SENTENCE, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(_SENTENCE, min_size=1, max_size=3).map(lambda items: "\n".join(f"1. {i}" for i in items)),
    st.lists(st.tuples(_SENTENCE, _SENTENCE), min_size=1, max_size=4).map(
        lambda cells: "| Who | What |\n| --- | --- |\n" + "".join(f"| {a} | {b} |\n" for a, b in cells)),
)
_DOCUMENT = st.lists(_BLOCK, max_size=6).map(lambda blocks: "\n\n".join(blocks) + "\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=_DOCUMENT, new=_DOCUMENT)
def test_accepting_every_change_gives_the_new_text_and_rejecting_the_old(writer, old, new):
    data = make(old, new, writer)
    assert reading(data, "accept") == reading(writer.render(new, META), "plain")
    assert reading(data, "reject") == reading(writer.render(old, META), "plain")


# --- LibreOffice shows the changes ------------------------------------------------------------------------------


@needs_soffice
def test_libreoffice_shows_deleted_and_inserted_words(writer, tmp_path):
    path = tmp_path / "redline.docx"
    path.write_bytes(make("Records are kept for 8 years.\n\n" + TABLE,
                          "Records are kept for 10 years.\n\n" + TABLE.replace("| Health | Advice |\n", ""), writer))
    convert_to_pdf([path], tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "redline.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "kept for 810 years" in " ".join(text.split())  # both, struck through and underlined
    assert "Health" in text  # the deleted row is shown, struck through
