"""What produced a report: inputs (checksums), configuration, code and package versions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ips_outcomes import __version__
from ips_outcomes.config import AnalysisConfig

PACKAGES = (
    "ips-outcomes",
    "duckdb",
    "polars",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "lifelines",
    "plotnine",
    "matplotlib",
    "great-tables",
    "babel",
    "xlsxwriter",
    "snakemake",
    "jinja2",
    "pyarrow",
)


def code_version(root: Path) -> str:
    """`git describe` of the checkout (with `-dirty` for local edits), else the package version."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{described}" if described else __version__


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the analysis depends on."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def collect_provenance(
    config: AnalysisConfig, ingest_summary: dict[str, Any], root: Path
) -> dict[str, Any]:
    """Provenance record for a run; `run_started` is the only field that differs between runs.

    Input paths are recorded by file name only: a report travels, a home directory should not.
    """
    settings = {field.name: getattr(config, field.name) for field in dataclasses.fields(config)}
    settings["input_dir"] = config.input_dir.name
    settings["data_cutoff"] = config.data_cutoff.isoformat()
    settings["controls"] = list(config.controls)
    settings["followup_months"] = list(config.followup_months)
    settings["dropout_reasons"] = list(config.dropout_reasons)
    settings["wellbeing_instruments"] = list(config.wellbeing_instruments)
    settings["benchmarks"] = str(config.benchmarks)
    return {
        "inputs": [
            {"table": t["table"], "file": t["file"], "sha256": t["sha256"]}
            for t in ingest_summary["tables"]
        ],
        "config": settings,
        "code_version": code_version(root),
        "python": platform.python_version(),
        "packages": package_versions(),
        "data_contract": ingest_summary["contract_version"],
        "run_started": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
