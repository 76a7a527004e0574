"""What every Snakemake script shares: logging to the rule's log, and clean failures.

A data or configuration problem (:class:`~ips_outcomes.errors.InputError`) is written to the
log and to standard error as one plain message and the script exits with status 2, so the user
sees the reason rather than a Python traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ips_outcomes.config import AnalysisConfig
from ips_outcomes.errors import InputError

INPUT_ERROR_EXIT = 2
ERROR_PREFIX = "ips-outcomes: input problem: "
#: The plain message is also left beside the rule's log, where `ips-outcomes run` finds it.
ERROR_FILE_SUFFIX = ".error"


@contextmanager
def stage(smk: Any) -> Iterator[AnalysisConfig]:
    """Run one pipeline stage inside a Snakemake `script:` job.

    Parameters
    ----------
    smk
        The `snakemake` object Snakemake injects into scripts.

    Yields
    ------
    AnalysisConfig
        The workflow's (already schema-checked) configuration.
    """
    handler = logging.FileHandler(smk.log[0], mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ips_outcomes")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield AnalysisConfig.from_mapping(smk.config)
    except InputError as error:
        root.error("%s", error)
        Path(smk.log[0] + ERROR_FILE_SUFFIX).write_text(str(error), encoding="utf-8")
        print(f"{ERROR_PREFIX}{error}", file=sys.stderr)
        sys.exit(INPUT_ERROR_EXIT)
    finally:
        root.removeHandler(handler)
        handler.close()
