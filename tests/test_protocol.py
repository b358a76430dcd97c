"""The information sharing protocol (templates/protocol.md.j2), rendered through the real pipeline.

Every test loads an area with ``load_area``, resolves it and renders the protocol with ``render_markdown``:
the bundled example area, or a variant of it copied into ``tmp_path`` with one thing changed (a member
removed or added, the nation, the panel's kind, a profile citing repealed law). Each tailoring rule is checked
both ways: its text is present when its condition holds and absent when it does not.

The protocol is read as the writers read it: markdown-it with block attributes (a ``{#cov-...}`` line above a
required section's heading is that heading's id, a bookmark in Word) and ``:::`` containers. Who is a
controller, a processor or a service of one legal person is read from the profiles (organisation files and
legal_entity), not from resolve. test_legal_model checks the choice of each party's powers at each panel,
joint controllers, and that no document cites the 2005 draft by paragraph; they are not repeated here.
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
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.container import container_plugin

from protocolgen import coverage
from protocolgen.area import LoadedArea, load_area
from protocolgen.build import render_markdown
from protocolgen.models import Agency
from protocolgen.render import Renderer
from protocolgen.resolve import HistoryRow, Job, add_months, resolve

BUNDLED = Path(__file__).resolve().parent.parent / "agency_profiles"
PANEL = "complex-needs"  # the Case Example 19 panel of the bundled area (joint controllers, a voluntary adviser)
CRIME_PANEL = "youth-crime-prevention"  # a panel whose work is preventing crime, with police and youth justice
PANELS = sorted(p.stem for p in (BUNDLED / "panels").glob("*.yaml"))

# --- helpers -------------------------------------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table").use(attrs_block_plugin)
container_plugin(_MD, "block", validate=lambda *_: True)


def protocol_job(area_dir: Path, panel: str = PANEL) -> Job:
    jobs = {job.id: job for job in resolve(load_area(area_dir))}
    return jobs[f"panels/{panel}/protocol"]


def render(job: Job, doc: Any = None) -> str:
    return render_markdown(job, Renderer(), doc)


def protocol(area_dir: Path, panel: str = PANEL) -> str:
    return render(protocol_job(area_dir, panel))


@pytest.fixture(scope="module")
def loaded() -> LoadedArea:
    return load_area(BUNDLED)


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


def basis_names(profile: dict[str, Any]) -> list[str]:
    """A profile's UK GDPR bases: each is a mapping {basis, purpose, obligation, interests} or a bare name."""
    return [b if isinstance(b, str) else b["basis"] for b in profile.get("uk_gdpr_bases", [])]


HEALTH_SECTORS = {"nhs_community_trust", "nhs_acute_trust", "integrated_care_board", "gp_practice", "camhs",
                  "adult_mental_health"}


def is_processor(agency: Agency) -> bool:
    return agency.contracted_by is not None and agency.contract_role != "independent_controller"


