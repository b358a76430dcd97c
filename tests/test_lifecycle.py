"""From draft to signed and back: builds write drafts, ``issue`` issues them, ``sign`` records signatures,
re-issuing asks for them again, and ``reviews`` lists review dates and writes them as a calendar.

The story of issue 10's "Done when" runs end to end through the command line on the minimal area
(``arealib``: three controllers on one panel); the other tests each check one rule of the lifecycle.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner, Result
from office import convert_to_pdf, needs_soffice

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen import BuildOptions, build
from protocolgen.cli import main
from protocolgen.commands.issue import issue
from protocolgen.manifest import MANIFEST_NAME
from protocolgen.write import read_custom_properties

PROTOCOL = "panels/early-help/protocol"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert "Traceback" not in result.output
    return result


def ok(*args: str | Path) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def records(out: Path) -> dict[str, Any]:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]


def files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def history_rows(path: Path) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in docx.Document(str(path)).tables[-1].rows][1:]


def header(path: Path) -> str:
    section = docx.Document(str(path)).sections[0]
    return "\n".join(p.text for p in section.header.paragraphs)


def control(path: Path) -> dict[str, str]:
    return {row.cells[0].text: row.cells[1].text for row in docx.Document(str(path)).tables[0].rows}


def tracked(path: Path) -> tuple[list[str], list[str]]:
    """The text of every inserted and every deleted run of a redline, as Word's review pane lists them."""
    body = docx.Document(str(path)).element.body
    inserted = ["".join(t.text or "" for t in ins.iter(f"{W}t")) for ins in body.iter(f"{W}ins")]
    deleted = ["".join(t.text or "" for t in d.iter(f"{W}delText")) for d in body.iter(f"{W}del")]
    return [t for t in inserted if t], [t for t in deleted if t]


def paragraphs(path: Path) -> list[tuple[str, str, list[str], list[str]]]:
    """Each paragraph of a redline that has tracked changes: its text with every change rejected (the old
    version), with every change accepted (the new), and its deleted and inserted words."""
    out = []
    for para in docx.Document(str(path)).element.body.iter(f"{W}p"):
        old, new, deleted, inserted = [], [], [], []
        for node in para.iter(f"{W}t", f"{W}delText"):
            in_ins = any(a.tag == f"{W}ins" for a in node.iterancestors())
            if node.tag == f"{W}delText":
                old.append(node.text or "")
                deleted.append(node.text or "")
            elif in_ins:
                new.append(node.text or "")
                inserted.append(node.text or "")
            else:
                old.append(node.text or "")
                new.append(node.text or "")
        if deleted or inserted:
            out.append(("".join(old), "".join(new), [d for d in deleted if d], [i for i in inserted if i]))
    return out


