"""The comparison in context: across sites, against fidelity, in wellbeing, and the trials.

The intervention is set against all control services together here (the trials' framing):
per-site risk ratios of employment pooled by meta-analysis, site employment against IPS-25
fidelity, wellbeing change per service with a mixed model for the difference in change, and
the cohort's effect beside the published trials of `config/benchmarks.yaml`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from ips_outcomes.benchmarks import Benchmark, compare_with_benchmarks
from ips_outcomes.compare_effects import (
    ComparisonPart,
    Statement,
    binary_outcomes,
    has_small_cell,
    result_frame,
    rows_for,
    tidy_rows,
)
from ips_outcomes.effects import binary_effect_from
from ips_outcomes.errors import InputError
from ips_outcomes.fidelity import (
    NOT_ESTIMATED,
    fidelity_outcome_correlation,
    latest_reviews,
    score_reviews,
)
from ips_outcomes.i18n import Message, text
from ips_outcomes.meta import pool_sites, site_log_risk_ratios
from ips_outcomes.wellbeing import RepeatedMeasuresModel, change_from_baseline

CONTROLS = "controls"


def _pooled_arms(people: pl.DataFrame, intervention: str) -> pl.DataFrame:
    arm = pl.when(pl.col("service") == intervention).then(pl.lit(intervention))
    return people.with_columns(arm.otherwise(pl.lit(CONTROLS)).alias("arm"))


def site_meta(
    people: pl.DataFrame, intervention: str, main_window: str, threshold: int
) -> ComparisonPart:
    """Per-site risk ratios of employment (intervention vs all controls) and their pooling."""
    outcome = binary_outcomes(main_window)[0]
    frame = _pooled_arms(rows_for(people, outcome), intervention)
    table = site_log_risk_ratios(frame, outcome.column, "arm", intervention, CONTROLS).sort("site")
    cells = ["events_treated", "events_control"]
    small = pl.any_horizontal(
        *(((pl.col(c) > 0) & (pl.col(c) < threshold)) for c in cells),
        *(
            ((pl.col(n) - pl.col(c) > 0) & (pl.col(n) - pl.col(c) < threshold))
            for c, n in (("events_treated", "n_treated"), ("events_control", "n_control"))
        ),
    )
    table = table.with_columns(small.alias("small"))
    usable = table.filter(pl.col("log_rr").is_not_null())
    parts, forest = [], []
    if usable.height >= 2:
        meta = pool_sites(usable, "log_rr", "dl")
        studies = meta.studies().join(
            usable.select(pl.col("site").alias("label"), "small", "n_treated", "n_control"),
            on="label",
        )
        for row in studies.iter_rows(named=True):
            n = row["n_treated"] + row["n_control"]
            parts.append(
                result_frame(
                    tidy_rows(
                        [
                            (
                                "risk_ratio",
                                math.exp(row["estimate"]),
                                math.exp(row["ci_low"]),
                                math.exp(row["ci_high"]),
                            ),
                            ("weight_random", row["weight_random"], None, None),
                        ],
                        n,
                    ),
                    analysis="comparison_sites",
                    outcome=outcome.name,
                    window=outcome.window,
                    population=outcome.population,
                    grouping="site",
                    group=row["label"],
                    suppressed=row["small"],
                )
            )
            if not row["small"]:
                forest.append(
                    (
                        row["label"],
                        math.exp(row["estimate"]),
                        math.exp(row["ci_low"]),
                        math.exp(row["ci_high"]),
                        "study",
                        row["weight_random"],
                    )
                )
        for kind, pooled in (("fixed", meta.fixed), ("random", meta.random)):
            ratio, low, high = pooled.exp()
            forest.append((f"Pooled ({kind} effect)", ratio, low, high, f"pooled_{kind}", None))
            parts.append(
                result_frame(
                    tidy_rows(
                        [("risk_ratio", ratio, low, high), ("p_value", pooled.p, None, None)], None
                    ),
                    analysis="comparison_sites",
                    outcome=outcome.name,
                    window=outcome.window,
                    population=outcome.population,
                    grouping="pooled",
                    group=kind,
                )
            )
        parts.append(
            result_frame(
                tidy_rows(
                    [
                        ("tau2", meta.tau2, None, None),
                        ("i2_percent", meta.i2, None, None),
                        ("q", meta.q, None, None),
                        ("q_p", meta.q_p, None, None),
                        ("sites", float(meta.k), None, None),
                    ],
                    None,
                ),
                analysis="comparison_sites",
                outcome=outcome.name,
                window=outcome.window,
                population=outcome.population,
                grouping="heterogeneity",
                group="DerSimonian-Laird",
            )
        )
    rows = pl.DataFrame(
        forest,
        schema={
            "label": pl.String,
            "estimate": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "kind": pl.String,
            "weight": pl.Float64,
        },
        orient="row",
    )
    return ComparisonPart(parts, {"site_forest": rows})


def fidelity_context(
    fidelity: pl.DataFrame,
    people: pl.DataFrame,
    intervention: str,
    main_window: str,
    threshold: int,
) -> ComparisonPart:
    """IPS-25 scores per site and review, and site employment against the latest total."""
    if fidelity.height == 0:
        return ComparisonPart(
            [],
            {"fidelity_reviews": pl.DataFrame()},
            {"fidelity": "No fidelity reviews were supplied."},
        )
    # joins and group-bys do not promise an order; figures and tables need one
    scored = score_reviews(fidelity).sort("site", "review_date")
    parts = []
    for row in scored.iter_rows(named=True):
        stats = [
            (s, float(row[s]), None, None)
            for s in ("total", "staffing", "organisation", "services", "items_scored")
        ]
        parts.append(
            result_frame(
                tidy_rows(stats, None),
                analysis="fidelity",
                outcome="ips25",
                window=None,
                population=None,
                grouping="site|review_date",
                group=f"{row['site']}|{row['review_date']}",
            )
        )
    outcome = binary_outcomes(main_window)[0]
    ips = rows_for(people, outcome).filter(pl.col("service") == intervention)
    rates = (
        ips.group_by("site")
        .agg(pl.col(outcome.column).mean().alias("rate"), pl.len().alias("n"))
        .filter(pl.col("n") >= threshold)
        .sort("site")
    )
    extras: dict[str, object] = {"fidelity_reviews": scored}
    statements: dict[str, Statement] = {}
    try:
        corr = fidelity_outcome_correlation(rates, scored)
    except (ValueError, InputError) as why:
        statements["fidelity"] = (Message(NOT_ESTIMATED, {"why": text(str(why))}),)
        extras["fidelity_points"] = pl.DataFrame()
        return ComparisonPart(parts, extras, statements)
    parts.append(
        result_frame(
            tidy_rows(
                [
                    ("r", corr.r, corr.ci_low, corr.ci_high),
                    ("p_value", corr.p, None, None),
                    ("sites", float(corr.n_sites), None, None),
                    ("slope", corr.slope, None, None),
                    ("intercept", corr.intercept, None, None),
                ],
                corr.n_people,
            ),
            analysis="fidelity",
            outcome=f"{outcome.name}_vs_ips25",
            window=outcome.window,
            population=outcome.population,
            grouping="all",
            group="sites",
        )
    )
    latest = latest_reviews(scored)
    extras["fidelity_points"] = (
        rates.join(latest.select("site", pl.col("total").alias("x")), on="site")
        .select(pl.col("site").alias("label"), "x", pl.col("rate").alias("y"), "n")
        .sort("label")
    )
    extras["fidelity_fit"] = (corr.intercept, corr.slope)
    statements["fidelity"] = corr.messages
    return ComparisonPart(parts, extras, statements)


def wellbeing_context(
    assessments: pl.DataFrame,
    people: pl.DataFrame,
    intervention: str,
    controls: Sequence[str],
    instruments: Sequence[str],
    threshold: int,
) -> ComparisonPart:
    """Change from baseline per service and the mixed-model difference in change."""
    parts: list[pl.DataFrame] = []
    statements: dict[str, Statement] = {}
    present = set(assessments["instrument"].unique().to_list()) if assessments.height else set()
    for instrument in (i for i in instruments if i in present):
        change = change_from_baseline(assessments, people, instrument)
        for row in change.iter_rows(named=True):
            small = 0 < row["n"] < threshold
            parts.append(
                result_frame(
                    tidy_rows(
                        [
                            ("mean_change", row["mean_change"], row["ci_lower"], row["ci_upper"]),
                            ("mean_baseline", row["mean_baseline"], None, None),
                            ("n_missing_followup", float(row["n_missing_followup"]), None, None),
                        ],
                        row["n"],
                    ),
                    analysis="wellbeing",
                    outcome=instrument,
                    window=row["timepoint"],
                    population="complete_case",
                    grouping="service",
                    group=row["service"],
                    suppressed=small,
                )
            )
        for control in controls:
            try:
                model = RepeatedMeasuresModel().fit(
                    assessments, people, instrument, intervention, control
                )
            except InputError as why:
                statements[f"wellbeing {control}"] = str(why)
                continue
            for row in model.difference_in_change_.iter_rows(named=True):
                parts.append(
                    result_frame(
                        tidy_rows(
                            [
                                (
                                    "difference_in_change",
                                    row["estimate"],
                                    row["ci_lower"],
                                    row["ci_upper"],
                                ),
                                ("p_value", row["p"], None, None),
                            ],
                            model.n_participants_,
                        ),
                        analysis="wellbeing",
                        outcome=instrument,
                        window=row["timepoint"],
                        population="all_observations",
                        grouping="comparison",
                        group=f"{intervention} vs {control}",
                    )
                )
    return ComparisonPart(parts, {}, statements)


def benchmark_context(
    people: pl.DataFrame,
    intervention: str,
    main_window: str,
    benchmarks: Sequence[Benchmark],
    threshold: int,
) -> ComparisonPart:
    """Set the cohort's employment effect (intervention vs all controls) beside the trials."""
    outcome = binary_outcomes(main_window)[0]
    frame = _pooled_arms(rows_for(people, outcome), intervention)
    effect = binary_effect_from(frame, outcome.column, "arm", intervention, CONTROLS)
    if has_small_cell(effect, threshold) or effect.n_control == 0:
        return ComparisonPart(
            [],
            {"benchmark_forest": pl.DataFrame()},
            {"benchmarks": "The cohort is too small to set beside the published trials."},
        )
    comparison = compare_with_benchmarks(effect, benchmarks)
    rows = comparison.rows
    frames = [
        result_frame(
            group.select(
                pl.col("measure").alias("statistic"), "estimate", "ci_lower", "ci_upper"
            ).with_columns(pl.lit(None, dtype=pl.Int64).alias("n")),
            analysis="benchmarks",
            outcome=outcome.name,
            window=outcome.window,
            population=outcome.population,
            grouping=str(key[1]),
            group=str(key[0]),
        )
        for key, group in rows.group_by(["label", "source"], maintain_order=True)
    ]
    forest = comparison.rows.select(
        "label",
        "measure",
        "estimate",
        pl.col("ci_lower").alias("lower"),
        pl.col("ci_upper").alias("upper"),
        pl.when(pl.col("source") == "this cohort")
        .then(pl.lit("this_cohort"))
        .otherwise(pl.lit("study"))
        .alias("kind"),
        pl.col("source").alias("group"),
    )
    return ComparisonPart(frames, {"benchmark_forest": forest}, {"benchmarks": comparison.messages})
