"""Small-cell suppression for everything that leaves the pipeline.

Primary suppression: a count of people below the threshold is withheld, and so is any
proportion whose numerator or complement is such a count (either would reveal it).

Secondary suppression (:func:`secondary_suppression`) stops a withheld count being worked out
by subtraction. Counts of people (:data:`ADDITIVE_STATISTICS` and every `n`) form families,
each an equation ``total = sum of parts`` between published rows of the same analysis,
outcome, window, population and statistic:

- hierarchy (always): the groups of `site|service` (or `gender|service`, `age_band|service`, ... any
  `<variable>|service`) within one service add up to that service's row of `service`, and the
  services (or, for the quarterly rates, the sites) add up to `all`;
- risk table (only with `identities=True`): a survival group's `n` is at risk + cumulative
  events + cumulative censored at every month (give or take that very day's events);
- cohort size (only with `identities=True`): a group's participants (`cohort`, `n`) are an
  outcome's `n` + `excluded`.

A family in which exactly one member is withheld gives that member away, whether it is a part
or the total. The rule withholds one more member: the smallest published part above zero (a
withheld zero protects little), else the smallest zero, else the total; ties go to the first
group, statistic, window by name. One number withheld withholds every printed copy of it in
the same analysis, outcome, population and group (a group's size is printed as `n` on every
row about it), the proportion and CI built on a withheld count, and the proportion and CI whose
`n` is withheld (count / proportion would give it back). This repeats until no family has a
lone withheld member, since a cell withheld at one level can leave another level's cell alone.

What it does not protect against: differencing between windows (people employed by 12 months
minus by 6 months), between populations or between outcomes; totals that are not published as
rows but follow from other rows (the size of a `gender|service` group is `n` + `excluded` of
any outcome, and no `cohort` row states it); without `identities=True`, `excluded` as
participants minus `n` and cumulative censored from the risk table; sums across groupings other
than those above;
Kaplan-Meier steps and confidence intervals, which reveal the size of small risk sets and are
cut off (not suppressed) below the threshold; and rounding or banding of large counts.
"""

from __future__ import annotations

import polars as pl

#: Statistics that count people and add up over a partition of a group (on the synthetic
#: cohort every fully published family sums exactly to its total).
ADDITIVE_STATISTICS = frozenset(
    {"n", "count", "excluded", "events", "at_risk", "cumulative_events", "cumulative_censored"}
)
#: Counts of people whose follow-up is incomplete: published as they are (see docs/disclosure.md).
#: They follow from two published numbers anyway (participants minus the outcome's `n`), and
#: say how complete the data are, not anything about the people.
FOLLOW_UP_STATISTICS = frozenset({"excluded"})
RISK_TABLE = ("at_risk", "cumulative_events", "cumulative_censored")
CELL = ("analysis", "outcome", "window", "population", "grouping", "group")
_GROUP = ("analysis", "outcome", "population", "grouping", "group")
_FORBIDDEN = r"(?i)(^|_)(min|max|minimum|maximum)(_|$)"
_MAX_ROUNDS = 10_000


def is_small(count: pl.Expr, threshold: int) -> pl.Expr:
    """Flag where `count` is a positive number of people below `threshold`."""
    return (count > 0) & (count < threshold)


