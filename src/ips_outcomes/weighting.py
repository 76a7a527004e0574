"""Inverse probability of treatment weighting (IPTW) for a binary outcome.

The propensity score is a logistic regression of the treatment on the covariates (coded as
`ips_outcomes.adjusted.design_matrix` does). Weights, for treatment ``t`` and propensity ``e``:

- ATE: ``t / e + (1 - t) / (1 - e)``; stabilised, times the share treated resp. untreated;
- ATT: ``t + (1 - t) e / (1 - e)``; stabilised, the control weights times ``(1 - p) / p``.

Stabilising rescales each arm's weights, so it changes neither the weighted risks nor their
SEs, only how the weights read (their mean is about 1 per arm).

The weighted risk of each arm is the Hájek mean ``Σ w y / Σ w`` over that arm. Standard errors
come from the influence functions of the stacked estimating equations (propensity model score
``x (t − e)`` and the two weighted means), i.e. the M-estimation sandwich, so the uncertainty
of the estimated propensity score **is** accounted for (Lunceford & Davidian 2004). Without it
(``effect(..., account_for_ps=False)``) the SEs are those of the weighted regression of the
outcome on the treatment with HC0 SEs, which for the ATE are conservative. With a cluster the
influence functions are summed per cluster and the variance multiplied by ``G / (G − 1)``, as
in `ips_outcomes.adjusted`. CIs: normal Wald, for the RR on the log scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Self

import numpy as np
import polars as pl

from ips_outcomes.adjusted import Z95, BoolArray, FloatArray, binary, design_matrix
from ips_outcomes.glm import fit_newton

#: Propensities outside these bounds count as poor overlap (per arm, see `IPTW.overlap_`).
OVERLAP_BOUNDS = (0.05, 0.95)
#: Warn when more than this share of an arm lies outside `OVERLAP_BOUNDS`.
OVERLAP_SHARE = 0.05
#: Warn when an absolute standardised mean difference after weighting exceeds this.
SMD_LIMIT = 0.1


@dataclass(frozen=True)
class WeightedEffect:
    """Weighted risks per arm, risk difference and risk ratio with 95 % CIs."""

    outcome: str
    estimand: Literal["ATE", "ATT"]
    risk_treated: float
    risk_control: float
    rd: float
    rd_lower: float
    rd_upper: float
    se_rd: float
    rr: float
    rr_lower: float
    rr_upper: float
    se_log_rr: float
    n_treated: int
    n_control: int
    cluster: str | None
    accounts_for_ps: bool


class IPTW:
    """Inverse probability of treatment weighting, configured here and fitted by `fit`.

    Parameters
    ----------
    stabilized
        Stabilise the weights (see the module notes).
    estimand
        ``ATE`` (everyone) or ``ATT`` (the treated).

    Attributes
    ----------
    propensity_, weights_, treatment_
        Per person used (rows of the frame without nulls, `kept_`).
    n_dropped_
        Rows dropped for a null treatment, covariate or cluster.
    balance_
        Per covariate (each level of a text covariate): unweighted and weighted means per
        arm, standardised mean differences before and after weighting, both with the pooled
        SD of the unweighted arms ``sqrt((s²₁ + s²₀) / 2)``.
    ess_
        Kish effective sample size per arm, ``(Σ w)² / Σ w²``.
    overlap_
        Per arm: people, smallest and largest propensity, share outside ``OVERLAP_BOUNDS``.
    warnings_
        Plain-words problems: poor overlap, imbalance after weighting, a small ESS.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> worked = rng.random(2000) < 0.5
    >>> ips = rng.random(2000) < np.where(worked, 0.65, 0.35)
    >>> job = rng.random(2000) < 0.2 + 0.2 * ips + 0.2 * worked
    >>> df = pl.DataFrame({"ips": ips, "worked": worked, "job": job})
    >>> iptw = IPTW().fit(df, "ips", ["worked"])
    >>> iptw.balance_.select("covariate", pl.col("smd_before", "smd_after").round(2) + 0.0).rows()
    [('worked', 0.55, 0.0)]
    >>> e = iptw.effect("job")
    >>> e.rd_lower < 0.2 < e.rd_upper, iptw.warnings_
    (True, ())
    """

    def __init__(self, *, stabilized: bool = True, estimand: Literal["ATE", "ATT"] = "ATE"):
        if estimand not in ("ATE", "ATT"):
            raise ValueError(f"estimand must be 'ATE' or 'ATT', not {estimand!r}")
        self.stabilized = stabilized
        self.estimand: Literal["ATE", "ATT"] = estimand

    def fit(
        self,
        frame: pl.DataFrame,
        treatment: str,
        covariates: Sequence[str],
        *,
        cluster: str | None = None,
    ) -> Self:
        """Estimate the propensity scores and weights and check balance and overlap.

        Parameters
        ----------
        frame
            One row per person, already restricted to the population of interest.
        treatment
            Boolean or 0/1 column: 1 = intervention.
        covariates
            Baseline covariates of the propensity model.
        cluster
            Column of clusters (e.g. ``site``) for cluster-robust SEs in `effect`.

        Returns
        -------
        IPTW
            This object, fitted.
        """
        design = design_matrix(frame, covariates, [treatment, *([cluster] if cluster else [])])
        self.kept_: BoolArray = design.kept
        self.n_dropped_ = design.n_dropped
        self._data = frame.filter(pl.Series(design.kept))
        t = binary(self._data.get_column(treatment), "treatment")
        if len(np.unique(t)) < 2:
            raise ValueError(f"treatment {treatment!r} needs treated and untreated people")
        self._x = np.column_stack([np.ones(len(t)), design.x])
        e = fit_newton(t, self._x, "binomial").mu
        p = float(t.mean())
        if self.estimand == "ATE":
            c1, c0 = (p, 1 - p) if self.stabilized else (1.0, 1.0)
            w = np.where(t == 1, c1 / e, c0 / (1 - e))
        else:
            w = np.where(t == 1, 1.0, e / (1 - e) * ((1 - p) / p if self.stabilized else 1.0))
        self.treatment_, self.propensity_, self.weights_ = t, e, w
        self.cluster_ = cluster
        self.balance_ = _balance(self._data, covariates, t, self.weights_)
        arms = {"treated": t == 1, "control": t == 0}
        ws = {arm: self.weights_[rows] for arm, rows in arms.items()}
        self.ess_ = {arm: float(w.sum() ** 2 / (w**2).sum()) for arm, w in ws.items()}
        lo, hi = OVERLAP_BOUNDS
        self.overlap_ = pl.DataFrame(
            {
                "arm": list(arms),
                "n": [int(r.sum()) for r in arms.values()],
                "propensity_min": [float(e[r].min()) for r in arms.values()],
                "propensity_max": [float(e[r].max()) for r in arms.values()],
                "share_outside": [float(((e[r] < lo) | (e[r] > hi)).mean()) for r in arms.values()],
            }
        )
        self.warnings_ = self._warnings()
        return self

    def _warnings(self) -> tuple[str, ...]:
        out = []
        lo, hi = OVERLAP_BOUNDS
        for arm, _, low, high, share in self.overlap_.iter_rows():
            if share > OVERLAP_SHARE:
                out.append(
                    f"poor overlap: {share:.0%} of the {arm} group have a propensity score "
                    f"outside [{lo}, {hi}] (range {low:.3f} to {high:.3f}): some have hardly "
                    "any comparable people in the other group and weights there can be extreme;"
                    " consider the ATT, restricting the sample or trimming"
                )
        bad = self.balance_.filter(pl.col("smd_after").abs() > SMD_LIMIT)["covariate"].to_list()
        if bad:
            out.append(
                f"imbalance after weighting: |standardised mean difference| > {SMD_LIMIT} for "
                f"{', '.join(bad)}; the propensity model may need other terms"
            )
        for arm, n in self.overlap_.select("arm", "n").iter_rows():
            if self.ess_[arm] < n / 2:
                out.append(
                    f"small effective sample: the {arm} group's {n} people weigh as much as "
                    f"{self.ess_[arm]:.0f} unweighted ones; a few people carry the estimate"
                )
        return tuple(out)

    def effect(self, outcome: str, *, account_for_ps: bool = True) -> WeightedEffect:
        """Weighted risks, risk difference and risk ratio of a binary outcome.

        Parameters
        ----------
        outcome
            Boolean or 0/1 column of the fitted frame, known for everyone fitted (restrict the
            frame before `fit`, e.g. to complete follow-up, rather than dropping people here).
        account_for_ps
            Include the uncertainty of the estimated propensity score in the SEs.

        Returns
        -------
        WeightedEffect
        """
        if not hasattr(self, "weights_"):
            raise ValueError("call fit() first")
        s = self._data.get_column(outcome)
        if s.null_count():
            raise ValueError(f"{outcome!r} is missing for {s.null_count()} fitted people")
        y, t, w, e = binary(s, "outcome"), self.treatment_, self.weights_, self.propensity_
        w1, w0 = w * (t == 1), w * (t == 0)
        m1, m0 = (w1 @ y) / w1.sum(), (w0 @ y) / w0.sum()
        if1, if0 = w1 * (y - m1), w0 * (y - m0)  # estimating functions of the two means
        if account_for_ps:  # add -J_mβ J_ββ⁻¹ ψ_β, with ψ_β = x (t − e) and J_ββ = −I
            x = self._x
            psi_beta = np.linalg.solve(x.T @ (x * (e * (1 - e))[:, None]), (x * (t - e)[:, None]).T)
            d1 = -x.T @ (if1 * (1 - e)) if self.estimand == "ATE" else np.zeros(x.shape[1])
            d0 = x.T @ (if0 * (e if self.estimand == "ATE" else 1.0))
            if1, if0 = if1 + d1 @ psi_beta, if0 + d0 @ psi_beta
        if1, if0 = if1 / w1.sum(), if0 / w0.sum()
        se_rd = self._se(if1 - if0)
        se_log_rr = self._se(if1 / m1 - if0 / m0)
        rr = m1 / m0
        return WeightedEffect(
            outcome=outcome,
            estimand=self.estimand,
            risk_treated=float(m1),
            risk_control=float(m0),
            rd=float(m1 - m0),
            rd_lower=float(m1 - m0 - Z95 * se_rd),
            rd_upper=float(m1 - m0 + Z95 * se_rd),
            se_rd=se_rd,
            rr=float(rr),
            rr_lower=float(rr * np.exp(-Z95 * se_log_rr)),
            rr_upper=float(rr * np.exp(Z95 * se_log_rr)),
            se_log_rr=se_log_rr,
            n_treated=int((t == 1).sum()),
            n_control=int((t == 0).sum()),
            cluster=self.cluster_,
            accounts_for_ps=account_for_ps,
        )

    def _se(self, influence: FloatArray) -> float:
        """SE from per-person influence values: HC0, or summed per cluster times G/(G−1)."""
        if self.cluster_ is None:
            return float(np.sqrt(influence @ influence))
        groups = self._data.get_column(self.cluster_).cast(pl.String).to_numpy()
        g = np.unique(groups, return_inverse=True)[1]
        sums = np.bincount(g, weights=influence)
        return float(np.sqrt(sums @ sums * len(sums) / (len(sums) - 1)))


def _balance(
    data: pl.DataFrame, covariates: Sequence[str], t: FloatArray, w: FloatArray
) -> pl.DataFrame:
    """Means and standardised mean differences of every covariate and level (see `IPTW`)."""
    columns: dict[str, FloatArray] = {}
    for col in covariates:
        s = data.get_column(col)
        if s.dtype == pl.Boolean or s.dtype.is_numeric():
            columns[col] = s.cast(pl.Float64).to_numpy()
        else:
            for level in sorted(s.cast(pl.String).unique().to_list()):
                columns[f"{col}[{level}]"] = (s.cast(pl.String) == level).to_numpy().astype(float)
    rows = []
    for name, v in columns.items():
        a, b = v[t == 1], v[t == 0]
        sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if min(len(a), len(b)) > 1 else 0.0
        if sd == 0:
            continue  # constant: nothing to balance
        wa, wb = np.average(a, weights=w[t == 1]), np.average(b, weights=w[t == 0])
        rows.append((name, a.mean(), b.mean(), wa, wb, (a.mean() - b.mean()) / sd, (wa - wb) / sd))
    names = ["covariate", "mean_treated", "mean_control", "weighted_mean_treated"]
    names += ["weighted_mean_control", "smd_before", "smd_after"]
    schema = dict.fromkeys(names, pl.Float64) | {"covariate": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")
