"""The report: results/compare.md, results/compare.json, and the summary on stdout."""

import json

from .formatting import row_md, stage_tag
from .machine import OTHER_LOAD_WARN_CORES, machine_line, too_busy
from .scenarios import SCENARIOS
from .settings import STAGES


def cell(scenario, result, stage):
    """One summary-table cell: the scenario's figures for one stage, or why there are none."""
    if stage not in scenario.stages:
        return "—"
    if result is None:
        return "not run"
    if "failed" in result:
        return "FAILED"
    return scenario.cell(result, stage)


def summary_table(res):
    """Stage × scenario, one row per stage."""
    header = ["stage"] + [scenario.column_title(res.cfg) for scenario in SCENARIOS]
    lines = [row_md(header), row_md(["---"] * len(header))]
    for stage, binary in STAGES.items():
        lines.append(row_md([f"{stage_tag(stage)} {binary.split('_', 1)[1]}"] + [
            cell(scenario, res.scenarios.get(scenario.name), stage) for scenario in SCENARIOS]))
    return "\n".join(lines)


def load_line(scenarios):
    """Other processes' CPU use during each scenario ({name: result}, as in compare.json);
    None when no scenario measured it."""
    parts = [f"{name} {r['machine_load']['other_cores']:.2f}"
             + (f" (steal {r['machine_load']['steal_cores']:.2f})"
                if r["machine_load"]["steal_cores"] else "")
             for name, r in scenarios.items() if r.get("machine_load")]
    if not parts:
        return None
    return ("- **machine load**: cores used by other processes on average, per scenario: "
            + ", ".join(parts) + f" (above {OTHER_LOAD_WARN_CORES} the figures are disturbed).")


def busiest_scenarios(res):
    return [name for name, r in res.scenarios.items() if too_busy(r.get("machine_load"))]


def verdict_lines(res):
    lines = []
    for scenario in SCENARIOS:
        result = res.scenarios.get(scenario.name)
        if result is None:
            continue
        verdict = result.get("verdict") or f"could not run: {result.get('failed')}"
        lines.append(f"- **{scenario.name}**: {verdict}")
    load = load_line(res.scenarios)
    if load:
        lines.append(load)
    return "\n".join(lines)


def detail_sections(res):
    """Per-scenario detail tables."""
    completed = ((scenario, res.completed(scenario.name)) for scenario in SCENARIOS)
    return "\n\n".join(scenario.details(result) for scenario, result in completed
                       if result is not None)


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


def print_summary(res, machine):
    """The summary table and the verdicts, on stdout."""
    print(f"Stage comparison — {machine_line(machine)}\n")
    busy = busiest_scenarios(res)
    if busy:
        print(f"⚠ other processes were busy during: {', '.join(busy)} (figures disturbed)\n")
    print(summary_table(res))
    print()
    print(verdict_lines(res))
