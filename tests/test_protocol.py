"""The information sharing protocol (templates/protocol.md.j2), rendered through the real pipeline.

Every test loads an area with ``load_area``, resolves it and renders the protocol with ``render_markdown``:
the bundled example area, or a variant of it copied into ``tmp_path`` with one thing changed (a member
removed or added, the nation, the panel's kind, a profile citing repealed law). Each tailoring rule is checked
both ways: its text is present when its condition holds and absent when it does not.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from protocolgen.area import load_area
from protocolgen.build import render_markdown
from protocolgen.render import Renderer
from protocolgen.resolve import HistoryRow, Job, resolve

BUNDLED = Path(__file__).resolve().parent.parent / "agency_profiles"
PANEL = "complex-needs"  # the Case Example 19 panel of the bundled area
PANELS = sorted(p.stem for p in (BUNDLED / "panels").glob("*.yaml"))

# --- helpers -------------------------------------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table")


def protocol_job(area_dir: Path, panel: str = PANEL) -> Job:
    jobs = {job.id: job for job in resolve(load_area(area_dir))}
    return jobs[f"panels/{panel}/protocol"]


def render(job: Job, doc: Any = None) -> str:
    return render_markdown(job, Renderer(), doc)


def protocol(area_dir: Path, panel: str = PANEL) -> str:
    return render(protocol_job(area_dir, panel))


@pytest.fixture(scope="module")
def bundled() -> dict[str, str]:
    """Every bundled panel's protocol, rendered once."""
    jobs = resolve(load_area(BUNDLED))
    return {job.id.split("/")[1]: render(job) for job in jobs if job.kind == "protocol"}


def read(root: Path, rel: str) -> dict[str, Any]:
    return yaml.safe_load((root / rel).read_text(encoding="utf-8"))


def write(root: Path, rel: str, data: dict[str, Any]) -> None:
    (root / rel).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def edit(root: Path, rel: str, change: Callable[[dict[str, Any]], None]) -> None:
    data = read(root, rel)
    change(data)
    write(root, rel, data)


def variant(tmp_path: Path) -> Path:
    root = tmp_path / "area"
    shutil.copytree(BUNDLED, root)
    return root


def agencies(root: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: read(root, f"agencies/{p.name}") for p in sorted((root / "agencies").glob("*.yaml"))}


def members(root: Path, panel: str = PANEL) -> dict[str, dict[str, Any]]:
    return {ident: data for ident, data in agencies(root).items()
            if any(seat["panel"] == panel for seat in data.get("panels", []))}


def leave_panel(root: Path, ident: str, panel: str = PANEL) -> None:
    edit(root, f"agencies/{ident}.yaml",
         lambda a: a.update(panels=[s for s in a["panels"] if s["panel"] != panel]))


def join_panel(root: Path, ident: str, representative: str, panel: str = PANEL) -> None:
    edit(root, f"agencies/{ident}.yaml", lambda a: a["panels"].append(
        {"panel": panel, "role": "member", "representative": representative}))


def members_where(root: Path, test: Callable[[dict[str, Any]], bool], panel: str = PANEL) -> list[str]:
    return [ident for ident, data in members(root, panel).items() if test(data)]


HEALTH_SECTORS = {"nhs_community_trust", "nhs_acute_trust", "integrated_care_board", "gp_practice", "camhs",
                  "adult_mental_health"}


def section(md: str, heading: str) -> str:
    """The text under a heading (any level), up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\n", md, re.MULTILINE)
    assert match, f"no heading {heading!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(md, match.end())
    return md[match.end(): end.start() if end else len(md)]


def headings(md: str) -> list[tuple[int, str]]:
    tokens = _MD.parse(md)
    return [(int(tok.tag[1]), tokens[i + 1].content) for i, tok in enumerate(tokens) if tok.type == "heading_open"]


def inline_texts(md: str) -> list[str]:
    """The plain text of every inline run (paragraph, heading, table cell) after Markdown parsing."""
    texts = []
    for token in _MD.parse(md):
        if token.type == "inline":
            texts.append("".join(child.content for child in token.children or []
                                 if child.type in ("text", "text_special", "code_inline")))
    return texts


def tables(md: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts (the header row first), after Markdown parsing."""
    found: list[list[list[str]]] = []
    row: list[str] = []
    for token in _MD.parse(md):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and found and token.level >= 4:
            row.append("".join(c.content for c in token.children or [] if c.type in ("text", "text_special")))
        elif token.type == "tr_close":
            found[-1].append(row)
    return found


