# Many connections at a low rate, served by one event-loop thread. Left: p99 (log scale),
# labelled with how many connections were served; right: the server's RSS per connection
# against the target. heading: how many connections, at what rate. data1: stage, p99
# (ms), served label, RSS bytes per connection, its label, the target (bytes).
width = 640; height = 400
load templates.'/common.gp'
set multiplot layout 1,2 title sprintf("Many clients at once: %s\n{/*0.8 %s}", heading, subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics scale 0                 # no tic marks into the bars
set boxwidth 0.6
set xlabel 'stage'
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
bottom = STATS_min > 0 ? 10 ** floor(log10(STATS_min / 3)) : 0.01   # a decade below

set title 'p99 latency (open loop)'
set logscale y
set format y '%g'
set ylabel 'p99 (ms, log scale)'
top = STATS_max > 0 ? STATS_max * 100 : 1   # headroom for the labels
set yrange [bottom:top]
unset key
plot data1 using 2:xtic(1) lc rgb '#4477aa', \
     '' using 0:2:3 with labels offset 0,0.8 font ',9'

set title 'server memory per connection'
unset logscale y
set ylabel 'RSS per connection (bytes)'
set autoscale y                       # stats below count every value
stats data1 using 4 nooutput
top = STATS_max
stats data1 using 6 nooutput
target = STATS_max
top = (target > top ? target : top) * 1.4   # headroom for the labels and the key
set yrange [0:top]
set key top left box opaque font ',10'
plot data1 using 4:xtic(1) lc rgb '#66ccee' notitle, \
     '' using 0:4:5 with labels offset 0,0.8 font ',10' notitle, \
     target with lines dt 2 lw 2 lc rgb '#cc3311' title sprintf('target: %g B', target)
unset multiplot
