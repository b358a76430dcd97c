"""Read YAML files into plain mappings, remembering the line of every key and list item.

PyYAML's composer keeps each node's position; we walk the node tree once to build a map from a field path
(``("panels", 1, "role")``) to its line, so that every later diagnostic can point at the line to edit.

Nothing a file holds may crash or stall the tool: every problem becomes one diagnostic with the file, line
and field, within the documented limits (``MAX_FILE_BYTES``, ``MAX_VALUE_CHARS``, ``MAX_VALUES``):

- a file too large, a folder or a device where a file should be, not UTF-8 (UTF-16, Latin-1, binary);
- values PyYAML's constructors reject (2026-02-30, ``!!bool maybe``, a 5,000-digit number) and tags that
  would build Python objects (``!!python/...``);
- aliases that expand exponentially ("billion laughs", merge keys of merge keys) or refer to themselves;
- control characters pasted from another program, reported once per field however many there are.
"""

from __future__ import annotations

import bisect
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic

try:  # the C parser is several times faster; fall back quietly where it is not built
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

Loc = tuple[str | int, ...]

# Limits that keep any input from taking the machine (documented in README, "Limits"). The largest profile
# of the bundled example is about 6 KB and its longest value about 1,000 characters.
MAX_FILE_BYTES = 2_000_000
"""A YAML file larger than this is refused unread."""
MAX_VALUE_CHARS = 100_000
"""A text value longer than this (about 15,000 words) is an error."""
MAX_VALUES = 200_000
"""A file whose values, counting every use of an alias (``*name``) in full, exceed this is refused."""
MAX_FILES = 1_000
"""An area may hold at most this many agency files, and as many panel files (more are not read)."""


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
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: refused once the data is built ("field names must be text")
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


class _FieldFinder:
    """Which field a line belongs to: the deepest field starting on or before it (found by bisection, so
    that a value with a million pasted characters costs no more than one with one)."""

    def __init__(self, lines: dict[Loc, int]):
        ordered = sorted((at, len(loc), loc) for loc, at in lines.items() if loc)
        self.starts = [at for at, _depth, _loc in ordered]
        self.locs = [loc for _at, _depth, loc in ordered]

    def at(self, line: int) -> Loc:
        index = bisect.bisect_right(self.starts, line) - 1
        return self.locs[index] if index >= 0 else ()


def _pasted(display: str, pasted: dict[int, list[str]], lines: dict[Loc, int]) -> list[Diagnostic]:
    """One diagnostic per field holding control characters, however many it holds."""
    finder = _FieldFinder(lines)
    by_field: dict[Loc, tuple[int, list[str]]] = {}
    for line in sorted(pasted):
        loc = finder.at(line)
        _first, chars = by_field.setdefault(loc, (line, []))
        chars.extend(pasted[line])
    out = []
    for loc, (line, chars) in by_field.items():
        kinds = sorted(set(chars))
        named = ", ".join(f"U+{ord(c):04X}" for c in kinds[:5]) + (", ..." if len(kinds) > 5 else "")
        if len(chars) == 1:
            message = f"contains the control character {named}, which a YAML file cannot hold"
        else:
            message = f"contains {len(chars):,} control characters ({named}), which a YAML file cannot hold"
        out.append(Diagnostic(display, line, format_loc(loc), message, "error",
                              "delete them; they often come from copying text out of another program"))
    return out


def format_loc(loc: Sequence[str | int]) -> str:
    """('panels', 1, 'role') -> 'panels[1].role'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _UnreadableValue(yaml.constructor.ConstructorError):
    """A scalar the YAML constructors could not turn into a value; the message is in the user's words."""


_NUMBERS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_NOT_PLAIN = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("binary", "set", "omap", "pairs"))


class _Loader(_BaseLoader):
    """PyYAML's safe loader, whose constructors' own exceptions (ValueError, KeyError...) become errors that
    say which value, on which line, could not be read."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag in _NOT_PLAIN:  # bytes, sets and ordered pairs: no field holds them, and bytes hide text
            raise yaml.constructor.ConstructorError(
                None, None, f"could not determine a constructor for the tag '{node.tag}'", node.start_mark)
        if node.tag in _NUMBERS and ":" in str(node.value):
            # YAML 1.1 reads 1:30 as the number 90 (base 60); a profile means a time or a ratio, as written.
            return node.value
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, IndexError) as exc:
            raise _UnreadableValue(None, None, _unreadable_value(node, exc), node.start_mark) from None


def _unreadable_value(node: yaml.Node, exc: Exception) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    shown = repr(value if len(value) <= 40 else value[:40] + "...")
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "timestamp":
        why = f" ({exc})" if isinstance(exc, ValueError) else ""
        return f"{shown} is not a real date{why}; write dates as YYYY-MM-DD"
    if kind == "bool":
        return f"{shown} is not a yes/no value; write true or false"
    if kind == "int":
        if "limit" in str(exc):
            return "the number on this line has more than 4,300 digits; no field needs one that long"
        return f"{shown} is not a whole number"
    if kind == "float":
        return f"{shown} is not a number"
    return f"{shown} cannot be read as a {kind} value ({exc})"


def _expanded_size(root: yaml.Node, limit: int) -> tuple[int, yaml.Node | None]:
    """How many values the document holds with every alias written out in full (stopping past ``limit``),
    and a node that contains itself through an alias, if any. Each node is counted once (memoised), so
    aliases of aliases cost nothing to count however far they would expand."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk: deeply nested input must not exhaust Python's stack here.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = min(1 + sum(sizes[id(child)] for child in children), limit + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            return 0, node
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                return 0, child
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes.get(id(root), 1), None


