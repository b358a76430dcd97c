"""Resolve: from a loaded area to one job per document, each with exactly the context its template reads.

No disk access here. Every tailoring and legal decision (who is a controller, which power a party relies on at
a panel, its lawful bases, its special category conditions, which rights apply, which sections a document
carries) is made here, each in one place (with the legal model in ``law.py``), so templates only ask
``flags.health`` or ``p.powers`` and never re-derive them.
The inputs a job records are what the manifest fingerprints: change one and exactly that job goes stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

import yaml

from . import i18n, law
from .errors import ProtocolgenError
from .law import SAFEGUARDING_RLI_FROM, Basis, Right
from .loaded import LoadedArea
from .models import (
    Agency,
    Area,
    Audience,
    Contact,
    JointArrangement,
    LegalEntity,
    LegislationEntry,
    Membership,
    Panel,
    Transfer,
)
from .register import Register

DocKind = Literal["protocol", "panel-notice", "young-people", "panel-consent-form", "decision-record",
                  "agency-notice", "consent-form"]

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
    return entry if isinstance(entry, Cited) else cast(LegislationEntry, Cited(entry))


def _plain(entry: LegislationEntry) -> LegislationEntry:
    return cast(LegislationEntry, entry._entry) if isinstance(entry, Cited) else entry


@contextmanager
def recording() -> Iterator[dict[str, set[str]]]:
    """Collect, for each register entry read inside the block (one render), the fields read."""
    used: dict[str, set[str]] = {}
    token = _CITED.set(used)
    try:
        yield used
    finally:
        _CITED.reset(token)


# --- what documents are told about each party ------------------------------------------------------------

ControllerRole = Literal["controller", "joint_controller", "processor"]
SharingBasis = Literal["statutory_gateway", "statutory_functions", "implied_power", "none_needed", "processor"]


@dataclass(frozen=True)
class Entity:
    """A legal person as documents present it: the controller that answers for a service's information."""

    id: str
    name: str
    kind: str | None
    statutory: bool
    ico_registration: str | None
    dpo: Contact | None  # data protection officer (UK GDPR Art 37)
    lead: Contact | None  # data protection lead, where no officer need be appointed
    complaints: Contact | None  # its own data protection complaints procedure (else the officer or lead)
    address: str | None
    website: str | None
    services: tuple[str, ...] = ()  # the names of its services in this document


@dataclass(frozen=True)
class Power:
    """A provision a party relies on to share, with what it asks of (or lets) that party do."""

    entry: LegislationEntry
    role: str  # from the register's laid_on; '' for provisions laid on no one in particular
    note: str | None  # the profile's own note on the function it serves


@dataclass(frozen=True)
class LawfulBasis:
    """One Article 6 basis a party uses, with what for."""

    code: str
    article: str
    name: str
    plain: str
    purpose: str
    obligation: LegislationEntry | None = None  # legal_obligation: the law that imposes it (Art 6(3))
    interests: str | None = None  # legitimate_interests: the interests pursued (Art 13(1)(d))


@dataclass(frozen=True)
class Condition:
    """One Article 9(2) condition a party relies on, and when."""

    point: str
    article: str  # e.g. "Article 9(2)(h)"
    name: str  # e.g. "health or social care"
    schedule: LegislationEntry | None
    when: str


@dataclass(frozen=True)
class Party:
    """A service as a document presents it: its legal person, its place on the panel, its law."""

    agency: Agency
    entity: Entity  # the legal person the service belongs to
    controller: Entity  # who answers for its information: its own entity, or (processors) the one it acts for
    controller_role: ControllerRole
    role: str | None  # chair | member | adviser; None in an agency's own documents
    representative: str | None
    contractor: Agency | None  # the service whose work it does under contract
    contractor_entity: Entity | None  # that service's legal person: the other party to the contract
    processing_contract: str | None
    powers: tuple[Power, ...]
    sharing_basis: SharingBasis
    gdpr_bases: tuple[LawfulBasis, ...]  # its own; none for a processor
    controller_bases: tuple[LawfulBasis, ...]  # those of whoever answers for its information (itself or the controller)
    special_conditions: tuple[Condition, ...]
    rights: tuple[Right, ...]
    criminal_offence_data: bool
    law_enforcement: bool
    shares: tuple[str, ...]  # what it brings to the panel ('' outside panels)
    sends_by: str | None
    transfers: tuple[Transfer, ...]
    transfers_stated: bool
    automated_decisions: str | None
    audience: Audience

    @property
    def is_processor(self) -> bool:
        return self.controller_role == "processor"

    @property
    def uses_rli(self) -> bool:
        """Relies on the recognised legitimate interest (for safeguarding disclosures)."""
        return any(b.code == "recognised_legitimate_interest" for b in self.gdpr_bases)

    @property
    def uses_li(self) -> bool:
        return any(b.code == "legitimate_interests" for b in self.gdpr_bases)


