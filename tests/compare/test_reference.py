import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

import samples
from compare import reference
from compare.cli import parse_args
from compare.scenarios import SCENARIOS
from compare.settings import ROOT

MACHINE = {"cpu_model": "Some CPU", "cores": 2, "kernel": "Linux 6", "git": "abc1234",
           "date": "2026-12-05 09:00:00 UTC", "load_generator": "loadgen shares the cores"}
LOAD = {"other_cores": 0.05, "steal_cores": 0.0, "own_cores": 1.9}


def compare_json(charts, mode="full", problems=(), scenarios=None):
    """A results directory's compare.json, as report.write_json writes it."""
    if scenarios is None:
        scenarios = {"baseline": {"machine_load": LOAD}, "drain": {"machine_load": LOAD}}
    return {"machine": MACHINE, "mode": mode, "settings": {}, "elapsed_s": 412.3,
            "scenarios": scenarios, "charts": charts, "problems": list(problems), "runs": []}


class TestReference(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.results = Path(self.tmp.name) / "results"
        self.ref = Path(self.tmp.name) / "reference"
        self.results.mkdir()

    def tearDown(self):
        self.tmp.cleanup()

    def fake_run(self, charts, drawn=None, **kwargs):
        """A results directory with compare.json listing charts, and the SVGs of drawn."""
        for name in charts if drawn is None else drawn:
            (self.results / name).write_text(f"<svg>{name}</svg>")
        (self.results / "compare.json").write_text(json.dumps(compare_json(charts, **kwargs)))
        (self.results / "compare.md").write_text("| stage | figures |")

    def test_copies_the_charts_in_reference_order_and_replaces_old_ones(self):
        self.fake_run(["compare-throughput.svg", "compare-drain.svg", "compare-two-clients.svg",
                       "compare-new-one.svg"])
        self.ref.mkdir()
        (self.ref / "compare-gone.svg").write_text("old")
        (self.ref / "notes.txt").write_text("kept")
        copied = reference.write_reference(self.results, self.ref, "make it")
        self.assertEqual(copied, ["compare-two-clients.svg", "compare-drain.svg",
                                  "compare-throughput.svg", "compare-new-one.svg"])
        self.assertEqual(sorted(p.name for p in self.ref.iterdir()),
                         sorted(copied + ["README.md", "compare.md", "notes.txt"]))
        self.assertEqual((self.ref / "compare-drain.svg").read_text(),
                         "<svg>compare-drain.svg</svg>")

    def test_the_results_directory_itself_keeps_its_charts(self):
        self.fake_run(["compare-drain.svg"])
        self.assertEqual(reference.write_reference(self.results, self.results, "c"),
                         ["compare-drain.svg"])
        self.assertEqual((self.results / "compare-drain.svg").read_text(),
                         "<svg>compare-drain.svg</svg>")
        self.assertTrue((self.results / "README.md").is_file())

    def test_readme_says_when_where_how_and_what_each_chart_shows(self):
        self.fake_run(["compare-two-clients.svg", "compare-drain.svg"])
        reference.write_reference(self.results, self.ref, "PYTHONPATH=scripts python3 -m compare")
        lines = (self.ref / "README.md").read_text().splitlines()
        self.assertEqual(lines[0], "# Reference charts")
        self.assertIn("- **date**: 2026-12-05 09:00:00 UTC", lines)
        self.assertIn("- **machine**: Some CPU, 2 cores, loopback; loadgen shares these cores "
                      "with the server (Linux 6; git abc1234)", lines)
        self.assertIn("- **command**: `PYTHONPATH=scripts python3 -m compare` (full run, 412 s)",
                      lines)
        self.assertIn("- **machine load**: cores used by other processes on average, per "
                      "scenario: baseline 0.05, drain 0.05 (above 0.25 the figures are "
                      "disturbed).", lines)
        self.assertIn("| [compare-two-clients.svg](compare-two-clients.svg) | 01 | the second "
                      "client waits: client B gets no reply while client A is connected to "
                      "stage 01, and is answered at once by 02 and 03 |", lines)
        self.assertTrue(any(line.startswith("| [compare-drain.svg](compare-drain.svg) | 10 |")
                            for line in lines))
        self.assertFalse(any("smoke test" in line or "Problems" in line for line in lines))
        missing = [line for line in lines if line.startswith("Not drawn in this run: ")]
        self.assertEqual(len(missing), 1)
        self.assertIn("compare-slow-work.svg", missing[0])
        self.assertNotIn("compare-drain.svg", missing[0])

    def test_readme_of_a_quick_run_with_problems(self):
        self.fake_run(["compare-drain.svg", "compare-overload.svg"],
                      drawn=["compare-drain.svg"], mode="quick",
                      problems=["drain: could not run: x"], scenarios={})
        copied = reference.write_reference(self.results, self.ref, "c")
        self.assertEqual(copied, ["compare-drain.svg"])
        text = (self.ref / "README.md").read_text()
        self.assertIn("- ⚠ a quick run is a smoke test, too short to be a reference", text)
        self.assertIn("- **machine load**: not measured", text)
        self.assertIn("Problems of this run:\n\n- drain: could not run: x", text)
        self.assertIn("compare-overload.svg", text.split("Not drawn in this run: ")[1])

    def test_every_chart_a_run_draws_is_described(self):
        drawn = {chart.name for scenario in SCENARIOS
                 for chart in scenario.charts(samples.SAMPLES[scenario.name]())}
        self.assertEqual(drawn, set(reference.PICTURES))
        for name, (stages, shows) in reference.PICTURES.items():
            self.assertTrue(stages and shows.strip(), name)
        self.assertEqual(reference.chart_name("compare-maps-hold5us.svg"), "maps-hold5us")


class TestCommandLine(unittest.TestCase):
    def test_reference_option(self):
        self.assertIsNone(parse_args([]).reference)
        self.assertEqual(parse_args(["--reference", "docs/reference"]).reference,
                         "docs/reference")
        self.assertEqual(parse_args(["--quick", "--reference", "/tmp/pictures"]).reference,
                         "/tmp/pictures")

    def test_a_quick_run_does_not_write_the_reference(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as stop:
            parse_args(["--quick", "--reference", str(ROOT / "docs" / "x" / ".." / "reference")])
        self.assertEqual(stop.exception.code, 2)
        self.assertEqual(err.getvalue(), "compare: a --quick run is no reference: give "
                         "--reference another directory than docs/reference\n")
