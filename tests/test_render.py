"""Rendering templates to Markdown: profile text stays data, mistakes name their template and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from protocolgen.errors import TemplateProblem
from protocolgen.render import MdSafe, Renderer, join_and, link, md_escape

PARSER = MarkdownIt("commonmark").enable("table")


def _inline_text(markdown: str) -> list[str]:
    """The plain text of every inline run, as a reader would see it."""
    out = []
    for token in PARSER.parse(markdown):
        if token.type == "inline":
            out.append("".join(child.content for child in token.children or [] if child.type in ("text", "code_inline")))
    return out


# Profile text as validation leaves it (stripped at both ends), with line breaks as a literal block has them.
printable = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t\x85"),
                    min_size=1, max_size=80).map(str.strip).filter(bool)


def as_written(value: str, line_break: str = "\u2028") -> str:
    """What a reader should see: each line as written (a run of plain spaces or tabs reads as one space), each
    line break kept, a paragraph separator as an empty line; no-break and other spaces exactly as typed."""
    lines = [re.sub("[ \t]+", " ", line).strip(" \t")
             for line in re.split("\r\n|[\n\r\x85\u2028]", value.replace("\u2029", "\n\n"))]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return line_break.join(lines)


@settings(max_examples=300, deadline=None)
@given(printable)
def test_escaped_text_renders_as_written_in_a_paragraph(value: str) -> None:
    expected = as_written(value)
    assert _inline_text(f"Name: {md_escape(value)}\n") == [f"Name: {expected}"]


@settings(max_examples=300, deadline=None)
@given(printable)
def test_escaped_text_renders_as_written_in_a_table_cell(value: str) -> None:
    expected = as_written(value)
    table = f"| Agency | Role |\n|---|---|\n| {md_escape(value)} | chair |\n"
    assert _inline_text(table)[2:] == [expected, "chair"]


@settings(max_examples=200, deadline=None)
@given(printable)
def test_escaped_text_at_the_start_of_a_line_opens_no_block(value: str) -> None:
    expected = as_written(value)
    tokens = PARSER.parse(md_escape(value) + "\n")
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert _inline_text(md_escape(value)) == [expected]


def test_the_issue_example_prints_exactly() -> None:
    assert _inline_text(md_escape("A | B *C* # {{x}}")) == ["A | B *C* # {{x}}"]


def test_links_and_lists_are_built_by_the_template_not_the_data() -> None:
    assert _inline_text(link("Act *1998*", "https://example.org/a b")) == ["Act *1998*"]
    assert "https://example.org/a%20b" in link("x", "https://example.org/a b")
    assert join_and(["a*", "b", "c"]) == "a\\*, b and c"
    assert join_and([MdSafe("**x**")]) == "**x**"


def _renderer_with(tmp_path: Path, name: str, source: str) -> Renderer:
    (tmp_path / name).write_text(source, encoding="utf-8")
    return Renderer(tmp_path)


def test_values_are_escaped_automatically(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "t.md.j2", "# {{ name }}\n\n{{ safe }}\n")
    out = renderer.render("t.md.j2", {"name": "A | B *C* # {{x}}", "safe": MdSafe("**bold**")})
    assert out == "# A \\| B \\*C\\* \\# \\{\\{x\\}\\}\n\n**bold**\n"


def test_undefined_value_names_template_and_line(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "t.md.j2", "line one\n\n{{ agency.nmae }}\n")
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:3"):
        renderer.render("t.md.j2", {"agency": {"name": "x"}})


def test_none_is_never_printed_as_a_blank(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "t.md.j2", "a\n{{ value }}\n")
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:2: .*empty"):
        renderer.render("t.md.j2", {"value": None})


def test_syntax_error_in_a_user_template_names_file_and_line(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "protocol.md.j2", "ok\n{% if x %}\nno end\n")
    with pytest.raises(TemplateProblem, match=r"protocol\.md\.j2:\d+: template syntax error"):
        renderer.render("protocol.md.j2", {"x": True})


def test_user_templates_override_by_name_and_fall_back_to_bundled(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "consent-form.md.j2", "Our own form for {{ who }}\n")
    assert renderer.render("consent-form.md.j2", {"who": "you"}) == "Our own form for you\n"
    bundled = Renderer().env.loader.get_source(Renderer().env, "protocol.md.j2")[0]  # type: ignore[union-attr]
    assert renderer.env.loader.get_source(renderer.env, "protocol.md.j2")[0] == bundled  # type: ignore[union-attr]


def test_user_templates_run_in_the_sandbox(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "t.md.j2", "{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:1: '__class__' of text cannot be used in a template"):
        renderer.render("t.md.j2", {})


def test_fingerprint_changes_with_the_template(tmp_path: Path) -> None:
    renderer = _renderer_with(tmp_path, "protocol.md.j2", "one\n")
    first = renderer.fingerprint("protocol.md.j2")
    (tmp_path / "protocol.md.j2").write_text("two\n", encoding="utf-8")
    assert Renderer(tmp_path).fingerprint("protocol.md.j2") != first
