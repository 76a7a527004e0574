"""Per-site effects and their meta-analysis across sites (fixed and random effects).

Sites of a multi-site evaluation are pooled as studies of a meta-analysis: each site gives a log
risk ratio (or a risk difference) with its variance, and the sites are combined by inverse
variance (fixed effect) and with a between-site variance tau^2 (random effects, DerSimonian-Laird
by default, Paule-Mandel on request). The figures agree with R's `metafor::rma` to 1e-9 relative
(`tests/reference/meta_reference.R`).

Examples
--------
>>> m = meta_analyze([0.1, 0.3, 0.5], [0.04, 0.02, 0.05], ["a", "b", "c"])
>>> round(m.fixed.estimate, 4), round(m.random.estimate, 4), m.tau2, m.q_df, round(m.q_p, 3)
(0.2895, 0.2895, 0.0, 2, 0.409)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

Method = Literal["dl", "pm"]

_Z975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class PooledEstimate:
    """One pooled effect with its standard error, normal 95 % CI, z statistic and p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float

    @classmethod
    def from_weights(cls, estimates: np.ndarray, weights: np.ndarray) -> PooledEstimate:
        """Inverse-variance weighted mean of `estimates` (weights need not be normalised)."""
        total = float(weights.sum())
        estimate = float(weights @ estimates) / total
        se = math.sqrt(1.0 / total)
        z = estimate / se
        p = float(2 * stats.norm.sf(abs(z)))
        return cls(estimate, se, estimate - _Z975 * se, estimate + _Z975 * se, z, p)

    def exp(self) -> tuple[float, float, float]:
        """Back-transform a log ratio: (ratio, lower, upper)."""
        return math.exp(self.estimate), math.exp(self.ci_low), math.exp(self.ci_high)


@dataclass(frozen=True)
class MetaAnalysis:
    """Fixed- and random-effects meta-analysis of `k` studies (here: sites).

    Weights are percentages of the total weight (as `metafor::weights`). `i2` is I^2 in per
    cent, `h2` is H^2, both computed from tau^2 as metafor does (for DerSimonian-Laird this is
    the familiar ``100 * (Q - df) / Q``, truncated at zero). Q is Cochran's heterogeneity
    statistic with `q_df` = k - 1 degrees of freedom and chi-square p-value `q_p`.
    """

    k: int
    labels: tuple[str, ...]
    estimates: tuple[float, ...]
    ses: tuple[float, ...]
    weights_fixed: tuple[float, ...]
    weights_random: tuple[float, ...]
    fixed: PooledEstimate
    random: PooledEstimate
    method: Method
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float

    @property
    def tau(self) -> float:
        """Between-study standard deviation."""
        return math.sqrt(self.tau2)

    @property
    def i2_q(self) -> float:
        """I^2 from Q alone, ``max(0, 100 (Q - df) / Q)``: what metafor reports for method="FE"."""
        return max(0.0, 100.0 * (self.q - self.q_df) / self.q) if self.q > 0 else 0.0

    @property
    def h2_q(self) -> float:
        """H^2 from Q alone, ``Q / df``: what metafor reports for method="FE"."""
        return self.q / self.q_df if self.q_df > 0 else 1.0

    def studies(self) -> pl.DataFrame:
        """One row per study: label, estimate, SE, 95 % CI and both weights (per cent)."""
        est, se = np.array(self.estimates), np.array(self.ses)
        frame = pl.DataFrame({"label": list(self.labels), "estimate": est, "se": se})
        return frame.with_columns(
            ci_low=est - _Z975 * se,
            ci_high=est + _Z975 * se,
            weight_fixed=pl.Series(self.weights_fixed),
            weight_random=pl.Series(self.weights_random),
        )


