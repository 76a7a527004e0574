"""Wellbeing scores (e.g. WHO-5) over follow-up: change from baseline and a mixed model.

- `change_from_baseline`: per service and follow-up timepoint, the people with both a baseline
  and a follow-up score (complete pairs): mean baseline, mean follow-up, mean change with a
  95 % t interval and the SD of change, and how many had a baseline but no follow-up score.
- `RepeatedMeasuresModel`: ``score ~ timepoint * arm + (1 | participant)`` on every available
  score (no complete-case dropping), fitted by profile (RE)ML (vectorised over participants:
  statsmodels' `MixedLM` loops over them and took minutes at register scale); the timepoint x arm
  interactions are the differences in change from baseline, treated minus control.

Conventions follow R's ``nlme::lme`` (validated in ``tests/reference/wellbeing_reference.R``):
fixed-effect SEs are ``sigma^2 (X' V^-1 X)^-1`` at the (RE)ML variance estimates, and t tests
and intervals use nlme's containment degrees of freedom: ``M - 1 - b`` for the ``b`` terms that
are constant within every participant (``arm``), ``N - M - w`` for the intercept and the ``w``
terms that vary within participants (N observations, M participants). With ML, nlme (and so
this module) scales the fixed-effect covariance by ``N / (N - p)`` as ``summary.lme`` does
(``adjustSigma = TRUE``); nlme's ``intervals`` does not, so only the REML intervals agree with
it. statsmodels' own
``bse_fe`` inverts the full observed Hessian (with fixed x variance cross terms) and its
p-values are normal; both differ from nlme, so they are not used.

The caller chooses the instrument: ``work_or_study`` in the assessments table is a status item,
not a wellbeing scale. Timepoints are ``baseline`` and ``<months>m`` (``6m``, ``12m``, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import optimize, stats

from ips_outcomes.errors import InputError

Array = npt.NDArray[np.float64]
BASELINE = "baseline"
_MONTHS = re.compile(r"([0-9]+)m")
#: Gradient tolerance of statsmodels' BFGS (default 1e-5): variance components to ~1e-8.


def _months(label: str) -> int:
    if label == BASELINE:
        return 0
    match = _MONTHS.fullmatch(label)
    if match is None:
        raise InputError(
            f"assessments: timepoint {label!r} is neither 'baseline' nor months such as '6m'"
        )
    return int(match.group(1))


def _scores(assessments: pl.DataFrame, participants: pl.DataFrame, instrument: str) -> pl.DataFrame:
    """Non-missing scores of `instrument` with each person's service (people without one out)."""
    data = assessments.filter(
        (pl.col("instrument") == instrument) & pl.col("score").is_not_null()
    ).filter(pl.col("score").is_not_nan())
    if data.is_empty():
        raise InputError(f"assessments: no scores for instrument {instrument!r}")
    if data.select("participant_id", "timepoint").is_duplicated().any():
        raise InputError(
            f"assessments: {instrument!r} has more than one score for a participant and timepoint"
        )
    return data.join(
        participants.select("participant_id", "service").filter(pl.col("service").is_not_null()),
        on="participant_id",
    ).select("participant_id", "service", "timepoint", pl.col("score").cast(pl.Float64))


def _levels(timepoints: pl.Series) -> list[str]:
    return sorted(timepoints.unique().to_list(), key=_months)


def change_from_baseline(
    assessments: pl.DataFrame, participants: pl.DataFrame, instrument: str
) -> pl.DataFrame:
    """Change from baseline per service and follow-up timepoint, on complete pairs.

    Parameters
    ----------
    assessments
        Contract ``assessments`` table (participant_id, timepoint, instrument, score).
    participants
        Contract ``participants`` table (participant_id, service).
    instrument
        Instrument whose scores to summarise, e.g. ``WHO-5``.

    Returns
    -------
    pl.DataFrame
        service, timepoint (follow-ups in time order), n (people with a baseline and this
        follow-up), n_missing_followup (baseline but no score at this follow-up),
        mean_baseline and mean_followup (over the n), mean_change, ci_lower and ci_upper (95 %
        t interval, n - 1 df), sd_change. Statistics that need more people are null. People
        without a baseline score are in no row.

    Examples
    --------
    >>> assessments = pl.DataFrame({
    ...     "participant_id": ["a", "a", "b", "b", "c"],
    ...     "timepoint": ["baseline", "6m", "baseline", "6m", "baseline"],
    ...     "instrument": "WHO-5", "score": [40.0, 52.0, 60.0, 64.0, 48.0]})
    >>> participants = pl.DataFrame({"participant_id": ["a", "b", "c"], "service": "IPS"})
    >>> table = change_from_baseline(assessments, participants, "WHO-5")
    >>> table.select("service", "timepoint", "n", "n_missing_followup", "mean_change").rows()
    [('IPS', '6m', 2, 1, 8.0)]
    """
    data = _scores(assessments, participants, instrument)
    followups = [t for t in _levels(data["timepoint"]) if t != BASELINE]
    baseline = data.filter(pl.col("timepoint") == BASELINE).select(
        "participant_id", "service", baseline="score"
    )
    grid = baseline.join(pl.DataFrame({"timepoint": followups}, schema={"timepoint": pl.String}),
                         how="cross")  # fmt: skip
    paired = grid.join(
        data.select("participant_id", "timepoint", followup="score"),
        on=["participant_id", "timepoint"],
        how="left",
    )
    both = pl.col("followup").is_not_null()
    change = (pl.col("followup") - pl.col("baseline")).filter(both)
    table = (
        paired.group_by("service", "timepoint")
        .agg(
            n=both.sum().cast(pl.Int64),
            n_missing_followup=(~both).sum().cast(pl.Int64),
            mean_baseline=pl.col("baseline").filter(both).mean(),
            mean_followup=pl.col("followup").mean(),
            mean_change=change.mean(),
            sd_change=change.std(),
        )
        .sort(
            "service", pl.col("timepoint").replace_strict({t: i for i, t in enumerate(followups)})
        )
    )
    n = table["n"].to_numpy()
    half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * table["sd_change"].to_numpy() / np.sqrt(n)
    half_width = pl.Series(half, dtype=pl.Float64, nan_to_null=True)
    return table.select(
        "service", "timepoint", "n", "n_missing_followup", "mean_baseline", "mean_followup",
        "mean_change",
        ci_lower=pl.col("mean_change") - half_width,
        ci_upper=pl.col("mean_change") + half_width,
        sd_change="sd_change",
    )  # fmt: skip


