"""Publication figures for time to first job: KMunicate-style curves and cumulative incidence.

Every input is tidy, already computed and already cut for privacy upstream
(:mod:`ips_outcomes.survival_results`); this module only draws.

Kaplan-Meier figure (Morris et al. 2019, BMJ Open 9:e030215, "KMunicate"): one step curve per
group showing the probability of having started a competitive job, with a step-shaped 95 % CI
band, censor marks, dashed lines at the median, the x axis in months (days / 30.4375) with a
break every 3 months, and under the plot a risk table (at risk, cumulative events, cumulative
censored per group) whose columns sit exactly under the x axis breaks. The curve panel is drawn
by plotnine; the risk table is a matplotlib axes added to the same figure, given the panel's
final left edge, width and x limits so both share one x scale. The caption goes under the table.

Output is reproducible: :func:`save_figure` writes byte-identical SVG for the same inputs (fixed
hash salt, no date, DejaVu Sans which matplotlib ships, text kept as text).

This module holds the public API; the parts live in helper modules: :mod:`~ips_outcomes.plot_style`
(constants, sizes, text helpers), :mod:`~ips_outcomes.plot_steps` (step coordinates, input
checks), :mod:`~ips_outcomes.plot_layers` (plotnine layers) and
:mod:`~ips_outcomes.plot_risk_table` (the risk table).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from ips_outcomes.plot_layers import curve_plot, draw, km_layers
from ips_outcomes.plot_risk_table import RISK_ROWS, RiskTable
from ips_outcomes.plot_steps import (
    axis_end,
    curve_frame,
    known_groups,
    levels,
    palette_groups,
    require_columns,
    step_coordinates,
)
from ips_outcomes.plot_style import (
    BREAK_MONTHS,
    CAPTION_LINE,
    DAYS_PER_MONTH,
    FONT,
    GAP,
    PAD,
    PALETTE,
    PLOT_HEIGHT,
    STYLE,
    TABLE_SIZE,
    WIDTH,
    caption_lines,
    plain,
    plotnine,
    translate,
)

__all__ = [
    "BREAK_MONTHS",
    "CAUSE_LABELS",
    "DAYS_PER_MONTH",
    "FONT",
    "PALETTE",
    "RISK_ROWS",
    "cif_figure",
    "km_figure",
    "save_figure",
    "step_coordinates",
]

#: Panel titles of the competing-risks figure; other causes are shown as they are.
CAUSE_LABELS: dict[str, str] = {"job": "Started a competitive job", "drop-out": "Dropped out"}


def km_figure(
    curves: pl.DataFrame,
    censored: pl.DataFrame,
    risk_table: pl.DataFrame,
    medians: pl.DataFrame,
    *,
    title: str,
    caption: str,
    y_label: str = "Started a competitive job",
    x_label: str = "Months since enrolment",
) -> Figure:
    """KMunicate-style figure of the probability of having started a job, with risk table.

    Parameters
    ----------
    curves
        `group`, `time` (days), `estimate` (1 - Kaplan-Meier), `lower`, `upper` (95 % CI, null
        where undefined, e.g. at time 0: drawn as a band of zero width).
    censored
        `group`, `time` (days), `estimate`: where to draw the censor marks.
    risk_table
        `group`, `month`, `at_risk`, `events`, `censored` (cumulative); numbers or text such
        as ``"<5"``, drawn as they are (null as a dash).
    medians
        `group`, `median_days` (null when not reached).
    title, caption
        Printed above the plot and under the risk table (an empty caption is left out).
    y_label, x_label
        Axis titles.

    Returns
    -------
    Figure
        An open matplotlib figure; pass it to :func:`save_figure`, which closes it.

    Raises
    ------
    ValueError
        If a column is missing, `curves` is empty, another input names a group that has no
        curve, or there are more groups than colours.
    """
    curves = curve_frame(curves, "curves", ("group",))
    groups = palette_groups(curves)
    censored = known_groups(
        require_columns(censored, "censored", ("group", "time", "estimate")), groups
    )
    risk_table = known_groups(
        require_columns(risk_table, "risk_table", ("group", "month", *(c for c, _ in RISK_ROWS))),
        groups,
    )
    medians = known_groups(require_columns(medians, "medians", ("group", "median_days")), groups)
    months = risk_table["month"].cast(pl.Float64).drop_nulls().to_list()
    x_max = axis_end(
        [
            *(curves["time"] / DAYS_PER_MONTH).to_list(),
            *(censored["time"].cast(pl.Float64) / DAYS_PER_MONTH).drop_nulls().to_list(),
            *(medians["median_days"].cast(pl.Float64) / DAYS_PER_MONTH).drop_nulls().to_list(),
            *months,
        ]
    )
    table = RiskTable.build(risk_table, groups)
    wrapped = caption_lines(caption)
    caption_height = len(wrapped) * CAPTION_LINE + GAP if wrapped else 0.0
    plot = curve_plot(curves, groups, x_max, title=title, y_label=y_label, x_label=x_label)
    plot = plot + km_layers(censored, medians, groups)
    right = max(PAD, table.max_half_width() + PAD)
    with mpl.rc_context(STYLE):
        left, figure, panel = PAD, None, None
        for _ in range(3):  # at most: names inline; names as headings; a wider left margin
            if figure is not None:
                plt.close(figure)
            below = GAP + table.height + caption_height + PAD
            height = PLOT_HEIGHT + below
            figure = draw(plot, WIDTH, height, left=left, right=right, bottom=below)
            panel = figure.axes[0]
            room = table.room(figure, panel)
            if room >= PAD:
                break
            if table.headings:  # labels too wide for the space left of the panel
                left += PAD - room
            else:
                table = table.with_headings()
        assert figure is not None
        assert panel is not None
        table.draw(figure, panel, bottom=PAD + caption_height)
        if wrapped:
            figure.text(
                PAD / WIDTH,
                (PAD + caption_height - GAP) / height,
                "\n".join(wrapped),
                ha="left",
                va="top",
                fontsize=TABLE_SIZE,
                fontfamily=FONT,
                linespacing=1.4,
                parse_math=False,
            )
    return figure


def cif_figure(
    curves: pl.DataFrame,
    *,
    title: str,
    caption: str,
    y_label: str = "Cumulative incidence",
    x_label: str = "Months since enrolment",
) -> Figure:
    """Cumulative incidence of a first job and of drop-out, one panel per cause.

    Parameters
    ----------
    curves
        `group`, `cause` (e.g. ``"job"``, ``"drop-out"``), `time` (days), `estimate`,
        `lower`, `upper` (95 % CI, nullable); other columns are ignored. A curve that does not
        start at time 0 is started there at 0.
    title, caption
        Printed above and under the plot (an empty caption is left out).
    y_label, x_label
        Axis titles.

    Returns
    -------
    Figure
        An open matplotlib figure; pass it to :func:`save_figure`, which closes it.

    Raises
    ------
    ValueError
        If a column is missing, `curves` is empty or there are more groups than colours.
    """
    p9 = plotnine()

    curves = curve_frame(curves, "curves", ("group", "cause"))
    groups = palette_groups(curves)
    causes = levels(curves["cause"])
    x_max = axis_end((curves["time"] / DAYS_PER_MONTH).to_list())
    wrapped = caption_lines(caption)
    plot = curve_plot(
        curves.with_columns(pl.col("cause").cast(pl.Enum(causes))),
        groups,
        x_max,
        title=title,
        y_label=y_label,
        x_label=x_label,
        by=("group", "cause"),
    ) + p9.facet_wrap(
        "cause",
        nrow=1,
        labeller=_cause_label,
    )
    if wrapped:
        plot = (
            plot
            + p9.labs(caption=plain("\n".join(wrapped)))
            + p9.theme(plot_caption=p9.element_text(ha="left", size=TABLE_SIZE, linespacing=1.4))
        )
    height = 4.4 + len(wrapped) * CAPTION_LINE
    with mpl.rc_context(STYLE):
        return draw(plot, WIDTH, height, left=PAD, right=PAD, bottom=PAD)


def save_figure(figure: Figure, png: Path, svg: Path) -> None:
    """Write `figure` as PNG (150 dpi) and SVG, then close it.

    The SVG is byte-identical for the same figure: ids come from a fixed hash salt, there is
    no date, and text stays text (`svg.fonttype` "none") set in DejaVu Sans, which is also
    better for accessibility and translation. Text from the data is XML-escaped.

    Parameters
    ----------
    figure
        From :func:`km_figure` or :func:`cif_figure`.
    png, svg
        Output paths; parent folders are created.
    """
    try:
        for path in (png, svg):
            path.parent.mkdir(parents=True, exist_ok=True)
        with mpl.rc_context(STYLE):
            figure.savefig(png, format="png", dpi=150, metadata={"Software": None})
            figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(figure)


def _cause_label(cause: str) -> str:
    return plain(translate(CAUSE_LABELS[cause]) if cause in CAUSE_LABELS else cause)
