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


# --- voluntary bodies and duties of listed bodies (4.8, 4.10) ---------------------------------------------


@pytest.mark.parametrize("key", ["children-act-2004-s11", "children-act-2004-s10", "crime-and-disorder-act-1998-s115"])
@pytest.mark.parametrize("status", ["voluntary", "private"])
def test_non_statutory_body_claiming_a_listed_bodys_duty(root: Path, key: str, status: str) -> None:
    A.set_field(root, A.CHARITY, "status", status)
    A.set_field(root, A.CHARITY, "statutory_basis", [key])
    problem = A.only(inspect_area(root), A.CHARITY, "statutory_basis[0].key")
    assert f"a {status} body cannot rely on '{key}'" in problem.message
    assert "4.10" in problem.hint and "contracted_by" in problem.hint
    assert problem.line == A.line_of(root, A.CHARITY, key)


@pytest.mark.parametrize("key", ["children-act-2004-s11", "children-act-2004-s10", "crime-and-disorder-act-1998-s115"])
def test_contracted_voluntary_body_may_cite_the_duty(root: Path, key: str) -> None:
    A.set_field(root, A.CHARITY, "statutory_basis", [key])
    A.set_field(root, A.CHARITY, "contracted_by", "north-council")
    A.none_at(inspect_area(root), A.CHARITY)


def test_voluntary_body_citing_other_law_is_fine(root: Path) -> None:
    A.set_field(root, A.CHARITY, "statutory_basis", ["children-act-1989-s47"])
    A.none_at(inspect_area(root), A.CHARITY, "statutory_basis[0].key")


def add_sports_club(root: Path) -> None:
    club = A.agency("north-sports-club", "North Sports Club", "leisure", "voluntary", uk_gdpr_bases=["consent"],
                    panels=[{"panel": "early-help", "role": "member", "representative": "Welfare Officer"}])
    A.add_agency(root, club)


def test_contracted_by_a_non_statutory_body(root: Path) -> None:
    add_sports_club(root)
    A.set_field(root, A.CHARITY, "statutory_basis", ["children-act-2004-s11"])
    A.set_field(root, A.CHARITY, "contracted_by", "north-sports-club")
    loaded = inspect_area(root)
    problem = A.only(loaded, A.CHARITY, "contracted_by")
    assert "'north-sports-club' is not a statutory body" in problem.message and "4.8" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "contracted_by:")


def test_contracted_by_a_statutory_body_is_fine(root: Path) -> None:
    add_sports_club(root)
    A.set_field(root, A.CHARITY, "contracted_by", "north-council")
    A.none_at(inspect_area(root), A.CHARITY)


def test_statutory_body_contracted_by_another_is_a_warning(root: Path) -> None:
    A.set_field(root, A.HEALTH, "contracted_by", "north-council")
    problem = A.only(inspect_area(root), A.HEALTH, "contracted_by", "warning")
    assert "only a voluntary or private body" in problem.message


# --- UK GDPR lawful bases --------------------------------------------------------------------------------


@pytest.mark.parametrize("basis", ["legitimate_interests", "recognised_legitimate_interest"])
def test_public_authority_using_legitimate_interests(root: Path, basis: str) -> None:
    A.set_field(root, A.HEALTH, "uk_gdpr_bases", ["public_task", basis])
    problem = A.only(inspect_area(root), A.HEALTH, "uk_gdpr_bases[1]")
    assert f"public authority cannot use {basis}" in problem.message and problem.hint == "use public_task"
    assert problem.line == A.line_of(root, A.HEALTH, f"- {basis}")


def test_voluntary_body_may_use_legitimate_interests(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["legitimate_interests"])
    A.none_at(inspect_area(root), A.CHARITY)


@pytest.mark.parametrize("issue_date", ["2025-06-01", "2026-02-04"])
def test_recognised_legitimate_interest_before_it_started(root: Path, issue_date: str) -> None:
    A.set_field(root, A.AREA, "issue_date", issue_date)
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["recognised_legitimate_interest"])
    problem = A.only(inspect_area(root), A.CHARITY, "uk_gdpr_bases[0]")
    assert "5 February 2026" in problem.message and issue_date in problem.message


@pytest.mark.parametrize("issue_date", ["2026-02-05", "2026-04-01"])
def test_recognised_legitimate_interest_once_in_force(root: Path, issue_date: str) -> None:
    A.set_field(root, A.AREA, "issue_date", issue_date)
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["recognised_legitimate_interest"])
    A.none_at(inspect_area(root), A.CHARITY)


def test_voluntary_body_using_public_task_is_warned(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["public_task"])
    problem = A.only(inspect_area(root), A.CHARITY, "uk_gdpr_bases[0]", "warning")
    assert "public functions" in problem.message and "contracted_by" in problem.hint


