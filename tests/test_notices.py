"""The public notices (a panel's, an agency's, and the young people's version), rendered through the real pipeline.

Every document of the bundled area is rendered (load_area -> resolve -> render_markdown), and variant areas
are written into tmp_path to test what the bundled one cannot show. Assertions read the Markdown the way the
writers do: parsed with markdown-it, with block attributes (the ``{#cov-...}`` line above a required section's
heading becomes that heading's id) and ``:::`` containers, so escaped profile text is compared with the profile
itself. Required sections are found by their coverage id (``protocolgen/coverage.py``), so a test says which
duty of Articles 13 and 14, or which topic of Case Example 19, it is checking.

Expected values come from the profiles as loaded (the agency, panel and organisation files), not from what
resolve decided, wherever the profile states the fact.

The three forms (consent forms and the decision record) are tested in test_forms.py; here they only share the
check that no document leaks template syntax or names law and bodies that no longer exist.

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
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.container import container_plugin

from protocolgen import law
from protocolgen.area import LoadedArea, inspect_area, load_area
from protocolgen.build import render_markdown
from protocolgen.models import Agency
from protocolgen.render import Renderer
from protocolgen.resolve import Job, resolve, young_people_list
from protocolgen.write.markdown import CONTAINER_CLOSE, CONTAINER_OPEN, container_name, parse

AREA = Path(__file__).resolve().parent.parent / "agency_profiles"
NOTICE_KINDS = ("panel-notice", "young-people", "agency-notice")
FORM_KINDS = ("consent-form", "panel-consent-form", "decision-record")
MIN_FLESCH = {"panel-notice": 60, "agency-notice": 60, "young-people": 70}

# The dialect the writers read: tables, {#id} lines above headings, and ::: containers.
_MD = MarkdownIt("commonmark").enable("table").use(attrs_block_plugin)
container_plugin(_MD, "block", validate=lambda *_: True)
_CONTACT_LINE = re.compile(
    r"@|https?://|www\.|\bico\.org\.uk\b|\b0\d{2,4}[ \d]{6,}\b|\b\d{3} \d{3} \d{4}\b|\b0800 \d{4}\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"
)
_ID_LINE = re.compile(r"\{#cov-[a-z0-9-]+\}")


# --- rendering ---------------------------------------------------------------------------------------


def jobs_of(loaded: LoadedArea, kinds: tuple[str, ...] = NOTICE_KINDS) -> dict[str, Job]:
    return {job.id: job for job in resolve(loaded) if job.kind in kinds}


def render_all(loaded: LoadedArea, kinds: tuple[str, ...] = NOTICE_KINDS) -> dict[str, str]:
    renderer = Renderer()
    return {job_id: render_markdown(job, renderer) for job_id, job in jobs_of(loaded, kinds).items()}


@pytest.fixture(scope="module")
def bundled() -> LoadedArea:
    return load_area(AREA)


@pytest.fixture(scope="module")
def docs(bundled: LoadedArea) -> dict[str, str]:
    return render_all(bundled, NOTICE_KINDS + FORM_KINDS)


@pytest.fixture(scope="module")
def jobs(bundled: LoadedArea) -> dict[str, Job]:
    return jobs_of(bundled, NOTICE_KINDS + FORM_KINDS)


_KINDS = {job.id: job.kind for job in resolve(load_area(AREA))}
ALL_IDS = sorted(j for j, kind in _KINDS.items() if kind in NOTICE_KINDS + FORM_KINDS)
NOTICE_IDS = sorted(j for j, kind in _KINDS.items() if kind in NOTICE_KINDS)
PANEL_IDS = sorted({j.split("/")[1] for j in NOTICE_IDS if j.startswith("panels/")})
AGENCY_IDS = sorted({j.split("/")[1] for j in NOTICE_IDS if j.startswith("agencies/")})


def panel_notice(panel_id: str) -> str:
    return f"panels/{panel_id}/privacy-notice"


def agency_notice(agency_id: str) -> str:
    return f"agencies/{agency_id}/privacy-notice"


Editor = Callable[[dict[str, dict]], None]


def variant(tmp_path: Path, edit: Editor) -> LoadedArea:
    """A copy of the bundled area with its YAML edited in place by ``edit``.

    ``edit`` gets a dict of the parsed files: 'area', 'legislation' (the area's register overrides, {} when
    there are none), 'agency:<id>', 'panel:<id>' and 'organisation:<id>'. Setting a value to None deletes that
    file. The variant must still load without errors (warnings are allowed).
    """
    root = tmp_path / "area"
    shutil.copytree(AREA, root)
    files = {"area": root / "area.yaml", "legislation": root / "legislation.yaml"}
    files.update({f"agency:{p.stem}": p for p in (root / "agencies").glob("*.yaml")})
    files.update({f"panel:{p.stem}": p for p in (root / "panels").glob("*.yaml")})
    files.update({f"organisation:{p.stem}": p for p in (root / "organisations").glob("*.yaml")})
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


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def flat(text: str) -> str:
    return " ".join(text.split())


def _blocks(tokens: list[Token]) -> list[tuple[int, str]]:
    """(token index, visible text) of each block: a paragraph, list item, heading or a whole table row."""
    out: list[tuple[int, str]] = []
    row: list[str] | None = None
    start = 0
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


def _outline(md: str) -> list[tuple[int, str, str, str]]:
    """Each heading as (level, id, heading text, visible text under it up to the next heading of its level or
    higher, its subsections included)."""
    tokens = _MD.parse(md)
    blocks = _blocks(tokens)
    heads = [(n, int(tokens[i - 1].tag[1]), str(tokens[i - 1].attrs.get("id", "")), text)
             for n, (i, text) in enumerate(blocks) if i and tokens[i - 1].type == "heading_open"]
    out = []
    for k, (n, level, ident, text) in enumerate(heads):
        end = next((m for m, lvl, _, _ in heads[k + 1:] if lvl <= level), len(blocks))
        out.append((level, ident, text, "\n".join(t for _, t in blocks[n + 1:end])))
    return out


def sections(md: str) -> dict[str, str]:
    """Heading text -> the visible text under it (its subsections included). A heading may not appear twice."""
    out: dict[str, str] = {}
    for _level, _ident, heading, text in _outline(md):
        assert heading not in out, f"heading '{heading}' appears twice"
        out[heading] = text
    return out


def covered(md: str) -> dict[str, str]:
    """Coverage item id ('membership', 'dpo', ...) -> the visible text of the section it tags."""
    return {ident[4:]: text for _level, ident, _heading, text in _outline(md) if ident.startswith("cov-")}


def list_items(md: str) -> list[str]:
    """The visible text of every list item (the paragraph that opens it)."""
    tokens = _MD.parse(md)
    return [flat(_inline_text(tokens[i + 2])) for i, t in enumerate(tokens)
            if t.type == "list_item_open" and tokens[i + 2].type == "inline"]


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


def is_processor(agency: Agency) -> bool:
    """Read from the profile: a body working under contract is a processor unless it says otherwise."""
    return agency.contracted_by is not None and agency.contract_role != "independent_controller"


def controllers_of(loaded: LoadedArea, panel_id: str) -> dict[str, list[Agency]]:
    """Each legal person on the panel (by its name in its organisation file or legal_entity) -> its services."""
    out: dict[str, list[Agency]] = {}
    for agency, _seat in loaded.members(panel_id):
        if not is_processor(agency):
            entity = loaded.entity_of(agency.id)
            assert entity is not None
            out.setdefault(entity.name, []).append(agency)
    return out


def table_rows(text: str) -> list[list[str]]:
    """The rows of the first table in a section's text (its first run of ' | ' lines), header row left out."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if " | " in line), len(lines))
    rows = list(itertools.takewhile(lambda line: " | " in line, lines[start:]))
    return [row.split(" | ") for row in rows[1:]]


