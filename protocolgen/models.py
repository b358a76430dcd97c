"""The data model: pydantic v2 models for the three file formats and the legislation register.

Models only: no file I/O and no guidance rules here (those live in ``rules.py``). Every model forbids
unknown fields, so a misspelled key is an error rather than silently ignored data. Field descriptions are
the help text of ``protocolgen schema``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)

# --- shared scalar types -------------------------------------------------------------------------------

# XML 1.0 forbids most C0 control characters; a .docx cannot hold them, so they are refused at validation.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def _xml_safe(value: str) -> str:
    bad = _XML_FORBIDDEN.search(value)
    if bad:
        raise ValueError(
            f"contains the control character U+{ord(bad.group()):04X}, which a Word document cannot hold; "
            "delete it (it often comes from copying text out of another program)"
        )
    return value


def _safe_file_name(value: str) -> str:
    if value in _WINDOWS_RESERVED:
        raise ValueError(f"'{value}' cannot be used as a file name on Windows; choose another id")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_xml_safe)]
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64),
    AfterValidator(_safe_file_name),
    Field(description="Lower-case letters, digits and single hyphens, e.g. 'north-police'. Used as a file name."),
]
LegislationKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100),
    Field(description="A key of the legislation register, e.g. 'children-act-2004-s11'."),
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), AfterValidator(_xml_safe)
]
WebAddress = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$"), AfterValidator(_xml_safe)]
OptionalText = Annotated[str, AfterValidator(_xml_safe)]
# A document's date: review dates are computed from it by adding months, which must stay within the years a
# date can hold (9999), so dates past 9000 are refused at validation rather than crashing a build.
DocumentDate = Annotated[date, Field(ge=date(1900, 1, 1), le=date(9000, 12, 31))]


# Fields added for Welsh (the ``cy`` variants and the language settings) are left out of a model's dump while
# they hold their default, so an area that does not use them fingerprints exactly as before: upgrading
# protocolgen does not make its documents stale, and its manifest stays byte for byte the same.
_QUIET_WHEN_DEFAULT = ("cy", "languages", "bilingual", "protocol_languages")


class Strict(BaseModel):
    """Base for every file model: unknown fields are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_serializer(mode="wrap")
    def _quiet_defaults(self, handler: SerializerFunctionWrapHandler) -> object:
        data = handler(self)
        if isinstance(data, dict):
            fields = type(self).model_fields
            for name in _QUIET_WHEN_DEFAULT:
                if name in data and name in fields and \
                        getattr(self, name) == fields[name].get_default(call_default_factory=True):
                    del data[name]
        return data


# --- Welsh variants ---------------------------------------------------------------------------------------
# A bilingual area (languages: [cy, en]) gives the Welsh of every text a reader sees in a ``cy:`` mapping on
# the model that holds the English. Each variant names exactly the fields that have Welsh, so a misspelt key
# is an error; a field left out is reported by the rules (a warning naming it), never silently printed in
# English inside Welsh text. ``i18n.localise`` reads them.


class Variant(Strict):
    """Base of the Welsh variants (``cy:``): the Welsh of the reader-visible text fields beside it."""


def _welsh(what: str = "") -> Any:
    return Field(None, description=f"The Welsh of {what or 'the field of the same name'}.")


WelshList = list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_xml_safe)]]


# --- vocabularies ---------------------------------------------------------------------------------------

Nation = Literal["england", "wales"]
Status = Literal["statutory", "voluntary", "private"]
Sector = Literal[
    "childrens_social_care",
    "police",
    "nhs_community_trust",
    "nhs_acute_trust",
    "integrated_care_board",
    "gp_practice",
    "maintained_school",
    "academy",
    "independent_school",
    "early_years",
    "youth_offending_team",
    "probation",
    "housing",
    "leisure",
    "youth_service",
    "camhs",
    "adult_mental_health",
    "voluntary_community",
    "interpreting_service",
    "local_health_board",
    "nhs_trust_wales",
    "childrens_services",
    "childrens_home",
    "cafcass",
    "other",
]
HEALTH_SECTORS = frozenset(
    {"nhs_community_trust", "nhs_acute_trust", "integrated_care_board", "gp_practice", "camhs", "adult_mental_health",
     "local_health_board", "nhs_trust_wales"}
)
EDUCATION_SECTORS = frozenset({"maintained_school", "academy", "independent_school", "early_years"})
CRIME_SECTORS = frozenset({"police", "youth_offending_team", "probation"})
# "Children's services" is what Welsh councils call their social services for children.
SOCIAL_CARE_SECTORS = frozenset({"childrens_social_care", "childrens_services"})

