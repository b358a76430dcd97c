"""The output folder under faults: links, locks, folders in the way, damaged manifests, interrupted builds,
hand-edited review copies, and everything a document prints counted in its fingerprint."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import arealib as A
import docx
import pytest
from click.testing import CliRunner

from protocolgen import BuildOptions, build, status
from protocolgen.cli import main
from protocolgen.errors import OutputProblem
from protocolgen.manifest import BACKUP_NAME, JOURNAL_NAME, MANIFEST_NAME
from protocolgen.outdir import LOCK_NAME

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = "panels/early-help/protocol.docx"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links and SIGKILL as on POSIX")


@pytest.fixture()
def area(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and not p.is_symlink()}


def _cli(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


# --- where OUT may be ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["the area", "inside the area", "around the area"])
def test_out_may_not_be_the_area_nor_inside_it_nor_around_it(area: Path, where: str) -> None:
    out = {"the area": area, "inside the area": area / "output", "around the area": area.parent}[where]
    before = sorted(p.relative_to(area.parent) for p in area.parent.rglob("*"))
    code, output = _cli("build", area, "-o", out)
    assert code == 1
    assert {"the area": "is the area folder", "inside the area": "is inside the area folder",
            "around the area": "is inside the output folder"}[where] in output
    assert sorted(p.relative_to(area.parent) for p in area.parent.rglob("*")) == before  # nothing written


@posix_only
def test_a_dangling_link_as_out_is_said_as_such(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.symlink_to(tmp_path / "nowhere")
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and "is a symbolic link to" in output and "which does not exist" in output
    assert "File exists" not in output


def test_a_file_as_out_is_refused(area: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x", encoding="utf-8")
    code, output = _cli("build", area, "-o", tmp_path / "out")
    assert code == 1 and "exists and is not a folder" in output


def test_an_area_with_errors_leaves_no_output_folder(area: Path, tmp_path: Path) -> None:
    A.set_field(area, A.PANEL, "kind", "nonsense")
    code, _ = _cli("build", area, "-o", tmp_path / "out")
    assert code == 1 and not (tmp_path / "out").exists()


# --- links inside OUT ------------------------------------------------------------------------------------


@posix_only
def test_a_link_inside_out_is_never_followed(area: Path, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "panels").symlink_to(elsewhere, target_is_directory=True)
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and f"{out / 'panels'}: is a link" in output and "never reads or writes through a link" in output
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_force_on_a_linked_index_copies_nothing_from_elsewhere(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    secret = tmp_path / "secret.txt"
    secret.write_text("private key", encoding="utf-8")
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(secret)
    A.set_field(area, A.PANEL, "name", "North Early Help Panel (renamed)")
    code, output = _cli("build", area, "-o", out, "--force")
    assert code == 1 and "index.html: is a link" in output
    assert not any(b"private key" in data for data in _files(out).values())
    assert secret.read_text(encoding="utf-8") == "private key"


@posix_only
def test_a_link_left_where_a_temporary_file_goes_is_refused(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (out / ".index.html.tmp").symlink_to(victim)
    A.set_field(area, A.PANEL, "name", "North Early Help Panel (renamed)")
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and ".index.html.tmp: is a link" in output
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_folder_where_a_document_goes_is_named(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / PROTOCOL).mkdir(parents=True)
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and f"{out / PROTOCOL}: is a folder where protocolgen writes a file" in output
    assert not (out / MANIFEST_NAME).exists()


def test_a_file_where_a_folder_goes_is_named(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "panels").write_text("x", encoding="utf-8")
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and f"{out / 'panels'}: is a file where protocolgen needs a folder" in output


def test_a_read_only_output_folder_is_said_in_words(area: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import protocolgen.manifest as manifest_module

    def read_only(src: object, dst: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(manifest_module.os, "replace", read_only)
    code, output = _cli("build", area, "-o", tmp_path / "out")
    assert code == 1 and "the folder is on a read-only disk" in output and "open in Word" not in output


def test_schema_out_below_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, output = _cli("schema", "--out", tmp_path / "file" / "schemas")
    assert code == 1 and "a file stands where protocolgen needs a folder" in output


def test_interrupting_a_build_says_what_is_kept(area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_module = sys.modules["protocolgen.build"]

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "add_to_journal", interrupted)
    code, output = _cli("build", area, "-o", tmp_path / "out")
    assert code == 130 and "interrupted: files already written are kept" in output
    assert not (tmp_path / "out" / LOCK_NAME).exists()


# --- one build at a time -------------------------------------------------------------------------------


def _lock(out: Path, pid: int, host: str | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    body = {"pid": pid, "host": host or socket.gethostname(), "started": "2026-04-01 09:00:00"}
    (out / LOCK_NAME).write_text(json.dumps(body), encoding="utf-8")


def test_a_second_build_is_told_who_holds_the_folder(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _lock(out, os.getpid())  # a process that is certainly running
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and f"another protocolgen build (process {os.getpid()} on" in output
    assert "Is it open in Word" not in output and f"delete {out / LOCK_NAME}" in output
    assert not (out / MANIFEST_NAME).exists()


def test_a_lock_held_on_another_computer_is_respected(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _lock(out, 1, host="another-computer.example")
    code, output = _cli("build", area, "-o", out)
    assert code == 1 and "on another-computer.example" in output


def test_a_lock_left_by_a_stopped_build_is_taken_over(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    _lock(out, int(finished.stdout))  # that process has ended
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert PROTOCOL in result.written and not (out / LOCK_NAME).exists()


# --- the journal accumulates --------------------------------------------------------------------------


class _Stop(Exception):
    """Stands for the process being killed midway through writing."""


def _build_stopped_after(area: Path, out: Path, writes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import protocolgen.manifest as manifest_module

    build_module = sys.modules["protocolgen.build"]
    real = manifest_module.atomic_write
    count = {"n": 0}

    def dying(path: Path, data: bytes) -> None:
        count["n"] += 1
        if count["n"] > writes:
            raise _Stop
        real(path, data)

    with monkeypatch.context() as patch:
        patch.setattr(build_module, "atomic_write", dying)
        patch.setattr(manifest_module, "atomic_write", dying)
        with pytest.raises(_Stop):
            build(BuildOptions(area_dir=area, out_dir=out))


def test_two_interrupted_builds_in_a_row_lose_nothing(area: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    A.set_field(area, A.PANEL, "name", "North Early Help Panel One")
    _build_stopped_after(area, out, 4, monkeypatch)  # the journal and three documents written
    A.set_field(area, A.PANEL, "name", "North Early Help Panel Two")
    _build_stopped_after(area, out, 1, monkeypatch)  # only the journal: the first build's files stay
    journal = json.loads((out / JOURNAL_NAME).read_text(encoding="utf-8"))
    assert any(len(hashes) == 2 for hashes in journal.values())  # both builds' hashes, not just the last
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert result.edited == [], result.edited
    clean = tmp_path / "clean"
    build(BuildOptions(area_dir=area, out_dir=clean))
    ours = {k: v for k, v in _files(out).items() if not k.startswith(".")}
    assert {k: v for k, v in _files(clean).items() if not k.startswith(".")}.keys() == ours.keys()
    assert not (out / JOURNAL_NAME).exists() and not (out / LOCK_NAME).exists()


@posix_only
@pytest.mark.parametrize("kill_at", ["1", "2", "5", "9", "13", MANIFEST_NAME, BACKUP_NAME])
def test_sigkill_at_any_point_then_a_rebuild_finishes_the_work(area: Path, tmp_path: Path, kill_at: str) -> None:
    """Killed at the n-th file written (the journal is the first), or as it writes the manifest or its copy."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    build(BuildOptions(area_dir=area, out_dir=out))
    build(BuildOptions(area_dir=area, out_dir=clean))
    A.set_field(area, A.AREA, "name", "North Safeguarding Children Partnership (renamed)")
    assert A.killed_build(area, out, kill_at)
    assert (out / LOCK_NAME).exists()  # left behind by the killed build
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert result.edited == []
    build(BuildOptions(area_dir=area, out_dir=clean))

    def documents(folder: Path) -> dict[str, bytes]:
        return {rel: data for rel, data in _files(folder).items() if not rel.startswith(".")}

    assert documents(out) == documents(clean)
    stale, edited, _ = status(BuildOptions(area_dir=area, out_dir=out))
    assert stale == [] and edited == []
    assert not (out / LOCK_NAME).exists() and not (out / JOURNAL_NAME).exists()