def table_with_header(md: str, first: str, second: str) -> list[list[str]]:
    matches = [t for t in tables(md) if t[0][:2] == [first, second]]
    assert len(matches) == 1, f"expected one table headed {first!r} | {second!r}, found {len(matches)}"
    return matches[0]


def outside_notes(md: str) -> str:
    return re.sub(r"^::: note\n.*?^:::\n", "", md, flags=re.MULTILINE | re.DOTALL)


def notes(md: str) -> list[str]:
    return re.findall(r"^::: note\n(.*?)^:::\n", md, flags=re.MULTILINE | re.DOTALL)


# --- the bundled area --------------------------------------------------------------------------------------


def test_every_bundled_panel_has_a_protocol(bundled: dict[str, str]) -> None:
    assert sorted(bundled) == PANELS and PANELS


@pytest.mark.parametrize("panel", PANELS)
def test_no_leftovers_or_placeholders(bundled: dict[str, str], panel: str) -> None:
    md = bundled[panel]
    assert not re.search(r"\bNone\b", md)
    for bad in ("TBC", "TODO", "{{", "{%", "{#", "XXX", "[insert"):
        assert bad not in md, bad


@pytest.mark.parametrize("panel", PANELS)
def test_document_control_opens_the_document_then_the_contents(panel: str) -> None:
    loaded = load_area(BUNDLED)
    area = loaded.area
    job = protocol_job(BUNDLED, panel)
    md = render(job)
    first = tables(md)[0]
    assert md.startswith("| Document control |")
    control = {row[0]: row[1] for row in first[1:]}
    assert control == {
        "Title": job.doc.title,
        "Reference": job.doc.reference,
        "Version": job.doc.version,
        "Owner": area.document_owner,
        "Issuing body": area.issuing_body,
        "In force from": "1 April 2026",
        "Next review due": "1 April 2027",
        "Law stated as at": "1 April 2026",
        "Signed copy kept": area.signed_copy_location,
    }
    assert md.index("::: toc\n:::") < md.index("\n# ")


@pytest.mark.parametrize("panel", PANELS)
def test_headings_are_unnumbered_and_never_skip_a_level(bundled: dict[str, str], panel: str) -> None:
    levels = headings(bundled[panel])
    assert levels[0][0] == 1
    previous = 1
    for level, text in levels:
        assert level <= min(previous + 1, 3), text
        assert not re.match(r"\d", text), f"typed number in heading {text!r}"
        previous = level
    titles = [text for _, text in levels]
    assert protocol_job(BUNDLED, panel).doc.title not in titles
    for required in ("About this protocol", "The parties", "Principles", "Legal framework", "Consent",
                     "Sharing without consent", "Information shared", "Making and answering a request",
                     "Secondary sharing", "Recording decisions", "Security", "Retention", "Access to records",
                     "Freedom of information", "Breaches, complaints and disputes", "Training",
                     "Monitoring, review and ending", "Signatures", "Checklist before sharing",
                     "Schedule of legislation and guidance", "Glossary", "Version history"):
        assert required in titles, required


@pytest.mark.parametrize("panel", PANELS)
def test_parties_table_names_every_member_with_its_representative(panel: str) -> None:
    loaded = load_area(BUNDLED)
    md = protocol(BUNDLED, panel)
    rows = table_with_header(md, "Agency", "Status and seat")[1:]
    seats = loaded.members(panel)
    assert len(rows) == len(seats) >= 2
    by_name = {row[0]: row for row in rows}
    for agency, seat in seats:
        assert by_name[agency.name][2] == seat.representative[:1].upper() + seat.representative[1:]
        assert seat.role in by_name[agency.name][1]


