"""The publishing stages: tables for spreadsheets, and the HTML report.

Both read only `reports/<cohort>/results.parquet` (published, suppressed aggregates) and the
aggregate ingest summary, so nothing row-level can reach what they write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ips_outcomes.config import AnalysisConfig
from ips_outcomes.i18n import Translator
from ips_outcomes.results import cohort_services

#: Benchmark ids of THL's two national figures, for the key findings.
THL_BENCHMARKS = {
    "employed_during_service": "thl_2024_service",
    "working_or_studying_12m": "thl_2024_12mo",
}


def tables_stage(config: AnalysisConfig, results_parquet: Path, folder: Path) -> list[Path]:
    """Write the report's tables as CSV files and one Excel workbook under `folder`.

    Files of tables that no longer exist are removed, so the folder always matches the report.
    """
    from ips_outcomes.table_files import write_tables
    from ips_outcomes.tables import report_tables

    tr = Translator(config.language)
    tables = report_tables(
        pl.read_parquet(results_parquet),
        config.intervention,
        f"{max(config.followup_months)}m",
        gettext=tr.gettext,
    )
    folder.mkdir(parents=True, exist_ok=True)
    written = write_tables(tables, folder, language=config.language)
    for stale in sorted(set(folder.iterdir()) - set(written)):
        stale.unlink()
    return written


@dataclass(frozen=True)
class ReportFiles:
    """What the report stage writes."""

    html: Path
    provenance: Path


def report_stage(
    config: AnalysisConfig,
    results_parquet: Path,
    ingest_json: Path,
    files: ReportFiles,
    root: Path,
    figures: dict[str, Path] | None = None,
    comparison_json: Path | None = None,
) -> None:
    """Write the HTML report (figures embedded) and its provenance record."""
    from ips_outcomes.baseline_table import baseline_table_html
    from ips_outcomes.provenance import collect_provenance
    from ips_outcomes.report import render_report

    tr = Translator(config.language)
    results = pl.read_parquet(results_parquet)
    summary = json.loads(ingest_json.read_text(encoding="utf-8"))
    context = json.loads(comparison_json.read_text(encoding="utf-8")) if comparison_json else {}
    services = cohort_services(results, config.intervention)
    provenance = collect_provenance(config, summary, root)
    files.provenance.parent.mkdir(parents=True, exist_ok=True)
    files.provenance.write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    table1 = baseline_table_html(
        results,
        services,
        config.intervention,
        gettext=tr.gettext,
        locale=config.language,
        threshold=config.small_cell_threshold,
    )
    html = render_report(
        results,
        summary,
        provenance,
        config,
        figures,
        context,
        table1=table1,
        thl=_thl_figures(config.benchmarks),
    )
    files.html.write_text(html, encoding="utf-8")


def _thl_figures(benchmarks: Path) -> dict[str, float]:
    """THL's national figures from the benchmarks file (absent ones are left out)."""
    from ips_outcomes.benchmarks import load_benchmarks

    by_id: dict[str, Any] = {b.id: b for b in load_benchmarks(benchmarks)}
    return {
        outcome: by_id[key].rate_treated
        for outcome, key in THL_BENCHMARKS.items()
        if key in by_id and by_id[key].rate_treated is not None
    }
