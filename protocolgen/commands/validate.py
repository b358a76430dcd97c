"""``protocolgen validate``: every problem of an area folder, the sign-off register included, and how many files
of each kind it holds (those that failed to load too), for the summary line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..area import YAML_SUFFIXES, inspect_area
from ..errors import Diagnostic
from ..loaded import LoadedArea
from ..signoff import read_register


def validate(area: Path | str) -> LoadedArea:
    """Load and check the area folder ``area``, its ``signoff.yaml`` too, and return what loaded with every
    problem found (``.diagnostics``, ``.errors``, ``.warnings``). Never raises for a problem in the files;
    raises :class:`~protocolgen.errors.ProtocolgenError` when ``area`` is not a folder."""
    root = Path(area)
    loaded = inspect_area(root)
    loaded.diagnostics = sorted(set(loaded.diagnostics) | set(read_register(root)[1]), key=Diagnostic.sort_key)
    return loaded


@dataclass(frozen=True)
class FileCount:
    """Files of one kind in the area folder, and how many of them loaded."""

    kind: str  # "organisation", "agency" or "panel"
    files: int
    loaded: int

    @property
    def failed(self) -> int:
        return self.files - self.loaded

    def describe(self) -> str:
        """'5 agencies (3 not loaded)'"""
        plural = {"agency": "agencies"}.get(self.kind, f"{self.kind}s")
        text = f"{self.files} {self.kind if self.files == 1 else plural}"
        return text + (f" ({self.failed} not loaded)" if self.failed else "")


def file_counts(loaded: LoadedArea) -> list[FileCount]:
    """Agencies always; organisations and panels when the folder has any."""
    found: dict[str, dict[str, Any]] = {"organisation": loaded.organisations, "agency": loaded.agencies,
                                         "panel": loaded.panels}
    counts = []
    for kind, folder in (("organisation", "organisations"), ("agency", "agencies"), ("panel", "panels")):
        path = loaded.root / folder
        files = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in YAML_SUFFIXES] \
            if path.is_dir() else []
        # A file loaded when the model it holds is in the area (organisations also hold each service's own
        # legal entity, which comes from no file of its own).
        loaded_paths = {source.path for key, source in loaded.sources.items()
                        if key.startswith(f"{kind}:") and key.partition(":")[2] in found[kind]}
        ok = sum(1 for p in files if p in loaded_paths)
        if kind == "agency" or files:
            counts.append(FileCount(kind, len(files), min(ok, len(files))))
    return counts
