"""The build manifest: what each document was built from, what was written, its version, status and history.

Staleness is decided by content fingerprints, never by file times. Each document records a hash per input
(and per top-level field of each input), so a stale document can say in plain words what changed.

A document is a *draft* until ``protocolgen issue`` issues it; the record then keeps what the issued version
was (``Record.issued``), and the Markdown and input values of every issued version are kept in files under
``OUT/.protocolgen/issued/`` (see ``lifecycle``) rather than in the manifest, which stays small.

The manifest is read as untrusted input (``Manifest.read``): every record is checked field by field, every
path must be a plain relative path inside OUT of a known kind (``.docx``, ``.html``, ``.md``), and a record
that fails is dropped on its own, with a note, instead of the whole manifest. Each build also keeps a copy
(``BACKUP_NAME``) from which a damaged or unreadable manifest is restored record by record; when both are
lost, ``recover_records`` recognises protocolgen's own documents by the marks they carry and takes their
version and history from the documents themselves, so they are never mistaken for hand edits and their
version numbers go on.

The journal (``JOURNAL_NAME``) holds the hashes of files a build is about to write. It accumulates across
builds that are stopped midway and is settled only once a manifest records the files (``settle``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import OutputProblem
from .outdir import describe_os_error

MANIFEST_NAME = ".protocolgen-manifest.json"
BACKUP_NAME = ".protocolgen-manifest.backup.json"
JOURNAL_NAME = ".protocolgen-pending.json"
FORMAT = 2  # 2: drafts and issues (status, issued, changes); format 1 manifests are read as all issued
DOCUMENT_SUFFIXES = (".docx", ".html", ".md", ".pdf")
ISSUED_DIR = ".protocolgen/issued"  # where `issue` keeps a copy of each issued version (see lifecycle)
REPORT_SUFFIXES = (*DOCUMENT_SUFFIXES, ".json")  # coverage.json beside the other reports
# The reports every build writes at the top of OUT (beside the documents).
REPORT_NAMES = ("index.html", "changes.md", "changes.docx", "coverage.md", "coverage.json")


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


_SUMMARIES: dict[tuple[str, str], dict[str, str]] = {}
_SUMMARIES_KEPT = 20_000  # inputs remembered (a county's agencies, panels and register entries, many times over)


def summarise_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the manifest keeps of a job's inputs: per input a hash per field, or the value if it is small.

    The same input (an agency, a register entry) is summarised for every document that reads it: its whole
    value is serialised once per document (one fast call), and the hash per field is computed only the first
    time that value is seen in this process."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, dict):
            key = (name, sha256(_canonical(value)))
            summary = _SUMMARIES.get(key)
            if summary is None:
                summary = {field: sha256(_canonical(item))[:16] for field, item in sorted(value.items())}
                if len(_SUMMARIES) >= _SUMMARIES_KEPT:
                    _SUMMARIES.clear()
                _SUMMARIES[key] = summary
            out[name] = summary  # shared by every document that reads the input; never changed once made
        else:
            out[name] = value
    return out


def fingerprint(summary: dict[str, Any]) -> str:
    return sha256(_canonical(summary))


def _label(name: str) -> str:
    kind, _, ident = name.partition(":")
    return f"{kind} {ident}" if ident else kind


def _seats(members: list[str] | None) -> dict[str, str]:
    """['north-police:chair', ...] -> {'north-police': 'chair', ...}"""
    return dict(member.split(":", 1) for member in members or [])


def _membership_reasons(before: list[str] | None, after: list[str] | None) -> list[str]:
    old, new = _seats(before), _seats(after)
    reasons = [f"agency {ident}: joined the panel as {new[ident]}" for ident in sorted(set(new) - set(old))]
    reasons += [f"agency {ident}: left the panel" for ident in sorted(set(old) - set(new))]
    reasons += [
        f"agency {ident}: role changed from {old[ident]} to {new[ident]}"
        for ident in sorted(set(old) & set(new))
        if old[ident] != new[ident]
    ]
    return reasons


def _scope_reasons(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Register entries that came into or left the document's scope. One the document now prints (or no
    longer prints) is said as "now cited" / "no longer cited" instead, so it is not said twice."""
    before, after = set(old.get("legislation-in-scope") or []), set(new.get("legislation-in-scope") or [])

    def printed_alike(key: str) -> bool:
        return (f"legislation:{key}" in old) == (f"legislation:{key}" in new)

    return [f"legislation {key}: now within the document's scope" for key in sorted(after - before)
            if printed_alike(key)] + [
        f"legislation {key}: no longer within the document's scope" for key in sorted(before - after)
        if printed_alike(key)
    ]


