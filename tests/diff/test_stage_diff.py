"""`make diff` (scripts/stage_diff.py): a stage's lesson as a diff, the table of pairs."""

import os
import re
import subprocess
import sys
import unittest

ROOT = os.environ.get("STAGE_DIFF_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "stage_diff.py")
TIMEOUT = 60
# One row of the table: "02 -> 03       26  step03_parse     JSON in, a clear answer out".
ROW = re.compile(r"(\d\d) -> (\d\d) +(\d+)  (step\d\d_\w+) +(\S.*)$")


def script(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True,
                          text=True, timeout=TIMEOUT)


def make(*args):
    # A make above this test (make test) must not hand its flags or job server down.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT, "diff"] + list(args),
                          capture_output=True, text=True, timeout=TIMEOUT, env=env)


def file_headers(out):
    return [line for line in out.splitlines() if line.startswith("diff -u ")]


class OnePair(unittest.TestCase):
    def test_make_diff_step_03_shows_the_code_not_the_readme(self):
        result = make("STEP=03")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertIn("diff -u step02_async/server.c step03_parse/server.c\n"
                      "--- step02_async/server.c\n+++ step03_parse/server.c\n@@ ",
                      result.stdout)
        self.assertIn("\n+#include \"request.h\"\n", result.stdout)
        self.assertNotIn("README.md", result.stdout)
        self.assertNotIn("\033", result.stdout, "colour although stdout is no terminal")

    def test_make_diff_readme_1_adds_the_readmes(self):
        result = make("STEP=03", "README=1")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(file_headers(result.stdout),
                         ["diff -u step02_async/server.c step03_parse/server.c",
                          "diff -u step02_async/README.md step03_parse/README.md"])

    def test_step_2_and_02_are_the_same_pair(self):
        self.assertEqual(script("2").stdout, script("02").stdout)
        self.assertIn("diff -u step01_echo/server.c step02_async/server.c", script("2").stdout)

    def test_headers_then_sources_then_cmake_new_and_removed_files(self):
        result = script("09")
        self.assertEqual(result.returncode, 0)
        headers = file_headers(result.stdout)
        self.assertEqual(headers[0], "diff -u /dev/null step09_atomics/accounts.h")
        self.assertIn("diff -u step08_rwlock/striped.c /dev/null", headers)
        self.assertEqual(headers[-1],
                         "diff -u step08_rwlock/CMakeLists.txt step09_atomics/CMakeLists.txt")
        names = [[p for p in h.split()[2:] if p != "/dev/null"][0] for h in headers]
        kinds = [os.path.splitext(name)[1] for name in names]
        self.assertEqual(kinds, sorted(kinds, key=[".h", ".c", ".txt"].index))


class Table(unittest.TestCase):
    def test_make_diff_lists_nine_pairs_with_size_and_the_readme_title(self):
        result = make()
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        rows = [ROW.match(line) for line in result.stdout.splitlines()]
        rows = [row for row in rows if row]
        self.assertEqual([(int(r.group(1)), int(r.group(2))) for r in rows],
                         [(n - 1, n) for n in range(2, 11)])
        for row in rows:
            stage, lesson = row.group(4), row.group(5)
            self.assertTrue(stage.startswith("step" + row.group(2) + "_"), row.group(0))
            with open(os.path.join(ROOT, stage, "README.md"), encoding="utf-8") as readme:
                self.assertEqual(readme.readline().rstrip("\n"), "# %s: %s" % (stage, lesson))
            self.assertGreater(int(row.group(3)), 0, row.group(0))

    def test_a_size_counts_the_lines_added_and_removed_in_the_code_diff(self):
        rows = [ROW.match(line) for line in script().stdout.splitlines()]
        sizes = {row.group(2): int(row.group(3)) for row in rows if row}
        for step in ("03", "08"):
            hunks = [line for line in script(step).stdout.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))]
            self.assertEqual(sizes[step], len(hunks), step)


class NoSuchPair(unittest.TestCase):
    def assert_refused(self, result, value):
        self.assertEqual(result.returncode, 2, value)
        self.assertEqual(result.stdout, "", value)
        line = result.stderr.splitlines()[0]
        self.assertIn("STEP=" + value, line)
        self.assertIn("02..10", line)

    def test_01_11_abc_one_line_on_stderr_nothing_on_stdout_exit_2(self):
        for value in ("01", "11", "abc", "1", "010"):
            result = script(value)
            self.assert_refused(result, value)
            self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)

    def test_make_diff_step_11(self):
        # make adds its own "Error 2" line after the script's one line.
        self.assert_refused(make("STEP=11"), "11")


class Help(unittest.TestCase):
    def test_help(self):
        result = script("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("usage: stage_diff.py", result.stdout)
        self.assertIn("--readme", result.stdout)


if __name__ == "__main__":
    unittest.main()