def row_of(text: str, first: str) -> str:
    """The one table row whose first cell is ``first``, or starts with it followed by ', ' or ' (' (a legal
    person printed with its address or registration)."""
    rows = [" | ".join(row) for row in table_rows(text)
            if row[0] == first or row[0].startswith((f"{first}, ", f"{first} ("))]
    assert len(rows) == 1, f"expected one row for {first!r} in:\n{text}"
    return rows[0]


# --- the helpers themselves ----------------------------------------------------------------------------


def test_prose_drops_headings_tables_and_contact_lines() -> None:
    md = (
        "{#cov-x}\n## Heading words here\n\nWe keep it safe\n\n| A | B |\n|---|---|\n| table text | x |\n\n"
        "- Email: [a@b.example](<mailto:a@b.example>)\n- Phone: 0303 123 1113\n- Post: 1 Road, Town WM1 1AA\n"
        "- a list item\n"
    )
    assert prose(md) == "We keep it safe.\na list item."
    assert covered(md) == {"x": "We keep it safe\nA | B\ntable text | x\nEmail: a@b.example\nPhone: 0303 123 1113\n"
                                "Post: 1 Road, Town WM1 1AA\na list item"}


def test_flesch_separates_plain_from_official_prose() -> None:
    easy = "We keep your records safe. You can ask to see them. It is free."
    hard = ("Notwithstanding the aforementioned considerations, organisational accountability necessitates "
            "comprehensive documentation of information-governance determinations.")
    assert flesch(easy) >= 70 > 30 > flesch(hard)


def test_sections_stop_at_a_heading_of_the_same_level() -> None:
    md = "## A\n\none\n\n### A1\n\ntwo\n\n## B\n\nthree\n"
    assert sections(md) == {"A": "one\nA1\ntwo", "A1": "two", "B": "three"}


