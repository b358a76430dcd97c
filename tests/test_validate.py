"""Loading and validating an area: every problem is a Diagnostic with its file, line, field and a useful message.

Each requirement has a good case (the minimal area of ``arealib``, which is clean) and a bad case that changes
one thing and checks exactly where and how the problem is reported.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen.area import LoadedArea, inspect_area, load_area
from protocolgen.errors import Diagnostic, ProtocolgenError, ValidationFailed
from protocolgen.load import format_loc, load_yaml
from protocolgen.register import read_bundled
from protocolgen.validate import suggest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


def errors_in(loaded: LoadedArea, file: str) -> list[Diagnostic]:
    return [d for d in loaded.errors if d.file == file]


# --- the good case --------------------------------------------------------------------------------------


def test_minimal_area_is_clean(root: Path) -> None:
    loaded = inspect_area(root)
    assert [d.format() for d in loaded.diagnostics] == []
    assert sorted(loaded.agencies) == ["north-council", "north-health", "north-youth-trust"]
    assert sorted(loaded.panels) == ["early-help"]
    assert [a.id for a, _ in loaded.members("early-help")][0] == "north-council"  # the chair comes first
    assert load_area(root, strict=True).area is not None


def test_load_area_raises_with_every_diagnostic(root: Path) -> None:
    A.set_field(root, A.CHARITY, "status", "volunteer")
    A.rename_field(root, A.HEALTH, "security", "secuirty")
    with pytest.raises(ValidationFailed) as caught:
        load_area(root)
    assert {(d.file, d.field) for d in caught.value.diagnostics} >= {(A.CHARITY, "status"), (A.HEALTH, "secuirty")}
    assert "error(s) in the area" in str(caught.value)


def test_strict_load_refuses_warnings_only(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["data-protection-act-1998"]))
    loaded = load_area(root)  # a warning alone does not stop a build...
    assert loaded.warnings and not loaded.errors
    with pytest.raises(ValidationFailed):  # ...unless strict
        load_area(root, strict=True)


# --- YAML syntax and file-level problems ---------------------------------------------------------------


def test_yaml_syntax_error_has_file_and_line(root: Path) -> None:
    text = A.dump(A.charity()).replace("name: North Youth Trust", "name: [North Youth Trust")
    A.write_text(root, A.CHARITY, text)
    loaded = inspect_area(root)
    problem = A.only(loaded, A.CHARITY, "")
    assert "is not valid YAML" in problem.message
    # the parser notices the unclosed '[' on the line after it opens (or on it); never a guess elsewhere
    opened = A.line_of(root, A.CHARITY, "name: [")
    assert problem.line in (opened, opened + 1)
    assert loaded.agencies.keys() == {"north-council", "north-health"}  # the rest of the area still loads


def test_yaml_bad_indentation_points_at_its_line(root: Path) -> None:
    text = A.dump(A.charity()).replace("status: voluntary", "  status: voluntary")
    A.write_text(root, A.CHARITY, text)
    problem = A.only(inspect_area(root), A.CHARITY, "")
    assert "is not valid YAML" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "  status: voluntary")


def test_empty_file(root: Path) -> None:
    A.write_text(root, A.CHARITY, "")
    problem = A.only(inspect_area(root), A.CHARITY, "")
    assert "is empty" in problem.message


def test_file_of_only_comments_is_not_a_mapping(root: Path) -> None:
    A.write_text(root, A.CHARITY, "# to do: fill this in\n")
    problem = A.only(inspect_area(root), A.CHARITY, "")
    assert "must be a mapping" in problem.message and "empty" in problem.message


def test_file_that_is_a_list(root: Path) -> None:
    A.write_text(root, A.PANEL, A.dump([A.panel()]))
    problem = A.only(inspect_area(root), A.PANEL, "")
    assert problem.message == "must be a mapping of field: value pairs, but it is a list"
    assert problem.line == 1


def test_file_that_is_a_scalar(root: Path) -> None:
    A.write_text(root, A.AREA, "North Safeguarding Children Partnership\n")
    problem = A.only(inspect_area(root), A.AREA, "")
    assert "must be a mapping" in problem.message and "str" in problem.message


def test_not_utf8(root: Path) -> None:
    # A profile saved by an editor as Windows-1252: 'Café' is byte 0xE9 on the name line.
    fixture = FIXTURES / "agency-windows-1252.yaml"
    shutil.copy(fixture, root / A.CHARITY)
    problem = A.only(inspect_area(root), A.CHARITY, "")
    assert "is not UTF-8" in problem.message and "0xe9" in problem.message
    assert problem.line == 2  # the name line
    assert "UTF-8" in problem.hint


def test_utf8_with_byte_order_mark_is_fine(root: Path) -> None:
    A.write_text(root, A.CHARITY, "\ufeff".encode() + A.dump(A.charity()).encode())
    assert inspect_area(root).diagnostics == []


def test_top_level_keys_must_be_text(root: Path) -> None:
    A.write_text(root, A.CHARITY, A.dump(A.charity()) + "2026: a year\n")
    problem = A.only(inspect_area(root), A.CHARITY, "")
    assert "field names must be text" in problem.message and "2026" in problem.message


def test_duplicate_key_in_one_mapping(root: Path) -> None:
    A.write_text(root, A.CHARITY, A.dump(A.charity()) + "name: North Youth Trust Again\n")
    problem = A.only(inspect_area(root), A.CHARITY, "name")
    assert "appears twice" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "name: North Youth Trust Again")


def test_duplicate_key_in_a_nested_mapping(root: Path) -> None:
    text = A.dump(A.charity()).replace(
        "    email: safeguarding@north-youth-trust.example\n",
        "    email: safeguarding@north-youth-trust.example\n    email: other@north-youth-trust.example\n",
    )
    A.write_text(root, A.CHARITY, text)
    problem = A.only(inspect_area(root), A.CHARITY, "contacts.safeguarding_lead.email")
    assert "appears twice" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "email: other@")


def test_control_character_escaped_in_a_text_field(root: Path) -> None:
    A.set_field(root, A.CHARITY, "name", "North Youth\x07 Trust")  # safe_dump writes it as "\a"
    problem = A.only(inspect_area(root), A.CHARITY, "name")
    assert "U+0007" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "name:")


def test_control_character_in_a_list_item(root: Path) -> None:
    A.set_field(root, A.CHARITY, "security", ["Locked \x0b cabinets"])
    problem = A.only(inspect_area(root), A.CHARITY, "security[0]")
    assert "U+000B" in problem.message


def test_raw_control_character_pasted_into_a_file(root: Path) -> None:
    # A BEL pasted straight into the file, as copying out of another program does: YAML itself refuses
    # the character, and the report must still say which file, line and field, and not crash.
    text = A.dump(A.charity()).replace("works with children", "works with\x07 children")
    A.write_text(root, A.CHARITY, text)
    loaded = inspect_area(root)
    problem = A.only(loaded, A.CHARITY, "description")
    assert "U+0007" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "description:")


def test_raw_control_characters_each_reported(root: Path) -> None:
    text = A.dump(A.charity()).replace("North Youth Trust", "North\x01Youth\x7fTrust")
    A.write_text(root, A.CHARITY, text)
    loaded = inspect_area(root)
    messages = sorted(d.message for d in errors_in(loaded, A.CHARITY))
    assert any("U+0001" in m for m in messages) and any("U+007F" in m for m in messages)


def test_recursive_alias_is_an_error_not_a_crash(root: Path) -> None:
    A.write_text(root, A.CHARITY, A.dump(A.charity()).replace("security:\n", "security: &loop\n- *loop\n", 1))
    loaded = inspect_area(root)  # must not raise RecursionError
    assert errors_in(loaded, A.CHARITY), [d.format() for d in loaded.diagnostics]
    assert all(d.line is not None for d in errors_in(loaded, A.CHARITY))


def test_alias_reused_many_times_is_validated_quickly(root: Path) -> None:
    # Each level refers ten times to the one before: 10**4 paths if every alias were walked out in full.
    levels = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 5)]
    A.write_text(root, A.CHARITY, A.dump(A.charity()) + "\n".join(levels) + "\n")
    started = time.perf_counter()
    loaded = inspect_area(root)
    assert time.perf_counter() - started < 10  # a walk of every path takes minutes
    assert {d.field for d in errors_in(loaded, A.CHARITY)} >= {"a0", "a4"}  # unknown fields, reported


def test_aliases_that_expand_past_the_limit_are_refused(root: Path) -> None:
    # 10**7 values once written out: past load.MAX_VALUES, so the file is refused before it is built.
    levels = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    A.write_text(root, A.CHARITY, A.dump(A.charity()) + "\n".join(levels) + "\n")
    problem = A.only(inspect_area(root), A.CHARITY, "")
    assert "more than 200,000 values once its aliases (*name) are written out" in problem.message


def test_anchors_and_aliases_are_allowed(root: Path) -> None:
    text = A.dump(A.charity()).replace(
        "  data_protection_lead:\n", "  data_protection_lead: &dpo\n"
    ).replace(
        "  contact:\n    role: Data Protection Officer\n    email: dpo@north-youth-trust.example\n",
        "  contact: *dpo\n",
    )
    assert "*dpo" in text
    A.write_text(root, A.CHARITY, text)
    assert inspect_area(root).diagnostics == []


# --- fields: unknown, wrong type or value, missing ----------------------------------------------------


def test_unknown_field_typo_suggests_the_field(root: Path) -> None:
    A.rename_field(root, A.CHARITY, "security", "secuirty")
    loaded = inspect_area(root)
    problem = A.only(loaded, A.CHARITY, "secuirty")
    assert problem.message == "is not a field protocolgen knows"
    assert problem.hint == "did you mean 'security'?"
    assert problem.line == A.line_of(root, A.CHARITY, "secuirty:")
    # the real name is not reported a second time as missing: one typo, one diagnostic
    assert [d.format() for d in loaded.diagnostics if d.field == "security"] == []


def test_unknown_nested_field_suggests_within_its_mapping(root: Path) -> None:
    A.edit(root, A.HEALTH, lambda d: d["contacts"]["caldicott_guardian"].update(emial="x@north-health.example"))
    problem = A.only(inspect_area(root), A.HEALTH, "contacts.caldicott_guardian.emial")
    assert problem.hint == "did you mean 'email'?"
    assert problem.line == A.line_of(root, A.HEALTH, "emial:")


def test_unknown_field_in_a_list_item_suggests(root: Path) -> None:
    A.edit(root, A.HEALTH, lambda d: d["panels"][0].update(represenative="Nurse"))
    problem = A.only(inspect_area(root), A.HEALTH, "panels[0].represenative")
    assert problem.hint == "did you mean 'representative'?"


def test_unknown_field_far_from_any_lists_the_allowed_ones(root: Path) -> None:
    A.edit(root, A.AREA, lambda d: d.update(colour="blue"))
    problem = A.only(inspect_area(root), A.AREA, "colour")
    assert problem.hint.startswith("allowed here: ") and "issue_date" in problem.hint


def test_wrong_value_suggests_the_right_one(root: Path) -> None:
    A.set_field(root, A.HEALTH, "panels.0.role", "chiar")
    problem = A.only(inspect_area(root), A.HEALTH, "panels[0].role")
    assert problem.message == "'chiar' is not one of: chair, member, adviser"
    assert problem.hint == "did you mean 'chair'?"
    assert problem.line == A.line_of(root, A.HEALTH, "role: chiar")


def test_status_volunteer(root: Path) -> None:
    A.set_field(root, A.CHARITY, "status", "volunteer")
    problem = A.only(inspect_area(root), A.CHARITY, "status")
    assert problem.message == "'volunteer' is not one of: statutory, voluntary, private"
    assert problem.hint == "did you mean 'voluntary'?"
    assert problem.line == A.line_of(root, A.CHARITY, "status:")


def test_nation_value(root: Path) -> None:
    A.set_field(root, A.AREA, "nation", "England")
    problem = A.only(inspect_area(root), A.AREA, "nation")
    assert "england" in problem.message and problem.hint == "did you mean 'england'?"


def test_text_where_a_list_is_needed(root: Path) -> None:
    A.set_field(root, A.CHARITY, "security", "Locked cabinets")
    problem = A.only(inspect_area(root), A.CHARITY, "security")
    assert "valid list" in problem.message and "'Locked cabinets'" in problem.message
    assert problem.line == A.line_of(root, A.CHARITY, "security:")


def test_text_where_a_number_is_needed(root: Path) -> None:
    A.set_field(root, A.AREA, "review_interval_months", "twelve")
    problem = A.only(inspect_area(root), A.AREA, "review_interval_months")
    assert "integer" in problem.message and "'twelve'" in problem.message


def test_number_out_of_range(root: Path) -> None:
    A.set_field(root, A.AREA, "review_interval_months", 48)
    problem = A.only(inspect_area(root), A.AREA, "review_interval_months")
    assert "36" in problem.message


def test_impossible_date(root: Path) -> None:
    A.set_field(root, A.AREA, "issue_date", "2026-02-30")
    problem = A.only(inspect_area(root), A.AREA, "issue_date")
    assert "date" in problem.message and problem.line == A.line_of(root, A.AREA, "issue_date:")


def test_bad_email_and_web_address(root: Path) -> None:
    A.set_field(root, A.CHARITY, "contacts.safeguarding_lead.email", "safeguarding at north")
    A.set_field(root, A.CHARITY, "website", "www.north.example")
    loaded = inspect_area(root)
    assert "is not an email address" in A.only(loaded, A.CHARITY, "contacts.safeguarding_lead.email").message
    web = A.only(loaded, A.CHARITY, "website")
    assert "is not a web address" in web.message and "https://" in web.hint


def test_contact_with_no_way_to_reach_it(root: Path) -> None:
    A.set_field(root, A.CHARITY, "contacts.safeguarding_lead", {"role": "Designated Safeguarding Lead"})
    problem = A.only(inspect_area(root), A.CHARITY, "contacts.safeguarding_lead")
    assert "at least one of email, phone or address" in problem.message


def test_empty_text_and_empty_list(root: Path) -> None:
    A.set_field(root, A.CHARITY, "description", "   ")
    A.set_field(root, A.CHARITY, "security", [])
    loaded = inspect_area(root)
    assert A.only(loaded, A.CHARITY, "description").message == "must not be empty"
    assert "at least 1 item" in A.only(loaded, A.CHARITY, "security").message


def test_missing_required_field(root: Path) -> None:
    A.delete_field(root, A.CHARITY, "description")
    problem = A.only(inspect_area(root), A.CHARITY, "description")
    assert problem.message == "is required but missing"
    assert problem.line is not None


def test_missing_nested_field_points_at_its_parent(root: Path) -> None:
    A.delete_field(root, A.CHARITY, "contacts.safeguarding_lead")
    problem = A.only(inspect_area(root), A.CHARITY, "contacts.safeguarding_lead")
    assert problem.message == "is required but missing"
    assert problem.line == A.line_of(root, A.CHARITY, "contacts:")


def test_missing_field_in_a_list_item(root: Path) -> None:
    A.delete_field(root, A.PANEL, "retention.0.period")
    problem = A.only(inspect_area(root), A.PANEL, "retention[0].period")
    assert problem.line == A.line_of(root, A.PANEL, "- records: panel minutes")


def test_missing_area_yaml(root: Path) -> None:
    (root / A.AREA).unlink()
    problem = A.only(inspect_area(root), A.AREA, "")
    assert "is missing" in problem.message


def test_no_agencies(root: Path) -> None:
    for path in (root / "agencies").iterdir():
        path.unlink()
    problem = A.only(inspect_area(root), "agencies/", "")
    assert "no agency profiles" in problem.message


def test_area_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ProtocolgenError, match="no such area folder") as caught:
        inspect_area(tmp_path / "nowhere")
    assert "nowhere" in str(caught.value)


# --- ids ---------------------------------------------------------------------------------------------


def test_duplicate_agency_id_names_both_files(root: Path) -> None:
    A.write_yaml(root, "agencies/zz-copy.yaml", A.charity())
    loaded = inspect_area(root)
    problem = A.only(loaded, "agencies/zz-copy.yaml", "id")
    assert "'north-youth-trust'" in problem.message and A.CHARITY in problem.message
    assert problem.line == 1
    assert loaded.agencies["north-youth-trust"].name == "North Youth Trust"  # the first one is kept


def test_duplicate_panel_id_names_both_files(root: Path) -> None:
    A.write_yaml(root, "panels/zz-early-help.yaml", A.panel())
    problem = A.only(inspect_area(root), "panels/zz-early-help.yaml", "id")
    assert problem.message == "panel id 'early-help' is already used by panels/early-help.yaml"


@pytest.mark.parametrize(
    ("bad_id", "words"),
    [
        ("Police Force", "is not a valid id"),
        ("../x", "is not a valid id"),
        ("north_police", "is not a valid id"),
        ("north--police", "is not a valid id"),
        ("con", "cannot be used as a file name on Windows"),
        ("lpt1", "cannot be used as a file name on Windows"),
        ("x" * 65, "at most 64"),
    ],
)
def test_id_unsafe_as_a_file_name(root: Path, bad_id: str, words: str) -> None:
    A.set_field(root, A.CHARITY, "id", bad_id)
    problem = A.only(inspect_area(root), A.CHARITY, "id")
    assert words in problem.message and problem.line == 1


def test_panel_id_unsafe_as_a_file_name(root: Path) -> None:
    A.set_field(root, A.PANEL, "id", "../../etc")
    problem = A.only(inspect_area(root), A.PANEL, "id")
    assert "is not a valid id" in problem.message and "lower-case" in problem.hint


def test_id_that_differs_from_file_name_is_a_warning(root: Path) -> None:
    (root / A.CHARITY).rename(root / "agencies/youth.yaml")
    problem = A.only(inspect_area(root), "agencies/youth.yaml", "id", "warning")
    assert "youth.yaml" in problem.message and "north-youth-trust.yaml" in problem.hint


# --- references between files -------------------------------------------------------------------------


def test_broken_panel_is_not_reported_again_in_its_members(root: Path) -> None:
    # One typo in the panel file is one error, not one more in each member agency saying the panel is missing.
    A.rename_field(root, A.PANEL, "purpose", "purpse")
    loaded = inspect_area(root)
    assert [(d.file, d.field) for d in loaded.diagnostics] == [(A.PANEL, "purpse")]


def test_unparsable_panel_is_not_reported_again_in_its_members(root: Path) -> None:
    A.write_text(root, A.PANEL, A.dump(A.panel()).replace("name: North", "name: [North"))
    loaded = inspect_area(root)
    assert [(d.file, d.field) for d in loaded.diagnostics] == [(A.PANEL, "")]


def test_broken_chair_agency_is_not_reported_again_in_its_panel(root: Path) -> None:
    A.set_field(root, A.COUNCIL, "status", "volunteer")
    loaded = inspect_area(root)
    assert [(d.file, d.field) for d in loaded.diagnostics] == [(A.COUNCIL, "status")]


def test_unknown_panel_in_a_membership_suggests(root: Path) -> None:
    A.set_field(root, A.CHARITY, "panels.0.panel", "early-halp")
    problem = A.only(inspect_area(root), A.CHARITY, "panels[0].panel")
    assert problem.message == "no panel has the id 'early-halp'"
    assert problem.hint == "did you mean 'early-help'?"
    assert problem.line == A.line_of(root, A.CHARITY, "- panel: early-halp")


def test_same_panel_listed_twice(root: Path) -> None:
    A.join_panel(root, A.CHARITY)
    problem = A.only(inspect_area(root), A.CHARITY, "panels[1].panel")
    assert "twice" in problem.message


def test_unknown_chair_suggests(root: Path) -> None:
    A.set_field(root, A.PANEL, "chair", "north-councl")
    problem = A.only(inspect_area(root), A.PANEL, "chair")
    assert problem.message == "no agency has the id 'north-councl'" and problem.hint == "did you mean 'north-council'?"


def test_unknown_contracted_by_suggests(root: Path) -> None:
    A.set_field(root, A.CHARITY, "contracted_by", "north-counsil")
    problem = A.only(inspect_area(root), A.CHARITY, "contracted_by")
    assert "north-counsil" in problem.message and problem.hint == "did you mean 'north-council'?"


def test_unknown_legislation_key_in_statutory_basis_suggests(root: Path) -> None:
    A.set_field(root, A.HEALTH, "statutory_basis.0", "chidren-act-2004-s11")
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis[0].key")
    assert problem.message == "'chidren-act-2004-s11' is not in the legislation register"
    assert problem.hint == "did you mean 'children-act-2004-s11'?"
    assert problem.line == A.line_of(root, A.HEALTH, "chidren-act-2004-s11")


def test_unknown_legislation_key_in_a_panel_suggests(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["uk-gdpr-art-99", "no-such-act-at-all-1066"]))
    loaded = inspect_area(root)
    assert "did you mean 'uk-gdpr-art-9" in A.only(loaded, A.PANEL, "legislation[0]").hint
    unknown = A.only(loaded, A.PANEL, "legislation[1]")
    assert "not in the legislation register" in unknown.message
    assert "protocolgen legislation list" in unknown.hint  # nothing close: where to look instead


def test_malformed_legislation_key(root: Path) -> None:
    A.set_field(root, A.HEALTH, "statutory_basis.0", "Children Act 2004 s11")
    problem = A.only(inspect_area(root), A.HEALTH, "statutory_basis[0].key")
    assert "is not a valid id or key" in problem.message


# --- legislation.yaml overrides ------------------------------------------------------------------------


def test_override_changes_one_field_and_keeps_the_rest(root: Path) -> None:
    bundled = inspect_area(root).register["children-act-2004-s11"]
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"title": "Children Act 2004 (as amended)"}})
    loaded = inspect_area(root)
    assert loaded.diagnostics == []
    entry = loaded.register["children-act-2004-s11"]
    assert entry.title == "Children Act 2004 (as amended)"
    assert entry.model_dump(exclude={"title"}) == bundled.model_dump(exclude={"title"})
    assert bundled.title != entry.title


def test_override_adds_a_new_complete_entry(root: Path) -> None:
    entry = {
        "title": "North Borough Council Act 2031",
        "citation": "North Borough Council Act 2031, section 4",
        "uri": "https://www.legislation.gov.uk/ukla/2031/1/section/4",
        "extent": "England",
        "kind": "power",
        "summary": "Lets the council share information with its partners.",
        "status": "in_force",
        "verified": True,
    }
    A.write_yaml(root, A.LEGISLATION, {"north-borough-council-act-2031-s4": entry})
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["north-borough-council-act-2031-s4"]))
    loaded = inspect_area(root)
    assert loaded.diagnostics == []
    assert loaded.register["north-borough-council-act-2031-s4"].citation.endswith("section 4")


def test_override_new_incomplete_entry_is_an_error_with_file_and_line(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {
        "children-act-2004-s11": {"title": "Children Act 2004"},
        "north-local-act-2031": {"title": "North Local Act 2031", "extent": "England"},
    })
    loaded = inspect_area(root)
    missing = {d.field for d in loaded.errors if d.file == A.LEGISLATION}
    assert {"north-local-act-2031.citation", "north-local-act-2031.uri", "north-local-act-2031.verified"} <= missing
    problem = A.only(loaded, A.LEGISLATION, "north-local-act-2031.uri")
    assert problem.message == "is required but missing"
    assert problem.line == A.line_of(root, A.LEGISLATION, "north-local-act-2031:")


def test_override_unknown_field_suggests(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"titel": "Children Act 2004"}})
    loaded = inspect_area(root)
    problem = A.only(loaded, A.LEGISLATION, "children-act-2004-s11.titel")
    assert problem.message == "is not a field protocolgen knows"
    assert problem.hint == "did you mean 'title'?"
    assert problem.line == A.line_of(root, A.LEGISLATION, "titel:")
    # The broken override is the one problem: the profiles citing s11 are not told it is missing from the register.
    assert [d.file for d in loaded.diagnostics] == [A.LEGISLATION]
    assert loaded.register["children-act-2004-s11"] == read_bundled()["children-act-2004-s11"]


def test_override_may_not_rename_the_entry(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"key": "children-act-2004-s99"}})
    loaded = inspect_area(root)
    problem = A.only(loaded, A.LEGISLATION, "children-act-2004-s11.key")
    assert "is not a field here" in problem.message
    assert problem.line == A.line_of(root, A.LEGISLATION, "key:")
    assert loaded.register["children-act-2004-s11"].key == "children-act-2004-s11"
    assert "children-act-2004-s99" not in loaded.register


def test_override_new_empty_entry_is_reported(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"north-local-act-2031": {}})
    loaded = inspect_area(root)
    assert A.only(loaded, A.LEGISLATION, "north-local-act-2031.title").message == "is required but missing"
    assert "north-local-act-2031" not in loaded.register


def test_override_wrong_value_suggests(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"status": "in-force"}})
    problem = A.only(inspect_area(root), A.LEGISLATION, "children-act-2004-s11.status")
    assert problem.hint == "did you mean 'in_force'?"


def test_override_that_is_not_a_mapping(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": "Children Act 2004", "north-local-act": "x"})
    loaded = inspect_area(root)
    problem = A.only(loaded, A.LEGISLATION, "children-act-2004-s11")
    assert "must be a mapping" in problem.message and "title" in problem.hint
    assert "must be a mapping" in A.only(loaded, A.LEGISLATION, "north-local-act").message
    assert [d.file for d in loaded.diagnostics] == [A.LEGISLATION] * 2  # the bundled s11 still stands


def test_override_replaced_by_unknown_key(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"replaced_by": ["children-act-2004-s16lx"]}})
    problem = A.only(inspect_area(root), A.LEGISLATION, "children-act-2004-s11.replaced_by[0]")
    assert "not in the register" in problem.message and "did you mean" in problem.hint


def test_legislation_yaml_syntax_error(root: Path) -> None:
    A.write_text(root, A.LEGISLATION, "children-act-2004-s11:\n  title: [oops\n")
    problem = A.only(inspect_area(root), A.LEGISLATION, "")
    assert "is not valid YAML" in problem.message and problem.line is not None


# --- helpers ---------------------------------------------------------------------------------------------


def test_suggest() -> None:
    assert suggest("secuirty", ["security", "retention"]) == "did you mean 'security'?"
    assert suggest("zzz", ["security"]) == ""
    assert suggest(3, ["security"]) == ""


def test_format_loc() -> None:
    assert format_loc(("panels", 1, "role")) == "panels[1].role"
    assert format_loc(()) == ""


def test_load_yaml_unreadable(tmp_path: Path) -> None:
    source, problems = load_yaml(tmp_path / "absent.yaml", "absent.yaml")
    assert source is None and "cannot be read" in problems[0].message


def test_line_numbers_of_keys_and_list_items(tmp_path: Path) -> None:
    path = A.write_text(tmp_path, "x.yaml", "# comment\na: 1\nb:\n  - c: 2\n    d: 3\n  - e\n")
    source, problems = load_yaml(path, "x.yaml")
    assert problems == [] and source is not None
    assert [source.line_of(loc) for loc in [("a",), ("b",), ("b", 0), ("b", 0, "d"), ("b", 1), ("b", 1, "zz")]] == [
        2, 3, 4, 5, 6, 6,
    ]


# --- property: no text crashes validation --------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_any_agency_name_validates_or_is_diagnosed(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = A.write_area(Path(folder), {A.CHARITY: {**A.charity(), "name": name}})
        loaded = inspect_area(root)  # must never raise
        if "north-youth-trust" in loaded.agencies:
            assert loaded.agencies["north-youth-trust"].name.strip()
        else:
            assert [d for d in loaded.errors if d.file == A.CHARITY and d.field == "name"], [
                d.format() for d in loaded.diagnostics
            ]
        for diag in loaded.diagnostics:
            diag.format()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_any_text_pasted_raw_into_a_file_validates_or_is_diagnosed(name: str) -> None:
    # Not through safe_dump: the text as typed after 'name: ', which may break the YAML itself.
    text = A.dump(A.charity()).replace("name: North Youth Trust", "name: " + name.replace("\n", " "))
    with tempfile.TemporaryDirectory() as folder:
        root = A.write_area(Path(folder))
        A.write_text(root, A.CHARITY, text)
        loaded = inspect_area(root)  # must never raise
        if "north-youth-trust" not in loaded.agencies:
            assert [d for d in loaded.errors if d.file == A.CHARITY], [d.format() for d in loaded.diagnostics]
