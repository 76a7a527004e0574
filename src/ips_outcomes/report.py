"""Render the HTML report from the published (already suppressed) results.

The report reads only aggregate inputs: the long-format results, the ingest summary and the
provenance record. Jinja2 autoescaping is on, so text from the data (site names, services)
is shown as text, never interpreted as HTML.
"""

from __future__ import annotations

from typing import Any

import jinja2
import polars as pl

from ips_outcomes.config import AnalysisConfig

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("ips_outcomes", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def format_count(value: float | None, threshold: int) -> str:
    """Format a count of people, or `<threshold` where it was suppressed.

    Examples
    --------
    >>> format_count(12.0, 5), format_count(None, 5)
    ('12', '<5')
    """
    return f"<{threshold}" if value is None else f"{value:,.0f}".replace(",", "\u00a0")


def format_share(value: float | None, low: float | None = None, high: float | None = None) -> str:
    """Format a proportion as a percentage, with its CI when given; `–` where suppressed.

    Examples
    --------
    >>> format_share(0.4567, 0.40, 0.51)
    '45.7 % (40.0–51.0)'
    """
    if value is None:
        return "–"
    text = f"{100 * value:.1f} %"
    if low is not None and high is not None:
        text += f" ({100 * low:.1f}–{100 * high:.1f})"
    return text


def _rows(results: pl.DataFrame, analysis: str, grouping: str) -> list[dict[str, Any]]:
    return results.filter(
        (pl.col("analysis") == analysis) & (pl.col("grouping") == grouping)
    ).to_dicts()


def _employment_table(results: pl.DataFrame, grouping: str, threshold: int) -> list[list[str]]:
    rows = _rows(results, "employment", grouping)
    counts = {r["group"]: r for r in rows if r["statistic"] == "count"}
    table = []
    for row in (r for r in rows if r["statistic"] == "proportion"):
        count = counts[row["group"]]
        table.append(
            [
                *row["group"].split("|"),
                format_count(row["n"], threshold),
                format_count(count["estimate"], threshold),
                format_share(row["estimate"], row["ci_lower"], row["ci_upper"]),
            ]
        )
    return table


def render_report(
    results: pl.DataFrame,
    ingest_summary: dict[str, Any],
    provenance: dict[str, Any],
    config: AnalysisConfig,
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

    Returns
    -------
    str
        HTML text.
    """
    threshold = config.small_cell_threshold
    overall = _rows(results, "cohort", "all")
    sites = _rows(results, "cohort", "site|service")
    return _ENV.get_template("report.html.j2").render(
        config=config,
        cohort=config.cohort_name,
        total=format_count(overall[0]["estimate"] if overall else None, threshold),
        sites=[[*r["group"].split("|"), format_count(r["estimate"], threshold)] for r in sites],
        by_service=_employment_table(results, "service", threshold),
        by_site=_employment_table(results, "site|service", threshold),
        ingest=ingest_summary,
        provenance=provenance,
        threshold=threshold,
    )