def test_parties_table_gives_each_party_its_own_legal_footing(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    power = {row[0]: row[3] for row in table_with_header(md, "Agency", "Status and seat")[1:]}
    bases = {row[0]: row[1:] for row in table_with_header(md, "Agency", "UK GDPR lawful basis")[1:]}
    assert power["Westmarsh Youth Justice Service"] == (
        "Statutory gateway: Crime and Disorder Act 1998, section 115")
    assert power["NHS Fenmoor and Westmarsh Integrated Care Board"] == "Implied by its statutory functions"
    assert power["The Landing Teenage Drop-in"] == "No specific power needed (voluntary organisation)"
    assert bases["Westmarsh Community Health NHS Trust"][0].startswith("Public task (Article 6(1)(e))")
    assert "recognised legitimate interest (safeguarding)" in bases["The Landing Teenage Drop-in"][0]
    assert bases["Westmarsh Community Health NHS Trust"][1] == "Article 9(2)(g), with Schedule 1, paragraph 6 or 18"
    assert bases["The Landing Teenage Drop-in"][1] == "Article 9(2)(g), with Schedule 1, paragraph 18"
    assert bases["Westmarsh Community Health NHS Trust"][2] == "Article 10, official authority"
    assert bases["The Landing Teenage Drop-in"][2] == "Article 10, with a Schedule 1 condition"


def test_each_partys_powers_are_listed(bundled: dict[str, str]) -> None:
    powers = section(bundled[PANEL], "Each party's power to share")
    loaded = load_area(BUNDLED)
    for agency, _ in loaded.members(PANEL):
        line = next(line for line in powers.splitlines() if line.startswith(f"- **{agency.name}**: "))
        for basis in agency.statutory_basis:
            assert loaded.register[basis.key].citation in line
        if not agency.statutory_basis:
            assert "needs no specific power" in line
    social_care = next(line for line in powers.splitlines() if "Children's Social Care**" in line)
    assert "Children Act 1989, section 17; Children Act 1989, section 47;" in social_care
    assert "; and Crime and Disorder Act 1998, section 115." in social_care


GONE = ("Data Protection Act 1998", "Local Safeguarding Children Board", "Primary Care Trust", "Connexions",
        "Child Protection Register", "LSCB", "Area Child Protection Committee", "Strategic Health Authorit")
HISTORY = re.compile(r"replac|took the place of|swapped|abolish|in place of|former", re.IGNORECASE)


def assert_nothing_gone_presented_as_current(md: str) -> None:
    """Repealed law and abolished bodies may appear only in a repealed-law note, or in a schedule summary that
    says they were replaced; never in the body of the protocol."""
    body = outside_notes(md).replace(section(md, "Schedule of legislation and guidance"), "")
    for gone in GONE:
        assert gone not in body, gone
    for row in table_with_header(md, "Title and citation", "What it does")[1:]:
        for gone in GONE:
            if gone in row[1]:
                assert HISTORY.search(row[1]), row


@pytest.mark.parametrize("panel", PANELS)
def test_no_repealed_law_or_abolished_body_presented_as_current(bundled: dict[str, str], panel: str) -> None:
    assert_nothing_gone_presented_as_current(bundled[panel])


@pytest.mark.parametrize("panel", PANELS)
def test_s16la_is_described_as_not_yet_in_force(bundled: dict[str, str], panel: str) -> None:
    md = bundled[panel]
    assert "Children Act 2004, section 16LA" in md  # England: the register lists it for every English area
    pending = section(md, "Law enacted but not yet in force")
    assert "Children Act 2004, section 16LA" in pending
    assert "not yet in force" in pending.split("\n\n")[0]
    # Everywhere it is cited, it is cited as not in force: only in that section and in the schedule.
    assert md.count("Children Act 2004, section 16LA") == 2
    schedule = {row[0]: row[2] for row in table_with_header(md, "Title and citation", "What it does")[1:]}
    assert schedule["Children Act 2004, section 16LA"] == "Enacted but not yet in force"


def test_s16la_in_force_is_not_called_pending(tmp_path: Path) -> None:
    root = variant(tmp_path)
    write(root, "legislation.yaml", {"children-act-2004-s16la": {"status": "in_force"}})
    md = protocol(root)
    assert "## Law enacted but not yet in force" not in md
    schedule = {row[0]: row[2] for row in table_with_header(md, "Title and citation", "What it does")[1:]}
    assert schedule["Children Act 2004, section 16LA"] == "In force"


@pytest.mark.parametrize("panel", PANELS)
def test_schedule_lists_every_provision_the_document_may_cite(panel: str) -> None:
    job = protocol_job(BUNDLED, panel)
    md = render(job)
    rows = table_with_header(md, "Title and citation", "What it does")[1:]
    # The title is added where the citation does not already contain it (e.g. guidance, or a renamed entry).
    assert [row[0] for row in rows] == [
        entry.citation + ("" if entry.title in entry.citation else f" ({entry.title})")
        for entry in job.context["schedule"]]
    for row, entry in zip(rows, job.context["schedule"], strict=True):
        assert row[1] == entry.summary
    for entry in job.context["schedule"]:
        if entry.uri:
            assert f"(<{entry.uri}>)" in md


def test_schedule_shows_a_title_the_citation_does_not_carry(tmp_path: Path, bundled: dict[str, str]) -> None:
    assert "(as renamed)" not in bundled[PANEL]
    root = variant(tmp_path)
    renamed = {"crime-and-disorder-act-1998-s115": {"title": "Crime and Disorder Act (as renamed)"}}
    write(root, "legislation.yaml", renamed)
    md = protocol(root)
    rows = [row[0] for row in table_with_header(md, "Title and citation", "What it does")[1:]]
    assert "Crime and Disorder Act 1998, section 115 (Crime and Disorder Act (as renamed))" in rows


@pytest.mark.parametrize("panel", PANELS)
def test_cites_no_register_entry_outside_its_law(panel: str) -> None:
    loaded = load_area(BUNDLED)
    job = protocol_job(BUNDLED, panel)
    md = render(job)
    allowed = {e.citation for e in job.context["law"].values()}
    for key, entry in loaded.register.items():
        if key in job.context["law"] or any(entry.citation in ok for ok in allowed):
            continue
        assert not re.search(re.escape(entry.citation) + r"(?![\w(])", md), f"{key} cited but not in law"


def test_signatures_block_has_a_row_per_party(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    block = re.search(r"^::: signatures\n(.*?)^:::\n", md, re.MULTILINE | re.DOTALL)
    assert block
    rows = tables(block.group(1))[0]
    assert rows[0] == ["Agency", "Name", "Job title", "Signature", "Date"]
    names = [agency.name for agency, _ in load_area(BUNDLED).members(PANEL)]
    assert [row[0] for row in rows[1:]] == names
    assert all(row[1:] == ["", "", "", ""] for row in rows[1:])


def test_panel_facts_come_from_the_profile(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    loaded = load_area(BUNDLED)
    panel = loaded.panels[PANEL]
    for text in (panel.purpose, panel.information_level, panel.secondary_sharing, panel.recording,
                 panel.consent.how, panel.consent.override, panel.how_families_are_told, panel.meeting_frequency):
        assert " ".join(text.split()) in md
    for item in (*panel.information_shared, *panel.security):
        assert f"- {item}\n" in md
    retention = table_with_header(md, "Records", "Kept for")[1:]
    expected = [[r.records[:1].upper() + r.records[1:], r.period] for r in panel.retention]
    assert [row[:2] for row in retention] == expected
    for other in loaded.area.other_agreements:
        assert f"- {' '.join(other.split())}\n" in md


def test_recording_and_access_give_each_partys_own_arrangements(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    recording = {row[0]: row[1] for row in table_with_header(md, "Agency", "How it records decisions")[1:]}
    access = {row[0]: row for row in table_with_header(md, "Agency", "Where to ask")[1:]}
    for agency, _ in load_area(BUNDLED).members(PANEL):
        assert recording[agency.name] == " ".join(agency.records.sharing_decisions.split())
        contact = agency.access_requests.contact
        assert access[agency.name][1].startswith(contact.role)
        assert (contact.email or contact.phone or "") in access[agency.name][1]
        assert access[agency.name][2] == agency.access_requests.response_time
    rights = section(md, "Access to records")
    assert "about the age of 12" in rights and "(guidance 4.34)" in rights


def test_consent_section_covers_who_can_consent(bundled: dict[str, str]) -> None:
    who = section(bundled[PANEL], "Who can agree for a child")
    for needle in ("16 or 17", "Gillick competence", "parental responsibility", "(guidance 4.23)"):
        assert needle in who
    without = section(bundled[PANEL], "Sharing without consent")
    for needle in ("(guidance 4.14)", "(guidance 4.17)", "(guidance 4.20)", "proportionate"):
        assert needle in without


def test_guidance_is_cited_by_paragraph(bundled: dict[str, str]) -> None:
    cited = set(re.findall(r"guidance (\d+\.\d+)", bundled[PANEL]))
    for paragraph in ("2.1", "4.14", "4.20", "4.23", "4.33", "4.34", "4.35", "5.3", "11.3"):
        assert paragraph in cited


@pytest.mark.parametrize("approach, words", [
    ("sought_in_advance", "asks for agreement before a child is first discussed"),
    ("sought_at_referral", "asks for agreement when it refers the child"),
    ("not_sought", "does not normally ask for agreement"),
])
def test_consent_approach_follows_the_panel(tmp_path: Path, approach: str, words: str) -> None:
    root = variant(tmp_path)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["consent"].update(approach=approach))
    md = protocol(root)
    assert words in section(md, "How the panel seeks agreement")
    others = {"asks for agreement before a child is first discussed", "asks for agreement when it refers the child",
              "does not normally ask for agreement"} - {words}
    assert not any(other in md for other in others)


def test_version_history_defaults_to_first_issue(bundled: dict[str, str]) -> None:
    rows = table_with_header(bundled[PANEL], "Version", "Date")
    assert rows[1:] == [["1.0", "1 April 2026", "First issue"]]


def test_version_history_lists_the_documents_history() -> None:
    job = protocol_job(BUNDLED)
    history = (HistoryRow("1.0", datetime.date(2026, 4, 1), "First issue"),
               HistoryRow("1.1", datetime.date(2026, 9, 1), "New housing representative"))
    md = render(job, dataclasses.replace(job.doc, version="1.1", history=history))
    rows = table_with_header(md, "Version", "Date")
    assert rows[1:] == [["1.0", "1 April 2026", "First issue"],
                        ["1.1", "1 September 2026", "New housing representative"]]
    assert md.count("First issue") == 1


# --- tailoring, each rule both ways ------------------------------------------------------------------------

HEALTH_MARKERS = ("## Health information", "two-tier approach", "Caldicott", "(guidance 8.8-8.9)")


def test_health_members_bring_the_health_rules(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    for marker in HEALTH_MARKERS:
        assert marker in md, marker
    guardians = table_with_header(md, "Agency", "Caldicott guardian")[1:]
    assert "Westmarsh Community Health NHS Trust" in [row[0] for row in guardians]
    assert any(row[0] == "Caldicott guardian" for row in table_with_header(md, "Term", "Meaning"))


def test_no_health_members_no_health_rules(tmp_path: Path) -> None:
    root = variant(tmp_path)
    health = members_where(root, lambda a: a["sector"] in HEALTH_SECTORS)
    assert health
    for ident in health:
        leave_panel(root, ident)
    md = protocol(root)
    for marker in HEALTH_MARKERS:
        assert marker not in md, marker


POLICE_MARKERS = ("## Preventing crime", "(guidance 9.1)", "(guidance 4.9)", "prejudice a police investigation")


def test_youth_justice_member_brings_crime_prevention(bundled: dict[str, str]) -> None:
    crime = section(bundled[PANEL], "Preventing crime")
    for marker in POLICE_MARKERS[1:]:
        assert marker in crime, marker
    assert "Crime and Disorder Act 1998, section 115 allows anyone to disclose" in crime
    assert "Westmarsh Youth Justice Service" in crime


def test_no_police_or_youth_justice_no_crime_prevention(tmp_path: Path) -> None:
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["sector"] in ("police", "youth_offending_team")):
        leave_panel(root, ident)
    md = protocol(root)
    for marker in POLICE_MARKERS:
        assert marker not in md, marker


def test_police_member_is_named_in_crime_prevention(bundled: dict[str, str]) -> None:
    crime = section(bundled["youth-crime-prevention"], "Preventing crime")
    assert "Fenmoor Constabulary" in crime


def test_law_enforcement_processing_only_with_such_a_party(tmp_path: Path, bundled: dict[str, str]) -> None:
    assert "**Law enforcement processing.**" in bundled[PANEL]
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a.get("law_enforcement_processing")):
        leave_panel(root, ident)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["legislation"].append("data-protection-act-2018-part-3"))
    md = protocol(root)
    md = md.replace(section(md, "Schedule of legislation and guidance"), "")
    assert "Law enforcement processing" not in md and "Part 3" not in md


def test_criminal_offence_data_only_when_the_panel_shares_it(tmp_path: Path, bundled: dict[str, str]) -> None:
    assert "**Criminal offence data.**" in bundled[PANEL]
    root = variant(tmp_path)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p.update(criminal_offence_data=False))
    md = protocol(root)
    assert "**Criminal offence data.**" not in md
    column = {row[3] for row in table_with_header(md, "Agency", "UK GDPR lawful basis")[1:]}
    assert column == {"Not shared through the panel"}