def controllers(loaded: LoadedArea, panel: str) -> dict[str, list[Agency]]:
    """Each legal person on the panel, by its legal name, with its services in membership order."""
    out: dict[str, list[Agency]] = {}
    for agency, _seat in loaded.members(panel):
        if not is_processor(agency):
            entity = loaded.entity_of(agency.id)
            assert entity is not None
            out.setdefault(entity.name, []).append(agency)
    return out


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def section(md: str, heading: str) -> str:
    """The text under a heading (any level), up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\n", md, re.MULTILINE)
    assert match, f"no heading {heading!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(md, match.end())
    return md[match.end(): end.start() if end else len(md)]


def body(md: str) -> str:
    """The protocol without its schedule of legislation (which names every entry, in force or not)."""
    return md.replace(section(md, "Schedule of legislation and guidance"), "")


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
    inside = False
    for token in _MD.parse(md):
        if token.type == "table_open":
            found.append([])
            inside = True
        elif token.type == "table_close":
            inside = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and inside:
            row.append("".join(c.content for c in token.children or [] if c.type in ("text", "text_special")))
        elif token.type == "tr_close":
            found[-1].append(row)
    return found


def table_with_header(md: str, first: str, second: str) -> list[list[str]]:
    matches = [t for t in tables(md) if t[0][:2] == [first, second]]
    assert len(matches) == 1, f"expected one table headed {first!r} | {second!r}, found {len(matches)}"
    return matches[0]


def rows_by_first_cell(md: str, first: str, second: str) -> dict[str, list[str]]:
    rows = table_with_header(md, first, second)[1:]
    by_name = {row[0]: row for row in rows}
    assert len(by_name) == len(rows), f"a party has two rows in the {first} | {second} table"
    return by_name


def outside_notes(md: str) -> str:
    return re.sub(r"^::: note\n.*?^:::\n", "", md, flags=re.MULTILINE | re.DOTALL)


def notes(md: str) -> list[str]:
    return re.findall(r"^::: note\n(.*?)^:::\n", md, flags=re.MULTILINE | re.DOTALL)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the bundled area --------------------------------------------------------------------------------------


def test_every_bundled_panel_has_a_protocol(bundled: dict[str, str]) -> None:
    assert sorted(bundled) == PANELS and PANELS


@pytest.mark.parametrize("panel", PANELS)
def test_no_leftovers_or_placeholders(bundled: dict[str, str], panel: str) -> None:
    md = bundled[panel]
    # A value left empty prints as Python's None; "None needed" and "None of its own" are the template's words.
    assert not re.search(r"\bNone\b(?! (needed|of its own)\b)", md)
    lines = md.splitlines()
    for number, line in enumerate(lines):
        if "{#" in line:  # only a coverage id on its own line, directly above a heading
            assert re.fullmatch(r"\{#cov-[a-z0-9-]+\}", line) and lines[number + 1].startswith("#"), line
    for bad in ("TBC", "TODO", "{{", "{%", "#}", "XXX", "[insert"):
        assert bad not in md, bad


@pytest.mark.parametrize("panel", PANELS)
def test_every_required_section_is_tagged_and_written(bundled: dict[str, str], panel: str) -> None:
    report = coverage.check(f"panels/{panel}/protocol", "protocol", bundled[panel])
    assert not report.missing, [(f.item.id, f.reason) for f in report.missing]


@pytest.mark.parametrize("panel", PANELS)
def test_document_control_opens_the_document_then_the_contents(loaded: LoadedArea, panel: str) -> None:
    area = loaded.area
    assert area is not None
    job = protocol_job(BUNDLED, panel)
    md = render(job)
    first = tables(md)[0]
    assert md.startswith("| Document control |")
    control = {row[0]: row[1] for row in first[1:]}
    assert control == {
        "Title": job.doc.title,
        "Reference": job.doc.reference,
        "Version": "1.0",
        "Status": "Draft: not yet issued; not for signature",
        "Date of this version": long_date(area.issue_date),
        "Owner": area.document_owner,
        "Approved by": area.approver,
        "Issuing body": flat(area.issuing_body),
        "Protective marking": area.protective_marking,
        "Copies": "Uncontrolled if printed: the current version is the one published by the issuing body",
        "Next review due": long_date(add_months(area.issue_date, area.review_interval_months)),
        "Law stated as at": long_date(area.issue_date),
        "Signed copy kept": flat(area.signed_copy_location),
    }
    assert md.index("::: toc\n:::") < md.index("\n# ")


def test_an_issued_protocol_is_not_called_a_draft() -> None:
    job = protocol_job(BUNDLED)
    md = render(job, dataclasses.replace(job.doc, status="issued"))
    control = {row[0]: row[1] for row in tables(md)[0][1:]}
    assert control["Status"] == "Issued" and "not for signature" not in md
    assert table_with_header(md, "Version", "Date")[1:] == [["1.0", long_date(job.doc.issue_date), "First issue"]]


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
    for required in ("About this protocol", "The parties", "Controllers", "Processors", "Each party's power to share",
                     "Lawful bases under the UK GDPR", "Special category and criminal offence data", "Principles",
                     "Legal framework", "Information shared", "Who shares what, and how", "Consent",
                     "Sharing without consent", "Making and answering a request", "Secondary sharing",
                     "Recording decisions", "Security", "Retention", "Access to records and other rights",
                     "Data protection impact assessment", "Freedom of information", "Breaches, complaints and disputes",
                     "Training", "Monitoring, review and ending", "Signatures", "Deciding whether to share",
                     "Checklist before sharing", "Schedule of legislation and guidance", "Glossary", "Version history"):
        assert required in titles, required


# --- the parties: controllers, processors, and a row for every party --------------------------------------


@pytest.mark.parametrize("panel", PANELS)
def test_controllers_table_names_each_legal_person_once_with_its_services(loaded: LoadedArea, panel: str) -> None:
    md = protocol(BUNDLED, panel)
    rows = table_with_header(md, "Controller", "Its services on the panel")[1:]
    expected = controllers(loaded, panel)
    assert len(rows) == len(expected) >= 2
    seats = {agency.id: seat for agency, seat in loaded.members(panel)}
    for name, services in expected.items():
        [row] = [r for r in rows if r[0] == name or r[0].startswith(f"{name} (ICO registration")]
        for service in services:
            assert service.name in row[1]
            seat = seats[service.id]
            assert f"{cap(seat.role)}: {cap(flat(seat.representative))}" in row[2], row[2]
        entity = loaded.entity_of(services[0].id)
        assert entity is not None
        dp = entity.data_protection_officer or entity.data_protection_lead
        assert dp is not None and dp.role in row[3]


@pytest.mark.parametrize("panel", PANELS)
def test_processors_are_listed_apart_and_only_where_there_are_some(loaded: LoadedArea, panel: str) -> None:
    md = protocol(BUNDLED, panel)
    processors = [(a, s) for a, s in loaded.members(panel) if is_processor(a)]
    text = section(md, "Processors")
    if not processors:
        assert "No processor takes part in the panel's sharing." in text
        assert not [t for t in tables(md) if t[0][0] == "Processor"]
        return
    rows = table_with_header(md, "Processor", "Acts for")[1:]
    assert len(rows) == len(processors)
    for (agency, seat), row in zip(processors, rows, strict=True):
        boss = loaded.entity_of(agency.contracted_by or "")
        assert boss is not None and row[1].startswith(boss.name)
        assert row[2] == f"{cap(seat.role)}: {cap(flat(seat.representative))}"
        assert row[3] == flat(agency.processing_contract or "")
    signed = [row[0] for row in table_with_header(md, "Controller", "Signs for")[1:]]
    assert not any(row[0].startswith(name) for row in rows for name in signed), "a processor does not sign"
    assert "Processors do not sign" in section(md, "Signatures")


@pytest.mark.parametrize("panel", PANELS)
def test_each_party_has_one_row_in_every_party_table(loaded: LoadedArea, bundled: dict[str, str], panel: str) -> None:
    md = bundled[panel]
    names = [agency.name for agency, _ in loaded.members(panel)]
    for first, second in (("Party", "Provision, and what it asks of or allows the party"),
                          ("Party", "Lawful basis, and what it is used for"),
                          ("Party", "Condition, and when it applies"),
                          ("Party", "What it brings to the panel"),
                          ("Agency", "How it records decisions")):
        assert sorted(rows_by_first_cell(md, first, second)) == sorted(names), second
    # People ask a controller to see their records, never a processor.
    asked = rows_by_first_cell(md, "Agency", "Where to ask")
    assert sorted(asked) == sorted(a.name for a, _ in loaded.members(panel) if not is_processor(a))


def test_each_party_is_given_its_own_legal_footing(bundled: dict[str, str]) -> None:
    md = bundled["child-protection-conference"]
    powers = {name: row[1] for name, row in rows_by_first_cell(md, "Party", "Provision, and what it asks of or "
                                                                            "allows the party").items()}
    bases = {name: row[1] for name, row in rows_by_first_cell(md, "Party", "Lawful basis, and what it is used for").items()}
    conditions = {name: row[1] for name, row in rows_by_first_cell(md, "Party", "Condition, and when it applies").items()}
    assert powers["Little Egrets Community Playgroup"] == (
        "None needed: as a voluntary organisation it may share within the law set out here")
    assert powers["Clearword Interpreting Ltd"] == "None of its own: it acts for Westmarsh Borough Council as a processor"
    assert bases["Clearword Interpreting Ltd"] == "Those of Westmarsh Borough Council, for whom it acts"
    assert conditions["Clearword Interpreting Ltd"] == "Those of Westmarsh Borough Council"
    assert bases["Westmarsh Community Health NHS Trust"].startswith("Public task (Article 6(1)(e)): ")
    assert "Recognised legitimate interest (safeguarding) (Article 6(1)(ea)" in bases["Little Egrets Community Playgroup"]
    assert bases["Fenmoor Constabulary"].endswith(
        "for its law enforcement work, Data Protection Act 2018, Part 3 (law enforcement processing)")
    assert "law enforcement" not in bases["Westmarsh Community Health NHS Trust"]
    health = conditions["Westmarsh Community Health NHS Trust"]
    assert health.startswith("Article 9(2)(h) (health or social care), with Data Protection Act 2018, Schedule 1, "
                             "paragraph 2")
    # The conference shares whether or not the family agree: no party's footing there is agreement.
    assert "explicit consent" not in conditions["Little Egrets Community Playgroup"]
    assert conditions["Little Egrets Community Playgroup"].startswith("Article 9(2)(g) (substantial public interest)")
    assert not any(text.startswith(("Consent (", "Contract (")) or "; Consent (" in text or "; Contract (" in text
                   for text in bases.values())


def test_agreement_and_a_contract_are_a_footing_only_where_they_can_be(bundled: dict[str, str]) -> None:
    """Consent is a lawful basis (and explicit consent a condition) at a panel that asks for agreement, never at
    one that shares whether or not the family agree; a contract with the family is no basis at any panel."""
    def table(panel: str, header: str) -> dict[str, str]:
        return {name: row[1] for name, row in rows_by_first_cell(bundled[panel], "Party", header).items()}

    early_bases = table("early-help", "Lawful basis, and what it is used for")
    early_conditions = table("early-help", "Condition, and when it applies")
    assert early_bases["Little Egrets Community Playgroup"].startswith("Consent (Article 6(1)(a))")
    assert early_conditions["Little Egrets Community Playgroup"].startswith("Article 9(2)(a) (explicit consent)")
    for panel in bundled:
        for party, text in table(panel, "Lawful basis, and what it is used for").items():
            assert "Contract (Article 6(1)(b))" not in text, (panel, party)


@pytest.mark.parametrize("panel", ["child-protection-conference", "early-help"])
def test_every_legal_obligation_in_the_bases_table_names_its_law(loaded: LoadedArea, bundled: dict[str, str],
                                                                panel: str) -> None:
    """"A legal obligation is relied on only where a named law imposes it" (the section's own words, UK GDPR
    Art 6(3)): each party's legal obligation names that law in its row."""
    bases = rows_by_first_cell(bundled[panel], "Party", "Lawful basis, and what it is used for")
    unnamed = []
    for agency, _seat in loaded.members(panel):
        for use in agency.uk_gdpr_bases:
            if use.basis == "legal_obligation" and use.obligation:
                citation = loaded.register[use.obligation].citation
                if citation not in bases[agency.name][1]:
                    unnamed.append(f"{agency.name}: {citation}")
    assert "legal obligation is relied on only where a named law imposes it" in section(
        bundled[panel], "Lawful bases under the UK GDPR")
    assert not unnamed, ("the bases table (protocol.md.j2, the inline loop for parties that are not processors) "
                         "prints a legal obligation without the law that imposes it:\n" + "\n".join(unnamed))


