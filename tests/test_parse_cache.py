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


def test_a_changed_template_is_compiled_again_whatever_its_size_and_time(tmp_path: Path) -> None:
    import zipfile

    from protocolgen import BuildOptions, build
    from protocolgen.render import bundled_templates

    area = A.write_area(tmp_path / "area")
    templates = tmp_path / "templates"
    templates.mkdir()
    own = templates / "consent-form.md.j2"
    bundled = (bundled_templates() / "consent-form.md.j2").read_text(encoding="utf-8")
    own.write_text(bundled + "\nMARKER-ONE\n", encoding="utf-8")
    info = own.stat()

    def printed(out: Path) -> str:
        with zipfile.ZipFile(out / "agencies/north-council/consent-form.docx") as package:
            return package.read("word/document.xml").decode("utf-8")

    build(BuildOptions(area_dir=area, out_dir=tmp_path / "one", templates_dir=templates))
    assert "MARKER-ONE" in printed(tmp_path / "one")
    assert any((tmp_path / "cache").glob("templates-*/*"))  # compiled code kept
    own.write_text(bundled + "\nMARKER-TWO\n", encoding="utf-8")
    os.utime(own, ns=(info.st_atime_ns, info.st_mtime_ns))
    build(BuildOptions(area_dir=area, out_dir=tmp_path / "two", templates_dir=templates))
    assert "MARKER-TWO" in printed(tmp_path / "two") and "MARKER-ONE" not in printed(tmp_path / "two")


class _RunsCode:
    """What a forged entry would hold: unpickling it calls os.system."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch forged-entry-ran",))


def test_a_forged_cache_entry_cannot_run_code_and_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    area = A.write_area(tmp_path / "area")
    path = area / A.COUNCIL
    first, problems = load_yaml(path, A.COUNCIL)
    cache = parse_cache()
    assert cache.folder is not None
    key = cache.key(path.read_bytes(), A.COUNCIL)
    (cache.folder / key).write_bytes(pickle.dumps(_RunsCode()))
    monkeypatch.chdir(tmp_path)
    misses = cache.misses
    again, problems_again = load_yaml(path, A.COUNCIL)
    assert not (tmp_path / "forged-entry-ran").exists()
    assert cache.misses == misses + 1
    assert again is not None and first is not None and again.data == first.data and problems_again == problems
