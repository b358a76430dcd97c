"""The three forms: an agency's consent form, a panel's consent form and a panel's request-and-decision record.

Each form is rendered through the real pipeline (load_area -> resolve -> render -> Word writer) from the bundled
example area or from a variant of the small area in ``arealib``, and read back the way a reader meets it: the
Word document opened with python-docx (text taken from every ``w:t``, so it is found inside content controls
too), or the Markdown parsed with markdown-it (coverage ids, form containers).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import arealib
import docx
import pytest
import textstat
from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.container import container_plugin
from office import convert_to_pdf, needs_soffice

from protocolgen.area import load_area
from protocolgen.build import doc_meta, render_markdown
from protocolgen.render import Renderer
from protocolgen.resolve import Job, resolve
from protocolgen.write import DocxWriter

AREA = Path(__file__).resolve().parent.parent / "agency_profiles"
FORM_KINDS = ("consent-form", "panel-consent-form", "decision-record")
COVERAGE = {
    "consent-form": ("what-shared", "purpose", "exceptions", "who-can-agree", "duration", "withdraw",
                     "without-agreement", "signature", "dp-contact"),
    "panel-consent-form": ("what-shared", "who-with", "purpose", "who-can-agree", "duration", "withdraw",
                           "without-agreement", "signature", "dp-contact"),
    "decision-record": ("request", "purpose", "basis", "consent", "decision", "reasons", "recipient", "decided-by"),
}
RENDERER = Renderer()
WRITER = DocxWriter()

# The Markdown dialect as the writers will read it: tables, ::: containers and {#id} lines above headings.
_MD = MarkdownIt("commonmark").enable("table").use(attrs_block_plugin)
container_plugin(_MD, "block", validate=lambda *_: True)


# --- building and reading forms ------------------------------------------------------------------------


def form_jobs(root: Path) -> dict[str, Job]:
    return {job.id: job for job in resolve(load_area(root)) if job.kind in FORM_KINDS}


def markdown(job: Job) -> str:
    return render_markdown(job, RENDERER)


def word(job: Job) -> bytes:
    return WRITER.render(markdown(job), doc_meta(job, job.doc))


def flat(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Form:
    """A Word form as a reader meets it: its paragraphs and tables in order, and its sections by heading."""

    # ("p", text), ("heading", (level, text)) or ("table", rows of cell texts), in document order
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    @staticmethod
    def show(kind: str, block: Any) -> str:
        """A block as lines of text: a paragraph, a heading's text, or a table a row a line (' | ' between cells)."""
        if kind == "heading":
            return str(block[1])
        if kind == "table":
            return "\n".join(" | ".join(row) for row in block)
        return flat(block)

    @property
    def text(self) -> str:
        return "\n".join(self.show(kind, block) for kind, block in self.blocks)

    @property
    def tables(self) -> list[list[list[str]]]:
        return [b for kind, b in self.blocks if kind == "table"]

    @property
    def headers(self) -> list[str]:
        """Every column header of every table."""
        return [cell for table in self.tables for cell in table[0]]

    def table(self, first_header: str) -> list[list[str]]:
        found = [t for t in self.tables if t[0][0] == first_header]
        assert len(found) == 1, f"expected one table headed {first_header!r}; headers: {self.headers}"
        return found[0]

    def section(self, heading: str) -> str:
        """The text under a heading, up to the next heading of the same or a higher level."""
        out: list[str] = []
        level = None
        for kind, block in self.blocks:
            if kind == "heading":
                depth, text = block
                if level is not None and depth <= level:
                    break
                if text == heading and level is None:
                    level = depth
                    continue
            if level is not None:
                out.append(self.show(kind, block))
        assert level is not None, f"no heading {heading!r}"
        return "\n".join(out)

    def ticks(self, heading: str) -> list[str]:
        """The tick-box lines under a heading, each without its box."""
        return [line[1:].strip() for line in self.section(heading).splitlines() if line.startswith("☐")]