def meta_analyze(
    estimates: Sequence[float],
    variances: Sequence[float],
    labels: Sequence[str],
    method: Method = "dl",
) -> MetaAnalysis:
    """Pool study estimates by inverse variance (fixed effect) and random effects.

    Parameters
    ----------
    estimates, variances
        Per-study effect estimates (e.g. log risk ratios) and their sampling variances (> 0).
    labels
        Study (site) names, unique.
    method
        Estimator of tau^2: ``"dl"`` DerSimonian-Laird (truncated at 0, as metafor) or
        ``"pm"`` Paule-Mandel (root of the generalised Q equation by Brent's method; statsmodels'
        own PM iteration resets tau^2 to 0 whenever rounding leaves its estimating equation a
        hair below zero, so it is not used). REML is not offered: statsmodels'
        `combine_effects` has no REML estimator.

    Returns
    -------
    MetaAnalysis
        With one study, heterogeneity is undefined: tau^2 = 0, Q = 0, I^2 = 0, p = 1 (as metafor).

    Examples
    --------
    >>> m = meta_analyze([0.0, 1.0], [0.1, 0.1], ["x", "y"])
    >>> round(m.q, 6), round(m.tau2, 6), round(m.i2, 2)
    (5.0, 0.4, 80.0)
    """
    est, var = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    k = len(est)
    if k == 0 or len(var) != k or len(labels) != k:
        raise ValueError("estimates, variances and labels must be non-empty and equally long")
    if len(set(labels)) != k:
        raise ValueError("labels must be unique")
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(var)) and np.all(var > 0)):
        raise ValueError("estimates must be finite and variances finite and positive")
    if method not in ("dl", "pm"):
        raise ValueError(f"method must be 'dl' or 'pm', not {method!r}")
    w = 1.0 / var
    if k == 1:
        q, tau2 = 0.0, 0.0
    else:
        # statsmodels' DL tau^2 is not truncated at 0; with a negative tau^2 its random-effects
        # figures may divide by or take roots of negatives, so they are recomputed below.
        with np.errstate(divide="ignore", invalid="ignore"):
            res = combine_effects(est, var, method_re="dl", use_t=False)
        q, tau2 = float(res.q), max(0.0, float(res.tau2))
        if method == "pm":
            tau2 = _paule_mandel(est, var)
    w_re = 1.0 / (var + tau2)
    df = k - 1
    # "typical" within-study variance (Higgins & Thompson 2002), as metafor's I^2 and H^2 use
    s2 = float(df * w.sum() / (w.sum() ** 2 - (w**2).sum())) if k > 1 else 0.0
    i2 = 100.0 * tau2 / (tau2 + s2) if k > 1 else 0.0
    return MetaAnalysis(
        k=k,
        labels=tuple(str(label) for label in labels),
        estimates=tuple(est.tolist()),
        ses=tuple(np.sqrt(var).tolist()),
        weights_fixed=tuple((100 * w / w.sum()).tolist()),
        weights_random=tuple((100 * w_re / w_re.sum()).tolist()),
        fixed=PooledEstimate.from_weights(est, w),
        random=PooledEstimate.from_weights(est, w_re),
        method=method,
        tau2=tau2,
        i2=i2,
        h2=(tau2 + s2) / s2 if k > 1 else 1.0,
        q=q,
        q_df=df,
        q_p=float(stats.chi2.sf(q, df)) if k > 1 else 1.0,
    )


