"""Snakemake adapter for the comparison stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import ComparisonFiles, comparison_stage

with stage(snakemake) as config:
    outputs = {name: Path(path) for name, path in snakemake.output.items()}
    comparison_stage(
        Path(snakemake.input.participants),
        Path(snakemake.input.database),
        Path(snakemake.input.benchmarks),
        config,
        ComparisonFiles(**outputs),
    )
