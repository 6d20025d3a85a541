"""What a run measured: every loadgen run, each scenario's result, the problems;
and the arithmetic the scenarios share (medians, ratios)."""

import statistics

from .loadgen import Loadgen, summarize
from .processes import Server
from .settings import STAGES


class Results:
    """Everything measured: raw runs, derived figures per scenario, problems.
    Scenarios start their servers and loadgen runs through it."""

    def __init__(self, cfg, tmp_dir, log_dir):
        self.cfg = cfg
        self.tmp_dir = tmp_dir
        self.log_dir = log_dir
        self.runs = []
        self.scenarios = {}
        self.problems = []

    def loadgen(self, scenario, stage, label, argv):
        """Start one loadgen run; `collect` it later."""
        return (scenario, stage, label, Loadgen(argv, self.tmp_dir, f"{scenario} {label}"))

    def collect(self, pending):
        scenario, stage, label, run = pending
        raw = run.finish()
        figures = summarize(raw)
        self.runs.append({"scenario": scenario, "stage": stage, "label": label,
                          "figures": figures, "loadgen": raw})
        if figures["protocol_errors"]:
            samples = raw["errors"].get("samples", [])[:2]
            self.problems.append(f"{scenario} {label}: loadgen saw {figures['protocol_errors']} "
                                 f"protocol errors {samples}")
        return figures

    def measure(self, scenario, stage, label, argv):
        return self.collect(self.loadgen(scenario, stage, label, argv))

    def completed(self, name):
        """The result of a scenario that ran to the end; None if it failed or did not run."""
        result = self.scenarios.get(name)
        return None if result is None or "failed" in result else result

    def server(self, stage, args, tag):
        return Server(stage, args, self.log_dir / f"{STAGES[stage]}-{tag}.log")


def median_of(samples, key):
    return statistics.median(s[key] for s in samples)


def ratio(a, b):
    return a / b if a is not None and b else None
