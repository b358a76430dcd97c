"""The catalogue of bad and odd inputs (``tests/catalogue/*.yaml``): each case says what to do to the small
test area (``arealib``), which command to run, and what the user must see. Every case also checks that no
traceback is ever printed and that the command ended by its own decision (no exception escaped).

A case::

    - id: bad-date                      # the test id
      says: an impossible date ...      # what it is about, in words
      build_first: false                # build once before the steps (for cases about an existing OUT);
                                        # or a list of options for that build, e.g. [--emit-markdown]
      steps:                            # in order; paths are relative to the area ('out/...': to OUT)
        - set: {file: area.yaml, field: issue_date, value: ...}      # a value, through yaml.safe_dump
        - set: {file: ..., field: ..., repeat: {text: "x", times: 9, prefix: "", suffix: ""}}
        - delete: {file: ..., field: ...}
        - text: {file: ..., replace: "...", with: "..."}             # raw text, for what safe_dump cannot make
        - append: {file: ..., text: "..."}
        - write: {file: ..., text: "...", encoding: utf-8}            # the whole file (utf-16, latin-1, ...)
        - binary: {file: ..., size: 1000}
        - mkdir: agencies/x.yaml
        - remove: area.yaml                                           # a file or a whole folder
        - copies: {file: agencies/north-health.yaml, times: 3}        # more profiles like it, ids of their own
        - limit: {MAX_FILES: 4}                                       # a documented limit, made small
        - symlink: {path: ..., to: ...}
        - unreadable: agencies/x.yaml
        - template: {name: protocol.md.j2, text: "..."}               # a --templates folder is passed
        - lock: {pid: running, host: here}                            # OUT's lock file (running/ended, here/other)
        - manifest: {path: [documents, panels/early-help/protocol, files], value: ...}   # manifest and backup
        - zip_bomb: {file: ../house.docx, size: 30000000}             # a zip whose part unpacks to 30 MB
        - killed_build: 4                                             # a build SIGKILLed at its 4th file written
                                                                      # (or at a file's name: .protocolgen-manifest.json)
                                        # text, with and write may be a repeat: {...} instead, and '{tmp}'
                                        # in them is the test's own folder
      posix_only: true                  # for cases that need POSIX links or signals
      run: [build, "{area}", -o, "{out}"]                            # default: [validate, "{area}"]
      expect:
        exit: 1
        at: {file: ..., line_of: "needle", field: ...}               # or line: N, no_line: true, or neither
                                                                     # (occurrence: 2 for the second line of needle)
        says: [...]                                                  # all in the output
        not_says: [...]
        nothing_written: true                                        # OUT absent (or as before the steps)
        max_diagnostics: 2                                           # for the file of 'at'
        docx: {file: ..., contains: [...], not_contains: [...]}      # the text of paragraphs, tables, footers
        html: {file: ..., contains: [...], not_contains: [...]}      # the page's source
        safe_links: true                                             # no javascript:/file:/data: link anywhere
        absent: [elsewhere/x, out/*.tmp]                             # paths or globs (relative to the test's folder)
        file_holds: {secret.txt: [private]}                          # files (relative to it) that still hold these
        same_as_clean_build: true                                    # OUT's documents are those of a build from scratch
"""

from __future__ import annotations

import builtins
import copy
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import arealib as A
import pytest
import yaml
from click.testing import CliRunner

import protocolgen.area as area_module
import protocolgen.load as load_module
from protocolgen.cli import main
from protocolgen.manifest import BACKUP_NAME, MANIFEST_NAME
from protocolgen.outdir import LOCK_NAME

CATALOGUE = Path(__file__).parent / "catalogue"
ROOT = Path(__file__).resolve().parent.parent


