"""Snakemake adapter for the results stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import DatasetFiles, results_stage

with stage(snakemake) as config:
    results_stage(
        DatasetFiles(
            participants=Path(snakemake.input.participants),
            windows=Path(snakemake.input.windows),
            quarters=Path(snakemake.input.quarters),
        ),
        config,
        survival_results=Path(snakemake.input.survival),
        comparison_results=Path(snakemake.input.comparison),
        ingest_json=Path(snakemake.input.ingest),
        results_csv=Path(snakemake.output.csv),
        results_parquet=Path(snakemake.output.parquet),
    )