def test_powers_notes_are_printed_only_for_the_provisions_chosen_for_the_panel(loaded: LoadedArea,
                                                                              bundled: dict[str, str]) -> None:
    social_care = loaded.agencies["westmarsh-childrens-social-care"]
    notes_of = {b.key: flat(b.note or "") for b in social_care.statutory_basis}
    for panel, chosen, not_chosen in (("child-protection-conference", "children-act-1989-s47", "children-act-1989-s17"),
                                      (PANEL, "children-act-1989-s17", "children-act-1989-s47")):
        listed = section(bundled[panel], "Each party's power to share")
        line = f"- **{social_care.name}**, {loaded.register[chosen].citation}: {notes_of[chosen]}"
        assert line in listed, (panel, line)
        assert notes_of[not_chosen] not in listed, (panel, not_chosen)


GONE = ("Data Protection Act 1998", "Local Safeguarding Children Board", "Primary Care Trust", "Connexions",
        "Child Protection Register", "LSCB", "Area Child Protection Committee", "Strategic Health Authorit")
HISTORY = re.compile(r"replac|took the place of|swapped|abolish|in place of|former", re.IGNORECASE)


def assert_nothing_gone_presented_as_current(md: str) -> None:
    """Repealed law and abolished bodies may appear only in a repealed-law note, or in a schedule summary that
    says they were replaced; never in the body of the protocol."""
    text = outside_notes(md).replace(section(md, "Schedule of legislation and guidance"), "")
    for gone in GONE:
        assert gone not in text, gone
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
    assert "(as renamed)" not in bundled[CRIME_PANEL]
    root = variant(tmp_path)
    renamed = {"crime-and-disorder-act-1998-s115": {"title": "Crime and Disorder Act (as renamed)"}}
    write(root, "legislation.yaml", renamed)
    md = protocol(root, CRIME_PANEL)
    rows = [row[0] for row in table_with_header(md, "Title and citation", "What it does")[1:]]
    assert "Crime and Disorder Act 1998, section 115 (Crime and Disorder Act (as renamed))" in rows


