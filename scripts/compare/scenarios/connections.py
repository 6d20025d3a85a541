"""connections (02, 03, 10): 10,000 connections at a low rate (stage 02 echoes lines,
the others take events): all served, p99, server RSS per connection (VmRSS with the
connections open minus idle)."""

import time

from ..formatting import fmt_rate, fmt_us, row_md, stage_tag
from ..loadgen import loadgen_args
from ..machine import raise_nofile
from ..processes import ScenarioError
from ..settings import NOFILE_MARGIN
from .base import Chart, DataFile, Scenario, text_cell
from .baseline import natural_mix

RSS_TARGET_BYTES = 256        # docs/PERFORMANCE.md: 10,000 idle connections, <= 256 B each


def sample_rss_while(server, pending, interval_s=0.1):
    """VmRSS samples of server while the loadgen run `pending` is alive."""
    samples = []
    proc = pending[3].proc
    while proc.poll() is None:
        try:
            samples.append(server.rss_bytes())
        except (OSError, ScenarioError):
            break
        time.sleep(interval_s)
    return samples


def against_target(row):
    """Where the RSS per connection stands against the target (no connection: no figure)."""
    if row["opened"] == 0:
        return f"no connection opened: cannot judge against the {RSS_TARGET_BYTES} B target"
    within = row["bytes_per_conn"] <= RSS_TARGET_BYTES
    return f"{'within' if within else 'over'} the {RSS_TARGET_BYTES} B target"


def served_label(row):
    """How many connections were served, short: all of them, or how many opened and the
    errors."""
    if row["opened"] == row["conns"] and row["errors"] == 0:
        return "all served"
    return f"{row['opened']:,} opened, {row['errors']:,} err"


class Connections(Scenario):
    name = "connections"
    stages = (2, 3, 10)
    blurb = "many connections at a low rate, RSS per connection: 02, 03, 10"
    column = "connections: served, p99, B/conn"
    full = {"many_conns_s": 3.0}
    quick = {"many_conns_s": 1.0}

    def run(self, res):
        cfg = res.cfg
        soft, hard, enough = raise_nofile(cfg.many_conns + NOFILE_MARGIN)
        conns = cfg.many_conns if enough else max(100, soft - NOFILE_MARGIN)
        rows = {}
        for stage in self.stages:
            with res.server(stage, ["--max-conns", max(10000, conns)], self.name) as server:
                time.sleep(0.2)
                idle = server.rss_bytes()
                argv = loadgen_args(server.port, conns=conns, pipeline=4, rate=2 * conns,
                                    mix=natural_mix(stage), duration=cfg.many_conns_s)
                pending = res.loadgen(self.name, stage, f"{conns} connections", argv)
                samples = sample_rss_while(server, pending)
                figures = res.collect(pending)
            peak = max(samples) if samples else idle
            rows[stage] = {"conns": conns, "opened": figures["conns_opened"],
                           "conn_failures": figures["conn_failures"],
                           "errors": figures["protocol_errors"] + figures["unanswered"]
                           + figures["conn_failures"],
                           "replies_rps": figures["throughput_rps"], "p50_us": figures["p50_us"],
                           "p99_us": figures["p99_us"], "never_sent": figures["never_sent"],
                           "rss_idle_bytes": idle, "rss_open_bytes": peak,
                           "bytes_per_conn": (peak - idle) / conns}
        return {"conns": conns, "rlimit_nofile": [soft, hard], "rlimit_enough": enough,
                "asked_conns": cfg.many_conns, "stages": rows}

    def verdict(self, result):
        parts = []
        for stage, r in result["stages"].items():
            served = "all served" if r["opened"] == r["conns"] and r["errors"] == 0 else \
                f"{r['opened']} opened, {r['errors']} errors"
            parts.append(f"step{stage_tag(stage)}: {served}, p99 {fmt_us(r['p99_us'])}, "
                         f"{r['bytes_per_conn']:.0f} B of RSS per connection "
                         f"({against_target(r)})")
        text = f"{result['conns']} connections at 2 requests/s each: " + "; ".join(parts) + "."
        if not result["rlimit_enough"]:
            text += (f" RLIMIT_NOFILE's hard limit ({result['rlimit_nofile'][1]}) is too low for "
                     f"{result['asked_conns']} connections: measured with {result['conns']}.")
        return text

    def cell(self, result, stage):
        r = result["stages"][stage]
        served = f"{r['opened']}/{r['conns']}" + ("" if r["errors"] == 0 else f", {r['errors']} err")
        return f"{served}, {fmt_us(r['p99_us'])}, {r['bytes_per_conn']:.0f} B"

    def details(self, result):
        lines = [f"### connections ({result['conns']} connections, open loop at 2 requests/s "
                 "each)", "",
                 "| stage | opened | errors | replies/s | p50 | p99 | RSS idle | RSS with conns "
                 "| per conn |", "|---|---|---|---|---|---|---|---|---|"]
        for s, r in result["stages"].items():
            lines.append(row_md([stage_tag(s), f"{r['opened']:,}/{r['conns']:,}", str(r["errors"]),
                                 fmt_rate(r["replies_rps"]), fmt_us(r["p50_us"]),
                                 fmt_us(r["p99_us"]), f"{r['rss_idle_bytes'] / 1024:.0f} KiB",
                                 f"{r['rss_open_bytes'] / 1024:.0f} KiB",
                                 f"{r['bytes_per_conn']:.0f} B"]))
        soft, hard = result["rlimit_nofile"]
        lines += ["", f"RLIMIT_NOFILE soft/hard for the server and loadgen: {soft}/{hard}"
                  + ("" if result["rlimit_enough"] else " — too low for the requested count") + "."]
        return "\n".join(lines)

    def charts(self, result):
        data = DataFile("connections.dat", ["stage", "p99_ms", "served", "bytes_per_conn",
                                            "bytes_label", "target"], [
            [stage_tag(s), r["p99_us"] / 1e3, text_cell(served_label(r)), r["bytes_per_conn"],
             text_cell(f"{r['bytes_per_conn']:.0f} B"), RSS_TARGET_BYTES]
            for s, r in result["stages"].items()], header_is_data=False)
        return [Chart("connections", "connections.gp", [data],
                      [f"{result['conns']:,} connections at 2 requests/s each"])]
