"""read-share (07-09): --workers 2, at 0 %, 50 % and 90 % balance queries."""

from ..formatting import fmt_pct, fmt_rate, fmt_us, fmt_x, row_md, stage_tag
from ..loadgen import loadgen_args
from ..measuring import ratio
from .base import Chart, DataFile, Scenario


def read_share_mix(share):
    return f"event={100 - share},balance={share}" if share else "event=100"


class ReadShare(Scenario):
    name = "read-share"
    stages = (7, 8, 9)
    blurb = "balance-query share sweep, --workers 2: 07-09"
    full = {"read_shares": [0, 50, 90]}
    quick = {"read_shares": [0, 90]}

    def column_title(self, cfg):
        return f"read-share {cfg.read_shares[0]}→{cfg.read_shares[-1]} %: useful/s"

    def run(self, res):
        cfg = res.cfg
        rows = {}
        for stage in self.stages:
            for share in cfg.read_shares:
                with res.server(stage, ["--workers", 2], f"read{share}") as server:
                    argv = loadgen_args(server.port, mix=read_share_mix(share),
                                        duration=cfg.sweep_s, warmup=cfg.sweep_warmup_s)
                    figures = res.measure(self.name, stage, f"{share} % balance", argv)
                rows.setdefault(stage, {})[share] = {
                    "useful_rps": figures["goodput_rps"], "replies_rps": figures["throughput_rps"],
                    "busy_share": figures["busy_share"], "p99_us": figures["p99_us"]}
        return {"shares": cfg.read_shares, "stages": rows}

    def verdict(self, result):
        top = result["shares"][-1]
        low = result["shares"][0]
        rows = result["stages"]
        at_top = {s: r[top]["useful_rps"] for s, r in rows.items()}
        return (f"at {top} % balance queries (2 workers): 07 {fmt_rate(at_top[7])}, "
                f"08 {fmt_rate(at_top[8])} ({fmt_x(ratio(at_top[8], at_top[7]))} 07), "
                f"09 {fmt_rate(at_top[9])} ({fmt_x(ratio(at_top[9], at_top[7]))} 07); from {low} % "
                f"to {top} % reads: " + ", ".join(
                    f"{stage_tag(s)} {fmt_x(ratio(r[top]['useful_rps'], r[low]['useful_rps']))}"
                    for s, r in rows.items()) + ".")

    def cell(self, result, stage):
        r = result["stages"][stage]
        lo, hi = result["shares"][0], result["shares"][-1]
        return f"{fmt_rate(r[lo]['useful_rps'])}→{fmt_rate(r[hi]['useful_rps'])}"

    def details(self, result):
        shares = result["shares"]
        out = ["### read-share (--workers 2, 64 conns × 32; useful replies/s = accepted + "
               "balances)", "",
               row_md(["stage"] + [f"{p} % balance" for p in shares]),
               row_md(["---"] * (len(shares) + 1))]
        for s, r in result["stages"].items():
            out.append(row_md([stage_tag(s)] + [
                f"{fmt_rate(r[p]['useful_rps'])}, {fmt_pct(r[p]['busy_share'])} busy, "
                f"{fmt_us(r[p]['p99_us'])}" for p in shares]))
        return "\n".join(out)

    def charts(self, result):
        rows = result["stages"]
        data = DataFile("read-share.dat", ["share"] + [f"step{stage_tag(s)}" for s in rows],
                        [[p] + [rows[s][p]["useful_rps"] / 1e3 for s in rows]
                         for p in result["shares"]])
        return [Chart("read-share", "read-share.gp", [data])]
