"""Resolve: from a loaded area to one job per document, each with exactly the context its template reads.

No disk access here. Every tailoring decision (which law a document cites, which sections it carries) is
made in this module, each in one place, so templates only ask ``flags.health`` and never re-derive it.
The inputs a job records are what the manifest fingerprints: change one and exactly that job goes stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, cast

from .area import LoadedArea
from .models import Agency, Area, LegislationEntry, Membership, Panel
from .register import Register
from .rules import SAFEGUARDING_RLI_FROM

DocKind = Literal["protocol", "panel-notice", "young-people", "agency-notice", "consent-form"]

# --- which register entries a document really cites ----------------------------------------------------

_CITED: ContextVar[dict[str, set[str]] | None] = ContextVar("protocolgen_cited", default=None)


class Cited:
    """A register entry as a template sees it. Reading a field while ``recording()`` is active records
    that the document prints that field of that entry, so a change to an entry or a field the document
    never prints (say, the title of an Act the young people's version leaves out) does not make it stale."""

    __slots__ = ("_entry",)

    def __init__(self, entry: LegislationEntry):
        object.__setattr__(self, "_entry", entry)

    def __getattr__(self, name: str) -> Any:
        used = _CITED.get()
        if used is not None:
            fields = used.setdefault(self._entry.key, set())
            # A derived property may read any field, so it counts as reading them all.
            fields.update([name] if name in LegislationEntry.model_fields else LegislationEntry.model_fields)
        return getattr(self._entry, name)

    def __repr__(self) -> str:
        return f"Cited({self._entry.key})"


def _cite(entry: LegislationEntry) -> LegislationEntry:
    """``entry`` wrapped in a ``Cited``, which templates read exactly as they would the entry itself."""
    return cast(LegislationEntry, Cited(entry))


@contextmanager
def recording() -> Iterator[dict[str, set[str]]]:
    """Collect, for each register entry read inside the block (one render), the fields read."""
    used: dict[str, set[str]] = {}
    token = _CITED.set(used)
    try:
        yield used
    finally:
        _CITED.reset(token)


# --- UK GDPR bases in the words each audience needs ----------------------------------------------------


@dataclass(frozen=True)
class Basis:
    code: str
    article: str  # e.g. "Article 6(1)(e)"
    name: str  # e.g. "public task"
    plain: str  # for families: what it means


BASES = {
    "public_task": Basis("public_task", "Article 6(1)(e)", "public task",
                         "we need to use the information to carry out our public duties"),
    "legal_obligation": Basis("legal_obligation", "Article 6(1)(c)", "legal obligation",
                              "the law says we must use the information"),
    "vital_interests": Basis("vital_interests", "Article 6(1)(d)", "vital interests",
                             "we need to use it to protect someone's life"),
    "consent": Basis("consent", "Article 6(1)(a)", "consent", "you have agreed, and you can change your mind"),
    "legitimate_interests": Basis("legitimate_interests", "Article 6(1)(f)", "legitimate interests",
                                  "we have a good reason to use it, and we have checked this is fair to you"),
    "recognised_legitimate_interest": Basis(
        "recognised_legitimate_interest", "Article 6(1)(ea) and Annex 1, paragraph 6",
        "recognised legitimate interest (safeguarding)", "the law lets us use it to keep a child safe"),
    "contract": Basis("contract", "Article 6(1)(b)", "contract", "we need it to provide a service you asked for"),
}

SharingBasis = Literal["statutory_gateway", "implied_power", "contracted", "none_needed"]


@dataclass(frozen=True)
class Citation:
    entry: LegislationEntry
    note: str | None = None


@dataclass(frozen=True)
class RepealedCitation:
    """A provision a profile cites that is no longer law, and what replaced it."""

    cited_by: str  # agency or panel name
    entry: LegislationEntry
    replacements: tuple[LegislationEntry, ...]


@dataclass(frozen=True)
class Party:
    """An agency as a document presents it: its legal footing and, on a panel, its seat."""

    agency: Agency
    role: str | None  # chair | member | adviser; None in an agency's own documents
    representative: str | None
    gateways: tuple[Citation, ...]  # current, checked provisions from its statutory_basis
    sharing_basis: SharingBasis
    contractor: Agency | None
    gdpr_bases: tuple[Basis, ...]
    special_conditions: tuple[LegislationEntry, ...]  # Art 9 condition + DPA 2018 Sch 1 paragraph(s)
    criminal_offence_data: bool
    law_enforcement: bool


@dataclass(frozen=True)
class Flags:
    """The tailoring switches a template may test. Each is computed once, in ``_flags``."""

    health: bool
    police_or_yot: bool
    education: bool
    voluntary: bool
    funding_panel: bool
    wales: bool
    special_category: bool
    criminal_offence: bool
    law_enforcement: bool
    rli_in_force: bool
    statutory: bool


@dataclass(frozen=True)
class HistoryRow:
    version: str
    date: date
    summary: str


DocStatus = Literal["draft", "issued", "superseded"]


@dataclass(frozen=True)
class DocInfo:
    """What a document says about itself: the document control table, header and footer.

    ``issue_date`` is the date of this version (the area's issue date until the document is issued, then the
    day it was issued); ``review_date`` the next review; ``last_review`` the previous issue, if any."""

    kind: DocKind
    title: str
    reference: str
    issue_date: date
    review_date: date
    as_of: date
    version: str = "1.0"
    history: tuple[HistoryRow, ...] = ()
    status: DocStatus = "draft"
    author: str = ""
    approver: str = ""
    marking: str = "OFFICIAL"
    last_review: date | None = None


@dataclass
class Job:
    """One document to render: its template, its context, and the inputs it depends on."""

    id: str  # e.g. 'panels/complex-needs/protocol'
    kind: DocKind
    template: str
    html: bool
    doc: DocInfo
    context: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)  # name -> JSON-able value, for fingerprints
    # Protocols: who signs, one (id, name) per controller; the sign-off register is checked against these.
    signatories: tuple[tuple[str, str], ...] = ()


