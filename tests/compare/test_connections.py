import unittest

import samples
from compare.scenarios.connections import Connections


class TestConnections(unittest.TestCase):
    scenario = Connections()

    def test_verdict_within_the_target(self):
        verdict = self.scenario.verdict(samples.connections())
        self.assertIn("step03: all served, p99 150 µs, 120 B of RSS per connection (within the "
                      "256 B target)", verdict)

    def test_verdict_over_the_target_and_errors(self):
        verdict = self.scenario.verdict(samples.connections(opened=1900, errors=100,
                                                            bytes_per_conn=300.0))
        self.assertIn("step10: 1900 opened, 100 errors, p99 150 µs, 300 B of RSS per connection "
                      "(over the 256 B target)", verdict)

    def test_verdict_cannot_judge_without_connections(self):
        verdict = self.scenario.verdict(samples.connections(opened=0, errors=2000,
                                                            bytes_per_conn=0.0))
        self.assertIn("(no connection opened: cannot judge against the 256 B target)", verdict)

    def test_verdict_names_a_low_file_limit(self):
        verdict = self.scenario.verdict(samples.connections(enough=False))
        self.assertTrue(verdict.endswith("RLIMIT_NOFILE's hard limit (1048576) is too low for "
                                         "2000 connections: measured with 2000."))

    def test_cells(self):
        self.assertEqual(self.scenario.cell(samples.connections(), 3), "2000/2000, 150 µs, 120 B")
        self.assertEqual(self.scenario.cell(samples.connections(opened=10, errors=3), 10),
                         "10/2000, 3 err, 150 µs, 120 B")

    def test_details(self):
        details = self.scenario.details(samples.connections(enough=False))
        self.assertIn("| 03 | 2,000/2,000 | 0 | 4.0 k/s | 50 µs | 150 µs | 1024 KiB | 1258 KiB "
                      "| 120 B |", details)
        self.assertTrue(details.endswith("1024/1048576 — too low for the requested count."))

    def test_chart_served_p99_and_memory_per_connection(self):
        result = samples.connections()
        result["stages"][10].update(opened=1900, errors=100)
        (chart,) = self.scenario.charts(result)
        self.assertEqual((chart.name, chart.template), ("connections", "connections.gp"))
        self.assertEqual(chart.titles, ["2,000 connections at 2 requests/s each"])
        rows = chart.data[0].rows
        self.assertEqual([r[0] for r in rows], ["02", "03", "10"])
        self.assertEqual(rows[0], ["02", 0.15, '"all served"', 120.0, '"120 B"', 256])
        self.assertEqual(rows[2][2], '"1,900 opened, 100 err"')
