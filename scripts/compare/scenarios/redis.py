"""redis: a target in docs/PERFORMANCE.md (10). Stage 10's events against Redis's SET
(redis-server from Debian, default configuration, no persistence, on a free port),
the same loadgen at 64 x 64 and 1000 x 16 in interleaved rounds (target: stage 10
>= 1.5 x Redis)."""

from ..formatting import fmt_met, fmt_rate, fmt_us, fmt_x, row_md
from ..loadgen import loadgen_args
from ..measuring import median_of, ratio
from ..processes import RedisServer
from .base import Scenario

SHAPES = [(64, 64), (1000, 16)]   # docs/PERFORMANCE.md's two: connections x in flight
TARGET_RATIO = 1.5                # docs/PERFORMANCE.md: stage 10 >= 1.5 x Redis SET


def ratio_met(shape):
    """Stage 10 at the target ratio or above; None when Redis answered nothing."""
    return None if shape["ratio"] is None else shape["ratio"] >= TARGET_RATIO


def shape_row(shape, ours, theirs):
    """One shape's figures: the medians of stage 10's rounds and of Redis's."""
    conns, pipeline = shape
    step10_rps, redis_rps = median_of(ours, "goodput_rps"), median_of(theirs, "goodput_rps")
    return {"conns": conns, "pipeline": pipeline, "step10_rps": step10_rps,
            "redis_rps": redis_rps, "ratio": ratio(step10_rps, redis_rps),
            "step10_p99_us": median_of(ours, "p99_us"), "redis_p99_us": median_of(theirs, "p99_us")}


class Redis(Scenario):
    name = "redis"
    stages = (10,)
    blurb = "stage 10's events against Redis SET, 64 × 64 and 1000 × 16: 10"
    column = "redis: step10 / Redis SET"

    def run(self, res):
        """Stage 10's events and Redis's SET, the same loadgen and shapes, in
        interleaved rounds."""
        cfg = res.cfg
        runs = {(shape, who): [] for shape in SHAPES for who in ("step10", "redis")}
        version = RedisServer.version()
        with res.server(10, [], self.name) as step10, RedisServer(res.log_dir) as redis:
            targets = [("step10", 10, step10.port, "event=100"),
                       ("redis", None, redis.port, "set=100")]
            for round_no in range(cfg.baseline_rounds):
                for conns, pipeline in SHAPES:
                    for who, stage, port, mix in targets if round_no % 2 == 0 else targets[::-1]:
                        argv = loadgen_args(port, conns=conns, pipeline=pipeline, mix=mix,
                                            duration=cfg.baseline_s, warmup=cfg.baseline_warmup_s)
                        label = f"{who} {conns} x {pipeline}, round {round_no + 1}"
                        runs[((conns, pipeline), who)].append(
                            res.measure(self.name, stage, label, argv))
        return {"rounds": cfg.baseline_rounds, "redis_version": version,
                "shapes": [shape_row(shape, runs[(shape, "step10")], runs[(shape, "redis")])
                           for shape in SHAPES]}

    def verdict(self, result):
        parts = [f"{r['conns']} × {r['pipeline']}: step10 {fmt_rate(r['step10_rps'])}, Redis "
                 f"{fmt_rate(r['redis_rps'])}, {fmt_x(r['ratio'])} ({fmt_met(ratio_met(r))})"
                 for r in result["shapes"]]
        return (f"stage 10's accepted events against Redis {result['redis_version']} SET, same "
                f"loadgen, same run, target {fmt_x(TARGET_RATIO)}: " + "; ".join(parts) + ".")

    def cell(self, result, stage):
        return " / ".join(f"{fmt_x(r['ratio'])} at {r['conns']} × {r['pipeline']}"
                          for r in result["shapes"])

    def details(self, result):
        lines = [f"### redis (Redis {result['redis_version']}, default configuration without "
                 f"persistence; median of {result['rounds']} interleaved rounds)", "",
                 "| conns × in flight | step10 events/s | Redis SET/s | step10 / Redis | "
                 "step10 p99 | Redis p99 |", "|---|---|---|---|---|---|"]
        for r in result["shapes"]:
            lines.append(row_md([f"{r['conns']} × {r['pipeline']}", fmt_rate(r["step10_rps"]),
                                 fmt_rate(r["redis_rps"]), fmt_x(r["ratio"]),
                                 fmt_us(r["step10_p99_us"]), fmt_us(r["redis_p99_us"])]))
        lines += ["", f"Target (docs/PERFORMANCE.md): step10 ≥ {fmt_x(TARGET_RATIO)} Redis. "
                  "loadgen sends Redis `SET <user> <amount>` in RESP (`--mix set=100`), the same "
                  "users as the events; the rates count accepted events and `+OK` replies."]
        return "\n".join(lines)
