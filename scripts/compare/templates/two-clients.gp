# Client B's reply time per stage, while client A is connected and idle, then after A
# left; a red bar is a wait that ended with no reply. Log scale. data1: stage, with A
# (ms), with A if no reply (ms or ?), its label, after A left (ms), the same if no reply,
# its label.
width = 640; height = 400
load templates.'/common.gp'
set title sprintf("Two clients: B's reply while A is connected, then after A left\n{/*0.8 %s}", subtitle)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set xtics scale 0                 # no tic marks into the bars
set logscale y
set format y '%g'
set ylabel "client B's reply time (ms, log scale)"
set xlabel 'stage'
stats data1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
stats data1 using 5 nooutput
top = STATS_max
stats data1 using 2 nooutput
top = (STATS_max > top ? STATS_max : top) * 1000   # headroom for the labels and the key
set yrange [0.001:top]
set key top left
bar = 1.0 / 3                                       # a bar's width in a 2-bar cluster
plot data1 using 2:xtic(1) title 'with A connected' lc rgb '#4477aa', \
     '' using 5 title 'after A left' lc rgb '#66ccee', \
     '' using ($0 - bar / 2):3:(bar) with boxes lc rgb '#cc3311' title 'no reply: gave up waiting', \
     '' using ($0 + bar / 2):6:(bar) with boxes lc rgb '#cc3311' notitle, \
     '' using ($0 - bar / 2):2:4 with labels offset 0,0.8 font ',10' notitle, \
     '' using ($0 + bar / 2):5:7 with labels offset 0,0.8 font ',10' notitle
