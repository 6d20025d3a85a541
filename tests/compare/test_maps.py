import json
import unittest
from unittest import mock

import samples
from compare.processes import ScenarioError
from compare.scenarios.maps import Maps, bench_maps_args, points_of, run_bench_maps


class TestMaps(unittest.TestCase):
    scenario = Maps()
    medians = {(0, 90, "mutex", 8): 2e6, (0, 90, "striped", 8): 4e6, (0, 90, "rcu", 8): 8e6,
               (5, 90, "mutex", 8): 0.1e6, (5, 90, "rcu", 8): 3e6}

    def test_verdict_compares_with_the_mutex_at_the_most_threads(self):
        verdict = self.scenario.verdict(samples.maps(self.medians))
        self.assertIn("with 0 µs of writer work, 90 % reads, 8 threads: mutex 2.00 M/s, striped "
                      "4.00 M/s (×2.00 mutex), rcu 8.00 M/s (×4.00 mutex)", verdict)
        self.assertIn("with 5 µs of writer work, 90 % reads, 8 threads: mutex 100.0 k/s, striped "
                      "1.00 M/s (×10.00 mutex), rcu 3.00 M/s (×30.00 mutex)", verdict)
        self.assertTrue(verdict.endswith("every design kept every update; 2 CPUs."))

    def test_verdict_says_when_updates_were_lost(self):
        verdict = self.scenario.verdict(samples.maps(passed=False))
        self.assertIn("a design LOST UPDATES (--hold-us 0, 5)", verdict)

    def test_cells_go_from_fewest_to_most_threads_at_the_top_read_share(self):
        result = samples.maps(self.medians)
        self.assertEqual(self.scenario.cell(result, 7), "1.00 M/s→2.00 M/s")
        self.assertEqual(self.scenario.cell(result, 9), "1.00 M/s→8.00 M/s")
        self.assertEqual(self.scenario.column_title(samples.quick_cfg()),
                         "maps 90 % reads: ops/s at 1→2 threads")

    def test_details_mark_a_failed_point(self):
        details = self.scenario.details(samples.maps(passed=False))
        self.assertIn("| reads | design | 1 thr | 2 thr | 4 thr | 8 thr |", details)
        self.assertIn("| 90 % | rcu | 1.00 M/s (900.0 k/s–1.10 M/s) FAILED |", details)

    def test_a_chart_per_writer_work_with_a_panel_per_read_share(self):
        charts = self.scenario.charts(samples.maps(self.medians))
        self.assertEqual([c.name for c in charts], ["maps", "maps-hold5us"])
        data = charts[0].data
        self.assertEqual([d.name for d in data], ["maps-hold0-reads50.dat", "maps-hold0-reads90.dat"])
        self.assertEqual(data[1].header, ["threads", "mutex", "striped", "rcu"])
        self.assertEqual(data[1].rows[-1], [8, 2.0, 4.0, 8.0])
        self.assertEqual(charts[1].titles[1:], ["50 % reads", "90 % reads"])

    def test_command_line_from_the_settings(self):
        argv = bench_maps_args(samples.quick_cfg(), 5)
        self.assertTrue(argv[0].endswith("bench_maps"))
        self.assertEqual(argv[1:], ["--threads", "1,2", "--reads", "50,90", "--seconds", "0.2",
                                    "--rounds", "1", "--hold-us", "5", "--format", "json"])

    def test_points_by_read_share_design_and_threads(self):
        report = {"points": [{"design": "rcu", "reads_pct": 90, "threads": 2, "passed": False,
                              "ops_per_s": {"median": 3.0, "min": 2.0, "max": 4.0}}]}
        self.assertEqual(points_of(report),
                         {90: {"rcu": {2: {"median": 3.0, "min": 2.0, "max": 4.0,
                                           "passed": False}}}})

    def test_a_failed_self_check_is_a_result_other_exits_are_errors(self):
        def fake_process(code, out):
            proc = mock.Mock(returncode=code)
            proc.communicate.return_value = (out, b"bench_maps: bad")
            return proc
        with mock.patch("compare.scenarios.maps.spawn",
                        return_value=fake_process(1, json.dumps({"passed": False}).encode())):
            self.assertEqual(run_bench_maps(["bench_maps"], 10), {"passed": False})
        with mock.patch("compare.scenarios.maps.spawn", return_value=fake_process(3, b"")):
            with self.assertRaisesRegex(ScenarioError, "bench_maps exited 3: bench_maps: bad"):
                run_bench_maps(["bench_maps"], 10)


if __name__ == "__main__":
    unittest.main()
