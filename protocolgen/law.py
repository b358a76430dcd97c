"""The legal model: who a service is in law, what a panel's sharing is for, and which law fits each party.

Pure functions over the models and register entries. The rules use them to warn about a profile, and resolve
uses them to decide what a document says, so validation and documents can never disagree about the law.

- A **service** (an agency file) belongs to a **legal entity** (its organisation). The legal entity is the
  controller; a body that works for another under contract is, by default, that body's **processor**.
- A provision is **for** some purposes (register ``purposes``) and **laid on** some kinds of body (register
  ``laid_on``). A party's power to share at a panel is a provision it relies on that serves one of the panel's
  purposes and is laid on a kind of body the party is.
- Lawful bases, the rights that follow from them, and special category conditions are decided per party.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .models import (
    HEALTH_SECTORS,
    SOCIAL_CARE_SECTORS,
    Agency,
    BasisUse,
    BodyType,
    ConditionUse,
    LegalEntity,
    LegislationEntry,
    Panel,
    PanelKind,
    Purpose,
    Sector,
)

SAFEGUARDING_RLI_FROM = date(2026, 2, 5)  # UK GDPR Art 6(1)(ea), Data (Use and Access) Act 2025 s70

# --- who a service is in law ----------------------------------------------------------------------------

# The kind of body a statutory service of each sector is (England; Welsh NHS bodies are their own sectors).
_SECTOR_BODIES: dict[Sector, tuple[BodyType, ...]] = {
    "childrens_social_care": ("local_authority",),
    "childrens_services": ("local_authority",),
    "police": ("police",),
    "nhs_community_trust": ("nhs_trust",),
    "nhs_acute_trust": ("nhs_trust",),
    "camhs": ("nhs_trust",),
    "adult_mental_health": ("nhs_trust",),
    "integrated_care_board": ("integrated_care_board",),
    "gp_practice": ("gp_practice",),
    "maintained_school": ("maintained_school",),
    "academy": ("academy",),
    "independent_school": ("independent_school",),
    "early_years": ("early_years",),
    "youth_offending_team": ("youth_offending_team",),
    "probation": ("probation",),
    "housing": ("housing_authority", "local_authority"),
    "youth_service": ("local_authority",),
    "local_health_board": ("local_health_board",),
    "nhs_trust_wales": ("nhs_trust_wales",),
    "childrens_home": ("childrens_home",),
    "cafcass": ("cafcass",),
}
# Kinds of setting that voluntary and private bodies run too: such a body is that kind of body in law.
_INDEPENDENT_SETTINGS = frozenset({"early_years", "independent_school", "childrens_home"})


def body_types(agency: Agency, entity: LegalEntity | None, nation: str) -> frozenset[BodyType]:
    """The kinds of body (register ``laid_on`` vocabulary) a service is, in its area's nation."""
    found: set[BodyType] = {"anyone"}
    if agency.status == "statutory":
        found.add("statutory")
        found.update(_SECTOR_BODIES.get(agency.sector, ()))
        if entity is not None and entity.kind == "local_authority":
            found.add("local_authority")
        if nation == "wales" and "nhs_trust" in found:  # a Welsh NHS trust, not an English one
            found.discard("nhs_trust")
            found.add("nhs_trust_wales")
    else:
        found.add(agency.status)
        if agency.sector in _INDEPENDENT_SETTINGS:
            found.update(_SECTOR_BODIES[agency.sector])
    if agency.contracted_by:
        found.add("contractor")
    return frozenset(found)


def is_processor(agency: Agency) -> bool:
    """A body that carries out another's work under contract acts on its instructions unless it says otherwise."""
    return agency.contracted_by is not None and agency.contract_role != "independent_controller"


def laid_on_role(entry: LegislationEntry, bodies: frozenset[BodyType]) -> str | None:
    """What ``entry`` asks of (or lets) a body of these kinds do: its role text, '' when the entry is laid on no
    one in particular, or None when it is laid on other kinds of body only."""
    if not entry.laid_on:
        return ""
    for laid in entry.laid_on:
        if bodies & set(laid.bodies):
            return laid.role
    return None


# --- what a panel's sharing is for ------------------------------------------------------------------------

