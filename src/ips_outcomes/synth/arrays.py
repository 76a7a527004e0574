"""Small vectorised helpers shared by the generator: day numbers, draws, typed columns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ips_outcomes.contract import TABLES
from ips_outcomes.synth.model import BoolArray, IntArray


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _pick(rng: np.random.Generator, probs: tuple[float, ...] | list[float], n: int) -> IntArray:
    """Draw `n` category indices with the given probabilities (vectorised inverse CDF)."""
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    idx = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
    return np.minimum(idx, len(cdf) - 1).astype(np.int64)


def _days_between(rng: np.random.Generator, lo: float, hi: float, n: int) -> IntArray:
    return np.floor(rng.uniform(lo, hi, n)).astype(np.int64)


def _dates(days: IntArray, valid: BoolArray | None = None) -> pl.Series:
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return s if valid is None else s.set(pl.Series(~valid), None)


def _labels(labels: tuple[str, ...], idx: IntArray, valid: BoolArray | None = None) -> pl.Series:
    s = pl.Series(labels, dtype=pl.String).gather(pl.Series(idx))
    return s if valid is None else s.set(pl.Series(~valid), None)


def _frame(table: str, columns: dict[str, pl.Series]) -> pl.DataFrame:
    """Build a contract table, with its columns in contract order and contract dtypes."""
    schema = TABLES[table].polars_schema
    return pl.DataFrame([columns[c].alias(c).cast(t) for c, t in schema.items()])
