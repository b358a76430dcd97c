"""Load an area folder: every YAML file, validated into models, with every problem found in one pass.

``inspect_area`` never raises for a user's mistake: it returns what it could load plus diagnostics.
``load_area`` is the strict form used by builds: it raises ``ValidationFailed`` when there are errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import Diagnostic, ProtocolgenError, Severity, ValidationFailed
from .load import MAX_FILES, SourceFile, format_loc, load_yaml
from .models import LEGISLATION_FIELDS, Agency, Area, LegislationEntry, Membership, Panel
from .register import Register, area_register_path, bundled_register_raw
from .validate import diagnostics_from, suggest

M = TypeVar("M", bound=BaseModel)
# The models kept one file each in a folder, keyed by their ``id``.
Identified = TypeVar("Identified", Agency, Panel)

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedArea:
    """An area as far as it could be loaded, and every problem found on the way."""

    root: Path
    area: Area | None = None
    agencies: dict[str, Agency] = field(default_factory=dict)
    panels: dict[str, Panel] = field(default_factory=dict)
    register: Register = field(default_factory=lambda: Register({}))
    sources: dict[str, SourceFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def members(self, panel_id: str) -> list[tuple[Agency, Membership]]:
        """The panel's member agencies with their seats, chair first, then by name."""
        seats = [(a, m) for a in self.agencies.values() for m in a.panels if m.panel == panel_id]
        order = {"chair": 0, "member": 1, "adviser": 2}
        return sorted(seats, key=lambda seat: (order[seat[1].role], seat[0].name.casefold(), seat[0].id))

    def report(
        self, source_key: str, loc: Sequence[str | int], message: str, severity: Severity = "error", hint: str = ""
    ) -> None:
        """Record a problem at a field of a loaded file (``source_key`` like 'agency:north-police')."""
        source = self.sources[source_key]
        self.diagnostics.append(
            Diagnostic(source.display, source.line_of(loc), format_loc(loc), message, severity, hint)
        )


def _display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _yaml_files(folder: Path) -> list[Path]:
    """Everything in ``folder`` named *.yaml or *.yml: files, and folders or other things so named, which
    load_yaml reports instead of them being skipped without a word."""
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in YAML_SUFFIXES)
    except OSError:  # not a folder, or unreadable: _load_collection says which
        return []


def _parse(loaded: LoadedArea, path: Path, model: type[M]) -> tuple[SourceFile | None, M | None]:
    source, problems = load_yaml(path, _display(loaded.root, path))
    loaded.diagnostics.extend(problems)
    if source is None:
        return None, None
    try:
        return source, model.model_validate(source.data)
    except ValidationError as exc:
        loaded.diagnostics.extend(diagnostics_from(exc, source, model))
        return source, None


def _load_collection(loaded: LoadedArea, folder: str, kind: str, model: type[Identified]) -> dict[str, Identified]:
    found: dict[str, Identified] = {}
    first_file: dict[str, str] = {}
    base = loaded.root / folder
    try:
        if base.exists() and not base.is_dir():
            raise NotADirectoryError(0, f"is a file, not a folder of {kind} profiles (*.yaml)")
        if base.exists():
            next(base.iterdir(), None)
    except OSError as exc:
        loaded.diagnostics.append(Diagnostic(f"{folder}/", None, "", exc.strerror or str(exc), "error",
                                             f"{folder}/ should be a folder holding one <id>.yaml file per {kind}"))
        return found
    paths = _yaml_files(base)
    if len(paths) > MAX_FILES:
        loaded.diagnostics.append(Diagnostic(
            f"{folder}/", None, "", f"holds {len(paths):,} profile files; an area may have at most {MAX_FILES:,} "
            f"{kind} files", "error", f"only the first {MAX_FILES:,} were read"))
        paths = paths[:MAX_FILES]
    for path in paths:
        source, item = _parse(loaded, path, model)
        if source is None:
            continue
        raw_id = source.data.get("id")
        # Ids are normalised once, here, as the models normalise them (surrounding spaces dropped), so that
        # every lookup and the duplicate check below see the same id the model has.
        ident = raw_id.strip() if isinstance(raw_id, str) else path.stem
        if ident in first_file:
            loaded.diagnostics.append(
                Diagnostic(
                    source.display,
                    source.line_of(("id",)),
                    "id",
                    f"{kind} id '{ident}' is already used by {first_file[ident]}",
                    "error",
                    "each id must be unique: it names the output folder",
                )
            )
            continue
        first_file[ident] = source.display
        loaded.sources[f"{kind}:{ident}"] = source
        if item is None:
            continue
        if path.stem != item.id:
            loaded.report(
                f"{kind}:{ident}", ("id",), f"does not match the file name '{path.name}'", "warning",
                f"rename the file to {item.id}{path.suffix} so the two are easy to find together",
            )
        found[item.id] = item
    return found


