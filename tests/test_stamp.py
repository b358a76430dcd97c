"""The no-op cache (protocolgen.stamp): a no-op is answered from the stamp; any change to an input, even one
of the same size and time, or to an output, makes the build run."""

from __future__ import annotations

import os
from pathlib import Path

import arealib as A
import pytest

from protocolgen import BuildOptions, build, stamp, status


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("PROTOCOLGEN_CACHE_DIR", str(tmp_path / "cache"))
    area = A.write_area(tmp_path / "area")
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out))
    return area, out


def _state(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*")}


def test_a_no_op_is_answered_from_the_stamp(built: tuple[Path, Path]) -> None:
    area, out = built
    options = BuildOptions(area_dir=area, out_dir=out)
    quick = stamp.replay_build(options)
    assert quick is not None and quick.written == [] and quick.documents > 0
    slow_result = build(BuildOptions(area_dir=area, out_dir=out, force=True))  # --force never replays
    assert slow_result.written == []
    assert sorted(quick.unchanged) == sorted(slow_result.unchanged)
    assert [d.format() for d in quick.warnings] == [d.format() for d in slow_result.warnings]
    before = _state(out)
    assert build(options).written == []
    assert _state(out) == before
    assert stamp.replay_status(options) is not None
    assert status(options)[:2] == ([], [])


def test_a_changed_file_is_read_again(built: tuple[Path, Path]) -> None:
    area, out = built
    A.set_field(area, A.COUNCIL, "contacts.safeguarding_lead.email", "lead@north-council.example")
    options = BuildOptions(area_dir=area, out_dir=out)
    assert stamp.replay_build(options) is None
    result = build(options)
    assert "agencies/north-council/privacy-notice.docx" in result.written


def test_a_same_size_same_time_change_is_caught_by_the_hash(built: tuple[Path, Path]) -> None:
    area, out = built
    path = area / A.COUNCIL
    text = path.read_text(encoding="utf-8")
    info = path.stat()
    old = A.read(area, A.COUNCIL)["contacts"]["safeguarding_lead"]["email"]
    new = "x" + old[1:]
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # as if nothing had happened
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    options = BuildOptions(area_dir=area, out_dir=out)
    assert stamp.replay_build(options) is None
    stale, _edited, _ = status(options)
    assert any(doc.id == "agencies/north-council/privacy-notice" for doc in stale)
    assert "agencies/north-council/privacy-notice.docx" in build(options).written


def test_an_output_edited_by_hand_is_noticed(built: tuple[Path, Path]) -> None:
    area, out = built
    page = out / "agencies/north-council/privacy-notice.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>added</p></body>"), encoding="utf-8")
    options = BuildOptions(area_dir=area, out_dir=out)
    assert stamp.replay_build(options) is None and stamp.replay_status(options) is None
    assert status(options)[1] == ["agencies/north-council/privacy-notice.html"]
    assert build(options).written == []  # its inputs did not change: the page is left as edited
    assert stamp.replay_status(options) is None  # and that build vouched for nothing: status still says so
    assert status(options)[1] == ["agencies/north-council/privacy-notice.html"]


def test_a_damaged_stamp_is_ignored(built: tuple[Path, Path]) -> None:
    area, out = built
    stamp._stamp_path(out).write_text("{not json", encoding="utf-8")
    options = BuildOptions(area_dir=area, out_dir=out)
    assert stamp.replay_build(options) is None
    assert build(options).written == []


def _cli(*args: object) -> tuple[int, str]:
    from click.testing import CliRunner

    from protocolgen.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_status_from_the_stamp_prints_what_status_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOLGEN_CACHE_DIR", str(tmp_path / "cache"))
    area = A.write_area(tmp_path / "area")
    out = tmp_path / "out"
    assert _cli("issue", area, "-o", out, "--date", "2026-04-01")[0] != 0  # nothing built yet: refused
    _cli("build", area, "-o", out)
    assert _cli("issue", area, "-o", out, "--date", "2026-04-01")[0] == 0
    code, _ = _cli("sign", area, "-o", out, "--document", "panels/early-help/protocol", "--controller",
                   "north-council", "--signatory", "Director", "--date", "2026-04-10")
    assert code == 0
    A.set_field(area, A.PANEL, "name", "North Early Help Panel (renamed)")  # a draft of 1.1 of some documents
    _cli("build", area, "-o", out)
    options = BuildOptions(area_dir=area, out_dir=out)
    assert stamp.replay_overview(options) is not None
    full = stamp.replay_full_status(options)  # status's one look at the stamp: the same answers as the two
    assert full is not None and full[0] == stamp.replay_status(options)
    assert full[1] == stamp.replay_overview(options)
    fast = _cli("status", area, "-o", out)
    assert "not signed" in fast[1] and "draft:" in fast[1]
    monkeypatch.setenv("PROTOCOLGEN_CACHE_DIR", str(tmp_path / "no-cache"))
    assert stamp.replay_overview(options) is None
    assert _cli("status", area, "-o", out) == fast
