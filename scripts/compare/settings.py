"""Where the binaries are, the stages, time limits, and the run lengths."""

from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = ROOT / "build" / "bin"
LOADGEN = BIN_DIR / "loadgen"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
REFERENCE_DIR = ROOT / "docs" / "reference"     # `make pictures` writes the charts there
HOST = "127.0.0.1"

STAGES = {
    1: "step01_echo", 2: "step02_async", 3: "step03_parse", 4: "step04_single",
    5: "step05_channel", 6: "step06_workers", 7: "step07_mutex",
    8: "step08_rwlock", 9: "step09_atomics", 10: "step10_shutdown",
}
SERVER_START_S = 5.0
SERVER_STOP_S = 8.0           # stage 10 drains for up to 5 s by default
NOFILE_MARGIN = 256

# Run lengths that several scenarios use; each scenario adds its own (Scenario.full
# and Scenario.quick). many_conns: the most connections any scenario opens, which
# RLIMIT_NOFILE is raised for at the start.
SHARED = {
    "full": {"name": "full", "baseline_s": 3.0, "baseline_warmup_s": 0.5, "baseline_rounds": 3,
             "sweep_s": 2.0, "sweep_warmup_s": 0.5, "many_conns": 10000},
    "quick": {"name": "quick", "baseline_s": 1.0, "baseline_warmup_s": 0.2, "baseline_rounds": 1,
              "sweep_s": 0.5, "sweep_warmup_s": 0.2, "many_conns": 2000},
}


def run_settings(quick, scenarios):
    """The settings of a full or a quick run: the shared ones and every scenario's."""
    mode = "quick" if quick else "full"
    values = dict(SHARED[mode])
    for scenario in scenarios:
        values.update(getattr(scenario, mode))
    return SimpleNamespace(**values)
