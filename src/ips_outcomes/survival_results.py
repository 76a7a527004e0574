"""Time to first job: every survival estimate as long-format results, plus the figure inputs.

Population: participants not in competitive work at entry (`out_of_work_at_entry`). For each
service (and site x service): n, events, the probability of having started a job by 3, 6, 12
and the horizon months (1 - Kaplan-Meier, log-log CI), the median with its CI (estimate empty
and `median_reached` 0 when not reached), the restricted mean time to first job up to tau,
and the risk table (at risk, cumulative events, cumulative censored) every 3 months. For the
intervention against each control: log-rank (plain and stratified by site), the RMST
difference, Cox hazard ratios (unadjusted; adjusted with site strata; adjusted with site-cluster
robust SEs) and the proportional-hazards test; and Aalen-Johansen cumulative incidence of a
first job with drop-out from the service as the competing event.

Small-cell rules: counts below the threshold are withheld, and curve values are withheld once
fewer than the threshold remain at risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from ips_outcomes import disclosure
from ips_outcomes.competing import cumulative_incidence
from ips_outcomes.results import combine
from ips_outcomes.survival import KaplanMeier
from ips_outcomes.survival_compare import comparison_rows, overall_log_rank
from ips_outcomes.survival_rows import ROW_SCHEMA, clean, stat_row, to_long

DAYS_PER_MONTH = 365.25 / 12
RISK_TABLE_STEP = 3


@dataclass(frozen=True)
class SurvivalOutput:
    """Results rows and the (already privacy-cut) inputs of the two figures."""

    results: pl.DataFrame
    curves: pl.DataFrame
    censored: pl.DataFrame
    risk_table: pl.DataFrame
    medians: pl.DataFrame
    incidence: pl.DataFrame
    caption: str


def milestone_days(months: int) -> int:
    """Day of a milestone: months x 30.4375 days, rounded down (18 months -> day 547)."""
    return int(months * DAYS_PER_MONTH)


def comparisons(services: Sequence[str], intervention: str, controls: Sequence[str]) -> list[str]:
    """List the controls to compare the intervention with (all others when none are named)."""
    chosen = controls or [s for s in services if s != intervention]
    return [c for c in chosen if c in services and c != intervention]


def survival_analysis(
    data: pl.DataFrame,
    intervention: str,
    controls: Sequence[str],
    horizon_months: int,
    threshold: int,
) -> SurvivalOutput:
    """Run every survival analysis on the time-to-first-job dataset.

    Parameters
    ----------
    data
        Output of :func:`ips_outcomes.survival_data.first_job_times`.
    intervention
        The intervention service.
    controls
        Control services (empty: every other service).
    horizon_months
        Follow-up horizon; `tau` of the RMST is the shortest horizon any person had.
    threshold
        Small-cell threshold.

    Returns
    -------
    SurvivalOutput
        Long-format results and figure inputs.
    """
    tau = float(data.select(pl.col("horizon").min().cast(pl.Float64)).item() or 0.0)
    marks = sorted({milestone_days(m) for m in (3, 6, 12, horizon_months)})
    parts: list[pl.DataFrame] = []
    curves, censored, risk_rows, medians = [], [], [], []
    for by in (["service"], ["site", "service"]):
        for key, rows in sorted(data.group_by(by), key=lambda item: tuple(map(str, item[0]))):
            label = "|".join(str(k) for k in key)
            km = KaplanMeier().fit(rows["time"], rows["event"])
            parts.append(_group_rows(km, label, by, marks, horizon_months, tau, threshold))
            parts.append(_monthly_rows(km, label, by, horizon_months, threshold))
            if by == ["service"]:
                curve, marks_frame = _curve(km, label, threshold, marks[-1])
                curves.append(curve)
                censored.append(marks_frame)
                risk_rows.append(_risk_table(km, label, horizon_months, threshold))
                medians.append({"group": label, "median_days": clean(km.median_)})
    services = sorted(data["service"].unique().to_list())
    if len(services) > 1:
        parts.append(overall_log_rank(data))
    captions = []
    for control in comparisons(services, intervention, controls):
        pair = data.filter(pl.col("service").is_in([intervention, control]))
        rows, caption = comparison_rows(pair, intervention, control, tau)
        parts.append(rows)
        captions.append(caption)
    incidence = cumulative_incidence(data, "cr_time", "cr_event", "service", cause=1)
    dropout = cumulative_incidence(data, "cr_time", "cr_event", "service", cause=2)
    parts.append(_incidence_rows(incidence, dropout, marks, threshold))
    plot_incidence = pl.concat(
        [
            _cut(incidence, threshold, marks[-1]).with_columns(pl.lit("job").alias("cause")),
            _cut(dropout, threshold, marks[-1]).with_columns(pl.lit("drop-out").alias("cause")),
        ],
        how="diagonal_relaxed",
    )
    return SurvivalOutput(
        results=combine(parts),
        curves=pl.concat(curves) if curves else pl.DataFrame(),
        censored=pl.concat(censored) if censored else pl.DataFrame(),
        risk_table=pl.concat(risk_rows) if risk_rows else pl.DataFrame(),
        medians=pl.DataFrame(medians, schema={"group": pl.String, "median_days": pl.Float64}),
        incidence=plot_incidence,
        caption="; ".join(captions),
    )


def _group_rows(
    km: KaplanMeier,
    label: str,
    by: list[str],
    marks: list[int],
    horizon: int,
    tau: float,
    threshold: int,
) -> pl.DataFrame:
    hidden = 0 < km.n_ < threshold
    at = km.at(marks)
    rows = []
    for mark, row in zip(marks, at.iter_rows(named=True), strict=True):
        withheld = hidden or row["n_risk"] < threshold
        rows.append(
            stat_row(
                f"{round(mark / DAYS_PER_MONTH)}m",
                "probability",
                1 - row["survival"],
                1 - row["upper"],
                1 - row["lower"],
                km.n_,
                withheld,
                hide_n=hidden,
            )
        )
    rmst, se = km.restricted_mean(tau)
    z = float(stats.norm.ppf(0.975))
    reached = np.isfinite(km.median_)
    rows += [
        stat_row(None, "n", km.n_, None, None, km.n_, hidden),
        stat_row(
            None,
            "events",
            km.events_,
            None,
            None,
            km.n_,
            hidden or 0 < km.events_ < threshold,
            hide_n=hidden,
        ),
        stat_row(
            f"{horizon}m",
            "median_days",
            clean(km.median_),
            clean(km.median_lower_),
            clean(km.median_upper_),
            km.n_,
            hidden,
        ),
        stat_row(f"{horizon}m", "median_reached", float(reached), None, None, km.n_, hidden),
        stat_row(f"{horizon}m", "rmst_days", rmst, rmst - z * se, rmst + z * se, km.n_, hidden),
        stat_row(f"{horizon}m", "rmst_tau_days", tau, None, None, km.n_, False),
    ]
    table = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row").with_columns(
        pl.lit(label).alias("group"), pl.lit("|".join(by)).alias("grouping")
    )
    return to_long(table)


def _curve(
    km: KaplanMeier, label: str, threshold: int, last_day: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Curve and censor marks to plot: up to the horizon, while enough people are at risk."""
    table = _cut(km.table_, threshold, last_day)
    curve = pl.concat(
        [
            pl.DataFrame(
                {"time": [0.0], "estimate": [0.0], "lower": [None], "upper": [None]},
                schema={
                    "time": pl.Float64,
                    "estimate": pl.Float64,
                    "lower": pl.Float64,
                    "upper": pl.Float64,
                },
            ),
            table.select(
                "time",
                (1 - pl.col("survival")).alias("estimate"),
                (1 - pl.col("upper")).alias("lower"),
                (1 - pl.col("lower")).alias("upper"),
            ),
        ]
    ).with_columns(pl.lit(label).alias("group"))
    marks = table.filter(pl.col("n_censor") > 0).select(
        pl.lit(label).alias("group"), "time", (1 - pl.col("survival")).alias("estimate")
    )
    return curve.select("group", "time", "estimate", "lower", "upper"), marks