Role = Literal["chair", "member", "adviser"]
PanelKind = Literal[
    "complex_needs_funding",
    "early_help",
    "youth_crime_prevention",
    "strategy_discussion",
    "child_protection_conference",
    "mappa",
    "hospital_mdt",
    "marac",
    "child_exploitation",
    "other",
]
SpecialCategory = Literal[
    "health",
    "racial_or_ethnic_origin",
    "religious_or_philosophical_beliefs",
    "sex_life_or_sexual_orientation",
    "genetic",
    "biometric",
    "political_opinions",
    "trade_union_membership",
]
GdprBasis = Literal[
    "public_task",
    "legal_obligation",
    "vital_interests",
    "consent",
    "legitimate_interests",
    "recognised_legitimate_interest",
    "contract",
]
ConsentApproach = Literal["sought_in_advance", "sought_at_referral", "not_sought"]
# The legal person behind a service: what kind of body it is in law.
OrganisationKind = Literal[
    "local_authority",
    "police",
    "nhs_body",
    "gp_practice",
    "school",
    "academy_trust",
    "government_department",
    "charity",
    "company",
    "community_group",
    "other",
]
# A body that carries out another's work under contract either acts only on the other's instructions (a
# processor, UK GDPR Art 28) or decides for itself why and how it uses the information (an independent controller).
ContractRole = Literal["processor", "independent_controller"]
Art9Point = Literal["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
ProvisionRequirement = Literal["no", "by_law", "by_contract"]
Controllership = Literal["separate", "joint"]
Extent = Literal["England", "Wales", "E+W", "UK"]
LegislationKind = Literal["duty", "power", "gateway", "framework", "guidance", "regulator"]
# dormant: on the statute book but of no effect (e.g. Children Act 2004 s12, whose database was shut down in 2010):
# never presented as law a party relies on.
LegislationStatus = Literal["in_force", "not_yet_in_force", "repealed", "partly_repealed", "amended", "dormant"]
# What a provision is for. A party's power to share is presented at a panel only where the provision serves
# one of the panel's purposes (panels take theirs from their kind, or list them).
Purpose = Literal[
    "child_protection",  # enquiries, plans and reports where a child may be suffering significant harm
    "children_in_need",  # assessing and meeting the needs of children in need (care and support in Wales)
    "safeguarding_welfare",  # the general duties to safeguard and promote children's welfare
    "cooperation",  # partnership and co-operation arrangements to improve children's well-being
    "crime_and_disorder",  # reducing crime and disorder
    "youth_justice",  # preventing offending by children and young people
    "offender_management",  # managing the risk posed by offenders (MAPPA)
    "domestic_abuse",  # domestic abuse, sexual violence and violence against women
    "care_leavers",  # looked-after children and young people leaving care
    "education",  # schools' and education authorities' functions (registers, attendance, special needs)
    "youth_support",  # youth support services and participation in education or training
    "health_care",  # commissioning and providing health care
]
# The kinds of body a provision is laid on (register ``laid_on``). Besides kinds of body: ``statutory`` is any
# statutory body, ``voluntary`` and ``private`` any such organisation, ``contractor`` a body that provides
# services under arrangements with a body the provision names, and ``anyone`` everybody.
BodyType = Literal[
    "local_authority",
    "housing_authority",
    "police",
    "integrated_care_board",
    "nhs_trust",
    "local_health_board",
    "nhs_trust_wales",
    "gp_practice",
    "probation",
    "youth_offending_team",
    "prison",
    "maintained_school",
    "academy",
    "independent_school",
    "further_education",
    "early_years",
    "childrens_home",
    "cafcass",
    "statutory",
    "voluntary",
    "private",
    "contractor",
    "anyone",
]

class ContactCy(Variant):
    role: Text | None = _welsh("the job title or team")
    address: Text | None = _welsh("the postal address")


class RetentionCy(Variant):
    records: Text | None = _welsh()
    period: Text | None = _welsh("the period, e.g. '6 blynedd'")
    starts: Text | None = _welsh()
    disposal: Text | None = _welsh()


class LegalBasisCy(Variant):
    note: Text | None = _welsh()


class LegalEntityCy(Variant):
    name: Text | None = _welsh("the legal name, where it has one in Welsh")
    address: Text | None = _welsh("the address")


class BasisUseCy(Variant):
    purpose: Text | None = _welsh()
    interests: Text | None = _welsh()


class ConditionUseCy(Variant):
    when: Text | None = _welsh()


class TransferCy(Variant):
    to: Text | None = _welsh()
    safeguard: Text | None = _welsh()


class ProvidingInformationCy(Variant):
    consequences: Text | None = _welsh()


class RecordsCy(Variant):
    kinds: WelshList | None = _welsh("each kind of record, in the same order")
    system: Text | None = _welsh()
    sharing_decisions: Text | None = _welsh()


class AccessRequestsCy(Variant):
    how: Text | None = _welsh()
    response_time: Text | None = _welsh()


class NoticeNeedsCy(Variant):
    formats: WelshList | None = _welsh("each format, in the same order")
    languages: WelshList | None = _welsh("each language's name, in the same order")


class MembershipCy(Variant):
    representative: Text | None = _welsh()
    shares: WelshList | None = _welsh("each item, in the same order")
    sends_by: Text | None = _welsh()


class AgencyCy(Variant):
    name: Text | None = _welsh("the agency's name")
    description: Text | None = _welsh()
    automated_decisions: Text | None = _welsh()
    security: WelshList | None = _welsh("each security measure, in the same order")
    processing_contract: Text | None = _welsh()


class ResponsibilityCy(Variant):
    does: Text | None = _welsh()


class JointArrangementCy(Variant):
    summary: Text | None = _welsh()


class ConsentCy(Variant):
    how: Text | None = _welsh()
    override: Text | None = _welsh()


class PanelCy(Variant):
    name: Text | None = _welsh("the panel's name")
    purpose: Text | None = _welsh()
    information_shared: WelshList | None = _welsh("each item, in the same order")
    information_level: Text | None = _welsh()
    secondary_sharing: Text | None = _welsh()
    recording: Text | None = _welsh()
    security: WelshList | None = _welsh("each security measure, in the same order")
    meeting_frequency: Text | None = _welsh()
    how_families_are_told: Text | None = _welsh()
    young_people_summary: WelshList | None = _welsh("each item, in the same order")
    sends_by: Text | None = _welsh()
    dpia: Text | None = _welsh()
    funding: Text | None = _welsh()
    key_worker_reports: Text | None = _welsh()


class AreaCy(Variant):
    name: Text | None = _welsh("the partnership's name")
    local_authority_areas: WelshList | None = _welsh("each council's name, in the same order")
    issuing_body: Text | None = _welsh()
    document_owner: Text | None = _welsh()
    approver: Text | None = _welsh()
    signed_copy_location: Text | None = _welsh()
    other_agreements: WelshList | None = _welsh("each agreement, in the same order")


Language = Literal["en", "cy"]
# one_document: Welsh and English in one document, in the order of ``languages`` (the Welsh Language Standards
# prefer Welsh first); separate_documents: a document per language, each linking to the other at the top.
BilingualLayout = Literal["one_document", "separate_documents"]


def _unique_languages(value: list[str] | None) -> list[str] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("names a language twice")
    return value


Languages = Annotated[list[Language], Field(min_length=1), AfterValidator(_unique_languages)]


def _english() -> list[Language]:
    return ["en"]

CY_FIELD = "cy"
_CY_HELP = "The Welsh of this entry's reader-visible text (for areas whose languages include cy)."


# --- shared parts ----------------------------------------------------------------------------------------


class Contact(Strict):
    """A way to reach a person or team. Give a job title or team rather than a private individual's name."""

    role: Text = Field(description="Job title or team, e.g. 'Data Protection Officer'.")
    name: Text | None = Field(None, description="A named person, if the agency publishes one.")
    email: Email | None = None
    phone: Text | None = None
    address: Text | None = Field(None, description="Postal address on one line.")
    cy: ContactCy | None = Field(default=None, description=_CY_HELP)

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.email or self.phone or self.address):
            raise ValueError("a contact needs at least one of email, phone or address")
        return self