def _children(node: yaml.Node) -> Iterable[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return ()


def _long_values(data: Any, limit: int) -> list[tuple[Loc, int]]:
    """Text values longer than ``limit``, with their paths (each aliased value once)."""
    found: list[tuple[Loc, int]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, Loc]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, str):
            if len(value) > limit:
                found.append((loc, len(value)))
        elif isinstance(value, (dict, list)) and id(value) not in seen:
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, (*loc, key)) for key, item in items if isinstance(key, (str, int)))
    return sorted(found)


def _read(path: Path) -> bytes | str:
    """The file's bytes, or why they cannot be read (never blocks on a pipe, never reads a huge file)."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a YAML file; move what it holds out of it, or rename it"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, a pipe or a socket)"
    if info.st_size > MAX_FILE_BYTES:
        return f"is {info.st_size:,} bytes; a profile file may be at most {MAX_FILE_BYTES:,} bytes"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if len(raw) > MAX_FILE_BYTES:
        return f"is more than {MAX_FILE_BYTES:,} bytes; a profile file may be at most {MAX_FILE_BYTES:,} bytes"
    return raw


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 without a byte order mark: mostly-ASCII text has a zero in every other byte."""
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (not any(odd) and all(even)) or (not any(even) and all(odd))


def _decode(raw: bytes) -> str | tuple[str, int | None, str]:
    """The text, or (problem, line, hint)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(raw[:200]):
        return "is saved as UTF-16 text", None, "save the file as UTF-8 in your editor"
    if b"\0" in raw:
        return "is not a text file (it holds binary data)", None, "a profile is a YAML text file"
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return (f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start})", line,
                "save the file as UTF-8 in your editor")


class ParseCache:
    """Parsed YAML files by content: a file whose bytes were parsed before is not parsed again.

    The key is the sha256 of the file's bytes, with the name it is shown under (diagnostics carry it) and the
    version of this module and of PyYAML, so any edit, whatever its size or time, is read again, and so is
    every file after an upgrade. Entries are pickles in the user's own cache folder (``stamp.cache_dir()``,
    made private to the user): the data, the line of every field and the diagnostics, exactly what parsing
    gave. They are read back by an unpickler that can make only plain values, dates and diagnostics
    (``_PlainUnpickler``), so an entry someone else wrote cannot run code. A missing, damaged or unwritable
    cache only means parsing again."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _code() -> str:
        global _CODE
        if _CODE is None:
            import hashlib

            _CODE = hashlib.sha256(Path(__file__).read_bytes() + yaml.__version__.encode()).hexdigest()[:16]
        return _CODE

    def key(self, raw: bytes, display: str) -> str:
        import hashlib

        return hashlib.sha256(raw + b"\0" + display.encode("utf-8") + b"\0" + self._code().encode()).hexdigest()

    def get(self, key: str, path: Path) -> tuple[SourceFile | None, list[Diagnostic]] | None:
        if self.folder is None:
            return None
        import pickle

        try:
            with (self.folder / key).open("rb") as entry:
                data, lines, display, diagnostics = _plain_unpickler(entry).load()
        except (OSError, pickle.UnpicklingError, ValueError, TypeError, EOFError, AttributeError, ImportError,
                IndexError, KeyError, RecursionError, MemoryError):
            self.misses += 1
            return None
        self.hits += 1
        return (SourceFile(path, display, data, lines) if data is not None else None), diagnostics

    def put(self, key: str, found: tuple[SourceFile | None, list[Diagnostic]]) -> None:
        if self.folder is None:
            return
        import contextlib
        import os
        import pickle

        source, diagnostics = found
        body = (source.data if source else None, source.lines if source else {}, source.display if source else "",
                diagnostics)
        with contextlib.suppress(OSError, pickle.PicklingError, RecursionError):
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_bytes(pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, self.folder / key)


# What a parse holds besides plain values (str, numbers, lists, dicts, tuples, sets): YAML's dates and times,
# and the diagnostics. An entry that names anything else is damaged (or forged) and parsed again.
_PICKLED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta"),
            ("protocolgen.errors", "Diagnostic")}


def _plain_unpickler(stream: Any) -> Any:
    import pickle

    class _PlainUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in _PICKLED:
                raise pickle.UnpicklingError(f"{module}.{name} is not a value a parse holds")
            return super().find_class(module, name)

    return _PlainUnpickler(stream)


_CODE: str | None = None
_CACHE: ParseCache | None = None


