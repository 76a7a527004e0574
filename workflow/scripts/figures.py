"""Snakemake adapter for the figures stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.figures import FigureFiles, FigureInputs, figures_stage

with stage(snakemake) as config:
    figures_stage(
        config,
        FigureInputs(**{name: Path(path) for name, path in snakemake.input.items()}),
        FigureFiles(**{name: Path(path) for name, path in snakemake.output.items()}),
    )
