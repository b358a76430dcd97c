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
    from .area import LoadedArea
    from .manifest import Manifest


@dataclass
class DocChange:
    id: str
    title: str
    old_version: str | None
    new_version: str
    reasons: list[str]


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


def changes_markdown(changes: list[DocChange], area_name: str, issued: date, names: Names) -> str:
    """The change report: what changed in each document since the last build, for re-circulation."""
    from .render import md_escape

    changed = sorted((c for c in changes if c.old_version), key=lambda c: c.id)
    new = sorted((c for c in changes if not c.old_version), key=lambda c: c.id)
    lines = [
        (f"This report lists the documents of {md_escape(area_name)} that this build created or changed "
         f"(documents dated {long_date(issued)})."),
        "",
    ]
    if changed:
        lines += ["# Changed documents", "",
                  ("Each of these documents has a new version. Send it to its signatories again where its "
                   "content changed in substance."), ""]
        for change in changed:
            lines += [f"## {md_escape(change.title)}", "",
                      (f"File {md_escape(change.id)}, version {change.old_version} to {change.new_version}. "
                       "What changed:"), ""]
            lines += [f"- {md_escape(names.plain(reason, keep_id=True))}" for reason in change.reasons]
            lines.append("")
    if new:
        lines += ["# New documents", "", "| Document | File | Version |", "|---|---|---|"]
        lines += [f"| {md_escape(c.title)} | {md_escape(c.id)} | {c.new_version} |" for c in new]
        lines.append("")
    return "\n".join(lines)


def index_html(manifest: Manifest, area_name: str) -> str:
    """A page linking every document, grouped by panel and by agency."""
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
                for rel in sorted(record.files):
                    fmt = "Word" if rel.endswith(".docx") else "web page"
                    parts.append(f'<li><a href="{esc(rel)}">{esc(record.title or rel)}</a> '
                                 f"({fmt}, version {esc(record.version)})</li>")
            parts.append("</ul>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)
