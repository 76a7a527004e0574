"""IPS against a control service: absolute and relative effects, side by side.

Binary outcomes (CONSORT asks for both an absolute and a relative effect, with denominators):

- risk difference (treated - control) with a Wald CI, which is how EQOLISE published it;
- risk ratio and odds ratio with log-scale Wald CIs (statsmodels `Table2x2`);
- NNT = 1 / RD, its CI the inverted RD CI (Altman 1998, BMJ 317:1309). A positive NNT is the
  number treated for one *more* person with the outcome (benefit, when the outcome is a job), a
  negative one the number treated for one *fewer* (harm). When the RD CI includes 0 the NNT CI
  runs from NNT(benefit) = 1/rd_upper through infinity to NNT(harm) = 1/rd_lower: `nnt_lower`
  is then larger than `nnt_upper` and `nnt_ci_includes_infinity` is true;
- a two-sided p-value from the pooled two-proportion z-test, which equals Pearson's chi-square
  test without continuity correction.

Zero cells: no continuity correction is ever added. The RD and its Wald CI are always given
(the CI collapses to a point when both risks are 0 or 1). The RR is None when either arm has no
events, the OR when any cell of the 2x2 table is 0, the p-value when the pooled risk is 0 or 1.

Continuous outcomes: mean difference with a Welch CI and p-value, and Cohen's d (pooled SD)
with the Hedges & Olkin large-sample SE, sqrt((n1 + n2) / (n1 n2) + d^2 / (2 (n1 + n2))).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep

from ips_outcomes.errors import InputError

_ROWS_SCHEMA = {"statistic": pl.String, "estimate": pl.Float64}
_ROWS_SCHEMA |= {"ci_lower": pl.Float64, "ci_upper": pl.Float64}
_ROWS_SCHEMA |= {"n_treated": pl.Int64, "n_control": pl.Int64}


@dataclass(frozen=True)
class BinaryEffect:
    """Effect of treatment on a yes/no outcome; risks are proportions (0-1), not percentages."""

    events_treated: int
    n_treated: int
    events_control: int
    n_control: int
    risk_treated: float
    risk_control: float
    rd: float
    rd_lower: float
    rd_upper: float
    rr: float | None
    rr_lower: float | None
    rr_upper: float | None
    odds_ratio: float | None
    or_lower: float | None
    or_upper: float | None
    nnt: float
    nnt_lower: float
    nnt_upper: float
    nnt_ci_includes_infinity: bool
    p_value: float | None
    alpha: float = 0.05
    p_value_test: str = "two-proportion z-test (pooled) = chi-square without correction"


@dataclass(frozen=True)
class ContinuousEffect:
    """Effect of treatment on a numeric outcome; missing values are left out of each arm."""

    n_treated: int
    n_control: int
    mean_treated: float
    mean_control: float
    sd_treated: float
    sd_control: float
    mean_difference: float
    md_lower: float | None
    md_upper: float | None
    welch_df: float | None
    p_value: float | None
    cohens_d: float | None
    d_lower: float | None
    d_upper: float | None
    alpha: float = 0.05


def _inverse(value: float, at_zero: float) -> float:
    return at_zero if value == 0 else 1.0 / value


def binary_effect(
    events_treated: int,
    n_treated: int,
    events_control: int,
    n_control: int,
    alpha: float = 0.05,
) -> BinaryEffect:
    """Risk difference, risk ratio, odds ratio and NNT of treated against control.

    Examples
    --------
    EQOLISE (Burns et al. 2007): 85/156 IPS vs 43/156 control worked in a competitive job.

    >>> e = binary_effect(85, 156, 43, 156)
    >>> print(f"RD {e.rd:.3f} ({e.rd_lower:.3f} to {e.rd_upper:.3f})")
    RD 0.269 (0.164 to 0.374)
    >>> print(f"RR {e.rr:.2f}, NNT {e.nnt:.1f} ({e.nnt_lower:.1f} to {e.nnt_upper:.1f})")
    RR 1.98, NNT 3.7 (2.7 to 6.1)
    """
    counts = (events_treated, n_treated, events_control, n_control)
    if any(isinstance(c, bool) or not isinstance(c, int | np.integer) for c in counts):
        raise ValueError(f"events and n must be whole numbers, got {counts}")
    if n_treated < 1 or n_control < 1:
        raise ValueError(f"each arm needs at least one person, got n {n_treated} and {n_control}")
    if not (0 <= events_treated <= n_treated and 0 <= events_control <= n_control):
        raise ValueError(f"events must lie between 0 and n, got {counts}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    a, n1, c, n2 = (int(x) for x in counts)
    p1, p2 = a / n1, c / n2
    rd = p1 - p2
    low, high = confint_proportions_2indep(a, n1, c, n2, method="wald", compare="diff", alpha=alpha)
    rd_lower, rd_upper = float(low), float(high)
    table = Table2x2(np.array([[a, n1 - a], [c, n2 - c]]), shift_zeros=False)
    rr = rr_lower = rr_upper = None
    if a > 0 and c > 0:
        rr = float(table.riskratio)
        rr_lower, rr_upper = (float(x) for x in table.riskratio_confint(alpha=alpha))
    odds = or_lower = or_upper = None
    if min(a, n1 - a, c, n2 - c) > 0:
        odds = float(table.oddsratio)
        or_lower, or_upper = (float(x) for x in table.oddsratio_confint(alpha=alpha))
    pooled = (a + c) / (n1 + n2)
    p_value = None
    if 0 < pooled < 1:
        z = rd / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p_value = float(2 * stats.norm.sf(abs(z)))
    return BinaryEffect(
        *(a, n1, c, n2, p1, p2, rd, rd_lower, rd_upper, rr, rr_lower, rr_upper),
        *(odds, or_lower, or_upper),
        nnt=_inverse(rd, math.inf),
        nnt_lower=_inverse(rd_upper, math.inf),
        nnt_upper=_inverse(rd_lower, -math.inf),
        nnt_ci_includes_infinity=rd_lower <= 0 <= rd_upper,
        p_value=p_value,
        alpha=alpha,
    )


def binary_effect_from(
    frame: pl.DataFrame, outcome: str, group: str, treated: str, control: str
) -> BinaryEffect:
    """`binary_effect` from one row per person; rows with a null outcome are left out.

    The denominators (`n_treated`, `n_control`) count only people whose outcome is known.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"service": ["IPS"] * 3 + ["TAU"] * 3,
    ...                    "employed": [True, True, None, False, True, False]})
    >>> e = binary_effect_from(df, "employed", "service", "IPS", "TAU")
    >>> (e.events_treated, e.n_treated, e.events_control, e.n_control)
    (2, 2, 1, 3)
    """
    for column in (outcome, group):
        if column not in frame.columns:
            raise InputError(f"column {column!r} is missing; columns are {frame.columns}")
    if frame.schema[outcome] != pl.Boolean:
        raise InputError(f"column {outcome!r} must be boolean, not {frame.schema[outcome]}")
    known = frame.filter(pl.col(outcome).is_not_null())
    counts = []
    for arm in (treated, control):
        values = known.filter(pl.col(group) == arm).get_column(outcome)
        if values.len() == 0:
            raise InputError(f"no one in {group} = {arm!r} has a known {outcome!r}")
        counts += [int(values.sum()), values.len()]
    return binary_effect(*counts)


def continuous_effect(
    treated_values: npt.ArrayLike | pl.Series,
    control_values: npt.ArrayLike | pl.Series,
    alpha: float = 0.05,
) -> ContinuousEffect:
    """Mean difference (Welch) and Cohen's d of treated against control; NaN/None left out.

    The CI and p-value are None when both arms have SD 0, and d is None when the pooled SD is 0.

    Examples
    --------
    >>> e = continuous_effect([5.0, 6.0, 7.0, 8.0], [4.0, 5.0, 6.0, None])
    >>> (e.n_treated, e.n_control, e.mean_difference)
    (4, 3, 1.5)
    >>> print(f"d {e.cohens_d:.3f} ({e.d_lower:.2f} to {e.d_upper:.2f})")
    d 1.268 (-0.37 to 2.91)
    """
    arms = []
    for values in (treated_values, control_values):
        array = values.to_numpy() if isinstance(values, pl.Series) else values
        x = np.asarray(array, dtype=float)
        x = x[~np.isnan(x)]
        if x.size < 2:
            raise ValueError(f"each arm needs at least two values, got {x.size}")
        arms.append(x)
    x1, x2 = arms
    n1, n2 = x1.size, x2.size
    m1, m2 = float(x1.mean()), float(x2.mean())
    v1, v2 = float(x1.var(ddof=1)), float(x2.var(ddof=1))
    md = m1 - m2
    md_lower = md_upper = df = p_value = None
    se = math.sqrt(v1 / n1 + v2 / n2)
    if se > 0:
        df = se**4 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        half = float(stats.t.ppf(1 - alpha / 2, df)) * se
        md_lower, md_upper = md - half, md + half
        p_value = float(2 * stats.t.sf(abs(md / se), df))
    pooled_sd = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    d = d_lower = d_upper = None
    if pooled_sd > 0:
        d = md / pooled_sd
        se_d = math.sqrt((n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2)))
        half_d = float(stats.norm.ppf(1 - alpha / 2)) * se_d
        d_lower, d_upper = d - half_d, d + half_d
    return ContinuousEffect(
        *(n1, n2, m1, m2, math.sqrt(v1), math.sqrt(v2), md, md_lower, md_upper, df, p_value),
        *(d, d_lower, d_upper, alpha),
    )


def effect_rows(effect: BinaryEffect | ContinuousEffect) -> pl.DataFrame:
    """Tidy rows: statistic, estimate, ci_lower, ci_upper, n_treated, n_control.

    Undefined values are null. On the `nnt` row, `ci_lower > ci_upper` means the CI runs
    through infinity (from NNT benefit `ci_lower` to NNT harm `ci_upper`).

    Examples
    --------
    >>> rows = effect_rows(binary_effect(85, 156, 43, 156))
    >>> rows.get_column("statistic").to_list()  # doctest: +NORMALIZE_WHITESPACE
    ['risk_treated', 'risk_control', 'risk_difference', 'risk_ratio', 'odds_ratio', 'nnt',
     'p_value']
    >>> effect_rows(continuous_effect([1.0, 2.0], [1.0, 3.0])).height
    6
    """
    e = effect
    if isinstance(e, BinaryEffect):
        rows = [
            ("risk_treated", e.risk_treated, None, None),
            ("risk_control", e.risk_control, None, None),
            ("risk_difference", e.rd, e.rd_lower, e.rd_upper),
            ("risk_ratio", e.rr, e.rr_lower, e.rr_upper),
            ("odds_ratio", e.odds_ratio, e.or_lower, e.or_upper),
            ("nnt", e.nnt, e.nnt_lower, e.nnt_upper),
            ("p_value", e.p_value, None, None),
        ]
    else:
        rows = [
            ("mean_treated", e.mean_treated, None, None),
            ("mean_control", e.mean_control, None, None),
            ("mean_difference", e.mean_difference, e.md_lower, e.md_upper),
            ("cohens_d", e.cohens_d, e.d_lower, e.d_upper),
            ("welch_df", e.welch_df, None, None),
            ("p_value", e.p_value, None, None),
        ]
    return pl.DataFrame(
        [(*row, e.n_treated, e.n_control) for row in rows], schema=_ROWS_SCHEMA, orient="row"
    )
