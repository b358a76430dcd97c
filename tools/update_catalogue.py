"""Extract protocolgen's translatable text into ``protocolgen/locale/messages.pot`` and merge it into each
language's catalogue (``protocolgen/locale/<lang>/LC_MESSAGES/messages.po``).

Run from the repository root::

    python tools/update_catalogue.py            # rewrite the .pot and update every .po (translations kept)
    python tools/update_catalogue.py --check    # exit 1 if either is out of date, or a .po is incomplete

Two sources of text:

* the templates, through Babel's Jinja2 extractor (``babel.cfg``): every ``{% trans %}`` block and ``_()``;
* fixed words kept in code and data, which templates print through the ``t`` filter or the table filters:
  sector, category, status and role names (``render``), lawful bases, rights, Article 9 conditions
  (``law``), document titles and the young people's defaults (``resolve``), month names, and from the
  legislation register and the helplines the citations, roles and names that Welsh documents print. Each
  gets a context (msgctxt) naming its table, so a translator sees what kind of text it is.

The output is deterministic (no dates from the clock, sorted entries, no line numbers), so a regenerated
file that differs from the committed one means the text really changed. New entries arrive untranslated;
``--check`` (and the tests) fail until they are translated.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator
from configparser import ConfigParser
from datetime import UTC, datetime
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protocolgen import __version__, i18n, law, render, resolve  # noqa: E402
from protocolgen.models import AccessRequests, Agency, Retention  # noqa: E402

LOCALE = ROOT / "protocolgen" / "locale"
POT = LOCALE / "messages.pot"
TEAM = "none yet: a qualified translator must review this catalogue"
TRANSLATOR = "protocolgen's first draft, not yet reviewed"
FIXED_DATE = datetime(2026, 7, 1, tzinfo=UTC)  # the catalogue's own date: never the clock
HEADER = f"""\
# Message catalogue of protocolgen: the fixed text of its public documents.
# {i18n.TRANSLATOR_WARNING}
# Translators: keep every %(name)s placeholder as it is (it is replaced by a name or a link), keep
# Markdown out (the templates add it), and put corrections for one area in AREA/locale/<lang>.po.
#"""


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    parser = ConfigParser()
    parser.read(ROOT / "babel.cfg", encoding="utf-8")
    methods, options = [], {}
    for section in parser.sections():
        method, _, pattern = section.partition(":")
        methods.append((pattern.strip(), method.strip()))
        options[pattern.strip()] = dict(parser.items(section))
    return methods, options


def _template_messages() -> Iterator[tuple[str | tuple[str, str], str | None, str, int, list[str]]]:
    methods, options = _method_map()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), methods, options, comment_tags=("Translators:",), strip_comment_tags=True):
        yield message, context, filename, lineno, list(comments)


def _table_messages() -> Iterator[tuple[str, str, str]]:
    """(msgid, context, where it comes from) for the fixed words kept in code and data."""
    for name, table in (("sector", render.SECTOR_NAMES), ("category", render.CATEGORY_NAMES),
                        ("status", render.STATUS_NAMES), ("role", render.ROLE_NAMES)):
        for text in table.values():
            yield text, name, f"render.{name.upper()}_NAMES"
    for basis in law.BASES.values():
        yield basis.article, "article", "law.BASES"
        for text in (basis.name, basis.plain, basis.default_purpose):
            yield text, "basis", "law.BASES"
    yield "protecting children from harm, which we have weighed against your interests and rights", "basis", \
        "law.bases_of"
    every_basis = list(law.BASES)
    for statutory in (True, False):
        # every wording a right can take: with every basis, and with the recognised legitimate interest alone
        for bases in (every_basis, ["recognised_legitimate_interest"]):
            for right in law.rights(bases, statutory):
                yield right.text, "right", "law.rights"
    for point, name in law.POINT_NAMES.items():
        yield f"Article 9(2)({point})", "article", "resolve (Article 9 conditions)"
        yield name, "condition", "law.POINT_NAMES"
    for sector, status, bases in (("childrens_social_care", "statutory", ()), ("nhs_acute_trust", "statutory", ()),
                                  ("police", "statutory", ()), ("voluntary_community", "voluntary", ("consent",))):
        agency = Agency.model_construct(sector=sector, status=status, contracted_by=None, contract_role=None)
        for condition in law.default_conditions(agency, bases):
            yield condition.when, "condition", "law.default_conditions"
    for kind, pattern in resolve.TITLES.items():
        if kind not in resolve.PROTOCOL_KINDS:
            yield pattern, "title", "resolve.TITLES"
    for text in resolve.YOUNG_PEOPLE_DEFAULT.values():
        yield text, "young-people", "resolve.YOUNG_PEOPLE_DEFAULT"
    for text in resolve.YOUNG_PEOPLE_ITEMS:
        yield text, "young-people", "resolve.young_people_list"
    for month in i18n._MONTHS:
        yield month, "month", "i18n (dates)"
    yield "and", "join", "i18n.join_and"
    for word in i18n.PAGE_WORDS:
        yield word, "page", "the writers (footer, contents, draft label)"
    for model in (Retention, AccessRequests):  # text defaults a profile may leave to protocolgen
        for name in i18n.translatable_fields(model):
            default = model.model_fields[name].default
            if isinstance(default, str):
                yield default, "default", f"models.{model.__name__}.{name}"
    yield from _register_messages()
    for nation, entries in yaml.safe_load((ROOT / "protocolgen" / "data" / "helplines.yaml").read_text("utf-8")).items():
        for entry in entries or ():
            for key in ("name", "what", "phone_label"):
                if entry.get(key):
                    yield entry[key], "helpline", f"data/helplines.yaml ({nation})"


