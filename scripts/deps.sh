#!/bin/sh
# deps.sh - install the Debian packages Kiln needs to build and test, if missing.
# Idempotent and quiet when everything is present. Usage: deps.sh [bench]
set -eu

# Build: compiler and binutils; tests: QEMU, cmocka, pytest; cpio for images.
pkgs="gcc make binutils libc6-dev linux-libc-dev qemu-system-x86 libcmocka-dev python3 python3-pytest cpio"
# Guest programs: musl builds; busybox runs unmodified inside images.
pkgs="$pkgs musl-tools busybox-static golang-go"
# Fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes;
# llvm's llvm-symbolizer names the source lines in a crash report.
pkgs="$pkgs clang libclang-rt-14-dev llvm"
# The HTTP test fetches from the guest's server with curl; the tap tests
# make a network namespace and a tap device with iproute2's ip.
pkgs="$pkgs curl iproute2"
if [ "${1:-}" = bench ]; then
	# bench/net.py loads the guests' HTTP server with ab (apache2-utils).
	pkgs="$pkgs busybox-static apache2-utils"
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

echo "deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
