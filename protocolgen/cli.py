"""The command line: parse options, call the library, print diagnostics, choose the exit code. Nothing else."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import Diagnostic, ProtocolgenError, ValidationFailed

AREA = click.argument("area", type=click.Path(path_type=Path), default=Path("agency_profiles"), required=False)


def _show(diagnostics: list[Diagnostic], area: Path, err: bool = True) -> None:
    for diag in diagnostics:
        shown = Diagnostic((area / diag.file).as_posix(), diag.line, diag.field, diag.message, diag.severity, diag.hint)
        click.secho(shown.format(), fg="red" if diag.severity == "error" else "yellow", err=err)


def _counts(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


class _Group(click.Group):
    """Prints a user's mistake as one clear message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ValidationFailed as exc:
            area = ctx.meta.get("protocolgen.area", Path("."))
            _show(exc.diagnostics, area)
            click.secho(f"{area.as_posix()}: {_counts(exc.diagnostics)}; nothing was written.", fg="red", err=True)
            ctx.exit(1)
        except ProtocolgenError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(1)
        except OSError as exc:  # a folder or file the computer refuses: said in words, never a traceback
            from .outdir import describe_os_error

            click.secho(f"error: {describe_os_error(exc)}", fg="red", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.secho("interrupted: files already written are kept; the next build finishes the work",
                        fg="red", err=True)
            ctx.exit(130)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="protocolgen")
def main() -> None:
    """Information-sharing protocols, privacy notices and consent forms for multi-agency child
    safeguarding panels, generated from agency profiles (YAML)."""


@main.command()
@AREA
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_context
def validate(ctx: click.Context, area: Path, strict: bool) -> None:
    """Check an area folder and list every problem, with file, line and field."""
    from .signoff import read_register

    ctx.meta["protocolgen.area"] = area
    from .area import inspect_area

    loaded = inspect_area(area)
    diagnostics = sorted(loaded.diagnostics + read_register(area)[1], key=Diagnostic.sort_key)
    _show(diagnostics, area, err=False)
    errors = [d for d in diagnostics if d.severity == "error"]
    failed = bool(errors) or (strict and len(errors) < len(diagnostics))
    summary = (f"{area.as_posix()}: {len(loaded.agencies)} agencies, {len(loaded.panels)} panels; "
               f"{_counts(diagnostics)}")
    click.secho(summary, fg="red" if failed else "green")
    ctx.exit(1 if failed else 0)


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def _build_options(area: Path, out: Path, only: tuple[str, ...], templates: Path | None, reference_docx: Path | None,
                   as_of: date | None, strict: bool, **extra: Any):
    from .options import BuildOptions

    for item in only:
        kind, _, ident = item.partition(":")
        if kind not in ("panel", "agency") or not ident:
            raise click.BadParameter(f"'{item}' should be panel:<id> or agency:<id>", param_hint="--only")
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


def _with_common(func):
    for option in reversed(_common_build):
        func = option(func)
    return func


_JOBS = click.option("-j", "--jobs", type=click.IntRange(min=1, max=256), default=None, metavar="N",
                     help="Processes that write documents (default: one per CPU); the output is the same for any N.")


@main.command()
@AREA
@_with_common
@click.option("--emit-markdown", is_flag=True, help="Also keep each document's Markdown beside it.")
@click.option("--force", is_flag=True, help="Overwrite documents edited by hand (a backup copy is kept).")
@_JOBS
@click.pass_context
def build(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
          reference_docx: Path | None, as_of: date | None, strict: bool, emit_markdown: bool, force: bool,
          jobs: int | None) -> None:
    """Validate the area and write its documents (only those whose inputs changed)."""
    from .stamp import replay_build

    ctx.meta["protocolgen.area"] = area
    options = _build_options(area, out, only, templates, reference_docx, as_of, strict,
                             emit_markdown=emit_markdown, force=force, jobs=jobs)
    # Nothing changed since the last build: answered without importing the stages (see protocolgen.stamp).
    result = replay_build(options) if not _unsafe_out(area, out) else None
    if result is None:
        from .build import build as run_build

        result = run_build(options, progress=_progress)
    _report_written(result, area, out)
    drafts = [c for c in result.changes if c.old_version is None]
    if drafts:
        click.echo(f"  {len(drafts)} new draft{'s' * (len(drafts) != 1)} of version 1.0, not yet issued")
    for change in result.changes:
        if change.old_version is not None:
            click.echo(f"  {change.id}: draft of {change.new_version} ({change.kind} changes since "
                       f"{change.old_version}): {'; '.join(change.reasons)}")
    if result.changes:
        click.echo(f"What the drafts change is in {(out / 'changes.md').as_posix()}. Issue them with "
                   f"'protocolgen issue' once they are approved.")
    _report_kept(result, out)