class Retention(Strict):
    """How long one kind of record is kept. The period must be finite, e.g. '6 years' or '18 months'."""

    records: Text = Field(description="The kind of record, e.g. 'panel minutes'.")
    period: Text = Field(description="A finite period: a number and days, weeks, months or years, e.g. '6 years'.")
    starts: Text = Field(description="When the period starts, e.g. 'after the case is closed'.")
    disposal: Text = Field("securely destroyed", description="What happens at the end of the period.")
    cy: RetentionCy | None = Field(default=None, description=_CY_HELP)


_PERIOD = re.compile(r"^(\d{1,3})\s+(day|week|month|year)s?$", re.IGNORECASE)


def parse_period(text: str) -> tuple[int, str] | None:
    """'6 years' -> (6, 'year'); None when the text is not a finite period."""
    match = _PERIOD.match(text.strip())
    if not match or int(match.group(1)) == 0:
        return None
    return int(match.group(1)), match.group(2).lower()


def _basis_shorthand(value: object) -> object:
    # A bare register key is accepted as shorthand for {key: ...}.
    return {"key": value} if isinstance(value, str) else value


class LegalBasis(Strict):
    """A register key the agency relies on, with the function it serves."""

    key: LegislationKey
    note: Text | None = Field(None, description="The function this provision serves for the agency.")
    cy: LegalBasisCy | None = Field(default=None, description=_CY_HELP)


IcoNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^Z[A-Z0-9][0-9]{6}$"),
    Field(description="The number of the body's entry in the ICO's register of fee payers, e.g. 'Z1234567' or "
          "'ZA123456'."),
]


class LegalEntity(Strict):
    """The legal person behind one or more services: the controller (UK GDPR Art 4(7)) that signs protocols,
    answers for the information and appoints the data protection officer."""

    name: Text = Field(description="The legal name, e.g. 'Westmarsh Borough Council' or 'The Landing Youth Trust'.")
    kind: OrganisationKind | None = Field(None, description="What kind of body it is in law.")
    ico_registration: IcoNumber | None = None
    data_protection_officer: Contact | None = Field(
        None, description="Required for public authorities (UK GDPR Art 37(1)(a)); others may appoint one."
    )
    data_protection_lead: Contact | None = Field(
        None, description="For a body that need not appoint a data protection officer: who handles data "
        "protection questions instead."
    )
    address: Text | None = Field(None, description="Its registered or main postal address, on one line.")
    website: WebAddress | None = None
    complaints: Contact | None = Field(
        None, description="Where people complain to the body about its use of their information (its data "
        "protection complaints procedure). Left out, the data protection officer or lead takes complaints."
    )
    charity_number: Text | None = Field(None, description="Registered charity number, if any.")
    company_number: Text | None = Field(None, description="Companies House number, if any.")
    cy: LegalEntityCy | None = Field(default=None, description=_CY_HELP)


class Organisation(LegalEntity):
    """organisations/<id>.yaml: a legal person that several services share (for example a council)."""

    id: Slug


def _string_shorthand(field: str) -> Callable[[object], object]:
    def expand(value: object) -> object:
        return {field: value} if isinstance(value, str) else value

    return expand


class BasisUse(Strict):
    """One UK GDPR Article 6 lawful basis and what the service uses it for. A bare name is shorthand."""

    basis: GdprBasis
    purpose: Text | None = Field(None, description="What the service uses this basis for, in plain words.")
    obligation: LegislationKey | None = Field(
        None, description="For legal_obligation: the register key of the law that imposes it (Art 6(3))."
    )
    interests: Text | None = Field(
        None, description="For legitimate_interests: the interests pursued, as the notice states them (Art 13(1)(d))."
    )
    cy: BasisUseCy | None = Field(default=None, description=_CY_HELP)


