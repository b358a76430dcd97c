"""protocolgen: multi-agency child safeguarding information-sharing paperwork from agency profiles.

The public API; the command line (``protocolgen.cli``) only calls these. The names are imported when first
used (PEP 562), so that what needs only a part of protocolgen (a worker process that writes documents, a
no-op build that finds nothing changed) does not pay for importing all of it.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "inspect_area": "area", "load_area": "area",
    "BuildOptions": "build", "BuildResult": "build", "build": "build", "status": "build",
    "Diagnostic": "errors", "ProtocolgenError": "errors", "ValidationFailed": "errors",
    "LoadedArea": "loaded",
}

if TYPE_CHECKING:
    from .area import inspect_area, load_area
    from .build import BuildOptions, BuildResult, build, status
    from .errors import Diagnostic, ProtocolgenError, ValidationFailed
    from .loaded import LoadedArea


class _Package(types.ModuleType):
    """This package as a module object that keeps ``protocolgen.build`` the function: importing the submodule
    ``protocolgen.build`` would otherwise bind the module under that name (an eager ``from .build import
    build`` used to rebind it at once)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _PUBLIC.get(name) == name:
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
    "ValidationFailed",
    "__version__",
    "build",
    "inspect_area",
    "load_area",
    "status",
]
