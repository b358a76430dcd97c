"""The no-op cache: a build (or ``status``) whose every input and output is as the last build left them is
answered from a stamp, without loading the area, rendering or reading the manifest.

A safeguarding lead runs ``status`` and ``build`` many times a day. When nothing changed, the answer is known:
nothing to write, the same warnings as last time. After each clean build, ``record`` keeps a *stamp*:

- the **key**: a sha256 over every input the build reads: the content of every file under the area folder,
  of the ``--templates`` folder and of the ``--reference-docx``; protocolgen's own files (code, templates,
  register); the versions of Python and of the libraries that shape the output; and the options that change
  what is written (``--only``, ``--as-of``, ``--strict``...; not ``--jobs``, which changes nothing). Inputs
  are always hashed, never trusted by their size or time: a same-size, same-time edit is seen;
- the **outputs**: size, modification time, change time and file id of every file in OUT, as the build
  left it. Any write, rename or hand edit in OUT changes them (a rename-into-place gives a new file id; a
  time set back by hand still moves the change time);
- what the build reported that a no-op would report again: the number of documents, their ids, the warnings.

``replay_build`` and ``replay_status`` compute the key (hashing a 500-agency area takes milliseconds) and stat
OUT; if both match the stamp, they return the recorded answer, else None and the caller builds as usual.
Nothing here imports the models, the loader or the writers, so a no-op costs Python's start and a few
milliseconds of hashing.

Stamps live outside OUT, in the user's cache folder (``PROTOCOLGEN_CACHE_DIR``, else the platform's cache
folder; ``PROTOCOLGEN_CACHE_DIR=off`` turns this and the other caches off), one small file per output folder, so OUT holds only what a build writes. A stamp that cannot be read
or written is ignored: the cache can make a build faster, never make it fail or answer wrongly. A build that
kept hand edits, noted a damaged manifest or removed documents records no stamp, so the next build says so
again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic

if TYPE_CHECKING:
    from .options import BuildOptions, BuildResult

FORMAT = 2
MAX_STAMPS = 500  # stamps kept in the cache folder; the oldest go first
_LIBRARIES = ("jinja2", "markdown-it-py", "mdit-py-plugins", "lxml", "pydantic", "PyYAML", "click")
_PACKAGE = Path(__file__).resolve().parent
_SKIPPED_OUT = (".protocolgen.lock", ".protocolgen-staging")  # the lock and the staging folder of a build


def caching() -> bool:
    """Whether the caches are on (``PROTOCOLGEN_CACHE_DIR=off`` turns every one of them off)."""
    return os.environ.get("PROTOCOLGEN_CACHE_DIR") != "off"


def cache_dir() -> Path:
    """Where stamps are kept: ``PROTOCOLGEN_CACHE_DIR``, else the platform's per-user cache folder."""
    chosen = os.environ.get("PROTOCOLGEN_CACHE_DIR")
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "protocolgen" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "protocolgen"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "protocolgen"


def _stamp_path(out_dir: Path) -> Path:
    name = hashlib.sha256(str(out_dir.resolve()).encode("utf-8")).hexdigest()[:32]
    return cache_dir() / "stamps" / f"{name}.json"


class _Unusual(Exception):
    """Something in the inputs the cache does not vouch for (a link, a device, an unreadable file)."""


