"""Snakemake adapter for the report stage."""

from pathlib import Path

from ips_outcomes.adapter import stage
from ips_outcomes.pipeline import report_stage

with stage(snakemake) as config:
    report_stage(
        config,
        results_parquet=Path(snakemake.input.results),
        ingest_json=Path(snakemake.input.ingest),
        report_html=Path(snakemake.output.html),
        provenance_json=Path(snakemake.output.provenance),
        root=Path(snakemake.scriptdir).resolve().parents[1],
        figures={
            name: Path(snakemake.input[name])
            for name in (
                "time_to_first_job",
                "cumulative_incidence",
                "forest_sites",
                "forest_benchmarks",
                "fidelity",
            )
        },
        comparison_json=Path(snakemake.input.comparison),
    )
