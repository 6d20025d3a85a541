# Shared look of every comparison chart. Loaded by the other templates.
# Variables set by scripts/compare/charts.py with `gnuplot -e`: templates (this directory),
# outfile, subtitle, data1[, data2...]; heading, title1[, title2...] for charts with titles.
# A template may set width and height (pixels) before loading this file: the charts a
# stage's README shows are 640 x 400, small enough to be read at their own size.
if (!exists("width")) width = 900
if (!exists("height")) height = 520
set terminal svg size width,height dynamic enhanced font 'Helvetica,12' background rgb 'white'
set output outfile
set datafile missing '?'
set grid ytics lc rgb '#dddddd'
set border 3
set tics nomirror
set key top right box opaque