class ConditionUse(Strict):
    """A condition for special category data (UK GDPR Art 9(2)) and when the service relies on it."""

    condition: Art9Point = Field(description="The point of Article 9(2), e.g. 'h' or 'g'.")
    schedule: LegislationKey | None = Field(
        None, description="The Data Protection Act 2018 Schedule 1 paragraph it needs (for points b, g, h, i, j)."
    )
    when: Text = Field(description="When it applies, e.g. 'sharing without agreement to protect a child'.")
    cy: ConditionUseCy | None = Field(default=None, description=_CY_HELP)


def _none_means_empty(value: object) -> object:
    return [] if isinstance(value, str) and value.strip().lower() == "none" else value


class Transfer(Strict):
    """Personal data sent outside the UK (UK GDPR Chapter V)."""

    to: Text = Field(description="Where it goes, e.g. 'a cloud service hosted in Ireland'.")
    safeguard: Text = Field(description="The legal safeguard, e.g. 'UK adequacy regulations (EEA)'.")
    cy: TransferCy | None = Field(default=None, description=_CY_HELP)


class ProvidingInformation(Strict):
    """Whether people must give the information (Art 13(2)(e)), and what happens if they do not."""

    required: ProvisionRequirement = Field(
        "no", description="no, by_law (a statutory requirement) or by_contract (a contractual one)."
    )
    law: LegislationKey | None = Field(None, description="For by_law: the register key of the requirement.")
    consequences: Text | None = Field(None, description="What happens if the information is not given.")
    cy: ProvidingInformationCy | None = Field(default=None, description=_CY_HELP)


class Audience(Strict):
    """Who the service's forms are for: their ages, and whether young people come on their own."""

    min_age: int = Field(0, ge=0, le=25)
    max_age: int = Field(18, ge=0, le=25)
    young_people_on_their_own: bool = Field(
        False, description="Young people use the service without a parent, so forms are addressed to them."
    )
    anonymous: bool = Field(False, description="People may use the service without giving their name or address.")


class Records(Strict):
    """What the agency records about children and how (guidance 4.33)."""

    kinds: list[Text] = Field(min_length=1, description="The kinds of information recorded.")
    system: Text = Field(description="How records are kept, e.g. 'an electronic case record system'.")
    sharing_decisions: Text = Field(
        description="How a decision to share, or not to share, is recorded, with its reasons (4.33)."
    )
    cy: RecordsCy | None = Field(default=None, description=_CY_HELP)


class AccessRequests(Strict):
    """How people see their own records (guidance 4.34)."""

    how: Text = Field(description="How to ask, in plain words.")
    contact: Contact
    response_time: Text = Field("one month", description="How soon a request is answered.")
    cy: AccessRequestsCy | None = Field(default=None, description=_CY_HELP)


class NoticeNeeds(Strict):
    """Formats and languages the agency's public notices must be available in."""

    formats: list[Text] = Field(default_factory=list, description="e.g. 'large print', 'easy read', 'audio'.")
    languages: list[Text] = Field(default_factory=list, description="Languages other than English.")
    cy: NoticeNeedsCy | None = Field(default=None, description=_CY_HELP)


class AgencyContacts(Strict):
    data_protection_officer: Contact | None = Field(
        None, description="Kept for areas written before organisations: the controller's officer now belongs to "
        "the organisation (organisations/<id>.yaml or legal_entity)."
    )
    caldicott_guardian: Contact | None = Field(
        None, description="Required for health and social care bodies (NHS confidentiality guardian)."
    )
    safeguarding_lead: Contact = Field(description="The designated safeguarding lead.")
    general: Contact | None = Field(None, description="Where the public can reach the agency.")


