"""What a build is asked to do and what it reports: ``BuildOptions``, ``BuildResult``, ``StaleDoc``.

Kept apart from ``build`` (which imports every stage) so that the command line and the no-op cache
(``stamp``) can make and read them without importing the models, the loader or the writers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import Diagnostic
    from .reports import DocChange


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
    issue: bool = False  # `protocolgen issue`: issue the current drafts instead of building
    issue_date: date | None = None  # the day they are issued; None: the area's issue date
    pdf: bool = False  # `build --pdf`: a PDF beside each public document and protocol, made by LibreOffice
    jobs: int | None = None  # processes that convert documents (None: one per CPU); output is the same for any


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
