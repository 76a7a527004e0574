"""Survival comparisons of the intervention with a control service.

Log-rank (plain and stratified by site, as R's `survdiff`), the difference in restricted mean
time to first job, Cox hazard ratios (unadjusted; adjusted with site strata; adjusted with
site-cluster robust SEs) and the proportional-hazards test of the stratified model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from ips_outcomes.cox import CoxModel
from ips_outcomes.survival import KaplanMeier, log_rank
from ips_outcomes.survival_data import COVARIATES
from ips_outcomes.survival_rows import OUTCOME, ROW_SCHEMA, stat_row, to_long


def overall_log_rank(data: pl.DataFrame) -> pl.DataFrame:
    """Log-rank test of all services together, plain and stratified by site."""
    plain = log_rank(data["time"], data["event"], data["service"])
    stratified = log_rank(data["time"], data["event"], data["service"], data["site"])
    rows = [
        stat_row(None, "logrank_chisq", plain.chisq, None, None, data.height, False),
        stat_row(None, "logrank_df", plain.df, None, None, data.height, False),
        stat_row(None, "logrank_p", plain.p_value, None, None, data.height, False),
        stat_row(
            None, "logrank_stratified_chisq", stratified.chisq, None, None, data.height, False
        ),
        stat_row(None, "logrank_stratified_p", stratified.p_value, None, None, data.height, False),
    ]
    table = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row").with_columns(
        pl.lit("all services").alias("group"), pl.lit("comparison").alias("grouping")
    )
    return to_long(table)


def comparison_rows(
    pair: pl.DataFrame, intervention: str, control: str, tau: float
) -> tuple[pl.DataFrame, str]:
    """Every comparison statistic of `intervention` vs `control`, and a caption line.

    `pair` holds the two services' rows of the time-to-first-job dataset; `tau` bounds the
    restricted means.
    """
    label = f"{intervention} vs {control}"
    n = pair.height
    plain = log_rank(pair["time"], pair["event"], pair["service"])
    stratified = log_rank(pair["time"], pair["event"], pair["service"], pair["site"])
    arms = {
        s: KaplanMeier().fit(rows["time"], rows["event"]).restricted_mean(tau)
        for (s,), rows in pair.group_by("service")
    }
    difference = arms[control][0] - arms[intervention][0]  # days sooner with the intervention
    se = float(np.hypot(arms[control][1], arms[intervention][1]))
    z = float(stats.norm.ppf(0.975))
    design = pair.with_columns((pl.col("service") == intervention).cast(pl.Int8).alias("ips"))
    covariates = ["ips", *usable_covariates(design, COVARIATES)]
    models = {
        "unadjusted": CoxModel().fit(design, "time", "event", ["ips"]),
        "adjusted_strata_site": CoxModel(strata="site").fit(design, "time", "event", covariates),
        "adjusted_cluster_site": CoxModel(cluster="site").fit(design, "time", "event", covariates),
    }
    rows = [
        stat_row(None, "logrank_chisq", plain.chisq, None, None, n, False),
        stat_row(None, "logrank_p", plain.p_value, None, None, n, False),
        stat_row(None, "logrank_stratified_chisq", stratified.chisq, None, None, n, False),
        stat_row(None, "logrank_stratified_p", stratified.p_value, None, None, n, False),
        stat_row(
            None,
            "rmst_difference_days",
            difference,
            difference - z * se,
            difference + z * se,
            n,
            False,
        ),
        stat_row(
            None,
            "rmst_difference_p",
            float(2 * stats.norm.sf(abs(difference / se))) if se > 0 else None,
            None,
            None,
            n,
            False,
        ),
    ]
    for name, model in models.items():
        hr = model.coef_.filter(pl.col("term") == "ips").row(0, named=True)
        rows.append(
            stat_row(None, f"hr_{name}", hr["hr"], hr["hr_lower"], hr["hr_upper"], model.n_, False)
        )
        rows.append(stat_row(None, f"hr_{name}_p", hr["p"], None, None, model.n_, False))
    ph = models["adjusted_strata_site"].zph()
    table = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row").with_columns(
        pl.lit(label).alias("group"), pl.lit("comparison").alias("grouping")
    )
    ph_rows = ph.select(
        pl.lit(None, dtype=pl.String).alias("window"),
        pl.lit("ph_test_p").alias("statistic"),
        pl.col("p").alias("estimate"),
        pl.lit(None, dtype=pl.Float64).alias("ci_lower"),
        pl.lit(None, dtype=pl.Float64).alias("ci_upper"),
        pl.lit(models["adjusted_strata_site"].n_, dtype=pl.Int64).alias("n"),
        pl.lit(False).alias("suppressed"),
        (pl.lit(label + "|") + pl.col("term")).alias("group"),
        pl.lit("comparison|term").alias("grouping"),
    )
    adjusted = (
        models["adjusted_strata_site"].coef_.filter(pl.col("term") == "ips").row(0, named=True)
    )
    caption = (
        f"{label}: log-rank p {p_text(plain.p_value)}; adjusted HR {adjusted['hr']:.2f} "
        f"({adjusted['hr_lower']:.2f}-{adjusted['hr_upper']:.2f})"
    )
    return pl.concat([to_long(table), to_long(ph_rows, outcome=OUTCOME)]), caption


def usable_covariates(frame: pl.DataFrame, covariates: Sequence[str]) -> list[str]:
    """Covariates with values that vary: an absent optional column cannot adjust anything."""
    return [c for c in covariates if c in frame.columns and frame[c].drop_nulls().n_unique() > 1]


def p_text(value: float) -> str:
    """Format a p-value for a caption: `< 0.001` or `= 0.123`."""
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"
