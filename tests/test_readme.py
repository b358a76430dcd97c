"""README promises: the Quick start is two commands, and the rules table lists exactly the rules in the code."""

from __future__ import annotations

import re
from pathlib import Path

from protocolgen.rules import RULES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_exactly_two_commands() -> None:
    block = re.search(r"^## Quick start\n+```\n(.*?)```", README, re.S | re.M)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "protocolgen build agency_profiles" in commands[0] and commands[1].endswith("python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    block = re.search(r"^## Quick start\n+```\n(.*?)```", README, re.S | re.M)
    assert block is not None
    test_command = [line for line in block.group(1).splitlines() if line.strip()][1]
    assert test_command in ci.splitlines()


def _rule_rows() -> list[str]:
    """The rows of the README's rule table ('| rule | source |'), as written."""
    table = re.search(r"^\| rule \| source \|\n\|---\|---\|\n((?:\|.*\|\n)+)", README, re.M)
    assert table is not None, "the README has no '| rule | source |' table"
    return table.group(1).splitlines()


def _row(summary: str, source: str) -> str:
    return f"| {summary[0].upper()}{summary[1:]} | {source} |"


def test_every_rule_is_listed_with_its_source() -> None:
    missing = [_row(each.summary, each.source) for each in RULES if _row(each.summary, each.source) not in _rule_rows()]
    assert not missing, "the README's rule table lacks these rows:\n" + "\n".join(missing)


def test_the_readme_lists_no_rule_the_code_does_not_have() -> None:
    rules = {_row(each.summary, each.source) for each in RULES}
    stale = [row for row in _rule_rows() if row not in rules]
    assert not stale, "the README's rule table lists rules the code no longer has:\n" + "\n".join(stale)
