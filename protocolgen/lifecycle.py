"""Drafts and issues: the version, status and dates a document carries, and what is kept of each issued version.

A document is a draft until it is issued. A never-issued document is a draft of 1.0; once 1.0 is issued, a
change makes it a draft of 1.1 (minor change) or 2.0 (major change, see ``changes``), and rebuilding that
draft keeps its version. Issuing dates the version the day it is issued and makes the one before it
superseded (it stays in the version history).

Of each issued version, ``OUT/.protocolgen/issued/<document id>/<version>.md`` keeps its Markdown (for the
redline between two issued versions), ``<version>.json`` the input values it was made from (for the change
report's old and new values), and ``<version>.docx`` (and ``.html``) a copy of the files as issued, which the
drafts that follow overwrite in place. They live beside the manifest rather than in it, so it stays small.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .manifest import ISSUED_DIR, Record, next_version, sha256
from .models import Area
from .resolve import DocInfo, HistoryRow, Job, add_months


def is_protocol(doc_id: str) -> bool:
    return doc_id.startswith("panels/") and doc_id.endswith("/protocol")


def review_for(area: Area, issued_on: date) -> date:
    """The next review of a version issued on ``issued_on``: the area's fixed date, or issue date + interval."""
    return area.next_review_date or add_months(issued_on, area.review_interval_months)


def history(record: Record | None) -> tuple[HistoryRow, ...]:
    """The issued versions, oldest first (every one but the last is superseded)."""
    rows = record.history if record is not None else []
    return tuple(HistoryRow(row["version"], date.fromisoformat(row["date"]), row["summary"]) for row in rows)


def issued_version(record: Record | None) -> str | None:
    return str(record.issued["version"]) if record is not None and record.issued else None


def issued_on(record: Record) -> date | None:
    when = record.issued.get("date") if record.issued else None
    return date.fromisoformat(when) if when else None


def draft_version(record: Record | None, major: bool) -> str:
    """1.0 for a never-issued document; else the issued version bumped by the kind of change."""
    issued = issued_version(record)
    return "1.0" if issued is None else next_version(issued, major)


def _area(job: Job) -> Area:
    area = job.context["area"]
    assert isinstance(area, Area)
    return area


def issued_doc(job: Job, record: Record) -> DocInfo:
    """The last issued version of ``record``'s document as it reads with today's inputs (so that a change in
    the inputs shows as a change of content)."""
    rows = history(record)
    when = issued_on(record) or job.doc.issue_date
    return dataclasses.replace(job.doc, status="issued", version=str(record.issued["version"]), issue_date=when,
                               review_date=review_for(_area(job), when), history=rows,
                               last_review=rows[-2].date if len(rows) > 1 else None)


def draft_doc(job: Job, record: Record | None, version: str, summary: str) -> DocInfo:
    """A draft: dated as the area is, with a draft row after the issued versions in its history."""
    rows = history(record)
    if rows:
        rows = (*rows, HistoryRow(version, job.doc.issue_date, f"Draft: {summary}"))
    last = issued_on(record) if record is not None and record.issued else None
    return dataclasses.replace(job.doc, status="draft", version=version, history=rows, last_review=last)


def issue_doc(job: Job, record: Record, when: date, summary: str) -> DocInfo:
    """The draft of ``record`` as issued on ``when``."""
    rows = (*history(record), HistoryRow(record.version, when, summary))
    last = issued_on(record) if record.issued else None
    return dataclasses.replace(job.doc, status="issued", version=record.version, issue_date=when,
                               review_date=review_for(_area(job), when), history=rows, last_review=last)


# --- what is kept of an issued version -------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """An issued version as kept under OUT/.protocolgen: its Markdown and the input values it was made of."""

    markdown: str
    values: dict[str, Any]
    summary: dict[str, Any]


def snapshot_paths(doc_id: str, version: str) -> tuple[str, str]:
    base = f"{ISSUED_DIR}/{doc_id}/{version}"
    return f"{base}.md", f"{base}.json"


def snapshot_files(doc_id: str, version: str, snapshot: Snapshot) -> dict[str, bytes]:
    md_rel, json_rel = snapshot_paths(doc_id, version)
    body = {"document": doc_id, "version": version, "values": snapshot.values, "summary": snapshot.summary}
    text = json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return {md_rel: snapshot.markdown.encode("utf-8"), json_rel: text.encode("utf-8")}


def kept_copies(doc_id: str, version: str, files: list[str]) -> dict[str, str]:
    """Where the copy of each issued file is kept: ``panels/x/protocol.docx`` -> ``.../protocol/1.0.docx``."""
    base = f"{ISSUED_DIR}/{doc_id}/{version}"
    return {rel: f"{base}{Path(rel).suffix}" for rel in files}


def read_snapshot(out_dir: Path, doc_id: str, record: Record) -> Snapshot | None:
    """The last issued version of ``record`` as kept on disk; None when it is missing or does not match the
    manifest (a file edited or lost: the change report then says so instead of guessing)."""
    version = issued_version(record)
    if version is None:
        return None
    md_rel, json_rel = snapshot_paths(doc_id, version)
    try:
        markdown = (out_dir / md_rel).read_text(encoding="utf-8")
        data = json.loads((out_dir / json_rel).read_text(encoding="utf-8"))
        values, summary = data["values"], data["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # The kept Markdown is checked against the hash of the issued Markdown (older manifests kept it as "content").
    if sha256(markdown) != record.issued.get("markdown", record.issued.get("content")) or not isinstance(values, dict):
        return None
    return Snapshot(markdown, values, summary if isinstance(summary, dict) else {})