class RepeatedMeasuresModel:
    """Linear mixed model ``score ~ timepoint * arm + (1 | participant)``, as ``nlme::lme``.

    Parameters
    ----------
    reml
        Restricted maximum likelihood (R's ``method = "REML"``); False for maximum likelihood.

    Attributes
    ----------
    difference_in_change_ : pl.DataFrame
        timepoint, estimate (treated change from baseline minus control change: the timepoint x
        arm interaction), se, df, t, p, ci_lower, ci_upper (95 %).
    fixed_effects_ : pl.DataFrame
        term (R's names: ``(Intercept)``, ``timepoint6m``, ..., ``arm``,
        ``timepoint6m:arm``, ...; arm = 1 for the treated service), estimate, se, df, t, p,
        ci_lower, ci_upper.
    random_intercept_var_, residual_var_ : float
        Variance of the participant intercepts and of the residuals.
    timepoints_ : list of str
        Timepoint levels in time order; the first, ``baseline``, is the reference.
    n_participants_, n_observations_ : int
        Participants with at least one score and scores used.
    converged_ : bool
        Whether the one-dimensional search for the variance ratio converged.
    warnings_ : list of str
        Fitting problems (e.g. a random-intercept variance on the boundary), recorded rather
        than raised.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> people = pl.DataFrame({"participant_id": [f"p{i}" for i in range(40)],
    ...                        "service": ["IPS", "TAU"] * 20})
    >>> level = rng.normal(40.0, 10.0, 40)
    >>> assessments = pl.DataFrame({
    ...     "participant_id": people["participant_id"].to_list() * 2,
    ...     "timepoint": ["baseline"] * 40 + ["12m"] * 40, "instrument": "WHO-5",
    ...     "score": np.concatenate([level, level + [10.0, 4.0] * 20 + rng.normal(0, 5, 40)])})
    >>> fit = RepeatedMeasuresModel().fit(assessments, people, "WHO-5", "IPS", "TAU")
    >>> fit.difference_in_change_.select("timepoint", pl.col("estimate", "se").round(2)).rows()
    [('12m', 6.91, 1.18)]
    >>> fit.n_participants_, fit.n_observations_, fit.converged_
    (40, 80, True)
    """

    def __init__(self, *, reml: bool = True) -> None:
        self.reml = reml

    def fit(
        self,
        assessments: pl.DataFrame,
        participants: pl.DataFrame,
        instrument: str,
        treated: str,
        control: str,
    ) -> Self:
        """Fit the model on every score of `instrument` of the two services.

        Parameters
        ----------
        assessments, participants
            Contract tables, as for `change_from_baseline`.
        instrument
            Instrument to model, e.g. ``WHO-5``.
        treated, control
            Services compared (arm = 1 and 0); other services are left out.

        Returns
        -------
        RepeatedMeasuresModel
            The fitted model (`self`).
        """
        if treated == control:
            raise ValueError("treated and control must be different services")
        data = _scores(assessments, participants, instrument).filter(
            pl.col("service").is_in([treated, control])
        )
        levels = _levels(data["timepoint"]) if data.height else []
        if BASELINE not in levels or len(levels) < 2:
            raise InputError(f"assessments: {instrument!r} needs baseline and follow-up scores")
        cells = data.select("service", "timepoint").unique().height
        if cells < 2 * len(levels):
            raise InputError(
                f"assessments: {instrument!r} needs scores of both {treated!r} and {control!r} "
                "at every timepoint"
            )
        data = data.sort("participant_id")
        ids = data["participant_id"]
        groups = (ids != ids.shift(1)).fill_null(True).cum_sum().to_numpy() - 1
        tp = data["timepoint"].replace_strict({t: i for i, t in enumerate(levels)}).to_numpy()
        arm = (data["service"] == treated).to_numpy().astype(np.float64)
        dummies = (tp[:, None] == np.arange(1, len(levels))).astype(np.float64)
        x = np.column_stack([np.ones(len(tp)), dummies, arm, dummies * arm[:, None]])
        follow = [f"timepoint{t}" for t in levels[1:]]
        terms = ["(Intercept)", *follow, "arm", *[f"{t}:arm" for t in follow]]
        self._fit(data["score"].to_numpy(), x, groups, terms)
        self.timepoints_ = levels
        self.n_participants_, self.n_observations_ = int(groups[-1]) + 1, len(tp)
        k = len(levels) - 1
        self.difference_in_change_ = (
            self.fixed_effects_.slice(k + 2, k)
            .with_columns(timepoint=pl.Series(levels[1:]))
            .select("timepoint", pl.exclude("term", "timepoint"))
        )
        return self

    def _fit(self, y: Array, x: Array, groups: npt.NDArray[np.int64], terms: list[str]) -> None:
        starts = np.flatnonzero(np.r_[True, np.diff(groups) != 0])  # rows are sorted by group
        sums = np.add.reduceat(x, starts, axis=0)
        size = np.diff(np.r_[starts, len(y)]).astype(np.float64)
        fit = _profile_fit(y, x, sums, np.add.reduceat(y, starts), size, self.reml)
        self.converged_, self.warnings_ = fit.converged, fit.warnings
        self.residual_var_ = fit.sigma2
        self.random_intercept_var_ = fit.rho * fit.sigma2
        beta = fit.beta
        # sigma^2 (X' V^-1 X)^-1 with V_i = I + rho J, so V_i^-1 = I - rho / (1 + n_i rho) J.
        rho = fit.rho
        xtvx = x.T @ x - (sums * (rho / (1 + size * rho))[:, None]).T @ sums
        scale = self.residual_var_ * (1.0 if self.reml else len(y) / (len(y) - x.shape[1]))
        se = np.sqrt(np.diag(scale * np.linalg.inv(xtvx)))
        m = len(size)
        # nlme's containment df: is a column constant within every participant?
        between = np.all(np.minimum.reduceat(x, starts) == np.maximum.reduceat(x, starts), axis=0)
        between[0] = False  # the intercept gets the within-participant df, as in nlme
        df = np.where(between, m - 1 - between.sum(), len(y) - m - (~between).sum() + 1)
        t = beta / se
        half = stats.t.ppf(0.975, df) * se
        self.fixed_effects_ = pl.DataFrame(
            {"term": terms, "estimate": beta, "se": se, "df": df.astype(np.int64), "t": t,
             "p": 2 * stats.t.sf(np.abs(t), df), "ci_lower": beta - half, "ci_upper": beta + half}
        )  # fmt: skip


