"""A minimal valid area, written into a temporary folder, and small helpers to write variants of it.

``write_area(tmp_path)`` writes an area that validates with no errors and no warnings:

- ``north-council``: the council's children's social care (statutory, chairs the panel);
- ``north-health``: an NHS community trust (statutory, health, with a Caldicott guardian);
- ``north-youth-trust``: a youth charity (voluntary, no statutory basis, shares with agreement and, to protect a
  child, on the recognised legitimate interest);
- ``panels/early-help.yaml``: an early help panel that all three sit on.

Each agency is its own legal entity (``legal_entity``, with the data protection officer or lead) and says it
sends nothing outside the UK; the panel says where its DPIA is.

Tests change one thing with ``edit(root, rel, change)`` (``change`` gets the parsed mapping and edits it in
place) or ``write_text(root, rel, text)`` for text that ``yaml.safe_dump`` could not produce (syntax errors,
duplicate keys, other encodings). ``line_of(root, rel, needle)`` finds the line a diagnostic should point at,
so tests do not hard-code line numbers.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

AREA = "area.yaml"
COUNCIL = "agencies/north-council.yaml"
HEALTH = "agencies/north-health.yaml"
CHARITY = "agencies/north-youth-trust.yaml"
PANEL = "panels/early-help.yaml"
LEGISLATION = "legislation.yaml"


def contact(role: str, email: str) -> dict[str, Any]:
    return {"role": role, "email": email}


def area() -> dict[str, Any]:
    return {
        "name": "North Safeguarding Children Partnership",
        "local_authority_areas": ["North Borough Council"],
        "nation": "england",
        "issuing_body": "North Safeguarding Children Partnership",
        "contact": contact("Partnership Business Manager", "partnership@north.example"),
        "document_owner": "Partnership Business Manager",
        "issue_date": "2026-04-01",
        "review_interval_months": 12,
        "reference_prefix": "NSCP-ISP",
        "signed_copy_location": "Held by the Partnership Business Manager at the Civic Offices.",
    }


def agency(ident: str, name: str, sector: str, status: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ident,
        "name": name,
        "sector": sector,
        "status": status,
        "description": f"{name} works with children and families in North.",
        "legal_entity": {
            "name": name,
            "data_protection_officer" if status == "statutory" else "data_protection_lead":
                contact("Data Protection Officer" if status == "statutory" else "Data Protection Lead",
                        f"dpo@{ident}.example"),
        },
        "transfers_outside_uk": "none",
        "contacts": {
            "safeguarding_lead": contact("Designated Safeguarding Lead", f"safeguarding@{ident}.example"),
        },
        "records": {
            "kinds": ["case notes"],
            "system": "an electronic case record system",
            "sharing_decisions": "Each decision to share, or not, is recorded with its reasons.",
        },
        "security": ["Records are kept on encrypted systems with role-based access."],
        "retention": [{"records": "case records", "period": "6 years", "starts": "after the case is closed"}],
        "access_requests": {
            "how": "Write to the data protection officer.",
            "contact": contact("Data Protection Officer", f"dpo@{ident}.example"),
        },
    }
    data.update(extra)
    return data


def council() -> dict[str, Any]:
    data = agency(
        "north-council", "North Borough Council Children's Services", "childrens_social_care", "statutory",
        statutory_basis=[
            {"key": "children-act-2004-s11", "note": "Safeguarding and promoting children's welfare."},
            {"key": "children-act-1989-s47", "note": "Child protection enquiries."},
        ],
        uk_gdpr_bases=["public_task"],
        panels=[{"panel": "early-help", "role": "chair", "representative": "Head of Early Help"}],
    )
    data["contacts"]["caldicott_guardian"] = contact("Caldicott Guardian", "caldicott@north-council.example")
    return data


def health() -> dict[str, Any]:
    data = agency(
        "north-health", "North Community Health NHS Trust", "nhs_community_trust", "statutory",
        statutory_basis=["children-act-2004-s11"],
        uk_gdpr_bases=["public_task"],
        special_category_data=["health"],
        panels=[{"panel": "early-help", "role": "member", "representative": "Named Nurse for Safeguarding"}],
    )
    data["contacts"]["caldicott_guardian"] = contact("Caldicott Guardian", "caldicott@north-health.example")
    return data


def charity() -> dict[str, Any]:
    return agency(
        "north-youth-trust", "North Youth Trust", "voluntary_community", "voluntary",
        uk_gdpr_bases=["consent", "recognised_legitimate_interest"],
        panels=[{"panel": "early-help", "role": "member", "representative": "Youth Work Manager"}],
    )


def panel() -> dict[str, Any]:
    return {
        "id": "early-help",
        "name": "North Early Help Panel",
        "kind": "early_help",
        "purpose": "Agrees a plan of early help for families who ask for it.",
        "chair": "north-council",
        "information_shared": ["the family's needs and the help already given"],
        "information_level": "Only what the panel needs to agree a plan.",
        "secondary_sharing": "Not shared beyond the member agencies without the family's agreement.",
        "recording": "Minutes record each decision and its reasons.",
        "security": ["Papers are sent by secure email and deleted after the meeting."],
        "retention": [{"records": "panel minutes", "period": "6 years", "starts": "after the case is closed"}],
        "consent": {
            "approach": "sought_in_advance",
            "how": "The lead professional asks the family before the case is brought to the panel.",
            "override": "Only where a child is at risk of significant harm.",
        },
        "meeting_frequency": "every two weeks",
        "how_families_are_told": "The lead professional tells the family the panel's decision.",
        "special_category_data": ["health"],
        "dpia": "North Council DPIA 2026-01, held by the Information Governance Team",
    }


def files() -> dict[str, dict[str, Any]]:
    """Every file of the minimal area, by path relative to the area folder."""
    return {AREA: area(), COUNCIL: council(), HEALTH: health(), CHARITY: charity(), PANEL: panel()}


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def write_text(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_yaml(root: Path, rel: str, data: Any) -> Path:
    return write_text(root, rel, dump(data))


def write_area(root: Path, overrides: dict[str, Any] | None = None) -> Path:
    """Write the minimal area into ``root`` (``overrides`` replaces or adds whole files; None removes one)."""
    root.mkdir(parents=True, exist_ok=True)
    contents: dict[str, Any] = {**files(), **(overrides or {})}
    for rel, data in contents.items():
        if data is not None:
            write_yaml(root, rel, data)
    return root


def read(root: Path, rel: str) -> Any:
    return yaml.safe_load((root / rel).read_text(encoding="utf-8"))


def edit(root: Path, rel: str, change: Callable[[dict[str, Any]], Any]) -> Path:
    """Parse ``rel``, let ``change`` edit the mapping in place (or return a new one), write it back."""
    data = copy.deepcopy(read(root, rel))
    result = change(data)
    return write_yaml(root, rel, data if result is None else result)


def set_field(root: Path, rel: str, dotted: str, value: Any) -> Path:
    """Set one field by a dotted path ('contacts.caldicott_guardian', 'panels.0.role')."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit(root, rel, change)


