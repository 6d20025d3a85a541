import unittest

import samples
from compare.scenarios.two_clients import TwoClients, fmt_reply


class TestTwoClients(unittest.TestCase):
    scenario = TwoClients()

    def test_verdict_only_the_blocking_server_makes_b_wait(self):
        verdict = self.scenario.verdict(samples.two_clients())
        self.assertIn("step01: no reply to B in 0.5 s while A was connected, then 100 µs after "
                      "A left", verdict)
        self.assertIn("step02: B answered in 20 µs with A connected", verdict)
        self.assertTrue(verdict.endswith(": only the blocking server makes B wait for A."))

    def test_verdict_names_every_stage_that_made_b_wait(self):
        verdict = self.scenario.verdict(samples.two_clients({3: None}))
        self.assertTrue(verdict.endswith(": stages that made B wait: 01, 03."))
        verdict = self.scenario.verdict(samples.two_clients({1: 30e-6}))
        self.assertTrue(verdict.endswith(": stages that made B wait: none."))

    def test_cells(self):
        result = samples.two_clients()
        self.assertEqual(self.scenario.cell(result, 1), "no reply in 0.5 s")
        self.assertEqual(self.scenario.cell(result, 3), "6 µs")

    def test_fmt_reply(self):
        self.assertEqual(fmt_reply(None, 2.0), "no reply in 2.0 s")
        self.assertEqual(fmt_reply(0.0015, 2.0), "1.50 ms")

    def test_details(self):
        details = self.scenario.details(samples.two_clients())
        self.assertIn("| 01 | no reply in 0.5 s | 100 µs |", details)

    def test_chart_a_wait_without_reply_is_a_bar_of_its_own(self):
        result = samples.two_clients()
        result["stages"][3]["after_a_left_s"] = None
        (chart,) = self.scenario.charts(result)
        self.assertEqual((chart.name, chart.template), ("two-clients", "two-clients.gp"))
        rows = chart.data[0].rows
        self.assertEqual(rows[0], ["01", 500.0, 500.0, '"no reply in 0.5 s"',
                                   0.1, None, '"100 µs"'])
        self.assertEqual(rows[1][:4], ["02", 0.02, None, '"20 µs"'])
        self.assertEqual(rows[2][4:], [2000.0, 2000.0, '"no reply in 2.0 s"'])
