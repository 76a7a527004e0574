"""The `ips-outcomes` command: `synth`, `validate` and `run`.

Exit codes: 0 success, 1 an unexpected failure (a bug: see the log), 2 the input or the
configuration cannot be used (the message says why).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ips_outcomes import __version__
from ips_outcomes.adapter import ERROR_FILE_SUFFIX, INPUT_ERROR_EXIT
from ips_outcomes.config import load_config, project_root
from ips_outcomes.errors import InputError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    try:
        return int(args.handler(args))
    except InputError as error:
        print(f"ips-outcomes: {error}", file=sys.stderr)
        return INPUT_ERROR_EXIT
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ips-outcomes",
        description="Evaluate Individual Placement and Support (IPS) employment outcomes.",
    )
    parser.add_argument("--version", action="version", version=f"ips-outcomes {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    synth = commands.add_parser("synth", help="write a synthetic IPS cohort")
    synth.add_argument("--participants", type=int, default=600, metavar="N")
    synth.add_argument("--seed", type=int, default=2024, metavar="S")
    synth.add_argument("--out", type=Path, required=True, metavar="DIR")
    synth.add_argument("--format", choices=("csv", "parquet"), default="csv")
    synth.add_argument(
        "--profile",
        choices=("default", "register"),
        default="default",
        help="register: about 3 job spells per person, as in register-linked data",
    )
    synth.set_defaults(handler=_synth)

    validate = commands.add_parser("validate", help="check a cohort folder, list what fails")
    validate.add_argument("input_dir", type=Path, metavar="DIR")
    validate.add_argument("--cutoff", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    validate.add_argument("--quarantine", type=Path, metavar="CSV")
    validate.add_argument(
        "--strict", action="store_true", help="exit 1 when any row is quarantined"
    )
    validate.set_defaults(handler=_validate)

    run = commands.add_parser("run", help="run the whole pipeline on a cohort folder")
    run.add_argument("input_dir", type=Path, nargs="?", metavar="DIR")
    run.add_argument("--cores", type=int, default=2)
    run.add_argument(
        "--config", nargs="+", default=[], metavar="KEY=VALUE", help="override config values"
    )
    run.add_argument("--verbose", action="store_true", help="show Snakemake's own output")
    run.set_defaults(handler=_run)
    return parser


def _synth(args: argparse.Namespace) -> int:
    from ips_outcomes.synth import PROFILES, SynthConfig, generate, write

    if args.participants < 1:
        raise InputError("--participants must be at least 1")
    settings = PROFILES[args.profile]
    cohort = generate(SynthConfig(participants=args.participants, seed=args.seed, **settings))
    written = write(cohort, args.out, fmt=args.format)
    print(f"wrote {len(written)} files to {args.out} ({args.participants} participants)")
    return 0


def _overrides(pairs: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--config takes KEY=VALUE pairs, got {pair!r}")
        try:
            values[key] = yaml.safe_load(value)
        except (yaml.YAMLError, ValueError):  # e.g. 2025-13-01 fails YAML's date parser
            values[key] = value  # the schema check then names the bad value
    return values


def _validate(args: argparse.Namespace) -> int:
    from ips_outcomes.ingest import ingest_summary
    from ips_outcomes.validate import validate_cohort

    root = project_root()
    config = load_config(root, {"input_dir": str(args.input_dir.resolve())})
    cutoff = args.cutoff or config.data_cutoff
    check = validate_cohort(config.input_dir, cutoff)
    target = args.quarantine or root / "data" / "interim" / config.cohort_name / "quarantine.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    check.quarantine.write_csv(target)
    summary = ingest_summary(check, config.input_dir, cutoff)
    print(f"{config.input_dir} (data cut-off {cutoff}):")
    print("\n".join(_table_lines(summary)))
    for row in summary["quarantine_by_rule"]:
        print(f"    {row['table']}: {row['rows']} row(s) failed {row['rule']}")
    quarantined = sum(t["rows_quarantined"] for t in summary["tables"])
    print(f"quarantine list: {target}" if quarantined else "every row was accepted")
    return 1 if (args.strict and quarantined) else 0


def _table_lines(summary: dict[str, Any]) -> list[str]:
    return [
        f"  {t['table']:<13}{t['file']:<22} read {t['rows_read']:>9}  "
        f"accepted {t['rows_accepted']:>9}  quarantined {t['rows_quarantined']:>7}"
        for t in summary["tables"]
    ]


def _run(args: argparse.Namespace) -> int:
    root = project_root()
    overrides = _overrides(args.config)
    if args.input_dir is not None:
        overrides["input_dir"] = str(args.input_dir.resolve())
    config = load_config(root, overrides)  # fails early, with a clear message
    if not config.input_dir.is_dir():
        raise InputError(f"input folder {config.input_dir} does not exist")
    logs = root / "logs" / config.cohort_name
    logs.mkdir(parents=True, exist_ok=True)
    for stale in logs.glob(f"*{ERROR_FILE_SUFFIX}"):
        stale.unlink()
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(root / "Snakefile"),
        "--directory",
        str(root),
        "--cores",
        str(args.cores),
        "--config",
        *(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in overrides.items()),
    ]
    print(f"running the pipeline on {config.input_dir} ...", flush=True)
    run_log = logs / "snakemake.log"
    if args.verbose:
        completed = subprocess.run(command, cwd=root, check=False)
    else:
        with run_log.open("w", encoding="utf-8") as handle:
            completed = subprocess.run(
                command, cwd=root, stdout=handle, stderr=subprocess.STDOUT, check=False
            )
    if completed.returncode != 0:
        problems = sorted(logs.glob(f"*{ERROR_FILE_SUFFIX}"))
        if problems:
            for problem in problems:
                print(f"ips-outcomes: {problem.read_text(encoding='utf-8')}", file=sys.stderr)
            return INPUT_ERROR_EXIT
        print(f"ips-outcomes: the pipeline failed; see {run_log}", file=sys.stderr)
        return 1
    _print_outcome(root, config.cohort_name)
    return 0


def _print_outcome(root: Path, cohort: str) -> None:
    summary_path = root / "data" / "interim" / cohort / "ingest.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    print("\n".join(_table_lines(summary)))
    report = root / "reports" / cohort / "report.html"
    print(f"report: {report.relative_to(root)}")
    print(f"results: {(root / 'reports' / cohort / 'results.csv').relative_to(root)}")


if __name__ == "__main__":
    sys.exit(main())
