#!/bin/sh
# run.sh - runs every Kiln benchmark (`make bench`): boot time against the
# Linux baseline, then memory, density and image size (footprint), then
# the application benchmarks (hello end to end, image size, memory,
# syscalls), then threads, futexes, pipes, epoll and an idle guest's host
# CPU, then syscall and runtime costs (clocks, open, stat, mmap, loopback
# TCP, futex, pipe, file I/O, fork), then processes (fork, exec,
# posix_spawn, pipes between processes), then the network (HTTP
# requests/s, bulk MB/s, time to the first answer), then Debian's python3,
# nginx and redis-server (start-up, requests/s, memory), then the disk
# (4 KiB random reads, 1 MiB sequential writes + fsync). The Linux
# baseline kernel (bench/linux_microvm.py) is built first, once; later
# runs reuse it.
# Extra arguments go to each benchmark (e.g. --runs 20, --no-linux).
# Each bench's output is kept in build/bench/logs/NAME.log. At the end a
# summary lists every bench with its wall time and every target line
# (PASS or MISS) the benches printed. Exit status: 0 when every target
# was met, 2 when one was missed (they are named), 1 when a bench failed
# (the others still run, so one broken bench costs no other figure).
set -eu
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/python3 ]; then
	echo "bench: /usr/bin/python3 is missing" >&2
	exit 1
fi

LOGS=build/bench/logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log "$LOGS"/*.rc "$LOGS"/*.s "$LOGS"/*.cpu "$LOGS"/*.times
all_started=$(date +%s)

case " $* " in
*" --no-linux "*) ;;
*)
	# A missing or stale kernel is built here (tens of minutes, once).
	if ! /usr/bin/python3 -B bench/linux_microvm.py >/dev/null; then
		echo "bench: the Linux baseline did not build" >&2
		exit 1
	fi
	;;
esac

# bench SCRIPT ARGS...: run one bench, its output shown and kept in
# $LOGS; its status and wall time are kept beside it for the summary.
bench() {
	name=${1%.py}
	script=$1
	shift
	started=$(date +%s)
	# -u: through tee, Python would hold the output back until it ends.
	{
		rc=0
		/usr/bin/python3 -u -B "bench/$script" "$@" 2>&1 || rc=$?
		echo "$rc" >"$LOGS/$name.rc"
		# The CPU time of the bench and all it waited for (its QEMUs):
		# about the least it would take on an idle host, where a VM has
		# a core to itself. A lower bound: a QEMU whose `kiln run` was
		# killed (servers stopped by footprint, net, realapps) is reaped
		# by init, and its time is lost.
		# (times itself, not in a pipe: a forked times has no children.)
		times >"$LOGS/$name.times"
		sed -n 2p "$LOGS/$name.times" | awk '{ split($1, u, /[ms]/);
			split($2, s, /[ms]/);
			print int(u[1] * 60 + u[2] + s[1] * 60 + s[2]) }' \
			>"$LOGS/$name.cpu"
	} | tee "$LOGS/$name.log"
	echo $(($(date +%s) - started)) >"$LOGS/$name.s"
	echo
}

BENCHES="boot footprint apps threads syscalls procs net realapps blk"
for b in $BENCHES; do
	bench "$b.py" "$@"
done

# The summary. A target line is one a bench printed with a PASS or MISS
# verdict; a bench's own list of missed
# targets ("MISSED targets:", "missed targets:") is not repeated.
status=0
missed=""
failed=""
echo "== make bench summary =="
printf '%-10s %7s %7s  %s\n' bench wall cpu result
for b in $BENCHES; do
	rc=$(cat "$LOGS/$b.rc" 2>/dev/null || echo 1)
	secs=$(cat "$LOGS/$b.s" 2>/dev/null || echo 0)
	cpu=$(cat "$LOGS/$b.cpu" 2>/dev/null || true)
	cpu=${cpu:-0}
	cpu_all=$((${cpu_all:-0} + cpu))
	misses=$(grep -E ' (MISS|MISSED)( |$)' "$LOGS/$b.log" |
		grep -vc -i 'missed targets' || true)
	passes=$(grep -cE ' PASS( |$)' "$LOGS/$b.log" || true)
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
		result="FAIL (exit $rc)"
		failed="$failed $b"
	elif [ "$rc" -eq 2 ] || [ "$misses" -gt 0 ]; then
		result="MISS ($passes passed, $misses missed)"
		missed="$missed $b"
	elif [ "$passes" -gt 0 ]; then
		result="PASS ($passes passed)"
	else
		result="ran (no targets)"
	fi
	printf '%-10s %5d s %5d s  %s\n' "$b" "$secs" "$cpu" "$result"
done
printf '%-10s %5d s %5d s  (wall of this whole run.sh; cpu: the benches and\n' \
	total $(($(date +%s) - all_started)) "$cpu_all"
echo "                            the QEMUs they reaped, user+sys: a lower bound of an idle host's wall)"
echo "host load (1/5/15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "targets:"
for b in $BENCHES; do
	grep -E ' (PASS|MISS|MISSED)( |$)' "$LOGS/$b.log" |
		grep -vi 'missed targets' | sed -e 's/^ */  /' -e "s/^/$b:/" || true
done
if [ -n "$failed" ]; then
	echo "bench: FAILED:$failed (logs: $LOGS/)"
	status=1
fi
if [ -n "$missed" ]; then
	echo "bench: targets missed in:$missed"
	[ "$status" -ne 0 ] || status=2
fi
[ "$status" -ne 0 ] || echo "bench: every target met"
exit "$status"