class Membership(Strict):
    """The agency's seat on a panel. Panel membership is recorded here only, never in panel files."""

    panel: Slug
    role: Role
    representative: Text = Field(description="The job title of the person who attends.")
    powers: list[LegislationKey] | None = Field(
        None, description="The register keys of the provisions the agency relies on at this panel. Left out, "
        "those of its statutory_basis that serve the panel's purposes are chosen."
    )
    shares: list[Text] = Field(default_factory=list, description="What this agency brings to the panel.")
    sends_by: Text | None = Field(None, description="How it sends information to the panel, if not as the panel says.")
    cy: MembershipCy | None = Field(default=None, description=_CY_HELP)


# --- the three file formats -------------------------------------------------------------------------------


class Agency(Strict):
    """agencies/<id>.yaml: one agency."""

    id: Slug
    name: Text
    sector: Sector
    status: Status = Field(description="statutory, voluntary or private.")
    description: Text = Field(description="One or two plain sentences on what the agency does for children.")
    website: WebAddress | None = None
    organisation: Slug | None = Field(
        None, description="The id of the legal person (organisations/<id>.yaml) this service belongs to, e.g. the "
        "council for each of its services."
    )
    legal_entity: LegalEntity | None = Field(
        None, description="The legal person, written here when no other service shares it."
    )
    statutory_basis: list[Annotated[LegalBasis, BeforeValidator(_basis_shorthand)]] = Field(
        default_factory=list,
        description="Register keys for the agency's legal basis to share (statutory bodies: 4.2, 4.7-4.9).",
    )
    contracted_by: Slug | None = Field(
        None, description="The agency whose work this body carries out under contract (4.8)."
    )
    contract_role: ContractRole | None = Field(
        None, description="With contracted_by: 'processor' (acts only on the other's instructions, UK GDPR Art 28; "
        "the default) or 'independent_controller' (decides for itself how it uses the information)."
    )
    processing_contract: Text | None = Field(
        None, description="For a processor: the written contract under UK GDPR Art 28, e.g. its name and reference."
    )
    uk_gdpr_bases: list[Annotated[BasisUse, BeforeValidator(_string_shorthand("basis"))]] = Field(
        default_factory=list,
        description="UK GDPR Article 6 bases, each with what it is used for. Left empty, public_task is used for "
        "statutory bodies.",
    )
    special_category_conditions: list[ConditionUse] = Field(
        default_factory=list,
        description="Article 9 conditions and when each applies. Left empty, they follow from the body's kind.",
    )
    transfers_outside_uk: Annotated[list[Transfer] | None, BeforeValidator(_none_means_empty)] = Field(
        None, description="'none', or each transfer of personal data outside the UK with its safeguard."
    )
    automated_decisions: Text | None = Field(
        None, description="Any decision made about people by automated means alone, including profiling. Left out: "
        "none."
    )
    providing_information: ProvidingInformation = Field(default_factory=ProvidingInformation)
    audience: Audience = Field(default_factory=Audience)
    law_enforcement_processing: bool = Field(
        False, description="Processes for law enforcement purposes under Part 3 of the Data Protection Act 2018."
    )
    contacts: AgencyContacts
    records: Records
    security: list[Text] = Field(min_length=1)
    retention: list[Retention] = Field(min_length=1)
    access_requests: AccessRequests
    special_category_data: list[SpecialCategory] = Field(default_factory=list)
    criminal_offence_data: bool = False
    notice: NoticeNeeds = Field(default_factory=NoticeNeeds)
    consent_review_months: int = Field(12, ge=1, le=36, description="How often the agency checks a family's "
                                       "agreement with them (months). Not the document's review.")
    panels: list[Membership] = Field(default_factory=list)
    languages: Languages | None = Field(
        None, description="The languages of this agency's own notice and consent form, first one first, e.g. [cy, en]. "
        "Left out, the area's languages."
    )
    cy: AgencyCy | None = Field(default=None, description=_CY_HELP)

    @property
    def is_health(self) -> bool:
        return self.sector in HEALTH_SECTORS

    @property
    def is_education(self) -> bool:
        return self.sector in EDUCATION_SECTORS

    @property
    def is_crime(self) -> bool:
        return self.sector in CRIME_SECTORS


