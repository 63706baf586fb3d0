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
# A bench that reports missed targets (exit 2) lets the others run; run.sh
# then exits 2 itself. Any other failure stops it.
set -eu
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/python3 ]; then
	echo "bench: /usr/bin/python3 is missing" >&2
	exit 1
fi

missed=0
# bench SCRIPT ARGS...: run one bench; a missed target is remembered.
bench() {
	script=$1
	shift
	/usr/bin/python3 -B "bench/$script" "$@" || {
		rc=$?
		[ "$rc" -eq 2 ] || exit "$rc"
		missed=2
	}
	echo
}

case " $* " in
*" --no-linux "*) ;;
*) /usr/bin/python3 -B bench/linux_microvm.py >/dev/null ;;
esac

bench boot.py "$@"
bench footprint.py "$@"
bench apps.py "$@"
bench threads.py "$@"
bench syscalls.py "$@"
bench procs.py "$@"
bench net.py "$@"
bench realapps.py "$@"
bench blk.py "$@"
exit "$missed"
