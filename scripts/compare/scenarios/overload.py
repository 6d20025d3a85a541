"""overload: the stage 05 lesson (04, 05, 06). --work-us 100 --queue-cap 1024, open
loop at 3x what one processor can do: the server_busy share, and p99."""

from ..formatting import fmt_pct, fmt_rate, fmt_us, fmt_x, row_md, stage_tag
from ..loadgen import loadgen_args
from ..measuring import ratio
from .base import Chart, DataFile, Scenario, text_cell

WORK_US = 100


def server_args(stage):
    args = ["--work-us", WORK_US]
    if stage >= 5:
        args += ["--queue-cap", 1024]
    if stage == 6:
        args += ["--workers", 2]
    return args


class Overload(Scenario):
    name = "overload"
    stages = (4, 5, 6)
    blurb = "--work-us 100 --queue-cap 1024, open loop at 3× capacity: 04, 05, 06"
    column = "overload: server_busy, p99"
    full = {"overload_s": 3.0}
    quick = {"overload_s": 1.0}

    def run(self, res):
        capacity = 1e6 / WORK_US          # one processor's events/s
        rate = int(3 * capacity)
        rows = {}
        for stage in self.stages:
            with res.server(stage, server_args(stage), self.name) as server:
                argv = loadgen_args(server.port, conns=16, pipeline=64, rate=rate,
                                    duration=res.cfg.overload_s)
                figures = res.measure(self.name, stage, f"open loop {rate}/s", argv)
            rows[stage] = {"server_args": server_args(stage), "offered_rps": rate,
                           "replies_rps": figures["throughput_rps"],
                           "applied_rps": figures["goodput_rps"],
                           "busy_share": figures["busy_share"],
                           "p50_us": figures["p50_us"], "p99_us": figures["p99_us"],
                           "send_lag_p99_us": figures["send_lag_p99_us"],
                           "never_sent": figures["never_sent"]}
        return {"capacity_one_processor_rps": capacity, "offered_rps": rate, "stages": rows}

    def verdict(self, result):
        rows = result["stages"]
        r4, r5, r6 = rows[4], rows[5], rows[6]
        return (f"offered {fmt_rate(result['offered_rps'])} (3× one processor's nominal "
                f"{fmt_rate(result['capacity_one_processor_rps'])}): step05 rejects "
                f"{fmt_pct(r5['busy_share'])} as server_busy, accepts "
                f"{fmt_rate(r5['applied_rps'])}, p99 {fmt_us(r5['p99_us'])}; step04, with no "
                f"queue to refuse from, takes everything and answers late: "
                f"{fmt_rate(r4['applied_rps'])}, p99 {fmt_us(r4['p99_us'])} "
                f"({fmt_x(ratio(r4['p99_us'], r5['p99_us']))} step05's); step06 with 2 workers: "
                f"{fmt_pct(r6['busy_share'])} rejected, {fmt_rate(r6['applied_rps'])} "
                f"accepted, p99 {fmt_us(r6['p99_us'])}.")

    def cell(self, result, stage):
        r = result["stages"][stage]
        return f"{fmt_pct(r['busy_share'])}, {fmt_us(r['p99_us'])}"

    def details(self, result):
        lines = [f"### overload (open loop, {fmt_rate(result['offered_rps'])} offered, "
                 "16 conns × 64)", "",
                 "| stage | flags | replies/s | applied or accepted/s | server_busy | p50 | p99 "
                 "| send lag p99 | due, never sent |", "|---|---|---|---|---|---|---|---|---|"]
        for s, r in result["stages"].items():
            lines.append(row_md([stage_tag(s), " ".join(map(str, r["server_args"])),
                                 fmt_rate(r["replies_rps"]), fmt_rate(r["applied_rps"]),
                                 fmt_pct(r["busy_share"]), fmt_us(r["p50_us"]),
                                 fmt_us(r["p99_us"]), fmt_us(r["send_lag_p99_us"]),
                                 f"{r['never_sent']:,}"]))
        lines += ["", "Latency counts from each request's intended send time. In 05/06 accepted "
                  "and rejected events are both answered at once, so the p99 over all replies "
                  "is the accepted events' p99 too."]
        return "\n".join(lines)

    def charts(self, result):
        data = DataFile("overload.dat", ["stage", "p99_ms", "p99_label", "applied_k", "refused_k",
                                         "offered_k"], [
            [stage_tag(s), r["p99_us"] / 1e3, text_cell(fmt_us(r["p99_us"])),
             r["applied_rps"] / 1e3, r["replies_rps"] * r["busy_share"] / 1e3,
             r["offered_rps"] / 1e3]
            for s, r in result["stages"].items()], header_is_data=False)
        return [Chart("overload", "overload.gp", [data])]