def _unsafe_out(area: Path, out: Path) -> bool:
    """Whether OUT and AREA overlap or OUT is not a plain folder: then the build itself must say so."""
    from .outdir import check_folders

    try:
        check_folders(out, area)
    except ProtocolgenError:
        return True
    return False


def _progress(jobs):
    if not sys.stderr.isatty():
        return jobs

    def shown():
        with click.progressbar(jobs, label="Rendering", file=sys.stderr,
                               item_show_func=lambda job: job.id if job else "") as bar:
            yield from bar

    return shown()


def _report_written(result, area: Path, out: Path) -> None:
    _show(result.warnings, area)
    for note in result.notes:
        click.secho(f"warning: {note}", fg="yellow", err=True)
    documents = [w for w in result.written if w.endswith(".docx") and not w.startswith("changes")
                 and ".redline-" not in w]
    if not result.written:
        click.echo(f"No changes: all {result.documents} documents are up to date; nothing was written.")
    else:
        click.echo(f"Wrote {len(result.written)} files in {out.as_posix()}: {len(documents)} Word documents "
                   f"({len(result.unchanged)} of {result.documents} documents unchanged).")


def _report_kept(result, out: Path) -> None:
    for backup in result.backups:
        click.secho(f"Kept a copy of a hand-edited file as {backup}", fg="yellow")
    if result.edited:
        click.secho(f"Not overwritten, because edited by hand since the last build ({len(result.edited)}):",
                    fg="yellow", err=True)
        for rel in result.edited:
            click.secho(f"  {(out / rel).as_posix()}", fg="yellow", err=True)
        click.secho("Run again with --force to overwrite them (a backup copy of each is kept).", fg="yellow", err=True)
    for gone in result.removed:
        click.echo(f"  {gone}: no longer in the area; its files were left in place")
    if result.warnings:
        click.secho(f"{len(result.warnings)} warning(s), listed above.", fg="yellow", err=True)


@main.command()
@AREA
@_with_common
@click.pass_context
def status(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
           reference_docx: Path | None, as_of: date | None, strict: bool) -> None:
    """List stale documents and why, drafts not yet issued, and who has not signed each issued protocol.
    Writes nothing. Exit 1 when something is stale or edited by hand."""
    from .stamp import replay_overview, replay_status

    ctx.meta["protocolgen.area"] = area
    options = _build_options(area, out, only, templates, reference_docx, as_of, strict)
    seen = None
    stale: list[Any] = []
    edited: list[str] = []
    if not _unsafe_out(area, out) and replay_status(options) is not None:
        pass  # nothing changed since the last build: nothing is stale or edited (see protocolgen.stamp)
        seen = replay_overview(options)
    else:
        from .build import status as run_status

        stale, edited, _warnings = run_status(options)
    for doc in stale:
        click.echo(f"stale: {doc.id}")
        for reason in doc.reasons:
            click.echo(f"  - {reason}")
    for rel in edited:
        click.echo(f"edited by hand: {(out / rel).as_posix()}")
    if not stale and not edited:
        click.echo("All documents are current.")
    if seen is None:
        from .commands.overview import overview

        seen = overview(area, out)
    new = [d for d in seen.drafts if d.old_version is None]
    if new:
        click.echo(f"{len(new)} draft{'s' * (len(new) != 1)} of version 1.0, never issued.")
    for draft in seen.drafts:
        if draft.old_version is not None:
            click.echo(f"draft: {draft.id}: {draft.new_version} ({draft.kind} changes since {draft.old_version})")
    if seen.drafts:
        click.echo("Issue the drafts with 'protocolgen issue' once they are approved.")
    for item in seen.signoff:
        click.echo(f"sign-off: {item.document} version {item.version}: {item.summary}")
        for controller in item.unsigned:
            earlier = (f" (signed version {controller.signature.version} on {controller.signature.date.isoformat()})"
                       if controller.signature else "")
            click.echo(f"  not signed: {controller.name} ({controller.id}){earlier}")
    ctx.exit(1 if stale or edited else 0)


