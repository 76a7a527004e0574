"""IPTW: weights, balance, variance (against a numerical M-estimation sandwich and statsmodels),
the confounded generator, and recovery of the true ATE from a confounded synthetic cohort."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from ips_outcomes.synth import SynthConfig, generate
from ips_outcomes.weighting import IPTW

from .test_adjusted import analysis_frame

Estimand = Literal["ATE", "ATT"]
PS_COVARIATES = ["age_at_enrolment", "gender", "diagnosis_group", "worked_last_5y", "benefit"]


def _confounded(n: int = 3000, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(35, 9, n)
    worked = rng.random(n) < 0.45
    benefit = rng.choice(["pension", "allowance", "none"], n, p=[0.3, 0.4, 0.3])
    lo = -0.2 + 1.0 * worked - 0.05 * (age - 35) - 1.0 * (benefit == "pension")
    ips = rng.random(n) < 1 / (1 + np.exp(-lo))
    p_job = 1 / (1 + np.exp(-(-1.2 + 1.0 * ips + 0.8 * worked - 0.03 * (age - 35))))
    return pl.DataFrame(
        {
            "ips": ips,
            "age": age,
            "worked": worked,
            "benefit": benefit,
            "site": rng.choice(["a", "b", "c", "d", "e"], n),
            "job": rng.random(n) < p_job,
        }
    )


COVS = ["age", "worked", "benefit"]


def _stacked_sandwich(
    df: pl.DataFrame, estimand: Estimand, cluster: str | None
) -> tuple[float, float]:
    """Var of RD and log RR from the stacked estimating equations, Jacobian by differences."""
    fit = IPTW(estimand=estimand).fit(df, "ips", COVS, cluster=cluster)
    x, t = fit._x, fit.treatment_
    y = df.get_column("job").cast(float).to_numpy()
    k = x.shape[1]

    def psi(theta: Any) -> Any:
        beta, m1, m0 = theta[:k], theta[k], theta[k + 1]
        e = 1 / (1 + np.exp(-x @ beta))
        w1 = t / e if estimand == "ATE" else t
        w0 = (1 - t) / (1 - e) if estimand == "ATE" else (1 - t) * e / (1 - e)
        return np.column_stack([x * (t - e)[:, None], w1 * (y - m1), w0 * (y - m0)])

    logit = sm.GLM(t, x, family=sm.families.Binomial()).fit(tol=1e-12)
    eff = fit.effect("job")
    theta = np.concatenate([logit.params, [eff.risk_treated, eff.risk_control]])
    jac = np.empty((k + 2, k + 2))
    for j in range(k + 2):
        h = np.zeros(k + 2)
        h[j] = 1e-6 * max(1.0, abs(theta[j]))
        jac[:, j] = (psi(theta + h).sum(0) - psi(theta - h).sum(0)) / (2 * h[j])
    scores = psi(theta)
    if cluster is not None:
        groups = np.unique(df.get_column(cluster).to_numpy(), return_inverse=True)[1]
        scores = np.stack([np.bincount(groups, weights=c) for c in scores.T], axis=1)
        scores *= np.sqrt(len(scores) / (len(scores) - 1))
    inv = np.linalg.inv(jac)
    cov = inv @ (scores.T @ scores) @ inv.T
    m1, m0 = theta[k], theta[k + 1]
    g_rd, g_rr = np.array([1.0, -1.0]), np.array([1 / m1, -1 / m0])
    sub = cov[k:, k:]
    return float(g_rd @ sub @ g_rd), float(g_rr @ sub @ g_rr)


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
@pytest.mark.parametrize("cluster", [None, "site"])
def test_variance_is_the_stacked_m_estimation_sandwich(
    estimand: Estimand, cluster: str | None
) -> None:
    df = _confounded()
    eff = IPTW(estimand=estimand).fit(df, "ips", COVS, cluster=cluster).effect("job")
    var_rd, var_log_rr = _stacked_sandwich(df, estimand, cluster)
    assert eff.se_rd**2 == pytest.approx(var_rd, rel=1e-6)
    assert eff.se_log_rr**2 == pytest.approx(var_log_rr, rel=1e-6)
    assert eff.accounts_for_ps


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_without_ps_uncertainty_is_weighted_regression_with_hc0(estimand: Estimand) -> None:
    df = _confounded()
    fit = IPTW(estimand=estimand).fit(df, "ips", COVS)
    eff = fit.effect("job", account_for_ps=False)
    y = df.get_column("job").cast(float).to_numpy()
    x = np.column_stack([np.ones(df.height), fit.treatment_])
    wls = sm.WLS(y, x, weights=fit.weights_).fit(cov_type="HC0")
    assert eff.rd == pytest.approx(wls.params[1], rel=1e-10)
    assert eff.se_rd == pytest.approx(wls.bse[1], rel=1e-10)
    poisson = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=fit.weights_)
    pois = poisson.fit(cov_type="HC0", tol=1e-12)
    assert np.log(eff.rr) == pytest.approx(pois.params[1], rel=1e-8)
    assert eff.se_log_rr == pytest.approx(pois.bse[1], rel=1e-6)
    assert not eff.accounts_for_ps
    if estimand == "ATE":  # ignoring the estimated PS is conservative for the ATE
        assert eff.se_rd > fit.effect("job").se_rd


def test_weights_balance_ess_and_overlap() -> None:
    df = _confounded()
    fit = IPTW().fit(df, "ips", COVS)
    t, e, w = fit.treatment_, fit.propensity_, fit.weights_
    p = t.mean()
    np.testing.assert_allclose(w, np.where(t == 1, p / e, (1 - p) / (1 - e)))
    raw = IPTW(stabilized=False).fit(df, "ips", COVS)
    np.testing.assert_allclose(raw.weights_, np.where(t == 1, 1 / e, 1 / (1 - e)))
    ours, theirs = fit.effect("job"), raw.effect("job")  # stabilising only rescales each arm
    for field in ("risk_treated", "risk_control", "se_rd", "rr", "se_log_rr"):
        assert getattr(ours, field) == pytest.approx(getattr(theirs, field), rel=1e-12)
    for arm, rows in (("treated", t == 1), ("control", t == 0)):
        assert fit.ess_[arm] == pytest.approx(w[rows].sum() ** 2 / (w[rows] ** 2).sum())
        assert fit.ess_[arm] == pytest.approx(raw.ess_[arm])
    b = fit.balance_
    assert b["covariate"].to_list() == [
        "age",
        "worked",
        "benefit[allowance]",
        "benefit[none]",
        "benefit[pension]",
    ]
    age = df.get_column("age").to_numpy()
    a1, a0 = age[t == 1], age[t == 0]
    smd = (a1.mean() - a0.mean()) / np.sqrt((a1.var(ddof=1) + a0.var(ddof=1)) / 2)
    row = b.row(0, named=True)
    assert row["smd_before"] == pytest.approx(smd)
    assert row["weighted_mean_treated"] == pytest.approx(np.average(a1, weights=w[t == 1]))
    assert (b["smd_before"].abs() > 0.1).any()
    assert (b["smd_after"].abs() < 0.05).all()
    o = fit.overlap_.rows_by_key("arm", named=True, unique=True)
    assert o["treated"]["n"] == int(t.sum())
    assert o["control"]["propensity_min"] == pytest.approx(e[t == 0].min())
    assert fit.warnings_ == ()


def test_att_weights_the_controls_to_the_treated() -> None:
    df = _confounded().with_columns(both=pl.col("worked").cast(pl.String) + pl.col("benefit"))
    fit = IPTW(estimand="ATT").fit(df, "ips", ["both"])  # saturated: exact balance
    t, e = fit.treatment_, fit.propensity_
    np.testing.assert_allclose(fit.weights_[t == 1], 1.0)
    ratio = (1 - t.mean()) / t.mean()
    np.testing.assert_allclose(fit.weights_[t == 0], e[t == 0] / (1 - e[t == 0]) * ratio)
    b = fit.balance_
    np.testing.assert_allclose(b["weighted_mean_control"], b["mean_treated"], atol=1e-9)


def test_warnings_in_plain_words() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 1000)
    # assignment depends on x cubed, so a propensity model linear in x is wrong and extreme
    t = rng.random(1000) < 1 / (1 + np.exp(-3 * x**3))
    df = pl.DataFrame({"t": t, "x": x, "y": rng.random(1000) < 0.3})
    messages = IPTW().fit(df, "t", ["x"]).warnings_
    assert [m.split(":")[0] for m in messages] == ["poor overlap"] * 2 + [
        "imbalance after weighting"
    ]
    assert "of the treated group have a propensity score outside [0.05, 0.95]" in messages[0]
    assert messages[2].endswith("for x; the propensity model may need other terms")
    # a saturated model balances exactly, but x = 1 is nearly all treated: few weigh a lot
    z = rng.integers(0, 3, 400)
    t = rng.random(400) < np.array([0.2, 0.99, 0.2])[z]
    df = pl.DataFrame({"t": t, "z": z.astype(str), "y": rng.random(400) < 0.3})
    fit = IPTW().fit(df, "t", ["z"])
    assert (fit.balance_["smd_after"].abs() < 1e-9).all()
    assert any(m.startswith("small effective sample: the control group") for m in fit.warnings_)


def test_misuse_is_refused() -> None:
    df = _confounded()
    with pytest.raises(ValueError, match="estimand"):
        IPTW(estimand="ATC")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fit"):
        IPTW().effect("job")
    first_age_missing = pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise("age")
    fit = IPTW().fit(df.with_columns(age=first_age_missing), "ips", COVS)
    assert fit.n_dropped_ == 1
    assert fit.kept_.sum() == df.height - 1
    missing = df.with_columns(job=pl.when(pl.col("age") > 50).then(None).otherwise("job"))
    with pytest.raises(ValueError, match="missing"):
        IPTW().fit(missing, "ips", COVS).effect("job")
    with pytest.raises(ValueError, match="treated and untreated"):
        IPTW().fit(df.filter("ips"), "ips", COVS)


# --- the confounded generator ------------------------------------------------------------------


def test_observational_assignment_is_confounded_and_has_a_marginal_truth() -> None:
    cohort = generate(SynthConfig(participants=20_000, seed=3, assignment="observational"))
    p = cohort.participants
    ips = lambda cond: p.filter(cond)["service"].eq("IPS").mean()  # noqa: E731
    assert ips(pl.col("worked_last_5y")) > ips(~pl.col("worked_last_5y")) + 0.15
    assert (
        ips(pl.col("benefit") == "disability pension")
        < ips(pl.col("benefit") != "disability pension") - 0.15
    )
    assert ips(pl.col("age_at_enrolment") < 30) > ips(pl.col("age_at_enrolment") > 40) + 0.1
    assert 0.45 < p["service"].eq("IPS").mean() < 0.55
    marginal = cohort.truth["p_competitive_job_marginal"]
    by_service = cohort.truth["p_competitive_job"]
    assert set(marginal) == {"IPS", "control"}
    for window in ("6m", "12m", "18m"):  # the treated are the better prospects
        assert by_service["IPS"][window] > marginal["IPS"][window] > marginal["control"][window]
        assert marginal["control"][window] > by_service["TAU"][window]
    assert cohort.truth["parameters"]["assignment"] == "observational"
    assert cohort.truth["parameters"]["assign_log_or_worked_last_5y"] == 1.0
    randomised = generate(SynthConfig(participants=200, seed=3)).truth
    assert "p_competitive_job_marginal" not in randomised
    assert not [k for k in randomised["parameters"] if k.startswith("assign_")]
    with pytest.raises(ValueError, match="assignment"):
        generate(SynthConfig(participants=10, assignment="cluster"))  # type: ignore[arg-type]


# --- recovery of the true ATE from a confounded cohort ------------------------------------------


@pytest.mark.slow
def test_iptw_recovers_the_true_ate_where_the_crude_difference_does_not() -> None:
    wide, truth = analysis_frame(20_000, 2024, "observational")
    frame = wide.filter(~pl.col("in_work_at_entry") & pl.col("window_complete_18m"))
    marginal = truth["p_competitive_job_marginal"]
    true_rd = marginal["IPS"]["18m"] - marginal["control"]["18m"]

    y, t = frame["new_job_18m"].cast(float).to_numpy(), frame["ips"].to_numpy()
    p1, p0 = y[t].mean(), y[~t].mean()
    crude_se = np.sqrt(p1 * (1 - p1) / t.sum() + p0 * (1 - p0) / (~t).sum())
    assert p1 - p0 - 1.96 * crude_se > true_rd  # biased upwards, well outside its own CI

    for cluster in (None, "site"):
        fit = IPTW().fit(frame, "ips", PS_COVARIATES, cluster=cluster)
        eff = fit.effect("new_job_18m")
        assert eff.rd_lower < true_rd < eff.rd_upper, (cluster, eff, true_rd)
        assert abs(eff.rd - true_rd) < 3 * eff.se_rd
        assert (fit.balance_["smd_after"].abs() < 0.1).all()
        assert (fit.balance_["smd_before"].abs() > 0.1).any()
        assert fit.warnings_ == ()
    true_rr = marginal["IPS"]["18m"] / marginal["control"]["18m"]
    assert eff.rr_lower < true_rr < eff.rr_upper
