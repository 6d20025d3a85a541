"""The command line: options, checks, and the whole run from start to report."""

import argparse
import shlex
import signal
import sys
import tempfile
from pathlib import Path

from .charts import draw_charts
from .machine import machine_info, machine_line, quiet_check, raise_nofile
from .measuring import Results
from .processes import ScenarioError, exit_on_signal, kill_everything
from .progress import elapsed_s, progress
from .reference import write_reference
from .report import print_summary, write_json, write_report
from .run import run_scenario
from .scenarios import NAMES, SCENARIOS
from .settings import BIN_DIR, LOADGEN, NOFILE_MARGIN, REFERENCE_DIR, ROOT, STAGES, run_settings

USAGE_ERROR = 2


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="compare", description="Compare every stage side by side.")
    parser.add_argument("--quick", action="store_true", help="every scenario, much shorter")
    parser.add_argument("--only", default=",".join(NAMES),
                        help=f"comma-separated scenarios (default: all of {','.join(NAMES)})")
    parser.add_argument("--out", default=str(ROOT / "results"), help="output directory")
    parser.add_argument("--reference", metavar="DIR",
                        help="then copy the charts into DIR with a README.md describing the run "
                             f"(`make pictures`: {REFERENCE_DIR.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    if args.reference and args.quick and Path(args.reference).resolve() == REFERENCE_DIR:
        parser.exit(USAGE_ERROR, f"compare: a --quick run is no reference: give --reference "
                                 f"another directory than {REFERENCE_DIR.relative_to(ROOT)}\n")
    args.only = [s for s in args.only.split(",") if s]
    unknown = [s for s in args.only if s not in NAMES]
    if unknown:
        parser.exit(USAGE_ERROR, f"compare: unknown scenario(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(NAMES)})\n")
    return args


def check_binaries():
    missing = [p.name for p in [LOADGEN] + [BIN_DIR / n for n in STAGES.values()] if not p.exists()]
    if missing:
        raise ScenarioError(f"missing in {BIN_DIR}: {', '.join(missing)} (run `make build`)")


def main(argv):
    """Run the scenarios asked for and write the report; returns the exit status."""
    args = parse_args(argv)
    cfg = run_settings(args.quick, SCENARIOS)
    signal.signal(signal.SIGTERM, exit_on_signal)
    out_dir = Path(args.out)
    log_dir = out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    try:
        check_binaries()
    except ScenarioError as err:
        print(f"compare: {err}", file=sys.stderr)
        return 1
    raise_nofile(cfg.many_conns + NOFILE_MARGIN)
    machine = machine_info()
    progress(f"{cfg.name} run on {machine_line(machine)}; results in {out_dir}")
    machine["load_before"] = quiet_check()
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp_dir:
        res = Results(cfg, tmp_dir, log_dir)
        try:
            for scenario in SCENARIOS:
                if scenario.name in args.only:
                    run_scenario(scenario, res)
        finally:
            kill_everything()
    elapsed = elapsed_s()
    charts = draw_charts(res, out_dir, machine)
    write_json(res, machine, charts, out_dir, elapsed)
    write_report(res, machine, charts, out_dir, elapsed)
    progress(f"done: {out_dir / 'compare.md'}, compare.json, {len(charts)} charts")
    if args.reference:
        command = "PYTHONPATH=scripts " + shlex.join(["python3", "-m", "compare"] + argv)
        copied = write_reference(out_dir, Path(args.reference), command)
        progress(f"reference: {len(copied)} charts and README.md in {args.reference}")
    print_summary(res, machine)
    for problem in res.problems:
        print(f"compare: {problem}", file=sys.stderr)
    return 1 if res.problems else 0