def _risk_table(km: KaplanMeier, label: str, horizon: int, threshold: int) -> pl.DataFrame:
    months = list(range(0, horizon + 1, RISK_TABLE_STEP))
    at = km.at([milestone_days(m) for m in months])

    def show(column: str) -> pl.Expr:
        small = disclosure.is_small(pl.col(column), threshold)
        return (
            pl.when(small).then(pl.lit(f"<{threshold}")).otherwise(pl.col(column).cast(pl.String))
        )

    return at.with_columns(pl.Series("month", months)).select(
        pl.lit(label).alias("group"),
        "month",
        show("n_risk").alias("at_risk"),
        show("events").alias("events"),
        show("censored").alias("censored"),
        pl.col("n_risk").alias("_at_risk"),
        pl.col("events").alias("_events"),
        pl.col("censored").alias("_censored"),
    )


def _monthly_rows(
    km: KaplanMeier, label: str, by: list[str], horizon: int, threshold: int
) -> pl.DataFrame:
    """Risk table at every month: at risk, cumulative events, cumulative censored."""
    months = list(range(horizon + 1))
    at = km.at([milestone_days(m) for m in months])
    hidden = 0 < km.n_ < threshold  # month 0's "at risk" would reveal the group's size
    rows = [
        stat_row(
            f"{month}m",
            statistic,
            value,
            None,
            None,
            km.n_,
            hidden or 0 < value < threshold,
            hide_n=hidden,
        )
        for month, row in zip(months, at.iter_rows(named=True), strict=True)
        for statistic, value in (
            ("at_risk", row["n_risk"]),
            ("cumulative_events", row["events"]),
            ("cumulative_censored", row["censored"]),
        )
    ]
    table = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row").with_columns(
        pl.lit(label).alias("group"), pl.lit("|".join(by)).alias("grouping")
    )
    # the row's own count decides its suppression; n (the group size) is published as usual
    return to_long(table.with_columns(pl.lit(km.n_ if km.n_ >= threshold else None).alias("n")))


