"""Cox proportional hazards regression, validated against R's `survival` package (3.5).

Conventions follow `coxph` and `cox.zph`: Efron ties, optional strata (a separate baseline
hazard per stratum), Newton-Raphson with R's `coxph.control` defaults (convergence when the
relative change in the log partial likelihood is at most ``eps = 1e-9``, ``iter.max = 20``,
step halving when the likelihood gets worse), model variance = inverse information, and with a
cluster the robust sandwich variance ``D'D`` of the cluster-summed dfbeta residuals. Times are
tied when exactly equal (R additionally merges times that differ by rounding error only).

Everything is vectorised numpy over the data sorted by stratum and time: sums over risk sets
are cumulative sums within strata over tied-time groups, and the Efron terms are expanded to one
row per event.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import linalg, stats

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Design:
    """Rows sorted by stratum then time, grouped into tied (stratum, time) groups."""

    x: Array  # (n, p) covariates, centred
    time: Array
    event: Array  # 0/1
    gid: IntArray  # group of each row
    gstart: IntArray  # first row of each group
    gstrat: IntArray  # stratum of each group (0, 1, ... in order)
    sfirst: IntArray  # first group of each stratum
    slast: IntArray  # one past the last group of each stratum
    evg: IntArray  # group of each event row (Efron expansion: one row per event)
    frac: Array  # r / d for the event rows, r = 0 .. d - 1
    dgroups: IntArray  # groups with at least one event
    estart: IntArray  # first event row of each group in `dgroups`
    dead_rows: IntArray  # rows with an event, in the order of the event rows

    @property
    def groups(self) -> int:
        return len(self.gstart)

    def forward(self, v: Array) -> Array:
        """Sum of `v` over the groups up to and including each group, within its stratum."""
        c = np.cumsum(v, axis=0)
        base = np.concatenate([np.zeros((1, *v.shape[1:])), c])[self.sfirst]
        return np.asarray(c - base[self.gstrat], dtype=np.float64)

    def backward(self, v: Array, at: IntArray) -> Array:
        """Sum of `v` over group `at` and the later groups of its stratum (the risk set)."""
        c = np.cumsum(v[::-1], axis=0)[::-1]
        if len(self.sfirst) == 1:
            return np.asarray(c[at], dtype=np.float64)
        tail = np.concatenate([c, np.zeros((1, *v.shape[1:]))])[self.slast]
        return np.asarray(c[at] - tail[self.gstrat[at]], dtype=np.float64)

    def by_group(self, v: Array) -> Array:
        """Sum event-row values `v` by group (zero for groups without events)."""
        out = np.zeros((self.groups, *v.shape[1:]))
        out[self.dgroups] = np.add.reduceat(v, self.estart, axis=0)
        return out


@dataclass(frozen=True)
class _State:
    """Log partial likelihood, score, information and Efron terms at one beta."""

    loglik: float
    u: Array
    info: Array
    risk: Array
    den: Array  # Efron denominators, one per event row
    mean: Array  # (events, p) Efron weighted means of x


def _design(time: Array, event: Array, x: Array, strata: IntArray) -> _Design:
    order = np.lexsort((time, strata))
    time, event, x, strata = time[order], event[order], x[order], strata[order]
    n = len(time)
    new = np.ones(n, dtype=bool)
    new[1:] = (time[1:] != time[:-1]) | (strata[1:] != strata[:-1])
    gstart = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    gstrat = strata[gstart]
    snew = np.ones(len(gstart), dtype=bool)
    snew[1:] = gstrat[1:] != gstrat[:-1]
    sfirst = np.flatnonzero(snew)
    slast = np.append(sfirst[1:], len(gstart))
    gstrat = np.cumsum(snew) - 1
    deaths = np.bincount(gid, weights=event, minlength=len(gstart)).astype(np.int64)
    dgroups = np.flatnonzero(deaths)
    d = deaths[dgroups]
    evg = np.repeat(dgroups, d)
    estart = np.concatenate([[0], np.cumsum(d)[:-1]]).astype(np.int64)
    r = np.arange(len(evg)) - np.repeat(estart, d)
    frac = r / np.repeat(d, d)
    x = x - x.mean(axis=0)
    dead_rows = np.flatnonzero(event)
    return _Design(x, time, event, gid, gstart, gstrat, sfirst, slast, evg, frac, dgroups,
                   estart, dead_rows)  # fmt: skip


def _info(dz: _Design, risk: Array, den: Array, mean: Array, weight: Array | None = None) -> Array:
    """Information matrix, each event time weighted by `weight` (one value per group).

    Efron: at a time with d events the term ``r`` (r = 0 .. d-1) uses the risk set with r/d
    of each event removed. The second moments are sums over each risk set, so, exchanging the
    order of summation, each row contributes ``risk x x'`` times the accumulated ``1/den``
    over the event times at or before its own time.
    """
    w = np.ones(dz.groups) if weight is None else weight
    inv = 1.0 / den
    w1 = dz.by_group(inv) * w
    w2 = dz.by_group(dz.frac * inv) * w
    v = risk * (dz.forward(w1)[dz.gid] - dz.event * w2[dz.gid])
    weighted_mean = mean * w[dz.evg][:, None]
    return np.asarray((dz.x * v[:, None]).T @ dz.x - weighted_mean.T @ mean, dtype=np.float64)


def _state(dz: _Design, beta: Array) -> _State:
    eta = dz.x @ beta
    risk = np.exp(eta)
    stack = np.empty((len(risk), dz.x.shape[1] + 1))  # risk, risk * x
    stack[:, 0] = risk
    np.multiply(dz.x, risk[:, None], out=stack[:, 1:])
    grouped = stack if dz.groups == len(risk) else np.add.reduceat(stack, dz.gstart, axis=0)
    total = dz.backward(grouped, dz.evg)  # risk-set sums at each event row
    dead = dz.by_group(stack[dz.dead_rows])[dz.evg]  # sums over the tied events
    den = total[:, 0] - dz.frac * dead[:, 0]
    mean = (total[:, 1:] - dz.frac[:, None] * dead[:, 1:]) / den[:, None]
    loglik = float(eta @ dz.event - np.log(den).sum())
    u = dz.event @ dz.x - mean.sum(axis=0)
    return _State(loglik, u, _info(dz, risk, den, mean), risk, den, mean)


def _score_residuals(dz: _Design, st: _State) -> Array:
    """Score residuals as R's `residuals(fit, "score")` (Efron), rows in sorted order."""
    inv = 1.0 / st.den
    d = dz.by_group(np.ones(len(dz.evg)))
    mean_bar = dz.by_group(st.mean) / np.maximum(d, 1)[:, None]
    h1, h2 = dz.by_group(inv), dz.by_group(st.mean * inv[:, None])
    k1, k2 = dz.by_group(dz.frac * inv), dz.by_group(st.mean * (dz.frac * inv)[:, None])
    x, g, ev, risk = dz.x, dz.gid, dz.event[:, None], st.risk[:, None]
    at_risk = x * dz.forward(h1)[g][:, None] - dz.forward(h2)[g]
    own = x * k1[g][:, None] - k2[g]
    return np.asarray(ev * (x - mean_bar[g]) - risk * at_risk + ev * risk * own, dtype=np.float64)