class Responsibility(Strict):
    """Under a joint controller arrangement: which party does what."""

    party: Slug = Field(description="The id of the agency (service) that does it.")
    does: Text = Field(description="What it is responsible for, e.g. 'answers requests to see panel records'.")
    cy: ResponsibilityCy | None = Field(default=None, description=_CY_HELP)


class JointArrangement(Strict):
    """How joint controllers split their responsibilities (UK GDPR Art 26)."""

    summary: Text = Field(description="The essence of the arrangement, as families are told it (Art 26(2)).")
    contact_point: Slug = Field(description="The id of the agency families contact about their information.")
    responsibilities: list[Responsibility] = Field(min_length=1)
    cy: JointArrangementCy | None = Field(default=None, description=_CY_HELP)


class Consent(Strict):
    """How the panel seeks consent and when it may go ahead without it (11.3; 4.17, 4.20)."""

    approach: ConsentApproach
    how: Text = Field(description="How consent is sought and recorded, in plain words.")
    override: Text = Field(description="When the panel may share without consent, or against a refusal.")
    review_months: int = Field(12, ge=1, le=36, description="How often a family's agreement is checked with them "
                               "(months). Not the document's review.")
    cy: ConsentCy | None = Field(default=None, description=_CY_HELP)


class Panel(Strict):
    """panels/<id>.yaml: one multi-agency panel. Members come from the agencies' profiles."""

    id: Slug
    name: Text
    kind: PanelKind
    purpose: Text
    purposes: list[Purpose] = Field(
        default_factory=list, description="What the panel's sharing is for; left out, they follow from its kind. "
        "A party's power to share is shown only where it serves one of them."
    )
    chair: Slug = Field(description="The id of the agency that chairs the panel.")
    controllers: Controllership = Field(
        "separate", description="'separate' (each party a controller of what it holds) or 'joint' (the members "
        "decide together why and how the panel's information is used, UK GDPR Art 26)."
    )
    joint_arrangement: JointArrangement | None = Field(None, description="Required when controllers is 'joint'.")
    dpia: Text | None = Field(None, description="Where the data protection impact assessment for the panel is "
                              "recorded, e.g. its reference, owner and date.")
    sends_by: Text | None = Field(None, description="How members send information to and from the panel.")
    young_people_summary: list[Text] = Field(
        default_factory=list, description="What the panel knows about a young person, in words written for them."
    )
    audience: Audience = Field(default_factory=Audience)
    notice: NoticeNeeds | None = Field(
        None, description="The formats and languages the panel's own notice is offered in. Where either list is "
        "left out, the notice offers every format (or language) its members' notices are offered in."
    )
    information_shared: list[Text] = Field(min_length=1, description="What information is shared.")
    information_level: Text = Field(description="At what level of detail it is shared.")
    secondary_sharing: Text = Field(description="How far it is shared on, within and between agencies.")
    recording: Text = Field(description="How information and decisions are recorded.")
    security: list[Text] = Field(min_length=1)
    retention: list[Retention] = Field(min_length=1)
    consent: Consent
    meeting_frequency: Text
    how_families_are_told: Text
    special_category_data: list[SpecialCategory] = Field(default_factory=list)
    special_category_conditions: list[LegislationKey] = Field(
        default_factory=list,
        description="Register keys of the lawful condition for special category data, e.g. "
        "'uk-gdpr-art-9' and 'data-protection-act-2018-sch-1-para-18'.",
    )
    criminal_offence_data: bool = False
    legislation: list[LegislationKey] = Field(
        default_factory=list, description="Further register keys the panel relies on (e.g. guidance)."
    )
    funding: Text | None = Field(None, description="For joint funding panels: how funding decisions are made.")
    key_worker_reports: Text | None = Field(None, description="For Case Example 19 panels: key worker reports.")
    cy: PanelCy | None = Field(default=None, description=_CY_HELP)


