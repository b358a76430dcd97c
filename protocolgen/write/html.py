"""Markdown to a standalone, accessible HTML page (for publishing a protocol or notice on a web site).

The page shell is a Jinja2 template, ``protocolgen/templates/page.html.j2``, rendered in Jinja2's sandbox with
autoescaping; an area may give its own (``render_html(..., shell=source)``, from its ``--templates`` folder)
for its header, logo and colours. A shell that does not parse, or uses an undefined value, is a
``ValueError`` naming ``page.html.j2`` and the line.

The page has ``lang``, a ``<title>``, the document title as the only ``<h1>``, markdown headings below it with
no level skipped (``#`` is ``<h2>``; a heading never sits more than one level below the one before it), ids
from unique slugs of their text (or the id a ``{#some-id}`` line gave), table header cells with
``scope="col"``, and a small embedded stylesheet (no external resources). Raw HTML in the markdown is
disabled, so data can never inject markup: ``<script>`` in a value prints as text.

It reads on a 320 px screen without sideways scrolling: long words, e-mail addresses and links wrap
(``overflow-wrap: anywhere``), and each table sits in its own focusable, labelled region that scrolls
sideways if the table is wider than the screen. In print, a heading stays with what follows it and a table
with the paragraph that introduces it (``break-after: avoid``), and rows, notes and charts are not split.

Containers: ``toc`` becomes a ``<nav>`` of links to the headings; ``pagebreak`` produces nothing; ``note``
becomes ``<div class="note" role="note">``; ``signatures`` and ``form`` wrap their tables in a ``<div>`` whose
CSS leaves room to write (a page is for reading: ☐ stays a glyph, form tables stay tables); ``lang cy``
becomes ``<div lang="cy">``; ``flowchart`` an inline SVG followed by its table as the text version.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup

from protocolgen.write import flowchart
from protocolgen.write import markdown as mdx

if TYPE_CHECKING:
    from protocolgen.write import DocMeta

__all__ = ["CSS", "PAGE_TEMPLATE", "render_html"]

PAGE_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "page.html.j2"

# Ids the page itself uses; heading slugs never take them.
_RESERVED_IDS = mdx.RESERVED_IDS

CSS = """\
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1a1a1a; overflow-wrap: anywhere;
  font: 1rem/1.55 Arial, "Liberation Sans", Helvetica, sans-serif; }
