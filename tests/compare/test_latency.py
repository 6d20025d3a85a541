import unittest

import samples
from compare.scenarios.latency import Latency


class TestLatency(unittest.TestCase):
    scenario = Latency()

    def test_verdict_met_and_not_met(self):
        verdict = self.scenario.verdict(samples.latency())
        self.assertIn("target p99 < 1.00 ms: step03 p99 150 µs at 60.0 k/s (met; loadgen's own "
                      "send lag p99 80 µs); step10 p99 2.00 ms at 60.0 k/s (NOT met;", verdict)

    def test_target_is_strict(self):
        self.assertIn("step03 p99 1.00 ms at 60.0 k/s (NOT met",
                      self.scenario.verdict(samples.latency({3: 1000.0})))

    def test_verdict_cannot_judge_without_replies(self):
        verdict = self.scenario.verdict(samples.latency({3: 0.0, 10: 0.0}, replies_rps=0.0))
        self.assertEqual(verdict.count("(cannot judge;"), 2)

    def test_cell_and_details(self):
        self.assertEqual(self.scenario.cell(samples.latency(), 10), "p99 2.00 ms at 60.0 k/s")
        self.assertIn("| 10 | 120.0 k/s | 60.0 k/s | 60.0 k/s | 667 µs | 2.00 ms | 4.00 ms "
                      "| 80 µs |",
                      self.scenario.details(samples.latency()))
