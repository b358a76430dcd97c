"""Build: runs the stages (load, validate, resolve, render, write, record). The only module that knows them all.

The build gathers every document in memory before it writes any; then it writes each changed file
atomically, and the manifest last. A journal of the hashes about to be written lets a build killed midway
recognise its own files on the next run, so they are not mistaken for hand edits.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, outdir
from .area import LoadedArea, load_area
from .errors import Diagnostic, OutputProblem, TemplateProblem
from .manifest import (
    BACKUP_NAME,
    JOURNAL_NAME,
    MANIFEST_NAME,
    Manifest,
    Record,
    add_to_journal,
    atomic_write,
    content_hash,
    explain,
    fingerprint,
    next_version,
    read_journal,
    recover_records,
    settle,
    sha256,
    summarise_inputs,
)
from .render import Renderer, bundled_templates, long_date
from .resolve import DocInfo, HistoryRow, Job, recording, resolve
from .validate import check_selection

if TYPE_CHECKING:  # the Word writer is imported only when a build runs: validation stays quick
    from .write import DocMeta, DocxWriter

KIND_LABELS = {
    "protocol": "Information sharing protocol",
    "panel-notice": "Privacy notice for families",
    "young-people": "Information for young people",
    "agency-notice": "Privacy notice",
    "consent-form": "Consent form",
}


@dataclass(frozen=True)
class BuildOptions:
    area_dir: Path = Path("agency_profiles")
    out_dir: Path = Path("output")
    only: tuple[str, ...] = ()
    emit_markdown: bool = False
    templates_dir: Path | None = None
    reference_docx: Path | None = None
    as_of: date | None = None
    force: bool = False
    strict: bool = False


@dataclass
class DocChange:
    id: str
    title: str
    old_version: str | None
    new_version: str
    reasons: list[str]


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)  # output files written, relative to OUT
    unchanged: list[str] = field(default_factory=list)  # document ids left as they were
    edited: list[str] = field(default_factory=list)  # files kept because they were edited by hand
    backups: list[str] = field(default_factory=list)
    changes: list[DocChange] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    documents: int = 0


@dataclass
class StaleDoc:
    id: str
    reasons: list[str]


def render_markdown(job: Job, renderer: Renderer, doc: DocInfo | None = None) -> str:
    """The job's Markdown: its template rendered with its context and ``doc`` (version, history)."""
    return renderer.render(job.template, {**job.context, "doc": doc or job.doc})


def render_recording(job: Job, renderer: Renderer, doc: DocInfo) -> tuple[str, dict[str, list[str]]]:
    """The Markdown, and the fields of each register entry the template actually printed."""
    with recording() as cited:
        markdown = render_markdown(job, renderer, doc)
    return markdown, {key: sorted(fields) for key, fields in sorted(cited.items())}


def doc_meta(job: Job, doc: DocInfo) -> DocMeta:
    from .write import DocMeta

    area = job.context["area"]
    keywords = [area.name, KIND_LABELS[job.kind], "information sharing", "safeguarding children"]
    if "panel" in job.context:
        keywords.insert(1, job.context["panel"].name)
    return DocMeta(
        title=doc.title,
        subject=str(job.context["subject"]),
        author=area.issuing_body,
        keywords=tuple(keywords),
        created=area.issue_date,
        version=doc.version,
        issue_date_text=long_date(doc.issue_date),
        reference=doc.reference,
        numbered_headings=job.kind == "protocol",
    )


def _outputs(job: Job) -> list[str]:
    return [f"{job.id}.docx", *([f"{job.id}.html"] if job.html else [])]


class _Inputs:
    """Fingerprints shared by every job of a build: templates, house style, protocolgen itself."""

    def __init__(self, renderer: Renderer, reference: Path | None):
        self.renderer = renderer
        self.reference_hash = sha256((reference or bundled_templates() / "reference.docx").read_bytes())
        self._template: dict[str, str] = {}

    def of(self, job: Job, cites: dict[str, list[str]] | None) -> dict:
        """The fingerprinted inputs. Of the register entries in scope, only the fields the document printed
        count (every field, when that is not yet known); the scope itself is recorded by key."""
        if job.template not in self._template:
            self._template[job.template] = self.renderer.fingerprint(job.template)
        chosen = {}
        for name, value in job.inputs.items():
            if not name.startswith("legislation:") or cites is None:
                chosen[name] = value
            elif (fields := cites.get(name.split(":", 1)[1])) is not None:
                chosen[name] = {f: value.get(f) for f in fields}
        summary = summarise_inputs(chosen)
        summary["legislation-in-scope"] = sorted(n.split(":", 1)[1] for n in job.inputs if n.startswith("legislation:"))
        summary.update(template=self._template[job.template], reference_docx=self.reference_hash,
                       protocolgen=__version__)
        return summary