@dataclass(frozen=True)
class Flags:
    """The tailoring switches a template may test. Each is computed once, in ``_flags``."""

    health: bool
    police_or_yot: bool
    education: bool
    voluntary: bool  # a voluntary or private body is a controller here
    funding_panel: bool
    wales: bool
    special_category: bool
    criminal_offence: bool
    law_enforcement: bool
    rli_in_force: bool
    statutory: bool
    crime_prevention: bool  # the panel's work includes preventing crime (not merely a police member)
    child_protection: bool
    consent_sought: bool
    processors: bool
    joint: bool
    complaints_procedure: bool  # controllers' own complaints procedures are law (DUAA 2025 s103)


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
    # The languages the document is written in, in order (one document holds each in turn), with each one's
    # context and title; ``context`` is the first one's. English-only documents leave these as they are.
    languages: tuple[str, ...] = ("en",)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    separate: bool = False  # one language of a document written once per language (separate_documents)
    counterparts: tuple[tuple[str, str], ...] = ()  # (language, job id) of the other languages' documents
    translations: dict[str, i18n.Translations] = field(default_factory=dict)  # the catalogue of each language
    missed: list[str] = field(default_factory=list)  # texts a rendering found missing from a catalogue

    def context_in(self, language: str) -> dict[str, Any]:
        return self.contexts.get(language, self.context)

    def title_in(self, language: str) -> str:
        return self.titles.get(language, self.doc.title)


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
                                  "wales-safeguarding-procedures", "working-together-to-safeguard-people",
                                  "children-act-2004-s25", "children-act-2004-s28",
                                  # notices tell readers they can deal with each body in Welsh
                                  "welsh-language-wales-measure-2011")),
    ("special category data", lambda f: f.special_category, ("uk-gdpr-art-9", "data-protection-act-2018-sch-1")),
    ("statutory members", lambda f: f.statutory, ("freedom-of-information-act-2000",)),
    ("criminal offence data", lambda f: f.criminal_offence, ("uk-gdpr-art-10",)),
    ("crime prevention", lambda f: f.crime_prevention, ("crime-and-disorder-act-1998-s115",
                                                        "crime-and-disorder-act-1998-s17",
                                                        "crime-and-disorder-act-1998-s37")),
    ("law enforcement processing", lambda f: f.law_enforcement, ("data-protection-act-2018-part-3",)),
    ("education", lambda f: f.education, ("education-act-2002-s175",)),
    ("voluntary members", lambda f: f.voluntary and f.rli_in_force, ("uk-gdpr-annex-1-safeguarding",
                                                                     "ico-rli-safeguarding-guidance")),
    ("processors", lambda f: f.processors, ("uk-gdpr-art-28",)),
    ("joint controllers", lambda f: f.joint, ("uk-gdpr-art-26",)),
    ("complaints to controllers", lambda f: f.complaints_procedure, ("data-use-and-access-act-2025-s103",)),
    ("rights", lambda f: True, ("uk-gdpr-art-13-14", "uk-gdpr-art-15", "uk-gdpr-art-21", "uk-gdpr-art-22")),
)


def _usable(register: Register, key: str | None) -> LegislationEntry | None:
    """An entry a document may print: in the register and checked (wrapped to record its use)."""
    entry = register.get(key) if key else None
    return _cite(entry) if entry is not None and entry.verified else None


def _citable(register: Register, key: str | None, nation: str) -> LegislationEntry | None:
    """An entry a document may present as law that applies: checked, current, of this nation."""
    entry = _usable(register, key)
    other_nation = "Wales" if nation == "england" else "England"
    if entry is None or not _plain(entry).current or entry.extent == other_nation:
        return None
    return entry


def _regulator(register: Register) -> LegislationEntry:
    """The data protection regulator people may complain to, as the register says on the document's date."""
    for key in sorted(register):
        entry = register[key]
        if entry.kind == "regulator" and entry.verified and entry.current and entry.regulator is not None:
            return _cite(entry)
    raise ProtocolgenError("the legislation register names no data protection regulator in force on the documents' "
                           "date (an entry with kind: regulator); notices must tell people where to complain")


# --- parties ----------------------------------------------------------------------------------------------