_SIMPLE = {
    "template": lambda before, after: "template changed",
    "reference_docx": lambda before, after: "house style (reference .docx) changed",
    "protocolgen": lambda before, after: f"protocolgen upgraded from {before} to {after}",
    "as_of": lambda before, after: f"law as of {after} instead of {before}",
}


RECOVERED_REASON = "rebuilt after the build record (manifest) was lost"


def explain(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Plain reasons why two input summaries differ, e.g. 'legislation x: title changed'."""
    if not old and new:  # a record recovered from the document itself knows nothing of the inputs
        return [RECOVERED_REASON]
    reasons: list[str] = []
    # An agency joining or leaving a panel is said once, as such, not also as "agency x: added".
    seated = set(_seats(old.get("members"))) ^ set(_seats(new.get("members")))
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        cited = name.startswith("legislation:")
        if name == "members":
            reasons += _membership_reasons(before, after)
        elif name == "legislation-in-scope":
            reasons += _scope_reasons(old, new)
        elif name in _SIMPLE:
            reasons.append(_SIMPLE[name](before, after))
        elif (before is None or after is None) and name.startswith("agency:") and name[7:] in seated:
            continue
        elif before is None:
            reasons.append(f"{_label(name)}: {'now cited' if cited else 'added'}")
        elif after is None:
            reasons.append(f"{_label(name)}: {'no longer cited' if cited else 'removed'}")
        elif isinstance(before, dict) and isinstance(after, dict):
            fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            reasons.append(f"{_label(name)}: {', '.join(fields)} changed")
        else:
            reasons.append(f"{_label(name)} changed")
    return reasons


@dataclass
class Record:
    """What the manifest knows of one document."""

    fingerprint: str
    content: str  # hash of the Markdown rendered with this version
    version: str
    history: list[dict[str, str]]
    inputs: dict[str, Any]
    files: dict[str, str]  # path relative to OUT -> sha256 of the bytes written
    title: str = ""
    group: str = ""  # the panel or agency name, for the index
    cites: dict[str, list[str]] = field(default_factory=dict)  # register key -> fields printed at last render
    status: str = "draft"  # "draft": built, not yet issued; "issued": the files are the issued version
    # The last issued version: version, date, review (next review date), content (hash of its Markdown) and,
    # for protocols, the signatories of that version. Empty until the document is first issued.
    issued: dict[str, Any] = field(default_factory=dict)
    # A draft's changes since the last issued version: {"text", "short", "kind"} each (see ``changes``).
    changes: list[dict[str, str]] = field(default_factory=list)
    change_kind: str = ""  # a draft's kind of change since the last issue: "new", "minor" or "major"
    signatories: list[list[str]] = field(default_factory=list)  # protocols: [id, name] of each controller
    redline: str = ""  # the tracked-changes document of the last re-issue, relative to OUT
    # What the rendered document covers of what its kind must: {"kind", "found": [[item, heading or null, why]]}
    coverage: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Manifest:
    documents: dict[str, Record] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)  # index.html, changes.*: path -> hash last written
    problem: str = ""  # why an existing manifest could not be used
    area: str = ""  # the area's name, for the reports written without loading the area (sign, reviews)
    notes: list[str] = field(default_factory=list)  # records dropped or restored from the backup copy

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        """The manifest in OUT, checked record by record; damaged records are taken from the backup copy."""
        main, main_problem = _read_manifest(out_dir / MANIFEST_NAME)
        backup, _backup_problem = _read_manifest(out_dir / BACKUP_NAME)
        if main is None and backup is None:
            if main_problem is None:
                return cls()  # never built
            return cls(problem=f"{MANIFEST_NAME} could not be read ({main_problem})")
        notes: list[str] = []
        if main is None:
            notes.append(f"{MANIFEST_NAME} could not be read ({main_problem or 'missing'}); used its backup copy")
            main = backup
        assert main is not None
        documents, reports, damaged, area = main
        if backup is not None and damaged:
            for doc_id in sorted(damaged):
                if doc_id.startswith(_REPORT):
                    if doc_id[len(_REPORT):] in backup[1]:
                        del damaged[doc_id]
                elif doc_id in backup[0]:
                    documents[doc_id] = backup[0][doc_id]
                    del damaged[doc_id]
            for rel, digest in backup[1].items():
                reports.setdefault(rel, digest)
        notes += [f"{MANIFEST_NAME}: the entry for {doc_id[len(_REPORT):]!r} is damaged ({why}); it is written again"
                  if doc_id.startswith(_REPORT) else
                  f"{MANIFEST_NAME}: the record of {doc_id!r} is damaged ({why}); rebuilding it"
                  for doc_id, why in sorted(damaged.items())]
        return cls(documents, reports, area=area, notes=notes)

    def to_json(self) -> str:
        body = {"format": FORMAT, "documents": {k: v.to_json() for k, v in sorted(self.documents.items())},
                "reports": dict(sorted(self.reports.items())), "area": self.area}
        # Compact: a county's manifest is megabytes of hashes, and an indented dump is made by json's pure-Python
        # encoder, several times slower than the compact one; it is read by protocolgen, not by people.
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")) + "\n"

    def known_hashes(self, relpath: str) -> set[str]:
        """Every hash protocolgen is known to have written at ``relpath``."""
        known = {rec.files[relpath] for rec in self.documents.values() if relpath in rec.files}
        return known | ({self.reports[relpath]} if relpath in self.reports else set())


class KnownHashes:
    """``Manifest.known_hashes`` for every path at once: one pass over the records instead of one per file asked
    about (which made a build's hand-edit check cost documents x files). A snapshot: made after the planner has
    settled the records, before the build writes."""

    def __init__(self, manifest: Manifest):
        self._known: dict[str, set[str]] = {}
        for record in manifest.documents.values():
            for rel, digest in record.files.items():
                self._known.setdefault(rel, set()).add(digest)
        for rel, digest in manifest.reports.items():
            self._known.setdefault(rel, set()).add(digest)

    def at(self, relpath: str) -> set[str]:
        return self._known.get(relpath, set())


def _as_issued(record: Record) -> Record:
    """A record of a format 1 manifest, written when every build issued its documents: issued as it stands."""
    last = record.history[-1] if record.history else {}
    issued = {"version": record.version, "date": last.get("date", ""), "review": "", "content": record.content,
              "signatories": []}
    return dataclasses.replace(record, status="issued", issued=issued)


def read_journal(out_dir: Path) -> dict[str, set[str]]:
    """Hashes of files interrupted builds were about to write: they are ours, not hand edits. Older journals
    held one hash per file; every build stopped midway since the last manifest adds its own."""
    try:
        data = json.loads((out_dir / JOURNAL_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    journal: dict[str, set[str]] = {}
    for rel, hashes in data.items():
        values = [hashes] if isinstance(hashes, str) else hashes if isinstance(hashes, list) else []
        good = {h for h in values if isinstance(h, str) and _HASH.match(h)}
        if good and _safe_rel(rel):
            journal[rel] = good
    return journal


def add_to_journal(out_dir: Path, journal: dict[str, set[str]], pending: dict[str, str]) -> None:
    """Record the hashes about to be written, keeping what earlier interrupted builds recorded."""
    for rel, digest in pending.items():
        journal.setdefault(rel, set()).add(digest)
    atomic_write(out_dir / JOURNAL_NAME, _journal_bytes(journal))


def settle(out_dir: Path, manifest: Manifest, journal: dict[str, set[str]], manifest_bytes: bytes) -> None:
    """After the manifest is written: keep its backup copy, and keep in the journal only the hashes that
    still explain a file on disk the manifest does not know (a document out of this build's --only)."""
    backup = out_dir / BACKUP_NAME
    if not backup.exists() or backup.read_bytes() != manifest_bytes:
        atomic_write(backup, manifest_bytes)
    remaining: dict[str, set[str]] = {}
    known = KnownHashes(manifest) if journal else None
    for rel, hashes in journal.items():
        folder, _, _name = rel.rpartition("/")
        if folder.startswith(f"{ISSUED_DIR}/") and folder[len(ISSUED_DIR) + 1:] in manifest.documents:
            continue  # a copy of an issued version, which its document's record now stands for
        path = out_dir / rel
        try:
            current = sha256(path.read_bytes()) if path.is_file() and not path.is_symlink() else None
        except OSError:
            current = None
        if current in hashes and known is not None and current not in known.at(rel):
            remaining[rel] = {current}
    if remaining:
        atomic_write(out_dir / JOURNAL_NAME, _journal_bytes(remaining))
    else:
        (out_dir / JOURNAL_NAME).unlink(missing_ok=True)


def _journal_bytes(journal: dict[str, set[str]]) -> bytes:
    body = {rel: sorted(hashes) for rel, hashes in sorted(journal.items())}
    return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode("utf-8")


def content_hash(markdown: str, meta: Any, reference_hash: str) -> str:
    """What a document prints: its Markdown, and everything the writer puts around it (title, header and
    footer, reference, dates, properties: ``meta``) in the house style (``reference_hash``). A change to
    any of them is a change to the document."""
    printed = dataclasses.asdict(meta) if dataclasses.is_dataclass(meta) and not isinstance(meta, type) else meta
    return sha256(_canonical({"markdown": markdown, "meta": printed, "style": reference_hash}))


_UNSYNCED: ContextVar[list[Path] | None] = ContextVar("unsynced", default=None)


@contextlib.contextmanager
def deferred_sync() -> Iterator[None]:
    """Inside, ``atomic_write`` leaves flushing to disk to the end of the block, where every file written is
    flushed at once (``os.sync`` where there is one, else each file): a build's documents are all on disk
    before its manifest is written, at a fraction of the cost of one flush per file. A process stopped midway
    loses nothing either way: what it wrote is the system's to keep; the flush guards against a power cut."""
    written: list[Path] = []
    token = _UNSYNCED.set(written)
    try:
        yield
    finally:
        _UNSYNCED.reset(token)
        if written:
            _flush(written)


def _flush(paths: list[Path]) -> None:
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:  # Windows: no system-wide flush
        with contextlib.suppress(OSError):
            handle = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
            try:
                os.fsync(handle)
            finally:
                os.close(handle)


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename: readers see the old bytes or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp")
    unsynced = _UNSYNCED.get()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file left by a stopped build is replaced, never written through (it could be a link).
        tmp.unlink(missing_ok=True)
        with open(tmp, "xb") as handle:
            handle.write(data)
            if unsynced is None:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
        if unsynced is not None:
            unsynced.append(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        open_elsewhere = path.exists() and exc.errno in (errno.EACCES, errno.EPERM, errno.EBUSY) and os.name == "nt"
        open_elsewhere |= isinstance(exc, PermissionError) and path.exists() and os.access(path.parent, os.W_OK)
        hint = " Is it open in Word or another program? Close it and build again." if open_elsewhere else ""
        words = describe_os_error(exc, path).split(": ", 1)[-1]
        raise OutputProblem(f"cannot write {path}: {words}.{hint} Files already written are kept; "
                            "the next build finishes the work.") from None


def next_version(version: str, major_change: bool = False) -> str:
    """The version after ``version``: 1.0 -> 1.1 for a minor change, 1.0 -> 2.0 for a major one."""
    major, _, minor = version.partition(".")
    try:
        return f"{int(major) + 1}.0" if major_change else f"{int(major)}.{int(minor or 0) + 1}"
    except ValueError:
        return "1.0"


# --- reading a manifest as untrusted input ---------------------------------------------------------------

_HASH = re.compile(r"^[0-9a-f]{64}$")
_REPORT = "\0report:"  # marks a damaged report entry among the damaged records
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VERSION = re.compile(r"^\d{1,4}\.\d{1,4}$")


def _safe_rel(rel: object) -> bool:
    """A plain relative path inside OUT: segments of letters, digits, '.', '_' and '-', never '..'."""
    if not isinstance(rel, str) or not rel or len(rel) > 500:
        return False
    return all(_SEGMENT.match(part) and part not in (".", "..") for part in rel.split("/"))


def _check_record(doc_id: object, value: object) -> Record:
    """A Record from one manifest entry, or ValueError saying what is wrong with it."""
    if not _safe_rel(doc_id) or str(doc_id).split("/")[0] not in ("panels", "agencies"):
        raise ValueError("its id is not a document's path")
    if not isinstance(value, dict):
        raise ValueError("it is not a mapping")
    known = {f.name for f in dataclasses.fields(Record)}
    fields = {name: item for name, item in value.items() if name in known}  # newer fields are kept aside
    text = ("fingerprint", "content", "version")
    for name in text:
        if not isinstance(fields.get(name), str):
            raise ValueError(f"{name} is missing or not text")
    if not _VERSION.match(fields["version"]):
        raise ValueError(f"version {fields['version'][:20]!r} is not like 1.0")
    for name in ("title", "group"):
        if not isinstance(fields.get(name, ""), str):
            raise ValueError(f"{name} is not text")
    history = fields.get("history")
    if not isinstance(history, list) or not all(
        isinstance(row, dict) and all(isinstance(row.get(k), str) for k in ("version", "date", "summary"))
        and _VERSION.match(row["version"]) and _iso_date(row["date"]) for row in history
    ):
        raise ValueError("its version history is damaged")
    if not isinstance(fields.get("inputs"), dict):
        raise ValueError("inputs is not a mapping")
    files = fields.get("files")
    if not isinstance(files, dict):
        raise ValueError("files is not a mapping")
    for rel, digest in files.items():
        if not (_safe_rel(rel) and rel.startswith(f"{doc_id}.") and rel.endswith(DOCUMENT_SUFFIXES)):
            raise ValueError(f"file {str(rel)[:60]!r} is not one of this document's files")
        if not (isinstance(digest, str) and _HASH.match(digest)):
            raise ValueError(f"the hash of {rel} is damaged")
    cites = fields.get("cites", {})
    if not isinstance(cites, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in cites.items()
    ):
        raise ValueError("cites is damaged")
    _check_lifecycle(str(doc_id), fields)
    return Record(**fields)


_KEPT = re.compile(r"^\.protocolgen/issued/")  # copies of issued versions, kept under OUT/.protocolgen


def _check_lifecycle(doc_id: str, fields: dict[str, Any]) -> None:
    """The fields of drafts and issues (status, issued version, changes, signatories, redline, coverage)."""
    if fields.get("status", "draft") not in ("draft", "issued"):
        raise ValueError("its status is neither draft nor issued")
    for name, kind in (("issued", dict), ("changes", list), ("signatories", list), ("coverage", dict)):
        if not isinstance(fields.get(name, kind()), kind):
            raise ValueError(f"{name} is damaged")
    if not isinstance(fields.get("change_kind", ""), str):
        raise ValueError("change_kind is not text")
    issued = fields.get("issued", {})
    if issued:
        if not (isinstance(issued.get("version"), str) and _VERSION.match(issued["version"])):
            raise ValueError("its issued version is damaged")
        if not (isinstance(issued.get("date"), str) and (issued["date"] == "" or _iso_date(issued["date"]))):
            raise ValueError("its issue date is damaged")
        for name in ("content", "markdown"):
            if name in issued and not (isinstance(issued[name], str) and (issued[name] == "" or _HASH.match(issued[name]))):
                raise ValueError(f"the {name} hash of its issued version is damaged")
        for rel in issued.get("files", []):
            if not (isinstance(rel, str) and _KEPT.match(rel) and _safe_rel(rel[1:]) and rel.endswith(DOCUMENT_SUFFIXES)):
                raise ValueError(f"the kept copy {str(rel)[:60]!r} is not under .protocolgen/issued")
    redline = fields.get("redline", "")
    if redline and not (isinstance(redline, str) and _safe_rel(redline) and redline.startswith(f"{doc_id}.")
                        and redline.endswith(".docx")):
        raise ValueError("its redline is not one of this document's files")
    if not all(isinstance(row, list) and all(isinstance(x, str) for x in row) for row in fields.get("signatories", [])):
        raise ValueError("its signatories are damaged")


def _iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_Read = tuple[dict[str, Record], dict[str, str], dict[str, str], str]


def _read_manifest(path: Path) -> tuple[_Read | None, str | None]:
    """(documents, reports, damaged record ids -> why, area name), or (None, why the file is unusable; None if
    absent)."""
    if not path.exists() and not path.is_symlink():
        return None, None
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("it is not a plain file")
        if path.stat().st_size > 200_000_000:
            raise ValueError("it is far too large")
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("it is not a JSON object")
        if data.get("format") not in (1, FORMAT):
            raise ValueError(f"unknown format {str(data.get('format'))[:20]!r}")
        raw_documents = data.get("documents")
        if not isinstance(raw_documents, dict):
            raise ValueError("it lists no documents")
    except (OSError, ValueError, RecursionError) as exc:
        return None, f"{exc.__class__.__name__}: {exc}"
    documents: dict[str, Record] = {}
    damaged: dict[str, str] = {}
    for doc_id, value in raw_documents.items():
        try:
            record = _check_record(doc_id, value)
            documents[doc_id] = _as_issued(record) if data["format"] == 1 else record
        except (ValueError, TypeError) as exc:
            damaged[str(doc_id)[:80]] = str(exc)
    reports: dict[str, str] = {}
    raw_reports = data.get("reports")
    for rel, digest in (raw_reports.items() if isinstance(raw_reports, dict) else ()):
        if _safe_rel(rel) and rel.endswith(REPORT_SUFFIXES) and isinstance(digest, str) and _HASH.match(digest):
            reports[rel] = digest
        else:
            damaged[f"{_REPORT}{str(rel)[:80]}"] = "not a report of this folder, or its hash is damaged"
    area = data.get("area", "")
    return (documents, reports, damaged, area if isinstance(area, str) else ""), None


# --- when the manifest is lost: what the documents say about themselves ----------------------------------

_FOOTER_VERSION = re.compile(r"Version (\d{1,4}\.\d{1,4})\b")
_LONG_DATE = re.compile(r"^(\d{1,2}) ([A-Z][a-z]+) (\d{4})$")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def written_by_protocolgen(data: bytes) -> bool:
    """Whether a .docx is as protocolgen wrote it: Word and LibreOffice put their own name in the
    application property, and raise the revision, when they save a document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            app = package.read("docProps/app.xml")
            core = package.read("docProps/core.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False
    return b"<Application>protocolgen</Application>" in app and b"<cp:revision>1</cp:revision>" in core


_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_FOOTER = re.compile(r"Version (\d{1,4}\.\d{1,4}) \| Issued (\d{1,2} [A-Z][a-z]+ \d{4})\b")


@dataclass(frozen=True)
class _Marks:
    """What a protocolgen .docx says about itself: its version, status and the hash of its Markdown (custom
    properties), its date (core properties, else its footer), and the rows of its version history table."""

    version: str
    status: str
    markdown: str
    dated: str
    history: list[dict[str, str]]


def _day(text: str) -> str:
    """'3 April 2026' -> '2026-04-03', or '' when it is not a real date in that form."""
    found = _LONG_DATE.match(text)
    if not found or found.group(2) not in _MONTHS:
        return ""
    try:
        return date(int(found.group(3)), _MONTHS.index(found.group(2)) + 1, int(found.group(1))).isoformat()
    except ValueError:  # "31 February": not a date protocolgen wrote
        return ""


def _docx_marks(data: bytes) -> _Marks | None:
    """The marks of a protocolgen .docx (the footer's version where the properties lack it), if any."""
    from lxml import etree  # only when a manifest is lost

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            footers = [package.read(n) for n in names if n.startswith("word/footer") and n.endswith(".xml")]
            body = etree.fromstring(package.read("word/document.xml"), parser)
            custom = etree.fromstring(package.read("docProps/custom.xml"), parser) \
                if "docProps/custom.xml" in names else None
            core = package.read("docProps/core.xml") if "docProps/core.xml" in names else b""
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, etree.XMLSyntaxError):
        return None
    props: dict[str, str] = {}
    if custom is not None:
        for prop in custom.iter(f"{_CUSTOM}property"):
            props[str(prop.get("name"))] = "".join(prop.itertext()).strip()
    version, dated = None, ""
    for footer in footers:
        try:
            text = "".join(etree.fromstring(footer, parser).itertext())
        except etree.XMLSyntaxError:
            continue
        if (found := _FOOTER.search(text)) is not None:
            version, dated = found.group(1), _day(found.group(2))
        elif version is None and (bare := _FOOTER_VERSION.search(text)) is not None:
            version = bare.group(1)
    if _VERSION.match(props.get("protocolgen-version", "")):
        version = props["protocolgen-version"]
    # The version's own date, in any language: the document's creation date is the day the version is dated.
    created = re.search(rb"<dcterms:created[^>]*>(\d{4}-\d\d-\d\d)", core)
    if created is not None and _iso_date(created.group(1).decode()):
        dated = created.group(1).decode()
    if version is None:
        return None
    history: list[dict[str, str]] = []
    for table in body.iter(f"{_W}tbl"):
        rows = [["".join(cell.itertext()).strip() for cell in row.iter(f"{_W}tc")] for row in table.iter(f"{_W}tr")]
        if not rows or len(rows[0]) != 3 or rows[0][0] != "Version":
            continue
        for cells in rows[1:]:
            day = _day(cells[1]) if len(cells) == 3 else ""
            if day and _VERSION.match(cells[0]):
                history.append({"version": cells[0], "date": day, "summary": cells[2]})
    status = props.get("protocolgen-status", "")
    markdown = props.get("protocolgen-content", "")
    return _Marks(version, status if status in ("draft", "issued") else "",
                  markdown if _HASH.match(markdown) else "", dated, history)


def _version_key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def _kept_marks(out_dir: Path, doc_id: str) -> dict[str, _Marks]:
    """The marks of each copy of an issued version kept under .protocolgen/issued/<document>/, by version."""
    found: dict[str, _Marks] = {}
    folder = out_dir / ".protocolgen" / "issued" / doc_id
    try:
        paths = sorted(folder.glob("*.docx")) if folder.is_dir() and not folder.is_symlink() else []
    except OSError:
        return found
    for path in paths[:1000]:
        if path.is_symlink() or not path.is_file() or not _VERSION.match(path.stem):
            continue
        data = path.read_bytes()
        marks = _docx_marks(data) if written_by_protocolgen(data) else None
        if marks is not None and marks.status == "issued" and marks.version == path.stem and marks.dated:
            found[path.stem] = marks
    return found


def _recovered(marks: _Marks, kept: dict[str, _Marks], files: dict[str, str], title: str, group: str) -> Record:
    """A record made from a document's own marks and the kept copies of its issued versions. Its fingerprint
    and content are empty (unknown), which tells the build to recognise the document by rendering it again.

    The issued versions are the rows of the document's version history table (a draft's last row is the
    draft itself), or, for documents without one, the kept copies; the last of them is the one in force."""
    status = marks.status or "issued"
    rows = [row for row in marks.history if not (status == "draft" and row["version"] == marks.version)]
    if not marks.history:
        rows = [{"version": v, "date": kept[v].dated, "summary": ""} for v in sorted(kept, key=_version_key)
                if status == "issued" or _version_key(v) < _version_key(marks.version)]
        if status == "issued" and marks.dated and all(row["version"] != marks.version for row in rows):
            rows.append({"version": marks.version, "date": marks.dated, "summary": ""})
    issued: dict[str, Any] = {}
    if rows:
        last = rows[-1]
        in_force = marks if status == "issued" and last["version"] == marks.version else kept.get(last["version"])
        issued = {"version": last["version"], "date": last["date"], "review": "", "content": "",
                  "markdown": in_force.markdown if in_force is not None else ""}
    elif status == "issued":  # an issued document whose date cannot be read: taken as a draft to rebuild
        status = "draft"
    return Record("", "", marks.version, rows, {}, files, title=title, group=group, status=status, issued=issued)


def recover_records(out_dir: Path, documents: dict[str, tuple[list[str], str, str]], manifest: Manifest) -> list[str]:
    """For documents (id -> files, title, group) the manifest does not know but whose files are in OUT: when
    the .docx carries protocolgen's own marks, add a record made from the document itself (its version, status
    and history, and those of the copies kept of its issued versions; its files as they are, so they are not
    taken for hand edits). A change report in Word that carries the marks is recognised too. Returns the ids
    recovered."""
    recovered = []
    for name in REPORT_NAMES:
        report = out_dir / name
        if name in manifest.reports or not report.is_file() or report.is_symlink():
            continue
        data = report.read_bytes()
        if not written_by_protocolgen(data):
            # Text pages carry no mark to tell protocolgen's from a hand edit: keep a copy beside it, so that
            # nothing is lost when the build replaces it.
            copy = report.with_name(f"{report.stem}.edited-{sha256(data)[:8]}{report.suffix}")
            if not copy.exists():
                atomic_write(copy, data)
            manifest.notes.append(f"kept a copy of {name} as {copy.name}, as it cannot be told from a hand edit")
        manifest.reports[name] = sha256(data)
    for doc_id, (rels, title, group) in sorted(documents.items()):
        if doc_id in manifest.documents:
            continue
        docx = next((rel for rel in rels if rel.endswith(".docx")), None)
        path = out_dir / docx if docx else None
        if path is None or not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        marks = _docx_marks(data) if written_by_protocolgen(data) else None
        if marks is None:
            continue
        files = {docx: sha256(data)} if docx else {}
        for rel in rels:
            other = out_dir / rel
            if rel != docx and rel.endswith(".html") and other.is_file() and not other.is_symlink():
                page = other.read_bytes()
                if f" {marks.version} |".encode() in page:  # the page of the same version ("Version 1.0 |")
                    files[rel] = sha256(page)
        manifest.documents[doc_id] = _recovered(marks, _kept_marks(out_dir, doc_id), files, title, group)
        recovered.append(doc_id)
    return recovered
