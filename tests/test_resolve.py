"""Resolve: the tailoring decisions made once per document (legal footing, the law in scope, nation)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from protocolgen import inspect_area, load_area
from protocolgen.cli import main
from protocolgen.resolve import recording, resolve

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "agency_profiles"


@pytest.fixture()
def area(tmp_path: Path) -> Path:
    copy = tmp_path / "area"
    shutil.copytree(EXAMPLE, copy)
    return copy


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _jobs(area: Path, **kwargs):  # type: ignore[no-untyped-def]
    return {job.id: job for job in resolve(load_area(area), **kwargs)}


def test_one_job_per_document_in_a_stable_order(area: Path) -> None:
    first = [job.id for job in resolve(load_area(area))]
    assert first == [job.id for job in resolve(load_area(area))]
    loaded = load_area(area)
    seeking = sum(p.consent.approach != "not_sought" for p in loaded.panels.values())
    processors = sum(a.contracted_by is not None and a.contract_role != "independent_controller"
                     for a in loaded.agencies.values())
    # per panel: protocol, notice, young people's version, decision record, and a consent form if it asks;
    # per agency: notice, and a consent form unless it is a processor (its controller asks)
    assert len(first) == 4 * len(loaded.panels) + seeking + 2 * len(loaded.agencies) - processors


def test_every_document_has_its_own_reference(area: Path) -> None:
    jobs = _jobs(area)
    references = [job.doc.reference for job in jobs.values()]
    assert len(set(references)) == len(references)
    assert jobs["panels/complex-needs/protocol"].doc.reference == "WSCP-ISP-COMPLEX-NEEDS"
    assert jobs["panels/complex-needs/privacy-notice"].doc.reference == "WSCP-ISP-COMPLEX-NEEDS-PN"
    assert jobs["agencies/the-landing-drop-in/consent-form"].doc.reference == "WSCP-ISP-THE-LANDING-DROP-IN-CF"


def test_sharing_basis_follows_status_and_contract(area: Path) -> None:
    jobs = _jobs(area)
    parties = {p.agency.id: p for p in jobs["panels/youth-crime-prevention/protocol"].context["parties"]}
    assert parties["fenmoor-police"].sharing_basis == "statutory_gateway"  # s115 is a gateway
    assert parties["the-landing-drop-in"].sharing_basis == "none_needed"
    # an independent controller under contract shares on its own footing, and names whose work it does
    assert parties["quayside-leisure"].sharing_basis == "none_needed"
    assert parties["quayside-leisure"].controller_role == "controller"
    assert parties["quayside-leisure"].contractor.id == "westmarsh-youth-service"
    assert [b.code for b in parties["fenmoor-police"].gdpr_bases][0] == "public_task"
    conference = {p.agency.id: p for p in jobs["panels/child-protection-conference/protocol"].context["parties"]}
    interpreter = conference["clearword-interpreting"]
    assert interpreter.sharing_basis == "processor" and interpreter.gdpr_bases == () and interpreter.powers == ()
    assert interpreter.controller.name == "Westmarsh Borough Council"


def test_recognised_legitimate_interest_only_once_in_force(area: Path) -> None:
    _edit(area / "agencies" / "the-landing-drop-in.yaml", lambda d: d.update(uk_gdpr_bases=[]))
    after = _jobs(area)["agencies/the-landing-drop-in/privacy-notice"].context["agency"]
    before = _jobs(area, as_of=date(2026, 2, 4))["agencies/the-landing-drop-in/privacy-notice"].context["agency"]
    assert "recognised_legitimate_interest" in [b.code for b in after.gdpr_bases]
    assert "recognised_legitimate_interest" not in [b.code for b in before.gdpr_bases]
    assert "legitimate_interests" in [b.code for b in before.gdpr_bases]


def test_a_welsh_area_never_presents_english_only_law_as_a_basis(area: Path) -> None:
    _edit(area / "area.yaml", lambda d: d.update(nation="wales"))
    loaded = inspect_area(area)
    assert any("applies only in England" in d.message for d in loaded.warnings)
    jobs = _jobs(area)
    for job in jobs.values():
        assert all(entry.extent != "England" for entry in job.context["law"].values()), job.id
        parties = job.context.get("parties") or (job.context["agency"],)
        for party in parties:
            assert all(w.entry.extent != "England" for w in party.powers), (job.id, party.agency.id)
    assert "ssw-wales-act-2014-s130" in jobs["panels/complex-needs/protocol"].context["law"]


def test_unchecked_and_repealed_entries_never_reach_a_document(area: Path) -> None:
    _edit(area / "panels" / "early-help.yaml", lambda d: d.update(legislation=["data-protection-act-1998"]))
    job = _jobs(area)["panels/early-help/protocol"]
    law = job.context["law"]
    assert "data-protection-act-1998" not in law
    assert all(entry.verified and entry.status != "repealed" for entry in law.values())
    assert [r.entry.key for r in job.context["repealed"]] == ["data-protection-act-1998"]


def test_recording_notes_exactly_the_fields_read() -> None:
    job = _jobs(EXAMPLE)["panels/complex-needs/protocol"]
    entry = job.context["law"]["uk-gdpr-art-6"]
    with recording() as used:
        _ = entry.citation
    assert used == {"uk-gdpr-art-6": {"citation"}}
    with recording() as used:
        _ = entry.current  # a derived property reads the status, so it counts as every field
    assert "status" in used["uk-gdpr-art-6"]
    _ = entry.title  # outside a recording nothing is noted
    assert used["uk-gdpr-art-6"] != {"title"}


def test_user_templates_override_bundled_ones_in_a_build(area: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "consent-form.md.j2").write_text(
        "# Our own form\n\nFor {{ agency.agency.name }}, issued {{ doc.issue_date|long_date }}.\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(out), "--templates", str(templates),
                                       "--only", "agency:the-landing-drop-in", "--emit-markdown"])
    assert result.exit_code == 0, result.output
    form = (out / "agencies" / "the-landing-drop-in" / "consent-form.md").read_text(encoding="utf-8")
    assert form == "# Our own form\n\nFor The Landing Teenage Drop-in, issued 1 July 2026.\n"
    notice = (out / "agencies" / "the-landing-drop-in" / "privacy-notice.md").read_text(encoding="utf-8")
    assert "Our own form" not in notice and len(notice) > 2000
