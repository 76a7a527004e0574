rule figures:
    """Draw every figure of the report in the report language (from aggregate data only)."""
    input:
        results="reports/{cohort}/results.parquet",
        survival="data/processed/{cohort}/survival_figures",
        comparison="data/processed/{cohort}/comparison_figures",
        context="data/processed/{cohort}/comparison.json",
    output:
        km_png="reports/{cohort}/figures/time_to_first_job.png",
        km_svg=report(
            "reports/{cohort}/figures/time_to_first_job.svg",
            caption="../report/time_to_first_job.rst",
            category="Time to first job",
        ),
        cif_png="reports/{cohort}/figures/cumulative_incidence.png",
        cif_svg=report(
            "reports/{cohort}/figures/cumulative_incidence.svg",
            caption="../report/cumulative_incidence.rst",
            category="Time to first job",
        ),
        sites_png="reports/{cohort}/figures/forest_sites.png",
        sites_svg="reports/{cohort}/figures/forest_sites.svg",
        benchmarks_png="reports/{cohort}/figures/forest_benchmarks.png",
        benchmarks_svg="reports/{cohort}/figures/forest_benchmarks.svg",
        fidelity_png="reports/{cohort}/figures/fidelity.png",
        fidelity_svg="reports/{cohort}/figures/fidelity.svg",
        flow_png="reports/{cohort}/figures/flow.png",
        flow_svg=report(
            "reports/{cohort}/figures/flow.svg",
            caption="../report/flow.rst",
            category="Participants",
        ),
    params:
        language=config["language"],
        intervention=config["intervention"],
        followup_months=config["followup_months"],
        horizon=config["survival_horizon_months"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/figures.log",
    benchmark:
        "logs/{cohort}/benchmark/figures.tsv"
    script:
        "../scripts/figures.py"
