#!/bin/sh
# fuzz.sh - run the fuzzers (docs/security.md, "Fuzzing"). Usage: fuzz.sh test|long
#   test: each parser harness for FUZZ_TIME seconds (default 8) from the
#         committed corpus, in a scratch directory; `make test` runs this.
#   long: each parser harness for FUZZ_TIME seconds (default 300), keeping
#         what it finds in build/fuzz/corpus/NAME; then the syscall fuzzer
#         with FUZZ_SEEDS new seeds (default 100) of FUZZ_CALLS calls
#         (default 50000) each, with hostile RFLAGS too when FUZZ_EFLAGS=1
#         (syscall_fuzz -e); `make fuzz` runs this.
# One line per harness, then "fuzz: N passed, N failed". A crash leaves its
# input in build/fuzz/crash-NAME-*: `build/fuzz/NAME_fuzz FILE` replays it.
set -u
BUILD=${BUILD:-build}
mode=${1:-test}
case "$mode" in
test) time=${FUZZ_TIME:-8} ;;
long) time=${FUZZ_TIME:-300} ;;
*) echo "usage: fuzz.sh test|long" >&2; exit 2 ;;
esac
pass=0
fail=0
mkdir -p "$BUILD/fuzz"

for dir in tests/fuzz/corpus/*/; do
	name=$(basename "$dir")
	bin="$BUILD/fuzz/${name}_fuzz"
	log="$BUILD/fuzz/$name.log"
	if [ "$mode" = long ]; then
		work="$BUILD/fuzz/corpus/$name"
		mkdir -p "$work"
	else
		work=$(mktemp -d)
	fi
	# -timeout: one input running 10 s is a hang; -close_fd_mask=2: the
	# CLI's error lines stay out of the log, sanitizer reports do not.
	"$bin" -max_total_time="$time" -timeout=10 -print_final_stats=1 \
		-close_fd_mask=2 -artifact_prefix="$BUILD/fuzz/crash-$name-" \
		"$work" "$dir" >"$log" 2>&1
	rc=$?
	[ "$mode" = long ] || rm -rf "$work"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		pass=$((pass + 1))
		echo "fuzz $name: ${runs} inputs in ${time}s, no crash"
	else
		fail=$((fail + 1))
		tail -n 40 "$log"
		echo "fuzz $name: FAILED (status $rc; log $log)"
	fi
done

if [ "$mode" = long ]; then
	eflags=
	[ "${FUZZ_EFLAGS:-0}" = 1 ] && eflags=--eflags
	out=$(/usr/bin/python3 scripts/syscall_fuzz.py --jobs 2 $eflags \
		--calls "${FUZZ_CALLS:-50000}" --random "${FUZZ_SEEDS:-100}" 2>&1)
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^syscall fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/^syscall fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	[ -n "$p" ] || { p=0; f=1; }
	pass=$((pass + p))
	fail=$((fail + f))
fi

echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
