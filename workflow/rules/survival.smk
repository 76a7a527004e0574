rule survival:
    """Time to first job: Kaplan-Meier, log-rank, Cox, RMST, competing risks, figures."""
    input:
        participants="data/processed/{cohort}/participants.parquet",
    output:
        data="data/processed/{cohort}/survival.parquet",
        results="data/processed/{cohort}/survival_results.parquet",
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
    params:
        intervention=config["intervention"],
        controls=config["controls"],
        horizon=config["survival_horizon_months"],
        small_cell_threshold=config["small_cell_threshold"],
        language=config["language"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/survival.log",
    script:
        "../scripts/survival.py"
