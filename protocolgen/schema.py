"""JSON Schema for the file formats, generated from the models (so descriptions stay in one place)."""

from __future__ import annotations

import copy
from typing import Any

from .models import Agency, Area, LegislationEntry, Panel

_BASE = "https://protocolgen.invalid/schema"


def _with_header(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{_BASE}/{name}.schema.json", **body}


def schemas() -> dict[str, dict[str, Any]]:
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
