import unittest

import samples
from compare.scenarios.baseline import Baseline, stage_row


class TestBaseline(unittest.TestCase):
    scenario = Baseline()

    def test_stage_row_flags_a_stage_near_the_ceiling(self):
        ceiling = {"accept": 1e6, "echo": 1e6}
        self.assertTrue(stage_row(3, [samples.figures(0.7e6)], ceiling)["tool_bound"])
        self.assertFalse(stage_row(3, [samples.figures(0.69e6)], ceiling)["tool_bound"])
        self.assertFalse(stage_row(1, [samples.figures(2e6)], ceiling)["tool_bound"],
                         "stage 01 has one connection: never tool-bound")

    def test_stage_row_takes_medians_and_the_right_ceiling(self):
        row = stage_row(2, [samples.figures(r) for r in (3e6, 1e6, 2e6)],
                        {"accept": 4e6, "echo": 8e6})
        self.assertEqual((row["throughput_rps"], row["min_rps"], row["max_rps"]), (2e6, 1e6, 3e6))
        self.assertEqual((row["ceiling_mode"], row["share_of_ceiling"]), ("echo", 0.25))
        self.assertEqual((row["conns"], row["mix"]), (64, "echo=100"))
        self.assertEqual(stage_row(1, [samples.figures(1)], {"accept": 1, "echo": 1})["conns"], 1)

    def test_verdict_names_tool_bound_stages(self):
        verdict = self.scenario.verdict(samples.baseline({2: 5e6}))
        self.assertIn("×2.00 fewer lines/s than step02's echo (5.00 M/s)", verdict)
        self.assertIn("the fastest stage is step02 at 5.00 M/s", verdict)
        self.assertIn("possibly tool-bound (≥ 70% of the ceiling): 02.", verdict)

    def test_verdict_without_tool_bound_stage(self):
        verdict = self.scenario.verdict(samples.baseline())
        self.assertIn("no stage comes within 70% of the ceiling", verdict)
        self.assertNotIn("faster than loadgen's self-test ceiling", verdict)

    def test_verdict_names_stages_above_the_ceiling(self):
        verdict = self.scenario.verdict(samples.baseline({9: 7e6}))
        self.assertIn("understates the tool's limit there): 09.", verdict)

    def test_verdict_cannot_judge_without_a_ceiling(self):
        verdict = self.scenario.verdict(samples.baseline(ceiling={"accept": 0.0, "echo": 0.0}))
        self.assertIn("which stages are tool-bound: cannot judge", verdict)
        verdict = self.scenario.verdict(samples.baseline({3: 0.0}))
        self.assertIn("n/a fewer lines/s", verdict)

    def test_cells(self):
        result = samples.baseline({2: 5e6})
        self.assertEqual(self.scenario.cell(result, 1), "500.0 k/s, 1.00 ms (1 conn)")
        self.assertEqual(self.scenario.cell(result, 2), "5.00 M/s, 1.00 ms ⚠ tool-bound?")
        result["stages"][5]["busy_share"] = 0.25
        self.assertEqual(self.scenario.cell(result, 5), "2.00 M/s, 1.00 ms (25.0 % busy)")

    def test_details_one_row_per_stage(self):
        details = self.scenario.details(samples.baseline())
        self.assertTrue(details.startswith("### baseline (median of 1 rounds)"))
        self.assertEqual(sum(line.startswith("| 0") or line.startswith("| 10")
                             for line in details.splitlines()), 10)

    def test_charts(self):
        throughput, latency, _ = self.scenario.charts(samples.baseline())
        self.assertEqual((throughput.name, throughput.template), ("throughput", "throughput.gp"))
        self.assertEqual(throughput.data[0].rows[0], ['"01 (1 conn)"', 0.5, 6.5])
        self.assertEqual(latency.data[0].rows[2], ["03", 0.5, 1.0])
        self.assertEqual(len(latency.data[0].rows), 10)

    def test_parse_cost_chart_compares_03_with_02(self):
        chart = self.scenario.charts(samples.baseline({2: 3.2e6, 3: 2.4e6}))[2]
        self.assertEqual((chart.name, chart.template), ("parse-cost", "parse-cost.gp"))
        self.assertEqual(chart.data[0].rows, [['"02 echo: 3.20 M/s"', 3.2, 6.5],
                                              ['"03 parse: 2.40 M/s, ×0.75 of 02"', 2.4, 6.0]])
        chart = self.scenario.charts(samples.baseline({2: 0.0}))[2]
        self.assertEqual(chart.data[0].rows[1][0], '"03 parse: 2.50 M/s, n/a of 02"')
