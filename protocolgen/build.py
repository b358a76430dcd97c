"""Build: runs the stages (load, validate, resolve, render, write, record). The only module that knows them all;
the reports it writes (change report, index page) are made in ``reports``.

The build gathers every document in memory before it writes any; then it writes each changed file
atomically, and the manifest last. A journal of the hashes about to be written lets a build killed midway
recognise its own files on the next run, so they are not mistaken for hand edits.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .area import load_area
from .errors import Diagnostic, OutputProblem, TemplateProblem
from .manifest import (
    JOURNAL_NAME,
    MANIFEST_NAME,
    Manifest,
    Record,
    atomic_write,
    explain,
    fingerprint,
    next_version,
    read_journal,
    sha256,
    summarise_inputs,
)
from .render import Renderer, bundled_templates, long_date
from .reports import DocChange, Names, changes_markdown, index_html, sentence
from .resolve import DocInfo, HistoryRow, Job, recording, resolve

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


def _check_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputProblem(f"{out_dir}: exists and is not a folder")


def status(options: BuildOptions) -> tuple[list[StaleDoc], list[str], list[Diagnostic]]:
    """Stale documents with reasons, and hand-edited files; writes nothing."""
    loaded = load_area(options.area_dir, options.strict)
    renderer = Renderer(options.templates_dir)
    inputs = _Inputs(renderer, options.reference_docx)
    manifest = Manifest.read(options.out_dir)
    stale: list[StaleDoc] = []
    edited: list[str] = []
    for job in resolve(loaded, options.as_of, options.only):
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
                 writer: DocxWriter, result: BuildResult, names: Names):
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
        if old is not None and sha256(markdown) == old.content:
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
            summary_text = sentence([self.names.plain(reason) for reason in reasons])
            row = {"version": version, "date": job.doc.issue_date.isoformat(), "summary": summary_text}
            history_rows = [*old.history, row]
            doc = dataclasses.replace(doc, version=version,
                                      history=(*history, HistoryRow(version, job.doc.issue_date, row["summary"])))
            markdown = render_markdown(job, self.renderer, doc)
        record = Record(fingerprint(summary), sha256(markdown), version, history_rows, summary, {},
                        title=job.doc.title, group=_group(job), cites=cited)
        self.result.changes.append(DocChange(job.id, job.doc.title, old.version if old else None, version, reasons))
        return self._planned(job, record, doc, markdown)

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


def _hand_edited(planned: _Planned, out: Path, manifest: Manifest, journal: dict[str, str]) -> list[str]:
    """The files of ``planned`` whose bytes on disk protocolgen did not write (nor is about to)."""
    conflicts = []
    for rel, data in planned.files.items():
        path = out / rel
        if rel.endswith(".md") or not path.exists():
            continue
        current = sha256(path.read_bytes())
        ours = manifest.known_hashes(rel) | ({journal[rel]} if rel in journal else set())
        if current not in ours and current != sha256(data):
            conflicts.append(rel)
    return conflicts


def build(options: BuildOptions, progress: Callable[[Iterable[Job]], Iterable[Job]] | None = None) -> BuildResult:
    """Validate the area, then (re)write every document whose inputs or content changed."""
    from .write import DocMeta, DocxWriter

    loaded = load_area(options.area_dir, options.strict)  # raises before anything is written
    _check_output_dir(options.out_dir)
    out = options.out_dir
    result = BuildResult(warnings=loaded.warnings)
    renderer = Renderer(options.templates_dir)
    try:
        writer = DocxWriter(options.reference_docx)
    except ValueError as exc:  # a file that is not a Word document at all
        raise OutputProblem(f"--reference-docx: {exc}") from None
    manifest = Manifest.read(out)
    if manifest.problem:
        result.notes.append(f"{manifest.problem}; rebuilding every document")
    journal = read_journal(out)
    jobs = resolve(loaded, options.as_of, options.only)
    result.documents = len(jobs)

    # 1. Gather: decide and render every document in memory; nothing is written yet.
    planner = _Planner(options, manifest, _Inputs(renderer, options.reference_docx), renderer, writer, result,
                       Names(loaded))
    planned = []
    for job in progress(jobs) if progress else jobs:
        item = planner.plan(job)
        if item is None:
            result.unchanged.append(job.id)
        else:
            planned.append(item)

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
        report_md = changes_markdown(result.changes, area.name, area.issue_date, Names(loaded))
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
        atomic_write(out / JOURNAL_NAME, _json(pending))
    for item in to_write:
        for rel, data in item.files.items():
            if _differs(out / rel, data):
                atomic_write(out / rel, data)
                result.written.append(rel)
    for rel, data in reports.items():
        _write_report(out, rel, data, manifest, journal, options.force, result)
    manifest_bytes = manifest.to_json().encode("utf-8")
    if _differs(out / MANIFEST_NAME, manifest_bytes):
        atomic_write(out / MANIFEST_NAME, manifest_bytes)
    (out / JOURNAL_NAME).unlink(missing_ok=True)
    return result


def _back_up(out: Path, rel: str) -> str:
    """Keep a hand-edited file beside itself as name.edited-<hash>.ext; returns the copy's path."""
    path = out / rel
    data = path.read_bytes()
    backup = path.with_name(f"{path.stem}.edited-{sha256(data)[:8]}{path.suffix}")
    atomic_write(backup, data)
    return backup.relative_to(out).as_posix()


def _write_report(out: Path, rel: str, data: bytes, manifest: Manifest, journal: dict[str, str], force: bool,
                  result: BuildResult) -> None:
    """Write a report (index, change report) unless it was edited by hand since protocolgen wrote it."""
    path = out / rel
    if path.exists():
        if not _differs(path, data):
            manifest.reports[rel] = sha256(data)
            return
        current = sha256(path.read_bytes())
        if current not in manifest.known_hashes(rel) and journal.get(rel) != current:
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


def _json(value: dict) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True) + "\n").encode("utf-8")