@pytest.mark.parametrize("panel", PANELS)
def test_cites_no_register_entry_outside_its_law(loaded: LoadedArea, panel: str) -> None:
    job = protocol_job(BUNDLED, panel)
    md = render(job)
    allowed = {e.citation for e in job.context["law"].values()}
    for key, entry in loaded.register.items():
        if key in job.context["law"] or any(entry.citation in ok for ok in allowed):
            continue
        assert not re.search(re.escape(entry.citation) + r"(?![\w(])", md), f"{key} cited but not in law"


@pytest.mark.parametrize("panel", PANELS)
def test_signatures_block_has_a_row_per_controller_signing_for_its_services(loaded: LoadedArea,
                                                                           bundled: dict[str, str], panel: str) -> None:
    block = re.search(r"^::: signatures\n(.*?)^:::\n", bundled[panel], re.MULTILINE | re.DOTALL)
    assert block
    rows = tables(block.group(1))[0]
    assert rows[0] == ["Controller", "Signs for", "Name", "Job title", "Signature", "Date"]
    expected = controllers(loaded, panel)
    assert [row[0] for row in rows[1:]] == list(expected)
    for row in rows[1:]:
        assert row[1] == "; ".join(service.name for service in expected[row[0]])
        assert row[2:] == ["", "", "", ""]


