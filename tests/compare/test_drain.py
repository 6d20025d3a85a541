import unittest

import samples
from compare.scenarios.drain import Drain, parse_metrics


class TestDrain(unittest.TestCase):
    scenario = Drain()

    def test_verdict_clean(self):
        verdict = self.scenario.verdict(samples.drain())
        self.assertEqual(verdict, "SIGTERM after 0.5 s of load: loadgen got 1,000 accepted, the "
                         "server processed 1,000 (received 1,200 = processed + dropped 200: yes), "
                         "exit status 0 after 0.03 s: every accepted event was processed.")

    def test_verdict_not_clean(self):
        verdict = self.scenario.verdict(samples.drain(processed=990, dropped=200))
        self.assertIn("= processed + dropped 200: NO)", verdict)
        self.assertTrue(verdict.endswith("NOT CLEAN (10 accepted events lost)."))
        verdict = self.scenario.verdict(samples.drain(exit_status=1))
        self.assertTrue(verdict.endswith("NOT CLEAN (0 accepted events lost)."))
        verdict = self.scenario.verdict(samples.drain(client_accepted=1001))
        self.assertIn("NOT CLEAN", verdict)

    def test_verdict_cannot_judge_without_events(self):
        verdict = self.scenario.verdict(samples.drain(client_accepted=0, processed=0, received=0,
                                                      dropped=0))
        self.assertTrue(verdict.endswith(": cannot judge: the server received no event before "
                                         "SIGTERM."))

    def test_cell_and_details(self):
        self.assertEqual(self.scenario.cell(samples.drain(), 10),
                         "1,000 accepted, 1,000 processed, exit 0")
        self.assertIn("| 1,000 | 50 | 0 | 7 | 1,200 | 1,000 | 200 | 0 | 0.03 s |",
                      self.scenario.details(samples.drain()))

    def test_chart_accepted_against_the_final_counts(self):
        (chart,) = self.scenario.charts(samples.drain(received=1_250_000, dropped=250_000,
                                                      processed=1_000_000,
                                                      client_accepted=999_000))
        self.assertEqual((chart.name, chart.template), ("drain", "drain.gp"))
        self.assertEqual(chart.data[0].rows, [
            ['"loadgen: accepted"', 999.0, '"999,000"'],
            ['"server: accepted"', 1000.0, '"1,000,000"'],
            ['"server: processed"', 1000.0, '"1,000,000"'],
            ['"server: dropped"', 250.0, '"250,000"']])
        self.assertEqual(chart.titles, ["SIGTERM after 0.5 s of load, exit 0 after 0.03 s: every "
                                        "accepted event was processed"])
        (chart,) = self.scenario.charts(samples.drain(processed=990))
        self.assertTrue(chart.titles[0].endswith(": NOT CLEAN (10 accepted events lost)"))

    def test_parse_metrics_takes_the_last_metrics_line(self):
        text = ('{"processed": 1}\nnot json\n{"processed": 5, "received": 6}\n'
                '{"other": 1}\n[1]\n')
        self.assertEqual(parse_metrics(text), {"processed": 5, "received": 6})
        self.assertIsNone(parse_metrics("step10 stopping\n"))
