"""Snakemake adapter for the dataset stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import DatasetFiles, dataset_stage

with stage(snakemake) as config:
    dataset_stage(
        Path(snakemake.input.database),
        config,
        DatasetFiles(
            participants=Path(snakemake.output.participants),
            windows=Path(snakemake.output.windows),
            quarters=Path(snakemake.output.quarters),
        ),
    )
