"""The habits of a good command line: exit codes scripts can rely on (each one tested, and README's table of
them matching ``ExitCode``), results on stdout and diagnostics on stderr, ``--json`` as one JSON document and
nothing else on stdout, ``-q``/``-v``/``-h``, ``NO_COLOR``, the legislation commands taking the area as the
others do, ``schema --format text``, and the public Python API (``protocolgen.build``, ``validate``,
``status``, ``issue``) with ``py.typed``, the README's example of it run as written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

import protocolgen
from protocolgen.cli import ExitCode, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str | Path, env: dict[str, str] | None = None, color: bool = False) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, color=color)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


@pytest.fixture
def built(root: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert run("build", root, "-o", out).exit_code == 0
    return out


def with_warning(root: Path) -> None:
    A.edit(root, A.PANEL, lambda p: p.update(legislation=["data-protection-act-1998"]))  # repealed: a warning


def with_error(root: Path) -> None:
    A.set_field(root, A.CHARITY, "status", "volunteer")


# --- exit codes ------------------------------------------------------------------------------------------


def test_exit_codes_are_fixed_numbers() -> None:
    assert {code.name: int(code) for code in ExitCode} == {"OK": 0, "ERRORS": 1, "USAGE": 2, "STALE": 3,
                                                           "HELD_BACK": 4, "INTERRUPTED": 130,
                                                           "OUTPUT_CLOSED": 141}


def test_readme_documents_every_exit_code() -> None:
    table = re.search(r"^\| exit code \| meaning \|\n\|[-| ]+\|\n((?:\|.*\|\n)+)", README, re.M)
    assert table is not None, "README has no exit code table"
    documented = {int(row.split("|")[1].strip().strip("`")) for row in table.group(1).splitlines()}
    assert documented == {int(code) for code in ExitCode}


def test_exit_0_when_all_is_well(root: Path, built: Path) -> None:
    assert run("validate", root).exit_code == ExitCode.OK
    assert run("status", root, "-o", built).exit_code == ExitCode.OK
    assert run("build", root, "-o", built).exit_code == ExitCode.OK


def test_exit_1_for_errors_in_the_area_from_every_command_that_reads_it(root: Path, tmp_path: Path) -> None:
    with_error(root)
    for args in (["validate"], ["build", "-o", tmp_path / "o"], ["status", "-o", tmp_path / "o"],
                 ["legislation", "check"]):
        result = run(args[0], *args[1:2], root, *args[2:]) if args[0] == "legislation" else run(args[0], root,
                                                                                                  *args[1:])
        assert result.exit_code == ExitCode.ERRORS, (args, result.output)
        assert "did you mean 'voluntary'?" in result.stderr and "Traceback" not in result.output


def test_exit_1_for_warnings_with_strict(root: Path) -> None:
    with_warning(root)
    assert run("validate", root).exit_code == ExitCode.OK
    assert run("validate", root, "--strict").exit_code == ExitCode.ERRORS


def test_exit_2_for_usage_mistakes(root: Path) -> None:
    for args in (["validate", root, "--stirct"], ["no-such-command"], ["build", root, "--as-of", "1 April 2026"],
                 ["build", root, "--only", "complex-needs"], ["-q", "-v", "validate", root],
                 ["validate", root, "-q", "-v"]):
        result = run(*args)
        assert result.exit_code == ExitCode.USAGE, (args, result.output)
        assert "Traceback" not in result.output
    assert "YYYY-MM-DD" in run("build", root, "--as-of", "1 April 2026").stderr


def test_exit_3_from_status_when_a_document_is_stale_or_edited(root: Path, built: Path) -> None:
    A.set_field(root, A.CHARITY, "description", "North Youth Trust runs a youth centre.")
    stale = run("status", root, "-o", built)
    assert stale.exit_code == ExitCode.STALE and "stale: agencies/north-youth-trust/privacy-notice" in stale.stdout
    assert run("build", root, "-o", built).exit_code == ExitCode.OK
    assert run("status", root, "-o", built).exit_code == ExitCode.OK
    (built / "index.html").write_text("edited", encoding="utf-8")
    assert run("status", root, "-o", built).exit_code == ExitCode.STALE


def test_exit_4_from_build_when_hand_edits_are_held_back(root: Path, built: Path) -> None:
    edited = built / "agencies" / "north-youth-trust" / "privacy-notice.html"
    edited.write_text("<p>changed by hand</p>", encoding="utf-8")
    A.set_field(root, A.CHARITY, "description", "North Youth Trust runs a youth centre.")
    held = run("build", root, "-o", built)
    assert held.exit_code == ExitCode.HELD_BACK, held.output
    assert edited.as_posix() in held.stderr and edited.read_text(encoding="utf-8") == "<p>changed by hand</p>"
    assert run("build", root, "-o", built, "--force").exit_code == ExitCode.OK


# --- stdout and stderr ------------------------------------------------------------------------------------


def test_diagnostics_go_to_stderr_and_results_to_stdout(root: Path, tmp_path: Path) -> None:
    with_warning(root)
    checked = run("validate", root)
    assert "warning: legislation[0]" in checked.stderr and "warning:" not in checked.stdout
    assert checked.stdout.strip().endswith("0 errors, 1 warning")
    built = run("build", root, "-o", tmp_path / "out")
    assert "warning: legislation[0]" in built.stderr and "warning" not in built.stdout
    assert built.stdout.startswith("Wrote ")
    status = run("status", root, "-o", tmp_path / "out")
    assert "warning: legislation[0]" in status.stderr and "All documents are current." in status.stdout


def test_quiet_says_only_what_went_wrong(root: Path, tmp_path: Path) -> None:
    clean = run("-q", "validate", root)
    assert clean.exit_code == 0 and clean.output == ""
    with_warning(root)
    assert run("validate", root, "--quiet").output == ""
    built = run("build", root, "-o", tmp_path / "out", "-q")
    assert built.exit_code == 0 and built.output == ""
    with_error(root)
    failed = run("validate", root, "-q")
    assert failed.exit_code == 1 and failed.stdout == ""
    assert "error: status:" in failed.stderr and "warning" not in failed.stderr


def test_verbose_names_every_file(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built = run("build", root, "-o", out, "-v")
    assert f"wrote {(out / 'agencies/north-council/privacy-notice.docx').as_posix()}" in built.stdout
    again = run("-v", "build", root, "-o", out)
    assert "unchanged: agencies/north-council/privacy-notice" in again.stdout
    checked = run("validate", root, "--verbose")
    assert f"checked {(root / A.COUNCIL).as_posix()}: 0 errors, 0 warnings" in checked.stdout


def test_h_is_help_everywhere() -> None:
    for args in (["-h"], ["build", "-h"], ["legislation", "check", "-h"], ["new", "agency", "-h"]):
        result = run(*args)
        assert result.exit_code == 0 and result.stdout.startswith("Usage:"), args


def test_no_color_turns_colour_off(root: Path) -> None:
    with_warning(root)
    coloured = run("validate", root, color=True)
    assert ANSI.search(coloured.stderr) and ANSI.search(coloured.stdout)
    plain = run("validate", root, color=True, env={"NO_COLOR": "1"})
    assert not ANSI.search(plain.output) and "warning: legislation[0]" in plain.stderr


# --- --json ---------------------------------------------------------------------------------------------


def test_validate_json_is_one_document_on_stdout(root: Path) -> None:
    with_warning(root)
    with_error(root)
    result = run("validate", root, "--json")
    assert result.exit_code == ExitCode.ERRORS
    body = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert body["ok"] is False and body["errors"] == 1 and body["warnings"] == 1
    assert body["files"] == {"agency": {"files": 3, "loaded": 2}, "panel": {"files": 1, "loaded": 1}}
    error = next(d for d in body["diagnostics"] if d["severity"] == "error")
    assert error == {"file": (root / A.CHARITY).as_posix(), "line": A.line_of(root, A.CHARITY, "status:"),
                     "field": "status", "severity": "error",
                     "message": "'volunteer' is not one of: statutory, voluntary, private",
                     "hint": "did you mean 'voluntary'?"}
    assert "error: status:" in result.stderr  # and, for people, on stderr as always


def test_status_json_lists_stale_documents_drafts_and_signoff(root: Path, built: Path) -> None:
    A.set_field(root, A.CHARITY, "description", "North Youth Trust runs a youth centre.")
    result = run("status", root, "-o", built, "--json")
    assert result.exit_code == ExitCode.STALE
    body = json.loads(result.stdout)
    assert body["current"] is False
    stale = {item["document"]: item["reasons"] for item in body["stale"]}
    assert "agencies/north-youth-trust/privacy-notice" in stale
    assert all(reasons for reasons in stale.values())
    assert {d["version"] for d in body["drafts"]} == {"1.0"} and body["edited"] == [] and body["signoff"] == []


def test_legislation_check_json(root: Path) -> None:
    with_warning(root)
    result = run("legislation", "check", root, "--json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["as_of"] == "2026-04-01"
    panel = [c for c in body["citations"] if c["file"] == (root / A.PANEL).as_posix()]
    assert [c["field"] for c in panel] == ["legislation[0]"] and "repealed; cite instead" in panel[0]["message"]
    assert panel[0]["line"] == A.line_of(root, A.PANEL, "data-protection-act-1998")
    text = run("legislation", "check", root)
    assert f"{len(body['citations'])} citation(s) to review" in text.stdout


def test_json_on_an_error_that_stops_the_command_is_still_one_document(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nowhere", "--json")
    assert result.exit_code == ExitCode.ERRORS
    body = json.loads(result.stdout)
    assert body["ok"] is False and "no such area folder" in body["error"]
    assert "no such area folder" in result.stderr


# --- legislation takes the area as the other commands do -----------------------------------------------------


def test_legislation_commands_take_area_as_an_argument(root: Path) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"citation": "CA 2004 s11 (local wording)"}})
    assert "CA 2004 s11 (local wording)" in run("legislation", "list", root).stdout
    assert "CA 2004 s11 (local wording)" in run("legislation", "show", "children-act-2004-s11", root).stdout
    missing = run("legislation", "list", root / "nowhere")
    assert missing.exit_code == ExitCode.ERRORS and "no such area folder" in missing.stderr


def test_legislation_commands_default_to_agency_profiles_like_the_others(root: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"citation": "CA 2004 s11 (local wording)"}})
    monkeypatch.chdir(tmp_path)
    assert "CA 2004 s11 (local wording)" not in run("legislation", "list").stdout  # no area here: bundled only
    root.rename(tmp_path / "agency_profiles")
    assert "CA 2004 s11 (local wording)" in run("legislation", "list").stdout
    assert run("legislation", "check").exit_code == 0
    assert run("validate").exit_code == 0


# --- schema --format text ---------------------------------------------------------------------------------


def test_schema_text_names_each_field_its_type_whether_required_and_its_help() -> None:
    result = run("schema", "agency", "--format", "text")
    assert result.exit_code == 0
    text = result.stdout
    assert "\nrecords.kinds (required): a list (at least 1), each item text\n" in text
    assert "    The kinds of information recorded.\n" in text
    assert "\nwebsite (optional): a web address (https://...)\n" in text
    assert "\nconsent_review_months (optional, default 12): a whole number from 1 to 36\n" in text
    assert "\nretention[].period (required): text\n" in text
    assert "\nstatus (required): one of: statutory, voluntary, private\n" in text
    area = run("schema", "area", "--format", "text").stdout
    assert "\nissue_date (required): a date, written YYYY-MM-DD\n" in area
    assert "\nreference_prefix (optional): " in area and "Required when the area has panels" in area


def test_schema_text_covers_every_field_of_the_json_schema() -> None:
    body = json.loads(run("schema", "panel").stdout)
    text = run("schema", "panel", "--format", "text").stdout
    for name, prop in body["properties"].items():
        state = "required" if name in body["required"] else "optional"
        assert re.search(rf"^{name} \({state}[,)]", text, re.M), name
        if prop.get("description"):
            assert " ".join(prop["description"].split()[:4]) in " ".join(text.split())


def test_schema_text_into_a_folder(tmp_path: Path) -> None:
    result = run("schema", "--format", "text", "--out", tmp_path / "s")
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "agency.schema.txt", "area.schema.txt", "legislation.schema.txt", "panel.schema.txt"]
    assert "<key>.status (optional): one of: in_force" in (tmp_path / "s" / "legislation.schema.txt").read_text()


# --- the Python API ---------------------------------------------------------------------------------------


def test_the_api_validate_includes_the_signoff_register(root: Path) -> None:
    A.write_yaml(root, "signoff.yaml", {"signatures": [{"document": "panels/early-help/protocol", "version": "1.0",
                                                         "controller": "north-council", "signatory": "Director",
                                                         "date": "20/04/2026"}]})
    loaded = protocolgen.validate(root)
    assert isinstance(loaded, protocolgen.LoadedArea)
    assert [(d.file, d.field) for d in loaded.errors] == [("signoff.yaml", "signatures[0].date")]
    assert "YYYY-MM-DD" in loaded.errors[0].message


def test_the_api_build_status_and_issue(root: Path, tmp_path: Path) -> None:
    options = protocolgen.BuildOptions(area_dir=root, out_dir=tmp_path / "out")
    first = protocolgen.build(options)
    assert isinstance(first, protocolgen.BuildResult) and first.written and not first.edited
    report = protocolgen.status(options)
    assert isinstance(report, protocolgen.Status) and report.current and len(report.drafts) == first.documents
    stale, edited, warnings = report  # the form of 0.1 still unpacks
    assert (stale, edited, warnings) == ([], [], [])
    issued = protocolgen.issue(options, when=date(2026, 4, 20))
    assert {c.new_version for c in issued.changes} == {"1.0"}
    assert protocolgen.status(options).drafts == []
    with_error(root)
    with pytest.raises(protocolgen.ValidationFailed) as caught:
        protocolgen.build(options)
    assert any(d.field == "status" for d in caught.value.diagnostics)


def test_the_readme_api_example_runs_as_written(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = re.search(r"^## The Python API\n.*?```python\n(.*?)```", README, re.S | re.M)
    assert block is not None, "README has no Python API example"
    root.rename(tmp_path / "agency_profiles")
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "README.md", "exec"), {})  # the example asserts what it shows
    assert (tmp_path / "output" / "index.html").is_file()


def test_the_package_is_typed_and_does_not_need_python_docx() -> None:
    assert (ROOT / "protocolgen" / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["protocolgen"]
    runtime = [dep.split(">")[0].split("=")[0] for dep in project["project"]["dependencies"]]
    assert "python-docx" not in runtime
    assert any(dep.startswith("python-docx") for dep in project["project"]["optional-dependencies"]["test"])
    # A whole build imports nothing from python-docx (the writer makes Office Open XML with lxml).
    code = ("import sys, tempfile, pathlib, protocolgen; sys.path.insert(0, 'tests'); import arealib; "
            "t = pathlib.Path(tempfile.mkdtemp()); a = arealib.write_area(t / 'a'); "
            "protocolgen.build(protocolgen.BuildOptions(area_dir=a, out_dir=t / 'o')); "
            "print(sorted(m for m in sys.modules if m == 'docx' or m.startswith('docx.')))")
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert found.stdout.strip() == "[]"
    how = README.split("## How it works")[1].split("\n## ")[0]
    assert "with python-docx" not in how and "own Office Open XML writer" in how  # what writes the documents


def test_a_reader_that_stops_reading_is_no_error(tmp_path: Path) -> None:
    """`protocolgen schema | head -1`: the reader has gone when protocolgen writes; it exits 141, as a command
    stopped by SIGPIPE does, with nothing on stderr (no 'error: Broken pipe', no traceback)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before protocolgen writes a word
    proc = subprocess.Popen([sys.executable, "-m", "protocolgen", "schema"], stdout=write_end,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    os.close(write_end)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) == ExitCode.OUTPUT_CLOSED
    assert stderr == ""