def _solve(info: Array, u: Array) -> Array:
    try:
        return np.asarray(linalg.cho_solve(linalg.cho_factor(info), u), dtype=np.float64)
    except linalg.LinAlgError as exc:
        message = "the information matrix is singular: a covariate is constant or collinear"
        raise ValueError(message) from exc


def _codes(series: pl.Series) -> IntArray:
    return series.rank("dense").cast(pl.Int64).to_numpy() - 1


class CoxModel:
    """Cox proportional hazards model with Efron ties, as R's `coxph`.

    Parameters
    ----------
    strata
        Column whose levels get separate baseline hazards (R's ``strata(site)``).
    cluster
        Column of clusters for the robust sandwich variance (R's ``cluster = site``); z, p and
        the confidence interval then use the robust standard error, as ``summary.coxph`` does.
    alpha
        1 - confidence level of the hazard-ratio interval.
    eps, iter_max
        Convergence tolerance on the relative change in log likelihood and the maximum number
        of Newton-Raphson iterations (R's `coxph.control` defaults).

    Attributes
    ----------
    coef_ : pl.DataFrame
        term, coef, se (model based), robust_se (null without a cluster), z, p, hr, hr_lower,
        hr_upper.
    var_ : numpy.ndarray
        Variance matrix of the coefficients (robust with a cluster, else model based).
    loglik_ : tuple[float, float]
        Log partial likelihood at beta = 0 and at the estimate.
    n_, n_events_, n_dropped_, iterations_ : int
        Rows used, events, rows left out for a null (or NaN) in a used column, iterations.

    Examples
    --------
    >>> frame = pl.DataFrame({
    ...     "time": [5, 8, 8, 12, 3, 9, 15, 4, 8, 10],
    ...     "event": [1, 1, 0, 1, 1, 0, 1, 1, 1, 0],
    ...     "x": [0, 1, 1, 0, 0, 1, 1, 0, 0, 1]})
    >>> fit = CoxModel().fit(frame, "time", "event", ["x"])
    >>> fit.coef_.select("term", pl.col("coef", "se", "hr").round(4)).rows()
    [('x', -2.1287, 1.1101, 0.119)]
    >>> fit.n_, fit.n_events_, fit.iterations_
    (10, 7, 4)
    """

    def __init__(
        self,
        *,
        strata: str | None = None,
        cluster: str | None = None,
        alpha: float = 0.05,
        eps: float = 1e-9,
        iter_max: int = 20,
    ) -> None:
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        if iter_max < 1:
            raise ValueError("iter_max must be at least 1")
        self.strata, self.cluster, self.alpha = strata, cluster, alpha
        self.eps, self.iter_max = eps, iter_max

    def fit(
        self, frame: pl.DataFrame, duration: str, event: str, covariates: Sequence[str]
    ) -> Self:
        """Fit the model by Newton-Raphson.

        Parameters
        ----------
        frame
            One row per person.
        duration, event
            Columns of follow-up time and of the event indicator (0/1 or boolean).
        covariates
            Numeric (or boolean) columns, one coefficient each.

        Returns
        -------
        CoxModel
            The fitted model (`self`).
        """
        terms = list(covariates)
        if not terms or len(set(terms)) != len(terms):
            raise ValueError("covariates must be a non-empty list of distinct columns")
        extra = [c for c in (self.strata, self.cluster) if c is not None]
        used = list(dict.fromkeys([duration, event, *terms, *extra]))
        data = frame.select(
            pl.col(c).fill_nan(None) if frame.schema[c].is_float() else pl.col(c) for c in used
        ).drop_nulls()
        self.n_dropped_ = frame.height - data.height
        if data.height == 0:
            raise ValueError("no complete rows to fit")
        status = data[event].cast(pl.Float64).to_numpy()
        if not np.isin(status, (0.0, 1.0)).all():
            raise ValueError(f"{event!r} must be 0/1")
        time = data[duration].cast(pl.Float64).to_numpy()
        x = data.select(pl.col(terms).cast(pl.Float64)).to_numpy()
        strata = _codes(data[self.strata]) if self.strata else np.zeros(len(time), np.int64)
        self._dz = _design(time, status, x, strata)
        if self.cluster:
            clusters = _codes(data[self.cluster])
            self._cluster = clusters[np.lexsort((time, strata))]
        self._terms = terms
        self._newton()
        self.n_, self.n_events_ = data.height, int(status.sum())
        self._tabulate()
        return self

    def _newton(self) -> None:
        """Newton-Raphson with step halving, step for step as R's C routine `coxfit6`."""
        dz = self._dz
        beta = np.zeros(dz.x.shape[1])
        st = _state(dz, beta)
        initial = best = st.loglik
        new = beta + _solve(st.info, st.u)
        halving = 0
        for iteration in range(1, self.iter_max + 1):
            self.iterations_ = iteration
            st = _state(dz, new)
            finite = np.isfinite(st.loglik) and np.isfinite(st.u).all()
            finite = finite and np.isfinite(st.info).all()
            if finite and abs(1 - best / st.loglik) <= self.eps:
                beta, self.converged_ = new, True
                break
            if not finite or st.loglik < best:
                halving += 1
                new = (new + halving * beta) / (halving + 1.0)
            else:
                halving, best, beta = 0, st.loglik, new
                new = new + _solve(st.info, st.u)
        else:
            st = _state(dz, beta)
            self.converged_ = False
            message = "Cox model ran out of iterations and did not converge"
            warnings.warn(message, RuntimeWarning, stacklevel=3)
        self._state, self._beta = st, beta
        self.loglik_ = (initial, st.loglik)
        self.model_var_ = np.asarray(linalg.inv(st.info), dtype=np.float64)

    def _tabulate(self) -> None:
        beta, model_var = self._beta, self.model_var_
        se = np.sqrt(np.diag(model_var))
        robust_se: Array | None = None
        self.var_ = model_var
        if self.cluster:
            dfbeta = _score_residuals(self._dz, self._state) @ model_var
            n_clusters = int(self._cluster.max()) + 1
            summed = np.column_stack(
                [np.bincount(self._cluster, c, minlength=n_clusters) for c in dfbeta.T]
            )
            self.var_ = np.asarray(summed.T @ summed, dtype=np.float64)
            robust_se = np.sqrt(np.diag(self.var_))
        used = se if robust_se is None else robust_se
        z = beta / used
        q = stats.norm.ppf(1 - self.alpha / 2)
        self.coef_ = pl.DataFrame(
            {
                "term": self._terms,
                "coef": beta,
                "se": se,
                "robust_se": pl.Series(
                    np.full(len(beta), np.nan) if robust_se is None else robust_se
                ).fill_nan(None),
                "z": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
                "hr": np.exp(beta),
                "hr_lower": np.exp(beta - q * used),
                "hr_upper": np.exp(beta + q * used),
            }
        )

    def to_frame(self) -> pl.DataFrame:
        """Return the tidy coefficient table (a copy of `coef_`).

        Returns
        -------
        pl.DataFrame
            term, coef, se, robust_se, z, p, hr, hr_lower, hr_upper.
        """
        self._check_fitted()
        return self.coef_.clone()

    def zph(self) -> pl.DataFrame:
        """Test proportional hazards as R's ``cox.zph(fit, transform = "km")`` (survival >= 3).

        The score test for adding ``beta_j * g(t) * x_j`` to the model, where g is one minus the
        Kaplan-Meier estimate (all strata pooled) just before t, centred on its mean over the
        events; with strata, the sums are within strata as in the fit.

        Returns
        -------
        pl.DataFrame
            term, chisq, df, p: one row per covariate, then ``GLOBAL`` (all jointly).

        Examples
        --------
        >>> frame = pl.DataFrame({
        ...     "time": [5, 8, 8, 12, 3, 9, 15, 4, 8, 10],
        ...     "event": [1, 1, 0, 1, 1, 0, 1, 1, 1, 0],
        ...     "x": [0, 1, 1, 0, 0, 1, 1, 0, 0, 1]})
        >>> table = CoxModel().fit(frame, "time", "event", ["x"]).zph()
        >>> table.select("term", pl.col("chisq", "p").round(4), "df").rows()
        [('x', 0.18, 0.6714, 1), ('GLOBAL', 0.18, 0.6714, 1)]
        """
        self._check_fitted()
        dz, st = self._dz, self._state
        p = dz.x.shape[1]
        unique, inverse, counts = np.unique(dz.time, return_inverse=True, return_counts=True)
        at_risk = len(dz.time) - np.cumsum(counts) + counts
        events = np.bincount(inverse, weights=dz.event, minlength=len(unique))
        surv_before = np.concatenate([[1.0], np.cumprod(1 - events / at_risk)[:-1]])
        ttimes = 1 - surv_before[inverse]
        g = (ttimes - ttimes[dz.event > 0].mean())[dz.gstart]
        u2 = (dz.event * g[dz.gid]) @ dz.x - g[dz.evg] @ st.mean
        cross = _info(dz, st.risk, st.den, st.mean, g)
        imat = np.block([[st.info, cross], [cross.T, _info(dz, st.risk, st.den, st.mean, g * g)]])
        score = np.concatenate([np.zeros(p), u2])
        keeps = [[*range(p), p + j] for j in range(p)] + [list(range(2 * p))]  # terms, GLOBAL
        chisq = [float(score[k] @ linalg.solve(imat[np.ix_(k, k)], score[k])) for k in keeps]
        df = [1] * p + [p]
        return pl.DataFrame(
            {
                "term": [*self._terms, "GLOBAL"],
                "chisq": chisq,
                "df": pl.Series(df, dtype=pl.Int64),
                "p": stats.chi2.sf(chisq, df),
            }
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("call fit() first")
