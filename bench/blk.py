"""blk.py - disk benchmark: bench/progs/blkio.c on /dev/vda under Kiln and
under the Linux baseline on the same QEMU (microvm), accelerator and disk
options (a raw file, cache=writeback, virtio-blk over virtio-mmio).

  randread  4 KiB reads at random 4 KiB-aligned offsets of a 64 MiB disk
            just created (so mostly misses in either guest's cache), IOPS
  seqwrite  32 sequential 1 MiB writes then fsync, MB/s (the fsync makes
            both guests write back and send the device a FLUSH, which
            QEMU turns into an fdatasync of the host file)

Both guests go through their block cache (no O_DIRECT).  Medians of
--runs boots each; one line per test and system.  Without the Linux
kernel package (no apt, no network) only Kiln's lines are printed.

usage: python3 bench/blk.py [--runs N] [--no-linux]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

import boot
import linux_guest
from boot import BenchError

ROOT, OUT = boot.ROOT, boot.OUT
KILN = os.path.join(ROOT, "build", "kiln")
DISK_MIB = 64
TESTS = {"randread": ["randread", "2000"], "seqwrite": ["seqwrite", "32"]}
RESULT_RE = re.compile(rb"^(randread|seqwrite): ([0-9.]+) (IOPS|MB/s)", re.M)
DRIVE = "if=none,id=disk0,format=raw,cache=writeback,discard=unmap,file="

# Linux's /app: the virtio-blk modules (none for the baseline, where
# virtio-blk is built in), /dev/vda from sysfs, the test; its status ends
# the VM.
INIT = linux_guest.SCRIPT_HEAD + """$B mkdir -p /proc /sys /dev
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
for m in %(modules)s; do
	$B insmod /mod/$m.ko || echo "init: FAIL insmod $m"
done
i=0
until [ -e /sys/block/vda/dev ]; do
	i=$((i + 1)); [ $i -gt 300 ] && echo "init: FAIL no vda" && break
	$B usleep 10000
done
d=$($B cat /sys/block/vda/dev)
$B mknod /dev/vda b ${d%%:*} ${d#*:}
/bin/blkio /dev/vda %(args)s
"""


def fresh_disk():
    path = os.path.join(OUT, "blk-disk.img")
    with open(path, "wb") as f:
        f.truncate(DISK_MIB << 20)
    return path


def result(out, where):
    m = RESULT_RE.search(out.replace(b"\r", b""))
    if not m:
        raise BenchError("%s printed no result:\n%s" % (
            where, out.decode(errors="replace")[-2000:]))
    return float(m.group(2)), m.group(3).decode()


def kiln_sample(accel, prog, args):
    argv = [KILN, "run", "--accel", accel, "--timeout",
            str(boot.TIMEOUT[accel]), "--disk", fresh_disk(), prog,
            "/dev/vda"] + args
    p = subprocess.run(argv, capture_output=True, timeout=300)
    if p.returncode != 0:
        raise BenchError("%s exited %d:\n%s" % (" ".join(argv), p.returncode,
                                               p.stderr.decode()))
    return result(p.stdout, "kiln")


def linux_initrd(prog, modules, test):
    names = [os.path.basename(m)[:-3] for m in modules]
    init = INIT % {"modules": " ".join(names), "args": " ".join(TESTS[test])}
    files = [("bin/blkio", prog)] + [("mod/" + os.path.basename(m), m)
                                      for m in modules]
    return linux_guest.write_initramfs(
        os.path.join(OUT, "linux", "blk-%s.cpio" % test), init.encode(),
        files, dirs=["mod"])


def linux_sample(accel, vmlinuz, initrd):
    wall, out = boot.boot_once(accel, [
        "-m", "128M", "-kernel", vmlinuz, "-initrd", initrd,
        "-append", linux_guest.cmdline(),
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", DRIVE + fresh_disk(),
        "-device", "virtio-blk-device,drive=disk0"], linux_guest.EXIT_OK)
    if wall is None:
        raise BenchError("the Linux guest timed out")
    return result(out, "linux")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--linux-runs", type=int, default=None)
    ap.add_argument("--no-linux", action="store_true")
    opts = ap.parse_args()
    accel = "tcg"
    os.makedirs(OUT, exist_ok=True)
    prog = os.path.join(OUT, "blkio")
    boot.run_checked(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra",
                      "-Werror", "-o", prog,
                      os.path.join(ROOT, "bench", "progs", "blkio.c")])
    linux = None
    if not opts.no_linux:
        try:
            linux = (linux_guest.baseline_kernel(), [])
            linux_guest.ensure_busybox()
        except linux_guest.Unavailable as e:
            print("blk: no Linux baseline (%s)" % e)
    print("blk: %d MiB raw disk, cache=writeback, microvm, %s, %d runs"
          % (DISK_MIB, accel, opts.runs))
    for test in TESTS:
        vals = [kiln_sample(accel, prog, TESTS[test])
                for _ in range(opts.runs)]
        unit = vals[0][1]
        kiln = statistics.median(v for v, _ in vals)
        line = "blk: %-8s kiln %9.1f %s" % (test, kiln, unit)
        if linux:
            initrd = linux_initrd(prog, linux[1], test)
            lx = statistics.median(
                linux_sample(accel, linux[0], initrd)[0]
                for _ in range(opts.linux_runs or opts.runs))
            line += "   linux %9.1f %s   kiln/linux %.2f" % (lx, unit,
                                                             kiln / lx)
        print(line, flush=True)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print("blk: error: %s" % e, file=sys.stderr)
        sys.exit(1)
