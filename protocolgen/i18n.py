"""Languages: the message catalogues, the Markdown-safe gettext callables, and the Welsh of profile text.

Why this module exists: public bodies in Wales must treat Welsh no less favourably than English, so a Welsh area's
public documents are written in both. The fixed text of the templates is translated through gettext message
catalogues (``protocolgen/locale/<lang>/LC_MESSAGES/messages.po``, read with Babel at run time, no compiled
``.mo``), so that a translator corrects the Welsh in the catalogue without touching a template, and an area may
override entries with ``AREA/locale/<lang>.po``. Profile text has its Welsh in ``cy:`` variants on the models.

How the pieces fit:

- ``install(env)`` (the one hook ``render.Renderer`` calls) adds Jinja2's i18n extension with *newstyle*
  gettext and this module's callables, so ``{% trans name=panel.name %}...{{ name }}...{% endtrans %}`` escapes
  every substituted value for Markdown (``render.md_escape``) unless it is ``render.MdSafe``, and returns
  ``MdSafe``. It also makes the table filters (``sector_name`` ...), ``long_date`` and ``covers`` speak the
  language being rendered, and adds ``t`` (the translation of a fixed text from code or the register).
- ``speaking(translations)`` is the language of one rendering. Outside it everything is English and every
  callable gives exactly the text and escaping the templates gave before catalogues, so English output is byte
  for byte what it was.
- ``localise(model, "cy")`` gives a copy of a profile model whose reader-visible text is its Welsh variant
  (``Native``) or, where the profile has none, the English marked as English (``Foreign``), which the writers
  print with ``w:lang en-GB`` / ``lang="en"`` inside the Welsh (the rules warn about every such field).
- A text the catalogue lacks is printed in English, marked as English, and recorded in ``Speaking.misses``,
  so a build can say so: never a silent English fallback inside Welsh text.
"""

from __future__ import annotations

import gettext as _gettext
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from pydantic import BaseModel

from .errors import Diagnostic, ProtocolgenError

# --- languages ----------------------------------------------------------------------------------------------

LANGUAGES = ("en", "cy")
ENGLISH_NAMES = {"en": "English", "cy": "Welsh"}
OWN_NAMES = {"en": "English", "cy": "Cymraeg"}  # each language's name for itself
WORD_TAGS = {"en": "en-GB", "cy": "cy-GB"}  # w:lang values (and the document default language)
# How a profile may list Welsh among "other languages": in Wales it is never one, it is a language of the
# documents themselves (and every body there must deal with people in Welsh where its standards say so).
WELSH_NAMES = frozenset({"welsh", "cymraeg", "cy", "welsh language", "yr iaith gymraeg", "y gymraeg"})
TRANSLATOR_WARNING = (
    "The bundled Welsh must be checked by a qualified translator before publication."
)


def is_welsh_name(name: str) -> bool:
    """True for 'Welsh', 'Cymraeg' and the like (a profile listing Welsh among other languages)."""
    return " ".join(str(name).split()).casefold() in WELSH_NAMES


def word_tag(language: str) -> str:
    """The Word (and document default) language tag for a language code: 'cy' -> 'cy-GB'."""
    return WORD_TAGS.get(language, language)


class CatalogueProblem(ProtocolgenError):
    """A message catalogue cannot be read: names the file and line."""


# --- catalogues ---------------------------------------------------------------------------------------------

PluralRule = Callable[[int], int]


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


