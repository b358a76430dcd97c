"""The HTML writer: parse the page it writes and check structure, escaping and accessibility."""

from __future__ import annotations

import datetime
import re
from dataclasses import replace

import lxml.html
import pytest

from protocolgen.write import DocMeta, render_html

META = DocMeta(
    title="Privacy Notice: Early Help",
    subject="How we use information about children and families",
    author="Westshire Safeguarding Children Partnership",
    keywords=("privacy", "early help"),
    created=datetime.date(2026, 4, 1),
    version="2.1",
    issue_date_text="1 April 2026",
    reference="WSCP-PN-EH",
)

SAMPLE = """\
::: toc
:::

# Who we are

We are the partnership. See [the guidance](https://www.gov.uk/guidance).

## What we collect

- names
  - and addresses

## What we collect

1. a duplicate heading gets its own id

::: note
You can ask for a copy of your information.
:::

::: pagebreak
:::

# Signatures

::: signatures
| Agency | Signature | Date |
| --- | --- | --- |
| Police |  |  |
:::

::: form
| Question | Answer |
| --- | --- |
| Name |  |
:::
"""

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_escape(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", text)


def page(markdown: str = SAMPLE, meta: DocMeta = META) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(render_html(markdown, meta))


def test_standalone_page_with_language_title_and_viewport():
    html = render_html(SAMPLE, META)
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en-GB\">")
    root = lxml.html.document_fromstring(html)
    assert root.find("head/meta[@charset]").get("charset") == "utf-8"
    assert root.find("head/meta[@name='viewport']") is not None
    assert root.findtext("head/title") == META.title
    assert root.find("head/style") is not None
    assert root.xpath("//link[@rel='stylesheet'] | //script") == []  # no external resources


def test_title_is_the_only_h1_and_markdown_headings_shift_down():
    root = page()
    assert [h.text_content() for h in root.iter("h1")] == [META.title]
    h2 = [h.text_content() for h in root.xpath("//main/h2")]
    assert h2 == ["1 Who we are", "2 Signatures"]
    assert [h.text_content() for h in root.iter("h3")] == ["1.1 What we collect", "1.2 What we collect"]


def test_headings_have_unique_ids_and_the_toc_links_to_them():
    root = page()
    ids = [h.get("id") for h in root.xpath("//main/h2 | //main/h3")]
    assert ids == ["who-we-are", "what-we-collect", "what-we-collect-2", "signatures"]
    toc = root.find(".//nav")
    assert toc.get("aria-labelledby") == "contents"
    hrefs = [a.get("href") for a in toc.iter("a")]
    assert hrefs == [f"#{i}" for i in ids]
    nested = toc.xpath("ol/li[1]/ol/li/a")
    assert [a.get("href") for a in nested] == ["#what-we-collect", "#what-we-collect-2"]


def test_unnumbered_headings_show_no_numbers():
    root = page(meta=replace(META, numbered_headings=False))
    assert [h.text_content() for h in root.xpath("//main/h2")] == ["Who we are", "Signatures"]
    assert not root.xpath("//*[@class='num']")


def test_table_header_cells_have_column_scope():
    root = page()
    headers = root.xpath("//th")
    assert headers and all(th.get("scope") == "col" for th in headers)
    assert root.xpath("//td[@scope]") == []


def test_containers():
    root = page()
    note = root.xpath("//div[@role='note']")
    assert [n.text_content().strip() for n in note] == ["You can ask for a copy of your information."]
    assert root.xpath("//div[@class='signatures']//table/thead/tr/th/text()") == ["Agency", "Signature", "Date"]
    assert root.xpath("//div[@class='form']//table/tbody/tr/td[1]/text()") == ["Name"]
    assert "pagebreak" not in render_html(SAMPLE, META)


def test_footer_has_version_and_issue_date():
    footer = page().find(".//footer").text_content()
    assert "Version 2.1" in footer and "Issued 1 April 2026" in footer and "WSCP-PN-EH" in footer


def test_script_in_data_is_escaped_everywhere():
    evil = '<script>alert("x")</script>'
    meta = replace(META, title=evil, author=evil, subject=evil, reference=evil)
    markdown = f"# {md_escape(evil)}\n\n{md_escape(evil)}\n\n{evil}\n\n| a |\n| - |\n| {md_escape(evil)} |\n"
    html = render_html(markdown, meta)
    assert "<script" not in html
    root = lxml.html.document_fromstring(html)
    assert root.findtext("head/title") == evil
    assert root.xpath("//td/text()") == [evil]
    assert evil in root.xpath("//p/text()")


def test_javascript_links_are_not_links():
    root = page("[click](javascript:alert(1))")
    assert not [a for a in root.iter("a") if (a.get("href") or "").startswith("javascript")]


@pytest.mark.parametrize("value", ["A | B *C* # {{x}}", "<b>not html</b> & [x](y) \\ `z` _u_"])
def test_escaped_data_prints_literally(value):
    escaped = md_escape(value)
    root = page(f"{escaped}\n\n| Field | Value |\n| --- | --- |\n| {escaped} | {escaped} |\n")
    assert root.xpath("//main/p")[0].text_content() == value
    assert [td.text_content() for td in root.xpath("//td")] == [value, value]


def test_same_input_gives_same_page():
    assert render_html(SAMPLE, META) == render_html(SAMPLE, META)


def test_unknown_container_is_an_error():
    with pytest.raises(ValueError, match="unknown container"):
        render_html("::: warning\nx\n:::", META)