class Area(Strict):
    """area.yaml: the partnership that issues the documents."""

    name: Text = Field(description="The partnership's name.")
    local_authority_areas: list[Text] = Field(min_length=1)
    nation: Nation
    issuing_body: Text
    contact: Contact = Field(description="For questions and complaints about the documents.")
    document_owner: Text = Field(description="The job title of the person who owns the documents.")
    issue_date: DocumentDate = Field(description="The documents' date. Never 'today': builds must be repeatable.")
    review_interval_months: int = Field(ge=1, le=36, description="How often the documents are reviewed; the next "
                                        "review is this many months after a document's issue date.")
    next_review_date: DocumentDate | None = Field(
        None, description="The next review of every document, when it should not be issue date + interval."
    )
    approver: Text | None = Field(None, description="The job title (or board) that approves the documents for issue.")
    protective_marking: Text = Field("OFFICIAL", description="The Government Security Classification printed on "
                                     "every document, e.g. 'OFFICIAL' or 'OFFICIAL-SENSITIVE'.")
    reference_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$", max_length=24)] = Field(
        description="Prefix of document references, e.g. 'WSCP-ISP'."
    )
    signed_copy_location: Text = Field(description="Where the signed copy of each protocol is kept.")
    website: WebAddress | None = None
    other_agreements: list[Text] = Field(
        default_factory=list, description="The area's other agreements this protocol sits beside."
    )
    languages: Languages = Field(
        default_factory=_english, description="The languages of the public documents (notices, young people's "
        "versions, consent forms and their web pages), first one first: [cy, en] writes Welsh first, as the Welsh "
        "Language Standards prefer."
    )
    bilingual: BilingualLayout = Field(
        "one_document", description="With two languages: 'one_document' (each language in turn in one document, "
        "with a title in both) or 'separate_documents' (a document per language, each linking to the other)."
    )
    protocol_languages: Languages = Field(
        default_factory=_english, description="The languages of the protocols and the record of decisions to "
        "share, which the member agencies sign and use. Default English only, as many Welsh partnerships sign in "
        "English."
    )
    cy: AreaCy | None = Field(default=None, description=_CY_HELP)


class LaidOn(Strict):
    """Who a provision is laid on, and what it asks of (or allows) them, in plain words."""

    bodies: list[BodyType] = Field(min_length=1, description="The kinds of body, e.g. [local_authority].")
    role: Text = Field(description="What the provision asks of, or lets, these bodies do, e.g. 'makes the "
                       "enquiries needed to decide whether to act'. Printed beside a party's power to share.")


class RegulatorDetails(Strict):
    """How the public reaches the data protection regulator (for ``kind: regulator`` entries)."""

    name: Text = Field(description="e.g. 'Information Commissioner's Office'.")
    short_name: Text | None = Field(None, description="e.g. 'ICO'.")
    website: WebAddress
    complaints_url: WebAddress
    phone: Text
    address: Text


class LegislationEntry(Strict):
    """One entry of the legislation register."""

    key: LegislationKey
    title: Text
    citation: Text
    uri: WebAddress
    extent: Extent
    kind: LegislationKind
    summary: Text = Field(description="Plain English: what it does.")
    status: LegislationStatus
    status_note: OptionalText = ""
    replaced_by: list[LegislationKey] = Field(default_factory=list)
    in_force_from: date | None = None
    in_force_until: date | None = None
    verified: bool = Field(description="False keeps the entry out of generated documents until checked.")
    unverified: OptionalText = Field("", description="What about the entry is not yet checked. Never printed.")
    source: OptionalText = ""
    purposes: list[Purpose] = Field(
        default_factory=list,
        description="What the provision is for. Empty: a general provision that fits every panel.",
    )
    laid_on: list[LaidOn] = Field(
        default_factory=list,
        description="Who the provision is laid on and what it asks of them. Empty: it is not laid on anyone in "
        "particular (data protection law, guidance).",
    )
    regulator: RegulatorDetails | None = Field(None, description="For kind: regulator, how to reach it.")

    @property
    def current(self) -> bool:
        return self.status in ("in_force", "amended", "partly_repealed")


# Fields of an area's legislation.yaml entry: any subset of the entry's fields (key comes from the mapping).
LEGISLATION_FIELDS = tuple(name for name in LegislationEntry.model_fields if name != "key")
