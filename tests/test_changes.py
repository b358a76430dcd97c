"""What changed between two versions of a document, said with old and new values and the names readers know.

Each test edits the minimal area (``arealib``), resolves the protocol of its panel before and after, and
compares the input values the way a build compares a draft with its last issued version.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen.area import load_area
from protocolgen.changes import Change, describe, is_major
from protocolgen.reports import Names
from protocolgen.resolve import resolve

PROTOCOL = "panels/early-help/protocol"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


def _inputs(root: Path, doc: str = PROTOCOL) -> tuple[dict[str, Any], Names]:
    loaded = load_area(root)
    job = next(j for j in resolve(loaded) if j.id == doc)
    return job.inputs, Names(loaded)


def _changes(root: Path, edit: Callable[[], object], doc: str = PROTOCOL) -> list[Change]:
    before, _ = _inputs(root, doc)
    edit()
    after, names = _inputs(root, doc)
    return describe(before, after, names, panel="early-help" if doc.startswith("panels/") else None)


def _texts(changes: list[Change]) -> list[str]:
    return [c.text for c in changes]


def test_a_retention_period_says_old_and_new(root: Path) -> None:
    changes = _changes(root, lambda: A.set_field(root, A.PANEL, "retention.0.period", "8 years"))
    assert _texts(changes) == ["North Early Help Panel: retention of panel minutes: 6 years → 8 years"]
    assert changes[0].short == "North Early Help Panel: retention of panel minutes changed"
    assert not is_major(changes)


def test_retention_rows_are_matched_by_what_they_keep_not_by_position(root: Path) -> None:
    def edit() -> None:
        def change(data: dict[str, Any]) -> None:
            data["retention"].insert(0, {"records": "referral forms", "period": "2 years", "starts": "after the meeting"})
        A.edit(root, A.PANEL, change)

    assert _texts(_changes(root, edit)) == [
        "North Early Help Panel: retention of referral forms: added (2 years after the meeting)"]


def test_a_party_joining_is_said_once_as_such_and_is_major(root: Path) -> None:
    police = A.agency("north-police", "North Constabulary", "police", "statutory",
                      statutory_basis=["crime-and-disorder-act-1998-s115"], uk_gdpr_bases=["public_task"],
                      law_enforcement_processing=True,
                      panels=[{"panel": "early-help", "role": "member", "representative": "Inspector"}])
    changes = _changes(root, lambda: A.add_agency(root, police))
    texts = _texts(changes)
    assert "North Constabulary joined as a member" in texts
    # Its legal person (its own legal_entity) is part of joining, not a second change to read.
    assert not any("now names" in t or t.startswith("North Constabulary:") for t in texts), (
        f"the joining party is announced again: {texts}")
    assert is_major(changes)


def test_a_party_leaving(root: Path) -> None:
    changes = _changes(root, lambda: A.set_field(root, A.CHARITY, "panels", []))
    assert "North Youth Trust left the panel" in _texts(changes)
    assert is_major(changes)


def test_a_contact_reads_as_whose_email(root: Path) -> None:
    # The data protection lead belongs to the legal person (here the agency's own legal_entity).
    changes = _changes(root, lambda: A.set_field(root, A.CHARITY, "legal_entity.data_protection_lead.email",
                                                 "privacy@north-youth-trust.example"))
    assert _texts(changes) == [("North Youth Trust: data protection lead's email: "
                               "dpo@north-youth-trust.example → privacy@north-youth-trust.example")], (
        "one change, said once")
    assert not is_major(changes)


def test_a_change_to_a_shared_organisation_is_said_once_by_its_name(root: Path) -> None:
    A.write_yaml(root, "organisations/north-borough-council.yaml", {
        "id": "north-borough-council", "name": "North Borough Council",
        "data_protection_officer": A.contact("Data Protection Officer", "dpo@north.example")})

    def belong(data: dict[str, Any]) -> None:
        del data["legal_entity"]
        data["organisation"] = "north-borough-council"

    A.edit(root, A.COUNCIL, belong)
    changes = _changes(root, lambda: A.set_field(root, "organisations/north-borough-council.yaml",
                                                 "data_protection_officer.email", "privacy@north.example"))
    assert _texts(changes) == [
        "North Borough Council: data protection officer's email: dpo@north.example → privacy@north.example"]


def test_a_title_in_the_register_is_named_by_its_citation(root: Path) -> None:
    def edit() -> None:
        A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"title": "Children Act 2004 (as renamed)"}})

    assert _texts(_changes(root, edit)) == [
        "Children Act 2004, section 11: title: Children Act 2004 → Children Act 2004 (as renamed)"]


def test_what_is_major(root: Path) -> None:
    assert is_major(_changes(root, lambda: A.set_field(root, A.PANEL, "purpose", "Agrees a plan of family help.")))
    approach = _changes(root, lambda: A.set_field(root, A.PANEL, "consent.approach", "sought_at_referral"))
    assert _texts(approach) == ["North Early Help Panel: when consent is sought: sought in advance → sought at referral"]
    assert is_major(approach)
    bases = ["consent", "recognised_legitimate_interest", "vital_interests"]
    basis = _changes(root, lambda: A.set_field(root, A.CHARITY, "uk_gdpr_bases", bases))
    assert _texts(basis) == ["North Youth Trust: UK GDPR lawful bases: added basis vital interests"] and is_major(basis)
    purpose = {"basis": "vital_interests", "purpose": "to protect someone's life"}
    reworded = _changes(root, lambda: A.set_field(root, A.CHARITY, "uk_gdpr_bases.2", purpose))
    assert reworded and is_major(reworded)  # a basis is matched as a whole: what it is used for is part of it


CONDITIONS = [{"condition": "a", "when": "with agreement"},
              {"condition": "g", "schedule": "data-protection-act-2018-sch-1-para-18", "when": "to protect a child"}]


def test_an_agencys_own_article_9_conditions_are_major(root: Path) -> None:
    """Conditions for special category data are now each party's own (no longer the panel's): a change to them
    changes the legal footing the controllers sign, as a panel's conditions did."""
    changes = _changes(root, lambda: A.set_field(root, A.CHARITY, "special_category_conditions", CONDITIONS))
    assert changes and all(c.text.startswith("North Youth Trust: lawful conditions for special category data: ")
                           for c in changes)
    assert is_major(changes), "changes.py _MAJOR['agency'] lacks special_category_conditions"


