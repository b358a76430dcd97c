"""The markdown dialect shared by the Word and HTML writers.

CommonMark plus GFM pipe tables, parsed by markdown-it-py with raw HTML disabled (so user data can never
inject markup), plus fenced containers from ``mdit_py_plugins.container``::

    ::: toc          (empty: a table of contents of the document's headings)
    ::: pagebreak    (empty: start a new page; nothing in HTML)
    ::: note         (a boxed note)
    ::: signatures   (holds a table whose rows are tall enough to sign in)
    ::: form         (a fill-in form: tall empty cells, and in Word check boxes for ☐ and text boxes)
    ::: lang cy      (text in another language, by its BCP 47 tag)
    ::: flowchart Deciding whether to share
                     (holds one table | Step | Box | Yes | No |, drawn as a flowchart)
    :::

Every ``:::`` fence is parsed as a container so that a misspelt name is an error (``ValueError``) rather
than text that silently appears in a signed document.

Inline, ``[some words]{lang=en}`` marks words in another language than the text around them (a name
without a Welsh form inside Welsh text): Word gets ``w:lang`` on their runs and HTML a ``<span lang>``. A
span takes exactly one attribute, ``lang``, with a BCP 47 tag; anything else is a ``ValueError``.

An attribute line ``{#some-id}`` directly before a heading (``mdit_py_plugins.attrs``' block syntax) gives the
heading that id: its anchor in HTML and, as ``some_id``, a Word bookmark. Ids start with a letter and hold
letters, digits, ``-`` and ``_`` (40 at most, Word's limit for bookmark names); an attribute line anywhere
else, or with anything but an id, is a ``ValueError``. Profile text can never produce one: templates escape
every value, braces included.

This module also holds what both writers must agree on: the heading outline (levels clamped to 1-3,
numbers ``1``, ``1.1``, ``1.1.1``) and deterministic, unique heading slugs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin

__all__ = [
    "CONTAINER_NAMES",
    "MAX_HEADING_LEVEL",
    "PARSER_OPTIONS",
    "RESERVED_IDS",
    "Heading",
    "container_argument",
    "container_name",
    "inline_text",
    "outline",
    "parse",
    "slugify",
]

CONTAINER_NAMES = frozenset({"toc", "pagebreak", "note", "signatures", "form", "lang", "flowchart"})
_ARGUMENTS = {"lang": "a language tag, e.g. '::: lang cy'", "flowchart": "a title, e.g. '::: flowchart Deciding'"}
"""Containers that take an argument, and what it is."""
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
RESERVED_IDS = ("main", "contents", "document-title")
"""Ids the HTML page itself uses: heading slugs never take them, and a heading may not be given one."""
# attributes markdown-it itself puts on block tokens (an ordered list's start, a cell's alignment)
_CORE_ATTRS = {"ordered_list_open": {"start"}, "th_open": {"style"}, "td_open": {"style"}}
MAX_HEADING_LEVEL = 3
"""Markdown ``####`` and deeper are treated as level 3: the house style numbers three levels."""

_CONTAINER_RULE = "block"
CONTAINER_OPEN = f"container_{_CONTAINER_RULE}_open"
CONTAINER_CLOSE = f"container_{_CONTAINER_RULE}_close"


def _any_container(params: str, markup: str) -> bool:
    # Accept every fence; the name is checked by container_name() so that unknown names raise.
    return True


LINE_SEPARATOR = "\u2028"
"""A line break inside a value (``render.md_escape`` writes one for each line break of profile text): a
hard line break wherever it stands, in a table cell as in a paragraph, where Markdown's own would end the row."""