def _register_messages() -> Iterator[tuple[str, str, str]]:
    """What Welsh documents print from the register: the citations of checked entries that apply in Wales, the
    roles of Welsh law, and the regulator's name and address."""
    register = yaml.safe_load((ROOT / "protocolgen" / "data" / "legislation.yaml").read_text("utf-8"))
    for key, entry in sorted(register.items()):
        if not entry.get("verified") or entry.get("extent") == "England" or entry.get("status") == "repealed":
            continue
        where = f"legislation register: {key}"
        yield entry["citation"], "legislation", where
        if entry.get("extent") == "Wales":
            for laid in entry.get("laid_on") or ():
                yield laid["role"], "legislation", where
        if entry.get("regulator"):
            for field in ("name", "short_name", "address"):
                if entry["regulator"].get(field):
                    yield entry["regulator"][field], "legislation", where


def template() -> Catalog:
    """The catalogue template (.pot): every message, sorted, without translations."""
    pot = Catalog(project="protocolgen", version=__version__, header_comment=HEADER, creation_date=FIXED_DATE,
                  revision_date=FIXED_DATE, msgid_bugs_address="", fuzzy=False, language_team=TEAM,
                  last_translator=TRANSLATOR)
    for message, context, filename, _lineno, comments in _template_messages():
        pot.add(message, None, [(filename, None)], auto_comments=comments, context=context)
    for text, context, where in _table_messages():
        existing = pot.get(text, context)
        if existing is None:
            pot.add(text, None, [(where, None)], context=context)
        elif (where, None) not in existing.locations:
            existing.locations.append((where, None))
    return pot


def _dump(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return out.getvalue()


def updated(language: str, pot: Catalog) -> tuple[Catalog, Path]:
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    if path.is_file():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
    else:
        catalog = Catalog(locale=language, project="protocolgen", header_comment=HEADER, fuzzy=False)
    catalog.header_comment = HEADER
    catalog.project, catalog.version, catalog.msgid_bugs_address = "protocolgen", __version__, ""
    catalog.language_team, catalog.last_translator = TEAM, TRANSLATOR
    catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE
    catalog.fuzzy = False
    catalog.obsolete.clear()
    return catalog, path


def problems(catalog: Catalog) -> list[str]:
    """Entries not yet translated, left fuzzy, or failing Babel's checks."""
    out = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if message.fuzzy:
            out.append(f"fuzzy: {msgid!r}")
        elif not all(strings):
            out.append(f"untranslated: {msgid!r}")
    out += [f"line {line}: {text}" for line, text in i18n.catalogue_problems(catalog)]
    return out


def _sync(path: Path, data: bytes, check: bool) -> int:
    """Write ``data`` to ``path``; with ``check``, change nothing and return 1 (saying so) if they differ."""
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return 0
    if path.is_file() and path.read_bytes() == data:
        return 0
    print(f"{path.relative_to(ROOT)} is out of date: run python tools/update_catalogue.py")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    args = parser.parse_args(argv)
    pot = template()
    status = _sync(POT, _dump(pot), args.check)
    for language in i18n.LANGUAGES:
        if language == "en":
            continue
        catalog, path = updated(language, pot)
        status |= _sync(path, _dump(catalog), args.check)
        found = problems(catalog)
        for problem in found:
            print(f"{path.relative_to(ROOT)}: {problem}")
        status = status or (1 if found else 0)
        translated = sum(1 for m in catalog if m.id and not m.fuzzy and all(
            m.string if isinstance(m.string, (tuple, list)) else (m.string,)))
        print(f"{language}: {translated} of {sum(1 for m in catalog if m.id)} messages translated")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
