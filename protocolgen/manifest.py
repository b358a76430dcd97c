"""The build manifest: what each document was built from, what was written, its version, status and history.

Staleness is decided by content fingerprints, never by file times. Each document records a hash per input
(and per top-level field of each input), so a stale document can say in plain words what changed.

A document is a *draft* until ``protocolgen issue`` issues it; the record then keeps what the issued version
was (``Record.issued``), and the Markdown and input values of every issued version are kept in files under
``OUT/.protocolgen/issued/`` (see ``lifecycle``) rather than in the manifest, which stays small.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputProblem

MANIFEST_NAME = ".protocolgen-manifest.json"
JOURNAL_NAME = ".protocolgen-pending.json"
FORMAT = 2  # 2: drafts and issues (status, issued, changes); format 1 manifests are read as all issued


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def summarise_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the manifest keeps of a job's inputs: per input a hash per field, or the value if it is small."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, dict):
            out[name] = {key: sha256(_canonical(item))[:16] for key, item in sorted(value.items())}
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


def explain(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Plain reasons why two input summaries differ, e.g. 'legislation x: title changed'."""
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

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        path = out_dir / MANIFEST_NAME
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") not in (1, FORMAT):
                raise ValueError(f"unknown format {data.get('format')!r}")
            documents = {key: Record(**value) for key, value in data["documents"].items()}
            if data["format"] == 1:
                documents = {key: _as_issued(record) for key, record in documents.items()}
            reports = {str(k): str(v) for k, v in data.get("reports", {}).items()}
            return cls(documents, reports, area=str(data.get("area", "")))
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            return cls(problem=f"{path.name} could not be read ({exc.__class__.__name__}: {exc})")

    def to_json(self) -> str:
        body = {"format": FORMAT, "documents": {k: v.to_json() for k, v in sorted(self.documents.items())},
                "reports": dict(sorted(self.reports.items())), "area": self.area}
        return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def known_hashes(self, relpath: str) -> set[str]:
        """Every hash protocolgen is known to have written at ``relpath``."""
        known = {rec.files[relpath] for rec in self.documents.values() if relpath in rec.files}
        return known | ({self.reports[relpath]} if relpath in self.reports else set())


def _as_issued(record: Record) -> Record:
    """A record of a format 1 manifest, written when every build issued its documents: issued as it stands."""
    last = record.history[-1] if record.history else {}
    issued = {"version": record.version, "date": last.get("date", ""), "review": "", "content": record.content,
              "signatories": []}
    return dataclasses.replace(record, status="issued", issued=issued)


def read_journal(out_dir: Path) -> dict[str, str]:
    """Hashes of files an interrupted build was about to write: they are ours, not hand edits."""
    try:
        data = json.loads((out_dir / JOURNAL_NAME).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename: readers see the old bytes or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        hint = " Is it open in Word or another program? Close it and build again." if path.exists() else ""
        raise OutputProblem(f"cannot write {path}: {exc.strerror or exc}.{hint} Files already written are kept; "
                            "the next build finishes the work.") from None


def next_version(version: str, major_change: bool = False) -> str:
    """The version after ``version``: 1.0 -> 1.1 for a minor change, 1.0 -> 2.0 for a major one."""
    major, _, minor = version.partition(".")
    try:
        return f"{int(major) + 1}.0" if major_change else f"{int(major)}.{int(minor or 0) + 1}"
    except ValueError:
        return "1.0"
