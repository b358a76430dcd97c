"""Turn pydantic's validation errors into diagnostics a safeguarding lead can act on.

Each error gets its file, its line (from ``load.SourceFile``), its field path, a sentence in plain words, and,
for a misspelled field or value, a "did you mean".
"""

from __future__ import annotations

import difflib
import re
import reprlib
import types
import typing
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Diagnostic, ProtocolgenError
from .load import SourceFile, format_loc


def suggest(word: object, choices: Iterable[str]) -> str:
    """A 'did you mean' hint, or '' when nothing is close."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional to the type that holds the next level of fields."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            arms = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = arms[0] if len(arms) == 1 else annotation
            if len(arms) != 1:
                return annotation
        else:
            return annotation


def fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at ``loc`` inside ``model`` (for suggestions)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            if not args:
                return []
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_REPR = reprlib.Repr()  # bounded: a huge aliased value must not be printed (or even repr'd) whole
_REPR.maxstring = _REPR.maxother = 57
_REPR.maxlist = _REPR.maxdict = 4
_REPR.maxlevel = 2


def _describe(value: Any) -> str:
    if isinstance(value, bool):  # YAML reads yes/no/on/off unquoted as true or false
        return f"{str(value).lower()} (a yes/no value: put it in quotes if it is text)"
    if isinstance(value, date):
        return value.isoformat()
    return _REPR.repr(value)


_SLUG_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$"
# pydantic's bound errors, in words for numbers (False) and for dates (True).
_BOUNDS = {
    "less_than_equal": ("at most", "on or before"),
    "less_than": ("less than", "before"),
    "greater_than_equal": ("at least", "on or after"),
    "greater_than": ("more than", "after"),
}


def _message(error: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    kind = error["type"]
    loc = error["loc"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "is required but missing", ""
    if kind == "extra_forbidden":
        allowed = fields_at(model, loc[:-1])
        return "is not a field protocolgen knows", suggest(loc[-1], allowed) or (
            f"allowed here: {', '.join(allowed)}" if allowed else ""
        )
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{_describe(value)} is not one of: {', '.join(expected)}", suggest(value, expected)
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern == _SLUG_PATTERN:
            return (
                f"{_describe(value)} is not a valid id or key",
                "use lower-case letters, digits and single hyphens, e.g. 'north-police'; ids become file names",
            )
        if "@" in pattern:
            return f"{_describe(value)} is not an email address", ""
        if pattern.startswith("^https?"):
            return f"{_describe(value)} is not a web address", "it must start with https:// or http://"
        return f"{_describe(value)} is not in the expected form", f"it must match {pattern}"
    if kind == "string_too_short":
        return "must not be empty", ""
    if kind == "string_too_long":
        return f"is {len(str(value)):,} characters long; it may be at most {ctx.get('max_length')}", ""
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s)", ""
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "")
        dated = isinstance(bound, date) or bool(re.match(r"^\d{4}-\d\d-\d\d$", str(bound)))
        return f"{_describe(value)} is out of range: it must be {_BOUNDS[kind][dated]} {bound}", ""
    if kind.startswith("date_") or kind.startswith("datetime_"):
        # pydantic's own words ("invalid character in year") do not say how to write a date; these do.
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return (f"{_describe(value)} is not a real date: {ctx.get('error') or 'out of range'}",
                    "dates are written YYYY-MM-DD, e.g. 2026-04-01 for 1 April 2026")
        return f"{_describe(value)} is not a date in the form YYYY-MM-DD", "e.g. 2026-04-01 for 1 April 2026"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "finite_number":
        message = f"{message[0].lower()}{message[1:]}, but it is {_describe(value)}"
    return message, ""


# A step pydantic adds to a location for a validator wrapping a model: 'function-before[check(), Agency]'. A
# field name a user typed with a bracket in it ("i[d") is a field name, reported as such.
_SYNTHETIC = re.compile(r"^[a-z][a-z-]*\[.*\]$")


def diagnostics_from(
    exc: ValidationError, source: SourceFile, model: type[BaseModel], prefix: Sequence[str | int] = ()
) -> list[Diagnostic]:
    """Every error in ``exc`` as a diagnostic located in ``source``; ``prefix`` is where the model starts."""
    out = []
    errors: list[dict[str, Any]] = []
    for detail in exc.errors(include_url=False):
        # Pydantic adds a synthetic step for validators wrapping a model (e.g. 'function-before[...]').
        loc = tuple(part for part in detail["loc"] if not (isinstance(part, str) and _SYNTHETIC.match(part)))
        errors.append({**detail, "loc": loc})
    # A misspelled field shows up twice: as unknown, and its real name as missing. Report the typo once.
    misspelt = {
        (*e["loc"][:-1], close[0])
        for e in errors
        if e["type"] == "extra_forbidden" and e["loc"]
        and (close := difflib.get_close_matches(str(e["loc"][-1]), fields_at(model, e["loc"][:-1]), n=1, cutoff=0.6))
    }
    for error in errors:
        loc = error["loc"]
        if error["type"] == "missing" and loc in misspelt:
            continue
        message, hint = _message(error, model)
        full = (*prefix, *loc)
        out.append(Diagnostic(source.display, source.line_of(full), format_loc(full), message, "error", hint))
    return out


def check_selection(loaded: Any, only: Iterable[str]) -> None:
    """Every ``--only panel:<id>`` / ``agency:<id>`` names a panel or agency of the area (``loaded``, a
    ``LoadedArea``); otherwise a ``ProtocolgenError`` with a "did you mean", rather than a build of nothing."""
    for item in only:
        kind, _, ident = item.partition(":")
        known = loaded.panels if kind == "panel" else loaded.agencies if kind == "agency" else None
        if known is None:
            raise ProtocolgenError(f"--only {item}: say panel:<id> or agency:<id>")
        if ident not in known:
            hint = suggest(ident, known) or f"the {kind} ids are: {', '.join(sorted(known)) or 'none'}"
            raise ProtocolgenError(f"--only {item}: no {kind} has the id '{ident}' ({hint})")
