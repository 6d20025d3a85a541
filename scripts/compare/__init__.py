"""Run every stage side by side and write the comparison report (`make compare`).

    PYTHONPATH=scripts python3 -m compare [--quick] [--only SCENARIOS] [--out DIR]
                                          [--reference DIR]

The Makefile builds everything first; a run then, with the binaries in build/bin/:

1. raises RLIMIT_NOFILE to its hard limit (inherited by every server and load
   generator started here) and records the machine: CPU model, cores, kernel;
2. runs the scenarios (scenarios/: one module each, listed in scenarios/__init__.py),
   each bounded in time, and measures how much CPU other processes took meanwhile
   (a busy machine is named in the report). Every server listens on 127.0.0.1 with
   `--port 0` (its `stepNN listening on HOST:PORT` line gives the port), gets the
   flags its scenario needs, and is stopped with SIGTERM, a bounded wait, then SIGKILL;
3. writes results/compare.md (tables, one verdict per scenario computed from the
   numbers), results/compare.json (every raw loadgen JSON and the derived figures)
   and results/compare-*.svg (gnuplot, templates in templates/);
4. with --reference DIR (`make pictures`: docs/reference), copies the charts into DIR
   with a README.md naming the date, the machine, the command and each chart's stage.

Progress goes to stderr, one line per scenario; the summary table and the verdicts
go to stdout at the end. `--quick` runs every scenario, shorter.

Every number depends on the machine: the load generator shares its cores with the
server, and figures drift by 15-30 % between runs. Read the ratios measured within
one run. docs/COMPARE.md explains each scenario and how to read the report.

Exit status: 0 when every scenario ran; 1 when a server failed to start, a scenario
could not run, loadgen saw protocol errors or the charts could not be drawn (the
report still shows what was measured); 2 on bad usage. Every process started here
is killed on every exit path.
"""
