"""CONSORT-style participant flow: from records read to the people analysed, per service.

:func:`flow_counts` turns the ingest summary and the analysis dataset into long result rows
(`analysis = "flow"`, `statistic = "count"`) with small counts withheld and, inside the flow,
secondary suppression: wherever a box is the sum of others (enrolled = analysed + lost to
follow-up = in work + out of work at entry, per service; enrolled = the services' enrolled;
records read = quarantined + enrolled), no lone withheld box can be recovered by subtraction.
:func:`ips_outcomes.flow_plot.flow_figure` draws the rows as a CONSORT diagram.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import polars as pl

from ips_outcomes import disclosure, results

__all__ = ["SERVICE_BOXES", "flow_counts", "secondary_suppression"]

#: The boxes counted per service.
SERVICE_BOXES: tuple[str, ...] = (
    *("enrolled", "in_work_at_entry", "out_of_work_at_entry"),
    *("lost_to_followup", "dropped_out", "analysed"),
)

Key = tuple[str, str, str]  # outcome, grouping, group
#: Follow-up completeness, published as it is (see disclosure.FOLLOW_UP_STATISTICS): the same
#: numbers are the employment denominators (`n`) and `excluded`, published in full anyway.
FOLLOW_UP_BOXES = ("lost_to_followup", "analysed")
K = TypeVar("K", bound=Hashable)


def flow_counts(
    ingest_summary: Mapping[str, Any], people: pl.DataFrame, main_window: str, threshold: int
) -> pl.DataFrame:
    """Count every box of the participant flow, as suppressed long result rows.

    Parameters
    ----------
    ingest_summary
        The `ingest.json` written by :func:`ips_outcomes.ingest.ingest_summary`.
    people
        The analysis dataset: `service`, `in_work_at_entry`, `dropped_out` and
        `window_complete_<main_window>`, none of the last three null.
    main_window
        The window of the main outcome, e.g. ``"18m"``.
    threshold
        Small-cell threshold: counts of 1 to `threshold` - 1 are withheld.

    Returns
    -------
    pl.DataFrame
        Rows in :data:`ips_outcomes.results.RESULT_SCHEMA`: `records_read`,
        `records_quarantined`, `quarantined` per rule (grouping ``"rule"``), `enrolled` overall
        and the :data:`SERVICE_BOXES` per service (`lost_to_followup` and `analysed` with
        `window` = `main_window`).

    Raises
    ------
    ValueError
        If a column is missing or null, or the summary has no participants table.

    Examples
    --------
    >>> import polars as pl
    >>> summary = {"tables": [{"table": "participants", "rows_read": 9, "rows_quarantined": 1}],
    ...            "quarantine_by_rule": []}
    >>> people = pl.DataFrame({"service": ["IPS"] * 8, "in_work_at_entry": [False] * 8,
    ...                        "dropped_out": [False] * 8, "window_complete_18m": [True] * 8})
    >>> rows = flow_counts(summary, people, "18m", 5)
    >>> rows.filter(pl.col("grouping") == "all").select("outcome", "estimate").rows()
    [('enrolled', 8.0), ('records_quarantined', None), ('records_read', None)]
    """
    complete = f"window_complete_{main_window}"
    flags = ("in_work_at_entry", "dropped_out", complete)
    missing = [c for c in ("service", *flags) if c not in people.columns]
    if missing:
        raise ValueError(f"people: missing column(s) {', '.join(missing)}")
    for column in flags:
        if people[column].null_count():  # the dataset never leaves them null; guard the sums
            raise ValueError(f"people: {column} has null values")
    tables = [t for t in ingest_summary["tables"] if t["table"] == "participants"]
    if not tables:
        raise ValueError("ingest_summary: no participants table")
    counts: dict[Key, int] = {
        ("records_read", "all", "all"): int(tables[0]["rows_read"]),
        ("records_quarantined", "all", "all"): int(tables[0]["rows_quarantined"]),
        ("enrolled", "all", "all"): people.height,
    }
    for rule in ingest_summary["quarantine_by_rule"]:
        if rule["table"] == "participants":
            counts[("quarantined", "rule", str(rule["rule"]))] = int(rule["rows"])
    in_work, done = pl.col("in_work_at_entry"), pl.col(complete)
    per_service = people.group_by(pl.col("service").fill_null(results.MISSING_GROUP)).agg(
        pl.len().alias("enrolled"),
        in_work.sum().alias("in_work_at_entry"),
        (~in_work).sum().alias("out_of_work_at_entry"),
        (~done).sum().alias("lost_to_followup"),
        pl.col("dropped_out").sum().alias("dropped_out"),
        done.sum().alias("analysed"),
    )
    for row in per_service.sort("service").iter_rows(named=True):
        counts.update({(box, "service", row["service"]): int(row[box]) for box in SERVICE_BOXES})
    small = disclosure.suppress_counts(pl.DataFrame({"k": list(counts.values())}), "k", threshold)
    hidden = {
        key
        for key, flag in zip(counts, small["suppressed"], strict=True)
        if flag and key[0] not in FOLLOW_UP_BOXES
    }
    hidden = secondary_suppression(counts, hidden, _identities(counts))
    return results.combine([_result_rows(counts, hidden, main_window)])


def _identities(counts: Mapping[Key, int]) -> list[tuple[Key, tuple[Key, ...]]]:
    found = _families(counts)
    # Only a true sum is an identity: accepted rows need not all reach the analysis dataset.
    read, (quarantined, enrolled) = found[-1]
    return found if counts[read] == counts[quarantined] + counts[enrolled] else found[:-1]


def _families(keys: Iterable[Key]) -> list[tuple[Key, tuple[Key, ...]]]:
    """List the sums between boxes: per service, over the services, and records (last)."""
    services = [g for (box, grouping, g) in keys if (box, grouping) == ("enrolled", "service")]
    enrolled: Key = ("enrolled", "all", "all")
    found = [(enrolled, tuple(("enrolled", "service", s) for s in services))]
    for s in services:
        for parts in (
            ("analysed", "lost_to_followup"),
            ("in_work_at_entry", "out_of_work_at_entry"),
        ):
            found.append((("enrolled", "service", s), tuple((p, "service", s) for p in parts)))
    return [
        *found,
        (("records_read", "all", "all"), (("records_quarantined", "all", "all"), enrolled)),
    ]


def secondary_suppression(
    counts: Mapping[K, int], hidden: Iterable[K], identities: Sequence[tuple[K, tuple[K, ...]]]
) -> set[K]:
    """Withhold more cells until no identity ``total = sum of parts`` has one withheld cell.

    A lone withheld cell is the difference of the others, so one more cell of its identity is
    withheld: one that is in the fewest identities (so that protecting one sum leaves no other
    unprotected); among those the smallest non-zero part, then the total, then a zero part (a
    withheld 0 protects little).

    Parameters
    ----------
    counts
        Every cell's count.
    hidden
        The cells withheld so far (primary suppression).
    identities
        (total, parts) pairs: the total is the sum of the parts.

    Returns
    -------
    set
        The withheld cells, `hidden` included.

    Examples
    --------
    >>> counts = {"all": 50, "a": 3, "b": 20, "c": 27}
    >>> sorted(secondary_suppression(counts, {"a"}, [("all", ("a", "b", "c"))]))
    ['a', 'b']
    """
    # a cell in fewer sums leaves fewer sums to protect next
    sums = Counter(c for total, parts in identities for c in (total, *parts))
    withheld = set(hidden)
    while lone := [(t, p) for t, p in identities if sum(c in withheld for c in (t, *p)) == 1]:
        total, parts = lone[0]
        withheld.add(
            min(
                (c for c in (total, *parts) if c not in withheld),
                key=lambda c: (
                    sums[c], 1 if c == total else 2 if counts[c] == 0 else 0, counts[c], str(c)
                ),
            )
        )  # fmt: skip
    return withheld


def _result_rows(counts: Mapping[Key, int], hidden: set[Key], main_window: str) -> pl.DataFrame:
    keys = list(counts)
    frame = pl.DataFrame(
        [(*k, None if k in hidden else counts[k], k in hidden) for k in keys],
        schema={"outcome": pl.String, "grouping": pl.String, "group": pl.String,
                "n": pl.Int64, "suppressed": pl.Boolean},
        orient="row",
    )  # fmt: skip
    windowed = pl.col("outcome").is_in(["lost_to_followup", "analysed"])
    return results.conform(
        frame.with_columns(
            analysis=pl.lit("flow"), window=pl.when(windowed).then(pl.lit(main_window)),
            population=pl.lit(None, pl.String), statistic=pl.lit("count"),
            estimate=pl.col("n").cast(pl.Float64), ci_lower=pl.lit(None, pl.Float64),
            ci_upper=pl.lit(None, pl.Float64),
        )
    )  # fmt: skip
