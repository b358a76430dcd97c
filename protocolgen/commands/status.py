"""``protocolgen status``: what a build would change (stale documents and why, files edited by hand), drafts
not yet issued, and who has not signed each issued protocol. Writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Diagnostic
from ..options import BuildOptions, StaleDoc

if TYPE_CHECKING:
    from ..reports import DocChange
    from ..signoff import ProtocolSignoff


@dataclass
class Status:
    """The state of an output folder against its area."""

    stale: list[StaleDoc] = field(default_factory=list)  # documents a build would rewrite, with the reasons
    edited: list[str] = field(default_factory=list)  # files (relative to OUT) edited by hand since written
    warnings: list[Diagnostic] = field(default_factory=list)  # the area's warnings
    drafts: list[DocChange] = field(default_factory=list)  # drafts not yet issued (old_version None: never)
    signoff: list[ProtocolSignoff] = field(default_factory=list)  # each issued protocol, signed or not

    @property
    def current(self) -> bool:
        """Nothing stale and nothing edited by hand: a build would write nothing."""
        return not self.stale and not self.edited

    # Kept so that ``stale, edited, warnings = status(options)``, the form of protocolgen 0.1, still works.
    def __iter__(self) -> Iterator[Any]:
        return iter((self.stale, self.edited, self.warnings))

    def __getitem__(self, index: int) -> Any:
        return (self.stale, self.edited, self.warnings)[index]


def status(options: BuildOptions) -> Status:
    """Compare the output folder ``options.out_dir`` with the area ``options.area_dir`` (the other options as
    for the build that made it). Raises :class:`~protocolgen.errors.ValidationFailed` when the area has errors
    (or warnings, with ``options.strict``)."""
    from .. import stamp

    # OUT refused if unusable; nothing changed since the last build: answered from the stamp, without importing
    # the stages.
    replayed = stamp.replay_full_status(options)
    if replayed is not None:
        warnings, seen = replayed
        return Status([], [], warnings, seen.drafts, seen.signoff)
    from ..build import status as stale_documents
    from .overview import overview

    stale, edited, warnings = stale_documents(options)
    overview_now = overview(options.area_dir, options.out_dir)
    return Status(stale, edited, warnings, overview_now.drafts, overview_now.signoff)
