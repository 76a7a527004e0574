"""Render the HTML report from the published (already suppressed) results.

The report reads only aggregate inputs: the long-format results, the ingest summary and the
provenance record. Jinja2 autoescaping is on, so text from the data (site names, services)
is shown as text, never interpreted as HTML. Text is translated and numbers formatted for the
configured language by :class:`ips_outcomes.i18n.Translator`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import polars as pl
from markupsafe import Markup

from ips_outcomes.citations import METHOD_REFERENCES, SOFTWARE_REFERENCES
from ips_outcomes.config import AnalysisConfig
from ips_outcomes.definitions import (
    IPS_GROW_TARGET,
    OUTCOMES,
    QUARTERLY_BENCHMARKS,
    SERVICE_WINDOW,
)
from ips_outcomes.findings import data_quality_finding, key_findings
from ips_outcomes.i18n import Translator
from ips_outcomes.quarterly import benchmark_band

Key = tuple[str, str, str | None, str | None, str, str, str]
#: Shown for a cell withheld only so that a small cell cannot be worked out from a total.
SECONDARY_MARK = "×"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ips_outcomes", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_ENV = _environment()


class Results:
    """Look-up of result rows by their identifying columns, formatted for one language."""

    def __init__(self, table: pl.DataFrame, threshold: int, tr: Translator | None = None) -> None:
        self.threshold = threshold
        self.tr = tr or Translator()
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

    def at(self, key: tuple[Any, ...], statistic: str) -> dict[str, Any] | None:
        """Return the row of `statistic` for a key of the first six columns, or None."""
        return self.rows.get((*key, statistic))

    def est(self, key: tuple[Any, ...], statistic: str) -> float | None:
        """Return the estimate of `statistic` for a key of the first six columns."""
        return self.estimate(*key, statistic)

    def estimate(self, *key: Any) -> float | None:
        """Return the estimate of the row with this key (None where absent or withheld)."""
        row = self.value(*key)
        return None if row is None else row["estimate"]

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
        tr = self.tr
        n = tr.count(share["n"], self.threshold)
        k = self._count(count)
        return f"{tr.share(share['estimate'], share['ci_lower'], share['ci_upper'])} · {k}/{n}"

    def count(self, *key: Any) -> str:
        """Format a count of people; `<threshold` where withheld, empty where absent."""
        row = self.value(*key)
        return "" if row is None else self._count(row)

    def _count(self, row: dict[str, Any]) -> str:
        if row["estimate"] is None and row.get("secondary"):
            return SECONDARY_MARK
        return self.tr.count(row["estimate"], self.threshold)

    def ci(self, row: dict[str, Any] | None, digits: int = 2, pct: bool = False) -> str:
        """Format an estimate with its CI; `<threshold` where withheld, empty where absent."""
        if row is None:
            return ""
        if row["estimate"] is None:
            if row.get("secondary"):
                return SECONDARY_MARK
            return f"<{self.threshold}" if row["suppressed"] else self.tr.number(None)
        if pct:
            return self.tr.share(row["estimate"], row["ci_lower"], row["ci_upper"])
        return self.tr.interval(row["estimate"], row["ci_lower"], row["ci_upper"], digits)

    def balance(self, comparison: str) -> list[tuple[str, float | None, float | None]]:
        """Return (covariate, SMD before, SMD after) rows of a comparison's weighting."""
        rows: dict[str, dict[str, float | None]] = {}
        for key, row in self.rows.items():
            if key[0] == "comparison_balance" and key[5] == comparison:
                rows.setdefault(key[1], {})[key[6]] = row["estimate"]
        return [(c, v.get("smd_before"), v.get("smd_after")) for c, v in rows.items()]

    def groups(self, analysis: str, grouping: str) -> list[str]:
        """Return the groups of `grouping` that have rows in `analysis`, sorted."""
        return sorted({k[5] for k in self.rows if k[0] == analysis and k[4] == grouping})


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
    number = res.tr.number
    return (
        f"{number(get['mean'])} ({number(get['sd'])}); "
        f"{number(get['median'])} [{number(get['q1'])}–{number(get['q3'])}]"
        f"; n={res.tr.count(get['n'], res.threshold)}"
    )


def figure_uri(path: Path) -> str:
    """Encode a PNG as a `data:` URI, so the report stays one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_report(
    results: pl.DataFrame,
    ingest_summary: dict[str, Any],
    provenance: dict[str, Any],
    config: AnalysisConfig,
    figures: dict[str, Path] | None = None,
    context: dict[str, Any] | None = None,
    *,
    table1: str = "",
    thl: Mapping[str, float] | None = None,
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
        The analysis configuration; `config.language` sets the report language.
    figures
        PNG figures to embed, by name (`time_to_first_job`, `flow`, ...).
    context
        The comparison stage's sentences and fidelity reviews (aggregate, site level).
    table1
        The baseline table as an HTML fragment (built by :mod:`ips_outcomes.baseline_table`, whose
        text is escaped there).
    thl
        THL's national figures by outcome (`employed_during_service`,
        `working_or_studying_12m`), for the key findings.

    Returns
    -------
    str
        HTML text.
    """
    tr = Translator(config.language)
    res = Results(results, config.small_cell_threshold, tr)
    context = context or {}
    main_window = f"{max(config.followup_months)}m"
    return _ENV.get_template("report.html.j2").render(
        _=tr.gettext,
        tf=tr.format,
        tr=tr,
        language=config.language,
        config=config,
        cohort=config.cohort_name,
        res=res,
        outcomes=OUTCOMES,
        windows=config.windows,
        main_window=main_window,
        main_months=main_window[:-1],
        service_window=SERVICE_WINDOW,
        summary_cell=lambda outcome, window, service: _summary_cell(res, outcome, window, service),
        fmt_count=lambda v: tr.count(v, config.small_cell_threshold),
        small=lambda v: tr.count(
            None if 0 < v < config.small_cell_threshold else v, config.small_cell_threshold
        ),
        benchmarks=QUARTERLY_BENCHMARKS,
        grow_target=IPS_GROW_TARGET,
        band=benchmark_band,
        ingest=ingest_summary,
        provenance=provenance,
        threshold=config.small_cell_threshold,
        figures={name: figure_uri(path) for name, path in (figures or {}).items()},
        statements=tr.render_statements(context.get("statements", {})),
        fidelity_reviews=context.get("fidelity_reviews", []),
        controls=res.groups("comparison", "comparison"),
        horizon=config.survival_horizon_months,
        comparisons=res.groups("survival", "comparison"),
        findings=[*key_findings(res, config, thl), data_quality_finding(res, ingest_summary)],
        table1=Markup(table1),
        software=SOFTWARE_REFERENCES,
        methods=METHOD_REFERENCES,
    )