def test_special_category_data_only_when_the_panel_shares_it(tmp_path: Path, bundled: dict[str, str]) -> None:
    assert "**Special category data.** The panel may discuss information about health and racial or ethnic origin." in (
        bundled[PANEL])
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["sector"] in HEALTH_SECTORS):
        leave_panel(root, ident)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p.update(special_category_data=[], special_category_conditions=[]))
    for ident in members(root):
        edit(root, f"agencies/{ident}.yaml", lambda a: a.update(special_category_data=[]))
    md = protocol(root)
    assert "**Special category data.**" not in md
    column = {row[2] for row in table_with_header(md, "Agency", "UK GDPR lawful basis")[1:]}
    assert column == {"Not shared through the panel"}


EDUCATION_MARKERS = ("## Schools and early years settings", "(guidance 10.1)", "(guidance 10.1-10.2)")


def test_education_members_bring_their_safeguarding_duties(bundled: dict[str, str], tmp_path: Path) -> None:
    schools = section(bundled["early-help"], "Schools and early years settings")
    assert "Education Act 2002, section 175" in schools
    assert "Saltmeadow Primary School" in schools
    root = variant(tmp_path)
    join_panel(root, "saltmeadow-primary", "Headteacher")
    md = protocol(root)
    for marker in EDUCATION_MARKERS:
        assert marker in md, marker


