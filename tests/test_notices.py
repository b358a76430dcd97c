"""The public notices and the consent form, rendered through the real pipeline.

Every document of the bundled area is rendered (load_area -> resolve -> render_markdown), and variant areas
are written into tmp_path to test what the bundled one cannot show. Assertions read the Markdown the way a
reader sees it: parsed with markdown-it, so escaped profile text is compared with the profile itself.

Readability is Flesch reading ease (textstat) on each document's prose: paragraph and list text, without
headings, tables, container fences or lines that carry contact details (email, phone, web, postcode).
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import textstat
import yaml
from markdown_it import MarkdownIt

from protocolgen.area import LoadedArea, inspect_area, load_area
from protocolgen.build import render_markdown
from protocolgen.render import Renderer
from protocolgen.resolve import Job, resolve
from protocolgen.write.markdown import CONTAINER_CLOSE, CONTAINER_OPEN, container_name, parse

AREA = Path(__file__).resolve().parent.parent / "agency_profiles"
NOTICE_KINDS = ("panel-notice", "young-people", "agency-notice", "consent-form")
MIN_FLESCH = {"panel-notice": 60, "agency-notice": 60, "young-people": 70}

_MD = MarkdownIt("commonmark").enable("table")
_CONTACT_LINE = re.compile(
    r"@|https?://|www\.|\bico\.org\.uk\b|\b0\d{2,4}[ \d]{6,}\b|\b\d{3} \d{3} \d{4}\b|\b0800 \d{4}\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"
)
CHECKBOXES = "☐ Yes ☐ No"  # as read: the template's double spaces collapse


# --- rendering ---------------------------------------------------------------------------------------


def notice_jobs(loaded: LoadedArea) -> dict[str, Job]:
    return {job.id: job for job in resolve(loaded) if job.kind in NOTICE_KINDS}


def render_all(loaded: LoadedArea) -> dict[str, str]:
    renderer = Renderer()
    return {job_id: render_markdown(job, renderer) for job_id, job in notice_jobs(loaded).items()}


@pytest.fixture(scope="module")
def bundled() -> LoadedArea:
    return load_area(AREA)


@pytest.fixture(scope="module")
def docs(bundled: LoadedArea) -> dict[str, str]:
    return render_all(bundled)


def _bundled_job_ids() -> list[str]:
    return sorted(notice_jobs(load_area(AREA)))


JOB_IDS = _bundled_job_ids()
PANEL_IDS = sorted({j.split("/")[1] for j in JOB_IDS if j.startswith("panels/")})
AGENCY_IDS = sorted({j.split("/")[1] for j in JOB_IDS if j.startswith("agencies/")})


def kind_of(job_id: str) -> str:
    section, _ident, name = job_id.split("/")
    if section == "panels":
        return "panel-notice" if name == "privacy-notice" else "young-people"
    return "agency-notice" if name == "privacy-notice" else "consent-form"


Editor = Callable[[dict[str, dict]], None]


def variant(tmp_path: Path, edit: Editor) -> LoadedArea:
    """A copy of the bundled area with its YAML edited in place by ``edit``.

    ``edit`` gets a dict of the parsed files: 'area', 'legislation' (the area's register overrides, {} when
    there are none), 'agency:<id>' and 'panel:<id>'. Setting a value to None deletes that file.
    """
    root = tmp_path / "area"
    shutil.copytree(AREA, root)
    files = {"area": root / "area.yaml", "legislation": root / "legislation.yaml"}
    files.update({f"agency:{p.stem}": p for p in (root / "agencies").glob("*.yaml")})
    files.update({f"panel:{p.stem}": p for p in (root / "panels").glob("*.yaml")})
    data = {key: yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
            for key, path in files.items()}
    data["legislation"] = data["legislation"] or {}
    edit(data)
    for key, path in files.items():
        if not data.get(key):
            path.unlink(missing_ok=True)
        else:
            path.write_text(yaml.safe_dump(data[key], allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = inspect_area(root)
    assert not loaded.errors, "\n".join(d.format() for d in loaded.errors)
    return loaded


# --- reading the Markdown as a reader would ------------------------------------------------------------


def _inline_text(token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def flat(text: str) -> str:
    return " ".join(text.split())


def _blocks(tokens) -> list[tuple[int, str]]:
    """(token index, visible text) of each block: a paragraph, list item, heading or a whole table row."""
    out: list[tuple[int, str]] = []
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            row, start = [], i
        elif token.type == "tr_close" and row is not None:
            out.append((start, " | ".join(row)))
            row = None
        elif token.type == "inline":
            text = flat(_inline_text(token))
            if row is not None:
                row.append(text)
            else:
                out.append((i, text))
    return out


def plain(md: str) -> str:
    """All visible text, one block (or table row, cells joined by ' | ') a line."""
    return "\n".join(text for _i, text in _blocks(_MD.parse(md)))


def sections(md: str) -> dict[str, str]:
    """Level-2 heading -> the visible text under it (its level-3 subsections included)."""
    tokens = _MD.parse(md)
    out: dict[str, list[str]] = {"": []}
    current = ""
    for i, text in _blocks(tokens):
        if i and tokens[i - 1].type == "heading_open" and tokens[i - 1].tag == "h2":
            current = text
            assert current not in out, f"heading '{current}' appears twice"
            out[current] = []
        else:
            out[current].append(text)
    return {heading: "\n".join(lines) for heading, lines in out.items()}


def prose(md: str) -> str:
    """Paragraph and list text only: no headings, tables, fences or contact lines. One sentence-ish a line."""
    lines, in_table, in_heading = [], 0, False
    for token in _MD.parse(md):
        if token.type == "table_open":
            in_table += 1
        elif token.type == "table_close":
            in_table -= 1
        elif token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and not in_table and not in_heading:
            text = flat(_inline_text(token))
            if not text or text.startswith(":::") or _CONTACT_LINE.search(text):
                continue
            lines.append(text if text[-1] in ".!?:" else text + ".")
    return "\n".join(lines)


def flesch(md: str) -> float:
    return textstat.flesch_reading_ease(prose(md))


def words(md: str) -> int:
    return len(plain(md).split())


def html(md: str) -> str:
    return _MD.render(md)


# --- the helpers themselves ----------------------------------------------------------------------------


def test_prose_drops_headings_tables_and_contact_lines() -> None:
    md = (
        "## Heading words here\n\nWe keep it safe\n\n| A | B |\n|---|---|\n| table text | x |\n\n"
        "- Email: [a@b.example](<mailto:a@b.example>)\n- Phone: 0303 123 1113\n- Post: 1 Road, Town WM1 1AA\n"
        "- a list item\n"
    )
    assert prose(md) == "We keep it safe.\na list item."


def test_flesch_separates_plain_from_official_prose() -> None:
    easy = "We keep your records safe. You can ask to see them. It is free."
    hard = ("Notwithstanding the aforementioned considerations, organisational accountability necessitates "
            "comprehensive documentation of information-governance determinations.")
    assert flesch(easy) >= 70 > 30 > flesch(hard)


# --- every document ----------------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", JOB_IDS)
def test_document_is_clean(docs: dict[str, str], job_id: str) -> None:
    md = docs[job_id]
    text = plain(md)
    for bad in ("{{", "{%", "{#", "TBC", "TODO", "lorem"):
        assert bad not in md, f"{job_id}: '{bad}' in the Markdown"
    assert not re.search(r"\bNone\b", text), f"{job_id}: 'None' printed"
    assert "Data Protection Act 1998" not in text
    assert not re.search(r"Primary Care Trust|Strategic Health Authorit|Local Safeguarding Children Board", text)
    assert "Information Commission " not in text  # the regulator is still the ICO in these documents


@pytest.mark.parametrize("job_id", JOB_IDS)
def test_document_structure(docs: dict[str, str], job_id: str) -> None:
    """The title is added by the writer, headings never skip a level, containers are known and closed."""
    tokens = parse(docs[job_id])  # raises on an unknown container name
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    assert levels and levels[0] == 2 and 1 not in levels
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    depth = 0
    for token in tokens:
        if token.type == CONTAINER_OPEN:
            container_name(token)
            depth += 1
        elif token.type == CONTAINER_CLOSE:
            depth -= 1
        assert depth >= 0
    assert depth == 0
    sections(docs[job_id])  # asserts no duplicate heading


@pytest.mark.parametrize("job_id", JOB_IDS)
def test_no_paragraph_repeated(docs: dict[str, str], job_id: str) -> None:
    blocks = [line for line in prose(docs[job_id]).splitlines() if len(line) > 60]
    repeated = {b for b in blocks if blocks.count(b) > 1}
    assert not repeated, f"{job_id} repeats: {sorted(repeated)[:2]}"


@pytest.mark.parametrize("job_id", [j for j in JOB_IDS if kind_of(j) in MIN_FLESCH])
def test_readability(docs: dict[str, str], job_id: str) -> None:
    score = flesch(docs[job_id])
    assert score >= MIN_FLESCH[kind_of(job_id)], f"{job_id}: Flesch reading ease {score}"


# --- the panel notice (guidance 11.3, Case Example 19; UK GDPR Articles 13 and 14) ----------------------

TOPICS_11_3 = {
    "membership": "Who sits on the panel",
    "level": "What we share and in how much detail",
    "secondary sharing": "How far the information goes",
    "recording": "How we record it",
    "security": "How we keep it safe",
    "retention": "How long we keep it",
    "access": "How to see your records",
    "override": "When we share without your agreement",
}


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_covers_11_3_with_this_panels_data(bundled: LoadedArea, docs: dict[str, str], panel_id: str) -> None:
    panel = bundled.panels[panel_id]
    seats = bundled.members(panel_id)
    by_heading = sections(docs[f"panels/{panel_id}/privacy-notice"])
    for topic, heading in TOPICS_11_3.items():
        assert heading in by_heading, f"missing the 11.3 topic '{topic}'"
    members = by_heading[TOPICS_11_3["membership"]]
    for agency, seat in seats:
        assert re.search(rf"{re.escape(agency.name)}.*{seat.role.capitalize()}.*{re.escape(flat(seat.representative))}",
                         members), f"{agency.name} ({seat.role}) not in the membership table"
    chair = bundled.agencies[panel.chair].name
    assert f"{chair} chairs it" in members
    level = by_heading[TOPICS_11_3["level"]]
    assert flat(panel.information_level) in level
    assert all(flat(item) in level for item in panel.information_shared)
    assert flat(panel.secondary_sharing) in by_heading[TOPICS_11_3["secondary sharing"]]
    assert flat(panel.recording) in by_heading[TOPICS_11_3["recording"]]
    assert all(flat(item) in by_heading[TOPICS_11_3["security"]] for item in panel.security)
    kept = by_heading[TOPICS_11_3["retention"]]
    for rule in panel.retention:
        assert re.search(rf"{re.escape(rule.period)}.*{re.escape(flat(rule.starts))}", kept, re.I)
    assert flat(panel.consent.override) in by_heading[TOPICS_11_3["override"]]
    access = by_heading[TOPICS_11_3["access"]]
    for agency, _seat in seats:
        assert agency.access_requests.contact.role in access
        assert flat(agency.access_requests.how) in access
    assert "12 or over" in access


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_gives_articles_13_and_14(bundled: LoadedArea, docs: dict[str, str], panel_id: str) -> None:
    md = docs[f"panels/{panel_id}/privacy-notice"]
    by_heading = sections(md)
    job = notice_jobs(bundled)[f"panels/{panel_id}/privacy-notice"]
    controllers = by_heading["Who is responsible for your information"]
    assert "controller" in controllers
    for party in job.context["parties"]:
        agency = party.agency
        general = agency.contacts.general
        assert any(line.startswith(f"{agency.name} | ") and (general is None or general.role in line)
                   for line in controllers.splitlines()), f"no contact row for {agency.name}"
        dpo = agency.contacts.data_protection_officer
        assert dpo.role in controllers
        assert (dpo.email or dpo.phone or dpo.address) in controllers
        if dpo.email:
            assert f'<a href="mailto:{dpo.email}">{dpo.email}</a>' in html(md), "contact details are links"
    reasons = by_heading["Why the law lets us use it"]
    assert "UK GDPR" in reasons
    for party in job.context["parties"]:
        for basis in party.gdpr_bases:
            assert basis.article in reasons and basis.plain in reasons
            assert reasons.count(f"({basis.article})") == 1, "each lawful basis names its article once"
    assert "Where the information comes from" in by_heading
    rights = by_heading["Your rights"]
    for right in ("to see it", "to correct it", "to stop using it", "to limit how we use it", "to delete it"):
        assert right in rights
    complaints = by_heading["Questions and complaints"]
    first, ico = complaints.index("tell us first"), complaints.index("Information Commissioner's Office")
    assert first < ico
    assert "ico.org.uk" in complaints and "0303 123 1113" in complaints
    area_contact = bundled.area.contact
    assert area_contact.role in complaints and (area_contact.email or area_contact.phone) in complaints
    formats = by_heading["Other formats and languages"]
    for party in job.context["parties"]:
        assert all(flat(f) in formats for f in party.agency.notice.formats)
        assert all(language in formats for language in party.agency.notice.languages)


def test_panel_notice_lawful_bases_in_plain_words_per_member(bundled: LoadedArea, docs: dict[str, str]) -> None:
    """The reasons table names each member with its own bases, so a parent can look their service up."""
    for panel_id in PANEL_IDS:
        job = notice_jobs(bundled)[f"panels/{panel_id}/privacy-notice"]
        text = sections(docs[job.id])["Why the law lets us use it"]
        for party in job.context["parties"]:
            row = next(line for line in text.splitlines() if line.startswith(party.agency.name))
            for basis in party.gdpr_bases:
                assert basis.name.lower() in row.lower()


def test_panel_notice_cites_only_checked_special_category_conditions(tmp_path: Path) -> None:
    """A condition the register has not checked drops out of the notice; the checked one stays."""
    unchecked = "data-protection-act-2018-sch-1-para-6"

    def edit(data: dict[str, dict]) -> None:
        data["legislation"].setdefault(unchecked, {})["verified"] = False

    before = sections(render_all(load_area(AREA))["panels/complex-needs/privacy-notice"])["Why the law lets us use it"]
    loaded = variant(tmp_path, edit)
    after = sections(render_all(loaded)["panels/complex-needs/privacy-notice"])["Why the law lets us use it"]
    dropped, kept = loaded.register[unchecked], loaded.register["data-protection-act-2018-sch-1-para-18"]
    assert dropped.citation in before and kept.citation in before
    assert dropped.citation not in after and kept.citation in after
    assert "Article 9" in after


# --- the young people's version ------------------------------------------------------------------------


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_young_people_version(bundled: LoadedArea, docs: dict[str, str], panel_id: str) -> None:
    short = docs[f"panels/{panel_id}/young-people"]
    full = docs[f"panels/{panel_id}/privacy-notice"]
    assert words(short) < words(full) * 0.5
    assert len(prose(short).split()) < 700, "about two pages at most"
    text = plain(short)
    for agency, _seat in bundled.members(panel_id):
        assert agency.name in text
    by_heading = sections(short)
    assert "12 or older" in by_heading["Can you see what is written about you?"]
    assert "without asking" in by_heading["When might we share without asking?"]
    assert "Who can you talk to?" in by_heading
    assert "0800 1111" in text  # Childline
    panel = bundled.panels[panel_id]
    assert all(flat(item) in text for item in panel.information_shared)


# --- the agency notice (guidance 8.16, 10.1) ------------------------------------------------------------


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_agency_notice_content(bundled: LoadedArea, docs: dict[str, str], agency_id: str) -> None:
    agency = bundled.agencies[agency_id]
    by_heading = sections(docs[f"agencies/{agency_id}/privacy-notice"])
    assert flat(agency.description) in by_heading["Who we are"]
    recorded = by_heading["What we record"]
    assert all(flat(kind) in recorded for kind in agency.records.kinds)
    assert flat(agency.records.sharing_decisions) in recorded
    shared = by_heading["Who we share information with, and why"]
    for seat in agency.panels:
        panel = bundled.panels[seat.panel]
        assert panel.name in shared and flat(panel.purpose) in shared
    kept = by_heading["How long we keep records"]
    assert all(rule.period in kept for rule in agency.retention)
    assert all(flat(item) in by_heading["How we keep information safe"] for item in agency.security)
    access = by_heading["How to see your records"]
    assert flat(agency.access_requests.how) in access
    assert agency.access_requests.contact.role in access
    contacts = by_heading["Contact us"]
    for contact in (agency.contacts.data_protection_officer, agency.contacts.safeguarding_lead):
        assert contact.role in contacts and (contact.email or contact.phone or contact.address) in contacts
    complaints = by_heading["Complaints"]
    assert complaints.index("tell us first") < complaints.index("Information Commissioner's Office")
    assert "ico.org.uk" in complaints
    if agency.special_category_data:
        assert "Article 9" in by_heading["Sensitive information"]


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_agency_notice_legal_basis_fits_status(bundled: LoadedArea, docs: dict[str, str], agency_id: str) -> None:
    agency = bundled.agencies[agency_id]
    basis = sections(docs[f"agencies/{agency_id}/privacy-notice"])["Why the law lets us share"]
    if agency.status == "statutory":
        assert "we have duties in law" in basis
    else:
        assert "not a public body" in plain(docs[f"agencies/{agency_id}/privacy-notice"])
        assert not re.search(r"duties in law|our (legal |statutory )?duties|statutory dut", basis, re.I)
        if not agency.contracted_by:
            assert "agreement before we share" in basis and "significant harm" in basis


def test_voluntary_agency_never_claims_statutory_duties(tmp_path: Path) -> None:
    """Turn a statutory service into a voluntary one: its notice must drop every claim of duties."""
    def edit(data: dict[str, dict]) -> None:
        youth = data["agency:westmarsh-housing"]
        youth.update(status="voluntary", statutory_basis=[], uk_gdpr_bases=[])
        youth.pop("contracted_by", None)

    before = render_all(load_area(AREA))["agencies/westmarsh-housing/privacy-notice"]
    after = render_all(variant(tmp_path, edit))["agencies/westmarsh-housing/privacy-notice"]
    assert "duties in law" in before
    text = plain(after)
    assert "We are a voluntary organisation, not a public body." in text
    assert not re.search(r"duties in law|public duties|our (legal |statutory )?duties|statutory dut", text, re.I)
    assert "Children Act" not in text
    basis = sections(after)["Why the law lets us share"]
    assert "agreement before we share" in basis and "significant harm" in basis
    assert "Recognised legitimate interest" in basis  # the default for a voluntary body after 5 February 2026


def test_agency_on_no_panel_says_so(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        data["agency:quayside-leisure"]["panels"] = []

    docs = render_all(variant(tmp_path, edit))
    shared = sections(docs["agencies/quayside-leisure/privacy-notice"])["Who we share information with, and why"]
    assert "do not sit on any" in shared
    form = plain(docs["agencies/quayside-leisure/consent-form"])
    assert "other services that can help" in form and CHECKBOXES in form


def test_repealed_law_a_profile_cites_is_not_printed(tmp_path: Path) -> None:
    """An agency citing the Data Protection Act 1998 still gets a notice built on current law only."""
    def edit(data: dict[str, dict]) -> None:
        data["agency:harbour-lane-surgery"]["statutory_basis"].append(
            {"key": "data-protection-act-1998", "note": "Sharing records under the 1998 Act."})

    loaded = variant(tmp_path, edit)
    assert any("data-protection-act-1998" in d.message for d in loaded.warnings)
    docs = render_all(loaded)
    for job_id, md in docs.items():
        assert "Data Protection Act 1998" not in plain(md), job_id
        assert "under the 1998 Act" not in plain(md), job_id


# --- the consent form (guidance 4.19-4.27, 6.5) ----------------------------------------------------------


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_consent_form(bundled: LoadedArea, docs: dict[str, str], agency_id: str) -> None:
    md = docs[f"agencies/{agency_id}/consent-form"]
    by_heading = sections(md)
    form_tables = _form_tables(md)
    assert any("Anything or anyone you do not want it shared with" in t for t in form_tables), "the 6.5 box"
    assert any(all(c in t for c in ("Name", "Relationship to the child", "Signature", "Date")) for t in form_tables)
    assert any("Young person's name" in t and "Signature" in t for t in form_tables)
    assert "take back your agreement at any time" in by_heading["Changing your mind"]
    lasts = by_heading["How long your agreement lasts"]
    assert re.search(r"at least every \d+ months", lasts) and "change" in lasts
    assert all(rule.period in lasts for rule in bundled.agencies[agency_id].retention)
    who = by_heading["Who can agree"]
    assert "Gillick competent" in who and "parental responsibility" in who
    assert "significant harm" in by_heading["When we may share without your agreement"]
    agency = bundled.agencies[agency_id]
    choices = by_heading["What we would like to share, and who with"]
    for seat in agency.panels:
        panel = bundled.panels[seat.panel]
        offered = f"{CHECKBOXES} I agree to {agency.name} sharing information about my child with the {panel.name}."
        if panel.consent.approach == "not_sought":
            # honest: a panel that does not ask first is explained, not offered as a choice
            assert offered not in plain(md)
            assert panel.name in by_heading["When we may share without your agreement"]
        else:
            assert offered in choices
            assert flat(panel.purpose) in choices


def _form_tables(md: str) -> list[str]:
    """The visible text of each table inside a ::: form container."""
    tables, inside, current = [], 0, None
    for token in parse(md):
        if token.type == CONTAINER_OPEN and container_name(token) == "form":
            inside += 1
        elif token.type == CONTAINER_CLOSE and inside:
            inside -= 1
        elif inside and token.type == "table_open":
            current = []
        elif inside and token.type == "table_close" and current is not None:
            tables.append(" | ".join(current))
            current = None
        elif current is not None and token.type == "inline":
            current.append(token.content)
    return tables


@pytest.mark.parametrize(("months", "expected"), [(6, 6), (12, 12), (24, 12)])
def test_consent_review_timescale_follows_area_only_when_apt(tmp_path: Path, months: int, expected: int) -> None:
    def edit(data: dict[str, dict]) -> None:
        data["area"]["review_interval_months"] = months

    md = render_all(variant(tmp_path, edit))["agencies/little-egrets-playgroup/consent-form"]
    assert f"at least every {expected} months" in plain(md)


# --- variants: escaping, missing optional fields, other consent approaches --------------------------------

TRICKY = "A | B *C* # {{x}}"
TRICKY_PANEL = "Panel # 1 [x](y) <b>"


def test_profile_text_is_data_not_markup(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        data["agency:the-landing-drop-in"]["name"] = TRICKY
        data["panel:early-help"]["name"] = TRICKY_PANEL
        data["panel:early-help"]["information_shared"].append("- 1. *not* a list")

    docs = render_all(variant(tmp_path, edit))
    checked = 0
    for job_id, md in docs.items():
        if TRICKY in plain(md):
            checked += 1
            rendered = html(md)
            assert "<em>C</em>" not in rendered and "{{" not in md
            assert TRICKY in rendered
        if "early-help" in job_id:
            assert TRICKY_PANEL.replace("<b>", "&lt;b&gt;") in html(md)
            assert '<a href="y"' not in html(md) and "<b>" not in html(md)
    # the agency's own two documents, and each document of the three panels it sits on
    assert checked >= 2 + 2 * 3
    assert "- 1. *not* a list" in plain(docs["panels/early-help/privacy-notice"])
    assert "- 1. *not* a list" in plain(docs["panels/early-help/young-people"])
    table = sections(docs["panels/complex-needs/privacy-notice"])["Who sits on the panel"]
    assert any(line.startswith(TRICKY) for line in table.splitlines()), "a | in a name must not split a table cell"


def test_optional_contacts_and_formats_may_be_missing(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        landing = data["agency:the-landing-drop-in"]
        for field in ("website", "notice"):
            landing.pop(field, None)
        landing["contacts"].pop("general", None)
        landing["contacts"]["data_protection_officer"] = {"role": "Chief Officer", "address": "5 Ferry Steps, Westmarsh"}

    docs = render_all(variant(tmp_path, edit))
    md = docs["agencies/the-landing-drop-in/privacy-notice"]
    text = plain(md)
    assert "General enquiries" not in text and "Our website" not in text
    assert "You can ask for this notice in these formats" not in text
    assert "Chief Officer: post: 5 Ferry Steps, Westmarsh" in text
    panel = sections(docs["panels/complex-needs/privacy-notice"])["Who is responsible for your information"]
    safeguarding = load_area(AREA).agencies["the-landing-drop-in"].contacts.safeguarding_lead
    assert safeguarding.role in panel, "with no general contact the safeguarding lead is given"


def test_panel_that_does_not_ask_first(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        data["panel:hospital-mdt"]["consent"]["approach"] = "not_sought"

    docs = render_all(variant(tmp_path, edit))
    notice = sections(docs["panels/hospital-mdt/privacy-notice"])["Asking for your agreement"]
    assert "does not usually ask for agreement" in notice
    young = sections(docs["panels/hospital-mdt/young-people"])["Will we ask you first?"]
    assert "does not always ask first" in young
    before = render_all(load_area(AREA))
    assert "does not always ask first" not in before["panels/hospital-mdt/young-people"]


def test_panel_without_sensitive_data_cites_no_article_9(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        youth = data["panel:youth-crime-prevention"]
        youth["special_category_data"] = []
        youth["special_category_conditions"] = []
        youth["criminal_offence_data"] = False

    md = render_all(variant(tmp_path, edit))["panels/youth-crime-prevention/privacy-notice"]
    text = plain(md)
    assert "Article 9" not in text and "Article 10" not in text and "sensitive" not in text
