"""The command line's validate, legislation, schema and init commands, through click's CliRunner.

A user's mistake prints a message (file, line, field) and exits 1; it never shows a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen.cli import main
from protocolgen.register import read_bundled

EXAMPLE = Path(__file__).resolve().parent.parent / "agency_profiles"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def assert_user_error(result: Result) -> None:
    """Exit status 1 through SystemExit (click's way out), and no traceback anywhere."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def lines_about(result: Result, prefix: str) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith(prefix)]


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if ": error:" in line or line.startswith("error:")]


# --- validate ---------------------------------------------------------------------------------------------


def test_validate_clean_area(root: Path) -> None:
    result = run("validate", root)
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert f"{root.as_posix()}: 3 agencies, 1 panel; 0 errors, 0 warnings" in result.output


def test_validate_the_bundled_example() -> None:
    if not (EXAMPLE / "area.yaml").is_file():
        pytest.skip("agency_profiles/ (the bundled example area) is not written yet")
    result = run("validate", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert error_lines(result) == []
    assert "Traceback" not in result.output


def test_done_when_four_problems_in_one_run(root: Path) -> None:
    # One file with a YAML syntax error, a misspelled field in another, an unknown legislation key, and a
    # duplicate agency id: one run reports all four, each at its file and line, and exits 1 without a traceback.
    police = "agencies/north-police.yaml"
    A.write_text(root, police, "id: north-police\nname: North Police\nstatus: [statutory\nsector: police\n")
    A.rename_field(root, A.HEALTH, "security", "secuirty")
    A.write_yaml(root, "agencies/zz-council-copy.yaml", A.council())
    A.set_field(root, A.COUNCIL, "statutory_basis.0.key", "chidren-act-2004-s11")

    result = run("validate", root)
    assert_user_error(result)
    at = root.as_posix()

    syntax = lines_about(result, f"{at}/{police}:")
    assert len(syntax) == 1 and ": error: is not valid YAML" in syntax[0]
    opened = A.line_of(root, police, "status: [")  # the parser finds the unclosed '[' on this line or the next
    assert syntax[0].split(":")[1] in (str(opened), str(opened + 1)), syntax[0]

    typo = lines_about(result, f"{at}/{A.HEALTH}:{A.line_of(root, A.HEALTH, 'secuirty:')}: error: secuirty:")
    assert len(typo) == 1 and "did you mean 'security'?" in typo[0]

    key_line = A.line_of(root, A.COUNCIL, "chidren-act-2004-s11")
    unknown = lines_about(result, f"{at}/{A.COUNCIL}:{key_line}: error: statutory_basis[0].key:")
    assert len(unknown) == 1
    assert "'chidren-act-2004-s11' is not in the legislation register" in unknown[0]
    assert "did you mean 'children-act-2004-s11'?" in unknown[0]

    duplicate = lines_about(result, f"{at}/agencies/zz-council-copy.yaml:1: error: id:")
    assert len(duplicate) == 1
    assert "agency id 'north-council' is already used by agencies/north-council.yaml" in duplicate[0]

    assert len(error_lines(result)) == 4, result.output
    # Every file is counted, also the three that did not load (a syntax error, a typo, a duplicate id).
    assert f"{at}: 5 agencies (3 not loaded), 1 panel; 4 errors" in result.output


def test_validate_missing_folder(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nowhere")
    assert_user_error(result)
    assert "no such area folder" in result.output and "nowhere" in result.output


def test_validate_a_file_instead_of_a_folder(root: Path) -> None:
    result = run("validate", root / A.AREA)
    assert_user_error(result)
    assert "no such area folder" in result.output


def test_validate_warning_passes_and_strict_fails(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["data-protection-act-1998"]))
    line = A.line_of(root, A.PANEL, "- data-protection-act-1998")
    expected = f"{root.as_posix()}/{A.PANEL}:{line}: warning: legislation[0]: 'data-protection-act-1998'"

    relaxed = run("validate", root)
    assert relaxed.exit_code == 0, relaxed.output
    assert len(lines_about(relaxed, expected)) == 1
    assert "0 errors, 1 warning" in relaxed.output

    strict = run("validate", root, "--strict")
    assert_user_error(strict)
    assert len(lines_about(strict, expected)) == 1


def test_validate_strict_on_a_clean_area(root: Path) -> None:
    assert run("validate", "--strict", root).exit_code == 0


def test_validate_prints_the_hint(root: Path) -> None:
    A.set_field(root, A.HEALTH, "panels.0.role", "chiar")
    result = run("validate", root)
    assert_user_error(result)
    line = A.line_of(root, A.HEALTH, "role: chiar")
    assert (
        f"{root.as_posix()}/{A.HEALTH}:{line}: error: panels[0].role: 'chiar' is not one of: chair, member, adviser "
        "(did you mean 'chair'?)"
    ) in result.output.splitlines()


def test_validate_default_area_is_agency_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["validate"])
    assert_user_error(result)
    assert "agency_profiles" in result.output
    A.write_area(Path("agency_profiles"))
    assert runner.invoke(main, ["validate"]).exit_code == 0