@main.command()
@AREA
@_with_common
@click.option("--date", "when", callback=_parse_date, metavar="YYYY-MM-DD",
              help="The day the documents are issued (default: the area's issue_date).")
@click.option("--today", is_flag=True, help="Date them today, by the computer's clock.")
@click.option("--force", is_flag=True, help="Overwrite documents edited by hand (a backup copy is kept).")
@_JOBS
@click.pass_context
def issue(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
          reference_docx: Path | None, as_of: date | None, strict: bool, when: date | None, today: bool,
          force: bool, jobs: int | None) -> None:
    """Issue the current drafts: each becomes its issued version (1.0, then 1.1 or 2.0), dated the day it is
    issued, with a Word redline of what changed since the version before."""
    from .commands.issue import issue as run_issue

    ctx.meta["protocolgen.area"] = area
    options = _build_options(area, out, only, templates, reference_docx, as_of, strict, force=force, jobs=jobs)
    result = run_issue(options, when, today, progress=_progress)
    if not result.changes:
        click.echo("Nothing to issue: every document is at its issued version.")
    else:
        first = [c for c in result.changes if c.old_version is None]
        click.echo(f"Issued {len(result.changes)} document{'s' * (len(result.changes) != 1)} in {out.as_posix()}"
                   + (f" ({len(first)} for the first time, at version 1.0)." if first else "."))
        for change in result.changes:
            if change.old_version is not None:
                redline = f"; tracked changes: {(out / change.redline).as_posix()}" if change.redline else ""
                click.echo(f"  {change.id}: {change.old_version} -> {change.new_version}{redline}")
        click.echo(f"What changed is in {(out / 'changes.md').as_posix()}. Protocols need signing: see "
                   "'protocolgen status', and record each signature with 'protocolgen sign'.")
    _report_kept(result, out)


@main.command()
@AREA
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Output folder (where the protocol was issued).")
@click.option("--document", required=True, metavar="panels/ID/protocol", help="The protocol signed.")
@click.option("--controller", required=True, metavar="ID", help="The controller that signed it.")
@click.option("--signatory", required=True, metavar="JOB TITLE", help="Who signed, by job title.")
@click.option("--date", "when", required=True, callback=_parse_date, metavar="YYYY-MM-DD", help="The day it was signed.")
@click.option("--copy", metavar="TEXT", help="Where the signed copy is kept.")
@click.pass_context
def sign(ctx: click.Context, area: Path, out: Path, document: str, controller: str, signatory: str, when: date,
         copy: str | None) -> None:
    """Record in AREA/signoff.yaml that a controller signed the issued version of a protocol."""
    from .commands.sign import sign as run_sign

    ctx.meta["protocolgen.area"] = area
    result = run_sign(area, out, document, controller, signatory, when, copy)
    item = result.signoff
    click.echo(f"Recorded in {result.register.as_posix()}: {document} version {item.version}, {item.summary}.")
    if item.unsigned:
        click.echo("  still to sign: " + ", ".join(c.name for c in item.unsigned))
    if result.index_kept:
        click.secho(f"{(out / 'index.html').as_posix()} was edited by hand, so it was not updated.", fg="yellow",
                    err=True)


@main.command()
@AREA
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Output folder.")
@click.option("--date", "on", callback=_parse_date, metavar="YYYY-MM-DD", help="Report as of this day (default: today).")
@click.option("--within", type=click.IntRange(min=0), default=60, show_default=True, metavar="DAYS",
              help="Count a review as due this many days ahead.")
@click.option("--ics", type=click.Path(path_type=Path, dir_okay=False), help="Also write an iCalendar file of "
              "every review date.")
