"""Aalen-Johansen cumulative incidence for competing risks, validated against R's cmprsk.

The estimate of the cumulative incidence function (CIF) of one cause, with every other non-zero
event code competing and 0 meaning censored, is the Aalen-Johansen estimate

    F(t) = sum over event times s <= t of S(s-) * d_cause(s) / n(s),

where S is the Kaplan-Meier probability of no event of any cause and n the number at risk.
Its variance is the one `cmprsk::cuminc` (2.2) reports, i.e. Aalen's (1978) asymptotic variance
as the Fortran routine `cinc` accumulates it (with its correction for tied events), and
`cif_at` follows `cmprsk::timepoints`: a right-continuous step function that is undefined
(NaN) after the last follow-up time. Everything is vectorised over the sorted unique times.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Self

import numpy as np
import numpy.typing as npt
import polars as pl

_COLUMNS = ("time", "cif", "lower", "upper", "variance", "n_risk", "n_event", "n_competing")


class AalenJohansen:
    """Aalen-Johansen estimator of the cumulative incidence of one cause of failure.

    Parameters
    ----------
    cause
        Event code of the cause of interest; every other non-zero code competes, 0 is censored.
    alpha
        1 - confidence level of the pointwise intervals.

    Notes
    -----
    `cmprsk` itself reports no confidence interval and its documentation suggests none; the
    pointwise interval here is the delta-method interval on the log(-log) scale recommended by
    Pintilie (2006, *Competing Risks: A Practical Perspective*) and used by R's `tidycmprsk`,
    with `V` the `cuminc` variance:

        lower, upper = cif ** exp(±z * sqrt(V) / (cif * log(cif))),  z = Phi^-1(1 - alpha / 2)

    (`cif * log(cif)` is negative, so the `+` sign gives the upper bound). Both bounds lie
    in [0, 1]. Where the transform is undefined (cif 0 or 1) the bounds equal the estimate if
    its variance is 0, and are NaN otherwise.

    Examples
    --------
    Seven people; at t=3 one has a job (cause 1) and one drops out (cause 2):

    >>> aj = AalenJohansen(cause=1).fit([1, 2, 3, 3, 4, 5, 6], [1, 2, 1, 2, 0, 1, 0])
    >>> aj.table_["n_risk"].to_list()
    [7, 7, 6, 5, 3, 2, 1]
    >>> [round(x, 4) for x in aj.table_["cif"]]  # 1/7, 1/7 + (5/7)(1/5), + (3/7)(1/2)
    [0.0, 0.1429, 0.1429, 0.2857, 0.2857, 0.5, 0.5]
    >>> round(aj.table_["variance"][1] * 49, 12)  # Aalen's variance at t=1 is 1/49
    1.0
    >>> aj.cif_at([0.5, 3, 7])["cif"].round(4).to_list()
    [0.0, 0.2857, nan]
    """

    def __init__(self, *, cause: int = 1, alpha: float = 0.05) -> None:
        if cause == 0:
            raise ValueError("cause 0 means censored; choose a non-zero event code")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
        self.cause = cause
        self.alpha = alpha

    def fit(self, durations: npt.ArrayLike, events: npt.ArrayLike) -> Self:
        """Estimate the cumulative incidence of `cause`.

        Parameters
        ----------
        durations
            Follow-up times (>= 0).
        events
            Event codes: 0 censored, `cause` the cause of interest, any other value competing.

        Returns
        -------
        AalenJohansen
            The fitted estimator; `table_` holds one row per unique time (starting at 0):
            time, n_risk, n_event (of `cause`), n_competing, n_censor, cif, variance, lower,
            upper.

        Examples
        --------
        >>> AalenJohansen(cause=2).fit([2, 4, 4, 9], [2, 1, 2, 0]).table_["cif"].to_list()
        [0.0, 0.25, 0.5, 0.5]
        """
        time = np.asarray(durations, dtype=float)
        code = np.asarray(events, dtype=float)
        if time.ndim != 1 or time.shape != code.shape or time.size == 0:
            raise ValueError("durations and events must be non-empty 1-D arrays of equal length")
        if not (np.isfinite(time).all() and np.isfinite(code).all()):
            raise ValueError("durations and events must be finite (no missing values)")
        if (time < 0).any():
            raise ValueError("durations must be >= 0")
        timeline = np.unique(np.concatenate(([0.0], time)))
        index = np.searchsorted(timeline, time)
        size = timeline.size
        n_out = np.bincount(index, minlength=size).astype(float)
        n_event = np.bincount(index, minlength=size, weights=code == self.cause).astype(float)
        n_any = np.bincount(index, minlength=size, weights=code != 0).astype(float)
        n_risk = time.size - np.concatenate(([0.0], np.cumsum(n_out)[:-1]))
        after = np.cumprod(1.0 - n_any / n_risk)  # KM of any event, S(t)
        before = np.concatenate(([1.0], after[:-1]))  # S(t-)
        cif = np.cumsum(before * n_event / n_risk)
        variance = _cinc_variance(cif, before, after, n_risk, n_event, n_any - n_event)
        lower, upper = log_log_band(cif, variance, self.alpha)
        self.n_ = int(time.size)
        self.timeline_ = timeline
        self.table_ = pl.DataFrame(
            {
                "time": timeline,
                "n_risk": n_risk.astype(np.int64),
                "n_event": n_event.astype(np.int64),
                "n_competing": (n_any - n_event).astype(np.int64),
                "n_censor": (n_out - n_any).astype(np.int64),
                "cif": cif,
                "variance": variance,
                "lower": lower,
                "upper": upper,
            }
        )
        return self

    def cif_at(self, times: npt.ArrayLike) -> pl.DataFrame:
        """Evaluate the step function at `times`, as `cmprsk::timepoints` does.

        Parameters
        ----------
        times
            Times to evaluate at (any order).

        Returns
        -------
        polars.DataFrame
            Columns time, cif, variance, lower, upper: the values at the last table time <= t;
            0 before time 0, NaN after the last follow-up time (where `timepoints` gives NA).

        Examples
        --------
        >>> aj = AalenJohansen().fit([1, 2, 3], [1, 0, 2])
        >>> aj.cif_at([-1, 1.5, 3, 4])["cif"].to_list()
        [0.0, 0.3333333333333333, 0.3333333333333333, nan]
        """
        when = np.asarray(times, dtype=float).reshape(-1)
        position = np.searchsorted(self.timeline_, when, side="right") - 1
        inside = when <= self.timeline_[-1]
        out: dict[str, npt.NDArray[np.float64]] = {"time": when}
        for column in ("cif", "variance", "lower", "upper"):
            values = self.table_[column].to_numpy()[np.maximum(position, 0)]
            out[column] = np.where(position < 0, 0.0, np.where(inside, values, np.nan))
        return pl.DataFrame(out)

    def to_frame(self) -> pl.DataFrame:
        """Return the curve as a tidy frame.

        Returns
        -------
        polars.DataFrame
            Columns time, cif, lower, upper, variance, n_risk, n_event, n_competing, n_censor.

        Examples
        --------
        >>> AalenJohansen().fit([1, 2], [1, 0]).to_frame().columns[:4]
        ['time', 'cif', 'lower', 'upper']
        """
        return self.table_.select(*_COLUMNS, "n_censor")


def cumulative_incidence(
    frame: pl.DataFrame, duration: str, event: str, group: str | None, cause: int = 1
) -> pl.DataFrame:
    """Aalen-Johansen cumulative incidence of `cause`, one curve per group.

    Parameters
    ----------
    frame
        One row per person.
    duration, event
        Columns with the follow-up time and the event code (0 censored, `cause` the cause of
        interest, other non-zero codes competing).
    group
        Column to split by (groups in sorted order), or None for one curve labelled "all".
    cause
        Event code of the cause of interest.

    Returns
    -------
    polars.DataFrame
        Columns group, time, cif, lower, upper, variance, n_risk, n_event, n_competing,
        n_censor (see `AalenJohansen`).

    Examples
    --------
    >>> data = pl.DataFrame({"t": [1, 2, 3, 1, 4], "e": [1, 2, 0, 2, 1], "g": list("aaabb")})
    >>> out = cumulative_incidence(data, "t", "e", "g")
    >>> out.select("group", "time", "cif").rows()
    [('a', 0.0, 0.0), ('a', 1.0, 0.3333333333333333), ('a', 2.0, 0.3333333333333333), \
('a', 3.0, 0.3333333333333333), ('b', 0.0, 0.0), ('b', 1.0, 0.0), ('b', 4.0, 0.5)]
    """
    columns = [duration, event] if group is None else [duration, event, group]
    missing = [name for name in columns if frame[name].null_count()]
    if missing:
        raise ValueError(f"cumulative_incidence: missing values in column(s) {missing}")
    labels = [None] if group is None else frame[group].unique().sort().to_list()
    curves = []
    for label in labels:
        rows = frame if group is None else frame.filter(pl.col(group) == label)
        fitted = AalenJohansen(cause=cause).fit(rows[duration].to_numpy(), rows[event].to_numpy())
        curve = fitted.to_frame()
        name = pl.lit("all") if group is None else pl.lit(label, dtype=frame.schema[group])
        curves.append(curve.select(name.alias("group"), pl.all()))
    return pl.concat(curves)


def log_log_band(
    cif: npt.NDArray[np.float64], variance: npt.NDArray[np.float64], alpha: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Pointwise CI on the log(-log) scale: `cif ** exp(±z * sqrt(variance) / (cif * log(cif)))`.

    Parameters
    ----------
    cif, variance
        Estimates and their variances.
    alpha
        1 - confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds; the estimate itself where cif is 0 or 1 and the variance is 0,
        NaN where cif is 0 or 1 and the variance is positive.

    Examples
    --------
    >>> lower, upper = log_log_band(np.array([0.0, 0.5]), np.array([0.0, 0.01]), 0.05)
    >>> lower.round(4).tolist(), upper.round(4).tolist()
    ([0.0, 0.2952], [0.0, 0.6745])
    """
    z = NormalDist().inv_cdf(1 - alpha / 2)
    inside = (cif > 0) & (cif < 1)
    p = np.where(inside, cif, 0.5)
    scale = z * np.sqrt(variance) / (p * np.log(p))
    edge = np.where(variance == 0, cif, np.nan)
    lower = np.where(inside, p ** np.exp(-scale), edge)
    upper = np.where(inside, p ** np.exp(scale), edge)
    return lower, upper


