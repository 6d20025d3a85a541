"""Scenario results as each scenario's run() returns them, built from a few given
numbers (the rest typical), for the tests of verdicts, cells and the report."""

from compare.measuring import Results
from compare.scenarios import SCENARIOS
from compare.scenarios.baseline import stage_row
from compare.scenarios.redis import SHAPES, shape_row
from compare.settings import STAGES, run_settings


def quick_cfg():
    return run_settings(True, SCENARIOS)


def figures(rps, p99_us=1000.0, busy_share=0.0):
    """The loadgen figures (measuring's summary of one run) that the scenarios read."""
    return {"throughput_rps": rps, "goodput_rps": rps * (1 - busy_share),
            "busy_share": busy_share, "p50_us": p99_us / 2, "p99_us": p99_us}


def baseline(rps=None, ceiling=None):
    """rps: {stage: replies/s} over typical ones; ceiling: {"accept", "echo"}."""
    rps = {**{s: 2e6 for s in STAGES}, 1: 0.5e6, 2: 3e6, 3: 2.5e6, **(rps or {})}
    ceiling = ceiling or {"accept": 6e6, "echo": 6.5e6}
    return {"rounds": 1, "ceiling": ceiling, "ceiling_runs": {},
            "stages": {s: stage_row(s, [figures(r)], ceiling) for s, r in rps.items()}}


def two_clients(while_connected=None):
    """while_connected: {stage: seconds or None (no reply)}; 01 blocks by default."""
    waits = {1: None, 2: 20e-6, 3: 6e-6, **(while_connected or {})}
    return {"stages": {s: {"while_a_connected_s": w, "after_a_left_s": 100e-6, "waited_s": 0.5}
                       for s, w in waits.items()}}


def slow_work(p99_us=None, alone_p99_us=400.0):
    p99 = {4: 100e3, 5: 800.0, 6: 7e3, **(p99_us or {})}
    return {"stages": {s: {"server_args": ["--work-us", 200], "light_alone_p99_us": alone_p99_us,
                           "light_p50_us": p / 2, "light_p99_us": p, "light_accepted_share": 0.1,
                           "light_alone_send_lag_p99_us": 50.0, "light_send_lag_p99_us": 60.0,
                           "light_busy_share": 0.9, "heavy_rps": 20e3, "heavy_goodput_rps": 10e3}
                       for s, p in p99.items()}}


def overload(p99_us=None):
    p99 = {4: 800e3, 5: 600.0, 6: 2e3, **(p99_us or {})}
    return {"capacity_one_processor_rps": 10e3, "offered_rps": 30000,
            "stages": {s: {"server_args": ["--work-us", 100], "offered_rps": 30000,
                           "replies_rps": 30e3, "applied_rps": 10e3, "busy_share": 0.6,
                           "p50_us": p / 2, "p99_us": p, "send_lag_p99_us": 80.0,
                           "never_sent": 1234}
                       for s, p in p99.items()}}


def workers(accepted=None, counts=(1, 4)):
    """accepted: {work key: {stage: {workers: events/s}}} over a flat 20 k/s."""
    by = {w: {s: {n: 20e3 for n in counts} for s in (6, 7, 8, 9)} for w in ("50", "0")}
    for work, stages in (accepted or {}).items():
        for stage, points in stages.items():
            by[work][stage].update(points)
    return {"workers": list(counts), "work_us": 50, "rate_with_work": 60000, "work_repeats": 1,
            "by_work_us": {w: {s: {n: {"accepted_rps": a, "replies_rps": a, "busy_share": 0.5,
                                       "p99_us": 900.0, "accepted_rps_samples": [a]}
                                   for n, a in points.items()}
                               for s, points in stages.items()}
                           for w, stages in by.items()}}


def read_share(useful=None, shares=(0, 90)):
    """useful: {stage: {share: replies/s}} over a flat 1 M/s."""
    rows = {s: {p: 1e6 for p in shares} for s in (7, 8, 9)}
    for stage, points in (useful or {}).items():
        rows[stage].update(points)
    return {"shares": list(shares),
            "stages": {s: {p: {"useful_rps": u, "replies_rps": u, "busy_share": 0.0,
                               "p99_us": 2e3} for p, u in points.items()}
                       for s, points in rows.items()}}


def connections(opened=2000, errors=0, bytes_per_conn=120.0, enough=True):
    return {"conns": 2000, "rlimit_nofile": [1024 if not enough else 1048576, 1048576],
            "rlimit_enough": enough, "asked_conns": 2000,
            "stages": {s: {"conns": 2000, "opened": opened, "conn_failures": 0, "errors": errors,
                           "replies_rps": 4e3, "p50_us": 50.0, "p99_us": 150.0, "never_sent": 0,
                           "rss_idle_bytes": 1 << 20,
                           "rss_open_bytes": (1 << 20) + bytes_per_conn * 2000,
                           "bytes_per_conn": bytes_per_conn}
                       for s in (2, 3, 10)}}


def drain(client_accepted=1000, processed=1000, received=1200, dropped=200, exit_status=0):
    return {"signal_after_s": 0.5, "exit_status": exit_status, "drain_s": 0.03,
            "final_metrics": {"received": received, "processed": processed, "dropped": dropped},
            "client_accepted": client_accepted, "client_shutting_down": 50, "client_busy": 0,
            "server_accepted": received - dropped, "unanswered": 7}


def latency(p99_us=None, replies_rps=60e3):
    p99 = {3: 150.0, 10: 2e3, **(p99_us or {})}
    return {"stages": {s: {"capacity_rps": 120e3, "rate_rps": 60000, "replies_rps": replies_rps,
                           "p50_us": p / 3, "p99_us": p, "p999_us": p * 2, "send_lag_p99_us": 80.0}
                       for s, p in p99.items()}}


def redis(step10_rps=(3e6, 0.8e6), redis_rps=(1.5e6, 1e6)):
    """Goodput per shape in SHAPES' order."""
    return {"rounds": 1, "redis_version": "7.0.15",
            "shapes": [shape_row(shape, [figures(ours)], [figures(theirs)])
                       for shape, ours, theirs in zip(SHAPES, step10_rps, redis_rps)]}


# One sample per scenario: the report's tests use them all.
def maps(medians=None, passed=True, hold_us=(0, 5)):
    """medians: {(hold_us, reads, design, threads): ops/s} over 1e6 everywhere."""
    medians = medians or {}
    runs = []
    for hold in hold_us:
        points = {reads: {design: {t: {"median": medians.get((hold, reads, design, t), 1e6),
                                       "min": 0.9e6, "max": 1.1e6, "passed": passed}
                                   for t in (1, 2, 4, 8)}
                          for design in ("mutex", "striped", "rcu")}
                  for reads in (50, 90)}
        runs.append({"hold_us": hold, "passed": passed, "failures": [] if passed else ["lost"],
                     "points": points})
    return {"threads": [1, 2, 4, 8], "reads": [50, 90], "seconds_per_point": 1.0, "rounds": 3,
            "cpus": 2, "runs": runs}


SAMPLES = {"baseline": baseline, "two-clients": two_clients, "slow-work": slow_work,
           "overload": overload, "workers": workers, "read-share": read_share,
           "maps": maps,
           "connections": connections, "drain": drain, "latency": latency, "redis": redis}


def results(cfg=None, scenarios=None, problems=()):
    """A measuring.Results holding the given {name: result}."""
    res = Results(cfg or quick_cfg(), None, None)
    res.scenarios = dict(scenarios or {})
    res.problems = list(problems)
    return res