def _load_register(loaded: LoadedArea) -> None:
    raw = bundled_register_raw()
    path = area_register_path(loaded.root)
    overrides: dict = {}
    source: SourceFile | None = None
    if path.is_file():
        source, problems = load_yaml(path, _display(loaded.root, path))
        loaded.diagnostics.extend(problems)
        if source is not None:
            loaded.sources["legislation"] = source
            overrides = source.data
    entries: dict[str, LegislationEntry] = {}
    for key in sorted(set(raw) | set(overrides)):
        fields = dict(raw.get(key) or {})
        override = overrides.get(key)
        if key in overrides and not isinstance(override, dict):
            assert source is not None
            loaded.report("legislation", (key,), "must be a mapping of entry fields", hint=f"fields: {', '.join(LEGISLATION_FIELDS)}")
            if key not in raw:
                continue
            override = {}  # reported: go on with the bundled entry
        if isinstance(override, dict) and "key" in override:
            # The key is the entry's name in the mapping; a second one inside would quietly rename the entry.
            loaded.report("legislation", (key, "key"), "is not a field here: an entry's key is the name it is listed "
                          "under", hint="remove it; to add an entry under another key, list it under that key")
            override = {name: value for name, value in override.items() if name != "key"}
        fields.update(override or {})
        try:
            entries[key] = LegislationEntry(key=key, **fields)
        except ValidationError as exc:
            if source is not None and key in overrides:
                loaded.diagnostics.extend(diagnostics_from(exc, source, LegislationEntry, prefix=(key,)))
                if key in raw:  # keep the bundled entry, so that profiles citing it are not reported as wrong too
                    entries[key] = LegislationEntry(key=key, **raw[key])
            else:  # a broken bundled entry is a bug in protocolgen, not in the user's files
                raise ProtocolgenError(f"the bundled legislation register is broken at '{key}': {exc}") from exc
    loaded.register = Register(entries)
    if source is not None:
        for key, entry in entries.items():
            for index, target in enumerate(entry.replaced_by):
                if target not in entries and key in overrides:
                    loaded.report("legislation", (key, "replaced_by", index), f"'{target}' is not in the register",
                                  hint=suggest(target, entries))


def _check_references(loaded: LoadedArea) -> None:
    register, agencies, panels = loaded.register, loaded.agencies, loaded.panels
    # An agency or panel whose file failed to load still exists, and its file's errors are reported already:
    # a reference to it is not reported again (ids of unreadable files are taken from their file names).
    read = [key.partition(":") for key in loaded.sources]
    parsed = {source.path for source in loaded.sources.values()}
    agency_ids = set(agencies) | {ident for kind, _, ident in read if kind == "agency"}
    agency_ids |= {path.stem for path in _yaml_files(loaded.root / "agencies") if path not in parsed}
    panel_ids = set(panels) | {ident for kind, _, ident in read if kind == "panel"}
    panel_ids |= {path.stem for path in _yaml_files(loaded.root / "panels") if path not in parsed}

    def legislation_key(source_key: str, loc: tuple, key: str) -> None:
        if key not in register:
            loaded.report(source_key, loc, f"'{key}' is not in the legislation register",
                          hint=suggest(key, register) or "see 'protocolgen legislation list'")

    for agency in agencies.values():
        where = f"agency:{agency.id}"
        for i, basis in enumerate(agency.statutory_basis):
            legislation_key(where, ("statutory_basis", i, "key"), basis.key)
        if agency.contracted_by is not None and agency.contracted_by not in agency_ids:
            loaded.report(where, ("contracted_by",), f"no agency has the id '{agency.contracted_by}'",
                          hint=suggest(agency.contracted_by, agencies))
        seen: set[str] = set()
        for i, seat in enumerate(agency.panels):
            if seat.panel not in panel_ids:
                loaded.report(where, ("panels", i, "panel"), f"no panel has the id '{seat.panel}'",
                              hint=suggest(seat.panel, panels))
            if seat.panel in seen:
                loaded.report(where, ("panels", i, "panel"), f"lists panel '{seat.panel}' twice")
            seen.add(seat.panel)
    for panel in panels.values():
        where = f"panel:{panel.id}"
        if panel.chair not in agency_ids:
            loaded.report(where, ("chair",), f"no agency has the id '{panel.chair}'", hint=suggest(panel.chair, agencies))
        for i, key in enumerate(panel.special_category_conditions):
            legislation_key(where, ("special_category_conditions", i), key)
        for i, key in enumerate(panel.legislation):
            legislation_key(where, ("legislation", i), key)


def inspect_area(root: Path | str) -> LoadedArea:
    """Load and check everything under ``root``; never raises for problems in the user's files."""
    from .rules import apply_rules  # the rules import the models of this module's result

    root = Path(root)
    if not root.is_dir():
        raise ProtocolgenError(f"{root}: no such area folder (it should hold area.yaml, agencies/ and panels/)")
    loaded = LoadedArea(root=root)
    area_path = root / "area.yaml"
    if area_path.is_file():
        source, loaded.area = _parse(loaded, area_path, Area)
        if source is not None:
            loaded.sources["area"] = source
    else:
        loaded.diagnostics.append(Diagnostic("area.yaml", None, "", "is missing: every area needs one"))
    loaded.agencies = _load_collection(loaded, "agencies", "agency", Agency)
    loaded.panels = _load_collection(loaded, "panels", "panel", Panel)
    if not loaded.agencies and not any(d.file.startswith("agencies/") for d in loaded.diagnostics):
        loaded.diagnostics.append(Diagnostic("agencies/", None, "", "holds no agency profiles (*.yaml)"))
    _load_register(loaded)
    _check_references(loaded)
    apply_rules(loaded)
    loaded.diagnostics = sorted(set(loaded.diagnostics), key=Diagnostic.sort_key)
    return loaded


def load_area(root: Path | str, strict: bool = False) -> LoadedArea:
    """Load an area for building: raises ``ValidationFailed`` on any error (or warning, when strict)."""
    loaded = inspect_area(root)
    if loaded.errors or (strict and loaded.warnings):
        raise ValidationFailed(loaded.diagnostics)
    return loaded