@click.pass_context
def reviews(ctx: click.Context, area: Path, out: Path, on: date | None, within: int, ics: Path | None) -> None:
    """List issued documents due for review (and overdue), and write their review dates as a calendar."""
    from .commands.reviews import calendar, read_manifest
    from .commands.reviews import reviews as run_reviews
    from .manifest import atomic_write
    from .render import long_date

    ctx.meta["protocolgen.area"] = area
    manifest = read_manifest(out)
    report = run_reviews(manifest, on or date.today(), within)  # a report of today, not a document
    click.echo(f"Reviews as of {long_date(report.on)} (due within {within} days):")
    for label, items in (("overdue", report.overdue), ("due", report.due)):
        for item in items:
            click.echo(f"  {label}: {item.document} (version {item.version}, issued {long_date(item.issued)}): "
                       f"review by {long_date(item.due)}")
    if not report.overdue and not report.due:
        click.echo("  none due")
    click.echo(f"{len(report.later)} later; {report.not_issued} document(s) not yet issued.")
    if ics is not None:
        name = manifest.area or area.name
        atomic_write(ics, calendar(report.all, name))
        click.echo(f"Wrote {ics.as_posix()}: {len(report.all)} review date(s).")


@main.group()
def legislation() -> None:
    """The register of legislation references."""


@legislation.command("list")
@click.option("--area", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Include this area's legislation.yaml overrides.")
def legislation_list(area: Path | None) -> None:
    """Every register key with its citation and status."""
    from .render import STATUS_NAMES

    register = _register(area)
    width = max(len(k) for k in register)
    for key, entry in register.items():
        check = "" if entry.verified else "  [not yet checked]"
        click.echo(f"{key:<{width}}  {STATUS_NAMES[entry.status]:<28}  {entry.citation}{check}")


@legislation.command("show")
@click.argument("key")
@click.option("--area", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Include this area's legislation.yaml overrides.")
def legislation_show(key: str, area: Path | None) -> None:
    """One entry in full."""
    from .render import STATUS_NAMES
    from .validate import suggest

    register = _register(area)
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
    click.echo(key)
    for label, value in rows:
        if value:
            click.echo(f"  {label + ':':<16} {value}")


@legislation.command("check")
@AREA
@click.pass_context
def legislation_check(ctx: click.Context, area: Path) -> None:
    """Profiles that cite repealed or amended provisions, and what to cite instead."""
    ctx.meta["protocolgen.area"] = area
    from .area import inspect_area

    loaded = inspect_area(area)
    if loaded.errors:
        raise ValidationFailed(loaded.diagnostics)
    from .rules import citations_to_review

    reviews = citations_to_review(loaded)
    for item in reviews:
        click.echo(f"{(area / item.file).as_posix()}:{item.line}: {item.field}: {item.message}")
    assert loaded.area is not None  # an area that failed to load is an error, raised above
    when = loaded.area.issue_date.isoformat()
    click.echo(f"{len(reviews)} citation(s) to review (law as of {when}).")


def _register(area: Path | None):
    if area is None:
        from .register import read_bundled

        return read_bundled()
    from .area import inspect_area

    loaded = inspect_area(area)
    problems = [d for d in loaded.diagnostics if d.file == "legislation.yaml" and d.severity == "error"]
    if problems:
        raise ValidationFailed(problems)
    return loaded.register


@main.command()
@click.argument("kind", type=click.Choice(["area", "agency", "panel", "legislation"]), required=False)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write <kind>.schema.json files into this folder instead of printing.")
def schema(kind: str | None, out: Path | None) -> None:
    """JSON Schema of the file formats, for editors that check and complete YAML."""
    from .schema import schemas

    all_schemas = schemas()
    chosen = {kind: all_schemas[kind]} if kind else all_schemas
    if out:
        out.mkdir(parents=True, exist_ok=True)
        for name, body in chosen.items():
            (out / f"{name}.schema.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
            click.echo(f"wrote {(out / f'{name}.schema.json').as_posix()}")
        return
    click.echo(json.dumps(chosen[kind] if kind else chosen, indent=2))


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init(directory: Path) -> None:
    """Start a new area folder from the bundled example, to edit."""
    if directory.exists() and any(directory.iterdir()):
        raise ProtocolgenError(f"{directory}: already exists and is not empty; choose a new folder")
    with resources.as_file(resources.files("protocolgen").joinpath("example")) as source:
        if not source.is_dir():  # running from a source checkout: the example is the repository's own
            source = Path(__file__).resolve().parent.parent / "agency_profiles"
        shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    click.echo(f"Created {directory.as_posix()} from the bundled example area. Edit area.yaml, agencies/ and "
               f"panels/, then run: protocolgen validate {directory.as_posix()}")
