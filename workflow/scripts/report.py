"""Snakemake adapter for the report stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.publish import ReportFiles, report_stage

FIGURES = (
    "time_to_first_job",
    "cumulative_incidence",
    "forest_sites",
    "forest_benchmarks",
    "fidelity",
    "flow",
)

with stage(snakemake) as config:
    report_stage(
        config,
        results_parquet=Path(snakemake.input.results),
        ingest_json=Path(snakemake.input.ingest),
        files=ReportFiles(**{name: Path(path) for name, path in snakemake.output.items()}),
        root=Path(snakemake.scriptdir).resolve().parents[1],
        figures={name: Path(snakemake.input[name]) for name in FIGURES},
        comparison_json=Path(snakemake.input.comparison),
    )
