"""One function per pipeline stage: what each Snakemake script calls, and nothing more.

Every stage reads files and writes files; the database is written by `ingest_stage` alone, and
row-level frames go to `data/processed/`, never to `reports/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ips_outcomes import disclosure, results
from ips_outcomes.config import AnalysisConfig
from ips_outcomes.dataset import build_dataset, to_wide
from ips_outcomes.employment import employment_results
from ips_outcomes.ingest import ingest
from ips_outcomes.provenance import collect_provenance
from ips_outcomes.quarterly import quarterly_results, served_quarters
from ips_outcomes.report import render_report
from ips_outcomes.results import Stat
from ips_outcomes.survival_data import first_job_times
from ips_outcomes.survival_results import survival_analysis

COHORT_GROUPINGS: tuple[tuple[str, ...], ...] = ((), ("service",), ("site", "service"))


@dataclass(frozen=True)
class DatasetFiles:
    """The row-level analysis files of a cohort (under `data/processed/<cohort>/`)."""

    participants: Path
    windows: Path
    quarters: Path


def ingest_stage(
    config: AnalysisConfig, database: Path, quarantine_csv: Path, summary_json: Path
) -> None:
    """Validate the configured input folder and load it into `database`."""
    ingest(config.input_dir, config.data_cutoff, database, quarantine_csv, summary_json)


def dataset_stage(database: Path, config: AnalysisConfig, files: DatasetFiles) -> None:
    """Build the analysis dataset from the database and write it as Parquet.

    `participants` is one row per person (person measures, then `<measure>_<window>`);
    `windows` is the same per-window measures in long form; `quarters` lists the quarters
    each intervention participant was served.
    """
    with duckdb.connect(str(database), read_only=True) as con:
        people, per_window = build_dataset(
            con,
            config.data_cutoff,
            config.followup_months,
            config.dropout_reasons,
            config.status_instrument,
        )
        served = served_quarters(con, config.intervention, config.data_cutoff)
    files.participants.parent.mkdir(parents=True, exist_ok=True)
    to_wide(people, per_window).write_parquet(files.participants, statistics=False)
    per_window.write_parquet(files.windows, statistics=False)
    served.write_parquet(files.quarters, statistics=False)


@dataclass(frozen=True)
class SurvivalFiles:
    """What the survival stage writes: row-level data, aggregate results and figures."""

    data: Path
    results: Path
    km_png: Path
    km_svg: Path
    cif_png: Path
    cif_svg: Path


def survival_stage(participants: Path, config: AnalysisConfig, files: SurvivalFiles) -> None:
    """Time to first job: estimates (suppressed) and the two figures."""
    from ips_outcomes.survival_plots import cif_figure, km_figure, save_figure

    data = first_job_times(pl.read_parquet(participants), config.survival_horizon_months)
    files.data.parent.mkdir(parents=True, exist_ok=True)
    data.write_parquet(files.data, statistics=False)
    output = survival_analysis(
        data,
        config.intervention,
        config.controls,
        config.survival_horizon_months,
        config.small_cell_threshold,
    )
    output.results.write_parquet(files.results, statistics=False)
    horizon = config.survival_horizon_months
    figure = km_figure(
        output.curves,
        output.censored,
        output.risk_table,
        output.medians,
        title=f"Time to first competitive job, {horizon} months after enrolment",
        caption=output.caption,
    )
    save_figure(figure, files.km_png, files.km_svg)
    figure = cif_figure(
        output.incidence.rename({"cif": "estimate"}),
        title="First job, with drop-out from the service as a competing event",
        caption="Aalen-Johansen cumulative incidence; 95 % pointwise CI.",
    )
    save_figure(figure, files.cif_png, files.cif_svg)


def cohort_counts(people: pl.DataFrame, threshold: int) -> list[pl.DataFrame]:
    """Numbers of participants overall, per service and per site and service."""
    parts = []
    for by in COHORT_GROUPINGS:
        counts = (
            people.group_by(by).agg(pl.len().cast(pl.Int64).alias("participants"))
            if by
            else people.select(pl.len().cast(pl.Int64).alias("participants"))
        )
        parts.append(
            results.long_rows(
                disclosure.suppress_counts(counts, "participants", threshold),
                analysis="cohort",
                outcome="participants",
                by=by,
                stats={"n": Stat("participants")},
                n="participants",
            )
        )
    return parts


def results_stage(
    files: DatasetFiles,
    config: AnalysisConfig,
    survival_results: Path,
    results_csv: Path,
    results_parquet: Path,
) -> None:
    """Compute every published (suppressed) result and write them in long format."""
    people = pl.read_parquet(files.participants)
    per_window = pl.read_parquet(files.windows)
    served = pl.read_parquet(files.quarters)
    threshold = config.small_cell_threshold
    table = results.combine(
        [
            *cohort_counts(people, threshold),
            employment_results(people, per_window, config.windows, threshold),
            quarterly_results(served, people, threshold),
            pl.read_parquet(survival_results),
        ]
    )
    results.write_results(table, results_csv, results_parquet)


def report_stage(
    config: AnalysisConfig,
    results_parquet: Path,
    ingest_json: Path,
    report_html: Path,
    provenance_json: Path,
    root: Path,
    figures: dict[str, Path] | None = None,
) -> None:
    """Write the HTML report and its provenance record."""
    summary = json.loads(ingest_json.read_text(encoding="utf-8"))
    provenance = collect_provenance(config, summary, root)
    provenance_json.parent.mkdir(parents=True, exist_ok=True)
    provenance_json.write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    html = render_report(pl.read_parquet(results_parquet), summary, provenance, config, figures)
    report_html.write_text(html, encoding="utf-8")
