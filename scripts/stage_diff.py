#!/usr/bin/env python3
"""The lesson of a stage as a diff against the stage before it (`make diff`).

  stage_diff.py            one line per pair of consecutive stages: its size in
                           changed lines of code and its lesson
  stage_diff.py 03         step02_* -> step03_*: headers, sources, CMakeLists.txt
  stage_diff.py --readme 03   the same, and the two stage READMEs

The diff is `diff -u` per file, in colour only when stdout is a terminal (and
NO_COLOR is not set): pipe it into `less` to page it. The lesson is the title line
of the stage's README ("# stepNN_name: lesson"). Needs python3 and diff, no build.
"""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGE_DIR = re.compile(r"step(\d\d)_\w+$")
TITLE = re.compile(r"# (step\d\d_\w+): (.+)$")

COLOURS = {"diff": "\033[1m", "---": "\033[1m", "+++": "\033[1m", "@": "\033[36m",
           "-": "\033[31m", "+": "\033[32m"}
RESET = "\033[0m"


def stages():
    """{NN: directory name} of every stage directory under the source root."""
    found = {}
    for name in os.listdir(ROOT):
        match = STAGE_DIR.match(name)
        if match and os.path.isdir(os.path.join(ROOT, name)):
            found[int(match.group(1))] = name
    return found


def order(name):
    """Headers, then sources, then anything else, then CMakeLists.txt, then README.md."""
    rank = {".h": 0, ".c": 1}.get(os.path.splitext(name)[1], 2)
    rank = {"CMakeLists.txt": 3, "README.md": 4}.get(name, rank)
    return (rank, name)


def file_diffs(old, new, readme):
    """(header line, `diff -u` output) of every file that differs between two stages."""
    names = set(os.listdir(os.path.join(ROOT, old))) | set(os.listdir(os.path.join(ROOT, new)))
    if not readme:
        names.discard("README.md")
    for name in sorted(names, key=order):
        paths = []
        for stage in (old, new):
            path = os.path.join(stage, name)
            paths.append(path if os.path.isfile(os.path.join(ROOT, path)) else "/dev/null")
        result = subprocess.run(["diff", "-u", "--label", paths[0], "--label", paths[1]] + paths,
                                cwd=ROOT, capture_output=True, text=True)
        if result.returncode > 1:
            sys.exit("stage_diff.py: diff failed: " + result.stderr.strip())
        if result.returncode == 1:
            yield "diff -u %s %s" % tuple(paths), result.stdout


def changed_lines(diff_output):
    """Lines added plus lines removed in one `diff -u` output."""
    hunks = diff_output[diff_output.find("\n@@") + 1:]
    return sum(1 for line in hunks.splitlines() if line[:1] in ("+", "-"))


def lesson(stage):
    """The lesson in the title line of a stage's README."""
    path = os.path.join(ROOT, stage, "README.md")
    with open(path, encoding="utf-8") as readme:
        match = TITLE.match(readme.readline().rstrip("\n"))
    if not match or match.group(1) != stage:
        sys.exit("stage_diff.py: %s does not start with '# %s: <lesson>'" % (path, stage))
    return match.group(2)


def paint(line):
    for prefix, colour in COLOURS.items():
        if line.startswith(prefix):
            return colour + line + RESET
    return line


def show_pair(found, nn, readme):
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for header, output in file_diffs(found[nn - 1], found[nn], readme):
        for line in [header] + output.splitlines():
            print(paint(line) if colour else line)


def summary(found, pairs):
    print("%-8s  %7s  %-15s  %s" % ("pair", "changed", "stage", "lesson"))
    for nn in pairs:
        size = sum(changed_lines(out) for _, out in file_diffs(found[nn - 1], found[nn], False))
        print("%02d -> %02d  %7d  %-15s  %s" % (nn - 1, nn, size, found[nn], lesson(found[nn])))
    print("one pair: make diff STEP=NN (README=1 adds the stage READMEs)")


def main(argv):
    parser = argparse.ArgumentParser(prog="stage_diff.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", nargs="?", metavar="STEP",
                        help="a stage number NN (02 or 2): its diff against stage NN-1")
    parser.add_argument("--readme", action="store_true",
                        help="include the two stage READMEs (after the code)")
    args = parser.parse_args(argv)

    found = stages()
    pairs = sorted(nn for nn in found if nn - 1 in found)
    if args.step is None:
        summary(found, pairs)
        return 0
    if not re.fullmatch(r"\d{1,2}", args.step) or int(args.step) not in pairs:
        print("stage_diff.py: no stage pair for STEP=%s: valid values are %02d..%02d (or %d..%d)"
              % (args.step, pairs[0], pairs[-1], pairs[0], pairs[-1]), file=sys.stderr)
        return 2
    show_pair(found, int(args.step), args.readme)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # `| head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
