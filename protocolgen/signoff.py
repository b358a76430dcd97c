"""The sign-off register: who has signed which version of each protocol, when, and where the signed copy is.

``AREA/signoff.yaml`` lists one entry per signature::

    signatures:
      - document: panels/complex-needs/protocol
        version: "1.0"
        controller: westmarsh-childrens-social-care
        signatory: Director of Children's Services
        date: 2026-04-20
        signed_copy: Partnership document library, ISP folder

It is read and validated like the other area files (every problem with file and line), and
``protocolgen sign`` appends to it without disturbing what is there, comments included. A signature counts
for the version it names: once a protocol is re-issued, the earlier signatures are shown as "for version
1.0" and each controller is asked to sign again.
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from .errors import Diagnostic, ProtocolgenError, ValidationFailed
from .load import load_yaml
from .manifest import Manifest, atomic_write
from .models import Slug, Text
from .validate import diagnostics_from

REGISTER_NAME = "signoff.yaml"

_HEADER = """\
# Sign-off register: one entry per signature of a protocol (see 'protocolgen sign --help').
# A signature counts for the version it names; re-issuing a protocol asks every controller to sign again.
"""


def _version_text(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads 1.10 as the number 1.1: a version written as a number cannot be trusted.
        raise ValueError(f"{value!r} is a number; write the version in quotes, e.g. version: \"1.0\"")
    return value


Version = Annotated[str, BeforeValidator(_version_text), StringConstraints(pattern=r"^\d+\.\d+$")]
DocumentId = Annotated[str, StringConstraints(pattern=r"^panels/[a-z0-9]+(?:-[a-z0-9]+)*/protocol$")]


class Signature(BaseModel):
    """One controller's signature of one version of a protocol."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    document: DocumentId = Field(description="The protocol, e.g. 'panels/complex-needs/protocol'.")
    version: Version = Field(description="The issued version signed, in quotes, e.g. \"1.0\".")
    controller: Slug = Field(description="The id of the controller that signed.")
    signatory: Text = Field(description="The job title of the person who signed for the controller.")
    date: datetime.date = Field(description="The day it was signed.")
    signed_copy: Text | None = Field(None, description="Where the signed copy is kept.")


class SignoffRegister(BaseModel):
    """signoff.yaml: the sign-off register."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # 'signatures:' with nothing under it (a register just started) is an empty list, not an error.
    signatures: Annotated[list[Signature], BeforeValidator(lambda v: [] if v is None else v)] = Field(
        default_factory=list, description="One entry per signature, in the order they were given.")


def read_register(area_dir: Path) -> tuple[SignoffRegister, list[Diagnostic]]:
    """The register (empty when there is no file) and every problem in it; never raises for the user's file."""
    path = area_dir / REGISTER_NAME
    if not path.exists():
        return SignoffRegister(), []
    source, problems = load_yaml(path, REGISTER_NAME)
    if source is None:
        return SignoffRegister(), problems
    try:
        register = SignoffRegister.model_validate(source.data)
    except ValidationError as exc:
        return SignoffRegister(), problems + diagnostics_from(exc, source, SignoffRegister)
    seen: dict[tuple[str, str, str], int] = {}
    for index, entry in enumerate(register.signatures):
        key = (entry.document, entry.version, entry.controller)
        if key in seen:
            problems.append(Diagnostic(
                REGISTER_NAME, source.line_of(("signatures", index)), f"signatures[{index}]",
                f"{entry.controller} signed version {entry.version} of {entry.document} already (entry "
                f"{seen[key] + 1})", "warning", "delete one of the two entries"))
        seen.setdefault(key, index)
    return register, problems


def load_register(area_dir: Path) -> SignoffRegister:
    """The register, or ``ValidationFailed`` with every problem when it has errors."""
    register, problems = read_register(area_dir)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems)
    return register


# --- progress -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Controller:
    id: str
    name: str
    signature: Signature | None = None  # of the issued version; or of the latest earlier version signed


@dataclass
class ProtocolSignoff:
    """Sign-off of one protocol's issued version."""

    document: str
    title: str
    version: str
    issued: str  # ISO date
    signed: list[Controller] = field(default_factory=list)
    unsigned: list[Controller] = field(default_factory=list)  # .signature: of an earlier version, if any

    @property
    def summary(self) -> str:
        total = len(self.signed) + len(self.unsigned)
        return f"{len(self.signed)} of {total} signed"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def progress(manifest: Manifest, register: SignoffRegister) -> dict[str, ProtocolSignoff]:
    """For every issued protocol, which of the controllers of its issued version have signed that version."""
    by_document: dict[str, list[Signature]] = {}
    for entry in register.signatures:
        by_document.setdefault(entry.document, []).append(entry)
    out: dict[str, ProtocolSignoff] = {}
    for doc_id, record in sorted(manifest.documents.items()):
        if not record.issued or not doc_id.endswith("/protocol"):
            continue
        version = str(record.issued["version"])
        item = ProtocolSignoff(doc_id, record.title, version, str(record.issued.get("date", "")))
        entries = by_document.get(doc_id, [])
        for ident, name in record.issued.get("signatories") or record.signatories:
            mine = [e for e in entries if e.controller == ident]
            current = next((e for e in mine if e.version == version), None)
            if current is not None:
                item.signed.append(Controller(ident, name, current))
            else:
                earlier = [e for e in mine if _version_key(e.version) < _version_key(version)]
                latest = max(earlier, key=lambda e: _version_key(e.version)) if earlier else None
                item.unsigned.append(Controller(ident, name, latest))
        out[doc_id] = item
    return out


