"""Markdown to a standalone, accessible HTML page (for publishing a protocol or notice on a web site).

The page has ``lang``, a ``<title>``, the document title as the only ``<h1>``, markdown headings one level
down (``#`` is ``<h2>``) with ids from unique slugs of their text, table header cells with ``scope="col"``,
and a small embedded stylesheet (no external resources). Raw HTML in the markdown is disabled, so data can
never inject markup: ``<script>`` in a value prints as text.

Containers: ``toc`` becomes a ``<nav>`` of links to the headings; ``pagebreak`` produces nothing; ``note``
becomes ``<div class="note" role="note">``; ``signatures`` and ``form`` wrap their tables in a ``<div>`` whose
CSS leaves room to write (a page is for reading: ☐ stays a glyph, form tables stay tables); ``lang cy``
becomes ``<div lang="cy">``. A heading given an id (``{#some-id}``) has that id.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from protocolgen.write import markdown as mdx

if TYPE_CHECKING:
    from protocolgen.write import DocMeta

__all__ = ["CSS", "render_html"]

# Ids the page itself uses; heading slugs never take them.
_RESERVED_IDS = mdx.RESERVED_IDS

CSS = """\
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 1rem/1.55 Arial, "Liberation Sans", Helvetica, sans-serif; }
main, .page-footer { max-width: 50rem; margin: 0 auto; padding: 0 1.25rem; }
h1, h2, h3, h4 { color: #1f3864; line-height: 1.25; font-weight: bold; }
h1 { font-size: 2rem; margin: 2rem 0 1.5rem; padding-bottom: .5rem; border-bottom: 3px solid #1f3864; }
h2 { font-size: 1.5rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h4 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
.num { display: inline-block; min-width: 2.75em; }
a { color: #0563c1; text-decoration: underline; }
a:focus-visible { outline: 3px solid #1f3864; outline-offset: 2px; }
.toc { margin: 1.5rem 0 2rem; }
.toc ol { list-style: none; margin: 0; padding-left: 0; }
.toc ol ol { padding-left: 1.75rem; }
.toc li { margin: .2rem 0; }
.toc a { text-decoration: none; } .toc a .text { text-decoration: underline; }
.note { margin: 1rem 0; padding: .75rem 1rem; background: #eef3fa;
  border: 1px solid #2f5496; border-left: 6px solid #2f5496; }
.note > :first-child { margin-top: 0; } .note > :last-child { margin-bottom: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .95rem; }
th, td { border: 1px solid #a6a6a6; padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #d9e2f3; border-bottom: 2px solid #1f3864; }
.signatures tbody td { height: 3.5rem; }
.form tbody td { height: 2.75rem; }
.page-footer { margin-top: 3rem; padding-top: .75rem; padding-bottom: 2rem; border-top: 1px solid #a6a6a6;
  color: #4d4d4d; font-size: .9rem; }
@media print {
  body { font-size: 11pt; }
  a { color: inherit; }
  thead { display: table-header-group; }
  tr, .note { break-inside: avoid; }
}
"""


def render_html(markdown: str, meta: DocMeta) -> str:
    """A complete HTML page for ``markdown`` (see :mod:`protocolgen.write.markdown`).

    Raises ``ValueError`` for an unknown ``:::`` container or a misused one, like the Word writer.
    """
    tokens = mdx.parse(markdown)
    headings = mdx.outline(tokens, reserved_slugs=_RESERVED_IDS)
    _annotate(tokens, headings)
    env: dict[str, Any] = {"headings": headings, "numbered": meta.numbered_headings}
    body = _RENDERER.render(tokens, mdx.PARSER_OPTIONS, env)

    e = escape
    head_meta = [f'<meta name="author" content="{e(meta.author)}">']
    if meta.subject:
        head_meta.append(f'<meta name="description" content="{e(meta.subject)}">')
    if meta.keywords:
        head_meta.append(f'<meta name="keywords" content="{e(", ".join(meta.keywords))}">')
    footer = [f"{e(meta.label('Version'))} {e(meta.version)}", f"{e(meta.label('Issued'))} {e(meta.issue_date_text)}"]
    if meta.reference:
        footer.insert(0, e(meta.reference))
    footer.append(e(meta.author))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{e(meta.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(meta.title)}</title>\n" + "\n".join(head_meta) + "\n"
        f"<style>\n{CSS}</style>\n</head>\n<body>\n"
        f'<main id="main">\n<h1 id="document-title">{e(meta.title)}</h1>\n{body}</main>\n'
        f'<footer class="page-footer">\n<p>{" | ".join(footer)}</p>\n</footer>\n'
        "</body>\n</html>\n"
    )


def _annotate(tokens: Sequence[Token], headings: Sequence[mdx.Heading]) -> None:
    """Attach each heading's outline entry and each container's name to its open and close tokens."""
    heading_index = 0
    open_containers: list[str] = []
    for token in tokens:
        if token.type == "heading_open":
            token.meta["heading"] = headings[heading_index]
            heading_index += 1
        elif token.type == "heading_close":
            token.meta["heading"] = headings[heading_index - 1]
        elif token.type == mdx.CONTAINER_OPEN:
            name = mdx.container_name(token)
            token.meta["name"] = name
            open_containers.append(name)
        elif token.type == mdx.CONTAINER_CLOSE:
            token.meta["name"] = open_containers.pop()


def _heading_tag(heading: mdx.Heading) -> str:
    return f"h{heading.level + 1}"  # the page title is the only h1


def _heading_open(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    heading: mdx.Heading = tokens[idx].meta["heading"]
    number = f'<span class="num">{heading.number}</span> ' if env["numbered"] else ""
    return f'<{_heading_tag(heading)} id="{heading.slug}">{number}'


def _heading_close(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return f"</{_heading_tag(tokens[idx].meta['heading'])}>\n"


def _th_open(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    tokens[idx].attrSet("scope", "col")
    return _RENDERER.renderToken(tokens, idx, options, env)


def _container_open(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    name = tokens[idx].meta["name"]
    if name in ("toc", "pagebreak"):
        if tokens[idx + 1].type != mdx.CONTAINER_CLOSE:
            lines = tokens[idx].map
            assert lines is not None  # block tokens always carry their source lines
            raise ValueError(f"'::: {name}' on line {lines[0] + 1} must be empty")
        return _toc(env["headings"], env["numbered"]) if name == "toc" else ""
    if name == "note":
        return '<div class="note" role="note">\n'
    if name == "lang":
        return f'<div lang="{escape(mdx.container_argument(tokens[idx]))}">\n'
    return f'<div class="{name}">\n'


def _container_close(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return "" if tokens[idx].meta["name"] in ("toc", "pagebreak") else "</div>\n"


def _toc(headings: Sequence[mdx.Heading], numbered: bool) -> str:
    """Nested ordered lists of links to the headings."""
    out = ['<nav class="toc" aria-labelledby="contents">\n<h2 id="contents">Contents</h2>\n']
    open_levels: list[int] = []  # level of each open <ol>
    for heading in headings:
        if not open_levels or heading.level > open_levels[-1]:
            out.append("<ol>\n")  # the first list, or a list nested in the open item
            open_levels.append(heading.level)
        else:
            out.append("</li>\n")
            while len(open_levels) > 1 and heading.level < open_levels[-1]:
                out.append("</ol>\n</li>\n")
                open_levels.pop()
        number = f'<span class="num">{heading.number}</span> ' if numbered else ""
        out.append(f'<li><a href="#{heading.slug}">{number}<span class="text">{escape(heading.text)}</span></a>')
    if open_levels:
        out.append("</li>\n")
    while open_levels:
        out.append("</ol>\n")
        open_levels.pop()
        if open_levels:
            out.append("</li>\n")
    out.append("</nav>\n")
    return "".join(out)


def _make_renderer() -> RendererHTML:
    renderer = RendererHTML()
    # markdown-it-py infers ``rules`` as dict[str, MethodType] from its own bound methods, but the renderer
    # calls each rule as rule(tokens, idx, options, env), so plain functions are what it documents and takes.
    rules: dict[str, Any] = renderer.rules
    rules["heading_open"] = _heading_open
    rules["heading_close"] = _heading_close
    rules["th_open"] = _th_open
    rules[mdx.CONTAINER_OPEN] = _container_open
    rules[mdx.CONTAINER_CLOSE] = _container_close
    return renderer


_RENDERER = _make_renderer()
