# Baseline latency per stage: p50 and p99, log scale.
load templates.'/common.gp'
set title sprintf("Baseline latency per stage: 64 conns x 32 in flight (median)\n{/*0.8 %s}", subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set ylabel 'latency (ms, log scale)'
set xlabel 'stage'
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
set yrange [0.01:*]
plot data1 using 2:xtic(1) title 'p50' lc rgb '#66ccee', \
     '' using 3 title 'p99' lc rgb '#4477aa'
