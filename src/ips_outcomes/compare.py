"""How much better does the intervention do than the services it replaces: every comparison.

The design (`randomised` or `observational`, from the config) decides which estimate is
primary: in a randomised comparison the unadjusted intention-to-treat effect, with covariate
adjustment as a sensitivity analysis; in an observational one, inverse probability of
treatment weighting on a propensity score, with regression adjustment beside it and the crude
effect labelled as confounded. Site is a cluster (robust SEs) throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ips_outcomes.adjusted import adjusted_odds_ratio, adjusted_risk_ratio
from ips_outcomes.benchmarks import Benchmark
from ips_outcomes.compare_context import (
    benchmark_context,
    fidelity_context,
    site_meta,
    wellbeing_context,
)
from ips_outcomes.compare_effects import (
    COMPARISON,
    ComparisonPart,
    Statement,
    binary_outcomes,
    crude_effects,
    has_small_cell,
    result_frame,
    rows_for,
    tidy_rows,
)
from ips_outcomes.effects import binary_effect_from
from ips_outcomes.errors import InputError
from ips_outcomes.results import combine
from ips_outcomes.weighting import IPTW

#: Baseline covariates for adjustment and the propensity score (those present and varying).
BASELINE = ("age_at_enrolment", "gender", "diagnosis_group", "worked_last_5y", "benefit")

DESIGN_STATEMENTS = {
    "randomised": (
        "Randomised comparison: people were allocated to the services at random, so the "
        "primary estimate is the unadjusted intention-to-treat effect; covariate-adjusted "
        "estimates are a sensitivity analysis."
    ),
    "observational": (
        "Observational comparison: people were not allocated at random, so the unadjusted "
        "effect may be confounded. The primary estimate weights people by the inverse of their "
        "probability of receiving the service they got (a propensity score on the baseline "
        "covariates), with regression adjustment beside it; neither can correct for "
        "confounders that were not measured."
    ),
}


NO_CONTROL = "There is no control service to compare with."
SINGLE_ARM = (
    "Single-arm cohort: no control service is in the data, so no effect of the service can be "
    "estimated here; the outcomes above describe the participants, and the published trials "
    "are the comparison."
)

#: The fixed sentences of the comparison (for the translation catalogues).
MESSAGES: tuple[str, ...] = (*DESIGN_STATEMENTS.values(), SINGLE_ARM, NO_CONTROL)


@dataclass(frozen=True)
class ComparisonOutput:
    """Long-format results, figure inputs and the report's sentences."""

    results: pl.DataFrame
    extras: dict[str, object] = field(default_factory=dict)
    statements: dict[str, Statement] = field(default_factory=dict)


def usable_covariates(frame: pl.DataFrame, covariates: Sequence[str] = BASELINE) -> list[str]:
    """Covariates present with more than one value: an absent column adjusts nothing."""
    return [c for c in covariates if c in frame.columns and frame[c].drop_nulls().n_unique() > 1]


def adjusted_effects(
    people: pl.DataFrame,
    intervention: str,
    controls: Sequence[str],
    main_window: str,
    threshold: int,
) -> ComparisonPart:
    """Regression-adjusted OR and RR, and IPTW RD and RR with balance, per control."""
    parts, balance = [], {}
    statements: dict[str, Statement] = {}
    for control in controls:
        label = f"{intervention} vs {control}"
        for index, outcome in enumerate(binary_outcomes(main_window)):
            frame = rows_for(people, outcome).filter(
                pl.col("service").is_in([intervention, control])
            )
            crude = binary_effect_from(frame, outcome.column, "service", intervention, control)
            if crude.n_treated == 0 or crude.n_control == 0:
                continue
            small = has_small_cell(crude, threshold)
            frame = frame.with_columns(
                (pl.col("service") == intervention).cast(pl.Int8).alias("_treated"),
                pl.col(outcome.column).cast(pl.Int8).alias("_outcome"),
            )
            covariates = usable_covariates(frame)
            stats: list[tuple[str, float | None, float | None, float | None]] = []
            try:
                for name, fit in (
                    ("odds_ratio_adjusted", adjusted_odds_ratio),
                    ("risk_ratio_adjusted", adjusted_risk_ratio),
                ):
                    effect = fit(frame, "_outcome", "_treated", covariates, cluster="site")
                    stats += [
                        (name, effect.estimate, effect.lower, effect.upper),
                        (f"{name}_p", effect.p, None, None),
                    ]
                iptw = IPTW().fit(frame, "_treated", covariates, cluster="site")
                weighted = iptw.effect("_outcome")
            except (ValueError, InputError, np.linalg.LinAlgError) as why:
                statements[f"adjusted {label} {outcome.name}"] = f"not estimable: {why}"
                continue
            stats += [
                ("risk_difference_iptw", weighted.rd, weighted.rd_lower, weighted.rd_upper),
                ("risk_ratio_iptw", weighted.rr, weighted.rr_lower, weighted.rr_upper),
                ("ess_treated", iptw.ess_["treated"], None, None),
                ("ess_control", iptw.ess_["control"], None, None),
            ]
            tidy = tidy_rows(stats, frame.height)
            parts.append(
                result_frame(
                    tidy,
                    analysis="comparison_adjusted",
                    outcome=outcome.name,
                    window=outcome.window,
                    population=outcome.population,
                    grouping=COMPARISON,
                    group=label,
                    suppressed=small,
                )
            )
            if index == 0:  # balance and warnings of the main outcome's population
                balance[label] = iptw.balance_
                parts.append(_balance_rows(iptw.balance_, label, outcome.window))
                if iptw.warnings_:
                    statements[f"weighting {label}"] = " ".join(iptw.warnings_)
    return ComparisonPart(parts, {"balance": balance}, statements)