def test_no_education_members_no_education_duties(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    assert not members_where(BUNDLED, lambda a: a["sector"] in (
        "maintained_school", "academy", "independent_school", "early_years"))
    for marker in EDUCATION_MARKERS:
        assert marker not in md, marker


VOLUNTARY_MARKERS = ("## Voluntary and private parties", "(guidance 4.10)", "(guidance 10.6)")


def test_voluntary_member_brings_voluntary_rules(bundled: dict[str, str]) -> None:
    voluntary = section(bundled[PANEL], "Voluntary and private parties")
    for marker in VOLUNTARY_MARKERS[1:]:
        assert marker in voluntary
    assert "The Landing Teenage Drop-in is not a statutory body" in voluntary
    assert "Since 5 February 2026" in voluntary


def test_no_voluntary_members_no_voluntary_rules(tmp_path: Path) -> None:
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["status"] != "statutory"):
        leave_panel(root, ident)
    md = protocol(root)
    for marker in VOLUNTARY_MARKERS:
        assert marker not in md, marker
    assert "Since 5 February 2026" not in md and "Article 6(1)(ea)" not in md


def test_added_voluntary_member_brings_voluntary_rules(tmp_path: Path) -> None:
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["status"] != "statutory"):
        leave_panel(root, ident)
    join_panel(root, "little-egrets-playgroup", "Playgroup Leader")
    md = protocol(root)
    voluntary = section(md, "Voluntary and private parties")
    assert "Little Egrets Community Playgroup is not a statutory body" in voluntary


