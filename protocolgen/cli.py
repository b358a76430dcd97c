"""The command line: parse options, call the library, print, choose the exit code. Nothing else.

Results go to stdout and diagnostics (errors, warnings, notes) to stderr, for every command; ``--json`` (on
``validate``, ``status`` and ``legislation check``) prints one JSON document on stdout instead of the text.
``-q`` leaves only what went wrong, ``-v`` says more, ``NO_COLOR`` (https://no-color.org) turns colour off.
Exit codes are ``ExitCode``: the same everywhere, and listed in README.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable
from datetime import date
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .errors import Diagnostic, ProtocolgenError, ValidationFailed

if TYPE_CHECKING:
    from .build import BuildOptions, BuildResult
    from .commands.new_agency import Question


class ExitCode(IntEnum):
    """What scripts can rely on: every command exits with one of these."""

    OK = 0
    ERRORS = 1  # problems in the area (errors; with --strict, warnings too), or another error, explained
    USAGE = 2  # the command line itself is wrong (click's usage errors)
    STALE = 3  # status: a document is stale, or a file was edited by hand since protocolgen wrote it
    HELD_BACK = 4  # build, issue: files edited by hand were not overwritten (everything else was written)
    INTERRUPTED = 130  # stopped by Ctrl+C (128 + SIGINT, as shells report it); what was written is kept
    OUTPUT_CLOSED = 141  # the reader of the output went away (`| head`: 128 + SIGPIPE); the work itself is done


CONTEXT = {"help_option_names": ["-h", "--help"]}
_AREA = "protocolgen.area"
_OUT = "protocolgen.out"
_QUIET = "protocolgen.quiet"
_VERBOSE = "protocolgen.verbose"
_JSON = "protocolgen.json"

AREA = click.argument("area", type=click.Path(path_type=Path), default=Path("agency_profiles"), required=False)


# --- output ----------------------------------------------------------------------------------------------


def _meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return ctx.meta if ctx is not None else {}


def _color() -> bool | None:
    """False when NO_COLOR is set to anything; else click's choice (colour only on a terminal)."""
    return False if os.environ.get("NO_COLOR") else None


def _say(text: str, fg: str | None = None, *, err: bool = False) -> None:
    click.secho(text, fg=fg, err=err, color=_color())


def result(text: str, fg: str | None = None) -> None:
    """What the command is for (a schema, a register entry): always printed, on stdout."""
    _say(text, fg)


def info(text: str, fg: str | None = None) -> None:
    """What was done: stdout, except under -q or --json."""
    if not _meta().get(_QUIET) and not _meta().get(_JSON):
        _say(text, fg)


def detail(text: str) -> None:
    """More of what was done: stdout, only under -v (and not --json)."""
    if _meta().get(_VERBOSE) and not _meta().get(_JSON):
        _say(text)


def warn(text: str) -> None:
    """A warning or a note: stderr, except under -q."""
    if not _meta().get(_QUIET):
        _say(text, "yellow", err=True)


def fail(text: str) -> None:
    """What went wrong: stderr, always."""
    _say(text, "red", err=True)


def _emit(document: dict[str, Any]) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def _base(diag: Diagnostic, area: Path, out: Path | None) -> Path:
    # Coverage gaps name an output document, not an area file.
    return out if out is not None and diag.file.endswith((".docx", ".html", ".pdf")) else area


def _shown(diag: Diagnostic, area: Path, out: Path | None = None) -> Diagnostic:
    return Diagnostic((_base(diag, area, out) / diag.file).as_posix(), diag.line, diag.field, diag.message,
                      diag.severity, diag.hint)


def _show(diagnostics: Iterable[Diagnostic], area: Path, out: Path | None = None, strict: bool = False) -> None:
    for diag in diagnostics:
        text = _shown(diag, area, out).format()
        if diag.severity == "error" or strict:
            fail(text)
        else:
            warn(text)


