"""Kaplan-Meier, log-rank and restricted mean survival time, validated against R's survival.

Conventions follow R's `survival` package (3.5): Greenwood standard errors of the cumulative
hazard, confidence intervals on the log(-log) scale by default (R's `survfit` default is `log`;
pass the same `conf_type` to both when comparing), the median and its CI as `print.survfit`
computes them, and the RMST variance of `print.survfit(rmean = tau)`.

Everything is vectorised over the sorted unique times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

ConfType = Literal["log-log", "log", "plain"]
_TOL = float(np.sqrt(np.finfo(float).eps))


class KaplanMeier:
    """Kaplan-Meier estimator of the probability of no event by time t.

    Parameters
    ----------
    alpha
        1 - confidence level.
    conf_type
        Transform for the pointwise CI: `log-log` (default), `log` (R's default) or `plain`.

    Examples
    --------
    >>> km = KaplanMeier().fit([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> km.table_["survival"].round(4).to_list()
    [0.8, 0.6, 0.3, 0.3]
    >>> km.median_
    3.0
    """

    def __init__(self, alpha: float = 0.05, conf_type: ConfType = "log-log") -> None:
        self.alpha = alpha
        self.conf_type = conf_type

    def fit(self, durations: npt.ArrayLike, events: npt.ArrayLike) -> Self:
        """Estimate the curve; `events` is 1 (or True) for an event, 0 for censoring."""
        time = np.asarray(durations, dtype=float)
        event = np.asarray(events, dtype=float)
        self.times_, index = np.unique(time, return_inverse=True)
        n_event = np.bincount(index, weights=event, minlength=len(self.times_))
        n_out = np.bincount(index, minlength=len(self.times_)).astype(float)
        n_risk = time.size - np.concatenate(([0.0], np.cumsum(n_out)[:-1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = n_event / n_risk
            terms = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        survival = np.cumprod(1.0 - hazard)
        std_err = np.sqrt(np.cumsum(terms))
        lower, upper = confidence_band(survival, std_err, self.alpha, self.conf_type)
        self.table_ = pl.DataFrame(
            {
                "time": self.times_,
                "n_risk": n_risk,
                "n_event": n_event,
                "n_censor": n_out - n_event,
                "survival": survival,
                "std_err": std_err,
                "lower": lower,
                "upper": upper,
            }
        )
        self.n_ = int(time.size)
        self.events_ = int(event.sum())
        self.median_ = _first_below_half(survival, self.times_)
        self.median_lower_ = _first_below_half(lower, self.times_)
        self.median_upper_ = _first_below_half(upper, self.times_)
        self._durations = time
        self._events = event
        return self

    def at(self, times: npt.ArrayLike) -> pl.DataFrame:
        """Evaluate the curve at `times`: survival, CI, at risk, cumulative events, censorings.

        `n_risk` counts people still followed at t (time >= t); `events` and `censored` count
        those up to and including t.
        """
        when = np.asarray(times, dtype=float)
        position = np.searchsorted(self.times_, when, side="right") - 1

        def pick(column: str, fill: float) -> npt.NDArray[np.float64]:
            values = self.table_[column].to_numpy()
            return np.where(position >= 0, values[np.maximum(position, 0)], fill)

        ordered = np.sort(self._durations)
        event_times = np.sort(self._durations[self._events > 0])
        at_or_before = np.searchsorted(ordered, when, side="right")
        events = np.searchsorted(event_times, when, side="right")
        return pl.DataFrame(
            {
                "time": when,
                "survival": pick("survival", 1.0),
                "lower": pick("lower", np.nan),
                "upper": pick("upper", np.nan),
                "n_risk": self._durations.size - np.searchsorted(ordered, when, side="left"),
                "events": events,
                "censored": at_or_before - events,
            }
        )

    def restricted_mean(self, tau: float) -> tuple[float, float]:
        """Restricted mean time without an event up to `tau`, and its standard error.

        Uses the variance of R's `print.survfit(rmean = tau)`:
        sum over event times of (area under the curve after it)^2 * d / (n (n - d)).
        """
        table = self.table_.filter(pl.col("time") <= tau)
        time = np.concatenate((table["time"].to_numpy(), [tau]))
        survival = table["survival"].to_numpy()
        before = np.concatenate(([1.0], survival))
        rectangles = np.diff(np.concatenate(([0.0], time))) * before
        n_risk, n_event = table["n_risk"].to_numpy(), table["n_event"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
        after = np.cumsum(rectangles[1:][::-1])[::-1]  # area beyond each time
        variance = float(np.sum(after**2 * hh))
        return float(rectangles.sum()), float(np.sqrt(variance))


def confidence_band(
    survival: npt.NDArray[np.float64],
    std_err: npt.NDArray[np.float64],
    alpha: float,
    conf_type: ConfType,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Pointwise CI as R's `survfit_confint` computes it (`std_err` on the log scale)."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            p = np.where((survival == 0) | (survival == 1), np.nan, survival)
            se2 = z * std_err / np.log(p)
            lower = np.exp(-np.exp(np.log(-np.log(p)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(p)) + se2))
        elif conf_type == "log":
            p = np.where(survival == 0, np.nan, survival)
            lower = np.exp(np.log(p) - z * std_err)
            upper = np.minimum(np.exp(np.log(p) + z * std_err), 1.0)
        else:
            half = z * std_err * survival
            lower, upper = np.maximum(survival - half, 0.0), np.minimum(survival + half, 1.0)
    return lower, upper


def _first_below_half(curve: npt.NDArray[np.float64], times: npt.NDArray[np.float64]) -> float:
    """R's `minmin`: the first time the curve is at or below one half (midpoint on a tie)."""
    keep = ~np.isnan(curve) & (curve < 0.5 + _TOL)
    if not keep.any():
        return float("nan")
    y, x = curve[keep], times[keep]
    if abs(y[0] - 0.5) < _TOL and (y < y[0]).any():
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


@dataclass(frozen=True)
class LogRank:
    """Result of a (stratified) log-rank test, as R's `survdiff`."""

    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    chisq: float
    df: int
    p_value: float


def log_rank(
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    groups: npt.ArrayLike,
    strata: npt.ArrayLike | None = None,
) -> LogRank:
    """Log-rank test of equal hazards across groups, optionally stratified.

    Examples
    --------
    >>> result = log_rank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], ["a", "b", "a", "b", "a", "b"])
    >>> round(result.chisq, 6), result.df
    (0.073903, 1)
    """
    time = np.asarray(durations, dtype=float)
    event = np.asarray(events, dtype=float)
    labels, group = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    stratum = (
        np.zeros(time.size, dtype=int)
        if strata is None
        else np.unique(np.asarray(strata).astype(str), return_inverse=True)[1]
    )
    k = labels.size
    observed, expected = np.zeros(k), np.zeros(k)
    variance = np.zeros((k, k))
    for s in np.unique(stratum):
        rows = stratum == s
        times, index = np.unique(time[rows], return_inverse=True)
        cells = index * k + group[rows]
        d = np.bincount(cells, weights=event[rows], minlength=times.size * k).reshape(-1, k)
        out = np.bincount(cells, minlength=times.size * k).reshape(-1, k).astype(float)
        at_risk = out[::-1].cumsum(axis=0)[::-1]  # people with time >= t, per group
        n, dt = at_risk.sum(axis=1), d.sum(axis=1)
        share = at_risk / n[:, None]
        observed += d.sum(axis=0)
        expected += (dt[:, None] * share).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n > 1, dt * (n - dt) / (n - 1), 0.0)
        variance += np.diag((factor[:, None] * share).sum(axis=0)) - np.einsum(
            "t,tg,th->gh", factor, share, share
        )
    diff = (observed - expected)[:-1]
    chisq = float(diff @ np.linalg.solve(variance[:-1, :-1], diff)) if k > 1 else 0.0
    df = k - 1
    return LogRank(
        groups=tuple(labels.tolist()),
        observed=tuple(observed.tolist()),
        expected=tuple(expected.tolist()),
        chisq=chisq,
        df=df,
        p_value=float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
    )
