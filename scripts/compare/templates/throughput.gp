# Baseline throughput per stage (bars) and loadgen's own ceiling (points).
load templates.'/common.gp'
set title sprintf("Baseline throughput per stage: 64 conns x 32 in flight (median)\n{/*0.8 %s}", subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.8
set ylabel 'replies/s (millions)'
set xlabel 'stage'
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
set yrange [0:*]
plot data1 using 2:xtic(1) title 'stage (median)' lc rgb '#4477aa', \
     '' using 0:3 with points pt 7 ps 1.2 lc rgb '#cc3311' title "loadgen's ceiling (self-test: echo for 01-02, accept for 03+)"
