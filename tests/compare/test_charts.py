import shutil
import tempfile
import unittest
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
                         ["throughput", "latency", "read-share"])

    def test_no_gnuplot_is_a_problem(self):
        res = samples.results(scenarios={"baseline": samples.baseline()})
        with mock.patch("compare.charts.shutil.which", return_value=None):
            self.assertEqual(charts.draw_charts(res, self.out, MACHINE), [])
        self.assertEqual(res.problems, ["charts: gnuplot not found (scripts/install-deps.sh "
                                        "installs gnuplot-nox)"])

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_every_chart_draws_from_samples(self):
        res = samples.results(scenarios={"baseline": samples.baseline(),
                                         "workers": samples.workers(),
                                         "read-share": samples.read_share(),
                                         "maps": samples.maps()})
        made = charts.draw_charts(res, self.out, MACHINE)
        self.assertEqual(res.problems, [])
        self.assertEqual(made, ["compare-throughput.svg", "compare-latency.svg",
                                "compare-workers.svg", "compare-read-share.svg",
                                "compare-maps.svg", "compare-maps-hold5us.svg"])
        self.assertTrue(all(charts.valid_svg(self.out / name) for name in made))
        self.assertEqual(sorted(p.name for p in (self.out / "data").iterdir()),
                         ["latency.dat", "maps-hold0-reads50.dat", "maps-hold0-reads90.dat",
                          "maps-hold5-reads50.dat", "maps-hold5-reads90.dat", "read-share.dat",
                          "throughput.dat", "workers-0.dat", "workers-50.dat"])
