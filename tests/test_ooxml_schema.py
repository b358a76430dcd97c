"""Every Word document of the example area is valid Office Open XML: checked offline by openxml-audit against
the Office 2019 schemas (the same checks as Microsoft's Open XML SDK validator), with 0 errors.

A first test shows the validator is really looking: a document spoiled in each of its parts fails.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from office import built_example, example_documents

openxml_audit = pytest.importorskip("openxml_audit", reason="openxml-audit is not installed (pip install '.[test]')")
from openxml_audit import FileFormat, OpenXmlValidator  # noqa: E402  (after the skip for a missing package)


@pytest.fixture(scope="module")
def validator() -> OpenXmlValidator:
    return OpenXmlValidator(file_format=FileFormat.OFFICE_2019, max_errors=0)  # 0: every error, not the first 1000


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return example_documents(built_example(tmp_path_factory))


def _errors(validator: OpenXmlValidator, path: Path) -> list[str]:
    result = validator.validate(path)
    return [str(error) for error in result.errors if error.severity.value == "error"]


def _spoil(source: Path, target: Path, part: str, old: bytes, new: bytes) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == part:
                assert old in data, (part, old)
                data = data.replace(old, new, 1)
            copy.writestr(item, data)
    return target


@pytest.mark.parametrize(("part", "old", "new", "expected"), [
    ("word/document.xml", b"<w:body>", b"<w:body><w:bogus/>", "Unexpected element 'bogus'"),
    ("word/document.xml", b'w:type="dxa"', b'w:type="furlongs"', "'furlongs' is not in allowed values"),
    ("word/styles.xml", b"<w:docDefaults>", b"<w:docDefaults><w:bogus/>", "bogus"),
    ("word/numbering.xml", b"<w:abstractNum ", b"<w:bogus/><w:abstractNum ", "bogus"),
    ("word/settings.xml", b"<w:zoom", b"<w:bogus/><w:zoom", "bogus"),
    ("word/footer1.xml", b"<w:p>", b"<w:bogus/><w:p>", "bogus"),
])
def test_the_validator_finds_a_spoilt_part(validator, documents, tmp_path, part, old, new, expected):
    protocol = next(d for d in documents if d.name == "protocol.docx")
    assert _errors(validator, protocol) == []
    spoilt = _spoil(protocol, tmp_path / "spoilt.docx", part, old, new)
    errors = _errors(validator, spoilt)
    assert errors and any(expected in e and f"/{part}" in e for e in errors), errors


def test_every_example_document_is_valid_office_2019(validator, documents):
    assert len(documents) >= 50
    assert any(d.name == "changes.docx" for d in documents)
    root = Path(os.path.commonpath(documents))
    found = {}
    for document in documents:
        errors = _errors(validator, document)
        if errors:
            found[document.relative_to(root).as_posix()] = errors
    assert found == {}, "\n".join(f"{name}:\n  " + "\n  ".join(errors) for name, errors in found.items())
