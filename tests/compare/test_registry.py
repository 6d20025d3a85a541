import os
import subprocess
import sys
import unittest
from pathlib import Path

import samples
from compare.cli import parse_args
from compare.scenarios import NAMES, SCENARIOS
from compare.scenarios.base import Scenario
from compare.settings import SHARED, STAGES, run_settings

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
REQUIRED = ("run", "verdict", "cell", "details")


class TestRegistry(unittest.TestCase):
    def test_names_are_unique(self):
        self.assertEqual(len(NAMES), len(set(NAMES)))
        self.assertEqual(NAMES, ["baseline", "two-clients", "slow-work", "overload", "workers",
                                 "read-share", "maps", "connections", "drain", "latency", "redis"])

    def test_every_scenario_has_its_parts(self):
        cfg = samples.quick_cfg()
        for scenario in SCENARIOS:
            with self.subTest(scenario.name):
                self.assertIsInstance(scenario, Scenario)
                self.assertTrue(scenario.name and scenario.blurb and scenario.column_title(cfg))
                self.assertTrue(scenario.stages)
                self.assertLessEqual(set(scenario.stages), set(STAGES))
                for method in REQUIRED:
                    self.assertIsNot(getattr(type(scenario), method), getattr(Scenario, method),
                                     f"{scenario.name} does not implement {method}")
                self.assertIn(scenario.name, samples.SAMPLES, "no sample result to test it with")

    def test_every_cell_and_detail_renders_from_a_sample(self):
        for scenario in SCENARIOS:
            with self.subTest(scenario.name):
                result = samples.SAMPLES[scenario.name]()
                for stage in scenario.stages:
                    self.assertTrue(scenario.cell(result, stage))
                self.assertTrue(scenario.details(result).startswith(f"### {scenario.name}"))
                self.assertTrue(scenario.verdict(result).endswith("."))

    def test_settings_are_complete_and_do_not_collide(self):
        seen = set(SHARED["full"])
        for scenario in SCENARIOS:
            with self.subTest(scenario.name):
                self.assertEqual(set(scenario.full), set(scenario.quick))
                self.assertFalse(seen & set(scenario.full))
                seen |= set(scenario.full)
        self.assertEqual(set(vars(run_settings(False, SCENARIOS))), seen)

    def test_run_settings_picks_the_run_length(self):
        full, quick = run_settings(False, SCENARIOS), run_settings(True, SCENARIOS)
        self.assertEqual((full.name, full.workers, full.two_clients_wait_s),
                         ("full", [1, 2, 4, 8], 2.0))
        self.assertEqual((quick.name, quick.workers, quick.two_clients_wait_s),
                         ("quick", [1, 4], 0.5))


class TestCommandLine(unittest.TestCase):
    def test_default_is_every_scenario(self):
        args = parse_args([])
        self.assertEqual((args.only, args.quick), (NAMES, False))
        self.assertTrue(args.out.endswith("results"))

    def test_only_and_quick(self):
        args = parse_args(["--quick", "--only", "drain,baseline,", "--out", "/tmp/x"])
        self.assertEqual((args.only, args.quick, args.out), (["drain", "baseline"], True, "/tmp/x"))

    def test_only_rejects_an_unknown_scenario_in_one_line(self):
        env = dict(os.environ, PYTHONPATH=str(SCRIPTS))
        proc = subprocess.run([sys.executable, "-m", "compare", "--only", "baseline,nope"],
                              capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertEqual(proc.stderr.splitlines(), [
            "compare: unknown scenario(s) nope (known: " + ", ".join(NAMES) + ")"])
