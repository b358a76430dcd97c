"""The message catalogues and the Markdown-safe gettext callables (``protocolgen/i18n.py``).

The bundled Welsh catalogue is checked the way a translator's tools check it (Babel's checkers, GNU msgfmt when it
is installed, and ``tools/update_catalogue.py --check``, which also fails on any entry left untranslated or out of
date with the templates); the callables are checked by rendering small templates through the real ``Renderer``,
in English (exactly as before catalogues) and in Welsh (translated, substituted values escaped once, English
fallbacks marked as English).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import jinja2
import pytest

from protocolgen import i18n
from protocolgen.errors import TemplateProblem
from protocolgen.render import MdSafe, Renderer

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = i18n.bundled_catalogue("cy")


def _renderer(tmp_path: Path, **templates: str) -> Renderer:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in templates.items():
        (folder / f"{name}.md.j2").write_text(text, encoding="utf-8")
    return Renderer(folder)


def _welsh(messages: dict[tuple[str, str], tuple[str, ...]]) -> i18n.Translations:
    return i18n.Translations("cy", messages, i18n._plural_rule(i18n.read_catalogue(BUNDLED)))


# --- the bundled catalogue ------------------------------------------------------------------------------------


def test_bundled_catalogue_passes_babels_checks_and_translates_every_message() -> None:
    catalogue = i18n.read_catalogue(BUNDLED)
    assert i18n.catalogue_problems(catalogue) == []
    entries = [m for m in catalogue if m.id]
    assert len(entries) > 500
    untranslated = [m.id for m in entries
                    if m.fuzzy or not all(m.string if isinstance(m.string, (tuple, list)) else (m.string,))]
    assert untranslated == []


def test_catalogue_header_says_a_qualified_translator_must_check_it() -> None:
    for path in (BUNDLED, ROOT / "protocolgen" / "locale" / "messages.pot"):
        header = path.read_text(encoding="utf-8").split("msgid", 1)[0]
        assert i18n.TRANSLATOR_WARNING in header, path


def test_catalogue_is_up_to_date_with_the_templates_and_tables() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "update_catalogue.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_msgfmt_check_passes(tmp_path: Path) -> None:
    done = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "messages.mo"), str(BUNDLED)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_welsh_plural_forms_follow_the_catalogues_rule() -> None:
    welsh = i18n.load("cy")
    # Welsh counts take the singular noun: "12 mis", "1 mis"; the forms differ by the CLDR rule, not the noun.
    assert welsh.lookup_plural("%(num)s month", 12) == "%(num)s mis"
    assert welsh.plural(0) == 0 and welsh.plural(1) == 1 and welsh.plural(2) == 2 and welsh.plural(6) == 4


# --- the callables ------------------------------------------------------------------------------------------------


def test_english_trans_block_renders_exactly_as_plain_template_text(tmp_path: Path) -> None:
    renderer = _renderer(
        tmp_path,
        plain="Hello {{ name }}, see {{ link('the notice', 'x.html') }}.\n",
        trans="{% trans name=name, notice=link('the notice', 'x.html') %}Hello {{ name }}, see {{ notice }}."
              "{% endtrans +%}\n",
    )
    context = {"name": "*Ann* [Bo] | <C> #1"}
    assert renderer.render("trans.md.j2", context) == renderer.render("plain.md.j2", context)
    assert "\\*Ann\\* \\[Bo\\] \\| \\<C\\> \\#1" in renderer.render("trans.md.j2", context)


def test_welsh_substitutes_escaped_values_and_leaves_markdown_the_template_built(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{% trans name=name, notice=link(_('the notice'), 'x.html') %}"
                                         "Hello {{ name }}, see {{ notice }}.{% endtrans +%}\n")
    welsh = _welsh({("", "Hello %(name)s, see %(notice)s."): ("Helo %(name)s, gwelwch %(notice)s.",),
                    ("", "the notice"): ("yr hysbysiad",)})
    with i18n.speaking(welsh) as now:
        text = renderer.render("page.md.j2", {"name": "**Bold** `code`"})
    assert text == "Helo \\*\\*Bold\\*\\* \\`code\\`, gwelwch [yr hysbysiad](<x.html>).\n"
    assert now.misses == []


def test_a_missing_translation_is_printed_in_english_marked_as_english_and_recorded(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{{ _('Who we are') }}\n\n{% trans name=n %}Ask {{ name }}.{% endtrans +%}\n")
    with i18n.speaking(_welsh({("", "Who we are"): ("Pwy ydym ni",)})) as now:
        text = renderer.render("page.md.j2", {"n": "Ann"})
    assert text == "Pwy ydym ni\n\n[Ask Ann.]{lang=en}\n"
    assert now.misses == ["Ask %(name)s."]


def test_foreign_text_is_marked_with_its_language_inside_welsh_only(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{{ name }} / {% trans n=name %}{{ n }}{% endtrans +%}\n")
    english_name = i18n.Foreign("Westmarsh [Team]")
    assert renderer.render("page.md.j2", {"name": english_name}) == "Westmarsh \\[Team\\] / Westmarsh \\[Team\\]\n"
    with i18n.speaking(_welsh({})):
        text = renderer.render("page.md.j2", {"name": english_name})
    # a message missing from the catalogue is marked as a whole, and the name inside it is not marked again
    assert text == "[Westmarsh \\[Team\\]]{lang=en} / [Westmarsh \\[Team\\]]{lang=en}\n"


def test_none_and_booleans_are_refused_inside_trans_as_outside(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{% trans v=value %}Value {{ v }}{% endtrans %}\n")
    for value in (None, True):
        with pytest.raises(TemplateProblem):
            renderer.render("page.md.j2", {"value": value})


def test_t_filter_translates_fixed_text_and_leaves_profile_welsh_alone(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{{ a|t('sector') }} | {{ b|t('sector') }} | {{ c|t('sector') }}\n")
    context = {"a": "school", "b": i18n.Native("ysgol arbennig"), "c": "a sector nobody translated"}
    assert renderer.render("page.md.j2", context) == "school | ysgol arbennig | a sector nobody translated\n"
    with i18n.speaking(i18n.load("cy")) as now:
        text = renderer.render("page.md.j2", context)
    assert text == "ysgol | ysgol arbennig | [a sector nobody translated]{lang=en}\n"
    assert now.misses == ["a sector nobody translated"]


def test_welsh_dates_and_lists(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{{ day|long_date }}; {{ names|join_and }}; {{ others|join_and }}\n")
    context = {"day": date(2026, 7, 1), "names": ["Heddlu", "Cyngor"], "others": ["Cyngor", "Ysgol", "Arolygiaeth"]}
    assert renderer.render("page.md.j2", context) == "1 July 2026; Heddlu and Cyngor; Cyngor, Ysgol and Arolygiaeth\n"
    with i18n.speaking(i18n.load("cy")):
        text = renderer.render("page.md.j2", context)
    assert text == "1 Gorffennaf 2026; Heddlu a Cyngor; Cyngor, Ysgol ac Arolygiaeth\n"


def test_coverage_ids_carry_the_language_outside_english(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path, page="{{ covers('rights') }}\n## Rights\n")
    assert "{#cov-rights}" in renderer.render("page.md.j2", {})
    with i18n.speaking(i18n.load("cy")):
        assert "{#cov-rights-cy}" in renderer.render("page.md.j2", {})


def test_the_gettext_callables_return_markdown_safe_text() -> None:
    with i18n.speaking(_welsh({("", "Hi %(x)s"): ("Helo %(x)s",)})):
        assert isinstance(i18n.gettext("Hi %(x)s", x="_y_"), MdSafe)
        assert i18n.gettext("Hi %(x)s", x="_y_") == "Helo \\_y\\_"
        assert i18n.gettext("Hi %(x)s", x=MdSafe("**y**")) == "Helo **y**"
    assert i18n.gettext("Hi %(x)s", x="_y_") == "Hi \\_y\\_"


# --- catalogues an area brings --------------------------------------------------------------------------------


def test_an_areas_catalogue_entries_win_over_the_bundled_ones(tmp_path: Path) -> None:
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "cy.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "What is the panel?"\nmsgstr "Beth yw\'r panel hwn, felly?"\n', encoding="utf-8")
    welsh = i18n.load("cy", tmp_path)
    assert welsh.lookup("What is the panel?") == "Beth yw'r panel hwn, felly?"
    assert welsh.lookup("Who we are") == "Pwy ydym ni"  # the rest still comes from the bundled catalogue
    assert welsh.sources[-1] == "locale/cy.po"
    assert welsh.fingerprint != i18n.load("cy").fingerprint


def test_a_broken_area_catalogue_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "cy.po").write_text('msgid "x"\nmsgstr "y"\nmsgid\n', encoding="utf-8")
    with pytest.raises(i18n.CatalogueProblem, match=r"^locale/cy\.po: not a valid catalogue"):
        i18n.load("cy", tmp_path)
    problems = i18n.check_area_catalogues(tmp_path, ["cy", "en"])
    assert [p.file for p in problems] == ["locale/cy.po"] and problems[0].severity == "error"


def test_placeholders_a_translator_changed_are_reported_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "cy.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Ask %(name)s."\nmsgstr "Gofynnwch i %(enw)s."\n', encoding="utf-8")
    problems = i18n.check_area_catalogues(tmp_path, ["cy"])
    assert len(problems) == 1 and problems[0].line == 5 and "enw" in problems[0].message


def test_install_makes_trans_blocks_trimmed_and_newstyle() -> None:
    env = jinja2.Environment()
    env.filters.update(sector_name=lambda key: key)
    i18n.install(env)
    template = env.from_string("{% trans %}one\n   two{% endtrans %}")
    assert template.render() == "one two"
