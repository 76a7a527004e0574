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
from ips_outcomes import figure_text as text
from ips_outcomes.config import AnalysisConfig
from ips_outcomes.dataset import build_dataset, to_wide
from ips_outcomes.employment import employment_results
from ips_outcomes.i18n import Translator
from ips_outcomes.ingest import ingest
from ips_outcomes.plot_style import language
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
    tr = Translator(config.language)
    with language(tr):
        figure = km_figure(
            output.curves,
            output.censored,
            output.risk_table,
            output.medians,
            title=tr.format(text.KM_TITLE, months=config.survival_horizon_months),
            caption=km_caption(output.results, tr),
            y_label=tr.gettext(text.KM_Y),
            x_label=tr.gettext(text.MONTHS_X),
        )
        save_figure(figure, files.km_png, files.km_svg)
        figure = cif_figure(
            output.incidence.rename({"cif": "estimate"}),
            title=tr.gettext(text.CIF_TITLE),
            caption=tr.gettext(text.CIF_CAPTION),
            y_label=tr.gettext(text.CIF_Y),
            x_label=tr.gettext(text.MONTHS_X),
        )
        save_figure(figure, files.cif_png, files.cif_svg)


def km_caption(results: pl.DataFrame, tr: Translator) -> str:
    """One caption line per comparison: log-rank p and the site-stratified adjusted HR."""
    rows = results.filter(
        (pl.col("grouping") == "comparison")
        & pl.col("statistic").is_in(["logrank_p", "hr_adjusted_strata_site"])
    )
    lines = []
    for comparison in sorted(set(rows["group"].to_list())):
        get = {
            r["statistic"]: r
            for r in rows.filter(pl.col("group") == comparison).iter_rows(named=True)
        }
        p, hr = get.get("logrank_p"), get.get("hr_adjusted_strata_site")
        if p is None or hr is None:
            continue
        shown = tr.interval(hr["estimate"], hr["ci_lower"], hr["ci_upper"])
        p_text = tr.p_value(p["estimate"])
        p_text = p_text if p_text.startswith("<") else "= " + p_text
        lines.append(tr.format(text.KM_CAPTION, comparison=comparison, p=p_text, hr=shown))
    return "; ".join(lines)


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
    tr = Translator(config.language)
    with language(tr):
        _comparison_figures(output, config, files, tr)


def _comparison_figures(
    output: Any, config: AnalysisConfig, files: ComparisonFiles, tr: Translator
) -> None:
    from ips_outcomes.comparison_plots import forest_figure, scatter_figure
    from ips_outcomes.survival_plots import save_figure

    months = max(config.followup_months)
    statements = {
        key: value if isinstance(value, str) else tr.render_all(value)
        for key, value in output.statements.items()
    }
    forest = {"x_label": tr.gettext(text.RR_AXIS), "log_scale": True, "reference": 1.0}
    figures = [
        (
            output.extras.get("site_forest"),
            files.sites_png,
            files.sites_svg,
            {
                "title": tr.format(text.SITES_TITLE, months=months),
                "caption": tr.format(text.SITES_CAPTION, intervention=config.intervention),
            },
        ),
        (
            _ratio_rows(output.extras.get("benchmark_forest")),
            files.benchmarks_png,
            files.benchmarks_svg,
            {
                "title": tr.gettext(text.BENCHMARKS_TITLE),
                "caption": statements.get("benchmarks", ""),
            },
        ),
    ]
    for rows, png, svg, labels in figures:
        save_figure(_figure_or_note(forest_figure, rows, labels | forest, tr), png, svg)
    points = output.extras.get("fidelity_points")
    fit = output.extras.get("fidelity_fit")
    if isinstance(points, pl.DataFrame) and points.height:
        figure = scatter_figure(
            points,
            fit if isinstance(fit, tuple) else None,
            title=tr.format(text.FIDELITY_TITLE, months=months),
            caption=statements.get("fidelity", ""),
            x_label=tr.gettext(text.FIDELITY_X),
            y_label=tr.gettext(text.FIDELITY_Y),
        )
    else:
        figure = _note_figure(statements.get("fidelity", tr.gettext(text.NO_FIDELITY)))
    save_figure(figure, files.fidelity_png, files.fidelity_svg)


def _ratio_rows(rows: object) -> pl.DataFrame | None:
    """Keep the risk-ratio rows of the benchmark comparison (one scale per forest plot)."""
    if not isinstance(rows, pl.DataFrame) or rows.height == 0:
        return None
    order = pl.col("group").replace_strict(
        {"published": 0, "recomputed": 1, "this cohort": 2}, default=3, return_dtype=pl.Int8
    )
    return rows.filter(pl.col("measure") == "RR").drop("measure").sort(order, maintain_order=True)


def _figure_or_note(draw: Any, rows: object, labels: dict[str, Any], tr: Translator) -> Any:
    if isinstance(rows, pl.DataFrame) and rows.height:
        return draw(rows, **labels)
    return _note_figure(tr.gettext(text.NOT_ENOUGH))


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