main, .page-header, .page-footer { max-width: 50rem; margin: 0 auto; padding: 0 1.25rem; }
h1, h2, h3, h4, h5 { color: #1f3864; line-height: 1.25; font-weight: bold; }
h1 { font-size: 2rem; margin: 2rem 0 1.5rem; padding-bottom: .5rem; border-bottom: 3px solid #1f3864; }
h2 { font-size: 1.5rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h4, h5 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
.num { display: inline-block; min-width: 2.75em; }
a { color: #0563c1; text-decoration: underline; }
a:focus-visible, .table-scroll:focus-visible { outline: 3px solid #1f3864; outline-offset: 2px; }
.toc { margin: 1.5rem 0 2rem; }
.toc ol { list-style: none; margin: 0; padding-left: 0; }
.toc ol ol { padding-left: 1.75rem; }
.toc li { margin: .2rem 0; }
.toc a { text-decoration: none; } .toc a .text { text-decoration: underline; }
.note { margin: 1rem 0; padding: .75rem 1rem; background: #eef3fa;
  border: 1px solid #2f5496; border-left: 6px solid #2f5496; }
.note > :first-child { margin-top: 0; } .note > :last-child { margin-bottom: 0; }
.table-scroll { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { border: 1px solid #a6a6a6; padding: .35rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
thead th { background: #d9e2f3; border-bottom: 2px solid #1f3864; }
pre { overflow-x: auto; }
.signatures tbody td { height: 3.5rem; }
.form tbody td { height: 2.75rem; }
.flowchart svg { display: block; max-width: 100%; height: auto; margin: 1rem 0; }
.marking { margin: .75rem 0; text-align: center; font-weight: bold; letter-spacing: .05em; }
.status { margin: .5rem 0; padding: .25rem; text-align: center; font-weight: bold; font-size: 1.25rem;
  border: 2px solid #1a1a1a; }
.page-footer { margin-top: 3rem; padding-top: .75rem; padding-bottom: 2rem; border-top: 1px solid #a6a6a6;
  color: #4d4d4d; font-size: .9rem; }
@media print {
  body { font-size: 11pt; }
  a { color: inherit; }
  thead { display: table-header-group; }
  h2, h3, h4, h5, .lead-in { break-after: avoid; }
  tr, .note, .flowchart svg { break-inside: avoid; }
  .table-scroll { overflow: visible; }
}
"""


def render_html(markdown: str, meta: DocMeta, shell: str | None = None, tokens: list[Token] | None = None) -> str:
    """A complete HTML page for ``markdown`` (see :mod:`protocolgen.write.markdown`).

    ``shell`` is the source of a page template to use instead of the bundled ``page.html.j2`` (see that file
    for what it is given). ``tokens``: ``markdown`` already parsed by ``markdown.parse``, to save parsing it
    again; the page writer annotates them, so pass them last (after the Word writer and the coverage check).
    Raises ``ValueError`` for an unknown ``:::`` container or a misused one, like the Word writer, and for a
    shell that does not parse or uses an undefined value.
    """
    tokens = mdx.parse(markdown) if tokens is None else tokens
    headings = mdx.outline(tokens, reserved_slugs=_RESERVED_IDS)
    _annotate(tokens, headings)
    env: dict[str, Any] = {"headings": headings, "numbered": meta.numbered_headings}
    body = _RENDERER.render(tokens, mdx.PARSER_OPTIONS, env)
    # the shell escapes every value (autoescape): the words are the document's language (DocMeta.labels)
    footer = [f"{meta.label('Version')} {meta.version}", f"{meta.label('Dated' if meta.status_label else 'Issued')} {meta.issue_date_text}", meta.author]
    if meta.reference:
        footer.insert(0, meta.reference)
    template = _bundled_shell() if shell is None else _compile(shell)
    context = {
        "title": meta.title, "subject": meta.subject, "author": meta.author, "language": meta.language,
        "keywords": list(meta.keywords), "version": meta.version, "issue_date_text": meta.issue_date_text,
        "reference": meta.reference, "marking": meta.marking, "status_label": meta.status_label,
        "footer": footer, "css": Markup(CSS), "body": Markup(body),  # ours: already HTML
    }
    try:
        return template.render(context)
    except (jinja2.UndefinedError, jinja2.TemplateRuntimeError, jinja2.exceptions.SecurityError) as exc:
        raise ValueError(f"page.html.j2{_template_line(exc)}: {exc}") from None


_SHELL_ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                           lstrip_blocks=True, keep_trailing_newline=True)


@functools.lru_cache(maxsize=16)
def _compile(source: str) -> jinja2.Template:
    try:
        return _SHELL_ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"page.html.j2 line {exc.lineno}: {exc.message}") from None


@functools.cache
def _bundled_shell() -> jinja2.Template:
    return _compile(PAGE_TEMPLATE.read_text(encoding="utf-8"))


def _template_line(exc: Exception) -> str:
    """`` line N`` of the shell where a render error happened, from the traceback Jinja2 rewrites."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" line {line}" if line else ""


def _annotate(tokens: Sequence[Token], headings: Sequence[mdx.Heading]) -> None:
    """Attach each heading's outline entry and HTML level, each container's name, and each table's label
    to their tokens; mark the paragraph that leads into a table."""
    heading_index = 0
    open_containers: list[str] = []
    html_level = 1  # the page title's h1
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = headings[heading_index]
            # one level below the markdown's (the title is h1), never more than one below the heading before
            html_level = min(heading.level + 1, html_level + 1)
            token.meta["heading"], token.meta["level"] = heading, html_level
            heading_index += 1
        elif token.type == "heading_close":
            token.meta["heading"], token.meta["level"] = headings[heading_index - 1], html_level
        elif token.type == "paragraph_open" and index + 3 < len(tokens) and tokens[index + 3].type == "table_open":
            token.attrSet("class", "lead-in")  # kept with its table in print
        elif token.type == "table_open":
            header: list[str] = []
            for inner in tokens[index + 1:]:
                if inner.type == "thead_close":
                    break
                if inner.type == "inline":
                    header.append(mdx.inline_text(inner).strip())
            token.meta["label"] = "Table: " + ", ".join(h for h in header if h) if any(header) else "Table"
        elif token.type == mdx.CONTAINER_OPEN:
            name = mdx.container_name(token)
            token.meta["name"] = name
            open_containers.append(name)
        elif token.type == mdx.CONTAINER_CLOSE:
            token.meta["name"] = open_containers.pop()


def _heading_open(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    heading: mdx.Heading = tokens[idx].meta["heading"]
    number = f'<span class="num">{heading.number}</span> ' if env["numbered"] else ""
    return f'<h{tokens[idx].meta["level"]} id="{heading.slug}">{number}'


def _heading_close(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return f"</h{tokens[idx].meta['level']}>\n"


def _table_open(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    # a focusable, labelled region, so a table wider than a phone's screen scrolls on its own
    label = escape(tokens[idx].meta["label"])
    return f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">\n<table>\n'


def _table_close(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return "</table>\n</div>\n"


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
    if name == "flowchart":
        chart, _ = flowchart.read_flowchart(tokens, idx)
        env["flowcharts"] = number = env.get("flowcharts", 0) + 1
        # the chart, then its table (rendered next, as usual) as the text version
        return '<div class="flowchart">\n' + _svg(chart, number)
    return f'<div class="{name}">\n'


def _container_close(tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    return "" if tokens[idx].meta["name"] in ("toc", "pagebreak") else "</div>\n"


_EMU_PER_PX = 9525  # 96 pixels an inch
_SVG_WIDTH = 16 * flowchart.CM  # the Word page's text width: the same picture, scaled to the screen
_FONTS = "Arial, 'Liberation Sans', Helvetica, sans-serif"


def _px(value: int) -> str:
    return f"{value / _EMU_PER_PX:.1f}".removesuffix(".0")


def _svg(chart: flowchart.Flowchart, number: int) -> str:
    """The chart as an inline SVG: ``role="img"`` with its title, and the chart in words as ``<desc>``; 2 px
    of margin round the frame keep the outermost strokes in view."""
    shape = flowchart.layout(chart, _SVG_WIDTH, 10**12)  # a page scrolls: no height limit
    px = _px
    ident = f"flowchart-{number}"
    font = shape.font_size * 4 / 3  # points to CSS pixels
    line = shape.line_height
    navy = "#1f3864"
    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="-2 -2 {px(shape.width + 4 * _EMU_PER_PX)} {px(shape.height + 4 * _EMU_PER_PX)}" '
        f'width="{px(shape.width + 4 * _EMU_PER_PX)}" height="{px(shape.height + 4 * _EMU_PER_PX)}" '
        f'font-family="{_FONTS}" font-size="{font:.1f}">\n'),
        f'<title id="{ident}-title">{escape(chart.title)}</title>\n',
        f'<desc id="{ident}-desc">{escape(chart.description())}</desc>\n',
        (f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{navy}"/></marker></defs>\n'),
    ]
    for arrow in shape.arrows:
        out.append(f'<line x1="{px(arrow.x1)}" y1="{px(arrow.y1)}" x2="{px(arrow.x2)}" y2="{px(arrow.y2)}" '
                   f'stroke="{navy}" stroke-width="1.3" marker-end="url(#{ident}-arrow)"/>\n')
        cx, cy = arrow.label_x + arrow.label_w // 2, arrow.label_y + arrow.label_h // 2
        out.append(f'<text x="{px(cx)}" y="{px(cy)}" text-anchor="middle" dominant-baseline="central" '
                   f'font-weight="bold">{arrow.label}</text>\n')
    for box in shape.boxes:
        x, y, w, h = box.x, box.y, box.w, box.h
        if box.kind == "decision":
            points = (f"{px(x + w // 2)},{px(y)} {px(x + w)},{px(y + h // 2)} {px(x + w // 2)},{px(y + h)} "
                      f"{px(x)},{px(y + h // 2)}")
            out.append(f'<polygon points="{points}" fill="#d9e2f3" stroke="{navy}" stroke-width="1.3"/>\n')
        else:
            out.append(f'<rect x="{px(x)}" y="{px(y)}" width="{px(w)}" height="{px(h)}" rx="6" fill="#fff" '
                       f'stroke="{navy}" stroke-width="2"/>\n')
        first = y + h // 2 - (len(box.lines) - 1) * line // 2
        spans = "".join(f'<tspan x="{px(x + w // 2)}" y="{px(first + n * line)}">{escape(text)}</tspan>'
                        for n, text in enumerate(box.lines))
        out.append(f'<text text-anchor="middle" dominant-baseline="central">{spans}</text>\n')
    out.append("</svg>\n")
    return "".join(out)


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
    rules["table_open"] = _table_open
    rules["table_close"] = _table_close
    rules[mdx.CONTAINER_OPEN] = _container_open
    rules[mdx.CONTAINER_CLOSE] = _container_close
    return renderer


_RENDERER = _make_renderer()