def _entity(loaded: LoadedArea, agency_id: str, services: Sequence[str] = ()) -> Entity:
    raw = loaded.entity_of(agency_id)
    agency = loaded.agencies.get(agency_id)
    if raw is None:  # an organisation that failed to load was reported; documents are not built then
        raw = LegalEntity(name=agency.name if agency else agency_id)
    statutory = agency.status == "statutory" if agency else False
    dpo = raw.data_protection_officer or (agency.contacts.data_protection_officer if agency else None)
    return Entity(
        id=loaded.entity_id_of(agency_id), name=raw.name, kind=raw.kind, statutory=statutory,
        ico_registration=raw.ico_registration, dpo=dpo, lead=raw.data_protection_lead,
        complaints=raw.complaints or dpo or raw.data_protection_lead, address=raw.address, website=raw.website,
        services=tuple(services),
    )


def _powers(agency: Agency, seat: Membership | None, loaded: LoadedArea, register: Register,
            purposes: frozenset[str] | None) -> tuple[Power, ...]:
    """The provisions the party relies on: those its seat names (or, by default, its statutory basis) that are
    current law of the area's nation, laid on its kind of body and (at a panel) serve the panel's purposes."""
    assert loaded.area is not None
    nation = loaded.area.nation
    notes = {b.key: b.note for b in agency.statutory_basis}
    keys = seat.powers if seat is not None and seat.powers is not None else list(notes)
    bodies = law.body_types(agency, loaded.entity_of(agency.id), nation)
    out = []
    for key in keys:
        entry = _citable(register, key, nation)
        if entry is None or entry.kind in ("guidance", "regulator"):
            continue
        if purposes is not None and not law.serves(_plain(entry), purposes):
            continue
        role = law.laid_on_role(_plain(entry), bodies)
        if role is None:
            continue
        out.append(Power(entry, role, notes.get(key)))
    return tuple(out)


def _lawful_bases(agency: Agency, register: Register, when: date) -> tuple[LawfulBasis, ...]:
    out = []
    for use in law.bases_of(agency, when):
        basis: Basis = law.BASES[use.basis]
        obligation = _usable(register, use.obligation)
        purpose = use.purpose or (f"to meet the duty in {obligation.citation}" if obligation is not None
                                  else basis.default_purpose)
        out.append(LawfulBasis(basis.code, basis.article, basis.name, basis.plain, purpose, obligation, use.interests))
    return tuple(out)


def _conditions(agency: Agency, codes: Iterable[str], register: Register) -> tuple[Condition, ...]:
    uses = agency.special_category_conditions or law.default_conditions(agency, codes)
    return tuple(
        Condition(c.condition, f"Article 9(2)({c.condition})", law.POINT_NAMES.get(c.condition, "a listed condition"),
                  _usable(register, c.schedule), c.when)
        for c in uses
    )


def _bases_at_panel(bases: tuple[LawfulBasis, ...], panel: Panel) -> tuple[LawfulBasis, ...]:
    """The bases of a service's own that can make its sharing at ``panel`` lawful. A contract with the family
    (Art 6(1)(b)) never makes a disclosure to a multi-agency panel necessary for that contract, and consent is
    no basis at a panel that does not ask for it (it shares whether or not the family agree): both stay in the
    service's own notice, not in the panel's documents. A service left with nothing keeps what it has, and
    validation says what is missing (``rules.lawful_bases``)."""
    kept = tuple(b for b in bases if b.code != "contract"
                 and not (b.code == "consent" and panel.consent.approach == "not_sought"))
    return kept or bases


def _party(agency: Agency, seat: Membership | None, loaded: LoadedArea, register: Register, when: date,
           panel: Panel | None = None, services: Sequence[str] = ()) -> Party:
    processor = law.is_processor(agency)
    contractor = loaded.agencies.get(agency.contracted_by or "")
    entity = _entity(loaded, agency.id, services)
    controller = _entity(loaded, contractor.id) if processor and contractor is not None else entity
    purposes = law.panel_purposes(panel) if panel is not None else None
    powers = () if processor else _powers(agency, seat, loaded, register, purposes)
    if processor:
        sharing: SharingBasis = "processor"
    elif agency.status != "statutory":
        sharing = "none_needed"
    elif any(p.entry.kind == "gateway" for p in powers):
        sharing = "statutory_gateway"
    else:
        sharing = "statutory_functions" if powers else "implied_power"
    # A processor uses its controller's bases, conditions and rights: it has none of its own.
    source = contractor if processor and contractor is not None else agency
    bases = _lawful_bases(source, register, when)
    if panel is not None:
        bases = _bases_at_panel(bases, panel)
    codes = [b.code for b in bases]
    conditions = () if processor else _conditions(agency, codes, register)
    if panel is not None and panel.consent.approach == "not_sought" and any(c.point != "a" for c in conditions):
        conditions = tuple(c for c in conditions if c.point != "a")  # no explicit consent where none is asked
    role: ControllerRole = "processor" if processor else (
        "joint_controller" if panel is not None and panel.controllers == "joint" else "controller")
    return Party(
        agency=agency, entity=entity, controller=controller, controller_role=role,
        role=seat.role if seat else None, representative=seat.representative if seat else None,
        contractor=contractor, contractor_entity=_entity(loaded, contractor.id) if contractor is not None else None,
        processing_contract=agency.processing_contract if processor else None,
        powers=powers, sharing_basis=sharing, gdpr_bases=() if processor else bases, controller_bases=bases,
        special_conditions=conditions,
        rights=law.rights(codes, source.status == "statutory"),
        criminal_offence_data=agency.criminal_offence_data, law_enforcement=agency.law_enforcement_processing,
        shares=tuple(seat.shares) if seat else (), sends_by=seat.sends_by if seat else None,
        transfers=tuple(agency.transfers_outside_uk or ()), transfers_stated=agency.transfers_outside_uk is not None,
        automated_decisions=agency.automated_decisions, audience=agency.audience,
    )


