"""The benchmark's synthetic areas (bench/synth.py) are valid, varied and always the same."""

from __future__ import annotations

import sys
from pathlib import Path

from protocolgen import inspect_area

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import MAX_MEMBERS, MIN_MEMBERS, make_area


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_synthetic_area_validates_without_errors_or_warnings(tmp_path: Path) -> None:
    made = make_area(tmp_path / "area", agencies=60, panels=8)
    loaded = inspect_area(made.root)
    assert [d.format() for d in loaded.diagnostics] == []
    assert len(loaded.agencies) == 60 and len(loaded.panels) == 8
    assert made.unseated == 0
    for panel in loaded.panels:
        assert MIN_MEMBERS <= len(loaded.members(panel)) <= MAX_MEMBERS
    assert {a.sector for a in loaded.agencies.values()} >= {"maintained_school", "academy", "gp_practice",
                                                             "early_years", "voluntary_community", "police"}
    assert len({p.kind for p in loaded.panels.values()}) == 5
    assert made.phone_agency in loaded.agencies


def test_the_same_arguments_give_the_same_files(tmp_path: Path) -> None:
    first = make_area(tmp_path / "one", agencies=30, panels=6).root
    second = make_area(tmp_path / "two", agencies=30, panels=6).root
    assert _files(first) == _files(second)
