import unittest

import samples
from compare.scenarios.read_share import ReadShare, read_share_mix


class TestReadShare(unittest.TestCase):
    scenario = ReadShare()
    useful = {8: {90: 1.5e6}, 9: {0: 2e6, 90: 3e6}}

    def test_verdict_compares_with_07_and_with_no_reads(self):
        verdict = self.scenario.verdict(samples.read_share(self.useful))
        self.assertIn("at 90 % balance queries (2 workers): 07 1.00 M/s, 08 1.50 M/s (×1.50 07), "
                      "09 3.00 M/s (×3.00 07)", verdict)
        self.assertTrue(verdict.endswith("from 0 % to 90 % reads: 07 ×1.00, 08 ×1.50, 09 ×1.50."))

    def test_verdict_cannot_judge_without_07(self):
        verdict = self.scenario.verdict(samples.read_share({7: {0: 0.0, 90: 0.0}}))
        self.assertIn("08 1.00 M/s (n/a 07)", verdict)

    def test_cell_column_and_mix(self):
        self.assertEqual(self.scenario.cell(samples.read_share(self.useful), 9),
                         "2.00 M/s→3.00 M/s")
        self.assertEqual(self.scenario.column_title(samples.quick_cfg()),
                         "read-share 0→90 %: useful/s")
        self.assertEqual(read_share_mix(0), "event=100")
        self.assertEqual(read_share_mix(90), "event=10,balance=90")

    def test_details_and_chart(self):
        result = samples.read_share(self.useful)
        self.assertIn("| stage | 0 % balance | 90 % balance |", self.scenario.details(result))
        (chart,) = self.scenario.charts(result)
        self.assertEqual(chart.data[0].header, ["share", "step07", "step08", "step09"])
        self.assertEqual(chart.data[0].rows, [[0, 1000.0, 1000.0, 2000.0],
                                              [90, 1000.0, 1500.0, 3000.0]])