def test_done_when_draft_issue_sign_change_reissue_redline_reviews(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Build: every document a draft of 1.0; rebuilding changes nothing, version included.
    ok("build", root, "-o", out)
    first = records(out)
    assert {(r["version"], r["status"]) for r in first.values()} == {("1.0", "draft")}
    assert "DRAFT" in header(out / f"{PROTOCOL}.docx")
    assert read_custom_properties((out / f"{PROTOCOL}.docx").read_bytes())["protocolgen-status"] == "draft"
    before = files(out)
    assert "nothing was written" in ok("build", root, "-o", out)
    assert files(out) == before

    # Issue 1.0, dated the area's issue date (never the clock).
    said = ok("issue", root, "-o", out)
    assert f"Issued {len(first)} documents" in said  # every draft built (the panel's forms included)
    issued = records(out)
    assert {(r["version"], r["status"], r["issued"]["date"]) for r in issued.values()} == {
        ("1.0", "issued", "2026-04-01")}
    assert history_rows(out / f"{PROTOCOL}.docx") == [["1.0", "1 April 2026", "First issue"]]
    assert "DRAFT" not in header(out / f"{PROTOCOL}.docx") and "OFFICIAL" in header(out / f"{PROTOCOL}.docx")
    properties = read_custom_properties((out / f"{PROTOCOL}.docx").read_bytes())
    assert (properties["protocolgen-status"], properties["protocolgen-version"]) == ("issued", "1.0")
    assert (out / ".protocolgen/issued" / f"{PROTOCOL}/1.0.md").is_file()
    assert "Nothing to issue" in ok("issue", root, "-o", out)

    # Two of the three controllers sign; status names the third.
    ok("sign", root, "-o", out, "--document", PROTOCOL, "--controller", "north-council",
       "--signatory", "Director of Children's Services", "--date", "2026-04-10", "--copy", "Civic Offices safe")
    said = ok("sign", root, "-o", out, "--document", PROTOCOL, "--controller", "north-health",
              "--signatory", "Chief Executive", "--date", "2026-04-12")
    assert "2 of 3 signed" in said and "still to sign: North Youth Trust" in said
    said = ok("status", root, "-o", out)
    assert f"sign-off: {PROTOCOL} version 1.0: 2 of 3 signed" in said
    assert "  not signed: North Youth Trust (north-youth-trust)" in said
    assert "North Community Health NHS Trust" not in said.split("sign-off:", 1)[1]
    assert "2 of 3 signed" in (out / "index.html").read_text(encoding="utf-8")

    # A legislation title and a retention period change: a draft of 1.1, whose report says old -> new.
    A.write_yaml(root, A.LEGISLATION, {"children-act-2004-s11": {"title": "Children Act 2004 (duty to safeguard)"}})
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    said = ok("build", root, "-o", out)
    assert f"{PROTOCOL}: draft of 1.1 (minor changes since 1.0)" in said
    drafted = records(out)[PROTOCOL]
    assert (drafted["version"], drafted["status"], drafted["issued"]["version"]) == ("1.1", "draft", "1.0")
    report = (out / "changes.md").read_text(encoding="utf-8")
    section = report.split("## North Early Help Panel: information sharing protocol", 1)[1].split("\n## ", 1)[0]
    assert "version 1.0 to draft of version 1.1 (minor changes)" in section
    assert "- North Early Help Panel: retention of panel minutes: 6 years → 8 years" in section
    assert "- Children Act 2004, section 11: title: Children Act 2004 → Children Act 2004 (duty to safeguard)" in section
    report_docx = "\n".join(p.text for p in docx.Document(str(out / "changes.docx")).paragraphs)
    assert "retention of panel minutes: 6 years → 8 years" in report_docx
    # The draft's control table and history say what it is; the 1.0 signatures still count for 1.0.
    assert history_rows(out / f"{PROTOCOL}.docx")[-1][0] == "1.1"
    assert history_rows(out / f"{PROTOCOL}.docx")[-1][2].startswith("Draft: ")
    assert "2 of 3 signed" in ok("status", root, "-o", out)
    before = files(out)
    assert "nothing was written" in ok("build", root, "-o", out)
    assert files(out) == before and records(out)[PROTOCOL]["version"] == "1.1"

    # Issue 1.1 on its own day: a redline between the two issued versions, tracked changes of exactly the words.
    said = ok("issue", root, "-o", out, "--date", "2026-05-01")
    redline = out / f"{PROTOCOL}.redline-1.0-1.1.docx"
    assert f"{PROTOCOL}: 1.0 -> 1.1; tracked changes: {redline.as_posix()}" in said
    assert control(out / f"{PROTOCOL}.docx")["Version"] == "1.1"
    assert control(out / f"{PROTOCOL}.docx")["Date of this version"] == "1 May 2026"
    assert control(out / f"{PROTOCOL}.docx")["Next review due"] == "1 May 2027"
    assert [row[0] for row in history_rows(out / f"{PROTOCOL}.docx")] == ["1.0", "1.1"]
    # Each changed paragraph reads as 1.0 with the changes rejected and as 1.1 with them accepted, and the
    # tracked runs hold only the words that changed.
    changed = paragraphs(redline)
    assert ("1.0", "1.1", ["0"], ["1"]) in changed  # the version in the document control table
    assert ("1 April 2026", "1 May 2026", ["April"], ["May"]) in changed  # in force from
    assert ("6 years", "8 years", ["6"], ["8"]) in changed  # the retention table's period of panel minutes
    assert ("1 April 2027", "1 May 2027", ["April"], ["May"]) in changed  # next review: a year after the issue
    inserted, deleted = tracked(redline)
    assert any("(duty to safeguard)" in text for text in inserted)
    assert not any("duty to safeguard" in text for text in deleted)
    assert any(p[1] == "1.1" and not p[0] for p in changed)  # the new row of the version history
    first_ins = next(docx.Document(str(redline)).element.body.iter(f"{W}ins"))
    assert first_ins.get(f"{W}author") == "protocolgen" and first_ins.get(f"{W}date", "").startswith("2026-05-01")
    report = (out / "changes.md").read_text(encoding="utf-8")
    assert "issued on 1 May 2026" in report and "redline-1.0-1.1.docx" in report

    # Re-issuing asks every controller to sign again; earlier signatures are shown as for 1.0.
    said = ok("status", root, "-o", out)
    assert f"sign-off: {PROTOCOL} version 1.1: 0 of 3 signed" in said
    assert ("not signed: North Borough Council Children's Services (north-council) (signed version 1.0 on "
            "2026-04-10)") in said
    assert "not signed: North Youth Trust (north-youth-trust)\n" in said

    # Reviews: every issued document's next review as a calendar event, on the right day, the same bytes twice.
    from icalendar import Calendar

    ics = tmp_path / "reviews.ics"
    said = ok("reviews", root, "-o", out, "--date", "2027-03-15", "--within", "30", "--ics", ics)
    assert "due: agencies/north-council/consent-form (version 1.0, issued 1 April 2026): review by 1 April 2027" in said
    assert f"{PROTOCOL} (version 1.1" not in said  # 1 May 2027 is more than 30 days away
    calendar = Calendar.from_ical(ics.read_bytes())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    versions = {doc: record["issued"]["version"] for doc, record in records(out).items()}
    assert len(events) == len(versions) == len(first)
    due = {str(e["summary"]): e.decoded("dtstart") for e in events.values()}
    assert due["Review due: North Early Help Panel: information sharing protocol (version 1.1)"] == date(2027, 5, 1)
    # a year after each document's own issue: 1 April 2026 for 1.0, 1 May 2026 for the re-issued 1.1
    assert sorted(due.values()) == sorted(date(2027, 4, 1) if v == "1.0" else date(2027, 5, 1)
                                          for v in versions.values())
    assert all(v == "1.0" for doc, v in versions.items() if doc.startswith("agencies/"))  # the panel's change only
    first_bytes = ics.read_bytes()
    ok("reviews", root, "-o", out, "--date", "2030-01-01", "--ics", ics)
    assert ics.read_bytes() == first_bytes


@needs_soffice
def test_a_redline_opens_in_libreoffice(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out))
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out), date(2026, 5, 1))
    redline = out / f"{PROTOCOL}.redline-1.0-1.1.docx"
    pdf_dir = tmp_path / "pdf"
    pdf_dir.mkdir()
    convert_to_pdf([redline], pdf_dir)
    pdf = pdf_dir / "protocol.redline-1.0-1.1.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 1000


