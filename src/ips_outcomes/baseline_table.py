"""Table 1 as HTML: the baseline result rows rendered with great_tables, ready for the report.

:func:`baseline_table_html` lays out the rows of :func:`ips_outcomes.baseline.baseline_results`
(after :func:`ips_outcomes.baseline.complementary_suppression`): a row per variable with its
SMDs, then one per level or statistic; a column per service. Labels go through `gettext` (the
msgids are :data:`MESSAGES`), numbers are formatted for the locale by Babel, withheld cells
are marked, and the table's CSS is scoped to the table so that it cannot restyle the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from babel.numbers import format_decimal
from great_tables import GT, loc, style

from ips_outcomes.baseline import ANALYSIS, COMPARISON, LEVELS, VARIABLE_LABELS, level_order
from ips_outcomes.results import MISSING_GROUP

TABLE_ID = "table1"
NOTES = (
    "Categories: n (%) of everyone enrolled; numeric variables: mean (SD) and "
    "median [Q1–Q3] of the known values.",
    "SMD: standardised mean difference; with more than two categories, the multivariate "
    "SMD of Yang & Dalton (2012), which has no sign.",
    "<{threshold}: withheld, as fewer than {threshold} people are in the cell or outside it; "
    "n <{threshold}: withheld, fewer than {threshold} people; ×: withheld so that a small "
    "cell cannot be worked out from the total; –: not defined.",
)
_BOOLEAN = {"false": "No", "true": "Yes"}
#: Shown for a cell withheld only to protect a small one (its own count is not small).
SECONDARY_MARK = "×"
#: Every msgid :func:`baseline_table_html` can pass to gettext.
MESSAGES: tuple[str, ...] = (
    *VARIABLE_LABELS.values(),
    "Characteristic",
    "Mean (SD)",
    "Median [Q1–Q3]",
    "Missing",
    *_BOOLEAN.values(),
    "SMD, {intervention} vs {control}",
    *NOTES,
)


def baseline_table_html(
    results: pl.DataFrame,
    services: list[str],
    intervention: str,
    *,
    gettext: Callable[[str], str] = str,
    locale: str = "en",
    threshold: int = 5,
) -> str:
    r"""Table 1 as a self-contained HTML fragment (great_tables; no fonts or links fetched).

    A row per variable (with its SMDs), then one per level or statistic; a column per service
    in `services` order, then one SMD column per control with SMD rows. Labels go through
    `gettext` (msgids in :data:`MESSAGES`); data values (levels, services) are escaped, not
    translated. Numbers follow `locale` (babel, rounding half to even): counts ``#,##0``,
    percentages, means, SDs and quartiles ``#,##0.0``, SMDs ``0.000``. The same input gives
    the same bytes.

    Examples
    --------
    >>> import polars as pl
    >>> from ips_outcomes.baseline import baseline_results
    >>> people = pl.DataFrame({"service": ["IPS"] * 6 + ["TAU"] * 6, "gender": ["f"] * 12})
    >>> html = baseline_table_html(baseline_results(people, "IPS", 5, ["gender"]),
    ...                            ["IPS", "TAU"], "IPS", locale="fi")
    >>> "6 (100,0\xa0%)" in html, 'id="table1"' in html
    (True, True)
    """
    cells = _Cells(results.filter(pl.col("analysis") == ANALYSIS), gettext, locale, threshold)
    pairs = [(f"{intervention} vs {c}", c) for c in services if c != intervention]
    pairs = [(g, c) for g, c in pairs if any(k[1:3] == (COMPARISON, g) for k in cells.rows)]
    outcomes = {k[0] for k in cells.rows} - {"participants"}
    known = [v for v in VARIABLE_LABELS if v in outcomes]
    rows: list[list[str]] = []
    heads: list[int] = []
    for variable in known + sorted(outcomes - set(known)):
        heads.append(len(rows))
        label = gettext(VARIABLE_LABELS[variable]) if variable in VARIABLE_LABELS else variable
        smds = [cells.fmt(cells.get(variable, COMPARISON, g, "smd"), "0.000") for g, _ in pairs]
        rows.append([label, *[""] * len(services), *smds])
        for name, values in cells.variable_rows(variable, services):
            rows.append([name, *values, *[""] * len(pairs)])
    columns = ["label", *(f"s{i}" for i in range(len(services)))]
    columns += [f"d{i}" for i in range(len(pairs))]
    smd_label = gettext("SMD, {intervention} vs {control}")
    headings = [cells.service_label(s) for s in services]
    headings += [smd_label.format(intervention=intervention, control=c) for _, c in pairs]
    table = (
        GT(pl.DataFrame(rows, schema=columns, orient="row"), rowname_col="label", id=TABLE_ID)
        .tab_stubhead(label=gettext("Characteristic"))
        .cols_label(cases=dict[str, Any](zip(columns[1:], headings, strict=True)))
        .cols_align("right", columns=columns[1:])
        .tab_stub_indent(rows=[i for i in range(len(rows)) if i not in heads], indent=3)
        .tab_style(style=style.text(weight="bold"), locations=loc.stub(rows=heads))
    )
    for note in NOTES if pairs else NOTES[::2]:  # no SMD column, no SMD note
        table = table.tab_source_note(gettext(note).format(threshold=threshold))
    return _scope_css(table.as_raw_html(inline_css=False), TABLE_ID)


class _Cells:
    """Formatted Table 1 cells, looked up from the result rows."""

    def __init__(
        self, rows: pl.DataFrame, gettext: Callable[[str], str], locale: str, threshold: int
    ) -> None:
        self.rows = {
            (r["outcome"], r["grouping"], r["group"], r["statistic"]): r
            for r in rows.iter_rows(named=True)
        }
        self.gettext, self.locale, self.threshold = gettext, locale, threshold

    def get(self, *key: str) -> dict[str, Any]:
        return self.rows.get(key, {})  # type: ignore[arg-type]

    def fmt(self, row: dict[str, Any], pattern: str = "#,##0.0", prefix: str = "n ") -> str:
        """Format the estimate: `<k` (after `prefix`) if withheld, `–` if undefined."""
        if not row:
            return ""
        if row["estimate"] is None:
            if row.get("secondary"):
                return SECONDARY_MARK
            return f"{prefix}<{self.threshold}" if row["suppressed"] else "–"
        return format_decimal(row["estimate"], format=pattern, locale=self.locale)

    def count(self, row: dict[str, Any], share: float | None) -> str:
        text = self.fmt(row, "#,##0", prefix="")
        if share is None or row.get("estimate") is None:
            return text
        return f"{text} ({self.fmt({'estimate': 100 * share})}\u00a0%)"

    def service_label(self, service: str) -> str:
        return (
            f"{service} (n = {self.count(self.get('participants', 'service', service, 'n'), None)})"
        )

    def summary(self, variable: str, service: str, stats: Sequence[str], form: str) -> str:
        if self.get(variable, "service", service, "n").get("estimate") == 0:
            return "–"
        first, *rest = [self.get(variable, "service", service, s) for s in stats]
        if first.get("estimate") is None:
            return self.fmt(first)
        return form.format(self.fmt(first), *(self.fmt(r) for r in rest))

    def variable_rows(self, variable: str, services: list[str]) -> list[tuple[str, list[str]]]:
        """(label, one cell per service) for each statistic or level of a variable."""
        if any((variable, "service", s, "mean") in self.rows for s in services):
            mean = [self.summary(variable, s, ("mean", "sd"), "{} ({})") for s in services]
            quartiles = ("median", "q1", "q3")
            median = [self.summary(variable, s, quartiles, "{} [{}–{}]") for s in services]
            out = [(self.gettext("Mean (SD)"), mean), (self.gettext("Median [Q1–Q3]"), median)]
            missing = [self.get(variable, "service", s, "missing") for s in services]
            if any(r and r["estimate"] != 0 for r in missing):
                shares = [r["estimate"] / r["n"] if r and r["n"] else None for r in missing]
                cells = [self.count(r, p) for r, p in zip(missing, shares, strict=True)]
                out.append((self.gettext("Missing"), cells))
            return out
        found: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        for (outcome, grouping, group, statistic), row in self.rows.items():
            service = next((s for s in services if group.startswith(f"{s}|")), None)
            if outcome == variable and grouping == LEVELS and service is not None:
                found.setdefault(group[len(service) + 1 :], {})[service, statistic] = row
        levels = level_order(variable, found)
        boolean = set(levels) <= {*_BOOLEAN, MISSING_GROUP}
        out = []
        for level in levels:
            got = found[level]
            shares = [got.get((s, "proportion"), {}).get("estimate") for s in services]
            cells = [
                self.count(got.get((s, "count"), {}), p)
                for s, p in zip(services, shares, strict=True)
            ]
            if level == MISSING_GROUP:
                level = self.gettext("Missing")
            elif boolean:
                level = self.gettext(_BOOLEAN[level])
            out.append((level, cells))
        return out


def _scope_css(html: str, table_id: str) -> str:
    """Scope every rule of the table's style block to the table (GT 1.1.0 leaves `tr` etc.)."""
    start, end = html.index("<style>") + len("<style>"), html.index("</style>")
    prefix = f"#{table_id}"

    def scope(match: re.Match[str]) -> str:
        selectors = [s.strip() for s in match.group(1).split(",")]
        return ", ".join(s if s.startswith(prefix) else f"{prefix} {s}" for s in selectors) + " {"

    css = re.sub(r"^[ \t]*([^{}\n]+?)[ \t]*\{", scope, html[start:end], flags=re.MULTILINE)
    return html[:start] + css + html[end:]
