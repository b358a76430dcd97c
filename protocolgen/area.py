"""Load an area folder: every YAML file, validated into models, with every problem found in one pass.

``inspect_area`` never raises for a user's mistake: it returns what it could load plus diagnostics.
``load_area`` is the strict form used by builds: it raises ``ValidationFailed`` when there are errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import Diagnostic, ProtocolgenError, ValidationFailed
from .load import MAX_FILES, SourceFile, load_yaml
from .loaded import LoadedArea
from .models import LEGISLATION_FIELDS, Agency, Area, LegislationEntry, Organisation, Panel
from .register import Register, area_register_path, bundled_register_raw
from .rules import apply_rules
from .validate import diagnostics_from, suggest

M = TypeVar("M", bound=BaseModel)
# The models kept one file each in a folder, keyed by their ``id``.
Identified = TypeVar("Identified", Agency, Panel, Organisation)

YAML_SUFFIXES = (".yaml", ".yml")


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


def _resolve_entities(loaded: LoadedArea) -> None:
    """Give every service its legal entity: the organisation it names, its own ``legal_entity``, or (for areas
    written before legal entities were modelled) one derived from the service itself, with a warning."""
    for agency in loaded.agencies.values():
        where = f"agency:{agency.id}"
        if agency.organisation and agency.legal_entity:
            loaded.report(where, ("legal_entity",), "names both an organisation and its own legal_entity",
                          hint="keep one: organisation for a body shared with other services, legal_entity otherwise")
        if agency.organisation:
            loaded.entity_ids[agency.id] = agency.organisation
            continue
        if agency.legal_entity is not None:
            entity = Organisation(id=agency.id, **agency.legal_entity.model_dump(exclude_unset=True))
        else:
            dpo = agency.contacts.data_protection_officer
            entity = Organisation(id=agency.id, name=agency.name, data_protection_officer=dpo)
            loaded.report(
                where, ("name",),
                "names no legal entity, so protocolgen treats the service as its own controller", "warning",
                hint="if it belongs to a body with other services (a council, an NHS trust), add "
                "organisations/<id>.yaml and 'organisation: <id>'; otherwise add 'legal_entity:' with its legal "
                "name and ico_registration",
            )
        if agency.id in loaded.organisations:
            loaded.report(where, ("id",), f"is also the id of organisations/{agency.id}.yaml",
                          hint="give the service or the organisation another id")
            continue
        loaded.organisations[agency.id] = entity
        loaded.entity_ids[agency.id] = agency.id


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

    organisation_ids = set(loaded.organisations) | {
        ident for kind, _, ident in read if kind == "organisation"
    } | {path.stem for path in _yaml_files(loaded.root / "organisations") if path not in parsed}
    for agency in agencies.values():
        where = f"agency:{agency.id}"
        if agency.organisation is not None and agency.organisation not in organisation_ids:
            loaded.report(where, ("organisation",), f"no organisation has the id '{agency.organisation}'",
                          hint=suggest(agency.organisation, loaded.organisations)
                          or "add organisations/<id>.yaml for the legal entity")
        for i, basis in enumerate(agency.statutory_basis):
            legislation_key(where, ("statutory_basis", i, "key"), basis.key)
        for i, use in enumerate(agency.uk_gdpr_bases):
            if use.obligation is not None:
                legislation_key(where, ("uk_gdpr_bases", i, "obligation"), use.obligation)
        for i, condition in enumerate(agency.special_category_conditions):
            if condition.schedule is not None:
                legislation_key(where, ("special_category_conditions", i, "schedule"), condition.schedule)
        if agency.providing_information.law is not None:
            legislation_key(where, ("providing_information", "law"), agency.providing_information.law)
        for i, seat in enumerate(agency.panels):
            for j, key in enumerate(seat.powers or ()):
                legislation_key(where, ("panels", i, "powers", j), key)
        if agency.contracted_by is not None and agency.contracted_by not in agency_ids:
            loaded.report(where, ("contracted_by",), f"no agency has the id '{agency.contracted_by}'",
                          hint=suggest(agency.contracted_by, agencies))
        circle = _contract_circle(agency.id, agencies)
        if circle:
            loaded.report(where, ("contracted_by",), f"goes round in a circle ({' -> '.join(circle)}), so none of "
                          "them is the controller", hint="the body at the end of a chain of contracts decides "
                          "how the information is used: remove its contracted_by")
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
        joint = panel.joint_arrangement
        if joint is not None:
            for loc, ident in [(("joint_arrangement", "contact_point"), joint.contact_point)] + [
                (("joint_arrangement", "responsibilities", i, "party"), r.party) for i, r in enumerate(joint.responsibilities)
            ]:
                if ident not in agency_ids:
                    loaded.report(where, loc, f"no agency has the id '{ident}'", hint=suggest(ident, agencies))


def _contract_circle(start: str, agencies: dict[str, Agency]) -> list[str]:
    """The ids round the circle of ``contracted_by`` that ``start`` is on (start first, and last again), or []."""
    chain = [start]
    current = agencies[start].contracted_by
    while current is not None and current in agencies and current not in chain:
        chain.append(current)
        current = agencies[current].contracted_by
    return [*chain, start] if current == start and len(chain) > 1 else []


def inspect_area(root: Path | str) -> LoadedArea:
    """Load and check everything under ``root``; never raises for problems in the user's files."""
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
    loaded.organisations = _load_collection(loaded, "organisations", "organisation", Organisation)
    loaded.agencies = _load_collection(loaded, "agencies", "agency", Agency)
    loaded.panels = _load_collection(loaded, "panels", "panel", Panel)
    _resolve_entities(loaded)
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
