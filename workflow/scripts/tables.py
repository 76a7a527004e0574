"""Snakemake adapter for the tables stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.publish import tables_stage

with stage(snakemake) as config:
    tables_stage(config, Path(snakemake.input.results), Path(snakemake.output.folder))
