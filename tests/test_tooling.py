"""Strict tooling is part of the test suite, so CI enforces it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ips_outcomes import validate
from ips_outcomes.contract import TABLES

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "tests", "workflow", "benchmarks"],
        ["ruff", "format", "--check", "src", "tests", "workflow", "benchmarks"],
        ["mypy"],
        ["snakemake", "--lint", "--cores", "1"],
    ],
    ids=["ruff", "ruff-format", "mypy", "snakemake-lint"],
)
def test_tool_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_data_contract_doc_names_every_column_and_rule() -> None:
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for table in TABLES.values():
        section = doc.split(f"### `{table.name}`", 1)[1].split("###", 1)[0]
        for column in table.column_names:
            assert f"| `{column}` |" in section, (table.name, column)
    rules = set(re.findall(r"^(\w+)\s{2,}", validate.__doc__ or "", flags=re.MULTILINE))
    rules |= {"invalid_date", "invalid_bool", "invalid_float", "invalid_int"}
    assert len(rules) == 15  # the rule table in validate's docstring, plus the four invalid_*
    for rule in sorted(rules):
        assert f"`{rule}`" in doc, rule


def test_outcomes_doc_defines_every_outcome() -> None:
    from ips_outcomes.definitions import OUTCOMES

    doc = (ROOT / "docs" / "outcomes.md").read_text(encoding="utf-8")
    for name in OUTCOMES:
        assert f"`{name}`" in doc, name
    for population in ("complete_followup", "complete_case", "all_enrolled", "workers_only"):
        assert f"`{population}`" in doc, population
