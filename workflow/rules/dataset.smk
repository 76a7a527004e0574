rule dataset:
    """Build the per-participant analysis dataset (row-level: stays in data/processed)."""
    input:
        database="data/interim/{cohort}/cohort.duckdb",
    output:
        participants="data/processed/{cohort}/participants.parquet",
        windows="data/processed/{cohort}/windows.parquet",
        quarters="data/processed/{cohort}/quarters.parquet",
    params:
        data_cutoff=config["data_cutoff"],
        followup_months=config["followup_months"],
        dropout_reasons=config["dropout_reasons"],
        status_instrument=config["status_instrument"],
        intervention=config["intervention"],
        code=PACKAGE_DIGEST,
    conda:
        "../../environment.yml"
    log:
        "logs/{cohort}/dataset.log",
    benchmark:
        "logs/{cohort}/benchmark/dataset.tsv"
    script:
        "../scripts/dataset.py"
