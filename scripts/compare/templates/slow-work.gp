# A light client's p99 (1 conn, 50 events/s, open loop) alone, then next to heavy
# pipelined clients, --work-us 200; log scale. data1: stage with the share of the light
# client's events taken (not refused), p99 alone (ms), p99 with heavy (ms), their labels.
width = 640; height = 400
load templates.'/common.gp'
set title sprintf("Slow work (--work-us 200): a light client's p99, alone and next to heavy ones\n{/*0.8 %s}", subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics scale 0                 # no tic marks into the bars
set logscale y
set format y '%g'
set ylabel "light client's p99 latency (ms, log scale)"
set xlabel "stage (share of the light client's events taken, not refused as busy)"
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
low = STATS_min
stats data1 using 3 nooutput
low = STATS_min < low ? STATS_min : low
top = STATS_max
bottom = low > 0 ? 10 ** floor(log10(low / 3)) : 0.01   # a decade below
top = top > 0 ? top * 1000 : 1   # headroom for the labels and the key
set yrange [bottom:top]
set key top left
bar = 1.0 / 3                    # a bar's width in a 2-bar cluster
plot data1 using 2:xtic(1) title 'light client alone' lc rgb '#66ccee', \
     '' using 3 title 'next to 8 heavy conns x 32' lc rgb '#4477aa', \
     '' using ($0 - bar / 2):2:4 with labels offset 0,0.8 font ',10' notitle, \
     '' using ($0 + bar / 2):3:5 with labels offset 0,0.8 font ',10' notitle
