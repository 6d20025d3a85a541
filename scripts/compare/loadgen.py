"""loadgen runs: their command line, the process, and the figures derived from its JSON."""

import json
import subprocess
import time
from pathlib import Path

from .processes import ScenarioError, forget, spawn
from .settings import HOST, LOADGEN


def loadgen_args(port=None, conns=64, pipeline=32, duration=3.0, warmup=0.0, mix="event=100",
                 rate=None, self_test=None):
    """The command line of one loadgen run (without --json)."""
    argv = [str(LOADGEN)]
    argv += [f"--self-test={self_test}"] if self_test else ["--target", f"{HOST}:{port}"]
    argv += ["--conns", conns, "--pipeline", pipeline, "--duration", duration, "--mix", mix]
    if warmup:
        argv += ["--warmup", warmup]
    if rate:
        argv += ["--rate", rate]
    return [str(a) for a in argv]


class Loadgen:
    """One loadgen process writing its --json to a temporary file."""

    def __init__(self, argv, tmp_dir, label):
        self.label = label
        self.json_path = Path(tmp_dir) / f"run-{time.monotonic_ns()}.json"
        self.argv = argv + ["--json", str(self.json_path)]
        self.timeout_s = self.seconds_allowed(argv)
        self.proc = spawn(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)

    @staticmethod
    def seconds_allowed(argv):
        """Measuring + warm-up + connecting (10 s) + the final wait for replies (10 s)."""
        def value(flag):
            return float(argv[argv.index(flag) + 1]) if flag in argv else 0.0
        return value("--duration") + value("--warmup") + 25.0

    def finish(self):
        """Wait (bounded) and return loadgen's JSON; ScenarioError if there is none."""
        try:
            _, err = self.proc.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=5)
            raise ScenarioError(f"loadgen ({self.label}) did not finish in {self.timeout_s:.0f} s")
        finally:
            forget(self.proc)
        err = err.decode(errors="replace").strip()
        code = self.proc.returncode
        if code not in (0, 1) or not self.json_path.exists():
            raise ScenarioError(f"loadgen ({self.label}) exited {code}: {err[-400:]}")
        with open(self.json_path) as f:
            raw = json.load(f)
        self.json_path.unlink()
        return raw


def summarize(raw):
    """The figures the report uses, derived from one loadgen JSON."""
    replies = raw["replies"]
    total = sum(replies.values())
    good = sum(n for kind, n in replies.items()
               if kind != "other" and not kind.startswith(("rejected/", "error/")))
    rps = raw["throughput_rps"]
    conns = raw["connections"]
    latency = raw["latency_us"]

    def share(n):
        return n / total if total else 0.0

    return {
        "throughput_rps": rps,
        "goodput_rps": rps * share(good),
        "accepted_rps": rps * share(replies.get("accepted", 0)),
        "busy_share": share(replies.get("rejected/server_busy", 0)),
        "accepted_share": share(replies.get("accepted", 0)),
        "good_share": share(good),
        "replies": total,
        "p50_us": latency["p50"],
        "p99_us": latency["p99"],
        "p999_us": latency["p99_9"],
        "send_lag_p99_us": raw.get("send_lag_us", {}).get("p99", 0.0),
        "max_us": latency["max"],
        "protocol_errors": raw["errors"]["protocol"],
        "unanswered": raw["errors"]["unanswered"],
        "conns_asked": conns["asked"],
        "conns_opened": conns["opened"],
        "conn_failures": sum(conns[k] for k in ("connect_failed", "refused", "reset",
                                                "timed_out", "closed_by_server")),
        "never_sent": raw["requests"].get("backlog_at_end", 0)
        + raw["requests"].get("unsent_closed", 0),
        "exit_code": raw.get("exit_code"),
    }
