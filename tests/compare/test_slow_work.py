import unittest

import samples
from compare.scenarios.slow_work import SlowWork, server_args


class TestSlowWork(unittest.TestCase):
    scenario = SlowWork()

    def test_verdict_quotes_the_gain_and_the_accepted_share(self):
        verdict = self.scenario.verdict(samples.slow_work())
        self.assertIn("step04 100.00 ms (×250.00 its p99 alone)", verdict)
        self.assertIn("cuts it ×125.00, but in 05/06 only 10.0 % / 10.0 %", verdict)

    def test_verdict_when_the_queue_does_not_help(self):
        verdict = self.scenario.verdict(samples.slow_work({4: 400.0, 5: 800.0, 6: 800.0}))
        self.assertIn("cuts it ×0.50", verdict)

    def test_verdict_cannot_judge_without_latencies(self):
        verdict = self.scenario.verdict(samples.slow_work({5: 0.0}, alone_p99_us=0.0))
        self.assertIn("(n/a its p99 alone)", verdict)
        self.assertIn("cuts it n/a", verdict)

    def test_cell_and_flags(self):
        self.assertEqual(self.scenario.cell(samples.slow_work(), 5), "400 µs → 800 µs")
        self.assertEqual(server_args(6), ["--work-us", 200, "--workers", 2])
        self.assertEqual(server_args(4), ["--work-us", 200])

    def test_details(self):
        details = self.scenario.details(samples.slow_work())
        self.assertIn("| 05 | --work-us 200 | 400 µs | 400 µs / 800 µs | 50 µs / 60 µs | 10.0 % "
                      "| 20.0 k/s | 10.0 k/s |", details)

    def test_chart_alone_and_next_to_heavy_per_stage(self):
        result = samples.slow_work()
        result["stages"][4]["light_accepted_share"] = 1.0
        (chart,) = self.scenario.charts(result)
        self.assertEqual((chart.name, chart.template), ("slow-work", "slow-work.gp"))
        self.assertEqual(chart.data[0].rows[0], ['"04 (100.0 % taken)"', 0.4, 100.0,
                                                 '"400 µs"', '"100.00 ms"'])
        self.assertEqual(chart.data[0].rows[2], ['"06 (10.0 % taken)"', 0.4, 7.0,
                                                 '"400 µs"', '"7.00 ms"'])