def test_a_condition_names_its_schedule_1_paragraph_by_citation(root: Path) -> None:
    changes = _changes(root, lambda: A.set_field(root, A.CHARITY, "special_category_conditions", CONDITIONS))
    paragraph_18 = load_area(root).register["data-protection-act-2018-sch-1-para-18"].citation
    [said] = [c.text for c in changes if "condition g" in c.text]
    assert paragraph_18 in said and "data-protection-act-2018-sch-1-para-18" not in said, said


def test_lists_of_text_say_what_was_added_and_removed(root: Path) -> None:
    changes = _changes(root, lambda: A.set_field(root, A.PANEL, "security", ["Papers are kept in a locked cabinet."]))
    assert _texts(changes) == [
        "North Early Help Panel: security measures: added Papers are kept in a locked cabinet.",
        ("North Early Help Panel: security measures: removed “Papers are sent by secure email and deleted after the "
        "meeting.”"),
    ]
    assert not is_major(changes)


def test_the_consent_review_is_its_own_field(root: Path) -> None:
    changes = _changes(root, lambda: A.set_field(root, A.PANEL, "consent.review_months", 6))
    assert _texts(changes) == ["North Early Help Panel: how often families' agreement is checked (months): 12 → 6"]


def test_the_area_issue_date_is_not_a_change_but_the_law_as_of_it_is(root: Path) -> None:
    # Each version has its own date; what the new date changes is the date the law is stated as at.
    assert _texts(_changes(root, lambda: A.set_field(root, A.AREA, "issue_date", "2026-05-01"))) == [
        "the law is stated as at: 1 April 2026 → 1 May 2026"]
    interval = _changes(root, lambda: A.set_field(root, A.AREA, "review_interval_months", 6))
    assert _texts(interval) == ["the partnership: review interval (months): 12 → 6"]


def test_an_agency_document_says_once_which_panel_it_now_sits_on(root: Path) -> None:
    second = dict(A.panel(), id="family-group", name="North Family Group Panel")
    A.write_yaml(root, "panels/family-group.yaml", second)
    A.join_panel(root, A.COUNCIL, role="chair", panel_id="family-group")
    A.join_panel(root, A.CHARITY, panel_id="family-group")
    doc = "agencies/north-health/privacy-notice"

    changes = _changes(root, lambda: A.join_panel(root, A.HEALTH, panel_id="family-group"), doc)
    assert _texts(changes) == ["North Community Health NHS Trust: seat on North Family Group Panel: added (as a member)"]


def test_a_register_field_printed_in_one_version_only_is_not_a_change(root: Path) -> None:
    before, names = _inputs(root)
    after = {**before, "legislation:children-act-2004-s11": {**before["legislation:children-act-2004-s11"]}}
    del before["legislation:children-act-2004-s11"]["kind"]  # the old version did not print the entry's kind
    assert describe(before, after, names, panel="early-help") == []
    after["legislation:children-act-2004-s11"]["status"] = "repealed"
    changes = describe(before, after, names, panel="early-help")
    assert _texts(changes) == ["Children Act 2004, section 11: status: in force, as amended → repealed"] and is_major(changes)
