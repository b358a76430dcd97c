"""A hostile --reference-docx (or document read back): zip bombs, lying size headers, too many parts, XML
entity attacks. Each is refused with a clear ValueError before it can use much memory or time, and the
command line reports it without a traceback."""

from __future__ import annotations

import io
import shutil
import sys
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from protocolgen.cli import main
from protocolgen.write import DocxWriter, read_custom_properties
from protocolgen.write.docx import package

sys.path.insert(0, str(Path(__file__).parent))
from test_write_docx import META

AREA = Path(__file__).resolve().parent.parent / "agency_profiles"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "plain.docx"
    docx.Document().save(path)
    return path


def rebuild(source: Path, target: Path, change: dict[str, bytes] | None = None,
            add: dict[str, bytes] | None = None) -> Path:
    """A copy of ``source`` with parts replaced or added, deflated."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change.get(info.filename, old.read(info.filename)))
        for name, data in add.items():
            new.writestr(name, data)
    return target


def refused(path: Path, match: str) -> str:
    with pytest.raises(ValueError, match=match) as error:
        DocxWriter(path)
    message = str(error.value)
    assert message.startswith(f"reference docx {path}: ")
    return message


def styles_with_doctype(plain: Path, doctype: str) -> bytes:
    with zipfile.ZipFile(plain) as archive:
        styles = archive.read("word/styles.xml").decode()
    head, _, rest = styles.partition("?>")
    return f"{head}?>{doctype}{rest}".encode()


# --- sizes ------------------------------------------------------------------------------------------------------


def test_a_small_zip_that_inflates_past_the_part_limit_is_refused(plain, tmp_path):
    bomb = rebuild(plain, tmp_path / "bomb.docx", add={"word/media/padding.bin": bytes(30 * MB)})
    assert bomb.stat().st_size < 1 * MB  # small on disk
    message = refused(bomb, r"part word/media/padding\.bin would inflate to 30 MB; the limit for one part is 25 MB")
    assert len(message) < 200


def test_parts_that_together_inflate_past_the_total_limit_are_refused(plain, tmp_path):
    parts = {f"word/media/part{n}.bin": bytes(24 * MB) for n in range(5)}
    refused(rebuild(plain, tmp_path / "many-big.docx", add=parts), r"would inflate to 12\d\.\d MB; the limit is 100 MB")


def test_a_zip_with_thousands_of_parts_is_refused(plain, tmp_path):
    parts = {f"word/extra/item{n}.xml": b"<a/>" for n in range(package.MAX_PARTS + 1)}
    refused(rebuild(plain, tmp_path / "many.docx", add=parts), "parts; a Word document has far fewer")


def test_a_file_larger_than_any_word_document_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 1000)
    path = tmp_path / "big.docx"
    path.write_bytes(b"x" * 2000)
    refused(path, "too large to be a Word document")


def _lie_about_size(path: Path, name: str, claimed: int) -> None:
    """Rewrite the uncompressed size of ``name`` in its local header and its central directory entry."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    count = int.from_bytes(data[end + 10:end + 12], "little")
    at = int.from_bytes(data[end + 16:end + 20], "little")  # the central directory
    for _ in range(count):
        name_length, extra, comment = (int.from_bytes(data[at + o:at + o + 2], "little") for o in (28, 30, 32))
        if data[at + 46:at + 46 + name_length] == name.encode():
            data[at + 24:at + 28] = claimed.to_bytes(4, "little")
            local = int.from_bytes(data[at + 42:at + 46], "little")
            data[local + 22:local + 26] = claimed.to_bytes(4, "little")
        at += 46 + name_length + extra + comment
    path.write_bytes(bytes(data))


