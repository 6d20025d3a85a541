#!/usr/bin/env python3
"""Run every stage side by side and write the comparison report (`make compare`).

What a run does
---------------
The Makefile builds everything first; this script then, with the binaries in
build/bin/:

1. raises RLIMIT_NOFILE to its hard limit (inherited by every server and load
   generator started here) and records the machine: CPU model, cores, kernel;
2. runs ten scenarios, each
   bounded in time, and measures how much CPU other processes took meanwhile
   (a busy machine is named in the report). Every server listens on
   127.0.0.1 with `--port 0` (its `stepNN listening on HOST:PORT` line gives the
   port), gets the flags its scenario needs, and is stopped with SIGTERM, a
   bounded wait, then SIGKILL:

   baseline     64 connections x pipeline 32, each stage's natural request
                (echo for 01-02, events for 03+; stage 01: 1 connection), in
                rounds that interleave the stages and loadgen's own ceiling
                (`--self-test` accept and echo); median of the rounds.
   two-clients  (01, 02, 03) client A connects and stays idle; client B sends
                one line: B's reply time while A is connected, then after A left.
   slow-work    (04, 05, 06) --work-us 200: a light open-loop client's p99,
                alone and next to heavy pipelined clients.
   overload     (04, 05, 06) --work-us 100 --queue-cap 1024, open loop at 3x
                what one processor can do: server_busy share, and p99.
   workers      (06-09) --workers 1, 2, 4, 8: with --work-us 50 at a fixed rate
                (median of 3 server processes per point), and without work at
                full speed.
   read-share   (07-09) --workers 2, 0 %, 50 %, 90 % balance queries.
   connections  (03, 10) 10,000 connections at a low rate: all served, p99,
                server RSS per connection (VmRSS with the connections open minus
                idle).
   drain        (10) SIGTERM in the middle of a pipelined load: the final metrics
                line's `processed` against the `accepted` replies loadgen got.
   latency      (03, 10) 100 connections: capacity with one request in flight
                each (closed loop), then an open loop at half of it: p50, p99
                (docs/PERFORMANCE.md: p99 < 1 ms) and loadgen's own send lag.
   redis        (10) stage 10's events against Redis's SET (redis-server from
                Debian, default configuration, no persistence, on a free port),
                the same loadgen at 64 x 64 and 1000 x 16 in interleaved rounds
                (docs/PERFORMANCE.md: stage 10 >= 1.5 x Redis).

3. writes results/compare.md (tables, one verdict per scenario computed from the
   numbers), results/compare.json (every raw loadgen JSON and the derived
   figures) and results/compare-*.svg (gnuplot, templates in scripts/compare/).

Progress goes to stderr, one line per scenario; the summary table and the
verdicts go to stdout at the end. `--quick` runs every scenario, shorter.

Every number depends on the machine: the load generator shares its cores with
the server, and figures drift by 15-30 % between runs. Read the ratios measured
within one run. docs/COMPARE.md explains each scenario and how to read the report.

Exit status: 0 when every scenario ran; 1 when a server failed to start, a
scenario could not run, loadgen saw protocol errors or the charts could not be
drawn (the report still shows what was measured); 2 on bad usage. Every process
started here is killed on every exit path.
"""

import argparse
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = ROOT / "build" / "bin"
LOADGEN = BIN_DIR / "loadgen"
TEMPLATE_DIR = ROOT / "scripts" / "compare"
HOST = "127.0.0.1"

STAGES = {
    1: "step01_echo", 2: "step02_async", 3: "step03_parse", 4: "step04_single",
    5: "step05_channel", 6: "step06_workers", 7: "step07_mutex",
    8: "step08_rwlock", 9: "step09_atomics", 10: "step10_shutdown",
}
EVENT_LINE = b'{"user":"alice","action":"buy","amount":1}\n'
TOOL_BOUND_SHARE = 0.70       # a stage at >= 70 % of loadgen's ceiling may be tool-bound
RSS_TARGET_BYTES = 256        # docs/PERFORMANCE.md: 10,000 idle connections, <= 256 B each
SERVER_START_S = 5.0
SERVER_STOP_S = 8.0           # stage 10 drains for up to 5 s by default
NOFILE_MARGIN = 256

FULL = SimpleNamespace(
    name="full", baseline_s=3.0, baseline_warmup_s=0.5, baseline_rounds=3,
    two_clients_wait_s=2.0, slow_s=3.0, overload_s=3.0, sweep_s=2.0,
    sweep_warmup_s=0.5, work_sweep_repeats=3, workers=[1, 2, 4, 8], read_shares=[0, 50, 90],
    many_conns=10000, many_conns_s=3.0, drain_s=3.0, drain_signal_s=1.0, latency_s=5.0)
QUICK = SimpleNamespace(
    name="quick", baseline_s=1.0, baseline_warmup_s=0.2, baseline_rounds=1,
    two_clients_wait_s=0.5, slow_s=1.0, overload_s=1.0, sweep_s=0.5,
    sweep_warmup_s=0.2, work_sweep_repeats=1, workers=[1, 4], read_shares=[0, 90],
    many_conns=2000, many_conns_s=1.0, drain_s=1.5, drain_signal_s=0.5, latency_s=1.0)

SCENARIOS = ["baseline", "two-clients", "slow-work", "overload", "workers",
             "read-share", "connections", "drain", "latency", "redis"]
SCENARIO_STAGES = {
    "baseline": tuple(STAGES), "two-clients": (1, 2, 3), "slow-work": (4, 5, 6),
    "overload": (4, 5, 6), "workers": (6, 7, 8, 9), "read-share": (7, 8, 9),
    "connections": (3, 10), "drain": (10,), "latency": (3, 10), "redis": (10,),
}

LIVE = []          # every Popen started here that may still run
STARTED = time.monotonic()


class ScenarioError(Exception):
    """A server did not start, or a measurement could not be taken."""


# ---------------------------------------------------------------- processes

def spawn(argv, **kwargs):
    """Start a process and remember it, so that every exit path can kill it."""
    proc = subprocess.Popen(argv, **kwargs)
    LIVE.append(proc)
    return proc


def forget(proc):
    if proc in LIVE:
        LIVE.remove(proc)


def kill_everything():
    """SIGKILL every process started here that is still running."""
    for proc in list(LIVE):
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        forget(proc)


def exit_on_signal(signo, _frame):
    raise SystemExit(128 + signo)


def progress(text):
    print(f"[compare {time.monotonic() - STARTED:5.0f}s] {text}", file=sys.stderr, flush=True)