# --- every public document ---------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", ALL_IDS)
def test_document_is_clean(docs: dict[str, str], job_id: str) -> None:
    md = docs[job_id]
    lines = md.splitlines()
    for number, line in enumerate(lines):
        if "{#" in line:
            # The only braces a template may leave are a coverage id on its own line, just above a heading.
            assert _ID_LINE.fullmatch(line), f"{job_id}: '{{#' outside a coverage id line: {line!r}"
            assert number + 1 < len(lines) and lines[number + 1].startswith("#"), f"{job_id}: {line} not above a heading"
    for bad in ("{{", "{%", "#}", "TBC", "TODO", "lorem"):
        assert bad not in md, f"{job_id}: '{bad}' in the Markdown"
    text = plain(md)
    # a value left empty would print as Python's None; the words "None of ..." are the template's own
    assert not re.search(r"\bNone\b(?! (of|needed)\b)", text), f"{job_id}: 'None' printed"
    assert "Data Protection Act 1998" not in text
    assert not re.search(r"Primary Care Trust|Strategic Health Authorit|Local Safeguarding Children Board", text)
    assert "Information Commission " not in text  # the regulator is still the ICO on the example's date


@pytest.mark.parametrize("job_id", NOTICE_IDS)
def test_document_structure(docs: dict[str, str], job_id: str) -> None:
    """The title is added by the writer, headings never skip a level, containers and ids are the writers'."""
    tokens = parse(docs[job_id])  # the writers' parser: raises on an unknown container or a misplaced id
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
    ids = [str(t.attrs["id"]) for t in tokens if t.type == "heading_open" and "id" in t.attrs]
    assert len(ids) == len(set(ids)), f"{job_id}: a coverage id twice"
    sections(docs[job_id])  # asserts no duplicate heading


@pytest.mark.parametrize("job_id", NOTICE_IDS)
def test_no_paragraph_repeated(docs: dict[str, str], job_id: str) -> None:
    """No paragraph is printed twice, and no list says the same thing twice. (Two controllers may each list the
    same lawful basis, in their own lists.)"""
    tokens = _MD.parse(docs[job_id])
    paragraphs, lists, stack = [], [], []
    for i, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            stack.append([])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.append(stack.pop())
        elif token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            text = flat(_inline_text(token))
            (stack[-1] if stack else paragraphs).append(text)
    repeated = {p for p in paragraphs if len(p) > 60 and paragraphs.count(p) > 1}
    repeated |= {item for items in lists for item in items if items.count(item) > 1}
    assert not repeated, f"{job_id} repeats: {sorted(repeated)[:2]}"


@pytest.mark.parametrize("job_id", [j for j in NOTICE_IDS if _KINDS[j] in MIN_FLESCH])
def test_readability(docs: dict[str, str], job_id: str) -> None:
    score = flesch(docs[job_id])
    assert score >= MIN_FLESCH[_KINDS[job_id]], f"{job_id}: Flesch reading ease {score}"


# --- the panel notice: Case Example 19 (guidance 11.3) ----------------------------------------------------


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_covers_case_example_19_with_this_panels_data(bundled: LoadedArea, docs: dict[str, str],
                                                                   panel_id: str) -> None:
    panel = bundled.panels[panel_id]
    seats = bundled.members(panel_id)
    notice = covered(docs[panel_notice(panel_id)])
    for topic in ("membership", "level", "secondary-sharing", "recording", "security", "retention", "access",
                  "override"):
        assert topic in notice, f"missing the Case Example 19 topic '{topic}'"
    members = notice["membership"]
    for agency, seat in seats:
        row = row_of(members, agency.name)
        assert seat.role.capitalize() in row and flat(seat.representative) in row, row
    assert f"{bundled.agencies[panel.chair].name} chairs it" in members
    assert all(flat(item) in notice["categories"] for item in panel.information_shared)
    assert flat(panel.information_level) in notice["level"]
    assert flat(panel.secondary_sharing) in notice["secondary-sharing"]
    assert flat(panel.recording) in notice["recording"]
    assert all(flat(item) in notice["security"] for item in panel.security)
    for rule in panel.retention:
        assert re.search(rf"{re.escape(rule.period)}.*{re.escape(flat(rule.starts))}", notice["retention"], re.I)
    assert flat(panel.consent.override) in notice["override"]
    access = notice["access"]
    assert "12 or over" in access
    for agency, _seat in seats:
        if is_processor(agency):
            continue  # its controller answers requests for what it handles
        line = next(line for line in access.splitlines() if line.startswith(f"{agency.name}: "))
        assert flat(agency.access_requests.how) in line
        # A team that answers for several services of one controller is given once, then referred to.
        assert agency.access_requests.contact.role in line or "the same team as for" in line, line


