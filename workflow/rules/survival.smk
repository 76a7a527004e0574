rule survival:
    """Time to first job: Kaplan-Meier, log-rank, Cox, RMST, competing risks."""
    input:
        participants="data/processed/{cohort}/participants.parquet",
    output:
        data="data/processed/{cohort}/survival.parquet",
        results="data/processed/{cohort}/survival_results.parquet",
        figure_data=directory("data/processed/{cohort}/survival_figures"),
    params:
        intervention=config["intervention"],
        controls=config["controls"],
        horizon=config["survival_horizon_months"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/survival.log",
    benchmark:
        "logs/{cohort}/benchmark/survival.tsv"
    script:
        "../scripts/survival.py"
