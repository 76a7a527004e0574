from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from ips_outcomes.effects import (
    BinaryEffect,
    binary_effect,
    binary_effect_from,
    continuous_effect,
    effect_rows,
)
from ips_outcomes.errors import InputError

Z = stats.norm.ppf(0.975)


@pytest.fixture
def eqolise() -> BinaryEffect:
    return binary_effect(85, 156, 43, 156)


def test_eqolise_risk_difference_as_published(eqolise: BinaryEffect) -> None:
    assert (eqolise.events_treated, eqolise.n_treated) == (85, 156)
    assert (eqolise.events_control, eqolise.n_control) == (43, 156)
    assert round(eqolise.rd, 3) == 0.269
    assert round(eqolise.rd_lower, 3) == 0.164
    assert round(eqolise.rd_upper, 3) == 0.374


def test_eqolise_risk_ratio_and_odds_ratio_by_hand(eqolise: BinaryEffect) -> None:
    a, b, c, d = 85, 156 - 85, 43, 156 - 43
    rr = (a / 156) / (c / 156)
    se_rr = math.sqrt(1 / a - 1 / 156 + 1 / c - 1 / 156)
    odds = a * d / (b * c)
    se_or = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert eqolise.rr == pytest.approx(rr)
    assert eqolise.rr_lower == pytest.approx(rr * math.exp(-Z * se_rr))
    assert eqolise.rr_upper == pytest.approx(rr * math.exp(Z * se_rr))
    assert eqolise.odds_ratio == pytest.approx(odds)
    assert eqolise.or_lower == pytest.approx(odds * math.exp(-Z * se_or))
    assert eqolise.or_upper == pytest.approx(odds * math.exp(Z * se_or))


def test_p_value_is_uncorrected_chi_square(eqolise: BinaryEffect) -> None:
    table = np.array([[85, 71], [43, 113]])
    chi2 = stats.chi2_contingency(table, correction=False)
    assert eqolise.p_value == pytest.approx(chi2.pvalue)
    assert "chi-square" in eqolise.p_value_test


def test_small_table_by_hand() -> None:
    effect = binary_effect(6, 10, 2, 10)
    assert effect.risk_treated == 0.6
    assert effect.risk_control == 0.2
    assert effect.rd == pytest.approx(0.4)
    se = math.sqrt(0.6 * 0.4 / 10 + 0.2 * 0.8 / 10)  # = 0.2
    assert effect.rd_lower == pytest.approx(0.4 - Z * se)
    assert effect.rd_upper == pytest.approx(0.4 + Z * se)
    assert effect.rr == pytest.approx(3.0)
    assert effect.odds_ratio == pytest.approx(6 * 8 / (4 * 2))
    assert effect.nnt == pytest.approx(2.5)


def test_alpha_widens_or_narrows_every_interval() -> None:
    wide, narrow = binary_effect(30, 60, 15, 60, alpha=0.01), binary_effect(30, 60, 15, 60, 0.1)
    assert wide.rd_lower < narrow.rd_lower < narrow.rd_upper < wide.rd_upper
    assert wide.rr_lower is not None
    assert narrow.rr_lower is not None
    assert wide.rr_lower < narrow.rr_lower
    assert narrow.alpha == 0.1


def test_nnt_when_the_rd_ci_excludes_zero(eqolise: BinaryEffect) -> None:
    assert eqolise.nnt == pytest.approx(156 / 42)
    assert eqolise.nnt_lower == pytest.approx(1 / eqolise.rd_upper)
    assert eqolise.nnt_upper == pytest.approx(1 / eqolise.rd_lower)
    assert (round(eqolise.nnt_lower, 1), round(eqolise.nnt_upper, 1)) == (2.7, 6.1)
    assert not eqolise.nnt_ci_includes_infinity


def test_nnt_when_the_rd_ci_includes_zero() -> None:
    effect = binary_effect(6, 20, 4, 20)
    assert effect.rd_lower < 0 < effect.rd_upper
    assert effect.nnt == pytest.approx(10.0)
    assert effect.nnt_ci_includes_infinity
    # from NNT(benefit) 1/rd_upper through infinity to NNT(harm) 1/rd_lower
    assert effect.nnt_lower == pytest.approx(1 / effect.rd_upper)
    assert effect.nnt_upper == pytest.approx(1 / effect.rd_lower)
    assert effect.nnt_lower > 0 > effect.nnt_upper


def test_nnt_when_treatment_harms() -> None:
    effect = binary_effect(10, 100, 40, 100)
    assert effect.rd_upper < 0
    assert effect.nnt == pytest.approx(-1 / 0.3)
    assert effect.nnt_lower < effect.nnt < effect.nnt_upper < 0
    assert not effect.nnt_ci_includes_infinity


def test_no_difference_gives_an_infinite_nnt() -> None:
    effect = binary_effect(5, 10, 5, 10)
    assert effect.rd == 0
    assert effect.nnt == math.inf
    assert effect.nnt_ci_includes_infinity


def test_zero_cells_have_no_continuity_correction() -> None:
    none_treated = binary_effect(0, 10, 5, 10)
    assert none_treated.rd == -0.5
    assert none_treated.rd_lower < -0.5 < none_treated.rd_upper
    assert none_treated.rr is None
    assert none_treated.rr_lower is None
    assert none_treated.odds_ratio is None
    assert none_treated.or_upper is None
    assert none_treated.p_value is not None

    all_treated = binary_effect(10, 10, 5, 10)
    assert all_treated.rr == pytest.approx(2.0)  # RR needs events in both arms only
    assert all_treated.odds_ratio is None


