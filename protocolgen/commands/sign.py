"""``protocolgen sign``: record that a controller signed the issued version of a protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from ..build import refresh_index
from ..manifest import Manifest
from ..signoff import (
    ProtocolSignoff,
    Signature,
    SignoffProblem,
    append_signature,
    check_signature,
    load_register,
    progress,
)


@dataclass
class SignResult:
    register: Path  # the sign-off register written
    signoff: ProtocolSignoff  # the protocol's sign-off, this signature included
    index_kept: bool  # index.html was edited by hand, so it was not refreshed


def sign(area_dir: Path, out_dir: Path, document: str, controller: str, signatory: str, when: date,
         copy: str | None = None) -> SignResult:
    """Append a signature of ``document``'s issued version (read from OUT's manifest) to AREA/signoff.yaml,
    after checking the protocol is issued, the controller signs it, and it has not signed this version yet."""
    register = load_register(area_dir)
    manifest = Manifest.read(out_dir)
    if manifest.problem:
        raise SignoffProblem(f"{out_dir}: {manifest.problem}; build the documents again first")
    record = manifest.documents.get(document)
    version = str(record.issued["version"]) if record is not None and record.issued else "0.0"
    try:
        entry = Signature(document=document, version=version, controller=controller, signatory=signatory,
                          date=when, signed_copy=copy)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = {"document": "--document", "controller": "--controller", "signatory": "--signatory",
                 "signed_copy": "--copy"}.get(str(first["loc"][0]), str(first["loc"][0]))
        raise SignoffProblem(f"{field}: {first['msg']} ({first.get('input')!r})") from None
    check_signature(entry, manifest, register)
    path = append_signature(area_dir, entry, register)
    register = load_register(area_dir)
    kept = refresh_index(out_dir, manifest, register)
    return SignResult(path, progress(manifest, register)[document], kept)