# --- adding a signature ---------------------------------------------------------------------------------


class SignoffProblem(ProtocolgenError):
    """A signature that cannot be recorded as asked."""


def check_signature(entry: Signature, manifest: Manifest, register: SignoffRegister) -> None:
    """Refuse a signature for a protocol, version or controller that does not exist, or one given twice."""
    record = manifest.documents.get(entry.document)
    if record is None:
        protocols = [d for d in manifest.documents if d.endswith("/protocol")]
        close = difflib.get_close_matches(entry.document, protocols, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SignoffProblem(f"--document: no protocol '{entry.document}' has been built{hint}")
    if not record.issued:
        raise SignoffProblem(f"{entry.document} has not been issued yet (it is a draft of {record.version}); "
                             "issue it first with 'protocolgen issue'")
    if entry.version != record.issued["version"]:
        raise SignoffProblem(f"{entry.document}: version {entry.version} is not the issued version "
                             f"({record.issued['version']})")
    controllers = dict(record.issued.get("signatories") or record.signatories)
    if entry.controller not in controllers:
        close = difflib.get_close_matches(entry.controller, list(controllers), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise SignoffProblem(f"--controller: '{entry.controller}' does not sign {entry.document} ({hint}the "
                             f"controllers that sign it: {', '.join(controllers)})")
    issued = datetime.date.fromisoformat(str(record.issued["date"]))
    if entry.date < issued:
        raise SignoffProblem(f"--date: {entry.date.isoformat()} is before version {entry.version} was issued "
                             f"({issued.isoformat()})")
    for other in register.signatures:
        if (other.document, other.version, other.controller) == (entry.document, entry.version, entry.controller):
            raise SignoffProblem(f"{controllers[entry.controller]} signed version {entry.version} of "
                                 f"{entry.document} already, on {other.date.isoformat()} ({other.signatory})")


def _entry_yaml(entry: Signature, indent: int) -> str:
    data = entry.model_dump(exclude_none=True)
    text = yaml.safe_dump([data], sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return "".join(" " * indent + line + "\n" for line in text.splitlines())


def _content_end(node: yaml.Node) -> int:
    """Where the last value inside ``node`` ends: a collection's own end mark runs on over the comments and
    blank lines after it."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return int(node.end_mark.index)


def _appended(text: str, entry: Signature) -> str:
    """``text`` (a valid register) with ``entry`` added as the last signature, leaving every other line be."""
    node = yaml.compose(text)
    assert isinstance(node, yaml.MappingNode)
    value = next((v for k, v in node.value if k.value == "signatures"), None)
    if value is None:  # the file has no list yet
        return text.rstrip("\n") + "\nsignatures:\n" + _entry_yaml(entry, 2)
    if isinstance(value, yaml.SequenceNode) and value.value and not value.flow_style:
        # Insert after the last item's last line of content (before any comment or blank line that follows
        # the list), at the items' own indentation.
        end = _content_end(value.value[-1])
        line_end = text.find("\n", end)
        cut = len(text) if line_end == -1 else line_end + 1
        head = text[:cut] if text[:cut].endswith("\n") else text[:cut] + "\n"
        return head + _entry_yaml(entry, value.start_mark.column) + text[cut:]
    # 'signatures: []' or 'signatures:' with nothing: the list starts here.
    start, end = value.start_mark.index, value.end_mark.index
    before = text[:start].rstrip(" ")
    line_end = text.find("\n", end)
    rest = "" if line_end == -1 else text[line_end + 1:]
    return before.rstrip("\n") + "\n" + _entry_yaml(entry, 2) + rest


def append_signature(area_dir: Path, entry: Signature, register: SignoffRegister) -> Path:
    """Add ``entry`` to AREA/signoff.yaml (created if missing), keeping the rest of the file as it is."""
    path = area_dir / REGISTER_NAME
    if path.exists():
        text = path.read_bytes().decode("utf-8-sig")
        new_text = _appended(text, entry)
    else:
        new_text = _HEADER + "signatures:\n" + _entry_yaml(entry, 2)
    # The result must read back as the old register plus this entry, or nothing is written.
    try:
        check = SignoffRegister.model_validate(yaml.safe_load(new_text))
    except (yaml.YAMLError, ValidationError):
        check = None
    if check is None or check.signatures != [*register.signatures, entry]:
        raise SignoffProblem(f"{path}: cannot add the signature without changing the file's layout; add it by "
                             f"hand at the end of the list:\n{_entry_yaml(entry, 2)}")
    atomic_write(path, new_text.encode("utf-8"))
    return path
