"""blk.py - disk benchmark: bench/progs/blkio.c on /dev/vda under Kiln and
under the Linux baseline on the same QEMU (microvm), accelerator and disk
options (a raw file, cache=writeback, virtio-blk over virtio-mmio).

  randread  4 KiB reads at random 4 KiB-aligned offsets of a 64 MiB disk
            just created (so mostly misses in either guest's cache), IOPS
  seqwrite  32 sequential 1 MiB writes then fsync, MB/s (the fsync makes
            both guests write back and send the device a FLUSH, which
            QEMU turns into an fdatasync of the host file)

Both guests go through their block cache (no O_DIRECT).  One boot runs
both tests in turn on a fresh disk (randread first, while the disk is
still all holes); --runs boots of each side, interleaved; medians, one
line per test.  Without the Linux
kernel package (no apt, no network) only Kiln's lines are printed.

Then ext4 (bench/progs/fsio.c on a 128 MiB ext4 made by mke2fs -d,
mounted read-write at /data by Kiln and at /mnt by Linux's ext4, both
data=ordered with the journal):

  seqfsync  16 writes of 1 MiB to a new file, fsync after each, MB/s
  randread  4 KiB preads at random offsets of a 32 MiB file the host
            made (not in either guest's cache at boot), IOPS
  create    200 new files of 4 KiB, each fsync'd, files/s
  bigcreate the same in a directory already holding 10000 names (made
            by mke2fs -d, hashed by e2fsck -fD as Linux would), files/s
  bigstat   stat of 2000 of those 10000 names, stats/s

One boot runs the tests in turn on a fresh copy of the file
system (randread first, so the file is still out of the guest's cache;
then seqfsync, create, bigcreate, bigstat); --fs-runs boots of each side, interleaved
(Kiln, Linux, Kiln, ...), so a change in the host's load hits both;
median and spread (min..max).
Target: Kiln within 10% of Linux or faster on each; the exit status is
2 when one is missed.

usage: python3 bench/blk.py [--runs N] [--fs-runs N] [--no-linux]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import boot
import linux_guest
from boot import BenchError

ROOT, OUT = boot.ROOT, boot.OUT
KILN = os.path.join(ROOT, "build", "kiln")
DISK_MIB = 64
# In the order one boot runs them.
TESTS = {"randread": ["randread", "2000"], "seqwrite": ["seqwrite", "32"]}
RESULT_RE = re.compile(rb"^(randread|seqwrite): ([0-9.]+) (IOPS|MB/s)", re.M)
DRIVE = "if=none,id=disk0,format=raw,cache=writeback,discard=unmap,file="

# Linux's /init: the virtio-blk modules, /dev/vda from sysfs, the test.
# Both /inits (this one and FS_INIT's): /proc, /sys, the virtio-blk
# modules, then /dev/vda made from sysfs once the disk appears.
VDA_SETUP = """$B mount -t proc proc /proc
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
"""
INIT = """#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev
""" + VDA_SETUP + """/bin/blkio /dev/vda %(args)s
exec $B poweroff -f
"""


def fresh_disk():
    path = os.path.join(OUT, "blk-disk.img")
    with open(path, "wb") as f:
        f.truncate(DISK_MIB << 20)
    return path


def results(out, where, regex, tests):
    """{test: (value, unit)} of every test in tests, from one boot's
    output."""
    found = {m.group(1).decode(): (float(m.group(2)), m.group(3).decode())
             for m in regex.finditer(out.replace(b"\r", b""))}
    if set(found) != set(tests):
        raise BenchError("%s printed no result for %s:\n%s" % (
            where, ", ".join(sorted(set(tests) - set(found))),
            out.decode(errors="replace")[-2000:]))
    return found


def all_args(tests):
    return [a for t in tests for a in tests[t]]


def kiln_sample(accel, prog):
    argv = [KILN, "run", "--accel", accel, "--timeout",
            str(boot.TIMEOUT[accel]), "--disk", fresh_disk(), prog,
            "/dev/vda"] + all_args(TESTS)
    p = subprocess.run(argv, capture_output=True, timeout=300)
    if p.returncode != 0:
        raise BenchError("%s exited %d:\n%s" % (" ".join(argv), p.returncode,
                                               p.stderr.decode()))
    return results(p.stdout, "kiln", RESULT_RE, TESTS)


def linux_initrd(prog, modules):
    names = [os.path.basename(m)[:-3] for m in modules]
    init = INIT % {"modules": " ".join(names),
                   "args": " ".join(all_args(TESTS))}
    files = [("bin/blkio", prog)] + [("mod/" + os.path.basename(m), m)
                                      for m in modules]
    return linux_guest.write_initramfs(
        os.path.join(OUT, "linux", "blk.cpio"), init.encode(),
        files, dirs=["mod"])


def linux_sample(accel, vmlinuz, initrd):
    wall, out = boot.boot_once(accel, [
        "-m", "128M", "-kernel", vmlinuz, "-initrd", initrd,
        "-append", linux_guest.cmdline(),
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", DRIVE + fresh_disk(),
        "-device", "virtio-blk-device,drive=disk0"], 0)
    if wall is None:
        raise BenchError("the Linux guest timed out")
    return results(out, "linux", RESULT_RE, TESTS)


# ---- ext4: the file system on the same disk path ----

FS_MIB = 128
# In the order one boot runs them (randread first: the file is not in
# the guest's cache yet).
FS_TESTS = {"randread": ["randread", "2000"], "seqfsync": ["seqfsync", "16"],
            "create": ["create", "200"], "bigcreate": ["bigcreate", "200"],
            "bigstat": ["bigstat", "2000"]}
FS_UNIT = {"seqfsync": "MB/s", "randread": "IOPS", "create": "files/s",
           "bigcreate": "files/s", "bigstat": "stats/s"}
FS_RESULT_RE = re.compile(rb"^(seqfsync|randread|create|bigcreate|bigstat): "
                          rb"([0-9.]+) (MB/s|IOPS|files/s|stats/s)", re.M)
MANY = 10000
# Within 10% of Linux, or faster.
TARGET = 0.9

FS_INIT = """#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev /mnt
""" + VDA_SETUP + """$B mount -t ext4 -o data=ordered /dev/vda /mnt || echo "init: FAIL mount"
/bin/fsio /mnt %(args)s
$B umount /mnt
exec $B poweroff -f
"""


def fs_template():
    """The ext4 every run starts from: mke2fs -d over a 32 MiB file."""
    src = os.path.join(OUT, "fs-src")
    img = os.path.join(OUT, "fs-template.img")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    with open(os.path.join(src, "big"), "wb") as f:
        f.write(os.urandom(32 << 20))
    os.makedirs(os.path.join(src, "many"))
    for i in range(MANY):
        open(os.path.join(src, "many", "name-%05d" % i), "wb").close()
    if os.path.exists(img):
        os.unlink(img)
    with open(img, "wb") as f:
        f.truncate(FS_MIB << 20)
    boot.run_checked(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096",
                      "-N", "32768", "-d", src, img])
    # mke2fs -d writes directories linear; e2fsck -D hashes them (exit 1:
    # "file system modified").
    subprocess.run(["e2fsck", "-fyD", img], capture_output=True)
    return img


def fs_copy(template):
    path = os.path.join(OUT, "fs-disk.img")
    boot.run_checked(["cp", "--sparse=always", template, path])
    return path


def fs_kiln_sample(accel, prog, template):
    argv = [KILN, "run", "--accel", accel, "--timeout",
            str(boot.TIMEOUT[accel]), "--disk",
            fs_copy(template) + ":/data", prog, "/data"] + all_args(FS_TESTS)
    p = subprocess.run(argv, capture_output=True, timeout=300)
    if p.returncode != 0:
        raise BenchError("%s exited %d:\n%s%s" % (
            " ".join(argv), p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return results(p.stdout, "kiln", FS_RESULT_RE, FS_TESTS)


def fs_linux_initrd(prog, modules):
    names = [os.path.basename(m)[:-3] for m in modules]
    init = FS_INIT % {"modules": " ".join(names),
                      "args": " ".join(all_args(FS_TESTS))}
    files = [("bin/fsio", prog)] + [("mod/" + os.path.basename(m), m)
                                     for m in modules]
    return linux_guest.write_initramfs(
        os.path.join(OUT, "linux", "fs.cpio"), init.encode(),
        files, dirs=["mod"])


def fs_linux_sample(accel, vmlinuz, initrd, template):
    wall, out = boot.boot_once(accel, [
        "-m", "256M", "-kernel", vmlinuz, "-initrd", initrd,
        "-append", linux_guest.cmdline(),
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", DRIVE + fs_copy(template),
        "-device", "virtio-blk-device,drive=disk0"], 0)
    if wall is None:
        raise BenchError("the Linux guest timed out")
    return results(out, "linux", FS_RESULT_RE, FS_TESTS)


def spread(vals):
    return "%.1f..%.1f" % (min(vals), max(vals))


def fs_bench(accel, runs, linux):
    """The ext4 lines; False when Kiln missed a target."""
    prog = os.path.join(OUT, "fsio")
    boot.run_checked(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra",
                      "-Werror", "-o", prog,
                      os.path.join(ROOT, "bench", "progs", "fsio.c")])
    template = fs_template()
    ok = True
    print("fs: %d MiB ext4 (mke2fs -t ext4), cache=writeback, microvm, %s, "
          "%d interleaved runs each" % (FS_MIB, accel, runs), flush=True)
    initrd = linux and fs_linux_initrd(prog, linux[1])
    kruns, lruns = [], []
    for _ in range(runs):
        kruns.append(fs_kiln_sample(accel, prog, template))
        if linux:
            lruns.append(fs_linux_sample(accel, linux[0], initrd, template))
    for test in ("seqfsync", "randread", "create", "bigcreate", "bigstat"):
        unit = FS_UNIT[test]
        kv = [r[test][0] for r in kruns]
        lv = [r[test][0] for r in lruns]
        k = statistics.median(kv)
        line = "fs: %-8s kiln %8.1f %s [%s]" % (test, k, unit, spread(kv))
        if linux:
            lx = statistics.median(lv)
            hit = k >= TARGET * lx
            ok = ok and hit
            line += ("   linux %8.1f [%s]   kiln/linux %.2f   target >= "
                     "%.1f %s" % (lx, spread(lv), k / lx, TARGET,
                                  boot.verdict(hit)))
        print(line, flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--linux-runs", type=int, default=None)
    ap.add_argument("--fs-runs", type=int, default=5)
    ap.add_argument("--no-linux", action="store_true")
    ap.add_argument("--fs-only", action="store_true")
    opts = ap.parse_args()
    started = time.perf_counter()
    accel = "tcg"
    os.makedirs(OUT, exist_ok=True)
    prog = os.path.join(OUT, "blkio")
    boot.run_checked(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra",
                      "-Werror", "-o", prog,
                      os.path.join(ROOT, "bench", "progs", "blkio.c")])
    linux = None
    if not opts.no_linux:
        try:
            # virtio-blk and ext4 are built into the baseline.
            linux = (linux_guest.baseline_kernel(), [], [])
            linux_guest.ensure_busybox()
        except linux_guest.Unavailable as e:
            print("blk: no Linux baseline (%s)" % e)
    if not opts.fs_only:
        raw_bench(accel, prog, linux, opts)
    ok = fs_bench(accel, opts.fs_runs, linux and (linux[0], linux[2]))
    print("\nbench took %.1f s" % (time.perf_counter() - started))
    if not ok:
        sys.exit(2)


def raw_bench(accel, prog, linux, opts):
    lruns = opts.linux_runs or opts.runs if linux else 0
    print("blk: %d MiB raw disk, cache=writeback, microvm, %s, %d "
          "interleaved runs each" % (DISK_MIB, accel, opts.runs))
    initrd = linux and linux_initrd(prog, linux[1])
    kruns, lxruns = [], []
    for i in range(max(opts.runs, lruns)):
        if i < opts.runs:
            kruns.append(kiln_sample(accel, prog))
        if i < lruns:
            lxruns.append(linux_sample(accel, linux[0], initrd))
    for test in TESTS:
        unit = kruns[0][test][1]
        kiln = statistics.median(r[test][0] for r in kruns)
        line = "blk: %-8s kiln %9.1f %s" % (test, kiln, unit)
        if linux:
            lx = statistics.median(r[test][0] for r in lxruns)
            line += "   linux %9.1f %s   kiln/linux %.2f" % (lx, unit,
                                                             kiln / lx)
        print(line, flush=True)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print("blk: error: %s" % e, file=sys.stderr)
        sys.exit(1)