def test_panel_facts_come_from_the_profile(loaded: LoadedArea, bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    panel = loaded.panels[PANEL]
    for text in (panel.purpose, panel.information_level, panel.secondary_sharing, panel.recording,
                 panel.consent.how, panel.consent.override, panel.how_families_are_told, panel.meeting_frequency,
                 panel.dpia or "", panel.sends_by or ""):
        assert flat(text) in md
    for item in (*panel.information_shared, *panel.security):
        assert f"- {item}\n" in md
    retention = table_with_header(md, "Records", "Kept for")[1:]
    expected = [[cap(r.records), r.period] for r in panel.retention]
    assert [row[:2] for row in retention] == expected
    assert loaded.area is not None
    for other in loaded.area.other_agreements:
        assert f"- {flat(other)}\n" in md


def test_recording_and_access_give_each_partys_own_arrangements(loaded: LoadedArea, bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    recording = {name: row[1] for name, row in rows_by_first_cell(md, "Agency", "How it records decisions").items()}
    access = rows_by_first_cell(md, "Agency", "Where to ask")
    for agency, _ in loaded.members(PANEL):
        assert recording[agency.name] == flat(agency.records.sharing_decisions)
        contact = agency.access_requests.contact
        assert access[agency.name][1].startswith(contact.role)
        assert (contact.email or contact.phone or "") in access[agency.name][1]
        assert access[agency.name][2] == agency.access_requests.response_time
    rights = section(md, "Access to records and other rights")
    assert "about the age of 12" in rights and "understanding, not age, is the test" in rights


def test_who_shares_what_follows_each_seat_and_the_kind_of_panel(loaded: LoadedArea, bundled: dict[str, str]) -> None:
    funding = rows_by_first_cell(bundled[PANEL], "Party", "What it brings to the panel")
    assert {row[2] for row in funding.values()} == {"Every member, for every child on the agenda"}
    other = rows_by_first_cell(bundled["child-protection-conference"], "Party", "What it brings to the panel")
    assert "Every member, for every child on the agenda" not in {row[2] for row in other.values()}
    assert other["Westmarsh and Fenmoor Hospitals NHS Foundation Trust"][2] == (
        "The members discussing the child it advises on")  # an adviser
    assert other["Clearword Interpreting Ltd"][1].startswith("Nothing of its own")  # a processor
    for panel in PANELS:
        rows = rows_by_first_cell(bundled[panel], "Party", "What it brings to the panel")
        for agency, seat in loaded.members(panel):
            if seat.shares:
                assert rows[agency.name][1] == "; ".join(flat(s) for s in seat.shares)
            if seat.sends_by:
                assert rows[agency.name][3] == flat(seat.sends_by)


def test_consent_section_covers_who_can_consent(bundled: dict[str, str]) -> None:
    who = section(bundled[PANEL], "Who can agree for a child")
    for needle in ("16 or 17", "Gillick competence", "parental responsibility", "capacity"):
        assert needle in who
    without = section(bundled[PANEL], "Sharing without consent")
    for needle in ("significant harm", "proportionate", "The proportionality test", "is recorded"):
        assert needle in without


@pytest.mark.parametrize("approach, heading, words", [
    ("sought_in_advance", "How the panel seeks agreement", "asks for agreement before a child is first discussed"),
    ("sought_at_referral", "How the panel seeks agreement", "asks for agreement when it refers the child"),
    ("not_sought", "Why the panel does not ask for agreement", "does not ask for agreement before it shares"),
])
def test_consent_approach_follows_the_panel(tmp_path: Path, approach: str, heading: str, words: str) -> None:
    root = variant(tmp_path)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["consent"].update(approach=approach))
    md = protocol(root)
    assert words in section(md, heading)
    others = {"asks for agreement before a child is first discussed", "asks for agreement when it refers the child",
              "does not ask for agreement before it shares"} - {words}
    assert not any(other in md for other in others)
    asks = approach != "not_sought"
    # Only a panel that asks explains valid agreement, its review, and when agreement is not sought.
    for part in ("## What makes agreement valid", "## Who can agree for a child", "## When agreement is not sought"):
        assert (part in md) == asks, part


def test_version_history_of_a_draft(loaded: LoadedArea, bundled: dict[str, str]) -> None:
    assert loaded.area is not None
    rows = table_with_header(bundled[PANEL], "Version", "Date")
    assert rows[1:] == [["1.0", long_date(loaded.area.issue_date), "Draft, not yet issued"]]


def test_version_history_lists_the_documents_history() -> None:
    job = protocol_job(BUNDLED)
    history = (HistoryRow("1.0", datetime.date(2026, 7, 1), "First issue"),
               HistoryRow("1.1", datetime.date(2026, 9, 1), "New housing representative"))
    md = render(job, dataclasses.replace(job.doc, version="1.1", history=history, status="issued"))
    rows = table_with_header(md, "Version", "Date")
    assert rows[1:] == [["1.0", "1 July 2026", "First issue"],
                        ["1.1", "1 September 2026", "New housing representative"]]
    assert md.count("First issue") == 1


# --- tailoring, each rule both ways ------------------------------------------------------------------------

HEALTH_MARKERS = ("## Health information", "high threshold", "Caldicott guardian")


def test_health_members_bring_the_health_rules(bundled: dict[str, str]) -> None:
    md = bundled[CRIME_PANEL]
    for marker in HEALTH_MARKERS:
        assert marker in md, marker
    guardians = table_with_header(md, "Agency", "Caldicott guardian")[1:]
    assert "Westmarsh Community Health NHS Trust" in [row[0] for row in guardians]
    assert any(row[0] == "Caldicott guardian" for row in table_with_header(md, "Term", "Meaning"))


def test_no_health_members_no_health_rules(tmp_path: Path) -> None:
    root = variant(tmp_path)
    health = members_where(root, lambda a: a["sector"] in HEALTH_SECTORS, CRIME_PANEL)
    assert health
    for ident in health:
        leave_panel(root, ident, CRIME_PANEL)
    md = protocol(root, CRIME_PANEL)
    for marker in HEALTH_MARKERS:
        assert marker not in md, marker
    assert not [t for t in tables(md) if t[0][:2] == ["Agency", "Caldicott guardian"]]


CRIME_MARKERS = ("## Preventing crime", "Crime and Disorder Act 1998, section 115 allows anyone to disclose",
                 "prejudice the prevention or detection of crime")


def test_a_crime_prevention_panel_with_justice_members_brings_crime_prevention(bundled: dict[str, str]) -> None:
    crime = section(bundled[CRIME_PANEL], "Preventing crime")
    for marker in CRIME_MARKERS[1:]:
        assert marker in crime, marker
    assert "Westmarsh Youth Justice Service and Fenmoor Constabulary bring that aim to it" in crime
    assert "Crime and Disorder Act 1998, section 37" in crime


def test_no_justice_members_no_crime_prevention(tmp_path: Path) -> None:
    root = variant(tmp_path)

    def take_the_chair(agency: dict[str, Any]) -> None:
        for seat in agency["panels"]:
            if seat["panel"] == CRIME_PANEL:
                seat["role"] = "chair"

    # The youth justice service chairs the panel: children's social care takes the chair before it leaves.
    edit(root, f"panels/{CRIME_PANEL}.yaml", lambda p: p.update(chair="westmarsh-childrens-social-care"))
    edit(root, "agencies/westmarsh-childrens-social-care.yaml", take_the_chair)
    for ident in members_where(root, lambda a: a["sector"] in ("police", "youth_offending_team", "probation"),
                               CRIME_PANEL):
        leave_panel(root, ident, CRIME_PANEL)
    md = protocol(root, CRIME_PANEL)
    for marker in CRIME_MARKERS:
        assert marker not in md, marker


def test_a_justice_member_alone_does_not_make_a_panel_about_crime(bundled: dict[str, str], loaded: LoadedArea) -> None:
    assert any(a.sector == "youth_offending_team" for a, _ in loaded.members(PANEL))
    for marker in CRIME_MARKERS:
        assert marker not in bundled[PANEL], marker


def test_law_enforcement_processing_only_with_such_a_party(tmp_path: Path, bundled: dict[str, str]) -> None:
    said = "that processing falls under Data Protection Act 2018, Part 3"
    assert said in section(bundled[PANEL], "Special category and criminal offence data")
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a.get("law_enforcement_processing")):
        leave_panel(root, ident)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["legislation"].append("data-protection-act-2018-part-3"))
    md = body(protocol(root))
    assert said not in md and "Part 3" not in md and "law enforcement" not in md


