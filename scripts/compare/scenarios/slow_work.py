"""slow-work: the stage 04 pain (04, 05, 06). --work-us 200: a light open-loop
client's p99, alone and next to heavy pipelined clients."""

import time

from ..formatting import fmt_pct, fmt_rate, fmt_us, fmt_x, row_md, stage_tag
from ..loadgen import loadgen_args
from ..measuring import ratio
from .base import Chart, DataFile, Scenario, text_cell


def server_args(stage):
    return ["--work-us", 200] + (["--workers", 2] if stage == 6 else [])


def light_client_args(port, duration):
    """One connection, 50 events/s, open loop; pipeline 16 so that its own
    pipeline never throttles its schedule."""
    return loadgen_args(port, conns=1, pipeline=16, rate=50, duration=duration)


class SlowWork(Scenario):
    name = "slow-work"
    stages = (4, 5, 6)
    blurb = "--work-us 200, light client next to heavy ones: 04, 05, 06"
    column = "slow-work: light p99 (alone → next to heavy)"
    full = {"slow_s": 3.0}
    quick = {"slow_s": 1.0}

    def run(self, res):
        cfg = res.cfg
        rows = {}
        for stage in self.stages:
            with res.server(stage, server_args(stage), self.name) as server:
                alone = res.measure(self.name, stage, "light alone",
                                    light_client_args(server.port, cfg.slow_s))
                heavy = res.loadgen(self.name, stage, "heavy",
                                    loadgen_args(server.port, conns=8, pipeline=32,
                                                 duration=cfg.slow_s + 1.0))
                time.sleep(0.5)
                light = res.measure(self.name, stage, "light with heavy",
                                    light_client_args(server.port, cfg.slow_s))
                heavy = res.collect(heavy)
            rows[stage] = {"server_args": server_args(stage),
                           "light_alone_p99_us": alone["p99_us"], "light_p50_us": light["p50_us"],
                           "light_p99_us": light["p99_us"],
                           "light_accepted_share": light["good_share"],
                           "light_alone_send_lag_p99_us": alone["send_lag_p99_us"],
                           "light_send_lag_p99_us": light["send_lag_p99_us"],
                           "light_busy_share": light["busy_share"],
                           "heavy_rps": heavy["throughput_rps"],
                           "heavy_goodput_rps": heavy["goodput_rps"]}
        return {"stages": rows}

    def verdict(self, result):
        rows = result["stages"]
        parts = [f"step{stage_tag(s)} {fmt_us(r['light_p99_us'])} "
                 f"({fmt_x(ratio(r['light_p99_us'], r['light_alone_p99_us']))} its p99 alone)"
                 for s, r in rows.items()]
        gain = ratio(rows[4]["light_p99_us"], min(rows[5]["light_p99_us"], rows[6]["light_p99_us"]))
        return (f"the light client's p99 next to heavy clients: {'; '.join(parts)}. "
                f"Taking the work off the event loop cuts it {fmt_x(gain)}, but in 05/06 only "
                f"{fmt_pct(rows[5]['light_accepted_share'])} / "
                f"{fmt_pct(rows[6]['light_accepted_share'])} "
                f"of the light client's events were accepted (the rest: server_busy).")

    def cell(self, result, stage):
        r = result["stages"][stage]
        return f"{fmt_us(r['light_alone_p99_us'])} → {fmt_us(r['light_p99_us'])}"

    def details(self, result):
        lines = ["### slow-work (--work-us 200; heavy: 8 conns × 32; light: 1 conn, "
                 "50 events/s open loop)", "",
                 "| stage | flags | light p99 alone | light p50 / p99 with heavy | loadgen's send "
                 "lag p99 (alone / with heavy) | light events taken | heavy replies/s "
                 "| heavy useful/s |", "|---|---|---|---|---|---|---|---|"]
        for s, r in result["stages"].items():
            lines.append(row_md([stage_tag(s), " ".join(map(str, r["server_args"])),
                                 fmt_us(r["light_alone_p99_us"]),
                                 f"{fmt_us(r['light_p50_us'])} / {fmt_us(r['light_p99_us'])}",
                                 f"{fmt_us(r['light_alone_send_lag_p99_us'])} / "
                                 f"{fmt_us(r['light_send_lag_p99_us'])}",
                                 fmt_pct(r["light_accepted_share"]), fmt_rate(r["heavy_rps"]),
                                 fmt_rate(r["heavy_goodput_rps"])]))
        lines += ["", "Send lag: how late loadgen itself wrote requests against their schedule "
                  "(part of the latency). When it is close to the p99, loadgen was starved of CPU "
                  "and the p99 says more about the machine than about the stage."]
        return "\n".join(lines)

    def charts(self, result):
        data = DataFile("slow-work.dat", ["stage", "alone_ms", "with_heavy_ms", "alone_label",
                                          "with_heavy_label"], [
            [text_cell(f"{stage_tag(s)} ({fmt_pct(r['light_accepted_share'])} taken)"),
             r["light_alone_p99_us"] / 1e3, r["light_p99_us"] / 1e3,
             text_cell(fmt_us(r["light_alone_p99_us"])), text_cell(fmt_us(r["light_p99_us"]))]
            for s, r in result["stages"].items()], header_is_data=False)
        return [Chart("slow-work", "slow-work.gp", [data])]
