import unittest

import samples
from compare.scenarios.redis import Redis


class TestRedis(unittest.TestCase):
    scenario = Redis()

    def test_verdict_met_and_not_met(self):
        verdict = self.scenario.verdict(samples.redis())
        self.assertIn("Redis 7.0.15 SET, same loadgen, same run, target ×1.50", verdict)
        self.assertIn("64 × 64: step10 3.00 M/s, Redis 1.50 M/s, ×2.00 (met)", verdict)
        self.assertIn("1000 × 16: step10 800.0 k/s, Redis 1.00 M/s, ×0.80 (NOT met)", verdict)

    def test_target_is_inclusive(self):
        self.assertIn("×1.50 (met)", self.scenario.verdict(samples.redis((1.5e6, 1.5e6),
                                                                         (1e6, 1e6))))

    def test_verdict_cannot_judge_without_redis_replies(self):
        verdict = self.scenario.verdict(samples.redis(redis_rps=(0.0, 0.0)))
        self.assertIn("64 × 64: step10 3.00 M/s, Redis 0/s, n/a (cannot judge)", verdict)

    def test_cell_and_details(self):
        self.assertEqual(self.scenario.cell(samples.redis(), 10),
                         "×2.00 at 64 × 64 / ×0.80 at 1000 × 16")
        self.assertIn("| 1000 × 16 | 800.0 k/s | 1.00 M/s | ×0.80 | 1.00 ms | 1.00 ms |",
                      self.scenario.details(samples.redis()))
