"""``protocolgen init --agency``: a new area folder for a small group on its own (no partnership, no panels).

It writes ``area.yaml`` with only what such a group needs and one agency profile, the group itself, with its
legal entity and a data protection lead (a small voluntary group need not appoint a data protection officer,
UK GDPR Art 37). Every value is a plain example to replace, and the folder validates as written, with no
error and no warning, and builds the group's privacy notice and consent form. Comments in the files say what
each part is for; ``protocolgen schema agency --format text`` lists every field.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import law
from ..errors import ProtocolgenError
from ..models import _WINDOWS_RESERVED
from ..outdir import describe_os_error

DEFAULT_NAME = "Riverside Youth Club"


def slug(name: str, fallback: str = "our-group") -> str:
    """'St Anne's Youth Club' -> 'st-annes-youth-club': an id that is safe as a file name."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = re.split(r"[^a-z0-9]+", plain.replace("'", ""))
    ident = "-".join(w for w in words if w)[:64].strip("-")
    return ident if ident and ident not in _WINDOWS_RESERVED else fallback


def _text(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: any name the user gives is written safely.
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Starter:
    """The files written, relative to the new folder."""

    folder: Path
    area_file: Path
    agency_file: Path
    agency_id: str


def write_group_area(directory: Path, name: str = DEFAULT_NAME, on: date | None = None) -> Starter:
    """Write the starter area for a group named ``name``, dated ``on`` (default: today). Refuses a folder that
    exists and is not empty."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ProtocolgenError(f"{directory}: already exists and is not empty; choose a new folder")
    name = " ".join(name.split())
    if not name:
        raise ProtocolgenError("--name: give the group's name")
    on = on or date.today()
    ident = slug(name)
    domain = f"{ident}.example"
    area_text = AREA_TEMPLATE.format(name=_text(name), email=f"privacy@{domain}", date=on.isoformat())
    if on >= law.SAFEGUARDING_RLI_FROM:
        safeguarding = ("  - basis: recognised_legitimate_interest\n"
                        "    purpose: to pass on a worry that a child may be at risk of harm, with or without "
                        "agreement\n")
    else:  # the recognised legitimate interest basis came into force on 5 February 2026
        safeguarding = ("  - basis: legitimate_interests\n"
                        "    purpose: to pass on a worry that a child may be at risk of harm, with or without "
                        "agreement\n"
                        "    interests: protecting children from harm, which we have weighed against your "
                        "interests and rights\n")
    agency_text = AGENCY_TEMPLATE.format(ident=ident, name=_text(name), domain=domain, safeguarding=safeguarding)
    try:
        (directory / "agencies").mkdir(parents=True, exist_ok=True)
        area_file = directory / "area.yaml"
        agency_file = directory / "agencies" / f"{ident}.yaml"
        area_file.write_text(area_text, encoding="utf-8")
        agency_file.write_text(agency_text, encoding="utf-8")
    except OSError as error:
        raise ProtocolgenError(f"cannot write the new area: {describe_os_error(error, directory)}") from None
    return Starter(directory, area_file, agency_file, ident)


AREA_TEMPLATE = """\
# area.yaml for a group on its own: no partnership and no panels. protocolgen writes the group's own
# privacy notice and consent form. Replace every value with your own; every field, with its help, is listed
# by: protocolgen schema area --format text
name: {name}
nation: england  # or wales: whose law and guidance the documents state
contact:  # for questions and complaints about the documents
  role: Data Protection Lead
  email: {email}
issue_date: {date}  # the documents' date, YYYY-MM-DD; change it when you publish a new version
review_interval_months: 12  # the documents are reviewed this many months after their date
"""

AGENCY_TEMPLATE = """\
# The group itself. Replace every value with your own; every field, with its help, is listed by:
# protocolgen schema agency --format text
id: {ident}
name: {name}
sector: voluntary_community
status: voluntary
description: >-
  A club run by volunteers for children and young people aged 8 to 16, meeting twice a week for
  games, sport and trips.
legal_entity:
  name: {name}  # the legal name, e.g. of the charity or association that runs the group
  kind: community_group
  # A small voluntary group need not appoint a data protection officer (UK GDPR Art 37): it names a
  # data protection lead, who answers questions about people's information.
  data_protection_lead:
    role: Data Protection Lead
    email: privacy@{domain}
uk_gdpr_bases:
  - basis: consent
    purpose: to share information with other services when you have agreed
{safeguarding}transfers_outside_uk: none  # or list each service abroad that holds the information
contacts:
  safeguarding_lead:
    role: Designated Safeguarding Lead
    email: safeguarding@{domain}
records:
  kinds:
    - names, ages and contact details of children and their parents or carers
    - allergies and medical needs, so that we can keep children safe at sessions
    - attendance registers
    - notes of any worry about a child's safety, and what we did about it
  system: >-
    Paper registers kept in a locked cabinet, and a password-protected spreadsheet on the group's
    laptop.
  sharing_decisions: >-
    The safeguarding lead writes down each decision to share information, or not to share it, with the
    reasons, the date and who it was shared with.
# Medical needs and allergies are health information, a special category (UK GDPR Art 9(1)):
special_category_data:
  - health
security:
  - Paper records are kept in a locked cabinet that only the leaders can open.
  - The spreadsheet is protected by a password that only the leaders know.
  - Notes of worries about a child are seen only by the safeguarding lead.
retention:
  - records: registers and contact details
    period: 3 years
    starts: after the child stops coming to the group
  - records: notes of worries about a child's safety
    period: 25 years
    starts: from the child's date of birth
access_requests:
  how: >-
    Ask any leader, or email the data protection lead. You can see what we hold about you or your
    child, free of charge.
  contact:
    role: Data Protection Lead
    email: privacy@{domain}
"""
