"""Figures that set this cohort beside others: a forest plot and a fidelity-outcome scatter.

Both return open matplotlib figures (not registered with pyplot) in the style of
:mod:`ips_outcomes.survival_plots`: DejaVu Sans, Okabe-Ito colours, text kept as text and never
read as mathtext. Save them with :func:`~ips_outcomes.survival_plots.save_figure` (re-exported).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import polars as pl
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from ips_outcomes import plot_style as ps
from ips_outcomes.survival_plots import save_figure

__all__ = ["FIDELITY_BANDS", "KIND_COLOURS", "forest_figure", "save_figure", "scatter_figure"]

BLUE, ORANGE, BLACK = ps.PALETTE[0], ps.PALETTE[1], ps.PALETTE[6]
#: Colour of each kind of forest plot row: trials black, pooled blue, this cohort vermillion.
KIND_COLOURS = {"study": BLACK, "pooled_fixed": BLUE, "pooled_random": BLUE, "this_cohort": ORANGE}
#: IPS fidelity scale (25 items, total 25-125): band name, lowest and highest whole total.
ESTIMATE_HEADER = "Estimate (95% CI)"
POINT_AREA = "Point area is proportional to the number of participants."
FIDELITY_BANDS = ("Not IPS", 25, 73), ("Fair", 74, 99), ("Good", 100, 114), ("Exemplary", 115, 125)
# Inches: a forest plot row, the room kept for the title and the x axis, the narrowest panel.
ROW, TITLE, AXIS, MIN_PANEL = 0.25, 0.36, 0.55, 2.6
#: rc settings: the survival figures' style; tick labels at table size, axis titles at base size.
STYLE = ps.STYLE | {"font.size": ps.TABLE_SIZE, "axes.labelsize": ps.BASE_SIZE}
LEADER = {"arrowstyle": "-", "color": "#7F7F7F", "linewidth": 0.5}  # from a label to its point
TEXT: dict[str, Any] = {"fontsize": ps.TABLE_SIZE, "fontfamily": ps.FONT, "parse_math": False}
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in inches


def forest_figure(
    rows: pl.DataFrame, *, title: str, caption: str, x_label: str, log_scale: bool, reference: float
) -> Figure:
    """Forest plot, one row per estimate top to bottom in the order of `rows`, numbers at right.

    Parameters
    ----------
    rows
        `label`, `estimate`, `lower`, `upper` (95 % CI; a null CI is drawn as a point only),
        `kind` (``study``, ``pooled_fixed``, ``pooled_random``, ``this_cohort``); optional
        `weight` (square area) and `group` (a heading above each run of rows of one group).
    title, caption, x_label
        Printed above the plot, under it (left out when empty) and under the x axis.
    log_scale, reference
        Log x axis, for ratios (all numbers must be positive); where the vertical line of no
        effect is: 1 for ratios, 0 for differences.

    Raises
    ------
    ValueError
        If a column is missing or of the wrong type, `rows` is empty, an estimate or kind is
        missing, a CI lacks its estimate, a weight is negative or a log axis gets a number <= 0.

    Examples
    --------
    >>> rows = pl.DataFrame({"label": ["Trial A", "Pooled"], "estimate": [2.0, 1.8],
    ...     "lower": [1.2, 1.4], "upper": [3.3, 2.3], "kind": ["study", "pooled_random"]})
    >>> figure = forest_figure(rows, title="", caption="", x_label="", log_scale=True, reference=1)
    >>> [t.get_text() for t in figure.axes[0].texts if "(" in t.get_text()]
    ['Estimate (95% CI)', '2.00 (1.20–3.30)', '1.80 (1.40–2.30)']
    """
    rows = _checked(rows, "rows", ("label", "kind"), ("estimate", "lower", "upper"), ("weight",))
    if set(rows["kind"]) - set(KIND_COLOURS) or rows["estimate"].null_count():
        raise ValueError(f"rows needs an estimate and a kind ({', '.join(KIND_COLOURS)}) per row")
    both = pl.col("lower").is_not_null() & pl.col("upper").is_not_null()
    rows = rows.with_columns(pl.when(both).then(pl.col(c)).alias(c) for c in ("lower", "upper"))
    outside = (pl.col("lower") > pl.col("estimate")) | (pl.col("upper") < pl.col("estimate"))
    if rows.filter(outside | (pl.col("weight") < 0)).height:
        raise ValueError("rows has a CI (lower, upper) without its estimate or a negative weight")
    numbers = [*rows["estimate"], *rows["lower"].drop_nulls(), *rows["upper"].drop_nulls()]
    if log_scale and min([*numbers, reference]) <= 0:
        raise ValueError("a log scale needs positive estimates, CI limits and reference")
    slots: list[tuple[float, str, str | None, int]] = []  # y, text, kind (None: heading), row
    y, last = 0.0, None
    for index, (label, kind, group) in enumerate(rows.select("label", "kind", "group").rows()):
        # Fixed labels ("Pooled (random effect)", group headings) are translated; data
        # labels such as site names have no catalogue entry and pass through unchanged.
        label = ps.translate(label)
        if group is not None and (index == 0 or group != last):
            slots.append((y := y + (0.5 if slots else 0.0), ps.translate(group), None, index))
            y += 1
        slots.append((y, label, kind, index))
        y, last = y + 1, group
    values = rows.select("estimate", "lower", "upper", "weight").rows()
    texts = [ps.translate(ESTIMATE_HEADER), *(_number(*v[:3]) for v in values)]
    indent = 0.12 if rows["group"].null_count() < rows.height else 0.0
    widths = [ps.text_width(t, ps.TABLE_SIZE, bold=k != "study") for _, t, k, _ in slots]
    label_w = indent + max(widths)
    number_w = max(ps.text_width(t, ps.TABLE_SIZE, bold=True) for t in texts)
    width = max(ps.WIDTH, label_w + number_w + MIN_PANEL + 2 * ps.PAD + 0.4)
    margins = (ps.PAD + label_w + 0.2, ps.PAD + number_w + 0.2)
    figure, ax = _figure(width, *margins, (y + 0.2) * ROW, 0.6 * ROW, title, caption)
    top = max((w for *_, w in values if w is not None), default=0.0)
    with mpl.rc_context(STYLE):
        ax.set_ylim(y - 0.4, -0.6)
        _forest_x_axis(ax, numbers, log_scale, reference, x_label)
        beside = transforms.blended_transform_factory(figure.transFigure, ax.transData)
        style = {**TEXT, "va": "center", "clip_on": False, "transform": beside}
        x_numbers = 1 - (ps.PAD + number_w) / width
        ax.text(x_numbers, -1, texts[0], fontweight="bold", **style)
        for slot_y, label, kind, index in slots:
            colour = KIND_COLOURS.get(kind or "", "black")
            bold = {**style, "color": colour, "fontweight": "normal" if kind == "study" else "bold"}
            ax.text((ps.PAD + (indent if kind else 0.0)) / width, slot_y, label, **bold)
            if kind is None:
                continue
            ax.text(x_numbers, slot_y, texts[index + 1], **bold)
            estimate, lower, upper, weight = values[index]
            if kind.startswith("pooled") and lower is not None:
                corners = [(lower, 0.0), (estimate, -0.32), (upper, 0.0), (estimate, 0.32)]
                face = colour if kind == "pooled_fixed" else "white"
                diamond = [(x, slot_y + dy) for x, dy in corners]
                ax.add_patch(Polygon(diamond, facecolor=face, edgecolor=colour, linewidth=1.2))
                continue
            if lower is not None:
                ax.plot([lower, upper], [slot_y, slot_y], color=colour, linewidth=1.1, zorder=2)
            side = 7.0 if weight is None or top <= 0 else max(3.0, 11 * math.sqrt(weight / top))
            marker = "D" if kind.startswith("pooled") else "s"
            ax.plot(estimate, slot_y, marker=marker, markersize=side, color=colour, zorder=3)
    return figure


def scatter_figure(
    points: pl.DataFrame,
    fit: tuple[float, float] | None,
    *,
    title: str,
    caption: str,
    x_label: str,
    y_label: str,
) -> Figure:
    """Employment rate against IPS fidelity total, one point per site, over the fidelity bands.

    Parameters
    ----------
    points
        `x` (fidelity total), `y` (employment rate 0-1, shown as %), `label` (site name) and
        optionally `n` (point area; a note saying so is added to the caption). Rows without
        `x` or `y` are left out.
    fit
        ``(intercept, slope)`` of the OLS line, drawn over the sites' x range; None for none.
    title, caption, x_label, y_label
        Printed above the plot, under it (left out when empty) and on the axes.

    Raises
    ------
    ValueError
        If a column is missing or of the wrong type, no site has both `x` and `y`, a rate is
        outside 0-1, an `n` is negative or `fit` is not finite.
    """
    points = _checked(points, "points", ("label",), ("x", "y"), ("n",)).drop_nulls(["x", "y"])
    if points.is_empty():
        raise ValueError("points has no site with both x and y: nothing to draw")
    bad = (pl.col("y") < 0) | (pl.col("y") > 1) | (pl.col("n") < 0)
    if points.filter(bad).height or (fit is not None and not all(map(math.isfinite, fit))):
        raise ValueError(f"points needs y in 0-1 and n >= 0, fit finite numbers (not {fit})")
    xs, ys, counts = points["x"].to_list(), points["y"].to_list(), points["n"].to_list()
    top = max((c for c in counts if c is not None), default=0.0)
    areas = [60.0 if c is None or top <= 0 else max(12.0, 240.0 * c / top) for c in counts]
    caption += "\n" + ps.translate(POINT_AREA) if top > 0 else ""
    figure, ax = _figure(ps.WIDTH, ps.PAD + 0.6, ps.PAD + 0.1, 3.6, 0.25, title, caption)
    x_lo, x_hi = min(min(xs) - 6, 68.0), max(max(xs) + 4, 127.0)
    with mpl.rc_context(STYLE):
        ax.set(xlim=(x_lo, x_hi), ylim=(0, 1), xlabel=ps.plain(x_label), ylabel=ps.plain(y_label))
        above = transforms.blended_transform_factory(ax.transData, ax.transAxes)
        for number, (name, lowest, highest) in enumerate(FIDELITY_BANDS):
            start, end = max(lowest - 0.5, x_lo), min(highest + 0.5, x_hi)
            shade = "#EBEBEB" if number % 2 == 0 else "#F7F7F7"
            ax.axvspan(start, end, facecolor=shade, edgecolor="none", zorder=0)
            label = ps.translate(name)
            ax.text((start + end) / 2, 1.02, label, transform=above, ha="center", **TEXT)
        ax.yaxis.set_major_formatter(lambda y, _: ps.decimal(100 * y, 0) + "%")
        ax.grid(axis="y", color="#D9D9D9", linewidth=0.5)
        taken: list[Box] = []
        if fit is not None:
            ends = [min(xs), max(xs)]
            ax.plot(ends, [fit[0] + fit[1] * x for x in ends], color=ORANGE, linewidth=1.4)
            end_y = min(max(fit[0] + fit[1] * ends[1], 0.04), 0.96)
            ax.text(ends[1], end_y, "  OLS fit", color=ORANGE, va="center", **TEXT)
            taken.append(_box(figure, ax, (ends[1], end_y, 0.02, 0.0), "  OLS fit", "left"))
        ax.scatter(xs, ys, s=areas, color=BLUE, alpha=0.85, edgecolors="white", zorder=3)
        radii = [math.sqrt(a / math.pi) / 72 for a in areas]
        _place_labels(figure, ax, list(zip(xs, ys, radii, points["label"], strict=True)), taken)
    return figure


def _checked(
    frame: pl.DataFrame, name: str, text: Sequence[str], nums: Sequence[str], extra: Sequence[str]
) -> pl.DataFrame:
    """Check and cast the `text` and `nums` columns; add `extra` numbers and `group`."""
    missing = [c for c in (*text, *nums) if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")
    if frame.is_empty():
        raise ValueError(f"{name} is empty: nothing to draw")
    for column in (c for c in (*text, *nums, *extra, "group") if c in frame.columns):
        dtype, numeric = frame.schema[column], column in (*nums, *extra)
        if dtype.is_nested() or (numeric and not (dtype.is_numeric() or dtype == pl.Null)):
            raise ValueError(
                f"{name} column {column}: {dtype} is not {'numeric' if numeric else 'text'}"
            )
    known = [pl.col(c).cast(pl.String).fill_null("") for c in text]
    known += [pl.col(c).cast(pl.Float64) for c in nums]
    for column in (*extra, "group"):
        source = pl.col(column) if column in frame.columns else pl.lit(None)
        known.append(source.cast(pl.String if column == "group" else pl.Float64).alias(column))
    return frame.select(known)


def _number(estimate: float, lower: float | None, upper: float | None) -> str:
    """Format ``"1.23 (1.05–1.44)"``, with "to" between negative limits and a true minus."""
    if lower is None or upper is None:
        return ps.decimal(estimate, 2)
    between = " " + ps.translate("to") + " " if lower < 0 else "–"
    return f"{ps.decimal(estimate, 2)} ({ps.decimal(lower, 2)}{between}{ps.decimal(upper, 2)})"


def _figure(
    width: float, left: float, right: float, panel: float, above: float, title: str, caption: str
) -> tuple[Figure, Axes]:
    """Make a figure (no pyplot) with title, caption and a panel `panel` inches high."""
    lines = ps.caption_lines(caption)
    bottom = ps.PAD + (len(lines) * ps.CAPTION_LINE + ps.GAP if lines else 0.0) + AXIS
    h = bottom + panel + above + TITLE + ps.PAD  # inches
    with mpl.rc_context(STYLE):
        figure = Figure(figsize=(width, h))
        inches = {**TEXT, "ha": "left", "va": "top", "transform": figure.dpi_scale_trans}
        figure.text(ps.PAD, h - ps.PAD, title, **inches | {"fontsize": ps.BASE_SIZE * 1.2})
        figure.text(ps.PAD, ps.PAD, "\n".join(lines), linespacing=1.4, **inches | {"va": "bottom"})
        ax = figure.add_axes((left / width, bottom / h, 1 - (left + right) / width, panel / h))
    return figure, ax


def _forest_x_axis(ax: Axes, numbers: list[float], log: bool, reference: float, label: str) -> None:
    """Set the limits, breaks, reference line and title of the x axis; hide the y axis."""
    lo, hi = min([*numbers, reference]), max([*numbers, reference])
    if log:
        lo, hi = lo / 1.15, hi * 1.15
        ax.set_xscale("log")
        powers = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
        for mantissas in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.25, 1.5, 2, 3, 4, 6, 8), (1,)):
            ticks = [m * 10.0**p for p in powers for m in mantissas if lo <= m * 10.0**p <= hi]
            if 3 <= len(ticks) <= 9:
                break  # else the last try: one break per decade
        ax.set_xticks(ticks, [f"{t:g}".replace(".", ps.decimal(0.5, 1)[1]) for t in ticks])
        ax.set_xticks([], minor=True)
    else:
        lo, hi = lo - ((hi - lo) * 0.06 or 1.0), hi + ((hi - lo) * 0.06 or 1.0)
    ax.set_xlim(lo, hi)
    ax.axvline(reference, color="#7F7F7F", linestyle="--", linewidth=0.8, zorder=1)
    ax.set_xlabel(ps.plain(label))
    ax.yaxis.set_visible(False)
    ax.spines[["left", "right", "top"]].set_visible(False)


def _box(figure: Figure, ax: Axes, at: Box, text: str, ha: str) -> Box:
    """Box of a label at data (x, y) + (dx, dy) inches; centred ones sit on it or hang under."""
    cx, cy = ax.transData.transform(at[:2]) / figure.dpi + at[2:]
    w, h = ps.text_width(text, ps.TABLE_SIZE), ps.TABLE_SIZE * 1.25 / 72
    x0 = {"left": cx, "right": cx - w, "center": cx - w / 2}[ha]
    y0 = cy - h / 2 if ha != "center" else (cy if at[3] > 0 else cy - h)
    return (x0, y0, x0 + w, y0 + h)


def _place_labels(
    figure: Figure, ax: Axes, points: list[tuple[float, float, float, str]], taken: list[Box]
) -> None:
    """Put each label beside its point where it covers least of other labels and points."""
    for x, y, r, _ in points:
        cx, cy = ax.transData.transform((x, y)) / figure.dpi
        taken.append((cx - r, cy - r, cx + r, cy + r))
    panel = ax.get_window_extent().transformed(figure.dpi_scale_trans.inverted()).extents

    def cost(b: Box) -> float:  # area over other labels and points; 10 x the area outside
        return sum(_overlap(b, t) for t in taken) + 10 * (_overlap(b, b) - _overlap(b, panel))

    for x, y, r, label in points:
        d, s = r + 0.03, (r + 0.02) * 0.75
        near = [(d, 0.0, "left"), (-d, 0.0, "right"), (0.0, d, "center"), (0.0, -d, "center")]
        near += [(s, s, "left"), (s, -s, "left"), (-s, s, "right"), (-s, -s, "right")]
        moves = [(k * dx, k * dy, ha) for k in (1.0, 2.5, 4.0) for dx, dy, ha in near]
        boxes = [_box(figure, ax, (x, y, dx, dy), label, ha) for dx, dy, ha in moves]
        best = min(range(len(boxes)), key=lambda i: cost(boxes[i]))
        dx, dy, ha = moves[best]
        taken.append(boxes[best])
        va = "center" if ha != "center" else ("bottom" if dy > 0 else "top")
        lead = LEADER | {"shrinkB": r * 72} if best >= len(near) else None  # far from its point
        style = {**TEXT, "ha": ha, "va": va, "zorder": 4, "arrowprops": lead}
        ax.annotate(label, (x, y), (dx * 72, dy * 72), textcoords="offset points", **style)


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
