"""JSON Schema for the file formats, generated from the models (so descriptions stay in one place), and the same
schema in words, field by field, for people (``protocolgen schema --format text``)."""

from __future__ import annotations

import copy
import json
import textwrap
from typing import Any

from .models import Agency, Area, LegislationEntry, Panel

_BASE = "https://protocolgen.invalid/schema"


def _with_header(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{_BASE}/{name}.schema.json", **body}


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each kind of file: area, agency, panel and legislation."""
    entry = copy.deepcopy(LegislationEntry.model_json_schema())
    entry["properties"].pop("key", None)
    entry.pop("required", None)  # an area entry may override any subset of a bundled entry's fields
    legislation = {
        "title": "legislation.yaml",
        "description": "Register key -> entry fields. An entry replaces or extends the bundled entry of the same "
        "key field by field, or adds a new one (then every required field is needed).",
        "type": "object",
        "propertyNames": {"pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
        "additionalProperties": entry,
    }
    return {
        "area": _with_header("area", Area.model_json_schema()),
        "agency": _with_header("agency", Agency.model_json_schema()),
        "panel": _with_header("panel", Panel.model_json_schema()),
        "legislation": _with_header("legislation", legislation),
    }


# --- the readable form (protocolgen schema --format text) ----------------------------------------------------

_WIDTH = 100


def as_text(kind: str, schema: dict[str, Any]) -> str:
    """The schema as a person reads it: each field by its path (``contacts.safeguarding_lead.role``), its
    type, whether it is required, its default, and its help text."""
    lines = [*_wrap(f"{schema.get('title', kind)}: {schema.get('description', '')}".rstrip(": "), ""), ""]
    defs = dict(schema.get("$defs", {}))
    if kind == "legislation":
        entry = schema["additionalProperties"]
        defs.update(entry.get("$defs", {}))
        lines += _wrap("Each key is a register key (lower-case letters, digits and hyphens); under it, any of these "
                       "fields of the entry:", "")
        lines.append("")
        _fields(entry, defs, "<key>.", lines, ())
    else:
        _fields(schema, defs, "", lines, ())
    return "\n".join(lines).rstrip() + "\n"


def _fields(obj: dict[str, Any], defs: dict[str, Any], prefix: str, lines: list[str], seen: tuple[str, ...]) -> None:
    required = set(obj.get("required", ()))
    for name, prop in obj.get("properties", {}).items():
        phrase, nested, ref = _describe(prop, defs)
        state = "required" if name in required else "optional"
        default = prop.get("default")
        if default not in (None, [], {}, ""):
            state += f", default {json.dumps(default, ensure_ascii=False)}"
        lines += _wrap(f"{prefix}{name} ({state}): {phrase}", "      ")
        help_text = prop.get("description") or (defs.get(ref, {}).get("description", "") if ref else "")
        if help_text:
            lines += _wrap(help_text, "    ", "    ")
        if nested is not None and ref not in seen:
            inner = f"{prefix}{name}[]." if _is_list(prop) else f"{prefix}{name}."
            _fields(nested, defs, inner, lines, (*seen, ref or name))


def _wrap(text: str, indent: str, first: str = "") -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False) or [first.rstrip()]


def _is_list(prop: dict[str, Any]) -> bool:
    arms = [prop, *prop.get("anyOf", ())]
    return any(arm.get("type") == "array" for arm in arms)


def _describe(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str]:
    """(type in words, the nested object whose fields follow, its definition's name)."""
    if "$ref" in prop:
        ref = prop["$ref"].rsplit("/", 1)[-1]
        target = defs.get(ref, {})
        if "properties" in target:
            return "a mapping, with the fields below", target, ref
        return _describe(target, defs)
    if "anyOf" in prop:
        arms = [arm for arm in prop["anyOf"] if arm.get("type") != "null"]
        described = [_describe(arm, defs) for arm in arms]
        nested, ref = next(((n, r) for _, n, r in described if n is not None), (None, ""))
        return " or ".join(d[0] for d in described), nested, ref
    if "enum" in prop:
        return "one of: " + ", ".join(str(v) for v in prop["enum"]), None, ""
    if "const" in prop:
        return f"exactly {prop['const']}", None, ""
    kind = prop.get("type")
    if kind == "array":
        phrase, nested, ref = _describe(prop.get("items", {}), defs)
        at_least = f" (at least {prop['minItems']})" if prop.get("minItems") else ""
        return f"a list{at_least}, each item {phrase}", nested, ref
    if kind == "string":
        pattern = prop.get("pattern", "")
        if prop.get("format") == "date":
            return "a date, written YYYY-MM-DD", None, ""
        if pattern == "^[a-z0-9]+(?:-[a-z0-9]+)*$":
            return "an id (lower-case letters, digits and single hyphens)", None, ""
        if "@" in pattern:
            return "an email address", None, ""
        if pattern.startswith("^https?"):
            return "a web address (https://...)", None, ""
        if pattern:
            return f"text of the form {pattern}", None, ""
        return "text", None, ""
    if kind == "integer":
        low, high = prop.get("minimum"), prop.get("maximum")
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}", None, ""
        return "a whole number" + (f" of at least {low}" if low is not None else ""), None, ""
    if kind == "boolean":
        return "true or false", None, ""
    if kind == "object":
        return "a mapping", None, ""
    return "any value", None, ""
