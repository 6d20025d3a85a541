"""The charts: every scenario's data files, drawn by gnuplot into compare-NAME.svg."""

import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

from .machine import machine_line, machine_name
from .scenarios import SCENARIOS
from .settings import TEMPLATE_DIR


def write_data(path, data_file):
    """A whitespace-separated table for gnuplot; "?" marks a missing value."""
    with open(path, "w") as f:
        f.write(("" if data_file.header_is_data else "# ") + " ".join(data_file.header) + "\n")
        for row in data_file.rows:
            f.write(" ".join("?" if v is None else str(v) for v in row) + "\n")


def gnuplot_text(text):
    """A text set as a gnuplot string variable ("...") and shown as enhanced text: no
    double quote, backslash or ampersand; the enhanced-text marks (the "@" of a CPU
    model) escaped to stand for themselves."""
    text = text.replace('"', "'").replace("\\", "/").replace("&", "and")
    for mark in "@^_{}~":
        text = text.replace(mark, "\\\\" + mark)
    return text


def charts_of(res):
    """The charts of every scenario that ran, in the report's order."""
    charts = []
    for scenario in SCENARIOS:
        result = res.completed(scenario.name)
        if result is not None:
            charts += scenario.charts(result)
    return charts


def draw_charts(res, out_dir, machine):
    """Render every chart with gnuplot into out_dir/compare-NAME.svg; returns the file names."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        res.problems.append("charts: gnuplot not found (scripts/install-deps.sh installs gnuplot-nox)")
        return []
    data_dir = out_dir / "data"
    data_dir.mkdir(exist_ok=True)
    made = []
    subtitle = gnuplot_text(machine_line(machine))
    name = gnuplot_text(machine_name(machine))
    for chart in charts_of(res):
        for data_file in chart.data:
            write_data(data_dir / data_file.name, data_file)
        svg = out_dir / f"compare-{chart.name}.svg"
        variables = [f'templates="{TEMPLATE_DIR}"', f'outfile="{svg}"', f'subtitle="{subtitle}"',
                     f'machine="{name}"'] + [
            f'data{i + 1}="{data_dir / d.name}"' for i, d in enumerate(chart.data)] + [
            f'{"heading" if i == 0 else f"title{i}"}="{gnuplot_text(t)}"'
            for i, t in enumerate(chart.titles)]
        proc = subprocess.run([gnuplot, "-e", "; ".join(variables), str(TEMPLATE_DIR / chart.template)],
                              capture_output=True, text=True, timeout=30)
        if proc.returncode != 0 or not valid_svg(svg):
            res.problems.append(f"charts: gnuplot failed on {chart.template}: "
                                f"{proc.stderr.strip()[-300:]}")
            continue
        made.append(svg.name)
    return made


def valid_svg(path):
    try:
        return ElementTree.parse(path).getroot().tag.endswith("svg")
    except (OSError, ElementTree.ParseError):
        return False
