# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. A new comparison: subgroups and the outcome window
#
# The report compares the intervention with each control service on the whole cohort, at the
# longest follow-up window. This notebook asks two new questions with the same functions:
#
# 1. **Subgroups**: is the effect on employment similar across diagnosis groups?
# 2. **Sensitivity to the window**: does the effect depend on the follow-up window
#    (6, 12 or 18 months)?
#
# Effects with a 2x2 cell of 1 to k-1 people are withheld (`suppressed`), as in the report.
# Run the pipeline first (`make report`); `IPS_PROJECT_ROOT` / `IPS_COHORT` choose the cohort.

# %%
import polars as pl

from ips_outcomes.api import cohort_from_env, select_results
from ips_outcomes.compare_effects import crude_effects
from ips_outcomes.meta import pool_sites, site_log_risk_ratios
from ips_outcomes.results import combine
from ips_outcomes.survival_results import comparisons

cohort = cohort_from_env()
config = cohort.config()
people = cohort.participants()
threshold = config.small_cell_threshold
main = f"{max(config.followup_months)}m"
controls = comparisons(sorted(people["service"].unique()), config.intervention, config.controls)
print(f"{config.intervention} against {controls}; main window {main}")

# %% [markdown]
# `crude_effects` is the report's unadjusted comparison (risk difference, risk ratio, odds
# ratio, NNT; mean differences for the continuous outcomes). On the whole cohort it gives the
# published rows:

# %%
EFFECTS = ["risk_difference", "risk_ratio"]


def employment_effects(frame: pl.DataFrame, window: str) -> pl.DataFrame:
    """Risk difference and ratio of being employed in `window`, intervention vs each control."""
    rows = combine(crude_effects(frame, config.intervention, controls, window, threshold))
    return (
        select_results(rows, analysis="comparison", outcome="employed")
        .filter(pl.col("statistic").is_in(EFFECTS))
        .select("group", "statistic", "estimate", "ci_lower", "ci_upper", "n", "suppressed")
    )


whole = employment_effects(people, main)
published = select_results(cohort.results(), analysis="comparison", outcome="employed").filter(
    pl.col("statistic").is_in(EFFECTS)
)
check = whole.join(published, on=["group", "statistic"], suffix="_published")
assert (check["estimate"] == check["estimate_published"]).all()
whole

# %% [markdown]
# ## 1. Subgroups: diagnosis group
#
# The same function on each diagnosis group's participants. Small subgroups give wide
# intervals, and some effects are withheld.

# %%
by_diagnosis = pl.concat(
    [
        employment_effects(people.filter(pl.col("diagnosis_group") == group), main).with_columns(
            pl.lit(group).alias("diagnosis_group")
        )
        for group in sorted(people["diagnosis_group"].drop_nulls().unique())
    ]
).filter(pl.col("statistic") == "risk_difference")
by_diagnosis.select(
    "diagnosis_group", "group", "estimate", "ci_lower", "ci_upper", "n", "suppressed"
)

# %% [markdown]
# Do the subgroups differ more than chance allows? Treating each diagnosis group as a
# "study", the package's meta-analysis gives Cochran's Q test of heterogeneity and I²
# (the report uses the same functions across sites).

# %%
complete = people.filter(pl.col(f"window_complete_{main}"))
heterogeneity = []
for control in controls:
    table = site_log_risk_ratios(
        complete,
        f"employed_{main}",
        "service",
        config.intervention,
        control,
        by="diagnosis_group",
    )
    pooled = pool_sites(table, "rd", by="diagnosis_group")
    heterogeneity.append(
        {
            "comparison": f"{config.intervention} vs {control}",
            "subgroups": pooled.k,
            "pooled risk difference": round(pooled.random.estimate, 3),
            "Q": round(pooled.q, 2),
            "p (heterogeneity)": round(pooled.q_p, 3),
            "I² (%)": round(pooled.i2, 1),
        }
    )
pl.DataFrame(heterogeneity)

# %% [markdown]
# ## 2. Sensitivity to the outcome window
#
# The same comparison with each follow-up window as the outcome window. Each window has its own
# denominator: the people whose observation covers the whole window.

# %%
by_window = pl.concat(
    [
        employment_effects(people, f"{months}m").with_columns(pl.lit(f"{months}m").alias("window"))
        for months in config.followup_months
    ]
)
by_window.filter(pl.col("statistic") == "risk_difference").select(
    "window", "group", "estimate", "ci_lower", "ci_upper", "n"
).sort("group", "window")

# %%
by_window.filter(pl.col("statistic") == "risk_ratio").pivot(
    on="window", index="group", values="estimate"
)