def suppress_proportions(frame: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Withhold small numerators, complements and denominators of a proportions table.

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"numerator": [3, 40, 0], "denominator": [50, 42, 9],
    ...                   "proportion": [0.06, 0.95, 0.0], "ci_lower": [0.0] * 3,
    ...                   "ci_upper": [1.0] * 3})
    >>> out = suppress_proportions(t, 5)
    >>> out["suppressed"].to_list(), out["numerator"].to_list(), out["denominator"].to_list()
    ([True, True, False], [None, None, 0], [50, 42, 9])
    """
    num, den = pl.col("numerator"), pl.col("denominator")
    hide_rate = is_small(num, threshold) | is_small(den - num, threshold) | is_small(den, threshold)
    hide_den = is_small(den, threshold)
    return frame.with_columns(
        *(
            pl.when(hide_rate).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("numerator", "proportion", "ci_lower", "ci_upper")
        ),
        pl.when(hide_den).then(None).otherwise(den).alias("denominator"),
        hide_rate.alias("suppressed"),
    )


def suppress_counts(
    frame: pl.DataFrame, column: str, threshold: int, flag: str = "suppressed"
) -> pl.DataFrame:
    """Withhold counts of people below `threshold` in `column`; mark them in `flag`."""
    small = is_small(pl.col(column), threshold)
    return frame.with_columns(
        pl.when(small).then(None).otherwise(pl.col(column)).alias(column),
        small.alias(flag),
    )


def _items(results: pl.DataFrame) -> pl.DataFrame:
    """Every count of people in the results, one row each: an additive estimate or an `n`.

    `item` is 2 * row for an estimate and 2 * row + 1 for an `n`. A count or proportion always
    has an `n` (empty: withheld), as does a suppressed row; elsewhere an empty `n` means "not
    a count of people", so it is no item.
    """
    rows = results.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    estimates = rows.filter(pl.col("statistic").is_in([*ADDITIVE_STATISTICS])).select(
        (pl.col("row") * 2).alias("item"),
        "row",
        pl.lit("estimate").alias("col"),
        pl.col("estimate").alias("value"),
        *CELL,
        "statistic",
        # a group's size is one number, whether printed as the estimate or in `n`
        pl.when(pl.col("statistic") == "n")
        .then(pl.lit("n"))
        .otherwise(pl.col("statistic"))
        .alias("measure"),
    )
    has_n = pl.col("statistic").is_in([*ADDITIVE_STATISTICS, "proportion"])
    # A statistic whose rows carry a group size somewhere carries it everywhere: an empty `n`
    # there is a withheld one (a KM probability whose group size went with a small site's).
    has_n = has_n | pl.col("n").is_not_null().any().over(
        "analysis", "outcome", "window", "population", "statistic"
    )
    sizes = rows.filter(pl.col("n").is_not_null() | pl.col("suppressed") | has_n).select(
        (pl.col("row") * 2 + 1).alias("item"),
        "row",
        pl.lit("n").alias("col"),
        pl.col("n").cast(pl.Float64).alias("value"),
        *CELL,
        "statistic",
        pl.lit("n").alias("measure"),
    )
    return pl.concat([estimates, sizes]).sort("item")


def _family_id(kind: str, *columns: str) -> pl.Expr:
    keys = [pl.lit(kind), *(pl.col(c).fill_null("") for c in columns)]
    return pl.concat_str(keys, separator="\x1f").alias("fam")


def _families(items: pl.DataFrame, identities: bool) -> pl.DataFrame:
    """List the equations `total = sum of parts` among items: columns fam, item, parent."""
    level = pl.col("grouping")
    to_all = level.is_in(["service", "site"])
    to_service = level.str.ends_with("|service") & (level.str.count_matches(r"\|") == 1)
    parts = items.with_columns(
        pl.when(to_all).then(pl.lit("all")).when(to_service).then(pl.lit("service")).alias("pg"),
        pl.when(to_all)
        .then(pl.lit("all"))
        .when(to_service)
        .then(pl.col("group").str.split("|").list.last())
        .alias("pv"),
    ).filter(pl.col("pg").is_not_null())
    on = ["analysis", "outcome", "window", "population", "statistic", "col"]
    totals = items.select(*on, pg="grouping", pv="group", total="item")
    edges = [
        parts.join(totals, on=[*on, "pg", "pv"], nulls_equal=True).select(
            _family_id("hierarchy", *on, "pg", "pv", "grouping"), "item", "total"
        )
    ]
    if identities:
        size = items.filter(
            pl.col("statistic") == "n", pl.col("col") == "estimate", pl.col("window").is_null()
        ).select(*_GROUP, total="item")
        risk = items.filter(pl.col("statistic").is_in(RISK_TABLE), pl.col("col") == "estimate")
        edges.append(
            risk.join(size, on=list(_GROUP), nulls_equal=True).select(
                _family_id("risk table", *CELL), "item", "total"
            )
        )
        cohort = items.filter(
            pl.col("analysis") == "cohort", pl.col("statistic") == "n", pl.col("col") == "estimate"
        ).select("grouping", "group", total="item")
        excluded = items.filter(pl.col("statistic") == "excluded", pl.col("analysis") != "cohort")
        edges.append(
            excluded.join(cohort, on=["grouping", "group"]).select(
                _family_id("cohort size", *CELL), "item", "total"
            )
        )
    edge = pl.concat(edges)
    return pl.concat(
        [
            edge.select("fam", "item", parent=pl.lit(False)),
            edge.select("fam", item="total", parent=pl.lit(True)).unique(maintain_order=True),
        ]
    ).sort("fam", "parent", "item")


def _lone(members: pl.DataFrame) -> pl.DataFrame:
    """Members of the families with exactly one withheld member."""
    return members.filter((pl.col("withheld").sum() == 1).over("fam"))


def _closure(items: pl.DataFrame, chosen: pl.Series) -> pl.Series:
    """`chosen` and every printed copy of the same number (same group, measure and value)."""
    copy_key = [*_GROUP, "measure", "value"]
    picked = items.filter(pl.col("item").is_in(chosen.implode())).select(copy_key).unique()
    return items.join(picked, on=copy_key, nulls_equal=True)["item"]


def secondary_suppression(
    results: pl.DataFrame, threshold: int, *, identities: bool = False
) -> pl.DataFrame:
    """Withhold enough more cells that no withheld count can be recovered from a total.

    Parameters
    ----------
    results
        Long-format results after primary suppression (`ips_outcomes.results.RESULT_SCHEMA`).
    threshold
        Small-cell threshold. Primary suppression already used it; it is accepted so that
        every disclosure function has the same signature and is checked to be at least 1.
    identities
        Also protect the risk-table and cohort-size equations (module docstring), not only
        the group hierarchy. Off by default: every small withheld `excluded` then costs the
        outcome's `n` and proportion, down to the per-service headline rates.

    Returns
    -------
    pl.DataFrame
        `results` with the same schema and row order; rows whose estimate is newly withheld
        are marked suppressed (a row that only loses its `n` keeps its flag).

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.DataFrame({"grouping": ["service"] + ["site|service"] * 3,
    ...                      "group": ["IPS", "A|IPS", "B|IPS", "C|IPS"],
    ...                      "estimate": [30.0, None, 9.0, 18.0]})
    >>> results = rows.with_columns(
    ...     analysis=pl.lit("cohort"), outcome=pl.lit("participants"),
    ...     window=pl.lit(None, pl.String), population=pl.lit(None, pl.String),
    ...     statistic=pl.lit("n"), ci_lower=pl.lit(None, pl.Float64),
    ...     ci_upper=pl.lit(None, pl.Float64), n=pl.col("estimate").cast(pl.Int64),
    ...     suppressed=pl.col("estimate").is_null())
    >>> out = secondary_suppression(results, 5)
    >>> out["estimate"].to_list(), out["n"].to_list(), out["suppressed"].to_list()
    ([30.0, None, None, 18.0], [30, None, None, 18], [False, True, True, False])
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    items = _items(results)
    members = _families(items, identities).join(
        items.select("item", "value", "group", "statistic", "window", "col"), on="item"
    )
    withheld = items.filter(pl.col("value").is_null())["item"]
    added = withheld.clear()
    for _ in range(_MAX_ROUNDS):
        state = members.with_columns(pl.col("item").is_in(withheld.implode()).alias("withheld"))
        lone = _lone(state)
        if lone.height == 0:
            break
        order = ["parent", pl.col("value") == 0, "value", "group", "statistic", "window", "col"]
        chosen = (
            lone.filter(~pl.col("withheld"))
            .sort([*order, "item"], nulls_last=False)
            .unique("fam", keep="first", maintain_order=True)["item"]
        )
        new = _closure(items, chosen)
        added = pl.concat([added, new]).unique()
        withheld = pl.concat([withheld, new]).unique()
    else:  # pragma: no cover - each round withholds at least one more item, so it ends
        raise RuntimeError("secondary suppression did not converge")
    return _apply(results, items.filter(pl.col("item").is_in(added.implode())))


