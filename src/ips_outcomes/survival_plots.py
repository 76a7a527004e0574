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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import polars as pl
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.typing import RcKeyType

#: Days per month: 365.25 / 12, so month 18 is day 547.875.
DAYS_PER_MONTH = 30.4375
#: Spacing of the x axis breaks and of the risk table columns, in months.
BREAK_MONTHS = 3
#: Okabe-Ito colours (colour-blind safe), without the yellow that is unreadable on white.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
#: The only font used: matplotlib ships it, so output does not depend on system fonts.
FONT = "DejaVu Sans"
#: Panel titles of the competing-risks figure; other causes are shown as they are.
CAUSE_LABELS: dict[str, str] = {"job": "Started a competitive job", "drop-out": "Dropped out"}
#: Rows of the risk table for each group: (column of `risk_table`, row label).
RISK_ROWS: tuple[tuple[str, str], ...] = (
    ("at_risk", "At risk"),
    ("events", "Events"),
    ("censored", "Censored"),
)

_WIDTH = 7.5  # inches
_PLOT_HEIGHT = 4.6  # title, legend, panel and axis titles
_BASE_SIZE = 10.0  # points
_TABLE_SIZE = 8.5  # points
_ROW_HEIGHT = 0.19  # inches per risk table row
_GROUP_GAP = 0.5  # rows of space between the groups of the risk table
_GAP = 0.12  # inches between the plot and the table, and the table and the caption
_PAD = 0.1  # inches kept free at the figure edges
_CAPTION_LINE = 0.18  # inches per caption line
_SVG_SALT = "ips_outcomes"

_STYLE: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "svg.fonttype": "none",
    "svg.hashsalt": _SVG_SALT,
}