def _controllers(parties: Sequence[Party]) -> tuple[tuple[Entity, tuple[Party, ...]], ...]:
    """Each legal person that is a controller here, once, with its services (processors excluded)."""
    grouped: dict[str, list[Party]] = {}
    entities: dict[str, Entity] = {}
    for p in parties:
        if p.is_processor:
            continue
        grouped.setdefault(p.entity.id, []).append(p)
        entities.setdefault(p.entity.id, p.entity)
    out = []
    for ident, services in grouped.items():
        entity = entities[ident]
        named = Entity(**{**entity.__dict__, "services": tuple(s.agency.name for s in services)})
        out.append((named, tuple(services)))
    return tuple(sorted(out, key=lambda item: (parties.index(item[1][0]), item[0].name)))


@dataclass(frozen=True)
class RightView:
    """A right as a panel notice states it: for everyone, or only where some controllers use the bases."""

    key: str
    text: str
    only: tuple[str, ...] = ()  # names of the controllers it applies to; empty: all of them


def _panel_rights(controllers: Sequence[tuple[Entity, Sequence[Party]]]) -> tuple[RightView, ...]:
    # Grouped by what is said: the same right may be worded differently for different controllers (erasure for a
    # public body or a charity), and each wording lists the controllers it applies to.
    holders: dict[tuple[str, str], tuple[Right, list[str]]] = {}
    for entity, services in controllers:
        codes = {b.code for p in services for b in p.controller_bases}
        for right in law.rights(codes, entity.statutory):
            holders.setdefault((right.key, right.text), (right, []))[1].append(entity.name)
    everyone = len(controllers)
    order = {key: i for i, key in enumerate(dict.fromkeys(key for key, _text in holders))}
    views = [RightView(key, right.text, () if len(names) == everyone else tuple(dict.fromkeys(names)))
             for (key, _text), (right, names) in holders.items()]
    return tuple(sorted(views, key=lambda view: order[view.key]))  # stable: each right's wordings together


def _condition_groups(parties: Sequence[Party]) -> tuple[tuple[tuple[str, ...], tuple[Condition, ...]], ...]:
    """The services that rely on each set of Article 9 conditions, in order of first appearance: a notice states
    each set once, with every service that relies on it, rather than the same conditions once per service."""
    groups: dict[tuple[Any, ...], tuple[list[str], tuple[Condition, ...]]] = {}
    for party in parties:
        if party.is_processor or not party.special_conditions:
            continue
        key = tuple((c.point, c.name, c.when, c.schedule.key if c.schedule else None)
                    for c in party.special_conditions)
        groups.setdefault(key, ([], party.special_conditions))[0].append(party.agency.name)
    return tuple((tuple(names), conditions) for names, conditions in groups.values())


def _flags(parties: Sequence[Party], area: Area, as_of: date, panel: Panel | None, register: Register) -> Flags:
    agencies = [p.agency for p in parties]
    controllers = [p.agency for p in parties if not p.is_processor]
    purposes = law.panel_purposes(panel) if panel else frozenset()
    s103 = register.get("data-use-and-access-act-2025-s103")
    justice = any(a.sector in ("police", "youth_offending_team", "probation") for a in agencies)
    return Flags(
        health=any(a.is_health for a in agencies),
        police_or_yot=any(a.sector in ("police", "youth_offending_team") for a in agencies),
        education=any(a.is_education for a in agencies),
        voluntary=any(a.status != "statutory" for a in controllers),
        funding_panel=panel is not None and panel.kind == "complex_needs_funding",
        wales=area.nation == "wales",
        special_category=bool(panel.special_category_data if panel else any(a.special_category_data for a in agencies)),
        criminal_offence=bool(panel.criminal_offence_data if panel else any(a.criminal_offence_data for a in agencies)),
        law_enforcement=any(a.law_enforcement_processing for a in agencies),
        rli_in_force=as_of >= SAFEGUARDING_RLI_FROM,
        statutory=any(a.status == "statutory" for a in controllers),
        crime_prevention=bool(purposes & law.CRIME_PURPOSES) and justice if panel else False,
        child_protection="child_protection" in purposes,
        consent_sought=panel is not None and panel.consent.approach != "not_sought",
        processors=any(p.is_processor for p in parties),
        joint=panel is not None and panel.controllers == "joint",
        complaints_procedure=s103 is not None and s103.verified and s103.current,
    )


