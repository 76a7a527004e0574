"""`write`: save a synthetic cohort as a cohort folder (CSV or Parquet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import polars as pl

from ips_outcomes.synth.model import CSV_FALSE, CSV_TRUE, SyntheticCohort


def write(
    cohort: SyntheticCohort, out_dir: Path, fmt: Literal["csv", "parquet"] = "csv"
) -> list[Path]:
    """Write a cohort folder: one file per table, ``truth.json`` and ``cohort.yaml``.

    Parameters
    ----------
    cohort
        Cohort from `generate`.
    out_dir
        Folder to write into; created if missing. Existing files of the same names are replaced.
    fmt
        ``csv`` (Nordic dialect: ``;`` separator, decimal comma, ``dd.mm.yyyy`` dates,
        ``kyllä``/``ei`` booleans, empty = missing, UTF-8) or ``parquet`` (typed).

    Returns
    -------
    list of Path
        The files written, tables first in contract order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in cohort.tables().items():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            yes_no = [
                pl.when(pl.col(c)).then(pl.lit(CSV_TRUE)).otherwise(pl.lit(CSV_FALSE)).alias(c)
                for c, t in df.schema.items()
                if t == pl.Boolean
            ]
            df.with_columns(yes_no).write_csv(
                path, separator=";", decimal_comma=True, date_format="%d.%m.%Y", null_value=""
            )
        elif fmt == "parquet":
            df.write_parquet(path)
        else:
            raise ValueError(f"unknown format {fmt!r}; use 'csv' or 'parquet'")
        paths.append(path)
    truth, meta = out_dir / "truth.json", out_dir / "cohort.yaml"
    text = json.dumps(cohort.truth, sort_keys=True, indent=2) + "\n"
    truth.write_text(text, encoding="utf-8", newline="\n")
    text = f"data_cutoff: {cohort.data_cutoff.isoformat()}\nintervention: IPS\n"
    meta.write_text(text, encoding="utf-8", newline="\n")
    return [*paths, truth, meta]