def test_no_events_anywhere() -> None:
    effect = binary_effect(0, 10, 0, 12)
    assert (effect.rd, effect.rd_lower, effect.rd_upper) == (0.0, 0.0, 0.0)
    assert effect.p_value is None
    assert effect.rr is None
    assert effect.odds_ratio is None
    assert (effect.nnt, effect.nnt_lower, effect.nnt_upper) == (math.inf, math.inf, -math.inf)


@pytest.mark.parametrize(
    "counts",
    [(11, 10, 5, 10), (-1, 10, 5, 10), (1, 0, 0, 10), (1.0, 10, 5, 10), (True, 10, 5, 10)],
)
def test_impossible_counts_are_refused(counts: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match=r"events|n|whole"):
        binary_effect(*counts)


def test_binary_effect_from_leaves_out_null_outcomes() -> None:
    frame = pl.DataFrame(
        {
            "service": ["IPS"] * 5 + ["TAU"] * 4 + ["other"],
            "employed": [True, True, False, None, None, True, False, False, None, True],
        }
    )
    effect = binary_effect_from(frame, "employed", "service", "IPS", "TAU")
    assert (effect.events_treated, effect.n_treated) == (2, 3)
    assert (effect.events_control, effect.n_control) == (1, 3)
    assert effect == binary_effect(2, 3, 1, 3)


def test_binary_effect_from_names_the_problem() -> None:
    frame = pl.DataFrame({"service": ["IPS", "TAU"], "employed": [True, None]})
    with pytest.raises(InputError, match="TAU"):
        binary_effect_from(frame, "employed", "service", "IPS", "TAU")
    with pytest.raises(InputError, match="boolean"):
        binary_effect_from(frame.with_columns(pl.lit(1).alias("n")), "n", "service", "IPS", "TAU")
    with pytest.raises(InputError, match="missing"):
        binary_effect_from(frame, "job", "service", "IPS", "TAU")


def test_continuous_effect_matches_welch_t_test() -> None:
    rng = np.random.default_rng(7)
    treated, control = rng.normal(12, 4, 40), rng.normal(10, 2, 25)
    effect = continuous_effect(treated, control)
    welch = stats.ttest_ind(treated, control, equal_var=False)
    ci = welch.confidence_interval()
    assert effect.mean_difference == pytest.approx(treated.mean() - control.mean())
    assert effect.p_value == pytest.approx(welch.pvalue)
    assert effect.welch_df == pytest.approx(welch.df)
    assert (effect.md_lower, effect.md_upper) == pytest.approx((ci.low, ci.high))
    assert effect.sd_treated == pytest.approx(treated.std(ddof=1))


def test_cohens_d_by_hand() -> None:
    effect = continuous_effect([5.0, 6.0, 7.0, 8.0], [4.0, 5.0, 6.0])
    pooled_sd = math.sqrt((3 * (5 / 3) + 2 * 1.0) / 5)
    d = 1.5 / pooled_sd
    se = math.sqrt(7 / 12 + d**2 / 14)
    assert effect.cohens_d == pytest.approx(d)
    assert effect.d_lower == pytest.approx(d - Z * se)
    assert effect.d_upper == pytest.approx(d + Z * se)


def test_continuous_effect_drops_missing_values() -> None:
    series = pl.Series([1.0, None, 3.0, 5.0])
    effect = continuous_effect(series, [1.0, float("nan"), 2.0])
    assert (effect.n_treated, effect.n_control) == (3, 2)
    assert effect.mean_treated == 3.0


def test_continuous_effect_without_variation() -> None:
    effect = continuous_effect([2.0, 2.0], [1.0, 1.0])
    assert effect.mean_difference == 1.0
    assert effect.md_lower is None
    assert effect.p_value is None
    assert effect.cohens_d is None
    with pytest.raises(ValueError, match="two values"):
        continuous_effect([1.0], [1.0, 2.0])


def test_effect_rows_are_tidy(eqolise: BinaryEffect) -> None:
    rows = effect_rows(eqolise)
    assert rows.columns == [
        "statistic",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n_treated",
        "n_control",
    ]
    rd = rows.filter(pl.col("statistic") == "risk_difference").row(0, named=True)
    assert (rd["estimate"], rd["ci_lower"], rd["ci_upper"]) == (
        eqolise.rd,
        eqolise.rd_lower,
        eqolise.rd_upper,
    )
    assert set(rows.get_column("n_treated")) == {156}


def test_effect_rows_show_an_nnt_through_infinity_and_undefined_ratios() -> None:
    rows = effect_rows(binary_effect(0, 20, 2, 20)).rows_by_key("statistic", named=True)
    nnt = rows["nnt"][0]
    assert nnt["ci_lower"] > nnt["ci_upper"]  # runs through infinity
    assert rows["risk_ratio"][0]["estimate"] is None
    continuous = effect_rows(continuous_effect([1.0, 2.0, 3.0], [1.0, 1.5]))
    assert "cohens_d" in continuous.get_column("statistic").to_list()
