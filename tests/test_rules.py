"""The guidance rules of ``protocolgen/rules.py``, each tested both ways: the minimal area (good) passes it, and
one change (bad) makes it report, at the right file, field and severity, with the reason in its message.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen.area import inspect_area
from protocolgen.register import read_bundled
from protocolgen.rules import RULES

SPORTS = "agencies/north-sports-club.yaml"
POLICE = "agencies/north-police.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


def cite_on_panel(root: Path, *keys: str) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=list(keys)))


def add_basis(root: Path, rel: str, key: str) -> None:
    A.edit(root, rel, lambda d: d.setdefault("statutory_basis", []).append({"key": key}))


def bundled_key(**wanted: Any) -> str:
    """A bundled register key whose entry has the given field values, in force, with no dates to move it."""
    for key, entry in read_bundled().items():
        if entry.current and not entry.in_force_from and not entry.in_force_until and all(
            getattr(entry, name) == value for name, value in wanted.items()
        ):
            return key
    pytest.skip(f"the bundled register has no current entry with {wanted}")


def test_every_rule_names_its_source() -> None:
    assert len(RULES) >= 10
    for each in RULES:
        assert each.source and each.summary, each.check.__name__


# --- statutory bodies name a basis (4.2, 4.7-4.9) -----------------------------------------------------------


def test_statutory_body_with_no_basis(root: Path) -> None:
    A.delete_field(root, A.HEALTH, "statutory_basis")
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis")
    assert "statutory body must name the legal basis" in problem.message and "4.2, 4.7-4.9" in problem.message
    assert "children-act-2004-s11" in problem.hint


def test_statutory_body_with_an_empty_basis_points_at_it(root: Path) -> None:
    A.set_field(root, A.HEALTH, "statutory_basis", [])
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis")
    assert problem.line == A.line_of(root, A.HEALTH, "statutory_basis:")


def test_voluntary_body_needs_no_basis(root: Path) -> None:
    assert "statutory_basis" not in A.read(root, A.CHARITY)
    A.none_at(inspect_area(root), A.CHARITY)


# --- provisions fit the body they are laid on; listed bodies' duties (4.8, 4.10) -------------------------------


@pytest.mark.parametrize("key", ["children-act-2004-s11", "children-act-2004-s10"])
@pytest.mark.parametrize("status", ["voluntary", "private"])
def test_non_statutory_body_claiming_a_listed_bodys_duty(root: Path, key: str, status: str) -> None:
    A.set_field(root, A.CHARITY, "status", status)
    A.set_field(root, A.CHARITY, "statutory_basis", [key])
    problem = A.only(inspect_area(root), A.CHARITY, "statutory_basis[0].key")
    assert f"a {status} body cannot rely on '{key}'" in problem.message and "is laid on" in problem.message
    assert "4.8, 4.10" in problem.message and "contracted_by" in problem.hint
    assert problem.line == A.line_of(root, A.CHARITY, key)


@pytest.mark.parametrize("status", ["voluntary", "private"])
def test_non_statutory_body_does_not_claim_section_115(root: Path, status: str) -> None:
    # Section 115 lets anyone disclose to a relevant authority: a voluntary body needs no such power, and is not
    # a relevant authority itself, so it never claims the section.
    A.set_field(root, A.CHARITY, "status", status)
    A.set_field(root, A.CHARITY, "statutory_basis", ["crime-and-disorder-act-1998-s115"])
    problem = A.only(inspect_area(root), A.CHARITY, "statutory_basis[0].key")
    assert "does not rely on 'crime-and-disorder-act-1998-s115'" in problem.message
    assert "not itself a relevant authority" in problem.message


def test_statutory_body_may_use_section_115(root: Path) -> None:
    add_basis(root, A.HEALTH, "crime-and-disorder-act-1998-s115")
    A.none_at(inspect_area(root), A.HEALTH)


def test_contracted_body_may_cite_a_duty_that_reaches_contractors(root: Path) -> None:
    # Section 11(2)(b) reaches services provided under arrangements with a listed body; section 10 does not.
    A.edit(root, A.CHARITY, lambda d: d.update(statutory_basis=["children-act-2004-s11"], contracted_by="north-council",
                                              contract_role="independent_controller"))
    A.none_at(inspect_area(root), A.CHARITY)
    A.set_field(root, A.CHARITY, "statutory_basis", ["children-act-2004-s10"])
    assert "cannot rely on 'children-act-2004-s10'" in A.only(inspect_area(root), A.CHARITY,
                                                              "statutory_basis[0].key").message


def test_statutory_body_citing_a_provision_laid_on_others_is_warned_with_the_nearest(root: Path) -> None:
    # A GP practice is not one of the bodies Children Act 1989 s47 asks to help with enquiries.
    A.set_field(root, A.HEALTH, "sector", "gp_practice")
    add_basis(root, A.HEALTH, "children-act-1989-s47")
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis[1].key", "warning")
    assert "'children-act-1989-s47' is laid on" in problem.message and "documents leave it out" in problem.message


def test_voluntary_body_citing_no_law_is_fine(root: Path) -> None:
    A.none_at(inspect_area(root), A.CHARITY)


def add_sports_club(root: Path) -> None:
    club = A.agency("north-sports-club", "North Sports Club", "leisure", "voluntary",
                    uk_gdpr_bases=["consent", "recognised_legitimate_interest"],
                    panels=[{"panel": "early-help", "role": "member", "representative": "Welfare Officer"}])
    A.add_agency(root, club)


# --- processors and independent controllers under contract (UK GDPR Art 28; 4.8) ---------------------------


def make_processor(root: Path, **extra: Any) -> None:
    def change(d: dict[str, Any]) -> None:
        d.update(contracted_by="north-council", **extra)
        d.pop("uk_gdpr_bases", None)

    A.edit(root, A.CHARITY, change)


def test_processor_needs_a_written_contract(root: Path) -> None:
    make_processor(root)
    problem = A.only(inspect_area(root), A.CHARITY, "processing_contract")
    assert "written contract" in problem.message and "Art 28(3)" in problem.message
    assert "independent_controller" in problem.hint


def test_processor_with_a_contract_is_fine(root: Path) -> None:
    make_processor(root, processing_contract="Youth work contract NBC-2026-4, data processing schedule")
    A.none_at(inspect_area(root), A.CHARITY)


@pytest.mark.parametrize("field", ["uk_gdpr_bases", "statutory_basis"])
def test_processor_uses_its_controllers_bases_and_powers(root: Path, field: str) -> None:
    make_processor(root, processing_contract="Contract NBC-2026-4")
    value = ["consent"] if field == "uk_gdpr_bases" else ["children-act-2004-s11"]
    A.set_field(root, A.CHARITY, field, value)
    problem = A.only(inspect_area(root), A.CHARITY, field, "warning")
    assert "is ignored" in problem.message and "processor" in problem.message


def test_independent_controller_under_contract_needs_no_processing_contract(root: Path) -> None:
    A.edit(root, A.CHARITY, lambda d: d.update(contracted_by="north-council", contract_role="independent_controller"))
    A.none_at(inspect_area(root), A.CHARITY)


def test_contract_role_without_contracted_by(root: Path) -> None:
    A.set_field(root, A.CHARITY, "contract_role", "processor")
    assert "applies only with contracted_by" in A.only(inspect_area(root), A.CHARITY, "contract_role").message


def test_a_processor_does_not_chair_a_panel(root: Path) -> None:
    A.edit(root, A.COUNCIL, lambda d: d.update(contracted_by="north-health", processing_contract="Contract 1"))
    problem = A.only(inspect_area(root), A.PANEL, "chair")
    assert "is a processor" in problem.message


# --- legal entities and data protection officers (UK GDPR Art 37) -----------------------------------------


def test_service_without_a_legal_entity_is_its_own_controller_with_a_warning(root: Path) -> None:
    def legacy(d: dict[str, Any]) -> None:
        entity = d.pop("legal_entity")
        d["contacts"]["data_protection_officer"] = entity["data_protection_officer"]

    A.edit(root, A.HEALTH, legacy)
    loaded = inspect_area(root)
    problem = A.only(loaded, A.HEALTH, "name", "warning")
    assert "treats the service as its own controller" in problem.message and "organisations/" in problem.hint
    assert loaded.entity_of("north-health").name == "North Community Health NHS Trust"
    assert not loaded.errors


def test_services_of_one_organisation_share_its_controller(root: Path) -> None:
    A.write_yaml(root, "organisations/north-borough-council.yaml", {
        "id": "north-borough-council", "name": "North Borough Council", "kind": "local_authority",
        "ico_registration": "Z1234567",
        "data_protection_officer": A.contact("Data Protection Officer", "dpo@north.example"),
    })
    housing = A.agency("north-housing", "North Borough Council Housing", "housing", "statutory",
                       statutory_basis=["children-act-2004-s11"], uk_gdpr_bases=["public_task"],
                       panels=[{"panel": "early-help", "role": "member", "representative": "Housing Officer"}])
    housing.pop("legal_entity")
    housing["organisation"] = "north-borough-council"
    A.add_agency(root, housing)
    def belong(d: dict[str, Any]) -> None:
        d.pop("legal_entity")
        d["organisation"] = "north-borough-council"

    A.edit(root, A.COUNCIL, belong)
    loaded = inspect_area(root)
    assert not loaded.diagnostics, [d.format() for d in loaded.diagnostics]
    assert loaded.entity_id_of("north-housing") == loaded.entity_id_of("north-council") == "north-borough-council"


def test_unknown_organisation_suggests(root: Path) -> None:
    def belong(d: dict[str, Any]) -> None:
        d.pop("legal_entity")
        d["organisation"] = "north-council-body"

    A.edit(root, A.COUNCIL, belong)
    problem = A.only(inspect_area(root), A.COUNCIL, "organisation")
    assert "no organisation has the id 'north-council-body'" in problem.message


def test_public_authority_must_designate_a_data_protection_officer(root: Path) -> None:
    A.edit(root, A.HEALTH, lambda d: d["legal_entity"].update(
        data_protection_lead=d["legal_entity"].pop("data_protection_officer")) and None)
    problem = A.only(inspect_area(root), A.HEALTH, "legal_entity.data_protection_officer")
    assert "Art 37(1)(a)" in problem.message


def test_small_voluntary_body_names_a_lead_not_an_officer(root: Path) -> None:
    assert "data_protection_lead" in A.read(root, A.CHARITY)["legal_entity"]
    A.none_at(inspect_area(root), A.CHARITY)
    A.edit(root, A.CHARITY, lambda d: d["legal_entity"].pop("data_protection_lead") and None)
    problem = A.only(inspect_area(root), A.CHARITY, "legal_entity.data_protection_lead")
    assert "names no one" in problem.message and "Art 37" in problem.hint


# --- UK GDPR lawful bases --------------------------------------------------------------------------------


@pytest.mark.parametrize("basis", ["legitimate_interests", "recognised_legitimate_interest"])
def test_public_authority_using_legitimate_interests(root: Path, basis: str) -> None:
    A.set_field(root, A.HEALTH, "uk_gdpr_bases", ["public_task", {"basis": basis, "interests": "keeping children safe"}])
    problem = A.only(inspect_area(root), A.HEALTH, "uk_gdpr_bases[1]")
    assert f"public authority cannot use {basis}" in problem.message and problem.hint == "use public_task"
    assert problem.line == A.line_of(root, A.HEALTH, f"basis: {basis}")


def test_legal_obligation_must_name_its_law(root: Path) -> None:
    A.set_field(root, A.HEALTH, "uk_gdpr_bases", ["public_task", "legal_obligation"])
    problem = A.only(inspect_area(root), A.HEALTH, "uk_gdpr_bases[1].obligation")
    assert "must name the law" in problem.message and "Art 6(3)" in problem.message
    assert "obligation:" in problem.hint


def test_legal_obligation_naming_its_law_is_fine(root: Path) -> None:
    A.set_field(root, A.HEALTH, "uk_gdpr_bases", ["public_task", {"basis": "legal_obligation",
                                                                  "obligation": "education-act-1996-s434"}])
    A.none_at(inspect_area(root), A.HEALTH)


def test_legal_obligation_naming_an_unknown_key_suggests(root: Path) -> None:
    A.set_field(root, A.HEALTH, "uk_gdpr_bases", [{"basis": "legal_obligation", "obligation": "education-act-1996-434"}])
    problem = A.only(inspect_area(root), A.HEALTH, "uk_gdpr_bases[0].obligation")
    assert "not in the legislation register" in problem.message and "education-act-1996-s434" in problem.hint


def test_legitimate_interests_must_be_stated(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["consent", "legitimate_interests"])
    problem = A.only(inspect_area(root), A.CHARITY, "uk_gdpr_bases[1].interests")
    assert "Art 13(1)(d)" in problem.message


def test_voluntary_body_may_use_stated_legitimate_interests(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["consent", {"basis": "legitimate_interests",
                                                               "interests": "keeping the young people we work with safe"}])
    A.none_at(inspect_area(root), A.CHARITY)


def test_voluntary_body_relying_only_on_consent_cannot_share_against_a_refusal(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["consent"])
    problem = A.only(inspect_area(root), A.CHARITY, "uk_gdpr_bases")
    assert "relies only on consent" in problem.message and "ICO" in problem.message
    assert problem.hint == "add recognised_legitimate_interest"


def test_a_seat_needs_a_basis_that_fits_its_panel(root: Path) -> None:
    """A contract with the family is no basis at a panel; consent none at a panel that does not ask for it."""
    A.set_field(root, A.CHARITY, "status", "private")
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["contract"])
    problem = A.only(inspect_area(root), A.CHARITY, "panels[0].panel")
    assert "no lawful basis for sharing at the panel 'early-help'" in problem.message
    assert "contract" in problem.message and "recognised_legitimate_interest" in problem.hint
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["contract", "recognised_legitimate_interest"])
    A.none_at(inspect_area(root), A.CHARITY, "panels[0].panel")


def test_consent_is_a_basis_only_where_the_panel_asks(root: Path) -> None:
    A.set_field(root, A.HEALTH, "uk_gdpr_bases", ["consent"])  # a public body (the voluntary case has its own rule)
    A.none_at(inspect_area(root), A.HEALTH, "panels[0].panel")  # the panel asks for agreement
    A.set_field(root, A.PANEL, "consent.approach", "not_sought")
    problem = A.only(inspect_area(root), A.HEALTH, "panels[0].panel")
    assert "consent cannot make a disclosure to it lawful" in problem.message
    assert "public_task" in problem.hint


@pytest.mark.parametrize("issue_date", ["2025-06-01", "2026-02-04"])
def test_recognised_legitimate_interest_before_it_started(root: Path, issue_date: str) -> None:
    A.set_field(root, A.AREA, "issue_date", issue_date)
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["recognised_legitimate_interest"])
    problem = A.only(inspect_area(root), A.CHARITY, "uk_gdpr_bases[0]")
    assert "5 February 2026" in problem.message and issue_date in problem.message


@pytest.mark.parametrize("issue_date", ["2026-02-05", "2026-04-01"])
def test_recognised_legitimate_interest_once_in_force(root: Path, issue_date: str) -> None:
    A.set_field(root, A.AREA, "issue_date", issue_date)
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["consent", "recognised_legitimate_interest"])
    A.none_at(inspect_area(root), A.CHARITY)


def test_voluntary_body_using_public_task_is_warned(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["public_task"])
    problem = A.only(inspect_area(root), A.CHARITY, "uk_gdpr_bases[0]", "warning")
    assert "task laid down by law" in problem.message and "processor" in problem.hint


# --- Caldicott guardian ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", [A.HEALTH, A.COUNCIL])
def test_health_or_social_care_body_without_caldicott_guardian(root: Path, rel: str) -> None:
    A.delete_field(root, rel, "contacts.caldicott_guardian")
    problem = A.only(inspect_area(root), rel, "contacts")
    assert "Caldicott guardian" in problem.message
    assert problem.line == A.line_of(root, rel, "contacts:")


@pytest.mark.parametrize("sector", ["camhs", "integrated_care_board", "adult_mental_health", "nhs_acute_trust"])
def test_every_health_sector_needs_a_caldicott_guardian(root: Path, sector: str) -> None:
    A.set_field(root, A.HEALTH, "sector", sector)
    A.none_at(inspect_area(root), A.HEALTH)
    A.delete_field(root, A.HEALTH, "contacts.caldicott_guardian")
    assert "Caldicott" in A.only(inspect_area(root), A.HEALTH, "contacts").message


def test_other_sectors_need_no_caldicott_guardian(root: Path) -> None:
    assert "caldicott_guardian" not in A.read(root, A.CHARITY)["contacts"]
    A.none_at(inspect_area(root), A.CHARITY)


# --- police and Part 3 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("law_enforcement", [False, True])
def test_police_law_enforcement_processing(root: Path, law_enforcement: bool) -> None:
    police = A.agency("north-police", "North Police", "police", "statutory",
                      statutory_basis=["crime-and-disorder-act-1998-s115"], uk_gdpr_bases=["public_task"],
                      law_enforcement_processing=law_enforcement,
                      panels=[{"panel": "early-help", "role": "member", "representative": "Sergeant"}])
    A.add_agency(root, police)
    loaded = inspect_area(root)
    if law_enforcement:
        A.none_at(loaded, POLICE)
    else:
        problem = A.only(loaded, POLICE, "law_enforcement_processing", "warning")
        assert "Part 3" in problem.message and problem.hint == "set law_enforcement_processing: true"


# --- panels: members and chair (Case Example 19; 11.3) ----------------------------------------------------


def test_panel_with_one_member(root: Path) -> None:
    A.delete_field(root, A.HEALTH, "panels")
    A.delete_field(root, A.CHARITY, "panels")
    problem = A.only(inspect_area(root), A.PANEL, "id")
    assert "at least two member agencies; 1 list it" in problem.message
    assert "- panel: early-help" in problem.hint


def test_panel_with_no_members(root: Path) -> None:
    for rel in (A.COUNCIL, A.HEALTH, A.CHARITY):
        A.delete_field(root, rel, "panels")
    assert "0 list it" in A.only(inspect_area(root), A.PANEL, "id").message


def test_panel_with_two_members_is_fine(root: Path) -> None:
    A.delete_field(root, A.CHARITY, "panels")
    A.none_at(inspect_area(root), A.PANEL, "id")


def test_chair_agency_not_a_member(root: Path) -> None:
    A.delete_field(root, A.COUNCIL, "panels")
    problem = A.only(inspect_area(root), A.PANEL, "chair")
    assert "the chair agency 'north-council' does not list this panel" in problem.message
    assert "agencies/north-council.yaml" in problem.hint
    assert problem.line == A.line_of(root, A.PANEL, "chair:")


def test_chair_agency_sits_without_role_chair(root: Path) -> None:
    A.set_field(root, A.COUNCIL, "panels.0.role", "member")
    problem = A.only(inspect_area(root), A.PANEL, "chair")
    assert problem.message == "'north-council' sits on the panel but not with role: chair"


def test_second_agency_claims_the_chair(root: Path) -> None:
    A.set_field(root, A.HEALTH, "panels.0.role", "chair")
    loaded = inspect_area(root)
    problem = A.only(loaded, A.HEALTH, "panels[0].role")
    assert "claims the chair of 'early-help', but the panel names 'north-council'" in problem.message
    assert problem.line == A.line_of(root, A.HEALTH, "role: chair")
    A.none_at(loaded, A.PANEL)
    A.none_at(loaded, A.COUNCIL)


def test_chair_seat_found_among_several_panels(root: Path) -> None:
    # The health trust sits on two panels; its claim on the second is reported at panels[1].
    second = {**A.panel(), "id": "second-panel", "name": "Second Panel"}
    A.write_yaml(root, "panels/second-panel.yaml", second)
    A.join_panel(root, A.COUNCIL, "chair", "second-panel")
    A.join_panel(root, A.HEALTH, "chair", "second-panel")
    problem = A.only(inspect_area(root), A.HEALTH, "panels[1].role")
    assert "claims the chair of 'second-panel'" in problem.message


# --- retention (UK GDPR Art 5(1)(e)) ----------------------------------------------------------------------


@pytest.mark.parametrize("period", ["indefinitely", "0 years", "forever", "six years", "6", "-1 years", "6 years+"])
@pytest.mark.parametrize("rel", [A.CHARITY, A.PANEL])
def test_retention_that_is_not_finite(root: Path, rel: str, period: str) -> None:
    A.set_field(root, rel, "retention.0.period", period)
    problem = A.only(inspect_area(root), rel, "retention[0].period")
    assert f"'{period}' is not a finite period" in problem.message and "6 years" in problem.hint
    assert problem.line == A.line_of(root, rel, "period:")


@pytest.mark.parametrize("period", ["6 years", "1 year", "18 months", "30 days", "2 weeks", "25 Years"])
def test_retention_that_is_finite(root: Path, period: str) -> None:
    A.set_field(root, A.CHARITY, "retention.0.period", period)
    A.none_at(inspect_area(root), A.CHARITY)


# --- special category data (UK GDPR Art 9; DPA 2018 Sch 1), per party ---------------------------------------


def test_panel_level_conditions_are_no_longer_used(root: Path) -> None:
    A.set_field(root, A.PANEL, "special_category_conditions", ["uk-gdpr-art-9"])
    problem = A.only(inspect_area(root), A.PANEL, "special_category_conditions", "warning")
    assert "no longer used" in problem.message


def test_explicit_consent_alone_does_not_cover_sharing_without_agreement(root: Path) -> None:
    A.set_field(root, A.CHARITY, "special_category_conditions", [{"condition": "a", "when": "with agreement"}])
    problem = A.only(inspect_area(root), A.CHARITY, "special_category_conditions")
    assert "without agreement" in problem.message and "data-protection-act-2018-sch-1-para-18" in problem.hint


def test_safeguarding_condition_alone_does_not_cover_sharing_with_agreement(root: Path) -> None:
    A.set_field(root, A.CHARITY, "special_category_conditions", [
        {"condition": "g", "schedule": "data-protection-act-2018-sch-1-para-18", "when": "to protect a child"}])
    problem = A.only(inspect_area(root), A.CHARITY, "special_category_conditions")
    assert "with agreement" in problem.message and "explicit consent" in problem.hint


def test_both_ways_covered_is_fine(root: Path) -> None:
    A.set_field(root, A.CHARITY, "special_category_conditions", [
        {"condition": "a", "when": "with agreement"},
        {"condition": "g", "schedule": "data-protection-act-2018-sch-1-para-18", "when": "to protect a child"}])
    A.none_at(inspect_area(root), A.CHARITY)


@pytest.mark.parametrize(("condition", "schedule", "says"), [
    ("g", None, "needs a condition in Schedule 1"),
    ("h", "data-protection-act-2018-sch-1-para-18", "is not a Schedule 1 condition for Article 9(2)(h)"),
])
def test_condition_needs_the_right_schedule_paragraph(root: Path, condition: str, schedule: str | None,
                                                       says: str) -> None:
    use = {"condition": condition, "when": "always"} | ({"schedule": schedule} if schedule else {})
    A.set_field(root, A.HEALTH, "special_category_conditions", [use])
    problem = A.only(inspect_area(root), A.HEALTH, "special_category_conditions[0].schedule")
    assert says in problem.message


def test_default_conditions_follow_the_kind_of_body(root: Path) -> None:
    from protocolgen import law

    loaded = inspect_area(root)
    health = law.default_conditions(loaded.agencies["north-health"], ["public_task"])
    assert ("h", law.PARA_2) in [(c.condition, c.schedule) for c in health]
    charity = law.default_conditions(loaded.agencies["north-youth-trust"], ["consent", "recognised_legitimate_interest"])
    assert [(c.condition, c.schedule) for c in charity] == [("a", None), ("g", law.PARA_18)]


def test_panel_with_health_members_not_sharing_health_data_is_warned(root: Path) -> None:
    A.set_field(root, A.PANEL, "special_category_data", [])
    loaded = inspect_area(root)
    problem = A.only(loaded, A.PANEL, "special_category_data", "warning")
    assert "North Community Health NHS Trust" in problem.message


def test_panel_without_health_members_need_not_share_health_data(root: Path) -> None:
    A.delete_field(root, A.HEALTH, "panels")
    A.set_field(root, A.PANEL, "special_category_data", [])
    A.none_at(inspect_area(root), A.PANEL)


# --- consent and joint funding panels (11.3; Case Example 19) ----------------------------------------------


def test_early_help_panel_not_seeking_consent_is_warned(root: Path) -> None:
    A.set_field(root, A.PANEL, "consent.approach", "not_sought")
    problem = A.only(inspect_area(root), A.PANEL, "consent.approach", "warning")
    assert "11.3" in problem.message


def test_strategy_discussion_may_go_ahead_without_consent(root: Path) -> None:
    A.set_field(root, A.PANEL, "kind", "strategy_discussion")
    A.set_field(root, A.PANEL, "consent.approach", "not_sought")
    A.none_at(inspect_area(root), A.PANEL)


@pytest.mark.parametrize(
    ("extra", "field"),
    [({}, "funding"), ({"funding": "Agreed by the three funders."}, "key_worker_reports")],
)
def test_joint_funding_panel_without_funding_or_reports(root: Path, extra: dict[str, str], field: str) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(kind="complex_needs_funding", **extra))
    problem = A.only(inspect_area(root), A.PANEL, field, "warning")
    assert "Case Example 19" in problem.message


def test_joint_funding_panel_with_funding_and_reports(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(kind="complex_needs_funding", funding="Agreed by the funders.",
                                             key_worker_reports="The key worker reports each quarter."))
    A.none_at(inspect_area(root), A.PANEL)


# --- cited provisions: repealed, not yet in force, unchecked, other nation ---------------------------------


def test_citing_data_protection_act_1998_is_a_warning_naming_its_replacements(root: Path) -> None:
    cite_on_panel(root, "data-protection-act-1998")
    loaded = inspect_area(root)
    assert not loaded.errors
    problem = A.only(loaded, A.PANEL, "legislation[0]", "warning")
    assert "'data-protection-act-1998'" in problem.message and "is repealed" in problem.message
    assert problem.hint.startswith("cite instead: ")
    replacements = loaded.register["data-protection-act-1998"].replaced_by
    assert replacements, "the register should say what replaced the 1998 Act"
    for key in replacements:
        assert key in problem.hint


def test_agency_citing_data_protection_act_1998_is_warned_at_its_line(root: Path) -> None:
    add_basis(root, A.HEALTH, "data-protection-act-1998")
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis[1].key", "warning")
    assert "is repealed" in problem.message
    assert problem.line == A.line_of(root, A.HEALTH, "data-protection-act-1998")


def test_citing_local_government_act_2000_s2_is_a_warning(root: Path) -> None:
    cite_on_panel(root, "local-government-act-2000-s2")
    problem = A.only(inspect_area(root), A.PANEL, "legislation[0]", "warning")
    assert "is repealed" in problem.message and "localism-act-2011-s1" in problem.hint


def test_citing_children_act_2004_s16la_is_a_warning_not_yet_in_force(root: Path) -> None:
    add_basis(root, A.HEALTH, "children-act-2004-s16la")
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis[1].key", "warning")
    assert "not yet in force on 2026-04-01" in problem.message


def test_citing_current_law_that_fits_the_panel_gives_no_warning(root: Path) -> None:
    cite_on_panel(root, "children-act-1989-s17", "children-act-2004-s10")
    A.none_at(inspect_area(root), A.PANEL)


def test_law_a_panel_names_must_serve_its_purposes(root: Path) -> None:
    cite_on_panel(root, "criminal-justice-act-2003-s325")
    problem = A.only(inspect_area(root), A.PANEL, "legislation[0]", "warning")
    assert "not for this panel's work" in problem.message and "managing the risk posed by offenders" in problem.message


def test_power_chosen_for_a_seat_must_serve_the_panel(root: Path) -> None:
    A.set_field(root, A.COUNCIL, "panels.0.powers", ["children-act-1989-s47"])
    problem = A.only(inspect_area(root), A.COUNCIL, "panels[0].powers[0]", "warning")
    assert "which is not what North Early Help Panel does" in problem.message
    assert "a provision that fits:" in problem.hint


def test_panel_of_kind_other_must_say_its_purposes(root: Path) -> None:
    A.set_field(root, A.PANEL, "kind", "other")
    problem = A.only(inspect_area(root), A.PANEL, "purposes", "warning")
    assert "what the panel's sharing is for" in problem.message
    A.set_field(root, A.PANEL, "purposes", ["children_in_need", "safeguarding_welfare"])
    A.none_at(inspect_area(root), A.PANEL)


def test_dormant_provision_is_warned_and_left_out(root: Path) -> None:
    add_basis(root, A.COUNCIL, "children-act-2004-s12")
    problem = A.only(inspect_area(root), A.COUNCIL, "statutory_basis[2].key", "warning")
    assert "has no effect" in problem.message and "documents leave it out" in problem.message


def test_provision_that_starts_after_the_issue_date_is_not_yet_in_force(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-1989-s47": {"in_force_from": "2027-01-01"}})
    problem = A.only(inspect_area(root), A.COUNCIL, "statutory_basis[1].key", "warning")
    assert "not yet in force on 2026-04-01" in problem.message
    A.set_field(root, A.AREA, "issue_date", "2027-01-01")
    A.none_at(inspect_area(root), A.COUNCIL)


def test_repealed_provision_is_current_before_its_end_date(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"data-protection-act-1998": {"in_force_until": "2018-05-24"}})
    cite_on_panel(root, "data-protection-act-1998")
    A.set_field(root, A.AREA, "issue_date", "2018-01-01")
    A.none_at(inspect_area(root), A.PANEL, "legislation[0]")
    A.set_field(root, A.AREA, "issue_date", "2018-06-01")
    assert "is repealed" in A.only(inspect_area(root), A.PANEL, "legislation[0]", "warning").message


def test_citing_an_unverified_entry_is_a_warning(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-1989-s47": {"verified": False}})
    problem = A.only(inspect_area(root), A.COUNCIL, "statutory_basis[1].key", "warning")
    assert "not yet checked" in problem.message and "verified: true" in problem.hint


def test_citing_a_bundled_unverified_entry_is_a_warning(root: Path) -> None:
    key = bundled_key(verified=False, extent="England")
    cite_on_panel(root, key)
    problem = A.only(inspect_area(root), A.PANEL, "legislation[0]", "warning")
    assert f"'{key}' is not yet checked" in problem.message


def test_wales_only_provision_in_an_england_area_is_a_warning(root: Path) -> None:
    key = bundled_key(extent="Wales", verified=True, purposes=[])
    cite_on_panel(root, key)
    problem = A.only(inspect_area(root), A.PANEL, "legislation[0]", "warning")
    assert f"'{key}' applies only in Wales, but this area is in England" == problem.message


def test_wales_only_provision_in_a_wales_area_is_fine(root: Path) -> None:
    key = bundled_key(extent="Wales", verified=True, purposes=[])
    cite_on_panel(root, key)
    A.set_field(root, A.AREA, "nation", "wales")
    loaded = inspect_area(root)
    A.none_at(loaded, A.PANEL, "legislation[0]")
    # and the other way round: the England-only s11 cited by a Welsh area is warned
    problem = A.only(loaded, A.HEALTH, "statutory_basis[0].key", "warning")
    assert "applies only in England, but this area is in Wales" in problem.message


@pytest.mark.parametrize("extent", ["E+W", "UK"])
def test_provisions_for_both_nations_are_fine(root: Path, extent: str) -> None:
    cite_on_panel(root, bundled_key(extent=extent, verified=True, purposes=[]))
    A.none_at(inspect_area(root), A.PANEL)


# --- an agency on no panel ------------------------------------------------------------------------------


def test_agency_on_no_panel_is_noted(root: Path) -> None:
    A.delete_field(root, A.CHARITY, "panels")
    problem = A.only(inspect_area(root), A.CHARITY, "panels", "warning")
    assert "sits on no panel" in problem.message


def test_other_nation_warning_names_the_nearest_provision_for_that_body(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    A.edit(root, "area.yaml", lambda d: d.update(nation="wales"))
    health = A.only(inspect_area(root), A.HEALTH, "statutory_basis[0].key", "warning")
    assert "applies only in England" in health.message
    assert health.hint == "the nearest provision here is children-act-2004-s28 (Children Act 2004, section 28)"


def test_in_wales_a_school_citing_section_11_is_pointed_to_section_175(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    A.edit(root, "area.yaml", lambda d: d.update(nation="wales"))
    A.set_field(root, A.HEALTH, "sector", "maintained_school")
    A.edit(root, A.HEALTH, lambda d: d["contacts"].pop("caldicott_guardian") and None)
    problem = [d for d in inspect_area(root).warnings if d.file == A.HEALTH and "applies only in England" in d.message]
    assert len(problem) == 1 and "education-act-2002-s175" in problem[0].hint and "s28" not in problem[0].hint


def test_in_wales_a_private_childrens_home_cannot_claim_section_28(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    A.edit(root, "area.yaml", lambda d: d.update(nation="wales"))
    home = A.agency("north-homes", "North Children's Homes Ltd", "childrens_home", "private",
                    statutory_basis=["children-act-2004-s28"],
                    uk_gdpr_bases=["contract", "recognised_legitimate_interest"])
    A.add_agency(root, home)
    problem = A.only(inspect_area(root), "agencies/north-homes.yaml", "statutory_basis[0].key")
    assert "a private body cannot rely on 'children-act-2004-s28'" in problem.message


# --- joint controllers, DPIA, transfers ---------------------------------------------------------------------


def test_joint_controllers_need_an_arrangement(root: Path) -> None:
    A.set_field(root, A.PANEL, "controllers", "joint")
    problem = A.only(inspect_area(root), A.PANEL, "joint_arrangement")
    assert "Art 26" in problem.message
    A.set_field(root, A.PANEL, "joint_arrangement", {
        "summary": "The members decide together how the panel's minutes are used.",
        "contact_point": "north-council",
        "responsibilities": [{"party": "north-council", "does": "keeps the minutes and answers requests"},
                             {"party": "north-police", "does": "nothing"}],
    })
    problem = A.only(inspect_area(root), A.PANEL, "joint_arrangement.responsibilities[1].party")
    assert "no agency has the id 'north-police'" in problem.message


def test_panel_without_a_dpia_is_warned(root: Path) -> None:
    A.delete_field(root, A.PANEL, "dpia")
    problem = A.only(inspect_area(root), A.PANEL, "dpia", "warning")
    assert "Art 35" in problem.message


def test_service_silent_on_transfers_is_warned(root: Path) -> None:
    A.delete_field(root, A.CHARITY, "transfers_outside_uk")
    problem = A.only(inspect_area(root), A.CHARITY, "transfers_outside_uk", "warning")
    assert "will say that it does not" in problem.message
