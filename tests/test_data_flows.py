"""The example area's "Who shares what, and how" table, read back from the Word protocol that a build writes.

A data protection officer reads that table to learn what each party really brings to a panel. When no seat in
the example said (``Membership.shares``), every row printed the same generic sentence and the table was
boilerplate. This builds the bundled example's child protection conference, opens its protocol.docx with
python-docx and checks that the table has one row per party, that the processor (the interpreters) brings
nothing of its own, and that every other party's row says what that party's own seat says, with no two alike,
so the example can never slide back to one sentence for everyone without a test failing.

Who is a processor is read from the profiles (``contracted_by`` with no ``contract_role``, or ``processor``),
not from resolve, so the test does not share resolve's mistakes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from protocolgen import BuildOptions, build
from protocolgen.area import load_area
from protocolgen.models import Agency

docx = pytest.importorskip("docx")

EXAMPLE = Path(__file__).resolve().parent.parent / "agency_profiles"
PANEL = "child-protection-conference"
HEADING = "Who shares what, and how"
HEADER = ["Party", "What it brings to the panel", "Who receives it", "How it is sent"]
# What the template prints for a party whose seat says nothing: the boilerplate this test keeps out.
FALLBACK = "What it knows of the child and family"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_processor(agency: Agency) -> bool:
    return agency.contracted_by is not None and agency.contract_role in (None, "processor")


def table_after(document: Any, heading: str) -> list[list[str]]:
    """The cells of the first table that follows the paragraph whose text is ``heading``, row by row."""
    body = document.element.body
    paragraphs = {p._p: p for p in document.paragraphs}
    tables = {t._tbl: t for t in document.tables}
    seen = False
    for child in body.iterchildren():
        if child in paragraphs and flat(paragraphs[child].text) == heading:
            seen = True
        elif seen and child in tables:
            return [[flat(cell.text) for cell in row.cells] for row in tables[child].rows]
    raise AssertionError(f"no table after the heading {heading!r}")


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    out = tmp_path_factory.mktemp("flows")
    build(BuildOptions(area_dir=EXAMPLE, out_dir=out, only=(f"panel:{PANEL}",)))
    document = docx.Document(str(out / "panels" / PANEL / "protocol.docx"))
    return table_after(document, HEADING)


def test_who_shares_what_has_a_row_per_party(flows: list[list[str]]) -> None:
    members = load_area(EXAMPLE).members(PANEL)
    assert flows[0] == HEADER
    names = [row[0] for row in flows[1:]]
    assert sorted(names) == sorted(agency.name for agency, _ in members)


def test_each_party_says_what_it_brings_and_no_two_say_the_same(flows: list[list[str]]) -> None:
    rows = {row[0]: row for row in flows[1:]}
    brings: dict[str, str] = {}
    for agency, seat in load_area(EXAMPLE).members(PANEL):
        cell = rows[agency.name][1]
        if is_processor(agency):
            # A processor acts only on its controller's instructions: it brings nothing of its own.
            assert not seat.shares
            assert cell.startswith("Nothing of its own")
            continue
        assert seat.shares, f"{agency.id} does not say what it brings to the {PANEL}"
        assert cell == "; ".join(flat(item) for item in seat.shares)
        assert FALLBACK not in cell
        brings[agency.name] = cell
    assert len(brings) >= 2
    alike = {text for text in brings.values() if list(brings.values()).count(text) > 1}
    assert not alike, f"parties bring the same text: {alike}"
