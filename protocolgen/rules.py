"""The guidance's rules, each written once, with the paragraph or provision it comes from.

Paragraph numbers refer to the 2005 cross-government guidance on sharing information about children
(``shared/guidance``); law is cited by section. Each rule is a small function registered in ``RULES``; it
reads a ``LoadedArea`` and reports through ``LoadedArea.report``. Rules skip what failed to load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from . import law
from .errors import Diagnostic
from .load import format_loc
from .loaded import LoadedArea
from .models import (
    HEALTH_SECTORS,
    PARTNERSHIP_FIELDS,
    SOCIAL_CARE_SECTORS,
    Agency,
    BodyType,
    LegislationEntry,
    Panel,
    parse_period,
)

# The nearest provision of the other nation, offered when a profile cites law that does not apply in its area
# (it is offered only where it is laid on the kind of body that cited the original: see law.nearest).
NATIONAL_EQUIVALENTS = {
    "children-act-2004-s11": "children-act-2004-s28",
    "children-act-2004-s10": "children-act-2004-s25",
    "children-act-2004-s16e": "ssw-wales-act-2014-s134",
    "children-act-1989-s17": "ssw-wales-act-2014-s21",
    "working-together-2023": "wales-safeguarding-procedures",
}
NATIONAL_EQUIVALENTS |= {wales: england for england, wales in NATIONAL_EQUIVALENTS.items()}
PUBLIC_AUTHORITY_EXCLUDED = ("legitimate_interests", "recognised_legitimate_interest")
# Provisions that give anyone a power a voluntary or private body never needs: claiming one in a profile would
# print a statutory footing that adds nothing and misleads (it is not a relevant authority under s115).
NO_POWER_NEEDED = {
    "crime-and-disorder-act-1998-s115": "section 115 lets anyone disclose to a relevant authority (the police, the "
    "council and others the Act lists); a voluntary or private body needs no statutory power to do that, and is "
    "not itself a relevant authority",
}


@dataclass(frozen=True)
class Rule:
    source: str  # where the rule comes from: a guidance paragraph or a provision
    summary: str
    check: Callable[[LoadedArea], None]


RULES: list[Rule] = []


def rule(source: str, summary: str) -> Callable[[Callable[[LoadedArea], None]], Callable[[LoadedArea], None]]:
    def register(check: Callable[[LoadedArea], None]) -> Callable[[LoadedArea], None]:
        RULES.append(Rule(source, summary, check))
        return check

    return register


def apply_rules(loaded: LoadedArea) -> None:
    for each in RULES:
        each.check(loaded)


def _as_of(loaded: LoadedArea) -> date | None:
    """The area's issue date; None when area.yaml failed to load (date-bound checks then wait for it)."""
    return loaded.area.issue_date if loaded.area else None


def _nation(loaded: LoadedArea) -> str:
    """The area's nation; when area.yaml has an error elsewhere, the nation it names, so that the checks of
    each nation's law still run."""
    if loaded.area is not None:
        return loaded.area.nation
    source = loaded.sources.get("area")
    written = source.data.get("nation") if source is not None else None
    return written if written in ("england", "wales") else ""


def _has_panels(loaded: LoadedArea) -> bool:
    """Whether the area is a partnership with panels (counting panel files that failed to load)."""
    if loaded.panels or any(key.startswith("panel:") for key in loaded.sources):
        return True
    folder = loaded.root / "panels"
    return folder.is_dir() and any(p.suffix.lower() in (".yaml", ".yml") for p in folder.iterdir())


def _bodies(loaded: LoadedArea, agency: Agency) -> frozenset[BodyType]:
    return law.body_types(agency, loaded.entity_of(agency.id), _nation(loaded))


def _other_nation(loaded: LoadedArea) -> str:
    return {"england": "Wales", "wales": "England"}.get(_nation(loaded), "")


def _register(loaded: LoadedArea) -> Mapping[str, LegislationEntry]:
    as_of = _as_of(loaded)
    return loaded.register.as_of(as_of) if as_of else loaded.register


def _suggest_instead(entry: LegislationEntry | None, lead: str) -> str:
    return f"{lead} {entry.key} ({entry.citation})" if entry is not None else ""