def test_criminal_offence_data_only_when_the_panel_shares_it(tmp_path: Path, bundled: dict[str, str]) -> None:
    said = "Information about offences, allegations and convictions may be used only under official authority"
    assert said in bundled[PANEL] and "(UK GDPR, Article 10)" in bundled[PANEL]
    root = variant(tmp_path)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p.update(criminal_offence_data=False,
                                                         legislation=[k for k in p["legislation"]
                                                                      if k != "uk-gdpr-art-10"]))
    md = body(protocol(root))
    assert said not in md and "Article 10" not in md


def test_special_category_data_only_when_the_panel_shares_it(tmp_path: Path, bundled: dict[str, str]) -> None:
    assert "The panel may discuss information about health and racial or ethnic origin." in bundled[CRIME_PANEL]
    assert table_with_header(bundled[CRIME_PANEL], "Party", "Condition, and when it applies")
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["sector"] in HEALTH_SECTORS, CRIME_PANEL):
        leave_panel(root, ident, CRIME_PANEL)
    edit(root, f"panels/{CRIME_PANEL}.yaml", lambda p: p.update(special_category_data=[]))
    md = protocol(root, CRIME_PANEL)
    assert "The panel may discuss information about" not in md
    assert "The panel does not share special category information" in md
    assert not [t for t in tables(md) if t[0][:2] == ["Party", "Condition, and when it applies"]]
    assert "Special category data" not in [row[0] for row in table_with_header(md, "Term", "Meaning")]