@dataclass(frozen=True)
class Translations:
    """One language's messages: (context, msgid) -> the translated form(s), from one or more catalogues."""

    language: str
    messages: Mapping[tuple[str, str], tuple[str, ...]]
    plural: PluralRule = _english_plural
    sources: tuple[str, ...] = ()

    def lookup(self, msgid: str, context: str = "") -> str | None:
        forms = self.messages.get((context, msgid))
        return forms[0] if forms else None

    def lookup_plural(self, singular: str, n: int, context: str = "") -> str | None:
        forms = self.messages.get((context, singular))
        if not forms:
            return None
        return forms[min(self.plural(n), len(forms) - 1)]

    @property
    def fingerprint(self) -> str:
        """A hash of every message: a change to a translation makes the documents that print it stale."""
        digest = hashlib.sha256(self.language.encode())
        for (context, msgid), forms in sorted(self.messages.items()):
            digest.update("\0".join((context, msgid, *forms)).encode() + b"\1")
        return digest.hexdigest()


ENGLISH = Translations("en", {})


def locale_dir() -> Path:
    return Path(str(resources.files("protocolgen").joinpath("locale")))


def bundled_catalogue(language: str) -> Path:
    return locale_dir() / language / "LC_MESSAGES" / "messages.po"


def area_catalogue(area_dir: Path, language: str) -> Path:
    """An area's own corrections to a catalogue: ``AREA/locale/<lang>.po`` (its entries win)."""
    return area_dir / "locale" / f"{language}.po"


def read_catalogue(path: Path, display: str | None = None) -> Any:
    """A ``.po`` file as a Babel catalogue. Raises ``CatalogueProblem`` (with the line) for a broken file."""
    from babel.messages.pofile import PoFileError, read_po

    shown = display or str(path)
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True)
    except OSError as exc:
        raise CatalogueProblem(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CatalogueProblem(f"{shown}: is not UTF-8; save it as UTF-8") from None
    except PoFileError as exc:
        raise CatalogueProblem(f"{shown}: not a valid catalogue: {exc}") from None
    except (ValueError, SyntaxError, LookupError) as exc:  # a bad header (e.g. Plural-Forms) or charset
        raise CatalogueProblem(f"{shown}: not a valid catalogue: {exc}") from None


def catalogue_problems(catalogue: Any) -> list[tuple[int | None, str]]:
    """Babel's checks on every translated entry (placeholders and plural forms), as (line, message)."""
    problems: list[tuple[int | None, str]] = []
    for message, errors in catalogue.check():
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        for error in errors:
            problems.append((message.lineno, f"{_short(msgid)}: {error}"))
    return problems


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _plural_rule(catalogue: Any) -> PluralRule:
    try:
        return _gettext.c2py(catalogue.plural_expr)
    except (ValueError, SyntaxError):
        raise CatalogueProblem(f"the catalogue's Plural-Forms header is not valid: {catalogue.plural_expr}") from None


def translations_from(language: str, catalogues: Sequence[tuple[str, Any]]) -> Translations:
    """The messages of ``catalogues`` ((display name, Babel catalogue), later ones winning). Fuzzy and empty
    entries are left out, as gettext leaves them out: they are not yet translations."""
    messages: dict[tuple[str, str], tuple[str, ...]] = {}
    for _name, catalogue in catalogues:
        for message in catalogue:
            if not message.id or message.fuzzy:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            forms = tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)
            if not forms or not all(forms):
                continue
            messages[(message.context or "", msgid)] = forms
    plural = _plural_rule(catalogues[0][1]) if catalogues else _english_plural
    return Translations(language, messages, plural, tuple(name for name, _ in catalogues))


@cache
def _bundled(language: str) -> tuple[str, Any]:
    path = bundled_catalogue(language)
    return f"protocolgen/locale/{language}/LC_MESSAGES/messages.po", read_catalogue(path)


def load(language: str, area_dir: Path | None = None) -> Translations:
    """A language's translations: the bundled catalogue, then the area's own ``locale/<lang>.po`` over it."""
    if language == "en":
        return ENGLISH
    if not bundled_catalogue(language).is_file():
        raise CatalogueProblem(f"protocolgen has no catalogue for the language '{language}'")
    catalogues = [_bundled(language)]
    if area_dir is not None:
        own = area_catalogue(area_dir, language)
        if own.is_file():
            catalogues.append((f"locale/{language}.po", read_catalogue(own, f"locale/{language}.po")))
    return translations_from(language, catalogues)


