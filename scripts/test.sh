#!/bin/sh
# test.sh - run every test tier and end with the combined "N passed, N failed".
# First the dependency rule (docs/architecture.md), one check per layer,
# and the layout of the sources (.clang-format).
# Tier 1: host unit tests (cmocka), then the parser fuzzers for a few seconds
# each (libFuzzer). Tier 3: end-to-end boots under QEMU (pytest).
set -u
BUILD=${BUILD:-build}
total_pass=0
total_fail=0
total_skip=0
failed_parts='' # named again just above the summary, which is all a log's tail may show

echo "== layers"
out=$(/usr/bin/python3 scripts/check_layers.py . "$BUILD" 2>&1)
printf '%s\n' "$out"
p=$(printf '%s\n' "$out" | sed -n 's/^layers: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(printf '%s\n' "$out" | sed -n 's/^layers: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
[ -n "$p" ] || { p=0; f=1; } # the check died before its verdict
total_pass=$((total_pass + p))
total_fail=$((total_fail + f))
[ "$f" -eq 0 ] || failed_parts="$failed_parts layers"
if /usr/bin/python3 scripts/check_layers.py --selftest; then
	total_pass=$((total_pass + 1))
else
	total_fail=$((total_fail + 1))
	failed_parts="$failed_parts layers-selftest"
fi

echo "== format"
# The C sources as .clang-format lays them out (make format fixes them).
# shellcheck disable=SC2046
if clang-format --dry-run --Werror $(find bench cli include kernel tests -name '*.[ch]') \
	2>"$BUILD/format.log"; then
	echo "format: ok"
	total_pass=$((total_pass + 1))
else
	head -n 20 "$BUILD/format.log"
	echo "format: FAIL (run make format)"
	total_fail=$((total_fail + 1))
	failed_parts="$failed_parts format"
fi

# cmocka ends with "[  PASSED  ] N test(s)." and, on failures,
# "[  FAILED  ] N test(s), listed below:". A binary that dies before its
# summary (a sanitizer abort) counts as one failure.
echo "== unit tests"
for t in "$BUILD"/tests/unit/*_test; do
	out=$("$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out"
		failed_parts="$failed_parts $(basename "$t")(rc=$rc)"
	fi
	echo "$(basename "$t"): $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done

# scripts/fuzz.sh ends with "fuzz: N passed, N failed", one per harness.
echo "== fuzzers"
out=$(sh scripts/fuzz.sh test 2>&1)
printf '%s\n' "$out"
p=$(printf '%s\n' "$out" | sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(printf '%s\n' "$out" | sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
[ -n "$p" ] || { p=0; f=1; } # fuzz.sh died before its verdict
total_pass=$((total_pass + p))
total_fail=$((total_fail + f))
[ "$f" -eq 0 ] || failed_parts="$failed_parts fuzz"

echo "== end-to-end tests"
xml="$BUILD/e2e.xml"
rm -f "$xml"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e --junitxml="$xml"
counts=$(/usr/bin/python3 - "$xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 1 0")  # pytest died before writing its report: one failure
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
s = sum(int(s.get("skipped", 0)) for s in suites)
bad = [c.get("classname", "") + "::" + c.get("name", "") for c in root.iter("testcase")
       if c.find("failure") is not None or c.find("error") is not None]
print(t - f - s, f, s, " ".join(bad))
PY
)
set -- $counts
total_pass=$((total_pass + $1))
total_fail=$((total_fail + $2))
total_skip=$((total_skip + $3))
shift 3
[ $# -eq 0 ] || failed_parts="$failed_parts $*"

echo "== summary"
[ -z "$failed_parts" ] || echo "failed:$failed_parts"
if [ "$total_skip" -ne 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
