# Accepted events/s against --workers, with and without simulated work.
width = 640; height = 400
load templates.'/common.gp'
set multiplot layout 1,2 title sprintf("Accepted events/s vs workers: 64 conns x 32\n{/*0.8 %s}", subtitle)
set logscale x 2
set xtics (1, 2, 4, 8)
set xrange [0.8:10]
set yrange [0:*]
set xlabel 'workers'
set ylabel 'accepted events/s (thousands)'
set key top left horizontal maxrows 2
set offsets 0, 0, graph 0.3, 0   # headroom above the data for the key
set title '--work-us 50, open loop at 3x one worker'
plot for [i=2:5] data1 using 1:i with linespoints lw 2 pt i+4 title columnheader(i)
set title 'no work, closed loop'
plot for [i=2:5] data2 using 1:i with linespoints lw 2 pt i+4 title columnheader(i)
unset multiplot
