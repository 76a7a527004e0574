"""Table 1: baseline characteristics by service, with standardised mean differences (SMDs).

Result rows (`analysis` `baseline`, `population` `all_enrolled`, no `window`):

- `participants`, grouping `service`: `n`, the people in each service.
- A boolean or text variable, grouping `service|level` (group `<service>|<level>`): `count`
  and `proportion` of everyone in the service (`n` is the service total). A missing value is
  its own level, `(missing)`, listed when anyone lacks the value (R's ``addNA(ifany = TRUE)``);
  every level has a row in every service, zero counts included.
- A numeric variable, grouping `service`: `mean`, `sd` (n - 1), `median`, `q1`, `q3` of the
  known values, their number `n`, and `missing` (its `n` is the service total). Quartiles
  interpolate linearly between order statistics (polars ``interpolation="linear"``, R's type
  7). No minimum or maximum is published: they are single people's values.
- `smd` per variable and control, grouping `comparison`, group `<intervention> vs <control>`,
  `n` the two services' people. Numeric: ``(m_t - m_c) / sqrt((s_t² + s_c²) / 2)``; two
  levels: ``(p_t - p_c) / sqrt((p_t (1 - p_t) + p_c (1 - p_c)) / 2)``, ``p`` the share of the
  second level (`true` for booleans); more levels (a missing level counts): the Yang & Dalton
  (2012) multivariate SMD that R's ``tableone::ExtractSmd`` reports, which has no sign. Levels
  sort by :func:`level_order`. An undefined SMD (pooled SD zero to rounding; or level profiles
  no pooled variance separates, where tableone prints a finite number) is null, unsuppressed.

Suppression with threshold *k*: counts and proportions as
:func:`ips_outcomes.disclosure.suppress_proportions`; a numeric summary of fewer than *k*
known values is withheld, and `n` and `missing` when either is 1 to *k*-1; an SMD when either
service has fewer than *k* people (or, for a numeric variable, known values).

:func:`ips_outcomes.baseline_table.baseline_table_html` renders the rows as Table 1 in HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import polars as pl

from ips_outcomes import disclosure
from ips_outcomes.definitions import AGE_BANDS
from ips_outcomes.results import MISSING_GROUP, RESULT_SCHEMA, Stat, combine, long_rows

ANALYSIS = "baseline"
POPULATION = "all_enrolled"
LEVELS = "service|level"
COMPARISON = "comparison"
SUMMARIES = ("mean", "sd", "median", "q1", "q3")

#: Labels (gettext msgids) of the variables Table 1 knows, in table order.
VARIABLE_LABELS: dict[str, str] = {
    "age_at_enrolment": "Age at enrolment",
    "age_band": "Age band",
    "gender": "Gender",
    "diagnosis_group": "Diagnosis group",
    "education": "Education",
    "worked_last_5y": "Worked in the last 5 years",
    "benefit": "Benefit",
    "in_work_at_entry": "In work at entry",
    "site": "Site",
}
#: Age in years already describes the age bands.
DEFAULT_VARIABLES: tuple[str, ...] = tuple(v for v in VARIABLE_LABELS if v != "age_band")
_ORDERS = {"age_band": [band[0] for band in AGE_BANDS]}


def level_order(variable: str, levels: Iterable[str]) -> list[str]:
    """Order levels: age bands by age, others alphabetically, the missing level last.

    Examples
    --------
    >>> level_order("age_band", ["55+", "(missing)", "<25", "25-34"])
    ['<25', '25-34', '55+', '(missing)']
    """
    rank = {level: i for i, level in enumerate(_ORDERS.get(variable, []))}
    return sorted(set(levels), key=lambda v: (v == MISSING_GROUP, rank.get(v, len(rank)), v))


def smd_continuous(treated: dict[str, Any], control: dict[str, Any]) -> float | None:
    """SMD of a numeric variable from each group's `mean` and `sd`; None where undefined.

    Examples
    --------
    >>> smd_continuous({"mean": 3.0, "sd": 1.0}, {"mean": 2.0, "sd": 2.0})
    0.6324555320336759
    """
    if None in (treated["mean"], treated["sd"], control["mean"], control["sd"]):
        return None
    pooled = np.sqrt((treated["sd"] ** 2 + control["sd"] ** 2) / 2)
    # The SD of a constant comes out as rounding noise (~1e-15), not 0: call that zero too.
    if pooled <= 1e-12 * max(abs(treated["mean"]), abs(control["mean"]), 1.0):
        return None
    return float((treated["mean"] - control["mean"]) / pooled)


def smd_categorical(p_t: Sequence[float], p_c: Sequence[float]) -> float | None:
    """SMD from each group's level shares (reference level first); None where undefined.

    Two levels give the signed binary SMD; more, the Yang & Dalton (2012) distance
    ``sqrt(T' S⁺ T)``: ``T`` the differences of the non-reference shares, ``S`` the mean of the
    two multinomial covariance matrices, ``S⁺`` its pseudo-inverse with ``MASS::ginv``'s
    tolerance, as tableone computes it. It does not depend on the reference level.

    Examples
    --------
    >>> round(smd_categorical([0.5, 0.5], [0.8, 0.2]), 4)
    0.6626
    >>> round(smd_categorical([0.5, 0.3, 0.2], [0.2, 0.3, 0.5]), 4)
    0.7682
    """
    t, c = np.asarray(p_t, dtype=float)[1:], np.asarray(p_c, dtype=float)[1:]
    diff = t - c
    pooled = (np.diag(t) - np.outer(t, t) + np.diag(c) - np.outer(c, c)) / 2
    if not pooled.any():
        return None
    if len(diff) == 1:
        return float(diff[0] / np.sqrt(pooled[0, 0]))
    inverse = np.linalg.pinv(pooled, rtol=np.sqrt(np.finfo(float).eps), hermitian=True)
    # A difference outside S's image is an infinite distance, which the pseudo-inverse hides.
    if not np.allclose(pooled @ inverse @ diff, diff, rtol=0, atol=1e-9):
        return None
    return float(np.sqrt(max(float(diff @ inverse @ diff), 0.0)))


def _common(outcome: str) -> dict[str, Any]:
    return {"analysis": ANALYSIS, "outcome": outcome, "window": None, "population": POPULATION}


def _category_table(people: pl.DataFrame, variable: str) -> pl.DataFrame:
    level = pl.col(variable).cast(pl.String).fill_null(MISSING_GROUP).alias("level")
    counts = people.group_by("service", level).agg(pl.len().cast(pl.Int64).alias("numerator"))
    totals = people.group_by("service").agg(pl.len().cast(pl.Int64).alias("denominator"))
    levels = level_order(variable, counts["level"].to_list())
    grid = totals.join(pl.DataFrame({"level": levels}), how="cross")
    return (
        grid.join(counts, on=["service", "level"], how="left")
        .with_columns(pl.col("numerator").fill_null(0))
        .with_columns(
            (pl.col("numerator") / pl.col("denominator")).alias("proportion"),
            pl.lit(None, dtype=pl.Float64).alias("ci_lower"),
            pl.lit(None, dtype=pl.Float64).alias("ci_upper"),
        )
        .sort(pl.col("service"), pl.col("level").replace_strict(levels, range(len(levels))))
    )


def complementary_suppression(results: pl.DataFrame) -> pl.DataFrame:
    """Withhold a second level where a service's levels of a variable hide exactly one.

    The levels add up to the service's published size, so a lone withheld level could be
    worked out by subtraction; the smallest other level above zero (else a zero) goes with it,
    count and proportion. Other rows are returned unchanged, in the same order.

    Examples
    --------
    >>> import polars as pl
    >>> people = pl.DataFrame({"service": ["A"] * 40,
    ...                        "gender": ["f"] * 17 + ["m"] * 20 + ["x"] * 3})
    >>> out = complementary_suppression(baseline_results(people, "A", 5, ["gender"]))
    >>> out.filter(pl.col("statistic") == "count").select("group", "estimate").rows()
    [('A|f', None), ('A|m', 20.0), ('A|x', None)]
    """
    level = (pl.col("analysis") == ANALYSIS) & (pl.col("grouping") == LEVELS)
    service = pl.col("group").str.split("|").list.first()
    cell = [pl.col("outcome"), service]
    counts = level & (pl.col("statistic") == "count")
    withheld = (counts & pl.col("estimate").is_null()).sum().over(cell)
    lone = counts & (withheld == 1) & pl.col("estimate").is_not_null()
    size = pl.when(pl.col("estimate") == 0).then(2.0**62).otherwise(pl.col("estimate"))
    rank = pl.when(lone).then(pl.struct(size, pl.col("group"))).rank("ordinal").over(cell)
    picked = results.with_columns(service.alias("_service")).filter(lone & (rank == 1))
    keys = picked.select("outcome", "group")
    hit = level & pl.struct("outcome", "group").is_in(keys.to_struct().implode())
    hide = hit & pl.col("statistic").is_in(["count", "proportion"])
    return results.with_columns(
        *(
            pl.when(hide).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("estimate", "ci_lower", "ci_upper")
        ),
        (pl.col("suppressed") | hide).alias("suppressed"),
    )


def _numeric_table(people: pl.DataFrame, variable: str) -> pl.DataFrame:
    rows = []
    # One Series per service: polars sums it in one fixed order, so the floats never vary.
    for (service,), group in sorted(people.partition_by("service", as_dict=True).items()):
        x = group.get_column(variable).cast(pl.Float64).drop_nulls()
        quartiles = (x.quantile(q, interpolation="linear") for q in (0.5, 0.25, 0.75))
        rows.append((service, group.height, x.len(), x.mean(), x.std(ddof=1), *quartiles))
    schema = {"service": pl.String, "total": pl.Int64, "n": pl.Int64}
    schema |= dict.fromkeys(SUMMARIES, pl.Float64)
    table = pl.DataFrame(rows, schema=schema, orient="row")
    return table.with_columns((pl.col("total") - pl.col("n")).alias("missing"))


def _numeric_rows(table: pl.DataFrame, variable: str, threshold: int) -> pl.DataFrame:
    small = disclosure.is_small
    hide = small(pl.col("n"), threshold) | small(pl.col("missing"), threshold)
    hide = hide | small(pl.col("total"), threshold)
    withheld = pl.col("n") < threshold
    safe = table.with_columns(
        *(pl.when(withheld).then(None).otherwise(pl.col(s)).alias(s) for s in SUMMARIES),
        *(pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in ("n", "missing")),
        pl.when(small(pl.col("total"), threshold)).then(None).otherwise("total").alias("total"),
        withheld.alias("suppressed"),
        hide.alias("counts_hidden"),
    )
    common = {**_common(variable), "by": ["service"]}
    counts = {s: Stat(s, suppressed="counts_hidden") for s in ("n", "missing")}
    parts = [({s: Stat(s) for s in SUMMARIES}, "n"), ({"n": counts["n"]}, "n")]
    parts.append(({"missing": counts["missing"]}, "total"))
    return pl.concat(long_rows(safe, **common, stats=stats, n=n) for stats, n in parts)


def _smd_row(
    variable: str, group: str, treated: pl.DataFrame, control: pl.DataFrame, threshold: int
) -> dict[str, Any]:
    if "mean" in treated.columns:
        t, c = treated.row(0, named=True), control.row(0, named=True)
        smd, sizes = smd_continuous(t, c), [t["total"], c["total"], t["n"], c["n"]]
    else:
        smd = smd_categorical(treated["proportion"].to_list(), control["proportion"].to_list())
        sizes = [treated["denominator"][0], control["denominator"][0]]
    hidden = min(sizes) < threshold
    return {
        **_common(variable),
        "grouping": COMPARISON,
        "group": group,
        "statistic": "smd",
        "estimate": None if hidden else smd,
        "n": None if hidden else sizes[0] + sizes[1],
        "suppressed": hidden,
    }


def baseline_results(
    people: pl.DataFrame,
    intervention: str,
    threshold: int,
    variables: Sequence[str] = DEFAULT_VARIABLES,
) -> pl.DataFrame:
    """Table 1 as suppressed long result rows (the module notes list every row).

    Parameters
    ----------
    people
        One row per person, with `service` and the `variables`.
    intervention
        The service each other service is compared with; absent, no SMD rows.
    threshold
        Small-cell threshold.
    variables
        Columns to describe: numeric ones are summarised, boolean and text ones counted by
        level. Columns absent from `people` are skipped.

    Returns
    -------
    pl.DataFrame
        Rows in :data:`ips_outcomes.results.RESULT_SCHEMA`, sorted.

    Examples
    --------
    >>> import polars as pl
    >>> people = pl.DataFrame({"service": ["IPS"] * 6 + ["TAU"] * 6,
    ...                        "age": [20.0, 30, 40, 50, 60, 70] * 2})
    >>> out = baseline_results(people, "IPS", 5, ["age"])
    >>> out.filter(pl.col("group") == "IPS").select("statistic", "estimate").rows()[:3]
    [('mean', 45.0), ('median', 45.0), ('missing', 0.0)]
    >>> out.filter(pl.col("statistic") == "smd").select("group", "estimate").rows()
    [('IPS vs TAU', 0.0)]
    """
    services = sorted(people.get_column("service").unique().to_list())
    controls = [s for s in services if s != intervention] if intervention in services else []
    totals = people.group_by("service").agg(pl.len().cast(pl.Int64).alias("total"))
    totals = disclosure.suppress_counts(totals, "total", threshold)
    stats = {"n": Stat("total")}
    parts = [long_rows(totals, **_common("participants"), by=["service"], stats=stats, n="total")]
    smds = []
    for variable in (v for v in variables if v in people.columns):
        if people.schema[variable].is_numeric():
            table = _numeric_table(people, variable)
            parts.append(_numeric_rows(table, variable, threshold))
        else:
            table = _category_table(people, variable)
            safe = disclosure.suppress_proportions(table, threshold)
            stats = {"count": Stat("numerator"), "proportion": Stat("proportion")}
            common = {**_common(variable), "by": ["service", "level"], "n": "denominator"}
            parts.append(long_rows(safe, **common, stats=stats))
        by = {s: g for (s,), g in table.partition_by("service", as_dict=True).items()}
        for control in controls:
            label = f"{intervention} vs {control}"
            smds.append(_smd_row(variable, label, by[intervention], by[control], threshold))
    if smds:
        parts.append(pl.DataFrame(smds, schema=RESULT_SCHEMA))
    return combine(parts)
