"""The report's tables for people who work in Excel, one tidy wide table per report table.

Built from the published results (already suppressed), never from row-level data. Numbers stay
numbers (integer counts; an empty cell where withheld or undefined, e.g. an infinite bound) and
`Suppressed` marks a row with a withheld value. Codes (outcome, window, services, sites) are
kept so rows join back to `results.csv`; only headers are translated.
:func:`ips_outcomes.table_files.write_tables` writes them as CSV files and one workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from ips_outcomes.definitions import IPS_GROW_TARGET, OUTCOMES, QUARTERLY_BENCHMARKS
from ips_outcomes.results import GROUP_SEPARATOR, SORT_KEY

Gettext = Callable[[str], str]
Kind = Literal["count", "number", "flag"]

SUPPRESSED = "Suppressed"
TABLES: tuple[str, ...] = ("participants", "flow", "baseline", "employment", "thl")
TABLES += ("employment_summary", "quarterly", "survival", "survival_comparison", "comparison")
TABLES += ("wellbeing", "fidelity", "sites")
"""The table names, in report order."""


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Col:
    """A wide table's column: a statistic's `estimate` (or `n`), then its CI if `ci`.

    `outcome`, `window` narrow the rows read; a header's `{months}` comes from `window`.
    """

    statistic: str | None
    header: str
    kind: Kind = "number"
    ci: bool = False
    field: str = "estimate"
    outcome: str | None = None
    window: str | None = None

    def hit(self) -> pl.Expr:
        """Select the result rows this column reads."""
        hit = pl.lit(True) if self.statistic is None else pl.col("statistic") == self.statistic
        if self.outcome is not None:
            hit &= pl.col("outcome") == self.outcome
        if self.window is not None:
            hit &= pl.col("window") == self.window
        return hit

    def headers(self) -> tuple[str, ...]:
        """Return the message ids of the column's headers: estimate, CI lower, CI upper."""
        ci = (f"{self.header}, CI lower", f"{self.header}, CI upper") if self.ci else ()
        return (self.header, *ci)


def _pairs(spec: str) -> dict[str, str]:
    return dict(item.strip().split("=") for item in spec.split(";"))


def _cols(spec: str, **common: str) -> tuple[Col, ...]:
    # `statistic=Header` items joined by `;`; a header ending `#` is a count, `?` a yes/no and
    # `~` has a CI; `statistic.n` reads the n column, and an empty statistic any row's n.
    cols = []
    for name, header in _pairs(spec).items():
        stat, _, field = name.partition(".")
        kind: Kind = "count" if "#" in header else "flag" if "?" in header else "number"
        label, ci = header.rstrip("#?~"), "~" in header
        cols.append(Col(stat or None, label, kind, ci, field or "estimate", **common))
    return tuple(cols)


