"""Snakemake adapter for the survival stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import SurvivalFiles, survival_stage

with stage(snakemake) as config:
    survival_stage(
        Path(snakemake.input.participants),
        config,
        SurvivalFiles(**{name: Path(path) for name, path in snakemake.output.items()}),
    )
