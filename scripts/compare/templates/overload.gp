# Overload: open loop at 3x what one processor does (--work-us 100, --queue-cap 1024 for
# 05-06). Left: p99 of every reply (log scale); right: events taken and events refused
# per second against the rate offered. data1: stage, p99 (ms), its label, applied or
# accepted (k/s), refused as busy (k/s), offered (k/s).
width = 640; height = 400
load templates.'/common.gp'
set multiplot layout 1,2 title sprintf("Overload at 3x capacity: refused at once, or queued and late\n{/*0.8 %s}", subtitle)
set style data histograms
set style fill solid 0.85 border -1
set xtics scale 0                 # no tic marks into the bars
set xlabel 'stage'
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
bottom = STATS_min > 0 ? 10 ** floor(log10(STATS_min / 3)) : 0.01   # a decade below

set title 'p99 latency of every reply'
set style histogram clustered gap 1
set boxwidth 0.6
set logscale y
set format y '%g'
set ylabel 'p99 (ms, log scale)'
top = STATS_max > 0 ? STATS_max * 100 : 1   # headroom for the labels
set yrange [bottom:top]
unset key
plot data1 using 2:xtic(1) lc rgb '#4477aa', \
     '' using 0:2:3 with labels offset 0,0.8 font ',10'

set title 'events per second'
set style histogram rowstacked
unset logscale y
set format y '%g'
set ylabel 'events/s (thousands)'
set autoscale y                       # stats below count every value
stats data1 using 6 nooutput
offered = STATS_max
set yrange [0:offered * 1.45]         # headroom for the key
set key top left box opaque font ',10' maxrows 3
plot data1 using 4:xtic(1) title 'taken (applied or queued)' lc rgb '#4477aa', \
     '' using 5 title 'refused: server busy' lc rgb '#ee7733', \
     offered with lines dt 2 lw 2 lc rgb '#222222' title 'offered'
unset multiplot