# --- review copies (--emit-markdown) are protected like documents --------------------------------------


def test_a_hand_edited_review_copy_is_kept_and_forced_with_a_backup(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out, emit_markdown=True))
    review = out / "panels/early-help/protocol.md"
    review.write_text(review.read_text(encoding="utf-8") + "\nMy own note.\n", encoding="utf-8")
    edited = review.read_bytes()
    A.set_field(area, A.PANEL, "name", "North Early Help Panel (renamed)")
    code, output = _cli("build", area, "-o", out, "--emit-markdown")
    assert code == 4 and "edited by hand" in output and str(review.as_posix()) in output  # 4: held back
    assert review.read_bytes() == edited
    _stale, hand, _ = status(BuildOptions(area_dir=area, out_dir=out))
    assert "panels/early-help/protocol.md" in hand
    code, output = _cli("build", area, "-o", out, "--emit-markdown", "--force")
    assert code == 0 and b"My own note." not in review.read_bytes()
    assert [p.read_bytes() for p in review.parent.glob("protocol.edited-*.md")] == [edited]


# --- everything a document prints is part of its fingerprint -------------------------------------------


@pytest.mark.parametrize(("field", "value", "printed"), [
    ("reference_prefix", "NSCP-NEW", "NSCP-NEW-EARLY-HELP"),
    ("issue_date", "2026-05-01", "1 May 2026"),
])
def test_a_change_printed_only_in_the_footer_reissues_the_document(area: Path, tmp_path: Path, field: str,
                                                                    value: str, printed: str) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    A.set_field(area, A.AREA, field, value)
    stale, _, _ = status(BuildOptions(area_dir=area, out_dir=out))
    assert "panels/early-help/protocol" in {s.id for s in stale}
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert "panels/early-help/protocol" in {c.id for c in result.changes}
    assert printed in A.docx_text(out / PROTOCOL)
    assert status(BuildOptions(area_dir=area, out_dir=out))[0] == []


