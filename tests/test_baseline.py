"""Table 1: baseline statistics, SMDs and suppression, checked by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl
import pytest

from ips_outcomes.baseline import (
    baseline_results,
    complementary_suppression,
    level_order,
    smd_categorical,
)
from ips_outcomes.results import RESULT_SCHEMA, SORT_KEY


def _get(results: pl.DataFrame, outcome: str, group: str, statistic: str) -> dict[str, object]:
    rows = results.filter(
        (pl.col("outcome") == outcome)
        & (pl.col("group") == group)
        & (pl.col("statistic") == statistic)
    )
    assert rows.height == 1, (outcome, group, statistic)
    return rows.row(0, named=True)


def _ages() -> pl.DataFrame:
    # IPS: 6 people, ages 20..70. TAU: 10 people, 5 with ages 30..70 and 5 unknown.
    return pl.DataFrame(
        {
            "service": ["IPS"] * 6 + ["TAU"] * 10,
            "age_at_enrolment": [20.0, 30, 40, 50, 60, 70, 30, 40, 50, 60, 70] + [None] * 5,
        }
    )


def test_continuous_statistics_by_hand() -> None:
    out = baseline_results(_ages(), "IPS", 5, ["age_at_enrolment"])
    ips = {s: _get(out, "age_at_enrolment", "IPS", s) for s in ("mean", "sd", "median", "q1", "q3")}
    # IPS mean 270 / 6 = 45; squared deviations 625+225+25+25+225+625 = 1750, / 5 = 350.
    assert ips["mean"]["estimate"] == pytest.approx(45.0)
    assert ips["sd"]["estimate"] == pytest.approx(math.sqrt(350))
    # Type 7 quartiles: position 1 + 0.25 * 5 = 2.25 -> 30 + 0.25 * 10 = 32.5; 4.75 -> 57.5.
    assert ips["median"]["estimate"] == pytest.approx(45.0)
    assert ips["q1"]["estimate"] == pytest.approx(32.5)
    assert ips["q3"]["estimate"] == pytest.approx(57.5)
    assert all(r["n"] == 6 and r["suppressed"] is False for r in ips.values())
    assert all(r["grouping"] == "service" and r["window"] is None for r in ips.values())
    # TAU known values 30..70: mean 50, SD sqrt(1000 / 4), quartiles 40 and 60; 5 missing.
    assert _get(out, "age_at_enrolment", "TAU", "mean")["estimate"] == pytest.approx(50.0)
    assert _get(out, "age_at_enrolment", "TAU", "sd")["estimate"] == pytest.approx(math.sqrt(250))
    assert _get(out, "age_at_enrolment", "TAU", "q1")["estimate"] == pytest.approx(40.0)
    assert _get(out, "age_at_enrolment", "TAU", "q3")["estimate"] == pytest.approx(60.0)
    n = _get(out, "age_at_enrolment", "TAU", "n")
    missing = _get(out, "age_at_enrolment", "TAU", "missing")
    assert (n["estimate"], n["n"]) == (5.0, 5)
    assert (missing["estimate"], missing["n"], missing["suppressed"]) == (5.0, 10, False)
    # SMD = (45 - 50) / sqrt((350 + 250) / 2) = -5 / sqrt(300) = -0.288675...
    smd = _get(out, "age_at_enrolment", "IPS vs TAU", "smd")
    assert smd["estimate"] == pytest.approx(-5 / math.sqrt(300))
    assert smd["estimate"] == pytest.approx(-0.2886751)
    assert (smd["grouping"], smd["n"], smd["suppressed"]) == ("comparison", 16, False)
    participants = _get(out, "participants", "TAU", "n")
    assert (participants["estimate"], participants["grouping"]) == (10.0, "service")


def test_binary_counts_proportions_and_smd_by_hand() -> None:
    people = pl.DataFrame(
        {
            "service": ["IPS"] * 20 + ["TAU"] * 20,
            "worked_last_5y": [True] * 8 + [False] * 12 + [True] * 5 + [False] * 15,
        }
    )
    out = baseline_results(people, "IPS", 5, ["worked_last_5y"])
    count = _get(out, "worked_last_5y", "IPS|true", "count")
    share = _get(out, "worked_last_5y", "IPS|true", "proportion")
    assert (count["estimate"], count["n"], count["grouping"]) == (8.0, 20, "service|level")
    assert (share["estimate"], share["n"]) == (pytest.approx(0.4), 20)
    assert _get(out, "worked_last_5y", "TAU|false", "count")["estimate"] == 15.0
    # p_t = 0.4, p_c = 0.25: 0.15 / sqrt((0.24 + 0.1875) / 2) = 0.15 / 0.4623310 = 0.324443
    smd = _get(out, "worked_last_5y", "IPS vs TAU", "smd")["estimate"]
    assert smd == pytest.approx(0.15 / math.sqrt((0.4 * 0.6 + 0.25 * 0.75) / 2))
    assert smd == pytest.approx(0.3244428, abs=1e-6)
    # Without missing values there is no missing level.
    assert out.filter(pl.col("group").str.ends_with("(missing)")).is_empty()


def _yang_dalton(p_t: list[float], p_c: list[float]) -> float:
    """Written out from Yang & Dalton (2012), dropping the LAST level and a true inverse."""
    t, c = np.array(p_t[:-1]), np.array(p_c[:-1])
    s = (np.diag(t) - np.outer(t, t) + np.diag(c) - np.outer(c, c)) / 2
    diff = t - c
    return float(np.sqrt(diff @ np.linalg.inv(s) @ diff))


def test_multilevel_smd_with_missing_as_a_level() -> None:
    # IPS: 5 a, 3 b, 2 missing; TAU: 2 a, 3 b, 5 missing (missing is the third level).
    people = pl.DataFrame(
        {
            "service": ["IPS"] * 10 + ["TAU"] * 10,
            "education": ["a"] * 5 + ["b"] * 3 + [None] * 2 + ["a"] * 2 + ["b"] * 3 + [None] * 5,
        }
    )
    out = baseline_results(people, "IPS", 1, ["education"])
    # By hand, reference a dropped: T = (0, -0.3); S = [[.21, -.105], [-.105, .205]],
    # det S = .032025, (S^-1)_22 = .21 / .032025, T' S^-1 T = .09 * .21 / .032025 = 0.590164.
    expected = math.sqrt(0.09 * 0.21 / 0.032025)
    smd = _get(out, "education", "IPS vs TAU", "smd")["estimate"]
    assert smd == pytest.approx(expected)
    assert smd == pytest.approx(0.7682213, abs=1e-6)
    assert smd == pytest.approx(_yang_dalton([0.5, 0.3, 0.2], [0.2, 0.3, 0.5]))
    missing = _get(out, "education", "TAU|(missing)", "proportion")
    assert (missing["estimate"], missing["n"]) == (pytest.approx(0.5), 10)


def test_multilevel_smd_matches_the_formula_on_random_profiles() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        p_t, p_c = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        assert smd_categorical(p_t, p_c) == pytest.approx(
            _yang_dalton(list(p_t), list(p_c)), rel=1e-9
        )


def test_undefined_smds_are_null_not_suppressed() -> None:
    # Constant in both groups: zero pooled variance.
    assert smd_categorical([1.0, 0.0], [1.0, 0.0]) is None
    # Disjoint supports: the distance is infinite (tableone would print a finite number).
    assert smd_categorical([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]) is None
    people = pl.DataFrame({"service": ["IPS"] * 5 + ["TAU"] * 5, "x": [1.0] * 10})
    smd = _get(baseline_results(people, "IPS", 5, ["x"]), "x", "IPS vs TAU", "smd")
    assert (smd["estimate"], smd["suppressed"]) == (None, False)


def _forty() -> pl.DataFrame:
    # IPS: 40 people; gender 3 "other", 17 female, 20 male; in work 38 of 40.
    # TAU: 40 people, 20 female, 20 male, nobody in work.
    return pl.DataFrame(
        {
            "service": ["IPS"] * 40 + ["TAU"] * 40,
            "gender": ["other"] * 3 + ["female"] * 17 + ["male"] * 20 + ["female", "male"] * 20,
            "in_work_at_entry": [True] * 38 + [False] * 2 + [False] * 40,
        }
    )


def test_small_counts_and_complements_are_withheld() -> None:
    out = baseline_results(_forty(), "IPS", 5, ["gender", "in_work_at_entry"])
    for statistic in ("count", "proportion"):
        other = _get(out, "gender", "IPS|other", statistic)
        assert (other["estimate"], other["suppressed"], other["n"]) == (None, True, 40)
        # 38 of 40: the complement 2 would reveal a small count.
        working = _get(out, "in_work_at_entry", "IPS|true", statistic)
        assert (working["estimate"], working["suppressed"]) == (None, True)
    # A zero is published: TAU has nobody with "other" and nobody in work.
    assert _get(out, "gender", "TAU|other", "count")["estimate"] == 0.0
    assert _get(out, "in_work_at_entry", "TAU|true", "proportion")["estimate"] == 0.0
    assert _get(out, "gender", "IPS|female", "proportion")["estimate"] == pytest.approx(17 / 40)
    # Secondary: with "other" alone withheld, 40 - 17 - 20 would give it back, so the smallest
    # other level (female, 17) is withheld too; male stays.
    out = complementary_suppression(out)
    assert _get(out, "gender", "IPS|female", "proportion")["estimate"] is None
    assert _get(out, "gender", "IPS|female", "count")["suppressed"] is True
    assert _get(out, "gender", "IPS|male", "proportion")["estimate"] == pytest.approx(20 / 40)
    # SMDs are aggregates of whole groups of 40: published.
    assert _get(out, "gender", "IPS vs TAU", "smd")["suppressed"] is False


def test_small_groups_withhold_summaries_and_smds() -> None:
    people = pl.DataFrame(
        {
            "service": ["IPS"] * 8 + ["TAU"] * 4,
            "age_at_enrolment": [30.0, 31, 32, 33, None, None, None, None, 40, 41, 42, 43],
            "gender": ["f"] * 12,
        }
    )
    out = baseline_results(people, "IPS", 5, ["age_at_enrolment", "gender"])
    for statistic in ("mean", "sd", "median", "q1", "q3"):
        row = _get(out, "age_at_enrolment", "IPS", statistic)
        assert (row["estimate"], row["suppressed"]) == (None, True)
    # 4 known and 4 missing of 8: both counts are small.
    assert _get(out, "age_at_enrolment", "IPS", "n")["estimate"] is None
    assert _get(out, "age_at_enrolment", "IPS", "missing")["suppressed"] is True
    for variable in ("age_at_enrolment", "gender"):
        smd = _get(out, variable, "IPS vs TAU", "smd")
        assert (smd["estimate"], smd["n"], smd["suppressed"]) == (None, None, True)
    assert _get(out, "participants", "TAU", "n")["estimate"] is None


def test_no_minimum_or_maximum_and_the_result_schema() -> None:
    people = _forty().with_columns(pl.Series("age_at_enrolment", np.arange(80) / 2 + 20))
    out = baseline_results(people, "IPS", 5)
    assert set(out["statistic"]) == {
        "count", "proportion", "mean", "sd", "median", "q1", "q3", "n", "missing", "smd"
    }  # fmt: skip
    assert not any(re.search("min|max", s) for s in out["statistic"])
    assert out.schema == pl.Schema(RESULT_SCHEMA)
    assert out.equals(out.sort(list(SORT_KEY), nulls_last=False))
    assert set(out["analysis"]) == {"baseline"}
    assert set(out["population"]) == {"all_enrolled"}
    assert set(out["grouping"]) == {"service", "service|level", "comparison"}
    shuffled = baseline_results(people.sample(fraction=1.0, shuffle=True, seed=3), "IPS", 5)
    assert out.equals(shuffled)


def test_level_order_puts_missing_last() -> None:
    assert level_order("gender", ["male", "(missing)", "female"]) == [
        "female",
        "male",
        "(missing)",
    ]