def _hash_tree(digest: Any, root: Path, label: str, skip_pycache: bool = False) -> None:
    """Every regular file under ``root``, by relative path and content, in a fixed order."""
    if root.is_file():
        digest.update(f"{label}:file\0".encode())
        digest.update(hashlib.sha256(root.read_bytes()).digest())
        return
    if not root.is_dir():
        digest.update(f"{label}:absent\0".encode())
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        if skip_pycache:
            dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in sorted(files):
            path = Path(folder) / name
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                raise _Unusual(path)
            rel = path.relative_to(root).as_posix()
            digest.update(f"{label}:{rel}\0{info.st_size}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def _versions() -> str:
    from importlib import metadata

    found = [sys.version]
    for name in _LIBRARIES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return ";".join(found)


def input_key(options: BuildOptions) -> str | None:
    """The key of everything ``options`` would build from; None when the cache should not vouch for it."""
    digest = hashlib.sha256()
    chosen = {
        "area": str(options.area_dir.resolve()), "out": str(options.out_dir.resolve()), "only": list(options.only),
        "emit_markdown": options.emit_markdown, "as_of": str(options.as_of), "strict": options.strict,
        "pdf": options.pdf,
        "templates": str(options.templates_dir.resolve()) if options.templates_dir else None,
        "reference": str(options.reference_docx.resolve()) if options.reference_docx else None,
    }
    digest.update(json.dumps(chosen, sort_keys=True).encode("utf-8"))
    digest.update(_versions().encode("utf-8"))
    try:
        _hash_tree(digest, _PACKAGE, "protocolgen", skip_pycache=True)
        _hash_tree(digest, options.area_dir, "area")
        if options.templates_dir is not None:
            _hash_tree(digest, options.templates_dir, "templates")
        if options.reference_docx is not None:
            _hash_tree(digest, options.reference_docx, "reference")
    except (OSError, _Unusual, ValueError):
        return None
    return digest.hexdigest()


def output_state(out_dir: Path) -> dict[str, list[int]] | None:
    """Size, times and file id of every file in OUT (but the lock and staging); None if OUT cannot be read."""
    state: dict[str, list[int]] = {}
    try:
        for folder, dirs, files in os.walk(out_dir):
            if Path(folder) == out_dir:
                dirs[:] = [d for d in dirs if d not in _SKIPPED_OUT]
            for name in files:
                path = Path(folder) / name
                if path.parent == out_dir and name in _SKIPPED_OUT:
                    continue
                info = os.lstat(path)
                state[path.relative_to(out_dir).as_posix()] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns,
                                                               info.st_ino, info.st_mode]
    except OSError:
        return None
    return state


