"""protocolgen: multi-agency child safeguarding information-sharing paperwork from agency profiles.

The public API; the command line (``protocolgen.cli``) only calls these.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .area import inspect_area, load_area
from .build import BuildOptions, BuildResult, build, status
from .errors import Diagnostic, ProtocolgenError, ValidationFailed
from .loaded import LoadedArea

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
