"""Small-cell suppression for everything that leaves the pipeline.

This is primary suppression: a count of people below the threshold is withheld, and so is
any proportion whose numerator or complement is such a count (either would reveal it).
Secondary suppression across totals is applied by the report stage.
"""

from __future__ import annotations

import polars as pl


def is_small(count: pl.Expr, threshold: int) -> pl.Expr:
    """Flag where `count` is a positive number of people below `threshold`."""
    return (count > 0) & (count < threshold)


def suppress_proportions(frame: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Withhold small numerators, complements and denominators of a proportions table.

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"numerator": [3, 40, 0], "denominator": [50, 42, 9],
    ...                   "proportion": [0.06, 0.95, 0.0], "ci_lower": [0.0] * 3,
    ...                   "ci_upper": [1.0] * 3})
    >>> out = suppress_proportions(t, 5)
    >>> out["suppressed"].to_list(), out["numerator"].to_list(), out["denominator"].to_list()
    ([True, True, False], [None, None, 0], [50, 42, 9])
    """
    num, den = pl.col("numerator"), pl.col("denominator")
    hide_rate = is_small(num, threshold) | is_small(den - num, threshold) | is_small(den, threshold)
    hide_den = is_small(den, threshold)
    return frame.with_columns(
        *(
            pl.when(hide_rate).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("numerator", "proportion", "ci_lower", "ci_upper")
        ),
        pl.when(hide_den).then(None).otherwise(den).alias("denominator"),
        hide_rate.alias("suppressed"),
    )


def suppress_counts(
    frame: pl.DataFrame, column: str, threshold: int, flag: str = "suppressed"
) -> pl.DataFrame:
    """Withhold counts of people below `threshold` in `column`; mark them in `flag`."""
    small = is_small(pl.col(column), threshold)
    return frame.with_columns(
        pl.when(small).then(None).otherwise(pl.col(column)).alias(column),
        small.alias(flag),
    )