def _apply(results: pl.DataFrame, hidden: pl.DataFrame) -> pl.DataFrame:
    """Blank the withheld items, and the proportions built on them, keeping row order."""
    rows = results.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    estimate_rows = hidden.filter(pl.col("col") == "estimate")["row"].implode()
    n_rows = hidden.filter(pl.col("col") == "n")["row"].implode()
    counts = hidden.filter(pl.col("col") == "estimate", pl.col("statistic") == "count")
    built_on = rows.join(counts.select(CELL), on=list(CELL), nulls_equal=True)["_row"]
    hide_n = pl.col("_row").is_in(n_rows)
    hide = pl.col("_row").is_in(estimate_rows) | (
        (pl.col("statistic") == "proportion") & (hide_n | pl.col("_row").is_in(built_on.implode()))
    )
    blank = [
        pl.when(hide).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("estimate", "ci_lower", "ci_upper")
    ]
    return rows.with_columns(
        *blank,
        pl.when(hide_n).then(None).otherwise(pl.col("n")).alias("n"),
        (pl.col("suppressed") | hide).alias("suppressed"),
    ).drop("_row")


def _label(prefix: str = "") -> pl.Expr:
    parts = [pl.col(f"{prefix}{c}").fill_null("-") for c in (*CELL[:4], "grouping")]
    return pl.concat_str(
        [
            pl.concat_str(parts, separator="/"),
            pl.lit("="),
            pl.col(f"{prefix}group"),
            pl.lit("/"),
            pl.col(f"{prefix}statistic"),
        ]
    )