def _cut(curve: pl.DataFrame, threshold: int, last_day: int) -> pl.DataFrame:
    """Keep the part of a curve to plot: to the horizon, while enough people are at risk."""
    return curve.filter((pl.col("n_risk") >= threshold) & (pl.col("time") <= last_day))


def _incidence_rows(
    job: pl.DataFrame, dropout: pl.DataFrame, marks: list[int], threshold: int
) -> pl.DataFrame:
    parts = []
    for outcome, curve in (("first_job", job), ("dropout", dropout)):
        for (group,), rows in sorted(curve.group_by("group"), key=lambda g: str(g[0][0])):
            rows = rows.sort("time")
            times = rows["time"].to_numpy()
            table = []
            for mark in marks:
                i = int(np.searchsorted(times, mark, side="right")) - 1
                at_risk = int(rows["n_risk"][i]) if i >= 0 else threshold
                cif, low, high = (
                    (rows["cif"][i], rows["lower"][i], rows["upper"][i])
                    if i >= 0
                    else (0.0, None, None)
                )
                table.append(
                    stat_row(
                        f"{round(mark / DAYS_PER_MONTH)}m",
                        "cumulative_incidence",
                        cif,
                        low,
                        high,
                        None,
                        at_risk < threshold,
                    )
                )
            frame = pl.DataFrame(table, schema=ROW_SCHEMA, orient="row").with_columns(
                pl.lit(str(group)).alias("group"), pl.lit("service").alias("grouping")
            )
            parts.append(to_long(frame, analysis="competing_risks", outcome=outcome))
    return pl.concat(parts) if parts else pl.DataFrame()