EDUCATION_MARKERS = ("## Schools and early years settings", "designated safeguarding lead",
                     "Education Act 2002, section 175")


def test_education_members_bring_their_safeguarding_duties(bundled: dict[str, str], tmp_path: Path) -> None:
    schools = section(bundled["early-help"], "Schools and early years settings")
    assert "Education Act 2002, section 175" in schools
    for setting in ("Eldermere House School", "Little Egrets Community Playgroup", "Reedbank Academy",
                    "Saltmeadow Primary School"):
        assert setting in schools
    root = variant(tmp_path)
    join_panel(root, "saltmeadow-primary", "Headteacher")
    md = protocol(root)
    for marker in EDUCATION_MARKERS:
        assert marker in md, marker
    assert "Saltmeadow Primary School takes part" in section(md, "Schools and early years settings")


def test_no_education_members_no_education_duties(bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    assert not members_where(BUNDLED, lambda a: a["sector"] in (
        "maintained_school", "academy", "independent_school", "early_years"))
    assert "## Schools and early years settings" not in md


VOLUNTARY_MARKERS = ("## Voluntary and private parties", "needs no particular legal power to share")


def test_voluntary_member_brings_voluntary_rules(bundled: dict[str, str]) -> None:
    voluntary = section(bundled[PANEL], "Voluntary and private parties")
    for marker in VOLUNTARY_MARKERS[1:]:
        assert marker in voluntary
    assert "By signing, The Landing Youth Trust undertakes" in voluntary  # the legal person signs
    assert "Recognised legitimate interest: safeguarding condition" in voluntary  # the regulator's guidance
    bases = section(bundled[PANEL], "Lawful bases under the UK GDPR")
    assert "The Landing Teenage Drop-in is not a public authority." in bases
    assert "the recognised legitimate interest for safeguarding (UK GDPR, Annex 1, paragraph 6" in bases


def test_the_basis_said_for_sharing_without_agreement_is_each_partys_own(loaded: LoadedArea,
                                                                         bundled: dict[str, str]) -> None:
    """The paragraph on parties that are not public authorities never claims consent as the basis for sharing
    without agreement, and names for the recognised legitimate interest only parties whose bases include it."""
    checked = 0
    for panel in PANELS:
        bases = section(bundled[panel], "Lawful bases under the UK GDPR")
        said = re.search(r"^(.*) (?:is not a public authority|are not public authorities)\. (.*)$", bases, re.M)
        if said is None:
            continue
        assert "Consent is never the lawful basis for sharing without agreement" in said.group(2)
        rli = re.search(r"for that sharing (.*?) rel(?:ies|y) on the recognised legitimate interest", said.group(2))
        for agency, _ in loaded.members(panel):
            if agency.status == "statutory" or is_processor(agency):
                continue
            checked += 1
            uses = "recognised_legitimate_interest" in {use.basis for use in agency.uk_gdpr_bases}
            assert (rli is not None and agency.name in rli.group(1)) == uses, (panel, agency.name)
    assert checked >= 3


def test_no_voluntary_members_no_voluntary_rules(tmp_path: Path) -> None:
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["status"] != "statutory"):
        leave_panel(root, ident)
    md = protocol(root)
    for marker in VOLUNTARY_MARKERS:
        assert marker not in md, marker
    assert "not a public authorit" not in md and "Article 6(1)(ea)" not in md


def test_added_voluntary_member_brings_voluntary_rules(tmp_path: Path) -> None:
    root = variant(tmp_path)
    for ident in members_where(root, lambda a: a["status"] != "statutory"):
        leave_panel(root, ident)
    join_panel(root, "little-egrets-playgroup", "Playgroup Leader")
    md = protocol(root)
    assert "By signing, Little Egrets Community Playgroup CIO undertakes" in section(md, "Voluntary and private parties")
    assert "Little Egrets Community Playgroup is not a public authority." in section(md, "Lawful bases under the UK GDPR")


