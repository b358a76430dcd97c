"""The guidance's rules, each written once, with the paragraph or provision it comes from.

Paragraph numbers refer to the 2005 cross-government guidance on sharing information about children
(``shared/guidance``); law is cited by section. Each rule is a small function registered in ``RULES``; it
reads a ``LoadedArea`` and reports through ``LoadedArea.report``. Rules skip what failed to load.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .area import LoadedArea
from .errors import Diagnostic
from .load import format_loc
from .models import HEALTH_SECTORS, SOCIAL_CARE_SECTORS, parse_period

# Duties and powers given only to bodies listed in the Act: a voluntary or private body cannot claim them
# for itself, unless it carries out a listed body's functions under contract (guidance 4.8).
LISTED_BODY_PROVISIONS = {
    "children-act-2004-s10": "Children Act 2004 s10 binds only the local authority and its listed relevant partners",
    "children-act-2004-s11": "Children Act 2004 s11 binds only the bodies listed in s11(1)",
    "crime-and-disorder-act-1998-s115": "only 'relevant authorities' may use Crime and Disorder Act 1998 s115",
}
SAFEGUARDING_RLI_FROM = date(2026, 2, 5)  # UK GDPR Art 6(1)(ea), Data (Use and Access) Act 2025 s70
PUBLIC_AUTHORITY_EXCLUDED = ("legitimate_interests", "recognised_legitimate_interest")
# The nearest provision of the other nation, offered when a profile cites law that does not apply in its area.
NATIONAL_EQUIVALENTS = {
    "children-act-2004-s11": "children-act-2004-s28",
    "children-act-2004-s10": "children-act-2004-s25",
    "children-act-2004-s16e": "ssw-wales-act-2014-s134",
    "working-together-2023": "wales-safeguarding-procedures",
}
NATIONAL_EQUIVALENTS |= {wales: england for england, wales in NATIONAL_EQUIVALENTS.items()}
SPECIAL_CATEGORY_CONDITIONS = {
    "uk-gdpr-art-9",
    "data-protection-act-2018-sch-1",
    "data-protection-act-2018-sch-1-para-6",
    "data-protection-act-2018-sch-1-para-10",
    "data-protection-act-2018-sch-1-para-18",
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


@rule("guidance 4.2, 4.7-4.9", "a statutory body names the legal basis on which it shares information")
def statutory_body_names_basis(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if agency.status == "statutory" and not agency.statutory_basis:
            loaded.report(
                f"agency:{agency.id}", ("statutory_basis",),
                "a statutory body must name the legal basis for its sharing (guidance 4.2, 4.7-4.9)",
                hint="add the register keys of its functions, e.g. children-act-2004-s11",
            )


@rule("guidance 4.8, 4.10", "a voluntary or private body does not claim duties laid only on listed bodies")
def voluntary_body_claims(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if agency.status == "statutory":
            if agency.contracted_by:
                loaded.report(
                    f"agency:{agency.id}", ("contracted_by",),
                    "only a voluntary or private body carries out another body's functions under contract (4.8)",
                    "warning",
                )
            continue
        contractor = loaded.agencies.get(agency.contracted_by or "")
        if contractor is not None and contractor.status != "statutory":
            loaded.report(
                f"agency:{agency.id}", ("contracted_by",),
                f"'{contractor.id}' is not a statutory body, so its functions give no statutory basis (4.8)",
            )
        if agency.contracted_by:
            continue
        for i, basis in enumerate(agency.statutory_basis):
            if basis.key in LISTED_BODY_PROVISIONS:
                loaded.report(
                    f"agency:{agency.id}", ("statutory_basis", i, "key"),
                    f"a {agency.status} body cannot rely on '{basis.key}': {LISTED_BODY_PROVISIONS[basis.key]}",
                    hint="a voluntary body needs no statutory basis to share (4.10); if it does this work under "
                    "contract to a statutory body, set contracted_by (4.8)",
                )


@rule("UK GDPR Art 6(1)", "public authorities use public task, not legitimate interests, for their functions")
def lawful_basis_fits_status(loaded: LoadedArea) -> None:
    as_of = _as_of(loaded)
    for agency in loaded.agencies.values():
        for i, basis in enumerate(agency.uk_gdpr_bases):
            where, loc = f"agency:{agency.id}", ("uk_gdpr_bases", i)
            if agency.status == "statutory" and basis in PUBLIC_AUTHORITY_EXCLUDED:
                loaded.report(
                    where, loc,
                    f"a public authority cannot use {basis} for processing in performance of its tasks "
                    "(UK GDPR Art 6(1), last paragraph)",
                    hint="use public_task",
                )
            if basis == "recognised_legitimate_interest" and as_of and as_of < SAFEGUARDING_RLI_FROM:
                loaded.report(
                    where, loc,
                    "the recognised legitimate interest basis (UK GDPR Art 6(1)(ea)) came into force on "
                    f"5 February 2026, after the area's issue date {as_of.isoformat()}",
                    hint="use legitimate_interests or consent for documents issued before then",
                )
            if agency.status != "statutory" and basis == "public_task" and not agency.contracted_by:
                loaded.report(
                    where, loc,
                    f"a {agency.status} body can rely on public task only when it carries out public functions",
                    "warning", hint="set contracted_by to the statutory body whose functions it carries out",
                )


@rule("guidance 8.7-8.9; NHS Caldicott principles", "health and social care bodies name a Caldicott guardian")
def caldicott_guardian(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if agency.sector in HEALTH_SECTORS | SOCIAL_CARE_SECTORS and agency.contacts.caldicott_guardian is None:
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


@rule("UK GDPR Art 9; DPA 2018 Sch 1", "a panel sharing special category data names a lawful condition")
def special_category_condition(loaded: LoadedArea) -> None:
    for panel in loaded.panels.values():
        if panel.special_category_data and not SPECIAL_CATEGORY_CONDITIONS & set(panel.special_category_conditions):
            loaded.report(
                f"panel:{panel.id}", ("special_category_conditions",),
                f"the panel shares {', '.join(panel.special_category_data)} information, which needs a condition "
                "under UK GDPR Art 9 and, for Art 9(2)(g), a Data Protection Act 2018 Sch 1 condition",
                hint="e.g. [uk-gdpr-art-9, data-protection-act-2018-sch-1-para-18]",
            )
        health_members = [a.name for a, _ in loaded.members(panel.id) if a.sector in HEALTH_SECTORS]
        if health_members and "health" not in panel.special_category_data:
            loaded.report(
                f"panel:{panel.id}", ("special_category_data",),
                f"health bodies sit on this panel ({', '.join(health_members)}) but it does not list health "
                "information as shared",
                "warning", hint="add 'health' if health information is discussed",
            )


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


def _cited(loaded: LoadedArea) -> list[tuple[str, tuple[str | int, ...], str]]:
    cites: list[tuple[str, tuple[str | int, ...], str]] = [
        (f"agency:{a.id}", ("statutory_basis", i, "key"), b.key)
        for a in loaded.agencies.values()
        for i, b in enumerate(a.statutory_basis)
    ]
    for p in loaded.panels.values():
        cites += [(f"panel:{p.id}", ("special_category_conditions", i), k) for i, k in enumerate(p.special_category_conditions)]
        cites += [(f"panel:{p.id}", ("legislation", i), k) for i, k in enumerate(p.legislation)]
    return cites


@rule("legislation register", "a profile citing a repealed, not yet in force, unchecked or other-nation provision is warned")
def cited_provisions_current(loaded: LoadedArea) -> None:
    as_of = _as_of(loaded)
    register = loaded.register.as_of(as_of) if as_of else loaded.register
    nation = loaded.area.nation if loaded.area else None
    for where, loc, key in _cited(loaded):
        entry = register.get(key)
        if entry is None:
            continue
        if entry.status == "repealed":
            instead = ", ".join(f"{r.key} ({r.citation})" for r in register.replacements(key)) or "its successor"
            loaded.report(where, loc, f"'{key}' ({entry.citation}) is repealed", "warning", hint=f"cite instead: {instead}")
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
        other_nation = {"england": "Wales", "wales": "England"}.get(nation or "")
        if nation and other_nation and entry.extent == other_nation:
            equivalent = NATIONAL_EQUIVALENTS.get(key)
            loaded.report(
                where, loc, f"'{key}' applies only in {other_nation}, but this area is in {nation.title()}",
                "warning", hint=f"the nearest provision here is {equivalent}" if equivalent in register else "",
            )


@rule("completeness", "an agency that sits on no panel is noted")
def agency_on_a_panel(loaded: LoadedArea) -> None:
    for agency in loaded.agencies.values():
        if not agency.panels:
            loaded.report(
                f"agency:{agency.id}", ("panels",), "sits on no panel: it gets its own notice but appears in no protocol",
                "warning",
            )


ADVICE = {
    "repealed": "repealed; cite instead: {instead}",
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