def _schedule(flags: Flags, parties: Iterable[Party], extra: Iterable[str], register: Register,
              nation: str) -> dict[str, LegislationEntry]:
    keys: list[str] = list(ALWAYS)
    for _why, condition, bring in TAILORING:
        if condition(flags):
            keys.extend(bring)
    for party in parties:
        keys.extend(p.entry.key for p in party.powers)
        keys.extend(c.schedule.key for c in party.special_conditions if c.schedule is not None)
        keys.extend(b.obligation.key for b in party.gdpr_bases if b.obligation is not None)
    keys.extend(extra)
    law_in = {}
    for key in keys:
        entry = _usable(register, key)
        # Enacted but not yet in force stays in: documents explain it is not yet law. Dormant and repealed go.
        if entry is None or _plain(entry).status in ("repealed", "dormant"):
            continue
        if entry.extent == ("England" if nation == "wales" else "Wales"):
            continue
        law_in[key] = entry
    return law_in


@dataclass(frozen=True)
class RepealedCitation:
    """A provision a profile cites that is no longer law, and what replaced it."""

    cited_by: str  # agency or panel name
    entry: LegislationEntry
    replacements: tuple[LegislationEntry, ...]


def _repealed(cited: Iterable[tuple[str, str]], register: Register) -> tuple[RepealedCitation, ...]:
    out = []
    for who, key in cited:
        entry = register.get(key)
        if entry is not None and entry.status == "repealed":
            replacements = tuple(_cite(r) for r in register.replacements(key))
            out.append(RepealedCitation(who, _cite(entry), replacements))
    return tuple(out)


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, on the last day of a shorter month (31 January + 1 month = 28/29 February)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    if year > 9999:
        return date(9999, 12, 31)
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                          31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


# A model's dump is made once per resolve() and shared by every document that reads it (a member agency is an
# input of each of its panels' documents): a county's worth of copies was most of a build's memory. The dumps
# are read, never changed. Keyed by id(), with the model kept alive beside it so the id cannot be reused.
_DUMPS: dict[int, tuple[Any, Any]] = {}


def _dump(model: Any) -> Any:
    if isinstance(model, Cited):
        model = model._entry
    if not hasattr(model, "model_dump"):
        return model
    kept = _DUMPS.get(id(model))
    if kept is None or kept[0] is not model:
        kept = (model, model.model_dump(mode="json"))
        _DUMPS[id(model)] = kept
    return kept[1]


def _legislation_inputs(law_in: dict[str, Any], repealed: Iterable[RepealedCitation]) -> dict[str, Any]:
    """Every register entry the document may cite, as ``legislation:<key>`` inputs."""
    entries = dict(law_in)
    for item in repealed:
        for entry in (item.entry, *item.replacements):
            entries[entry.key] = entry
    return {f"legislation:{key}": _dump(entry) for key, entry in sorted(entries.items())}


YOUNG_PEOPLE_DEFAULT = {
    "complex_needs_funding": "what help you need, and the help you get now",
    "early_help": "how things are going for you at home, at school and with friends",
    "youth_crime_prevention": "worries that you might get hurt, or get into trouble",
    "child_protection_conference": "worries about your safety, and what people are doing to keep you safe",
    "strategy_discussion": "worries about your safety",
    "hospital_mdt": "why you came to hospital, and what the doctors and nurses found",
    "marac": "worries that someone at home is hurting someone else",
    "child_exploitation": "worries that someone might be taking advantage of you",
}


# The items of the default list every panel's list is made of (the message catalogue extracts them).
YOUNG_PEOPLE_ITEMS = (
    "your name, your age, where you live and who looks after you",
    "things about your health, if they matter for the help you need",
    "anything to do with the police, if it matters for keeping you or others safe",
    "what you and your family think",
)


