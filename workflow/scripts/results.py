"""Snakemake adapter for the results stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import results_stage

with stage(snakemake) as config:
    results_stage(
        Path(snakemake.input.database),
        config,
        results_csv=Path(snakemake.output.csv),
        results_parquet=Path(snakemake.output.parquet),
    )
