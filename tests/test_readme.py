"""README promises: the Quick start is two commands, and the rules table matches the rules in the code."""

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


def test_every_rule_is_listed_with_its_source() -> None:
    for each in RULES:
        assert f"| {each.summary[0].upper()}{each.summary[1:]} | {each.source} |" in README, each.summary
