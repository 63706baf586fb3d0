#!/bin/sh
# Usage: sh scripts/fresh_root.sh [-b] [-c CACHEDIR] [-r] [-k] [-n LINES] [-t SECONDS] [REV]
#
# fresh_root.sh - checks that the README's two set-up commands work as the
# very first command on a bare Debian 12. `make run`, then `make test`, each
# runs as root in a pristine minbase bookworm root (plus git and make,
# nothing else) holding a clone of this repository at REV (default HEAD;
# committed content only), from the clone, with stdin from /dev/null.
# Prints each command's exit status, time and last LINES (default 15)
# lines; exits non-zero if either fails.
#
#   -b           run `make bench` instead, as the first command (issue 16:
#                the bench installs what it needs and builds its Linux
#                baseline from a fresh clone); missed targets count as
#                ran, a failed bench or build as failed
#   -c CACHEDIR  where the debootstrapped base (a tarball, reused by later
#                checks, which each unpack a pristine copy), the check's
#                root and its logs live (default /var/tmp/kiln-fresh-root)
#   -r           debootstrap the base again rather than reuse it
#   -k           keep the last command's root afterwards (removed by default)
#   -n LINES     how much of each command's output to show (default 15)
#   -t SECONDS   bound on each command (default 3600; 10800 with -b)
#
# Needs root (debootstrap, chroot, mounts); installs debootstrap with
# apt-get if missing and uses the Debian mirror apt already uses. Runs in a
# mount namespace of its own, so nothing it mounts is seen outside, and
# unmounts /proc, /sys, /dev and /dev/pts from the root on any exit.
set -eu

SUITE=bookworm
cache=/var/tmp/kiln-fresh-root
rebase=0
bench=0
keep=0
lines=15
limit=

die() {
	echo "fresh_root: $*" >&2
	exit 1
}
usage() {
	sed -n 2p "$0" | sed 's/^# //' >&2
	exit 2
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
command -v unshare >/dev/null || die "needs unshare"
# Everything in a private mount namespace: mounts made for the check never
# reach the host's tree, and vanish with the namespace at the latest.
if [ -z "${KILN_FRESH_ROOT_NS:-}" ]; then
	KILN_FRESH_ROOT_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi

while getopts bc:rkn:t:h opt; do
	case $opt in
	b) bench=1 ;;
	c) cache=$OPTARG ;;
	r) rebase=1 ;;
	k) keep=1 ;;
	n) lines=$OPTARG ;;
	t) limit=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
rev=${1:-HEAD}
# A fresh make bench also builds its Linux baseline: issue 16 allows an
# hour, and a shared host takes longer.
[ -n "$limit" ] || limit=$([ $bench = 1 ] && echo 10800 || echo 3600)
case $lines$limit in *[!0-9]*) usage ;; esac
case $cache in /*) ;; *) cache=$(pwd)/$cache ;; esac

for tool in git chroot flock timeout; do
	command -v "$tool" >/dev/null || die "needs $tool"
done

# The repository this script belongs to, and the commit to check.
here=$(cd "$(dirname "$0")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null) ||
	die "$here is not in a git repository"
commit=$(git -C "$top" rev-parse --verify -q "$rev^{commit}") ||
	die "$rev: no such commit"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
exec 9>"$cache/lock"
flock -n 9 || die "another check holds $cache/lock"

# ---- The mirror apt already uses, from one-line and deb822 sources ----
# mirror SUITE: the first URI of a "deb" source for SUITE, or nothing.
mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v suite="$1" '
			{ sub(/#.*/, "") }
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) { print $i; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$1" '
			function check(   n, i, s) {
				if (types ~ /(^| )deb( |$)/ && enabled != "no") {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++)
						if (s[i] == suite) { split(uris, s, " "); print s[1]; exit }
				}
				types = uris = suites = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { check(); next }
			tolower($1) == "types:" { $1 = ""; types = $0 " " }
			tolower($1) == "uris:" { $1 = ""; uris = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { check() }' "$f"
	done
}
MIRROR=$(mirror "$SUITE" | head -n 1)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=$(mirror "$SUITE-security" | head -n 1)
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}

