"""Errors and diagnostics: the one exception root and the problem records that validation collects.

Nothing here knows about click: the CLI catches ``ProtocolgenError`` once and prints it without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem in the user's terms: where it is, what is wrong, and what to do."""

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = "error"
    hint: str = ""

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line or 0, self.field, self.message)

    def format(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        field = f" {self.field}:" if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.severity}:{field} {self.message}{hint}"


class ProtocolgenError(Exception):
    """Root of every error a user can cause. Its message is printed as is, without a traceback."""


class ValidationFailed(ProtocolgenError):
    """The area has errors; every diagnostic (errors and warnings) is attached."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        errors = sum(d.severity == "error" for d in self.diagnostics)
        super().__init__(f"{errors} error(s) in the area; nothing was written")


class TemplateProblem(ProtocolgenError):
    """A template failed to render: names the template file and line."""


class OutputProblem(ProtocolgenError):
    """The output folder cannot be written as asked."""
