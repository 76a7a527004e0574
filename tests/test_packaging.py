"""The conda mirror must list exactly pyproject's runtime dependencies, at the same pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", requirement)
        assert match, f"not an exact pin: {requirement!r}"
        pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_environment_yml_mirrors_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    conda_pins = _pins([d for d in conda if "==" in d])
    assert conda_pins == _pins(project["dependencies"])
    python = next(d for d in conda if d.startswith("python"))
    assert python == "python" + project["requires-python"]


def test_lifelines_gets_a_pandas_it_supports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pandas = _pins(project["dependencies"])["pandas"]
    assert int(pandas.split(".")[0]) < 3
