"""The report's key findings: a few sentences in plain words, built from published results.

Every number in a finding comes from the published (suppressed) results, so a finding can
never say more than the tables do; where a number was withheld the sentence says so or is
left out. Each sentence is a translatable message id with named fields (see `MESSAGES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ips_outcomes.config import AnalysisConfig
from ips_outcomes.definitions import SERVICE_WINDOW

if TYPE_CHECKING:
    from ips_outcomes.report import Results

COHORT = "{n} people were enrolled: {services}."
EMPLOYED = (
    "Within {months} months of enrolment, {share} of {service} participants followed for "
    "the whole window worked in a competitive job ({k} of {n})."
)
WITHHELD = "The share employed within {months} months in {service} is withheld (too few people)."
DIFFERENCE = (
    "Compared with {control} ({share_control}), that is {rd} percentage points more "
    "(95 % CI {low} to {high}); risk ratio {rr}."
)
FEWER = (
    "Compared with {control} ({share_control}), that is {rd} percentage points fewer "
    "(95 % CI {low} to {high} fewer); risk ratio {rr}."
)
NO_DIFFERENCE = (
    "Compared with {control} ({share_control}), the difference is {rd} percentage points "
    "(95 % CI {low} to {high}): no clear difference."
)
SOONER = (
    "Among people out of work at entry, {service} participants started a first job sooner "
    "than those in {control}: hazard ratio {hr} (95 % CI {low} to {high})."
)
LATER = (
    "Among people out of work at entry, {service} participants started a first job later "
    "than those in {control}: hazard ratio {hr} (95 % CI {low} to {high})."
)
UNCLEAR = (
    "Among people out of work at entry, time to a first job did not clearly differ between "
    "{service} and {control}: hazard ratio {hr} (95 % CI {low} to {high})."
)
THL = (
    "By THL's definitions, {during} of {service} participants with a known outcome had a "
    "competitive job during the service episode (national evaluation: {thl_during}), and "
    "{at12} were working or studying at 12 months (national evaluation: {thl_12})."
)
QUARANTINED = (
    "{rows} of {read} input records failed validation and were left out (see Data quality)."
)
CLEAN = "All {read} input records passed validation."
OBSERVATIONAL = (
    "The services were not allocated at random, so differences may partly reflect who was "
    "referred to each; the weighted estimates in the comparison section allow for the "
    "recorded baseline differences."
)
MESSAGES: tuple[str, ...] = (
    COHORT,
    EMPLOYED,
    WITHHELD,
    DIFFERENCE,
    FEWER,
    NO_DIFFERENCE,
    SOONER,
    LATER,
    UNCLEAR,
    THL,
    QUARANTINED,
    CLEAN,
    OBSERVATIONAL,
)


def key_findings(
    res: Results, config: AnalysisConfig, thl: Mapping[str, float] | None = None
) -> list[str]:
    """Return the key findings as sentences in the report language.

    Parameters
    ----------
    res
        The published results, with the report's translator.
    config
        The analysis configuration (intervention, windows, design).
    thl
        THL's national figures by outcome name, from the benchmarks file.

    Returns
    -------
    list of str
        Plain-text sentences (escaped by the template).
    """
    tr, cut = res.tr, res.threshold
    intervention = config.intervention
    window = f"{max(config.followup_months)}m"
    months = window[:-1]
    found = []
    total = res.estimate("cohort", "participants", None, None, "all", "all", "n")
    services = ", ".join(
        f"{s} {res.count('cohort', 'participants', None, None, 'service', s, 'n')}"
        for s in res.services
    )
    found.append(tr.format(COHORT, n=tr.count(total, cut), services=services))
    key = ("employment", "employed", window, "complete_followup", "service")
    share = res.value(*key, intervention, "proportion")
    if share is not None:
        if share["estimate"] is None:
            found.append(tr.format(WITHHELD, months=months, service=intervention))
        else:
            found.append(
                tr.format(
                    EMPLOYED,
                    months=months,
                    share=tr.share(share["estimate"], digits=0),
                    service=intervention,
                    k=res.count(*key, intervention, "count"),
                    n=tr.count(share["n"], cut),
                )
            )
            found += _differences(res, window)
    found += _survival(res, intervention)
    found += _thl(res, intervention, thl or {})
    if config.design == "observational" and res.groups("comparison", "comparison"):
        found.append(tr.gettext(OBSERVATIONAL))
    return found


def _differences(res: Results, window: str) -> list[str]:
    tr, found = res.tr, []
    for control in res.groups("comparison", "comparison"):
        key = ("comparison", "employed", window, "complete_followup", "comparison", control)
        rd, rr = res.value(*key, "risk_difference"), res.value(*key, "risk_ratio")
        other = res.value(*key, "risk_control")
        if rd is None or rd["estimate"] is None or other is None or rd["ci_lower"] is None:
            continue
        sentence, sign = NO_DIFFERENCE, 1.0
        if rd["ci_lower"] > 0:
            sentence = DIFFERENCE
        elif rd["ci_upper"] < 0:
            sentence, sign = FEWER, -1.0
        low, high = sorted((sign * rd["ci_lower"], sign * rd["ci_upper"]))
        found.append(
            tr.format(
                sentence,
                control=control.split(" vs ", 1)[-1],
                share_control=tr.share(other["estimate"], digits=0),
                rd=tr.number(100 * sign * rd["estimate"], 0),
                low=tr.number(100 * low, 0),
                high=tr.number(100 * high, 0),
                rr=res.ci(rr) if rr else tr.number(None),
            )
        )
    return found


def _survival(res: Results, intervention: str) -> list[str]:
    tr, found = res.tr, []
    for comparison in res.groups("survival", "comparison"):
        key = ("survival", "first_job", None, "out_of_work_at_entry", "comparison", comparison)
        hr: dict[str, Any] | None = res.value(*key, "hr_unadjusted")
        if hr is None or hr["estimate"] is None or hr["ci_lower"] is None:
            continue
        control = comparison.split(" vs ", 1)[-1]
        sentence = SOONER if hr["ci_lower"] > 1 else LATER if hr["ci_upper"] < 1 else UNCLEAR
        found.append(
            tr.format(
                sentence,
                service=intervention,
                control=control,
                hr=tr.number(hr["estimate"], 2),
                low=tr.number(hr["ci_lower"], 2),
                high=tr.number(hr["ci_upper"], 2),
            )
        )
    return found


def _thl(res: Results, intervention: str, thl: Mapping[str, float]) -> list[str]:
    during = res.value(
        "thl",
        "employed_during_service",
        SERVICE_WINDOW,
        "complete_case",
        "service",
        intervention,
        "proportion",
    )
    at12 = res.value(
        "thl", "working_or_studying_12m", "12m", "complete_case", "service", intervention,
        "proportion",
    )  # fmt: skip
    if during is None or at12 is None:
        return []
    tr = res.tr
    return [
        tr.format(
            THL,
            during=tr.share(during["estimate"], digits=0),
            at12=tr.share(at12["estimate"], digits=0),
            service=intervention,
            thl_during=tr.share(thl.get("employed_during_service"), digits=0),
            thl_12=tr.share(thl.get("working_or_studying_12m"), digits=0),
        )
    ]


def data_quality_finding(res: Results, ingest_summary: Mapping[str, Any]) -> str:
    """One sentence on how many input records were quarantined."""
    tables = ingest_summary.get("tables", [])
    read = sum(int(t["rows_read"]) for t in tables)
    rows = sum(int(t["rows_quarantined"]) for t in tables)
    tr = res.tr
    if rows == 0:
        return tr.format(CLEAN, read=tr.count(read))
    shown = None if rows < res.threshold else rows
    return tr.format(QUARANTINED, rows=tr.count(shown, res.threshold), read=tr.count(read))
