"""Titles, axis labels and captions of the report's figures, as translatable message ids.

The figure modules draw what they are given; the pipeline passes these texts through the
report language's translator (see :mod:`ips_outcomes.i18n`).
"""

from __future__ import annotations

from ips_outcomes.comparison_plots import ESTIMATE_HEADER, FIDELITY_BANDS, POINT_AREA
from ips_outcomes.plot_risk_table import RISK_ROWS
from ips_outcomes.survival_plots import CAUSE_LABELS

KM_TITLE = "Time to first competitive job, {months} months after enrolment"
KM_Y = "Started a competitive job"
MONTHS_X = "Months since enrolment"
KM_CAPTION = "{comparison}: log-rank p {p}; adjusted HR {hr}"
CIF_TITLE = "First job, with drop-out from the service as a competing event"
CIF_Y = "Cumulative incidence"
CIF_CAPTION = "Aalen-Johansen cumulative incidence; 95 % pointwise CI."
SITES_TITLE = "Employment within {months} months by site: risk ratio"
SITES_CAPTION = (
    "{intervention} vs all control services; random-effects pooling (DerSimonian-Laird)."
)
RR_AXIS = "Risk ratio (log scale)"
BENCHMARKS_TITLE = "This cohort beside the published trials: risk ratio"
FIDELITY_TITLE = "Site employment within {months} months and IPS-25 fidelity"
FIDELITY_X = "IPS-25 fidelity total (latest complete review)"
FIDELITY_Y = "Employed"
NOT_ENOUGH = "Not enough data for this figure."
NO_FIDELITY = "No fidelity data."
FOREST_TO = "to"
FOREST_LABELS = (
    "published",
    "recomputed",
    "this cohort",
    "This cohort",
    "Pooled (fixed effect)",
    "Pooled (random effect)",
)

#: Every text the figures can show.
MESSAGES: tuple[str, ...] = (
    KM_TITLE,
    KM_Y,
    MONTHS_X,
    KM_CAPTION,
    CIF_TITLE,
    CIF_Y,
    CIF_CAPTION,
    SITES_TITLE,
    SITES_CAPTION,
    RR_AXIS,
    BENCHMARKS_TITLE,
    FIDELITY_TITLE,
    FIDELITY_X,
    FIDELITY_Y,
    NOT_ENOUGH,
    NO_FIDELITY,
    FOREST_TO,
    *FOREST_LABELS,
    ESTIMATE_HEADER,
    POINT_AREA,
    *(label for _, label in RISK_ROWS),
    *CAUSE_LABELS.values(),
    *(name for name, _, _ in FIDELITY_BANDS),
)
