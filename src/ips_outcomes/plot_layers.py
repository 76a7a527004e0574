"""plotnine layers of the survival figures: step curves with bands, censor marks, medians.

:func:`curve_plot` builds the shared part of both figures (scales, legend, theme);
:func:`km_layers` adds the Kaplan-Meier extras; :func:`draw` turns a plot into a matplotlib
figure with margins in inches and a frozen layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl
from matplotlib.figure import Figure

from ips_outcomes.plot_steps import step_coordinates
from ips_outcomes.plot_style import (
    BASE_SIZE,
    BREAK_MONTHS,
    DAYS_PER_MONTH,
    FONT,
    PAD,
    PALETTE,
    WIDTH,
    plain,
    plotnine,
    text_width,
)


def curve_plot(
    curves: pl.DataFrame,
    groups: Sequence[str],
    x_max: float,
    *,
    title: str,
    y_label: str,
    x_label: str,
    by: Sequence[str] = ("group",),
) -> Any:
    """Step bands and step lines in months, with the shared scales and theme."""
    p9 = plotnine()

    steps = step_coordinates(curves, by=by).with_columns(
        (pl.col("time") / DAYS_PER_MONTH).alias("month"),
        pl.col("group").cast(pl.Enum(groups)),
    )
    data = steps.to_pandas()
    colours = dict(zip(groups, PALETTE, strict=False))
    labels = [plain(g) for g in groups]
    breaks = [float(b) for b in range(0, int(x_max) + 1, BREAK_MONTHS)]
    # Legend entries side by side above the panel, on as many rows as they need.
    widths = [text_width(g, BASE_SIZE * 0.8) + 0.6 for g in groups]
    legend_rows = max(1, math.ceil(sum(widths) / (WIDTH - 2 * PAD)))
    legend = {"nrow": legend_rows, "byrow": True}
    return (
        p9.ggplot(data, p9.aes("month", group="group"))
        + p9.geom_ribbon(
            p9.aes(ymin="lower", ymax="upper", fill="group"), alpha=0.18, outline_type="full"
        )
        + p9.geom_path(p9.aes(y="estimate", colour="group"), size=0.9)
        + p9.scale_colour_manual(values=colours, breaks=groups, labels=labels, name=" ")
        + p9.scale_fill_manual(values=colours, breaks=groups, labels=labels, name=" ")
        + p9.scale_x_continuous(
            limits=(0, x_max),
            breaks=breaks,
            minor_breaks=[],
            labels=[f"{b:.0f}" for b in breaks],
            expand=(0.02, 0),
        )
        + p9.scale_y_continuous(
            limits=(0, 1),
            breaks=[0, 0.25, 0.5, 0.75, 1],
            labels=["0%", "25%", "50%", "75%", "100%"],
            expand=(0.01, 0),
        )
        + p9.guides(colour=p9.guide_legend(**legend), fill=p9.guide_legend(**legend))
        + p9.labs(title=plain(title), x=plain(x_label), y=plain(y_label))
        + p9.theme_bw(base_size=BASE_SIZE, base_family=FONT)
        + p9.theme(
            legend_position="top",
            legend_title=p9.element_blank(),
            legend_key=p9.element_blank(),
            panel_grid_minor=p9.element_blank(),
            panel_grid_major=p9.element_line(colour="#E5E5E5", size=0.5),
            strip_background=p9.element_rect(fill="#F2F2F2"),
            plot_title=p9.element_text(ha="left", size=BASE_SIZE * 1.2),
            plot_title_position="plot",
            plot_caption_position="plot",
            svg_usefonts=True,
        )
    )


def km_layers(censored: pl.DataFrame, medians: pl.DataFrame, groups: Sequence[str]) -> list[Any]:
    """Censor marks and KMunicate median lines (dashed across at 50 %, then down)."""
    p9 = plotnine()

    layers: list[Any] = []
    groups_type = pl.Enum(groups)
    marks = censored.select(
        pl.col("group").cast(groups_type),
        (pl.col("time").cast(pl.Float64) / DAYS_PER_MONTH).alias("month"),
        pl.col("estimate").cast(pl.Float64),
    ).drop_nulls()
    if marks.height:
        layers.append(
            p9.geom_point(
                p9.aes("month", "estimate", colour="group"),
                data=marks.to_pandas(),
                shape="|",
                size=2.5,
                stroke=0.6,
                show_legend=False,
                inherit_aes=False,
            )
        )
    reached = medians.select(
        pl.col("group").cast(groups_type),
        (pl.col("median_days").cast(pl.Float64) / DAYS_PER_MONTH).alias("month"),
    ).drop_nulls()
    if reached.height:
        lines = pl.concat(
            [
                reached.select("group", x=0.0, xend="month", y=0.5, yend=0.5),
                reached.select("group", x="month", xend="month", y=0.5, yend=0.0),
            ]
        )
        layers.append(
            p9.geom_segment(
                p9.aes("x", "y", xend="xend", yend="yend", colour="group"),
                data=lines.to_pandas(),
                linetype="dashed",
                size=0.5,
                show_legend=False,
                inherit_aes=False,
            )
        )
    return layers


def draw(
    plot: Any, width: float, height: float, *, left: float, right: float, bottom: float
) -> Figure:
    """Draw the plotnine plot with margins in inches and fix its layout."""
    p9 = plotnine()

    sized = plot + p9.theme(
        figure_size=(width, height),
        plot_margin_left=left / width,
        plot_margin_right=right / width,
        # plotnine 0.15 reads the top and bottom margins as fractions of the width too.
        plot_margin_top=PAD / width,
        plot_margin_bottom=bottom / width,
    )
    figure: Figure = sized.draw()
    # Run plotnine's layout once, then freeze it: the risk table is placed from the panel's
    # final position, so nothing may move afterwards.
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
    return figure
