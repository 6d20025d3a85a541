import unittest

import samples
from compare.scenarios.overload import Overload, server_args


class TestOverload(unittest.TestCase):
    scenario = Overload()

    def test_verdict_compares_04_with_05(self):
        verdict = self.scenario.verdict(samples.overload())
        self.assertTrue(verdict.startswith("offered 30.0 k/s (3× one processor's nominal 10.0 k/s)"))
        self.assertIn("p99 800.00 ms (×1333.33 step05's)", verdict)
        self.assertIn("step06 with 2 workers: 60.0 % rejected", verdict)

    def test_verdict_cannot_judge_without_step05_latency(self):
        self.assertIn("(n/a step05's)", self.scenario.verdict(samples.overload({5: 0.0})))

    def test_cell_and_flags(self):
        self.assertEqual(self.scenario.cell(samples.overload(), 4), "60.0 %, 800.00 ms")
        self.assertEqual(server_args(4), ["--work-us", 100])
        self.assertEqual(server_args(6), ["--work-us", 100, "--queue-cap", 1024, "--workers", 2])

    def test_details(self):
        details = self.scenario.details(samples.overload())
        self.assertTrue(details.startswith("### overload (open loop, 30.0 k/s offered, "
                                           "16 conns × 64)"))
        self.assertIn("| 05 | --work-us 100 | 30.0 k/s | 10.0 k/s | 60.0 % | 300 µs | 600 µs "
                      "| 80 µs | 1,234 |", details)

    def test_chart_p99_and_events_taken_or_refused(self):
        result = samples.overload()
        result["stages"][4].update(busy_share=0.0, applied_rps=12e3, replies_rps=12e3)
        (chart,) = self.scenario.charts(result)
        self.assertEqual((chart.name, chart.template), ("overload", "overload.gp"))
        self.assertEqual(chart.data[0].rows[0], ["04", 800.0, '"800.00 ms"', 12.0, 0.0, 30.0])
        self.assertEqual(chart.data[0].rows[1], ["05", 0.6, '"600 µs"', 10.0, 18.0, 30.0])