def test_recognised_legitimate_interest_only_once_in_force(tmp_path: Path) -> None:
    root = variant(tmp_path)
    edit(root, "area.yaml", lambda a: a.update(issue_date=datetime.date(2026, 1, 15)))
    for ident, data in agencies(root).items():
        if "recognised_legitimate_interest" in basis_names(data):
            # Before 5 February 2026 a body that is not a public authority shares to protect a child on
            # legitimate interests, stated and weighed.
            def swap(a: dict[str, Any]) -> None:
                a["uk_gdpr_bases"] = [
                    {"basis": "legitimate_interests", "purpose": "to pass on a worry that a child may be at risk",
                     "interests": "protecting children from harm"}
                    if (b if isinstance(b, str) else b["basis"]) == "recognised_legitimate_interest" else b
                    for b in a["uk_gdpr_bases"]]
            edit(root, f"agencies/{ident}.yaml", swap)
    # Even where the panel names the Annex 1 condition itself, a document dated before it took effect does not
    # offer it as a basis; it is listed as not yet in force instead.
    edit(root, f"panels/{PANEL}.yaml", lambda p: p["legislation"].append("uk-gdpr-annex-1-safeguarding"))
    md = protocol(root)
    assert "## Voluntary and private parties" in md
    assert "UK GDPR, Annex 1" in section(md, "Law enacted but not yet in force")
    # (The schedule and the list of law not yet in force print the register's summaries, which describe each
    # provision as it now reads; nowhere else may the basis appear.)
    said = body(md).replace(section(md, "Law enacted but not yet in force"), "")
    assert "Article 6(1)(ea)" not in said and "recognised legitimate interest" not in said.lower()
    bases = rows_by_first_cell(md, "Party", "Lawful basis, and what it is used for")
    assert "Legitimate interests (Article 6(1)(f))" in bases["The Landing Teenage Drop-in"][1]
    assert "(interests pursued: protecting children from harm)" in bases["The Landing Teenage Drop-in"][1]
    assert "legitimate interests, weighed against the interests of the child and family" in section(
        md, "Lawful bases under the UK GDPR")


FUNDING_MARKERS = ("# Funding decisions and key-worker reports", "## Key-worker reports",
                   "## Children a party does not serve")


def test_funding_panel_brings_funding_and_key_worker_reports(loaded: LoadedArea, bundled: dict[str, str]) -> None:
    md = bundled[PANEL]
    panel = loaded.panels[PANEL]
    for marker in FUNDING_MARKERS:
        assert marker in md, marker
    funding = section(md, "Funding decisions and key-worker reports")
    assert flat(panel.funding or "") in funding
    assert flat(panel.key_worker_reports or "") in funding
    assert "Case Example 19" not in md  # the 2005 draft is never cited in a document


def test_other_panel_kinds_have_no_funding_section(tmp_path: Path, bundled: dict[str, str]) -> None:
    root = variant(tmp_path)
    edit(root, f"panels/{PANEL}.yaml", lambda p: p.update(kind="early_help"))
    md = protocol(root)
    for marker in FUNDING_MARKERS:
        assert marker not in md, marker
    assert "Funding decisions" not in md
    for panel in PANELS:
        if panel != PANEL:
            assert "# Funding decisions" not in bundled[panel]


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
    assert "the government's [Information sharing: advice for practitioners" in section(md, "Principles")
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
    assert "Information sharing: advice for practitioners" not in md
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
    for table in tables(md):
        assert all(len(row) == len(table[0]) for row in table), table[0]  # no '|' split a cell
    assert NASTY in rows_by_first_cell(md, "Party", "Lawful basis, and what it is used for")
    council = table_with_header(md, "Controller", "Its services on the panel")[1]
    assert f"{NASTY} (housing service)" in council[1]
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
    document = docx.Document(io.BytesIO(DocxWriter().render(md, doc_meta(job, job.doc))))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    loaded = load_area(root)
    for agency, seat in loaded.members(PANEL):
        assert agency.name in cells  # its own row of the powers, bases, conditions and data-flow tables
        assert any(f"{cap(seat.role)}: {cap(flat(seat.representative))}" in cell for cell in cells)
    for name in controllers(loaded, PANEL):
        assert name in cells  # a signature row
    body_text = "\n".join(p.text for p in document.paragraphs)
    assert "Health information" in body_text and "high threshold" in body_text
    assert "Data Protection Act 1998" not in body_text
    # Coverage ids become bookmarks, never printed text.
    assert "{#" not in body_text and not any("{#" in cell for cell in cells)
    marks = {b.get(f"{{{W}}}name") for b in document.element.body.iter(f"{{{W}}}bookmarkStart")}
    assert {"cov_purpose", "cov_parties", "cov_signatures"} <= marks


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