def disclosure_violations(
    results: pl.DataFrame, threshold: int, *, identities: bool = False
) -> list[str]:
    """Say, one line each, what in `results` would disclose a small number of people.

    Checks: a published count of people (an additive estimate or an `n`) of 1 to
    `threshold` - 1; a family (module docstring) with exactly one withheld member; a
    proportion published beside a withheld count, or withheld beside a published count and
    `n`; any minimum or maximum. An empty list means none was found.

    Examples
    --------
    >>> import polars as pl
    >>> from ips_outcomes.results import RESULT_SCHEMA
    >>> row = {"analysis": "cohort", "outcome": "participants", "window": None,
    ...        "population": None, "grouping": "all", "group": "all", "statistic": "n",
    ...        "estimate": 3.0, "ci_lower": None, "ci_upper": None, "n": 3,
    ...        "suppressed": False}
    >>> for line in disclosure_violations(pl.DataFrame([row], schema=RESULT_SCHEMA), 5):
    ...     print(line)
    small count: cohort/participants/-/-/all=all/n estimate 3
    small count: cohort/participants/-/-/all=all/n n 3
    """
    items = _items(results)
    labelled = items.with_columns(_label().alias("label"))
    follow_up = (pl.col("col") == "estimate") & pl.col("statistic").is_in([*FOLLOW_UP_STATISTICS])
    small = labelled.filter(is_small(pl.col("value"), threshold) & ~follow_up).select(
        pl.format("small count: {} {} {}", "label", "col", pl.col("value").cast(pl.Int64))
    )
    members = _families(items, identities).join(
        labelled.select("item", "label", "col", "value"), on="item"
    )
    lone = _lone(members.with_columns(pl.col("value").is_null().alias("withheld")))
    total = lone.filter(pl.col("parent")).select("fam", total=pl.format("{} {}", "label", "col"))
    recoverable = (
        lone.filter(pl.col("withheld"))
        .join(total, on="fam", how="left")
        .select(
            pl.format(
                "lone withheld cell: {} {} (family of {})",
                "label",
                "col",
                pl.col("total").fill_null("?"),
            )
        )
    )
    rows = results.with_row_index("_row").with_columns(_label().alias("label"))
    counts = rows.filter(pl.col("statistic") == "count").select(
        *CELL, count=pl.col("estimate"), count_n=pl.col("n")
    )
    paired = rows.filter(pl.col("statistic") == "proportion").join(
        counts, on=list(CELL), nulls_equal=True
    )
    shown = pl.col("estimate").is_not_null()
    mismatched = paired.filter(
        (shown & pl.col("count").is_null())
        | (
            pl.col("suppressed")  # unsuppressed and empty: no proportion of zero people
            & pl.col("count").is_not_null()
            & pl.col("n").is_not_null()
        )
    ).select(
        pl.when(shown)
        .then(pl.format("proportion of a withheld count: {}", "label"))
        .otherwise(pl.format("withheld proportion of a published count and n: {}", "label"))
    )
    extremes = rows.filter(pl.col("statistic").str.contains(_FORBIDDEN)).select(
        pl.format("minimum or maximum published: {}", "label")
    )
    lines = [small, recoverable, mismatched, extremes]
    return [line for frame in lines for line in frame.to_series().to_list()]