def _line_separators(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children or LINE_SEPARATOR not in block.content:
            continue
        children: list[Token] = []
        for child in block.children:
            if child.type != "text" or LINE_SEPARATOR not in child.content:
                children.append(child)
                continue
            for index, piece in enumerate(child.content.split(LINE_SEPARATOR)):
                if index:
                    children.append(Token("hardbreak", "br", 0, level=child.level))
                if piece:
                    children.append(Token("text", "", 0, content=piece, level=child.level))
        block.children = children


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.use(attrs_block_plugin)
    # [words]{lang=xx} spans only: attributes after links, images or code stay text
    md.use(attrs_plugin, spans=True, after=("span_close",))
    container_plugin(md, _CONTAINER_RULE, validate=_any_container)
    md.core.ruler.push("line_separators", _line_separators)
    return md


_PARSER = _make_parser()
PARSER_OPTIONS = _PARSER.options


def parse(markdown: str) -> list[Token]:
    """Block tokens of ``markdown`` (inline tokens carry their ``children``).

    Raises ``ValueError`` for a container with an unknown name or a wrong argument, and for an attribute line
    that is not an id before a heading, so a typo fails before anything is written.
    """
    tokens = _PARSER.parse(markdown)
    for token in tokens:
        if token.type == CONTAINER_OPEN:
            container_name(token)
        elif token.attrs:
            _check_attributes(token)
        for child in token.children or ():
            if child.type == "span_open":
                _check_span(child, token)
    return tokens


def _check_span(span: Token, block: Token) -> None:
    lang = span.attrs.get("lang")
    if set(span.attrs) != {"lang"} or not isinstance(lang, str) or not _LANGUAGE_TAG.fullmatch(lang):
        raise ValueError(f"a span [...]{{...}} on line {_line(block)} may only give its words a language, as "
                         "'[some words]{lang=en}'")


def span_language(token: Token) -> str | None:
    """The language a ``span_open`` token gives its words (checked by :func:`parse`)."""
    value = token.attrs.get("lang") if token.attrs else None
    return str(value) if value is not None else None


def _check_attributes(token: Token) -> None:
    allowed = _CORE_ATTRS.get(token.type, set())
    extra = {key: value for key, value in token.attrs.items() if key not in allowed}
    if not extra:
        return
    if token.type != "heading_open" or set(extra) != {"id"}:
        raise ValueError(f"an attribute line on line {_line(token)} may only give a heading its id, "
                         "as '{#some-id}' on the line before the heading")
    value = str(extra["id"])
    if not _ID.fullmatch(value):
        raise ValueError(f"heading id {value!r} on line {_line(token)} must start with a letter and hold only "
                         "letters, digits, '-' and '_', 40 at most")
    if value in RESERVED_IDS:
        raise ValueError(f"heading id {value!r} on line {_line(token)} is reserved by the page")


def container_name(token: Token) -> str:
    """The name of a container-open token, checked against :data:`CONTAINER_NAMES`."""
    words = token.info.split()
    if not words:
        raise ValueError(
            f"a ':::' container on line {_line(token)} has no name; expected one of {_names()}"
        )
    name = words[0].lower()
    if name not in CONTAINER_NAMES:
        raise ValueError(
            f"unknown container '::: {words[0]}' on line {_line(token)}; expected one of {_names()}"
        )
    if name in _ARGUMENTS:
        if len(words) < 2 or (name == "lang" and (len(words) > 2 or not _LANGUAGE_TAG.fullmatch(words[1]))):
            raise ValueError(f"container '::: {name}' on line {_line(token)} needs {_ARGUMENTS[name]}")
    elif len(words) > 1:
        raise ValueError(
            f"container '::: {name}' on line {_line(token)} takes no arguments, got {' '.join(words[1:])!r}"
        )
    return name


def container_argument(token: Token) -> str:
    """The argument of a ``lang`` or ``flowchart`` container-open token (its tag, its title)."""
    return token.info.strip().split(None, 1)[1].strip() if len(token.info.split()) > 1 else ""


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _names() -> str:
    return ", ".join(sorted(CONTAINER_NAMES))


def inline_text(token: Token) -> str:
    """Plain text of an inline token: emphasis and links dropped, breaks as spaces, images as alt text."""
    parts: list[str] = []
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "image":
            parts.append(child.content)
    return "".join(parts)


def heading_level(token: Token) -> int:
    """Level 1-3 of a ``heading_open`` token (deeper markdown headings are clamped to 3)."""
    return min(int(token.tag[1:]), MAX_HEADING_LEVEL)


_SLUG_APOSTROPHE = re.compile(r"['\u2019]")
_SLUG_SEPARATOR = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A lower-case ASCII slug: ``2.1 Who's involved?`` -> ``2-1-whos-involved`` (``section`` if empty)."""
    ascii_text = unicodedata.normalize("NFKD", _SLUG_APOSTROPHE.sub("", text)).encode("ascii", "ignore")
    slug = _SLUG_SEPARATOR.sub("-", ascii_text.decode("ascii").lower()).strip("-")
    return slug or "section"


@dataclass(frozen=True)
class Heading:
    """One heading of the outline, in document order."""

    level: int  # 1-3
    text: str  # plain text
    number: str  # "1", "1.2", "1.2.3"
    slug: str  # unique, deterministic id for anchors: the heading's own id if it was given one
    counters: tuple[int, ...]  # (1, 2) for "1.2"
    explicit: bool = False  # the slug is an id given by an attribute line ({#some-id})


def heading_id(token: Token) -> str | None:
    """The id an attribute line gave a ``heading_open`` token, if any."""
    value = token.attrs.get("id") if token.attrs else None
    return str(value) if value is not None else None


def outline(tokens: Sequence[Token], reserved_slugs: Sequence[str] = ()) -> list[Heading]:
    """The headings of ``tokens`` with their numbers (as Word's multilevel list counts them) and unique slugs.

    A heading given an id (``{#some-id}``) has that id as its slug; the others get slugs of their text that
    avoid every id. A level skipped in the markdown counts as 0 in the number (``1.0.1``), as Word shows it.
    Raises ``ValueError`` for an id given twice, or one the page reserves (``reserved_slugs``).
    """
    headings: list[Heading] = []
    counters = [0] * MAX_HEADING_LEVEL
    reserved = set(reserved_slugs)
    used = set(reserved)
    as_bookmark: dict[str, str] = {}  # Word bookmark names ignore case and have "_" for "-"
    for token in tokens:
        if token.type == "heading_open" and (explicit := heading_id(token)) is not None:
            if explicit in used:
                what = "is reserved by the page" if explicit in reserved else "is given to two headings"
                raise ValueError(f"heading id {explicit!r} on line {_line(token)} {what}")
            name = explicit.replace("-", "_").lower()
            if name in as_bookmark:
                raise ValueError(f"heading ids {as_bookmark[name]!r} and {explicit!r} (line {_line(token)}) would "
                                 "be the same Word bookmark")
            as_bookmark[name] = explicit
            used.add(explicit)
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        level = heading_level(token)
        counters[level - 1] += 1
        for deeper in range(level, MAX_HEADING_LEVEL):
            counters[deeper] = 0
        text = inline_text(tokens[index + 1])
        explicit = heading_id(token)
        if explicit is not None:
            slug = explicit
        else:
            base = slugify(text)
            slug, n = base, 1
            while slug in used:
                n += 1
                slug = f"{base}-{n}"
            used.add(slug)
        number = ".".join(str(c) for c in counters[:level])
        headings.append(
            Heading(level=level, text=text, number=number, slug=slug, counters=tuple(counters[:level]),
                    explicit=explicit is not None)
        )
    return headings
