import unittest

from compare.formatting import fmt_met, fmt_pct, fmt_rate, fmt_us, fmt_x, row_md, stage_tag


class TestFormatting(unittest.TestCase):
    def test_rate(self):
        self.assertEqual([fmt_rate(v) for v in (None, 999.4, 1e3, 123456, 1e6, 2.345e6)],
                         ["n/a", "999/s", "1.0 k/s", "123.5 k/s", "1.00 M/s", "2.35 M/s"])

    def test_us(self):
        self.assertEqual([fmt_us(v) for v in (None, 0, 999, 1000, 1234.5, 1e6, 2.5e6)],
                         ["n/a", "0 µs", "999 µs", "1.00 ms", "1.23 ms", "1.00 s", "2.50 s"])

    def test_ratio_and_share(self):
        self.assertEqual([fmt_x(None), fmt_x(1.5), fmt_x(0.0)], ["n/a", "×1.50", "×0.00"])
        self.assertEqual([fmt_pct(None), fmt_pct(0.1234), fmt_pct(1)], ["n/a", "12.3 %", "100.0 %"])

    def test_met(self):
        self.assertEqual([fmt_met(True), fmt_met(False), fmt_met(None)],
                         ["met", "NOT met", "cannot judge"])

    def test_stage_tag_and_row(self):
        self.assertEqual([stage_tag(1), stage_tag(10)], ["01", "10"])
        self.assertEqual(row_md(["a", "b c"]), "| a | b c |")
