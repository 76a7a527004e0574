"""Newton fits and sandwich covariances against statsmodels (an independent implementation)."""

import numpy as np
import pytest
import statsmodels.api as sm

from ips_outcomes.glm import fit_newton, sandwich


def _data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 3000
    x = np.column_stack(
        [np.ones(n), rng.random(n) < 0.5, rng.normal(40, 10, n), rng.random(n) < 0.3]
    )
    eta = -3.0 + 0.8 * x[:, 1] + 0.03 * x[:, 2] + 0.5 * x[:, 3]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    groups = rng.integers(0, 6, n)
    return x.astype(float), y, groups


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_estimates_and_robust_errors_match_statsmodels(family: str) -> None:
    x, y, groups = _data(3)
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
    model = sm.GLM(y, x, family=fam)
    fit = fit_newton(y, x, family)
    assert fit.converged
    hc0 = model.fit(tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(fit.coef, hc0.params, rtol=1e-8)
    np.testing.assert_allclose(sandwich(x, y, fit), hc0.cov_params(), rtol=1e-6)
    g = 6
    plain = model.fit(
        tol=1e-12,
        cov_type="cluster",
        cov_kwds={"groups": groups, "use_correction": False, "df_correction": False},
    )
    np.testing.assert_allclose(
        sandwich(x, y, fit, groups), plain.cov_params() * g / (g - 1), rtol=1e-6
    )
    hc1 = model.fit(
        tol=1e-12,
        cov_type="cluster",
        cov_kwds={"groups": groups, "use_correction": True, "df_correction": False},
    )
    small = sandwich(x, y, fit, groups, small_sample=True)
    np.testing.assert_allclose(small, hc1.cov_params(), rtol=1e-6)


def test_separation_is_reported_as_not_converged_or_extreme() -> None:
    x = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1]]).astype(float)
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1], dtype=float)  # every treated person has the outcome
    fit = fit_newton(y, x, "binomial")
    assert (not fit.converged) or fit.mu.max() > 1 - 1e-10
