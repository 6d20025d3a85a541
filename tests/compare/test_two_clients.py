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
        self.assertEqual(self.scenario.charts(samples.two_clients()), [])