def test_a_party_joining_drafts_the_next_major_version(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out))
    police = A.agency("north-police", "North Constabulary", "police", "statutory",
                      statutory_basis=["crime-and-disorder-act-1998-s115"], uk_gdpr_bases=["public_task"],
                      law_enforcement_processing=True,
                      panels=[{"panel": "early-help", "role": "member", "representative": "Inspector"}])
    A.add_agency(root, police)
    build(BuildOptions(area_dir=root, out_dir=out))
    record = records(out)[PROTOCOL]
    assert (record["version"], record["change_kind"]) == ("2.0", "major")
    assert "North Constabulary joined as a member" in (out / "changes.md").read_text(encoding="utf-8")
    # The draft asks the new controller too; the issued 1.0 is still signed by the three it had.
    assert ["north-police", "North Constabulary"] in record["signatories"]
    assert ["north-police", "North Constabulary"] not in record["issued"]["signatories"]
    # A later minor change does not move the draft's version: the largest change since 1.0 decides it.
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    build(BuildOptions(area_dir=root, out_dir=out))
    assert records(out)[PROTOCOL]["version"] == "2.0"


def test_undoing_a_change_brings_back_the_issued_version_byte_for_byte(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out))
    issued = files(out)[f"{PROTOCOL}.docx"]
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    build(BuildOptions(area_dir=root, out_dir=out))
    assert records(out)[PROTOCOL]["status"] == "draft"
    # While the draft is in the document's place, the version in force is kept, and the index links it.
    kept = f".protocolgen/issued/{PROTOCOL}/1.0.docx"
    assert files(out)[kept] == issued and files(out)[f"{PROTOCOL}.docx"] != issued
    assert f'<a href="{kept}">version 1.0 in force</a> (Word)' in (out / "index.html").read_text(encoding="utf-8")
    A.set_field(root, A.PANEL, "retention.0.period", "6 years")
    result = build(BuildOptions(area_dir=root, out_dir=out))
    assert records(out)[PROTOCOL]["status"] == "issued" and records(out)[PROTOCOL]["version"] == "1.0"
    assert files(out)[f"{PROTOCOL}.docx"] == issued
    assert f"{PROTOCOL}.docx" in result.written and result.changes == []


