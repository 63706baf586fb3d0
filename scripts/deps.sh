#!/bin/sh
# deps.sh - install the Debian packages Kiln needs to build and test, if missing.
# Idempotent and quiet when everything is present. Usage: deps.sh [bench]
set -eu

# Build: compiler and binutils; tests: QEMU, cmocka, pytest; cpio for images.
pkgs="gcc make binutils libc6-dev linux-libc-dev qemu-system-x86 libcmocka-dev python3 python3-pytest cpio"
# Guest programs: musl builds; busybox and bash-static run unmodified
# inside images (tests/e2e/test_shell.py).
pkgs="$pkgs musl-tools busybox-static bash-static golang-go"
# Fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes;
# llvm's llvm-symbolizer names the source lines in a crash report.
pkgs="$pkgs clang libclang-rt-14-dev llvm"
# The HTTP test fetches from the guest's server with curl; the tap tests
# make a network namespace and a tap device with iproute2's ip.
pkgs="$pkgs curl iproute2"
# kiln build --from (cli/oci_*.c) links Debian's libraries for the
# standard formats: libarchive (layer tars, gzip, zstd), libcurl
# (registries), json-c and OpenSSL's libcrypto (sha256); tests/e2e/test_oci.py
# pushes to Debian's docker-registry (distribution) on 127.0.0.1;
# tests/e2e/test_oci_tls.py serves it over TLS with a CA made by openssl
# and htpasswd (apache2-utils, below) authentication; ca-certificates is
# the system CA store libcurl checks registries against (a minimal Debian
# lacks it, and libcurl then fails before any certificate is looked at).
pkgs="$pkgs libarchive-dev libcurl4-openssl-dev libjson-c-dev libssl-dev docker-registry openssl ca-certificates"
# tests/e2e/test_containerd.py starts Debian's containerd (ctr and the
# runc shim come with it) with kiln-runtime as the shim's runc.
pkgs="$pkgs containerd"
# make test checks that the C sources are as .clang-format lays them out.
pkgs="$pkgs clang-format"
# Real programs, unmodified from Debian, run under Kiln and natively by
# tests/e2e/test_apps.py (redis-tools and apache2-utils are the clients).
pkgs="$pkgs python3 sqlite3 lua5.4 redis-server redis-tools nginx-light apache2-utils"
# Enough for a minbase Debian 12 with git and make (scripts/fresh_root.sh
# checks it): the rest the build and tests run (cmp, find, timeout,
# unshare, gzip, tar) is in Essential packages, and the Go build fetches
# nothing (tests/go requires no module), so needs no ca-certificates.
# make bench passes "bench": ab and busybox are above; the benches' Linux
# baseline (bench/linux_microvm.py) is built from Debian's kernel source
# with its build dependencies, and gnuplot draws the figures of
# docs/performance.md. None of these is needed by make test.
if [ "${1:-}" = bench ]; then
	pkgs="$pkgs linux-source-6.1 bc bison flex libelf-dev libssl-dev perl xz-utils gnuplot-nox"
fi

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null; then
	SUDO=sudo
else
	# A minimal Debian has no sudo: say what to do rather than "not found".
	echo "deps: missing$missing; run this as root (sudo is not installed)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
# Through env, as sudo keeps none of ours. Without apt-utils (a minimal
# Debian) debconf warns it delays configuring: nothing to act on.
apt="env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get"
# shellcheck disable=SC2086
$SUDO $apt update -qq >/dev/null
# Installing redis-server and nginx would start them as system services
# (their packages' scripts ask invoke-rc.d); the tests start their own
# copies. A policy-rc.d that says "no" stops that for this install only.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
# shellcheck disable=SC2086
$SUDO $apt install -y -qq --no-install-recommends $missing >/dev/null || {
	[ -z "$made_policy" ] || $SUDO rm -f "$policy"
	exit 1
}
[ -z "$made_policy" ] || $SUDO rm -f "$policy"