def test_a_new_house_style_reaches_documents_whose_markdown_is_unchanged(area: Path, tmp_path: Path) -> None:
    house = tmp_path / "house.docx"
    # A house style made from the bundled reference document, so that its page is the one the documents are laid
    # out for (A4): only the heading font differs between the two builds.
    plain = docx.Document(str(ROOT / "protocolgen" / "templates" / "reference.docx"))
    plain.styles["Heading 1"].font.name = "Georgia"
    plain.save(str(house))
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out, reference_docx=house))
    plain.styles["Heading 1"].font.name = "Verdana"
    plain.save(str(house))
    build(BuildOptions(area_dir=area, out_dir=out, reference_docx=house))
    assert docx.Document(str(out / PROTOCOL)).styles["Heading 1"].font.name == "Verdana"
    assert status(BuildOptions(area_dir=area, out_dir=out, reference_docx=house))[0] == []


# --- a manifest edited by hand or damaged ---------------------------------------------------------------


def _edit_manifest(out: Path, change: object) -> None:
    for name in (MANIFEST_NAME, BACKUP_NAME):
        data = json.loads((out / name).read_text(encoding="utf-8"))
        change(data)  # type: ignore[operator]
        (out / name).write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("damage", ["path-outside", "javascript-link", "absolute-path", "wrong-shape", "bad-hash",
                                    "history-not-a-list", "bad-version", "not-a-mapping", "reports-outside"])
def test_a_hand_edited_manifest_never_reaches_outside_out_nor_crashes(area: Path, tmp_path: Path, damage: str) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    outside = tmp_path / "outside.docx"
    outside.write_bytes(b"not ours")

    def change(data: dict) -> None:
        record = data["documents"]["panels/early-help/protocol"]
        digest = next(iter(record["files"].values()))
        if damage == "path-outside":
            record["files"] = {"../outside.docx": digest}
        elif damage == "javascript-link":
            record["files"] = {"javascript:alert(document.domain)//.docx": digest}
        elif damage == "absolute-path":
            record["files"] = {str(outside): digest}
        elif damage == "wrong-shape":
            record["files"] = ["panels/early-help/protocol.docx"]
        elif damage == "bad-hash":
            record["files"] = {"panels/early-help/protocol.docx": 42}
        elif damage == "history-not-a-list":
            record["history"] = "1.0"
        elif damage == "bad-version":
            record["version"] = {"major": 1}
        elif damage == "not-a-mapping":
            data["documents"]["panels/early-help/protocol"] = [1, 2]
        elif damage == "reports-outside":
            data["reports"] = {"../outside.docx": digest, "index.html": "x"}

    _edit_manifest(out, change)
    A.set_field(area, A.PANEL, "name", "North Early Help Panel (renamed)")
    code, output = _cli("status", area, "-o", out)
    assert code in (0, 1, 3)  # 3: stale (ExitCode.STALE)
    code, output = _cli("build", area, "-o", out)
    assert code == 0, output
    assert outside.read_bytes() == b"not ours"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "javascript:" not in index and "outside.docx" not in index
    assert "edited by hand" not in output  # its own document is recognised, not refused
    assert "North Early Help Panel (renamed)" in A.docx_text(out / PROTOCOL)


def _issue(area: Path, out: Path, when: str) -> None:
    code, output = _cli("issue", area, "-o", out, "--date", when)
    assert code == 0, output


def _protocol_record(out: Path) -> dict:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]["panels/early-help/protocol"]


def _lose_manifest(out: Path) -> None:
    (out / MANIFEST_NAME).write_text("{truncated", encoding="utf-8")
    (out / BACKUP_NAME).unlink()