def test_contracted_voluntary_body_may_use_public_task(root: Path) -> None:
    A.set_field(root, A.CHARITY, "uk_gdpr_bases", ["public_task"])
    A.set_field(root, A.CHARITY, "contracted_by", "north-council")
    A.none_at(inspect_area(root), A.CHARITY)


# --- Caldicott guardian ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", [A.HEALTH, A.COUNCIL])
def test_health_or_social_care_body_without_caldicott_guardian(root: Path, rel: str) -> None:
    A.delete_field(root, rel, "contacts.caldicott_guardian")
    problem = A.only(inspect_area(root), rel, "contacts")
    assert "Caldicott guardian" in problem.message
    assert problem.line == A.line_of(root, rel, "contacts:")


@pytest.mark.parametrize("sector", ["gp_practice", "camhs", "integrated_care_board", "adult_mental_health"])
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


# --- special category data (UK GDPR Art 9; DPA 2018 Sch 1) ----------------------------------------------


@pytest.mark.parametrize("conditions", [[], ["children-act-1989-s47"]])
def test_panel_special_category_data_without_condition(root: Path, conditions: list[str]) -> None:
    A.set_field(root, A.PANEL, "special_category_conditions", conditions)
    problem = A.only(inspect_area(root), A.PANEL, "special_category_conditions")
    assert "health" in problem.message and "Art 9" in problem.message
    assert "uk-gdpr-art-9" in problem.hint


@pytest.mark.parametrize("conditions", [["uk-gdpr-art-9"], ["data-protection-act-2018-sch-1-para-18"]])
def test_panel_special_category_data_with_condition(root: Path, conditions: list[str]) -> None:
    A.set_field(root, A.PANEL, "special_category_conditions", conditions)
    A.none_at(inspect_area(root), A.PANEL)


def test_panel_with_health_members_not_sharing_health_data_is_warned(root: Path) -> None:
    A.set_field(root, A.PANEL, "special_category_data", [])
    loaded = inspect_area(root)
    problem = A.only(loaded, A.PANEL, "special_category_data", "warning")
    assert "North Community Health NHS Trust" in problem.message
    A.none_at(loaded, A.PANEL, "special_category_conditions")  # nothing special shared, no condition needed


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


def test_citing_current_law_gives_no_warning(root: Path) -> None:
    cite_on_panel(root, "children-act-1989-s47", "crime-and-disorder-act-1998-s115")
    A.none_at(inspect_area(root), A.PANEL)


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
    key = bundled_key(extent="Wales", verified=True)
    cite_on_panel(root, key)
    problem = A.only(inspect_area(root), A.PANEL, "legislation[0]", "warning")
    assert f"'{key}' applies only in Wales, but this area is in England" == problem.message


def test_wales_only_provision_in_a_wales_area_is_fine(root: Path) -> None:
    key = bundled_key(extent="Wales", verified=True)
    cite_on_panel(root, key)
    A.set_field(root, A.AREA, "nation", "wales")
    loaded = inspect_area(root)
    A.none_at(loaded, A.PANEL, "legislation[0]")
    # and the other way round: the England-only s11 cited by a Welsh area is warned
    problem = A.only(loaded, A.HEALTH, "statutory_basis[0].key", "warning")
    assert "applies only in England, but this area is in Wales" in problem.message


@pytest.mark.parametrize("extent", ["E+W", "UK"])
def test_provisions_for_both_nations_are_fine(root: Path, extent: str) -> None:
    cite_on_panel(root, bundled_key(extent=extent, verified=True))
    A.none_at(inspect_area(root), A.PANEL)


# --- an agency on no panel ------------------------------------------------------------------------------


def test_agency_on_no_panel_is_noted(root: Path) -> None:
    A.delete_field(root, A.CHARITY, "panels")
    problem = A.only(inspect_area(root), A.CHARITY, "panels", "warning")
    assert "sits on no panel" in problem.message


def test_other_nation_warning_names_the_nearest_provision_here(tmp_path: Path) -> None:
    from protocolgen import inspect_area
    from protocolgen.rules import NATIONAL_EQUIVALENTS

    root = A.write_area(tmp_path / "area")
    A.edit(root, "area.yaml", lambda d: d.update(nation="wales"))
    warnings = [d for d in inspect_area(root).warnings if "children-act-2004-s11" in d.message]
    assert warnings and all("applies only in England" in d.message for d in warnings)
    assert all(d.hint == f"the nearest provision here is {NATIONAL_EQUIVALENTS['children-act-2004-s11']}"
               for d in warnings)
