"""baseline: every stage's speed. 64 connections x pipeline 32, each stage's natural
request (echo for 01-02, events for 03+; stage 01: 1 connection), in rounds that
interleave the stages and loadgen's own ceiling (`--self-test` accept and echo);
median of the rounds."""

from ..formatting import fmt_pct, fmt_rate, fmt_us, fmt_x, row_md, stage_tag
from ..loadgen import loadgen_args
from ..measuring import median_of, ratio
from ..processes import ServerGroup
from ..settings import STAGES
from .base import Chart, DataFile, Scenario, text_cell

TOOL_BOUND_SHARE = 0.70       # a stage at >= 70 % of loadgen's ceiling may be tool-bound


def natural_mix(stage):
    return "echo=100" if stage <= 2 else "event=100"


def conns_of(stage):
    """Stage 01 serves one client at a time: the others would wait in the backlog."""
    return 1 if stage == 1 else 64


def stage_row(stage, samples, ceiling):
    """One stage's figures: the medians of its rounds (loadgen figures), and where they
    stand against loadgen's ceiling ({"accept": rps, "echo": rps})."""
    mode = "echo" if stage <= 2 else "accept"
    rps = median_of(samples, "throughput_rps")
    share = ratio(rps, ceiling[mode])
    return {
        "conns": conns_of(stage), "pipeline": 32, "mix": natural_mix(stage),
        "throughput_rps": rps, "goodput_rps": median_of(samples, "goodput_rps"),
        "busy_share": median_of(samples, "busy_share"),
        "p50_us": median_of(samples, "p50_us"), "p99_us": median_of(samples, "p99_us"),
        "min_rps": min(s["throughput_rps"] for s in samples),
        "max_rps": max(s["throughput_rps"] for s in samples),
        "ceiling_mode": mode, "ceiling_rps": ceiling[mode],
        "share_of_ceiling": share,
        "tool_bound": stage > 1 and share is not None and share >= TOOL_BOUND_SHARE,
    }


def parse_cost_chart(result):
    """Stage 03's lesson: the same event loop as 02, the line parsed instead of echoed."""
    rows = result["stages"]
    echo, parse = rows[2]["throughput_rps"], rows[3]["throughput_rps"]
    labels = {2: f"02 echo: {fmt_rate(echo)}",
              3: f"03 parse: {fmt_rate(parse)}, {fmt_x(ratio(parse, echo))} of 02"}
    data = DataFile("parse-cost.dat", ["stage", "lines", "ceiling"], [
        [text_cell(labels[s]), rows[s]["throughput_rps"] / 1e6, rows[s]["ceiling_rps"] / 1e6]
        for s in (2, 3)], header_is_data=False)
    return Chart("parse-cost", "parse-cost.gp", [data])


