"""Wales in full: the bundled Welsh example area, built through the real pipeline and read back as a reader meets
it (the Word documents' runs and their ``w:lang``, the web pages' ``lang`` attributes, the Markdown's coverage
ids), with the settings a Welsh area has (one bilingual document or one document per language, English-only
protocols), the warnings a missing Welsh variant gets, and Welsh never an "other language".
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from protocolgen import coverage
from protocolgen.area import inspect_area
from protocolgen.build import BuildOptions, build
from protocolgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
WALES = ROOT / "examples" / "wales"
ENGLAND = ROOT / "agency_profiles"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PUBLIC = ("privacy-notice", "young-people", "consent-form")
# Words of English that Welsh prose never uses: any of them in a Welsh run is English left untranslated.
ENGLISH_WORDS = re.compile(r"\b(the|and|with|your|you|we|our|which|what|who|when|how|this|that|from)\b", re.I)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wales")
    build(BuildOptions(area_dir=WALES, out_dir=out, emit_markdown=True))
    return out


def _area(tmp_path: Path) -> Path:
    copy = tmp_path / "wales"
    shutil.copytree(WALES, copy)
    return copy


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _runs(docx: Path) -> list[tuple[str, str]]:
    """(language, text) of every run of the body that holds text, the language from the run (else the paragraph
    mark, else the document default)."""
    with zipfile.ZipFile(docx) as package:
        body = etree.fromstring(package.read("word/document.xml"))
        styles = etree.fromstring(package.read("word/styles.xml"))
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}val")
    out = []
    for run in body.iter(f"{W}r"):
        text = "".join(t.text or "" for t in run.iter(f"{W}t"))
        if not text.strip():
            continue
        lang = run.find(f"{W}rPr/{W}lang")
        out.append((lang.get(f"{W}val") if lang is not None else default, text))
    return out


def _public_documents(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.docx") if p.stem in PUBLIC and ".protocolgen" not in p.parts)


# --- the example area ---------------------------------------------------------------------------------------------


def test_the_welsh_example_validates_with_no_errors_and_no_warnings() -> None:
    loaded = inspect_area(WALES)
    assert [d.format() for d in loaded.diagnostics] == []
    assert loaded.area is not None and loaded.area.nation == "wales" and loaded.area.languages == ["cy", "en"]
    assert len(loaded.agencies) >= 10
    assert {p.kind for p in loaded.panels.values()} >= {"marac", "child_exploitation", "early_help"}
    sectors = {a.sector for a in loaded.agencies.values()}
    assert sectors >= {"childrens_services", "local_health_board", "nhs_trust_wales", "police", "childrens_home",
                       "cafcass", "youth_offending_team", "maintained_school", "voluntary_community"}


def test_every_public_document_is_welsh_first_then_english_with_its_runs_marked(built: Path) -> None:
    documents = _public_documents(built)
    assert len(documents) >= 10 + 3 * 2
    for docx in documents:
        runs = _runs(docx)
        languages = [lang for lang, _ in runs]
        assert languages[0] == "cy-GB", docx  # the title (in both languages) and the Welsh come first
        first_english = languages.index("en-GB")
        assert "cy-GB" in languages[1:first_english], docx
        # after the Welsh part, English throughout (except the Welsh words of the link back, none here)
        assert set(languages[first_english:]) == {"en-GB"}, docx
        welsh = " ".join(text for lang, text in runs[1:first_english] if lang == "cy-GB")
        leftovers = [m.group(0) for m in ENGLISH_WORDS.finditer(welsh)]
        assert leftovers == [], (docx, leftovers[:10])


def test_web_pages_mark_the_welsh_and_english_blocks(built: Path) -> None:
    pages = sorted(p for p in built.rglob("*.html") if p.name != "index.html" and ".protocolgen" not in p.parts)
    assert len(pages) >= 11 + 3 * 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.count('<div lang="cy">') == 1 and html.count('<div lang="en">') == 1, page
        assert html.index('<div lang="cy">') < html.index('<div lang="en">')
        assert '<html lang="cy-GB">' in html
        assert "{lang=" not in html  # every span was understood


def test_coverage_is_complete_in_both_languages(built: Path) -> None:
    kinds = {"privacy-notice": ("panel-notice", "agency-notice"), "young-people": ("young-people",),
             "consent-form": ("panel-consent-form", "consent-form")}
    checked = 0
    for md in sorted(built.rglob("*.md")):
        if md.stem not in kinds or ".protocolgen" in md.parts:
            continue
        kind = kinds[md.stem][0 if md.parent.parent.name == "panels" else -1]
        report = coverage.check(md.as_posix(), kind, md.read_text(encoding="utf-8"))
        ids = {f.item.id for f in report.found}
        assert any(i.endswith("-cy") for i in ids) and any(not i.endswith("-cy") for i in ids), md
        assert report.missing == [], (md, [f.item.id for f in report.missing])
        checked += 1
    assert checked >= 16


def test_notices_in_wales_name_welsh_law_the_measure_and_welsh_help(built: Path) -> None:
    notice = (built / "panels" / "marac" / "privacy-notice.md").read_text(encoding="utf-8")
    welsh, english = notice.split(":::: lang en")
    assert "## Defnyddio'r Gymraeg" in welsh and "Mesur y Gymraeg (Cymru) 2011" in welsh
    assert "## Using Welsh" in english and "Welsh Language (Wales) Measure 2011" in english
    assert "0330 414 6421" in welsh and "0330 414 6421" in english  # the ICO answers in Welsh
    young = (built / "panels" / "child-exploitation" / "young-people.md").read_text(encoding="utf-8")
    for words in ("Meic", "080880 23456", "84001", "Comisiynydd Plant Cymru", "Children's Commissioner for Wales",
                  "Childline"):
        assert words in young, words
    agency = (built / "agencies" / "dyffryn-gwyrdd-childrens-services" / "privacy-notice.md").read_text("utf-8")
    assert "Deddf Gwasanaethau Cymdeithasol a Llesiant (Cymru) 2014, adran 21" in agency
    assert "Social Services and Well-being (Wales) Act 2014, section 21" in agency


def test_welsh_is_never_offered_as_another_language(tmp_path: Path) -> None:
    root = _area(tmp_path)
    _edit(root / "agencies" / "prosiect-y-bont.yaml",
          lambda d: d.setdefault("notice", {}).update(languages=["Welsh", "Polish"], cy={"languages": ["Cymraeg",
                                                                                                       "Pwyleg"]}))
    loaded = inspect_area(root)
    warnings = [d for d in loaded.warnings if d.field == "notice.languages[0]"]
    assert len(warnings) == 1 and "is not another language here" in warnings[0].message
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out, emit_markdown=True))
    notice = (out / "agencies" / "prosiect-y-bont" / "privacy-notice.md").read_text(encoding="utf-8")
    assert "ieithoedd hyn: Pwyleg." in notice and "You can also ask for it in Polish." in notice
    assert "Cymraeg." not in notice.split("Fformatau ac ieithoedd eraill")[1].split("::::")[0]


def test_protocols_are_signed_in_english_by_default(built: Path) -> None:
    protocol = (built / "panels" / "marac" / "protocol.md").read_text(encoding="utf-8")
    assert "lang cy" not in protocol and "{#cov-purpose}" in protocol
    runs = _runs(built / "panels" / "marac" / "protocol.docx")
    assert {lang for lang, _ in runs} == {"en-GB"}


def test_welsh_protocols_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    root = _area(tmp_path)
    _edit(root / "area.yaml", lambda d: d.update(protocol_languages=["cy", "en"]))
    errors = inspect_area(root).errors
    assert [e.field for e in errors] == ["protocol_languages"]
    assert "cannot write them in Welsh" in errors[0].message


# --- a missing Welsh variant ----------------------------------------------------------------------------------


def test_a_missing_welsh_name_is_a_warning_naming_file_line_and_field_and_an_error_when_strict(tmp_path: Path) -> None:
    root = _area(tmp_path)
    rel = "agencies/prosiect-y-bont.yaml"
    _edit(root / rel, lambda d: d["cy"].pop("name"))
    loaded = inspect_area(root)
    found = [d for d in loaded.warnings if d.file == rel and d.field == "cy.name"]
    assert len(found) == 1 and found[0].line is not None
    assert "has no Welsh" in found[0].message
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(root)]).exit_code == 0
    strict = runner.invoke(main, ["validate", str(root), "--strict"])
    assert strict.exit_code == 1 and f"{rel}:" in strict.output and "cy.name" in strict.output


def test_a_missing_welsh_name_prints_the_english_marked_as_english(tmp_path: Path) -> None:
    root = _area(tmp_path)
    _edit(root / "agencies" / "prosiect-y-bont.yaml", lambda d: d["cy"].pop("name"))
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    runs = _runs(out / "agencies" / "prosiect-y-bont" / "privacy-notice.docx")
    first_english = [lang for lang, _ in runs].index("en-GB", 1)
    welsh_part_english = [text for lang, text in runs[1:] if lang == "en-GB"][:1]
    assert welsh_part_english and "Y Bont Youth Project" in welsh_part_english[0]
    assert runs.index(next(r for r in runs[1:] if r[0] == "en-GB")) <= first_english
    page = (out / "agencies" / "prosiect-y-bont" / "privacy-notice.html").read_text(encoding="utf-8")
    welsh_html = page.split('<div lang="en">')[0]
    assert '<span lang="en">Y Bont Youth Project</span>' in welsh_html


# --- one document per language ------------------------------------------------------------------------------


def test_separate_documents_link_to_each_other_and_are_all_listed(tmp_path: Path) -> None:
    root = _area(tmp_path)
    _edit(root / "area.yaml", lambda d: d.update(bilingual="separate_documents"))
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out, emit_markdown=True))
    folder = out / "panels" / "marac"
    for name in ("privacy-notice.docx", "privacy-notice.html", "privacy-notice.cy.docx", "privacy-notice.cy.html",
                 "young-people.cy.docx", "young-people.cy.html"):
        assert (folder / name).is_file(), name
    welsh = (folder / "privacy-notice.cy.md").read_text(encoding="utf-8")
    english = (folder / "privacy-notice.md").read_text(encoding="utf-8")
    assert welsh.startswith("Mae'r ddogfen hon ar gael yn Saesneg hefyd: [English](<privacy-notice.html>).")
    assert english.startswith("This document is also available in Welsh: [Cymraeg](<privacy-notice.cy.html>).")
    assert "(<young-people.cy.html>)" in welsh and "(<young-people.html>)" in english
    # each opens with the line in its own language, then the same line in the other, marked as such
    assert "\n\n::: lang en\n\nThis document is also available in English: [English](<privacy-notice.html>)." in welsh
    assert "\n\n::: lang cy\n\nMae'r ddogfen hon ar gael yn Gymraeg hefyd: [Cymraeg](<privacy-notice.cy.html>)." in english
    for docx, own, other, line in (("privacy-notice.cy.docx", "cy-GB", "en-GB", "This document is also available"),
                                   ("privacy-notice.docx", "en-GB", "cy-GB", "Mae'r ddogfen hon ar gael")):
        runs = _runs(folder / docx)
        foreign = [text for lang, text in runs if lang == other]
        assert foreign and foreign[0].startswith(line) and len(foreign) <= 3, (docx, foreign)
        assert sum(lang == own for lang, _ in runs) > 50
    consent = (out / "agencies" / "cysgod-domestic-abuse-support" / "consent-form.cy.md").read_text("utf-8")
    assert consent.startswith("Mae'r ddogfen hon ar gael yn Saesneg hefyd: [English](<consent-form.docx>).")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="panels/marac/privacy-notice.cy.docx"' in index and 'href="panels/marac/privacy-notice.docx"' in index
    manifest = (out / ".protocolgen-manifest.json").read_text(encoding="utf-8")
    assert '"panels/marac/privacy-notice.cy"' in manifest


def test_a_rebuild_of_a_welsh_area_writes_nothing_and_a_catalogue_change_makes_it_stale(tmp_path: Path) -> None:
    root = _area(tmp_path)
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    assert build(BuildOptions(area_dir=root, out_dir=out)).written == []
    (root / "locale").mkdir()
    (root / "locale" / "cy.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "What is the panel?"\nmsgstr "Beth yn union yw\'r panel?"\n', encoding="utf-8")
    again = build(BuildOptions(area_dir=root, out_dir=out, emit_markdown=True))
    assert "panels/marac/young-people.docx" in again.written
    assert "Beth yn union yw'r panel?" in (out / "panels" / "marac" / "young-people.md").read_text(encoding="utf-8")


# --- English areas ---------------------------------------------------------------------------------------------


def test_english_area_documents_have_no_language_containers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=ENGLAND, out_dir=out, emit_markdown=True, only=("panel:early-help",)))
    for md in (out / "panels" / "early-help").glob("*.md"):
        text = md.read_text(encoding="utf-8")
        assert ":::: lang" not in text and "{lang=" not in text and "-cy}" not in text, md
    assert {lang for lang, _ in _runs(out / "panels" / "early-help" / "privacy-notice.docx")} == {"en-GB"}


def test_welsh_documents_are_valid_office_open_xml(built: Path) -> None:
    openxml_audit = pytest.importorskip("openxml_audit", reason="openxml-audit is not installed (pip install '.[test]')")
    validator = openxml_audit.OpenXmlValidator(file_format=openxml_audit.FileFormat.OFFICE_2019, max_errors=0)
    documents = _public_documents(built)
    assert documents
    for docx in documents:
        errors = [str(e) for e in validator.validate(docx).errors if e.severity.value == "error"]
        assert errors == [], (docx, errors[:3])


def test_an_agency_may_ask_for_welsh_in_an_english_language_area(tmp_path: Path) -> None:
    import arealib

    root = arealib.write_area(tmp_path / "area")
    arealib.edit(root, arealib.CHARITY, lambda d: d.update(languages=["cy", "en"],
                                                           cy={"name": "Ymddiriedolaeth Ieuenctid y Gogledd"}))
    warnings = [d for d in inspect_area(root).warnings if d.file == arealib.CHARITY]
    fields = {d.field for d in warnings}
    assert "cy.description" in fields and "cy.name" not in fields  # only this agency's own texts are asked for
    assert not [d for d in inspect_area(root).warnings if d.file == arealib.COUNCIL and d.field.startswith("cy")]
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out, emit_markdown=True))
    own = (out / "agencies" / "north-youth-trust" / "privacy-notice.md").read_text(encoding="utf-8")
    assert own.startswith(":::: lang cy") and "Ymddiriedolaeth Ieuenctid y Gogledd" in own
    assert "[North Youth Trust works with children and families in North.]{lang=en}" in own
    council = (out / "agencies" / "north-council" / "privacy-notice.md").read_text(encoding="utf-8")
    panel = (out / "panels" / "early-help" / "privacy-notice.md").read_text(encoding="utf-8")
    assert "lang cy" not in council and "lang cy" not in panel