def test_issue_refuses_documents_not_built_or_changed_since_and_writes_nothing(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("issue", root, "-o", out)
    assert result.exit_code == 1 and f"{PROTOCOL}: never built" in result.output and not out.exists()

    build(BuildOptions(area_dir=root, out_dir=out))
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    before = files(out)
    result = run("issue", root, "-o", out)
    assert result.exit_code == 1
    assert f"{PROTOCOL}: changed since the last build (North Early Help Panel: retention changed)" in result.output
    assert "nothing was written" in result.output
    assert files(out) == before


def test_issue_refuses_a_date_before_the_last_issue(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out))
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    build(BuildOptions(area_dir=root, out_dir=out))
    result = run("issue", root, "-o", out, "--date", "2026-03-01")
    assert result.exit_code == 1 and "issued later, on 1 April 2026" in result.output
    assert run("issue", root, "-o", out, "--date", "2026-05-01", "--today").exit_code == 1
    bad = run("issue", root, "-o", out, "--date", "1 May")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_issue_only_a_panel_leaves_the_other_drafts(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    ok("issue", root, "-o", out, "--only", "panel:early-help", "--date", "2026-04-02")
    state = {doc: (r["status"], r["issued"].get("date")) for doc, r in records(out).items()}
    assert state[PROTOCOL] == ("issued", "2026-04-02")
    assert state["agencies/north-council/consent-form"] == ("draft", None)
    # The DocMeta date of an issued document is its own issue date.
    assert docx.Document(str(out / f"{PROTOCOL}.docx")).core_properties.created.date() == date(2026, 4, 2)


def test_a_hand_edited_draft_is_not_issued_until_forced(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    target = out / f"{PROTOCOL}.docx"
    target.write_bytes(target.read_bytes() + b"edited")
    result = issue(BuildOptions(area_dir=root, out_dir=out))
    assert f"{PROTOCOL}.docx" in result.edited and records(out)[PROTOCOL]["status"] == "draft"
    assert records(out)["panels/early-help/privacy-notice"]["status"] == "issued"
    result = issue(BuildOptions(area_dir=root, out_dir=out, force=True))
    assert records(out)[PROTOCOL]["status"] == "issued" and len(list(target.parent.glob("protocol.edited-*"))) == 1


def test_the_next_review_date_can_be_fixed_by_the_area(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    A.set_field(root, A.AREA, "next_review_date", "2026-10-01")
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out), date(2026, 4, 15))
    assert records(out)[PROTOCOL]["issued"]["review"] == "2026-10-01"
    assert control(out / f"{PROTOCOL}.docx")["Next review due"] == "1 October 2026"


def test_a_lost_record_of_the_issued_version_is_said_not_guessed(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out))
    (out / ".protocolgen/issued" / f"{PROTOCOL}/1.0.json").unlink()
    A.set_field(root, A.PANEL, "retention.0.period", "8 years")
    build(BuildOptions(area_dir=root, out_dir=out))
    report = (out / "changes.md").read_text(encoding="utf-8")
    assert "panel early-help: retention changed" not in report  # ids become names
    assert "North Early Help Panel: retention changed" in report
    assert "the record of version 1.0 is missing" in report
    # Issuing still works; there is no redline without the old version's Markdown... which is still there.
    issue(BuildOptions(area_dir=root, out_dir=out), date(2026, 5, 1))
    assert records(out)[PROTOCOL]["version"] == "1.1"


def test_issue_gives_the_same_bytes_for_the_same_inputs(root: Path, tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        build(BuildOptions(area_dir=root, out_dir=out))
        issue(BuildOptions(area_dir=root, out_dir=out), date(2026, 4, 2))
        outputs.append(files(out))
    assert outputs[0] == outputs[1]


def test_reviews_say_what_is_overdue_and_due(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("reviews", root, "-o", out)
    assert result.exit_code == 1 and "no documents have been built there" in result.output
    build(BuildOptions(area_dir=root, out_dir=out))
    drafts = len(records(out))
    # the small area: its panel's protocol, notice, young people's version, consent form and decision record,
    # and each of its three agencies' notice and consent form
    assert drafts == 11
    assert f"{drafts} document(s) not yet issued" in ok("reviews", root, "-o", out, "--date", "2026-04-02")
    issue(BuildOptions(area_dir=root, out_dir=out))
    said = ok("reviews", root, "-o", out, "--date", "2027-04-02")
    assert said.count("  overdue: ") == drafts and "review by 1 April 2027" in said
    said = ok("reviews", root, "-o", out, "--date", "2026-12-01")
    assert "none due" in said and f"{drafts} later" in said
    said = ok("reviews", root, "-o", out, "--date", "2026-12-01", "--within", "130")
    assert said.count("  due: ") == drafts
    assert run("reviews", root, "-o", out, "--within", "-3").exit_code == 2


def test_a_build_after_an_issue_writes_nothing_and_finds_nothing_damaged(root: Path, tmp_path: Path) -> None:
    """The copies an issue keeps of each issued version (under OUT/.protocolgen/issued) are documents' files,
    not reports: the next build recognises them, warns of nothing and writes nothing."""
    out = tmp_path / "out"
    ok("build", root, "-o", out)
    ok("issue", root, "-o", out, "--date", "2026-04-01")
    kept = sorted(p.relative_to(out).as_posix() for p in (out / ".protocolgen" / "issued").rglob("*.md"))
    assert kept, "the issue keeps a copy of each issued version"
    before = files(out)
    result = run("build", root, "-o", out)
    assert result.exit_code == 0 and "damaged" not in result.output and "warning" not in result.output, result.output
    assert "nothing was written" in result.output
    assert files(out) == before
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert not set(kept) & set(manifest["reports"])