def _as_json(diagnostics: Iterable[Diagnostic], area: Path, out: Path | None = None) -> list[dict[str, Any]]:
    return [{"file": shown.file, "line": shown.line, "field": shown.field, "severity": shown.severity,
             "message": shown.message, "hint": shown.hint}
            for shown in (_shown(d, area, out) for d in diagnostics)]


def _counts(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


# --- options every command takes ---------------------------------------------------------------------------


def _flag(name: str, other: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def record(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            if ctx.meta.get(other):
                raise click.UsageError("-q and -v cannot be used together", ctx)
            ctx.meta[name] = True

    return record


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_JSON] = True


def _output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("-v", "--verbose", is_flag=True, expose_value=False, callback=_flag(_VERBOSE, _QUIET),
                        help="Say more: every file written, every file checked.")(func)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_flag(_QUIET, _VERBOSE),
                        help="Say only what went wrong (errors); the exit code tells the rest.")(func)


_json_option = click.option("--json", "as_json", is_flag=True, expose_value=False, callback=_set_json,
                            help="Print the results and diagnostics as one JSON document on stdout.")


class _Group(click.Group):
    """Prints a user's mistake as one clear message instead of a traceback, and exits 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            area = ctx.meta.get(_AREA, Path("."))
            _show(exc.diagnostics, area, ctx.meta.get(_OUT))
            summary = f"{area.as_posix()}: {_counts(exc.diagnostics)}; nothing was written."
            fail(summary)
            if ctx.meta.get(_JSON):
                _emit({"ok": False, "error": summary, "diagnostics": _as_json(exc.diagnostics, area)})
            ctx.exit(ExitCode.ERRORS)
        except ProtocolgenError as exc:
            fail(f"error: {exc}")
            if ctx.meta.get(_JSON):
                _emit({"ok": False, "error": str(exc), "diagnostics": []})
            ctx.exit(ExitCode.ERRORS)
        except BrokenPipeError:
            # The program reading the output stopped reading (`protocolgen status | head`): there is no one to
            # tell, and nothing went wrong with the work. Point stdout at nothing so that Python's own flush
            # at exit does not fail again, and exit as a command killed by SIGPIPE would.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(ExitCode.OUTPUT_CLOSED)
        except OSError as exc:  # a folder or file the computer refuses: said in words, never a traceback
            from .outdir import describe_os_error

            fail(f"error: {describe_os_error(exc)}")
            if ctx.meta.get(_JSON):
                _emit({"ok": False, "error": describe_os_error(exc), "diagnostics": []})
            ctx.exit(ExitCode.ERRORS)
        except KeyboardInterrupt:
            fail("interrupted: files already written are kept; the next build finishes the work")
            ctx.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="protocolgen")
@_output_options
def main() -> None:
    """Information-sharing protocols, privacy notices and consent forms for multi-agency child
    safeguarding panels, generated from agency profiles (YAML).

    Exit codes: 0 ok; 1 errors in the area (or another error, explained); 2 usage; 3 stale (status);
    4 hand edits held back (build, issue); 130 interrupted; 141 output closed by its reader."""


# --- validate ------------------------------------------------------------------------------------------


@main.command()
@AREA
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@_json_option
@_output_options
@click.pass_context
def validate(ctx: click.Context, area: Path, strict: bool) -> None:
    """Check an area folder and list every problem, with file, line and field. Exit 1 on errors (--strict:
    on warnings too)."""
    from .commands.validate import file_counts
    from .commands.validate import validate as run_validate

    ctx.meta[_AREA] = area
    loaded = run_validate(area)
    diagnostics = loaded.diagnostics
    errors = [d for d in diagnostics if d.severity == "error"]
    failed = bool(errors) or (strict and len(errors) < len(diagnostics))
    counts = file_counts(loaded)
    _show(diagnostics, area, strict=strict)
    for source in sorted(loaded.sources.values(), key=lambda s: s.display):
        found = [d for d in diagnostics if d.file == source.display]
        detail(f"  checked {(area / source.display).as_posix()}: {_counts(found)}")
    if ctx.meta.get(_JSON):
        _emit({"command": "validate", "area": area.as_posix(), "ok": not failed, "strict": strict,
               "files": {c.kind: {"files": c.files, "loaded": c.loaded} for c in counts},
               "errors": len(errors), "warnings": len(diagnostics) - len(errors),
               "diagnostics": _as_json(diagnostics, area)})
    else:
        summary = f"{area.as_posix()}: {', '.join(c.describe() for c in counts)}; {_counts(diagnostics)}"
        info(summary, "red" if failed else "green")
    ctx.exit(ExitCode.ERRORS if failed else ExitCode.OK)


# --- build, status, issue ----------------------------------------------------------------------------------


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def _build_options(area: Path, out: Path, only: tuple[str, ...], templates: Path | None, reference_docx: Path | None,
                   as_of: date | None, strict: bool, **extra: Any) -> BuildOptions:
    from .options import BuildOptions

    for item in only:
        kind, _, ident = item.partition(":")
        if kind not in ("panel", "agency") or not ident:
            raise click.BadParameter(f"'{item}' should be panel:<id> or agency:<id>", param_hint="--only")
    ctx = click.get_current_context()
    ctx.meta[_AREA], ctx.meta[_OUT] = area, out
    return BuildOptions(area_dir=area, out_dir=out, only=only, templates_dir=templates, reference_docx=reference_docx,
                        as_of=as_of, strict=strict, **extra)


_common_build = [
    click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
                 help="Output folder."),
    click.option("--only", multiple=True, metavar="panel:ID|agency:ID", help="Only these documents (repeatable)."),
    click.option("--templates", type=click.Path(path_type=Path, file_okay=False, exists=True),
                 help="Your own template folder; its templates override the bundled ones by name."),
    click.option("--reference-docx", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                 help="A .docx whose styles (house style) the documents use."),
    click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD",
                 help="State the law as it stood on this date (default: the area's issue date)."),
    click.option("--strict", is_flag=True, help="Treat warnings as errors."),
]
_pdf_option = click.option("--pdf", is_flag=True, help="Also a PDF beside each public document and protocol, made "
                           "by LibreOffice (which must be installed).")


def _with_common(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_common_build):
        func = option(func)
    return func


_JOBS = click.option("-j", "--jobs", type=click.IntRange(min=1, max=256), default=None, metavar="N",
                     help="Processes that write documents (default: one per CPU); the output is the same for any N.")


@main.command()
@AREA
@_with_common
@click.option("--emit-markdown", is_flag=True, help="Also keep each document's Markdown beside it.")
@_pdf_option
@click.option("--force", is_flag=True, help="Overwrite documents edited by hand (a backup copy is kept).")
@_JOBS
@_output_options
@click.pass_context
def build(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
          reference_docx: Path | None, as_of: date | None, strict: bool, emit_markdown: bool, pdf: bool,
          force: bool, jobs: int | None) -> None:
    """Validate the area and write its documents (only those whose inputs changed). Exit 4 when files edited
    by hand were held back."""
    from .stamp import replay_build

    options = _build_options(area, out, only, templates, reference_docx, as_of, strict,
                             emit_markdown=emit_markdown, force=force, pdf=pdf, jobs=jobs)
    # Nothing changed since the last build: answered without importing the stages (see protocolgen.stamp).
    outcome = replay_build(options)  # refuses an OUT that overlaps the area, as the build would
    if outcome is None:
        from .build import build as run_build

        outcome = run_build(options, progress=_progress)
    _report_written(outcome, area, out)
    drafts = [c for c in outcome.changes if c.old_version is None]
    if drafts:
        info(f"  {len(drafts)} new draft{'s' * (len(drafts) != 1)} of version 1.0, not yet issued")
    for change in outcome.changes:
        if change.old_version is not None:
            info(f"  {change.id}: draft of {change.new_version} ({change.kind} changes since "
                 f"{change.old_version}): {'; '.join(change.reasons)}")
    if outcome.changes:
        info(f"What the drafts change is in {(out / 'changes.md').as_posix()}. Issue them with "
             f"'protocolgen issue' once they are approved.")
    _report_kept(outcome, out)
    ctx.exit(ExitCode.HELD_BACK if outcome.edited else ExitCode.OK)


def _progress(jobs: Iterable[Any]) -> Iterable[Any]:
    if not sys.stderr.isatty() or _meta().get(_QUIET):
        return jobs

    def shown() -> Iterable[Any]:
        with click.progressbar(jobs, label="Rendering", file=sys.stderr, color=_color(),
                               item_show_func=lambda job: job.id if job else "") as bar:
            yield from bar

    return shown()


def _report_written(outcome: BuildResult, area: Path, out: Path) -> None:
    _show(outcome.warnings, area, out)
    for note in outcome.notes:
        warn(f"warning: {note}")
    documents = [w for w in outcome.written if w.endswith(".docx") and not w.startswith("changes")
                 and ".redline-" not in w and not w.startswith(".protocolgen/")]
    pdfs = [w for w in outcome.written if w.endswith(".pdf")]
    if not outcome.written:
        info(f"No changes: all {outcome.documents} documents are up to date; nothing was written.")
    else:
        made = f"{_plural(len(documents), 'Word document')}" + (f" and {_plural(len(pdfs), 'PDF')}" if pdfs else "")
        info(f"Wrote {len(outcome.written)} files in {out.as_posix()}: {made} ({len(outcome.unchanged)} of "
             f"{outcome.documents} documents unchanged).")
    for rel in outcome.written:
        detail(f"  wrote {(out / rel).as_posix()}")
    for ident in outcome.unchanged:
        detail(f"  unchanged: {ident}")


def _report_kept(outcome: BuildResult, out: Path) -> None:
    for backup in outcome.backups:
        warn(f"Kept a copy of a hand-edited file as {(out / backup).as_posix()}")
    if outcome.edited:
        warn(f"Not overwritten, because edited by hand since the last build ({len(outcome.edited)}):")
        for rel in outcome.edited:
            warn(f"  {(out / rel).as_posix()}")
        warn("Run again with --force to overwrite them (a backup copy of each is kept).")
    for gone in outcome.removed:
        info(f"  {gone}: no longer in the area; its files were left in place")
    if outcome.warnings:
        warn(f"{len(outcome.warnings)} warning(s), listed above.")


@main.command()
@AREA
@_with_common
@_json_option
@_output_options
@click.pass_context
def status(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
           reference_docx: Path | None, as_of: date | None, strict: bool) -> None:
    """List stale documents and why, drafts not yet issued, and who has not signed each issued protocol.
    Writes nothing. Exit 3 when something is stale or edited by hand."""
    from .commands.status import status as run_status

    report = run_status(_build_options(area, out, only, templates, reference_docx, as_of, strict))
    _show(report.warnings, area, out)
    if ctx.meta.get(_JSON):
        _emit({
            "command": "status", "area": area.as_posix(), "out": out.as_posix(), "current": report.current,
            "stale": [{"document": doc.id, "reasons": doc.reasons} for doc in report.stale],
            "edited": [(out / rel).as_posix() for rel in report.edited],
            "drafts": [{"document": d.id, "version": d.new_version, "issued_version": d.old_version,
                        "kind": d.kind} for d in report.drafts],
            "signoff": [{"document": item.document, "version": item.version, "issued": item.issued,
                         "signed": [c.id for c in item.signed],
                         "unsigned": [{"id": c.id, "name": c.name,
                                       "signed_version": c.signature.version if c.signature else None}
                                      for c in item.unsigned]} for item in report.signoff],
            "diagnostics": _as_json(report.warnings, area, out),
        })
        ctx.exit(ExitCode.OK if report.current else ExitCode.STALE)
    for doc in report.stale:
        info(f"stale: {doc.id}")
        for reason in doc.reasons:
            info(f"  - {reason}")
    for rel in report.edited:
        info(f"edited by hand: {(out / rel).as_posix()}")
    if report.current:
        info("All documents are current.")
    new = [d for d in report.drafts if d.old_version is None]
    if new:
        info(f"{len(new)} draft{'s' * (len(new) != 1)} of version 1.0, never issued.")
    for draft in report.drafts:
        if draft.old_version is not None:
            info(f"draft: {draft.id}: {draft.new_version} ({draft.kind} changes since {draft.old_version})")
    if report.drafts:
        info("Issue the drafts with 'protocolgen issue' once they are approved.")
    for item in report.signoff:
        info(f"sign-off: {item.document} version {item.version}: {item.summary}")
        for controller in item.unsigned:
            earlier = (f" (signed version {controller.signature.version} on {controller.signature.date.isoformat()})"
                       if controller.signature else "")
            info(f"  not signed: {controller.name} ({controller.id}){earlier}")
    ctx.exit(ExitCode.OK if report.current else ExitCode.STALE)


@main.command()
@AREA
@_with_common
@click.option("--date", "when", callback=_parse_date, metavar="YYYY-MM-DD",
              help="The day the documents are issued (default: the area's issue_date).")
@click.option("--today", is_flag=True, help="Date them today, by the computer's clock.")
@_pdf_option
@click.option("--force", is_flag=True, help="Overwrite documents edited by hand (a backup copy is kept).")
@_JOBS
@_output_options
@click.pass_context
def issue(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
          reference_docx: Path | None, as_of: date | None, strict: bool, when: date | None, today: bool,
          pdf: bool, force: bool, jobs: int | None) -> None:
    """Issue the current drafts: each becomes its issued version (1.0, then 1.1 or 2.0), dated the day it is
    issued, with a Word redline of what changed since the version before. Exit 4 when files edited by hand
    were held back."""
    from .commands.issue import issue as run_issue

    options = _build_options(area, out, only, templates, reference_docx, as_of, strict, force=force, pdf=pdf, jobs=jobs)
    outcome = run_issue(options, when, today, progress=_progress)
    _show(outcome.warnings, area, out)
    for note in outcome.notes:
        warn(f"warning: {note}")
    if not outcome.changes:
        info("Nothing to issue: every document is at its issued version.")
    else:
        first = [c for c in outcome.changes if c.old_version is None]
        info(f"Issued {len(outcome.changes)} document{'s' * (len(outcome.changes) != 1)} in {out.as_posix()}"
             + (f" ({len(first)} for the first time, at version 1.0)." if first else "."))
        for change in outcome.changes:
            if change.old_version is not None:
                redline = f"; tracked changes: {(out / change.redline).as_posix()}" if change.redline else ""
                info(f"  {change.id}: {change.old_version} -> {change.new_version}{redline}")
        info(f"What changed is in {(out / 'changes.md').as_posix()}. Protocols need signing: see "
             "'protocolgen status', and record each signature with 'protocolgen sign'.")
    for rel in outcome.written:
        detail(f"  wrote {(out / rel).as_posix()}")
    _report_kept(outcome, out)
    ctx.exit(ExitCode.HELD_BACK if outcome.edited else ExitCode.OK)


# --- sign, reviews ---------------------------------------------------------------------------------------


@main.command()
@AREA
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Output folder (where the protocol was issued).")
@click.option("--document", required=True, metavar="panels/ID/protocol", help="The protocol signed.")
@click.option("--controller", required=True, metavar="ID", help="The controller that signed it.")
@click.option("--signatory", required=True, metavar="JOB TITLE", help="Who signed, by job title.")
@click.option("--date", "when", required=True, callback=_parse_date, metavar="YYYY-MM-DD", help="The day it was signed.")
@click.option("--copy", metavar="TEXT", help="Where the signed copy is kept.")
@_output_options
@click.pass_context
def sign(ctx: click.Context, area: Path, out: Path, document: str, controller: str, signatory: str, when: date,
         copy: str | None) -> None:
    """Record in AREA/signoff.yaml that a controller signed the issued version of a protocol."""
    from .commands.sign import sign as run_sign

    ctx.meta[_AREA] = area
    recorded = run_sign(area, out, document, controller, signatory, when, copy)
    item = recorded.signoff
    info(f"Recorded in {recorded.register.as_posix()}: {document} version {item.version}, {item.summary}.")
    if item.unsigned:
        info("  still to sign: " + ", ".join(c.name for c in item.unsigned))
    if recorded.index_kept:
        warn(f"{(out / 'index.html').as_posix()} was edited by hand, so it was not updated.")


@main.command()
@AREA
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Output folder.")
@click.option("--date", "on", callback=_parse_date, metavar="YYYY-MM-DD", help="Report as of this day (default: today).")
@click.option("--within", type=click.IntRange(min=0), default=60, show_default=True, metavar="DAYS",
              help="Count a review as due this many days ahead.")
@click.option("--ics", type=click.Path(path_type=Path, dir_okay=False), help="Also write an iCalendar file of "
              "every review date.")
@_output_options
@click.pass_context
def reviews(ctx: click.Context, area: Path, out: Path, on: date | None, within: int, ics: Path | None) -> None:
    """List issued documents due for review (and overdue), and write their review dates as a calendar."""
    from .commands.reviews import calendar, read_manifest
    from .commands.reviews import reviews as run_reviews
    from .manifest import atomic_write
    from .render import long_date

    ctx.meta[_AREA] = area
    manifest = read_manifest(out)
    report = run_reviews(manifest, on or date.today(), within)  # a report of today, not a document
    info(f"Reviews as of {long_date(report.on)} (due within {within} days):")
    for label, items in (("overdue", report.overdue), ("due", report.due)):
        for item in items:
            info(f"  {label}: {item.document} (version {item.version}, issued {long_date(item.issued)}): "
                 f"review by {long_date(item.due)}")
    if not report.overdue and not report.due:
        info("  none due")
    info(f"{len(report.later)} later; {report.not_issued} document(s) not yet issued.")
    if ics is not None:
        name = manifest.area or area.name
        atomic_write(ics, calendar(report.all, name))
        info(f"Wrote {ics.as_posix()}: {len(report.all)} review date(s).")


# --- legislation ------------------------------------------------------------------------------------------


@main.group(cls=_Group, context_settings=CONTEXT)
def legislation() -> None:
    """The register of legislation references. Each command takes the area as the others do: AREA (default
    agency_profiles, when there is one) adds the area's legislation.yaml to the bundled register."""


_REGISTER_AREA = click.argument("area", type=click.Path(path_type=Path), required=False)
_OLD_AREA_OPTION = click.option("--area", "area_option", type=click.Path(path_type=Path), hidden=True)


def _register_area(area: Path | None, area_option: Path | None) -> Path | None:
    """The area whose overrides to read: the one named (which must exist), else agency_profiles if there is
    one here, else none (the bundled register alone)."""
    chosen = area or area_option
    if chosen is None:
        default = Path("agency_profiles")
        return default if default.is_dir() else None
    if not chosen.is_dir():
        raise ProtocolgenError(f"{chosen}: no such area folder (it should hold area.yaml, agencies/ and panels/)")
    return chosen


@legislation.command("list")
@_REGISTER_AREA
@_OLD_AREA_OPTION
@_output_options
@click.pass_context
def legislation_list(ctx: click.Context, area: Path | None, area_option: Path | None) -> None:
    """Every register key with its citation and status."""
    from .render import STATUS_NAMES

    register = _register(ctx, _register_area(area, area_option))
    width = max(len(k) for k in register)
    for key, entry in register.items():
        check = "" if entry.verified else "  [not yet checked]"
        result(f"{key:<{width}}  {STATUS_NAMES[entry.status]:<28}  {entry.citation}{check}")


@legislation.command("show")
@click.argument("key")
@_REGISTER_AREA
@_OLD_AREA_OPTION
@_output_options
@click.pass_context
def legislation_show(ctx: click.Context, key: str, area: Path | None, area_option: Path | None) -> None:
    """One entry in full."""
    from .render import STATUS_NAMES
    from .validate import suggest

    register = _register(ctx, _register_area(area, area_option))
    if key not in register:
        hint = suggest(key, register)
        raise ProtocolgenError(f"'{key}' is not in the register" + (f" ({hint})" if hint else ""))
    entry = register[key]
    rows = [
        ("Title", entry.title), ("Citation", entry.citation), ("Link", entry.uri), ("Extent", entry.extent),
        ("Kind", entry.kind), ("Status", STATUS_NAMES[entry.status]), ("Status note", entry.status_note),
        ("In force from", entry.in_force_from), ("In force until", entry.in_force_until),
        ("Replaced by", ", ".join(entry.replaced_by)), ("Summary", entry.summary),
        ("Checked", "yes" if entry.verified else "no: left out of documents"), ("Not yet checked", entry.unverified),
        ("Source", entry.source),
    ]
    result(key)
    for label, value in rows:
        if value:
            result(f"  {label + ':':<16} {value}")


@legislation.command("check")
@AREA
@_json_option
@_output_options
@click.pass_context
def legislation_check(ctx: click.Context, area: Path) -> None:
    """Profiles that cite repealed or amended provisions, and what to cite instead."""
    from .area import inspect_area
    from .rules import citations_to_review

    ctx.meta[_AREA] = area
    loaded = inspect_area(area)
    if loaded.errors:
        raise ValidationFailed(loaded.diagnostics)
    found = citations_to_review(loaded)
    assert loaded.area is not None  # an area that failed to load is an error, raised above
    when = loaded.area.issue_date.isoformat()
    if ctx.meta.get(_JSON):
        _emit({"command": "legislation check", "area": area.as_posix(), "as_of": when,
               "citations": _as_json(found, area)})
        return
    for item in found:
        result(f"{(area / item.file).as_posix()}:{item.line}: {item.field}: {item.message}")
    info(f"{len(found)} citation(s) to review (law as of {when}).")


def _register(ctx: click.Context, area: Path | None) -> Any:
    if area is None:
        from .register import read_bundled

        return read_bundled()
    from .area import inspect_area

    ctx.meta[_AREA] = area
    loaded = inspect_area(area)
    problems = [d for d in loaded.diagnostics if d.file == "legislation.yaml" and d.severity == "error"]
    if problems:
        raise ValidationFailed(problems)
    return loaded.register


# --- schema, init, new ------------------------------------------------------------------------------------


@main.command()
@click.argument("kind", type=click.Choice(["area", "agency", "panel", "legislation"]), required=False)
@click.option("--format", "form", type=click.Choice(["json", "text"]), default="json", show_default=True,
              help="json: JSON Schema, for editors that check YAML; text: each field, its type, whether it is "
              "required, and its help, to read.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write <kind>.schema.json (or .schema.txt) files into this folder instead of printing.")
@_output_options
def schema(kind: str | None, form: str, out: Path | None) -> None:
    """The file formats: JSON Schema, or in words (--format text)."""
    from .schema import as_text, schemas

    all_schemas = schemas()
    chosen = {kind: all_schemas[kind]} if kind else all_schemas
    rendered = {name: (json.dumps(body, indent=2) + "\n" if form == "json" else as_text(name, body))
                for name, body in chosen.items()}
    if out:  # an OSError (a file where the folder should be) is said in words by _Group
        out.mkdir(parents=True, exist_ok=True)
        for name, text in rendered.items():
            target = out / f"{name}.schema.{'json' if form == 'json' else 'txt'}"
            target.write_text(text, encoding="utf-8")
            info(f"wrote {target.as_posix()}")
        return
    if form == "json":
        result(json.dumps(chosen[kind] if kind else chosen, indent=2))
    else:
        result("\n".join(rendered.values()).rstrip("\n"))


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--agency", "alone", is_flag=True, help="For a group on its own (no partnership, no panels): an "
              "area with only what it needs and one agency profile, the group itself.")
