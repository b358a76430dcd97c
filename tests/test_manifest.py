"""The manifest: fingerprints, plain reasons for staleness, versions, and reading a damaged manifest."""

from __future__ import annotations

import json
from pathlib import Path

from protocolgen.manifest import MANIFEST_NAME, Manifest, explain, fingerprint, next_version, summarise_inputs


def _summary(**inputs: object) -> dict:
    return summarise_inputs(dict(inputs))


def test_field_changes_are_named() -> None:
    old = _summary(**{"legislation:crime-and-disorder-act-1998-s115": {"title": "A", "uri": "u"}})
    new = _summary(**{"legislation:crime-and-disorder-act-1998-s115": {"title": "B", "uri": "u"}})
    assert explain(old, new) == ["legislation crime-and-disorder-act-1998-s115: title changed"]
    assert fingerprint(old) != fingerprint(new)


def test_membership_changes_are_said_once_in_plain_words() -> None:
    old = _summary(members=["a:chair", "b:member"], **{"agency:a": {"name": "A"}, "agency:b": {"name": "B"}})
    new = _summary(members=["a:chair", "b:adviser", "c:member"],
                   **{"agency:a": {"name": "A"}, "agency:b": {"name": "B"}, "agency:c": {"name": "C"}})
    assert explain(old, new) == ["agency c: joined the panel as member", "agency b: role changed from member to adviser"]
    gone = _summary(members=["a:chair"], **{"agency:a": {"name": "A"}})
    assert explain(old, gone) == ["agency b: left the panel"]


def test_scope_and_citation_are_not_said_twice() -> None:
    old = {"legislation-in-scope": ["x"]}
    new = {"legislation-in-scope": ["x", "y"], "legislation:y": {"title": "h"}}
    assert explain(old, new) == ["legislation y: now cited"]
    assert explain(old, {"legislation-in-scope": ["x", "y"]}) == ["legislation y: now within the document's scope"]


def test_tool_and_template_changes() -> None:
    old = {"template": "1", "protocolgen": "0.1.0", "reference_docx": "r", "as_of": "2026-04-01"}
    new = {"template": "2", "protocolgen": "0.2.0", "reference_docx": "s", "as_of": "2026-01-01"}
    assert explain(old, new) == [
        "law as of 2026-01-01 instead of 2026-04-01",
        "protocolgen upgraded from 0.1.0 to 0.2.0",
        "house style (reference .docx) changed",
        "template changed",
    ]


def test_versions_count_up() -> None:
    assert next_version("1.0") == "1.1"
    assert next_version("1.9") == "1.10"
    assert next_version("2") == "2.1"
    assert next_version("draft") == "1.0"


def test_a_damaged_manifest_is_reported_not_raised(tmp_path: Path) -> None:
    assert Manifest.read(tmp_path).documents == {} and not Manifest.read(tmp_path).problem
    for text in ("{not json", "[]", '{"format": 99, "documents": {}}'):
        (tmp_path / MANIFEST_NAME).write_text(text, encoding="utf-8")
        manifest = Manifest.read(tmp_path)
        assert manifest.documents == {} and MANIFEST_NAME in manifest.problem, text
    # A damaged record is dropped on its own, with a note naming it.
    (tmp_path / MANIFEST_NAME).write_text('{"format": 1, "documents": {"x": 3}}', encoding="utf-8")
    manifest = Manifest.read(tmp_path)
    assert manifest.documents == {} and not manifest.problem
    assert manifest.notes == [(f"{MANIFEST_NAME}: the record of 'x' is damaged (its id is not a document's path); "
                              "rebuilding it")]


def test_a_major_change_starts_the_next_whole_version() -> None:
    assert next_version("1.3", major_change=True) == "2.0"
    assert next_version("2.0", major_change=True) == "3.0"


def test_a_format_1_manifest_is_read_as_issued(tmp_path: Path) -> None:
    # Before drafts existed every build issued its documents: a format 1 record is issued as it stands.
    record = {"fingerprint": "f", "content": "c", "version": "1.2", "inputs": {},
              "files": {"panels/x/protocol.docx": "0" * 64},  # a record as a build wrote it (paths and hashes checked)
              "history": [{"version": "1.0", "date": "2026-04-01", "summary": "First issue"},
                          {"version": "1.2", "date": "2026-04-01", "summary": "Title changed."}]}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"format": 1, "documents": {"panels/x/protocol": record}}),
                                          encoding="utf-8")
    read = Manifest.read(tmp_path).documents["panels/x/protocol"]
    assert read.status == "issued"
    assert (read.issued["version"], read.issued["date"], read.issued["content"]) == ("1.2", "2026-04-01", "c")
    assert '"format": 2' in Manifest(documents={"panels/x/protocol": read}).to_json()
