"""Render Jinja2 templates to Markdown, treating every profile value as data, never as markup.

Escaping works as HTML autoescaping does, but for Markdown: every ``{{ value }}`` passes through
``finalize``, which backslash-escapes Markdown syntax unless the value is ``MdSafe`` (markup the template
itself built, e.g. with ``link()``). A ``None`` reaching the page is an error, as is an undefined name
(StrictUndefined): a missing value must never become a blank in a signed document.

Every template, bundled or the user's own (``--templates``), runs in ``DataSandbox``: a Jinja2 sandbox that
lets a template *read data and nothing else*. The rule is by kind of object, not by today's field names:

- data objects (pydantic models, dataclasses, named tuples, the register proxy ``resolve.Cited``): their
  fields and the read-only properties their own classes define; never a method, ``model_*``, or a dunder;
- text, lists, tuples, mappings and dates: a short list of methods that only read (``upper``, ``split``,
  ``startswith``, ``items``, ``index``...), plus ``append`` on a template's own lists;
- Jinja's own objects (``loop``, ``namespace()``, imported macro modules, ``caller``);
- calls: macros, the helpers this module gives (``link``, ``namespace``, ``range``...), and those methods.

Anything else (``__class__``, ``__globals__``, ``model_validate``, ``copy``, ``str.format``...) stops the
render with a ``TemplateProblem`` naming the template and line, before the attribute is even read, so a
refused access has no side effect. Lists read out of the data are the template's own copies, so a template
that appends to one cannot change what the next document sees.

Templates are found only inside their folders (``ConfinedLoader``): a name with ``..``, an absolute path,
a file that is not ``*.j2``, or a symbolic link out of the folder is refused. Rendering is bounded
(``Limits``): every loop step and call counts against a budget of steps and a time limit, checked inside
the sandbox's own hooks (portable, and deterministic for the step count: no threads or signals), and every
value a template builds and the document itself are capped in size, checked *before* the text is made.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import inspect
import math
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference, Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from pydantic import BaseModel

from .errors import TemplateProblem


class MdSafe(str):
    """Markdown the template built on purpose; ``finalize`` leaves it alone."""


_INLINE = re.compile(r"([\\`*_\[\]<>|~#&!{}$])")
# Only what would open a block at the start of a line: a list item, a thematic break or setext underline,
# a fenced container. ("1.0" or "-5" stay as they are, so the Markdown stays readable.)
_LEADING_BLOCK = re.compile(r"^(\s*)(\d{1,9}[.)](?=\s|$)|[-+](?=\s|$)|-{3,}|={2,}|:{3,})")
# A line break inside a value: the writers turn LINE SEPARATOR into a line break in Word and HTML
# (``write.markdown``), which works everywhere a value can stand (paragraph, heading, list item, table cell),
# where a Markdown hard break ("\\\n") would end a table row.
LINE_BREAK = "\u2028"
_BREAKS = re.compile("\r\n|[\n\r\x85\u2028]")
_SPACES = re.compile("[ \t]+")
_MULTILINE = re.compile("[\n\r\x85\u2028\u2029]")


def md_escape(value: object) -> str:
    """Text -> Markdown that renders as exactly that text.

    Printed as written: no-break and other Unicode spaces stay; runs of plain spaces and tabs are one space
    (as Word and HTML readers expect); each line break (a YAML literal block's, U+2028, U+0085) stays a line
    break and a paragraph separator (U+2029) an empty line, both written as ``LINE_BREAK``.
    """
    text = str(value)
    if _MULTILINE.search(text):
        lines = [_SPACES.sub(" ", line).strip(" \t") for line in _BREAKS.split(text.replace("\u2029", "\n\n"))]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        text = LINE_BREAK.join(lines)
    elif "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text).strip(" \t")
    else:
        text = text.strip(" ")
    text = _INLINE.sub(r"\\\1", text)
    # A value at the start of a line could otherwise open a list, quote, heading underline or container.
    match = _LEADING_BLOCK.match(text)
    if match:
        head = match.group(2)
        head = head[:-1] + "\\" + head[-1] if head[0].isdigit() else "\\" + head
        text = match.group(1) + head + text[match.end():]
    return text


_PRINTABLE = (str, int, float, date)


def _finalize(value: Any) -> Any:
    if isinstance(value, MdSafe):
        return value
    if isinstance(value, Undefined):
        str(value)  # raises StrictUndefined's own error, naming what is undefined
    if value is None:
        raise jinja2.TemplateRuntimeError("a value printed here is empty (None): the profile or context lacks it")
    if isinstance(value, bool):
        raise jinja2.TemplateRuntimeError("a yes/no value was printed directly; test it with {% if %} instead")
    if not isinstance(value, _PRINTABLE):
        # A list, a whole profile or a macro printed as such would put Python's notation (or a memory
        # address, which changes from run to run) into a signed document.
        raise jinja2.TemplateRuntimeError(
            f"{_kind(value)} cannot be printed as it is; print one of its fields, or loop over it"
        )
    return md_escape(value)


# --- filters and helpers available to every template ---------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def long_date(value: date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


# Link targets a document may carry: web pages, e-mail, telephone, and places inside the document.
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_LINK_ESCAPES = (("\\", "%5C"), (" ", "%20"), ("<", "%3C"), (">", "%3E"), ("\n", "%0A"), ("\r", "%0D"),
                 ("\t", "%09"), ("\x85", "%C2%85"), ("\u2028", "%E2%80%A8"), ("\u2029", "%E2%80%A9"))
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def link(text: object, url: object) -> MdSafe:
    """A Markdown link to a web, e-mail (``mailto:``) or telephone (``tel:``) address, or an ``#anchor``.

    Any other scheme (``javascript:``, ``file:``, ``data:``...) is refused: a document never carries one.
    Characters that would end the link early (``<``, ``>``, a trailing ``\\``) are percent-encoded, so the
    link's Markdown can never leak into the text.
    """
    target = str(url).strip()
    if not target:
        raise jinja2.TemplateRuntimeError("link(): the address is empty")
    # Browsers ignore control and invisible characters inside a scheme ("java\tscript:") and Markdown decodes
    # character references ("javascript&#58;"), so the scheme is checked as a reader's program would see it.
    scheme = _SCHEME.match(_INVISIBLE.sub("", html.unescape(target)))
    if scheme and scheme.group(1).lower() not in _LINK_SCHEMES:
        raise jinja2.TemplateRuntimeError(
            f"link(): {target[:60]!r} is not a web, e-mail or telephone address; a document links only to "
            "http:, https:, mailto: and tel: addresses"
        )
    for char, code in _LINK_ESCAPES:  # an address may already be percent-encoded: '%' is left alone
        target = target.replace(char, code)
    return MdSafe(f"[{md_escape(text)}](<{target}>)")


def join_and(items: Iterable[object], last: str = "and") -> MdSafe:
    """['a', 'b', 'c'] -> 'a, b and c', each item escaped (unless already MdSafe)."""
    parts = [item if isinstance(item, MdSafe) else md_escape(item) for item in items]
    if len(parts) <= 1:
        return MdSafe("".join(parts))
    return MdSafe(f"{', '.join(parts[:-1])} {last} {parts[-1]}")


def raw(value: object) -> MdSafe:
    return MdSafe(str(value))


_ITEM = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def covers(item: str) -> MdSafe:
    """A block attribute line that tags the heading after it with ``cov-<item>``: the coverage report finds the
    sections a document must have by these ids, and the writers make them bookmarks (Word) and ids (HTML)."""
    if not _ITEM.match(str(item)):
        raise ValueError(f"covers(): '{item}' is not a valid item name (lower-case letters, digits, hyphens)")
    # The attribute line must start a block of its own, whatever the line before it ends with.
    return MdSafe("\n{#cov-" + str(item) + "}")


SECTOR_NAMES = {
    "childrens_social_care": "children's social care",
    "police": "police",
    "nhs_community_trust": "NHS community health services",
    "nhs_acute_trust": "NHS hospital trust",
    "integrated_care_board": "NHS integrated care board",
    "gp_practice": "GP practice",
    "maintained_school": "school",
    "academy": "academy school",
    "independent_school": "independent school",
    "early_years": "early years setting",
    "youth_offending_team": "youth justice service",
    "probation": "probation service",
    "housing": "housing service",
    "leisure": "leisure service",
    "youth_service": "youth service",
    "camhs": "child and adolescent mental health service",
    "adult_mental_health": "adult mental health service",
    "voluntary_community": "voluntary or community organisation",
    "interpreting_service": "interpreting service",
    "local_health_board": "local health board",
    "nhs_trust_wales": "NHS trust in Wales",
    "childrens_services": "children's services",
    "childrens_home": "children's home",
    "cafcass": "children and family court advisory service",
    "other": "other service",
}
CATEGORY_NAMES = {
    "health": "health",
    "racial_or_ethnic_origin": "racial or ethnic origin",
    "religious_or_philosophical_beliefs": "religion or beliefs",
    "sex_life_or_sexual_orientation": "sex life or sexual orientation",
    "genetic": "genetic information",
    "biometric": "biometric information",
    "political_opinions": "political opinions",
    "trade_union_membership": "trade union membership",
}
STATUS_NAMES = {
    "in_force": "In force",
    "amended": "In force, as amended",
    "partly_repealed": "In force in part (partly repealed)",
    "not_yet_in_force": "Enacted but not yet in force",
    "repealed": "Repealed",
    "dormant": "On the statute book but not in use",
}
ROLE_NAMES = {"chair": "Chair", "member": "Member", "adviser": "Adviser"}


def _lookup(table: dict[str, str]) -> Any:
    def get(key: str) -> str:
        return table[key]

    return get


FILTERS = {
    "long_date": long_date,
    "join_and": join_and,
    "raw": raw,
    "md": md_escape,
    "sector_name": _lookup(SECTOR_NAMES),
    "category_name": _lookup(CATEGORY_NAMES),
    "status_name": _lookup(STATUS_NAMES),
    "role_name": _lookup(ROLE_NAMES),
}


def bundled_templates() -> Path:
    return Path(str(resources.files("protocolgen").joinpath("templates")))


# --- limits -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one document's rendering may use. The bundled templates use a small fraction of each: the
    largest bundled document is about 70,000 characters and takes some 20,000 steps."""

    steps: int = 2_000_000  # loop iterations, calls and filter uses
    seconds: float = 20.0  # wall-clock time
    output_chars: int = 2_000_000  # the document's Markdown
    value_chars: int = 2_000_000  # any one text a template builds (by ~, +, *, a filter, a macro)
    list_items: int = 100_000  # any one list a template builds
    int_digits: int = 4_000  # any one number a template computes
    template_bytes: int = 1_000_000  # the size of one template file


class RenderLimit(jinja2.TemplateRuntimeError):
    """A template went past one of the ``Limits``."""


class _Budget:
    """The steps and time left to the document being rendered."""

    __slots__ = ("deadline", "left", "limits")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.left = limits.steps
        self.deadline = time.monotonic() + limits.seconds

    def tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            raise RenderLimit(f"the template took more than {self.limits.steps:,} steps (loop iterations and calls), "
                              "the limit for one document; does a loop run without end?")
        if not self.left & 63 and time.monotonic() > self.deadline:
            raise RenderLimit(f"the template ran for more than {self.limits.seconds:g} seconds, the limit for one "
                              "document; does a loop run without end?")


_BUDGET: ContextVar[_Budget | None] = ContextVar("protocolgen_render_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _limits() -> Limits:
    budget = _BUDGET.get()
    return budget.limits if budget is not None else Limits()


def _check_text(length: int, what: str = "a text") -> None:
    limit = _limits().value_chars
    if length > limit:
        raise RenderLimit(f"{what} built by the template would be {length:,} characters long; the limit is {limit:,}")


def _check_items(length: int) -> None:
    limit = _limits().list_items
    if length > limit:
        raise RenderLimit(f"a list built by the template would have {length:,} items; the limit is {limit:,}")


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


def _check_result(value: Any) -> Any:
    if isinstance(value, str):
        _check_text(len(value))
    elif isinstance(value, (list, tuple)):
        _check_items(len(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        _check_int_bits(value.bit_length())
    return value


# --- the sandbox's rule: data attributes of data objects ----------------------------------------------

# Methods that only read (and, for lists, append to a template's own list). Anything that can build text
# far larger than its input (center, ljust, zfill, expandtabs, join, format) is left out or checked below.
_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal",
    "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper",
})
_LIST_METHODS = frozenset({"append", "count", "index"})
_TUPLE_METHODS = frozenset({"count", "index"})
_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
_DATE_METHODS = frozenset({"year", "month", "day", "isoformat", "isoweekday", "weekday"})
_LOOP_ATTRIBUTES = frozenset({
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "previtem",
    "nextitem", "cycle", "changed",
})
_CYCLER_ATTRIBUTES = frozenset({"current", "next", "reset"})


@dataclasses.dataclass(frozen=True)
class _Rule:
    """What a template may read of objects of one type.

    kind: 'data' (``names`` are fields and properties), 'methods' (``names`` are allowed methods; a mapping
    falls back to its keys), 'open' (Jinja's namespaces and modules: any public name), 'undefined', 'none'.
    """

    kind: str
    names: frozenset[str] = frozenset()
    type_name: str = ""
    mapping: bool = False
    origin: type | None = None  # for a proxy: the class whose methods are refused by name


def _own_properties(cls: type, stop: tuple[type, ...]) -> set[str]:
    """Read-only computed attributes that the data classes themselves define (not their library bases)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass in stop or klass is object:
            break
        for name, member in vars(klass).items():
            if not name.startswith("_") and isinstance(member, (property, functools.cached_property)):
                names.add(name)
    return names


def _cited_type() -> type | None:
    try:  # imported late: resolve is a later stage than this module's callers expect to load
        from .resolve import Cited
    except ImportError:  # pragma: no cover - a broken install
        return None
    return Cited


_RULES: dict[type, _Rule] = {}


def _rule_for(cls: type) -> _Rule:
    """The rule for ``cls``, worked out once per type (the sandbox asks on every attribute a template reads)."""
    rule = _RULES.get(cls)
    if rule is None:
        rule = _RULES[cls] = _make_rule(cls)
    return rule


def _make_rule(cls: type) -> _Rule:
    name = cls.__name__
    if issubclass(cls, Undefined):
        return _Rule("undefined", type_name=name)
    if issubclass(cls, str):
        return _Rule("methods", _STR_METHODS, "text")
    if issubclass(cls, BaseModel):
        fields = set(cls.model_fields) | set(cls.model_computed_fields)
        return _Rule("data", frozenset(fields | _own_properties(cls, (BaseModel,))), name)
    if dataclasses.is_dataclass(cls):
        fields = {f.name for f in dataclasses.fields(cls)}
        return _Rule("data", frozenset(fields | _own_properties(cls, ())), name)
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):  # a named tuple: its fields are data
        return _Rule("data", frozenset(cls._fields) | _TUPLE_METHODS, name)
    cited = _cited_type()
    if cited is not None and issubclass(cls, cited):
        from .models import LegislationEntry

        entry = _rule_for(LegislationEntry)
        return _Rule("data", entry.names, "register entry", origin=LegislationEntry)
    if cls is list:
        return _Rule("methods", _LIST_METHODS, "list")
    if issubclass(cls, tuple):
        return _Rule("methods", _TUPLE_METHODS, "tuple")
    if issubclass(cls, Mapping):
        return _Rule("methods", _MAPPING_METHODS, "mapping", mapping=True)
    if issubclass(cls, date):
        return _Rule("methods", _DATE_METHODS, "date")
    if cls in (Namespace, TemplateModule, TemplateReference):
        return _Rule("open", type_name=name)
    if issubclass(cls, LoopContext):
        return _Rule("methods", _LOOP_ATTRIBUTES, "loop")
    if cls is Cycler:
        return _Rule("methods", _CYCLER_ATTRIBUTES, "cycler")
    if cls is BlockReference:
        return _Rule("methods", frozenset({"super"}), "block")
    return _Rule("none", type_name=name)


def _kind(value: Any) -> str:
    """What ``value`` is, in a few words with their article: 'text', 'a function', 'an Area record'."""
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, Macro)):
        return "a function"
    if isinstance(value, type):
        return "a class"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    rule = _rule_for(type(value))
    words = f"{rule.type_name} record" if rule.kind == "data" else rule.type_name
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def _refuse(obj: Any, attribute: str) -> SecurityError:
    return SecurityError(
        f"'{attribute}' of {_kind(obj)} cannot be used in a template: templates read only data (the fields of "
        "profiles and documents) and call only macros, a few helpers and a few text and list methods"
    )


def _copy_list(value: Any) -> Any:
    # A list read out of the data is the template's own copy: appending to it changes nothing outside.
    return list(value) if type(value) is list else value


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles templates so that every ``for`` loop counts its steps and every ``~`` checks its size.

    Jinja already routes calls, attribute reads and the arithmetic operators through the environment;
    loops and ``~`` are the two places where a template could otherwise run or grow without a hook.
    """

    def visit_Template(self, node: nodes.Template, frame: Any = None) -> None:
        for loop in node.find_all(nodes.For):
            if not getattr(loop, "protocolgen_guarded", False):
                loop.iter = nodes.Call(nodes.EnvironmentAttribute("guard_loop"), [loop.iter], [], None, None,
                                       lineno=loop.iter.lineno)
                loop.protocolgen_guarded = True  # type: ignore[attr-defined]
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.guard_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


_FORMAT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(fmt: str, args: Any = ()) -> None:
    """'%5000000d' % x would build a huge text in one step: widths are capped before formatting."""
    limit = _limits().value_chars
    for match in _FORMAT_WIDTH.finditer(fmt):
        for width in match.groups():
            if width == "*":
                raise SecurityError("a '*' width in a % format is not allowed in templates")
            if width and int(width) > limit:
                raise RenderLimit(f"a % format width of {width} is past the limit of {limit:,} characters")
    parts = args if isinstance(args, tuple) else (args,)
    _check_text(len(fmt) + sum(len(str(p)) for p in parts if isinstance(p, str)))


class DataSandbox(SandboxedEnvironment):
    """A Jinja2 sandbox in which templates read data and nothing else (see the module docstring)."""

    code_generator_class = _GuardedCodeGenerator
    intercepted_binops = frozenset({"+", "*", "**", "%"})  # the operators that can make large values

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # it makes text of any size on request, and no document needs it
        filters = {name: func for name, func in self.filters.items() if name not in _DROPPED_FILTERS}
        self.filters = {name: _guard_filter(name, func) for name, func in {**filters, "attr": _attr}.items()}
        self.concat = self.guard_concat  # type: ignore[method-assign]  # macro, call and set-block bodies

    # -- what may be read

    def is_safe_attribute(self, obj: Any, attr: str, value: Any = None) -> bool:
        if attr.startswith("_"):
            return False
        rule = _rule_for(type(obj))
        if rule.kind == "open":
            return True
        return attr in rule.names

    def getattr(self, obj: Any, attribute: str) -> Any:
        rule = _RULES.get(type(obj)) or _rule_for(type(obj))
        if attribute in rule.names and rule.kind != "methods":  # the common case: a field of a record
            try:
                return _copy_list(getattr(obj, attribute))
            except AttributeError:
                pass
        if rule.kind == "undefined" and not attribute.startswith("_"):
            return getattr(obj, attribute)  # raises the usual "is undefined" error
        if not attribute.startswith("_") and rule.kind != "undefined":
            if rule.kind == "open" or attribute in rule.names:
                try:
                    value = getattr(obj, attribute)
                except AttributeError:
                    pass
                else:
                    return _copy_list(value) if rule.kind == "data" else value
            if rule.mapping or rule.kind == "open":  # a key, or a block of ``self``
                try:
                    return obj[attribute]
                except (LookupError, TypeError):
                    pass
            if rule.kind == "open" or (rule.kind in ("data", "methods")
                                       and not _defined_on(rule.origin or type(obj), attribute)):
                hint = None
                if rule.kind == "data":
                    close = _close_match(attribute, rule.names)
                    hint = (f"{rule.type_name} has no field '{attribute}'" + (f" (did you mean '{close}'?)" if close
                                                                            else ""))
                return self.undefined(hint, obj=obj, name=attribute)
        raise _refuse(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        rule = _rule_for(type(obj))
        if rule.kind == "undefined":
            return obj[argument]
        if rule.kind == "methods" and (rule.mapping or isinstance(obj, (str, list, tuple))):
            try:
                value = obj[argument]
            except (TypeError, LookupError):
                pass
            else:
                return value
            if rule.mapping:
                return self.undefined(obj=obj, name=argument)
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        if rule.kind == "data" and isinstance(obj, tuple):
            return obj[argument]
        return self.undefined(obj=obj, name=argument)

    # -- what may be called

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, (Macro, BlockReference, LoopContext, Joiner)):
            return True
        if id(obj) in self._callables:
            return True
        if getattr(obj, "__self__", None) is self:  # the loop guard the compiler put in
            return getattr(obj, "__func__", None) is DataSandbox.guard_loop
        owner = getattr(obj, "__self__", None) if isinstance(obj, (types.BuiltinMethodType, types.MethodType)) else None
        if owner is None or isinstance(owner, type):
            return False
        rule = _rule_for(type(owner))
        return rule.kind == "methods" and obj.__name__ in rule.names

    @functools.cached_property
    def _callables(self) -> frozenset[int]:
        # What the environment itself offers as globals (link, namespace, range, dict, cycler, joiner...).
        return frozenset(id(value) for value in self.globals.values() if callable(value))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        if isinstance(__obj, Undefined):
            return __obj()  # raises StrictUndefined's own error, naming what is undefined
        if not __self.is_safe_callable(__obj):
            name = getattr(__obj, "__name__", None)
            raise SecurityError(
                f"{_kind(__obj).capitalize()}{f' ({name})' if isinstance(name, str) else ''} cannot be called from a template: "
                "templates may call their macros, link(), namespace(), range(), dict(), cycler(), joiner() "
                "and a few text and list methods"
            )
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if type(owner) is list and name == "append":
            _check_items(len(owner) + 1)
        elif isinstance(owner, str) and name == "replace" and len(args) >= 2:
            _check_text(_replaced_length(owner, *args[:3]))
        return _check_result(__context.call(__obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _size(seq) is not None and isinstance(times, int):
                    (_check_text if isinstance(seq, str) else _check_items)(len(seq) * max(times, 0))
            if isinstance(left, int) and isinstance(right, int):
                _check_int_bits(left.bit_length() + right.bit_length())
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                _check_int_bits(int(right * math.log2(abs(left))) + 1)
        elif operator == "+":
            if isinstance(left, str) and isinstance(right, str):
                _check_text(len(left) + len(right))
            elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
                _check_items(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left, right)
        return self.binop_table[operator](left, right)

    # -- hooks the compiled templates call (see _GuardedCodeGenerator)

    def guard_loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        budget = _BUDGET.get()
        for item in iterable:
            if budget is not None:
                budget.tick()
            yield item

    def guard_concat(self, parts: Iterable[Any]) -> str:
        limit = _limits().value_chars
        texts, total = [], 0
        for part in parts:
            if not isinstance(part, str):
                _check_text(total + _text_size(part))
            text = part if isinstance(part, str) else str(part)
            total += len(text)
            if total > limit:
                _check_text(total)
            texts.append(text)
        return "".join(texts)


def _defined_on(cls: type, name: str) -> bool:
    """Whether ``name`` is something of the class (a method, a descriptor), as against a missing field."""
    return any(name in vars(klass) for klass in cls.__mro__)


def _close_match(word: str, choices: Iterable[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _check_int_bits(bits: int) -> None:
    digits = _limits().int_digits
    if bits > digits * 3.33:
        raise RenderLimit(f"a number computed by the template would have more than {digits:,} digits")


def _replaced_length(text: str, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


# Jinja's filters that can make a value much larger than their input are checked *before* they run, with
# the filter's own arguments (after the context or environment some of them take first).

def _pre_center(value: Any, width: Any = 80) -> None:
    _check_text(max(len(str(value)), width if isinstance(width, int) else 0))


def _pre_indent(s: Any, width: Any = 4, first: bool = False, blank: bool = False) -> None:
    text = str(s)
    prefix = len(width) if isinstance(width, str) else max(width, 0) if isinstance(width, int) else 0
    _check_text(len(text) + (text.count("\n") + 1) * prefix)


def _pre_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_percent_format(str(value), tuple(args) or tuple(kwargs.values()))


def _pre_replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
    _check_text(_replaced_length(str(s), str(old), str(new), -1 if count is None else count))


def _pre_join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if isinstance(value, (list, tuple)):
        _check_text(sum(_text_size(item) for item in value) + max(len(value) - 1, 0) * len(str(d)))


def _pre_wordwrap(s: Any, width: Any = 79, break_long_words: bool = True, wrapstring: Any = None,
                  break_on_hyphens: bool = True) -> None:
    text, wrap = str(s), len(str(wrapstring)) if wrapstring is not None else 1
    lines = len(text) // max(width, 1) + text.count("\n") + 1 if isinstance(width, int) else 1
    _check_text(len(text) + lines * wrap)


def _pre_batch(value: Any, linecount: Any, fill_with: Any = None) -> None:
    if isinstance(linecount, int):
        _check_items(linecount)


def _pre_slice(value: Any, slices: Any, fill_with: Any = None) -> None:
    if isinstance(slices, int):
        _check_items(slices)


def _pre_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> None:
    if not isinstance(start, (int, float)) or isinstance(start, bool):
        raise SecurityError("|sum adds up numbers; its start must be a number")


def _pre_text(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_text(_text_size(value))


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": _pre_center, "indent": _pre_indent, "format": _pre_format, "replace": _pre_replace,
    "join": _pre_join, "wordwrap": _pre_wordwrap, "batch": _pre_batch, "slice": _pre_slice, "sum": _pre_sum,
    "string": _pre_text, "pprint": _pre_text, "tojson": _pre_text,
}
# Filters a document never needs: random output breaks byte-identical builds.
_DROPPED_FILTERS = frozenset({"random"})


def _text_size(value: Any, limit: int | None = None) -> int:
    """About how long ``str(value)`` would be, found without making it (stops once past ``limit``)."""
    limit = _limits().value_chars if limit is None else limit
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        total = 2
        items = value.items() if isinstance(value, Mapping) else value
        for item in items:
            total += _text_size(item, limit - total) + 2
            if total > limit:
                break
        return total
    return 24  # a number, a date, a record's repr is short enough not to matter here


def _attr(environment: Any, obj: Any, name: Any) -> Any:
    """``|attr``: Jinja's own probes the object with hasattr first; this asks the sandbox's rule at once."""
    return environment.getattr(obj, str(name))


_attr.jinja_pass_arg = JINJA_FILTERS["attr"].jinja_pass_arg  # type: ignore[attr-defined]


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Each use of a filter is a step of the budget, and what it returns is held to the size limits."""
    precheck = _PRECHECKS.get(name)
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if precheck is not None:
            precheck(*args[skip:], **kwargs)
        return _check_result(func(*args, **kwargs))

    return guarded


# --- finding templates: only inside their folders -----------------------------------------------------


class _Refused(SecurityError):
    """A template name that would reach outside the template folders (not "missing": ``ignore missing`` and
    lists of names must not pass over it quietly)."""

    def __init__(self, name: str, why: str):
        super().__init__(f"template {name!r} cannot be used: {why}")


class ConfinedLoader(jinja2.BaseLoader):
    """Loads ``*.j2`` files from an ordered list of folders, never from outside them.

    A name is a relative path with ``/`` between folders; ``..``, absolute paths, drive letters, ``\\`` and
    symbolic links that lead out of their folder are refused, as is a file larger than the limit."""

    def __init__(self, folders: Iterable[Path], max_bytes: int):
        self.folders = [(Path(folder), Path(folder).resolve()) for folder in folders]
        self.max_bytes = max_bytes

    def _pieces(self, name: str) -> list[str]:
        if not name.endswith(".j2"):
            raise _Refused(name, "only template files (ending in .j2) can be included, imported or extended")
        if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\0" in name:
            raise _Refused(name, "give a name inside the template folder, with / between folders")
        pieces = name.split("/")
        if any(piece in ("", ".", "..") for piece in pieces):
            raise _Refused(name, "'..' and empty folder names are not allowed: templates stay in their folder")
        return pieces

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = self._pieces(template)
        for folder, real in self.folders:
            candidate = folder.joinpath(*pieces)
            try:
                resolved = candidate.resolve()
                if not candidate.exists():
                    continue
            except (OSError, RuntimeError):  # a loop of links
                raise _Refused(template, f"{candidate} cannot be read") from None
            if not resolved.is_relative_to(real):
                raise _Refused(template, f"{candidate} is a link to {resolved}, outside the template folder {folder}")
            if not resolved.is_file():
                raise _Refused(template, f"{candidate} is not a file")
            try:
                stat = resolved.stat()
                if stat.st_size > self.max_bytes:
                    raise _Refused(template, f"{candidate} is {stat.st_size:,} bytes; a template may be at most "
                                             f"{self.max_bytes:,}")
                source = resolved.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise _Refused(template, f"{candidate} is not UTF-8 text") from None
            except OSError as exc:
                raise _Refused(template, f"{candidate} cannot be read ({exc.strerror or exc})") from None
            mtime = stat.st_mtime_ns

            def uptodate(path: Path = resolved, seen: int = mtime) -> bool:
                try:
                    return path.stat().st_mtime_ns == seen
                except OSError:
                    return False

            return source, str(candidate), uptodate
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder, _real in self.folders:
            if not folder.is_dir():
                continue
            for path in folder.rglob("*.j2"):
                rel = path.relative_to(folder)
                if not any(part.is_symlink() for part in [folder.joinpath(*rel.parts[:i + 1])
                                                          for i in range(len(rel.parts) - 1)]):
                    found.add(rel.as_posix())
        return sorted(found)


class Renderer:
    """Finds templates (the user's folder first, then the bundled ones) and renders them to Markdown."""

    def __init__(self, user_dir: Path | None = None, limits: Limits | None = None):
        search = [Path(user_dir)] if user_dir else []
        search.append(bundled_templates())
        self.search_path = search
        self.limits = limits or Limits()
        self.env = DataSandbox(
            loader=ConfinedLoader(search, self.limits.template_bytes),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update({name: _guard_filter(name, func) for name, func in FILTERS.items()})
        self.env.globals.update(link=link, MdSafe=MdSafe, covers=covers)
        from .i18n import install  # the message catalogues: {% trans %}, the language of each rendering

        install(self.env)

    def fingerprint(self, name: str, *also: str) -> str:
        """A hash of the template, every partial beside it (``_*.j2``) and any other templates named in
        ``also`` (the web page shell), wherever each is found."""
        digest = hashlib.sha256()
        names = sorted({name, *also, *(n for n in self.env.list_templates() if Path(n).name.startswith("_"))})
        loader = self.env.loader
        assert loader is not None  # __init__ always gives the environment a loader
        for each in names:
            try:
                source, _filename, _uptodate = loader.get_source(self.env, each)
            except jinja2.TemplateNotFound as exc:
                raise TemplateProblem(_not_found(exc, self.search_path)) from None
            except _Refused as exc:
                raise TemplateProblem(str(exc)) from None
            digest.update(each.encode() + b"\0" + source.encode() + b"\0")
        return digest.hexdigest()

    def render(self, name: str, context: dict[str, Any]) -> str:
        # A list handed over in the context is the template's own copy, like lists read out of the data.
        context = {key: _copy_list(value) for key, value in context.items()}
        token = _BUDGET.set(_Budget(self.limits))
        try:
            template = self.env.get_template(name)
            text = self._generate(template, context)
        except TemplateProblem:
            raise
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"{exc.filename or name}:{exc.lineno}: template syntax error: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            where = _template_position(exc)
            raise TemplateProblem((f"{where}: " if where else "") + _not_found(exc, self.search_path)) from None
        except RecursionError:
            raise TemplateProblem(f"{name}: a macro, loop or include calls itself without end") from None
        except MemoryError:
            raise TemplateProblem(f"{name}: the template needs more memory than this computer has") from None
        except Exception as exc:  # a template is a program: whatever it raises is the template's problem
            where = _template_position(exc) or name
            raise TemplateProblem(f"{where}: {exc}") from None
        finally:
            _BUDGET.reset(token)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    def _generate(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        """The template's output, stopped as soon as it grows past the limit (nothing larger is ever held)."""
        limit = self.limits.output_chars
        pieces, total = [], 0
        stream: Any = template.generate(context)
        for piece in stream:
            total += len(piece)
            if total > limit:
                where = _generator_position(stream) or template.filename or template.name or "template"
                stream.close()
                raise TemplateProblem(f"{where}: the document would be more than {limit:,} characters long, the "
                                      "limit for one document; does a loop run without end?")
            pieces.append(piece)
        return "".join(pieces)


def _not_found(exc: jinja2.TemplateNotFound, search: list[Path]) -> str:
    return f"template '{exc.name}' not found in {', '.join(map(str, search))}"


def _template_position(exc: BaseException) -> str | None:
    """'file.md.j2:LINE' of the innermost template frame in the traceback Jinja rewrote for us."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    del tb
    return found


def _generator_position(stream: Any) -> str | None:
    """'file.md.j2:LINE' where a suspended template generator (and what it delegates to) stands."""
    found = None
    while stream is not None and inspect.isgenerator(stream):
        frame = stream.gi_frame
        if frame is None:
            break
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            found = f"{template.filename or template.name}:{template.get_corresponding_lineno(frame.f_lineno)}"
        stream = stream.gi_yieldfrom
    return found