def test_recognised_legitimate_interest_only_once_in_force(tmp_path: Path) -> None:
    root = variant(tmp_path)
    edit(root, "area.yaml", lambda a: a.update(issue_date=datetime.date(2026, 1, 15)))
    for ident, data in agencies(root).items():
        if "recognised_legitimate_interest" in data.get("uk_gdpr_bases", []):
            edit(root, f"agencies/{ident}.yaml", lambda a: a.update(
                uk_gdpr_bases=[b for b in a["uk_gdpr_bases"] if b != "recognised_legitimate_interest"]))
    # Even where the panel names the Annex 1 condition itself, a document dated before it took effect does not
    # offer it as a basis; it is listed as not yet in force instead.
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["legislation"].append("uk-gdpr-annex-1-safeguarding"))
    md = protocol(root)
    assert "## Voluntary and private parties" in md
    assert "UK GDPR, Annex 1" in section(md, "Law enacted but not yet in force")
    assert "5 February 2026" not in md
    assert "Article 6(1)(ea)" not in md
    bases = {row[0]: row[1] for row in table_with_header(md, "Agency", "UK GDPR lawful basis")[1:]}
    assert bases["The Landing Teenage Drop-in"] == "Consent (Article 6(1)(a)); vital interests (Article 6(1)(d))"


