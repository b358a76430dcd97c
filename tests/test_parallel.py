"""build --jobs: worker processes (spawn) write the same bytes as one process; a failing document is named."""

from __future__ import annotations

import sys
from pathlib import Path

import arealib as A
import pytest

from protocolgen import BuildOptions, build, parallel
from protocolgen.errors import TemplateProblem

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import make_area  # noqa: E402


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOLGEN_CACHE_DIR", str(tmp_path / "cache"))


def test_two_jobs_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    area = make_area(tmp_path / "area", agencies=19, panels=5).root
    one, two = tmp_path / "one", tmp_path / "two"
    first = build(BuildOptions(area_dir=area, out_dir=one, jobs=1))
    second = build(BuildOptions(area_dir=area, out_dir=two, jobs=2))
    assert first.documents == second.documents >= parallel.POOL_THRESHOLD  # so the workers did run
    assert sorted(first.written) == sorted(second.written)
    files_one, files_two = _files(one), _files(two)
    assert files_one.keys() == files_two.keys()
    for rel in files_one:  # documents, manifest, change report, coverage report and index alike
        assert files_one[rel] == files_two[rel], rel
    assert not (two / parallel.STAGING_NAME).exists()


def test_workers_run_when_the_threshold_is_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    area = A.write_area(tmp_path / "area")
    started: list[int] = []
    real = parallel.Converter.submit

    def counting(self: parallel.Converter, task: parallel.Conversion, done) -> None:  # type: ignore[no-untyped-def]
        real(self, task, done)
        started.append(self._pool is not None)

    monkeypatch.setattr(parallel, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(parallel.Converter, "submit", counting)
    pooled, local = tmp_path / "pooled", tmp_path / "local"
    build(BuildOptions(area_dir=area, out_dir=pooled, jobs=2))
    assert started and all(started)
    build(BuildOptions(area_dir=area, out_dir=local, jobs=1))
    assert _files(pooled) == _files(local)


def test_every_failing_document_is_named_and_nothing_is_written(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    area = A.write_area(tmp_path / "area")
    templates = tmp_path / "templates"
    templates.mkdir()
    # A container the writers do not know: the Markdown renders, the Word writer refuses it (in a worker).
    (templates / "consent-form.md.j2").write_text("# Consent\n\n::: sparkles\nHello\n:::\n", encoding="utf-8")
    monkeypatch.setattr(parallel, "POOL_THRESHOLD", 0)
    out = tmp_path / "out"
    with pytest.raises(TemplateProblem) as caught:
        build(BuildOptions(area_dir=area, out_dir=out, templates_dir=templates, jobs=2))
    message = str(caught.value)
    agencies = sorted(p.stem for p in (area / "agencies").glob("*.yaml"))
    assert f"{len(agencies)} documents could not be made; nothing was written" in message
    for agency in agencies:
        assert f"consent-form.md.j2 (for agencies/{agency}/consent-form)" in message
    assert "sparkles" in message
    assert not out.exists()  # the output folder was created for the build and removed again, staging and all


def test_a_failing_document_after_a_build_leaves_out_as_it_was(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    area = A.write_area(tmp_path / "area")
    out = tmp_path / "out"
    build(BuildOptions(area_dir=area, out_dir=out, jobs=1))
    before = _files(out)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "consent-form.md.j2").write_text("::: sparkles\n:::\n", encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"consent-form\.md\.j2 \(for agencies/"):
        build(BuildOptions(area_dir=area, out_dir=out, templates_dir=templates, jobs=1))
    assert _files(out) == before