@click.option("--name", metavar="NAME", help="With --agency: the group's name (default: an example name).")
@click.option("--date", "on", callback=_parse_date, metavar="YYYY-MM-DD",
              help="With --agency: the documents' date (default: today).")
@_output_options
def init(directory: Path, alone: bool, name: str | None, on: date | None) -> None:
    """Start a new area folder: a copy of the bundled example partnership, or (--agency) a small group's own."""
    if not alone and (name is not None or on is not None):
        raise click.UsageError("--name and --date go with --agency")
    if alone:
        from .commands.starter import DEFAULT_NAME, write_group_area

        made = write_group_area(directory, name or DEFAULT_NAME, on)
        info(f"Created {directory.as_posix()} for a group on its own: {made.area_file.as_posix()} and "
             f"{made.agency_file.as_posix()}. Replace the example values with your own, then run: "
             f"protocolgen validate {directory.as_posix()}")
        return
    if directory.exists() and any(directory.iterdir()):
        raise ProtocolgenError(f"{directory}: already exists and is not empty; choose a new folder")
    with resources.as_file(resources.files("protocolgen").joinpath("example")) as source:
        if not source.is_dir():  # running from a source checkout: the example is the repository's own
            source = Path(__file__).resolve().parent.parent / "agency_profiles"
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    info(f"Created {directory.as_posix()} from the bundled example area. Edit area.yaml, agencies/ and "
         f"panels/, then run: protocolgen validate {directory.as_posix()}")


