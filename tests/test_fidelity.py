"""IPS-25 scoring and the fidelity-outcome correlation, on hand-made reviews."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from scipy import stats

from ips_outcomes.contract import FIDELITY_ITEMS, TABLES
from ips_outcomes.fidelity import (
    PUBLISHED_CORRELATIONS,
    fidelity_outcome_correlation,
    latest_reviews,
    score_reviews,
)

DAY = dt.date(2024, 5, 2)


def _review(scores: list[int], site: str = "A", date: dt.date = DAY) -> pl.DataFrame:
    """One review scoring the items in scale order (fewer scores: the first items only)."""
    return pl.DataFrame(
        {
            "site": site,
            "review_date": date,
            "item": list(FIDELITY_ITEMS[: len(scores)]),
            "score": scores,
        },
        schema=TABLES["fidelity"].polars_schema,
    )


def _with_total(total: int) -> list[int]:
    """25 scores summing to `total`: fives first, then the rest spread as evenly as possible."""
    base, extra = divmod(total, 25)
    return [base + 1] * extra + [base] * (25 - extra)


def test_full_review_scoring_all_fives_is_exemplary_125() -> None:
    row = score_reviews(_review([5] * 25)).row(0, named=True)
    assert row == {
        "site": "A",
        "review_date": DAY,
        "total": 125,
        "staffing": 15,
        "organisation": 40,
        "services": 70,
        "items_scored": 25,
        "complete": True,
        "band": "exemplary",
        "items_below_3": "",
    }


def test_all_ones_is_not_ips_and_lists_every_item() -> None:
    row = score_reviews(_review([1] * 25)).row(0, named=True)
    assert (row["total"], row["band"]) == (25, "not IPS")
    assert row["items_below_3"] == ",".join(FIDELITY_ITEMS)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (125, "exemplary"),
        (115, "exemplary"),
        (114, "good"),
        (100, "good"),
        (99, "fair"),
        (74, "fair"),
        (73, "not IPS"),
        (25, "not IPS"),
    ],
)
def test_band_boundaries(total: int, band: str) -> None:
    scores = _with_total(total)
    assert sum(scores) == total
    row = score_reviews(_review(scores)).row(0, named=True)
    assert (row["total"], row["band"]) == (total, band)


def test_sub_totals_follow_sections() -> None:
    scores = [1, 2, 3] + [4] * 8 + [5] * 14
    row = score_reviews(_review(scores)).row(0, named=True)
    assert (row["staffing"], row["organisation"], row["services"]) == (6, 32, 70)
    assert row["total"] == 108
    assert row["band"] == "good"


def test_items_below_3_are_listed_in_scale_order_whatever_the_row_order() -> None:
    scores = [5] * 25
    for item in ("S2", "O8", "V2", "V10", "V14"):
        scores[FIDELITY_ITEMS.index(item)] = 2 if item != "V10" else 1
    review = _review(scores).reverse()  # V14 first: string order would also misplace V10
    row = score_reviews(review).row(0, named=True)
    assert row["items_below_3"] == "S2,O8,V2,V10,V14"
    assert row["total"] == 125 - 4 * 3 - 4


def test_missing_items_keep_the_sum_but_have_no_band() -> None:
    review = _review([5] * 25).filter(~pl.col("item").is_in(["O3", "V7"]))
    row = score_reviews(review).row(0, named=True)
    assert (row["total"], row["items_scored"], row["complete"], row["band"]) == (
        115,
        23,
        False,
        None,
    )
    assert (row["staffing"], row["organisation"], row["services"]) == (15, 35, 65)


def test_null_score_counts_as_not_scored() -> None:
    review = _review([4] * 25).with_columns(
        score=pl.when(pl.col("item") == "V1").then(None).otherwise(pl.col("score"))
    )
    row = score_reviews(review).row(0, named=True)
    assert (row["total"], row["items_scored"], row["band"]) == (96, 24, None)


def test_reviews_are_scored_separately_and_sorted() -> None:
    reviews = pl.concat(
        [
            _review([4] * 25, site="B"),
            _review([5] * 25, site="A", date=dt.date(2025, 1, 1)),
            _review([3] * 25, site="A", date=dt.date(2023, 1, 1)),
        ]
    )
    scored = score_reviews(reviews)
    assert scored.select("site", "total").rows() == [("A", 75), ("A", 125), ("B", 100)]


def test_empty_table_gives_empty_typed_frame() -> None:
    scored = score_reviews(pl.DataFrame(schema=TABLES["fidelity"].polars_schema))
    assert scored.height == 0
    assert scored.schema["band"] == pl.String
    assert scored.schema["total"] == pl.Int64


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("item", "V15", "item codes"), ("score", 6, "scores"), ("score", 0, "scores")],
)
def test_rejects_bad_rows(column: str, value: object, message: str) -> None:
    review = _review([3] * 25).with_columns(
        pl.when(pl.col("item") == "S1").then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(ValueError, match=message):
        score_reviews(review)


def test_rejects_duplicated_item() -> None:
    review = _review([3] * 25)
    with pytest.raises(ValueError, match="at most once"):
        score_reviews(pl.concat([review, review.head(1)]))


def test_latest_complete_review_per_site() -> None:
    reviews = pl.concat(
        [
            _review([3] * 25, site="A", date=dt.date(2023, 1, 1)),
            _review([4] * 25, site="A", date=dt.date(2024, 1, 1)),
            _review([5] * 20, site="A", date=dt.date(2025, 1, 1)),  # incomplete: ignored
            _review([5] * 25, site="B", date=dt.date(2022, 6, 1)),
            _review([5] * 10, site="C", date=dt.date(2025, 1, 1)),  # never complete
        ]
    )
    latest = latest_reviews(score_reviews(reviews))
    assert latest.select("site", "review_date", "total").rows() == [
        ("A", dt.date(2024, 1, 1), 100),
        ("B", dt.date(2022, 6, 1), 125),
    ]


SITES = ["Bergen", "Jyväskylä", "Malmö", "Tampere", "Tromsø", "Åbo", "Oulu"]
TOTALS = [97, 108, 101, 115, 88, 109, 76]
RATES = [0.41, 0.38, 0.47, 0.52, 0.30, 0.36, 0.33]
NS = [69, 48, 50, 96, 73, 57, 40]


def _scored() -> pl.DataFrame:
    reviews = [_review(_with_total(t), site=s) for s, t in zip(SITES, TOTALS, strict=True)]
    old = _review(_with_total(60), site="Bergen", date=dt.date(2020, 1, 1))
    return score_reviews(pl.concat([*reviews, old]))


def _rates() -> pl.DataFrame:
    return pl.DataFrame({"site": [*SITES, "Lund"], "rate": [*RATES, 0.5], "n": [*NS, 20]})


def test_correlation_matches_scipy_and_hand_fisher_z() -> None:
    c = fidelity_outcome_correlation(_rates(), _scored())
    expected = stats.pearsonr(TOTALS, RATES)
    assert c.r == pytest.approx(expected.statistic, rel=1e-12)
    assert c.p == pytest.approx(expected.pvalue, rel=1e-12)
    z, half = math.atanh(c.r), 1.959963984540054 / math.sqrt(len(SITES) - 3)
    assert c.ci_low == pytest.approx(math.tanh(z - half), rel=1e-12)
    assert c.ci_high == pytest.approx(math.tanh(z + half), rel=1e-12)
    scipy_ci = expected.confidence_interval(0.95)
    assert (c.ci_low, c.ci_high) == pytest.approx((scipy_ci.low, scipy_ci.high), rel=1e-9)
    fit = stats.linregress(TOTALS, RATES)
    assert (c.slope, c.intercept) == pytest.approx((fit.slope, fit.intercept), rel=1e-12)
    assert c.n_sites == len(SITES)
    assert c.n_people == sum(NS)
    assert c.sites == tuple(sorted(SITES))
    assert c.unmatched == ("Lund",)


def test_few_sites_note_says_the_interval_is_wide() -> None:
    c = fidelity_outcome_correlation(_rates(), _scored())
    assert c.ci_high - c.ci_low > 0.5
    assert c.note.startswith(f"{len(SITES)} sites: r = {c.r:.2f}")
    assert "interval is wide" in c.note


def test_many_sites_note_has_no_warning() -> None:
    n = 200
    sites = [f"S{i:03d}" for i in range(n)]
    totals = [70 + (i * 37) % 55 for i in range(n)]
    rates = [0.2 + 0.004 * t + 0.05 * math.sin(i) for i, t in enumerate(totals)]
    scored = score_reviews(
        pl.concat([_review(_with_total(t), site=s) for s, t in zip(sites, totals, strict=True)])
    )
    c = fidelity_outcome_correlation(
        pl.DataFrame({"site": sites, "rate": rates, "n": [30] * n}), scored
    )
    assert c.ci_high - c.ci_low < 0.5
    assert "wide" not in c.note


def test_too_few_sites_or_no_variation_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least 4 sites"):
        fidelity_outcome_correlation(_rates().head(3), _scored())
    flat = _rates().with_columns(rate=pl.lit(0.4))
    with pytest.raises(ValueError, match="vary"):
        fidelity_outcome_correlation(flat, _scored())


def test_sites_with_null_rate_or_no_people_are_left_out() -> None:
    rates = _rates().with_columns(
        rate=pl.when(pl.col("site") == "Oulu").then(None).otherwise(pl.col("rate")),
        n=pl.when(pl.col("site") == "Åbo").then(0).otherwise(pl.col("n")),
    )
    c = fidelity_outcome_correlation(rates, _scored())
    assert c.n_sites == len(SITES) - 2
    assert "Oulu" not in c.sites
    assert "Åbo" not in c.sites


def test_published_correlations() -> None:
    assert [(p.study, p.r) for p in PUBLISHED_CORRELATIONS] == [
        ("Bond et al. 2012", 0.34),
        ("Kim et al. 2015", 0.27),
        ("Lockett et al. 2018", 0.36),
    ]
    assert PUBLISHED_CORRELATIONS[0].n_sites == 79
