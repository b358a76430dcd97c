"""The sign-off register (AREA/signoff.yaml): validated with file and line like the other area files, appended
to by ``protocolgen sign`` without disturbing what is there, and every wrong signature refused in plain words."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))
import arealib as A

from protocolgen import BuildOptions, build
from protocolgen.cli import main
from protocolgen.commands.issue import issue
from protocolgen.signoff import REGISTER_NAME, Signature, SignoffRegister, append_signature, read_register

PROTOCOL = "panels/early-help/protocol"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return A.write_area(tmp_path / "area")


@pytest.fixture
def issued(root: Path, tmp_path: Path) -> Path:
    """The minimal area built and issued (1.0, 1 April 2026) into tmp_path/out."""
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    issue(BuildOptions(area_dir=root, out_dir=out))
    return out


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert "Traceback" not in result.output
    return result


def signature(controller: str = "north-council", when: str = "2026-04-10", version: str = "1.0") -> Signature:
    return Signature(document=PROTOCOL, version=version, controller=controller, signatory="Director",
                     date=date.fromisoformat(when))


REGISTER = """\
# Signatures of our protocols. Kept by the business manager.
signatures:
  # The council signed first.
  - document: panels/early-help/protocol
    version: "1.0"
    controller: north-council
    signatory: Director of Children's Services
    date: 2026-04-10

# (end of the list)
"""


def test_no_register_is_an_empty_register(root: Path) -> None:
    assert read_register(root) == (SignoffRegister(), [])


def test_problems_are_reported_with_file_line_and_field(root: Path) -> None:
    A.write_text(root, REGISTER_NAME, REGISTER.replace('version: "1.0"', "version: 1.0").replace(
        "signatory:", "signatori:") + "  - document: panels/early-help\n    version: '1.0'\n    controller: x\n"
        "    signatory: Head\n    date: 10 April\n")
    result = run("validate", root)
    assert result.exit_code == 1
    at = f"{root.as_posix()}/{REGISTER_NAME}"
    version_line = A.line_of(root, REGISTER_NAME, "version: 1.0")
    assert (f"{at}:{version_line}: error: signatures[0].version: 1.0 is a number; write the version in quotes, "
            'e.g. version: "1.0"') in result.output
    assert (f"{at}:{A.line_of(root, REGISTER_NAME, 'signatori')}: error: signatures[0].signatori: is not a field "
            "protocolgen knows (did you mean 'signatory'?)") in result.output
    assert f"{at}:{A.line_of(root, REGISTER_NAME, 'document: panels/early-help', 2)}: error: signatures[1].document" \
        in result.output
    assert f"{at}:{A.line_of(root, REGISTER_NAME, 'date: 10 April')}: error: signatures[1].date" in result.output


def test_a_broken_register_stops_a_build_before_anything_is_written(root: Path, tmp_path: Path) -> None:
    A.write_text(root, REGISTER_NAME, "signatures: [unclosed\n")
    result = run("build", root, "-o", tmp_path / "out")
    assert result.exit_code == 1 and f"{REGISTER_NAME}:" in result.output and not (tmp_path / "out").exists()


def test_the_same_signature_twice_is_a_warning(root: Path) -> None:
    entry = REGISTER.split("  # The council", 1)[1].split("\n", 1)[1].split("\n# (end")[0] + "\n"
    A.write_text(root, REGISTER_NAME, REGISTER.replace("\n# (end of the list)", entry + "# (end of the list)"))
    register, problems = read_register(root)
    assert len(register.signatures) == 2
    assert [p.severity for p in problems] == ["warning"] and "already" in problems[0].message


@pytest.mark.parametrize("text", [
    REGISTER,
    REGISTER.replace("\n  ", "\n"),  # items at the key's own indentation, as PyYAML writes them
    "signatures: []\n",
    "# nothing signed yet\nsignatures:\n",
])
def test_appending_keeps_the_file_as_it_was(root: Path, text: str) -> None:
    A.write_text(root, REGISTER_NAME, text)
    register, problems = read_register(root)
    assert problems == []
    entry = signature("north-health", "2026-04-12")
    append_signature(root, entry, register)
    after = (root / REGISTER_NAME).read_text(encoding="utf-8")
    again, problems = read_register(root)
    assert problems == [] and again.signatures == [*register.signatures, entry]
    # Every comment and line of the old file is still there, in order.
    kept = [line for line in text.splitlines() if line.strip() and line.strip() != "signatures: []"]
    positions = [after.splitlines().index(line) for line in kept]
    assert positions == sorted(positions)
    if "# (end of the list)" in text:  # the new entry goes at the end of the list, not after what follows it
        assert after.index("north-health") < after.index("# (end of the list)")


def test_a_new_register_explains_itself(root: Path) -> None:
    append_signature(root, signature(), SignoffRegister())
    text = (root / REGISTER_NAME).read_text(encoding="utf-8")
    assert text.startswith("# Sign-off register") and yaml.safe_load(text)["signatures"][0]["version"] == "1.0"


def test_sign_refuses_what_cannot_be_signed(root: Path, issued: Path) -> None:
    base = ["sign", root, "-o", issued, "--signatory", "Director", "--date", "2026-04-10"]

    def refused(*args: str) -> str:
        result = run(*base, *args)
        assert result.exit_code == 1, result.output
        return result.output

    assert "did you mean 'panels/early-help/protocol'?" in refused("--document", "panels/early-hlp/protocol",
                                                                 "--controller", "north-council")
    said = refused("--document", PROTOCOL, "--controller", "north-councl")
    assert "did you mean 'north-council'?" in said and "north-health, north-youth-trust" in said
    assert "is before version 1.0 was issued (2026-04-01)" in run(
        "sign", root, "-o", issued, "--document", PROTOCOL, "--controller", "north-council", "--signatory", "D",
        "--date", "2026-03-01").output
    assert "--signatory" in refused("--document", PROTOCOL, "--controller", "north-council", "--signatory", " ")
    assert run(*base, "--document", PROTOCOL, "--controller", "north-council").exit_code == 0
    assert "signed version 1.0 of panels/early-help/protocol already, on 2026-04-10" in refused(
        "--document", PROTOCOL, "--controller", "north-council")
    assert len(read_register(root)[0].signatures) == 1


def test_a_draft_cannot_be_signed(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(area_dir=root, out_dir=out))
    result = run("sign", root, "-o", out, "--document", PROTOCOL, "--controller", "north-council",
                 "--signatory", "Director", "--date", "2026-04-10")
    assert result.exit_code == 1 and "has not been issued yet (it is a draft of 1.0)" in result.output
    assert not (root / REGISTER_NAME).exists()


def test_signing_updates_the_index(root: Path, issued: Path) -> None:
    assert "0 of 3 signed" in (issued / "index.html").read_text(encoding="utf-8")
    run("sign", root, "-o", issued, "--document", PROTOCOL, "--controller", "north-health", "--signatory", "CEO",
        "--date", "2026-04-11")
    assert "1 of 3 signed" in (issued / "index.html").read_text(encoding="utf-8")
    # The index is a report protocolgen wrote: the next build sees it as its own, not a hand edit.
    result = build(BuildOptions(area_dir=root, out_dir=issued))
    assert result.edited == [] and result.written == []