# --- legislation -------------------------------------------------------------------------------------------


def test_legislation_list() -> None:
    result = run("legislation", "list")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "children-act-2004-s11" in rows and "Children Act 2004, section 11" in rows["children-act-2004-s11"]
    assert "Repealed" in rows["data-protection-act-1998"]
    assert set(read_bundled()) <= set(rows)


def test_legislation_list_marks_unchecked_entries() -> None:
    unchecked = [key for key, entry in read_bundled().items() if not entry.verified]
    if not unchecked:
        pytest.skip("every bundled entry is checked")
    result = run("legislation", "list")
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert all("[not yet checked]" in rows[key] for key in unchecked)
    assert "[not yet checked]" not in rows["children-act-2004-s11"]


def test_legislation_list_with_area_overrides(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"citation": "CA 2004 s11 (local wording)"}})
    result = run("legislation", "list", "--area", root)
    assert result.exit_code == 0, result.output
    assert "CA 2004 s11 (local wording)" in result.output


def test_legislation_list_with_broken_overrides(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"titel": "x"}})
    result = run("legislation", "list", "--area", root)
    assert_user_error(result)
    assert "legislation.yaml" in result.output and "did you mean 'title'?" in result.output


def test_legislation_show_repealed_names_its_replacement() -> None:
    result = run("legislation", "show", "data-protection-act-1998")
    assert result.exit_code == 0, result.output
    fields = dict(
        (label.strip(), value.strip())
        for label, _, value in (line.partition(":") for line in result.output.splitlines()[1:])
    )
    assert fields["Status"] == "Repealed"
    replaced_by = fields["Replaced by"].split(", ")
    assert replaced_by and set(replaced_by) <= set(read_bundled())
    assert "uk-gdpr-art-6" in replaced_by or "data-protection-act-2018-sch-1" in replaced_by


def test_legislation_show_in_force_entry() -> None:
    result = run("legislation", "show", "children-act-2004-s11")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "children-act-2004-s11"
    assert "Children Act 2004, section 11" in result.output and "Replaced by" not in result.output


def test_legislation_show_misspelt_key_suggests() -> None:
    result = run("legislation", "show", "chidren-act-2004-s11")
    assert_user_error(result)
    assert "'chidren-act-2004-s11' is not in the register" in result.output
    assert "did you mean 'children-act-2004-s11'?" in result.output


def test_legislation_show_with_area_override(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"title": "Children Act 2004 (local title)"}})
    result = run("legislation", "show", "children-act-2004-s11", "--area", root)
    assert "Children Act 2004 (local title)" in result.output
    assert "Children Act 2004, section 11" in result.output  # the other fields are the bundled ones


def test_legislation_check_lists_what_to_cite_instead(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["data-protection-act-1998"]))
    result = run("legislation", "check", root)
    assert result.exit_code == 0, result.output
    line = A.line_of(root, A.PANEL, "data-protection-act-1998")
    found = lines_about(
        result, f"{root.as_posix()}/{A.PANEL}:{line}: legislation[0]: data-protection-act-1998: repealed; cite instead: "
    )
    assert len(found) == 1, result.output
    for key in read_bundled()["data-protection-act-1998"].replaced_by:
        assert key in found[0]
    assert "citation(s) to review (law as of 2026-04-01)" in result.output


