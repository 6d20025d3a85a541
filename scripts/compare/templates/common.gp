# Shared look of every comparison chart. Loaded by the other templates.
# Variables set by scripts/compare/charts.py with `gnuplot -e`: templates (this directory),
# outfile, subtitle, data1[, data2...]; heading, title1[, title2...] for charts with titles.
set terminal svg size 900,520 dynamic enhanced font 'Helvetica,12' background rgb 'white'
set output outfile
set datafile missing '?'
set grid ytics lc rgb '#dddddd'
set border 3
set tics nomirror
set key top right box opaque
