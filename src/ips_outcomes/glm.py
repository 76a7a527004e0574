"""Logistic and Poisson regression (canonical links) by Newton's method, with sandwich SEs.

statsmodels' GLM solves each IRLS step by a pseudo-inverse of the weighted design (an SVD of
an N x p matrix); at register scale the comparison stage spent minutes there. With a canonical
link, Newton's method and IRLS are the same iteration, and each step needs only X'WX and
X'(y - mu): two matrix products. The estimates agree with statsmodels and R's ``glm`` to
optimiser tolerance (tests/test_glm.py); the robust covariances are R's ``sandwich`` ones:
``vcovHC(type = "HC0")``, or ``vcovCL`` (HC0 with the G / (G - 1) cluster adjustment, or HC1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Family = Literal["binomial", "poisson"]
_MAX_ITERATIONS = 100
_TOLERANCE = 1e-12


@dataclass(frozen=True)
class NewtonFit:
    """Coefficients, fitted means, the inverse information ("bread") and convergence."""

    coef: FloatArray
    mu: FloatArray
    bread: FloatArray
    converged: bool
    iterations: int


def _mean(eta: FloatArray, family: Family) -> FloatArray:
    if family == "binomial":
        return np.asarray(1.0 / (1.0 + np.exp(-eta)), dtype=np.float64)
    return np.asarray(np.exp(np.minimum(eta, 700.0)), dtype=np.float64)


def _deviance(y: FloatArray, mu: FloatArray, family: Family) -> float:
    tiny = np.finfo(np.float64).tiny
    if family == "binomial":
        inside = np.clip(mu, tiny, 1 - 1e-16)
        return float(-2 * (y * np.log(inside) + (1 - y) * np.log1p(-inside)).sum())
    return float(2 * (np.where(y > 0, y * np.log(np.maximum(y, tiny) / mu), 0.0) - (y - mu)).sum())


def _information(x: FloatArray, mu: FloatArray, family: Family) -> FloatArray:
    """Fisher information X'WX; W is the variance function, which a canonical link makes it."""
    weight = mu * (1 - mu) if family == "binomial" else mu
    return np.asarray((x * weight[:, None]).T @ x, dtype=np.float64)


def fit_newton(y: FloatArray, x: FloatArray, family: Family) -> NewtonFit:
    """Maximum-likelihood fit of a logistic (``binomial``) or Poisson (log link) regression.

    Starts from the intercept-only fit; halves a step that would raise the deviance; stops when
    the relative change in deviance is below 1e-12 (statsmodels' ``tol=1e-12`` criterion).

    Examples
    --------
    >>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> fit = fit_newton(np.array([0.0, 0, 1, 0, 1, 1]), x, "binomial")
    >>> np.round(fit.coef, 6).tolist(), fit.converged
    ([-0.693147, 1.386294], True)
    """
    mean_y = float(np.clip(y.mean(), 1e-8, 1 - 1e-8 if family == "binomial" else np.inf))
    coef = np.zeros(x.shape[1])
    coef[0] = np.log(mean_y / (1 - mean_y)) if family == "binomial" else np.log(mean_y)
    mu = _mean(x @ coef, family)
    deviance = _deviance(y, mu, family)
    converged, iteration = False, 0
    for iteration in range(1, _MAX_ITERATIONS + 1):  # noqa: B007 - the count is reported
        information = _information(x, mu, family)
        step = np.linalg.solve(information, x.T @ (y - mu))
        for _ in range(30):  # step halving keeps each iteration downhill
            trial = coef + step
            trial_mu = _mean(x @ trial, family)
            trial_deviance = _deviance(y, trial_mu, family)
            if trial_deviance <= deviance * (1 + 1e-12) + 1e-12:
                break
            step = step / 2
        change = abs(deviance - trial_deviance) / (abs(trial_deviance) + 0.1)
        coef, mu, deviance = trial, trial_mu, trial_deviance
        if change < _TOLERANCE:
            converged = True
            break
    bread = np.asarray(np.linalg.inv(_information(x, mu, family)), dtype=np.float64)
    return NewtonFit(coef, mu, bread, converged, iteration)


def sandwich(
    x: FloatArray,
    y: FloatArray,
    fit: NewtonFit,
    groups: npt.NDArray[np.int64] | None = None,
    *,
    small_sample: bool = False,
) -> FloatArray:
    """Robust covariance of the coefficients: HC0, or cluster-robust as R's ``vcovCL``.

    With `groups` (cluster indices 0..G-1): HC0 scaled by G / (G - 1), or with
    ``small_sample`` HC1, G / (G - 1) x (N - 1) / (N - p).

    Examples
    --------
    >>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> y = np.array([0.0, 0, 1, 0, 1, 1])
    >>> cov = sandwich(x, y, fit_newton(y, x, "binomial"))
    >>> np.round(np.sqrt(np.diag(cov)), 6).tolist()
    [1.224745, 1.732051]
    """
    scores = x * (y - fit.mu)[:, None]
    if groups is None:
        meat = scores.T @ scores
        return np.asarray(fit.bread @ meat @ fit.bread, dtype=np.float64)
    g = int(groups.max()) + 1
    summed = np.column_stack(
        [np.bincount(groups, weights=scores[:, j], minlength=g) for j in range(x.shape[1])]
    )
    n, p = x.shape
    factor = g / (g - 1) * ((n - 1) / (n - p) if small_sample else 1.0)
    return np.asarray(factor * fit.bread @ (summed.T @ summed) @ fit.bread, dtype=np.float64)
