"""The command line: parse options, call the library, print diagnostics, choose the exit code. Nothing else."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .area import inspect_area
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
    ctx.meta["protocolgen.area"] = area
    loaded = inspect_area(area)
    _show(loaded.diagnostics, area, err=False)
    failed = bool(loaded.errors) or (strict and bool(loaded.warnings))
    summary = (f"{area.as_posix()}: {len(loaded.agencies)} agencies, {len(loaded.panels)} panels; "
               f"{_counts(loaded.diagnostics)}")
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
                   as_of: date | None, strict: bool, **extra: bool):
    from .build import BuildOptions

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


@main.command()
@AREA
@_with_common
@click.option("--emit-markdown", is_flag=True, help="Also keep each document's Markdown beside it.")
@click.option("--force", is_flag=True, help="Overwrite documents edited by hand (a backup copy is kept).")
@click.pass_context
def build(ctx: click.Context, area: Path, out: Path, only: tuple[str, ...], templates: Path | None,
          reference_docx: Path | None, as_of: date | None, strict: bool, emit_markdown: bool, force: bool) -> None:
    """Validate the area and write its documents (only those whose inputs changed)."""
    from .build import build as run_build

    ctx.meta["protocolgen.area"] = area
    options = _build_options(area, out, only, templates, reference_docx, as_of, strict,
                             emit_markdown=emit_markdown, force=force)

    def progress(jobs):
        if not sys.stderr.isatty():
            return jobs

        def shown():
            with click.progressbar(jobs, label="Rendering", file=sys.stderr,
                                   item_show_func=lambda job: job.id if job else "") as bar:
                yield from bar

        return shown()

    result = run_build(options, progress=progress)
    _show(result.warnings, area)
    for note in result.notes:
        click.secho(f"warning: {note}", fg="yellow", err=True)
    documents = [w for w in result.written if w.endswith(".docx") and not w.startswith("changes")]
    if not result.written:
        click.echo(f"No changes: all {result.documents} documents are up to date; nothing was written.")
    else:
        click.echo(f"Wrote {len(result.written)} files in {out.as_posix()}: {len(documents)} Word documents "
                   f"({len(result.unchanged)} of {result.documents} documents unchanged).")
    new = [c for c in result.changes if c.old_version is None]
    if new:
        click.echo(f"  {len(new)} new document{'s' * (len(new) != 1)} at version 1.0")
    for change in result.changes:
        if change.old_version is not None:
            click.echo(f"  {change.id} ({change.old_version} -> {change.new_version}): {'; '.join(change.reasons)}")
    if result.changes:
        click.echo(f"What changed is in {(out / 'changes.md').as_posix()}.")
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
    """List stale documents and why, without writing anything. Exit 1 when something is stale."""
    from .build import status as run_status

    ctx.meta["protocolgen.area"] = area
    stale, edited, _warnings = run_status(_build_options(area, out, only, templates, reference_docx, as_of, strict))
    for doc in stale:
        click.echo(f"stale: {doc.id}")
        for reason in doc.reasons:
            click.echo(f"  - {reason}")
    for rel in edited:
        click.echo(f"edited by hand: {(out / rel).as_posix()}")
    if not stale and not edited:
        click.echo("All documents are current.")
    ctx.exit(1 if stale or edited else 0)


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