# --- the panel notice: UK GDPR Articles 13 and 14 ---------------------------------------------------------


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_names_each_controller_once_with_its_services_and_contacts(
        bundled: LoadedArea, docs: dict[str, str], panel_id: str) -> None:
    md = docs[panel_notice(panel_id)]
    notice = covered(md)
    controllers = controllers_of(bundled, panel_id)
    table = notice["controller"]
    for name, services in controllers.items():
        row = row_of(table, name)
        assert all(service.name in row.split(" | ")[1] for service in services), row
        general = services[0].contacts.general
        assert general is None or general.role in row, row
        entity = bundled.entity_of(services[0].id)
        assert entity is not None
        dp = entity.data_protection_officer or entity.data_protection_lead
        assert dp is not None
        dp_row = row_of(notice["dpo"], name)
        assert dp.role in dp_row and (dp.email or dp.phone or dp.address) in dp_row
        if dp.email:
            assert f'<a href="mailto:{dp.email}">{dp.email}</a>' in html(md), "contact details are links"
    for section in ("controller", "dpo"):
        named = [row[0] for row in table_rows(notice[section])]
        assert len(named) == len(controllers), f"{section}: one row per legal person; services are not controllers"


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_gives_every_partys_lawful_bases_and_purposes(bundled: LoadedArea, docs: dict[str, str],
                                                                    jobs: dict[str, Job], panel_id: str) -> None:
    """Article 13(1)(c): each purpose with its basis, for every service, so a parent can look theirs up."""
    reasons = covered(docs[panel_notice(panel_id)])["purposes"]
    assert "UK GDPR" in reasons
    missing = []
    for party in jobs[panel_notice(panel_id)].context["parties"]:
        for basis in party.gdpr_bases:
            if f"{basis.name[:1].upper()}{basis.name[1:]} ({basis.article}), {basis.purpose}." not in reasons:
                missing.append(f"{party.agency.name}: {basis.name}, {basis.purpose}")
            if basis.obligation is not None:
                assert f"The law that requires this is {basis.obligation.citation}." in reasons
    assert not missing, (
        "the notice leaves out these services' purposes (panel-notice.md.j2 prints only the first service of each "
        "controller):\n" + "\n".join(missing))


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_states_transfers_decisions_and_requirement(bundled: LoadedArea, docs: dict[str, str],
                                                                 panel_id: str) -> None:
    notice = covered(docs[panel_notice(panel_id)])
    members = [agency for agency, _ in bundled.members(panel_id)]
    sending = [a for a in members if a.transfers_outside_uk]
    for agency in sending:
        for transfer in agency.transfers_outside_uk or ():
            assert flat(transfer.to) in notice["transfers"] and flat(transfer.safeguard) in notice["transfers"]
    if not sending:
        assert "None of the panel's members sends your information outside the UK." in notice["transfers"]
    deciding = [a for a in members if a.automated_decisions]
    assert "made by people" in notice["automated-decisions"]
    assert all(flat(a.automated_decisions or "") in notice["automated-decisions"] for a in deciding)
    assert "You do not have to give the panel information yourself" in notice["requirement"]
    assert "Where the information comes from" in sections(docs[panel_notice(panel_id)])


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_rights_hold_for_each_controller(bundled: LoadedArea, docs: dict[str, str], panel_id: str) -> None:
    """Each controller's rights (by its own lawful bases and status) are stated in its own words, and a right
    only some controllers give names them."""
    rights = covered(docs[panel_notice(panel_id)])["rights"]
    wrong = []
    controllers = controllers_of(bundled, panel_id)
    asks = bundled.panels[panel_id].consent.approach != "not_sought"
    for name, services in controllers.items():
        codes = {use.basis for service in services for use in law.bases_of(service, bundled.area.issue_date)}
        # At a panel, a contract with the family is no basis, nor is consent where the panel does not ask for it.
        codes = {c for c in codes if c != "contract" and (asks or c != "consent")} or codes
        for right in law.rights(codes, services[0].status == "statutory"):
            line = next((line for line in rights.splitlines() if line.startswith(right.text)), None)
            if line is None:
                wrong.append(f"{name}: {right.key}: {right.text!r} is not said")
            elif "(this applies to " in line and name not in line:
                wrong.append(f"{name}: {right.key} is said to apply to others only")
    assert not wrong, "\n".join(wrong)
    for line in rights.splitlines():
        match = re.search(r"\(this applies to (.*)\)$", line)
        if match:
            # every name listed is a controller of the panel (names may hold "and": take them out whole)
            rest = match.group(1)
            for name in sorted(controllers, key=len, reverse=True):
                rest = rest.replace(name, "")
            assert not re.sub(r",| and ", "", rest).strip(), line


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_complaints_go_to_the_controller_then_the_regulator(bundled: LoadedArea, docs: dict[str, str],
                                                                        jobs: dict[str, Job], panel_id: str) -> None:
    complaints = covered(docs[panel_notice(panel_id)])["complaints"]
    regulator = jobs[panel_notice(panel_id)].context["regulator"].regulator
    assert complaints.index("tell us first") < complaints.index(regulator.name)
    assert regulator.phone in complaints and "ico.org.uk/make-a-complaint" in complaints
    for name in controllers_of(bundled, panel_id):
        assert row_of(complaints, name)
    contact = bundled.area.contact
    assert contact.role in complaints and (contact.email or contact.phone or "") in complaints


