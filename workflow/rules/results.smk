rule results:
    """Compute the published aggregate results (after small-cell suppression)."""
    input:
        participants="data/processed/{cohort}/participants.parquet",
        windows="data/processed/{cohort}/windows.parquet",
        quarters="data/processed/{cohort}/quarters.parquet",
        survival="data/processed/{cohort}/survival_results.parquet",
        comparison="data/processed/{cohort}/comparison_results.parquet",
        ingest="data/interim/{cohort}/ingest.json",
    output:
        csv="reports/{cohort}/results.csv",
        parquet="reports/{cohort}/results.parquet",
    params:
        followup_months=config["followup_months"],
        intervention=config["intervention"],
        controls=config["controls"],
        design=config["design"],
        small_cell_threshold=config["small_cell_threshold"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/results.log",
    benchmark:
        "logs/{cohort}/benchmark/results.tsv"
    script:
        "../scripts/results.py"
