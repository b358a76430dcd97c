"""protocolgen: multi-agency child safeguarding information-sharing paperwork from agency profiles.

The public API; the command line (``protocolgen.cli``) is a thin layer over these::

    import datetime
    from pathlib import Path

    import protocolgen

    loaded = protocolgen.validate("agency_profiles")         # never raises for problems in the files
    for problem in loaded.diagnostics:
        print(problem.format())

    options = protocolgen.BuildOptions(area_dir=Path("agency_profiles"), out_dir=Path("output"), pdf=False)
    result = protocolgen.build(options)                      # raises ValidationFailed when the area has errors
    print(result.written, result.edited)

    report = protocolgen.status(options)                     # writes nothing
    print(report.current, [doc.id for doc in report.stale])

    issued = protocolgen.issue(options, when=datetime.date(2026, 5, 1))

Every error a user can cause is a :class:`ProtocolgenError` (validation problems: :class:`ValidationFailed`,
with every :class:`Diagnostic` attached), whose message is written to be shown as it is.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .area import inspect_area, load_area
from .build import BuildOptions, BuildResult, StaleDoc, build
from .commands.issue import issue
from .commands.status import Status, status
from .commands.validate import validate
from .errors import Diagnostic, ProtocolgenError, ValidationFailed
from .loaded import LoadedArea

__all__ = [
    "BuildOptions",
    "BuildResult",
    "Diagnostic",
    "LoadedArea",
    "ProtocolgenError",
    "StaleDoc",
    "Status",
    "ValidationFailed",
    "__version__",
    "build",
    "inspect_area",
    "issue",
    "load_area",
    "status",
    "validate",
]
