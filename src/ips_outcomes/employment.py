"""Aggregate employment outcomes from the analysis dataset into long-format results.

- `employment` rows: every binary outcome as a rate with a Wilson CI, per window and grouping.
  Window outcomes use the people whose observation covers the whole window
  (`complete_followup`); the others are counted in the `excluded` statistic, never treated as
  unemployed. Person-level outcomes use the people whose value is known (`complete_case`),
  except drop-out (`all_enrolled`).
- `employment_summary` rows: continuous measures (n, mean, SD, median, quartiles) per service.
- `thl` rows: Finland's two headline figures, each complete-case and all-enrolled, with the
  number whose follow-up is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ips_outcomes.definitions import GROUPINGS, OUTCOMES, SERVICE_WINDOW
from ips_outcomes.distributions import summary_results
from ips_outcomes.rates import rate_results, rate_table

GROUP_COLUMNS = sorted({c for grouping in GROUPINGS for c in grouping})
SUMMARY_GROUPINGS: tuple[tuple[str, ...], ...] = ((), ("service",))


def window_frame(people: pl.DataFrame, per_window: pl.DataFrame) -> pl.DataFrame:
    """Per-window measures with each person's grouping columns attached."""
    return per_window.join(
        people.select("participant_id", *GROUP_COLUMNS), on="participant_id", how="left"
    )


def employment_results(
    people: pl.DataFrame, per_window: pl.DataFrame, windows: Sequence[str], threshold: int
) -> pl.DataFrame:
    """Every employment rate and continuous summary of the dataset.

    Parameters
    ----------
    people, per_window
        The frames of :func:`ips_outcomes.dataset.build_dataset`.
    windows
        Window names in report order (e.g. `6m`, `12m`, `18m`, `service`).
    threshold
        Small-cell threshold.

    Returns
    -------
    pl.DataFrame
        Long-format results.
    """
    measured = window_frame(people, per_window)
    by_window = {
        key[0]: frame for key, frame in measured.partition_by("window", as_dict=True).items()
    }
    parts = []
    for outcome in OUTCOMES.values():
        if outcome.windowed:
            for window in windows:
                frame = by_window.get(window, measured.clear())
                parts.extend(_outcome_rows(frame, outcome.name, window, threshold))
        else:
            parts.extend(_outcome_rows(people, outcome.name, None, threshold))
    parts.extend(thl_results(people, measured, threshold))
    return pl.concat(parts, how="vertical")


def _outcome_rows(
    frame: pl.DataFrame, name: str, window: str | None, threshold: int
) -> list[pl.DataFrame]:
    outcome = OUTCOMES[name]
    rows = []
    if outcome.kind == "binary":
        include = pl.col("window_complete") if outcome.windowed else None
        for by in GROUPINGS:
            table = rate_table(frame, name, by, include)
            rows.append(
                rate_results(
                    table,
                    threshold,
                    analysis="employment",
                    outcome=name,
                    by=by,
                    window=window,
                    population=outcome.population,
                )
            )
        return rows
    kept = frame.filter(pl.col("window_complete")) if outcome.windowed else frame
    for by in SUMMARY_GROUPINGS:
        rows.append(
            summary_results(
                kept,
                name,
                by,
                threshold,
                analysis="employment_summary",
                outcome=name,
                window=window,
                population=outcome.population,
            )
        )
    return rows


def thl_results(people: pl.DataFrame, measured: pl.DataFrame, threshold: int) -> list[pl.DataFrame]:
    """THL's pair: employed during the service episode; working or studying at 12 months.

    Complete-case versions count only people whose outcome is known (episode ended within
    observation; 12-month status observed or reported) and state how many are missing;
    all-enrolled versions keep everyone, counting the unknown as not employed.
    """
    service = measured.filter(pl.col("window") == SERVICE_WINDOW)
    variants = (
        ("employed_during_service", service, "employed", pl.col("window_complete")),
        ("working_or_studying_12m", people, "working_or_studying_12m", None),
    )
    rows = []
    for outcome, frame, column, include in variants:
        everyone = frame.with_columns(pl.col(column).fill_null(False).alias("_all_enrolled"))
        for by in ((), ("service",), ("site", "service")):
            for population, table in (
                ("complete_case", rate_table(frame, column, by, include)),
                ("all_enrolled", rate_table(everyone, "_all_enrolled", by)),
            ):
                rows.append(
                    rate_results(
                        table,
                        threshold,
                        analysis="thl",
                        outcome=outcome,
                        by=by,
                        window=SERVICE_WINDOW if frame is service else "12m",
                        population=population,
                    )
                )
    return rows
