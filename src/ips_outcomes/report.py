"""Render the HTML report from the published (already suppressed) results.

The report reads only aggregate inputs: the long-format results, the ingest summary and the
provenance record. Jinja2 autoescaping is on, so text from the data (site names, services)
is shown as text, never interpreted as HTML.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import jinja2
import polars as pl

from ips_outcomes.config import AnalysisConfig
from ips_outcomes.definitions import (
    IPS_GROW_TARGET,
    OUTCOMES,
    QUARTERLY_BENCHMARKS,
    SERVICE_WINDOW,
)
from ips_outcomes.quarterly import benchmark_band

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("ips_outcomes", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

Key = tuple[str, str, str | None, str | None, str, str, str]


def format_count(value: float | None, threshold: int) -> str:
    r"""Format a count of people, or `<threshold` where it was suppressed.

    Examples
    --------
    >>> format_count(1234.0, 5), format_count(None, 5)
    ('1\xa0234', '<5')
    """
    return f"<{threshold}" if value is None else f"{value:,.0f}".replace(",", "\u00a0")


def format_share(value: float | None, low: float | None = None, high: float | None = None) -> str:
    """Format a proportion as a percentage, with its CI when given; `–` where suppressed.

    Examples
    --------
    >>> format_share(0.4567, 0.40, 0.51)
    '45.7 % (40.0–51.0)'
    """
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{100 * value:.1f} %"
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        text += f" ({100 * low:.1f}–{100 * high:.1f})"
    return text


def format_number(value: float | None, digits: int = 1) -> str:
    """Format a summary statistic; `–` where suppressed or undefined (NaN, infinite)."""
    return (
        "–"
        if value is None or not math.isfinite(value)
        else f"{value:,.{digits}f}".replace(",", "\u00a0")
    )


class Results:
    """Look-up of result rows by their identifying columns."""

    def __init__(self, table: pl.DataFrame, threshold: int) -> None:
        self.threshold = threshold
        self.rows: dict[Key, dict[str, Any]] = {
            (
                r["analysis"],
                r["outcome"],
                r["window"],
                r["population"],
                r["grouping"],
                r["group"],
                r["statistic"],
            ): r
            for r in table.iter_rows(named=True)
        }
        self.services = sorted({k[5] for k in self.rows if k[0] == "cohort" and k[4] == "service"})
        self.sites = sorted(
            {k[5].split("|")[0] for k in self.rows if k[0] == "cohort" and k[4] == "site|service"}
        )

    def rate(
        self,
        analysis: str,
        outcome: str,
        window: str | None,
        population: str,
        grouping: str,
        group: str,
    ) -> str:
        """Format a rate cell: `share (CI) · count/n`."""
        share = self.value(analysis, outcome, window, population, grouping, group, "proportion")
        count = self.value(analysis, outcome, window, population, grouping, group, "count")
        if share is None or count is None:
            return ""
        n = format_count(share["n"], self.threshold) if share["n"] is not None else "–"
        k = format_count(count["estimate"], self.threshold)
        return f"{format_share(share['estimate'], share['ci_lower'], share['ci_upper'])} · {k}/{n}"

    def balance(self, comparison: str) -> list[tuple[str, float | None, float | None]]:
        """Return (covariate, SMD before, SMD after) rows of a comparison's weighting."""
        rows: dict[str, dict[str, float | None]] = {}
        for key, row in self.rows.items():
            if key[0] == "comparison_balance" and key[5] == comparison:
                rows.setdefault(key[1], {})[key[6]] = row["estimate"]
        return [(c, v.get("smd_before"), v.get("smd_after")) for c, v in rows.items()]

    def value(
        self,
        analysis: str,
        outcome: str,
        window: str | None,
        population: str | None,
        grouping: str,
        group: str,
        statistic: str,
    ) -> dict[str, Any] | None:
        """Return the row with this key, or None."""
        return self.rows.get((analysis, outcome, window, population, grouping, group, statistic))


def _summary_cell(res: Results, outcome: str, window: str, service: str) -> str:
    population = OUTCOMES[outcome].population
    stats = {
        s: res.value("employment_summary", outcome, window, population, "service", service, s)
        for s in ("n", "mean", "sd", "median", "q1", "q3")
    }
    if any(v is None for v in stats.values()):
        return ""
    if stats["n"]["suppressed"]:  # type: ignore[index]
        return f"n <{res.threshold}"
    get = {s: v["estimate"] for s, v in stats.items() if v is not None}
    return (
        f"{format_number(get['mean'])} ({format_number(get['sd'])}); "
        f"{format_number(get['median'])} [{format_number(get['q1'])}–{format_number(get['q3'])}]"
        f"; n={format_count(get['n'], res.threshold)}"
    )


def figure_uri(path: Path) -> str:
    """Encode a PNG as a `data:` URI, so the report stays one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _p_value(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def render_report(
    results: pl.DataFrame,
    ingest_summary: dict[str, Any],
    provenance: dict[str, Any],
    config: AnalysisConfig,
    figures: dict[str, Path] | None = None,
    context: dict[str, Any] | None = None,
) -> str:
    """Return the report as one self-contained HTML document.

    Parameters
    ----------
    results
        Published long-format results (suppressed).
    ingest_summary
        Aggregate ingest counts (see :func:`ips_outcomes.ingest.ingest_summary`).
    provenance
        Provenance record (see :func:`ips_outcomes.provenance.collect_provenance`).
    config
        The analysis configuration.
    figures
        PNG figures to embed, by name (`time_to_first_job`, `cumulative_incidence`, ...).
    context
        The comparison stage's sentences and fidelity reviews (aggregate, site level).

    Returns
    -------
    str
        HTML text.
    """
    res = Results(results, config.small_cell_threshold)
    main_window = f"{max(config.followup_months)}m"
    return _ENV.get_template("report.html.j2").render(
        config=config,
        cohort=config.cohort_name,
        res=res,
        outcomes=OUTCOMES,
        windows=config.windows,
        main_window=main_window,
        service_window=SERVICE_WINDOW,
        summary_cell=lambda outcome, window, service: _summary_cell(res, outcome, window, service),
        fmt_count=lambda v: format_count(v, config.small_cell_threshold),
        fmt_share=format_share,
        benchmarks=QUARTERLY_BENCHMARKS,
        grow_target=IPS_GROW_TARGET,
        band=benchmark_band,
        ingest=ingest_summary,
        provenance=provenance,
        threshold=config.small_cell_threshold,
        figures={name: figure_uri(path) for name, path in (figures or {}).items()},
        statements=(context or {}).get("statements", {}),
        fidelity_reviews=(context or {}).get("fidelity_reviews", []),
        controls=sorted({k[5] for k in res.rows if k[0] == "comparison" and k[4] == "comparison"}),
        horizon=config.survival_horizon_months,
        fmt_p=_p_value,
        fmt_number=format_number,
        comparisons=sorted({k[5] for k in res.rows if k[0] == "survival" and k[4] == "comparison"}),
    )
