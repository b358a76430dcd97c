"""An area's own web page shell: ``page.html.j2`` in its ``--templates`` folder wraps every web page."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from protocolgen.cli import main
from protocolgen.render import bundled_templates

EXAMPLE = Path(__file__).resolve().parent.parent / "agency_profiles"


def test_an_areas_page_shell_is_used_for_its_web_pages(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    shell = (bundled_templates() / "page.html.j2").read_text(encoding="utf-8")
    marker = "<!-- Westmarsh house header -->"
    assert "<body" in shell
    (templates / "page.html.j2").write_text(shell.replace("<body", marker + "\n<body", 1), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "-o", str(out), "--templates", str(templates),
                                       "--only", "panel:early-help"])
    assert result.exit_code == 0, result.output
    page = (out / "panels" / "early-help" / "privacy-notice.html").read_text(encoding="utf-8")
    assert marker in page and "Westmarsh Early Help Allocation Panel" in page


def test_a_broken_page_shell_is_a_template_error(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html.j2").write_text("{% if %}", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "-o", str(tmp_path / "out"), "--templates",
                                       str(templates), "--only", "panel:early-help"])
    assert result.exit_code != 0 and "page.html.j2" in result.output and "Traceback" not in result.output
