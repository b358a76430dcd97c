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
    assert root.xpath("//div[@class='signatures']/table/thead/tr/th/text()") == ["Agency", "Signature", "Date"]
    assert root.xpath("//div[@class='form']/table/tbody/tr/td[1]/text()") == ["Name"]
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