def _read(out_dir: Path) -> dict[str, Any] | None:
    if not caching():
        return None
    try:
        data = json.loads(_stamp_path(out_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("outputs"), dict):
        return None
    return data


def _current(options: BuildOptions) -> dict[str, Any] | None:
    """The stamp, if it still describes ``options`` and OUT exactly."""
    if (options.out_dir / ".protocolgen.lock").exists():
        return None  # a build is writing OUT now (or was stopped): let the build itself deal with it
    data = _read(options.out_dir)
    if data is None:
        return None
    if data.get("key") != input_key(options) or data["outputs"] != output_state(options.out_dir):
        return None
    return data


def _diagnostics(rows: Any) -> list[Diagnostic]:
    if not isinstance(rows, list):
        raise ValueError("not a list")
    return [Diagnostic(str(r["file"]), r["line"] if isinstance(r["line"], int) else None, str(r["field"]),
                       str(r["message"]), "warning", str(r["hint"])) for r in rows]


def _folders_apart(options: BuildOptions) -> None:
    """Refuse (``OutputProblem``) an OUT that is a file, a dangling link, or overlaps the area: checked here,
    first, because every build and status asks the stamp before anything else."""
    from .outdir import check_folders

    check_folders(options.out_dir, options.area_dir)


def replay_build(options: BuildOptions) -> BuildResult | None:
    """A no-op build's result from the stamp, or None when the build must run (``options.issue``, ``--force``
    and changed inputs or outputs all run it). Refuses OUT first if it cannot be written (``_folders_apart``)."""
    _folders_apart(options)
    if options.issue or options.force:
        return None
    data = _current(options)
    if data is None:
        return None
    from .options import BuildResult

    try:
        return BuildResult(unchanged=[str(i) for i in data["unchanged"]], warnings=_diagnostics(data["warnings"]),
                           documents=int(data["documents"]))
    except (KeyError, TypeError, ValueError):
        return None


def _status_stamp(options: BuildOptions) -> dict[str, Any] | None:
    """The stamp, if it describes what ``status`` with ``options`` would compare (its own options do not
    include writing Markdown or forcing)."""
    import dataclasses

    _folders_apart(options)
    return _current(dataclasses.replace(options, emit_markdown=False, force=False))


def _warnings_in(data: dict[str, Any]) -> list[Diagnostic] | None:
    try:
        return _diagnostics(data["validation_warnings"])
    except (KeyError, TypeError, ValueError):
        return None


def _overview_in(data: dict[str, Any]) -> Any | None:
    import datetime
    from types import SimpleNamespace as Row

    if not isinstance(data.get("overview"), dict):
        return None
    try:
        seen = data["overview"]
        drafts = [Row(id=str(d[0]), old_version=d[1], new_version=str(d[2]), kind=str(d[3])) for d in seen["drafts"]]
        signoff = [Row(document=str(p[0]), version=str(p[1]), summary=str(p[2]), unsigned=[
            Row(id=str(c[0]), name=str(c[1]), signature=Row(version=str(c[2]), date=datetime.date.fromisoformat(c[3]))
                if c[2] is not None else None) for c in p[3]], issued=str(p[4]), signed=[Row(id=str(c)) for c in p[5]])
                   for p in seen["signoff"]]
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return Row(drafts=drafts, signoff=signoff)


def replay_status(options: BuildOptions) -> list[Diagnostic] | None:
    """``status``'s warnings when nothing is stale or edited, from the stamp; None when status must look."""
    data = _status_stamp(options)
    return None if data is None else _warnings_in(data)


def replay_overview(options: BuildOptions) -> Any | None:
    """``commands.overview.overview``'s answer (drafts waiting to be issued, sign-off of each issued protocol)
    from the stamp, when it still describes OUT: it depends only on the manifest (an output) and the sign-off
    register (an input), both unchanged. Plain objects with the same attributes; None when status must look."""
    data = _status_stamp(options)
    return None if data is None else _overview_in(data)


def replay_full_status(options: BuildOptions) -> tuple[list[Diagnostic], Any] | None:
    """Both of the above from one look at the stamp (the inputs hashed and OUT read once); None when status
    must look."""
    data = _status_stamp(options)
    if data is None:
        return None
    warnings, seen = _warnings_in(data), _overview_in(data)
    return None if warnings is None or seen is None else (warnings, seen)


def overview_rows(drafts: list[Any], signoff: list[Any]) -> dict[str, Any]:
    """What ``replay_overview`` gives back, as JSON: from ``reports.pending_changes`` and ``signoff.progress``."""
    return {
        "drafts": [[d.id, d.old_version, d.new_version, d.kind] for d in drafts],
        "signoff": [[p.document, p.version, p.summary,
                     [[c.id, c.name, c.signature.version if c.signature else None,
                       c.signature.date.isoformat() if c.signature else None] for c in p.unsigned],
                     p.issued, [c.id for c in p.signed]]
                    for p in signoff],
    }


def _rows(diagnostics: list[Diagnostic]) -> list[dict[str, Any]]:
    return [{"file": d.file, "line": d.line, "field": d.field, "message": d.message, "hint": d.hint}
            for d in diagnostics]


def _verified(out_dir: Path, outputs: dict[str, list[int]], expected: dict[str, str], written: set[str],
              earlier: dict[str, Any]) -> bool:
    """Whether every file the manifest records is, on disk, the bytes it records. A file this build wrote, or
    one unchanged since the last stamp (which was verified in its turn), is known; any other is hashed. A
    build does not look at the files of documents it leaves alone, so without this a page edited by hand
    after the last stamp would be vouched for, and ``status`` would stop reporting it."""
    for rel, digest in expected.items():
        seen = outputs.get(rel)
        if seen is None:
            return False
        if rel in written or earlier.get(rel) == seen:
            continue
        try:
            if hashlib.sha256((out_dir / rel).read_bytes()).hexdigest() != digest:
                return False
        except OSError:
            return False
    return True


def record(options: BuildOptions, result: BuildResult, validation_warnings: list[Diagnostic],
           documents: list[str], expected: dict[str, str], overview: dict[str, Any] | None = None) -> None:
    """After a build: keep a stamp if the next identical build would be a plain no-op; else forget the old.
    ``expected``: the sha256 the manifest records for each document file and report in OUT; ``overview``: the
    drafts and sign-off ``status`` shows (``overview_rows``)."""
    if not caching():
        return
    path = _stamp_path(options.out_dir)
    earlier = _read(options.out_dir)
    clean = not (options.issue or result.edited or result.backups or result.notes or result.removed)
    if not clean or any(d.severity != "warning" for d in result.warnings):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return
    key = input_key(options)
    outputs = output_state(options.out_dir)
    if key is None or outputs is None or not _verified(options.out_dir, outputs, expected, set(result.written),
                                                       earlier["outputs"] if earlier else {}):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return
    body = {"format": FORMAT, "key": key, "outputs": outputs, "documents": result.documents,
            "unchanged": documents,
            "warnings": _rows(result.warnings), "validation_warnings": _rows(validation_warnings),
            "overview": overview}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(body, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        _prune(path.parent)


def _prune(folder: Path) -> None:
    stamps = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in stamps[:-MAX_STAMPS]:
        with contextlib.suppress(OSError):
            old.unlink()
