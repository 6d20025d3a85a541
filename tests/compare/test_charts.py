import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from unittest import mock

import samples
from compare import charts
from compare.scenarios.base import DataFile

MACHINE = {"cpu_model": 'A "quoted" CPU', "cores": 2}


class TestCharts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_data_file_format(self):
        charts.write_data(self.out / "a.dat", DataFile("a.dat", ["x", "y"], [[1, None], [2, 0.5]]))
        self.assertEqual((self.out / "a.dat").read_text(), "x y\n1 ?\n2 0.5\n")
        charts.write_data(self.out / "b.dat", DataFile("b.dat", ["x"], [[1]], header_is_data=False))
        self.assertEqual((self.out / "b.dat").read_text(), "# x\n1\n")

    def test_charts_of_completed_scenarios_in_order(self):
        res = samples.results(scenarios={"read-share": samples.read_share(),
                                         "baseline": samples.baseline(),
                                         "workers": {"failed": "x"}})
        self.assertEqual([c.name for c in charts.charts_of(res)],
                         ["throughput", "latency", "parse-cost", "read-share"])

    def test_titles_are_safe_as_gnuplot_strings(self):
        self.assertEqual(charts.gnuplot_text('a "b" c\\d & e'), "a 'b' c/d and e")
        self.assertEqual(charts.gnuplot_text("CPU @ 2.20GHz {x_y}"),
                         "CPU \\\\@ 2.20GHz \\\\{x\\\\_y\\\\}")

    def test_no_gnuplot_is_a_problem(self):
        res = samples.results(scenarios={"baseline": samples.baseline()})
        with mock.patch("compare.charts.shutil.which", return_value=None):
            self.assertEqual(charts.draw_charts(res, self.out, MACHINE), [])
        self.assertEqual(res.problems, ["charts: gnuplot not found (scripts/install-deps.sh "
                                        "installs gnuplot-nox)"])

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_every_chart_draws_from_samples(self):
        res = samples.results(scenarios={name: sample()
                                         for name, sample in samples.SAMPLES.items()})
        made = charts.draw_charts(res, self.out, MACHINE)
        self.assertEqual(res.problems, [])
        self.assertEqual(made, ["compare-throughput.svg", "compare-latency.svg",
                                "compare-parse-cost.svg", "compare-two-clients.svg",
                                "compare-slow-work.svg", "compare-overload.svg",
                                "compare-workers.svg", "compare-read-share.svg",
                                "compare-maps.svg", "compare-maps-hold5us.svg",
                                "compare-connections.svg", "compare-drain.svg"])
        self.assertTrue(all(charts.valid_svg(self.out / name) for name in made))
        self.assertEqual(sorted(p.name for p in (self.out / "data").iterdir()),
                         ["connections.dat", "drain.dat", "latency.dat", "maps-hold0-reads50.dat",
                          "maps-hold0-reads90.dat", "maps-hold5-reads50.dat",
                          "maps-hold5-reads90.dat", "overload.dat", "parse-cost.dat",
                          "read-share.dat", "slow-work.dat", "throughput.dat", "two-clients.dat",
                          "workers-0.dat", "workers-50.dat"])

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_a_stage_readme_chart_is_640_by_400(self):
        res = samples.results(scenarios={"two-clients": samples.two_clients(),
                                         "workers": samples.workers(),
                                         "baseline": samples.baseline()})
        charts.draw_charts(res, self.out, MACHINE)
        for name in ("compare-two-clients.svg", "compare-workers.svg"):
            box = ElementTree.parse(self.out / name).getroot().get("viewBox")
            self.assertEqual(box, "0 0 640 400", name)
        box = ElementTree.parse(self.out / "compare-throughput.svg").getroot().get("viewBox")
        self.assertEqual(box, "0 0 900 520")