def _cinc_variance(
    cif: npt.NDArray[np.float64],
    before: npt.NDArray[np.float64],
    after: npt.NDArray[np.float64],
    n_risk: npt.NDArray[np.float64],
    n_event: npt.NDArray[np.float64],
    n_competing: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Variance of the CIF as cmprsk's Fortran `cinc` accumulates it.

    At each time with d events of a kind among n at risk, with S(t-) = `before`, the
    contribution is t6 = S(t-)^2 * t5 * d / n^2, where t5 = 1 - (d - 1) / (n - 1) corrects for
    ties. With q = 1 / S(t) (0 when S(t) = 0) and F = F(t), competing events add
    (t4, t3) = (F q, q) and events of the cause add (t4, t3) = (1 + F q, q) to the running sums
    v1 += t4^2 t6, v2 += t3 t4 t6 and v3 += t3^2 t6 (`cinc` skips the competing term when
    S(t) = 0, where q = 0 makes it vanish anyway). The variance, v1 + F^2 v3 - 2 F v2, is
    updated at event times of the cause only and carried forward in between (the competing
    terms alone add exactly 0 to it), as `cuminc` reports it.
    """
    q = np.divide(1.0, after, out=np.zeros_like(after), where=after > 0)

    def t6(d: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        tied = np.divide(d - 1.0, n_risk - 1.0, out=np.zeros_like(d), where=d > 1)
        return before * before * (1.0 - tied) * d / (n_risk * n_risk)

    a, b = t6(n_competing), t6(n_event)
    t4 = 1.0 + cif * q
    v1 = np.cumsum((cif * q) ** 2 * a + t4 * t4 * b)
    v2 = np.cumsum(q * cif * q * a + q * t4 * b)
    v3 = np.cumsum(q * q * (a + b))
    raw = v1 + cif * cif * v3 - 2.0 * cif * v2
    last = np.maximum.accumulate(np.where(n_event > 0, np.arange(cif.size), -1))
    return np.where(last >= 0, raw[np.maximum(last, 0)], 0.0)
