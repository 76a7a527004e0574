# Configuration and shared names. Precedence: config/config.yaml < the input folder's
# cohort.yaml < --config on the command line (Snakemake re-applies --config after each file).
import hashlib
import re
from pathlib import Path

from snakemake.utils import validate

import ips_outcomes
from ips_outcomes.config import COHORT_FILE, cohort_name_for, normalise
from ips_outcomes.contract import TABLES
from ips_outcomes.readers import SUPPORTED_SUFFIXES


configfile: "config/config.yaml"


if Path(config["input_dir"], COHORT_FILE).is_file():
    workflow.configfile(str(Path(config["input_dir"], COHORT_FILE)))
config.update(normalise(config))


validate(config, "../schemas/config.schema.yaml")

COHORT = config["cohort_name"] or cohort_name_for(config["input_dir"])

# Any change to the package's code re-runs every stage: the scripts are thin, so Snakemake's
# own code trigger would not see a changed outcome definition.
PACKAGE_DIGEST = hashlib.sha256(
    b"".join(
        p.read_bytes() for p in sorted(Path(ips_outcomes.__file__).parent.rglob("*.py"))
    )
).hexdigest()[:16]


wildcard_constraints:
    cohort=re.escape(COHORT),


def cohort_files(wildcards):
    """The table files (and cohort.yaml) of the configured input folder."""
    folder = Path(config["input_dir"])
    if not folder.is_dir():
        return []
    return sorted(
        str(p)
        for p in folder.iterdir()
        if (p.stem.lower() in TABLES and p.suffix.lower() in SUPPORTED_SUFFIXES)
        or p.name == COHORT_FILE
    )
