"""The lifecycle part of ``protocolgen status``: drafts waiting to be issued, and who has not signed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..manifest import Manifest
from ..reports import DocChange, pending_changes
from ..signoff import ProtocolSignoff, load_register, progress


@dataclass
class Overview:
    drafts: list[DocChange]  # every draft, with its last issued version (None if never issued)
    signoff: list[ProtocolSignoff]  # every issued protocol


def overview(area_dir: Path, out_dir: Path) -> Overview:
    """Read from the manifest and the sign-off register only: no document is rendered."""
    manifest = Manifest.read(out_dir)
    register = load_register(area_dir)
    return Overview(pending_changes(manifest), list(progress(manifest, register).values()))