def young_people_list(panel: Panel) -> tuple[str, ...]:
    """What the panel knows about a young person, in words for them: the panel's own list, or a plain default."""
    if panel.young_people_summary:
        return tuple(panel.young_people_summary)
    who, health, police, views = YOUNG_PEOPLE_ITEMS
    items = [who]
    if panel.kind in YOUNG_PEOPLE_DEFAULT:
        items.append(YOUNG_PEOPLE_DEFAULT[panel.kind])
    if "health" in panel.special_category_data:
        items.append(health)
    if panel.criminal_offence_data:
        items.append(police)
    items.append(views)
    return tuple(items)


def _joint(arrangement: JointArrangement | None, loaded: LoadedArea) -> dict[str, Any] | None:
    if arrangement is None:
        return None

    def name(ident: str) -> str:
        agency = loaded.agencies.get(ident)
        return agency.name if agency else ident

    return {
        "summary": arrangement.summary,
        "contact_point": loaded.agencies.get(arrangement.contact_point),
        "responsibilities": tuple((name(r.party), r.does) for r in arrangement.responsibilities),
    }


@cache
def _bundled_helplines() -> dict[str, tuple[dict[str, Any], ...]]:
    # protocolgen's own data file (not the user's disk): help for young people beside Childline, by nation
    path = resources.files("protocolgen").joinpath("data", "helplines.yaml")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {nation: tuple(h for h in items or () if h.get("verified")) for nation, items in raw.items()}


def helplines(nation: str) -> tuple[dict[str, Any], ...]:
    """Checked help for children and young people in the nation (Meic, the Children's Commissioner for Wales,
    the regulator's office for Wales), as the young people's versions name it."""
    return _bundled_helplines().get(nation, ())


# The titles of documents, by kind: the English here (never changed, so English documents keep their titles), the
# Welsh from the catalogue (context "title").
TITLES: dict[DocKind, str] = {
    "protocol": "%(name)s: information sharing protocol",
    "panel-notice": "%(name)s: how we use and share your information",
    "young-people": "%(name)s: your information, explained",
    "panel-consent-form": "%(name)s: agreement to share information",
    "decision-record": "%(name)s: record of a request and a decision to share",
    "agency-notice": "%(name)s: how we share information about children",
    "consent-form": "%(name)s: agreement to share information",
}
# The documents written in the protocol languages (which the member agencies sign and use), not the public ones.
PROTOCOL_KINDS = frozenset({"protocol", "decision-record"})


# Each document of a panel or agency has its own reference: the area's prefix, the panel's or agency's id,
# then this (a protocol has none, so that its reference stays what earlier versions printed).
REFERENCE_SUFFIX: dict[str, str] = {
    "protocol": "", "panel-notice": "-PN", "young-people": "-YP", "panel-consent-form": "-CF",
    "decision-record": "-DR", "agency-notice": "-PN", "consent-form": "-CF",
}


def title_of(kind: DocKind, name: str, translations: i18n.Translations = i18n.ENGLISH) -> str:
    """A document's title in the language of ``translations``."""
    pattern = translations.lookup(TITLES[kind], "title") or TITLES[kind]
    return pattern % {"name": name}


def resolve(loaded: LoadedArea, as_of: date | None = None, only: Iterable[str] | None = None,
            translations: dict[str, i18n.Translations] | None = None) -> list[Job]:
    """Every document of the area as a job, in a stable order. ``only``: 'panel:<id>' / 'agency:<id>'.

    A document asked for in more than one language is one job holding each language's context (the area's
    ``bilingual: one_document``), or one job per language (``separate_documents``): ``translations`` gives the
    titles (default: the bundled catalogues)."""
    try:
        return _with_languages(loaded, as_of, only, translations)
    finally:
        _DUMPS.clear()  # shared within this area's jobs only


