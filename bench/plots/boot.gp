# boot.gp - boot-time distributions from bench/boot.py's samples
# (build/bench/boot.tsv: accel system run wall_ms index): per system, a
# box (quartiles, whiskers to 1.5 IQR) and every sample as a point.
# usage: gnuplot -e "data='build/bench/boot.tsv'; out='boot.png'" boot.gp
set terminal pngcairo size 900,500 font ",10"
set output out
set title "Boot to hello's line and exit, QEMU launch to exit (TCG, -M microvm, -m 128M)"
set ylabel "wall time (ms, log scale)"
set logscale y
set grid ytics
set termoption noenhanced
set style boxplot nooutliers
set boxwidth 0.5
set style fill solid 0.25 border -1
set xtics nomirror
set key off
set offsets 0.5, 0.5, 0, 0
set yrange [*:*]
set jitter spread 0.4
tcg(v) = strcol(1) eq "tcg" ? v : NaN
plot data using (1):(tcg($4)):(0.5):2 with boxplot lc rgb "#4070a0", \
     data using ($5 + 1):(tcg($4)) with points pt 7 ps 0.4 lc rgb "#c04030"