def parse_cache() -> ParseCache:
    """The process's parse cache, in ``<cache folder>/yaml`` (``PROTOCOLGEN_CACHE_DIR=off`` turns it off)."""
    global _CACHE
    import os

    from .stamp import cache_dir

    folder = None if os.environ.get("PROTOCOLGEN_CACHE_DIR") == "off" else cache_dir() / "yaml"
    if _CACHE is None or _CACHE.folder != folder:
        _CACHE = ParseCache(folder)
    return _CACHE


def load_yaml(path: Path, display: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Parse one YAML file (or take its parse from the cache, by content). Returns (None, problems) when it
    cannot be used at all."""
    raw = _read(path)
    if isinstance(raw, str):
        return None, [Diagnostic(display, None, "", raw, "error", "")]
    cache = parse_cache()
    key = cache.key(raw, display)
    found = cache.get(key, path)
    if found is None:
        found = _parse_yaml(path, display, raw)
        cache.put(key, found)
    return found


def _parse_yaml(path: Path, display: str, raw: bytes) -> tuple[SourceFile | None, list[Diagnostic]]:
    def problem(message: str, line: int | None = None, hint: str = "", loc: Loc = ()) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(display, line, format_loc(loc), message, "error", hint)]

    text = _decode(raw)
    if isinstance(text, tuple):
        return problem(*text)
    if not text.strip():
        return problem("is empty", None, "an empty file describes nothing; fill it in or delete it")
    # YAML refuses control characters (often pasted from another program) without saying where they are in
    # the file's terms. Blank them out, read the rest, and report them by field below (once the file parses:
    # a file that cannot be used at all gets one diagnostic). Line numbers come from one pass over the text.
    pasted: dict[int, list[str]] = {}
    found = list(_NOT_YAML.finditer(text))
    if found:
        breaks = [m.start() for m in re.finditer("\n", text)]
        for match in found:
            pasted.setdefault(bisect.bisect_left(breaks, match.start()) + 1, []).append(match.group())
        text = _NOT_YAML.sub(" ", text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        dupes: list[tuple[Loc, int]] = []
        if node is not None:
            _walk(node, (), lines, dupes)
            size, looped = _expanded_size(node, MAX_VALUES)
            if looped is not None:
                return problem("an alias (*name) refers to the value that contains it, so it never ends",
                               looped.start_mark.line + 1, "copy the value instead of referring to it",
                               _FieldFinder(lines).at(looped.start_mark.line + 1))
            if size > MAX_VALUES:
                return problem(f"holds more than {MAX_VALUES:,} values once its aliases (*name) are written out; "
                               "it cannot be a profile", None, "write the values out instead of nesting aliases")
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(filter(None, [exc.context, exc.problem]))
        hint = "indent with spaces, not tabs" if "tab" in detail else ""
        if exc.context_mark is not None and "end of stream" in (exc.problem or ""):
            # A quote or bracket never closed is found only at the end of the file: point at where it opened.
            mark, hint = exc.context_mark, "a quote or bracket opened on this line is never closed"
        if "could not determine a constructor for the tag" in detail:
            tag = detail.split("for the tag", 1)[-1].strip(" '").replace("tag:yaml.org,2002:", "!!")
            detail, hint = (f"the tag {tag} is not allowed: profiles hold plain values",
                            "remove the tag; quote the value if it is text")
            return problem(detail, mark.line + 1 if mark else None, hint)
        if "unhashable key" in detail:
            detail, hint = "field names must be text, but a list or mapping is used as one", "put the name in quotes"
            return problem(detail, mark.line + 1 if mark else None, hint)
        if "undefined alias" in detail:
            hint = "an alias (*name) repeats a value marked &name earlier in the same file; quote the value if it is text"
        if isinstance(exc, _UnreadableValue) and exc.problem:
            line = mark.line + 1 if mark else None
            loc = _FieldFinder(lines).at(line) if line and node is not None else ()
            return problem(exc.problem, line, "", loc)
        return problem(f"is not valid YAML: {detail}", mark.line + 1 if mark else None, hint)
    except yaml.YAMLError as exc:
        return problem(f"is not valid YAML: {exc}")
    except RecursionError:
        return problem("nests values too deeply to be a profile", None, "a profile needs only a few levels")
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return problem(f"must be a mapping of field: value pairs, but it is {kind}", 1)
    if any(not isinstance(key, str) for key in data):
        bad = next(key for key in data if not isinstance(key, str))
        return problem(f"field names must be text, but {bad!r} is not", None, "put the name in quotes")
    source = SourceFile(path, display, data, lines)
    diagnostics = [
        Diagnostic(display, line, format_loc(loc), "appears twice in the same mapping; only the last one would count")
        for loc, line in dupes
    ]
    controls = _pasted(display, pasted, lines) if pasted else []
    # A field is reported once: a value that is long only because of the control characters blanked out above
    # is reported for those characters.
    blanked = {d.field for d in controls}
    diagnostics += [
        Diagnostic(display, source.line_of(loc), format_loc(loc),
                   f"is {length:,} characters long; a value may be at most {MAX_VALUE_CHARS:,}", "error",
                   "shorten it, or link to a longer document")
        for loc, length in _long_values(data, MAX_VALUE_CHARS) if format_loc(loc) not in blanked
    ]
    return source, diagnostics + controls