@dataclass(frozen=True)
class _ProfileFit:
    rho: float
    sigma2: float
    beta: Array
    converged: bool
    warnings: list[str]


def _profile_fit(
    y: Array, x: Array, sums: Array, y_sums: Array, size: Array, reml: bool
) -> _ProfileFit:
    """(RE)ML fit of a random-intercept model, profiled down to rho = tau^2 / sigma^2.

    With V_i = I + rho J, V_i^-1 = I - c_i J (c_i = rho / (1 + n_i rho)) and
    log |V_i| = log(1 + n_i rho), so every quantity is a sum over participants of their column
    sums: O(N p^2) with no loop over participants (statsmodels' MixedLM loops in Python, which
    took minutes at a million people). beta and sigma^2 have closed forms given rho; rho is
    found by a bounded one-dimensional search on log rho, with rho = 0 checked as well.
    """
    n, p = x.shape
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)

    def solve(rho: float) -> tuple[float, float, Array]:
        c = rho / (1.0 + size * rho)
        xvx = xtx - (sums * c[:, None]).T @ sums
        xvy = xty - (sums * (c * y_sums)[:, None]).sum(axis=0)
        yvy = yty - float(c @ (y_sums * y_sums))
        beta = np.linalg.solve(xvx, xvy)
        rss = yvy - float(beta @ xvy)
        dof = n - p if reml else n
        sigma2 = rss / dof
        objective = dof * np.log(sigma2) + float(np.log1p(size * rho).sum())
        if reml:
            objective += float(np.linalg.slogdet(xvx)[1])
        return objective, sigma2, beta

    search = optimize.minimize_scalar(
        lambda t: solve(float(np.exp(t)))[0],
        bounds=(-30.0, 15.0),
        method="bounded",
        options={"xatol": 1e-12, "maxiter": 500},
    )
    rho = float(np.exp(search.x))
    found = [] if search.success else [str(search.message)]
    if solve(0.0)[0] <= solve(rho)[0]:
        rho = 0.0
        found.append("the random-intercept variance is on the boundary (0)")
    _, sigma2, beta = solve(rho)
    return _ProfileFit(rho, sigma2, beta, bool(search.success), found)
