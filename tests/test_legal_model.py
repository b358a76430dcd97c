"""The legal model as a data protection officer reads it in the documents of the example area.

One controller per legal entity; processors apart; each party's power to share fits the panel; every legal
obligation names its law and every legitimate interest is stated; an Article 9 condition for each way a party
shares; current guidance cited by name, never the 2005 draft's paragraph numbers; no contradictions; only the
sections that apply. Read from the rendered documents (Markdown here; the Word files in test_build).
"""

from __future__ import annotations

import re
import shutil
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen import load_area
from protocolgen.render import Renderer
from protocolgen.resolve import resolve

EXAMPLE = Path(__file__).resolve().parent.parent / "agency_profiles"


def render_all(area: Path) -> dict[str, str]:
    renderer = Renderer()
    return {job.id: renderer.render(job.template, {**job.context, "doc": job.doc}) for job in resolve(load_area(area))}


@cache
def example() -> dict[str, str]:
    return render_all(EXAMPLE)


def section(markdown: str, heading: str) -> str:
    """The text under a heading (any level) up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\n", markdown, re.M)
    assert match, f"no heading {heading!r}"
    level = len(match.group(1))
    rest = markdown[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def copy_example(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "area"))


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")


# --- controllers, services and processors -------------------------------------------------------------------


def test_one_signature_line_per_controller_signing_for_all_its_services() -> None:
    signatures = section(example()["panels/child-protection-conference/protocol"], "Signatures")
    rows = [line for line in signatures.splitlines() if line.startswith("| ") and "---" not in line][1:]
    controllers = [row.split(" | ")[0].strip("| ") for row in rows]
    assert controllers.count("Westmarsh Borough Council") == 1
    council = next(row for row in rows if row.startswith("| Westmarsh Borough Council |"))
    for service in ("Children's Social Care", "Housing Options", "Westmarsh Youth Justice Service"):
        assert service in council
    assert "Westmarsh Probation Delivery Unit" not in controllers  # a unit is not a legal person: it is signed for
    assert "Ministry of Justice" in signatures
    assert "Clearword" not in signatures  # a processor does not sign


def test_signatories_are_the_controllers() -> None:
    job = next(j for j in resolve(load_area(EXAMPLE)) if j.id == "panels/child-protection-conference/protocol")
    names = [name for _, name in job.signatories]
    assert names.count("Westmarsh Borough Council") == 1 and "Clearword Interpreting Ltd" not in names


def test_processor_is_listed_apart_with_its_controller_and_contract() -> None:
    protocol = example()["panels/child-protection-conference/protocol"]
    processors = section(protocol, "Processors")
    assert "Clearword Interpreting Ltd" in processors and "Westmarsh Borough Council" in processors
    assert "WBC-2024-117" in processors and "Article 28" in processors
    bases = section(protocol, "Lawful bases under the UK GDPR")
    clearword = next(line for line in bases.splitlines() if line.startswith("| Clearword"))
    assert "Public task" not in clearword and "Those of Westmarsh Borough Council" in clearword


def test_processors_notice_says_who_the_controller_is_and_claims_no_basis() -> None:
    notice = example()["agencies/clearword-interpreting/privacy-notice"]
    who = section(notice, "Who is responsible for your information")
    assert "Westmarsh Borough Council" in who and "responsible for the information we handle for it" in who
    assert "We act only on its instructions" in notice
    assert "agencies/clearword-interpreting/consent-form" not in example()  # its controller asks, not it


def test_independent_controller_under_contract_says_so() -> None:
    notice = example()["agencies/quayside-leisure/privacy-notice"]
    assert "we decide for ourselves how we use your information" in notice


def test_joint_controllers_state_how_responsibilities_are_split() -> None:
    protocol = example()["panels/complex-needs/protocol"]
    assert "joint controllers" in section(protocol, "Controllers")
    split = section(protocol, "How the joint controllers share their responsibilities")
    assert "NHS Fenmoor and Westmarsh Integrated Care Board" in split
    notice = example()["panels/complex-needs/privacy-notice"]
    assert "joint controllers" in section(notice, "How the members share responsibility")


# --- the power to share is chosen per panel ----------------------------------------------------------------


def powers_row(protocol: str, agency: str) -> str:
    table = section(protocol, "Each party's power to share")
    return next(line for line in table.splitlines() if line.startswith(f"| {agency} |"))


def test_child_protection_conference_shows_enquiries_not_crime_and_disorder() -> None:
    row = powers_row(example()["panels/child-protection-conference/protocol"], "Westmarsh Borough Council Children's Social Care")
    assert "Children Act 1989, section 47: makes the enquiries" in row
    assert "section 115" not in row and "section 17" not in row and "Leaving Care" not in row
    nhs = powers_row(example()["panels/child-protection-conference/protocol"], "Westmarsh Community Health NHS Trust")
    assert "helps the council's enquiries when asked" in nhs


def test_youth_crime_panel_shows_section_115() -> None:
    row = powers_row(example()["panels/youth-crime-prevention/protocol"], "Fenmoor Constabulary")
    assert "Crime and Disorder Act 1998, section 115" in row


def test_funding_panel_shows_no_leaving_care_or_mappa_power() -> None:
    table = section(example()["panels/complex-needs/protocol"], "Each party's power to share")
    assert "Leaving Care" not in table and "MAPPA" not in table and "section 115" not in table


def test_seat_powers_choose_the_provisions(tmp_path: Path) -> None:
    area = copy_example(tmp_path)

    def choose(data: dict) -> None:
        for seat in data["panels"]:
            if seat["panel"] == "child-protection-conference":
                seat["powers"] = ["children-act-2004-s11"]

    edit_yaml(area / "agencies" / "westmarsh-childrens-social-care.yaml", choose)
    protocol = render_all(area)["panels/child-protection-conference/protocol"]
    row = powers_row(protocol, "Westmarsh Borough Council Children's Social Care")
    assert "section 11" in row and "section 47" not in row


# --- lawful bases that are true -----------------------------------------------------------------------------


def test_legal_obligations_name_their_law_and_no_notice_says_the_law_makes_us_otherwise() -> None:
    for doc_id, text in example().items():
        if "privacy-notice" in doc_id:
            for line in text.splitlines():
                if "**Legal obligation**" in line:
                    assert "The law that requires this is" in line, (doc_id, line)
            assert "the law says we must" not in text.lower(), doc_id


def test_legitimate_interests_are_printed_when_used(tmp_path: Path) -> None:
    area = copy_example(tmp_path)
    edit_yaml(area / "agencies" / "quayside-leisure.yaml", lambda d: d["uk_gdpr_bases"].append(
        {"basis": "legitimate_interests", "purpose": "for CCTV in the centre",
         "interests": "keeping customers and staff safe from crime"}))
    notice = render_all(area)["agencies/quayside-leisure/privacy-notice"]
    assert "keeping customers and staff safe from crime" in section(notice, "Legitimate interests")


def test_right_to_object_only_where_public_task_or_legitimate_interests(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "small")
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["consent", "vital_interests"])
    A.set_field(root, A.CHARITY, "special_category_conditions", [
        {"condition": "a", "when": "with agreement"}, {"condition": "c", "when": "in an emergency"}])
    docs = render_all(root)
    charity = section(docs["agencies/north-youth-trust/privacy-notice"], "Your rights")
    assert "to object" not in charity and "take back your agreement" in charity and "common computer format" in charity
    council = section(docs["agencies/north-council/privacy-notice"], "Your rights")
    assert "to object" in council and "common computer format" not in council
    assert "carry out our public tasks" in council


def test_voluntary_bodys_erasure_is_phrased_for_its_own_position() -> None:
    rights = section(example()["agencies/the-landing-drop-in/privacy-notice"], "Your rights")
    assert "public tasks" not in rights and "keeping a child safe" in rights


def test_article_9_conditions_are_per_party_and_cover_each_way_of_sharing() -> None:
    table = section(example()["panels/early-help/protocol"], "Special category and criminal offence data")
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")}
    assert "Article 9(2)(h)" in rows["Westmarsh Community Health NHS Trust"]
    assert "paragraph 2" in rows["Westmarsh Community Health NHS Trust"]
    playgroup = rows["Little Egrets Community Playgroup"]
    assert "Article 9(2)(a) (explicit consent)" in playgroup and "paragraph 18" in playgroup
    assert "Article 9(2)(h)" not in rows["Saltmeadow Primary School"]


# --- citing authority -------------------------------------------------------------------------------------


def test_no_document_cites_the_2005_draft_by_paragraph() -> None:
    for doc_id, text in example().items():
        assert not re.search(r"guidance \d+\.\d+", text, re.I), doc_id
        assert "2005" not in text, doc_id


def test_protocols_name_current_guidance_in_the_schedule() -> None:
    schedule = section(example()["panels/early-help/protocol"], "Schedule of legislation and guidance")
    assert "Working together to safeguard children 2023" in schedule
    assert "Information sharing advice" in schedule or "information sharing" in schedule.lower()


def test_regulator_comes_from_the_register(tmp_path: Path) -> None:
    area = copy_example(tmp_path)
    (area / "legislation.yaml").write_text(yaml.safe_dump({
        "information-commissioners-office": {"status": "repealed", "in_force_until": "2026-06-30"},
        "information-commission": {"status": "in_force", "verified": True, "in_force_from": "2026-07-01",
                                   "regulator": {"name": "Information Commission", "short_name": "IC",
                                                 "website": "https://ico.org.uk/", "phone": "0303 123 1113",
                                                 "complaints_url": "https://ico.org.uk/make-a-complaint/",
                                                 "address": "Wycliffe House, Water Lane, Wilmslow SK9 5AF"}},
    }), encoding="utf-8")
    docs = render_all(area)
    for doc_id in ("panels/early-help/privacy-notice", "agencies/the-landing-drop-in/privacy-notice",
                   "panels/early-help/young-people"):
        assert "Information Commission" in docs[doc_id] and "Commissioner's Office" not in docs[doc_id], doc_id


def test_complaints_go_to_the_controller_first_once_section_103_is_in_force() -> None:
    complaints = section(example()["panels/early-help/privacy-notice"], "Questions and complaints")
    assert complaints.index("tell us first") < complaints.index("Information Commissioner's Office")
    assert "must have a way for you to complain to it" in complaints  # issued 1 July 2026: s103 in force
    assert "dataprotection.complaints@westmarsh.example" in complaints


def test_before_section_103_no_duty_is_claimed(tmp_path: Path) -> None:
    area = copy_example(tmp_path)
    edit_yaml(area / "area.yaml", lambda d: d.update(issue_date="2026-04-01"))
    complaints = section(render_all(area)["panels/early-help/privacy-notice"], "Questions and complaints")
    assert "must have a way for you to complain" not in complaints and "tell us first" in complaints


# --- contradictions and padding -----------------------------------------------------------------------------


def test_a_panel_that_does_not_ask_never_says_written_agreement_is_the_norm() -> None:
    protocol = example()["panels/child-protection-conference/protocol"]
    assert "does not ask for agreement" in protocol
    assert "written" not in section(protocol, "Consent").lower() or "agreement is given in writing" not in protocol
    assert "What makes agreement valid" not in protocol


def test_a_panel_that_asks_explains_valid_agreement_and_its_review() -> None:
    consent = section(example()["panels/early-help/protocol"], "Consent")
    assert "What makes agreement valid" in consent and "does not ask for agreement" not in consent
    assert "at least every 12 months" in consent


def test_funding_panel_has_no_crime_prevention_section() -> None:
    assert "## Preventing crime" not in example()["panels/complex-needs/protocol"]
    assert "## Preventing crime" in example()["panels/youth-crime-prevention/protocol"]


def test_no_health_section_where_no_health_body_sits(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "small")
    A.delete_field(root, A.HEALTH, "panels")
    A.set_field(root, A.PANEL, "special_category_data", [])
    protocol = render_all(root)["panels/early-help/protocol"]
    assert "## Health information" not in protocol and "Caldicott" not in protocol


def test_data_flow_table_and_dpia_in_every_protocol() -> None:
    for doc_id, text in example().items():
        if doc_id.endswith("/protocol"):
            flows = section(text, "Who shares what, and how")
            assert "| Party | What it brings to the panel | Who receives it | How it is sent |" in flows
            assert "data protection impact assessment" in flows
            assert "DPIA" in section(text, "Data protection impact assessment"), doc_id


@pytest.mark.parametrize("doc_id", ["panels/early-help/privacy-notice", "agencies/saltmeadow-primary/privacy-notice"])
def test_notices_state_transfers_automated_decisions_and_whether_information_must_be_given(doc_id: str) -> None:
    notice = example()[doc_id]
    assert "outside the UK" in section(notice, "Sending information outside the UK")
    assert "by computer alone" in section(notice, "Decisions made by computer")
    assert "You do not have to give" in section(notice, "Do you have to give us information?")
