"""Synthetic areas for the benchmark: a county's worth of agencies and panels made from the example's profiles.

``make_area(dest, agencies, panels)`` writes a valid area folder (0 errors, 0 warnings under ``protocolgen
validate`` when every agency can be seated: see below) with a realistic mix of bodies:

- the county-wide services, once each, exactly as in the bundled example: the council's five services (one
  legal person, ``organisations/westmarsh-borough-council.yaml``), the police, the integrated care board, the
  acute, community and mental health trusts, probation;
- local providers cloned from the example's eight local profiles, in a county's proportions (maintained
  primary schools, academies, a few independent schools, GP practices, playgroups, voluntary groups, leisure
  centres and interpreters working under contract). Each clone gets its own place name, id, e-mail domain,
  web address and ICO registration number; everything else (bases, retention, contacts' roles...) is the
  example's, which is what makes the area valid under the current model;
- ``panels`` panels of the example's five kinds (child protection conference, complex needs, early help,
  hospital MDT, youth crime prevention; more of the first and third), each a locality's copy of the example's
  panel. The
  county-wide members of the example's panel sit on every copy (the chair among them); each local provider
  takes one seat, as member or adviser as its template does, on the least filled panel of a kind its template
  sits on, up to the panel's own size (drawn between 5 and 25 members).

If the panels cannot seat every provider (too few panels for the agencies asked), the rest sit on no panel and
``validate`` notes each with a warning ("sits on no panel"); ``SynthArea.unseated`` counts them. The default
500 / 40 seats everyone.

Same arguments, same bytes: nothing here is random.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parent.parent / "agency_profiles"

# The county-wide services: one each, whatever the size of the area.
COUNTY_WIDE = (
    "westmarsh-childrens-social-care", "westmarsh-housing", "westmarsh-send", "westmarsh-youth-justice",
    "westmarsh-youth-service", "fenmoor-police", "fenmoor-westmarsh-icb", "westmarsh-hospitals",
    "westmarsh-community-health", "fenmoor-mental-health", "westmarsh-probation",
)

# Local providers: the template profile, its share of the providers, the words that name it in the profile
# (replaced by the clone's own, longest first) and the pattern of the clone's id.
@dataclass(frozen=True)
class _Local:
    template: str
    weight: int  # out of 100
    names: tuple[tuple[str, str], ...]  # (text in the template, pattern with {Place} / {place})
    ident: str


LOCALS = (
    _Local("saltmeadow-primary", 30, (("Saltmeadow", "{Place}"), ("saltmeadow", "{place}")), "{place}-primary"),
    _Local("reedbank-academy", 18, (("Reedbank", "{Place}"), ("reedbank", "{place}")), "{place}-academy"),
    _Local("eldermere-house-school", 4, (("eldermerehouse", "{place}house"), ("Eldermere", "{Place}")),
           "{place}-house-school"),
    _Local("harbour-lane-surgery", 18, (("harbourlanesurgery", "{place}surgery"), ("Harbour Lane", "{Place}")),
           "{place}-surgery"),
    _Local("little-egrets-playgroup", 12, (("littleegrets", "{place}playgroup"), ("Little Egrets", "{Place}")),
           "{place}-playgroup"),
    _Local("the-landing-drop-in", 12, (("thelanding", "{place}youthhub"), ("The Landing", "The {Place} Youth Hub")),
           "{place}-youth-hub"),
    _Local("quayside-leisure", 3, (("Quayside", "{Place}"), ("quayside", "{place}")), "{place}-leisure"),
    _Local("clearword-interpreting", 3, (("Clearword", "{Place} Language"), ("clearword", "{place}language")),
           "{place}-language"),
)

PANEL_KINDS = ("child-protection-conference", "complex-needs", "early-help", "hospital-mdt", "youth-crime-prevention")
# The order panels are made in: every kind in the first five, then as a county has them (an early help panel
# and a child protection conference in most localities, fewer of the specialist panels).
PANEL_CYCLE = ("early-help", "child-protection-conference", "youth-crime-prevention", "hospital-mdt", "complex-needs",
               "early-help", "child-protection-conference", "early-help")
LOCALITIES = ("North", "South", "East", "West", "Central", "Coastal", "Rural", "Valley")

_PREFIXES = ("Ash", "Bram", "Cold", "Dun", "Elm", "Fen", "Gos", "Hal", "Ives", "Kirk", "Lang", "Mar", "Nor", "Oak",
             "Pen", "Rush", "Sand", "Thorn", "Wick", "Yar", "Bar", "Cal", "Dray", "Ever")
_SUFFIXES = ("by", "ford", "ham", "ley", "mere", "ton", "well", "wick", "field", "stead", "bridge", "combe", "dale",
             "holme", "worth", "thorpe")
_QUARTERS = ("", " Green", " Heath", " Vale", " Cross", " Hill", " End", " Park")

MIN_MEMBERS, MAX_MEMBERS = 5, 25


@dataclass
class SynthArea:
    """What ``make_area`` wrote."""

    root: Path
    agencies: int
    panels: int
    members: dict[str, int] = field(default_factory=dict)  # panel id -> number of members
    unseated: int = 0  # providers the panels had no room for (each a 'sits on no panel' warning)
    phone_agency: str = ""  # a provider whose general phone number the benchmark changes


def place_name(index: int) -> str:
    """The ``index``-th invented place name: 'Ashby', 'Bramford', ... then 'Ashby Green' and so on."""
    per_round = len(_PREFIXES) * len(_SUFFIXES)
    base = index % per_round
    name = _PREFIXES[base % len(_PREFIXES)] + _SUFFIXES[(base // len(_PREFIXES)) % len(_SUFFIXES)]
    return name + _QUARTERS[(index // per_round) % len(_QUARTERS)] + (
        f" {index // (per_round * len(_QUARTERS)) + 1}" if index >= per_round * len(_QUARTERS) else "")


def _slug(place: str) -> str:
    return "".join(ch for ch in place.lower() if ch.isalnum())


def _mix(count: int) -> Iterator[_Local]:
    """``count`` providers in the proportions of ``LOCALS``, interleaved (largest remainder, deterministic)."""
    total = sum(local.weight for local in LOCALS)
    made = dict.fromkeys(range(len(LOCALS)), 0)
    for n in range(1, count + 1):
        # the kind furthest behind its share so far goes next
        index = max(range(len(LOCALS)), key=lambda i: (LOCALS[i].weight * n / total - made[i], -i))
        made[index] += 1
        yield LOCALS[index]


def _read(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _write(path: Path, data: Any, header: str = "") -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(header + text, encoding="utf-8")


def _sizes(panels: int) -> list[int]:
    """Each panel's largest number of members, spread over MIN_MEMBERS..MAX_MEMBERS, most of them large."""
    span = MAX_MEMBERS - MIN_MEMBERS + 1
    return [MAX_MEMBERS - (index * 7) % span // 2 - (3 if index % 5 == 0 else 0) for index in range(panels)]


def make_area(dest: Path, agencies: int = 500, panels: int = 40) -> SynthArea:
    """Write a synthetic area of ``agencies`` agencies and ``panels`` panels into ``dest`` (emptied first)."""
    if agencies < len(COUNTY_WIDE) + len(LOCALS):
        raise ValueError(f"a synthetic area needs at least {len(COUNTY_WIDE) + len(LOCALS)} agencies")
    if panels < len(PANEL_KINDS):
        raise ValueError(f"a synthetic area needs at least {len(PANEL_KINDS)} panels, one of each kind")
    if dest.exists():
        shutil.rmtree(dest)
    for folder in ("agencies", "panels", "organisations"):
        (dest / folder).mkdir(parents=True)
    area = _read(EXAMPLE / "area.yaml")
    area["name"] = "Westmarsh and Fenmoor Safeguarding Children Partnership"
    _write(dest / "area.yaml", area, f"# A synthetic area for the benchmark: {agencies} agencies, {panels} panels.\n")
    for path in sorted((EXAMPLE / "organisations").glob("*.yaml")):
        shutil.copyfile(path, dest / "organisations" / path.name)

    # Panels: copies of the example's, one locality each.
    panel_ids: dict[str, list[str]] = {kind: [] for kind in PANEL_KINDS}
    capacity: dict[str, int] = {}
    members: dict[str, int] = {}
    sizes = _sizes(panels)
    panel_data: dict[str, dict[str, Any]] = {}
    for index in range(panels):
        kind = PANEL_CYCLE[index % len(PANEL_CYCLE)]
        round_ = sum(1 for earlier in range(index) if PANEL_CYCLE[earlier % len(PANEL_CYCLE)] == kind)
        locality = LOCALITIES[round_ % len(LOCALITIES)] + (f" {round_ // len(LOCALITIES) + 1}"
                                                            if round_ >= len(LOCALITIES) else "")
        ident = f"{kind}-{_slug(locality)}"
        data = _read(EXAMPLE / "panels" / f"{kind}.yaml")
        data["id"] = ident
        data["name"] = f"{data['name']} ({locality} locality)"
        panel_data[ident] = data
        panel_ids[kind].append(ident)
        capacity[ident] = sizes[index]
        members[ident] = 0

    # County-wide services sit on every copy of each panel they sit on in the example.
    for ident in COUNTY_WIDE:
        data = _read(EXAMPLE / "agencies" / f"{ident}.yaml")
        seats = []
        for seat in data.get("panels", []):
            for copy_id in panel_ids[seat["panel"]]:
                seats.append({**seat, "panel": copy_id})
                members[copy_id] += 1
        data["panels"] = seats
        _write(dest / "agencies" / f"{ident}.yaml", data)

    # Local providers: one seat each, on the least filled panel (by share of its size) of a kind they sit on.
    result = SynthArea(dest, agencies, panels)
    templates = {local.template: _read(EXAMPLE / "agencies" / f"{local.template}.yaml") for local in LOCALS}
    texts = {local.template: (EXAMPLE / "agencies" / f"{local.template}.yaml").read_text(encoding="utf-8")
             for local in LOCALS}
    for number, local in enumerate(_mix(agencies - len(COUNTY_WIDE))):
        place = place_name(number)
        words = {"Place": place, "place": _slug(place)}
        text = texts[local.template]
        for old, new in local.names:
            text = text.replace(old, new.format(**words))
        data = yaml.safe_load(text)
        ident = local.ident.format(place=place.lower().replace(" ", "-"))
        data["id"] = ident
        if isinstance(data.get("legal_entity"), dict):
            data["legal_entity"]["ico_registration"] = f"Z1{number:06d}"
        seats = []
        choices = [(members[p] / capacity[p], p, seat) for seat in templates[local.template].get("panels", [])
                   for p in panel_ids[seat["panel"]] if members[p] < capacity[p]]
        if choices:
            _share, panel_id, seat = min(choices, key=lambda c: (c[0], c[1]))
            seats.append({**copy.deepcopy(seat), "panel": panel_id})
            members[panel_id] += 1
        else:
            result.unseated += 1
        data["panels"] = seats
        if not seats:
            del data["panels"]
        if not result.phone_agency and local.template == "harbour-lane-surgery":
            result.phone_agency = ident
        _write(dest / "agencies" / f"{ident}.yaml", data)

    for ident, data in panel_data.items():
        _write(dest / "panels" / f"{ident}.yaml", data)
    result.members = members
    return result
