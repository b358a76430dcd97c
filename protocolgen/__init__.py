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

The names are imported when first used (PEP 562), so that what needs only a part of protocolgen (a worker
process that writes documents, a no-op build that finds nothing changed) does not pay for importing all of it.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "inspect_area": "area", "load_area": "area",
    "BuildOptions": "options", "BuildResult": "options", "StaleDoc": "options", "build": "build",
    "issue": "commands.issue", "Status": "commands.status", "status": "commands.status",
    "validate": "commands.validate",
    "Diagnostic": "errors", "ProtocolgenError": "errors", "ValidationFailed": "errors",
    "LoadedArea": "loaded",
}

if TYPE_CHECKING:
    from .area import inspect_area, load_area
    from .build import build
    from .commands.issue import issue
    from .commands.status import Status, status
    from .commands.validate import validate
    from .errors import Diagnostic, ProtocolgenError, ValidationFailed
    from .loaded import LoadedArea
    from .options import BuildOptions, BuildResult, StaleDoc


class _Package(types.ModuleType):
    """This package as a module object that keeps ``protocolgen.build`` and ``protocolgen.validate`` the
    functions: importing the submodule ``protocolgen.build`` (or ``protocolgen.validate``) would otherwise bind
    the module under that name."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _PUBLIC:
            return  # the submodule stays reachable as sys.modules["protocolgen.build"]
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'protocolgen' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once: later lookups are plain
    return value


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
