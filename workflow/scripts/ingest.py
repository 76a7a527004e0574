"""Snakemake adapter for the ingest stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import ingest_stage

with stage(snakemake) as config:
    ingest_stage(
        config,
        database=Path(snakemake.output.database),
        quarantine_csv=Path(snakemake.output.quarantine),
        summary_json=Path(snakemake.output.summary),
    )