@rule("guidance 4.2, 4.7-4.9", "a statutory body names the legal basis on which it shares information")
def statutory_body_names_basis(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if agency.status == "statutory" and not agency.statutory_basis and not law.is_processor(agency):
            loaded.report(
                f"agency:{agency.id}", ("statutory_basis",),
                "a statutory body must name the legal basis for its sharing (guidance 4.2, 4.7-4.9)",
                hint="add the register keys of its functions, e.g. children-act-2004-s11",
            )


@rule("guidance 4.8, 4.10; legislation register (laid_on)",
      "a provision is relied on only by the kinds of body it is laid on; voluntary and private bodies never claim "
      "a listed body's duties")
def provisions_fit_the_body(loaded: LoadedArea) -> None:
    register = _register(loaded)
    for agency in loaded.agencies.values():
        where = f"agency:{agency.id}"
        if law.is_processor(agency):
            if agency.statutory_basis:
                loaded.report(where, ("statutory_basis",), "is ignored: a processor acts on its controller's powers "
                              "and instructions, not on its own", "warning",
                              hint=f"remove it; the documents cite the powers of '{agency.contracted_by}'")
            continue
        bodies = _bodies(loaded, agency)
        cited = [(("statutory_basis", i, "key"), b.key) for i, b in enumerate(agency.statutory_basis)]
        cited += [(("panels", i, "powers", j), key) for i, seat in enumerate(agency.panels)
                  for j, key in enumerate(seat.powers or ())]
        for loc, key in cited:
            entry = register.get(key)
            if entry is not None and agency.status != "statutory" and key in NO_POWER_NEEDED:
                loaded.report(where, loc, f"a {agency.status} body does not rely on '{key}': {NO_POWER_NEEDED[key]} "
                              "(guidance 4.10)", hint="remove it; its lawful basis under the UK GDPR is what matters")
                continue
            if entry is None or law.laid_on_role(entry, bodies) is not None or entry.extent == _other_nation(loaded):
                continue  # (law of the other nation is reported once, by cited_provisions_current)
            instead = law.nearest(register, entry.purposes, bodies, _nation(loaded),
                                  NATIONAL_EQUIVALENTS.get(key), exclude=[key])
            if agency.status != "statutory":
                loaded.report(
                    where, loc,
                    f"a {agency.status} body cannot rely on '{key}': {entry.citation} is laid on "
                    f"{law.laid_on_names(entry)} (guidance 4.8, 4.10)",
                    hint="a voluntary or private body needs no statutory power to share; remove it"
                    + ("" if agency.contracted_by else ", or, if it does this work under contract to a statutory "
                       "body, set contracted_by"),
                )
            else:
                loaded.report(
                    where, loc,
                    f"'{key}' is laid on {law.laid_on_names(entry)}, and this {agency.sector.replace('_', ' ')} "
                    "service is none of these, so documents leave it out", "warning",
                    hint=_suggest_instead(instead, "the nearest provision that is laid on it:")
                    or "check the register entry's laid_on, or remove the key",
                )


@rule("UK GDPR Art 28; guidance 4.8", "a body working for another under contract is its processor, with a written "
      "contract, unless its profile says it is an independent controller")
def contracts_and_processors(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        where = f"agency:{agency.id}"
        if agency.contracted_by is None:
            if agency.contract_role or agency.processing_contract:
                loaded.report(where, ("contract_role" if agency.contract_role else "processing_contract",),
                              "applies only with contracted_by (the agency this body works for)")
            continue
        if agency.contracted_by == agency.id:
            loaded.report(where, ("contracted_by",), "names the agency itself")
            continue
        contractor = loaded.agencies.get(agency.contracted_by)
        if contractor is not None and law.is_processor(contractor) and law.is_processor(agency):
            loaded.report(where, ("contracted_by",), f"'{contractor.id}' is itself a processor: name the controller "
                          "whose instructions this body follows", "warning")
        if not law.is_processor(agency):
            continue
        if agency.processing_contract is None:
            loaded.report(
                where, ("processing_contract",),
                "a processor must work under a written contract with its controller (UK GDPR Art 28(3))",
                hint="name it, e.g. processing_contract: 'Interpreting services contract 2024/117, data processing "
                "schedule'; or, if the body decides for itself how it uses the information, set contract_role: "
                "independent_controller",
            )
        for field in ("uk_gdpr_bases", "special_category_conditions"):
            if getattr(agency, field):
                loaded.report(where, (field,), "is ignored: a processor uses its controller's lawful basis and "
                              "conditions", "warning", hint="remove it, or set contract_role: independent_controller")


@rule("UK GDPR Art 6(1), 6(3), 13(1)(d)", "lawful bases are true: public authorities use public task, a legal "
      "obligation names its law, legitimate interests are stated, consent is not the basis for sharing against a "
      "refusal, and each seat keeps a basis that fits its panel")
def lawful_bases_are_true(loaded: LoadedArea) -> None:
    as_of = _as_of(loaded)
    register = _register(loaded)
    for agency in loaded.agencies.values():
        if law.is_processor(agency):
            continue
        where = f"agency:{agency.id}"
        codes = {use.basis for use in agency.uk_gdpr_bases}
        for i, use in enumerate(agency.uk_gdpr_bases):
            loc = ("uk_gdpr_bases", i)
            basis = use.basis
            if agency.status == "statutory" and basis in PUBLIC_AUTHORITY_EXCLUDED:
                loaded.report(where, loc, f"a public authority cannot use {basis} for processing in performance of "
                              "its tasks (UK GDPR Art 6(1), last paragraph)", hint="use public_task")
            if basis == "recognised_legitimate_interest" and as_of and as_of < law.SAFEGUARDING_RLI_FROM:
                loaded.report(where, loc, "the recognised legitimate interest basis (UK GDPR Art 6(1)(ea)) came into "
                              f"force on 5 February 2026, after the area's issue date {as_of.isoformat()}",
                              hint="use legitimate_interests or consent for documents issued before then")
            if agency.status != "statutory" and basis == "public_task":
                loaded.report(where, loc, f"a {agency.status} body can rely on public task only for a task laid down "
                              "by law or official authority it has been given", "warning",
                              hint="if it acts on a public body's instructions it is that body's processor "
                              "(contracted_by); otherwise use consent or recognised_legitimate_interest")
            if basis == "legal_obligation":
                if use.obligation is None:
                    loaded.report(where, (*loc, "obligation"), "legal_obligation must name the law that imposes the "
                                  "obligation (UK GDPR Art 6(3)); documents never say 'the law says we must' without it",
                                  hint="e.g. '- basis: legal_obligation' with 'obligation: education-act-1996-s434', "
                                  "or remove it (public task covers work the law gives you)")
                elif (entry := register.get(use.obligation)) is not None and not law.relied_on(entry):
                    loaded.report(where, (*loc, "obligation"), f"'{use.obligation}' is not checked, current law, so "
                                  "documents cannot name it as the obligation", "warning")
            elif use.obligation is not None:
                loaded.report(where, (*loc, "obligation"), f"applies only to legal_obligation, not {basis}")
            if basis == "legitimate_interests" and use.interests is None:
                loaded.report(where, (*loc, "interests"), "legitimate interests must be stated: notices must tell "
                              "people the interests pursued (UK GDPR Art 13(1)(d))",
                              hint="add interests: e.g. 'keeping the children who use our centres safe'")
        if agency.status != "statutory" and "consent" in codes and not codes & set(law.SHARES_WITHOUT_AGREEMENT):
            loaded.report(
                where, ("uk_gdpr_bases",),
                "relies only on consent, yet like every panel member it may share without agreement, or against a "
                "refusal, to protect a child; consent cannot be the lawful basis for that sharing (ICO)",
                hint="add recognised_legitimate_interest" if as_of is None or as_of >= law.SAFEGUARDING_RLI_FROM
                else "add legitimate_interests with the interests pursued",
            )
        elif codes:
            # At a panel a contract with the family is no basis, nor is consent where the panel shares whether
            # or not the family agree (resolve drops both from the panel's documents): say so where nothing is left.
            for i, seat in enumerate(agency.panels):
                panel = loaded.panels.get(seat.panel)
                if panel is None:
                    continue
                left = {c for c in codes if c != "contract" and not (c == "consent" and
                                                                     panel.consent.approach == "not_sought")}
                if not left:
                    loaded.report(
                        where, ("panels", i, "panel"),
                        f"has no lawful basis for sharing at the panel '{panel.id}': "
                        f"{' and '.join(sorted(codes))} cannot make a disclosure to it lawful (a contract with the "
                        "family never does; consent does not where the panel shares whether or not the family agree)",
                        hint="add recognised_legitimate_interest (or, for a public body, public_task) to uk_gdpr_bases",
                    )


def _entity_where(loaded: LoadedArea, agency: Agency) -> tuple[str, tuple[str, ...]]:
    if agency.organisation:
        return f"organisation:{agency.organisation}", ("data_protection_officer",)
    if agency.legal_entity is not None:
        return f"agency:{agency.id}", ("legal_entity", "data_protection_officer")
    return f"agency:{agency.id}", ("contacts", "data_protection_officer")


@rule("UK GDPR Art 37", "a public authority designates a data protection officer; any other body names one or a "
      "data protection lead")
def data_protection_officer(loaded: LoadedArea) -> None:
    seen: set[str] = set()
    for agency in sorted(loaded.agencies.values(), key=lambda a: a.id):
        entity_id = loaded.entity_id_of(agency.id)
        entity = loaded.entity_of(agency.id)
        if entity is None or entity_id in seen or (law.is_processor(agency) and agency.legal_entity is None \
                and agency.organisation is None and entity.data_protection_officer is None):
            continue
        seen.add(entity_id)
        where, loc = _entity_where(loaded, agency)
        if where not in loaded.sources:
            continue
        if agency.status == "statutory" and entity.data_protection_officer is None:
            loaded.report(where, loc, "a public authority must designate a data protection officer (UK GDPR "
                          "Art 37(1)(a))", hint="add data_protection_officer with a role and an email or phone")
        elif entity.data_protection_officer is None and entity.data_protection_lead is None:
            loaded.report(where, (*loc[:-1], "data_protection_lead"),
                          "names no one to answer data protection questions",
                          hint="a small voluntary or private body that need not appoint a data protection officer "
                          "(UK GDPR Art 37) names a data_protection_lead instead")


@rule("guidance 8.7-8.9; NHS Caldicott principles", "health and social care bodies name a Caldicott guardian")
def caldicott_guardian(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if (agency.status == "statutory" and agency.sector in HEALTH_SECTORS | SOCIAL_CARE_SECTORS
                and agency.contacts.caldicott_guardian is None):
            loaded.report(
                f"agency:{agency.id}", ("contacts",),
                "a health or social care body must name its Caldicott guardian (contacts.caldicott_guardian)",
            )


@rule("DPA 2018 Part 3", "police forces process for law enforcement under Part 3 of the 2018 Act")
def police_law_enforcement(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if agency.sector == "police" and not agency.law_enforcement_processing:
            loaded.report(
                f"agency:{agency.id}", ("law_enforcement_processing",),
                "a police force is a competent authority: its law enforcement processing falls under Part 3 "
                "of the Data Protection Act 2018",
                "warning", hint="set law_enforcement_processing: true",
            )


@rule("UK GDPR Art 5(1)(e); guidance 4.33", "every retention period is finite")
def retention_is_finite(loaded: LoadedArea) -> None:
    owners = [(f"agency:{a.id}", a.retention) for a in loaded.agencies.values()]
    owners += [(f"panel:{p.id}", p.retention) for p in loaded.panels.values()]
    for where, rules in owners:
        for i, item in enumerate(rules):
            if parse_period(item.period) is None:
                number = re.match(r"^\s*(\d+)\s+(day|week|month|year)s?\s*$", item.period, re.IGNORECASE)
                if number and int(number.group(1)) > 999:
                    message = (f"'{item.period}' is longer than a retention period can be: at most 999 "
                               f"{number.group(2).lower()}s (information may be kept only as long as needed, "
                               "UK GDPR Art 5(1)(e))")
                else:
                    message = (f"'{item.period}' is not a finite period: information may be kept only as long as "
                               "needed (UK GDPR Art 5(1)(e))")
                loaded.report(where, ("retention", i, "period"), message,
                              hint="write a number and a unit, e.g. '6 years' or '18 months'")


@rule("Case Example 19; guidance 11.3", "a panel has at least two member agencies, and its chair is one of them")
def panel_membership(loaded: LoadedArea) -> None:
    for panel in loaded.panels.values():
        seats = loaded.members(panel.id)
        where = f"panel:{panel.id}"
        if len(seats) < 2:
            loaded.report(
                where, ("id",),
                f"a multi-agency panel needs at least two member agencies; {len(seats)} list it",
                hint=f"add '- panel: {panel.id}' under panels: in each member agency's profile",
            )
        seat_of = {agency.id: seat for agency, seat in seats}
        if panel.chair in loaded.agencies and panel.chair not in seat_of:
            loaded.report(
                where, ("chair",),
                f"the chair agency '{panel.chair}' does not list this panel in its profile",
                hint=f"add '- panel: {panel.id}' with role: chair to agencies/{panel.chair}.yaml",
            )
        elif panel.chair in seat_of and seat_of[panel.chair].role != "chair":
            loaded.report(where, ("chair",), f"'{panel.chair}' sits on the panel but not with role: chair")
        for agency, seat in seats:
            if seat.role == "chair" and agency.id != panel.chair:
                index = agency.panels.index(seat)
                loaded.report(
                    f"agency:{agency.id}", ("panels", index, "role"),
                    f"claims the chair of '{panel.id}', but the panel names '{panel.chair}' as chair",
                )
        if panel.chair in loaded.agencies and law.is_processor(loaded.agencies[panel.chair]):
            loaded.report(where, ("chair",), f"'{panel.chair}' is a processor: a panel is chaired by a controller")


def _special_panels(loaded: LoadedArea, agency: Agency) -> list[Panel]:
    return [loaded.panels[s.panel] for s in agency.panels
            if s.panel in loaded.panels and loaded.panels[s.panel].special_category_data]


@rule("UK GDPR Art 9; DPA 2018 Sch 1", "every party that shares special category data has an Art 9 condition for "
      "each way it shares (with agreement, and without it to protect a child)")
def special_category_conditions(loaded: LoadedArea) -> None:
    for panel in loaded.panels.values():
        if panel.special_category_conditions:
            loaded.report(f"panel:{panel.id}", ("special_category_conditions",),
                          "is no longer used: each party's Article 9 conditions are decided for that party, from its "
                          "kind or its own special_category_conditions", "warning", hint="remove it")
        health_members = [a.name for a, _ in loaded.members(panel.id) if a.sector in HEALTH_SECTORS]
        if health_members and "health" not in panel.special_category_data:
            loaded.report(
                f"panel:{panel.id}", ("special_category_data",),
                f"health bodies sit on this panel ({', '.join(health_members)}) but it does not list health "
                "information as shared",
                "warning", hint="add 'health' if health information is discussed",
            )
    as_of = _as_of(loaded)
    for agency in loaded.agencies.values():
        if law.is_processor(agency):
            continue
        where = f"agency:{agency.id}"
        for i, condition in enumerate(agency.special_category_conditions):
            allowed = law.SCHEDULE_FOR.get(condition.condition)
            if allowed is not None and condition.schedule is None:
                loaded.report(where, ("special_category_conditions", i, "schedule"),
                              f"Article 9(2)({condition.condition}) needs a condition in Schedule 1 to the Data "
                              "Protection Act 2018", hint=f"e.g. schedule: {sorted(allowed)[0]}")
            elif allowed is not None and condition.schedule not in allowed:
                loaded.report(where, ("special_category_conditions", i, "schedule"),
                              f"'{condition.schedule}' is not a Schedule 1 condition for Article 9(2)"
                              f"({condition.condition})", hint=f"use one of {', '.join(sorted(allowed))}")
        panels = _special_panels(loaded, agency)
        if not (agency.special_category_data or panels):
            continue
        codes = [use.basis for use in law.bases_of(agency, as_of or law.SAFEGUARDING_RLI_FROM)]
        conditions = agency.special_category_conditions or law.default_conditions(agency, codes)
        ways = law.covers(conditions)
        with_agreement = "consent" in codes or any(p.consent.approach != "not_sought" for p in panels)
        if law.WITHOUT_AGREEMENT not in ways:
            loaded.report(where, ("special_category_conditions",),
                          "has no Article 9 condition for sharing sensitive information without agreement, as it "
                          "may to protect a child", hint="add condition g with schedule "
                          f"{law.PARA_18} (safeguarding of children)")
        if with_agreement and law.WITH_AGREEMENT not in ways:
            loaded.report(where, ("special_category_conditions",),
                          "shares sensitive information with agreement but has no Article 9 condition for that "
                          "sharing (the safeguarding condition applies only where agreement cannot be sought)",
                          hint="add condition a (explicit consent), or h or g with a Schedule 1 condition")


@rule("guidance 11.3", "a panel of Case Example 19's kind seeks consent in advance")
def consent_in_advance(loaded: LoadedArea) -> None:
    for panel in loaded.panels.values():
        if panel.kind in ("complex_needs_funding", "early_help") and panel.consent.approach == "not_sought":
            loaded.report(
                f"panel:{panel.id}", ("consent", "approach"),
                "a panel of this kind works with families' agreement: consent should be sought in advance (11.3)",
                "warning",
            )
        if panel.kind == "complex_needs_funding" and not (panel.funding and panel.key_worker_reports):
            loaded.report(
                f"panel:{panel.id}", ("funding" if not panel.funding else "key_worker_reports",),
                "a joint funding panel should say how funding is decided and how key workers report (Case Example 19)",
                "warning",
            )


@rule("legislation register (purposes)", "a power chosen for a panel, and law a panel names, serve the panel's "
      "purposes")
def law_fits_the_panel(loaded: LoadedArea) -> None:
    register = _register(loaded)
    nation = _nation(loaded)
    for panel in loaded.panels.values():
        where = f"panel:{panel.id}"
        purposes = law.panel_purposes(panel)
        if not purposes:
            loaded.report(where, ("purposes",), "says nothing of what the panel's sharing is for, so no party's power "
                          "to share can be chosen for it and the protocol will list none", "warning",
                          hint="list its purposes, e.g. [child_protection, safeguarding_welfare]; see "
                          "'protocolgen schema panel'")
            continue
        for i, key in enumerate(panel.legislation):
            entry = register.get(key)
            if entry is not None and not law.serves(entry, purposes):
                loaded.report(where, ("legislation", i), f"{entry.citation} is for "
                              f"{_join(law.PURPOSE_NAMES[p] for p in entry.purposes)}, not for this panel's work, so "
                              "documents leave it out", "warning", hint="remove it, or add the purpose to purposes:")
        for agency, seat in loaded.members(panel.id):
            index = agency.panels.index(seat)
            for j, key in enumerate(seat.powers or ()):
                entry = register.get(key)
                if entry is None or law.serves(entry, purposes):
                    continue
                instead = law.nearest(register, purposes, _bodies(loaded, agency), nation, exclude=[key])
                loaded.report(
                    f"agency:{agency.id}", ("panels", index, "powers", j),
                    f"{entry.citation} is for {_join(law.PURPOSE_NAMES[p] for p in entry.purposes)}, which is not "
                    f"what {panel.name} does, so documents leave it out", "warning",
                    hint=_suggest_instead(instead, "a provision that fits:"),
                )


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items[:-1]) + (" or " if len(items) > 1 else "") + items[-1] if items else ""


@rule("UK GDPR Art 26", "joint controllers set out how they split their responsibilities")
def joint_controllers(loaded: LoadedArea) -> None:
    for panel in loaded.panels.values():
        where = f"panel:{panel.id}"
        if panel.controllers == "joint" and panel.joint_arrangement is None:
            loaded.report(where, ("joint_arrangement",), "joint controllers must set out their respective "
                          "responsibilities, and make the essence available to families (UK GDPR Art 26)",
                          hint="add joint_arrangement: with summary, contact_point and responsibilities")
        elif panel.controllers == "separate" and panel.joint_arrangement is not None:
            loaded.report(where, ("joint_arrangement",), "applies only when controllers: joint", "warning")
        arrangement = panel.joint_arrangement
        if arrangement is None or panel.controllers != "joint":
            continue
        members = {a.id for a, _ in loaded.members(panel.id)}
        named = [(("joint_arrangement", "contact_point"), arrangement.contact_point)]
        named += [(("joint_arrangement", "responsibilities", i, "party"), r.party)
                  for i, r in enumerate(arrangement.responsibilities)]
        for loc, ident in named:
            if ident in loaded.agencies and ident not in members:
                loaded.report(where, loc, f"'{ident}' does not sit on this panel")


@rule("UK GDPR Art 35; ICO data sharing code", "a panel says where its data protection impact assessment is recorded")
def panel_dpia(loaded: LoadedArea) -> None:
    for panel in loaded.panels.values():
        if panel.dpia is None:
            loaded.report(f"panel:{panel.id}", ("dpia",), "does not say where the panel's data protection impact "
                          "assessment is recorded; sharing sensitive information about children between agencies is "
                          "likely to need one (UK GDPR Art 35)", "warning",
                          hint="add dpia: its reference, who holds it and when it was last reviewed")


@rule("UK GDPR Art 13(1)(f), 14(1)(f)", "a service says whether it sends personal data outside the UK")
def transfers_stated(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if agency.transfers_outside_uk is None and not law.is_processor(agency):
            loaded.report(f"agency:{agency.id}", ("transfers_outside_uk",), "does not say whether personal data "
                          "goes outside the UK; its notice will say that it does not", "warning",
                          hint="write transfers_outside_uk: none, or list each transfer with its safeguard")


def _cited(loaded: LoadedArea) -> list[tuple[str, tuple[str | int, ...], str]]:
    cites: list[tuple[str, tuple[str | int, ...], str]] = []
    for a in loaded.agencies.values():
        where = f"agency:{a.id}"
        cites += [(where, ("statutory_basis", i, "key"), b.key) for i, b in enumerate(a.statutory_basis)]
        cites += [(where, ("uk_gdpr_bases", i, "obligation"), u.obligation) for i, u in enumerate(a.uk_gdpr_bases)
                  if u.obligation]
        cites += [(where, ("panels", i, "powers", j), k) for i, s in enumerate(a.panels) for j, k in
                  enumerate(s.powers or ())]
    for p in loaded.panels.values():
        cites += [(f"panel:{p.id}", ("legislation", i), k) for i, k in enumerate(p.legislation)]
    return cites


@rule("legislation register", "a profile citing a repealed, dormant, not yet in force, unchecked or other-nation "
      "provision is warned")
def cited_provisions_current(loaded: LoadedArea) -> None:
    as_of = _as_of(loaded)
    register = _register(loaded)
    nation = _nation(loaded)
    for where, loc, key in _cited(loaded):
        entry = register.get(key)
        if entry is None:
            continue
        if entry.status == "repealed":
            instead = ", ".join(f"{r.key} ({r.citation})" for r in loaded.register.replacements(key)) or "its successor"
            loaded.report(where, loc, f"'{key}' ({entry.citation}) is repealed", "warning", hint=f"cite instead: {instead}")
        elif entry.status == "dormant":
            loaded.report(where, loc, f"'{key}' ({entry.citation}) is on the statute book but has no effect, so "
                          "documents leave it out", "warning", hint=entry.status_note or "remove it")
        elif entry.status == "not_yet_in_force":
            loaded.report(
                where, loc, f"'{key}' ({entry.citation}) is enacted but not yet in force"
                + (f" on {as_of.isoformat()}" if as_of else ""),
                "warning", hint="documents will describe it as not yet in force; it cannot be relied on yet",
            )
        if not entry.verified:
            loaded.report(
                where, loc, f"'{key}' is not yet checked in the register, so documents leave it out", "warning",
                hint="check it on legislation.gov.uk and set verified: true in the area's legislation.yaml",
            )
        other_nation = {"england": "Wales", "wales": "England"}.get(nation)
        if other_nation and entry.extent == other_nation:
            agency = loaded.agencies.get(where.partition(":")[2]) if where.startswith("agency:") else None
            bodies = _bodies(loaded, agency) if agency else frozenset({"anyone"})
            instead = law.nearest(register, entry.purposes, bodies, nation, NATIONAL_EQUIVALENTS.get(key), [key]) \
                if entry.purposes else register.get(NATIONAL_EQUIVALENTS.get(key, ""))
            loaded.report(
                where, loc, f"'{key}' applies only in {other_nation}, but this area is in {nation.title()}",
                "warning", hint=_suggest_instead(instead, "the nearest provision here is"),
            )


@rule("completeness", "an agency that sits on no panel is noted (in an area that has panels)")
def agency_on_a_panel(loaded: LoadedArea) -> None:
    if not _has_panels(loaded):
        return  # a body on its own (no partnership): its own notice and consent form are all it needs
    for agency in loaded.agencies.values():
        if not agency.panels:
            loaded.report(
                f"agency:{agency.id}", ("panels",), "sits on no panel: it gets its own notice but appears in no protocol",
                "warning",
            )


@rule("completeness (protocols)", "an area with panels names what its protocols print: local authority areas, "
      "issuing body, document owner, reference prefix and where signed copies are kept")
def partnership_fields(loaded: LoadedArea) -> None:
    if loaded.area is None or not _has_panels(loaded):
        return  # a group on its own: its documents derive what they need (see models.PARTNERSHIP_FIELDS)
    for name in PARTNERSHIP_FIELDS:
        if name not in loaded.area.model_fields_set:
            loaded.report("area", (name,), "is required in an area with panels: every protocol prints it",
                          hint="see 'protocolgen schema area --format text'")


# Words in the kinds of record an agency keeps that point to special category information (UK GDPR Art 9(1)).
# Kept small on purpose: each is a plain sign of the category, and a warning, not an error, follows.
SPECIAL_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "health": ("health", "medical", "medication", "medicine", "allergy", "allergies", "disability", "disabilities",
               "disabled", "illness", "mental health", "diagnosis", "sexual health", "pregnancy"),
    "racial_or_ethnic_origin": ("ethnicity", "ethnic", "race", "racial"),
    "religious_or_philosophical_beliefs": ("religion", "religious", "faith", "beliefs"),
    "sex_life_or_sexual_orientation": ("sexual orientation", "sexuality", "sex life"),
    "genetic": ("genetic",),
    "biometric": ("biometric", "fingerprints", "facial recognition"),
    "political_opinions": ("political",),
    "trade_union_membership": ("trade union",),
}
_SPECIAL_PATTERNS = {
    category: re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
    for category, words in SPECIAL_CATEGORY_WORDS.items()
}


@rule("UK GDPR Art 9(1)", "an agency whose records mention special category information (health, ethnicity, "
      "religion, sexual orientation...) declares it in special_category_data")
def special_category_declared(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        declared = set(agency.special_category_data)
        found: dict[str, list[str]] = {}
        first: dict[str, int] = {}
        for i, kind in enumerate(agency.records.kinds):
            for category, pattern in _SPECIAL_PATTERNS.items():
                if category in declared:
                    continue
                for match in pattern.finditer(kind):
                    word = match.group(1).lower()
                    if word not in found.setdefault(category, []):
                        found[category].append(word)
                    first.setdefault(category, i)
        for category, words in found.items():
            quoted = ", ".join(f"'{w}'" for w in words)
            loaded.report(
                f"agency:{agency.id}", ("records", "kinds", first[category]),
                f"mentions {quoted}, which is {category.replace('_', ' ')} information, a special category (UK GDPR "
                "Art 9(1)), but special_category_data does not list it", "warning",
                hint=f"add {category} to special_category_data, so that the documents name a lawful condition for "
                "it; or reword the kind of record if it holds no such information",
            )


ADVICE = {
    "repealed": "repealed; cite instead: {instead}",
    "dormant": "on the statute book but of no effect; documents leave it out",
    "amended": "in force as amended; check that the profile's wording still fits the current text",
    "partly_repealed": "partly repealed; check that the part relied on is still in force",
    "not_yet_in_force": "enacted but not yet in force; it cannot be relied on yet",
}


def citations_to_review(loaded: LoadedArea) -> list[Diagnostic]:
    """Every citation in the profiles of a provision that is repealed, amended, partly repealed or not yet
    in force on the area's issue date, with what to do about it (``protocolgen legislation check``)."""
    as_of = _as_of(loaded)
    register = loaded.register.as_of(as_of) if as_of else loaded.register
    out = []
    for where, loc, key in _cited(loaded):
        entry = register.get(key)
        if entry is None or entry.status not in ADVICE:
            continue
        instead = ", ".join(r.key for r in register.replacements(key)) or "its successor"
        source = loaded.sources[where]
        out.append(Diagnostic(source.display, source.line_of(loc), format_loc(loc),
                              f"{key}: {ADVICE[entry.status].format(instead=instead)}", "warning"))
    return sorted(out, key=Diagnostic.sort_key)


# --- Welsh (issue 12) ---------------------------------------------------------------------------------------
# Reader-visible fields that only the protocols and the record of decisions print: they need Welsh only when
# the protocols are written in Welsh too (area.protocol_languages).
PROTOCOL_ONLY_FIELDS = {
    "Area": {"signed_copy_location", "other_agreements", "document_owner", "approver"},
    "Panel": {"dpia", "sends_by"},
    "Membership": {"sends_by"},
    "Agency": {"processing_contract"},
}


def _welsh_wanted(loaded: LoadedArea) -> tuple[bool, bool, set[str]]:
    """(panels' public documents in Welsh, protocols in Welsh, ids of agencies whose own documents are)."""
    area = loaded.area
    if area is None:
        return False, False, set()
    public = "cy" in area.languages
    protocols = "cy" in area.protocol_languages
    own = {a.id for a in loaded.agencies.values() if "cy" in (a.languages or area.languages)}
    return public, protocols, own


def _report_missing(loaded: LoadedArea, where: str, model: object, protocols: bool, prefix: tuple = ()) -> None:
    from pydantic import BaseModel

    from . import i18n

    assert isinstance(model, BaseModel)
    for loc, problem in i18n.missing_variants(model, "cy", prefix):
        owner = _owner_of(model, loc[len(prefix):])
        if not protocols and loc[-1] in PROTOCOL_ONLY_FIELDS.get(owner, ()):
            continue
        if problem == "missing":
            loaded.report(where, loc, "has no Welsh, so the Welsh documents would print the English here, marked as "
                          "English", "warning", hint=f"add {format_loc(loc)} with the Welsh of "
                          f"{format_loc((*loc[:-2], loc[-1]))}")
        else:
            loaded.report(where, loc, f"{problem}: each item's Welsh is needed, in the same order")


def _owner_of(model: object, loc: tuple) -> str:
    """The name of the model class that holds the field at ``loc`` (..., 'cy', field) under ``model``."""
    current = model
    for part in loc[:-2]:
        current = current[part] if isinstance(part, int) else getattr(current, part)  # type: ignore[index]
    return type(current).__name__


@rule("Welsh Language (Wales) Measure 2011; Welsh Language Standards", "in a bilingual area every text a reader "
      "sees has its Welsh (a missing Welsh variant is warned, naming the field), and an area in Wales publishes "
      "in Welsh")
def welsh_variants(loaded: LoadedArea) -> None:
    area = loaded.area
    if area is None:
        return
    public, protocols, own = _welsh_wanted(loaded)
    if area.nation == "wales" and not public and "area" in loaded.sources:
        loaded.report("area", ("languages",), "an area in Wales publishes its public documents in English only; "
                      "Welsh must be treated no less favourably than English (Welsh Language (Wales) Measure 2011)",
                      "warning", hint="add languages: [cy, en] and the Welsh of each profile's text (cy: ...)")
    if not (public or protocols or own):
        return
    if "area" in loaded.sources:
        _report_missing(loaded, "area", area, protocols)
    agencies = set(loaded.agencies) if public or protocols else own
    organisations = set()
    for ident in sorted(agencies):
        agency = loaded.agencies[ident]
        _report_missing(loaded, f"agency:{ident}", agency, protocols)
        if agency.organisation:
            organisations.add(agency.organisation)
    for ident in sorted(organisations):
        if f"organisation:{ident}" in loaded.sources and ident in loaded.organisations:
            _report_missing(loaded, f"organisation:{ident}", loaded.organisations[ident], protocols)
    if public or protocols:
        for ident, panel in sorted(loaded.panels.items()):
            _report_missing(loaded, f"panel:{ident}", panel, protocols)


@rule("Welsh Language (Wales) Measure 2011", "in Wales, Welsh is never listed as an 'other language' a notice can be "
      "asked for in: it is a language of the documents themselves")
def welsh_is_not_another_language(loaded: LoadedArea) -> None:
    from . import i18n

    area = loaded.area
    if area is None or (area.nation != "wales" and "cy" not in area.languages):
        return
    for agency in loaded.agencies.values():
        for index, name in enumerate(agency.notice.languages):
            if i18n.is_welsh_name(name):
                loaded.report(f"agency:{agency.id}", ("notice", "languages", index), f"'{name}' is not another "
                              "language here: notices in Wales are written in Welsh, and documents leave it out of "
                              "this list", "warning", hint="remove it")


@rule("message catalogues", "an area's own catalogue (locale/<lang>.po) is readable and keeps every placeholder; "
      "protocols are not asked for in Welsh, which the catalogue does not yet hold")
def welsh_catalogues(loaded: LoadedArea) -> None:
    from . import i18n

    area = loaded.area
    if area is None:
        return
    languages = {*area.languages, *area.protocol_languages}
    languages |= {lang for a in loaded.agencies.values() for lang in a.languages or ()}
    loaded.diagnostics.extend(i18n.check_area_catalogues(loaded.root, languages))
    if "cy" in area.protocol_languages and "area" in loaded.sources:
        loaded.report("area", ("protocol_languages",), "the protocols and the record of decisions to share are not "
                      "yet in the message catalogue, so protocolgen cannot write them in Welsh",
                      hint="leave protocol_languages out (English), as many Welsh partnerships sign in English")
