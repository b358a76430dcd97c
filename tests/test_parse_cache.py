"""The parse cache (load.ParseCache): a file is parsed once by content; any change to its bytes, even one of
the same size and time, is parsed again; what comes from the cache is what parsing gives."""

from __future__ import annotations

import os
from pathlib import Path

import arealib as A
import pytest

from protocolgen import inspect_area
from protocolgen.load import load_yaml, parse_cache


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOLGEN_CACHE_DIR", str(tmp_path / "cache"))


def _counts() -> tuple[int, int]:
    cache = parse_cache()
    return cache.hits, cache.misses


def test_a_file_is_parsed_once_and_the_cache_gives_what_parsing_gives(tmp_path: Path) -> None:
    area = A.write_area(tmp_path / "area")
    path = area / A.COUNCIL
    first, problems = load_yaml(path, A.COUNCIL)
    hits = _counts()[0]
    again, problems_again = load_yaml(path, A.COUNCIL)
    assert _counts()[0] == hits + 1
    assert first is not None and again is not None
    assert (again.data, again.lines, again.display, again.path) == (first.data, first.lines, first.display, path)
    assert problems_again == problems


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    area = A.write_area(tmp_path / "area")
    inspect_area(area)
    A.set_field(area, A.COUNCIL, "name", "North Borough Council Children's Services Department")
    loaded = inspect_area(area)
    assert loaded.agencies["north-council"].name == "North Borough Council Children's Services Department"


def test_a_same_size_same_time_change_is_caught_by_the_hash(tmp_path: Path) -> None:
    area = A.write_area(tmp_path / "area")
    assert inspect_area(area).agencies["north-council"].name == "North Borough Council Children's Services"
    path = area / A.COUNCIL
    info = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("North Borough Council Children's Services",
                                                             "South Borough Council Children's Services"),
                    encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    assert inspect_area(area).agencies["north-council"].name == "South Borough Council Children's Services"


def test_problems_come_back_from_the_cache_too(tmp_path: Path) -> None:
    area = A.write_area(tmp_path / "area")
    A.write_text(area, A.HEALTH, "id: north-health\nname: [unclosed\n")
    first = [d.format() for d in inspect_area(area).diagnostics]
    second = [d.format() for d in inspect_area(area).diagnostics]
    assert first == second and any("not valid YAML" in line for line in first)


def test_a_damaged_cache_entry_is_parsed_again(tmp_path: Path) -> None:
    area = A.write_area(tmp_path / "area")
    inspect_area(area)
    for entry in (tmp_path / "cache" / "yaml").iterdir():
        entry.write_bytes(b"not a pickle")
    assert inspect_area(area).agencies["north-council"].name == "North Borough Council Children's Services"