def _with_languages(loaded: LoadedArea, as_of: date | None, only: Iterable[str] | None,
                    translations: dict[str, i18n.Translations] | None) -> list[Job]:
    jobs = _resolve(loaded, as_of, only)
    area = loaded.area
    assert area is not None
    wanted = {lang for job in jobs for lang in _languages(job, loaded)} - {"en"}
    if not wanted:
        return jobs
    tr = {lang: (translations or {}).get(lang) or i18n.load(lang) for lang in sorted(wanted)}
    others = {lang: {job.id: job for job in _resolve(i18n.localised_area(loaded, lang), as_of, only)}
              for lang in sorted(wanted)}
    out: list[Job] = []
    for job in jobs:
        languages = _languages(job, loaded)
        if languages == ("en",):
            out.append(job)
            continue
        contexts = {"en": job.context}
        titles = {"en": job.doc.title}
        for lang in languages:
            if lang != "en":
                contexts[lang] = others[lang][job.id].context
                local = contexts[lang]
                local_name = local["panel"].name if "panel" in local else local["agency"].agency.name
                titles[lang] = title_of(job.kind, local_name, tr[lang])
        inputs = {**job.inputs, "languages": list(languages), "layout": area.bilingual,
                  **{f"catalogue:{lang}": tr[lang].fingerprint for lang in languages if lang != "en"}}
        if len(languages) == 1 or area.bilingual == "one_document":
            first = languages[0]
            title = " / ".join(titles[lang] for lang in languages)
            out.append(dataclasses.replace(
                job, doc=dataclasses.replace(job.doc, title=title), context=contexts[first], inputs=inputs,
                languages=languages, contexts=contexts, titles=titles, translations=tr, missed=[]))
            continue
        ids = {lang: job.id if lang == "en" else f"{job.id}.{lang}" for lang in languages}
        for lang in languages:
            out.append(dataclasses.replace(
                job, id=ids[lang], doc=dataclasses.replace(job.doc, title=titles[lang]), context=contexts[lang],
                inputs=inputs, languages=(lang,), contexts={lang: contexts[lang]}, titles={lang: titles[lang]},
                separate=True, counterparts=tuple((o, ids[o]) for o in languages if o != lang), translations=tr,
                missed=[]))
    return out


def _languages(job: Job, loaded: LoadedArea) -> tuple[str, ...]:
    """The languages a document is written in: protocols in the area's protocol languages, an agency's own
    documents in its own languages (else the area's), the panels' public documents in the area's."""
    area = loaded.area
    assert area is not None
    if job.kind in PROTOCOL_KINDS:
        return tuple(area.protocol_languages)
    if "agency" in job.context and job.context["agency"].agency.languages:
        return tuple(job.context["agency"].agency.languages)
    return tuple(area.languages)