# --- tailoring: which law each document cites ----------------------------------------------------------

ALWAYS = (
    "uk-gdpr-art-5", "uk-gdpr-art-6", "human-rights-act-1998-s6", "echr-article-8", "common-law-duty-of-confidence",
    "ico-data-sharing-code-2021", "ico-10-step-guide-2023", "data-protection-act-2018-s121",
)
TAILORING: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    # (why, condition on Flags, register keys it brings)
    ("England", lambda f: not f.wales, ("children-act-2004-s16e", "working-together-2023",
                                        "information-sharing-advice-2024", "children-act-2004-s16la")),
    ("Wales", lambda f: f.wales, ("ssw-wales-act-2014-s130", "ssw-wales-act-2014-s134",
                                  "wales-safeguarding-procedures", "children-act-2004-s25", "children-act-2004-s28")),
    ("special category data", lambda f: f.special_category, ("uk-gdpr-art-9", "data-protection-act-2018-sch-1",
                                                            "data-protection-act-2018-sch-1-para-18")),
    ("statutory members", lambda f: f.statutory, ("data-protection-act-2018-sch-1-para-6",
                                                  "freedom-of-information-act-2000")),
    ("criminal offence data", lambda f: f.criminal_offence, ("uk-gdpr-art-10",)),
    ("police or youth offending team", lambda f: f.police_or_yot, ("crime-and-disorder-act-1998-s115",
                                                                   "crime-and-disorder-act-1998-s17",
                                                                   "crime-and-disorder-act-1998-s37")),
    ("law enforcement processing", lambda f: f.law_enforcement, ("data-protection-act-2018-part-3",)),
    ("education", lambda f: f.education and not f.wales, ("education-act-2002-s175",)),
    ("voluntary members", lambda f: f.voluntary and f.rli_in_force, ("uk-gdpr-annex-1-safeguarding",
                                                                     "ico-rli-safeguarding-guidance")),
    ("rights of access", lambda f: True, ("uk-gdpr-art-13-14", "uk-gdpr-art-15")),
)


def _usable(register: Register, key: str) -> LegislationEntry | None:
    """An entry a document may print: in the register and checked (wrapped to record its use)."""
    entry = register.get(key)
    return _cite(entry) if entry is not None and entry.verified else None


def _gdpr_bases(agency: Agency, as_of: date) -> tuple[Basis, ...]:
    codes = list(agency.uk_gdpr_bases)
    if not codes:
        if agency.status == "statutory":
            codes = ["public_task"]
        else:
            codes = ["consent", "recognised_legitimate_interest" if as_of >= SAFEGUARDING_RLI_FROM else "legitimate_interests"]
    return tuple(BASES[c] for c in codes)


