"""The coverage report: computed from the rendered documents, so a template that drops a required section, or a
section left empty, shows up as missing; ``build --strict`` then fails naming them, and writes nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from protocolgen import coverage
from protocolgen.cli import main
from protocolgen.render import bundled_templates

EXAMPLE = Path(__file__).resolve().parent.parent / "agency_profiles"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_example_document_covers_every_required_item(built: Path) -> None:
    report = json.loads((built / "coverage.json").read_text(encoding="utf-8"))
    assert report["missing"] == []
    kinds = {doc["kind"] for doc in report["documents"].values()}
    assert kinds == set(coverage.REQUIRED)
    notice = report["documents"]["panels/early-help/privacy-notice"]
    items = {row["item"]: row["covered_by"] for row in notice["items"]}
    assert items["transfers"] == "Sending information outside the UK"
    assert items["membership"] == "Who sits on the panel"  # Case Example 19 as well as Articles 13 and 14
    assert set(items) == {i.id for i in coverage.REQUIRED["panel-notice"]}
    assert "61 of 61 cover every required item" in (built / "coverage.md").read_text(encoding="utf-8")


def test_index_shows_coverage_at_a_glance(built: Path) -> None:
    index = (built / "index.html").read_text(encoding="utf-8")
    assert index.count("covers all") == len(json.loads((built / "coverage.json").read_text())["documents"])


def without_section(item: str, template: str, folder: Path) -> Path:
    """A copy of a bundled template with the section tagged ``item`` cut out (heading and body)."""
    text = (bundled_templates() / template).read_text(encoding="utf-8")
    start = text.index(f'{{{{ covers("{item}") }}}}')
    end = text.index("{{ covers(", start + 1)
    folder.mkdir(exist_ok=True)
    (folder / template).write_text(text[:start] + text[end:], encoding="utf-8")
    return folder


def test_a_template_that_drops_transfers_makes_it_missing_for_every_panel_notice(tmp_path: Path) -> None:
    templates = without_section("transfers", "panel-notice.md.j2", tmp_path / "templates")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "-o", str(out), "--templates", str(templates)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    panels = sorted(p.stem for p in (EXAMPLE / "panels").glob("*.yaml"))
    assert report["missing"] == [f"panels/{p}/privacy-notice: transfers" for p in panels]
    assert "does not cover transfers outside the UK" in result.output  # a warning naming the document
    assert "MISSING 1 of" in (out / "index.html").read_text(encoding="utf-8")


def test_strict_build_fails_naming_the_gaps_and_writes_nothing(tmp_path: Path) -> None:
    templates = without_section("transfers", "panel-notice.md.j2", tmp_path / "templates")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "-o", str(out), "--templates", str(templates),
                                       "--strict"])
    assert result.exit_code != 0
    named = re.findall(r"panels/([a-z-]+)/privacy-notice\.docx: does not cover transfers", result.output)
    assert sorted(named) == sorted(p.stem for p in (EXAMPLE / "panels").glob("*.yaml"))
    assert not out.exists() or not any(out.iterdir())


def test_an_empty_section_counts_as_missing() -> None:
    markdown = "{#cov-transfers}\n## Sending information outside the UK\n\n{#cov-rights}\n## Your rights\n\nYou can ask.\n"
    report = coverage.check("x", "agency-notice", markdown)
    found = {f.item.id: f for f in report.found}
    assert not found["transfers"].covered and found["transfers"].reason == "section is empty"
    assert found["rights"].covered and found["rights"].heading == "Your rights"
    assert not found["controller"].covered and found["controller"].reason == "no section"


def test_a_subsection_belongs_to_its_section_but_the_next_section_ends_it() -> None:
    markdown = "{#cov-purposes}\n## Why\n\n### Detail\n\nText.\n\n## Next\n\nMore.\n"
    assert coverage.sections(markdown) == {"purposes": ("Why", True)}
    markdown = "{#cov-purposes}\n## Why\n\n## Next\n\nMore.\n"
    assert coverage.sections(markdown) == {"purposes": ("Why", False)}


def test_coverage_is_kept_for_documents_a_rebuild_does_not_touch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    area = Path(shutil.copytree(EXAMPLE, tmp_path / "area"))
    assert CliRunner().invoke(main, ["build", str(area), "-o", str(out)]).exit_code == 0
    first = (out / "coverage.json").read_bytes()
    assert CliRunner().invoke(main, ["build", str(area), "-o", str(out)]).exit_code == 0
    assert (out / "coverage.json").read_bytes() == first
