"""Read YAML files into plain mappings, remembering the line of every key and list item.

PyYAML's composer keeps each node's position; we walk the node tree once to build a map from a field path
(``("panels", 1, "role")``) to its line, so that every later diagnostic can point at the line to edit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic

try:  # the C parser is several times faster; fall back quietly where it is not built
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

Loc = tuple[str | int, ...]


@dataclass
class SourceFile:
    """A parsed YAML file: its data and where each field sits."""

    path: Path
    display: str
    data: dict[str, Any]
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of the deepest known prefix of ``loc`` (a missing field points at its parent)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


def _walk(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], dupes: list[tuple[Loc, int]], seen_nodes: set[int] | None = None
) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    # An alias (*name) reuses its anchor's node: walk each node once, so that an alias inside its own anchor
    # cannot recurse forever and aliases of aliases cannot multiply the paths. Fields reached only through an
    # alias take the alias's line, which is the line to edit anyway.
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*loc, key)
            if key in seen:
                dupes.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, dupes, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*loc, index)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, dupes, seen_nodes)


# Characters YAML refuses anywhere in a file (the complement of YAML 1.1's printable set, as PyYAML checks it):
# C0 controls other than tab and line breaks, DEL, C1 controls other than NEL, surrogates, U+FFFE and U+FFFF.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _field_at(lines: dict[Loc, int], line: int) -> Loc:
    """The deepest field that starts on or before ``line``: the one whose value holds that line."""
    before = [(at, len(loc), loc) for loc, at in lines.items() if loc and at <= line]
    return max(before, key=lambda item: (item[0], item[1]))[2] if before else ()


def _pasted(display: str, pasted: list[tuple[int, str]], lines: dict[Loc, int]) -> list[Diagnostic]:
    return [
        Diagnostic(
            display, line, format_loc(_field_at(lines, line)),
            f"contains the control character U+{ord(char):04X}, which a YAML file cannot hold",
            "error", "delete it; it often comes from copying text out of another program",
        )
        for line, char in pasted
    ]


def format_loc(loc: Sequence[str | int]) -> str:
    """('panels', 1, 'role') -> 'panels[1].role'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml(path: Path, display: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Parse one YAML file. Returns (None, problems) when it cannot be used at all."""

    def problem(message: str, line: int | None = None, hint: str = "") -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(display, line, "", message, "error", hint)]

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return problem(f"cannot be read: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return problem(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start})",
            line,
            "save the file as UTF-8 in your editor",
        )
    if not text.strip():
        return problem("is empty", None, "an empty file describes nothing; fill it in or delete it")
    # YAML refuses control characters (often pasted from another program) without saying where they are in
    # the file's terms. Blank them out, read the rest, and report each one at its line and field below (once
    # the file parses: a file that cannot be used at all gets one diagnostic).
    pasted = [(text.count("\n", 0, found.start()) + 1, found.group()) for found in _NOT_YAML.finditer(text)]
    text = _NOT_YAML.sub(" ", text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(filter(None, [exc.context, exc.problem]))
        return problem(f"is not valid YAML: {detail}", mark.line + 1 if mark else None)
    except yaml.YAMLError as exc:
        return problem(f"is not valid YAML: {exc}")
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return problem(f"must be a mapping of field: value pairs, but it is {kind}", 1)
    if any(not isinstance(key, str) for key in data):
        bad = next(key for key in data if not isinstance(key, str))
        return problem(f"field names must be text, but {bad!r} is not", None, "put the name in quotes")
    lines: dict[Loc, int] = {}
    dupes: list[tuple[Loc, int]] = []
    _walk(node, (), lines, dupes)
    source = SourceFile(path, display, data, lines)
    diagnostics = [
        Diagnostic(display, line, format_loc(loc), "appears twice in the same mapping; only the last one would count")
        for loc, line in dupes
    ]
    return source, diagnostics + _pasted(display, pasted, lines)