KEY_HEADERS = _pairs(
    "outcome=Outcome; window=Window; population=Population; service=Service; site=Site;"
    "control=Control service; comparison=Comparison; grouping=Grouping; group=Group;"
    "statistic=Statistic; instrument=Instrument; time_point=Time point"
)
LONG_HEADERS = _pairs("outcome=Measure; estimate=Estimate; ci_lower=CI lower; ci_upper=CI upper")
PARTICIPANTS = _cols("n=Participants#")
RATE = _cols(
    "count=People with the outcome#; proportion.n=Denominator#; proportion=Proportion~;"
    "excluded=Excluded from the denominator#"
)
SUMMARY = _cols("n=People#; mean=Mean; sd=SD; median=Median; q1=Lower quartile; q3=Upper quartile")
QUARTERLY = _cols(
    "mean_quarterly_rate=Mean quarterly rate; quarters=Quarters#", outcome="employment_rate"
) + _cols(
    "mean_quarterly_rate=Mean quarterly rate, out of work at entry;"
    "quarters=Quarters, out of work at entry#",
    outcome="employment_rate_out_of_work_at_entry",
)
BANDS = ("below minimal", *QUARTERLY_BENCHMARKS)
BAND, GROW = "Benchmark band", "IPS Grow target met"
PROBABILITY = "Probability of a first job by {months} months"
SURVIVAL = _cols("n=People#; events=Jobs started#")
SURVIVAL_TIMES = _cols(
    "median_days=Median days~; median_reached=Median reached?; rmst_days=Restricted mean days~;"
    "rmst_tau_days=Restricted mean up to day"
)
SURVIVAL_COMPARISON = _cols(
    ".n=People#; logrank_p=Log-rank p; logrank_stratified_p=Log-rank p, stratified by site;"
    "hr_unadjusted=HR unadjusted~; hr_unadjusted_p=HR unadjusted, p;"
    "hr_adjusted_strata_site=HR adjusted (site strata)~;"
    "hr_adjusted_strata_site_p=HR adjusted (site strata), p;"
    "hr_adjusted_cluster_site=HR adjusted (site-robust SE)~;"
    "hr_adjusted_cluster_site_p=HR adjusted (site-robust SE), p; ph_test_p=PH test p;"
    "rmst_difference_days=Days sooner (RMST)~; rmst_difference_p=Days sooner (RMST), p"
)
COMPARISON = _cols(
    ".n=People compared#; risk_treated=Risk, intervention; risk_control=Risk, control;"
    "risk_difference=Risk difference~; risk_ratio=Risk ratio~; odds_ratio=Odds ratio~; nnt=NNT~;"
    "p_value=p; risk_ratio_adjusted=Adjusted risk ratio~; odds_ratio_adjusted=Adjusted odds ratio~;"
    "risk_difference_iptw=IPTW risk difference~; risk_ratio_iptw=IPTW risk ratio~;"
    "mean_treated=Mean, intervention; mean_control=Mean, control;"
    "mean_difference=Mean difference~; cohens_d=Cohen's d~"
)
SITES = _cols(
    "n=Participants#; count=Employed#; proportion.n=Denominator#;proportion=Proportion employed~"
)
WELLBEING = _cols(
    ".n=People#; mean_baseline=Mean at baseline; mean_change=Mean change~;"
    "n_missing_followup=Baseline but no follow-up score#;"
    "difference_in_change=Difference in change~; p_value=p"
)
FIDELITY = _cols(
    ".n=People#; total=IPS-25 total; staffing=Staffing; organisation=Organisation;"
    "services=Services; items_scored=Items scored#; sites=Sites#; r=Correlation r~; slope=Slope;"
    "intercept=Intercept; p_value=p"
)
_SPECS: tuple[tuple[Col, ...], ...] = (PARTICIPANTS, RATE, SUMMARY, QUARTERLY, SURVIVAL)
_SPECS += (SURVIVAL_TIMES, SURVIVAL_COMPARISON, COMPARISON, SITES, WELLBEING, FIDELITY)
_EXTRA = (BAND, GROW, *BANDS, SUPPRESSED, "People", *LONG_HEADERS.values())
MESSAGES: tuple[str, ...] = tuple(
    dict.fromkeys([*KEY_HEADERS.values(), *(h for s in _SPECS for c in s for h in c.headers())])
    | dict.fromkeys([*Col(None, PROBABILITY, ci=True).headers(), *_EXTRA])
)
"""Every column header (and benchmark band) the tables use, as English message ids."""


def _label(msgid: str, window: str | None, gettext: Gettext) -> str:
    text = gettext(msgid)
    return text.format(months=window.removesuffix("m")) if "{months}" in msgid and window else text


def _number(expr: pl.Expr, kind: Kind) -> pl.Expr:
    # Excel has no infinity or NaN: an undefined number becomes an empty cell.
    finite = pl.when(expr.is_finite()).then(expr)
    if kind == "count":
        return finite.round(0).cast(pl.Int64)
    return (finite == 1) if kind == "flag" else finite


