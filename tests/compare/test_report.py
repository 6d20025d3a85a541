import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

import samples
from compare import report
from compare.scenarios import NAMES, SCENARIOS

MACHINE = {"cpu_model": "Some CPU", "cores": 2, "kernel": "Linux 6", "date": "today", "git": "abc"}
LOAD = {"other_cores": 0.0, "steal_cores": 0.0, "own_cores": 1.9}


def every_sample():
    return {name: dict(samples.SAMPLES[name](), verdict=f"{name} verdict.", machine_load=LOAD)
            for name in NAMES}


class TestSummaryTable(unittest.TestCase):
    def test_one_row_per_stage_one_column_per_scenario(self):
        lines = report.summary_table(samples.results(scenarios=every_sample())).splitlines()
        self.assertEqual(len(lines), 12)
        self.assertEqual(lines[0], "| stage | " + " | ".join(
            s.column_title(samples.quick_cfg()) for s in SCENARIOS) + " |")
        self.assertTrue(lines[2].startswith("| 01 echo | 500.0 k/s, 1.00 ms (1 conn) | "
                                            "no reply in 0.5 s | — |"))
        self.assertTrue(lines[11].startswith("| 10 shutdown |"))
        self.assertTrue(all(line.count(" | ") == len(SCENARIOS) for line in lines))

    def test_cells_of_scenarios_that_did_not_run_or_failed(self):
        res = samples.results(scenarios={"drain": {"failed": "no metrics"}})
        rows = report.summary_table(res).splitlines()
        self.assertEqual(rows[2], "| 01 echo | not run | not run" + " | —" * 9 + " |")
        self.assertTrue(rows[11].endswith("| not run | FAILED | not run | not run |"))


class TestVerdictsAndDetails(unittest.TestCase):
    def test_verdicts_in_scenario_order_with_failures_and_load(self):
        scenarios = {"redis": {"failed": "redis-server is not installed",
                               "machine_load": dict(LOAD, other_cores=0.5, steal_cores=0.1)},
                     "baseline": dict(samples.baseline(), verdict="fast.", machine_load=LOAD)}
        lines = report.verdict_lines(samples.results(scenarios=scenarios)).splitlines()
        self.assertEqual(lines[:2], ["- **baseline**: fast.",
                                     "- **redis**: could not run: redis-server is not installed"])
        self.assertEqual(lines[2], "- **machine load**: cores used by other processes on average, "
                         "per scenario: redis 0.50 (steal 0.10), baseline 0.00 (above 0.25 the "
                         "figures are disturbed).")
        self.assertEqual(report.busiest_scenarios(samples.results(scenarios=scenarios)), ["redis"])

    def test_no_load_line_without_measurements(self):
        res = samples.results(scenarios={"drain": dict(samples.drain(), verdict="ok.",
                                                       machine_load=None)})
        self.assertEqual(report.verdict_lines(res), "- **drain**: ok.")

    def test_details_of_completed_scenarios_only(self):
        scenarios = every_sample()
        scenarios["workers"] = {"failed": "x"}
        details = report.detail_sections(samples.results(scenarios=scenarios))
        headings = [line.split()[1] for line in details.splitlines() if line.startswith("### ")]
        self.assertEqual(headings, [n for n in NAMES if n != "workers"])


class TestFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_report_sections(self):
        scenarios = every_sample()
        scenarios["latency"]["machine_load"] = dict(LOAD, other_cores=1.0)
        res = samples.results(scenarios=scenarios, problems=["drain: could not run: x"])
        report.write_report(res, MACHINE, ["compare-workers.svg"], self.out, 42.0)
        text = (self.out / "compare.md").read_text()
        headings = [line for line in text.splitlines() if line.startswith("#")]
        self.assertEqual(headings[:5], ["# Stage comparison", "## Summary (stage × scenario)",
                                        "## Verdicts", "## Problems", "## Details"])
        self.assertEqual(headings[-1], "## Charts")
        self.assertIn("**⚠ Other processes used more than 0.25 cores on average during: latency.",
                      text)
        self.assertIn("quick run, 42 s)", text)
        self.assertIn("- drain: could not run: x", text)
        self.assertIn("![compare-workers.svg](compare-workers.svg)", text)

    def test_report_without_problems_or_charts(self):
        res = samples.results(scenarios={"drain": dict(samples.drain(), verdict="ok.")})
        report.write_report(res, MACHINE, [], self.out, 1.0)
        text = (self.out / "compare.md").read_text()
        for absent in ("## Problems", "## Charts", "⚠ Other processes"):
            self.assertNotIn(absent, text)

    def test_json(self):
        res = samples.results(scenarios={"drain": samples.drain()}, problems=["p"])
        report.write_json(res, MACHINE, ["c.svg"], self.out, 3.14)
        doc = json.loads((self.out / "compare.json").read_text())
        self.assertEqual(list(doc), ["machine", "mode", "settings", "elapsed_s", "scenarios",
                                     "charts", "problems", "runs"])
        self.assertEqual((doc["mode"], doc["elapsed_s"], doc["problems"]), ("quick", 3.1, ["p"]))
        self.assertEqual(doc["settings"]["workers"], [1, 4])

    def test_summary_on_stdout(self):
        scenarios = {"drain": dict(samples.drain(), verdict="ok.",
                                   machine_load=dict(LOAD, other_cores=0.3))}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            report.print_summary(samples.results(scenarios=scenarios), MACHINE)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "Stage comparison — Some CPU, 2 cores, loopback; loadgen "
                         "shares these cores with the server")
        self.assertEqual(lines[2], "⚠ other processes were busy during: drain (figures disturbed)")
        self.assertIn("- **drain**: ok.", lines)