KIND_PURPOSES: dict[PanelKind, tuple[Purpose, ...]] = {
    "complex_needs_funding": ("children_in_need", "safeguarding_welfare", "cooperation", "education", "health_care"),
    "early_help": ("children_in_need", "safeguarding_welfare", "cooperation", "education", "youth_support"),
    "youth_crime_prevention": ("crime_and_disorder", "youth_justice", "safeguarding_welfare", "cooperation",
                               "youth_support"),
    "strategy_discussion": ("child_protection", "safeguarding_welfare", "crime_and_disorder"),
    "child_protection_conference": ("child_protection", "safeguarding_welfare"),
    "mappa": ("offender_management", "crime_and_disorder", "safeguarding_welfare"),
    "hospital_mdt": ("safeguarding_welfare", "health_care", "children_in_need"),
    "marac": ("domestic_abuse", "crime_and_disorder", "safeguarding_welfare"),
    "child_exploitation": ("child_protection", "crime_and_disorder", "youth_justice", "safeguarding_welfare"),
    "other": (),
}
PURPOSE_NAMES: dict[Purpose, str] = {
    "child_protection": "protecting a child who may be suffering significant harm",
    "children_in_need": "assessing and meeting the needs of children in need",
    "safeguarding_welfare": "safeguarding and promoting children's welfare",
    "cooperation": "co-operation between agencies to improve children's well-being",
    "crime_and_disorder": "reducing crime and disorder",
    "youth_justice": "preventing offending by children and young people",
    "offender_management": "managing the risk posed by offenders",
    "domestic_abuse": "protecting people from domestic abuse and sexual violence",
    "care_leavers": "looking after children in care and young people leaving care",
    "education": "education",
    "youth_support": "youth support services",
    "health_care": "health care",
}
CRIME_PURPOSES = frozenset({"crime_and_disorder", "youth_justice", "offender_management", "domestic_abuse"})


def panel_purposes(panel: Panel) -> frozenset[Purpose]:
    """What the panel's sharing is for: its own list, else what panels of its kind are for."""
    return frozenset(panel.purposes or KIND_PURPOSES[panel.kind])


def serves(entry: LegislationEntry, purposes: Iterable[Purpose]) -> bool:
    """A provision fits a panel when it serves one of the panel's purposes (general provisions fit all)."""
    return not entry.purposes or bool(set(entry.purposes) & set(purposes))


def relied_on(entry: LegislationEntry) -> bool:
    """Can a document present this entry as law a party relies on? (Current, checked, not dormant.)"""
    return entry.verified and entry.current


def nearest(register: Mapping[str, LegislationEntry], wanted: Iterable[Purpose], bodies: frozenset[BodyType],
            nation: str, prefer: str | None = None, exclude: Iterable[str] = ()) -> LegislationEntry | None:
    """The provision in the area's nation that best serves ``wanted`` and is laid on a body of these kinds.

    ``prefer`` (e.g. the other nation's equivalent of a cited provision) wins when it qualifies. Among the rest,
    duties, powers and gateways rank before frameworks, then by how many of the wanted purposes they serve."""
    wanted = set(wanted)
    other_nation = "Wales" if nation == "england" else "England"
    skip = set(exclude)

    def qualifies(entry: LegislationEntry) -> bool:
        return (relied_on(entry) and entry.extent != other_nation and entry.kind not in ("guidance", "regulator")
                and bool(entry.purposes) and bool(set(entry.purposes) & wanted) and bool(entry.laid_on)
                and laid_on_role(entry, bodies) is not None and entry.key not in skip)

    if prefer and prefer in register and qualifies(register[prefer]):
        return register[prefer]
    ranked = sorted(
        (e for e in register.values() if qualifies(e)),
        key=lambda e: (e.kind == "framework", -len(set(e.purposes) & wanted), e.key),
    )
    return ranked[0] if ranked else None


# --- lawful bases, in the words each reader needs ----------------------------------------------------------


@dataclass(frozen=True)
class Basis:
    """A UK GDPR Article 6 basis as documents name it."""

    code: str
    article: str  # e.g. "Article 6(1)(e)"
    name: str  # e.g. "public task"
    plain: str  # for families: what it means
    default_purpose: str  # what a service uses it for, when its profile does not say