def _check_output_dir(out_dir: Path, area_dir: Path | None = None) -> None:
    outdir.check_folders(out_dir, area_dir)


def status(options: BuildOptions) -> tuple[list[StaleDoc], list[str], list[Diagnostic]]:
    """Stale documents with reasons, and hand-edited files; writes nothing."""
    loaded = load_area(options.area_dir, options.strict)
    check_selection(loaded, options.only)
    _check_output_dir(options.out_dir, options.area_dir)
    renderer = Renderer(options.templates_dir)
    inputs = _Inputs(renderer, options.reference_docx)
    outdir.check_targets(options.out_dir, [MANIFEST_NAME, BACKUP_NAME])
    manifest = Manifest.read(options.out_dir)
    stale: list[StaleDoc] = []
    edited: list[str] = []
    jobs = resolve(loaded, options.as_of, options.only)
    outdir.check_targets(options.out_dir, [rel for job in jobs for rel in _outputs(job)] + list(manifest.reports))
    for job in jobs:
        record = manifest.documents.get(job.id)
        if record is None:
            stale.append(StaleDoc(job.id, ["never built" if not manifest.problem else "manifest unreadable"]))
            continue
        summary = inputs.of(job, record.cites)
        reasons = explain(record.inputs, summary) if record.fingerprint != fingerprint(summary) else []
        for rel in _outputs(job):
            path = options.out_dir / rel
            if not path.exists():
                reasons.append(f"{rel} is missing")
            elif sha256(path.read_bytes()) != record.files.get(rel):
                edited.append(rel)
        if reasons:
            stale.append(StaleDoc(job.id, reasons))
    for rel, digest in sorted(manifest.reports.items()):
        path = options.out_dir / rel
        if path.exists() and sha256(path.read_bytes()) != digest:
            edited.append(rel)
    return stale, edited, loaded.warnings


@dataclass
class _Planned:
    """A document the build will (re)write: its manifest record and the bytes of each file."""

    job: Job
    record: Record
    files: dict[str, bytes]


class _Planner:
    """Decides, document by document, whether to write and what: the gather phase of a build."""

    def __init__(self, options: BuildOptions, manifest: Manifest, inputs: _Inputs, renderer: Renderer,
                 writer: DocxWriter, result: BuildResult, names: _Names):
        self.options, self.manifest, self.inputs = options, manifest, inputs
        self.renderer, self.writer, self.result, self.names = renderer, writer, result, names

    def plan(self, job: Job) -> _Planned | None:
        old = self.manifest.documents.get(job.id)
        files_ok = old is not None and all((self.options.out_dir / rel).exists() for rel in _outputs(job))
        wants_markdown = self.options.emit_markdown
        if old is not None and files_ok and not wants_markdown and old.fingerprint == fingerprint(
            self.inputs.of(job, old.cites)
        ):
            return None  # nothing it depends on has changed
        history = tuple(HistoryRow(h["version"], date.fromisoformat(h["date"]), h["summary"])
                        for h in (old.history if old else []))
        doc = dataclasses.replace(job.doc, version=old.version if old else "1.0", history=history)
        markdown, cited = render_recording(job, self.renderer, doc)
        summary = self.inputs.of(job, cited)
        if old is not None and not old.content:  # recovered from the document itself: the manifest was lost
            old = self._recognise(job, doc, markdown, old)
        if old is not None and content_hash(markdown, doc_meta(job, doc), self.inputs.reference_hash) == old.content:
            # The document reads as before: same version. Record the new fingerprint, and write only what
            # is missing (a deleted file comes back byte for byte) or asked for (--emit-markdown).
            record = dataclasses.replace(old, fingerprint=fingerprint(summary), inputs=summary, cites=cited)
            self.manifest.documents[job.id] = record
            if files_ok and not wants_markdown:
                return None
            return self._planned(job, record, doc, markdown)
        if old is None:
            reasons, version = ["new document"], "1.0"
            history_rows = [{"version": version, "date": job.doc.issue_date.isoformat(), "summary": "First issue"}]
        else:
            reasons, version = explain(old.inputs, summary) or ["content changed"], next_version(old.version)
            summary_text = _sentence([self.names.plain(reason) for reason in reasons])
            row = {"version": version, "date": job.doc.issue_date.isoformat(), "summary": summary_text}
            history_rows = [*old.history, row]
            doc = dataclasses.replace(doc, version=version,
                                      history=(*history, HistoryRow(version, job.doc.issue_date, row["summary"])))
            markdown = render_markdown(job, self.renderer, doc)
        printed = content_hash(markdown, doc_meta(job, doc), self.inputs.reference_hash)
        record = Record(fingerprint(summary), printed, version, history_rows, summary, {},
                        title=job.doc.title, group=_group(job), cites=cited)
        self.result.changes.append(DocChange(job.id, job.doc.title, old.version if old else None, version, reasons))
        return self._planned(job, record, doc, markdown)

    def _recognise(self, job: Job, doc: DocInfo, markdown: str, old: Record) -> Record:
        """A recovered record whose document, rendered again at its own version, is byte for byte the file
        in OUT: the document has not changed, so it keeps its version."""
        rel = f"{job.id}.docx"
        path = self.options.out_dir / rel
        if rel in old.files and path.is_file() and self.writer.render(markdown, doc_meta(job, doc)) == path.read_bytes():
            return dataclasses.replace(old, content=content_hash(markdown, doc_meta(job, doc), self.inputs.reference_hash))
        return old

    def _planned(self, job: Job, record: Record, doc: DocInfo, markdown: str) -> _Planned:
        from .write import render_html

        meta = doc_meta(job, doc)
        try:
            files = {f"{job.id}.docx": self.writer.render(markdown, meta)}
            if job.html:
                files[f"{job.id}.html"] = render_html(markdown, meta).encode("utf-8")
        except ValueError as exc:  # Markdown the writers cannot lay out, e.g. an unknown ::: container
            raise TemplateProblem(f"{job.template} (for {job.id}): {exc}") from None
        record = dataclasses.replace(record, files={rel: sha256(data) for rel, data in files.items()})
        if self.options.emit_markdown:
            files[f"{job.id}.md"] = markdown.encode("utf-8")
        return _Planned(job, record, files)