def test_legislation_check_lists_not_yet_in_force(root: Path) -> None:
    A.edit(root, A.HEALTH, lambda d: d["statutory_basis"].append({"key": "children-act-2004-s16la"}))
    result = run("legislation", "check", root)
    number = A.line_of(root, A.HEALTH, "children-act-2004-s16la")
    line = lines_about(result, f"{root.as_posix()}/{A.HEALTH}:{number}: ")
    assert len(line) == 1 and "children-act-2004-s16la: enacted but not yet in force" in line[0], result.output


def test_legislation_check_counts_every_citation_to_review(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["children-act-2004-s13-16-lscb"]))
    result = run("legislation", "check", root)
    assert result.exit_code == 0, result.output
    review = [line for line in result.output.splitlines() if line.startswith(root.as_posix())]
    count = int(result.output.strip().splitlines()[-1].split()[0])
    assert count == len(review) and any("children-act-2004-s13-16-lscb: repealed" in line for line in review)


def test_legislation_check_on_an_area_with_errors(root: Path) -> None:
    A.set_field(root, A.CHARITY, "status", "volunteer")
    result = run("legislation", "check", root)
    assert_user_error(result)
    assert f"{root.as_posix()}/{A.CHARITY}" in result.output and "did you mean 'voluntary'?" in result.output


# --- schema ----------------------------------------------------------------------------------------------


def test_schema_agency() -> None:
    result = run("schema", "agency")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["additionalProperties"] is False
    assert schema["$schema"].startswith("https://json-schema.org/")
    props = schema["properties"]
    assert {"id", "name", "status", "statutory_basis", "contacts", "panels"} <= set(props)
    assert "4.2" in props["statutory_basis"]["description"]
    assert props["status"].get("description")
    described = [name for name, prop in props.items() if prop.get("description")]
    assert len(described) >= 5
    for name, part in schema.get("$defs", {}).items():  # every nested mapping refuses unknown fields too
        if part.get("type") == "object":
            assert part.get("additionalProperties") is False, name


def test_schema_all_kinds() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert set(json.loads(result.output)) == {"area", "agency", "panel", "legislation"}


def test_schema_legislation_allows_partial_overrides() -> None:
    schema = json.loads(run("schema", "legislation").output)
    entry = schema["additionalProperties"]
    assert "required" not in entry and "key" not in entry["properties"]
    assert entry["additionalProperties"] is False and "title" in entry["properties"]


def test_schema_unknown_kind() -> None:
    result = run("schema", "agnecy")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "agency" in result.output


def test_schema_out_writes_four_files(tmp_path: Path) -> None:
    out = tmp_path / "schemas" / "nested"
    result = run("schema", "--out", out)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["agency.schema.json", "area.schema.json", "legislation.schema.json", "panel.schema.json"]
    for path in out.iterdir():
        body = json.loads(path.read_text(encoding="utf-8"))
        assert body["$id"].endswith(path.name)


# --- init -------------------------------------------------------------------------------------------------


def test_init_creates_an_area_that_validates(tmp_path: Path) -> None:
    if not (EXAMPLE / "area.yaml").is_file():
        pytest.skip("agency_profiles/ (the bundled example area) is not written yet")
    target = tmp_path / "new-area"
    result = run("init", target)
    assert result.exit_code == 0, result.output
    assert (target / "area.yaml").is_file() and list((target / "agencies").glob("*.yaml"))
    assert list((target / "panels").glob("*.yaml"))
    checked = run("validate", target)
    assert checked.exit_code == 0, checked.output
    assert error_lines(checked) == []


def test_init_into_an_existing_empty_folder(tmp_path: Path) -> None:
    if not (EXAMPLE / "area.yaml").is_file():
        pytest.skip("agency_profiles/ (the bundled example area) is not written yet")
    target = tmp_path / "empty"
    target.mkdir()
    assert run("init", target).exit_code == 0
    assert (target / "area.yaml").is_file()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run("init", target)
    assert_user_error(result)
    assert "not empty" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    result = run("init", target)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # click's usage error
    assert "is a file" in result.output
    assert target.read_text(encoding="utf-8") == "x"
