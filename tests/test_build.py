"""Builds end to end on the bundled example area: outputs, determinism, incremental rebuilds, change reports,
hand-edit protection, crash recovery and the law as of a date."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner
from office import convert_to_pdf, needs_soffice

from protocolgen import BuildOptions, build, status
from protocolgen.cli import main
from protocolgen.commands.issue import issue
from protocolgen.manifest import BACKUP_NAME, MANIFEST_NAME

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "agency_profiles"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    build(BuildOptions(area_dir=EXAMPLE, out_dir=out))
    return out


@pytest.fixture()
def area(tmp_path: Path) -> Path:
    copy = tmp_path / "area"
    shutil.copytree(EXAMPLE, copy)
    return copy


def _manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _profile(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _is_processor(agency: dict) -> bool:
    # read from the profile itself, not from resolve, so the test does not just repeat the code it checks
    return bool(agency.get("contracted_by")) and agency.get("contract_role") != "independent_controller"


def test_build_writes_every_document_of_the_table(built: Path) -> None:
    panels = {p.stem: _profile(p) for p in sorted((EXAMPLE / "panels").glob("*.yaml"))}
    agencies = {p.stem: _profile(p) for p in sorted((EXAMPLE / "agencies").glob("*.yaml"))}
    assert len(panels) >= 4 and len(agencies) >= 14
    asking = {ident for ident, panel in panels.items() if panel["consent"]["approach"] != "not_sought"}
    processors = {ident for ident, agency in agencies.items() if _is_processor(agency)}
    assert asking and asking != set(panels) and processors  # the example shows both sides of each rule
    expected: set[str] = set()
    for ident in panels:
        expected |= {f"panels/{ident}/{name}" for name in (
            "protocol.docx", "privacy-notice.docx", "privacy-notice.html", "young-people.docx", "young-people.html",
            "decision-record.docx")}
        if ident in asking:  # a panel that never asks for agreement has no consent form to ask it with
            expected.add(f"panels/{ident}/consent-form.docx")
    for ident in agencies:
        expected |= {f"agencies/{ident}/privacy-notice.docx", f"agencies/{ident}/privacy-notice.html"}
        if ident not in processors:  # a processor asks no one's agreement: its controller does
            expected.add(f"agencies/{ident}/consent-form.docx")
    written = {p.relative_to(built).as_posix() for p in built.rglob("*")
               if p.is_file() and p.parts[len(built.parts)] in ("panels", "agencies")}
    assert written == expected
    index = (built / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in index
    for rel in expected:
        assert f'href="{rel}"' in index, rel


def test_documents_open_and_carry_their_title(built: Path) -> None:
    document = docx.Document(str(built / "panels" / "complex-needs" / "protocol.docx"))
    assert document.core_properties.title.endswith("information sharing protocol")
    assert document.paragraphs[0].text == document.core_properties.title
    issue_date = _profile(EXAMPLE / "area.yaml")["issue_date"]
    assert document.core_properties.created.date() == issue_date


def test_same_inputs_give_identical_bytes(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(BuildOptions(area_dir=EXAMPLE, out_dir=again))
    assert _files(again) == _files(built)


def test_no_op_build_writes_nothing_and_says_so(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output and "nothing was written" in result.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def _change_title(area: Path, key: str, title: str) -> None:
    (area / "legislation.yaml").write_text(yaml.safe_dump({key: {"title": title}}), encoding="utf-8")


def test_changing_one_legislation_entry_rebuilds_exactly_the_documents_citing_it(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    key = "crime-and-disorder-act-1998-s115"
    build(BuildOptions(area_dir=area, out_dir=out))
    issue(BuildOptions(area_dir=area, out_dir=out))
    first = _manifest(out)
    citing = {doc for doc, rec in first.items() if "title" in rec["cites"].get(key, [])}
    in_scope = {doc for doc, rec in first.items() if key in rec["inputs"]["legislation-in-scope"]}
    # Some documents have the entry in scope but never print it (the young people's versions): they stay.
    assert citing and citing < in_scope and len(citing) < len(first)
    before = _files(out)

    _change_title(area, key, "Crime and Disorder Act 1998 (as renamed in this test)")
    stale, edited, _ = status(BuildOptions(area_dir=area, out_dir=out))
    assert {s.id for s in stale} == citing and not edited
    assert all(f"legislation {key}: title changed" in s.reasons for s in stale)
    result = CliRunner().invoke(main, ["status", str(area), "-o", str(out)])
    assert result.exit_code == 1 and f"legislation {key}: title changed" in result.output

    build(BuildOptions(area_dir=area, out_dir=out))
    after = _files(out)
    changed_docs = {rel.rsplit(".", 1)[0] for rel in after if rel in before and after[rel] != before[rel]}
    assert changed_docs - {"changes", "index", MANIFEST_NAME.rsplit(".", 1)[0], BACKUP_NAME.rsplit(".", 1)[0]} == citing
    second = _manifest(out)
    for doc in citing:
        # A draft of the next version; the issued version stays on record until the draft is issued.
        assert (second[doc]["version"], second[doc]["status"], second[doc]["issued"]["version"]) == ("1.1", "draft",
                                                                                                       "1.0")
        assert second[doc]["change_kind"] == "minor"
        # The version history speaks the reader's language: the Act's citation, not the register key.
        assert [c["short"] for c in second[doc]["changes"]] == ["Crime and Disorder Act 1998, section 115: title changed"]
    for doc in set(first) - citing:
        assert (second[doc]["version"], second[doc]["status"]) == ("1.0", "issued")
    report = (out / "changes.md").read_text(encoding="utf-8")
    assert ("- Crime and Disorder Act 1998, section 115: title: Crime and Disorder Act 1998 → “Crime and Disorder Act "
            "1998 (as renamed in this test)”") in report
    assert "changes.docx" in os.listdir(out)
    # The protocol's version history table gained a draft row for 1.1.
    protocol = next(d for d in sorted(citing) if d.endswith("/protocol"))
    rows = [[cell.text for cell in row.cells] for row in docx.Document(str(out / f"{protocol}.docx")).tables[-1].rows]
    assert rows[-1][0] == "1.1" and rows[-1][2] == "Draft: Crime and Disorder Act 1998, section 115: title changed."
    assert CliRunner().invoke(main, ["status", str(area), "-o", str(out)]).exit_code == 0


def test_membership_change_is_explained(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    agencies = sorted((area / "agencies").glob("*.yaml"))
    panel = "hospital-mdt" if (area / "panels" / "hospital-mdt.yaml").exists() else sorted(
        (area / "panels").glob("*.yaml"))[0].stem
    joiner = next(p for p in agencies
                  if panel not in {m["panel"] for m in yaml.safe_load(p.read_text())["panels"]}
                  and yaml.safe_load(p.read_text())["status"] == "statutory")
    data = yaml.safe_load(joiner.read_text())
    data["panels"].append({"panel": panel, "role": "member", "representative": "Team manager"})
    joiner.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    stale, _, _ = status(BuildOptions(area_dir=area, out_dir=out))
    reasons = {s.id: s.reasons for s in stale}
    assert f"agency {data['id']}: joined the panel as member" in reasons[f"panels/{panel}/protocol"]


def test_hand_edited_document_survives_and_force_keeps_a_backup(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    target = out / "panels" / "complex-needs" / "protocol.docx"
    edited = target.read_bytes() + b"hand edit"
    target.write_bytes(edited)
    area_file = area / "area.yaml"
    data = yaml.safe_load(area_file.read_text())
    data["signed_copy_location"] = "The partnership office safe, second floor"
    area_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert "panels/complex-needs/protocol.docx" in result.edited
    assert target.read_bytes() == edited
    assert any(rel.startswith("panels/early-help/") or rel.startswith("panels/") for rel in result.written)

    result = build(BuildOptions(area_dir=area, out_dir=out, force=True))
    assert target.read_bytes() != edited
    backups = list(target.parent.glob("protocol.edited-*.docx"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_build_killed_midway_recovers_on_next_run(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        import protocolgen.manifest as manifest
        from protocolgen import BuildOptions, build
        build_module = sys.modules['protocolgen.build']
        real = manifest.atomic_write
        count = 0
        def dying_write(path, data):
            global count
            count += 1
            if count == 20:
                os.kill(os.getpid(), signal.SIGKILL)
            real(path, data)
        build_module.atomic_write = dying_write
        build(BuildOptions(area_dir=Path({str(area)!r}), out_dir=Path({str(out)!r})))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert not (out / MANIFEST_NAME).exists()
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert result.edited == []
    reference = tmp_path / "reference"
    build(BuildOptions(area_dir=area, out_dir=reference))
    assert _files(out) == _files(reference)


def test_corrupt_manifest_means_rebuild_with_a_warning(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    (out / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "could not be read" in result.output and "used its backup copy" in result.output
    assert "No changes" in result.output  # the backup copy knew every document
    (out / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    (out / BACKUP_NAME).unlink()
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "could not be read" in result.output and "rebuilding every document" in result.output
    assert json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]


def test_area_with_errors_writes_nothing(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (area / "panels" / "broken.yaml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out)])
    assert result.exit_code == 1
    assert "broken.yaml" in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_only_builds_a_subset_and_emit_markdown_keeps_markdown(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out), "--only", "panel:complex-needs",
                                       "--emit-markdown"])
    assert result.exit_code == 0, result.output
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert "panels/complex-needs/protocol.md" in written
    assert not any(rel.startswith("agencies/") for rel in written)
    assert not any(rel.startswith("panels/") and not rel.startswith("panels/complex-needs/") for rel in written)
    bad = CliRunner().invoke(main, ["build", str(area), "-o", str(out), "--only", "complex-needs"])
    assert bad.exit_code == 2 and "panel:<id>" in bad.output


def _text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_as_of_states_the_law_on_that_date(area: Path, tmp_path: Path) -> None:
    def bases(profile: dict) -> list[str]:  # each basis is a mapping {basis, purpose, ...} or a bare name
        return [b if isinstance(b, str) else b["basis"] for b in profile.get("uk_gdpr_bases", [])]

    voluntary = next(p.stem for p in sorted((area / "agencies").glob("*.yaml"))
                     if _profile(p)["status"] == "voluntary"
                     and "recognised_legitimate_interest" in bases(_profile(p)))
    data = yaml.safe_load((area / "agencies" / f"{voluntary}.yaml").read_text())
    data["uk_gdpr_bases"] = []  # let the date decide
    (area / "agencies" / f"{voluntary}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    before, after = tmp_path / "before", tmp_path / "after"
    build(BuildOptions(area_dir=area, out_dir=before, only=(f"agency:{voluntary}",),
                       as_of=__import__("datetime").date(2026, 1, 15)))
    build(BuildOptions(area_dir=area, out_dir=after, only=(f"agency:{voluntary}",)))
    old = _text(before / "agencies" / voluntary / "privacy-notice.docx").lower()
    new = _text(after / "agencies" / voluntary / "privacy-notice.docx").lower()
    assert "recognised legitimate interest" not in old
    assert "recognised legitimate interest" in new


@needs_soffice
def test_every_document_converts_to_pdf_in_libreoffice(built: Path, tmp_path: Path) -> None:
    documents = sorted(built.rglob("*.docx"))
    pdf_dir = tmp_path / "pdf"
    pdf_dir.mkdir()
    proc = convert_to_pdf(documents, pdf_dir, timeout=900)
    pdfs = list(pdf_dir.glob("*.pdf"))
    # Output names collide (privacy-notice.pdf from many folders), so count conversions in the log instead.
    assert proc.stdout.count("convert ") == len(documents), proc.stdout[-2000:]
    assert pdfs and all(p.stat().st_size > 1000 for p in pdfs)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_progress_bar_runs_on_a_terminal(tmp_path: Path) -> None:
    import pty

    out = tmp_path / "out"
    pid, fd = pty.fork()
    if pid == 0:  # the child: a build whose stderr is a terminal
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "protocolgen", "build", str(EXAMPLE), "-o", str(out),
                                  "--only", "panel:complex-needs"])
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status_code = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status_code) == 0, text
    assert "Rendering" in text and "100%" in text
    assert "Wrote" in text


def test_a_deleted_document_comes_back_unchanged_at_the_same_version(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    target = out / "panels" / "early-help" / "young-people.docx"
    original = target.read_bytes()
    target.unlink()
    assert "panels/early-help/young-people.docx is missing" in {
        reason for doc in status(BuildOptions(area_dir=area, out_dir=out))[0] for reason in doc.reasons
    }
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert result.written == ["panels/early-help/young-people.docx"]
    assert target.read_bytes() == original
    assert result.changes == []
    assert _manifest(out)["panels/early-help/young-people"]["version"] == "1.0"


def test_a_hand_edited_index_is_kept_until_forced(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    index = out / "index.html"
    edited = index.read_text(encoding="utf-8").replace("<h1>", "<h1>Our partnership: ")
    index.write_text(edited, encoding="utf-8")
    _edit_yaml(area / "panels" / "early-help.yaml", name="Westmarsh Early Help Panel")

    assert "index.html" in status(BuildOptions(area_dir=area, out_dir=out))[1]
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert "index.html" in result.edited and index.read_text(encoding="utf-8") == edited
    assert "panels/early-help/protocol.docx" in result.written

    result = build(BuildOptions(area_dir=area, out_dir=out, force=True))
    assert "Westmarsh Early Help Panel" in index.read_text(encoding="utf-8")
    backups = list(out.glob("index.edited-*.html"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == edited


def _edit_yaml(path: Path, **fields: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_plain_house_style_document_can_be_the_reference(area: Path, tmp_path: Path) -> None:
    house = tmp_path / "house.docx"
    plain = docx.Document()
    plain.styles["Heading 1"].font.name = "Georgia"
    plain.save(str(house))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out), "--reference-docx", str(house),
                                       "--only", "panel:complex-needs"])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out / "panels" / "complex-needs" / "protocol.docx"))
    assert document.styles["Heading 1"].font.name == "Georgia"
    assert any(p.style.name == "Heading 1" for p in document.paragraphs)
    # Changing the house style re-issues the documents, and says why.
    plain.styles["Heading 1"].font.name = "Verdana"
    plain.save(str(house))
    stale, _, _ = status(BuildOptions(area_dir=area, out_dir=out, only=("panel:complex-needs",),
                                      reference_docx=house))
    assert stale and all("house style (reference .docx) changed" in s.reasons for s in stale)


def test_a_file_that_cannot_be_replaced_is_a_clear_error_and_the_next_build_recovers(
    area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import protocolgen.manifest as manifest_module

    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    _edit_yaml(area / "panels" / "early-help.yaml", name="Westmarsh Early Help Panel")
    real_replace = os.replace

    def locked(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == "privacy-notice.docx":  # as when Word holds the document open on Windows
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(manifest_module.os, "replace", locked)
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "cannot write" in result.output and "open in Word" in result.output and "Traceback" not in result.output
    assert not list(out.rglob(".*.tmp"))
    monkeypatch.setattr(manifest_module.os, "replace", real_replace)
    assert build(BuildOptions(area_dir=area, out_dir=out)).edited == []
    assert CliRunner().invoke(main, ["status", str(area), "-o", str(out)]).exit_code == 0