def _party(agency: Agency, seat: Membership | None, loaded: LoadedArea, register: Register,
           special: bool, when: date) -> Party:
    gateways = []
    assert loaded.area is not None  # resolve() checked it
    other_nation = "Wales" if loaded.area.nation == "england" else "England"
    for basis in agency.statutory_basis:
        entry = _usable(register, basis.key)
        # Repealed law and law of the other nation never stand as a basis (validation warns about both).
        if entry is not None and entry.status != "repealed" and entry.extent != other_nation:
            gateways.append(Citation(entry, basis.note))
    if agency.status == "statutory":
        sharing: SharingBasis = "statutory_gateway" if any(c.entry.kind == "gateway" for c in gateways) else "implied_power"
    else:
        sharing = "contracted" if agency.contracted_by else "none_needed"
    conditions: list[LegislationEntry] = []
    if special or agency.special_category_data:
        keys = ["uk-gdpr-art-9", "data-protection-act-2018-sch-1-para-18"]
        if agency.status == "statutory":
            keys.insert(1, "data-protection-act-2018-sch-1-para-6")
        conditions = [e for k in keys if (e := _usable(register, k)) is not None]
    return Party(
        agency=agency,
        role=seat.role if seat else None,
        representative=seat.representative if seat else None,
        gateways=tuple(gateways),
        sharing_basis=sharing,
        contractor=loaded.agencies.get(agency.contracted_by or ""),
        gdpr_bases=_gdpr_bases(agency, when),
        special_conditions=tuple(conditions),
        criminal_offence_data=agency.criminal_offence_data,
        law_enforcement=agency.law_enforcement_processing,
    )


def _flags(agencies: Iterable[Agency], area: Area, as_of: date, panel: Panel | None) -> Flags:
    agencies = list(agencies)
    return Flags(
        health=any(a.is_health for a in agencies),
        police_or_yot=any(a.sector in ("police", "youth_offending_team") for a in agencies),
        education=any(a.is_education for a in agencies),
        voluntary=any(a.status != "statutory" for a in agencies),
        funding_panel=panel is not None and panel.kind == "complex_needs_funding",
        wales=area.nation == "wales",
        special_category=bool(panel.special_category_data if panel else any(a.special_category_data for a in agencies)),
        criminal_offence=bool(panel.criminal_offence_data if panel else any(a.criminal_offence_data for a in agencies)),
        law_enforcement=any(a.law_enforcement_processing for a in agencies),
        rli_in_force=as_of >= SAFEGUARDING_RLI_FROM,
        statutory=any(a.status == "statutory" for a in agencies),
    )


def _schedule(flags: Flags, parties: Iterable[Party], extra: Iterable[str], register: Register) -> dict[str, LegislationEntry]:
    keys: list[str] = list(ALWAYS)
    for _why, condition, bring in TAILORING:
        if condition(flags):
            keys.extend(bring)
    for party in parties:
        keys.extend(c.entry.key for c in party.gateways)
        keys.extend(e.key for e in party.special_conditions)
    keys.extend(extra)
    other_nation = "England" if flags.wales else "Wales"
    law = {}
    for key in keys:
        entry = _usable(register, key)
        if entry is not None and entry.status != "repealed" and entry.extent != other_nation:
            law[key] = entry
    return law


def _repealed(cited: Iterable[tuple[str, str]], register: Register) -> tuple[RepealedCitation, ...]:
    out = []
    for who, key in cited:
        entry = register.get(key)
        if entry is not None and entry.status == "repealed":
            replacements = tuple(_cite(r) for r in register.replacements(key))
            out.append(RepealedCitation(who, _cite(entry), replacements))
    return tuple(out)


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                          31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


def _dump(model: Any) -> Any:
    return (model._entry if isinstance(model, Cited) else model).model_dump(mode="json")


def _legislation_inputs(law: dict[str, Any], repealed: Iterable[RepealedCitation]) -> dict[str, Any]:
    """Every register entry the document may cite, as ``legislation:<key>`` inputs."""
    entries = dict(law)
    for item in repealed:
        for entry in (item.entry, *item.replacements):
            entries[entry.key] = entry
    return {f"legislation:{key}": _dump(entry) for key, entry in sorted(entries.items())}


