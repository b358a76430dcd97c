"""The template sandbox: templates read data and nothing else, stay in their folders, and cannot run or grow
without end. Each known way out of a Jinja2 sandbox fails with a clear error naming the template and line,
and has no side effect."""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import pytest
from pydantic import BaseModel

from protocolgen.errors import TemplateProblem
from protocolgen.models import LegislationEntry
from protocolgen.register import read_bundled
from protocolgen.render import Limits, Renderer, link
from protocolgen.resolve import Cited, recording


class Person(BaseModel):
    name: str
    tags: list[str] = []

    @property
    def shout(self) -> str:
        return self.name.upper()

    def rename(self, new: str) -> Person:  # a method: never callable from a template
        return self.model_copy(update={"name": new})


@dataclasses.dataclass(frozen=True)
class Seat:
    role: str
    people: tuple[Person, ...] = ()

    @property
    def chair(self) -> bool:
        return self.role == "chair"


class Pair(NamedTuple):
    left: str
    right: str


SENTINEL = Path(os.environ.get("TMPDIR", "/tmp")) / "protocolgen-sandbox-sentinel"


def _entry() -> LegislationEntry:
    return next(iter(read_bundled().values()))


def _context() -> dict:
    return {
        "person": Person(name="Ada", tags=["a", "b"]),
        "seat": Seat("chair", (Person(name="Bo"),)),
        "pair": Pair("l", "r"),
        "table": MappingProxyType({"k": "v"}),
        "plain": {"k": "v", "items_": 1},
        "when": date(2026, 4, 1),
        "entry": Cited(_entry()),
        "names": ["x", "y"],
    }


def _render(tmp_path: Path, source: str, limits: Limits | None = None, context: dict | None = None,
            name: str = "t.md.j2") -> str:
    (tmp_path / name).write_text(source, encoding="utf-8")
    return Renderer(tmp_path, limits).render(name, _context() if context is None else context)


