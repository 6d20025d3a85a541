"""Running the scenarios: each one timed, its machine load measured, its failure recorded."""

import time

from .machine import CpuMeter, too_busy
from .processes import ScenarioError
from .progress import progress


def run_scenario(scenario, res):
    """Run one scenario into res.scenarios; a failure is a problem, not an exception."""
    name = scenario.name
    progress(f"{name}: {scenario.blurb}")
    began = time.monotonic()
    meter = CpuMeter()
    try:
        result = scenario.run(res)
        result["verdict"] = scenario.verdict(result)
    except (ScenarioError, OSError) as err:
        res.problems.append(f"{name}: could not run: {err}")
        progress(f"{name}: FAILED: {err}")
        result = {"failed": str(err)}
    result["seconds"] = round(time.monotonic() - began, 1)
    result["machine_load"] = meter.read()
    if too_busy(result["machine_load"]):
        progress(f"{name}: other processes used {result['machine_load']['other_cores']:.2f} "
                 "cores meanwhile: its figures are not representative")
    res.scenarios[name] = result