def _order(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Sort rows: outcomes in definition order, windows by months, the whole cohort last."""
    exprs: list[pl.Expr] = []
    for key in keys:
        col = pl.col(key)
        if key == "outcome":
            exprs.append(col.replace_strict(list(OUTCOMES), range(len(OUTCOMES)), default=None))
        if key in ("window", "time_point"):
            exprs.append(col.str.extract(r"^(\d+)m$").cast(pl.Int64))
        exprs += [col == "all", col]
    return frame.sort(exprs, nulls_last=True, maintain_order=True)


def wide(
    rows: pl.DataFrame, keys: str, cols: Iterable[Col], gettext: Gettext = _identity
) -> pl.DataFrame:
    """Pivot result rows to one row per key, one column per statistic (and its CI).

    Examples
    --------
    >>> rows = pl.DataFrame({"service": "IPS", "statistic": ["count", "proportion"],
    ...     "outcome": "employed", "window": None, "estimate": [12.0, 0.4],
    ...     "ci_lower": [None, 0.2], "ci_upper": [None, 0.6], "n": 30, "suppressed": False})
    >>> wide(rows, "service", RATE[:3]).row(0)
    ('IPS', 12, 30, 0.4, 0.2, 0.6, False)
    """
    cols, by = list(cols), keys.split()
    aggs: list[pl.Expr] = []
    for c in cols:
        kinds: tuple[Kind, ...] = (c.kind, "number", "number")
        fields = (c.field, "ci_lower", "ci_upper")
        for field, header, kind in zip(fields, c.headers(), kinds, strict=False):
            value = pl.col(field).filter(c.hit()).drop_nulls().first()
            aggs.append(_number(value, kind).alias(_label(header, c.window, gettext)))
    aggs.append(pl.col("suppressed").any().alias(gettext(SUPPRESSED)))
    order = [k for k in SORT_KEY if k in rows.columns]
    used = rows.filter(pl.any_horizontal([c.hit() for c in cols])).sort(order)
    table = _order(used.group_by(by, maintain_order=True).agg(aggs), by)
    return table.rename({k: gettext(KEY_HEADERS[k]) for k in by})


def long(rows: pl.DataFrame, gettext: Gettext = _identity) -> pl.DataFrame:
    """Keep result rows long (one per statistic), dropping identifying columns left empty.

    Examples
    --------
    >>> rows = pl.DataFrame({"analysis": "flow", "outcome": "enrolled", "window": None,
    ...     "population": None, "grouping": "all", "group": "all", "statistic": "n",
    ...     "estimate": [600.0], "ci_lower": None, "ci_upper": None, "n": 600,
    ...     "suppressed": False})
    >>> long(rows).columns
    ['Measure', 'Grouping', 'Group', 'Statistic', 'Estimate', 'People', 'Suppressed']
    """
    keys = ("outcome", "window", "population", "grouping", "group", "statistic")
    keep = [k for k in keys if rows[k].null_count() < rows.height]
    cis = [v for v in ("ci_lower", "ci_upper") if rows[v].null_count() < rows.height]
    numbers = [_number(pl.col(v), "number") for v in ("estimate", *cis)]
    table = rows.sort(list(SORT_KEY)).select(*keep, *numbers, "n", "suppressed")
    headers = KEY_HEADERS | LONG_HEADERS | {"n": "People", "suppressed": SUPPRESSED}
    return table.rename({c: gettext(headers[c]) for c in table.columns})


def _rows(results: pl.DataFrame, analysis: str, **equal: str) -> pl.DataFrame:
    where = [pl.col("analysis").is_in(analysis.split())]
    return results.filter(where + [pl.col(c) == v for c, v in equal.items()])


def _split(rows: pl.DataFrame, names: str, *, with_all: bool = False) -> pl.DataFrame:
    """Name the grouping's parts (`site|service`); `with_all` adds the whole cohort as "all"."""
    parts = names.split()
    grouping = [GROUP_SEPARATOR.join(parts), *(["all"] if with_all else [])]
    split = pl.col("group").str.splitn(GROUP_SEPARATOR, len(parts)).struct.rename_fields(parts)
    rows = rows.filter(pl.col("grouping").is_in(grouping))
    return rows.with_columns(split.alias("_parts")).unnest("_parts")


def _extra(rows: pl.DataFrame, known: Sequence[Col]) -> list[Col]:
    """Columns for statistics the spec does not name yet, headed by their code."""
    extra = rows.filter(~pl.col("statistic").is_in([c.statistic for c in known if c.statistic]))
    with_ci = set(extra.filter(pl.col("ci_lower").is_not_null())["statistic"])
    return [Col(s, s, ci=s in with_ci) for s in sorted(set(extra["statistic"]))]


def _quarterly(results: pl.DataFrame, gettext: Gettext) -> pl.DataFrame:
    rows = _split(_rows(results, "quarterly", window="all_quarters"), "site")
    table = wide(rows, "site", QUARTERLY, gettext)
    rate, _, rate_oow, _ = (gettext(c.header) for c in QUARTERLY)
    band = pl.lit(gettext(BANDS[0]))
    for name, level in sorted(QUARTERLY_BENCHMARKS.items(), key=lambda item: item[1]):
        band = pl.when(pl.col(rate) >= level).then(pl.lit(gettext(name))).otherwise(band)
    order = table.columns
    order.insert(order.index(rate) + 1, gettext(BAND))
    order.insert(order.index(rate_oow) + 1, gettext(GROW))
    return table.with_columns(
        pl.when(pl.col(rate).is_not_null()).then(band).alias(gettext(BAND)),
        (pl.col(rate_oow) >= IPS_GROW_TARGET).alias(gettext(GROW)),
    ).select(order)


def report_tables(
    results: pl.DataFrame, intervention: str, main_window: str, *, gettext: Gettext = _identity
) -> dict[str, pl.DataFrame]:
    """Build one tidy wide table per report table from the published (suppressed) results.

    Parameters
    ----------
    results
        The long-format results (see :mod:`ips_outcomes.results`).
    intervention
        The intervention's service: comparisons `"<intervention> vs <control>"` are labelled
        by the control.
    main_window
        The longest follow-up window (`18m`), used by the table of sites.
    gettext
        Translates the English column headers (see `MESSAGES`).

    Returns
    -------
    dict of str to polars.DataFrame
        Tables by file-safe name, in report order; a table with no rows is left out.

    Examples
    --------
    >>> from ips_outcomes.results import RESULT_SCHEMA
    >>> results = pl.DataFrame([("cohort", "participants", None, None, "service", "IPS", "n",
    ...     42.0, None, None, 42, False)], schema=RESULT_SCHEMA, orient="row")
    >>> report_tables(results, "IPS", "18m")["participants"].rows()
    [('IPS', 42, False)]
    """
    survival = _rows(results, "survival", outcome="first_job")
    horizons = survival.filter(statistic="probability", grouping="service")["window"]
    probability = [
        Col("probability", PROBABILITY, ci=True, window=w)
        for w in sorted(set(horizons.drop_nulls()), key=lambda w: (len(w), w))
    ]
    # The PH test of the whole model is the comparison's; its per-term tests stay in results.
    ph = survival.filter(pl.col("group").str.ends_with("|GLOBAL")).with_columns(
        grouping=pl.lit("comparison"), group=pl.col("group").str.strip_suffix("|GLOBAL")
    )
    comparisons = _rows(results, "comparison comparison_adjusted").with_columns(
        control=pl.col("group").str.strip_prefix(f"{intervention} vs ")
    )
    employed = {"outcome": "employed", "window": main_window, "population": "complete_followup"}
    sites = pl.concat(
        [_rows(results, "cohort", outcome="participants"), _rows(results, "employment", **employed)]
    ).with_columns(window=pl.lit(main_window))
    wellbeing = _rows(results, "wellbeing").with_columns(
        instrument=pl.col("outcome"), time_point=pl.col("window")
    )
    fidelity = _rows(results, "fidelity")
    by_service, cohort = "outcome window population service", _rows(results, "cohort")
    specs = [
        ("participants", _split(cohort, "service", with_all=True), "service", PARTICIPANTS),
        ("employment", _split(_rows(results, "employment"), "service"), by_service, RATE),
        ("thl", _split(_rows(results, "thl"), "service", with_all=True), by_service, RATE),
        ("employment_summary", _split(_rows(results, "employment_summary"), "service",
                                      with_all=True), by_service, SUMMARY),
        ("survival", _split(survival, "service"), "service",
         [*SURVIVAL, *probability, *SURVIVAL_TIMES]),
        ("survival_comparison", _split(pl.concat([survival, ph]), "comparison"), "comparison",
         SURVIVAL_COMPARISON),
        ("comparison", comparisons.filter(grouping="comparison"),
         "control outcome window population", COMPARISON),
        ("sites", _split(sites, "site service"), "site service window", SITES),
        ("wellbeing", wellbeing, "instrument time_point population group", WELLBEING),
        ("fidelity", fidelity, "outcome window population grouping group",
         [*FIDELITY, *_extra(fidelity, FIDELITY)]),
    ]  # fmt: skip
    tables = {name: wide(rows, keys, cols, gettext) for name, rows, keys, cols in specs}
    tables["quarterly"] = _quarterly(results, gettext)
    tables |= {name: long(_rows(results, name), gettext) for name in ("baseline", "flow")}
    return {name: tables[name] for name in TABLES if tables[name].height}
