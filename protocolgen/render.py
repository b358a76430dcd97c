"""Render Jinja2 templates to Markdown, treating every profile value as data, never as markup.

Escaping works as HTML autoescaping does, but for Markdown: every ``{{ value }}`` passes through
``finalize``, which backslash-escapes Markdown syntax unless the value is ``MdSafe`` (markup the template
itself built, e.g. with ``link()``). A ``None`` reaching the page is an error, as is an undefined name
(StrictUndefined): a missing value must never become a blank in a signed document.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateProblem


class MdSafe(str):
    """Markdown the template built on purpose; ``finalize`` leaves it alone."""


_INLINE = re.compile(r"([\\`*_\[\]<>|~#&!{}$])")
# Only what would open a block at the start of a line: a list item, a thematic break or setext underline,
# a fenced container. ("1.0" or "-5" stay as they are, so the Markdown stays readable.)
_LEADING_BLOCK = re.compile(r"^(\s*)(\d{1,9}[.)](?=\s|$)|[-+](?=\s|$)|-{3,}|={2,}|:{3,})")


def md_escape(value: object) -> str:
    """Text -> Markdown that renders as exactly that text, on one line (newlines become spaces)."""
    text = " ".join(str(value).split())
    text = _INLINE.sub(r"\\\1", text)
    # A value at the start of a line could otherwise open a list, quote, heading underline or container.
    match = _LEADING_BLOCK.match(text)
    if match:
        head = match.group(2)
        head = head[:-1] + "\\" + head[-1] if head[0].isdigit() else "\\" + head
        text = match.group(1) + head + text[match.end():]
    return text


def _finalize(value: Any) -> Any:
    if isinstance(value, MdSafe):
        return value
    if value is None:
        raise jinja2.TemplateRuntimeError("a value printed here is empty (None): the profile or context lacks it")
    if isinstance(value, bool):
        raise jinja2.TemplateRuntimeError("a yes/no value was printed directly; test it with {% if %} instead")
    return md_escape(value)


# --- filters and helpers available to every template ---------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def long_date(value: date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def link(text: object, url: object) -> MdSafe:
    target = str(url).replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
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


class Renderer:
    """Finds templates (the user's folder first, then the bundled ones) and renders them to Markdown."""

    def __init__(self, user_dir: Path | None = None):
        search = [str(user_dir)] if user_dir else []
        search.append(str(bundled_templates()))
        self.search_path = [Path(p) for p in search]
        env_class = SandboxedEnvironment if user_dir else jinja2.Environment
        self.env = env_class(
            loader=jinja2.FileSystemLoader(search, encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(FILTERS)
        self.env.globals.update(link=link, MdSafe=MdSafe, covers=covers)
        from .i18n import install  # the message catalogues: {% trans %}, the language of each rendering

        install(self.env)

    def fingerprint(self, name: str) -> str:
        """A hash of the template and every partial beside it (``_*.j2``), wherever each is found."""
        digest = hashlib.sha256()
        names = sorted({name, *(n for n in self.env.list_templates() if Path(n).name.startswith("_"))})
        loader = self.env.loader
        assert loader is not None  # __init__ always gives the environment a loader
        for each in names:
            source, _filename, _uptodate = loader.get_source(self.env, each)
            digest.update(each.encode() + b"\0" + source.encode() + b"\0")
        return digest.hexdigest()

    def render(self, name: str, context: dict[str, Any]) -> str:
        try:
            text = self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"{exc.filename or name}:{exc.lineno}: template syntax error: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"template '{exc.name}' not found in {', '.join(map(str, self.search_path))}") from None
        except (jinja2.UndefinedError, jinja2.TemplateRuntimeError, jinja2.exceptions.SecurityError,
                TypeError, KeyError, AttributeError, ValueError) as exc:
            where = _template_position(exc) or name
            raise TemplateProblem(f"{where}: {exc}") from None
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


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

