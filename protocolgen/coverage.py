"""Coverage: does each rendered document still say what the law and the guidance require it to say?

The check reads the **rendered Markdown**, never the profiles: a template tags each required section with a
block attribute line (``{#cov-<item>}``, written by the ``covers()`` helper) directly above its heading, and a
section counts as covered when its heading is there and something is written under it. So a user template that
drops a section, or a profile that leaves a required statement empty, shows up as "missing" on the next build.

Required items, by kind of document:
- notices (panel and agency): every item UK GDPR Articles 13 and 14 require;
- panel notices, in addition: every item of Case Example 19 (paragraph 11.3 of the 2005 guidance);
- protocols: the sections a multi-agency information sharing protocol must have;
- consent forms and the request and decision record: the fields they must carry.

A document written in more than one language carries each language's sections: English ones tagged
``cov-<item>``, the others ``cov-<item>-<lang>`` (``cov-rights-cy``), and every language present is checked in
full, so a bilingual notice whose Welsh half lacks a section is incomplete even when its English half is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin


@dataclass(frozen=True)
class Item:
    """One thing a document must cover: its id (the ``cov-`` tag), where the duty comes from, and what it is."""

    id: str
    source: str
    label: str


def _items(*rows: tuple[str, str, str]) -> tuple[Item, ...]:
    return tuple(Item(*row) for row in rows)


ARTICLES_13_14 = _items(
    ("controller", "UK GDPR Art 13(1)(a)", "who the controller is and how to contact it"),
    ("dpo", "UK GDPR Art 13(1)(b)", "the data protection officer's contact details"),
    ("purposes", "UK GDPR Art 13(1)(c)", "each purpose and its lawful basis"),
    ("legitimate-interests", "UK GDPR Art 13(1)(d)", "the legitimate interests pursued, where that basis is used"),
    ("categories", "UK GDPR Art 14(1)(d)", "the categories of personal data"),
    ("sources", "UK GDPR Art 14(2)(f)", "where the information comes from"),
    ("recipients", "UK GDPR Art 13(1)(e)", "who receives the information"),
    ("transfers", "UK GDPR Art 13(1)(f)", "transfers outside the UK and their safeguards, or that there are none"),
    ("retention", "UK GDPR Art 13(2)(a)", "how long information is kept, or how that is decided"),
    ("rights", "UK GDPR Art 13(2)(b)", "the rights that apply"),
    ("withdraw-consent", "UK GDPR Art 13(2)(c)", "withdrawing consent, where consent is the basis"),
    ("complaints", "UK GDPR Art 13(2)(d); DUAA 2025 s103", "complaining to the controller, then to the regulator"),
    ("requirement", "UK GDPR Art 13(2)(e)", "whether the information must be given, and what happens if it is not"),
    ("automated-decisions", "UK GDPR Art 13(2)(f)", "automated decision-making, including profiling, or that there is none"),
    ("access", "UK GDPR Art 15; guidance 4.34", "how to see your records"),
)
CASE_EXAMPLE_19 = _items(
    ("membership", "guidance 11.3 (Case Example 19)", "the membership of the panel"),
    ("level", "guidance 11.3 (Case Example 19)", "the level of information that will be shared"),
    ("secondary-sharing", "guidance 11.3 (Case Example 19)", "the extent of secondary sharing within and between agencies"),
    ("recording", "guidance 11.3 (Case Example 19)", "how the information is recorded"),
    ("security", "guidance 11.3 (Case Example 19)", "how the information is kept secure"),
    ("retention", "guidance 11.3 (Case Example 19)", "how long the information is kept"),
    ("access", "guidance 11.3 (Case Example 19)", "the rights of parents and young people to see their records"),
)
PROTOCOL = _items(
    ("purpose", "ICO data sharing code", "the purpose of the sharing"),
    ("parties", "ICO data sharing code", "the parties"),
    ("controllers", "UK GDPR Art 4(7), 24", "each controller, as a legal person, with its services"),
    ("processors", "UK GDPR Art 28", "processors, whose instructions they act on, and their contracts"),
    ("powers", "guidance 4.2, 4.7-4.10", "each party's power to share, fitting the panel"),
    ("bases", "UK GDPR Art 6", "each party's lawful basis"),
    ("conditions", "UK GDPR Arts 9, 10; DPA 2018 Sch 1", "special category and criminal offence data conditions"),
    ("information", "ICO data sharing code", "what information is shared"),
    ("data-flows", "ICO data sharing code", "who shares what, with whom, how often and how"),
    ("consent", "guidance 4.19-4.27", "whether and how agreement is sought"),
    ("without-consent", "guidance 4.14-4.18", "when information is shared without agreement"),
    ("requests", "guidance 4.33", "making and answering requests"),
    ("secondary", "guidance 11.3", "secondary sharing"),
    ("recording", "guidance 4.33", "how decisions are recorded"),
    ("security", "UK GDPR Art 32", "security"),
    ("retention", "UK GDPR Art 5(1)(e)", "retention"),
    ("rights", "UK GDPR Chapter III", "access to records and other rights"),
    ("dpia", "UK GDPR Art 35", "the data protection impact assessment"),
    ("breaches", "UK GDPR Arts 33, 34", "breaches"),
    ("complaints", "DUAA 2025 s103", "complaints"),
    ("review", "ICO data sharing code", "monitoring and review"),
    ("signatures", "ICO data sharing code", "signature by each controller"),
    ("flowchart", "guidance 5.6 (Flowchart 1)", "the decision flowchart"),
    ("schedule", "protocolgen", "the schedule of legislation and guidance"),
)
CONSENT_FORM = _items(
    ("what-shared", "guidance 4.19", "what would be shared"),
    ("purpose", "guidance 4.19", "why it would be shared"),
    ("who-can-agree", "guidance 4.22-4.23", "who can agree"),
    ("duration", "guidance 4.25", "how long agreement lasts and when it is checked"),
    ("withdraw", "guidance 4.27; UK GDPR Art 7(3)", "how to change your mind"),
    ("without-agreement", "guidance 4.17", "when information may be shared without agreement"),
    ("signature", "guidance 4.19", "the decision and signatures"),
    ("dp-contact", "UK GDPR Art 13(1)(b)", "who to ask about data protection"),
)
PANEL_CONSENT_FORM = (*CONSENT_FORM[:1], Item("who-with", "guidance 11.3", "the panel's members"), *CONSENT_FORM[1:])
DECISION_RECORD = _items(
    ("request", "guidance 4.33", "who asked, when and about whom"),
    ("purpose", "guidance 4.33", "what was asked for and why"),
    ("basis", "guidance 4.33", "the lawful basis and power relied on"),
    ("consent", "guidance 4.33", "whether agreement was sought and given, and if not why"),
    ("decision", "guidance 4.33", "the decision: share, share in part or not share"),
    ("reasons", "guidance 4.33", "the reasons"),
    ("recipient", "guidance 4.33", "what was shared, with whom and how"),
    ("decided-by", "guidance 4.33", "who decided, and when"),
)
YOUNG_PEOPLE = _items(
    ("categories", "UK GDPR Art 12(1)", "what the panel knows about a young person, in words for them"),
    ("rights", "UK GDPR Art 12(1)", "their right to see their records"),
    ("complaints", "UK GDPR Art 13(2)(d)", "who to tell if they are not happy"),
)

REQUIRED: dict[str, tuple[Item, ...]] = {
    "protocol": PROTOCOL,
    "panel-notice": ARTICLES_13_14 + tuple(i for i in CASE_EXAMPLE_19 if i.id not in {a.id for a in ARTICLES_13_14}),
    "agency-notice": ARTICLES_13_14,
    "young-people": YOUNG_PEOPLE,
    "consent-form": CONSENT_FORM,
    "panel-consent-form": PANEL_CONSENT_FORM,
    "decision-record": DECISION_RECORD,
}


@dataclass(frozen=True)
class Found:
    """Where an item is covered: the heading text, or ``None`` when it is missing."""

    item: Item
    heading: str | None
    reason: str = ""  # why it counts as missing

    @property
    def covered(self) -> bool:
        return self.heading is not None


@dataclass
class Report:
    """The coverage of one document."""

    document: str
    kind: str
    found: list[Found] = field(default_factory=list)

    @property
    def missing(self) -> list[Found]:
        return [f for f in self.found if not f.covered]


_PARSER = MarkdownIt("commonmark").enable("table").use(attrs_block_plugin)
_ID = re.compile(r"^cov-([a-z0-9-]+)$")


def sections(markdown: str | Sequence[Token]) -> dict[str, tuple[str, bool]]:
    """Tagged sections of a document: item id -> (heading text, whether anything is written under it).

    ``markdown`` is the document's Markdown, or the block tokens the writers parsed it into
    (``write.markdown.parse``), so that a build parses each document once, not once more here."""
    tokens = _PARSER.parse(markdown) if isinstance(markdown, str) else markdown
    out: dict[str, tuple[str, bool]] = {}
    current: str | None = None
    level = 0
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            depth = int(token.tag[1:])
            ident = str(token.attrs.get("id", ""))
            match = _ID.match(ident)
            if match:
                current, level = match.group(1), depth
                out[current] = (tokens[i + 1].content.strip(), False)
                continue
            if current is not None and depth <= level:
                current = None  # a heading of the same or a higher level ends the tagged section
            continue
        if (current is not None and token.type in ("inline", "fence", "code_block") and token.content.strip()
                and tokens[i - 1].type != "heading_open"):
            heading, _ = out[current]
            out[current] = (heading, True)
    return out


LANGUAGE_NAMES = {"cy": "Welsh"}  # the languages besides English whose sections carry a suffix


def languages_in(found: dict[str, tuple[str, bool]], kind: str) -> list[str]:
    """The languages whose sections of a document of this kind are present ('en' when none is: all missing)."""
    items = {item.id for item in REQUIRED.get(kind, ())}
    present = ["en"] if items & set(found) else []
    present += [lang for lang in LANGUAGE_NAMES if {f"{i}-{lang}" for i in items} & set(found)]
    return present or ["en"]


def check(document: str, kind: str, markdown: str | Sequence[Token]) -> Report:
    """Which of the items a document of this kind must cover are covered in its rendered Markdown (or in the
    tokens it was parsed into: see ``sections``), in each language it is written in."""
    found = sections(markdown)
    report = Report(document, kind)
    for language in languages_in(found, kind):
        _check_language(report, kind, found, language)
    return report


def _check_language(report: Report, kind: str, found: dict[str, tuple[str, bool]], language: str) -> None:
    for required in REQUIRED.get(kind, ()):
        item = required if language == "en" else Item(f"{required.id}-{language}", required.source,
                                                       f"{required.label} ({LANGUAGE_NAMES[language]})")
        if item.id not in found:
            report.found.append(Found(item, None, "no section"))
        elif not found[item.id][1]:
            report.found.append(Found(item, None, "section is empty"))
        else:
            report.found.append(Found(item, found[item.id][0]))


def summary(reports: Iterable[Report]) -> tuple[int, int]:
    """(documents fully covered, documents in all)."""
    reports = list(reports)
    return sum(not r.missing for r in reports), len(reports)


def as_json(reports: Sequence[Report]) -> dict[str, object]:
    return {
        "documents": {
            r.document: {
                "kind": r.kind,
                "items": [
                    {"item": f.item.id, "source": f.item.source, "requirement": f.item.label,
                     "covered_by": f.heading, **({"missing": f.reason} if not f.covered else {})}
                    for f in r.found
                ],
            }
            for r in sorted(reports, key=lambda r: r.document)
        },
        "missing": sorted(f"{r.document}: {f.item.id}" for r in reports for f in r.missing),
    }


def as_markdown(reports: Sequence[Report], area_name: str) -> str:
    """The coverage report for people: per document, each required item and the section that covers it."""
    from .render import md_escape

    complete, total = summary(reports)
    lines = [f"Coverage of the documents of {md_escape(area_name)}: {complete} of {total} cover every required item.",
             ""]
    missing = [(r, f) for r in sorted(reports, key=lambda r: r.document) for f in r.missing]
    if missing:
        lines += ["# Missing", "", "| Document | Item | Required by | Why |", "|---|---|---|---|"]
        lines += [f"| {md_escape(r.document)} | {md_escape(f.item.label)} | {md_escape(f.item.source)} | {f.reason} |"
                  for r, f in missing]
        lines.append("")
    lines += ["# By document", ""]
    for report in sorted(reports, key=lambda r: r.document):
        lines += [f"## {md_escape(report.document)}", "", "| Item | Required by | Covered by |", "|---|---|---|"]
        lines += [f"| {md_escape(f.item.label)} | {md_escape(f.item.source)} | "
                  f"{md_escape(f.heading) if f.covered else '**missing** (' + f.reason + ')'} |" for f in report.found]
        lines.append("")
    return "\n".join(lines)


def to_record(report: Report) -> dict[str, object]:
    """What the manifest keeps of a document's coverage (it is read back with ``from_record``)."""
    return {"kind": report.kind, "found": [[f.item.id, f.heading, f.reason] for f in report.found]}


def from_record(document: str, record: dict[str, object]) -> Report | None:
    """The coverage kept for a document by an earlier build; None when there is none (or it is unreadable)."""
    kind = record.get("kind")
    found = record.get("found")
    items = {item.id: item for item in REQUIRED.get(str(kind), ())}
    if not items or not isinstance(found, list):
        return None
    report = Report(document, str(kind))
    for row in found:
        if not (isinstance(row, list) and len(row) == 3 and row[0] in items):
            return None
        ident, heading, reason = row
        report.found.append(Found(items[ident], heading if isinstance(heading, str) else None, str(reason or "")))
    return report