class Server:
    """One stage listening on 127.0.0.1 with --port 0; its stderr goes to a log file."""

    def __init__(self, stage, args, log_path):
        self.stage = stage
        self.args = [str(a) for a in args]
        self.log_path = log_path
        self.proc = None
        self.port = None
        self.stdout_rest = b""
        self.stopped = None       # (exit status, rest of stdout) once stopped

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        argv = [str(BIN_DIR / STAGES[self.stage]), "--host", HOST, "--port", "0", *self.args]
        with open(self.log_path, "ab") as log:
            self.proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
        line = self._read_first_line(SERVER_START_S)
        match = re.fullmatch(rb"step(\d\d) listening on ([0-9.]+):(\d+)", line)
        if not match or int(match[1]) != self.stage or match[2].decode() != HOST:
            self.stop()
            raise ScenarioError(f"{STAGES[self.stage]} {' '.join(self.args)} did not start: "
                                f"first line {line!r} (log: {self.log_path})")
        self.port = int(match[3])
        return self

    def _read_first_line(self, timeout_s):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return data
            chunk = os.read(fd, 4096)
            if not chunk:
                return data
            data += chunk
        line, self.stdout_rest = data.split(b"\n", 1)
        return line

    def signal(self, signo=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signo)

    def stop(self, timeout_s=SERVER_STOP_S):
        """SIGTERM, a bounded wait, then SIGKILL. Returns (exit status, rest of stdout)."""
        if self.proc is None:
            return None, ""
        if self.stopped is not None:
            return self.stopped
        self.signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=5)
        forget(self.proc)
        rest = (self.stdout_rest + (out or b"")).decode(errors="replace")
        self.stopped = (self.proc.returncode, rest)
        return self.stopped

    def rss_bytes(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise ScenarioError(f"no VmRSS for pid {self.pid}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()


def free_port():
    """A port nothing listens on right now (for a server that cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class RedisServer(Server):
    """redis-server on 127.0.0.1 with its default configuration but no
    persistence, on a free port; its log goes to a file."""

    def __init__(self, log_dir):
        super().__init__(None, [], log_dir / "redis-server.log")

    @staticmethod
    def binary():
        path = shutil.which("redis-server")
        if not path:
            raise ScenarioError("redis-server is not installed (`make compare` installs it)")
        return path

    @classmethod
    def version(cls):
        try:
            out = subprocess.run([cls.binary(), "--version"], capture_output=True, text=True,
                                 timeout=5).stdout
        except subprocess.TimeoutExpired as err:
            raise ScenarioError("redis-server --version did not answer in 5 s") from err
        match = re.search(r"v=(\S+)", out)
        return match[1] if match else out.strip()

    def start(self):
        self.port = free_port()
        argv = [self.binary(), "--bind", HOST, "--port", str(self.port), "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--logfile", ""]
        with open(self.log_path, "ab") as log:
            self.proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ScenarioError(f"redis-server did not start on port {self.port} "
                            f"(log: {self.log_path})")


class ServerGroup:
    """Several servers started together and always stopped together."""

    def __init__(self, servers):
        self.servers = servers

    def __enter__(self):
        try:
            for server in self.servers.values():
                server.start()
        except BaseException:
            self.__exit__()
            raise
        return self.servers

    def __exit__(self, *_exc):
        for server in self.servers.values():
            server.stop()


# ---------------------------------------------------------------- loadgen

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
        self.timeout_s = self._seconds_allowed(argv)
        self.proc = spawn(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)

    @staticmethod
    def _seconds_allowed(argv):
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


# ---------------------------------------------------------------- figures

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


class Results:
    """Everything measured: raw runs, derived figures per scenario, problems."""

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

    def server(self, stage, args, tag):
        return Server(stage, args, self.log_dir / f"{STAGES[stage]}-{tag}.log")


def median_of(samples, key):
    return statistics.median(s[key] for s in samples)


def ratio(a, b):
    return a / b if a is not None and b else None


# ---------------------------------------------------------------- formatting

def fmt_rate(rps):
    if rps is None:
        return "n/a"
    if rps >= 1e6:
        return f"{rps / 1e6:.2f} M/s"
    if rps >= 1e3:
        return f"{rps / 1e3:.1f} k/s"
    return f"{rps:.0f}/s"


def fmt_us(us):
    if us is None:
        return "n/a"
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs"


def fmt_x(value):
    return "n/a" if value is None else f"×{value:.2f}"


def fmt_pct(share):
    return "n/a" if share is None else f"{share * 100:.1f} %"


def stage_tag(stage):
    return f"{stage:02d}"


# ---------------------------------------------------------------- machine

def machine_info():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    uname = os.uname()
    return {"cpu_model": model, "cores": os.cpu_count(), "kernel": f"{uname.sysname} {uname.release}",
            "load_generator": "loadgen runs on the same machine and shares its cores with the server",
            "git": git_revision(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def git_revision():
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine_line(machine):
    return (f"{machine['cpu_model']}, {machine['cores']} cores, loopback; "
            f"loadgen shares these cores with the server")


class CpuMeter:
    """CPU used on the whole machine by processes other than this run, and steal.

    /proc/stat gives the machine's busy and stolen time; getrusage gives this
    script's and its reaped children's. The difference, over the wall time, is
    how many cores somebody else used: on a shared 2-core machine, anything
    much above 0 makes the figures of that interval unrepresentative."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self):
        self.start = self._sample()

    @classmethod
    def _sample(cls):
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        own = sum(getattr(resource.getrusage(who), f) for who in
                  (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
        # irq and softirq time are left out: on loopback most of it is this run's own
        # network traffic, which getrusage does not always charge to a process.
        del irq, softirq
        return (time.monotonic(), (user + nice + system) / cls.TICK,
                steal / cls.TICK, own)

    def read(self):
        """{"other_cores", "steal_cores", "own_cores"} averaged since the meter started;
        None under a second, where clock ticks are too coarse to say."""
        end = self._sample()
        wall = end[0] - self.start[0]
        if wall < 1.0:
            return None
        busy, steal, own = (end[i] - self.start[i] for i in (1, 2, 3))
        return {"other_cores": round(max(busy - own, 0.0) / wall, 2),
                "steal_cores": round(steal / wall, 2), "own_cores": round(own / wall, 2)}


OTHER_LOAD_WARN_CORES = 0.25


def raise_nofile(wanted):
    """Raise RLIMIT_NOFILE's soft limit to the hard limit. Returns (soft, hard, enough)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft, hard, soft >= wanted


# ---------------------------------------------------------------- scenarios

def natural_mix(stage):
    return "echo=100" if stage <= 2 else "event=100"


def scenario_baseline(res):
    """64 x 32 on every stage (01: 1 connection) and loadgen's ceiling, in interleaved rounds."""
    cfg = res.cfg
    runs = {stage: [] for stage in STAGES}
    ceilings = {"accept": [], "echo": []}
    servers = {stage: res.server(stage, [], "baseline") for stage in STAGES}
    with ServerGroup(servers):
        for round_no in range(cfg.baseline_rounds):
            order = list(STAGES) if round_no % 2 == 0 else list(reversed(STAGES))
            for mode, mix in (("accept", "event=100"), ("echo", "echo=100")):
                argv = loadgen_args(self_test=mode, mix=mix, duration=cfg.baseline_s,
                                    warmup=cfg.baseline_warmup_s)
                ceilings[mode].append(res.measure("baseline", None, f"self-test {mode}", argv))
            for stage in order:
                conns = 1 if stage == 1 else 64
                argv = loadgen_args(servers[stage].port, conns=conns, mix=natural_mix(stage),
                                    duration=cfg.baseline_s, warmup=cfg.baseline_warmup_s)
                runs[stage].append(res.measure("baseline", stage, f"round {round_no + 1}", argv))
    ceiling = {mode: median_of(samples, "throughput_rps") for mode, samples in ceilings.items()}
    rows = {}
    for stage, samples in runs.items():
        mode = "echo" if stage <= 2 else "accept"
        rps = median_of(samples, "throughput_rps")
        rows[stage] = {
            "conns": 1 if stage == 1 else 64, "pipeline": 32, "mix": natural_mix(stage),
            "throughput_rps": rps, "goodput_rps": median_of(samples, "goodput_rps"),
            "busy_share": median_of(samples, "busy_share"),
            "p50_us": median_of(samples, "p50_us"), "p99_us": median_of(samples, "p99_us"),
            "min_rps": min(s["throughput_rps"] for s in samples),
            "max_rps": max(s["throughput_rps"] for s in samples),
            "ceiling_mode": mode, "ceiling_rps": ceiling[mode],
            "share_of_ceiling": ratio(rps, ceiling[mode]),
            "tool_bound": stage > 1 and rps >= TOOL_BOUND_SHARE * ceiling[mode],
        }
    return {"rounds": cfg.baseline_rounds, "ceiling": ceiling,
            "ceiling_runs": ceilings, "stages": rows}


def verdict_baseline(result):
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
    above = [stage_tag(s) for s, r in rows.items() if s > 1 and r["share_of_ceiling"] > 1]
    if bound:
        text += f"; possibly tool-bound (≥ {TOOL_BOUND_SHARE:.0%} of the ceiling): {', '.join(bound)}"
    else:
        text += f"; no stage comes within {TOOL_BOUND_SHARE:.0%} of the ceiling"
    if above:
        text += (f"; faster than loadgen's self-test ceiling (so the self-test understates "
                 f"the tool's limit there): {', '.join(above)}")
    return text + "."


def wait_for_reply(sock, timeout_s):
    """Seconds until a full line arrives on sock, or None after timeout_s."""
    start = time.monotonic()
    data = b""
    while b"\n" not in data:
        left = timeout_s - (time.monotonic() - start)
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    return time.monotonic() - start


def two_clients_once(port, wait_s):
    """A connects and is served once, then idles; B sends a line; A leaves."""
    with socket.create_connection((HOST, port), timeout=2) as a:
        a.sendall(EVENT_LINE)
        if wait_for_reply(a, 2.0) is None:
            raise ScenarioError("client A got no reply at all")
        b = socket.create_connection((HOST, port), timeout=2)
        try:
            b.sendall(EVENT_LINE)
            while_connected = wait_for_reply(b, wait_s)
            a.close()
            if while_connected is not None:
                b.sendall(EVENT_LINE)
            after_leaving = wait_for_reply(b, 2.0)
        finally:
            b.close()
    return {"while_a_connected_s": while_connected, "after_a_left_s": after_leaving,
            "waited_s": wait_s}


def scenario_two_clients(res):
    rows = {}
    for stage in SCENARIO_STAGES["two-clients"]:
        with res.server(stage, [], "two-clients") as server:
            rows[stage] = two_clients_once(server.port, res.cfg.two_clients_wait_s)
    return {"stages": rows}


def fmt_reply(seconds, waited_s):
    if seconds is None:
        return f"no reply in {waited_s:.1f} s"
    return fmt_us(seconds * 1e6)


def verdict_two_clients(result):
    rows = result["stages"]
    parts = []
    for stage, row in rows.items():
        if row["while_a_connected_s"] is None:
            parts.append(f"step{stage_tag(stage)}: no reply to B in {row['waited_s']:.1f} s while A "
                         f"was connected, then {fmt_reply(row['after_a_left_s'], 2.0)} after A left")
        else:
            parts.append(f"step{stage_tag(stage)}: B answered in "
                         f"{fmt_reply(row['while_a_connected_s'], 0)} with A connected")
    blocked = [s for s, r in rows.items() if r["while_a_connected_s"] is None]
    lesson = ("only the blocking server makes B wait for A" if blocked == [1]
              else f"stages that made B wait: {', '.join(stage_tag(s) for s in blocked) or 'none'}")
    return "; ".join(parts) + f": {lesson}."


def slow_work_server_args(stage):
    return ["--work-us", 200] + (["--workers", 2] if stage == 6 else [])


def light_client_args(port, duration):
    """One connection, 50 events/s, open loop; pipeline 16 so that its own
    pipeline never throttles its schedule."""
    return loadgen_args(port, conns=1, pipeline=16, rate=50, duration=duration)


def scenario_slow_work(res):
    cfg = res.cfg
    rows = {}
    for stage in SCENARIO_STAGES["slow-work"]:
        with res.server(stage, slow_work_server_args(stage), "slow-work") as server:
            alone = res.measure("slow-work", stage, "light alone",
                                light_client_args(server.port, cfg.slow_s))
            heavy = res.loadgen("slow-work", stage, "heavy",
                                loadgen_args(server.port, conns=8, pipeline=32,
                                             duration=cfg.slow_s + 1.0))
            time.sleep(0.5)
            light = res.measure("slow-work", stage, "light with heavy",
                                light_client_args(server.port, cfg.slow_s))
            heavy = res.collect(heavy)
        rows[stage] = {"server_args": slow_work_server_args(stage),
                       "light_alone_p99_us": alone["p99_us"], "light_p50_us": light["p50_us"],
                       "light_p99_us": light["p99_us"], "light_accepted_share": light["good_share"],
                       "light_alone_send_lag_p99_us": alone["send_lag_p99_us"],
                       "light_send_lag_p99_us": light["send_lag_p99_us"],
                       "light_busy_share": light["busy_share"],
                       "heavy_rps": heavy["throughput_rps"], "heavy_goodput_rps": heavy["goodput_rps"]}
    return {"stages": rows}


def verdict_slow_work(result):
    rows = result["stages"]
    parts = [f"step{stage_tag(s)} {fmt_us(r['light_p99_us'])} "
             f"({fmt_x(ratio(r['light_p99_us'], r['light_alone_p99_us']))} its p99 alone)"
             for s, r in rows.items()]
    gain = ratio(rows[4]["light_p99_us"], min(rows[5]["light_p99_us"], rows[6]["light_p99_us"]))
    return (f"the light client's p99 next to heavy clients: {'; '.join(parts)}. "
            f"Taking the work off the event loop cuts it {fmt_x(gain)}, but in 05/06 only "
            f"{fmt_pct(rows[5]['light_accepted_share'])} / {fmt_pct(rows[6]['light_accepted_share'])} "
            f"of the light client's events were accepted (the rest: server_busy).")


OVERLOAD_WORK_US = 100


def overload_server_args(stage):
    args = ["--work-us", OVERLOAD_WORK_US]
    if stage >= 5:
        args += ["--queue-cap", 1024]
    if stage == 6:
        args += ["--workers", 2]
    return args


def scenario_overload(res):
    capacity = 1e6 / OVERLOAD_WORK_US          # one processor's events/s
    rate = int(3 * capacity)
    rows = {}
    for stage in SCENARIO_STAGES["overload"]:
        with res.server(stage, overload_server_args(stage), "overload") as server:
            argv = loadgen_args(server.port, conns=16, pipeline=64, rate=rate,
                                duration=res.cfg.overload_s)
            figures = res.measure("overload", stage, f"open loop {rate}/s", argv)
        rows[stage] = {"server_args": overload_server_args(stage), "offered_rps": rate,
                       "replies_rps": figures["throughput_rps"],
                       "applied_rps": figures["goodput_rps"], "busy_share": figures["busy_share"],
                       "p50_us": figures["p50_us"], "p99_us": figures["p99_us"],
                       "send_lag_p99_us": figures["send_lag_p99_us"],
                       "never_sent": figures["never_sent"]}
    return {"capacity_one_processor_rps": capacity, "offered_rps": rate, "stages": rows}


def verdict_overload(result):
    rows = result["stages"]
    r4, r5 = rows[4], rows[5]
    return (f"offered {fmt_rate(result['offered_rps'])} (3× one processor's nominal "
            f"{fmt_rate(result['capacity_one_processor_rps'])}): step05 rejects "
            f"{fmt_pct(r5['busy_share'])} as server_busy, accepts {fmt_rate(r5['applied_rps'])}, "
            f"p99 {fmt_us(r5['p99_us'])}; step04, with no queue to refuse from, takes everything "
            f"and answers late: {fmt_rate(r4['applied_rps'])}, p99 {fmt_us(r4['p99_us'])} "
            f"({fmt_x(ratio(r4['p99_us'], r5['p99_us']))} step05's); step06 with 2 workers: "
            f"{fmt_pct(rows[6]['busy_share'])} rejected, {fmt_rate(rows[6]['applied_rps'])} "
            f"accepted, p99 {fmt_us(rows[6]['p99_us'])}.")


SWEEP_WORK_US = 50


def sweep_rate(work_us):
    """With work: open loop at 3x what one worker does nominally, so that the queue
    overflows at every worker count, but the rejected excess stays small enough not to
    eat the cores the workers need. Without work: closed loop (None), at full speed."""
    return 3 * 1_000_000 // work_us if work_us else None


def workers_point(res, stage, workers, work_us):
    """One sweep point: a fresh server per run. With work, the median of
    work_sweep_repeats server processes, because each process calibrates
    --work-us anew and the calibration varies between processes."""
    repeats = res.cfg.work_sweep_repeats if work_us else 1
    samples = []
    for repeat in range(repeats):
        args = ["--workers", workers, "--work-us", work_us]
        with res.server(stage, args, f"workers{workers}-work{work_us}") as server:
            argv = loadgen_args(server.port, duration=res.cfg.sweep_s, warmup=res.cfg.sweep_warmup_s,
                                rate=sweep_rate(work_us))
            samples.append(res.measure("workers", stage, f"workers {workers}, work-us {work_us}, "
                                       f"process {repeat + 1}", argv))
    return {"accepted_rps": median_of(samples, "accepted_rps"),
            "replies_rps": median_of(samples, "throughput_rps"),
            "busy_share": median_of(samples, "busy_share"), "p99_us": median_of(samples, "p99_us"),
            "accepted_rps_samples": [x["accepted_rps"] for x in samples]}


def scenario_workers(res):
    rows = {}
    for work_us in (SWEEP_WORK_US, 0):
        for stage in SCENARIO_STAGES["workers"]:
            for workers in res.cfg.workers:
                rows.setdefault(str(work_us), {}).setdefault(stage, {})[workers] = \
                    workers_point(res, stage, workers, work_us)
    return {"workers": res.cfg.workers, "work_us": SWEEP_WORK_US,
            "rate_with_work": sweep_rate(SWEEP_WORK_US),
            "work_repeats": res.cfg.work_sweep_repeats, "by_work_us": rows}


def verdict_workers(result):
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
                     f"(best worker count: {', '.join(f'{stage_tag(s)}={w}' for s, w in best.items())})")
    return "; ".join(parts) + " — on 2 cores shared with the I/O thread and loadgen."


def read_share_mix(share):
    return f"event={100 - share},balance={share}" if share else "event=100"


def scenario_read_share(res):
    cfg = res.cfg
    rows = {}
    for stage in SCENARIO_STAGES["read-share"]:
        for share in cfg.read_shares:
            with res.server(stage, ["--workers", 2], f"read{share}") as server:
                argv = loadgen_args(server.port, mix=read_share_mix(share), duration=cfg.sweep_s,
                                    warmup=cfg.sweep_warmup_s)
                figures = res.measure("read-share", stage, f"{share} % balance", argv)
            rows.setdefault(stage, {})[share] = {
                "useful_rps": figures["goodput_rps"], "replies_rps": figures["throughput_rps"],
                "busy_share": figures["busy_share"], "p99_us": figures["p99_us"]}
    return {"shares": cfg.read_shares, "stages": rows}


def verdict_read_share(result):
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


def scenario_connections(res):
    cfg = res.cfg
    soft, hard, enough = raise_nofile(cfg.many_conns + NOFILE_MARGIN)
    conns = cfg.many_conns if enough else max(100, soft - NOFILE_MARGIN)
    rows = {}
    for stage in SCENARIO_STAGES["connections"]:
        with res.server(stage, ["--max-conns", max(10000, conns)], "connections") as server:
            time.sleep(0.2)
            idle = server.rss_bytes()
            argv = loadgen_args(server.port, conns=conns, pipeline=4, rate=2 * conns,
                                duration=cfg.many_conns_s)
            pending = res.loadgen("connections", stage, f"{conns} connections", argv)
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


def verdict_connections(result):
    parts = []
    for stage, r in result["stages"].items():
        served = "all served" if r["opened"] == r["conns"] and r["errors"] == 0 else \
            f"{r['opened']} opened, {r['errors']} errors"
        parts.append(f"step{stage_tag(stage)}: {served}, p99 {fmt_us(r['p99_us'])}, "
                     f"{r['bytes_per_conn']:.0f} B of RSS per connection "
                     f"({'within' if r['bytes_per_conn'] <= RSS_TARGET_BYTES else 'over'} the "
                     f"{RSS_TARGET_BYTES} B target)")
    text = f"{result['conns']} connections at 2 requests/s each: " + "; ".join(parts) + "."
    if not result["rlimit_enough"]:
        text += (f" RLIMIT_NOFILE's hard limit ({result['rlimit_nofile'][1]}) is too low for "
                 f"{result['asked_conns']} connections: measured with {result['conns']}.")
    return text


def parse_metrics(text):
    """The last JSON object line of a server's stdout."""
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "processed" in value:
            return value
    return None


def scenario_drain(res):
    cfg = res.cfg
    server = res.server(10, [], "drain")
    with server:
        pending = res.loadgen("drain", 10, "SIGTERM mid-run",
                              loadgen_args(server.port, duration=cfg.drain_s))
        time.sleep(cfg.drain_signal_s)
        signalled_at = time.monotonic()
        server.signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=SERVER_STOP_S)
        except subprocess.TimeoutExpired:
            pass
        drain_s = time.monotonic() - signalled_at
        status, stdout = server.stop()
        res.collect(pending)
    raw = res.runs[-1]["loadgen"]
    metrics = parse_metrics(stdout)
    if metrics is None:
        raise ScenarioError(f"step10 printed no final metrics line after SIGTERM: {stdout!r}")
    client = raw["replies_whole_run"]
    return {"signal_after_s": cfg.drain_signal_s, "exit_status": status, "drain_s": drain_s,
            "final_metrics": metrics, "client_accepted": client["accepted"],
            "client_shutting_down": client["rejected/shutting_down"],
            "client_busy": client["rejected/server_busy"],
            "server_accepted": metrics["received"] - metrics["dropped"],
            "unanswered": raw["errors"]["unanswered"]}


def verdict_drain(result):
    m = result["final_metrics"]
    lost = result["server_accepted"] - m["processed"]
    whole = m["received"] == m["processed"] + m["dropped"]
    ok = lost == 0 and result["client_accepted"] <= m["processed"] and result["exit_status"] == 0
    return (f"SIGTERM after {result['signal_after_s']:.1f} s of load: loadgen got "
            f"{result['client_accepted']:,} accepted, the server processed {m['processed']:,} "
            f"(received {m['received']:,} = processed + dropped {m['dropped']:,}: "
            f"{'yes' if whole else 'NO'}), exit status {result['exit_status']} after "
            f"{result['drain_s']:.2f} s: "
            + ("every accepted event was processed." if ok else f"NOT CLEAN ({lost} accepted events lost)."))


LATENCY_CONNS = 100
LATENCY_P99_TARGET_US = 1000  # docs/PERFORMANCE.md: open loop at half of capacity, 100 conns


def scenario_latency(res):
    """Capacity with 100 connections x 1 in flight (closed loop), then an open loop at
    half of it, pipeline 16 so that a late reply does not hold back the schedule."""
    cfg = res.cfg
    rows = {}
    for stage in SCENARIO_STAGES["latency"]:
        with res.server(stage, [], "latency") as server:
            closed = res.measure("latency", stage, "capacity, 100 x 1",
                                 loadgen_args(server.port, conns=LATENCY_CONNS, pipeline=1,
                                              duration=cfg.sweep_s, warmup=cfg.sweep_warmup_s))
            rate = max(1, int(closed["throughput_rps"] / 2))
            half = res.measure("latency", stage, "open loop at half",
                               loadgen_args(server.port, conns=LATENCY_CONNS, pipeline=16,
                                            rate=rate, duration=cfg.latency_s,
                                            warmup=cfg.sweep_warmup_s))
        rows[stage] = {"capacity_rps": closed["throughput_rps"], "rate_rps": rate,
                       "replies_rps": half["throughput_rps"], "p50_us": half["p50_us"],
                       "p99_us": half["p99_us"], "p999_us": half["p999_us"],
                       "send_lag_p99_us": half["send_lag_p99_us"]}
    return {"stages": rows}


def verdict_latency(result):
    parts = []
    for s, r in result["stages"].items():
        met = "met" if r["p99_us"] < LATENCY_P99_TARGET_US else "NOT met"
        parts.append(f"step{stage_tag(s)} p99 {fmt_us(r['p99_us'])} at {fmt_rate(r['rate_rps'])} "
                     f"({met}; loadgen's own send lag p99 {fmt_us(r['send_lag_p99_us'])})")
    return ("open loop at half of the capacity of 100 connections × 1 in flight, target p99 < "
            f"{fmt_us(LATENCY_P99_TARGET_US)}: " + "; ".join(parts) + ".")


REDIS_SHAPES = [(64, 64), (1000, 16)]   # docs/PERFORMANCE.md's two: connections x in flight
REDIS_TARGET_RATIO = 1.5                # docs/PERFORMANCE.md: stage 10 >= 1.5 x Redis SET


def scenario_redis(res):
    """Stage 10's events and Redis's SET, the same loadgen and shapes, in interleaved rounds."""
    cfg = res.cfg
    runs = {(shape, who): [] for shape in REDIS_SHAPES for who in ("step10", "redis")}
    version = RedisServer.version()
    with res.server(10, [], "redis") as step10, RedisServer(res.log_dir) as redis:
        targets = [("step10", 10, step10.port, "event=100"), ("redis", None, redis.port, "set=100")]
        for round_no in range(cfg.baseline_rounds):
            for conns, pipeline in REDIS_SHAPES:
                for who, stage, port, mix in targets if round_no % 2 == 0 else targets[::-1]:
                    argv = loadgen_args(port, conns=conns, pipeline=pipeline, mix=mix,
                                        duration=cfg.baseline_s, warmup=cfg.baseline_warmup_s)
                    label = f"{who} {conns} x {pipeline}, round {round_no + 1}"
                    runs[((conns, pipeline), who)].append(res.measure("redis", stage, label, argv))
    rows = []
    for conns, pipeline in REDIS_SHAPES:
        ours, theirs = runs[((conns, pipeline), "step10")], runs[((conns, pipeline), "redis")]
        step10_rps, redis_rps = median_of(ours, "goodput_rps"), median_of(theirs, "goodput_rps")
        rows.append({"conns": conns, "pipeline": pipeline, "step10_rps": step10_rps,
                     "redis_rps": redis_rps, "ratio": ratio(step10_rps, redis_rps),
                     "step10_p99_us": median_of(ours, "p99_us"),
                     "redis_p99_us": median_of(theirs, "p99_us")})
    return {"rounds": cfg.baseline_rounds, "redis_version": version, "shapes": rows}


def verdict_redis(result):
    parts = []
    for r in result["shapes"]:
        met = "met" if r["ratio"] is not None and r["ratio"] >= REDIS_TARGET_RATIO else "NOT met"
        parts.append(f"{r['conns']} × {r['pipeline']}: step10 {fmt_rate(r['step10_rps'])}, Redis "
                     f"{fmt_rate(r['redis_rps'])}, {fmt_x(r['ratio'])} ({met})")
    return (f"stage 10's accepted events against Redis {result['redis_version']} SET, same loadgen, "
            f"same run, target {fmt_x(REDIS_TARGET_RATIO)}: " + "; ".join(parts) + ".")


SCENARIO_FUNCS = {
    "baseline": (scenario_baseline, verdict_baseline),
    "two-clients": (scenario_two_clients, verdict_two_clients),
    "slow-work": (scenario_slow_work, verdict_slow_work),
    "overload": (scenario_overload, verdict_overload),
    "workers": (scenario_workers, verdict_workers),
    "read-share": (scenario_read_share, verdict_read_share),
    "connections": (scenario_connections, verdict_connections),
    "drain": (scenario_drain, verdict_drain),
    "latency": (scenario_latency, verdict_latency),
    "redis": (scenario_redis, verdict_redis),
}

SCENARIO_BLURB = {
    "baseline": "64 conns × pipeline 32, natural request, every stage, interleaved rounds",
    "two-clients": "A idle, B sends a line: 01, 02, 03",
    "slow-work": "--work-us 200, light client next to heavy ones: 04, 05, 06",
    "overload": "--work-us 100 --queue-cap 1024, open loop at 3× capacity: 04, 05, 06",
    "workers": "--workers sweep with --work-us 50 (open loop) and 0 (closed loop): 06-09",
    "read-share": "balance-query share sweep, --workers 2: 07-09",
    "connections": "many connections at a low rate, RSS per connection: 03, 10",
    "drain": "SIGTERM under load: 10",
    "latency": "100 conns, open loop at half the capacity of one request in flight each: 03, 10",
    "redis": "stage 10's events against Redis SET, 64 × 64 and 1000 × 16: 10",
}


def run_scenario(name, res):
    scenario, verdict = SCENARIO_FUNCS[name]
    progress(f"{name}: {SCENARIO_BLURB[name]}")
    began = time.monotonic()
    meter = CpuMeter()
    try:
        result = scenario(res)
        result["verdict"] = verdict(result)
    except (ScenarioError, OSError) as err:
        res.problems.append(f"{name}: could not run: {err}")
        progress(f"{name}: FAILED: {err}")
        result = {"failed": str(err)}
    result["seconds"] = round(time.monotonic() - began, 1)
    result["machine_load"] = meter.read()
    if result["machine_load"] and result["machine_load"]["other_cores"] > OTHER_LOAD_WARN_CORES:
        progress(f"{name}: other processes used {result['machine_load']['other_cores']:.2f} "
                 "cores meanwhile: its figures are not representative")
    res.scenarios[name] = result


def quiet_check(seconds=1.0):
    """Warn (stderr) when other processes are busy before the run starts."""
    meter = CpuMeter()
    time.sleep(seconds)
    load = meter.read()
    if load and load["other_cores"] > OTHER_LOAD_WARN_CORES:
        progress(f"warning: other processes are using {load['other_cores']:.2f} cores right now; "
                 "the figures will be disturbed (a quiet machine gives better numbers)")
    return load


# ---------------------------------------------------------------- charts

def write_data(path, header, rows, header_is_data=True):
    """A whitespace-separated table for gnuplot; "?" marks a missing value. With
    header_is_data=False the header is a comment (charts that do not use columnheader)."""
    with open(path, "w") as f:
        f.write(("" if header_is_data else "# ") + " ".join(header) + "\n")
        for row in rows:
            f.write(" ".join("?" if v is None else str(v) for v in row) + "\n")


def chart_data(res, data_dir):
    """Write the .dat files; return {chart name: (template, data files)}."""
    charts = {}
    base = res.scenarios.get("baseline", {})
    if "stages" in base:
        rows = base["stages"]
        write_data(data_dir / "throughput.dat", ["stage", "throughput", "ceiling"],
                   [[f'"{stage_tag(s)}' + (' (1 conn)"' if s == 1 else '"'),
                     r["throughput_rps"] / 1e6, r["ceiling_rps"] / 1e6] for s, r in rows.items()],
                   header_is_data=False)
        write_data(data_dir / "latency.dat", ["stage", "p50", "p99"],
                   [[stage_tag(s), r["p50_us"] / 1e3, r["p99_us"] / 1e3] for s, r in rows.items()],
                   header_is_data=False)
        charts["throughput"] = ("throughput.gp", ["throughput.dat"])
        charts["latency"] = ("latency.gp", ["latency.dat"])
    sweep = res.scenarios.get("workers", {})
    if "by_work_us" in sweep:
        files = []
        for work_us in ("50", "0"):
            rows = sweep["by_work_us"][work_us]
            stages = list(rows)
            write_data(data_dir / f"workers-{work_us}.dat", ["workers"] + [f"step{stage_tag(s)}" for s in stages],
                       [[w] + [rows[s][w]["accepted_rps"] / 1e3 for s in stages] for w in sweep["workers"]])
            files.append(f"workers-{work_us}.dat")
        charts["workers"] = ("workers.gp", files)
    shares = res.scenarios.get("read-share", {})
    if "stages" in shares:
        rows = shares["stages"]
        write_data(data_dir / "read-share.dat", ["share"] + [f"step{stage_tag(s)}" for s in rows],
                   [[p] + [rows[s][p]["useful_rps"] / 1e3 for s in rows] for p in shares["shares"]])
        charts["read-share"] = ("read-share.gp", ["read-share.dat"])
    return charts


def draw_charts(res, out_dir, machine):
    """Render every chart with gnuplot into out_dir/compare-NAME.svg; returns the file names."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        res.problems.append("charts: gnuplot not found (scripts/install-deps.sh installs gnuplot-nox)")
        return []
    data_dir = out_dir / "data"
    data_dir.mkdir(exist_ok=True)
    made = []
    subtitle = machine_line(machine).replace('"', "'")
    for name, (template, files) in chart_data(res, data_dir).items():
        svg = out_dir / f"compare-{name}.svg"
        variables = [f'templates="{TEMPLATE_DIR}"', f'outfile="{svg}"', f'subtitle="{subtitle}"'] + [
            f'data{i + 1}="{data_dir / f}"' for i, f in enumerate(files)]
        proc = subprocess.run([gnuplot, "-e", "; ".join(variables), str(TEMPLATE_DIR / template)],
                              capture_output=True, text=True, timeout=30)
        if proc.returncode != 0 or not valid_svg(svg):
            res.problems.append(f"charts: gnuplot failed on {template}: {proc.stderr.strip()[-300:]}")
            continue
        made.append(svg.name)
    return made


def valid_svg(path):
    try:
        return ElementTree.parse(path).getroot().tag.endswith("svg")
    except (OSError, ElementTree.ParseError):
        return False


# ---------------------------------------------------------------- report

def summary_table(res):
    """Stage × scenario, one row per stage."""
    s = res.scenarios
    header = ["stage", "baseline: throughput, p99", "two-clients: B's reply with A connected",
              "slow-work: light p99 (alone → next to heavy)", "overload: server_busy, p99",
              f"workers {res.cfg.workers[0]}→{res.cfg.workers[-1]}: accepted/s (work 50 µs / none)",
              f"read-share {res.cfg.read_shares[0]}→{res.cfg.read_shares[-1]} %: useful/s",
              "connections: served, p99, B/conn", "drain", "latency: open loop at half capacity",
              "redis: step10 / Redis SET"]
    lines = [row_md(header), row_md(["---"] * len(header))]
    for stage in STAGES:
        lines.append(row_md([f"{stage_tag(stage)} {STAGES[stage].split('_', 1)[1]}"] + [
            cell(name, s.get(name), stage) for name in SCENARIOS]))
    return "\n".join(lines)


def row_md(cells):
    return "| " + " | ".join(cells) + " |"


def cell(name, result, stage):
    """One summary-table cell: the scenario's figures for one stage, or a dash."""
    if stage not in SCENARIO_STAGES[name]:
        return "—"
    if result is None:
        return "not run"
    if "failed" in result:
        return "FAILED"
    return CELL_FORMATTERS[name](result, stage)


def cell_baseline(result, stage):
    r = result["stages"][stage]
    text = f"{fmt_rate(r['throughput_rps'])}, {fmt_us(r['p99_us'])}"
    if r["busy_share"] >= 0.01:
        text += f" ({fmt_pct(r['busy_share'])} busy)"
    if stage == 1:
        text += " (1 conn)"
    if r["tool_bound"]:
        text += " ⚠ tool-bound?"
    return text


def cell_two_clients(result, stage):
    r = result["stages"].get(stage)
    return "—" if r is None else fmt_reply(r["while_a_connected_s"], r["waited_s"])


def cell_slow_work(result, stage):
    r = result["stages"].get(stage)
    if r is None:
        return "—"
    return f"{fmt_us(r['light_alone_p99_us'])} → {fmt_us(r['light_p99_us'])}"


def cell_overload(result, stage):
    r = result["stages"].get(stage)
    return "—" if r is None else f"{fmt_pct(r['busy_share'])}, {fmt_us(r['p99_us'])}"


def cell_workers(result, stage):
    by = result["by_work_us"]
    if stage not in by["50"]:
        return "—"
    lo, hi = result["workers"][0], result["workers"][-1]
    return " / ".join(f"{fmt_rate(by[w][stage][lo]['accepted_rps'])}→"
                        f"{fmt_rate(by[w][stage][hi]['accepted_rps'])}" for w in ("50", "0"))


def cell_read_share(result, stage):
    r = result["stages"].get(stage)
    if r is None:
        return "—"
    lo, hi = result["shares"][0], result["shares"][-1]
    return f"{fmt_rate(r[lo]['useful_rps'])}→{fmt_rate(r[hi]['useful_rps'])}"


def cell_connections(result, stage):
    r = result["stages"].get(stage)
    if r is None:
        return "—"
    served = f"{r['opened']}/{r['conns']}" + ("" if r["errors"] == 0 else f", {r['errors']} err")
    return f"{served}, {fmt_us(r['p99_us'])}, {r['bytes_per_conn']:.0f} B"


def cell_drain(result, stage):
    if stage != 10:
        return "—"
    m = result["final_metrics"]
    return (f"{result['client_accepted']:,} accepted, {m['processed']:,} processed, "
            f"exit {result['exit_status']}")


def cell_latency(result, stage):
    r = result["stages"].get(stage)
    if r is None:
        return "—"
    return f"p99 {fmt_us(r['p99_us'])} at {fmt_rate(r['rate_rps'])}"


def cell_redis(result, stage):
    return " / ".join(f"{fmt_x(r['ratio'])} at {r['conns']} × {r['pipeline']}"
                      for r in result["shapes"])


CELL_FORMATTERS = {
    "baseline": cell_baseline, "two-clients": cell_two_clients, "slow-work": cell_slow_work,
    "overload": cell_overload, "workers": cell_workers, "read-share": cell_read_share,
    "connections": cell_connections, "drain": cell_drain, "latency": cell_latency,
    "redis": cell_redis,
}


def load_line(res):
    """Other processes' CPU use during each scenario."""
    parts = [f"{name} {r['machine_load']['other_cores']:.2f}"
             + (f" (steal {r['machine_load']['steal_cores']:.2f})" if r["machine_load"]["steal_cores"] else "")
             for name, r in res.scenarios.items() if r.get("machine_load")]
    return ("- **machine load**: cores used by other processes on average, per scenario: "
            + ", ".join(parts) + f" (above {OTHER_LOAD_WARN_CORES} the figures are disturbed).")


def busiest_scenarios(res):
    return [name for name, r in res.scenarios.items()
            if (r.get("machine_load") or {}).get("other_cores", 0) > OTHER_LOAD_WARN_CORES]


def verdict_lines(res):
    lines = []
    for name in SCENARIOS:
        result = res.scenarios.get(name)
        if result is None:
            continue
        verdict = result.get("verdict") or f"could not run: {result.get('failed')}"
        lines.append(f"- **{name}**: {verdict}")
    if any(r.get("machine_load") for r in res.scenarios.values()):
        lines.append(load_line(res))
    return "\n".join(lines)


def detail_sections(res):
    """Per-scenario detail tables."""
    out = []
    for name in SCENARIOS:
        result = res.scenarios.get(name)
        if result is None or "failed" in result:
            continue
        out.append(DETAIL_WRITERS[name](result))
    return "\n\n".join(out)


def detail_baseline(result):
    lines = [f"### baseline (median of {result['rounds']} rounds)", "",
             "| stage | conns × pipeline | request | replies/s | min–max | useful/s | server_busy "
             "| p50 | p99 | of ceiling |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s, r in result["stages"].items():
        flag = " ⚠" if r["tool_bound"] else ""
        lines.append(row_md([
            stage_tag(s), f"{r['conns']} × {r['pipeline']}" + (" (blocking: one client at a time)" if s == 1 else ""),
            r["mix"].split("=")[0], fmt_rate(r["throughput_rps"]),
            f"{fmt_rate(r['min_rps'])}–{fmt_rate(r['max_rps'])}", fmt_rate(r["goodput_rps"]),
            fmt_pct(r["busy_share"]), fmt_us(r["p50_us"]), fmt_us(r["p99_us"]),
            f"{fmt_pct(r['share_of_ceiling'])} of {r['ceiling_mode']}{flag}"]))
    c = result["ceiling"]
    lines += ["", f"loadgen's own ceiling (`--self-test`, 64 × 32, median): accept "
              f"{fmt_rate(c['accept'])}, echo {fmt_rate(c['echo'])}. ⚠ marks a stage at ≥ "
              f"{TOOL_BOUND_SHARE:.0%} of the ceiling: the tool may be the limit there."]
    return "\n".join(lines)


def detail_two_clients(result):
    lines = ["### two-clients", "", "| stage | B's reply, A connected | B's reply after A left |",
             "|---|---|---|"]
    for s, r in result["stages"].items():
        lines.append(row_md([stage_tag(s), fmt_reply(r["while_a_connected_s"], r["waited_s"]),
                             fmt_reply(r["after_a_left_s"], 2.0)]))
    return "\n".join(lines)


def detail_slow_work(result):
    lines = ["### slow-work (--work-us 200; heavy: 8 conns × 32; light: 1 conn, 50 events/s open loop)",
             "", "| stage | flags | light p99 alone | light p50 / p99 with heavy | loadgen's send lag p99 "
             "(alone / with heavy) | light events taken | heavy replies/s | heavy useful/s |",
             "|---|---|---|---|---|---|---|---|"]
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


def detail_overload(result):
    lines = [f"### overload (open loop, {fmt_rate(result['offered_rps'])} offered, 16 conns × 64)",
             "", "| stage | flags | replies/s | applied or accepted/s | server_busy | p50 | p99 "
             "| send lag p99 | due, never sent |", "|---|---|---|---|---|---|---|---|---|"]
    for s, r in result["stages"].items():
        lines.append(row_md([stage_tag(s), " ".join(map(str, r["server_args"])),
                             fmt_rate(r["replies_rps"]), fmt_rate(r["applied_rps"]),
                             fmt_pct(r["busy_share"]), fmt_us(r["p50_us"]), fmt_us(r["p99_us"]),
                             fmt_us(r["send_lag_p99_us"]), f"{r['never_sent']:,}"]))
    lines += ["", "Latency counts from each request's intended send time. In 05/06 accepted and "
              "rejected events are both answered at once, so the p99 over all replies is the "
              "accepted events' p99 too."]
    return "\n".join(lines)


def detail_workers(result):
    out = ["### workers (64 conns × 32, events; accepted events/s, server_busy share, p99)"]
    for work_us, rows in result["by_work_us"].items():
        ws = result["workers"]
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


def detail_read_share(result):
    shares = result["shares"]
    out = ["### read-share (--workers 2, 64 conns × 32; useful replies/s = accepted + balances)", "",
           row_md(["stage"] + [f"{p} % balance" for p in shares]), row_md(["---"] * (len(shares) + 1))]
    for s, r in result["stages"].items():
        out.append(row_md([stage_tag(s)] + [
            f"{fmt_rate(r[p]['useful_rps'])}, {fmt_pct(r[p]['busy_share'])} busy, "
            f"{fmt_us(r[p]['p99_us'])}" for p in shares]))
    return "\n".join(out)


def detail_connections(result):
    lines = [f"### connections ({result['conns']} connections, open loop at 2 requests/s each)", "",
             "| stage | opened | errors | replies/s | p50 | p99 | RSS idle | RSS with conns | per conn |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s, r in result["stages"].items():
        lines.append(row_md([stage_tag(s), f"{r['opened']:,}/{r['conns']:,}", str(r["errors"]),
                             fmt_rate(r["replies_rps"]), fmt_us(r["p50_us"]), fmt_us(r["p99_us"]),
                             f"{r['rss_idle_bytes'] / 1024:.0f} KiB",
                             f"{r['rss_open_bytes'] / 1024:.0f} KiB",
                             f"{r['bytes_per_conn']:.0f} B"]))
    soft, hard = result["rlimit_nofile"]
    lines += ["", f"RLIMIT_NOFILE soft/hard for the server and loadgen: {soft}/{hard}"
              + ("" if result["rlimit_enough"] else " — too low for the requested count") + "."]
    return "\n".join(lines)


def detail_drain(result):
    m = result["final_metrics"]
    return "\n".join([
        "### drain (step10, 64 conns × 32, SIGTERM mid-run)", "",
        "| loadgen: accepted | shutting_down | server_busy | unanswered | server: received "
        "| processed | dropped | exit | drain time |", "|---|---|---|---|---|---|---|---|---|",
        row_md([f"{result['client_accepted']:,}", f"{result['client_shutting_down']:,}",
                f"{result['client_busy']:,}", f"{result['unanswered']:,}", f"{m['received']:,}",
                f"{m['processed']:,}", f"{m['dropped']:,}", str(result["exit_status"]),
                f"{result['drain_s']:.2f} s"]),
        "", "`unanswered`: requests still in flight when the server closed the connections "
        "after its last read (never read, so never accepted)."])


def detail_latency(result):
    lines = [f"### latency ({LATENCY_CONNS} conns; capacity: closed loop, 1 in flight each; then "
             "open loop at half of it)", "",
             "| stage | capacity | rate asked | replies/s | p50 | p99 | p99.9 | loadgen's send lag p99 |",
             "|---|---|---|---|---|---|---|---|"]
    for s, r in result["stages"].items():
        lines.append(row_md([stage_tag(s), fmt_rate(r["capacity_rps"]), fmt_rate(r["rate_rps"]),
                             fmt_rate(r["replies_rps"]), fmt_us(r["p50_us"]), fmt_us(r["p99_us"]),
                             fmt_us(r["p999_us"]), fmt_us(r["send_lag_p99_us"])]))
    lines += ["", f"Target (docs/PERFORMANCE.md): p99 < {fmt_us(LATENCY_P99_TARGET_US)}. Latency counts "
              "from each request's intended send time, so loadgen's own lateness (send lag) is "
              "part of it: on 2 shared cores the tool and the server compete for the CPU."]
    return "\n".join(lines)


def detail_redis(result):
    lines = [f"### redis (Redis {result['redis_version']}, default configuration without "
             f"persistence; median of {result['rounds']} interleaved rounds)", "",
             "| conns × in flight | step10 events/s | Redis SET/s | step10 / Redis | "
             "step10 p99 | Redis p99 |", "|---|---|---|---|---|---|"]
    for r in result["shapes"]:
        lines.append(row_md([f"{r['conns']} × {r['pipeline']}", fmt_rate(r["step10_rps"]),
                             fmt_rate(r["redis_rps"]), fmt_x(r["ratio"]),
                             fmt_us(r["step10_p99_us"]), fmt_us(r["redis_p99_us"])]))
    lines += ["", f"Target (docs/PERFORMANCE.md): step10 ≥ {fmt_x(REDIS_TARGET_RATIO)} Redis. loadgen sends "
              "Redis `SET <user> <amount>` in RESP (`--mix set=100`), the same users as the "
              "events; the rates count accepted events and `+OK` replies."]
    return "\n".join(lines)


DETAIL_WRITERS = {
    "baseline": detail_baseline, "two-clients": detail_two_clients, "slow-work": detail_slow_work,
    "overload": detail_overload, "workers": detail_workers, "read-share": detail_read_share,
    "connections": detail_connections, "drain": detail_drain, "latency": detail_latency,
    "redis": detail_redis,
}


def write_report(res, machine, charts, out_dir, elapsed_s):
    machine_text = machine_line(machine)
    parts = [
        "# Stage comparison", "",
        f"*Every number below was measured on {machine_text} ({machine['kernel']}; "
        f"{machine['date']}; git {machine['git']}; {res.cfg.name} run, {elapsed_s:.0f} s). "
        "Figures drift 15–30 % between runs: compare ratios within this report.*", "",
    ]
    busy = busiest_scenarios(res)
    if busy:
        parts += [f"**⚠ Other processes used more than {OTHER_LOAD_WARN_CORES} cores on average "
                  f"during: {', '.join(busy)}. Those figures are disturbed; rerun on a quiet "
                  "machine before drawing conclusions from them.**", ""]
    parts += [
        "## Summary (stage × scenario)", "", summary_table(res), "",
        f"*{machine_text}.*", "", "## Verdicts", "", verdict_lines(res), "",
    ]
    if res.problems:
        parts += ["## Problems", ""] + [f"- {p}" for p in res.problems] + [""]
    parts += ["## Details", "", detail_sections(res), "", f"*{machine_text}.*", ""]
    if charts:
        parts += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    parts += ["Raw loadgen JSON for every run: `compare.json`; server logs: `logs/`. "
              "How to read this: `docs/COMPARE.md`.", ""]
    (out_dir / "compare.md").write_text("\n".join(parts))


def write_json(res, machine, charts, out_dir, elapsed_s):
    doc = {"machine": machine, "mode": res.cfg.name, "settings": vars(res.cfg),
           "elapsed_s": round(elapsed_s, 1), "scenarios": res.scenarios, "charts": charts,
           "problems": res.problems, "runs": res.runs}
    with open(out_dir / "compare.json", "w") as f:
        json.dump(doc, f, separators=(",", ":"))     # compact: histograms make it large


# ---------------------------------------------------------------- main

def parse_args(argv):
    parser = argparse.ArgumentParser(description="Compare every stage side by side.")
    parser.add_argument("--quick", action="store_true", help="every scenario, much shorter")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated scenarios (default: all of {','.join(SCENARIOS)})")
    parser.add_argument("--out", default=str(ROOT / "results"), help="output directory")
    args = parser.parse_args(argv)
    args.only = [s for s in args.only.split(",") if s]
    unknown = [s for s in args.only if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    return args


def check_binaries():
    missing = [p.name for p in [LOADGEN] + [BIN_DIR / n for n in STAGES.values()] if not p.exists()]
    if missing:
        raise ScenarioError(f"missing in {BIN_DIR}: {', '.join(missing)} (run `make build`)")


def main(argv):
    args = parse_args(argv)
    cfg = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, exit_on_signal)
    out_dir = Path(args.out)
    log_dir = out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    try:
        check_binaries()
    except ScenarioError as err:
        print(f"compare: {err}", file=sys.stderr)
        return 1
    raise_nofile(cfg.many_conns + NOFILE_MARGIN)
    machine = machine_info()
    progress(f"{cfg.name} run on {machine_line(machine)}; results in {out_dir}")
    machine["load_before"] = quiet_check()
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp_dir:
        res = Results(cfg, tmp_dir, log_dir)
        try:
            for name in (s for s in SCENARIOS if s in args.only):
                run_scenario(name, res)
        finally:
            kill_everything()
    elapsed = time.monotonic() - STARTED
    charts = draw_charts(res, out_dir, machine)
    write_json(res, machine, charts, out_dir, elapsed)
    write_report(res, machine, charts, out_dir, elapsed)
    progress(f"done: {out_dir / 'compare.md'}, compare.json, {len(charts)} charts")
    print(f"Stage comparison — {machine_line(machine)}\n")
    if busiest_scenarios(res):
        print(f"⚠ other processes were busy during: {', '.join(busiest_scenarios(res))} "
              "(figures disturbed)\n")
    print(summary_table(res))
    print()
    print(verdict_lines(res))
    for problem in res.problems:
        print(f"compare: {problem}", file=sys.stderr)
    return 1 if res.problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        kill_everything()
