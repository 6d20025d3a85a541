import unittest

import samples
from compare.scenarios.workers import Workers, sweep_rate


class TestWorkers(unittest.TestCase):
    scenario = Workers()
    gains = {"50": {6: {4: 40e3}}, "0": {7: {1: 40e3}}}

    def test_verdict_quotes_the_change_and_the_best_count(self):
        verdict = self.scenario.verdict(samples.workers(self.gains))
        self.assertIn("with 50 µs of work (open loop, 60.0 k/s), accepted events/s from 1 to 4 "
                      "workers: 06 ×2.00, 07 ×1.00", verdict)
        self.assertIn("(best worker count: 06=4, 07=1", verdict)
        self.assertIn("without work (closed loop), accepted events/s from 1 to 4 workers: "
                      "06 ×1.00, 07 ×0.50", verdict)

    def test_verdict_cannot_judge_from_nothing(self):
        verdict = self.scenario.verdict(samples.workers({"0": {8: {1: 0.0}}}))
        self.assertIn("08 n/a", verdict)

    def test_column_follows_the_settings(self):
        self.assertEqual(self.scenario.column_title(samples.quick_cfg()),
                         "workers 1→4: accepted/s (work 50 µs / none)")

    def test_cell(self):
        self.assertEqual(self.scenario.cell(samples.workers(self.gains), 6),
                         "20.0 k/s→40.0 k/s / 20.0 k/s→20.0 k/s")

    def test_sweep_rate(self):
        self.assertEqual(sweep_rate(50), 60000)
        self.assertIsNone(sweep_rate(0))

    def test_details_and_charts(self):
        result = samples.workers(self.gains)
        details = self.scenario.details(result)
        self.assertIn("| stage | 1 worker | 4 workers |", details)
        self.assertIn("| 06 | 20.0 k/s, 50.0 % busy, 900 µs | 40.0 k/s, 50.0 % busy, 900 µs |",
                      details)
        (chart,) = self.scenario.charts(result)
        self.assertEqual([d.name for d in chart.data], ["workers-50.dat", "workers-0.dat"])
        self.assertEqual(chart.data[0].header, ["workers", "step06", "step07", "step08", "step09"])
        self.assertEqual(chart.data[0].rows[1], [4, 40.0, 20.0, 20.0, 20.0])
