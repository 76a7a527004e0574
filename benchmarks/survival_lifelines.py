"""Time plain pandas + lifelines on the benchmark's survival dataset.

The same work the R script times: a Kaplan-Meier fit per service, the log-rank test across
services, and a Cox model (lifelines' default Efron ties) with service dummies and the
pipeline's covariates. Reading the CSV is not timed; building the dummies is, as R's model
matrix is part of its `coxph` call.

Usage: python survival_lifelines.py DATA.csv COVARIATE,COVARIATE,... REPEATS
Prints one line of JSON.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import lifelines
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test


def work(data: pd.DataFrame, covariates: list[str]) -> dict[str, object]:
    """Run and time the three analyses once."""
    start = time.perf_counter()
    for _, rows in data.groupby("service"):
        KaplanMeierFitter().fit(rows["time"], rows["event"])
    km = time.perf_counter() - start

    start = time.perf_counter()
    test = multivariate_logrank_test(data["time"], data["service"], data["event"])
    lr = time.perf_counter() - start

    start = time.perf_counter()
    # R's coding: a dummy per service except the first level in sorted order
    dummies = pd.get_dummies(data["service"], prefix="service", prefix_sep="", drop_first=True)
    design = pd.concat(
        [data[["time", "event", *covariates]], dummies.astype(float)], axis="columns"
    )
    fit = CoxPHFitter().fit(design, duration_col="time", event_col="event")
    cox = time.perf_counter() - start
    return {
        "km": km,
        "lr": lr,
        "cox": cox,
        "chisq": float(test.test_statistic),
        "coef": {str(k): float(v) for k, v in fit.params_.items()},
    }


def main(argv: list[str]) -> None:
    """Read the CSV, warm up on a slice, then time `REPEATS` runs and print JSON."""
    path, covariates, repeats = argv[0], argv[1].split(","), int(argv[2])
    data = pd.read_csv(path)
    warnings.simplefilter("ignore")  # lifelines' convergence chatter is not part of the timing
    work(data.head(2000), covariates)
    runs = [work(data, covariates) for _ in range(repeats)]
    print(
        json.dumps(
            {
                "km": [r["km"] for r in runs],
                "logrank": [r["lr"] for r in runs],
                "cox": [r["cox"] for r in runs],
                "logrank_chisq": runs[0]["chisq"],
                "coef": runs[0]["coef"],
                "lifelines_version": lifelines.__version__,
                "pandas_version": pd.__version__,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
