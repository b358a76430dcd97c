"""The light path for a small voluntary group with no partnership: ``init --agency`` and the interactive
``new agency`` write an area that validates with no error and no warning and builds the group's notice and
consent form; the area fields only a partnership needs are optional without panels (and required, with an
error at the field, when there are panels); recording special category information without declaring it is
a warning; nation checks still run when area.yaml has another error; date messages say the format.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen import inspect_area, load_area, validate
from protocolgen.cli import main
from protocolgen.models import PARTNERSHIP_FIELDS
from protocolgen.resolve import resolve
from protocolgen.schema import schemas


def run(*args: str | Path, given: str | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=given)


def word_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


# --- init --agency ---------------------------------------------------------------------------------------


def test_init_agency_writes_a_group_area_that_validates_cleanly_and_builds(tmp_path: Path) -> None:
    group = tmp_path / "riverside"
    made = run("init", group, "--agency", "--date", "2026-09-01")
    assert made.exit_code == 0, made.output
    area = yaml.safe_load((group / "area.yaml").read_text(encoding="utf-8"))
    # Only what a group needs: none of the fields only a partnership's protocols print.
    assert set(area) == {"name", "nation", "contact", "issue_date", "review_interval_months"}
    agencies = list((group / "agencies").glob("*.yaml"))
    assert [p.name for p in agencies] == ["riverside-youth-club.yaml"] and not (group / "panels").exists()
    profile = yaml.safe_load(agencies[0].read_text(encoding="utf-8"))
    entity = profile["legal_entity"]
    assert entity["name"] and "data_protection_lead" in entity and "data_protection_officer" not in entity
    assert profile["status"] == "voluntary" and "panels" not in profile

    checked = run("validate", group)
    assert checked.exit_code == 0, checked.output
    assert checked.stderr == ""  # no diagnostics at all: no "sits on no panel", no DPO demanded
    assert checked.stdout.strip() == f"{group.as_posix()}: 1 agency; 0 errors, 0 warnings"

    out = tmp_path / "out"
    built = run("build", group, "-o", out)
    assert built.exit_code == 0, built.output
    assert built.stderr == ""  # no warning either (coverage included)
    folder = out / "agencies" / "riverside-youth-club"
    assert sorted(p.name for p in folder.iterdir()) == ["consent-form.docx", "privacy-notice.docx",
                                                         "privacy-notice.html"]
    notice = word_text(folder / "privacy-notice.docx")
    assert "Riverside Youth Club" in notice and "Data Protection Lead" in notice
    assert "does not require" in notice  # says why there is no data protection officer
    assert "panel" not in notice.lower()
    assert "Riverside Youth Club" in word_text(folder / "consent-form.docx")
    assert not (out / "panels").exists()


def test_init_agency_takes_the_group_name_and_its_date(tmp_path: Path) -> None:
    group = tmp_path / "st-annes"
    made = run("init", group, "--agency", "--name", "St Anne's Youth Club", "--date", "2026-01-10")
    assert made.exit_code == 0, made.output
    profile = yaml.safe_load((group / "agencies" / "st-annes-youth-club.yaml").read_text(encoding="utf-8"))
    assert profile["name"] == "St Anne's Youth Club" and profile["id"] == "st-annes-youth-club"
    # Before 5 February 2026 the recognised legitimate interest basis was not in force: the starter says so.
    assert [b["basis"] for b in profile["uk_gdpr_bases"]] == ["consent", "legitimate_interests"]
    loaded = validate(group)
    assert loaded.diagnostics == [], [d.format() for d in loaded.diagnostics]
    assert loaded.area is not None and loaded.area.issue_date.isoformat() == "2026-01-10"


def test_init_agency_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep", encoding="utf-8")
    result = run("init", tmp_path / "mine", "--agency")
    assert result.exit_code == 1 and "not empty" in result.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_init_name_without_agency_is_a_usage_error(tmp_path: Path) -> None:
    result = run("init", tmp_path / "x", "--name", "Club")
    assert result.exit_code == 2 and "--agency" in result.output and not (tmp_path / "x").exists()


# --- new agency, interactively ---------------------------------------------------------------------------


def required_paths(schema: dict[str, Any], node: dict[str, Any] | None = None, prefix: str = "") -> list[str]:
    """Every required field of a schema, by path ('records.kinds', 'retention[0].period'), read from the JSON
    Schema itself (not from the code that asks the questions)."""
    defs = schema.get("$defs", {})
    node = node or schema
    paths = []
    for name in node.get("required", []):
        prop = node["properties"][name]
        many = prop.get("type") == "array"
        target = prop.get("items", {}) if many else prop
        ref = target.get("$ref", "").rsplit("/", 1)[-1]
        if ref and "properties" in defs.get(ref, {}):
            paths += required_paths(schema, defs[ref], f"{prefix}{name}{'[0]' if many else ''}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


GROUP_ANSWERS = [
    # area.yaml (the folder has none yet)
    "Ferry Lane Youth Club",  # name
    "",  # nation: england
    "Club Secretary",  # contact.role
    "secretary@ferrylane.example",  # contact: email, phone or address
    "2026-13-01",  # issue_date: not a date, asked again
    "2026-09-01",
    "",  # review_interval_months: 12
    # the agency
    "",  # name: the area's name
    "",  # id: from the name
    "voluntary_comunity", "voluntary_community",  # sector: misspelt, asked again
    "volunteer", "voluntary",  # status
    "A youth club for 11 to 16 year olds, run by volunteers.",  # description
    "Ferry Lane Youth Club CIO",  # legal_entity.name
    "",  # legal_entity.data_protection_lead.role: Data Protection Lead
    "privacy@ferrylane.example",
    "",  # information outside the UK: no
    "Designated Safeguarding Lead", "07700 900123",  # contacts.safeguarding_lead
    "names and ages of members; allergies and medical needs; attendance registers",  # records.kinds
    "A paper register kept in a locked box.",  # records.system
    "The safeguarding lead notes each decision to share, and why.",  # records.sharing_decisions
    "",  # special_category_data: health, as suggested from 'medical'
    "Registers are kept in a locked box; only leaders see them",  # security
    "registers", "forever", "3 years", "after the member leaves",  # retention[0]: 'forever' is refused
    "Ask a leader, or email us.",  # access_requests.how
    "Club Secretary", "secretary@ferrylane.example",  # access_requests.contact
]


def test_new_agency_asks_each_required_field_with_its_help_and_writes_yaml_that_validates(tmp_path: Path) -> None:
    group = tmp_path / "ferry-lane"
    result = run("new", "agency", group, given="\n".join(GROUP_ANSWERS) + "\n")
    assert result.exit_code == 0, result.output
    shown = result.stdout
    all_schemas = schemas()
    for kind in ("area", "agency"):  # one question per required field, named by its path in the schema
        for path in required_paths(all_schemas[kind]):
            assert f"\n{path}\n" in shown, path
    # Each question carries the field's help text from the schema.
    agency = all_schemas["agency"]
    assert agency["$defs"]["Records"]["properties"]["system"]["description"] in shown
    assert agency["properties"]["sector"]["description"] in shown
    assert all_schemas["area"]["properties"]["issue_date"]["description"] in shown
    # Wrong answers are asked again, saying why.
    assert "'voluntary_comunity' is not one of the choices above (did you mean 'voluntary_community'?)" in shown
    assert "did you mean 'voluntary'?" in shown
    assert "write a finite period" in shown and "YYYY-MM-DD" in shown

    written = yaml.safe_load((group / "agencies" / "ferry-lane-youth-club.yaml").read_text(encoding="utf-8"))
    assert written["legal_entity"] == {"name": "Ferry Lane Youth Club CIO", "data_protection_lead": {
        "role": "Data Protection Lead", "email": "privacy@ferrylane.example"}}
    assert written["contacts"]["safeguarding_lead"] == {"role": "Designated Safeguarding Lead",
                                                        "phone": "07700 900123"}
    assert written["records"]["kinds"] == ["names and ages of members", "allergies and medical needs",
                                           "attendance registers"]
    assert written["special_category_data"] == ["health"]
    assert written["retention"] == [{"records": "registers", "period": "3 years", "starts": "after the member leaves"}]
    assert written["transfers_outside_uk"] == "none"
    loaded = validate(group)
    assert loaded.diagnostics == [], [d.format() for d in loaded.diagnostics]
    assert f"{group.as_posix()}: 0 errors, 0 warnings" in shown
    assert run("build", group, "-o", tmp_path / "out").exit_code == 0
    assert (tmp_path / "out" / "agencies" / "ferry-lane-youth-club" / "consent-form.docx").is_file()


def test_new_agency_in_a_partnership_asks_no_area_questions_and_refuses_a_taken_id(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    answers = ["North Boxing Club", "north-council", "north-boxing", "leisure", "private",
               "A boxing club for young people.", "", "", "dpl@box.example", "y", "a booking service in Ireland",
               "UK adequacy regulations (EEA)", "Club Safeguarding Officer", "cso@box.example",
               "names; attendance", "an online booking system", "The officer records each decision and why.", "none",
               "Passwords", "bookings", "2 years", "after the last booking", "Email us.", "Manager", "manager@box.example"]
    result = run("new", "agency", root, given="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "\nissue_date\n" not in result.stdout  # area.yaml is there already
    assert "agencies/north-council.yaml already exists; choose another id" in result.stdout
    written = yaml.safe_load((root / "agencies" / "north-boxing.yaml").read_text(encoding="utf-8"))
    assert written["transfers_outside_uk"] == [{"to": "a booking service in Ireland",
                                                "safeguard": "UK adequacy regulations (EEA)"}]
    loaded = validate(root)
    assert loaded.errors == []
    # In a partnership, an agency on no panel is still noted (and that is the only thing said about it).
    about = [d for d in loaded.diagnostics if d.file == "agencies/north-boxing.yaml"]
    assert [d.field for d in about] == ["panels"]


def test_new_agency_for_a_statutory_body_asks_its_basis_officer_and_guardian(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    answers = ["North Clinic", "", "nhs_community_trust", "statutory", "A community clinic.",
               "chidren-act-2004-s11", "children-act-2004-s11",  # a misspelt key is refused with a suggestion
               "North Clinic NHS Trust", "", "dpo@clinic.example", "n", "", "caldicott@clinic.example",
               "Named Nurse", "nurse@clinic.example", "clinic notes", "an electronic patient record",
               "Each decision is recorded.", "health", "Encrypted laptops", "clinic notes", "8 years", "after the last visit",
               "Ask the clinic.", "Records Team", "records@clinic.example"]
    result = run("new", "agency", root, given="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "did you mean 'children-act-2004-s11'?" in result.stdout
    written = yaml.safe_load((root / "agencies" / "north-clinic.yaml").read_text(encoding="utf-8"))
    assert written["statutory_basis"] == [{"key": "children-act-2004-s11"}]
    assert written["legal_entity"]["data_protection_officer"] == {"role": "Data Protection Officer",
                                                                  "email": "dpo@clinic.example"}
    assert written["contacts"]["caldicott_guardian"]["email"] == "caldicott@clinic.example"
    assert validate(root).errors == []


def test_new_agency_stopped_part_way_writes_nothing(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    before = sorted(p.name for p in (root / "agencies").iterdir())
    result = run("new", "agency", root, given="Half Done Club\n\n")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert sorted(p.name for p in (root / "agencies").iterdir()) == before


# --- partnership-only fields ------------------------------------------------------------------------------


def without_panels(root: Path) -> None:
    (root / A.PANEL).unlink()
    for rel in (A.COUNCIL, A.HEALTH, A.CHARITY):
        A.delete_field(root, rel, "panels")


@pytest.mark.parametrize("name", PARTNERSHIP_FIELDS)
def test_a_partnership_field_is_required_when_the_area_has_panels(tmp_path: Path, name: str) -> None:
    root = A.write_area(tmp_path / "area")
    A.delete_field(root, A.AREA, name)
    problem = A.only(inspect_area(root), A.AREA, name)
    assert "required in an area with panels" in problem.message

    without_panels(root)
    A.none_at(inspect_area(root), A.AREA)


def test_without_panels_what_documents_need_is_derived(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    without_panels(root)
    for name in PARTNERSHIP_FIELDS:
        A.delete_field(root, A.AREA, name)
    loaded = load_area(root)
    area = loaded.area
    assert area is not None
    assert area.issuing_body == area.name == "North Safeguarding Children Partnership"
    assert area.document_owner == "Partnership Business Manager"  # the contact's role
    assert area.reference_prefix == "NSCP"  # the initials of the name
    assert not set(PARTNERSHIP_FIELDS) & area.model_fields_set
    jobs = {job.id: job for job in resolve(loaded)}
    assert jobs["agencies/north-youth-trust/privacy-notice"].doc.reference == "NSCP-NORTH-YOUTH-TRUST"
    # The schema says so, for people and for editors.
    described = schemas()["area"]["properties"]
    assert "initials of the area's name" in described["reference_prefix"]["description"]
    assert set(PARTNERSHIP_FIELDS).isdisjoint(schemas()["area"]["required"])


def test_an_area_written_before_keeps_validating_unchanged() -> None:
    example = Path(__file__).resolve().parent.parent / "agency_profiles"
    loaded = inspect_area(example)
    assert loaded.errors == []
    assert loaded.area is not None and set(PARTNERSHIP_FIELDS) <= loaded.area.model_fields_set


# --- special category information recorded without declaring it ------------------------------------------


def test_special_category_words_in_records_without_declaring_them_are_a_warning(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    kinds = ["attendance registers", "allergies and Medical needs", "ethnicity and religion, for monitoring"]
    A.set_field(root, A.CHARITY, "records.kinds", kinds)
    loaded = inspect_area(root)
    health = A.only(loaded, A.CHARITY, "records.kinds[1]", "warning")
    assert "'allergies', 'medical'" in health.message and "special_category_data" in health.message
    assert "UK GDPR Art 9(1)" in health.message and "add health to special_category_data" in health.hint
    assert health.line == A.line_of(root, A.CHARITY, "allergies and Medical needs")
    about_kind_2 = [d for d in loaded.warnings if d.field == "records.kinds[2]"]
    assert {d.hint.split()[1] for d in about_kind_2} == {"racial_or_ethnic_origin", "religious_or_philosophical_beliefs"}

    A.set_field(root, A.CHARITY, "special_category_data", ["health", "racial_or_ethnic_origin",
                                                           "religious_or_philosophical_beliefs"])
    A.none_at(inspect_area(root), A.CHARITY, "records.kinds[1]")
    A.none_at(inspect_area(root), A.CHARITY, "records.kinds[2]")


def test_words_inside_other_words_are_not_special_category(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    A.set_field(root, A.CHARITY, "records.kinds", ["developmental reviews", "embraced activities", "case notes"])
    A.none_at(inspect_area(root), A.CHARITY, "records.kinds[0]")
    A.none_at(inspect_area(root), A.CHARITY, "records.kinds[1]")


# --- nation checks and dates when area.yaml has an error ---------------------------------------------------


def test_nation_checks_run_when_area_yaml_has_another_error(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    A.set_field(root, A.AREA, "issue_date", "1 April 2026")
    A.set_field(root, A.COUNCIL, "statutory_basis.0.key", "children-act-2004-s28")  # Wales only
    loaded = inspect_area(root)
    date_error = A.only(loaded, A.AREA, "issue_date")
    assert "not a date in the form YYYY-MM-DD" in date_error.message
    wales = A.only(loaded, A.COUNCIL, "statutory_basis[0].key", "warning")
    assert "applies only in Wales, but this area is in England" in wales.message


def test_an_impossible_date_says_how_dates_are_written(tmp_path: Path) -> None:
    root = A.write_area(tmp_path / "area")
    A.set_field(root, A.AREA, "next_review_date", "2027-02-30")
    problem = A.only(inspect_area(root), A.AREA, "next_review_date")
    assert "is not a real date" in problem.message and "YYYY-MM-DD" in problem.hint
