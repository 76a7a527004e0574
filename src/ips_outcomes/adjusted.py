"""Regression-adjusted effects of the intervention: odds ratios and risk ratios.

GLMs of a binary outcome on an intercept, the 0/1 treatment and the covariates, fitted by
Newton's method (:mod:`ips_outcomes.glm`, to a deviance change < 1e-12, as statsmodels'
IRLS but without its per-step SVD, which was too slow at register scale): logistic
regression for the **odds ratio**,
modified Poisson regression (Zou 2004: Poisson, log link, robust variance only) for the
**risk ratio**. Standard errors are sandwich ones, exactly as R's ``sandwich`` computes them:

- no cluster: HC0, ``B⁻¹ (Σ uᵢuᵢ') B⁻¹`` with scores ``uᵢ = xᵢ(yᵢ − μᵢ)``, i.e.
  ``vcovHC(fit, type = "HC0")`` = statsmodels ``cov_type="HC0"``;
- a cluster: score sums per cluster in the meat, times ``G / (G − 1)`` (``G`` clusters) and no
  ``(n − 1) / (n − k)`` factor, i.e. ``vcovCL(fit, cluster = ~site, type = "HC0")`` with its
  default ``cadjust = TRUE`` (``small_sample=True``: both factors, ``vcovCL(type = "HC1")``,
  as Stata). With six sites these SEs are themselves imprecise.

CIs and p-values are normal Wald ones on the log scale (``df_correction=False``: no t).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

from ips_outcomes.glm import fit_newton, sandwich

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Design:
    """A design matrix (no intercept): rows of the frame that were `kept`, columns `names`.

    A numeric or boolean covariate is named as itself, a dummy ``column[level]``; `references`
    maps text covariates to their reference level; `constant` lists the columns dropped.
    """

    x: FloatArray
    names: tuple[str, ...]
    kept: BoolArray
    n_dropped: int
    references: dict[str, str]
    constant: tuple[str, ...]


def design_matrix(
    frame: pl.DataFrame, covariates: Sequence[str], required: Sequence[str] = ()
) -> Design:
    """Build a design matrix: numbers as is, booleans 0/1, text as treatment-coded dummies.

    The reference level of a text column is its most frequent one (ties: the first in code
    point order); the other levels get a dummy each, in that order. Rows with a null in any
    covariate or in a `required` column (outcome, treatment, cluster) are dropped and counted;
    columns that are constant in the remaining rows are dropped.

    Parameters
    ----------
    frame
        One row per person.
    covariates
        Columns to put in the matrix.
    required
        Further columns that must not be null.

    Returns
    -------
    Design

    Examples
    --------
    >>> df = pl.DataFrame({"age": [30.0, 40.0, None, 50.0], "sex": ["m", "f", "f", "m"],
    ...                    "ips": [True, False, True, True], "all": [1, 1, 1, 1]})
    >>> d = design_matrix(df, ["age", "sex", "ips", "all"])
    >>> d.names, d.n_dropped, d.references, d.constant
    (('age', 'sex[f]', 'ips'), 1, {'sex': 'm'}, ('all',))
    >>> d.x.tolist()
    [[30.0, 0.0, 1.0], [40.0, 1.0, 0.0], [50.0, 0.0, 1.0]]
    """
    columns = list(dict.fromkeys([*covariates, *required]))
    nulls = frame.select(pl.col(columns).is_null()).to_numpy() if columns else None
    kept = np.ones(frame.height, np.bool_) if nulls is None else ~nulls.any(axis=1).astype(bool)
    data = frame.filter(pl.Series(kept))
    blocks: list[FloatArray] = []
    names: list[str] = []
    references: dict[str, str] = {}
    constant: list[str] = []
    for col in covariates:
        s = data.get_column(col)
        if s.dtype == pl.Boolean or s.dtype.is_numeric():
            blocks.append(s.cast(pl.Float64).to_numpy().reshape(-1, 1))
            names.append(col)
        elif s.dtype in (pl.String, pl.Categorical, pl.Enum):
            levels, reference = _levels(s.cast(pl.String))
            others = np.array([lvl for lvl in levels if lvl != reference], dtype=object)
            if len(others) == 0:
                constant.append(col)
            references.update({col: reference} if len(others) else {})
            blocks.append((s.cast(pl.String).to_numpy()[:, None] == others).astype(np.float64))
            names += [f"{col}[{lvl}]" for lvl in others]
        else:
            raise ValueError(f"covariate {col!r} has unsupported type {s.dtype}")
    x = np.hstack(blocks) if blocks else np.empty((data.height, 0))
    varying = np.ptp(x, axis=0) > 0 if len(x) else np.zeros(x.shape[1], dtype=bool)
    constant += [n for n, v in zip(names, varying, strict=True) if not v]
    names = [n for n, v in zip(names, varying, strict=True) if v]
    x = np.ascontiguousarray(x[:, varying], dtype=np.float64)
    return Design(x, tuple(names), kept, int((~kept).sum()), references, tuple(constant))


def _levels(s: pl.Series) -> tuple[list[str], str]:
    """Levels in code point order and the reference level (most frequent, then first)."""
    counts = s.value_counts().sort(["count", s.name], descending=[True, False])
    reference = str(counts.item(0, s.name)) if counts.height else ""
    return sorted(str(v) for v in counts.get_column(s.name)), reference


def binary(s: pl.Series, what: str) -> FloatArray:
    """Return a boolean or 0/1 column as floats, refusing anything else."""
    ok = s.dtype.is_numeric() or s.dtype == pl.Boolean
    if not ok or not s.cast(pl.Float64).is_in([0.0, 1.0]).all():
        raise ValueError(f"{what} {s.name!r} must be boolean or 0/1")
    return np.asarray(s.cast(pl.Float64).to_numpy(), dtype=np.float64)


@dataclass(frozen=True)
class GLMFit:
    """A fitted GLM: coefficient names, estimates and their robust covariance."""

    names: tuple[str, ...]
    coef: FloatArray
    cov: FloatArray
    n: int
    n_dropped: int

    @property
    def se(self) -> FloatArray:
        """Robust standard errors."""
        return np.asarray(np.sqrt(np.diag(self.cov)), dtype=np.float64)


def fit_glm(
    frame: pl.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    family: Literal["binomial", "poisson"],
    cluster: str | None = None,
    *,
    small_sample: bool = False,
) -> GLMFit:
    """Fit ``outcome ~ 1 + treatment + covariates`` with robust SEs (see the module notes).

    ``small_sample=True`` uses ``vcovCL(type = "HC1")`` with a cluster, instead of the default
    ``vcovCL(type = "HC0")``.
    """
    required = [outcome, treatment, *([cluster] if cluster else [])]
    design = design_matrix(frame, covariates, required)
    data = frame.filter(pl.Series(design.kept))
    y = binary(data.get_column(outcome), "outcome")
    t = binary(data.get_column(treatment), "treatment")
    if len(np.unique(t)) < 2:
        raise ValueError(f"treatment {treatment!r} needs treated and untreated people")
    x = np.column_stack([np.ones(len(y)), t, design.x])
    fit = fit_newton(y, x, family)
    if cluster is None:
        cov = sandwich(x, y, fit)
    else:
        groups = np.unique(data.get_column(cluster).cast(pl.String), return_inverse=True)[1]
        if int(groups.max()) + 1 < 2:
            raise ValueError(f"cluster {cluster!r} needs at least two clusters")
        cov = sandwich(x, y, fit, groups.astype(np.int64), small_sample=small_sample)
    mu = fit.mu
    if not fit.converged or (family == "binomial" and ((mu < 1e-10) | (mu > 1 - 1e-10)).any()):
        message = "did not converge or fitted probabilities of 0 or 1 (separation)"
        warnings.warn(f"{outcome}: {message}; do not trust it", RuntimeWarning, stacklevel=2)
    return GLMFit(
        names=("(Intercept)", treatment, *design.names),
        coef=fit.coef,
        cov=np.asarray(cov, dtype=np.float64),
        n=len(y),
        n_dropped=design.n_dropped,
    )


@dataclass(frozen=True)
class AdjustedEffect:
    """An adjusted odds or risk ratio of the treatment with its 95 % CI and Wald p-value."""

    measure: Literal["OR", "RR"]
    estimate: float
    lower: float
    upper: float
    p: float
    n: int
    n_dropped: int
    covariates: tuple[str, ...]
    cluster: str | None


def _effect(
    measure: Literal["OR", "RR"],
    frame: pl.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    cluster: str | None,
) -> AdjustedEffect:
    family: Literal["binomial", "poisson"] = "binomial" if measure == "OR" else "poisson"
    fit = fit_glm(frame, outcome, treatment, covariates, family, cluster)
    b, se = float(fit.coef[1]), float(fit.se[1])
    return AdjustedEffect(
        measure=measure,
        estimate=float(np.exp(b)),
        lower=float(np.exp(b - Z95 * se)),
        upper=float(np.exp(b + Z95 * se)),
        p=float(2 * stats.norm.sf(abs(b / se))),
        n=fit.n,
        n_dropped=fit.n_dropped,
        covariates=tuple(covariates),
        cluster=cluster,
    )


def adjusted_odds_ratio(
    frame: pl.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    cluster: str | None = None,
) -> AdjustedEffect:
    """Estimate the adjusted odds ratio of the treatment by logistic regression.

    Parameters
    ----------
    frame
        One row per person.
    outcome
        Boolean or 0/1 outcome column.
    treatment
        Boolean or 0/1 column: 1 = intervention.
    covariates
        Baseline covariates (see `design_matrix` for how each type enters).
    cluster
        Column of clusters (e.g. ``site``) for cluster-robust SEs; None for HC0.

    Returns
    -------
    AdjustedEffect

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ips = rng.random(400) < 0.5
    >>> job = rng.random(400) < np.where(ips, 0.5, 0.25)
    >>> df = pl.DataFrame({"ips": ips, "job": job, "age": rng.normal(35, 9, 400)})
    >>> e = adjusted_odds_ratio(df, "job", "ips", ["age"])
    >>> e.measure, e.n, 1.5 < e.estimate < 5, e.lower < e.estimate < e.upper
    ('OR', 400, True, True)
    """
    return _effect("OR", frame, outcome, treatment, covariates, cluster)


def adjusted_risk_ratio(
    frame: pl.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    cluster: str | None = None,
) -> AdjustedEffect:
    """Estimate the adjusted risk ratio by modified Poisson regression (Zou 2004).

    Parameters and return value are as for `adjusted_odds_ratio`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ips = rng.random(400) < 0.5
    >>> job = rng.random(400) < np.where(ips, 0.5, 0.25)
    >>> df = pl.DataFrame({"ips": ips, "job": job, "site": rng.choice(["a", "b", "c"], 400)})
    >>> e = adjusted_risk_ratio(df, "job", "ips", [], cluster="site")
    >>> e.measure, e.cluster, 1.3 < e.estimate < 3
    ('RR', 'site', True)
    """
    return _effect("RR", frame, outcome, treatment, covariates, cluster)
