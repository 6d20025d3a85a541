"""workers (06-09): --workers 1, 2, 4, 8, with --work-us 50 at a fixed rate (median
of 3 server processes per point), and without work at full speed."""

from ..formatting import fmt_pct, fmt_rate, fmt_us, fmt_x, row_md, stage_tag
from ..loadgen import loadgen_args
from ..measuring import median_of, ratio
from .base import Chart, DataFile, Scenario

WORK_US = 50
WORK_LOADS = (str(WORK_US), "0")     # the keys of result["by_work_us"]


def sweep_rate(work_us):
    """With work: open loop at 3x what one worker does nominally, so that the queue
    overflows at every worker count, but the rejected excess stays small enough not to
    eat the cores the workers need. Without work: closed loop (None), at full speed."""
    return 3 * 1_000_000 // work_us if work_us else None


class Workers(Scenario):
    name = "workers"
    stages = (6, 7, 8, 9)
    blurb = "--workers sweep with --work-us 50 (open loop) and 0 (closed loop): 06-09"
    full = {"work_sweep_repeats": 3, "workers": [1, 2, 4, 8]}
    quick = {"work_sweep_repeats": 1, "workers": [1, 4]}

    def column_title(self, cfg):
        return (f"workers {cfg.workers[0]}→{cfg.workers[-1]}: accepted/s "
                f"(work {WORK_US} µs / none)")

    def point(self, res, stage, workers, work_us):
        """One sweep point: a fresh server per run. With work, the median of
        work_sweep_repeats server processes, because each process calibrates
        --work-us anew and the calibration varies between processes."""
        repeats = res.cfg.work_sweep_repeats if work_us else 1
        samples = []
        for repeat in range(repeats):
            args = ["--workers", workers, "--work-us", work_us]
            with res.server(stage, args, f"workers{workers}-work{work_us}") as server:
                argv = loadgen_args(server.port, duration=res.cfg.sweep_s,
                                    warmup=res.cfg.sweep_warmup_s, rate=sweep_rate(work_us))
                samples.append(res.measure(self.name, stage, f"workers {workers}, work-us "
                                           f"{work_us}, process {repeat + 1}", argv))
        return {"accepted_rps": median_of(samples, "accepted_rps"),
                "replies_rps": median_of(samples, "throughput_rps"),
                "busy_share": median_of(samples, "busy_share"),
                "p99_us": median_of(samples, "p99_us"),
                "accepted_rps_samples": [x["accepted_rps"] for x in samples]}

    def run(self, res):
        rows = {}
        for work_us in (WORK_US, 0):
            for stage in self.stages:
                for workers in res.cfg.workers:
                    rows.setdefault(str(work_us), {}).setdefault(stage, {})[workers] = \
                        self.point(res, stage, workers, work_us)
        return {"workers": res.cfg.workers, "work_us": WORK_US,
                "rate_with_work": sweep_rate(WORK_US),
                "work_repeats": res.cfg.work_sweep_repeats, "by_work_us": rows}

    def verdict(self, result):
        lo, hi = result["workers"][0], result["workers"][-1]
        parts = []
        for work_us, label in ((str(result["work_us"]), f"with {result['work_us']} µs of work "
                                f"(open loop, {fmt_rate(result['rate_with_work'])})"),
                               ("0", "without work (closed loop)")):
            rows = result["by_work_us"][work_us]
            changes = ", ".join(
                f"{stage_tag(s)} {fmt_x(ratio(r[hi]['accepted_rps'], r[lo]['accepted_rps']))}"
                for s, r in rows.items())
            best = {s: max(r, key=lambda w: r[w]["accepted_rps"]) for s, r in rows.items()}
            parts.append(f"{label}, accepted events/s from {lo} to {hi} workers: {changes} "
                         f"(best worker count: "
                         f"{', '.join(f'{stage_tag(s)}={w}' for s, w in best.items())})")
        return "; ".join(parts) + " — on 2 cores shared with the I/O thread and loadgen."

    def cell(self, result, stage):
        by = result["by_work_us"]
        lo, hi = result["workers"][0], result["workers"][-1]
        return " / ".join(f"{fmt_rate(by[w][stage][lo]['accepted_rps'])}→"
                          f"{fmt_rate(by[w][stage][hi]['accepted_rps'])}" for w in WORK_LOADS)

    def details(self, result):
        out = ["### workers (64 conns × 32, events; accepted events/s, server_busy share, p99)"]
        ws = result["workers"]
        for work_us, rows in result["by_work_us"].items():
            load = (f"open loop at {fmt_rate(result['rate_with_work'])} (3× one worker's nominal "
                    f"rate), median of {result['work_repeats']} server processes per point"
                    if work_us != "0" else "closed loop, one run per point")
            out += ["", f"--work-us {work_us}, {load}:", "",
                    row_md(["stage"] + [f"{w} worker{'s' if w > 1 else ''}" for w in ws]),
                    row_md(["---"] * (len(ws) + 1))]
            for s, r in rows.items():
                out.append(row_md([stage_tag(s)] + [
                    f"{fmt_rate(r[w]['accepted_rps'])}, {fmt_pct(r[w]['busy_share'])} busy, "
                    f"{fmt_us(r[w]['p99_us'])}" for w in ws]))
        return "\n".join(out)

    def charts(self, result):
        data = []
        for work_us in WORK_LOADS:
            rows = result["by_work_us"][work_us]
            data.append(DataFile(f"workers-{work_us}.dat",
                                 ["workers"] + [f"step{stage_tag(s)}" for s in rows],
                                 [[w] + [rows[s][w]["accepted_rps"] / 1e3 for s in rows]
                                  for w in result["workers"]]))
        return [Chart("workers", "workers.gp", data)]
