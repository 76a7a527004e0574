"""Data shaping for the survival figures: step coordinates and checked, tidy curve inputs.

:func:`step_coordinates` turns a step function into the vertices that trace it; the other
functions check and normalise the inputs of :func:`ips_outcomes.survival_plots.km_figure` and
:func:`ips_outcomes.survival_plots.cif_figure` and find the x axis extent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from ips_outcomes.plot_style import BREAK_MONTHS, PALETTE


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


def require_columns(frame: pl.DataFrame, name: str, columns: Sequence[str]) -> pl.DataFrame:
    """`frame` if it has `columns`; a frame without columns stands for none, typed as text."""
    if frame.is_empty() and not frame.columns:  # nothing to draw, e.g. no censoring at all
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")
    return frame


def curve_frame(frame: pl.DataFrame, name: str, keys: Sequence[str]) -> pl.DataFrame:
    """Curves with string keys, float times, CI filled where null, and a point at time 0."""
    frame = require_columns(frame, name, (*keys, "time", "estimate"))
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


def levels(column: pl.Series) -> list[str]:
    """Distinct non-null values in order of first appearance."""
    return [str(v) for v in column.drop_nulls().unique(maintain_order=True).to_list()]


def palette_groups(curves: pl.DataFrame) -> list[str]:
    """List the groups in order of first appearance; each needs a colour of its own."""
    groups = levels(curves["group"])
    if len(groups) > len(PALETTE):
        raise ValueError(f"{len(groups)} groups but only {len(PALETTE)} colours")
    return groups


def known_groups(frame: pl.DataFrame, groups: Sequence[str]) -> pl.DataFrame:
    """`frame` with `group` as text, if it names no group outside `groups` (which have curves)."""
    frame = frame.with_columns(pl.col("group").cast(pl.String))
    unknown = sorted(set(frame["group"].drop_nulls().to_list()) - set(groups))
    if unknown:
        raise ValueError(f"group(s) without a curve: {', '.join(unknown)}")
    return frame


def axis_end(months: Sequence[float]) -> float:
    """Last x axis break: the data's extent rounded up to a multiple of 3 months."""
    finite = [m for m in months if math.isfinite(m)]
    end = max(finite, default=0.0)
    return float(max(BREAK_MONTHS, math.ceil(end / BREAK_MONTHS - 1e-9) * BREAK_MONTHS))
