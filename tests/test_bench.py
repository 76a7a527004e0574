"""The benchmark harness's pure helpers (benchmarks/bench.py); nothing here times anything."""

from __future__ import annotations

import math

import pytest

from benchmarks import bench

SNAKEMAKE_TSV = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    "13.93\t0:00:13\t403.59\t2927.33\t329.45\t361.35\t1.20\t0.06\t90.48\t12.84\n"
)

DRY_RUN = """Building DAG of jobs...
Job stats:
job        count
-------  -------
figures        1
tables         1
report         1
all            1
total          4


[Tue Nov 24 16:21:51 2026]
rule tables:
    input: reports/synthetic/results.parquet
"""


def test_parse_benchmark_tsv_reads_seconds_and_max_rss() -> None:
    assert bench.parse_benchmark_tsv(SNAKEMAKE_TSV) == {"wall_s": 13.93, "max_rss_mib": 403.59}


def test_parse_benchmark_tsv_unmeasured_memory_is_nan() -> None:
    text = "s\th:m:s\tmax_rss\tmax_vms\n0.41\t0:00:00\t-\t-\n"
    parsed = bench.parse_benchmark_tsv(text)
    assert parsed["wall_s"] == 0.41
    assert math.isnan(parsed["max_rss_mib"])


def test_parse_benchmark_tsv_needs_a_data_row() -> None:
    with pytest.raises(ValueError, match="data row"):
        bench.parse_benchmark_tsv("s\tmax_rss\n")


def test_nlogn_ratio_of_tenfold_steps() -> None:
    # 10 x log(10^5) / log(10^4) = 10 x 5/4; 10 x log(10^6) / log(10^5) = 10 x 6/5
    assert bench.nlogn_ratio(10_000, 100_000) == pytest.approx(12.5)
    assert bench.nlogn_ratio(100_000, 1_000_000) == pytest.approx(12.0)
    assert bench.nlogn_ratio(500, 500) == pytest.approx(1.0)


def test_scaling_flags_steps_worse_than_nlogn() -> None:
    steps = bench.scaling({10_000: 1.0, 100_000: 13.0, 1_000_000: 130.0})
    assert [(s["from"], s["to"]) for s in steps] == [(10_000, 100_000), (100_000, 1_000_000)]
    assert [s["ratio"] for s in steps] == [13.0, 10.0]
    assert [s["worse_than_nlogn"] for s in steps] == [True, False]


def test_scaling_of_a_missing_stage_is_not_flagged() -> None:
    (step,) = bench.scaling({10: float("nan"), 100: 2.0})
    assert math.isnan(step["ratio"])
    assert step["worse_than_nlogn"] is False


def test_parse_dry_run_jobs_reads_the_job_stats_table() -> None:
    assert bench.parse_dry_run_jobs(DRY_RUN) == {"figures": 1, "tables": 1, "report": 1, "all": 1}


def test_parse_dry_run_jobs_nothing_to_do() -> None:
    text = "Building DAG of jobs...\nNothing to be done (all requested files are present).\n"
    assert bench.parse_dry_run_jobs(text) == {}


def test_order_stages_puts_known_rules_in_pipeline_order() -> None:
    names = {"report", "zeta", "ingest", "survival", "alpha"}
    assert bench.order_stages(names) == ["ingest", "survival", "report", "alpha", "zeta"]


def test_finite_replaces_nan_for_json() -> None:
    assert bench.finite({"a": [1.5, float("nan")], "b": {"c": float("-inf")}}) == {
        "a": [1.5, None],
        "b": {"c": None},
    }


def test_verdict_says_by_how_much_a_target_is_missed() -> None:
    assert bench._verdict("run", 2.5, 3.0)["verdict"] == "met (limit 3 s)"
    missed = bench._verdict("run", 3.3, 3.0)
    assert missed["measured"] == "3.30 s"
    assert missed["verdict"] == "missed by 0.30 s (10 %)"


def small_results() -> dict[str, object]:
    def run(wall: float, peak: float) -> dict[str, object]:
        return {
            "generation": {"wall_s": 0.5, "peak_mib": 100.0},
            "pipeline": {"wall_s": wall, "peak_mib": peak},
            "stages": {"survival": {"wall_s": wall / 4, "max_rss_mib": peak / 2}},
            "job_spells": 3_000,
            "survival_rows": 900,
            "survival": {
                "project": {
                    "total_s": 0.5,
                    "km_s": 0.1,
                    "logrank_s": 0.1,
                    "cox_s": 0.3,
                    "survival_analysis_s": 1.0,
                },
                "r": {"error": "not installed"},
                "lifelines": {
                    "total_s": 2.0,
                    "km_s": 0.5,
                    "logrank_s": 0.5,
                    "cox_s": 1.0,
                    "max_coef_difference": 2e-6,
                },
                "ratio_project_lifelines": 0.25,
            },
        }

    results: dict[str, object] = {
        "machine": {
            "date": "2026-01-01 12:00 UTC",
            "cores": 2,
            "physical_cores": 2,
            "memory_gib": 24.0,
            "platform": "Linux",
            "python": "3.11.7",
            "versions": {"polars": "2.1.0"},
            "commit": "abc1234",
        },
        "sizes": [1_000, 10_000],
        "covariates": ["female"],
        "runs": {"1000": run(10.0, 500.0), "10000": run(20.0, 800.0)},
        "warm": {
            "full": {"wall_s": 12.0, "peak_mib": 700.0},
            "noop": {"wall_s": 2.0, "peak_mib": 200.0},
            "language_jobs": {"report": 1, "all": 1},
        },
        "scaling": {"whole pipeline": bench.scaling({1_000: 10.0, 10_000: 20.0})},
        "method": ["- how"],
    }
    results["targets"] = [{"target": "no-op rerun", "measured": "2.00 s", "verdict": "met"}]
    return results


def test_render_markdown_tables() -> None:
    text = bench.render_markdown(bench.finite(small_results()))
    lines = text.splitlines()
    assert lines[0] == "# Benchmarks"
    assert "| Participants | 1 000 | 10 000 |" in lines
    assert "| Job spells | 3 000 | 3 000 |" in lines
    assert "| survival | 2.50 s / 250 MiB | 5.00 s / 400 MiB |" in lines
    assert "| **whole pipeline** | **10.0 s / 500 MiB** | **20.0 s / 800 MiB** |" in lines
    assert "| generation (synth) | 0.50 s / 100 MiB | 0.50 s / 100 MiB |" in lines
    assert "| no-op rerun | 2.00 s | met |" in lines
    assert "| R survival: survfit + survdiff + coxph | not installed | not installed |" in lines
    assert "| **ratio project / lifelines** | **0.25** | **0.25** |" in lines
    assert "| **ratio project / R** | – | – |" in lines
    assert "| whole pipeline | 2.00 |" in lines  # 20 / 10, better than n log n (13.3)
    assert "would rerun: report ×1, all ×1." in text
    assert "on 2 cores (2 physical), 24.0 GiB memory" in text


def test_scaling_to_an_unfinished_size_is_a_lower_bound() -> None:
    steps = bench.scaling({10: 1.0, 100: 600.0}, lower_bounds=[100])
    assert steps[0]["lower_bound"] is True
    assert steps[0]["worse_than_nlogn"] is True


def test_a_timed_out_pipeline_is_marked_in_the_table() -> None:
    results = small_results()
    results["runs"]["10000"]["pipeline"]["status"] = "timed out"  # type: ignore[index]
    text = bench.render_markdown(bench.finite(results))
    assert "| **10.0 s / 500 MiB** | **> 20.0 s / 800 MiB (stopped: timed out)** |" in text
