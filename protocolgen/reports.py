"""Reports about the documents rather than documents themselves: the change report and the index page.

``build`` (and ``issue``) decide what the reports say; this module only turns that into Markdown or HTML, in
the reader's words: register keys and agency ids become the names readers know (``Names``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from .render import long_date

if TYPE_CHECKING:
    from .coverage import Report
    from .loaded import LoadedArea
    from .manifest import Manifest, Record
    from .signoff import ProtocolSignoff


@dataclass
class DocChange:
    """A document a build drafted or an issue issued: its last issued version (None if never issued), its new
    version, and what changed, in plain words with old and new values."""

    id: str
    title: str
    old_version: str | None
    new_version: str
    reasons: list[str]
    kind: str = ""  # "new", "minor" or "major"
    redline: str = ""  # the tracked-changes document, relative to OUT (issues only)

    @property
    def protocol(self) -> bool:
        return self.id.startswith("panels/") and self.id.endswith("/protocol")


class Names:
    """Turns the ids in a reason ('legislation crime-and-disorder-act-1998-s115: title changed') into the
    names a reader knows ('Crime and Disorder Act 1998, section 115: title changed')."""

    _ID = re.compile(r"^(legislation|agency|panel) ([a-z0-9-]+)(?=:)")

    def __init__(self, loaded: LoadedArea):
        self.names = {("legislation", k): e.citation for k, e in loaded.register.items()}
        self.names |= {("agency", k): a.name for k, a in loaded.agencies.items()}
        self.names |= {("panel", k): p.name for k, p in loaded.panels.items()}

    def plain(self, reason: str, keep_id: bool = False) -> str:
        def name(match: re.Match[str]) -> str:
            known = self.names.get((match.group(1), match.group(2)))
            if known is None:
                return match.group(0)
            return f"{known} ({match.group(2)})" if keep_id else known

        return self._ID.sub(name, reason)


def sentence(reasons: list[str]) -> str:
    text = "; ".join(reasons)
    return text[0].upper() + text[1:] + "."


def pending_changes(manifest: Manifest) -> list[DocChange]:
    """Every draft in the manifest with what it changes since its last issued version (a build's report)."""
    return [
        DocChange(doc_id, record.title, str(record.issued["version"]) if record.issued else None, record.version,
                  [str(c["text"]) for c in record.changes], kind=record.change_kind or "new")
        for doc_id, record in sorted(manifest.documents.items()) if record.status == "draft"
    ]


def changes_markdown(changes: list[DocChange], area_name: str, when: date, *, issued: bool = False) -> str:
    """The change report: per document, what changed since its last issued version, with old and new values,
    grouped by what to do next (sign again, publish again, first issue). ``issued``: the report of an issue
    (dated ``when``); otherwise of the drafts a build left (dated as the area is)."""
    from .render import md_escape

    changed = sorted((c for c in changes if c.old_version), key=lambda c: c.id)
    new = sorted((c for c in changes if not c.old_version), key=lambda c: c.id)
    if issued:
        redlines = (" Each re-issued document has a Word redline beside it, showing the changes as tracked "
                    "changes.") if any(c.redline for c in changes) else ""
        lines = [(f"This report lists the documents of {md_escape(area_name)} issued on {long_date(when)}, and "
                  f"what changed in each since its previous issued version.{redlines}"), ""]
    else:
        lines = [(f"This report lists the draft documents of {md_escape(area_name)} (dated {long_date(when)}) "
                  "and what each changes since its last issued version. Nothing here is in force until it is "
                  "issued (protocolgen issue)."), ""]
    sections = (
        ("Protocols to sign again",
         ("Each controller signs the new version of these protocols once it is issued; earlier signatures are "
          "for the earlier version."), [c for c in changed if c.protocol]),
        ("Notices and consent forms to publish again",
         "Publish the new version of these documents in place of the old one once it is issued.",
         [c for c in changed if not c.protocol]),
    )
    for heading, advice, items in sections:
        if not items:
            continue
        lines += [f"# {heading}", "", advice, ""]
        for change in items:
            what = f"{'version' if issued else 'draft of version'} {change.new_version}"
            kind = f" ({change.kind} changes)" if change.kind in ("major", "minor") else ""
            redline = f" Tracked changes: {md_escape(change.redline)}." if change.redline else ""
            lines += [f"## {md_escape(change.title)}", "",
                      (f"File {md_escape(change.id)}: version {change.old_version} to {what}{kind}.{redline} "
                       "What changed:"), ""]
            lines += [f"- {md_escape(reason)}" for reason in change.reasons]
            lines.append("")
    if new:
        title = "Issued for the first time" if issued else "New documents, not yet issued"
        lines += [f"# {title}", "", "| Document | File | Version |", "|---|---|---|"]
        lines += [f"| {md_escape(c.title)} | {md_escape(c.id)} | {c.new_version} |" for c in new]
        lines.append("")
    return "\n".join(lines)


def _state(record: Record, signoff: ProtocolSignoff | None) -> str:
    """A document's version and status in a few words, for the index."""
    def issued_text() -> str:
        when = record.issued.get("date")  # empty for a format 1 record without history: the date is not known
        text = f"version {record.issued['version']}" + (f", issued {long_date(date.fromisoformat(when))}" if when else "")
        review = record.issued.get("review")
        return text + (f", next review by {long_date(date.fromisoformat(review))}" if review else "")

    if record.status == "issued" and record.issued:
        text = issued_text()
    elif record.issued:
        text = f"draft of version {record.version}; in force: {issued_text()}"
    else:
        text = f"draft of version {record.version}, not yet issued"
    if signoff is not None:
        text += f"; {signoff.summary}"
    return text


def index_html(manifest: Manifest, area_name: str, signoff: dict[str, ProtocolSignoff] | None = None,
               covered: dict[str, Report] | None = None) -> str:
    """A page linking every document, grouped by panel and by agency, with each one's version, status, issue
    date, next review, (protocols) how many controllers have signed the issued version, and its coverage of
    what its kind must say (with a link to the coverage report)."""
    groups: dict[str, list[str]] = {}
    for doc_id in sorted(manifest.documents):
        folder = doc_id.rsplit("/", 1)[0]
        groups.setdefault(folder, []).append(doc_id)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(area_name)}: documents</title>",
        ("<style>body{font-family:Arial,Helvetica,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;"
         "line-height:1.5;color:#1b1b1b}h2{margin-top:2rem;border-bottom:1px solid #ccc}a{color:#1d4f91}</style>"),
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{esc(area_name)}: documents</h1>",
    ]
    for section, label in (("panels", "Panels"), ("agencies", "Agencies")):
        folders = [f for f in groups if f.startswith(section + "/")]
        if not folders:
            continue
        parts.append(f"<h2>{label}</h2>")
        for folder in folders:
            first = manifest.documents[groups[folder][0]]
            parts.append(f"<h3>{esc(first.group or folder.split('/', 1)[1])}</h3>")
            parts.append("<ul>")
            for doc_id in groups[folder]:
                record = manifest.documents[doc_id]
                links = [f'<a href="{esc(rel)}">{esc(record.title or rel) if i == 0 else _kind_of_file(rel)}</a>'
                         + (" (Word)" if rel.endswith(".docx") else "")
                         for i, rel in enumerate(sorted(record.files))]
                if record.status == "draft" and record.issued.get("files"):
                    # The files above are the draft; the version in force is kept under .protocolgen.
                    links += [f'<a href="{esc(rel)}">version {esc(str(record.issued["version"]))} in force</a>'
                              + (" (Word)" if rel.endswith(".docx") else " (web page)")
                              for rel in record.issued["files"]]
                elif record.redline:
                    links.append(f'<a href="{esc(record.redline)}">tracked changes</a>')
                state = _state(record, (signoff or {}).get(doc_id))
                report = (covered or {}).get(doc_id)
                if report is not None:
                    state += "; " + _coverage_note(report)
                parts.append(f"<li>{', '.join(links)}: {esc(state)}</li>")
            parts.append("</ul>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _kind_of_file(rel: str) -> str:
    """The link text of a document's second and later files (the first, its Word document, is its title)."""
    return "PDF" if rel.endswith(".pdf") else "web page"


def _coverage_note(report: Report) -> str:
    """'covers all 15 required items', or 'MISSING 2 of 15 required items (see coverage.md)'."""
    total = len(report.found)
    missing = len(report.missing)
    if not missing:
        return f"covers all {total} required items"
    return f"MISSING {missing} of {total} required items (see coverage.md)"