def test_a_lying_size_header_is_refused_without_inflating_the_part(plain, tmp_path):
    with zipfile.ZipFile(plain) as archive:
        styles = archive.read("word/styles.xml")
    liar = rebuild(plain, tmp_path / "liar.docx", change={"word/styles.xml": styles + b" " * (60 * MB)})
    _lie_about_size(liar, "word/styles.xml", 4000)
    with zipfile.ZipFile(liar) as archive:
        assert archive.getinfo("word/styles.xml").file_size == 4000  # it claims to be small
    tracemalloc.start()
    try:
        message = refused(liar, r"part word/styles\.xml cannot be read")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB  # the 60 MB never came into memory
    assert "CRC" in message  # zipfile stops at the claimed size, and the checksum then fails


def test_inflating_stops_at_the_limit_even_when_the_declared_size_passed(plain, monkeypatch):
    with package.PackageReader(plain, "reference docx plain.docx") as reader:
        monkeypatch.setattr(package, "MAX_PART_BYTES", 1000)  # smaller than what styles.xml declares
        with pytest.raises(package.UnsafePackageError, match="inflates past the limit of 0 MB"):
            reader.read("word/styles.xml")


# --- XML --------------------------------------------------------------------------------------------------------

_LAUGHS = ('<!DOCTYPE w:styles [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
           '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
           '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
           '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>')


def test_an_entity_expansion_is_refused(plain, tmp_path):
    styles = styles_with_doctype(plain, _LAUGHS).replace(b"</w:styles>", b"<!-- &h; --></w:styles>")
    refused(rebuild(plain, tmp_path / "laughs.docx", change={"word/styles.xml": styles}), "declares a DTD")


def test_an_external_entity_is_refused_and_never_read(plain, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TEXT")
    doctype = f'<!DOCTYPE w:styles [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    styles = styles_with_doctype(plain, doctype).replace(b"<w:docDefaults>", b"<w:docDefaults>&x;", 1)
    message = refused(rebuild(plain, tmp_path / "xxe.docx", change={"word/styles.xml": styles}), "declares a DTD")
    assert "TOP-SECRET" not in message


def test_a_dtd_in_a_part_copied_as_it_is_is_refused(plain, tmp_path):
    with zipfile.ZipFile(plain) as archive:
        theme = archive.read("word/theme/theme1.xml").decode()
    head, _, rest = theme.partition("?>")
    hostile = f'{head}?><!DOCTYPE a:theme [<!ENTITY x "y">]>{rest}'.encode()
    refused(rebuild(plain, tmp_path / "theme.docx", change={"word/theme/theme1.xml": hostile}), "declares a DTD")


def test_a_damaged_optional_part_is_left_out_not_fatal(plain, tmp_path):
    path = rebuild(plain, tmp_path / "damaged-theme.docx", change={"word/theme/theme1.xml": b"<a:theme"})
    data = DocxWriter(path).render("Text.", META)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "word/theme/theme1.xml" not in archive.namelist()


def test_a_deeply_nested_part_is_refused(plain, tmp_path):
    deep = b"<w:styles xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>" + \
        b"<x>" * 100_000 + b"</x>" * 100_000 + b"</w:styles>"
    refused(rebuild(plain, tmp_path / "deep.docx", change={"word/styles.xml": deep}), "not well-formed")


# --- a document read back, and the command line ------------------------------------------------------------------


def test_reading_properties_of_a_bomb_is_a_value_error(plain, tmp_path):
    bomb = rebuild(plain, tmp_path / "bomb.docx", add={"docProps/padding.bin": bytes(30 * MB)})
    with pytest.raises(ValueError, match=r"Word document: part docProps/padding\.bin would inflate"):
        read_custom_properties(bomb.read_bytes())


def test_the_build_reports_a_hostile_reference_without_a_traceback(plain, tmp_path):
    bomb = rebuild(plain, tmp_path / "bomb.docx", add={"word/media/padding.bin": bytes(30 * MB)})
    area = tmp_path / "area"
    shutil.copytree(AREA, area)
    result = CliRunner().invoke(main, ["build", str(area), "-o", str(tmp_path / "out"), "--reference-docx",
                                       str(bomb)])
    assert result.exit_code != 0
    assert "would inflate to" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.docx"))