def _hand_edited(planned: _Planned, out: Path, manifest: Manifest, journal: dict[str, set[str]]) -> list[str]:
    """The files of ``planned`` whose bytes on disk protocolgen did not write (nor is about to)."""
    conflicts = []
    for rel, data in planned.files.items():
        path = out / rel
        if rel.endswith(".md") or not path.exists():
            continue
        current = sha256(path.read_bytes())
        ours = manifest.known_hashes(rel) | journal.get(rel, set())
        if current not in ours and current != sha256(data):
            conflicts.append(rel)
    return conflicts


def build(options: BuildOptions, progress: Callable[[Iterable[Job]], Iterable[Job]] | None = None) -> BuildResult:
    """Validate the area, then (re)write every document whose inputs or content changed."""
    _check_output_dir(options.out_dir, options.area_dir)
    with outdir.holding(options.out_dir):  # one build at a time in OUT
        return _build(options, progress)


def _build(options: BuildOptions, progress: Callable[[Iterable[Job]], Iterable[Job]] | None) -> BuildResult:
    from .write import DocMeta, DocxWriter

    loaded = load_area(options.area_dir, options.strict)  # raises before anything is written
    check_selection(loaded, options.only)
    out = options.out_dir
    result = BuildResult(warnings=loaded.warnings)
    renderer = Renderer(options.templates_dir)
    try:
        writer = DocxWriter(options.reference_docx)
    except ValueError as exc:  # a file that is not a Word document at all
        raise OutputProblem(f"--reference-docx: {exc}") from None
    outdir.check_targets(out, [MANIFEST_NAME, BACKUP_NAME, JOURNAL_NAME])
    manifest = Manifest.read(out)
    journal = read_journal(out)
    jobs = resolve(loaded, options.as_of, options.only)
    result.documents = len(jobs)
    outdir.check_targets(out, [rel for job in jobs for rel in _outputs(job)])
    if manifest.problem or manifest.notes:
        recovered = recover_records(out, {j.id: (_outputs(j), j.doc.title, _group(j)) for j in jobs}, manifest)
        if manifest.problem:
            result.notes.append(f"{manifest.problem}; rebuilding every document" + (
                f" ({len(recovered)} recognised as protocolgen's own, their versions kept)" if recovered else ""))
    result.notes += manifest.notes

    # 1. Gather: decide and render every document in memory; nothing is written yet.
    planner = _Planner(options, manifest, _Inputs(renderer, options.reference_docx), renderer, writer, result,
                       _Names(loaded))
    planned = []
    for job in progress(jobs) if progress else jobs:
        item = planner.plan(job)
        if item is None:
            result.unchanged.append(job.id)
        else:
            planned.append(item)

    outdir.check_targets(out, [rel for item in planned for rel in item.files] + ["index.html", "changes.md",
                                                                                  "changes.docx"])
    # 2. Protect hand edits: a file whose bytes we did not write is kept unless --force (then backed up).
    to_write: list[_Planned] = []
    for item in planned:
        conflicts = _hand_edited(item, out, manifest, journal)
        if conflicts and not options.force:
            result.edited.extend(conflicts)
            result.changes = [c for c in result.changes if c.id != item.job.id]
            continue
        for rel in conflicts:
            result.backups.append(_back_up(out, rel))
        to_write.append(item)
    for item in to_write:
        manifest.documents[item.job.id] = item.record
    if not options.only:
        live = {job.id for job in jobs}
        result.removed = sorted(set(manifest.documents) - live)
        for gone in result.removed:
            del manifest.documents[gone]

    # 3. The reports, in memory too: the change report and the index of every document.
    area = loaded.area
    assert area is not None  # load_area raised if the area could not be loaded
    reports: dict[str, bytes] = {}
    if result.changes:
        report_md = changes_markdown(result.changes, area.name, area.issue_date, _Names(loaded))
        meta = DocMeta(title=f"{area.name}: changes to documents", subject="What changed in this build",
                       author=area.issuing_body, keywords=("changes",), created=area.issue_date,
                       version="1.0", issue_date_text=long_date(area.issue_date), numbered_headings=False)
        reports["changes.md"] = report_md.encode("utf-8")
        reports["changes.docx"] = writer.render(report_md, meta)
    reports["index.html"] = index_html(manifest, area.name).encode("utf-8")

    # 4. Write: journal first, then each file atomically, and the manifest last.
    pending = {rel: sha256(data) for item in to_write for rel, data in item.files.items()}
    pending |= {rel: sha256(data) for rel, data in reports.items() if _differs(out / rel, data)}
    if pending:
        add_to_journal(out, journal, pending)
    for item in to_write:
        for rel, data in item.files.items():
            if rel.endswith(".md"):  # a review copy (--emit-markdown) is protected from overwriting like a report
                _write_report(out, rel, data, manifest, journal, options.force, result)
            elif _differs(out / rel, data):
                atomic_write(out / rel, data)
                result.written.append(rel)
    for rel, data in reports.items():
        _write_report(out, rel, data, manifest, journal, options.force, result)
    manifest_bytes = manifest.to_json().encode("utf-8")
    if _differs(out / MANIFEST_NAME, manifest_bytes):
        atomic_write(out / MANIFEST_NAME, manifest_bytes)
    settle(out, manifest, journal, manifest_bytes)  # the manifest's backup copy; the journal kept until recorded
    return result