# --- the page shell (page.html.j2) ---------------------------------------------------------------------------

SHELL = """<!DOCTYPE html>
<html lang="{{ language }}">
<head><meta charset="utf-8"><title>{{ title }} - Westshire</title><style>{{ css }}</style></head>
<body>
<header class="site"><img src="logo.png" alt="Westshire Council"></header>
<main id="main"><h1 id="document-title">{{ title }}</h1>
{{ body }}</main>
<footer>{{ footer|join(" / ") }}</footer>
</body>
</html>
"""


def test_an_areas_own_shell_frames_the_document():
    root = lxml.html.document_fromstring(render_html(SAMPLE, META, shell=SHELL))
    assert root.findtext("head/title") == f"{META.title} - Westshire"
    assert root.find(".//header[@class='site']/img").get("alt") == "Westshire Council"
    assert [h.text_content() for h in root.xpath("//main/h2")] == ["1 Who we are", "2 Signatures"]
    assert root.find(".//footer").text_content() == "WSCP-PN-EH / Version 2.1 / Issued 1 April 2026 / " + META.author
    assert "overflow-wrap: anywhere" in root.findtext("head/style")


def test_a_shell_escapes_every_value():
    evil = '<script>alert("x")</script>'
    html = render_html("Text.", replace(META, title=evil, author=evil), shell=SHELL)
    assert "<script" not in html
    assert lxml.html.document_fromstring(html).findtext("head/title") == f"{evil} - Westshire"


@pytest.mark.parametrize(("shell", "message"), [
    ("<p>{{ title </p>", r"page\.html\.j2 line 1: "),
    ("<p>\n{{ titel }}</p>", r"page\.html\.j2 line 2: 'titel' is undefined"),
    ("{{ title.__class__.__mro__ }}", r"page\.html\.j2.*unsafe"),
    ("{% for c in ''.__class__.__subclasses__() %}{{ c }}{% endfor %}", "unsafe"),
])
def test_a_broken_or_unsafe_shell_is_a_value_error(shell, message):
    with pytest.raises(ValueError, match=message):
        render_html("Text.", META, shell=shell)


def test_the_bundled_shell_is_the_template_file():
    from protocolgen.write.html import PAGE_TEMPLATE

    source = PAGE_TEMPLATE.read_text(encoding="utf-8")
    assert render_html(SAMPLE, META, shell=source) == render_html(SAMPLE, META)


def test_marking_and_status_label_head_the_page_and_the_marking_ends_it():
    root = page(meta=replace(META, marking="OFFICIAL", status_label="DRAFT"))
    header = root.find(".//header[@class='page-header']")
    assert [p.text_content() for p in header.iter("p")] == ["OFFICIAL", "DRAFT"]
    assert root.find(".//footer").xpath("p[@class='marking']/text()") == ["OFFICIAL"]
    plain = page()
    assert plain.find(".//header") is None and not plain.xpath("//*[@class='marking']")


# --- structure: headings, tables, print ------------------------------------------------------------------------


def heading_levels(root: lxml.html.HtmlElement) -> list[int]:
    return [int(h.tag[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")
            if h.get("id") != "contents"]


def test_no_heading_level_is_skipped():
    root = page("## Starts at level two\n\n#### Jumps to four\n\n# One\n\n### Three\n")
    levels = heading_levels(root)
    assert levels == [1, 2, 3, 2, 3]


@pytest.mark.parametrize("markdown", [SAMPLE, "### Only deep headings\n\n#### Deeper\n"])
def test_the_title_is_the_one_h1_and_sections_are_h2(markdown):
    root = page(markdown)
    levels = heading_levels(root)
    assert levels.count(1) == 1 and levels[0] == 1 and levels[1] == 2


def test_tables_scroll_in_their_own_labelled_focusable_region():
    root = page()
    regions = root.xpath("//div[@class='table-scroll']")
    assert len(regions) == len(root.xpath("//table")) == 2
    for region in regions:
        assert region.get("role") == "region" and region.get("tabindex") == "0"
        assert region[0].tag == "table"
    assert regions[0].get("aria-label") == "Table: Agency, Signature, Date"


def test_the_paragraph_leading_into_a_table_is_kept_with_it():
    root = page("Table 1 lists the parties.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\nAfter.\n")
    assert root.xpath("//p[@class='lead-in']/text()") == ["Table 1 lists the parties."]
    assert root.xpath("//main//p[not(@class)]/text()") == ["After."]


def test_the_stylesheet_wraps_long_words_and_keeps_things_together_in_print():
    from protocolgen.write.html import CSS

    assert "overflow-wrap: anywhere" in CSS
    print_rules = CSS[CSS.index("@media print"):]
    assert re.search(r"h2, h3, h4, h5, \.lead-in \{ break-after: avoid; \}", print_rules)
    assert re.search(r"tr, \.note, \.flowchart svg \{ break-inside: avoid; \}", print_rules)


def test_pages_are_valid_html5():
    html5lib = pytest.importorskip("html5lib")
    flowchart = ("::: flowchart T\n| Step | Box | Yes | No |\n|---|---|---|---|\n| 1 | Q? | 2 | 3 |\n"
                 "| 2 | Yes box | | |\n| 3 | No box | | |\n:::\n")
    for markdown, meta in ((SAMPLE, META), (SAMPLE + flowchart, replace(META, marking="OFFICIAL", status_label="DRAFT")),
                           ("::: lang cy\nHelo.\n:::\n", META)):
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(render_html(markdown, meta))  # raises on any parse error
        assert not parser.errors