def step_coordinates(
    frame: pl.DataFrame,
    values: Sequence[str] = ("estimate", "lower", "upper"),
    *,
    by: Sequence[str] = ("group",),
    time: str = "time",
) -> pl.DataFrame:
    """Vertices of a right-continuous step function, for step lines and step-shaped bands.

    Each value is held until the next time: for every row after the first of its group the
    result has one point at that time carrying the previous values (end of the flat part) and
    one carrying its own values (top of the riser). Drawn in order, with `geom_path` or
    `geom_ribbon`, the points trace the step function exactly.

    Parameters
    ----------
    frame
        One row per time and group, any other columns are carried along.
    values
        Columns holding the step function(s).
    by
        Columns identifying one curve.
    time
        Column of the times at which the function changes.

    Returns
    -------
    pl.DataFrame
        The points, sorted by `by`, then time, then the held value before the new one.

    Examples
    --------
    >>> import polars as pl
    >>> curve = pl.DataFrame({"group": ["A"] * 3, "time": [0.0, 10.0, 20.0],
    ...                       "estimate": [0.0, 0.2, 0.5]})
    >>> step_coordinates(curve, ["estimate"]).select("time", "estimate").rows()
    [(0.0, 0.0), (10.0, 0.0), (10.0, 0.2), (20.0, 0.2), (20.0, 0.5)]
    """
    keys = list(by)
    row = pl.int_range(pl.len())
    ordered = frame.sort([*keys, time], maintain_order=True).with_columns(
        (row.over(keys) if keys else row).alias("_row"), pl.lit(1).alias("_half")
    )
    held = (
        ordered.with_columns(
            (pl.col(v).shift(1).over(keys) if keys else pl.col(v).shift(1)) for v in values
        )
        .filter(pl.col("_row") > 0)
        .with_columns(pl.lit(0).alias("_half"))
    )
    return (
        pl.concat([held, ordered])
        .sort([*keys, "_row", "_half"], maintain_order=True)
        .drop("_row", "_half")
    )


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
    curves = _curve_frame(curves, "curves", ("group",))
    groups = _groups(curves)
    censored = _groups_known(_require(censored, "censored", ("group", "time", "estimate")), groups)
    risk_table = _groups_known(
        _require(risk_table, "risk_table", ("group", "month", *(c for c, _ in RISK_ROWS))),
        groups,
    )
    medians = _groups_known(_require(medians, "medians", ("group", "median_days")), groups)
    months = risk_table["month"].cast(pl.Float64).drop_nulls().to_list()
    x_max = _axis_end(
        [
            *(curves["time"] / DAYS_PER_MONTH).to_list(),
            *(censored["time"].cast(pl.Float64) / DAYS_PER_MONTH).drop_nulls().to_list(),
            *(medians["median_days"].cast(pl.Float64) / DAYS_PER_MONTH).drop_nulls().to_list(),
            *months,
        ]
    )
    table = _RiskTable.build(risk_table, groups)
    caption_lines = _wrap(caption, _WIDTH - 2 * _PAD, _TABLE_SIZE)
    caption_height = len(caption_lines) * _CAPTION_LINE + _GAP if caption_lines else 0.0
    plot = _curve_plot(curves, groups, x_max, title=title, y_label=y_label, x_label=x_label)
    plot = plot + _km_layers(censored, medians, groups)
    right = max(_PAD, table.max_half_width() + _PAD)
    with mpl.rc_context(_STYLE):
        left, figure, panel = _PAD, None, None
        for _ in range(3):  # at most: names inline; names as headings; a wider left margin
            if figure is not None:
                plt.close(figure)
            below = _GAP + table.height + caption_height + _PAD
            height = _PLOT_HEIGHT + below
            figure = _draw(plot, _WIDTH, height, left=left, right=right, bottom=below)
            panel = figure.axes[0]
            room = table.room(figure, panel)
            if room >= _PAD:
                break
            if table.headings:  # labels too wide for the space left of the panel
                left += _PAD - room
            else:
                table = table.with_headings()
        assert figure is not None
        assert panel is not None
        table.draw(figure, panel, bottom=_PAD + caption_height)
        if caption_lines:
            figure.text(
                _PAD / _WIDTH,
                (_PAD + caption_height - _GAP) / height,
                "\n".join(caption_lines),
                ha="left",
                va="top",
                fontsize=_TABLE_SIZE,
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
    p9 = _plotnine()

    curves = _curve_frame(curves, "curves", ("group", "cause"))
    groups = _groups(curves)
    causes = _levels(curves["cause"])
    x_max = _axis_end((curves["time"] / DAYS_PER_MONTH).to_list())
    caption_lines = _wrap(caption, _WIDTH - 2 * _PAD, _TABLE_SIZE)
    plot = _curve_plot(
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
    if caption_lines:
        plot = (
            plot
            + p9.labs(caption=_plain("\n".join(caption_lines)))
            + p9.theme(plot_caption=p9.element_text(ha="left", size=_TABLE_SIZE, linespacing=1.4))
        )
    height = 4.4 + len(caption_lines) * _CAPTION_LINE
    with mpl.rc_context(_STYLE):
        return _draw(plot, _WIDTH, height, left=_PAD, right=_PAD, bottom=_PAD)


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
        with mpl.rc_context(_STYLE):
            figure.savefig(png, format="png", dpi=150, metadata={"Software": None})
            figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(figure)


def _plotnine() -> Any:
    """Import plotnine, typed as Any.

    plotnine ships `py.typed` but leaves most of its API unannotated, so under strict mypy
    every call would be an untyped call; it is also slow to import, hence imported on use.
    """
    import plotnine

    return plotnine


# -- inputs -------------------------------------------------------------------------------


def _require(frame: pl.DataFrame, name: str, columns: Sequence[str]) -> pl.DataFrame:
    if frame.is_empty() and not frame.columns:  # nothing to draw, e.g. no censoring at all
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")
    return frame


def _curve_frame(frame: pl.DataFrame, name: str, keys: Sequence[str]) -> pl.DataFrame:
    """Curves with string keys, float times, CI filled where null, and a point at time 0."""
    frame = _require(frame, name, (*keys, "time", "estimate"))
    if frame.is_empty():
        raise ValueError(f"{name} is empty: nothing to draw")
    columns = [pl.col(k).cast(pl.String) for k in keys]
    columns += [pl.col(c).cast(pl.Float64) for c in ("time", "estimate")]
    columns += [
        (pl.col(c).cast(pl.Float64) if c in frame.columns else pl.lit(None, pl.Float64)).alias(c)
        for c in ("lower", "upper")
    ]
    frame = frame.select(columns).drop_nulls(["time", "estimate"])
    starts = (
        frame.group_by(keys, maintain_order=True)
        .agg(pl.col("time").min().alias("first"))
        .filter(pl.col("first") > 0)
        .select(
            *keys,
            pl.lit(0.0).alias("time"),
            pl.lit(0.0).alias("estimate"),
            pl.lit(None, pl.Float64).alias("lower"),
            pl.lit(None, pl.Float64).alias("upper"),
        )
    )
    # An undefined CI (time 0, or an estimate of 1) is the degenerate interval at the estimate.
    return pl.concat([starts, frame]).with_columns(
        pl.col(c).fill_null(pl.col("estimate")) for c in ("lower", "upper")
    )


def _levels(column: pl.Series) -> list[str]:
    """Distinct non-null values in order of first appearance."""
    return [str(v) for v in column.drop_nulls().unique(maintain_order=True).to_list()]


def _groups(curves: pl.DataFrame) -> list[str]:
    """List the groups in order of first appearance; each needs a colour of its own."""
    groups = _levels(curves["group"])
    if len(groups) > len(PALETTE):
        raise ValueError(f"{len(groups)} groups but only {len(PALETTE)} colours")
    return groups


def _groups_known(frame: pl.DataFrame, groups: Sequence[str]) -> pl.DataFrame:
    frame = frame.with_columns(pl.col("group").cast(pl.String))
    unknown = sorted(set(frame["group"].drop_nulls().to_list()) - set(groups))
    if unknown:
        raise ValueError(f"group(s) without a curve: {', '.join(unknown)}")
    return frame


def _axis_end(months: Sequence[float]) -> float:
    """Last x axis break: the data's extent rounded up to a multiple of 3 months."""
    finite = [m for m in months if math.isfinite(m)]
    end = max(finite, default=0.0)
    return float(max(BREAK_MONTHS, math.ceil(end / BREAK_MONTHS - 1e-9) * BREAK_MONTHS))


def _plain(text: str) -> str:
    """Escape dollar signs so matplotlib never reads data text as mathtext."""
    return text.replace("$", r"\$")


def _cause_label(cause: str) -> str:
    return _plain(CAUSE_LABELS.get(cause, cause))


def _wrap(text: str, width_inches: float, size: float) -> list[str]:
    """Lines of `text` that fit `width_inches` at `size` points (an empty text has none)."""
    lines: list[str] = []
    for paragraph in text.strip().splitlines():
        line = ""
        for word in paragraph.split():
            longer = f"{line} {word}" if line else word
            if line and _text_width(longer, size) > width_inches:
                lines.append(line)
                line = word
            else:
                line = longer
        lines.append(line)
    return lines if any(lines) else []


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of `text` in inches when set in :data:`FONT`."""
    prop = FontProperties(family=FONT, size=size, weight="bold" if bold else "normal")
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return width / 72  # points to inches


# -- plot -----------------------------------------------------------------------------------


def _curve_plot(
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
    p9 = _plotnine()

    steps = step_coordinates(curves, by=by).with_columns(
        (pl.col("time") / DAYS_PER_MONTH).alias("month"),
        pl.col("group").cast(pl.Enum(groups)),
    )
    data = steps.to_pandas()
    colours = dict(zip(groups, PALETTE, strict=False))
    labels = [_plain(g) for g in groups]
    breaks = [float(b) for b in range(0, int(x_max) + 1, BREAK_MONTHS)]
    # Legend entries side by side above the panel, on as many rows as they need.
    widths = [_text_width(g, _BASE_SIZE * 0.8) + 0.6 for g in groups]
    legend_rows = max(1, math.ceil(sum(widths) / (_WIDTH - 2 * _PAD)))
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
        + p9.labs(title=_plain(title), x=_plain(x_label), y=_plain(y_label))
        + p9.theme_bw(base_size=_BASE_SIZE, base_family=FONT)
        + p9.theme(
            legend_position="top",
            legend_title=p9.element_blank(),
            legend_key=p9.element_blank(),
            panel_grid_minor=p9.element_blank(),
            panel_grid_major=p9.element_line(colour="#E5E5E5", size=0.5),
            strip_background=p9.element_rect(fill="#F2F2F2"),
            plot_title=p9.element_text(ha="left", size=_BASE_SIZE * 1.2),
            plot_title_position="plot",
            plot_caption_position="plot",
            svg_usefonts=True,
        )
    )


def _km_layers(censored: pl.DataFrame, medians: pl.DataFrame, groups: Sequence[str]) -> list[Any]:
    """Censor marks and KMunicate median lines (dashed across at 50 %, then down)."""
    p9 = _plotnine()

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


def _draw(
    plot: Any, width: float, height: float, *, left: float, right: float, bottom: float
) -> Figure:
    """Draw the plotnine plot with margins in inches and fix its layout."""
    p9 = _plotnine()

    sized = plot + p9.theme(
        figure_size=(width, height),
        plot_margin_left=left / width,
        plot_margin_right=right / width,
        # plotnine 0.15 reads the top and bottom margins as fractions of the width too.
        plot_margin_top=_PAD / width,
        plot_margin_bottom=bottom / width,
    )
    figure: Figure = sized.draw()
    # Run plotnine's layout once, then freeze it: the risk table is placed from the panel's
    # final position, so nothing may move afterwards.
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
    return figure


# -- risk table --------------------------------------------------------------------------


@dataclass(frozen=True)
class _RiskTable:
    """The risk table's cells and labels.

    Rows are counted from the top. Each group has three rows (:data:`RISK_ROWS`), labelled at
    the left; the group name goes left of the first one, or, when names are too wide for that
    (`headings`), on a row of its own above them.
    """

    groups: tuple[str, ...]
    cells: tuple[tuple[int, str, float, str], ...]  # (group index, column, month, text)
    headings: bool = False

    @staticmethod
    def build(risk_table: pl.DataFrame, groups: Sequence[str]) -> _RiskTable:
        cells: list[tuple[int, str, float, str]] = []
        frame = risk_table.filter(pl.col("month").is_not_null())
        for index, group in enumerate(groups):
            rows = frame.filter(pl.col("group") == group).sort("month", maintain_order=True)
            for column, _ in RISK_ROWS:
                for month, value in zip(rows["month"], rows[column], strict=True):
                    text = "–" if value is None else str(value)
                    cells.append((index, column, float(month), text))
        return _RiskTable(tuple(groups), tuple(cells))

    def with_headings(self) -> _RiskTable:
        return replace(self, headings=True)

    @property
    def rows_per_group(self) -> int:
        return len(RISK_ROWS) + int(self.headings)

    def row_of(self, group_index: int, column: str | None) -> float:
        """Centre of a row (`column` None: the group's heading), in rows from the top."""
        start = group_index * (self.rows_per_group + _GROUP_GAP)
        if column is None:
            return start + 0.5
        offset = [c for c, _ in RISK_ROWS].index(column) + int(self.headings)
        return start + offset + 0.5

    @property
    def rows(self) -> float:
        n = len(self.groups)
        return n * self.rows_per_group + (n - 1) * _GROUP_GAP

    @property
    def height(self) -> float:
        """Height in inches."""
        return self.rows * _ROW_HEIGHT

    def max_half_width(self) -> float:
        """Half the widest number, in inches: how far a column reaches beyond its break."""
        return max((_text_width(t, _TABLE_SIZE) / 2 for *_, t in self.cells), default=0.0)

    def labels_right(self, figure: Figure, panel: Axes) -> float:
        """Right edge of the row labels, in inches: clear of the first column's numbers."""
        first = min((m for _, _, m, _ in self.cells), default=0.0)
        half = max(
            (_text_width(t, _TABLE_SIZE) / 2 for _, _, m, t in self.cells if m == first),
            default=0.0,
        )
        box = panel.get_position()
        x0, x1 = panel.get_xlim()
        first_x = float(box.x0 + box.width * (first - x0) / (x1 - x0)) * figure.get_figwidth()
        return first_x - half - _GAP

    def room(self, figure: Figure, panel: Axes) -> float:
        """Space left free at the figure's left edge by the labels, in inches (< 0: overflow)."""
        needed = max(_text_width(label, _TABLE_SIZE) for _, label in RISK_ROWS)
        if not self.headings:
            needed += _GAP + max(_text_width(g, _TABLE_SIZE, bold=True) for g in self.groups)
        return self.labels_right(figure, panel) - needed

    def draw(self, figure: Figure, panel: Axes, *, bottom: float) -> Axes:
        """Add the table under `panel`, sharing its left edge, width and x limits."""
        box = panel.get_position()
        axes = figure.add_axes(
            (
                box.x0,
                bottom / figure.get_figheight(),
                box.width,
                self.height / figure.get_figheight(),
            ),
            label="risk table",
        )
        axes.set_xlim(panel.get_xlim())
        axes.set_ylim(self.rows, 0)
        axes.set_axis_off()
        labels_right = self.labels_right(figure, panel)
        inches = transforms.blended_transform_factory(figure.dpi_scale_trans, axes.transData)
        for index, group in enumerate(self.groups):
            axes.text(
                _PAD, self.row_of(index, None if self.headings else RISK_ROWS[0][0]), group,
                transform=inches, ha="left", va="center", color=PALETTE[index],
                fontweight="bold", fontsize=_TABLE_SIZE, fontfamily=FONT, parse_math=False,
            )  # fmt: skip
            for column, label in RISK_ROWS:
                axes.text(
                    labels_right, self.row_of(index, column), label, transform=inches,
                    ha="right", va="center", color="#333333", fontsize=_TABLE_SIZE,
                    fontfamily=FONT, parse_math=False,
                )  # fmt: skip
        for index, column, month, value in self.cells:
            axes.text(
                month, self.row_of(index, column), value, ha="center", va="center",
                fontsize=_TABLE_SIZE, fontfamily=FONT, parse_math=False, clip_on=False,
            )  # fmt: skip
        return axes