def test_a_lost_manifest_keeps_versions_and_recognises_the_documents(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    _issue(area, out, "2026-04-02")
    A.set_field(area, A.PANEL, "name", "North Early Help Panel One")
    build(BuildOptions(area_dir=area, out_dir=out))
    _issue(area, out, "2026-04-03")
    _lose_manifest(out)
    before = _files(out)
    code, output = _cli("build", area, "-o", out)  # nothing changed: the issued documents are recognised as such
    assert code == 0 and "could not be read" in output and "11 recognised as protocolgen's own" in output
    assert "edited by hand" not in output
    assert {k: v for k, v in _files(out).items() if k.endswith(".docx")} == \
        {k: v for k, v in before.items() if k.endswith(".docx")}
    record = _protocol_record(out)
    assert (record["version"], record["status"], record["issued"]["version"]) == ("1.1", "issued", "1.1")
    assert [row["version"] for row in record["history"]] == ["1.0", "1.1"]
    assert status(BuildOptions(area_dir=area, out_dir=out))[:2] == ([], [])
    # Lost again, then a change: a draft of the next version, its change said from the issued version's record.
    _lose_manifest(out)
    A.set_field(area, A.PANEL, "name", "North Early Help Panel Two")
    code, output = _cli("build", area, "-o", out)
    assert code == 0 and "edited by hand" not in output
    assert "panels/early-help/protocol: draft of 1.2 (minor changes since 1.1)" in output
    assert "North Early Help Panel One → North Early Help Panel Two" in output
    record = _protocol_record(out)
    assert (record["version"], record["status"], record["issued"]["version"]) == ("1.2", "draft", "1.1")
    assert [row["version"] for row in record["history"]] == ["1.0", "1.1"]
    # And lost while a draft is in place: the draft keeps its version, the issued one stays in force.
    _lose_manifest(out)
    code, output = _cli("build", area, "-o", out)
    assert code == 0 and "edited by hand" not in output
    record = _protocol_record(out)
    assert (record["version"], record["status"], record["issued"]["version"]) == ("1.2", "draft", "1.1")
    text = A.docx_text(out / PROTOCOL)
    assert "North Early Help Panel Two" in text and "1.2" in text


def test_a_lost_manifest_of_documents_without_a_history_table_keeps_their_dates(area: Path, tmp_path: Path) -> None:
    """Notices carry no version history table: their issued versions are read from their footers and from the
    copies kept of each issued version."""
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    _issue(area, out, "2026-04-02")
    A.set_field(area, A.PANEL, "purpose", "Agrees a plan of early help with families who ask for it.")
    build(BuildOptions(area_dir=area, out_dir=out))
    _issue(area, out, "2026-04-03")
    kept = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]
    _lose_manifest(out)
    code, output = _cli("build", area, "-o", out)
    assert code == 0 and "edited by hand" not in output, output
    recovered = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]
    for doc_id, record in kept.items():
        again = recovered[doc_id]
        assert (again["version"], again["status"]) == (record["version"], record["status"]), doc_id
        assert again["issued"]["date"] == record["issued"]["date"], doc_id
        assert [row["version"] for row in again["history"]] == [row["version"] for row in record["history"]], doc_id
    code, output = _cli("status", area, "-o", out)
    assert code == 0 and "All documents are current." in output


def test_a_document_edited_in_word_is_still_protected_when_the_manifest_is_lost(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    # What Word does on saving: its own name in the application property and a higher revision.
    path = out / PROTOCOL
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["docProps/app.xml"] = parts["docProps/app.xml"].replace(b"protocolgen", b"Microsoft Office Word")
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    edited = path.read_bytes()
    (out / MANIFEST_NAME).unlink()
    (out / BACKUP_NAME).unlink()
    A.set_field(area, A.PANEL, "name", "North Early Help Panel (renamed)")
    result = build(BuildOptions(area_dir=area, out_dir=out))
    assert PROTOCOL in result.edited and path.read_bytes() == edited


def test_only_with_an_unknown_id_is_an_error_with_a_suggestion(area: Path, tmp_path: Path) -> None:
    code, output = _cli("build", area, "-o", tmp_path / "out", "--only", "panel:erly-help")
    assert code == 1 and "no panel has the id 'erly-help' (did you mean 'early-help'?)" in output
    assert not (tmp_path / "out").exists()
    code, output = _cli("status", area, "-o", tmp_path / "out", "--only", "agency:nobody")
    assert code == 1 and "no agency has the id 'nobody'" in output


def test_build_refuses_before_writing_when_a_target_is_blocked(area: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "agencies" / "north-health" / "consent-form.docx").mkdir(parents=True)
    with pytest.raises(OutputProblem, match="is a folder where protocolgen writes a file"):
        build(BuildOptions(area_dir=area, out_dir=out))
    assert not (out / "panels").exists() and not (out / MANIFEST_NAME).exists()