# ---- The base: minbase + git + make, debootstrapped once, kept as a tarball ----
base=$cache/base-$SUITE.tar
if [ $rebase = 1 ] || [ ! -s "$base" ]; then
	if ! command -v debootstrap >/dev/null; then
		echo "fresh_root: installing debootstrap" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap \
			>"$cache/apt.log" 2>&1 || {
			DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$cache/apt.log" 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap \
					>>"$cache/apt.log" 2>&1
		} || die "could not install debootstrap (see $cache/apt.log)"
	fi
	stage=$cache/base.stage
	rm -rf --one-file-system "$stage" "$base.tmp"
	echo "fresh_root: debootstrap $SUITE from $MIRROR" >&2
	debootstrap --variant=minbase --include=git,make "$SUITE" "$stage" "$MIRROR" \
		>"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed (see $cache/debootstrap.log)"
	# What a new Debian 12 has: the release, its updates and security.
	cat >"$stage/etc/apt/sources.list" <<-EOF
	deb $MIRROR $SUITE main
	deb $MIRROR $SUITE-updates main
	deb $SECURITY $SUITE-security main
	EOF
	rm -rf "$stage"/var/lib/apt/lists/* "$stage"/var/cache/apt/archives/*.deb
	tar -C "$stage" --numeric-owner -cf "$base.tmp" . ||
		die "could not archive the base"
	mv "$base.tmp" "$base"
	rm -rf --one-file-system "$stage"
fi

# ---- Each command's root: a pristine copy of the base ----
root=$cache/root
logs=$cache/logs

# Processes still running in the root (a VM a test left behind), by id.
kill_inside() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] || continue
		kill -KILL "${p#/proc/}" 2>/dev/null || true
	done
}
# Every mount at or under the root, deepest first.
mounts_inside() {
	awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r
}
unmount_all() {
	kill_inside
	for m in $(mounts_inside); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	[ -z "$(mounts_inside)" ]
}
running=
cleanup() {
	status=$?
	if [ -n "$running" ]; then
		kill -TERM "$running" 2>/dev/null || true
		wait "$running" 2>/dev/null || true
	fi
	unmount_all || echo "fresh_root: could not unmount everything under $root" >&2
	if [ $keep = 0 ] && [ -z "$(mounts_inside)" ]; then
		rm -rf --one-file-system "$root"
	fi
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

rm -rf --one-file-system "$logs"
mkdir -p "$logs"

# prepare: the root afresh from the base, the repository cloned into it
# (committed content only, where a user would have it), /proc, /sys, /dev,
# /dev/pts and a /dev/shm of its own mounted (shm_open needs it, as on a
# booted machine).
src=/root/kiln
prepare() {
	unmount_all || die "$root: cannot unmount what the last command left"
	rm -rf --one-file-system "$root"
	mkdir -p "$root"
	tar -C "$root" --numeric-owner -xpf "$base" || die "could not unpack $base"
	# The host's name service, as the new machine's would be.
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	git clone -q --no-checkout "$top" "$root$src" || die "git clone failed"
	git -C "$root$src" checkout -q --detach "$commit" ||
		die "git checkout $commit failed"
	git -C "$root$src" remote remove origin
	# / is a mount point on a real machine, and `ip netns exec` (the tap
	# tests) needs it to be one.
	if ! { mount --bind "$root" "$root" &&
		mount -t proc proc "$root/proc" &&
		mount --bind /sys "$root/sys" &&
		mount --bind /dev "$root/dev" &&
		mount --bind /dev/pts "$root/dev/pts" &&
		mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"; }; then
		die "could not mount /proc, /sys, /dev, /dev/pts or /dev/shm in $root"
	fi
}

# step NAME COMMAND: COMMAND as the first thing in a pristine root, from
# the clone, as a fresh login would run it: nothing of this shell's
# environment, stdin /dev/null. Its output goes to $logs/NAME.log, its
# status to $logs/NAME.status.
step() {
	log=$logs/$1.log
	prepare
	start=$(date +%s)
	set +e
	timeout -k 10 "$limit" chroot "$root" /usr/bin/env -i \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/sh TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c "cd $src && $2" </dev/null >"$log" 2>&1 9>&- &
	# Waited for in the background, so that a signal to this script is
	# acted on at once rather than when the command ends.
	running=$!
	wait "$running"
	rc=$?
	running=
	set -e
	kill_inside
	secs=$(($(date +%s) - start))
	echo "$rc" >"$logs/$1.status"
	echo "== $2: exit status $rc after ${secs}s$([ $rc = 124 ] && echo " (timed out)")" \
		"(last $lines lines; all in $log)"
	tail -n "$lines" "$log"
	echo
	return "$rc"
}

echo "fresh_root: $SUITE minbase + git + make, kiln at $(git -C "$top" log -1 --format='%h %s' "$commit")"
failed=""
if [ $bench = 1 ]; then
	# make's own status is 2 for any failed recipe, so bench/run.sh's
	# verdict line in the log tells a miss from a failure.
	if step bench "make bench"; then
		echo "fresh_root: make bench ran and met every target"
	elif grep -q '^bench: FAILED' "$logs/bench.log" ||
		! grep -q '^bench: targets missed in' "$logs/bench.log"; then
		echo "fresh_root: make bench failed"
		exit 1
	else
		echo "fresh_root: make bench ran (some targets missed)"
	fi
	exit 0
fi
step run "make run" || failed="$failed run"
step test "make test" || failed="$failed test"
if [ -n "$failed" ]; then
	echo "fresh_root: failed:$failed"
	exit 1
fi
echo "fresh_root: both commands passed"
