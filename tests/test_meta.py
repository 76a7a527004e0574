"""Per-site effects and meta-analysis against R's metafor (committed reference values)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from ips_outcomes.meta import MetaAnalysis, meta_analyze, pool_sites, site_log_risk_ratios

REFERENCE = Path(__file__).parent / "reference"
COUNT_SETS = ("bcg", "synthetic")
MEASURES = (("log_rr", "var_log_rr"), ("rd", "var_rd"))
METHODS = {"DL": "dl", "PM": "pm"}

# Colditz et al. 1994 (metafor's dat.bcg): vaccinated TB+, TB-, unvaccinated TB+, TB-.
BCG = (
    ("Aronson 1948", 4, 119, 11, 128),
    ("Ferguson & Simes 1949", 6, 300, 29, 274),
    ("Rosenthal et al 1960", 3, 228, 11, 209),
    ("Hart & Sutherland 1977", 62, 13536, 248, 12619),
    ("Frimodt-Moller et al 1973", 33, 5036, 47, 5761),
    ("Stein & Aronson 1953", 180, 1361, 372, 1079),
    ("Vandiviere et al 1973", 8, 2537, 10, 619),
    ("TPT Madras 1980", 505, 87886, 499, 87892),
    ("Coetzee & Berjak 1968", 29, 7470, 45, 7232),
    ("Rosenthal et al 1961", 17, 1699, 65, 1600),
    ("Comstock et al 1974", 186, 50448, 141, 27197),
    ("Comstock & Webster 1969", 5, 2493, 3, 2338),
    ("Comstock et al 1976", 27, 16886, 29, 17825),
)


def _reference() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((REFERENCE / "meta_reference.json").read_text("utf-8"))
    return result


def _close(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def _people(labels: list[str], counts: list[list[int]]) -> pl.DataFrame:
    """One row per person from per-site counts (events/n per arm)."""
    rows: dict[str, list[Any]] = {"site": [], "service": [], "worked": []}
    for label, (a, n1, c, n2) in zip(labels, counts, strict=True):
        for service, events, n in (("IPS", a, n1), ("TAU", c, n2)):
            rows["site"] += [label] * n
            rows["service"] += [service] * n
            rows["worked"] += [True] * events + [False] * (n - events)
    return pl.DataFrame(rows)


def _site_table(name: str) -> pl.DataFrame:
    ref = _reference()[name]
    columns = ("events_treated", "n_treated", "events_control", "n_control")
    counts = [[int(x) for x in row] for row in zip(*(ref[c] for c in columns), strict=True)]
    table = site_log_risk_ratios(_people(ref["labels"], counts), "worked", "service", "IPS", "TAU")
    order = {label: i for i, label in enumerate(ref["labels"])}
    return table.sort(pl.col("site").replace_strict(order, return_dtype=pl.Int64))


def _check_pooled(m: MetaAnalysis, ref: dict[str, Any], random: bool) -> None:
    pooled = m.random if random else m.fixed
    for field in ("estimate", "se", "ci_low", "ci_high", "z", "p"):
        _close(getattr(pooled, field), ref[field])
    _close(m.q, ref["q"])
    _close(m.q_p, ref["q_p"])
    assert m.q_df == ref["q_df"]
    if random:
        _close([m.tau2, m.i2, m.h2], [ref["tau2"], ref["i2"], ref["h2"]])
        _close(m.weights_random, ref["weights"])
    else:
        _close([m.i2_q, m.h2_q], [ref["i2"], ref["h2"]])
        _close(m.weights_fixed, ref["weights"])


def test_committed_bcg_counts_are_colditz() -> None:
    ref = _reference()["bcg"]
    assert ref["labels"] == [row[0] for row in BCG]
    assert ref["events_treated"] == [row[1] for row in BCG]
    assert ref["n_treated"] == [row[1] + row[2] for row in BCG]
    assert ref["events_control"] == [row[3] for row in BCG]
    assert ref["n_control"] == [row[3] + row[4] for row in BCG]


def test_bcg_matches_published_worked_example() -> None:
    """metafor documents the DL fit of dat.bcg: -0.7141 (SE 0.1787), tau^2 0.3088, I^2 92.12 %."""
    table = _site_table("bcg")
    m = pool_sites(table, "log_rr", "dl")
    assert round(m.random.estimate, 4) == -0.7141
    assert round(m.random.se, 4) == 0.1787
    assert round(m.tau2, 4) == 0.3088
    assert round(m.i2, 2) == 92.12
    assert round(m.q, 4) == 152.2330
    assert [round(x, 4) for x in m.random.exp()] == [0.4896, 0.3449, 0.6950]


@pytest.mark.parametrize("name", COUNT_SETS)
def test_site_effects_match_escalc(name: str) -> None:
    ref = _reference()[name]
    table = _site_table(name)
    assert table["site"].to_list() == ref["labels"]
    for measure, variance in MEASURES:
        _close(table[measure].to_numpy(), ref[measure])
        _close(table[variance].to_numpy(), ref[variance])


@pytest.mark.parametrize("name", COUNT_SETS)
@pytest.mark.parametrize(("measure", "method"), [(m, r) for m, _ in MEASURES for r in METHODS])
def test_pooled_matches_rma(name: str, measure: str, method: str) -> None:
    models = _reference()[name][f"{measure}_models"]
    m = pool_sites(_site_table(name), measure, METHODS[method])  # type: ignore[arg-type]
    _check_pooled(m, models["FE"], random=False)
    _check_pooled(m, models[method], random=True)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_truncated_tau2_matches_rma(method: str) -> None:
    ref = _reference()["homogeneous"]
    m = meta_analyze(ref["yi"], ref["vi"], ref["labels"], METHODS[method])  # type: ignore[arg-type]
    assert m.tau2 == 0.0
    assert m.q < m.q_df
    _check_pooled(m, ref["models"]["FE"], random=False)
    _check_pooled(m, ref["models"][method], random=True)
    assert m.random == m.fixed


def test_zero_cell_correction_only_where_needed() -> None:
    table = _site_table("synthetic")
    assert table.filter(pl.col("corrected"))["site"].to_list() == ["Hand-made zero cell"]
    row = table.filter(pl.col("corrected")).row(0, named=True)
    assert row["log_rr"] == pytest.approx(math.log((4.5 / 21) / (0.5 / 16)))
    assert row["var_log_rr"] == pytest.approx(1 / 4.5 - 1 / 21 + 1 / 0.5 - 1 / 16)


def test_site_without_one_arm_gets_null_and_is_not_pooled() -> None:
    people = _people(["A", "B", "C"], [[5, 10, 2, 10], [6, 12, 3, 12], [4, 9, 0, 0]])
    people = people.filter(~((pl.col("site") == "C") & (pl.col("service") == "TAU")))
    table = site_log_risk_ratios(people, "worked", "service", "IPS", "TAU")
    c = table.filter(pl.col("site") == "C").row(0, named=True)
    assert (c["n_control"], c["log_rr"], c["rd"], c["corrected"]) == (0, None, None, False)
    assert pool_sites(table).labels == ("A", "B")


def test_null_outcomes_and_other_services_are_left_out() -> None:
    people = pl.DataFrame(
        {
            "site": ["A"] * 6,
            "service": ["IPS", "IPS", "IPS", "TAU", "TAU", "VR"],
            "worked": [True, None, False, True, False, True],
        }
    )
    row = site_log_risk_ratios(people, "worked", "service", "IPS", "TAU").row(0, named=True)
    assert (row["events_treated"], row["n_treated"], row["events_control"], row["n_control"]) == (
        1,
        2,
        1,
        2,
    )
    assert row["rd"] == 0.0


def test_single_study() -> None:
    m = meta_analyze([0.1], [0.04], ["only"])
    assert (m.k, m.tau2, m.q, m.q_df, m.q_p, m.i2, m.h2) == (1, 0.0, 0.0, 0, 1.0, 0.0, 1.0)
    assert m.random == m.fixed
    assert m.fixed.se == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("estimates", "variances", "labels"),
    [
        ([], [], []),
        ([0.1, 0.2], [0.1], ["a", "b"]),
        ([0.1, 0.2], [0.1, 0.0], ["a", "b"]),
        ([0.1, math.nan], [0.1, 0.1], ["a", "b"]),
        ([0.1, 0.2], [0.1, 0.1], ["a", "a"]),
    ],
)
def test_rejects_bad_input(
    estimates: list[float], variances: list[float], labels: list[str]
) -> None:
    with pytest.raises(ValueError, match="must be"):
        meta_analyze(estimates, variances, labels)


def test_studies_table() -> None:
    m = meta_analyze([0.0, 1.0], [0.1, 0.4], ["x", "y"])
    t = m.studies()
    assert t["label"].to_list() == ["x", "y"]
    assert t["weight_fixed"].sum() == pytest.approx(100.0)
    assert t["weight_random"].sum() == pytest.approx(100.0)
    assert t["ci_high"][0] == pytest.approx(1.959963984540054 * math.sqrt(0.1))


@pytest.mark.needs_r
def test_committed_reference_is_what_r_produces(tmp_path: Path, rscript: str) -> None:
    shutil.copy(REFERENCE / "meta_reference.R", tmp_path / "meta_reference.R")
    subprocess.run(
        [rscript, str(tmp_path / "meta_reference.R"), str(tmp_path / "out.json")],
        check=True,
        timeout=300,
    )
    assert (tmp_path / "out.json").read_bytes() == (REFERENCE / "meta_reference.json").read_bytes()
