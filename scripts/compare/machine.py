"""The machine a run measures on: its description, its file limit, and how busy
other processes keep it."""

import os
import resource
import subprocess
import time

from .progress import progress
from .settings import ROOT

OTHER_LOAD_WARN_CORES = 0.25


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


def machine_name(machine):
    return f"{machine['cpu_model']}, {machine['cores']} cores"


def machine_line(machine):
    return f"{machine_name(machine)}, loopback; loadgen shares these cores with the server"


def raise_nofile(wanted):
    """Raise RLIMIT_NOFILE's soft limit to the hard limit. Returns (soft, hard, enough)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft, hard, soft >= wanted


class CpuMeter:
    """CPU used on the whole machine by processes other than this run, and steal.

    /proc/stat gives the machine's busy and stolen time; getrusage gives this
    run's and its reaped children's. The difference, over the wall time, is
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


def too_busy(load):
    """Whether a CpuMeter reading says other processes disturbed the figures."""
    return bool(load) and load["other_cores"] > OTHER_LOAD_WARN_CORES


def quiet_check(seconds=1.0):
    """Warn (stderr) when other processes are busy before the run starts."""
    meter = CpuMeter()
    time.sleep(seconds)
    load = meter.read()
    if too_busy(load):
        progress(f"warning: other processes are using {load['other_cores']:.2f} cores right now; "
                 "the figures will be disturbed (a quiet machine gives better numbers)")
    return load
