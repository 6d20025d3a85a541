"""maps (07-09): the stages' maps of balances under threads, with no server: bench_maps
drives stage 07's one mutex, stage 08's striped read/write locks and stage 09's RCU
hash table of atomic balances directly, at 50 % and 90 % reads, 1-8 threads, with and
without work done by a writer on the balance it updates (--hold-us). Every run checks
that no design lost an update."""

import json
import subprocess

from ..formatting import fmt_rate, fmt_x, row_md
from ..measuring import ratio
from ..processes import ScenarioError, forget, spawn
from ..settings import BIN_DIR
from .base import Chart, DataFile, Scenario

BENCH_MAPS = BIN_DIR / "bench_maps"
DESIGNS = {7: "mutex", 8: "striped", 9: "rcu"}   # the stage each design comes from


def bench_maps_args(cfg, hold_us):
    return [str(BENCH_MAPS), "--threads", ",".join(map(str, cfg.maps_threads)),
            "--reads", ",".join(map(str, cfg.maps_reads)), "--seconds", str(cfg.maps_seconds),
            "--rounds", str(cfg.maps_rounds), "--hold-us", str(hold_us), "--format", "json"]


def run_bench_maps(argv, seconds_allowed):
    """bench_maps's JSON report; exit 1 (a design failed its self-check) is a result too."""
    proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=seconds_allowed)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=5)
        raise ScenarioError(f"bench_maps did not finish in {seconds_allowed:.0f} s")
    finally:
        forget(proc)
    if proc.returncode not in (0, 1):
        raise ScenarioError(f"bench_maps exited {proc.returncode}: "
                            f"{err.decode(errors='replace').strip()[-400:]}")
    return json.loads(out)


def points_of(report):
    """{reads_pct: {design: {threads: {"median", "min", "max", "passed"}}}}."""
    points = {}
    for p in report["points"]:
        points.setdefault(p["reads_pct"], {}).setdefault(p["design"], {})[p["threads"]] = {
            **p["ops_per_s"], "passed": p["passed"]}
    return points


def median_at(points, reads, design, threads):
    return points.get(reads, {}).get(design, {}).get(threads, {}).get("median")


class Maps(Scenario):
    name = "maps"
    stages = (7, 8, 9)
    blurb = "the stages' maps under 1-8 threads, no server (bench_maps): 07-09"
    full = {"maps_threads": [1, 2, 4, 8], "maps_reads": [50, 90], "maps_seconds": 1.0,
            "maps_rounds": 3, "maps_hold_us": [0, 5]}
    quick = {"maps_threads": [1, 2], "maps_reads": [50, 90], "maps_seconds": 0.2,
             "maps_rounds": 1, "maps_hold_us": [0]}

    def column_title(self, cfg):
        return (f"maps {cfg.maps_reads[-1]} % reads: ops/s at "
                f"{cfg.maps_threads[0]}→{cfg.maps_threads[-1]} threads")

    def run(self, res):
        cfg = res.cfg
        points = len(DESIGNS) * len(cfg.maps_threads) * len(cfg.maps_reads) * cfg.maps_rounds
        allowed = 2 * points * cfg.maps_seconds + 30
        runs = []
        for hold_us in cfg.maps_hold_us:
            report = run_bench_maps(bench_maps_args(cfg, hold_us), allowed)
            failures = [r["failure"] for p in report["points"] for r in p["rounds"]
                        if r.get("failure")]
            if failures:
                res.problems.append(f"maps --hold-us {hold_us}: " + "; ".join(failures[:3]))
            runs.append({"hold_us": hold_us, "passed": report["passed"], "failures": failures,
                         "points": points_of(report)})
        return {"threads": cfg.maps_threads, "reads": cfg.maps_reads,
                "seconds_per_point": cfg.maps_seconds, "rounds": cfg.maps_rounds,
                "cpus": report["machine"]["cpus_online"], "runs": runs}

    def verdict(self, result):
        reads = result["reads"][-1]
        most = result["threads"][-1]
        parts = []
        for run in result["runs"]:
            at = {d: median_at(run["points"], reads, d, most) for d in DESIGNS.values()}
            parts.append(
                f"with {run['hold_us']} µs of writer work, {reads} % reads, {most} threads: "
                f"mutex {fmt_rate(at['mutex'])}, striped {fmt_rate(at['striped'])} "
                f"({fmt_x(ratio(at['striped'], at['mutex']))} mutex), rcu {fmt_rate(at['rcu'])} "
                f"({fmt_x(ratio(at['rcu'], at['mutex']))} mutex)")
        failed = [run["hold_us"] for run in result["runs"] if not run["passed"]]
        check = ("every design kept every update" if not failed else
                 "a design LOST UPDATES (--hold-us " + ", ".join(map(str, failed)) + ")")
        return "; ".join(parts) + f"; {check}; {result['cpus']} CPUs."

    def cell(self, result, stage):
        design, run = DESIGNS[stage], result["runs"][0]
        reads, lo, hi = result["reads"][-1], result["threads"][0], result["threads"][-1]
        return (f"{fmt_rate(median_at(run['points'], reads, design, lo))}→"
                f"{fmt_rate(median_at(run['points'], reads, design, hi))}")

    def details(self, result):
        threads = result["threads"]
        out = [f"### maps (bench_maps, no server: operations/s, median of {result['rounds']} "
               f"rounds of {result['seconds_per_point']} s, min–max; {result['cpus']} CPUs)"]
        for run in result["runs"]:
            out += ["", f"--hold-us {run['hold_us']}:", "",
                    row_md(["reads", "design"] + [f"{t} thr" for t in threads]),
                    row_md(["---"] * (len(threads) + 2))]
            for reads in result["reads"]:
                for design in DESIGNS.values():
                    cells = []
                    for t in threads:
                        p = run["points"].get(reads, {}).get(design, {}).get(t)
                        cells.append("n/a" if p is None else
                                     f"{fmt_rate(p['median'])} ({fmt_rate(p['min'])}–"
                                     f"{fmt_rate(p['max'])})" + ("" if p["passed"] else " FAILED"))
                    out.append(row_md([f"{reads} %", design] + cells))
        return "\n".join(out)

    def charts(self, result):
        charts = []
        for run in result["runs"]:
            data = [DataFile(f"maps-hold{run['hold_us']}-reads{reads}.dat",
                             ["threads"] + list(DESIGNS.values()),
                             [[t] + [None if m is None else m / 1e6 for m in
                                     (median_at(run["points"], reads, d, t)
                                      for d in DESIGNS.values())]
                              for t in result["threads"]])
                    for reads in result["reads"]]
            name = "maps" if run["hold_us"] == 0 else f"maps-hold{run['hold_us']}us"
            titles = [f"Map operations/s vs threads, writer work {run['hold_us']} µs "
                      f"(the maps alone: no server, no loadgen)"] + [f"{reads} % reads" for reads in result["reads"]]
            charts.append(Chart(name, "maps.gp", data, titles))
        return charts
