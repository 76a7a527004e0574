"""The analysis configuration: loaded, merged, checked against the JSON schema, and frozen.

Precedence, lowest first: `config/config.yaml`, the input folder's optional `cohort.yaml`, and
`--config KEY=VALUE` overrides. The Snakefile applies the same order through Snakemake's own
`configfile` mechanism; both check the result against `workflow/schemas/config.schema.yaml`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ips_outcomes.definitions import SERVICE_WINDOW
from ips_outcomes.errors import InputError

COHORT_FILE = "cohort.yaml"


@dataclass(frozen=True)
class AnalysisConfig:
    """A checked configuration with every default filled in."""

    input_dir: Path
    cohort_name: str
    data_cutoff: dt.date
    intervention: str
    controls: tuple[str, ...]
    followup_months: tuple[int, ...]
    dropout_reasons: tuple[str, ...]
    status_instrument: str
    survival_horizon_months: int
    wellbeing_instruments: tuple[str, ...]
    benchmarks: Path
    design: str
    language: str
    small_cell_threshold: int

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AnalysisConfig:
        """Build from a mapping that has passed :func:`check_config`."""
        input_dir = Path(values["input_dir"])
        return cls(
            input_dir=input_dir,
            cohort_name=values.get("cohort_name") or cohort_name_for(input_dir),
            data_cutoff=dt.date.fromisoformat(str(values["data_cutoff"])),
            intervention=values["intervention"],
            controls=tuple(values["controls"]),
            followup_months=tuple(sorted(values["followup_months"])),
            dropout_reasons=tuple(values["dropout_reasons"]),
            status_instrument=values["status_instrument"],
            survival_horizon_months=int(values["survival_horizon_months"]),
            wellbeing_instruments=tuple(values["wellbeing_instruments"]),
            benchmarks=Path(values["benchmarks"]),
            design=values["design"],
            language=values["language"],
            small_cell_threshold=int(values["small_cell_threshold"]),
        )

    @property
    def windows(self) -> tuple[str, ...]:
        """Window names in report order: the follow-up months, then `service`."""
        return (*(f"{m}m" for m in self.followup_months), SERVICE_WINDOW)


def cohort_name_for(input_dir: Path) -> str:
    """Default cohort name: the input folder's own name."""
    return Path(input_dir).resolve().name


def project_root(start: Path | None = None) -> Path:
    """Find the folder holding the `Snakefile` and `workflow/`, searching up from `start`.

    Falls back to the source checkout this package was installed from (editable install).
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if (candidate / "Snakefile").is_file() and (candidate / "workflow").is_dir():
            return candidate
    raise InputError(
        "cannot find the ips-outcomes workflow (a folder with Snakefile and workflow/); "
        "run the command from inside the project checkout"
    )


def load_config(
    root: Path,
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
) -> AnalysisConfig:
    """Merge the config layers for one run and check them.

    Parameters
    ----------
    root
        Project root (holds `config/` and `workflow/`).
    overrides
        Values given on the command line; `input_dir` among them picks the cohort.
    config_file
        Base configuration; default `root/config/config.yaml`.

    Returns
    -------
    AnalysisConfig
        The checked configuration.
    """
    base = read_yaml(config_file or root / "config" / "config.yaml")
    overrides = dict(overrides or {})
    input_dir = Path(overrides.get("input_dir", base.get("input_dir", "")))
    if not input_dir.is_absolute():
        input_dir = root / input_dir
    cohort_file = input_dir / COHORT_FILE
    cohort = read_yaml(cohort_file) if cohort_file.is_file() else {}
    merged = {**base, **cohort, **overrides, "input_dir": str(input_dir)}
    return AnalysisConfig.from_mapping(check_config(merged, root))


def check_config(values: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """Check `values` against the schema and fill defaults; raise InputError on a bad value."""
    schema = read_yaml(root / "workflow" / "schemas" / "config.schema.yaml")
    values = normalise(values)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"  {'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
            for e in errors
        ]
        raise InputError("configuration is not valid:\n" + "\n".join(lines))
    filled = dict(values)
    for key, spec in schema["properties"].items():
        if key not in filled and "default" in spec:
            filled[key] = spec["default"]
    return filled


def normalise(values: Mapping[str, Any]) -> dict[str, Any]:
    """Turn YAML dates (unquoted `2025-12-31`) back into the ISO text the schema expects."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in values.items()
    }


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, with a clear error when it is missing or not a mapping."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"configuration file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputError(f"{path}: expected a mapping of keys to values")
    return loaded
