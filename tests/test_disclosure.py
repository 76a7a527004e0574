"""Secondary suppression: no withheld count can be recovered from a published total."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ips_outcomes.disclosure import disclosure_violations, secondary_suppression
from ips_outcomes.results import RESULT_SCHEMA

Cell = tuple[str, str, float | None, int | None]  # grouping, group, count, n


def _results(cells: list[Cell], analysis: str = "employment") -> pl.DataFrame:
    """A count and a proportion row for each cell, as the primary rule leaves them."""
    rows = []
    for grouping, group, count, n in cells:
        share = None if count is None or not n else count / n
        for statistic, estimate in (("count", count), ("proportion", share)):
            ci = (None, None) if statistic == "count" or share is None else (0.0, 1.0)
            rows.append(
                {
                    "analysis": analysis,
                    "outcome": "employed",
                    "window": "12m",
                    "population": "complete_followup",
                    "grouping": grouping,
                    "group": group,
                    "statistic": statistic,
                    "estimate": estimate,
                    "ci_lower": ci[0],
                    "ci_upper": ci[1],
                    "n": n,
                    "suppressed": estimate is None,
                }
            )
    return pl.DataFrame(rows, schema=RESULT_SCHEMA)


def _column(frame: pl.DataFrame, statistic: str, column: str = "estimate") -> list[object]:
    return frame.filter(pl.col("statistic") == statistic)[column].to_list()


# IPS has 33 employed of 100: site A's 3 of 20 are withheld; B and C are published.
ONE_SITE_WITHHELD: list[Cell] = [
    ("service", "IPS", 33.0, 100),
    ("site|service", "A|IPS", None, 20),
    ("site|service", "B|IPS", 9.0, 30),
    ("site|service", "C|IPS", 21.0, 50),
]


def test_the_next_smallest_site_and_its_proportion_are_withheld() -> None:
    out = secondary_suppression(_results(ONE_SITE_WITHHELD), 5)
    assert _column(out, "count") == [33.0, None, None, 21.0]
    assert _column(out, "proportion") == [0.33, None, None, 0.42]
    assert _column(out, "proportion", "ci_lower") == [0.0, None, None, 0.0]
    assert _column(out, "count", "suppressed") == [False, True, True, False]
    assert _column(out, "proportion", "suppressed") == [False, True, True, False]
    assert _column(out, "count", "n") == [100, 20, 30, 50]  # the denominators add up: kept
    assert out.columns == list(RESULT_SCHEMA)
    assert out.dtypes == list(RESULT_SCHEMA.values())


def test_row_order_is_kept() -> None:
    table = _results(ONE_SITE_WITHHELD)
    shuffled = table.reverse()
    out = secondary_suppression(shuffled, 5)
    assert out.select("group", "statistic").equals(shuffled.select("group", "statistic"))
    assert out.reverse().equals(secondary_suppression(table, 5))


def test_two_withheld_sites_need_nothing_more() -> None:
    table = _results(
        [
            ("service", "IPS", 33.0, 100),
            ("site|service", "A|IPS", None, 20),
            ("site|service", "B|IPS", None, 30),
            ("site|service", "C|IPS", 26.0, 50),
        ]
    )
    assert secondary_suppression(table, 5).equals(table)


def test_a_withheld_site_that_is_its_service_cascades_to_the_other_level() -> None:
    # IPS has one site, so withholding A withholds the IPS total; IPS is then the one
    # withheld service under `all`, so TAU goes too, and then TAU's smaller site D.
    cells: list[Cell] = [
        ("all", "all", 60.0, 130),
        ("service", "IPS", 33.0, 35),
        ("service", "TAU", 27.0, 95),
        ("site|service", "A|IPS", None, 35),
        ("site|service", "C|TAU", 20.0, 60),
        ("site|service", "D|TAU", 7.0, 35),
    ]
    out = secondary_suppression(_results(cells), 5)
    assert _column(out, "count") == [60.0, None, None, None, 20.0, None]
    assert _column(out, "proportion") == [60 / 130, None, None, None, 20 / 60, None]
    assert _column(out, "count", "n") == [130, 35, 95, 35, 60, 35]
    assert secondary_suppression(out, 5).equals(out)


def test_a_withheld_service_cascades_down_to_its_sites() -> None:
    cells: list[Cell] = [
        ("all", "all", 60.0, 130),
        ("service", "IPS", 56.0, 100),
        ("service", "TAU", None, 30),
        ("site|service", "A|IPS", 30.0, 50),
        ("site|service", "B|IPS", 26.0, 50),
        ("site|service", "C|TAU", None, 30),
    ]
    out = secondary_suppression(_results(cells), 5)
    # IPS is withheld beside TAU; IPS's parts would then add up to it, so B (26 < 30) goes
    assert _column(out, "count") == [60.0, None, None, 30.0, None, None]


def test_a_withheld_total_with_a_withheld_part_is_left_alone() -> None:
    table = _results(
        [
            ("service", "IPS", None, 40),
            ("site|service", "A|IPS", None, 20),
            ("site|service", "B|IPS", 0.0, 20),
        ]
    )
    assert secondary_suppression(table, 5).equals(table)


def test_withheld_denominators_are_protected_as_counts_too() -> None:
    # A's denominator (3) is withheld, and with it A's count (2) and proportion.
    cells: list[Cell] = [
        ("service", "IPS", 30.0, 83),
        ("site|service", "A|IPS", None, None),
        ("site|service", "B|IPS", 20.0, 30),
        ("site|service", "C|IPS", 8.0, 50),
    ]
    out = secondary_suppression(_results(cells), 5)
    # counts: C (8) is the smallest part; denominators: B (30) is; both proportions go
    assert _column(out, "count") == [30.0, None, 20.0, None]
    assert _column(out, "count", "n") == [83, None, None, 50]
    assert _column(out, "proportion", "n") == [83, None, None, 50]
    assert _column(out, "proportion") == [30 / 83, None, None, None]
    # a row that only loses its n keeps its (published) estimate and its flag
    assert _column(out, "count", "suppressed") == [False, True, False, True]


def test_a_zero_is_withheld_only_when_no_positive_part_is_left() -> None:
    cells: list[Cell] = [
        ("service", "IPS", 13.0, 60),
        ("site|service", "A|IPS", None, 20),
        ("site|service", "B|IPS", 0.0, 20),
        ("site|service", "C|IPS", 10.0, 20),
    ]
    assert _column(secondary_suppression(_results(cells), 5), "count") == [13.0, None, 0.0, None]


def test_ties_go_to_the_first_group_by_name() -> None:
    cells: list[Cell] = [
        ("service", "IPS", 23.0, 60),
        ("site|service", "A|IPS", None, 20),
        ("site|service", "C|IPS", 10.0, 20),
        ("site|service", "B|IPS", 10.0, 20),
    ]
    assert _column(secondary_suppression(_results(cells), 5), "count") == [23.0, None, 10.0, None]


def test_applying_it_twice_is_applying_it_once() -> None:
    once = secondary_suppression(_results(ONE_SITE_WITHHELD), 5)
    assert secondary_suppression(once, 5).equals(once)


def test_violations_name_each_kind_of_leak() -> None:
    table = _results(ONE_SITE_WITHHELD)
    lone = disclosure_violations(table, 5)
    assert lone == [
        "lone withheld cell: employment/employed/12m/complete_followup/site|service=A|IPS/count"
        " estimate (family of employment/employed/12m/complete_followup/service=IPS/count"
        " estimate)"
    ]
    small = table.with_columns(
        pl.when(pl.col("group") == "B|IPS").then(3).otherwise(pl.col("n")).alias("n")
    )
    assert [v for v in disclosure_violations(small, 5) if v.startswith("small")] == [
        "small count: employment/employed/12m/complete_followup/site|service=B|IPS/count n 3",
        "small count: employment/employed/12m/complete_followup/site|service=B|IPS/proportion n 3",
    ]
    extremes = table.with_columns(
        pl.when(pl.col("statistic") == "proportion")
        .then(pl.lit("max_days"))
        .otherwise(pl.col("statistic"))
        .alias("statistic")
    ).filter(pl.col("group") == "C|IPS")
    assert disclosure_violations(extremes, 5) == [
        "minimum or maximum published: employment/employed/12m/complete_followup/"
        "site|service=C|IPS/max_days"
    ]
    orphan = table.filter(pl.col("group") == "B|IPS").with_columns(
        pl.when(pl.col("statistic") == "count").then(None).otherwise("estimate").alias("estimate")
    )
    assert disclosure_violations(orphan, 5) == [
        "proportion of a withheld count: employment/employed/12m/complete_followup/"
        "site|service=B|IPS/proportion"
    ]
    assert disclosure_violations(secondary_suppression(table, 5), 5) == []


def test_identities_protect_the_people_left_out() -> None:
    frame = _results([("service", "IPS", 30.0, 97)])
    cohort = frame.head(1).with_columns(
        analysis=pl.lit("cohort"),
        statistic=pl.lit("n"),
        estimate=pl.lit(100.0),
        n=pl.lit(100, pl.Int64),
    )
    excluded = frame.head(1).with_columns(
        statistic=pl.lit("excluded"), estimate=None, suppressed=True
    )
    table = pl.concat([cohort, frame, excluded])
    assert disclosure_violations(table, 5) == []  # the hierarchy alone sees nothing
    assert len(disclosure_violations(table, 5, identities=True)) == 1
    out = secondary_suppression(table, 5, identities=True)
    # 100 - 97 would give the 3 excluded back: the outcome's n and its proportion go
    assert out["n"].to_list() == [100, None, None, None]
    assert out["estimate"].to_list() == [100.0, 30.0, None, None]
    assert disclosure_violations(out, 5, identities=True) == []


def test_identities_protect_the_risk_table() -> None:
    # 40 people: at 6 months 30 at risk, 7 had a job, so the withheld censored are 40 - 37
    rows = [
        (None, "n", 40.0),
        ("6m", "at_risk", 30.0),
        ("6m", "cumulative_events", 7.0),
        ("6m", "cumulative_censored", None),
    ]
    table = pl.DataFrame(
        [
            {
                "analysis": "survival",
                "outcome": "first_job",
                "window": window,
                "population": "out_of_work_at_entry",
                "grouping": "service",
                "group": "IPS",
                "statistic": statistic,
                "estimate": estimate,
                "n": 40,
                "suppressed": estimate is None,
            }
            for window, statistic, estimate in rows
        ],
        schema=RESULT_SCHEMA,
    )
    assert secondary_suppression(table, 5).equals(table)
    out = secondary_suppression(table, 5, identities=True)
    assert out["estimate"].to_list() == [40.0, 30.0, None, None]
    assert out["suppressed"].to_list() == [False, False, True, True]


def _random_results(seed: int) -> pl.DataFrame:
    """Primary-suppressed counts, proportions, excluded and cohort sizes of a random cohort."""
    rng = np.random.default_rng(seed)
    sites, services = ["Bergen", "Malmö", "Tampere", "Åbo"], ["IPS", "TAU", "VR"]
    size = rng.integers(0, 14, size=(len(sites), len(services)))

    def small(value: int) -> bool:
        return 0 < value < 5

    def levels(grid: np.ndarray) -> list[tuple[str, str, int]]:
        cells = [("all", "all", int(grid.sum()))]
        cells += [("service", s, int(grid[:, j].sum())) for j, s in enumerate(services)]
        cells += [
            ("site|service", f"{site}|{s}", int(grid[i, j]))
            for i, site in enumerate(sites)
            for j, s in enumerate(services)
        ]
        return cells

    rows: list[tuple[object, ...]] = []
    for grouping, group, n in levels(size):
        shown = None if small(n) else float(n)
        rows.append(
            ("cohort", "participants", None, None, grouping, group, "n", shown, shown and n)
        )
    for outcome in ("employed", "new_job"):
        for window in ("6m", "12m"):
            excluded = rng.binomial(size, 0.15)
            k = rng.binomial(size - excluded, 0.4)
            cells = zip(levels(size - excluded), levels(k), levels(excluded), strict=True)
            for (grouping, group, n), (_, _, count), (_, _, left_out) in cells:
                hide = small(count) or small(n - count) or small(n)
                key = ("employment", outcome, window, "complete_followup", grouping, group)
                rows += [
                    (*key, "count", None if hide else float(count), None if small(n) else n),
                    (
                        *key,
                        "proportion",
                        None if hide or n == 0 else count / n,
                        None if small(n) else n,
                    ),
                    (
                        *key,
                        "excluded",
                        None if small(left_out) else float(left_out),
                        None if small(n) else n,
                    ),
                ]
    columns = ["analysis", "outcome", "window", "population", "grouping", "group"]
    frame = pl.DataFrame(
        rows, schema=[*columns, "statistic", "estimate", "n"], orient="row"
    ).with_columns(
        ci_lower=pl.col("estimate") * 0.8,
        ci_upper=pl.col("estimate") * 1.2,
        suppressed=pl.col("estimate").is_null() & (pl.col("statistic") != "proportion"),
    )
    frame = frame.with_columns(
        pl.when(pl.col("statistic") == "proportion")
        .then(pl.col("estimate").is_null() & (pl.col("n").is_null() | (pl.col("n") > 0)))
        .otherwise("suppressed")
        .alias("suppressed")
    )
    return frame.select(pl.col(c).cast(t) for c, t in RESULT_SCHEMA.items())


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("identities", [False, True])
def test_random_tables_are_safe_after_secondary_suppression(seed: int, identities: bool) -> None:
    table = _random_results(seed)
    out = secondary_suppression(table, 5, identities=identities)
    assert disclosure_violations(out, 5, identities=identities) == []
    assert secondary_suppression(out, 5, identities=identities).equals(out)
    # it only ever withholds: nothing published is changed, nothing withheld comes back
    published = out["estimate"].is_not_null()
    assert (out["estimate"].filter(published) == table["estimate"].filter(published)).all()
    assert (table["estimate"].is_null() <= out["estimate"].is_null()).all()
    assert (table["n"].is_null() <= out["n"].is_null()).all()
