"""README's "Limits" table states the limits the code enforces: each number in it is the constant's value."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from protocolgen import load
from protocolgen.render import Limits
from protocolgen.write.docx import package

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _limit(row: str) -> str:
    found = re.search(rf"^\| {re.escape(row)} \| (.*) \|$", README, re.M)
    assert found is not None, f"README's limits table has no row {row!r}"
    return found.group(1)


def test_the_limits_table_states_the_loaders_limits() -> None:
    assert _limit("a profile file (`area.yaml`, `agencies/*.yaml`, ...)") == f"{load.MAX_FILE_BYTES:,} bytes"
    assert _limit("one text value in a profile").startswith(f"{load.MAX_VALUE_CHARS:,} characters")
    assert _limit("the values of one file, each alias (`*name`) counted in full") == f"{load.MAX_VALUES:,}"
    assert _limit("files in `agencies/`, `panels/` or `organisations/`") == f"{load.MAX_FILES:,} each"


def test_the_limits_table_states_the_renderers_and_writers_limits() -> None:
    limits = Limits()
    assert _limit("a template file; a web page shell (`page.html.j2`)") == f"{limits.template_bytes:,} bytes each"
    assert _limit("rendering one document") == (f"{limits.steps:,} steps (loop turns, calls, filters) and "
                                                 f"{limits.seconds:g} seconds")
    assert limits.output_chars == limits.value_chars
    assert _limit("one document's Markdown; any text a template builds") == f"{limits.output_chars:,} characters each"
    assert _limit("a list a template builds; a number it computes") == (f"{limits.list_items:,} items; "
                                                                        f"{limits.int_digits:,} digits")
    mb = 1024 * 1024
    build = importlib.import_module("protocolgen.build")  # the module (the package exports its build function)
    assert _limit("`--reference-docx`") == (f"{build._REFERENCE_LIMIT // 1_000_000} MB on disk; "
                                            f"{package.MAX_PART_BYTES // mb} MB a part and "
                                            f"{package.MAX_TOTAL_BYTES // mb} MB in all unpacked")