@main.group(cls=_Group, context_settings=CONTEXT)
def new() -> None:
    """Write a new profile by answering questions."""


@new.command("agency")
@AREA
@_output_options
@click.pass_context
def new_agency(ctx: click.Context, area: Path) -> None:
    """Ask one question per required field of an agency profile (with its help from the schema) and write
    AREA/agencies/<id>.yaml; when AREA has no area.yaml yet, ask for that first. Then validate the area."""
    from .commands.new_agency import interview
    from .commands.validate import validate as run_validate

    ctx.meta[_AREA] = area
    made = interview(area, _ask)
    click.echo("")
    for written in (made.area_file, made.agency_file):
        if written is not None:
            info(f"Wrote {written.as_posix()}")
    loaded = run_validate(area)
    _show(loaded.diagnostics, area)
    info(f"{area.as_posix()}: {_counts(loaded.diagnostics)}. Add more (contacts, panels, other records) by "
         "editing the file; 'protocolgen schema agency --format text' lists every field.",
         "red" if loaded.errors else "green")
    ctx.exit(ExitCode.ERRORS if loaded.errors else ExitCode.OK)


def _ask(question: Question) -> Any:
    """One question through click: the field, its help, its choices, then the prompt (asked again, saying why,
    until the answer is right)."""
    click.echo("")
    click.secho(question.label, bold=True, color=_color())
    for line in textwrap.wrap(question.help, 96):
        click.echo(f"  {line}")
    if question.choices:
        for line in textwrap.wrap("one of: " + ", ".join(question.choices), 96):
            click.echo(f"  {line}")

    def read(text: str) -> Any:
        try:
            return question.read(text)
        except ValueError as error:
            raise click.UsageError(str(error)) from None

    prompt = f"  {question.label}" + (f" ({question.hint})" if question.hint else "")
    return click.prompt(prompt, default=question.default, value_proc=read)