def resolve(loaded: LoadedArea, as_of: date | None = None,
            only: Iterable[str] | None = None) -> list[Job]:
    """Every document of the area as a job, in a stable order. ``only``: 'panel:<id>' / 'agency:<id>'."""
    area = loaded.area
    assert area is not None, "resolve needs a validated area"
    when = as_of or area.issue_date
    register = loaded.register.as_of(when)
    wanted = set(only or ())
    review = _add_months(area.issue_date, area.review_interval_months)
    jobs: list[Job] = []
    common = {"area": area}

    def doc(kind: DocKind, title: str, reference: str) -> DocInfo:
        return DocInfo(kind, title, reference, area.issue_date, review, when)

    for panel in sorted(loaded.panels.values(), key=lambda p: p.id):
        if wanted and f"panel:{panel.id}" not in wanted:
            continue
        seats = loaded.members(panel.id)
        special = bool(panel.special_category_data)
        parties = tuple(_party(a, seat, loaded, register, special, when) for a, seat in seats)
        flags = _flags((a for a, _ in seats), area, when, panel)
        law = _schedule(flags, parties, [*panel.special_category_conditions, *panel.legislation], register)
        cited = [(a.name, b.key) for a, _ in seats for b in a.statutory_basis]
        cited += [(panel.name, k) for k in (*panel.special_category_conditions, *panel.legislation)]
        context: dict[str, Any] = {
            **common,
            "panel": panel,
            "parties": parties,
            "chair": next((p for p in parties if p.agency.id == panel.chair), parties[0] if parties else None),
            "flags": flags,
            "law": law,
            "schedule": sorted(law.values(), key=lambda e: (e.kind == "guidance", e.title, e.citation)),
            "repealed": _repealed(cited, register),
        }
        inputs = {
            "area": _dump(area),
            f"panel:{panel.id}": _dump(panel),
            "members": [f"{a.id}:{s.role}" for a, s in seats],
            **{f"agency:{a.id}": _dump(a) for a, _ in seats},
            **_legislation_inputs(law, context["repealed"]),
            "as_of": when.isoformat(),
        }
        ref = f"{area.reference_prefix}-{panel.id.upper()}"
        panel_documents: tuple[tuple[DocKind, str, str, bool], ...] = (
            ("protocol", "protocol", f"{panel.name}: information sharing protocol", False),
            ("panel-notice", "privacy-notice", f"{panel.name}: how we use and share your information", True),
            ("young-people", "young-people", f"{panel.name}: your information, explained", False),
        )
        signatories = tuple((a.id, a.name) for a, _ in seats)
        for kind, name, title, html in panel_documents:
            context_k = {**context, "subject": panel.purpose}
            jobs.append(Job(f"panels/{panel.id}/{name}", kind, f"{kind}.md.j2", html,
                            doc(kind, title, ref), context_k, inputs,
                            signatories=signatories if kind == "protocol" else ()))

    for agency in sorted(loaded.agencies.values(), key=lambda a: a.id):
        if wanted and f"agency:{agency.id}" not in wanted:
            continue
        party = _party(agency, None, loaded, register, bool(agency.special_category_data), when)
        flags = _flags([agency], area, when, None)
        law = _schedule(flags, [party], [], register)
        memberships = tuple((loaded.panels[s.panel], s) for s in agency.panels if s.panel in loaded.panels)
        context = {
            **common,
            "agency": party,
            "memberships": memberships,
            "flags": flags,
            "law": law,
            "schedule": sorted(law.values(), key=lambda e: (e.kind == "guidance", e.title, e.citation)),
            "repealed": _repealed([(agency.name, b.key) for b in agency.statutory_basis], register),
            "subject": agency.description,
        }
        inputs = {
            "area": _dump(area),
            f"agency:{agency.id}": _dump(agency),
            **{f"panel:{p.id}": {"name": p.name, "purpose": p.purpose} for p, _ in memberships},
            **({f"agency:{party.contractor.id}": {"name": party.contractor.name}} if party.contractor else {}),
            **_legislation_inputs(law, context["repealed"]),
            "as_of": when.isoformat(),
        }
        ref = f"{area.reference_prefix}-{agency.id.upper()}"
        agency_documents: tuple[tuple[DocKind, str, str, bool], ...] = (
            ("agency-notice", "privacy-notice", f"{agency.name}: how we share information about children", True),
            ("consent-form", "consent-form", f"{agency.name}: agreement to share information", False),
        )
        for kind, name, title, html in agency_documents:
            jobs.append(Job(f"agencies/{agency.id}/{name}", kind, f"{kind}.md.j2", html,
                            doc(kind, title, ref), context, inputs))
    return jobs