def _back_up(out: Path, rel: str) -> str:
    """Keep a hand-edited file beside itself as name.edited-<hash>.ext; returns the copy's path."""
    path = out / rel
    data = path.read_bytes()
    backup = path.with_name(f"{path.stem}.edited-{sha256(data)[:8]}{path.suffix}")
    atomic_write(backup, data)
    return backup.relative_to(out).as_posix()


def _write_report(out: Path, rel: str, data: bytes, manifest: Manifest, journal: dict[str, set[str]], force: bool,
                  result: BuildResult) -> None:
    """Write a report (index, change report) unless it was edited by hand since protocolgen wrote it."""
    path = out / rel
    if path.exists():
        if not _differs(path, data):
            manifest.reports[rel] = sha256(data)
            return
        current = sha256(path.read_bytes())
        if current not in manifest.known_hashes(rel) and current not in journal.get(rel, set()):
            if not force:
                result.edited.append(rel)
                return
            result.backups.append(_back_up(out, rel))
    atomic_write(path, data)
    manifest.reports[rel] = sha256(data)
    result.written.append(rel)


def _group(job: Job) -> str:
    owner = job.context.get("panel") or job.context["agency"].agency
    return owner.name


def _differs(path: Path, data: bytes) -> bool:
    return not path.exists() or path.read_bytes() != data


class _Names:
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


def _sentence(reasons: list[str]) -> str:
    text = "; ".join(reasons)
    return text[0].upper() + text[1:] + "."


def changes_markdown(changes: list[DocChange], area_name: str, issued: date, names: _Names) -> str:
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
