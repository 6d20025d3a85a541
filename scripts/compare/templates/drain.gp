# Stage 10's drain: SIGTERM in the middle of a pipelined load; the events loadgen saw
# accepted, and the server's final counts. heading: when the signal came, the exit, the
# outcome. data1: what, events (thousands), the exact count.
width = 640; height = 400
load templates.'/common.gp'
set title sprintf("Drain: SIGTERM during 64 conns x 32 events in flight\n%s\n{/*0.8 %s}", heading, subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics scale 0                 # no tic marks into the bars
set boxwidth 0.6
set ylabel 'events (thousands)'
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
top = STATS_max > 0 ? STATS_max * 1.2 : 1   # headroom for the labels
set yrange [0:top]
set xtics font ',10'
unset key
plot data1 using 2:xtic(1) lc rgb '#4477aa', \
     '' using 0:2:3 with labels offset 0,0.8 font ',10'
