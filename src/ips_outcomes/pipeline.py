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
from ips_outcomes.quarterly import quarterly_results, served_quarters
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
    """What the survival stage writes: row-level data, aggregate results and figure data.

    The figure data (curves, censor marks, risk table, medians, cumulative incidence) are
    aggregates already cut where fewer than the threshold remain at risk; the figures stage
    draws them in the report language, so a change of language redraws without refitting.
    """

    data: Path
    results: Path
    figure_data: Path


#: The frames of :class:`ips_outcomes.survival_results.SurvivalOutput` the figures need.
SURVIVAL_FIGURE_FRAMES = ("curves", "censored", "risk_table", "medians", "incidence")


def survival_stage(participants: Path, config: AnalysisConfig, files: SurvivalFiles) -> None:
    """Time to first job: estimates (suppressed) and the aggregate data of its figures."""
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
    files.figure_data.mkdir(parents=True, exist_ok=True)
    for name in SURVIVAL_FIGURE_FRAMES:
        frame: pl.DataFrame = getattr(output, name)
        frame.write_parquet(files.figure_data / f"{name}.parquet", statistics=False)


@dataclass(frozen=True)
class ComparisonFiles:
    """What the comparison stage writes: aggregate results, report context and figure data."""

    results: Path
    context: Path
    figure_data: Path


#: The comparison's aggregate figure inputs (site forest, trials forest, fidelity points).
COMPARISON_FIGURE_FRAMES = ("site_forest", "benchmark_forest", "fidelity_points")


def comparison_stage(
    participants: Path,
    database: Path,
    benchmarks: Path,
    config: AnalysisConfig,
    files: ComparisonFiles,
) -> None:
    """Compare the intervention with the controls, across sites, fidelity and the trials."""
    from ips_outcomes.benchmarks import load_benchmarks
    from ips_outcomes.compare import comparison_analysis
    from ips_outcomes.survival_results import comparisons

    people = pl.read_parquet(participants)
    with duckdb.connect(str(database), read_only=True) as con:
        assessments = con.sql("SELECT * FROM assessments").pl()
        fidelity = con.sql("SELECT * FROM fidelity").pl()
    services = sorted(people["service"].unique().to_list())
    output = comparison_analysis(
        people,
        assessments,
        fidelity,
        intervention=config.intervention,
        controls=comparisons(services, config.intervention, config.controls),
        main_window=f"{max(config.followup_months)}m",
        design=config.design,
        instruments=config.wellbeing_instruments,
        benchmarks=load_benchmarks(benchmarks),
        threshold=config.small_cell_threshold,
    )
    files.results.parent.mkdir(parents=True, exist_ok=True)
    output.results.write_parquet(files.results, statistics=False)
    reviews = output.extras.get("fidelity_reviews")
    fit = output.extras.get("fidelity_fit")
    context = {
        "fidelity_fit": list(fit) if isinstance(fit, tuple) else None,
        "statements": {
            key: value if isinstance(value, str) else [m.to_json() for m in value]
            for key, value in output.statements.items()
        },
        "fidelity_reviews": reviews.to_dicts() if isinstance(reviews, pl.DataFrame) else [],
    }
    files.context.write_text(
        json.dumps(context, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    files.figure_data.mkdir(parents=True, exist_ok=True)
    for name in COMPARISON_FIGURE_FRAMES:
        frame = output.extras.get(name)
        if isinstance(frame, pl.DataFrame) and frame.height:
            frame.write_parquet(files.figure_data / f"{name}.parquet", statistics=False)
        else:
            (files.figure_data / f"{name}.parquet").unlink(missing_ok=True)


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
    comparison_results: Path,
    ingest_json: Path,
    results_csv: Path,
    results_parquet: Path,
) -> None:
    """Compute every published result, withhold small cells (primary and secondary), write.

    Secondary suppression runs over the whole table at once, since a withheld cell in one
    analysis's grouping is only safe once every published total it adds up to is checked.
    """
    from ips_outcomes.baseline import baseline_results, complementary_suppression
    from ips_outcomes.flow import flow_counts

    people = pl.read_parquet(files.participants)
    per_window = pl.read_parquet(files.windows)
    served = pl.read_parquet(files.quarters)
    summary = json.loads(ingest_json.read_text(encoding="utf-8"))
    threshold = config.small_cell_threshold
    main_window = f"{max(config.followup_months)}m"
    table = results.combine(
        [
            *cohort_counts(people, threshold),
            baseline_results(people, config.intervention, threshold),
            flow_counts(summary, people, main_window, threshold),
            employment_results(people, per_window, config.windows, threshold),
            quarterly_results(served, people, threshold),
            pl.read_parquet(survival_results),
            pl.read_parquet(comparison_results),
        ]
    )
    primary = table["suppressed"]
    table = disclosure.secondary_suppression(complementary_suppression(table), threshold)
    # Marked apart so that a withheld large cell is not shown as "<5" (it is not small).
    table = table.with_columns((pl.col("suppressed") & ~primary).alias("secondary"))
    results.write_results(table, results_csv, results_parquet)