def _resolve(loaded: LoadedArea, as_of: date | None = None, only: Iterable[str] | None = None) -> list[Job]:
    area = loaded.area
    assert area is not None, "resolve needs a validated area"
    when = as_of or area.issue_date
    register = loaded.register.as_of(when)
    regulator = _regulator(register)
    wanted = set(only or ())
    review = area.next_review_date or add_months(area.issue_date, area.review_interval_months)
    jobs: list[Job] = []
    common = {"area": area, "regulator": regulator, "helplines": helplines(area.nation)}
    common_inputs = {"area": _dump(area), f"legislation:{regulator.key}": _dump(regulator), "as_of": when.isoformat()}

    def doc(kind: DocKind, title: str, reference: str) -> DocInfo:
        return DocInfo(kind, title, reference, area.issue_date, review, when, author=area.document_owner,
                       approver=area.approver or "", marking=area.protective_marking)

    def entity_inputs(parties: Iterable[Party]) -> dict[str, Any]:
        # A service's own legal_entity is an input already, as part of the agency: only organisations in their own
        # files, and the controller a processor works for, are inputs of their own (so a change is said once).
        ids = {p.agency.organisation for p in parties if p.agency.organisation}
        ids |= {p.controller.id for p in parties if p.is_processor}
        return {f"organisation:{i}": _dump(loaded.organisations[i]) for i in sorted(ids) if i in loaded.organisations}

    for panel in sorted(loaded.panels.values(), key=lambda p: p.id):
        if wanted and f"panel:{panel.id}" not in wanted:
            continue
        seats = loaded.members(panel.id)
        parties = tuple(_party(a, seat, loaded, register, when, panel) for a, seat in seats)
        controllers = _controllers(parties)
        flags = _flags(parties, area, when, panel, register)
        purposes = law.panel_purposes(panel)
        fitting = [k for k in panel.legislation
                   if (e := register.get(k)) is not None and law.serves(e, purposes)]
        law_in = _schedule(flags, parties, fitting, register, area.nation)
        cited = [(a.name, b.key) for a, _ in seats for b in a.statutory_basis]
        cited += [(panel.name, k) for k in panel.legislation]
        chair = next((p for p in parties if p.agency.id == panel.chair), parties[0] if parties else None)
        context: dict[str, Any] = {
            **common,
            "panel": panel,
            "parties": parties,
            "controllers": controllers,
            "processors": tuple(p for p in parties if p.is_processor),
            "chair": chair,
            "flags": flags,
            "law": law_in,
            "schedule": sorted(law_in.values(), key=lambda e: (e.kind == "guidance", e.title, e.citation)),
            "repealed": _repealed(cited, register),
            "purposes": tuple(law.PURPOSE_NAMES[p] for p in sorted(purposes)),
            "rights": _panel_rights(controllers),
            "condition_groups": _condition_groups(parties),
            "joint": _joint(panel.joint_arrangement if panel.controllers == "joint" else None, loaded),
            "young_people": young_people_list(panel),
            # What the panel's controllers rely on between them, each once: the choices a decision record offers.
            "all_bases": _unique((b for p in parties if not p.is_processor for b in p.gdpr_bases),
                                 key=lambda b: b.code, order=lambda b: b.article),
            "all_powers": _unique((w for p in parties if not p.is_processor for w in p.powers),
                                  key=lambda w: w.entry.key, order=lambda w: w.entry.citation),
            "subject": panel.purpose,
        }
        inputs = {
            **common_inputs,
            f"panel:{panel.id}": _dump(panel),
            "members": [f"{a.id}:{s.role}" for a, s in seats],
            **{f"agency:{a.id}": _dump(a) for a, _ in seats},
            **{f"agency:{p.contractor.id}": {"name": p.contractor.name, "status": p.contractor.status,
                                             "uk_gdpr_bases": _dump_bases(p.contractor)}
               for p in parties if p.is_processor and p.contractor is not None and p.contractor.id not in
               {a.id for a, _ in seats}},
            **entity_inputs(parties),
            **_legislation_inputs(law_in, context["repealed"]),
        }
        ref = f"{area.reference_prefix}-{panel.id.upper()}"
        panel_documents: list[tuple[DocKind, str, str, bool]] = [
            ("protocol", "protocol", title_of("protocol", panel.name), False),
            ("panel-notice", "privacy-notice", title_of("panel-notice", panel.name), True),
            ("young-people", "young-people", title_of("young-people", panel.name), True),
        ]
        if flags.consent_sought:
            panel_documents.append(("panel-consent-form", "consent-form", title_of("panel-consent-form", panel.name),
                                    False))
        panel_documents.append(("decision-record", "decision-record", title_of("decision-record", panel.name),
                                False))
        signatories = tuple((entity.id, entity.name) for entity, _ in controllers)
        for kind, name, title, html in panel_documents:
            jobs.append(Job(f"panels/{panel.id}/{name}", kind, f"{kind}.md.j2", html,
                            doc(kind, title, ref + REFERENCE_SUFFIX[kind]), context, inputs,
                            signatories=signatories if kind == "protocol" else ()))

    for agency in sorted(loaded.agencies.values(), key=lambda a: a.id):
        if wanted and f"agency:{agency.id}" not in wanted:
            continue
        siblings = sorted(a.name for a in loaded.agencies.values()
                          if loaded.entity_id_of(a.id) == loaded.entity_id_of(agency.id))
        party = _party(agency, None, loaded, register, when, services=tuple(siblings))
        flags = _flags([party], area, when, None, register)
        law_in = _schedule(flags, [party], [], register, area.nation)
        memberships = tuple((loaded.panels[s.panel], s) for s in agency.panels if s.panel in loaded.panels)
        context = {
            **common,
            "agency": party,
            "memberships": memberships,
            "flags": flags,
            "law": law_in,
            "schedule": sorted(law_in.values(), key=lambda e: (e.kind == "guidance", e.title, e.citation)),
            "repealed": _repealed([(agency.name, b.key) for b in agency.statutory_basis], register),
            "subject": agency.description,
        }
        inputs = {
            **common_inputs,
            f"agency:{agency.id}": _dump(agency),
            **{f"panel:{p.id}": {"name": p.name, "purpose": p.purpose, "consent": _dump(p.consent)}
               for p, _ in memberships},
            **({f"agency:{party.contractor.id}": {"name": party.contractor.name, "status": party.contractor.status,
                                                  "uk_gdpr_bases": _dump_bases(party.contractor)}}
               if party.contractor else {}),
            **entity_inputs([party]),
            **_legislation_inputs(law_in, context["repealed"]),
        }
        ref = f"{area.reference_prefix}-{agency.id.upper()}"
        agency_documents: list[tuple[DocKind, str, str, bool]] = [
            ("agency-notice", "privacy-notice", title_of("agency-notice", agency.name), True),
        ]
        if not party.is_processor:  # a processor asks no one's agreement: its controller does
            agency_documents.append(("consent-form", "consent-form", title_of("consent-form", agency.name), False))
        for kind, name, title, html in agency_documents:
            jobs.append(Job(f"agencies/{agency.id}/{name}", kind, f"{kind}.md.j2", html,
                            doc(kind, title, ref + REFERENCE_SUFFIX[kind]), context, inputs))
    return jobs


def _unique(items: Iterable[Any], key: Any, order: Any) -> tuple[Any, ...]:
    """Each item once (the first with its key), sorted."""
    seen: dict[Any, Any] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return tuple(sorted(seen.values(), key=order))


def _dump_bases(agency: Agency) -> list[Any]:
    return [use.model_dump(mode="json") for use in agency.uk_gdpr_bases]