ESCAPES = [
    # class and MRO walks
    ("mro-walk", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "'__class__' of text"),
    ("mro-item", "{{ ''['__class__'] }}", "'__class__' of text"),
    ("mro-attr-filter", "{{ ''|attr('__class__') }}", "'__class__' of text"),
    ("mro-of-record", "{{ person.__class__.__base__ }}", "'__class__' of a Person record"),
    ("mro-of-list", "{{ names.__class__ }}", "'__class__' of a list"),
    ("mro-of-number", "{{ (1).__class__ }}", "'__class__' of a number"),
    ("mro-of-date", "{{ when.__class__ }}", "'__class__' of a date"),
    ("mro-via-map", "{{ [person]|map(attribute='__class__')|list }}", "'__class__' of a Person record"),
    ("mro-via-sort", "{{ [person]|sort(attribute='__class__') }}", "'__class__' of a Person record"),
    ("mro-via-selectattr", "{{ [person]|selectattr('__class__')|list }}", "'__class__' of a Person record"),
    ("dict-subclass-hook", "{{ plain.__class__.__subclasshook__ }}", "'__class__' of a mapping"),
    # globals of functions and builtins reachable from the template's globals
    ("function-globals", "{{ link.__globals__ }}", "'__globals__' of a function"),
    ("function-globals-item", "{{ link['__globals__'] }}", "'__globals__' of a function"),
    ("cycler-init-globals", "{{ cycler.__init__.__globals__.os }}", "'__init__' of a class"),
    ("joiner-init", "{{ joiner.__init__ }}", "'__init__' of a class"),
    ("namespace-init", "{{ namespace.__init__.__globals__ }}", "'__init__' of a class"),
    ("range-self", "{{ range.__self__ }}", "'__self__' of a function"),
    ("dict-base", "{{ dict.__base__ }}", "'__base__' of a class"),
    ("self-context", "{{ self._TemplateReference__context }}", "'_TemplateReference__context' of a TemplateReference"),
    ("self-init", "{{ self.__init__ }}", "'__init__' of a TemplateReference"),
    ("macro-internals", "{% macro m() %}{% endmacro %}{{ m._environment }}", "'_environment' of a function"),
    ("macro-func-code", "{% macro m() %}{% endmacro %}{{ m._func.__code__ }}", "'_func' of a function"),
    ("loop-internals", "{% for x in names %}{{ loop._iterator }}{% endfor %}", "'_iterator' of a loop"),
    ("lipsum-gone", "{{ lipsum(5) }}", "'lipsum' is undefined"),
    # model parse/load/copy methods and other methods of data objects
    ("model-dump", "{{ person.model_dump() }}", "'model_dump' of a Person record"),
    ("model-validate", "{{ person.model_validate({'name': 'x'}) }}", "'model_validate' of a Person record"),
    ("model-validate-json", "{{ person.model_validate_json('{}') }}", "'model_validate_json' of a Person record"),
    ("model-parse-file", "{{ person.parse_file('/etc/passwd') }}", "'parse_file' of a Person record"),
    ("model-copy", "{{ person.copy(update={'name': 'x'}) }}", "'copy' of a Person record"),
    ("model-copy-new", "{{ person.model_copy(update={'name': 'x'}) }}", "'model_copy' of a Person record"),
    ("model-construct", "{{ person.model_construct(name='x') }}", "'model_construct' of a Person record"),
    ("model-fields", "{{ person.model_fields }}", "'model_fields' of a Person record"),
    ("model-schema", "{{ person.schema_json() }}", "'schema_json' of a Person record"),
    ("model-own-method", "{{ person.rename('x') }}", "'rename' of a Person record"),
    ("model-method-by-item", "{{ person['model_dump'] }}", "'model_dump' of a Person record"),
    ("model-setattr", "{{ person.__setattr__('name', 'x') }}", "'__setattr__' of a Person record"),
    ("dataclass-fields", "{{ seat.__dataclass_fields__ }}", "'__dataclass_fields__' of a Seat record"),
    ("dataclass-replace", "{{ seat.__replace__ }}", "'__replace__' of a Seat record"),
    ("namedtuple-make", "{{ pair._make(['a', 'b']) }}", "'_make' of a Pair record"),
    ("namedtuple-replace", "{{ pair._replace(left='x') }}", "'_replace' of a Pair record"),
    ("proxy-entry", "{{ entry._entry }}", "'_entry' of a register entry record"),
    ("proxy-dump", "{{ entry.model_dump() }}", "'model_dump' of a register entry record"),
    ("proxy-copy", "{{ entry.model_copy() }}", "'model_copy' of a register entry record"),
    ("mapping-mutation", "{{ plain.update({'k': 'w'}) }}", "'update' of a mapping"),
    ("mapping-pop", "{{ plain.pop('k') }}", "'pop' of a mapping"),
    ("list-pop", "{{ names.pop() }}", "'pop' of a list"),
    ("list-clear", "{{ names.clear() }}", "'clear' of a list"),
    ("text-encode", "{{ 'x'.encode('utf-16') }}", "'encode' of text"),
    # format-string attacks
    ("str-format-class", "{{ '{0.__class__.__mro__}'.format(person) }}", "'format' of text"),
    ("str-format-map", "{{ '{p.__init__.__globals__}'.format_map({'p': person}) }}", "'format_map' of text"),
    ("str-format-by-item", "{{ ''['format'] }}", "'format' of text"),
    ("str-format-by-attr", "{{ ''|attr('format') }}", "'format' of text"),
    ("percent-star-width", "{{ '%*d' % (1000000000, 1) }}", r"'\*' width"),
    ("percent-huge-width", "{{ '%999999999s' % 'x' }}", "format width of 999999999"),
    ("format-filter-width", "{{ '%999999999d'|format(1) }}", "format width of 999999999"),
    # calling what is not a macro or helper
    ("call-class", "{{ person.__class__(name='x') }}", "'__class__' of a Person record"),
    ("call-property-result", "{% set f = names.append %}{{ f.__self__ }}", "'__self__' of a function"),
    # include / extends / import of paths outside the template folders
    ("include-parent", "{% include '../secret.md.j2' %}", "'..' and empty folder names are not allowed"),
    ("include-deep-parent", "{% include 'a/../../secret.md.j2' %}", "'..' and empty folder names are not allowed"),
    ("include-absolute", "{% include '/etc/passwd.j2' %}", "give a name inside the template folder"),
    ("include-not-template", "{% include '/etc/passwd' %}", r"only template files \(ending in \.j2\)"),
    ("include-bundled-binary", "{% include 'reference.docx' %}", r"only template files \(ending in \.j2\)"),
    ("include-backslash", "{% include '..\\\\secret.md.j2' %}", "give a name inside the template folder"),
    ("include-drive", "{% include 'C:secret.md.j2' %}", "give a name inside the template folder"),
    ("include-ignore-missing", "{% include '../secret.md.j2' ignore missing %}", "'..' and empty folder names"),
    ("include-list", "{% include ['../secret.md.j2', 't.md.j2'] %}", "'..' and empty folder names"),
    ("extends-parent", "{% extends '../secret.md.j2' %}", "'..' and empty folder names"),
    ("import-parent", "{% import '../secret.md.j2' as s %}", "'..' and empty folder names"),
    ("from-import-parent", "{% from '../secret.md.j2' import x %}", "'..' and empty folder names"),
    ("include-dynamic-name", "{% include '..' ~ '/secret.md.j2' %}", "'..' and empty folder names"),
    # no randomness: the same inputs give the same document
    ("random-filter", "{{ names|random }}", "No filter named 'random'"),
]


