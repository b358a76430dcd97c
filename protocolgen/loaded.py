"""The loaded area: every model that loaded, the sources they came from, and every problem found.

It sits between loading (``area.py``) and the stages that read an area (the rules, resolve), so that none of
them needs to import the loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import Diagnostic, Severity
from .load import SourceFile, format_loc
from .models import Agency, Area, LegalEntity, Membership, Organisation, Panel
from .register import Register

_ROLE_ORDER = {"chair": 0, "member": 1, "adviser": 2}


@dataclass
class LoadedArea:
    """An area as far as it could be loaded, and every problem found on the way."""

    root: Path
    area: Area | None = None
    agencies: dict[str, Agency] = field(default_factory=dict)
    panels: dict[str, Panel] = field(default_factory=dict)
    register: Register = field(default_factory=lambda: Register({}))
    # Legal entities by id: organisations/*.yaml, agencies' own legal_entity (under the agency's id), and, for a
    # service that names neither, one derived from the service itself (under its id).
    organisations: dict[str, Organisation] = field(default_factory=dict)
    entity_ids: dict[str, str] = field(default_factory=dict)  # agency id -> legal entity id
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
        return list(self._seats.get(panel_id, ()))

    @cached_property
    def _seats(self) -> dict[str, tuple[tuple[Agency, Membership], ...]]:
        # Built once, after loading: every panel's seats in one pass over the agencies (not one per panel).
        seats: dict[str, list[tuple[Agency, Membership]]] = {}
        for agency in self.agencies.values():
            for seat in agency.panels:
                seats.setdefault(seat.panel, []).append((agency, seat))
        return {
            panel: tuple(sorted(found, key=lambda s: (_ROLE_ORDER[s[1].role], s[0].name.casefold(), s[0].id)))
            for panel, found in seats.items()
        }

    def entity_of(self, agency_id: str) -> LegalEntity | None:
        """The legal person a service belongs to (its organisation, its own legal_entity, or itself)."""
        return self.organisations.get(self.entity_ids.get(agency_id, ""))

    def entity_id_of(self, agency_id: str) -> str:
        return self.entity_ids.get(agency_id, agency_id)

    def report(
        self, source_key: str, loc: Sequence[str | int], message: str, severity: Severity = "error", hint: str = ""
    ) -> None:
        """Record a problem at a field of a loaded file (``source_key`` like 'agency:north-police')."""
        source = self.sources[source_key]
        self.diagnostics.append(
            Diagnostic(source.display, source.line_of(loc), format_loc(loc), message, severity, hint)
        )