def _balance_rows(balance: pl.DataFrame, label: str, window: str | None) -> pl.DataFrame:
    tidy = balance.select(
        pl.col("covariate").alias("outcome_"),
        pl.struct(smd_before="smd_before", smd_after="smd_after").alias("s"),
    )
    rows = []
    for row in tidy.iter_rows(named=True):
        for statistic in ("smd_before", "smd_after"):
            rows.append((row["outcome_"], statistic, row["s"][statistic]))
    frame = pl.DataFrame(
        rows,
        schema={"outcome": pl.String, "statistic": pl.String, "estimate": pl.Float64},
        orient="row",
    )
    return (
        pl.concat(
            [
                result_frame(
                    group.select(
                        "statistic",
                        "estimate",
                        pl.lit(None, dtype=pl.Float64).alias("ci_lower"),
                        pl.lit(None, dtype=pl.Float64).alias("ci_upper"),
                    ),
                    analysis="comparison_balance",
                    outcome=str(key[0]),
                    window=window,
                    population=None,
                    grouping=COMPARISON,
                    group=label,
                )
                for key, group in frame.group_by("outcome", maintain_order=True)
            ]
        )
        if rows
        else pl.DataFrame()
    )


def comparison_analysis(
    people: pl.DataFrame,
    assessments: pl.DataFrame,
    fidelity: pl.DataFrame,
    *,
    intervention: str,
    controls: Sequence[str],
    main_window: str,
    design: str,
    instruments: Sequence[str],
    benchmarks: Sequence[Benchmark],
    threshold: int,
) -> ComparisonOutput:
    """Run every comparison on the wide analysis dataset.

    Parameters
    ----------
    people
        Wide per-participant dataset (`participants.parquet`).
    assessments, fidelity
        The ingested tables.
    intervention, controls
        The services compared (controls already resolved).
    main_window
        The longest follow-up window (e.g. `18m`).
    design
        `randomised` or `observational`.
    instruments
        Wellbeing instruments to analyse.
    benchmarks
        Published trials to set the cohort beside.
    threshold
        Small-cell threshold.

    Returns
    -------
    ComparisonOutput
        Results, figure inputs and sentences.
    """
    pieces = [
        fidelity_context(fidelity, people, intervention, main_window, threshold),
        wellbeing_context(assessments, people, intervention, controls, instruments, threshold),
    ]
    statements: dict[str, Statement] = {"design": DESIGN_STATEMENTS[design]}
    if controls:
        pieces += [
            ComparisonPart(crude_effects(people, intervention, controls, main_window, threshold)),
            adjusted_effects(people, intervention, controls, main_window, threshold),
            site_meta(people, intervention, main_window, threshold),
            benchmark_context(people, intervention, main_window, benchmarks, threshold),
        ]
    else:
        statements["design"] = SINGLE_ARM
        statements["benchmarks"] = NO_CONTROL
    extras: dict[str, object] = {}
    for piece in pieces:
        extras.update(piece.extras)
        statements.update(piece.statements)
    results = combine([part for piece in pieces for part in piece.results if part.height])
    return ComparisonOutput(results, extras, statements)