FUNDING_MARKERS = ("# Funding decisions and key-worker reports", "Case Example 19", "## Key-worker reports")


def test_funding_panel_brings_funding_and_key_worker_reports(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    panel = load_area(BUNDLED).panels[PANEL]
    funding = section(md, "Funding decisions and key-worker reports")
    for marker in FUNDING_MARKERS[1:]:
        assert marker in funding
    assert " ".join(panel.funding.split()) in funding
    assert " ".join(panel.key_worker_reports.split()) in funding


def test_other_panel_kinds_have_no_funding_section(tmp_path: Path, bundled: dict[str, str]) -> None:
    root = variant(tmp_path)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p.update(kind="early_help"))
    md = protocol(root)
    for marker in FUNDING_MARKERS:
        assert marker not in md, marker
    assert "Funding decisions" not in md
    for panel in PANELS:
        if panel != PANEL:
            assert "Case Example 19" not in bundled[panel]


def test_switching_to_a_funding_panel_brings_the_section(tmp_path: Path) -> None:
    root = variant(tmp_path)
    edit(root, "panels/early-help.yaml", lambda p: p.update(
        kind="complex_needs_funding",
        funding="The council and the ICB split each package equally.",
        key_worker_reports="Lead practitioners report to the panel every three months.",
    ))
    md = protocol(root, "early-help")
    funding = section(md, "Funding decisions and key-worker reports")
    assert "The council and the ICB split each package equally." in funding
    assert "Lead practitioners report to the panel every three months." in funding


