"""What changed between two versions of a document, in plain words with old and new values.

The manifest's fingerprints say *that* an input changed ("agency x: retention changed"); the people who
must sign a protocol again need *what* changed: "Complex Needs Panel: retention of panel minutes: 8 years →
10 years", "Fenmoor Constabulary joined the panel as a member". ``describe`` compares the input values kept
with an issued version (``lifecycle``) with the values of the current draft, field by field:

- fields get the labels readers know (``_LABELS``), contacts read "the data protection officer's email";
- list items are matched by what they are, not where they sit: retention rows by ``records``, legal bases by
  register key, seats by panel, so reordering a list is not a change and a changed row is named;
- agencies, panels and Acts are named as readers know them (the name in the values, else ``Names``).

Each change is ``major`` or minor, which decides the next version (2.0 or 1.1). The table is small on purpose
and is documented in the README ("Drafts, issues and sign-off"):

- major: a party joins or leaves; a panel's purpose, kind, consent approach or lawful conditions for special
  category data change; an agency's status or legal footing (statutory basis, UK GDPR bases, contractor,
  law enforcement processing) changes; a provision is newly cited or no longer cited, or its status or
  commencement changes (it came into or left force);
- minor: everything else (contacts, wording, titles, retention, security, dates, the template or house style).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .manifest import explain
from .render import STATUS_NAMES, long_date
from .reports import Names

ARROW = "→"


@dataclass(frozen=True)
class Change:
    """One change: ``text`` with old and new values, ``short`` without (for a version history row)."""

    text: str
    short: str
    major: bool = False

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "short": self.short, "kind": "major" if self.major else "minor"}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Change:
        return cls(data["text"], data["short"], data.get("kind") == "major")


# Field labels by dotted path inside a profile (list positions left out); a bare field name is the fallback
# for any path ending in it. Anything not listed reads as its name with spaces.
_LABELS = {
    # panels
    "kind": "kind of panel",
    "purpose": "purpose",
    "chair": "chair",
    "information_shared": "information shared",
    "information_level": "level of detail shared",
    "secondary_sharing": "how far information is passed on",
    "recording": "how information and decisions are recorded",
    "consent.approach": "when consent is sought",
    "consent.how": "how consent is sought and recorded",
    "consent.override": "when information is shared without consent",
    "consent.review_months": "how often families' agreement is checked (months)",
    "meeting_frequency": "how often it meets",
    "how_families_are_told": "how families are told",
    "special_category_conditions": "lawful conditions for special category data",
    "legislation": "further law and guidance relied on",
    "funding": "how funding decisions are made",
    "key_worker_reports": "key worker reports",
    # agencies
    "status": "status",
    "sector": "sector",
    "description": "description",
    "statutory_basis": "legal basis to share",
    "contracted_by": "the body it works for under contract",
    "uk_gdpr_bases": "UK GDPR lawful bases",
    "law_enforcement_processing": "processes for law enforcement (Data Protection Act 2018, Part 3)",
    "contacts.data_protection_officer": "the data protection officer",
    "contacts.caldicott_guardian": "the Caldicott guardian",
    "contacts.safeguarding_lead": "the designated safeguarding lead",
    "contacts.general": "the general contact",
    "records.kinds": "kinds of information recorded",
    "records.system": "how records are kept",
    "records.sharing_decisions": "how decisions to share are recorded",
    "security": "security measures",
    "access_requests.how": "how to ask for one's records",
    "access_requests.contact": "the access requests contact",
    "access_requests.response_time": "time to answer an access request",
    "special_category_data": "special category data",
    "criminal_offence_data": "criminal offence data",
    "notice.formats": "formats of its notices",
    "notice.languages": "languages of its notices",
    "consent_review_months": "how often families' agreement is checked (months)",
    "panels": "seat",
    # the area
    "local_authority_areas": "local authority areas",
    "issuing_body": "issuing body",
    "contact": "the contact",
    "document_owner": "document owner",
    "review_interval_months": "review interval (months)",
    "next_review_date": "next review date",
    "approver": "approver",
    "protective_marking": "protective marking",
    "reference_prefix": "reference prefix",
    "signed_copy_location": "where the signed copy is kept",
    "other_agreements": "other agreements",
}
# Fields of register entries, which share some names with profile fields but not their meaning.
_REGISTER_LABELS = {
    "title": "title",
    "citation": "citation",
    "uri": "link",
    "kind": "kind of provision",
    "summary": "summary",
    "status": "status",
    "status_note": "status note",
    "replaced_by": "replaced by",
    "in_force_from": "in force from",
    "in_force_until": "in force until",
}
_CONTACT_FIELDS = {"role": "job title", "name": "name", "email": "email", "phone": "phone number",
                   "address": "address"}
# Lists of mappings are matched item by item by this field.
_IDENTITY = {"retention": "records", "statutory_basis": "key", "panels": "panel"}
# Fields whose values are register keys or agency ids: shown by name.
_KEYS = {"legislation", "replaced_by", "statutory_basis.key", "schedule", "obligation", "powers", "law"}
_AGENCY_IDS = {"chair", "contracted_by"}
# Fields not compared: the area's issue date is each version's own date, not a change to its content.
_SKIP = {"area": {"issue_date"}}

_MAJOR = {
    "panel": {"purpose", "purposes", "kind", "consent.approach", "controllers", "joint_arrangement"},
    "agency": {"status", "statutory_basis", "uk_gdpr_bases", "special_category_conditions", "contracted_by",
               "contract_role", "organisation", "legal_entity.name", "law_enforcement_processing",
               "transfers_outside_uk", "automated_decisions"},
    "legislation": {"status", "in_force_from", "in_force_until"},
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
_ROLES = {"chair": "the chair", "member": "a member", "adviser": "an adviser"}


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any], names: Names, panel: str | None):
        self.old, self.new, self.names, self.panel = old, new, names, panel
        self.out: list[Change] = []

    # --- names and values ----------------------------------------------------------------------------

    def name(self, kind: str, ident: str) -> str:
        for values in (self.new, self.old):
            value = values.get(f"{kind}:{ident}")
            if isinstance(value, dict):
                known = value.get("name") or value.get("citation")
                if isinstance(known, str):
                    return known
        return self.names.names.get((kind, ident), ident)

    def show(self, value: Any, dotted: str) -> str:
        if value is None or value == "" or value == []:
            return "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return "; ".join(self.show(item, dotted) for item in value)
        if isinstance(value, dict):
            contact = _is_contact(value)
            return ", ".join(f"{_CONTACT_FIELDS[k] if contact else self.label(dotted + '.' + k)} "
                             f"{self.show(v, dotted + '.' + k)}" for k, v in value.items() if v not in (None, "", []))
        text = str(value)
        if dotted in _KEYS or dotted.rsplit(".", 1)[-1] in _KEYS:
            return self.name("legislation", text)
        if dotted in _AGENCY_IDS:
            return self.name("agency", text)
        if dotted == "status" and text in STATUS_NAMES:
            return STATUS_NAMES[text].lower()
        if _DATE.match(text):
            from datetime import date

            return long_date(date.fromisoformat(text))
        if _CODE.match(text):
            return text.replace("_", " ")
        return f"“{text}”" if len(text) > 40 else text

    def label(self, dotted: str, parent: str = "", contact: bool = False, kind: str = "") -> str:
        last = dotted.rsplit(".", 1)[-1]
        if contact and last in _CONTACT_FIELDS:
            return f"{parent}'s {_CONTACT_FIELDS[last]}"
        labels = _REGISTER_LABELS if kind == "legislation" else _LABELS
        return labels.get(dotted) or labels.get(last) or last.replace("_", " ")

    # --- the walk -------------------------------------------------------------------------------------

    def add(self, subject: str, label: str, text: str, major: bool) -> None:
        where = f"{subject}: {label}" if subject else label
        self.out.append(Change(f"{where}: {text}", f"{where} changed", major))

    def walk(self, kind: str, subject: str, path: tuple[str, ...], label: str, old: Any, new: Any) -> None:
        if old == new:
            return
        dotted = ".".join(path)
        major = dotted in _MAJOR.get(kind, set()) or (bool(path) and path[0] in _MAJOR.get(kind, set()))
        if isinstance(old, dict) and isinstance(new, dict):
            contact = _is_contact(old) or _is_contact(new)
            for key in [*new, *(k for k in old if k not in new)]:
                if path == () and key in _SKIP.get(kind, set()):
                    continue
                if kind == "legislation" and (key not in old or key not in new):
                    continue  # a field printed in one version only: what it did to the text shows elsewhere
                child = (*path, key)
                child_label = self.label(".".join(child), label, contact, kind)
                self.walk(kind, subject, child, child_label, old.get(key), new.get(key))
        elif isinstance(old, list) and isinstance(new, list) and path and path[-1] in _IDENTITY \
                and all(isinstance(i, dict) for i in (*old, *new)):
            self.rows(kind, subject, path, label, old, new, major)
        elif isinstance(old, list) and isinstance(new, list):
            added = [item for item in new if item not in old]
            removed = [item for item in old if item not in new]
            for item in added:
                self.add(subject, label, f"added {self.show(item, dotted)}", major)
            for item in removed:
                self.add(subject, label, f"removed {self.show(item, dotted)}", major)
            if not added and not removed:
                self.add(subject, label, "put in a new order", False)
        else:
            self.add(subject, label, f"{self.show(old, dotted)} {ARROW} {self.show(new, dotted)}", major)

    def rows(self, kind: str, subject: str, path: tuple[str, ...], label: str, old: list[dict], new: list[dict],
             major: bool) -> None:
        key = _IDENTITY[path[-1]]
        before = {str(row.get(key)): row for row in old}
        after = {str(row.get(key)): row for row in new}
        if path == ("panels",) and self.panel is not None:  # a protocol cares for the seat on its own panel only
            before = {k: v for k, v in before.items() if k == self.panel}
            after = {k: v for k, v in after.items() if k == self.panel}
        for ident in [*after, *(k for k in before if k not in after)]:
            row_label = self._row_label(path, ident)
            if ident not in before:
                self.add(subject, row_label, f"added ({self._row_text(path, after[ident])})", major)
            elif ident not in after:
                self.add(subject, row_label, "removed", major)
            else:
                for field in [*after[ident], *(f for f in before[ident] if f not in after[ident])]:
                    if field == key:
                        continue
                    field_label = row_label if (path[-1], field) == ("retention", "period") else \
                        f"{row_label}: {self.label('.'.join((*path, field)))}"
                    self.walk(kind, subject, (*path, field), field_label, before[ident].get(field),
                              after[ident].get(field))

    def _row_label(self, path: tuple[str, ...], ident: str) -> str:
        if path[-1] == "retention":
            return f"retention of {ident}"
        if path[-1] == "statutory_basis":
            return f"legal basis to share under {self.name('legislation', ident)}"
        return f"seat on {self.name('panel', ident)}"

    def _row_text(self, path: tuple[str, ...], row: dict[str, Any]) -> str:
        if path[-1] == "retention":
            return " ".join(str(row.get(f, "")) for f in ("period", "starts")).strip()
        if path[-1] == "panels":
            return f"as {_ROLES.get(str(row.get('role')), row.get('role'))}"
        return str(row.get("note") or "no note")

    # --- one input at a time ----------------------------------------------------------------------------

    def members(self) -> set[str]:
        """Joined, left, role changed; returns the agencies that joined or left (said once, here)."""
        before, after = _seats(self.old.get("members")), _seats(self.new.get("members"))
        for ident in after:
            if ident not in before:
                self.out.append(Change(f"{self.name('agency', ident)} joined as {_ROLES[after[ident]]}",
                                       f"{self.name('agency', ident)} joined", True))
        for ident in before:
            if ident not in after:
                self.out.append(Change(f"{self.name('agency', ident)} left the panel",
                                       f"{self.name('agency', ident)} left the panel", True))
        for ident in after:
            if ident in before and before[ident] != after[ident]:
                self.out.append(Change(
                    f"{self.name('agency', ident)}: role on the panel: {before[ident]} {ARROW} {after[ident]}",
                    f"{self.name('agency', ident)}: role on the panel changed"))
        return set(before) ^ set(after)

    def run(self) -> list[Change]:
        seated = self.members() if "members" in self.old or "members" in self.new else set()
        for name in _ordered(set(self.old) | set(self.new)):
            before, after = self.old.get(name), self.new.get(name)
            if name == "members" or before == after:
                continue
            kind, _, ident = name.partition(":")
            if name == "as_of":
                self.add("", "the law is stated as at", f"{self.show(before, 'as_of')} {ARROW} "
                         f"{self.show(after, 'as_of')}", False)
            elif kind == "agency" and ident in seated:
                continue
            elif before is None or after is None:
                self._appeared(kind, ident, after is not None)
            else:
                subject = "the partnership" if kind == "area" else self.name(kind, ident)
                self.walk(kind, subject, (), "", before, after)
        return self.out

    def _appeared(self, kind: str, ident: str, now: bool) -> None:
        who = self.name(kind, ident)
        if kind == "legislation":
            text = f"now cites {who}" if now else f"no longer cites {who}"
            self.out.append(Change(text, text, True))
        elif kind == "panel":
            pass  # an agency's document: its seat on the panel is said with the agency's own fields
        else:
            text = f"now names {who}" if now else f"no longer names {who}"
            self.out.append(Change(text, text, False))


def _seats(members: Any) -> dict[str, str]:
    return dict(str(member).split(":", 1) for member in members or [])


def _is_contact(value: Any) -> bool:
    return isinstance(value, dict) and "role" in value and set(value) <= set(_CONTACT_FIELDS)


def _ordered(names: Iterable[str]) -> list[str]:
    """The order a reader expects: the panel and its members, the area, agencies, then the law."""
    rank = {"members": 0, "panel": 1, "area": 2, "agency": 3, "legislation": 4, "as_of": 5}
    return sorted(names, key=lambda n: (rank.get(n.partition(":")[0], 6), n))


# The parts of an input summary that are not profile values: said as the fingerprints say them.
_TOOLING = ("template", "reference_docx", "protocolgen")


def describe(old_values: dict[str, Any], new_values: dict[str, Any], names: Names, *, panel: str | None = None,
             old_summary: dict[str, Any] | None = None, new_summary: dict[str, Any] | None = None) -> list[Change]:
    """Every change from ``old_values`` to ``new_values`` (a document's input values), in plain words.

    ``panel``: the panel whose document this is (its members' seats on other panels are left out).
    The summaries, when given, add the template, house style and protocolgen version (minor changes)."""
    changes = _Differ(old_values, new_values, names, panel).run()
    if old_summary is not None and new_summary is not None:
        tooling = explain({k: old_summary.get(k) for k in _TOOLING}, {k: new_summary.get(k) for k in _TOOLING})
        changes += [Change(reason, reason) for reason in tooling]
    return changes


def is_major(changes: Iterable[Change]) -> bool:
    return any(change.major for change in changes)