def check_area_catalogues(area_dir: Path, languages: Iterable[str]) -> list[Diagnostic]:
    """Problems in an area's own catalogues (``validate`` lists them with the others)."""
    out: list[Diagnostic] = []
    for language in sorted(set(languages) - {"en"}):
        path = area_catalogue(area_dir, language)
        display = f"locale/{language}.po"
        if not path.is_file():
            continue
        try:
            catalogue = read_catalogue(path, display)
        except CatalogueProblem as exc:
            out.append(Diagnostic(display, None, "", str(exc).removeprefix(display + ": ")))
            continue
        out.extend(Diagnostic(display, line, "", message) for line, message in catalogue_problems(catalogue))
    return out


# --- the language of one rendering --------------------------------------------------------------------------


@dataclass
class Speaking:
    """The language a template is being rendered in, and what it found missing."""

    translations: Translations
    separate: bool = False  # a document of its own in this language: links go to this language's versions
    misses: list[str] = field(default_factory=list)  # fixed texts the catalogue lacks (printed in English)

    @property
    def language(self) -> str:
        return self.translations.language

    def missed(self, text: str) -> None:
        if text not in self.misses:
            self.misses.append(text)


_SPEAKING: ContextVar[Speaking | None] = ContextVar("protocolgen_speaking", default=None)


@contextmanager
def speaking(translations: Translations, separate: bool = False) -> Iterator[Speaking]:
    """Render in the language of ``translations`` inside the block."""
    now = Speaking(translations, separate)
    token = _SPEAKING.set(now)
    try:
        yield now
    finally:
        _SPEAKING.reset(token)


def _foreign_now() -> Speaking | None:
    """The current rendering when it is in a language other than English (else None: English as before)."""
    now = _SPEAKING.get()
    return now if now is not None and now.language != "en" else None


def current_language() -> str:
    now = _SPEAKING.get()
    return now.language if now is not None else "en"


# --- text in a language, and text in another ----------------------------------------------------------------


class Native(str):
    """Text already in the language being rendered: a profile's Welsh variant, or a catalogue's translation.
    ``english`` keeps the profile's English, for the tests a template makes of the wording (the ``english``
    filter), so that both languages of a document say the same things."""

    __slots__ = ("english",)
    english: str | None

    def __new__(cls, text: str, english: str | None = None) -> Native:
        made = super().__new__(cls, text)
        made.english = english
        return made


def english(value: Any) -> Any:
    """The ``english`` filter: the English a Welsh variant stands for (the value itself otherwise)."""
    return value.english if isinstance(value, Native) and value.english is not None else value


class Foreign(str):
    """Text in another language than the one being rendered (English, where a Welsh variant is missing). The
    writers print it in its own language (``w:lang``, ``lang``), so Word's proofing and screen readers switch."""

    __slots__ = ("lang",)
    lang: str

    def __new__(cls, text: str, lang: str = "en") -> Foreign:
        made = super().__new__(cls, text)
        made.lang = lang
        return made


def _render_module() -> Any:
    from . import render  # imported late: render imports this module in Renderer.__init__

    return render


def span(markdown: str, lang: str) -> str:
    """Markdown marking ``markdown`` (already escaped) as text in ``lang``: ``[...]{lang=en}``."""
    return f"[{markdown}]{{lang={lang}}}"


def escape(value: object, mark: bool = True) -> str:
    """A value for substitution into Markdown: ``MdSafe`` as it is, ``Foreign`` text marked with its language
    (inside a rendering in another language, unless ``mark`` is false: the text around it is marked already),
    anything else escaped as ``{{ value }}`` escapes it."""
    render = _render_module()
    if isinstance(value, render.MdSafe):
        return value
    if value is None:
        raise jinja2.TemplateRuntimeError("a value printed here is empty (None): the profile or context lacks it")
    if isinstance(value, bool):
        raise jinja2.TemplateRuntimeError("a yes/no value was printed directly; test it with {% if %} instead")
    now = _foreign_now()
    if mark and isinstance(value, Foreign) and now is not None and value.lang != now.language:
        return span(render.md_escape(value), value.lang)
    return str(render.md_escape(value))


