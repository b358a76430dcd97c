"""Build: runs the stages (load, validate, resolve, render, write, record). The only module that knows them all;
the reports it writes (change report, index page) are made in ``reports``.

A build writes drafts; ``protocolgen issue`` runs the same stages with ``BuildOptions.issue`` and renders each
current draft as its issued version instead (the rules of versions and dates are in ``lifecycle``, the plain
words of what changed in ``changes``). Either way the build gathers every document in memory before it writes
any; then it writes each changed file atomically, and the manifest last. A journal of the hashes about to be written lets a build killed midway
recognise its own files on the next run, so they are not mistaken for hand edits.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, coverage, i18n, outdir, stamp
from .area import load_area
from .changes import Change, describe, is_major
from .errors import Diagnostic, OutputProblem, ProtocolgenError, TemplateProblem
from .lifecycle import (
    ISSUED_DIR,
    Snapshot,
    draft_doc,
    draft_version,
    issue_doc,
    issued_doc,
    issued_on,
    issued_version,
    kept_copies,
    read_snapshot,
    snapshot_files,
)
from .manifest import (
    BACKUP_NAME,
    JOURNAL_NAME,
    MANIFEST_NAME,
    KnownHashes,
    Manifest,
    Record,
    add_to_journal,
    atomic_write,
    content_hash,
    deferred_sync,
    explain,
    fingerprint,
    read_journal,
    recover_records,
    settle,
    sha256,
    summarise_inputs,
)
from .options import BuildOptions, BuildResult, StaleDoc
from .parallel import Conversion, Converted, Converter, Staging, default_jobs
from .render import Renderer, bundled_templates, long_date
from .reports import DocChange, Names, changes_markdown, index_html, pending_changes, sentence
from .resolve import DocInfo, Job, recording, resolve
from .signoff import SignoffRegister, load_register
from .signoff import progress as progress_of
from .validate import check_selection

if TYPE_CHECKING:  # the Word writer is imported only when a build runs: validation stays quick
    from .loaded import LoadedArea
    from .write import DocMeta, DocxWriter
    from .write.pdf import LibreOffice

KIND_LABELS = {
    "protocol": "Information sharing protocol",
    "panel-notice": "Privacy notice for families",
    "young-people": "Information for young people",
    "panel-consent-form": "Consent form",
    "decision-record": "Record of a request and a decision to share",
    "agency-notice": "Privacy notice",
    "consent-form": "Consent form",
}


def render_markdown(job: Job, renderer: Renderer, doc: DocInfo | None = None) -> str:
    """The job's Markdown: its template rendered with its context and ``doc`` (version, history).

    A document in more than one language renders the template once per language, each in its own ``i18n``
    language, inside a ``:::: lang`` container (four colons, so the templates' own ``:::`` containers nest),
    the languages in the order the area gives them and a page break between; a document of a language of its
    own (``separate_documents``) opens with a link to the other language's document."""
    doc = doc or job.doc
    if job.languages == ("en",) and not job.separate:
        return renderer.render(job.template, {**job.context, "doc": doc})
    parts: list[tuple[str, str]] = []
    for index, language in enumerate(job.languages):
        local = dataclasses.replace(doc, title=job.title_in(language))
        with i18n.speaking(job.translations.get(language, i18n.ENGLISH), separate=job.separate) as now:
            body = renderer.render(job.template, {**job.context_in(language), "doc": local})
            others = [o for o in (job.counterparts if job.separate else ()) if o[0] != language]
            if job.separate and others:
                other, other_id = others[0]
                href = other_id.rsplit("/", 1)[-1] + (".html" if job.html else ".docx")
                line = {"layout": "separate", "other": other, "href": href, "first": True}
                lead = renderer.render("_language_versions.md.j2", line)
            elif not job.separate:
                other = job.languages[1 - index] if len(job.languages) == 2 else job.languages[0]
                lead = renderer.render("_language_versions.md.j2", {"layout": "one", "other": other,
                                                                     "href": "", "first": index == 0})
            else:
                lead = ""
        if job.separate and others:
            # ... and the same line in the other language, so that its readers find their version too
            with i18n.speaking(job.translations.get(other, i18n.ENGLISH)):
                theirs = renderer.render("_language_versions.md.j2", line).strip()
            lead = f"{lead.strip()}\n\n::: lang {other}\n\n{theirs}\n\n:::\n"
        job.missed.extend(text for text in now.misses if text not in job.missed)
        parts.append((language, (lead + "\n" if lead.strip() else "") + body))
    if job.separate:
        return parts[0][1]
    blocks = [f":::: lang {language}\n\n{text.strip()}\n\n::::\n" for language, text in parts]
    return "\n::: pagebreak\n:::\n\n".join(blocks)


def render_recording(job: Job, renderer: Renderer, doc: DocInfo) -> tuple[str, dict[str, list[str]]]:
    """The Markdown, and the fields of each register entry the template actually printed."""
    with recording() as cited:
        markdown = render_markdown(job, renderer, doc)
    return markdown, {key: sorted(fields) for key, fields in sorted(cited.items())}


def doc_meta(job: Job, doc: DocInfo, markdown: str = "") -> DocMeta:
    from .write import DocMeta

    area = job.context["area"]
    keywords = [area.name, KIND_LABELS[job.kind], "information sharing", "safeguarding children"]
    if "panel" in job.context:
        keywords.insert(1, job.context["panel"].name)
    # The files say what they are even without the manifest: id, version, status and a hash of the content.
    custom = (("protocolgen-document", job.id), ("protocolgen-version", doc.version),
              ("protocolgen-status", doc.status), ("protocolgen-content", sha256(markdown)))
    # The page's own words (footer, draft label, date) in the document's first language.
    first = job.translations.get(job.languages[0], i18n.ENGLISH)
    labels = i18n.page_words(first)
    issue_date_text = i18n.date_in(doc.issue_date, first) if labels else long_date(doc.issue_date)
    return DocMeta(
        title=doc.title,
        subject=str(job.context["subject"]),
        author=area.issuing_body,
        keywords=tuple(keywords),
        created=doc.issue_date,  # the version's own date: an issued document keeps the day it was issued
        version=doc.version,
        issue_date_text=issue_date_text,
        reference=doc.reference,
        numbered_headings=job.kind == "protocol",
        marking=doc.marking,
        status_label=dict(labels).get("DRAFT", "DRAFT") if doc.status == "draft" else "",
        custom=custom,
        language=i18n.word_tag(job.languages[0]),
        labels=labels,
    )


def _outputs(job: Job) -> list[str]:
    return [f"{job.id}.docx", *([f"{job.id}.html"] if job.html else [])]


_REFERENCE_LIMIT = 100_000_000


class _Inputs:
    """Fingerprints shared by every job of a build: templates, house style, protocolgen itself."""

    def __init__(self, renderer: Renderer, reference: Path | None):
        self.renderer = renderer
        path = reference or bundled_templates() / "reference.docx"
        if path.stat().st_size > _REFERENCE_LIMIT:  # hashed before the writer's own checks see it
            raise OutputProblem(f"--reference-docx: {path} is larger than {_REFERENCE_LIMIT // 1_000_000} MB; "
                                "a house-style document is a few hundred KB")
        self.reference_hash = sha256(path.read_bytes())
        self._template: dict[str, str] = {}

    def values(self, job: Job, cites: dict[str, list[str]] | None) -> dict:
        """The input values that count. Of the register entries in scope, only the fields the document printed
        (every field, when that is not yet known)."""
        chosen = {}
        for name, value in job.inputs.items():
            if not name.startswith("legislation:") or cites is None:
                chosen[name] = value
            elif (fields := cites.get(name.split(":", 1)[1])) is not None:
                chosen[name] = {f: value.get(f) for f in fields}
        return chosen

    def of(self, job: Job, cites: dict[str, list[str]] | None) -> dict:
        """The fingerprinted inputs: a hash per field of each value that counts; the register entries in scope
        by key; the template, house style and protocolgen."""
        if job.template not in self._template:
            self._template[job.template] = self.renderer.fingerprint(job.template)
            # a web page is also made by the page shell (an area's own page.html.j2, or the bundled one)
            self._template[job.template + "+page"] = self.renderer.fingerprint(job.template, "page.html.j2")
        template = self._template[job.template + "+page" if job.html else job.template]
        summary = summarise_inputs(self.values(job, cites))
        summary["legislation-in-scope"] = sorted(n.split(":", 1)[1] for n in job.inputs if n.startswith("legislation:"))
        summary.update(template=template, reference_docx=self.reference_hash,
                       protocolgen=__version__)
        return summary


def status(options: BuildOptions) -> tuple[list[StaleDoc], list[str], list[Diagnostic]]:
    """Stale documents with reasons, and hand-edited files; writes nothing."""
    quick = stamp.replay_status(options)  # refuses OUT if unusable; nothing changed since the last build: nothing is stale
    if quick is not None:
        return [], [], quick
    loaded = load_area(options.area_dir, options.strict)
    check_selection(loaded, options.only)
    renderer = Renderer(options.templates_dir)
    inputs = _Inputs(renderer, options.reference_docx)
    outdir.check_targets(options.out_dir, [MANIFEST_NAME, BACKUP_NAME])
    manifest = Manifest.read(options.out_dir)
    stale: list[StaleDoc] = []
    edited: list[str] = []
    jobs = resolve(loaded, options.as_of, options.only, translations_for(loaded))
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
        pdf = options.out_dir / f"{job.id}.pdf"  # made by build --pdf: a hand edit is held back like the others
        if record.files.get(f"{job.id}.pdf") and pdf.exists() and sha256(pdf.read_bytes()) != record.files[
                f"{job.id}.pdf"]:
            edited.append(f"{job.id}.pdf")
        if reasons:
            stale.append(StaleDoc(job.id, reasons))
    for rel, digest in sorted(manifest.reports.items()):
        path = options.out_dir / rel
        if path.exists() and sha256(path.read_bytes()) != digest:
            edited.append(rel)
    return stale, edited, loaded.warnings


class NotReady(ProtocolgenError):
    """``issue`` was asked to issue documents that are not current drafts (not built, or changed since)."""


@dataclass
class _Planned:
    """A document the build will (re)write: its manifest record and the sha256 of each file, staged on disk
    (``parallel.Staging``) rather than held in memory. Filled in when its conversion comes back."""

    job: Job
    record: Record
    files: dict[str, str]


class _Planner:
    """Decides, document by document, whether to write and what: the gather phase of a build.

    A build renders drafts (``_draft``) or, where a document reads as its last issued version, that version;
    ``issue`` (``options.issue``) renders each current draft as issued (``_issue``)."""

    def __init__(self, options: BuildOptions, manifest: Manifest, inputs: _Inputs, renderer: Renderer,
                 writer: Callable[[], DocxWriter], result: BuildResult, names: Names, converter: Converter,
                 issue_date: date | None = None):
        self.options, self.manifest, self.inputs = options, manifest, inputs
        self.renderer, self._writer, self.result, self.names = renderer, writer, result, names
        self.converter, self.staging = converter, converter.staging
        self.issue_date = issue_date
        self.not_ready: list[str] = []  # issue only: why a document cannot be issued
        self.failures: list[str] = []  # documents the writers could not lay out, each with its template
        self.page_shell = converter.shell

    @property
    def writer(self) -> DocxWriter:
        return self._writer()

    def plan(self, job: Job) -> _Planned | None:
        old = self.manifest.documents.get(job.id)
        if self.issue_date is not None:
            return self._issue(job, old, self.issue_date)
        files_ok = old is not None and all((self.options.out_dir / rel).exists() for rel in _outputs(job))
        wants_markdown = self.options.emit_markdown
        if old is not None and files_ok and not wants_markdown and old.fingerprint == fingerprint(
            self.inputs.of(job, old.cites)
        ):
            return None  # nothing it depends on has changed
        if old is not None and old.issued:
            doc = issued_doc(job, old)
            markdown, cited = render_recording(job, self.renderer, doc)
            printed = self._printed(job, doc, markdown)
            if not old.content and old.status == "issued":  # recovered from the document itself: the manifest was lost
                old = self._recognise(job, doc, markdown, old, issued=True)
            if printed == old.issued["content"]:
                # It reads as its last issued version (nothing it prints changed, or a change was undone).
                summary = self.inputs.of(job, cited)
                record = dataclasses.replace(
                    old, fingerprint=fingerprint(summary), content=printed, version=str(old.issued["version"]),
                    inputs=summary, cites=cited, status="issued", changes=[], change_kind="",
                    signatories=_signatories(job))
                self.manifest.documents[job.id] = record
                if old.status == "issued" and files_ok and not wants_markdown:
                    return None
                return self._planned(job, record, doc, markdown)
        else:
            # Never issued: the draft of 1.0; one rendering tells which register fields it prints.
            markdown, cited = render_recording(job, self.renderer, draft_doc(job, None, "1.0", ""))
            if old is not None and not old.content:  # recovered from the document itself: the manifest was lost
                old = self._recognise(job, draft_doc(job, None, "1.0", ""), markdown, old)
        return self._draft(job, old, cited, markdown, files_ok)

    def _printed(self, job: Job, doc: DocInfo, markdown: str) -> str:
        """What the document prints, as one hash: its Markdown and all the writer adds (header, footer, dates,
        reference, properties, house style), so a change to any of them is a change to the document."""
        return content_hash(markdown, doc_meta(job, doc, markdown), self.inputs.reference_hash)

    def _recognise(self, job: Job, doc: DocInfo, markdown: str, old: Record, issued: bool = False) -> Record:
        """A recovered record whose document, rendered again, is byte for byte the file in OUT: the document
        has not changed, so it keeps its version (and, ``issued``, stays the issued version it is)."""
        rel = f"{job.id}.docx"
        path = self.options.out_dir / rel
        if rel in old.files and path.is_file() and self.writer.render(markdown, doc_meta(job, doc, markdown)) == \
                path.read_bytes():
            printed = self._printed(job, doc, markdown)
            if issued:
                return dataclasses.replace(old, issued={**old.issued, "content": printed})
            return dataclasses.replace(old, content=printed)
        return old

    def _draft(self, job: Job, old: Record | None, cited: dict[str, list[str]], markdown: str,
               files_ok: bool) -> _Planned | None:
        summary = self.inputs.of(job, cited)
        changes: list[Change] = []
        if old is not None and old.issued:
            changes = self._since_issue(job, old, cited, summary)
            version = draft_version(old, is_major(changes))
            doc = draft_doc(job, old, version, _history_summary(changes))
            markdown = render_markdown(job, self.renderer, doc)
            kind = "major" if is_major(changes) else "minor"
        else:
            version, doc, kind = "1.0", draft_doc(job, None, "1.0", ""), "new"
        record = Record(fingerprint(summary), self._printed(job, doc, markdown), version, old.history if old else [],
                        summary, {},
                        title=job.doc.title, group=_group(job), cites=cited, status="draft",
                        issued=old.issued if old else {}, changes=[c.to_json() for c in changes], change_kind=kind,
                        signatories=_signatories(job), redline=old.redline if old else "")
        if old is not None and old.status == "draft" and record.content == old.content:
            # The draft reads as before: same version. Record the new fingerprint, and write only what is
            # missing (a deleted file comes back byte for byte) or asked for (--emit-markdown).
            # Its coverage too: the Markdown is the same, and a document not rewritten is not checked again.
            record = dataclasses.replace(record, files=old.files, coverage=old.coverage)
            self.manifest.documents[job.id] = record
            if files_ok and not self.options.emit_markdown:
                return None
            return self._planned(job, record, doc, markdown)
        self.result.changes.append(DocChange(job.id, job.doc.title, issued_version(old), version,
                                             [c.text for c in changes], kind=kind))
        return self._planned(job, record, doc, markdown)

    def _since_issue(self, job: Job, old: Record, cited: dict[str, list[str]], summary: dict) -> list[Change]:
        """What changed since the last issued version, old and new values in plain words."""
        snapshot = read_snapshot(self.options.out_dir, job.id, old)
        if snapshot is None:  # the record of the issued version is missing: say what is known, from hashes
            reasons = explain(old.inputs, summary) or ["content changed"]
            note = (f"(the record of version {old.issued['version']} is missing from "
                    f"{self.options.out_dir.as_posix()}/{ISSUED_DIR}, so only the changes since the last build "
                    "are known)")
            return [Change(self.names.plain(r), self.names.plain(r)) for r in reasons] + [Change(note, "")]
        panel = job.context["panel"].id if "panel" in job.context else None
        changes = describe(snapshot.values, self.inputs.values(job, cited), self.names, panel=panel,
                           old_summary=snapshot.summary, new_summary=summary)
        return changes or [Change("the document's wording or layout changed", "wording or layout changed")]

    def _issue(self, job: Job, old: Record | None, when: date) -> _Planned | None:
        if old is None:
            self.not_ready.append(f"{job.id}: never built")
            return None
        summary = self.inputs.of(job, old.cites)
        if old.fingerprint != fingerprint(summary):
            reasons = "; ".join(self.names.plain(r) for r in explain(old.inputs, summary))
            self.not_ready.append(f"{job.id}: changed since the last build ({reasons})")
            return None
        if old.status != "draft":
            return None  # issued already, and nothing changed since
        previous = issued_on(old)
        if previous is not None and when < previous:
            raise NotReady(f"cannot issue {job.id} on {long_date(when)}: its version {old.issued['version']} was "
                           f"issued later, on {long_date(previous)}; give a later --date. Nothing was written.")
        changes = [Change.from_json(c) for c in old.changes]
        text = _history_summary(changes) if old.issued else "First issue"
        doc = issue_doc(job, old, when, text)
        markdown, cited = render_recording(job, self.renderer, doc)
        printed = self._printed(job, doc, markdown)
        summary = self.inputs.of(job, cited)
        # "content" is all the document prints; "markdown" the hash of its Markdown alone, by which the copy kept
        # under .protocolgen/issued is recognised (lifecycle.read_snapshot).
        issued = {"version": old.version, "date": when.isoformat(), "review": doc.review_date.isoformat(),
                  "content": printed, "markdown": sha256(markdown), "signatories": [list(s) for s in job.signatories]}
        record = dataclasses.replace(
            old, fingerprint=fingerprint(summary), content=printed, inputs=summary, cites=cited,
            history=[*old.history, {"version": old.version, "date": when.isoformat(), "summary": text}],
            status="issued", issued=issued, changes=[], change_kind="", signatories=_signatories(job))
        extra = snapshot_files(job.id, old.version, Snapshot(markdown, self.inputs.values(job, cited), summary))
        redline = ""
        before = read_snapshot(self.options.out_dir, job.id, old) if old.issued else None
        if before is not None:
            redline = f"{job.id}.redline-{old.issued['version']}-{old.version}.docx"
            extra[redline] = _redline(self.writer, before.markdown, markdown, doc_meta(job, doc, markdown), when)
        record = dataclasses.replace(record, redline=redline)
        self.result.changes.append(DocChange(job.id, job.doc.title, issued_version(old), old.version,
                                             [c["text"] for c in old.changes], kind=old.change_kind or "new",
                                             redline=redline))
        # A copy of the issued files stays beside the kept Markdown: the next build overwrites the documents
        # with drafts, and the version in force must still be there to read, print or publish.
        kept = kept_copies(job.id, old.version, _outputs(job))
        issued["files"] = sorted(kept.values())
        return self._planned(job, record, doc, markdown, extra, kept)

    def _planned(self, job: Job, record: Record, doc: DocInfo, markdown: str,
                 extra: dict[str, bytes] | None = None, kept: dict[str, str] | None = None) -> _Planned:
        """Hand the document to the converter; its files and coverage are filled in when they come back."""
        planned = _Planned(job, record, {})
        # kept issued versions and redlines: not the document's own files, made here (an issue: few documents)
        staged_extra = {rel: self.staging.put(data) for rel, data in (extra or {}).items()}

        def done(converted: Converted) -> None:
            if converted.error:
                self.failures.append(f"{job.template} (for {job.id}): {converted.error}")
                return
            planned.record = dataclasses.replace(planned.record, files=converted.files, coverage=converted.coverage)
            planned.files = {**converted.files, **converted.review, **staged_extra}
            planned.files |= {copy: converted.files[rel] for rel, copy in (kept or {}).items()}

        task = Conversion(job.id, job.kind, job.template, markdown, doc_meta(job, doc, markdown), job.html,
                          self.options.emit_markdown)
        self.converter.submit(task, done)
        return planned


def _page_shell(templates_dir: Path | None) -> str | None:
    """An area's own web page shell (``page.html.j2`` in its templates folder), or None for the bundled one."""
    if templates_dir is None:
        return None
    path = templates_dir / "page.html.j2"
    if not path.is_file():
        return None
    if path.stat().st_size > 1_000_000:
        raise TemplateProblem(f"{path}: a page shell of more than 1 MB is refused")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateProblem(f"{path}: cannot be read as UTF-8 text ({exc})") from None


def translations_for(loaded: LoadedArea) -> dict[str, i18n.Translations]:
    """The catalogues of every language the area's documents are written in: protocolgen's own, with the
    area's ``locale/<lang>.po`` over them."""
    area = loaded.area
    assert area is not None
    languages = {*area.languages, *area.protocol_languages}
    languages |= {lang for agency in loaded.agencies.values() for lang in agency.languages or ()}
    return {lang: i18n.load(lang, loaded.root) for lang in sorted(languages - {"en"})}


def _signatories(job: Job) -> list[list[str]]:
    return [list(pair) for pair in job.signatories]


def _history_summary(changes: list[Change]) -> str:
    """One sentence for the version history table: what changed, without the values."""
    shorts = list(dict.fromkeys(c.short for c in changes if c.short))
    return sentence(shorts) if shorts else "Revised."


def _redline(writer: DocxWriter, old_markdown: str, new_markdown: str, meta: DocMeta, when: date) -> bytes:
    """The Word redline (tracked changes by "protocolgen", dated the issue date) between two issued versions,
    in the house style of the build."""
    from .write import redline

    try:
        return redline(old_markdown, new_markdown, meta, author="protocolgen", when=when, writer=writer)
    except ValueError as exc:  # Markdown the writer cannot lay out (an old version from another template)
        raise TemplateProblem(f"redline of {meta.title}: {exc}") from None


def _hand_edited(planned: _Planned, out: Path, known: KnownHashes, journal: dict[str, set[str]]) -> list[str]:
    """The files of ``planned`` whose bytes on disk protocolgen did not write (nor is about to)."""
    conflicts = []
    for rel, digest in planned.files.items():
        path = out / rel
        if rel.endswith(".md") or not path.exists():
            continue
        current = sha256(path.read_bytes())
        if current != digest and current not in known.at(rel) and current not in journal.get(rel, set()):
            conflicts.append(rel)
    return conflicts


def build(options: BuildOptions, progress: Callable[[Iterable[Job]], Iterable[Job]] | None = None) -> BuildResult:
    """Validate the area, then (re)write every document whose inputs or content changed, as a draft (or, with
    ``options.issue``, issue the current drafts)."""
    office = _office(options)  # --pdf without LibreOffice fails here, before any work
    quick = stamp.replay_build(options)  # refuses OUT if unusable; inputs and outputs as the last build left them
    if quick is not None:
        return quick
    with outdir.holding(options.out_dir):  # one build at a time in OUT
        return _build(options, progress, office)


def _writer_of(options: BuildOptions) -> Callable[[], DocxWriter]:
    """The house style, parsed the first time a document or report is written in this process."""

    @functools.cache
    def writer() -> DocxWriter:
        from .write import DocxWriter

        try:
            return DocxWriter(options.reference_docx)
        except ValueError as exc:  # a file that is not a Word document at all
            raise OutputProblem(f"--reference-docx: {exc}") from None

    return writer


def _compiled_templates(renderer: Renderer) -> None:
    """Keep the templates' compiled code in the user's cache folder (Jinja2's bytecode cache), so that a build
    that renders a few documents does not spend most of its time compiling templates. Entries are keyed by
    each template's source; the folder by the code that compiles them (``render``, Jinja2, Python), so a
    change to any of them compiles afresh. Without a usable cache folder, templates are compiled as before."""
    import hashlib
    import os
    import sys

    import jinja2

    from . import render as render_module
    from .stamp import cache_dir

    if os.environ.get("PROTOCOLGEN_CACHE_DIR") == "off":
        return
    try:
        code = hashlib.sha256(Path(render_module.__file__).read_bytes() + jinja2.__version__.encode()
                              + sys.version.encode()).hexdigest()[:16]
        folder = cache_dir() / f"templates-{code}"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return
    renderer.env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def _build(options: BuildOptions, progress: Callable[[Iterable[Job]], Iterable[Job]] | None,
           office: LibreOffice | None = None) -> BuildResult:
    loaded = load_area(options.area_dir, options.strict)  # raises before anything is written
    check_selection(loaded, options.only)
    out = options.out_dir
    result = BuildResult(warnings=loaded.warnings)
    renderer = Renderer(options.templates_dir)
    _compiled_templates(renderer)
    writer = _writer_of(options)
    if options.reference_docx is not None:
        writer()  # a house style that is not a Word document stops the build before anything else
    outdir.check_targets(out, [MANIFEST_NAME, BACKUP_NAME, JOURNAL_NAME])
    manifest = Manifest.read(out)
    journal = read_journal(out)
    jobs = resolve(loaded, options.as_of, options.only, translations_for(loaded))
    result.documents = len(jobs)
    outdir.check_targets(out, [rel for job in jobs for rel in _outputs(job)])
    if manifest.problem or manifest.notes:
        recovered = recover_records(out, {j.id: (_outputs(j), j.doc.title, _group(j)) for j in jobs}, manifest)
        if manifest.problem:
            result.notes.append(f"{manifest.problem}; rebuilding every document" + (
                f" ({len(recovered)} recognised as protocolgen's own, their versions kept)" if recovered else ""))
    result.notes += manifest.notes
    earlier_pdfs = _recorded_pdfs(manifest)  # before planning replaces the records of changed documents

    area = loaded.area
    assert area is not None  # load_area raised if the area could not be loaded
    signoff = load_register(options.area_dir)  # a broken sign-off register stops the build here too
    issue_date = (options.issue_date or area.issue_date) if options.issue else None

    staging = Staging(out)
    staging.reset()
    converter = Converter(options.jobs or default_jobs(), len(jobs), staging, options.reference_docx,
                          _page_shell(options.templates_dir), writer)
    try:
        return _gather_and_write(options, loaded, jobs, manifest, journal, renderer, writer, converter, result,
                                 signoff, issue_date, progress, earlier_pdfs, office)
    finally:
        converter.close()
        staging.discard()


def _gather_and_write(options: BuildOptions, loaded: LoadedArea, jobs: list[Job], manifest: Manifest,
                      journal: dict[str, set[str]], renderer: Renderer, writer: Callable[[], DocxWriter],
                      converter: Converter, result: BuildResult, signoff: SignoffRegister, issue_date: date | None,
                      progress: Callable[[Iterable[Job]], Iterable[Job]] | None, earlier_pdfs: dict[str, str],
                      office: LibreOffice | None) -> BuildResult:
    from .write import DocMeta

    out = options.out_dir
    area = loaded.area
    assert area is not None
    # 1. Gather: decide and render every document; the converter stages their files by hash, outside the
    # documents' places, so nothing in OUT is written yet. A document that fails is noted and the others go on.
    planner = _Planner(options, manifest, _Inputs(renderer, options.reference_docx), renderer, writer, result,
                       Names(loaded), converter, issue_date)
    planned = []
    for job in progress(jobs) if progress else jobs:
        try:
            item = planner.plan(job)
        except TemplateProblem as exc:
            planner.failures.append(str(exc))
            continue
        if item is None:
            result.unchanged.append(job.id)
        else:
            planned.append(item)
    converter.drain()
    if planner.failures:
        if len(planner.failures) == 1:
            raise TemplateProblem(planner.failures[0])
        raise TemplateProblem(f"{len(planner.failures)} documents could not be made; nothing was written:\n"
                              + "\n".join(f"  {failure}" for failure in planner.failures))
    for job in jobs:
        if job.missed:
            result.notes.append(f"{job.id}: {len(job.missed)} text(s) missing from the {'/'.join(job.languages)} "
                                f"catalogue, printed in English and marked as English: "
                                + "; ".join(repr(t[:60]) for t in job.missed[:3]) + ("; ..." if len(job.missed) > 3 else ""))
    if planner.not_ready:
        raise NotReady("cannot issue, nothing was written:\n" + "\n".join(f"  {why}" for why in planner.not_ready)
                       + "\nBuild first (protocolgen build), check the drafts, then issue them.")
    # What each document covers, from its rendering now or (unchanged) as recorded: a missing item is a
    # warning, and with --strict the build stops here, before anything is written.
    covered = _coverage(jobs, planned, manifest)
    gaps = coverage_gaps(covered)
    result.warnings = [*result.warnings, *gaps]
    if gaps and options.strict:
        raise CoverageIncomplete(gaps)

    outdir.check_targets(out, [rel for item in planned for rel in item.files] + ["index.html", "changes.md",
                                                                                  "changes.docx", "coverage.md",
                                                                                  "coverage.json"])
    # 2. Protect hand edits: a file whose bytes we did not write is kept unless --force (then backed up).
    known = KnownHashes(manifest)  # once: asking the manifest for each file would cost documents x files
    to_write: list[_Planned] = []
    for item in planned:
        conflicts = _hand_edited(item, out, known, journal)
        if conflicts and not options.force:
            result.edited.extend(conflicts)
            result.changes = [c for c in result.changes if c.id != item.job.id]
            continue
        for rel in conflicts:
            result.backups.append(_back_up(out, rel))
        to_write.append(item)
    for item in to_write:
        manifest.documents[item.job.id] = item.record
    pdfs = _plan_pdfs(options, jobs, manifest, earlier_pdfs, _rewritten(to_write, out, converter.staging),
                      {i.job.id for i in planned} - {i.job.id for i in to_write}, journal, result)
    if not options.only:
        live = {job.id for job in jobs}
        result.removed = sorted(set(manifest.documents) - live)
        for gone in result.removed:
            del manifest.documents[gone]

    # 3. The reports, in memory too: the change report and the index of every document.
    manifest.area = area.name
    reports: dict[str, bytes] = {}
    # A build reports every draft against its last issued version (not only this build's changes); an issue
    # reports what it issued. Nothing to report leaves the last report in place (say, of the last issue).
    report_on = result.changes if issue_date is not None else pending_changes(manifest)
    if report_on:
        when = issue_date or area.issue_date
        report_md = changes_markdown(report_on, area.name, when, issued=issue_date is not None)
        meta = DocMeta(title=f"{area.name}: changes to documents", subject="What changed in the documents",
                       author=area.issuing_body, keywords=("changes",), created=when,
                       version="1.0", issue_date_text=long_date(when), numbered_headings=False,
                       marking=area.protective_marking)
        reports["changes.md"] = report_md.encode("utf-8")
        reports["changes.docx"] = writer().render(report_md, meta)
    reports["coverage.md"] = coverage.as_markdown(covered, area.name).encode("utf-8")
    reports["coverage.json"] = _json(coverage.as_json(covered))

    def index() -> bytes:
        return index_html(manifest, area.name, progress_of(manifest, signoff),
                          {r.document: r for r in covered}).encode("utf-8")

    reports["index.html"] = index()

    # 4. Write: journal first, then each file (moved from staging, atomically), and the manifest last.
    pending = {rel: digest for item in to_write for rel, digest in item.files.items()}
    pending |= {rel: sha256(data) for rel, data in reports.items() if _differs(out / rel, data)}
    if pending:
        add_to_journal(out, journal, pending)
    staging = converter.staging
    # Each file is flushed to disk once, all together, before the manifest records them (``deferred_sync``):
    # one flush per file would cost more than making the file.
    with deferred_sync():
        for item in to_write:
            for rel, digest in item.files.items():
                if rel == f"{item.job.id}.md":  # the review copy (--emit-markdown), protected like a report
                    _write_report(out, rel, staging.read(digest), manifest, journal, options.force, result)
                elif _differs_from(out / rel, digest, staging):
                    atomic_write(out / rel, staging.read(digest))
                    result.written.append(rel)
        pdf_error = _make_pdfs(pdfs, office, out, manifest, journal, result)
        if pdf_error is not None:  # the index must not link the PDFs that could not be made
            reports["index.html"] = index()
            add_to_journal(out, journal, {"index.html": sha256(reports["index.html"])})
        for rel, data in reports.items():
            _write_report(out, rel, data, manifest, journal, options.force, result)
    manifest_bytes = manifest.to_json().encode("utf-8")
    if _differs(out / MANIFEST_NAME, manifest_bytes):
        atomic_write(out / MANIFEST_NAME, manifest_bytes)
    settle(out, manifest, journal, manifest_bytes)  # the manifest's backup copy; the journal kept until recorded
    if pdf_error is not None:
        raise pdf_error  # every Word document, report and the manifest are written; only these PDFs are not
    if issue_date is None:
        expected = {rel: digest for record in manifest.documents.values() for rel, digest in record.files.items()}
        seen = stamp.overview_rows(pending_changes(manifest), list(progress_of(manifest, signoff).values()))
        stamp.record(options, result, loaded.warnings, [job.id for job in jobs], expected | manifest.reports, seen)
    return result


class CoverageIncomplete(ProtocolgenError):
    """``build --strict``: a document does not cover an item its kind must (nothing was written)."""

    def __init__(self, gaps: list[Diagnostic]):
        self.gaps = gaps
        listed = "\n".join(f"  {gap.file}: {gap.message}" for gap in gaps)
        super().__init__(f"{len(gaps)} required item(s) missing from the documents; nothing was written:\n{listed}")


def _coverage(jobs: list[Job], planned: list[_Planned], manifest: Manifest) -> list[coverage.Report]:
    fresh = {item.job.id: item.record.coverage for item in planned}
    out = []
    for job in jobs:
        kept = fresh.get(job.id) or (manifest.documents[job.id].coverage if job.id in manifest.documents else {})
        report = coverage.from_record(job.id, kept) if kept else None
        if report is not None:
            out.append(report)
    return out


def coverage_gaps(reports: Iterable[coverage.Report]) -> list[Diagnostic]:
    """A warning per required item a document does not cover, naming the document, the item and its source."""
    return [
        Diagnostic(f"{report.document}.docx", None, found.item.id,
                   f"does not cover {found.item.label} ({found.item.source}): {found.reason}", "warning",
                   hint="see coverage.md; a template that drops the section, or an empty profile field, causes this")
        for report in reports for found in report.missing
    ]


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


def refresh_index(out_dir: Path, manifest: Manifest, register: SignoffRegister) -> bool:
    """Rewrite index.html after a change no document shows (a signature); True when it was kept because it was
    edited by hand. The manifest notes the new index, as after a build."""
    result = BuildResult()
    covered = {doc_id: report for doc_id, record in manifest.documents.items()
               if record.coverage and (report := coverage.from_record(doc_id, record.coverage)) is not None}
    with outdir.holding(out_dir):  # not while a build writes OUT
        data = index_html(manifest, manifest.area, progress_of(manifest, register), covered).encode("utf-8")
        _write_report(out_dir, "index.html", data, manifest, {}, False, result)
        manifest_bytes = manifest.to_json().encode("utf-8")
        if _differs(out_dir / MANIFEST_NAME, manifest_bytes):
            atomic_write(out_dir / MANIFEST_NAME, manifest_bytes)
    return "index.html" in result.edited


def _group(job: Job) -> str:
    context = job.context_in("en")  # the index page is in English
    owner = context.get("panel") or context["agency"].agency
    return owner.name


def _differs(path: Path, data: bytes) -> bool:
    return not path.exists() or path.read_bytes() != data


def _differs_from(path: Path, digest: str, staging: Staging) -> bool:
    """Whether the file at ``path`` is not the staged file ``digest`` (compared by size first, then by hash)."""
    try:
        if path.stat().st_size != staging.size(digest):
            return True
    except FileNotFoundError:
        return True
    except OSError:
        return True  # the write says what is wrong with it
    return sha256(path.read_bytes()) != digest


def _json(value: dict) -> bytes:
    """The coverage report as JSON: a line per document, so a change shows as a changed line. Each line is
    made by json's C encoder (``indent`` would make every value go through the pure-Python one)."""
    def one(item: object) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    lines = []
    for key in sorted(value):
        item = value[key]
        if isinstance(item, dict) and item:
            inner = ",\n".join(f"  {one(k)}: {one(item[k])}" for k in sorted(item))
            lines.append(f"{one(key)}: {{\n{inner}\n }}")
        else:
            lines.append(f"{one(key)}: {one(item)}")
    return ("{\n " + ",\n ".join(lines) + "\n}\n").encode("utf-8")


# --- PDF copies (build --pdf) -------------------------------------------------------------------------------
# A PDF is made by LibreOffice from the Word document the build wrote, after every document is written (one
# LibreOffice for all of them: protocolgen.write.pdf). It is recorded in the document's manifest record like
# its other files, so a PDF edited or replaced by hand is held back like a document, and index.html links it.
# A build without --pdf that rewrites a document removes the PDF protocolgen made of its old version (kept if
# edited by hand), so no PDF is ever older than the Word document beside it.

PDF_KINDS = frozenset({"protocol", "panel-notice", "young-people", "agency-notice", "consent-form",
                       "panel-consent-form"})  # every public document and protocol; not the internal record


@dataclass
class _PdfPlan:
    convert: list[str] = field(default_factory=list)  # document ids whose PDF is (re)made
    back_up: list[str] = field(default_factory=list)  # PDFs edited by hand, overwritten under --force
    remove: list[str] = field(default_factory=list)  # our PDFs of documents rewritten without --pdf


def _office(options: BuildOptions) -> LibreOffice | None:
    """The LibreOffice for --pdf, or LibreOfficeMissing saying how to install it; None without --pdf."""
    if not options.pdf:
        return None
    from .write.pdf import find_libreoffice

    return find_libreoffice()


def _recorded_pdfs(manifest: Manifest) -> dict[str, str]:
    return {rel: digest for doc, record in manifest.documents.items()
            for rel, digest in record.files.items() if rel == f"{doc}.pdf"}


def _rewritten(to_write: list[_Planned], out: Path, staging: Staging) -> set[str]:
    """The documents whose Word file this build changes (not those it writes again as they were, e.g. for
    --emit-markdown): their PDFs are out of date."""
    return {item.job.id for item in to_write
            if _differs_from(out / f"{item.job.id}.docx", item.files[f"{item.job.id}.docx"], staging)}


def _plan_pdfs(options: BuildOptions, jobs: list[Job], manifest: Manifest, earlier: dict[str, str],
               rewritten: set[str], held: set[str], journal: dict[str, set[str]], result: BuildResult) -> _PdfPlan:
    """Decide which PDFs to make, hold back or remove. A PDF to be made is recorded at once (with an empty
    hash until it is made), so that the index written with this build links it."""
    plan = _PdfPlan()
    out = options.out_dir
    for job in jobs:
        record = manifest.documents.get(job.id)
        if job.kind not in PDF_KINDS or record is None or job.id in held:
            continue  # a document held back keeps its PDF as it is, whatever it is
        rel = f"{job.id}.pdf"
        path = out / rel
        current = sha256(path.read_bytes()) if path.exists() else None
        ours = current is not None and (current == earlier.get(rel) or current in manifest.known_hashes(rel)
                                        or current in journal.get(rel, set()))
        # The PDF recorded for this document, still there, of a Word document this build leaves as it was
        # (a document written again unchanged, e.g. for --emit-markdown, has a new record without it).
        still_current = current is not None and job.id not in rewritten and current in (
            record.files.get(rel), earlier.get(rel))
        if still_current and current is not None and record.files.get(rel) != current:
            manifest.documents[job.id] = dataclasses.replace(record, files={**record.files, rel: current})
        if not options.pdf:
            if rel in record.files and current is None:  # deleted: the index must not link it
                manifest.documents[job.id] = dataclasses.replace(
                    record, files={k: v for k, v in record.files.items() if k != rel})
            elif job.id in rewritten and ours:
                plan.remove.append(rel)
            continue
        if still_current:
            continue  # made from this very document already
        record = manifest.documents[job.id]
        if current is not None and not ours:
            if not options.force:
                result.edited.append(rel)
                continue
            plan.back_up.append(rel)
        plan.convert.append(job.id)
        manifest.documents[job.id] = dataclasses.replace(record, files={**record.files, rel: ""})
    outdir.check_targets(out, [f"{doc}.pdf" for doc in plan.convert] + plan.remove + plan.back_up)
    return plan


def _make_pdfs(plan: _PdfPlan, office: LibreOffice | None, out: Path, manifest: Manifest,
               journal: dict[str, set[str]], result: BuildResult) -> ProtocolgenError | None:
    """Carry out the plan after the Word documents are written; the error that stopped some PDFs, if any
    (their records then have no PDF, so the next build --pdf makes them)."""
    for rel in plan.remove:
        (out / rel).unlink(missing_ok=True)
    if plan.remove:
        result.notes.append(f"removed {len(plan.remove)} PDF(s) made from earlier versions of the documents; "
                            "build with --pdf to make them again")
    if not plan.convert:
        return None
    from .write.pdf import PdfConversionFailed, PdfError, convert_to_pdf

    for rel in plan.back_up:
        result.backups.append(_back_up(out, rel))

    def made(pdf: Path) -> None:
        rel = pdf.relative_to(out).as_posix()
        digest = sha256(pdf.read_bytes())
        doc = rel.removesuffix(".pdf")
        record = manifest.documents[doc]
        manifest.documents[doc] = dataclasses.replace(record, files={**record.files, rel: digest})
        result.written.append(rel)
        add_to_journal(out, journal, {rel: digest})  # a build stopped after this PDF recognises it as its own

    try:
        convert_to_pdf([out / f"{doc}.docx" for doc in plan.convert], office=office, progress=made)
    except PdfError as error:
        for doc in plan.convert:
            record = manifest.documents[doc]
            if not record.files.get(f"{doc}.pdf"):
                manifest.documents[doc] = dataclasses.replace(
                    record, files={k: v for k, v in record.files.items() if k != f"{doc}.pdf"})
        return error if isinstance(error, PdfConversionFailed) else PdfError(
            f"{error}\nThe Word documents are written; no PDF was made.")
    return None
