import unittest

from compare.loadgen import Loadgen, loadgen_args, summarize
from compare.settings import LOADGEN

RAW = {
    "throughput_rps": 1000.0,
    "replies": {"accepted": 600, "rejected/server_busy": 200, "ok": 100, "error/invalid_json": 50,
                "other": 50},
    "latency_us": {"p50": 10.0, "p99": 90.0, "p99_9": 99.0, "max": 120.0},
    "send_lag_us": {"p99": 5.0},
    "errors": {"protocol": 2, "unanswered": 3},
    "connections": {"asked": 8, "opened": 6, "connect_failed": 1, "refused": 0, "reset": 1,
                    "timed_out": 0, "closed_by_server": 0},
    "requests": {"backlog_at_end": 4, "unsent_closed": 1},
    "exit_code": 1,
}


class TestLoadgen(unittest.TestCase):
    def test_summarize_splits_the_replies(self):
        f = summarize(RAW)
        self.assertEqual(f["replies"], 1000)
        self.assertAlmostEqual(f["goodput_rps"], 700.0)      # accepted + ok
        self.assertAlmostEqual(f["accepted_rps"], 600.0)
        self.assertAlmostEqual(f["busy_share"], 0.2)
        self.assertAlmostEqual(f["good_share"], 0.7)
        self.assertEqual((f["p50_us"], f["p99_us"], f["p999_us"], f["max_us"]),
                         (10.0, 90.0, 99.0, 120.0))
        self.assertEqual((f["send_lag_p99_us"], f["protocol_errors"], f["unanswered"]), (5.0, 2, 3))
        self.assertEqual((f["conns_opened"], f["conn_failures"], f["never_sent"]), (6, 2, 5))

    def test_summarize_without_replies(self):
        raw = dict(RAW, replies={}, requests={})
        del raw["send_lag_us"]
        f = summarize(raw)
        self.assertEqual((f["goodput_rps"], f["busy_share"], f["send_lag_p99_us"], f["never_sent"]),
                         (0.0, 0.0, 0.0, 0))

    def test_command_lines(self):
        self.assertEqual(loadgen_args(7000, conns=2, pipeline=1, duration=1.5, rate=50),
                         [str(LOADGEN), "--target", "127.0.0.1:7000", "--conns", "2", "--pipeline",
                          "1", "--duration", "1.5", "--mix", "event=100", "--rate", "50"])
        self.assertEqual(loadgen_args(self_test="echo", mix="echo=100", warmup=0.5)[1:3],
                         ["--self-test=echo", "--conns"])
        self.assertIn("--warmup", loadgen_args(1, warmup=0.5))

    def test_time_allowed(self):
        self.assertEqual(Loadgen.seconds_allowed(loadgen_args(1, duration=3, warmup=0.5)), 28.5)
        self.assertEqual(Loadgen.seconds_allowed(loadgen_args(1, duration=1)), 26.0)