def finalizer(base: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``base`` (render's finalize) that also marks ``Foreign`` text with its language."""

    def finalize(value: Any) -> Any:
        now = _foreign_now()
        if isinstance(value, Foreign) and now is not None and value.lang != now.language:
            return _render_module().MdSafe(escape(value))
        return base(value)

    return finalize


# --- the gettext callables (Jinja2 newstyle) -----------------------------------------------------------------


def _format(text: str, variables: Mapping[str, Any], mark: bool = True) -> Any:
    # Newstyle gettext always formats, so a literal % is written %% in every msgid (Jinja's own rule).
    return _render_module().MdSafe(text % {name: escape(value, mark) for name, value in variables.items()})


def _translated(msgid: str, context: str = "", plural: str | None = None, n: int = 1) -> tuple[str, bool]:
    """The text to format, and whether it is in the language being rendered (False: English fallback)."""
    now = _foreign_now()
    english = msgid if plural is None or n == 1 else plural
    if now is None:
        return english, True
    found = now.translations.lookup(msgid, context) if plural is None else \
        now.translations.lookup_plural(msgid, n, context)
    if found is None:
        now.missed(msgid)
        return english, False
    return found, True


def _result(text: str, ok: bool, variables: Mapping[str, Any]) -> Any:
    if ok:
        return _format(text, variables)
    # the English message is marked as a whole, so English values inside it need no marks of their own
    return _render_module().MdSafe(span(_format(text, variables, mark=False), "en"))


def gettext(__string: str, **variables: Any) -> Any:
    text, ok = _translated(__string)
    return _result(text, ok, variables)


def ngettext(__singular: str, __plural: str, __num: int, **variables: Any) -> Any:
    text, ok = _translated(__singular, plural=__plural, n=__num)
    return _result(text, ok, {"num": __num, **variables})


def pgettext(__context: str, __string: str, **variables: Any) -> Any:
    text, ok = _translated(__string, __context)
    return _result(text, ok, variables)


def npgettext(__context: str, __singular: str, __plural: str, __num: int, **variables: Any) -> Any:
    text, ok = _translated(__singular, __context, __plural, __num)
    return _result(text, ok, {"num": __num, **variables})


def translate_text(value: Any, context: str = "") -> Any:
    """The ``t`` filter: the translation of a fixed text that comes from code or the register (a sector's name,
    a right, a citation). In English, and for text already in the language (``Native``, ``MdSafe``, ``Foreign``),
    the value itself."""
    now = _foreign_now()
    render = _render_module()
    if now is None or value is None or isinstance(value, (Native, Foreign, render.MdSafe)) or not isinstance(value, str):
        return value
    found = now.translations.lookup(str(value), context)
    if found is None:
        now.missed(str(value))
        return Foreign(value)
    return Native(found)


# --- Jinja2 ---------------------------------------------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
# The writers' own words (page footer, contents, the draft label), translated for a document whose first
# language is not English (context "page").
PAGE_WORDS = ("Version", "Issued", "Page", "of", "Contents", "DRAFT")


def page_words(translations: Translations) -> tuple[tuple[str, str], ...]:
    """``DocMeta.labels`` for a document in the language of ``translations``."""
    if translations.language == "en":
        return ()
    return tuple((word, translations.lookup(word, "page") or word) for word in PAGE_WORDS)


def date_in(value: date, translations: Translations) -> str:
    """A long date in the language of ``translations``."""
    with speaking(translations):
        return str(long_date(value))


# Contexts (msgctxt) of the tables of fixed words kept in code, as the catalogue tool extracts them.
TABLE_CONTEXTS = {"sector_name": "sector", "category_name": "category", "status_name": "status",
                  "role_name": "role"}


def long_date(value: date) -> Any:
    """'1 July 2026', or in Welsh '1 Gorffennaf 2026'."""
    render = _render_module()
    if _foreign_now() is None:
        return render.long_date(value)
    month = translate_text(_MONTHS[value.month - 1], "month")
    return month.__class__(f"{value.day} {month} {value.year}") if isinstance(month, Foreign) else \
        Native(f"{value.day} {month} {value.year}")


def covers(item: str) -> Any:
    """``render.covers``, with the language in the id outside English (``cov-item-cy``), so that each
    language's headings in a bilingual document have their own ids and coverage is checked per language."""
    render = _render_module()
    now = _foreign_now()
    return render.covers(item if now is None else f"{item}-{now.language}")


def doc_link(name: str) -> str:
    """The file name of a sibling document's web page in the language being rendered ('young-people.html', or
    in a separate Welsh document 'young-people.cy.html')."""
    now = _foreign_now()
    return f"{name}.{now.language}.html" if now is not None and now.separate else f"{name}.html"


@jinja2.pass_context
def other_languages(context: Any, names: Iterable[Any]) -> list[Any]:
    """The languages a notice offers besides its own (the ``other_languages`` filter): in Wales, and in any
    document written in Welsh, Welsh is never one of them (it is a language of the documents themselves)."""
    flags = context.get("flags")
    in_wales = bool(getattr(flags, "wales", False)) or _foreign_now() is not None
    return [name for name in names if not (in_wales and is_welsh_name(name))]


def _table(name: str, base: Callable[[str], str]) -> Callable[[str], Any]:
    context = TABLE_CONTEXTS[name]

    def lookup(key: str) -> Any:
        return translate_text(base(key), context)

    return lookup


_VOWELS = frozenset("aeiouwyâêîôûŵŷáéíóúàèìòùäëïöüAEIOUWYÂÊÎÔÛŴŶ")


def join_and(items: Iterable[object], last: str = "and") -> Any:
    """``render.join_and`` in the language being rendered: Welsh joins the last two with 'a', or 'ac' before a
    vowel ('Cyngor Sir Dyffryn ac Heddlu ...' would be wrong: 'Cyngor ... a Heddlu ...')."""
    render = _render_module()
    now = _foreign_now()
    if now is None or last != "and":
        return render.join_and(items, last)
    parts = [escape(item) for item in items]
    if len(parts) <= 1:
        return render.MdSafe("".join(parts))
    word = pgettext("join", "and")
    if now.language == "cy" and str(word) == "a" and parts[-1].lstrip("\\[")[:1] in _VOWELS:
        word = render.MdSafe("ac")
    return render.MdSafe(f"{', '.join(parts[:-1])} {word} {parts[-1]}")


def link(text: object, url: object) -> Any:
    """``render.link``, except that text already made Markdown (``MdSafe``, e.g. a translated phrase) is not
    escaped a second time."""
    render = _render_module()
    made = render.link(text, url)
    if isinstance(text, render.MdSafe):
        target = made[made.index("](<") + 1:]
        return render.MdSafe(f"[{text}]{target}")
    return made


def install(env: jinja2.Environment) -> None:
    """Give ``env`` the i18n extension (newstyle, trimmed) with the Markdown-safe callables, and make the
    helpers that print words speak the language being rendered. Call once, before any template is loaded."""
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    # what the extension's install_gettext_callables sets: {% trans %} calls gettext(msgid, **values)
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext, _=gettext,
                       covers=covers, doc_link=doc_link, link=link)
    for name in TABLE_CONTEXTS:
        if name in env.filters:
            env.filters[name] = _table(name, env.filters[name])
    env.filters.update(t=translate_text, long_date=long_date, other_languages=other_languages, join_and=join_and,
                       english=english)
    env.finalize = finalizer(env.finalize or (lambda value: value))


# --- profile text in a language ------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


@cache
def translatable_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that have a Welsh variant (those of its ``cy`` field's model)."""
    info = model.model_fields.get("cy")
    if info is None:
        return ()
    for candidate in getattr(info.annotation, "__args__", (info.annotation,)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return tuple(candidate.model_fields)
    return ()


def _mark(value: Any, kind: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return kind(value)
    if isinstance(value, list):
        return [kind(item) if isinstance(item, str) else item for item in value]
    return value


def _welsh_of(given: Any, current: Any) -> Any:
    if isinstance(given, str):
        return Native(given, current if isinstance(current, str) else None)
    return [Native(item, old) for item, old in zip(given, current, strict=True)]


def localise(model: M, language: str) -> M:
    """A copy of ``model`` (and the models inside it) in ``language``: each reader-visible text is its variant
    (``Native``), or the English marked as such (``Foreign``) where the profile gives none. English: ``model``."""
    if language == "en":
        return model
    variant = getattr(model, language, None) if language in type(model).model_fields else None
    updates: dict[str, Any] = {}
    wanted = translatable_fields(type(model))
    for name in type(model).model_fields:
        if name == language:
            continue
        current = getattr(model, name)
        given = getattr(variant, name, None) if variant is not None else None
        if name in wanted and current is not None and given is None and name not in model.model_fields_set:
            continue  # protocolgen's own default (e.g. 'securely destroyed'): the template translates it (|t)
        if name in wanted and current is not None:
            if given is not None and (not isinstance(current, list) or len(given) == len(current)):
                updates[name] = _welsh_of(given, current)
            else:
                updates[name] = _mark(current, Foreign)
        elif isinstance(current, BaseModel):
            updates[name] = localise(current, language)
        elif isinstance(current, list) and current and isinstance(current[0], BaseModel):
            updates[name] = [localise(item, language) for item in current]
    return model.model_copy(update=updates)


def missing_variants(model: BaseModel, language: str, path: tuple[str | int, ...] = ()) -> list[
        tuple[tuple[str | int, ...], str]]:
    """Every reader-visible field of ``model`` (and the models inside it) whose ``language`` variant is missing
    or does not match the English list item for item, as (location, what is wrong)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    variant = getattr(model, language, None) if language in type(model).model_fields else None
    wanted = translatable_fields(type(model))
    for name in type(model).model_fields:
        if name == language:
            continue
        current = getattr(model, name)
        if name in wanted and current not in (None, [], ""):
            given = getattr(variant, name, None) if variant is not None else None
            if given is None and name not in model.model_fields_set:
                continue  # a default of protocolgen's own, translated by the catalogue
            if given is None:
                out.append(((*path, language, name), "missing"))
            elif isinstance(current, list) and len(given) != len(current):
                out.append(((*path, language, name), f"has {len(given)} item(s) where the English has {len(current)}"))
        elif isinstance(current, BaseModel):
            out.extend(missing_variants(current, language, (*path, name)))
        elif isinstance(current, list):
            for index, item in enumerate(current):
                if isinstance(item, BaseModel):
                    out.extend(missing_variants(item, language, (*path, name, index)))
    return out


def localised_area(loaded: Any, language: str) -> Any:
    """A copy of a ``LoadedArea`` whose area, organisations, agencies and panels are ``localise``d: resolving it
    gives each document's context in ``language``, decided by exactly the code that decides the English."""
    import dataclasses

    return dataclasses.replace(
        loaded,
        area=localise(loaded.area, language) if loaded.area is not None else None,
        organisations={key: localise(value, language) for key, value in loaded.organisations.items()},
        agencies={key: localise(value, language) for key, value in loaded.agencies.items()},
        panels={key: localise(value, language) for key, value in loaded.panels.items()},
    )
