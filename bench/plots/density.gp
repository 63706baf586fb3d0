# density.gp - density from bench/footprint.py's samples
# (build/bench/density.tsv: one block per system, a "system instances
# pss_mib" header line then its points): host memory (the sum of the QEMUs' PSS) against the number of
# idle HTTP servers running.
# usage: gnuplot -e "data='build/bench/density.tsv'; out='density.png';
#        blocks=2" density.gp
set terminal pngcairo size 900,500 font ",10"
set output out
set title "Idle http_server instances vs host memory (sum of QEMU PSS; TCG, -M microvm)"
set xlabel "instances running"
set ylabel "host memory, sum of PSS (MiB)"
set grid
set termoption noenhanced
set xrange [0:*]
set yrange [0:*]
set key top left
plot for [i=0:blocks-1] data index i using 2:3 with linespoints pt 7 ps 0.5 \
     title columnheader(1)
