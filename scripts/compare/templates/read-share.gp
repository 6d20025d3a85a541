# Useful replies/s (accepted events + balances) against the share of balance queries.
width = 640; height = 400
load templates.'/common.gp'
set title sprintf("Throughput vs read share: --workers 2, 64 conns x 32\n{/*0.8 %s}", subtitle)
set xlabel 'balance queries (% of requests)'
set ylabel 'accepted + balance replies/s (thousands)'
set xrange [-5:100]
set yrange [0:*]
set key top left horizontal maxrows 2
set offsets 0, 0, graph 0.3, 0   # headroom above the data for the key
plot for [i=2:4] data1 using 1:i with linespoints lw 2 pt i+4 title columnheader(i)