def test_english_area_cites_the_english_framework(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    england = section(md, "Safeguarding law in England")
    assert "Children Act 2004, section 16E" in england
    assert "*Working together to safeguard children 2023*" in england
    assert "## Safeguarding law in Wales" not in md
    assert "Social Services and Well-being (Wales) Act 2014" not in md


def test_welsh_area_cites_the_welsh_provisions(tmp_path: Path) -> None:
    root = variant(tmp_path)
    edit(root, "area.yaml", lambda a: a.update(nation="wales"))
    job = protocol_job(root)
    md = render(job)
    wales = section(md, "Safeguarding law in Wales")
    welsh = [e for k, e in job.context["law"].items()
             if k.startswith("ssw-wales-act-2014-") or k in ("children-act-2004-s25", "children-act-2004-s28")]
    assert len(welsh) >= 3
    for entry in welsh:
        assert f"**{entry.citation}**" in wales
    assert "## Safeguarding law in England" not in md
    assert "*Working together to safeguard children 2023*" not in md
    assert "safeguarding partners (the local authority" not in md
    assert "section 16LA" not in md
    assert any(row[0] == "Safeguarding Children Board" for row in table_with_header(md, "Term", "Meaning"))


def test_repealed_citation_gets_a_plain_note(tmp_path: Path, bundled: dict[str, str]) -> None:
    for panel in PANELS:
        assert not notes(bundled[panel])
    root = variant(tmp_path)
    edit(root, "agencies/westmarsh-housing.yaml",
         lambda a: a["statutory_basis"].append({"key": "data-protection-act-1998", "note": "Sharing tenancy data."}))
    md = protocol(root)
    [note] = notes(md)
    assert "**Data Protection Act 1998" in note
    assert "cited by Westmarsh Borough Council Housing Options and Tenancy Services, has been repealed" in note
    assert "It was replaced by UK GDPR, Article 5" in note
    assert_nothing_gone_presented_as_current(md)
    assert "Sharing tenancy data." not in md


def test_repealed_replacement_outside_law_joins_the_schedule(tmp_path: Path) -> None:
    root = variant(tmp_path)
    edit(root, "agencies/westmarsh-housing.yaml",
         lambda a: a["statutory_basis"].append({"key": "children-act-2004-s13-16-lscb"}))
    job = protocol_job(root)
    md = render(job)
    [note] = notes(md)
    assert "cited by Westmarsh Borough Council Housing Options and Tenancy Services" in note
    assert_nothing_gone_presented_as_current(md)
    replaced = [e for e in load_area(root).register.replacements("children-act-2004-s13-16-lscb") if e.verified]
    schedule = [row[0] for row in table_with_header(md, "Title and citation", "What it does")[1:]]
    for entry in replaced:
        assert entry.citation in note
        assert schedule.count(entry.citation) == 1


# --- profile text is data ---------------------------------------------------------------------------------

NASTY = "A | B *C* # {{x}}"


def test_profile_text_renders_literally(tmp_path: Path) -> None:
    root = variant(tmp_path)
    edit(root, "agencies/westmarsh-housing.yaml", lambda a: a.update(name=NASTY))
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["information_shared"].append(NASTY))
    md = protocol(root)
    texts = inline_texts(md)
    assert NASTY in texts  # the information_shared bullet, parsed back to exactly the profile's text
    parties = table_with_header(md, "Agency", "Status and seat")
    assert all(len(row) == 4 for row in parties)
    assert NASTY in [row[0] for row in parties]
    for token in _MD.parse(md):
        if token.type == "inline" and NASTY in token.content.replace("\\", ""):
            assert not any(child.type == "em_open" for child in token.children or [])
    assert "# {{x}}" not in [text for _, text in headings(md)]


# --- the Word document ------------------------------------------------------------------------------------


def test_word_document_carries_the_protocol(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    from protocolgen.build import doc_meta
    from protocolgen.write import DocxWriter

    root = variant(tmp_path)
    edit(root, "agencies/westmarsh-housing.yaml", lambda a: a.update(name=NASTY))
    job = protocol_job(root)
    md = render(job)
    meta = doc_meta(job, job.doc)
    document = docx.Document(io.BytesIO(DocxWriter().render(md, meta)))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    for agency, seat in load_area(root).members(PANEL):
        assert agency.name in cells
        assert seat.representative[:1].upper() + seat.representative[1:] in cells
    assert NASTY in cells
    body = "\n".join(p.text for p in document.paragraphs)
    assert "two-tier approach" in body
    assert "Data Protection Act 1998" not in body
