"""The legislation register: the bundled entries, an area's overrides, and the law as it stood on a date."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

from .models import LegislationEntry

_BUNDLED = "legislation.yaml"


def bundled_register_text() -> str:
    return resources.files("protocolgen").joinpath("data", _BUNDLED).read_text(encoding="utf-8")


def bundled_register_raw() -> dict[str, dict]:
    data = yaml.load(bundled_register_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data or {}


@dataclass(frozen=True)
class Register(Mapping[str, LegislationEntry]):
    """Every legislation entry by key. Immutable; ``as_of`` gives the law on a given date."""

    entries: dict[str, LegislationEntry]

    def __getitem__(self, key: str) -> LegislationEntry:
        return self.entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def replacements(self, key: str) -> list[LegislationEntry]:
        return [self.entries[k] for k in self.entries[key].replaced_by if k in self.entries]

    def as_of(self, when: date) -> Register:
        """Entries with their status as it was on ``when``, judged from their in-force dates.

        A provision that started after ``when`` reads as not yet in force; one that ended on or before it
        reads as repealed. Entries without dates keep the status recorded for them.
        """
        return Register({key: effective(entry, when) for key, entry in self.entries.items()})


def effective(entry: LegislationEntry, when: date) -> LegislationEntry:
    if entry.in_force_from and when < entry.in_force_from:
        return entry.model_copy(update={"status": "not_yet_in_force"})
    if entry.in_force_until and when > entry.in_force_until:
        return entry.model_copy(update={"status": "repealed"})
    if entry.status == "repealed" and entry.in_force_until and when <= entry.in_force_until:
        return entry.model_copy(update={"status": "in_force"})
    return entry


def read_bundled() -> Register:
    """The bundled register alone (no area overrides)."""
    return Register({key: LegislationEntry(key=key, **fields) for key, fields in bundled_register_raw().items()})


def area_register_path(area_dir: Path) -> Path:
    return area_dir / "legislation.yaml"
