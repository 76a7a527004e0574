"""IPS-25 fidelity scoring, and the correlation of fidelity with site employment rates.

The IPS-25 scale has 25 items scored 1-5 (total 25-125) in three sections: staffing (S1-S3),
organisation (O1-O8) and services (V1-V14). Bands: exemplary 115-125, good 100-114, fair 74-99,
below 74 "not IPS". Published site-level correlations of fidelity with employment rates are
r = .34 (Bond et al. 2012, 79 sites), .27 (Kim et al. 2015) and .36 (Lockett et al. 2018, UK).

Examples
--------
>>> import datetime as dt
>>> reviews = pl.DataFrame({
...     "site": "Tampere", "review_date": dt.date(2024, 5, 2),
...     "item": list(FIDELITY_ITEMS), "score": [5] * 23 + [2, 1],
... })
>>> score_reviews(reviews).select("total", "band", "items_below_3").row(0)
(118, 'exemplary', 'V13,V14')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from ips_outcomes.contract import FIDELITY_ITEMS
from ips_outcomes.i18n import Message, Translator, count, num

#: Section of each item: staffing (S), organisation (O), services (V).
SECTIONS: dict[str, str] = {"S": "staffing", "O": "organisation", "V": "services"}

#: Fidelity bands, highest first: name and lowest total (complete reviews only).
BANDS: tuple[tuple[str, int], ...] = (("exemplary", 115), ("good", 100), ("fair", 74))
BELOW_BANDS = "not IPS"


@dataclass(frozen=True)
class PublishedCorrelation:
    """A published site-level correlation of IPS fidelity with the employment rate."""

    study: str
    r: float
    n_sites: int | None
    setting: str


#: Published comparisons (from the project's IPS brief); site counts only where it gives them.
PUBLISHED_CORRELATIONS: tuple[PublishedCorrelation, ...] = (
    PublishedCorrelation("Bond et al. 2012", 0.34, 79, "US"),
    PublishedCorrelation("Kim et al. 2015", 0.27, None, "US"),
    PublishedCorrelation("Lockett et al. 2018", 0.36, None, "UK"),
)


def score_reviews(fidelity: pl.DataFrame) -> pl.DataFrame:
    """Score each site's IPS-25 reviews: totals, section sub-totals, band and weak items.

    An incomplete review (fewer than 25 items scored; rows with a null score count as not
    scored) keeps the sum of the items it has as its total and sub-totals, but `complete` is
    false and `band` is null: the bands are defined on the full scale only.

    Parameters
    ----------
    fidelity
        The ingested `fidelity` table: site, review_date, item (S1..S3, O1..O8, V1..V14),
        score (1-5). Each (site, review_date, item) at most once.

    Returns
    -------
    pl.DataFrame
        One row per site and review date, sorted: site, review_date, total, staffing,
        organisation, services, items_scored, complete, band, items_below_3 (the items scoring
        1 or 2, comma-separated in scale order; empty string when none).

    Raises
    ------
    ValueError
        On an unknown item code, a score outside 1-5, or a duplicated item within a review.

    Examples
    --------
    >>> import datetime as dt
    >>> partial = pl.DataFrame({"site": "A", "review_date": dt.date(2024, 1, 1),
    ...                         "item": ["S1", "O1", "V1"], "score": [4, 2, 5]})
    >>> score_reviews(partial).select("total", "items_scored", "complete", "band").row(0)
    (11, 3, False, None)
    """
    unknown = sorted(set(fidelity["item"].drop_nulls().to_list()) - set(FIDELITY_ITEMS))
    if unknown or fidelity["item"].null_count():
        raise ValueError(f"item codes must be IPS-25 items (S1-S3, O1-O8, V1-V14): {unknown}")
    scored = fidelity.filter(pl.col("score").is_not_null())
    if not scored["score"].is_between(1, 5).all():
        raise ValueError("scores must be integers 1-5")
    if scored.select("site", "review_date", "item").is_duplicated().any():
        raise ValueError("each item must be scored at most once per site and review")
    order = {item: i for i, item in enumerate(FIDELITY_ITEMS)}
    scored = scored.with_columns(
        pl.col("score").cast(pl.Int64),
        position=pl.col("item").replace_strict(order, return_dtype=pl.Int64),
        section=pl.col("item").str.slice(0, 1),
    ).sort("position")
    sub_totals = {
        name: pl.col("score").filter(pl.col("section") == code).sum()
        for code, name in SECTIONS.items()
    }
    # rows are in scale order, and group_by keeps row order within each group
    weak = pl.col("item").filter(pl.col("score") < 3)
    reviews = (
        scored.group_by("site", "review_date")
        .agg(
            total=pl.col("score").sum(),
            **sub_totals,
            items_scored=pl.len().cast(pl.Int64),
            items_below_3=weak.str.join(","),
        )
        .with_columns(complete=pl.col("items_scored") == len(FIDELITY_ITEMS))
    )
    band: pl.Expr = pl.lit(BELOW_BANDS)
    for name, lowest in reversed(BANDS):
        band = pl.when(pl.col("total") >= lowest).then(pl.lit(name)).otherwise(band)
    return (
        reviews.with_columns(band=pl.when(pl.col("complete")).then(band))
        .select(
            "site",
            "review_date",
            "total",
            *SECTIONS.values(),
            "items_scored",
            "complete",
            "band",
            "items_below_3",
        )
        .sort("site", "review_date")
    )


def latest_reviews(scored: pl.DataFrame) -> pl.DataFrame:
    """Each site's latest complete review, from `score_reviews` output.

    Sites whose reviews are all incomplete are left out.

    Examples
    --------
    >>> import datetime as dt
    >>> scored = pl.DataFrame({"site": ["A", "A", "A"], "total": [90, 101, 60],
    ...     "review_date": [dt.date(2023, 1, 1), dt.date(2024, 1, 1), dt.date(2025, 1, 1)],
    ...     "complete": [True, True, False]})
    >>> latest_reviews(scored)["total"].to_list()
    [101]
    """
    complete = scored.filter(pl.col("complete"))
    return complete.filter(pl.col("review_date") == pl.col("review_date").max().over("site")).sort(
        "site"
    )


@dataclass(frozen=True)
class FidelityCorrelation:
    """Site-level Pearson correlation of the employment rate with the IPS-25 total.

    `ci_low`/`ci_high` are the 95 % CI by Fisher's z (``tanh(atanh r +- 1.96/sqrt(n - 3))``);
    `p` is the two-sided t-test of r = 0. `slope` and `intercept` are the OLS line
    ``rate = intercept + slope * total`` (rate in the units given, per fidelity point).
    `unmatched` lists sites with a rate but no complete review (left out).
    """

    n_sites: int
    n_people: int
    r: float
    ci_low: float
    ci_high: float
    p: float
    slope: float
    intercept: float
    sites: tuple[str, ...]
    unmatched: tuple[str, ...]
    messages: tuple[Message, ...]

    @property
    def note(self) -> str:
        """The reading in English (the report renders `messages` in its own language)."""
        return Translator("en").render_all(self.messages)


def fidelity_outcome_correlation(
    site_rates: pl.DataFrame, scored: pl.DataFrame
) -> FidelityCorrelation:
    """Correlate site employment rates with each site's latest complete fidelity total.

    Sites are unweighted, as in the published studies; `n` (people behind each rate) only
    feeds `n_people`. Sites with a null rate or n = 0 are left out.

    Parameters
    ----------
    site_rates
        Columns site, rate, n.
    scored
        `score_reviews` output (all reviews; the latest complete one per site is used).

    Raises
    ------
    ValueError
        With fewer than 4 sites (the Fisher-z CI needs n > 3), or when rates or totals are all
        equal (r undefined).

    Examples
    --------
    >>> import datetime as dt
    >>> scored = pl.DataFrame({"site": list("ABCDE"), "review_date": dt.date(2024, 1, 1),
    ...     "total": [80, 95, 100, 110, 120], "complete": True})
    >>> rates = pl.DataFrame({"site": list("ABCDE"), "rate": [0.3, 0.35, 0.33, 0.45, 0.5],
    ...     "n": [40, 50, 60, 30, 45]})
    >>> c = fidelity_outcome_correlation(rates, scored)
    >>> c.n_sites, c.n_people, round(c.r, 3), round(c.ci_low, 3), round(c.ci_high, 3)
    (5, 225, 0.934, 0.297, 0.996)
    """
    rates = site_rates.filter(pl.col("rate").is_not_null() & (pl.col("n") > 0))
    latest = latest_reviews(scored).select("site", "total")
    joined = rates.join(latest, on="site", how="inner").sort("site")
    unmatched = sorted(set(rates["site"].to_list()) - set(joined["site"].to_list()))
    n = joined.height
    if n < 4:
        raise ValueError(f"need at least 4 sites with a rate and a complete review, got {n}")
    rate = joined["rate"].cast(pl.Float64).to_numpy()
    total = joined["total"].cast(pl.Float64).to_numpy()
    if np.ptp(rate) == 0 or np.ptp(total) == 0:
        raise ValueError("rates and fidelity totals must vary across sites")
    result = stats.pearsonr(total, rate)
    r = float(result.statistic)
    z, half = math.atanh(min(max(r, -1 + 1e-15), 1 - 1e-15)), 1.959963984540054 / math.sqrt(n - 3)
    low, high = math.tanh(z - half), math.tanh(z + half)
    fit = stats.linregress(total, rate)
    return FidelityCorrelation(
        n_sites=n,
        n_people=int(joined["n"].sum()),
        r=r,
        ci_low=low,
        ci_high=high,
        p=float(result.pvalue),
        slope=float(fit.slope),
        intercept=float(fit.intercept),
        sites=tuple(str(s) for s in joined["site"].to_list()),
        unmatched=tuple(str(s) for s in unmatched),
        messages=_note(n, r, low, high),
    )


CORRELATION = "{n} sites: r = {r} (95 % CI {low} to {high}, Fisher z)."
WIDE = {
    (
        True,
        True,
    ): "With so few sites the interval is wide; it includes the published r = {published} "
    "and zero.",
    (True, False): "With so few sites the interval is wide; it includes the published "
    "r = {published}.",
    (False, True): "With so few sites the interval is wide; it excludes the published "
    "r = {published} but includes zero.",
    (False, False): "With so few sites the interval is wide; it excludes the published "
    "r = {published}.",
}
NOT_ESTIMATED = "No correlation with employment was estimated: {why}"
#: Every sentence of the correlation's reading (for the translation catalogues).
MESSAGES: tuple[str, ...] = (CORRELATION, *WIDE.values(), NOT_ESTIMATED)


def _note(n: int, r: float, low: float, high: float) -> tuple[Message, ...]:
    """Read the correlation beside the published ones."""
    found = [Message(CORRELATION, {"n": count(n), "r": num(r), "low": num(low), "high": num(high)})]
    published = [p.r for p in PUBLISHED_CORRELATIONS]
    if high - low > 0.5:
        inside = low <= min(published) and max(published) <= high
        sentence = WIDE[inside, low <= 0 <= high]
        found.append(Message(sentence, {"published": num((min(published), max(published)))}))
    return tuple(found)
