# Stage 03's cost of parsing: stage 02's echo against stage 03's parsed events, the same
# event loop and load (baseline, median of its rounds), with loadgen's own ceiling.
# data1: stage with its lines/s (the tic label), lines/s (millions), loadgen's ceiling
# (millions).
width = 640; height = 400
load templates.'/common.gp'
set title sprintf("Parsing costs: the same event loop, echo (02) or parse (03), 64 conns x 32\n{/*0.8 %s}", subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics scale 0                 # no tic marks into the bars
set boxwidth 0.6
set ylabel 'lines answered/s (millions)'
set xlabel 'stage'
set xrange [-0.6:1.6]
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0   # headroom above the data for the key
set key top right
plot data1 using 2:xtic(1) title 'stage (median)' lc rgb '#4477aa', \
     '' using 0:3 with points pt 7 ps 1.2 lc rgb '#cc3311' title "loadgen's ceiling (self-test)"