@pytest.mark.parametrize(("source", "message"), [pytest.param(s, m, id=i) for i, s, m in ESCAPES])
def test_known_escapes_fail_with_a_clear_template_error(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path.parent / "secret.md.j2").write_text("SECRET\n", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    with pytest.raises(TemplateProblem, match=message) as caught:
        _render(folder, "line one\n" + source + "\n")
    text = str(caught.value)
    assert "t.md.j2" in text and ("t.md.j2:2" in text or "syntax error" in text), text
    assert "SECRET" not in text and "Traceback" not in text


def test_escape_attempts_leave_no_trace(tmp_path: Path) -> None:
    """Refused before anything is read or run: no file appears, the data and the citation record are as
    they were, and nothing the refused template touched was called."""
    SENTINEL.unlink(missing_ok=True)
    context = _context()
    attempts = [
        f"{{{{ cycler.__init__.__globals__.os.system('touch {SENTINEL}') }}}}",
        f"{{{{ person.__class__.__init__.__globals__['os'].system('touch {SENTINEL}') }}}}",
        "{{ person.model_copy(update={'name': 'Mallory'}) }}",
        "{{ entry.model_dump() }}",
        "{{ entry.__getattr__('title') }}",
        "{{ person.tags.__setitem__(0, 'z') }}",
    ]
    for source in attempts:
        with recording() as cited, pytest.raises(TemplateProblem):
            _render(tmp_path, source, context=context)
        assert cited == {}, source  # a refused read of a register entry is not even recorded
    assert not SENTINEL.exists()
    assert context["person"].name == "Ada" and context["person"].tags == ["a", "b"]


def test_lists_read_from_the_data_are_the_templates_own_copies(tmp_path: Path) -> None:
    context = _context()
    source = ("{% set _ = person.tags.append('mine') %}{% set _ = names.append('z') %}"
              "{% set own = [] %}{% set _ = own.append('kept') %}{{ own|join(',') }} {{ person.tags|length }}\n")
    assert _render(tmp_path, source, context=context) == "kept 2\n"
    assert context["person"].tags == ["a", "b"] and context["names"] == ["x", "y"]


def test_data_of_any_data_object_can_be_read(tmp_path: Path) -> None:
    """The rule is by kind of object: fields and own properties of models, dataclasses, named tuples and the
    register proxy; keys of mappings; a few text, list and date methods; Jinja's own loop and namespace."""
    source = (
        "{{ person.name }} {{ person.shout }} {{ seat.role }} {% if seat.chair %}chairs{% endif %} "
        "{{ seat.people[0].name }} {{ pair.left }}{{ pair[1] }} {{ table.k }} {{ table['k'] }} {{ plain.get('k') }} "
        "{{ when.year }} {{ when.isoformat() }} {% if entry.citation %}cited{% endif %}|"
        "{% for k, v in plain.items() %}{{ loop.index }}{{ k }}{% endfor %}|"
        "{{ names.index('y') }} {{ 'a-b'.split('-')|join('+') }} {{ 'x'.upper() ~ 'Y'.lower() }}|"
        "{% set ns = namespace(n=0) %}{% for x in names %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}|"
        "{% macro m(v) %}<{{ v }}>{{ caller() if caller }}{% endmacro %}{% call m('q') %}in{% endcall %}|"
        "{% set c = cycler('o', 'e') %}{{ c.next() }}{{ c.next() }}|{{ range(3)|list|length }}|"
        "{{ dict(a=1).a }}"
    )
    out = _render(tmp_path, source)
    assert out == ("Ada ADA chair chairs Bo lr v v v 2026 2026-04-01 cited|1k2items\\_|1 a+b Xy|2|<q>in|oe|3|1\n")


def test_a_missing_field_says_which_and_suggests(tmp_path: Path) -> None:
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:1: Person has no field 'nmae' \(did you mean 'name'\?\)"):
        _render(tmp_path, "{{ person.nmae }}\n")
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:1: 'nothing' is undefined"):
        _render(tmp_path, "{{ nothing.at_all }}\n")


def test_whole_records_functions_and_lists_are_never_printed(tmp_path: Path) -> None:
    for source, what in (("{{ person }}", "a Person record"), ("{{ link }}", "a function"), ("{{ names }}", "a list"),
                         ("{{ plain }}", "a mapping")):
        with pytest.raises(TemplateProblem, match=f"{what} cannot be printed as it is"):
            _render(tmp_path, source + "\n")


def test_user_templates_extend_and_include_each_other_inside_their_folder(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "_bit.md.j2").write_text("bit {{ person.name }}\n", encoding="utf-8")
    (tmp_path / "base.md.j2").write_text("{% block body %}base{% endblock %}\n", encoding="utf-8")
    source = "{% extends 'base.md.j2' %}{% block body %}{{ super() }} + {% include 'parts/_bit.md.j2' %}{% endblock %}"
    assert _render(tmp_path, source) == "base + bit Ada\n"


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_link_out_of_the_template_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md.j2").write_text("SECRET\n", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "leak.md.j2").symlink_to(outside / "secret.md.j2")
    (folder / "shared").symlink_to(outside, target_is_directory=True)
    for source in ("{% include 'leak.md.j2' %}", "{% include 'shared/secret.md.j2' %}"):
        with pytest.raises(TemplateProblem, match=r"is a link to .* outside the template folder") as caught:
            _render(folder, source + "\n")
        assert "SECRET" not in str(caught.value)
    # A partial (_*.j2) that is such a link is refused when the templates are fingerprinted, too.
    (folder / "_partial.md.j2").symlink_to(outside / "secret.md.j2")
    with pytest.raises(TemplateProblem, match="outside the template folder"):
        Renderer(folder).fingerprint("protocol.md.j2")


def test_a_template_too_large_or_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.md.j2").write_text("x" * 2000, encoding="utf-8")
    (tmp_path / "latin.md.j2").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(TemplateProblem, match=r"big\.md\.j2 is 2,000 bytes; a template may be at most 1,000"):
        Renderer(tmp_path, Limits(template_bytes=1000)).render("big.md.j2", {})
    with pytest.raises(TemplateProblem, match=r"latin\.md\.j2 is not UTF-8 text"):
        Renderer(tmp_path).render("latin.md.j2", {})


SMALL = Limits(steps=20_000, output_chars=50_000, value_chars=50_000, list_items=1_000)

RUNAWAYS = [
    ("loop-of-loops", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "more than 20,000 steps"),
    ("loop-over-a-saved-range", "{% set r = range(1000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
     "more than 20,000 steps"),
    ("recursive-loop", "{% for x in [[1]] recursive %}{{ loop([[1]]) }}{% endfor %}", "calls itself without end"),
    ("recursive-macro", "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}", "calls itself without end"),
    ("self-include", "{% for i in range(3) %}{% include 't.md.j2' %}{% endfor %}", "steps|calls itself"),
    ("output-flood", "{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", "the document would be more than 50,000"),
    ("macro-flood", "{% macro m() %}{% for i in range(1000) %}{{ 'y' * 1000 }}{% endfor %}{% endmacro %}{{ m() }}",
     "would be 50,000,|characters long"),
    ("doubling", "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "characters long; the limit is 50,000"),
    ("doubling-plus", "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "characters long; the limit is 50,000"),
    ("list-doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
     "would have 1,024 items; the limit is 1,000"),
    ("repeat-text", "{{ 'a' * 10 ** 10 }}", "10,000,000,000 characters"),
    ("repeat-list", "{{ [0] * 10 ** 9 }}", "1,000,000,000 items"),
    ("huge-power", "{{ 9 ** 9999999 }}", "more than 4,000 digits"),
    ("huge-product", "{% set n = 10 ** 3000 %}{{ n * n }}", "more than 4,000 digits"),
    ("huge-range", "{{ range(10 ** 12)|list }}", "Range too big|items"),
    ("center", "{{ 'x'|center(10 ** 9) }}", "1,000,000,000 characters"),
    ("indent", "{{ 'a\nb'|indent(10 ** 9) }}", "characters long"),
    ("replace", "{{ ('x' * 1000)|replace('x', 'y' * 1000) }}", "1,000,000 characters"),
    ("str-replace", "{{ ('x' * 1000).replace('x', 'y' * 1000) }}", "1,000,000 characters"),
    ("replace-empty", "{{ ('x' * 1000)|replace('', 'y' * 1000) }}", "characters long"),
    ("join", "{{ (['x' * 1000] * 900)|join('-' * 100) }}", "characters long"),
    ("batch-fill", "{{ [1]|batch(10 ** 8, fill_with=0)|list }}", "100,000,000 items"),
    ("slice", "{{ [1]|slice(10 ** 9)|list }}", "1,000,000,000 items"),
    ("wordwrap", "{{ ('x' * 40000)|wordwrap(1, wrapstring='-' * 100) }}", "characters long"),
    ("sum-of-lists", "{{ [[1] * 900] * 900|sum(start=[]) }}", "sum adds up numbers"),
    ("string-of-aliases", "{% set big = ['x' * 40000] * 900 %}{{ big|string }}", "characters long"),
    ("concat-of-aliases", "{% set big = ['x' * 40000] * 900 %}{{ 'a' ~ big }}", "characters long"),
    ("append-flood", "{% set l = [] %}{% for i in range(5000) %}{% set _ = l.append(i) %}{% endfor %}",
     "would have 1,001 items"),
]


@pytest.mark.parametrize(("source", "message"), [pytest.param(s, m, id=i) for i, s, m in RUNAWAYS])
def test_runaway_templates_stop_with_an_error_naming_the_template(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(TemplateProblem, match=message) as caught:
        _render(tmp_path, "line one\n" + source + "\n", SMALL)
    assert "t.md.j2" in str(caught.value)


def test_the_time_limit_stops_a_render(tmp_path: Path) -> None:
    # A limit of no time at all is past at the first check, so this does not depend on the machine's speed.
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:1: the template ran for more than 0 seconds"):
        _render(tmp_path, "{% for i in range(1000) %}{% endfor %}\n", Limits(seconds=0))


def test_the_output_limit_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateProblem, match=r"t\.md\.j2:3: the document would be more than 1,000 characters"):
        _render(tmp_path, "a\nb\n{% for i in range(200) %}xxxxxxxxxx{% endfor %}\n", Limits(output_chars=1000))


def test_link_refuses_other_schemes_and_never_leaks_markdown() -> None:
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "\x01javascript:x",
                "javascript&#58;alert(1)", "file:///etc/passwd", "data:text/html,x", "vbscript:x"):
        with pytest.raises(Exception, match="is not a web, e-mail or telephone address"):
            link("x", url)
    assert link("Mail", "mailto:a@b.example\\") == "[Mail](<mailto:a@b.example%5C>)"
    assert link("Site\\", "https://example.org/a>b c") == "[Site\\\\](<https://example.org/a%3Eb%20c>)"
    assert link("In", "#section") == "[In](<#section>)"
