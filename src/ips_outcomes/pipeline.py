"""One function per pipeline stage: what each Snakemake script calls, and nothing more.

Every stage reads files and writes files; the database is written by `ingest_stage` alone, and
row-level frames go to `data/processed/`, never to `reports/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class ComparisonFiles:
    """What the comparison stage writes: aggregate results, report context and figures."""

    results: Path
    context: Path
    sites_png: Path
    sites_svg: Path
    benchmarks_png: Path
    benchmarks_svg: Path
    fidelity_png: Path
    fidelity_svg: Path


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
    from ips_outcomes.comparison_plots import forest_figure, scatter_figure
    from ips_outcomes.survival_plots import save_figure
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
    context = {
        "statements": output.statements,
        "fidelity_reviews": reviews.to_dicts() if isinstance(reviews, pl.DataFrame) else [],
    }
    files.context.write_text(
        json.dumps(context, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    window = max(config.followup_months)
    figures = [
        (
            forest_figure,
            output.extras.get("site_forest"),
            files.sites_png,
            files.sites_svg,
            {
                "title": f"Employment within {window} months by site: risk ratio",
                "caption": f"{config.intervention} vs all control services; random-effects "
                "pooling (DerSimonian-Laird).",
                "x_label": "Risk ratio (log scale)",
                "log_scale": True,
                "reference": 1.0,
            },
        ),
        (
            forest_figure,
            _ratio_rows(output.extras.get("benchmark_forest")),
            files.benchmarks_png,
            files.benchmarks_svg,
            {
                "title": "This cohort beside the published trials: risk ratio",
                "caption": output.statements.get("benchmarks", ""),
                "x_label": "Risk ratio (log scale)",
                "log_scale": True,
                "reference": 1.0,
            },
        ),
    ]
    for draw, rows, png, svg, labels in figures:
        save_figure(_figure_or_note(draw, rows, labels), png, svg)
    points = output.extras.get("fidelity_points")
    fit = output.extras.get("fidelity_fit")
    if isinstance(points, pl.DataFrame) and points.height:
        figure = scatter_figure(
            points,
            fit if isinstance(fit, tuple) else None,
            title=f"Site employment within {window} months and IPS-25 fidelity",
            caption=output.statements.get("fidelity", ""),
            x_label="IPS-25 fidelity total (latest complete review)",
            y_label="Employed",
        )
    else:
        figure = _note_figure(output.statements.get("fidelity", "No fidelity data."))
    save_figure(figure, files.fidelity_png, files.fidelity_svg)


def _ratio_rows(rows: object) -> pl.DataFrame | None:
    """Keep the risk-ratio rows of the benchmark comparison (one scale per forest plot)."""
    if not isinstance(rows, pl.DataFrame) or rows.height == 0:
        return None
    order = pl.col("group").replace_strict(
        {"published": 0, "recomputed": 1, "this cohort": 2}, default=3, return_dtype=pl.Int8
    )
    return rows.filter(pl.col("measure") == "RR").drop("measure").sort(order, maintain_order=True)


def _figure_or_note(draw: Any, rows: object, labels: dict[str, Any]) -> Any:
    if isinstance(rows, pl.DataFrame) and rows.height:
        return draw(rows, **labels)
    return _note_figure("Not enough data for this figure.")


def _note_figure(text: str) -> Any:
    """Draw a small figure saying why there is no plot (every figure file always exists)."""
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(6, 1.2))
    figure.text(0.02, 0.5, text.replace("$", r"\$"), va="center", wrap=True)
    return figure


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
            pl.read_parquet(comparison_results),
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
    comparison_json: Path | None = None,
) -> None:
    """Write the HTML report and its provenance record."""
    summary = json.loads(ingest_json.read_text(encoding="utf-8"))
    context = json.loads(comparison_json.read_text(encoding="utf-8")) if comparison_json else {}
    provenance = collect_provenance(config, summary, root)
    provenance_json.parent.mkdir(parents=True, exist_ok=True)
    provenance_json.write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    html = render_report(
        pl.read_parquet(results_parquet), summary, provenance, config, figures, context
    )
    report_html.write_text(html, encoding="utf-8")
