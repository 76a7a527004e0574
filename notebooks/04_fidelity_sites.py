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
# # 4. Fidelity and outcomes across sites
#
# IPS-25 fidelity reviews score each site's service (25 items, 1-5 each). Published studies
# find that sites with higher fidelity place more people in work (site-level r of about .3).
# This notebook scores the reviews, sets each site's employment rate beside its fidelity, and
# tries a second employment measure, using the package's fidelity functions.
#
# Run the pipeline first (`make report`); `IPS_PROJECT_ROOT` / `IPS_COHORT` choose the cohort.

# %%
import polars as pl

from ips_outcomes.api import cohort_from_env, select_results
from ips_outcomes.fidelity import (
    PUBLISHED_CORRELATIONS,
    fidelity_outcome_correlation,
    latest_reviews,
    score_reviews,
)

cohort = cohort_from_env()
config = cohort.config()
main = f"{max(config.followup_months)}m"
results = cohort.results()

# %% [markdown]
# ## The reviews
#
# `table("fidelity")` reads the ingested item scores from the cohort database (read-only);
# `score_reviews` turns them into totals, section sub-totals and bands.

# %%
scored = score_reviews(cohort.table("fidelity"))
print(f"{scored.height} reviews of {scored['site'].n_unique()} sites")
scored.select("site", "review_date", "total", "staffing", "organisation", "services", "band")

# %%
latest = latest_reviews(scored)
latest.select("site", "review_date", "total", "band", "items_below_3")

# %% [markdown]
# ## Employment by site
#
# The intervention's employment rate at the main window per site, from the published results
# (suppressed where small). Sites are the grouping `site|service`.


# %%
def site_rates(rows: pl.DataFrame) -> pl.DataFrame:
    """Columns site, rate, n from published rate rows of grouping `site|service`."""
    return (
        rows.filter(pl.col("group").str.ends_with(f"|{config.intervention}"))
        .select(
            pl.col("group").str.split("|").list.first().alias("site"),
            pl.col("estimate").alias("rate"),
            pl.col("n"),
        )
        .sort("site")
    )


employed = site_rates(
    select_results(
        results,
        analysis="employment",
        outcome="employed",
        window=main,
        population="complete_followup",
        grouping="site|service",
        statistic="proportion",
    )
)
employed.join(latest.select("site", "total"), on="site", how="left")

# %% [markdown]
# ## The correlation
#
# `fidelity_outcome_correlation` is what the report runs (Pearson r across sites, Fisher-z
# interval); it equals the published row.

# %%
correlation = fidelity_outcome_correlation(employed, scored)
print(correlation.note)
published_r = select_results(
    results, analysis="fidelity", outcome="employed_vs_ips25", statistic="r"
)["estimate"]
print("published r:", published_r.round(3).to_list())
print("in the literature:", [(p.study, p.r) for p in PUBLISHED_CORRELATIONS])

# %% [markdown]
# ## Another employment measure
#
# Does the picture change with a different measure? The IPS quarterly employment rate (mean
# of each site's quarterly rates, the measure IPS benchmarks use) is in the published results
# as well. It has no single denominator, so each site's number of intervention participants
# (the `cohort` rows) stands beside it.

# %%
participants = site_rates(
    select_results(
        results, analysis="cohort", outcome="participants", grouping="site|service", statistic="n"
    )
).select("site", "n")
quarterly = (
    select_results(
        results,
        analysis="quarterly",
        grouping="site",
        window="all_quarters",
        population="all_served",
        statistic="mean_quarterly_rate",
    )
    .select(pl.col("group").alias("site"), pl.col("estimate").alias("rate"))
    .join(participants, on="site", how="left")
    .sort("site")
)
quarterly

# %%
rows = []
for measure, rates in (
    (f"employed within {main}", employed),
    ("mean quarterly employment rate", quarterly),
):
    try:
        found = fidelity_outcome_correlation(rates, scored)
    except ValueError as why:  # e.g. fewer than 4 sites with a rate and a review
        print(f"{measure}: not estimated ({why})")
        continue
    rows.append(
        {
            "measure": measure,
            "sites": found.n_sites,
            "r": round(found.r, 3),
            "95 % CI": f"{found.ci_low:.2f} to {found.ci_high:.2f}",
            "slope per 10 points": round(10 * found.slope, 3),
        }
    )
pl.DataFrame(rows)

# %% [markdown]
# With a handful of sites the interval is wide whatever the measure: a site-level correlation
# needs many sites (Bond et al. 2012 had 79) before it says much.
