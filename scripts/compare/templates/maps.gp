# bench_maps: operations/s against threads, one line per design, one panel per read
# share (data1, data2). heading and title1, title2 name the run and the panels.
width = 640; height = 400
load templates.'/common.gp'
panels = exists("data2") ? 2 : 1
# no server and no loadgen here: the subtitle names the machine only
set multiplot layout 1,panels title sprintf("%s\n{/*0.8 %s}", heading, machine)
set logscale x 2
set xtics (1, 2, 4, 8, 16)
stats data1 using 1 nooutput
set xrange [0.8:STATS_max * 1.25]   # room after the last point, so its tic shows
set yrange [0:*]
set xlabel 'threads'
set ylabel 'operations/s (millions)'
set key top left horizontal maxrows 2
set offsets 0, 0, graph 0.3, 0   # headroom above the data for the key
set title title1
plot for [i=2:4] data1 using 1:i with linespoints lw 2 pt i+4 title columnheader(i)
if (panels == 2) {
    set title title2
    plot for [i=2:4] data2 using 1:i with linespoints lw 2 pt i+4 title columnheader(i)
}
unset multiplot
