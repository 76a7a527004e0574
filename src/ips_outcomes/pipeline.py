"""One function per pipeline stage: what each Snakemake script calls, and nothing more.

Every stage reads files and writes files; the database is written by `ingest_stage` alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from ips_outcomes import disclosure, results
from ips_outcomes.config import AnalysisConfig
from ips_outcomes.ingest import ingest
from ips_outcomes.outcomes import ever_employed
from ips_outcomes.provenance import collect_provenance
from ips_outcomes.rates import proportions
from ips_outcomes.report import render_report

COHORT_GROUPINGS: tuple[list[str], ...] = ([], ["service"], ["site", "service"])


def ingest_stage(
    config: AnalysisConfig, database: Path, quarantine_csv: Path, summary_json: Path
) -> None:
    """Validate the configured input folder and load it into `database`."""
    ingest(config.input_dir, config.data_cutoff, database, quarantine_csv, summary_json)


def cohort_results(database: Path, config: AnalysisConfig) -> pl.DataFrame:
    """Participants and share ever in competitive work, per service and site, suppressed.

    Parameters
    ----------
    database
        Ingested cohort database (opened read-only).
    config
        Analysis configuration (cut-off and small-cell threshold).

    Returns
    -------
    pl.DataFrame
        Long-format results (see :mod:`ips_outcomes.results`).
    """
    with duckdb.connect(str(database), read_only=True) as con:
        people = ever_employed(con, config.data_cutoff)
    threshold = config.small_cell_threshold
    parts = []
    for by in COHORT_GROUPINGS:
        counts = (
            people.group_by(by).agg(pl.len().cast(pl.Int64).alias("participants"))
            if by
            else people.select(pl.len().cast(pl.Int64).alias("participants"))
        )
        suppressed = disclosure.suppress_counts(counts, "participants", threshold)
        parts.append(results.from_counts(suppressed, "cohort", by, "participants"))
        rates = disclosure.suppress_proportions(
            proportions(people, "ever_competitive", by), threshold
        )
        parts.append(results.from_proportions(rates, "employment", "ever_competitive_job", by))
    return results.combine(parts)


def results_stage(
    database: Path, config: AnalysisConfig, results_csv: Path, results_parquet: Path
) -> None:
    """Compute the published results and write them in long format."""
    results.write_results(cohort_results(database, config), results_csv, results_parquet)


def report_stage(
    config: AnalysisConfig,
    results_parquet: Path,
    ingest_json: Path,
    report_html: Path,
    provenance_json: Path,
    root: Path,
) -> None:
    """Write the HTML report and its provenance record."""
    summary = json.loads(ingest_json.read_text(encoding="utf-8"))
    provenance = collect_provenance(config, summary, root)
    provenance_json.parent.mkdir(parents=True, exist_ok=True)
    provenance_json.write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    html = render_report(pl.read_parquet(results_parquet), summary, provenance, config)
    report_html.write_text(html, encoding="utf-8")
