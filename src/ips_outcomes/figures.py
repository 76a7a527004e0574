"""The figures stage: every figure of the report, drawn in the report language.

It reads only aggregate inputs (the survival and comparison stages' figure data, the
published results and the comparison context), so changing the report language redraws the
figures without refitting any model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ips_outcomes import figure_text as text
from ips_outcomes.config import AnalysisConfig
from ips_outcomes.i18n import Translator
from ips_outcomes.plot_style import language
from ips_outcomes.results import cohort_services


@dataclass(frozen=True)
class FigureFiles:
    """The report's figures, each as PNG (embedded in the report) and SVG."""

    km_png: Path
    km_svg: Path
    cif_png: Path
    cif_svg: Path
    sites_png: Path
    sites_svg: Path
    benchmarks_png: Path
    benchmarks_svg: Path
    fidelity_png: Path
    fidelity_svg: Path
    flow_png: Path
    flow_svg: Path


@dataclass(frozen=True)
class FigureInputs:
    """Where the figures' aggregate data are."""

    results: Path
    survival: Path
    comparison: Path
    context: Path


def figures_stage(config: AnalysisConfig, inputs: FigureInputs, files: FigureFiles) -> None:
    """Draw every figure of the report in `config.language`."""
    tr = Translator(config.language)
    results = pl.read_parquet(inputs.results)
    context = json.loads(inputs.context.read_text(encoding="utf-8"))
    with language(tr):
        _survival_figures(config, inputs.survival, results, files, tr)
        _comparison_figures(config, inputs.comparison, context, files, tr)
        _flow_figure(config, results, files, tr)


def _survival_figures(
    config: AnalysisConfig, folder: Path, results: pl.DataFrame, files: FigureFiles, tr: Translator
) -> None:
    from ips_outcomes.survival_plots import cif_figure, km_figure, save_figure

    read = {name: pl.read_parquet(folder / f"{name}.parquet") for name in _SURVIVAL}
    figure = km_figure(
        read["curves"],
        read["censored"],
        read["risk_table"],
        read["medians"],
        title=tr.format(text.KM_TITLE, months=config.survival_horizon_months),
        caption=km_caption(results, tr),
        y_label=tr.gettext(text.KM_Y),
        x_label=tr.gettext(text.MONTHS_X),
    )
    save_figure(figure, files.km_png, files.km_svg)
    figure = cif_figure(
        read["incidence"].rename({"cif": "estimate"}),
        title=tr.gettext(text.CIF_TITLE),
        caption=tr.gettext(text.CIF_CAPTION),
        y_label=tr.gettext(text.CIF_Y),
        x_label=tr.gettext(text.MONTHS_X),
    )
    save_figure(figure, files.cif_png, files.cif_svg)


_SURVIVAL = ("curves", "censored", "risk_table", "medians", "incidence")


def km_caption(results: pl.DataFrame, tr: Translator) -> str:
    """One caption line per comparison: log-rank p and the site-stratified adjusted HR."""
    rows = results.filter(
        (pl.col("analysis") == "survival")
        & (pl.col("grouping") == "comparison")
        & pl.col("statistic").is_in(["logrank_p", "hr_adjusted_strata_site"])
    )
    lines = []
    for comparison in sorted(set(rows["group"].to_list())):
        mine = rows.filter(pl.col("group") == comparison)
        get = {r["statistic"]: r for r in mine.iter_rows(named=True)}
        p, hr = get.get("logrank_p"), get.get("hr_adjusted_strata_site")
        if p is None or hr is None or p["estimate"] is None:
            continue
        shown = tr.interval(hr["estimate"], hr["ci_lower"], hr["ci_upper"])
        p_text = tr.p_value(p["estimate"])
        p_text = p_text if p_text.startswith("<") else "= " + p_text
        lines.append(tr.format(text.KM_CAPTION, comparison=comparison, p=p_text, hr=shown))
    return "; ".join(lines)


def _frame(folder: Path, name: str) -> pl.DataFrame | None:
    path = folder / f"{name}.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def _comparison_figures(
    config: AnalysisConfig,
    folder: Path,
    context: dict[str, Any],
    files: FigureFiles,
    tr: Translator,
) -> None:
    from ips_outcomes.comparison_plots import forest_figure, scatter_figure
    from ips_outcomes.survival_plots import save_figure

    months = max(config.followup_months)
    statements = tr.render_statements(context.get("statements", {}))
    forest = {"x_label": tr.gettext(text.RR_AXIS), "log_scale": True, "reference": 1.0}
    figures = [
        (
            _frame(folder, "site_forest"),
            files.sites_png,
            files.sites_svg,
            {
                "title": tr.format(text.SITES_TITLE, months=months),
                "caption": tr.format(text.SITES_CAPTION, intervention=config.intervention),
            },
        ),
        (
            _ratio_rows(_frame(folder, "benchmark_forest")),
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
    points = _frame(folder, "fidelity_points")
    fit = context.get("fidelity_fit")
    if points is not None and points.height:
        figure = scatter_figure(
            points,
            (float(fit[0]), float(fit[1])) if fit else None,
            title=tr.format(text.FIDELITY_TITLE, months=months),
            caption=statements.get("fidelity", ""),
            x_label=tr.gettext(text.FIDELITY_X),
            y_label=tr.gettext(text.FIDELITY_Y),
        )
    else:
        figure = _note_figure(statements.get("fidelity", tr.gettext(text.NO_FIDELITY)))
    save_figure(figure, files.fidelity_png, files.fidelity_svg)


def _flow_figure(
    config: AnalysisConfig, results: pl.DataFrame, files: FigureFiles, tr: Translator
) -> None:
    from ips_outcomes.flow_plot import flow_figure
    from ips_outcomes.survival_plots import save_figure

    figure = flow_figure(
        results,
        gettext=tr.gettext,
        locale=config.language,
        threshold=config.small_cell_threshold,
        services=cohort_services(results, config.intervention),
    )
    save_figure(figure, files.flow_png, files.flow_svg)


def _ratio_rows(rows: pl.DataFrame | None) -> pl.DataFrame | None:
    """Keep the risk-ratio rows of the benchmark comparison (one scale per forest plot)."""
    if rows is None or rows.height == 0:
        return None
    order = pl.col("group").replace_strict(
        {"published": 0, "recomputed": 1, "this cohort": 2}, default=3, return_dtype=pl.Int8
    )
    return rows.filter(pl.col("measure") == "RR").drop("measure").sort(order, maintain_order=True)


def _figure_or_note(
    draw: Any, rows: pl.DataFrame | None, labels: dict[str, Any], tr: Translator
) -> Any:
    if rows is not None and rows.height:
        return draw(rows, **labels)
    return _note_figure(tr.gettext(text.NOT_ENOUGH))


def _note_figure(note: str) -> Any:
    """Draw a small figure saying why there is no plot (every figure file always exists)."""
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(6, 1.2))
    figure.text(0.02, 0.5, note.replace("$", r"\$"), va="center", wrap=True)
    return figure