class Baseline(Scenario):
    name = "baseline"
    stages = tuple(STAGES)
    blurb = "64 conns × pipeline 32, natural request, every stage, interleaved rounds"
    column = "baseline: throughput, p99"

    def run(self, res):
        cfg = res.cfg
        runs = {stage: [] for stage in STAGES}
        ceilings = {"accept": [], "echo": []}
        servers = {stage: res.server(stage, [], self.name) for stage in STAGES}
        with ServerGroup(servers):
            for round_no in range(cfg.baseline_rounds):
                order = list(STAGES) if round_no % 2 == 0 else list(reversed(STAGES))
                for mode, mix in (("accept", "event=100"), ("echo", "echo=100")):
                    argv = loadgen_args(self_test=mode, mix=mix, duration=cfg.baseline_s,
                                        warmup=cfg.baseline_warmup_s)
                    ceilings[mode].append(res.measure(self.name, None, f"self-test {mode}", argv))
                for stage in order:
                    argv = loadgen_args(servers[stage].port, conns=conns_of(stage),
                                        mix=natural_mix(stage), duration=cfg.baseline_s,
                                        warmup=cfg.baseline_warmup_s)
                    runs[stage].append(res.measure(self.name, stage, f"round {round_no + 1}", argv))
        ceiling = {mode: median_of(samples, "throughput_rps") for mode, samples in ceilings.items()}
        return {"rounds": cfg.baseline_rounds, "ceiling": ceiling, "ceiling_runs": ceilings,
                "stages": {stage: stage_row(stage, samples, ceiling)
                           for stage, samples in runs.items()}}

    def verdict(self, result):
        rows, ceiling = result["stages"], result["ceiling"]
        fastest = max(rows, key=lambda s: rows[s]["throughput_rps"])
        parse_cost = ratio(rows[2]["throughput_rps"], rows[3]["throughput_rps"])
        bound = [stage_tag(s) for s, r in rows.items() if r["tool_bound"]]
        text = (f"parsing costs: step03 answers {fmt_rate(rows[3]['throughput_rps'])}, "
                f"{fmt_x(parse_cost)} fewer lines/s than step02's echo "
                f"({fmt_rate(rows[2]['throughput_rps'])}); the fastest stage is "
                f"step{stage_tag(fastest)} at {fmt_rate(rows[fastest]['throughput_rps'])}; "
                f"loadgen's ceiling is {fmt_rate(ceiling['accept'])} (accept) and "
                f"{fmt_rate(ceiling['echo'])} (echo)")
        # share_of_ceiling is None when the self-test measured nothing
        above = [stage_tag(s) for s, r in rows.items() if s > 1 and (r["share_of_ceiling"] or 0) > 1]
        if not all(ceiling.values()):
            text += "; which stages are tool-bound: cannot judge (the self-test measured nothing)"
        elif bound:
            text += f"; possibly tool-bound (≥ {TOOL_BOUND_SHARE:.0%} of the ceiling): {', '.join(bound)}"
        else:
            text += f"; no stage comes within {TOOL_BOUND_SHARE:.0%} of the ceiling"
        if above:
            text += (f"; faster than loadgen's self-test ceiling (so the self-test understates "
                     f"the tool's limit there): {', '.join(above)}")
        return text + "."

    def cell(self, result, stage):
        r = result["stages"][stage]
        text = f"{fmt_rate(r['throughput_rps'])}, {fmt_us(r['p99_us'])}"
        if r["busy_share"] >= 0.01:
            text += f" ({fmt_pct(r['busy_share'])} busy)"
        if stage == 1:
            text += " (1 conn)"
        if r["tool_bound"]:
            text += " ⚠ tool-bound?"
        return text

    def details(self, result):
        lines = [f"### baseline (median of {result['rounds']} rounds)", "",
                 "| stage | conns × pipeline | request | replies/s | min–max | useful/s | server_busy "
                 "| p50 | p99 | of ceiling |", "|---|---|---|---|---|---|---|---|---|---|"]
        for s, r in result["stages"].items():
            flag = " ⚠" if r["tool_bound"] else ""
            lines.append(row_md([
                stage_tag(s), f"{r['conns']} × {r['pipeline']}"
                + (" (blocking: one client at a time)" if s == 1 else ""),
                r["mix"].split("=")[0], fmt_rate(r["throughput_rps"]),
                f"{fmt_rate(r['min_rps'])}–{fmt_rate(r['max_rps'])}", fmt_rate(r["goodput_rps"]),
                fmt_pct(r["busy_share"]), fmt_us(r["p50_us"]), fmt_us(r["p99_us"]),
                f"{fmt_pct(r['share_of_ceiling'])} of {r['ceiling_mode']}{flag}"]))
        c = result["ceiling"]
        lines += ["", f"loadgen's own ceiling (`--self-test`, 64 × 32, median): accept "
                  f"{fmt_rate(c['accept'])}, echo {fmt_rate(c['echo'])}. ⚠ marks a stage at ≥ "
                  f"{TOOL_BOUND_SHARE:.0%} of the ceiling: the tool may be the limit there."]
        return "\n".join(lines)

    def charts(self, result):
        rows = result["stages"].items()
        throughput = DataFile("throughput.dat", ["stage", "throughput", "ceiling"], [
            [f'"{stage_tag(s)}' + (' (1 conn)"' if s == 1 else '"'),
             r["throughput_rps"] / 1e6, r["ceiling_rps"] / 1e6] for s, r in rows],
            header_is_data=False)
        latency = DataFile("latency.dat", ["stage", "p50", "p99"],
                           [[stage_tag(s), r["p50_us"] / 1e3, r["p99_us"] / 1e3] for s, r in rows],
                           header_is_data=False)
        return [Chart("throughput", "throughput.gp", [throughput]),
                Chart("latency", "latency.gp", [latency]), parse_cost_chart(result)]