BASES: dict[str, Basis] = {
    "public_task": Basis("public_task", "Article 6(1)(e)", "public task",
                         "we need to use the information to carry out our public tasks, which the law gives us",
                         "to carry out the work the law gives us for children and families"),
    "legal_obligation": Basis("legal_obligation", "Article 6(1)(c)", "legal obligation",
                              "a law we must obey requires us to use the information", "to meet a duty the law places on us"),
    "vital_interests": Basis("vital_interests", "Article 6(1)(d)", "vital interests",
                             "we need to use it to protect someone's life",
                             "to protect someone's life in an emergency, when they cannot agree"),
    "consent": Basis("consent", "Article 6(1)(a)", "consent", "you have agreed, and you can change your mind",
                     "to share information with other services when you have agreed"),
    "legitimate_interests": Basis("legitimate_interests", "Article 6(1)(f)", "legitimate interests",
                                  "we have a good reason to use it, and we have checked that this is fair to you",
                                  "for the interests set out here"),
    "recognised_legitimate_interest": Basis(
        "recognised_legitimate_interest", "Article 6(1)(ea) and Annex 1, paragraph 6",
        "recognised legitimate interest (safeguarding)",
        "the law recognises that information may be used when this is needed to keep a child safe",
        "to pass on a worry that a child may be at risk of harm, with or without agreement"),
    "contract": Basis("contract", "Article 6(1)(b)", "contract", "we need it to provide a service you have asked for",
                      "to provide the service we have agreed with you"),
}
SHARES_WITHOUT_AGREEMENT = ("recognised_legitimate_interest", "legitimate_interests", "vital_interests",
                            "public_task", "legal_obligation")


def bases_of(agency: Agency, as_of: date) -> tuple[BasisUse, ...]:
    """A service's Article 6 bases: as its profile lists them, else the defaults for its status.

    Processors have none of their own: they use the controller's. A voluntary or private body that lists none
    shares with agreement on consent, and without it (to protect a child) on the recognised legitimate interest,
    or legitimate interests before that basis came into force."""
    if is_processor(agency):
        return ()
    if agency.uk_gdpr_bases:
        return tuple(agency.uk_gdpr_bases)
    if agency.status == "statutory":
        return (BasisUse(basis="public_task"),)
    safeguarding = "recognised_legitimate_interest" if as_of >= SAFEGUARDING_RLI_FROM else "legitimate_interests"
    interests = None if safeguarding != "legitimate_interests" else (
        "protecting children from harm, which we have weighed against your interests and rights")
    return (BasisUse(basis="consent"), BasisUse(basis=safeguarding, interests=interests))


# --- rights that follow from the bases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Right:
    key: str
    text: str
    bases: frozenset[str] = frozenset()  # the bases it depends on; empty: it always applies


# Article 21(1) gives the right to object to processing on points (e) and (f). Whether the Data (Use and Access)
# Act 2025 extended it to the recognised legitimate interest (ea) is not yet checked in the register, so a body
# relying on (ea) alone tells people of the right in words that are true either way.
OBJECTION_BASES = frozenset({"public_task", "legitimate_interests"})
OBJECTION_UNSETTLED = frozenset({"recognised_legitimate_interest"})
PORTABILITY_BASES = frozenset({"consent", "contract"})


def rights(codes: Iterable[str], statutory: bool) -> tuple[Right, ...]:
    """The data protection rights that apply to processing on these bases, in plain words.

    The right to object applies only to public task and (recognised) legitimate interests; portability only to
    consent and contract; withdrawing consent only to consent. Erasure is phrased for the body's own position."""
    codes = set(codes)
    keep = ("we need the record to carry out our public tasks, or where a law requires us to keep it" if statutory else
            "we must keep the record to meet a legal duty or for a legal claim, or we have a strong reason to keep "
            "it, such as keeping a child safe")
    out = [
        Right("access", "to see the information we hold about you, and to have a copy"),
        Right("rectification", "to have it corrected if something is wrong or missing"),
        Right("erasure", f"to have it deleted. This applies only in some cases: not when {keep}"),
        Right("restriction", "to ask us to limit how we use it, for example while we look into a concern you have "
              "raised"),
    ]
    if codes & OBJECTION_BASES:
        out.append(Right("objection", "to object to our using it. We will stop unless we have strong reasons to go "
                         "on, such as keeping a child safe", frozenset(codes & OBJECTION_BASES)))
    elif codes & OBJECTION_UNSETTLED:
        out.append(Right("objection", "to object to our using it. Where the law gives you this right, we will stop "
                         "unless we have strong reasons to go on, such as keeping a child safe",
                         frozenset(codes & OBJECTION_UNSETTLED)))
    if codes & PORTABILITY_BASES:
        out.append(Right("portability", "to have information you gave us passed to you, or to another "
                         "organisation, in a common computer format", frozenset(codes & PORTABILITY_BASES)))
    if "consent" in codes:
        out.append(Right("withdraw", "to take back your agreement at any time. This does not make sharing that "
                         "has already happened unlawful", frozenset({"consent"})))
    return tuple(out)


# --- special category conditions ----------------------------------------------------------------------------