def _formats_offered(md: str) -> list[str]:
    """The list under the notice's 'Other formats and languages' heading."""
    part = md.split("## Other formats and languages", 1)[1]
    return list_items(part.split("\n## ", 1)[0])


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_offers_its_own_formats_and_every_members_languages(bundled: LoadedArea, docs: dict[str, str],
                                                                         panel_id: str) -> None:
    formats = sections(docs[panel_notice(panel_id)])["Other formats and languages"]
    panel = bundled.panels[panel_id]
    assert panel.notice and panel.notice.formats and not panel.notice.languages
    assert _formats_offered(docs[panel_notice(panel_id)]) == [flat(f) for f in panel.notice.formats]
    members_only = {f for agency, _seat in bundled.members(panel_id) for f in agency.notice.formats} - set(
        panel.notice.formats)
    assert members_only, "the example should have a member format the panel does not offer"
    assert not any(flat(f) in formats for f in members_only)
    for agency, _seat in bundled.members(panel_id):
        assert all(language in formats for language in agency.notice.languages)


def test_panel_notice_without_its_own_formats_offers_every_members(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        del data["panel:youth-crime-prevention"]["notice"]

    loaded = variant(tmp_path, edit)
    offered = _formats_offered(render_all(loaded)[panel_notice("youth-crime-prevention")])
    wanted = {flat(f) for agency, _seat in loaded.members("youth-crime-prevention") for f in agency.notice.formats}
    assert set(offered) == wanted and "a leaflet for young people using CAMHS" in wanted


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_joint_controllers_only_where_the_panel_has_them(bundled: LoadedArea, docs: dict[str, str],
                                                         panel_id: str) -> None:
    notice = covered(docs[panel_notice(panel_id)])
    panel = bundled.panels[panel_id]
    if panel.controllers == "joint":
        assert panel.joint_arrangement is not None
        assert flat(panel.joint_arrangement.summary) in notice["joint"]
        assert bundled.agencies[panel.joint_arrangement.contact_point].name in notice["joint"]
    else:
        assert "joint" not in notice and "joint controllers" not in plain(docs[panel_notice(panel_id)])


def test_a_processor_is_named_as_working_for_its_controller_never_as_a_controller(bundled: LoadedArea,
                                                                                 docs: dict[str, str]) -> None:
    with_processor = [p for p in PANEL_IDS if any(is_processor(a) for a, _ in bundled.members(p))]
    assert with_processor and set(with_processor) != set(PANEL_IDS)
    for panel_id in PANEL_IDS:
        notice = covered(docs[panel_notice(panel_id)])
        for agency, _seat in bundled.members(panel_id):
            if not is_processor(agency):
                continue
            entity, boss = bundled.entity_of(agency.id), bundled.entity_of(agency.contracted_by or "")
            assert entity is not None and boss is not None
            assert f"{entity.name} works at the panel for {boss.name}" in notice["controller"]
            assert "under a written contract" in notice["controller"]
            assert f"(working for {boss.name})" in row_of(notice["membership"], agency.name)
            for table in ("dpo", "complaints", "purposes"):
                assert entity.name not in notice[table], (panel_id, table)
    for panel_id in set(PANEL_IDS) - set(with_processor):
        assert "works at the panel for" not in docs[panel_notice(panel_id)]


def test_legitimate_interests_are_stated_where_a_member_uses_them(tmp_path: Path, docs: dict[str, str]) -> None:
    before = covered(docs[panel_notice("youth-crime-prevention")])["legitimate-interests"]
    assert "None of the panel's members relies on legitimate interests." in before

    def edit(data: dict[str, dict]) -> None:
        data["agency:quayside-leisure"]["uk_gdpr_bases"].append({
            "basis": "legitimate_interests", "purpose": "for CCTV in the centre",
            "interests": "keeping customers and staff safe from crime"})

    after = covered(render_all(variant(tmp_path, edit))[panel_notice("youth-crime-prevention")])
    stated = after["legitimate-interests"]
    assert "Tidewater Leisure Ltd relies on legitimate interests" in stated
    assert "keeping customers and staff safe from crime" in stated and "None of the panel's members" not in stated


def test_agency_notice_never_prints_an_unchecked_schedule_1_condition(tmp_path: Path, docs: dict[str, str]) -> None:
    """A Schedule 1 paragraph the register has not checked is not cited; the other stays."""
    unchecked, kept = "data-protection-act-2018-sch-1-para-6", "data-protection-act-2018-sch-1-para-18"

    def edit(data: dict[str, dict]) -> None:
        data["legislation"].setdefault(unchecked, {})["verified"] = False

    loaded = variant(tmp_path, edit)
    dropped, stays = loaded.register[unchecked].citation, loaded.register[kept].citation
    before = covered(docs[agency_notice("westmarsh-housing")])["purposes"]
    after = covered(render_all(loaded)[agency_notice("westmarsh-housing")])["purposes"]
    assert f"({dropped})" in before and f"({stays})" in before
    assert f"({dropped})" not in after and f"({stays})" in after
    assert "Article 9" in after


# --- the young people's version ------------------------------------------------------------------------


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_young_people_version(bundled: LoadedArea, docs: dict[str, str], panel_id: str) -> None:
    short = docs[f"panels/{panel_id}/young-people"]
    full = docs[panel_notice(panel_id)]
    assert words(short) < words(full) * 0.5
    assert len(prose(short).split()) < 700, "about two pages at most"
    text = plain(short)
    for agency, _seat in bundled.members(panel_id):
        assert agency.name in text
    young = covered(short)
    assert "If you are about 12 or older, you can usually ask for yourself." in young["rights"]
    assert "without asking" in sections(short)["When might we share without asking?"]
    assert "Who can you talk to?" in sections(short)
    assert "0800 1111" in text  # Childline
    panel = bundled.panels[panel_id]
    # What the panel knows, in words written for a young person, not the adults' list.
    told = young["categories"]
    assert all(flat(item) in told for item in young_people_list(panel))
    assert not any(flat(item) in told for item in panel.information_shared)
    regulator = young["complaints"]
    assert "tell us first" in regulator and "Information Commissioner's Office" in regulator


def test_young_people_version_uses_the_panels_own_words_when_it_has_them(tmp_path: Path) -> None:
    own = ["what help you need with school", "how you are getting on at home"]

    def edit(data: dict[str, dict]) -> None:
        data["panel:early-help"]["young_people_summary"] = own

    told = covered(render_all(variant(tmp_path, edit))["panels/early-help/young-people"])["categories"]
    assert told.splitlines()[1:3] == own
    assert "your name, your age, where you live" not in told


def test_young_people_hear_of_crime_only_where_the_panel_shares_to_stop_it(tmp_path: Path, docs: dict[str, str]) -> None:
    crime = sections(docs["panels/youth-crime-prevention/young-people"])["When might we share without asking?"]
    assert "or we need to stop a serious crime" in crime

    def edit(data: dict[str, dict]) -> None:
        data["panel:youth-crime-prevention"]["consent"]["override"] = (
            "Only where a child is at risk of significant harm.")

    after = render_all(variant(tmp_path, edit))["panels/youth-crime-prevention/young-people"]
    assert "crime" not in sections(after)["When might we share without asking?"]


# --- the agency notice -----------------------------------------------------------------------------------


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_agency_notice_content(bundled: LoadedArea, docs: dict[str, str], jobs: dict[str, Job], agency_id: str) -> None:
    agency = bundled.agencies[agency_id]
    md = docs[agency_notice(agency_id)]
    by_heading, notice = sections(md), covered(md)
    assert flat(agency.description) in by_heading["Who we are"]
    assert all(flat(kind) in notice["categories"] for kind in agency.records.kinds)
    assert flat(agency.records.sharing_decisions) in notice["categories"]
    for seat in agency.panels:
        panel = bundled.panels[seat.panel]
        assert panel.name in notice["recipients"] and flat(panel.purpose) in notice["recipients"]
    assert all(rule.period in notice["retention"] for rule in agency.retention)
    assert all(flat(item) in by_heading["How we keep information safe"] for item in agency.security)
    assert flat(agency.access_requests.how) in notice["access"]
    assert agency.access_requests.contact.role in notice["access"]
    contacts = by_heading["Contact us"]
    entity = bundled.entity_of(agency.id)
    assert entity is not None
    dp = entity.data_protection_officer or entity.data_protection_lead
    for who, contact in (("Data protection", dp), ("Safeguarding lead", agency.contacts.safeguarding_lead)):
        assert contact is not None
        row = row_of(contacts, who)
        assert contact.role in row and (contact.email or contact.phone or contact.address) in row
    regulator = jobs[agency_notice(agency_id)].context["regulator"].regulator
    complaints = notice["complaints"]
    assert complaints.index("tell us first") < complaints.index(regulator.name)
    assert "ico.org.uk" in complaints and regulator.phone in complaints
    if agency.special_category_data and not is_processor(agency):
        assert "Article 9" in by_heading["Sensitive information"]


@pytest.mark.parametrize("panel_id", PANEL_IDS)
def test_panel_notice_states_each_set_of_article_9_conditions_once(jobs: dict[str, Job], docs: dict[str, str],
                                                                   panel_id: str) -> None:
    md = docs[panel_notice(panel_id)]
    if "### Sensitive information" not in md:
        return
    part = md.split("### Sensitive information", 1)[1].split("\n## ", 1)[0].split("Information about crimes")[0]
    parties = [p for p in jobs[panel_notice(panel_id)].context["parties"] if not p.is_processor
               and p.special_conditions]
    sets = {tuple((c.name, c.when) for c in p.special_conditions) for p in parties}
    items = list_items(part)
    assert len(items) == sum(len(s) for s in sets)  # each set once, however many services rely on it
    for party in parties:  # every service is named once, above exactly its own conditions
        assert part.count(party.agency.name) == 1
        heading = next(line for line in part.splitlines() if party.agency.name in line)
        block = part.split(heading, 1)[1].split("\n\n**", 1)[0]
        assert list_items(block) == [flat(f"{c.name}, {c.when}") for c in party.special_conditions]


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_agency_notice_controller_fits_who_the_agency_is_in_law(bundled: LoadedArea, docs: dict[str, str],
                                                               agency_id: str) -> None:
    agency = bundled.agencies[agency_id]
    notice = covered(docs[agency_notice(agency_id)])
    if is_processor(agency):
        boss = bundled.entity_of(agency.contracted_by or "")
        assert boss is not None
        assert boss.name in notice["controller"]
        assert "responsible for the information we handle for it" in notice["controller"]
        assert f"{boss.name}'s lawful reasons" in notice["purposes"] and "We use these:" not in notice["purposes"]
    else:
        entity = bundled.entity_of(agency.id)
        assert entity is not None
        assert f"is responsible in law for the information {agency.name} holds" in notice["controller"]
        assert notice["controller"].startswith(entity.name)


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_agency_notice_legal_basis_fits_status(bundled: LoadedArea, docs: dict[str, str], agency_id: str) -> None:
    agency = bundled.agencies[agency_id]
    md = docs[agency_notice(agency_id)]
    basis = covered(md)["purposes"]
    if is_processor(agency):
        assert "We act only on its instructions" in plain(md)
    elif agency.status == "statutory":
        assert "we have duties in law" in basis
    else:
        assert "not a public body" in plain(md)
        assert not re.search(r"duties in law|our (legal |statutory )?duties|statutory dut", basis, re.I)
        assert "agreement before we share" in basis and "at risk of harm" in basis


@pytest.mark.parametrize("agency_id", AGENCY_IDS)
def test_each_provision_an_agency_relies_on_is_its_own_list_item(docs: dict[str, str], jobs: dict[str, Job],
                                                                 agency_id: str) -> None:
    powers = jobs[agency_notice(agency_id)].context["agency"].powers
    items = list_items(docs[agency_notice(agency_id)])
    for power in powers:
        starting = [item for item in items if item.startswith(f"{power.entry.citation}: ")]
        assert len(starting) == 1, (
            f"{agency_id}: '{power.entry.citation}' is not a list item of its own: the provisions macro in "
            f"_notice_macros.md.j2 runs them into one line ({[i for i in items if power.entry.citation in i][:1]})")
        assert "- **" not in starting[0]


@pytest.mark.parametrize("status", ["voluntary", "private"])
def test_a_body_that_is_not_statutory_never_claims_statutory_duties(tmp_path: Path, docs: dict[str, str],
                                                                   status: str) -> None:
    """Turn a statutory service into a voluntary or private one: its notice drops every claim of duties."""
    def edit(data: dict[str, dict]) -> None:
        mental = data["agency:fenmoor-mental-health"]
        mental.update(status=status, statutory_basis=[], uk_gdpr_bases=[], special_category_conditions=[])
        mental["legal_entity"]["kind"] = "charity" if status == "voluntary" else "company"

    before = docs[agency_notice("fenmoor-mental-health")]
    after = render_all(variant(tmp_path, edit))[agency_notice("fenmoor-mental-health")]
    assert "duties in law" in before and "Children Act" in before
    text = plain(after)
    assert f"We are a {status} organisation, not a public body." in text
    assert not re.search(r"duties in law|public duties|public tasks|our (legal |statutory )?duties|statutory dut",
                         text, re.I)
    assert "Children Act" not in text
    basis = covered(after)["purposes"]
    assert "agreement before we share" in basis and "at risk of harm" in basis
    # The defaults for a body that is not a public authority, after 5 February 2026: consent, and to protect a
    # child the recognised legitimate interest.
    assert "**Consent** (Article 6(1)(a))" in after and "**Recognised legitimate interest (safeguarding)**" in after
    assert "Public task" not in text


def test_panels_are_named_only_by_an_agency_that_sits_on_them(tmp_path: Path, docs: dict[str, str]) -> None:
    before = covered(docs[agency_notice("quayside-leisure")])
    assert "Westmarsh Youth Crime Prevention Panel" in before["recipients"] and "panels we sit on" in before["sources"]

    def edit(data: dict[str, dict]) -> None:
        data["agency:quayside-leisure"]["panels"] = []

    after = covered(render_all(variant(tmp_path, edit))[agency_notice("quayside-leisure")])
    assert "panel" not in after["recipients"].lower() and "panel" not in after["sources"].lower()


def test_repealed_law_a_profile_cites_is_not_printed(tmp_path: Path) -> None:
    """An agency citing the Data Protection Act 1998 still gets a notice built on current law only."""
    def edit(data: dict[str, dict]) -> None:
        data["agency:harbour-lane-surgery"]["statutory_basis"].append(
            {"key": "data-protection-act-1998", "note": "Sharing records under the 1998 Act."})

    loaded = variant(tmp_path, edit)
    assert any("data-protection-act-1998" in d.message for d in loaded.warnings)
    for job_id, md in render_all(loaded).items():
        assert "Data Protection Act 1998" not in plain(md), job_id
        assert "under the 1998 Act" not in plain(md), job_id


# --- variants: escaping, missing optional fields, other consent approaches --------------------------------

TRICKY = "A | B *C* # {{x}}"
TRICKY_PANEL = "Panel # 1 [x](y) <b>"
TRICKY_ITEM = "- 1. *not* a list"


def test_profile_text_is_data_not_markup(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        data["agency:the-landing-drop-in"]["name"] = TRICKY
        data["panel:early-help"]["name"] = TRICKY_PANEL
        data["panel:early-help"]["information_shared"].append(TRICKY_ITEM)
        data["panel:early-help"]["young_people_summary"] = ["what you need", TRICKY_ITEM]

    docs = render_all(variant(tmp_path, edit))
    checked = 0
    for job_id, md in docs.items():
        rendered = html(md)
        if TRICKY in plain(md):
            checked += 1
            assert "<em>C</em>" not in rendered and "{{" not in md
            assert TRICKY in rendered
        if "early-help" in job_id:
            assert TRICKY_PANEL.replace("<b>", "&lt;b&gt;") in rendered
            assert '<a href="y"' not in rendered and "<b>" not in rendered
    # the agency's own notice, and the notice and young people's version of each of the three panels it sits on
    assert checked >= 1 + 2 * 3
    assert TRICKY_ITEM in covered(docs[panel_notice("early-help")])["categories"].splitlines()
    assert TRICKY_ITEM in covered(docs["panels/early-help/young-people"])["categories"].splitlines()
    table = covered(docs[panel_notice("complex-needs")])["membership"]
    assert any(line.startswith(f"{TRICKY} | ") for line in table.splitlines()), "a | in a name must not split a cell"


def test_optional_contacts_and_formats_may_be_missing(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        landing = data["agency:the-landing-drop-in"]
        for field in ("website", "notice"):
            landing.pop(field, None)
        landing["contacts"].pop("general", None)
        landing["legal_entity"]["data_protection_lead"] = {"role": "Chief Officer",
                                                           "address": "5 Ferry Steps, Westmarsh"}

    docs = render_all(variant(tmp_path, edit))
    text = plain(docs[agency_notice("the-landing-drop-in")])
    assert "General enquiries" not in text and "Our website" not in text
    assert "You can ask for this notice in these formats" not in text
    assert "Chief Officer: post: 5 Ferry Steps, Westmarsh" in text
    controllers = covered(docs[panel_notice("complex-needs")])["controller"]
    safeguarding = load_area(AREA).agencies["the-landing-drop-in"].contacts.safeguarding_lead
    assert safeguarding.role in row_of(controllers, "The Landing Youth Trust"), (
        "with no general contact and no website the safeguarding lead is given")


def test_panel_that_does_not_ask_first(tmp_path: Path, docs: dict[str, str]) -> None:
    def edit(data: dict[str, dict]) -> None:
        data["panel:hospital-mdt"]["consent"]["approach"] = "not_sought"

    assert "does not ask first" not in docs["panels/hospital-mdt/young-people"]
    assert "does not ask for agreement" not in docs[panel_notice("hospital-mdt")]
    after = render_all(variant(tmp_path, edit))
    notice = covered(after[panel_notice("hospital-mdt")])
    assert "This panel does not ask for agreement before it shares information." in notice["consent"]
    assert "We check your agreement" not in notice["consent"]
    young = sections(after["panels/hospital-mdt/young-people"])["Will we ask you first?"]
    assert young.startswith("No. This panel does not ask first") and "Yes." not in young
    assert "Where it is safe" in young  # never a promise that everyone (at a MARAC, the person causing harm) is told


def test_panel_without_sensitive_data_cites_no_article_9(tmp_path: Path) -> None:
    def edit(data: dict[str, dict]) -> None:
        youth = data["panel:youth-crime-prevention"]
        youth["special_category_data"] = []
        youth.pop("special_category_conditions", None)
        youth["criminal_offence_data"] = False

    before = plain(render_all(load_area(AREA))[panel_notice("youth-crime-prevention")])
    assert "Article 9" in before and "Article 10" in before
    text = plain(render_all(variant(tmp_path, edit))[panel_notice("youth-crime-prevention")])
    assert "Article 9" not in text and "Article 10" not in text and "sensitive" not in text


def test_a_contracted_controller_names_the_legal_person_it_contracts_with(bundled: LoadedArea,
                                                                         docs: dict[str, str]) -> None:
    """A contract is made with a legal person, not with one of its services: the leisure operator's contract is
    with the council, though the youth service is the service it works for."""
    contracted = [a for a in bundled.agencies.values() if a.contracted_by and not is_processor(a)]
    apart = 0
    for agency in contracted:
        assert agency.contracted_by is not None
        council = bundled.entity_of(agency.contracted_by)
        service = bundled.agencies[agency.contracted_by]
        assert council is not None
        text = docs[agency_notice(agency.id)]
        if "under a contract with" not in text:
            continue  # a GP practice's contract is stated in other words
        assert f"under a contract with {council.name}," in text
        if council.name != service.name:
            apart += 1
            assert f"under a contract with {service.name}" not in text
    assert apart, "the example has a body contracted by one service of a larger legal person"