def delete_field(root: Path, rel: str, dotted: str) -> Path:
    def change(data: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[int(last) if isinstance(target, list) else last]

    return edit(root, rel, change)


def rename_field(root: Path, rel: str, old: str, new: str) -> Path:
    """Rename a top-level field, keeping its place in the file."""
    return edit(root, rel, lambda data: {(new if k == old else k): v for k, v in data.items()})


def add_agency(root: Path, data: dict[str, Any], rel: str | None = None) -> Path:
    return write_yaml(root, rel or f"agencies/{data['id']}.yaml", data)


def join_panel(root: Path, rel: str, role: str = "member", panel_id: str = "early-help") -> Path:
    seat = {"panel": panel_id, "role": role, "representative": "Team Manager"}
    return edit(root, rel, lambda data: data.setdefault("panels", []).append(seat))


def line_of(root: Path, rel: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``rel`` containing ``needle``."""
    seen = 0
    for number, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} is not in {rel} (occurrence {occurrence})")


def only(loaded: Any, file: str, field: str, severity: str = "error") -> Any:
    """The one diagnostic of ``severity`` at ``file``/``field`` of a LoadedArea; fails showing all otherwise."""
    found = [d for d in loaded.diagnostics if d.file == file and d.field == field and d.severity == severity]
    shown = "\n".join(d.format() for d in loaded.diagnostics) or "(no diagnostics)"
    assert len(found) == 1, f"expected one {severity} at {file} {field!r}, got:\n{shown}"
    return found[0]


def none_at(loaded: Any, file: str, field: str | None = None) -> None:
    """Assert there is no diagnostic at all at ``file`` (and ``field``, if given)."""
    found = [d.format() for d in loaded.diagnostics if d.file == file and (field is None or d.field == field)]
    assert found == [], "\n".join(found)


_ROOT = Path(__file__).resolve().parent.parent


def killed_build(root: Path, out: Path, at: str, may_finish: bool = False) -> bool:
    """A build in another process, killed with SIGKILL as it writes its ``at``-th file (or the file named ``at``):
    no exception handler, no ``finally`` runs, as when the computer stops. Whether it was killed (with
    ``may_finish``, a build that writes fewer files than ``at`` may end by itself)."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        import protocolgen.manifest as manifest
        from protocolgen import BuildOptions, build
        real = manifest.atomic_write
        count = 0
        def dying(path, data):
            global count
            count += 1
            if str(count) == {at!r} or path.name == {at!r}:
                os.kill(os.getpid(), signal.SIGKILL)
            real(path, data)
        sys.modules['protocolgen.build'].atomic_write = dying
        manifest.atomic_write = dying
        build(BuildOptions(area_dir=Path({str(root)!r}), out_dir=Path({str(out)!r})))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", script], cwd=_ROOT, capture_output=True, env=env)
    assert proc.returncode == -signal.SIGKILL or (may_finish and proc.returncode == 0), proc.stderr.decode()
    return proc.returncode != 0


def docx_text(path: Path) -> str:
    """All the text a reader sees in a Word document: paragraphs, table cells, headers and footers."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.footer.paragraphs] + [p.text for p in section.header.paragraphs]
    return "\n".join(parts)