PARA_2 = "data-protection-act-2018-sch-1-para-2"  # health or social care purposes: Art 9(2)(h)
PARA_6 = "data-protection-act-2018-sch-1-para-6"  # statutory and government purposes: Art 9(2)(g)
PARA_10 = "data-protection-act-2018-sch-1-para-10"  # preventing or detecting unlawful acts: Art 9(2)(g)
PARA_18 = "data-protection-act-2018-sch-1-para-18"  # safeguarding of children and individuals at risk: Art 9(2)(g)
# The Schedule 1 paragraphs each point of Article 9(2) may need (Part 1 for b, h, i, j; Part 2 for g).
SCHEDULE_FOR: dict[str, frozenset[str]] = {
    "g": frozenset({PARA_6, PARA_10, PARA_18, "data-protection-act-2018-sch-1"}),
    "h": frozenset({PARA_2, "data-protection-act-2018-sch-1"}),
}
POINT_NAMES = {
    "a": "explicit consent",
    "b": "employment, social security and social protection law",
    "c": "vital interests, where the person cannot consent",
    "f": "legal claims",
    "g": "substantial public interest",
    "h": "health or social care",
    "i": "public health",
}

WITH_AGREEMENT = "with_agreement"
WITHOUT_AGREEMENT = "without_agreement"


def default_conditions(agency: Agency, codes: Iterable[str]) -> tuple[ConditionUse, ...]:
    """Article 9 conditions for a service that does not list its own, by what kind of body it is."""
    if is_processor(agency):
        return ()
    if agency.status == "statutory":
        out = []
        if agency.sector in HEALTH_SECTORS | SOCIAL_CARE_SECTORS:
            care = "health care" if agency.sector in HEALTH_SECTORS else "social care"
            out.append(ConditionUse(condition="h", schedule=PARA_2,
                                    when=f"to provide {care}, including sharing with others caring for the child"))
        out.append(ConditionUse(condition="g", schedule=PARA_6, when="to carry out functions given by law"))
        out.append(ConditionUse(condition="g", schedule=PARA_18,
                                when="to protect a child when agreement cannot be given or sought, or asking "
                                "would put the child at risk"))
        return tuple(out)
    out = []
    if "consent" in set(codes):
        out.append(ConditionUse(condition="a", when="sharing with the explicit agreement of the child or parent"))
    out.append(ConditionUse(condition="g", schedule=PARA_18,
                            when="sharing without agreement, only to protect a child from harm"))
    return tuple(out)


def covers(conditions: Sequence[ConditionUse]) -> frozenset[str]:
    """Which ways of sharing (with agreement, without it) a set of Article 9 conditions covers.

    Explicit consent covers only sharing with agreement. The safeguarding condition (para 18) applies only where
    consent cannot be given or sought, so it covers only sharing without agreement. Health or social care (h)
    and the other substantial public interest conditions cover both."""
    ways: set[str] = set()
    for c in conditions:
        if c.condition == "a":
            ways.add(WITH_AGREEMENT)
        elif c.condition == "g" and c.schedule == PARA_18:
            ways.add(WITHOUT_AGREEMENT)
        elif c.condition in ("g", "h", "c"):
            ways.update((WITH_AGREEMENT, WITHOUT_AGREEMENT) if c.condition != "c" else (WITHOUT_AGREEMENT,))
    return frozenset(ways)


BODY_NAMES: dict[BodyType, str] = {
    "local_authority": "local authorities",
    "housing_authority": "housing authorities",
    "police": "the police",
    "integrated_care_board": "integrated care boards",
    "nhs_trust": "NHS trusts",
    "local_health_board": "Local Health Boards",
    "nhs_trust_wales": "NHS trusts in Wales",
    "gp_practice": "GP practices",
    "probation": "probation services",
    "youth_offending_team": "youth offending teams",
    "prison": "prisons",
    "maintained_school": "maintained schools",
    "academy": "academies",
    "independent_school": "independent schools",
    "further_education": "further education institutions",
    "early_years": "early years settings",
    "childrens_home": "children's homes",
    "cafcass": "CAFCASS and CAFCASS Cymru",
    "statutory": "statutory bodies",
    "voluntary": "voluntary organisations",
    "private": "private organisations",
    "contractor": "bodies working under arrangements with a listed body",
    "anyone": "anyone",
}


def laid_on_names(entry: LegislationEntry) -> str:
    """'local authorities, the police and NHS trusts': who an entry is laid on, for messages."""
    names = [BODY_NAMES[b] for laid in entry.laid_on for b in laid.bodies]
    unique = list(dict.fromkeys(names))
    return ", ".join(unique[:-1]) + (" and " if len(unique) > 1 else "") + unique[-1] if unique else "no one"