def _paule_mandel(est: np.ndarray, var: np.ndarray) -> float:
    """Paule-Mandel tau^2: the root of ``Q(tau^2) = k - 1`` (0 when Q(0) <= k - 1)."""

    def excess(tau2: float) -> float:
        w = 1.0 / (var + tau2)
        mean = (w @ est) / w.sum()
        return float(w @ (est - mean) ** 2) - (len(est) - 1)

    if excess(0.0) <= 0:
        return 0.0
    upper = float(var.max())
    while excess(upper) > 0:
        upper *= 2.0
    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def site_log_risk_ratios(
    frame: pl.DataFrame, outcome: str, group: str, treated: str, control: str, by: str = "site"
) -> pl.DataFrame:
    """Per-site 2x2 tables, log risk ratios and risk differences with their variances.

    Rows whose `outcome` is null, or whose `group` is neither `treated` nor `control`, are left
    out. When any cell of a site's 2x2 table is zero, 0.5 is added to all four cells of that
    site's table (and ``corrected`` is true) before both the log RR and the RD and their
    variances are computed, as `metafor::escalc` does by default (``add = 1/2, to = "only0"``);
    tables without a zero cell are used as they are. Sites with no events (or only events) in
    both arms are kept, corrected, as metafor does. Sites lacking one arm get null estimates.

    Variances: log RR ``1/a - 1/n1 + 1/c - 1/n2``; RD ``p1(1-p1)/n1 + p2(1-p2)/n2``.

    Parameters
    ----------
    frame
        One row per person.
    outcome
        Boolean outcome column (e.g. employed during follow-up).
    group, treated, control
        Column naming the service, and its values for the two arms compared.
    by
        Site column.

    Returns
    -------
    pl.DataFrame
        One row per site, sorted: `by`, events_treated, n_treated, events_control,
        n_control, corrected, log_rr, var_log_rr, rd, var_rd.

    Examples
    --------
    >>> people = pl.DataFrame({"site": "A", "service": ["IPS"] * 3 + ["TAU"] * 3,
    ...                        "worked": [True, True, False, True, False, False]})
    >>> t = site_log_risk_ratios(people, "worked", "service", "IPS", "TAU")
    >>> t.select("events_treated", "n_treated", "events_control", "corrected").row(0)
    (2, 3, 1, False)
    >>> round(t["log_rr"][0], 6) == round(math.log(2), 6)
    True
    """
    kept = frame.filter(pl.col(outcome).is_not_null() & pl.col(group).is_in([treated, control]))
    event = pl.col(outcome).cast(pl.Int64)
    arm = pl.col(group)
    counts = (
        kept.group_by(by)
        .agg(
            events_treated=event.filter(arm == treated).sum(),
            n_treated=event.filter(arm == treated).len(),
            events_control=event.filter(arm == control).sum(),
            n_control=event.filter(arm == control).len(),
        )
        .with_columns(pl.col("^events_.*$", "^n_.*$").cast(pl.Int64))
        .sort(by)
    )
    a, n1 = pl.col("events_treated"), pl.col("n_treated")
    c, n2 = pl.col("events_control"), pl.col("n_control")
    both_arms = (n1 > 0) & (n2 > 0)
    zero = (a == 0) | (a == n1) | (c == 0) | (c == n2)
    counts = counts.with_columns(corrected=both_arms & zero)
    add = pl.when(pl.col("corrected")).then(0.5).otherwise(0.0)
    aa, cc = a + add, c + add
    nn1, nn2 = n1 + 2 * add, n2 + 2 * add
    p1, p2 = aa / nn1, cc / nn2
    valid = pl.when(both_arms)
    return counts.with_columns(
        log_rr=valid.then((p1 / p2).log()),
        var_log_rr=valid.then(1 / aa - 1 / nn1 + 1 / cc - 1 / nn2),
        rd=valid.then(p1 - p2),
        var_rd=valid.then(p1 * (1 - p1) / nn1 + p2 * (1 - p2) / nn2),
    )


def pool_sites(
    table: pl.DataFrame,
    measure: Literal["log_rr", "rd"] = "log_rr",
    method: Method = "dl",
    by: str = "site",
) -> MetaAnalysis:
    """Meta-analyse a `site_log_risk_ratios` table; sites with a null estimate are left out.

    Examples
    --------
    >>> table = pl.DataFrame({"site": ["A", "B"], "rd": [0.2, 0.3], "var_rd": [0.01, 0.02]})
    >>> round(pool_sites(table, "rd").fixed.estimate, 4)
    0.2333
    """
    var_name = {"log_rr": "var_log_rr", "rd": "var_rd"}[measure]
    usable = table.filter(pl.col(measure).is_not_null() & pl.col(var_name).is_not_null())
    return meta_analyze(
        usable[measure].to_list(),
        usable[var_name].to_list(),
        [str(s) for s in usable[by].to_list()],
        method,
    )