def _cases() -> list[Any]:
    cases = []
    for path in sorted(CATALOGUE.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            marks = []
            if case.get("posix_only") and sys.platform == "win32":
                marks.append(pytest.mark.skip(reason="needs POSIX links or permissions"))
            cases.append(pytest.param(case, id=f"{path.stem}:{case['id']}", marks=marks))
    return cases


CASES = _cases()


def test_the_catalogue_is_large_and_its_ids_unique() -> None:
    ids = [param.id for param in CASES]
    assert len(ids) >= 80 and len(set(ids)) == len(ids)


def _path(root: Path, out: Path, rel: str) -> Path:
    return out / rel[4:] if rel.startswith("out/") else root / rel


def _repeat(spec: dict[str, Any]) -> str:
    return spec.get("prefix", "") + spec["text"] * spec["times"] + spec.get("suffix", "")


def _apply(step: dict[str, Any], root: Path, out: Path, templates: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (kind, spec), = step.items()
    tmp = str(root.parent)

    def text_of(spec: dict[str, Any], key: str = "text") -> str:  # '{tmp}' is the test's own folder
        return (spec[key] if key in spec else _repeat(spec["repeat"])).replace("{tmp}", tmp)

    if kind == "set":
        value = spec["value"] if "value" in spec else _repeat(spec["repeat"])
        A.set_field(root, spec["file"], spec["field"], copy.deepcopy(value))
    elif kind == "delete":
        A.delete_field(root, spec["file"], spec["field"])
    elif kind == "text":
        path = root / spec["file"]
        text = path.read_text(encoding="utf-8")
        assert spec["replace"] in text, f"{spec['replace']!r} is not in {spec['file']}"
        path.write_text(text.replace(spec["replace"], text_of(spec, "with"), 1), encoding="utf-8", newline="")
    elif kind == "append":
        with open(root / spec["file"], "a", encoding="utf-8", newline="") as handle:
            handle.write(text_of(spec))
    elif kind == "write":
        path = _path(root, out, spec["file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text_of(spec).encode(spec.get("encoding", "utf-8")))
    elif kind == "binary":
        _path(root, out, spec["file"]).write_bytes(bytes(range(256)) * (spec["size"] // 256 + 1))
    elif kind == "mkdir":
        path = _path(root, out, spec)
        if path.is_file():
            path.unlink()
        path.mkdir(parents=True, exist_ok=True)
    elif kind == "symlink":
        link = _path(root, out, spec["path"])
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(_path(root, out, spec["to"]) if not spec["to"].startswith("/") else Path(spec["to"]))
    elif kind == "unreadable":
        path = root / spec
        path.chmod(0)
        real_open = builtins.open

        def refusing(file: Any, *args: Any, **kwargs: Any) -> Any:  # as the OS does for others than root
            if Path(file) == path:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(load_module, "open", refusing, raising=False)
    elif kind == "template":
        templates.mkdir(exist_ok=True)
        path = templates / spec["name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text_of(spec).encode(spec.get("encoding", "utf-8")))
    elif kind == "remove":
        path = _path(root, out, spec)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    elif kind == "copies":  # more profiles like one, each with an id of its own
        source = root / spec["file"]
        for number in range(1, spec["times"] + 1):
            ident = f"{source.stem}-copy-{number}"
            text = re.sub(r"(?m)^id: .*$", f"id: {ident}", source.read_text(encoding="utf-8"))
            (source.parent / f"{ident}.yaml").write_text(text, encoding="utf-8")
    elif kind == "limit":  # a documented limit made small, so that a case does not need 1,000 files
        for name, value in spec.items():
            for module in (load_module, area_module):
                if hasattr(module, name):
                    monkeypatch.setattr(module, name, value)
    elif kind == "zip_bomb":  # a small zip whose one part unpacks to spec["size"] bytes
        with zipfile.ZipFile(_path(root, out, spec["file"]), "w", zipfile.ZIP_DEFLATED) as package:
            package.writestr("[Content_Types].xml", "<Types/>")
            with package.open(spec.get("part", "word/styles.xml"), "w") as part:
                for _ in range(spec["size"] // 1_000_000):
                    part.write(b" " * 1_000_000)
    elif kind == "lock":
        _lock(out, spec)
    elif kind == "manifest":
        _edit_manifest(out, spec["path"], spec.get("value"), spec.get("delete", False))
    elif kind == "killed_build":
        A.killed_build(root, out, str(spec))
    else:
        raise AssertionError(f"unknown step {kind}")


def _lock(out: Path, spec: dict[str, Any]) -> None:
    """A lock file as a build leaves it: held by this (running) process, or by one that has ended."""
    if spec.get("pid") == "ended":
        finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                  text=True, check=True)
        pid = int(finished.stdout)
    else:
        pid = os.getpid()
    host = socket.gethostname() if spec.get("host", "here") == "here" else "another-computer.example"
    out.mkdir(parents=True, exist_ok=True)
    body = {"pid": pid, "host": host, "started": "2026-04-01 09:00:00"}
    (out / LOCK_NAME).write_text(json.dumps(body), encoding="utf-8")


def _edit_manifest(out: Path, path: list[str], value: Any, delete: bool) -> None:
    """Change one entry of the manifest and of its backup copy alike (as a hand edit of both would)."""
    for name in (MANIFEST_NAME, BACKUP_NAME):
        data = json.loads((out / name).read_text(encoding="utf-8"))
        target = data
        for key in path[:-1]:
            target = target[key]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = copy.deepcopy(value)
        (out / name).write_text(json.dumps(data), encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


_BAD_LINK = re.compile(rb"(?i)(href=\"|Target=\")\s*(javascript|vbscript|file|data):")


def _unsafe_links(out: Path) -> list[str]:
    found = []
    for path in sorted(out.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix == ".html" and _BAD_LINK.search(path.read_bytes()):
            found.append(path.name)
        elif path.suffix == ".docx":
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as package:
                for name in package.namelist():
                    if name.endswith(".rels") and _BAD_LINK.search(package.read(name)):
                        found.append(f"{path.name}:{name}")
    return found


@pytest.mark.parametrize("case", CASES)
def test_catalogue(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, out, templates = A.write_area(tmp_path / "area"), tmp_path / "out", tmp_path / "templates"
    runner = CliRunner()
    if case.get("build_first"):
        extra = case["build_first"] if isinstance(case["build_first"], list) else []
        first = runner.invoke(main, ["build", str(root), "-o", str(out), *extra])
        assert first.exit_code == 0, first.output
    for step in case.get("steps", []):
        _apply(step, root, out, templates, monkeypatch)
    before = _snapshot(out)
    args = [a.format(area=root, out=out, templates=templates, tmp=tmp_path)
            for a in case.get("run", ["validate", "{area}"])]
    if templates.exists() and args[0] in ("build", "status") and "--templates" not in args:
        args += ["--templates", str(templates)]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, args)
    output = result.output
    shown = f"$ protocolgen {' '.join(args)}\n{output}"
    assert "Traceback" not in output, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), (repr(result.exception), shown)
    expect = case["expect"]
    assert result.exit_code == expect.get("exit", 1), shown
    if "at" in expect:
        at = expect["at"]
        where = f"{root.as_posix()}/{at['file']}"
        if "line_of" in at:
            where += f":{A.line_of(root, at['file'], at['line_of'], at.get('occurrence', 1))}"
        elif "line" in at:
            where += f":{at['line']}"
        head = f"{where}: error:" + (f" {at['field']}:" if at.get("field") else "")
        if any(key in at for key in ("line_of", "line", "no_line")):
            assert head in output, f"expected {head!r} in\n{shown}"
        else:  # on some line, or on none
            pattern = re.escape(where) + r"(:\d+)?: error:" + (re.escape(f" {at['field']}:") if at.get("field") else "")
            assert re.search(pattern, output), f"expected {where}[:LINE]: error: in\n{shown}"
        if "max_diagnostics" in expect:
            count = output.count(f"{root.as_posix()}/{at['file']}:")
            assert count <= expect["max_diagnostics"], shown
    for needle in expect.get("says", []):
        assert needle in output, f"expected {needle!r} in\n{shown}"
    for needle in expect.get("not_says", []):
        assert needle not in output, f"did not expect {needle!r} in\n{shown}"
    if expect.get("nothing_written"):
        assert _snapshot(out) == before, f"files were written:\n{shown}"
        if not case.get("build_first"):
            assert not out.exists() or not any(out.iterdir()), shown
    if "docx" in expect:
        text = A.docx_text(out / expect["docx"]["file"])
        for needle in expect["docx"].get("contains", []):
            assert needle in text, f"expected {needle!r} in the document text:\n{text[:3000]}"
        for needle in expect["docx"].get("not_contains", []):
            assert needle not in text, f"did not expect {needle!r} in the document text"
    if "html" in expect:
        page = (out / expect["html"]["file"]).read_text(encoding="utf-8")
        for needle in expect["html"].get("contains", []):
            assert needle in page, f"expected {needle!r} in the page"
        for needle in expect["html"].get("not_contains", []):
            assert needle not in page, f"did not expect {needle!r} in the page"
    if expect.get("safe_links"):
        assert _unsafe_links(out) == []
    for rel, needles in expect.get("file_holds", {}).items():
        held = (tmp_path / rel).read_bytes()
        for needle in needles:
            assert needle.encode("utf-8") in held, f"{rel} lost {needle!r}:\n{shown}"
    for rel in expect.get("absent", []):  # a path or a glob pattern
        made = [p for p in tmp_path.glob(rel) if p.exists() or p.is_symlink()]
        assert made == [], f"{rel} was made:\n{shown}"
    if expect.get("same_as_clean_build"):
        clean = tmp_path / "clean"
        again = runner.invoke(main, ["build", str(root), "-o", str(clean)])
        assert again.exit_code == 0, again.output

        def documents(folder: Path) -> dict[str, bytes]:
            return {rel: data for rel, data in _snapshot(folder).items() if not rel.startswith(".")
                    and ".edited-" not in rel}

        ours, theirs = documents(out), documents(clean)
        assert sorted(ours) == sorted(theirs), shown
        assert [rel for rel in ours if ours[rel] != theirs[rel]] == [], shown
        assert not (out / LOCK_NAME).exists()