# A heading's id line ({#cov-...}) never prints once the Word writer reads block attributes; a writer that does
# not yet leaves it as a paragraph, which is the writer's business, not the form's: it is skipped here.
_ID_LINE = re.compile(r"\{#[a-z0-9_-]+\}")


def _texts(element: Any) -> str:
    return "".join(element.xpath(".//w:t/text()"))


def read(data: bytes) -> Form:
    document = docx.Document(io.BytesIO(data))
    form = Form()
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            rows = [[flat(_texts(tc)) for tc in tr.xpath(".//w:tc")] for tr in block._tbl.xpath("./w:tr")]
            form.blocks.append(("table", rows))
            continue
        style = block.style.name if block.style is not None else ""
        heading = re.fullmatch(r"Heading (\d)", style)
        if heading:
            form.blocks.append(("heading", (int(heading.group(1)), flat(_texts(block._p)))))
        elif not _ID_LINE.fullmatch(_texts(block._p)):
            form.blocks.append(("p", _texts(block._p)))
    return form


def form_of(job: Job) -> Form:
    return read(word(job))


# --- areas ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> dict[str, Job]:
    return form_jobs(AREA)


EXAMPLE_IDS = sorted(form_jobs(AREA))


def audience(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["audience"] = values

    return change


def bases(*uses: str | dict[str, str]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["uk_gdpr_bases"] = list(uses)

    return change


def small_area(tmp_path: Path, *changes: tuple[str, Callable[[dict[str, Any]], Any]]) -> dict[str, Job]:
    """The arealib area with each (file, edit) applied, as its form jobs.

    The youth charity first gets the recognised legitimate interest beside consent: a panel member may have to
    share without agreement to protect a child, and the rules refuse a member that relies on consent alone."""
    root = arealib.write_area(tmp_path / "area")
    for rel, change in ((arealib.CHARITY, bases("consent", "recognised_legitimate_interest")), *changes):
        arealib.edit(root, rel, change)
    return form_jobs(root)




COUNCIL_FORM = "agencies/north-council/consent-form"
CHARITY_FORM = "agencies/north-youth-trust/consent-form"
PANEL_FORM = "panels/early-help/consent-form"
RECORD = "panels/early-help/decision-record"


# --- every form ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", EXAMPLE_IDS)
def test_every_required_section_carries_its_coverage_id(example: dict[str, Job], job_id: str) -> None:
    job = example[job_id]
    md = markdown(job)
    tokens = _MD.parse(md)
    on_headings = [t.attrs["id"] for t in tokens if t.type == "heading_open" and "id" in t.attrs]
    for ident in COVERAGE[job.kind]:
        assert md.count(f"{{#cov-{ident}}}") == 1, f"{job_id}: cov-{ident} missing or repeated"
        assert f"cov-{ident}" in on_headings, f"{job_id}: cov-{ident} is not directly above a heading"
    # Sections start at ## (the writer prints the title) and never skip a level.
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    assert levels[0] == 2
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


@pytest.mark.parametrize("job_id", EXAMPLE_IDS)
def test_tick_boxes_and_fill_in_tables_are_inside_form_containers(example: dict[str, Job], job_id: str) -> None:
    """The Word writer makes "☐" and empty cells fillable only inside ::: form, so nothing may fall outside."""
    tokens = _MD.parse(markdown(example[job_id]))
    stack: list[str] = []
    row: list[str] = []
    boxes = tables = 0
    for token in tokens:
        if token.type == "container_block_open":
            stack.append(token.info.split()[0])
        elif token.type == "container_block_close":
            stack.pop()
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and "☐" in token.content:
            boxes += 1
            assert stack and stack[-1] == "form", f"tick box outside a form: {token.content!r}"
        elif token.type == "inline":
            row.append(token.content)
        elif token.type == "tr_close" and row and not any(cell.strip() for cell in row):
            tables += 1
            assert stack and stack[-1] == "form", "a fill-in table outside a form"
    assert boxes >= 3 and tables >= 3


@pytest.mark.parametrize("job_id", EXAMPLE_IDS)
def test_form_opens_in_word_with_its_title_and_headers(example: dict[str, Job], job_id: str) -> None:
    job = example[job_id]
    form = form_of(job)
    assert form.blocks[0] == ("p", job.doc.title)
    assert "Signature" in form.headers and "Date" in form.headers
    assert re.search(r"\bNone\b", form.text) is None


def test_forms_are_byte_identical_when_built_again() -> None:
    first, second = form_jobs(AREA), form_jobs(AREA)
    for job_id in (COUNCIL_FORM.replace("north-council", "the-landing-drop-in"), "panels/complex-needs/consent-form",
                   "panels/hospital-mdt/decision-record"):
        assert word(first[job_id]) == word(second[job_id])


# --- the agency's consent form ---------------------------------------------------------------------------


def test_agency_form_shares_what_the_agency_records_and_names_no_panel(example: dict[str, Job]) -> None:
    job = example["agencies/westmarsh-childrens-social-care/consent-form"]
    agency = job.context["agency"].agency
    form = form_of(job)
    section = form.section("What we would share, and who with")
    for kind in agency.records.kinds:
        assert flat(kind) in section
    assert "other services that can help your child" in section
    assert job.context["memberships"]
    for panel, _seat in job.context["memberships"]:
        assert panel.name not in form.text


def test_under_fives_form_is_for_the_parent_only(tmp_path: Path, example: dict[str, Job]) -> None:
    jobs = small_area(tmp_path, (arealib.CHARITY, audience(min_age=0, max_age=4)))
    for form in (form_of(jobs[CHARITY_FORM]), form_of(example["agencies/little-egrets-playgroup/consent-form"])):
        assert "Name of the person with parental responsibility" in form.headers
        assert not [h for h in form.headers if "young person" in h.lower()]
        lowered = form.text.lower()
        for words in ("gillick", "for themselves", "for yourself", "young person"):
            assert words not in lowered, words


def test_teen_drop_in_form_is_addressed_to_the_young_person_and_asks_no_address(tmp_path: Path) -> None:
    jobs = small_area(tmp_path, (arealib.CHARITY, audience(min_age=13, max_age=19, young_people_on_their_own=True,
                                                           anonymous=True)))
    form = form_of(jobs[CHARITY_FORM])
    assert "North Youth Trust would like your agreement to share information about you" in form.text
    assert "your child" not in form.text.lower()
    assert "You can stay anonymous" in form.text
    assert "decide for yourself if you understand" in form.section("Who can agree")
    headers = [h.lower() for h in form.headers]
    assert not [h for h in headers if "address" in h or "date of birth" in h or "full name" in h], headers
    assert "Your first name, or the name you use here" in form.headers
    # The young person signs; a parent only if the young person wants one to.
    assert "Your name (the name you use here)" in form.headers
    assert "You can ask a parent or carer to sign as well. You do not have to." in form.section(
        "A parent or carer (only if you want)")


def test_young_people_on_their_own_who_are_not_anonymous_give_their_details(tmp_path: Path) -> None:
    jobs = small_area(tmp_path, (arealib.CHARITY, audience(min_age=13, max_age=19, young_people_on_their_own=True)))
    form = form_of(jobs[CHARITY_FORM])
    assert {"Your name", "Your date of birth", "Your address"} <= set(form.headers)
    assert "anonymous" not in form.text


def test_default_form_asks_the_parent_and_a_young_person_old_enough(tmp_path: Path) -> None:
    jobs = small_area(tmp_path)
    form = form_of(jobs[COUNCIL_FORM])
    assert {"Name of the person with parental responsibility", "Young person's name"} <= set(form.headers)
    agree = form.section("Who can agree")
    assert "Gillick competent" in agree and "aged 16 and 17" in agree
    assert "Child's name" in form.headers and "Address" in form.headers


def test_primary_school_form_has_no_young_persons_signature(tmp_path: Path) -> None:
    jobs = small_area(tmp_path, (arealib.COUNCIL, audience(min_age=4, max_age=11)))
    form = form_of(jobs[COUNCIL_FORM])
    assert "Young person's name" not in form.headers
    assert "Gillick" not in form.text
    assert "We will listen to your child's views, whatever their age." in form.section("Who can agree")


def test_review_months_come_from_the_consent_fields_not_the_document_review(tmp_path: Path) -> None:
    def months(data: dict[str, Any]) -> None:
        data["consent_review_months"] = 6

    def panel_months(data: dict[str, Any]) -> None:
        data["consent"]["review_months"] = 3

    def interval(value: int) -> Callable[[dict[str, Any]], None]:
        def change(data: dict[str, Any]) -> None:
            data["review_interval_months"] = value

        return change

    before = small_area(tmp_path / "a", (arealib.CHARITY, months), (arealib.PANEL, panel_months),
                        (arealib.AREA, interval(24)))
    agency_form, panel_form = form_of(before[CHARITY_FORM]), form_of(before[PANEL_FORM])
    assert "at least every 6 months" in agency_form.section("How long your agreement lasts")
    assert "Date to check it again (within 6 months)" in agency_form.headers
    assert "at least every 3 months" in panel_form.section("How long your agreement lasts")
    assert "Date to check it again (within 3 months)" in panel_form.headers
    assert "24" not in agency_form.text + panel_form.text

    after = small_area(tmp_path / "b", (arealib.CHARITY, months), (arealib.PANEL, panel_months),
                       (arealib.AREA, interval(6)))
    for job_id in (CHARITY_FORM, PANEL_FORM, RECORD):
        assert markdown(after[job_id]) == markdown(before[job_id]), job_id


def test_sharing_without_agreement_follows_the_agencys_lawful_bases(tmp_path: Path) -> None:
    heading = "When we may share without your agreement"
    # The rules refuse a profile that relies on consent alone, so the form is given such a party directly: if
    # the rules ever allow one, its form must still promise only what its bases allow.
    job = small_area(tmp_path / "a")[CHARITY_FORM]
    party = job.context["agency"]
    consent = tuple(b for b in party.gdpr_bases if b.code == "consent")
    job.context = {**job.context, "agency": dataclasses.replace(party, gdpr_bases=consent)}
    only_consent = form_of(job)
    assert only_consent.section(heading) == "We share information about your child only when you have agreed."
    assert "exception" not in only_consent.section("Anything you do not want shared")

    safeguarding = form_of(small_area(tmp_path / "b")[CHARITY_FORM]).section(heading)
    assert "to protect a child from harm" in safeguarding
    assert "public body" not in safeguarding and "emergency" not in safeguarding

    council = form_of(small_area(tmp_path / "c")[COUNCIL_FORM]).section(heading)
    assert "to do the work the law gives us as a public body" in council
    assert "to protect a child from harm" not in council


def test_withdrawal_and_data_protection_contacts(example: dict[str, Job]) -> None:
    landing = form_of(example["agencies/the-landing-drop-in/consent-form"])
    assert "hello@thelanding.example" in landing.section("Changing your mind")
    questions = landing.section("Questions about your information")
    assert "Data Protection Lead (Chief Officer)" in questions and "data@thelanding.example" in questions
    council = form_of(example["agencies/westmarsh-send/consent-form"]).section("Questions about your information")
    assert "our data protection officer" in council and "dpo@westmarsh.example" in council


# --- the panel's consent form ----------------------------------------------------------------------------


def test_panel_consent_form_only_where_the_panel_seeks_consent(example: dict[str, Job]) -> None:
    panels = {job.context["panel"].id: job.context["panel"] for job in example.values() if "panel" in job.context}
    for ident, panel in panels.items():
        assert (f"panels/{ident}/consent-form" in example) == (panel.consent.approach != "not_sought")
        assert f"panels/{ident}/decision-record" in example


PANEL_FORMS = [j for j in EXAMPLE_IDS if j.startswith("panels/") and j.endswith("/consent-form")]


@pytest.mark.parametrize("job_id", PANEL_FORMS)
def test_panel_consent_form_lists_every_member(example: dict[str, Job], job_id: str) -> None:
    job = example[job_id]
    form = form_of(job)
    table = form.table("Member")
    rows = table[1:]
    members = [p for entity, services in job.context["controllers"] for p in services]
    assert len(rows) == len(members)
    # Every seat in the example says what it brings, so the table has a column for it, filled from the seat.
    assert table[0] == ["Member", "Who attends", "What it brings"]
    for p, row in zip(members, rows, strict=True):
        assert p.agency.name in row[0]
        assert p.entity.name in row[0]  # the organisation answerable for it, by name
        assert row[1].startswith(flat(p.representative))
        assert p.shares and row[2] == "; ".join(flat(item) for item in p.shares)
    assert "Each member brings the information from the list above that it holds." not in form.section(
        "Who is on the panel")
    chair = job.context["chair"]
    assert [r[0] for r in rows if "chairs the panel" in r[0]] == [rows[members.index(chair)][0]]
    shared = form.section("What would be shared")
    for item in job.context["panel"].information_shared:
        assert flat(item) in shared


@pytest.mark.parametrize("job_id", PANEL_FORMS)
def test_panel_consent_form_states_the_panels_own_rules(example: dict[str, Job], job_id: str) -> None:
    job = example[job_id]
    panel = job.context["panel"]
    form = form_of(job)
    assert flat(panel.consent.override) in form.section("When the panel may share without your agreement")
    assert flat(panel.information_level) in form.section("How much detail is shared")
    assert flat(panel.secondary_sharing) in form.section("Who else may see it")
    assert flat(panel.how_families_are_told) in form.section("How you will hear what the panel decides")
    assert f"at least every {panel.consent.review_months} months" in form.section("How long your agreement lasts")
    withdraw = form.section("Changing your mind")
    assert job.context["chair"].agency.name in withdraw and flat(job.context["chair"].representative) in withdraw
    assert "short version written for young people" in form.section("Finding out more")


def test_panel_members_bring_what_their_seat_says(tmp_path: Path) -> None:
    def seat(data: dict[str, Any]) -> None:
        data["panels"][0]["shares"] = ["health visiting records", "school nursing notes"]

    form = form_of(small_area(tmp_path, (arealib.HEALTH, seat))[PANEL_FORM])
    assert form.table("Member")[0] == ["Member", "Who attends", "What it brings"]
    rows = {row[0]: row for row in form.table("Member")[1:]}
    assert rows["North Community Health NHS Trust"][2] == "health visiting records; school nursing notes"
    assert rows["North Youth Trust"][2] == "Information from the list above that it holds"


@pytest.mark.parametrize(("ages", "parent", "young_person"), [
    ({"min_age": 0, "max_age": 11}, True, False),
    ({"min_age": 0, "max_age": 18}, True, True),
    ({"min_age": 16, "max_age": 25}, False, True),
])
def test_panel_signatures_follow_the_panels_audience(tmp_path: Path, ages: dict[str, int], parent: bool,
                                                     young_person: bool) -> None:
    form = form_of(small_area(tmp_path, (arealib.PANEL, audience(**ages)))[PANEL_FORM])
    assert ("Name of the person with parental responsibility" in form.headers) == parent
    assert ("Young person's name" in form.headers) == young_person
    agree = form.section("Who can agree")
    assert ("aged 16 and 17 decide for themselves" in agree) == (ages["max_age"] >= 16)
    assert ("So do adults aged 18 or over" in agree) == (ages["max_age"] >= 18)


def test_processor_is_named_as_working_for_its_controller(tmp_path: Path) -> None:
    root = arealib.write_area(tmp_path / "area")
    arealib.edit(root, arealib.CHARITY, bases("consent", "recognised_legitimate_interest"))
    interpreter = arealib.agency("north-interpreting", "North Interpreting Ltd", "interpreting_service", "private",
                                 contracted_by="north-council", processing_contract="Contract NI-7",
                                 panels=[{"panel": "early-help", "role": "member", "representative": "Interpreter"}])
    arealib.add_agency(root, interpreter)
    form = form_of(form_jobs(root)[PANEL_FORM])
    assert "North Interpreting Ltd" not in "\n".join(row[0] for row in form.table("Member"))
    assert ("North Interpreting Ltd also works for the panel. It does this for North Borough Council Children's "
            "Services under a contract") in form.section("Who is on the panel")


def test_profile_text_prints_as_written_in_the_members_table(tmp_path: Path) -> None:
    odd = "Head of *Early* Help | [Lead] _one_ #2"

    def seat(data: dict[str, Any]) -> None:
        data["panels"][0]["representative"] = odd

    def name(data: dict[str, Any]) -> None:
        data["name"] = "North *Early* Help | Panel"

    form = form_of(small_area(tmp_path, (arealib.COUNCIL, seat), (arealib.PANEL, name))[PANEL_FORM])
    council = form.table("Member")[1]
    assert council[0] == "North Borough Council Children's Services, which chairs the panel"
    assert council[1] == odd
    assert "shared through the North *Early* Help | Panel, as this form explains" in form.text


# --- the request and decision record ---------------------------------------------------------------------


def _basis_names(jobs: dict[str, Job], job_id: str) -> set[str]:
    parties = [p for p in jobs[job_id].context["parties"] if not p.is_processor]
    return {b.name[:1].upper() + b.name[1:] for p in parties for b in p.gdpr_bases}


def _offered(form: Form, heading: str) -> list[str]:
    return [line.split(",")[0] if heading.startswith("Lawful") else line.split(":")[0]
            for line in form.ticks(heading)]


def test_decision_record_offers_exactly_the_bases_the_parties_have(tmp_path: Path) -> None:
    rli = "Recognised legitimate interest (safeguarding)"
    plain = small_area(tmp_path / "a")
    form = form_of(plain[RECORD])
    assert sorted(_offered(form, "Lawful basis (UK GDPR Article 6)")) == ["Consent", "Public task", rli]
    lines = form.ticks("Lawful basis (UK GDPR Article 6)")
    assert ("Public task, Article 6(1)(e): North Borough Council Children's Services and North Community Health NHS "
            "Trust") in lines
    assert "Consent, Article 6(1)(a): North Youth Trust" in lines

    more = small_area(tmp_path / "b", (arealib.CHARITY, bases("consent", "recognised_legitimate_interest",
                                                              "vital_interests")),
                      (arealib.HEALTH, bases("public_task", {"basis": "legal_obligation",
                                                             "obligation": "education-act-1996-s434"})))
    offered = _offered(form_of(more[RECORD]), "Lawful basis (UK GDPR Article 6)")
    assert sorted(offered) == ["Consent", "Legal obligation", "Public task", rli, "Vital interests"]
    assert set(offered) == _basis_names(more, RECORD)


@pytest.mark.parametrize("job_id", [j for j in EXAMPLE_IDS if j.endswith("/decision-record")])
def test_decision_record_offers_the_parties_law_and_nothing_else(example: dict[str, Job], job_id: str) -> None:
    job = example[job_id]
    members = [p for p in job.context["parties"] if not p.is_processor]
    form = form_of(job)
    assert set(_offered(form, "Lawful basis (UK GDPR Article 6)")) == _basis_names(example, job_id)
    powers = form.ticks("Power or duty to share")
    assert sorted(line.rsplit(": ", 1)[0] for line in powers) == sorted(
        {flat(pw.entry.citation) for p in members for pw in p.powers})
    conditions = {(c.article, c.schedule.citation if c.schedule else None) for p in members
                  for c in p.special_conditions}
    offered = form.ticks("Sensitive information (UK GDPR Article 9)")[1:]  # the first is the yes/no question
    assert len(offered) == len(conditions)
    for article, schedule in conditions:
        assert any(line.startswith(article) and (schedule is None or schedule in line) for line in offered)
    # Each power is listed with exactly the members that rely on it.
    for p in members:
        for pw in p.powers:
            line = next(x for x in powers if x.startswith(flat(pw.entry.citation) + ":"))
            assert p.agency.name in line or "all members" in line or "all statutory members" in line or (
                "all members except" in line)


def test_decision_record_asks_everything_a_decision_needs(example: dict[str, Job]) -> None:
    job = example["panels/early-help/decision-record"]
    form = form_of(job)
    assert {"Name", "Job title", "Organisation", "How their identity was checked"} <= set(form.headers)
    reasons = form.ticks("Agreement")
    for why in ("Asking would put a child at risk of significant harm.",
                "Asking would prejudice the prevention or detection of a crime.",
                "Asking would cause a delay that could harm the child.",
                "The person refused, and the panel's rule for sharing without agreement applies."):
        assert why in reasons
    assert form.ticks("The decision") == ["Share ☐ Share in part ☐ Do not share"]
    assert flat(job.context["panel"].sends_by) in form.section("What was shared, with whom and how")
    assert flat(job.context["panel"].consent.override) in form.section("Agreement")
    assert {"Date told", "Who told them", "If not told: why not", "Date to look at this again"} <= set(form.headers)
    purposes = form.ticks("Why it is needed")
    assert len(purposes) == len(job.context["purposes"])


def test_law_enforcement_is_offered_only_where_a_member_processes_for_it(tmp_path: Path) -> None:
    def police(data: dict[str, Any]) -> None:
        data["law_enforcement_processing"] = True

    assert "Law enforcement" not in form_of(small_area(tmp_path / "a")[RECORD]).section("The law relied on")
    law = form_of(small_area(tmp_path / "b", (arealib.HEALTH, police))[RECORD]).section("The law relied on")
    assert "Law enforcement purposes, under Data Protection Act 2018, Part 3" in law
    assert law.count("North Community Health NHS Trust") >= 1


# --- reading and looking ---------------------------------------------------------------------------------

_CONTACT = re.compile(r"@|https?://|\bphone\b|\bpost:")


def prose(md: str) -> str:
    """Paragraphs and list items a reader reads (no headings, tables, fences, id lines or contact lines)."""
    lines: list[str] = []
    depth = heading = 0
    for token in _MD.parse(md):
        if token.type in ("table_open", "table_close"):
            depth += 1 if token.type == "table_open" else -1
        elif token.type in ("heading_open", "heading_close"):
            heading = 1 if token.type == "heading_open" else 0
        elif token.type == "inline" and not depth and not heading:
            text = flat(token.content.replace("☐ Yes  ☐ No", ""))
            if text and not _CONTACT.search(text):
                lines.append(text if text[-1] in ".!?:" else text + ".")
    return "\n".join(lines)


@pytest.mark.parametrize(("kind", "least"), [("consent-form", 70), ("panel-consent-form", 65)])
def test_consent_forms_read_plainly(example: dict[str, Job], kind: str, least: float) -> None:
    for job_id, job in example.items():
        if job.kind == kind:
            score = textstat.flesch_reading_ease(prose(markdown(job)))
            assert score >= least, f"{job_id}: Flesch reading ease {score:.0f} < {least}"


@needs_soffice
def test_forms_end_with_the_part_to_fill_in_in_libreoffice(example: dict[str, Job], tmp_path: Path) -> None:
    chosen = {"agencies/little-egrets-playgroup/consent-form": "For our staff",
              "panels/early-help/consent-form": "For the worker",
              "panels/early-help/decision-record": "Telling the person"}
    paths = []
    for job_id in chosen:
        path = tmp_path / (job_id.replace("/", "_") + ".docx")
        path.write_bytes(word(example[job_id]))
        paths.append(path)
    convert_to_pdf(paths, tmp_path)
    for path, last_heading in zip(paths, chosen.values(), strict=True):
        pages = _pdf_pages(path.with_suffix(".pdf"))
        assert 2 <= len(pages) <= 6, f"{path.name}: {len(pages)} pages"
        assert last_heading in pages[-1]
        assert "Signature" in "".join(pages)


def _pdf_pages(pdf: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [flat(page) for page in text.split("\f") if page.strip()]

