"""syscalls.py - syscall and runtime micro-benchmarks: bench/progs/syscalls.c,
one static musl binary, run by Kiln and by the Linux guest on the same QEMU
(microvm), accelerator, CPU model and guest memory, boots interleaved
(kiln, linux, linux mitigations=off, kiln, ...) so drift hits all alike.

  clock   clock_gettime(CLOCK_MONOTONIC) through libc: the vDSO on both
  tod     gettimeofday through libc: the vDSO on both
  getpid  syscall(SYS_getpid): the cheapest real system call
  open    open + close of an existing 4 KiB file in /tmp
  stat    stat of that file
  mmap    mmap 4 KiB anonymous + first write (a page fault) + munmap
  tcp     1-byte round trip over one loopback TCP connection (TCP_NODELAY)
          between two threads
  futex   round trip of two threads through two futex words (raw
          FUTEX_WAIT/FUTEX_WAKE, private)
  pipe    1-byte round trip between two threads through two pipes
  fileio  pwrite 4 KiB + pread it back at offset 0 of a /tmp file
  fork    fork + _exit(0) in the child + waitpid

Every boot runs all the tests in turn, each timed inside the guest with
CLOCK_MONOTONIC after a warm-up of a tenth of its loop; every result is
checked.  One figure per boot and test; the table shows the median and
min-max over the boots, and linux/kiln of the medians (above 1: Kiln
faster).

Target: linux/kiln >= 1.2x on every line (against Linux's default command
line).

Then what `kiln run` adds to a boot: the wall time (and the CPU time of
the process tree) of `kiln run IMAGE` of a static musl hello, from launch
to exit, against the bare PVH stub of bench/boot.py (it only exits) on
QEMU's own minimal command line, RUN_RUNS interleaved runs each; median
and min-max.  Target: kiln run <= 1.1x the stub (wall, medians).  A third
row boots the stub with the machine and memory options `kiln run` gives
QEMU (microvm without ACPI, memfd guest RAM, split-wx code buffer:
cli/qemu.c), so the part of the ratio those options win is visible.

Missed targets are listed at the end and the script exits 2; a broken
setup or a Kiln failure exits 1.

usage: python3 bench/syscalls.py [--runs N] [--no-linux]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import boot
import interleave
import linux_guest
from boot import BenchError

ROOT, OUT = boot.ROOT, boot.OUT
KILN, MEM = interleave.KILN, interleave.MEM
TESTS = ("clock", "tod", "getpid", "open", "stat", "mmap", "tcp", "futex",
         "pipe", "fileio", "fork")
# Loops per boot: about 0.05-0.3 s of the Linux guest's time each under
# TCG on an idle host (0.1-1 s under a load of 15-30; Linux's mmap loop,
# 0.8 ms a call, took 4 s of each boot at 5000).  open and tcp keep their
# counts: at a third of them one loaded run moved their ratios (tcp
# 1.46x -> 0.71x, open 1.62x -> 1.20x); the next run, at these counts,
# gave 0.94x and 0.93x, so not the count, but they cost little.
ITERS = {"tcg": {"clock": 200000, "tod": 200000, "getpid": 50000,
                 "open": 10000, "stat": 10000, "mmap": 1000, "tcp": 3000,
                 "futex": 5000, "pipe": 5000, "fileio": 5000,
                 "fork": 100},
         "kvm": {"clock": 200000, "tod": 200000, "getpid": 1000,
                 "open": 100, "stat": 100, "mmap": 100, "tcp": 100,
                 "futex": 100, "pipe": 100, "fileio": 100, "fork": 30}}
MIN_RUNS = interleave.MIN_RUNS
TARGET = 1.2
RUN_RUNS = 10
RUN_TARGET = 1.1
HELLO_OUT = b"hello from kiln bench\n"
RESULT_RE = re.compile(r"^(\w+): \d+ ops, ([0-9.]+) ns/op$", re.M)

# Linux's /init: /dev, /proc and /tmp as Kiln has them, loopback up (Kiln's
# is always up), the program, then power off.  A failure is printed.
INIT = """#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /dev /proc /tmp
$B mount -t devtmpfs dev /dev
$B mount -t proc proc /proc
$B ifconfig lo 127.0.0.1 up
/bin/syscalls %s || echo "init: syscalls exited $?"
exec $B poweroff -f
"""


def build(name="syscalls"):
    """Compile bench/progs/NAME.c static with musl; its Kiln image; return
    both."""
    prog = os.path.join(OUT, name)
    boot.run_checked(["musl-gcc", "-static", "-O2", "-pthread", "-Wall",
                      "-Wextra", "-Werror", "-o", prog,
                      os.path.join(ROOT, "bench", "progs", name + ".c")])
    image = os.path.join(OUT, name + ".img")
    boot.run_checked([KILN, "build", "-o", image, prog])
    return prog, image


def timed(argv):
    """(wall s, CPU s of the process tree, status, stdout) of one run."""
    before = os.times()
    start = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=interleave.TIMEOUT["tcg"])
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user + after.children_system -
           before.children_user - before.children_system)
    return wall, cpu, p.returncode, p.stdout


def measure_run(runs):
    """`kiln run` of hello against the PVH stub, interleaved; return
    {"stub": (walls, cpus), "kiln run": (walls, cpus)}."""
    _, image = build("hello")
    stub = boot.QEMU_BASE + boot.ACCEL["tcg"] + ["-kernel",
                                                 boot.build_stub()]
    kflags = [{"microvm": "microvm,acpi=off",
               "tcg": "tcg,split-wx=on"}.get(a, a) for a in stub]
    kflags[1:1] = ["-m", "128M", "-object",
                   "memory-backend-memfd,id=ram,size=128M", "-machine",
                   "memory-backend=ram"]
    kiln = [KILN, "run", "--accel", "tcg", image]
    got = {"stub": ([], []), "stub (kiln's flags)": ([], []),
           "kiln run": ([], [])}
    timed(kiln)                       # untimed: warm the page cache
    for _ in range(runs):
        for name, argv, ok in (("stub", stub, boot.DEBUG_EXIT_OK),
                               ("stub (kiln's flags)", kflags,
                                boot.DEBUG_EXIT_OK),
                               ("kiln run", kiln, 0)):
            wall, cpu, rc, out = timed(argv)
            if rc != ok or (name == "kiln run" and out != HELLO_OUT):
                raise BenchError("%s exited %d, printed %r" % (
                    " ".join(argv), rc, out[:200]))
            got[name][0].append(wall * 1000)
            got[name][1].append(cpu * 1000)
    return got


def print_run(got):
    """The kiln run table and its target; return the missed targets."""
    print("\n%-20s %-26s %-26s" % ("tcg", "wall ms median (min-max)",
                                  "cpu ms median (min-max)"))
    for name, (walls, cpus) in got.items():
        print("%-20s %-26s %-26s" % (name, "%.1f (%.1f-%.1f)" % (
            statistics.median(walls), min(walls), max(walls)),
            "%.0f (%.0f-%.0f)" % (statistics.median(cpus), min(cpus),
                                  max(cpus))))
    ratio = (statistics.median(got["kiln run"][0]) /
             statistics.median(got["stub"][0]))
    cpu_ratio = (statistics.median(got["kiln run"][1]) /
                 max(statistics.median(got["stub"][1]), 1e-9))
    same = (statistics.median(got["kiln run"][0]) /
            statistics.median(got["stub (kiln's flags)"][0]))
    ok = ratio <= RUN_TARGET
    print("tcg kiln run/stub wall %.2fx (cpu %.2fx), target <= %.1fx %s" % (
        ratio, cpu_ratio, RUN_TARGET, boot.verdict(ok)))
    print("tcg kiln run/stub with kiln's flags wall %.2fx (no target)" % same)
    return [] if ok else ["tcg kiln run/stub %.2fx" % ratio]


def parse(out):
    """{test: ns/op} from the program's lines."""
    text = out.replace(b"\r", b"").decode(errors="replace")
    return {m.group(1): float(m.group(2)) for m in RESULT_RE.finditer(text)}


BENCH = interleave.GuestBench(TESTS, ITERS, parse)


def prepare_linux(prog, accel):
    """(vmlinuz, initramfs) or a string saying why Linux is absent."""
    return BENCH.prepare_linux("syscalls", INIT, [("bin/syscalls", prog)],
                               accel)


def print_results(accel, cols):
    """The table and the targets; return the list of missed targets."""
    systems = list(cols)
    print("%-5s %-6s %-5s " % ("accel", "test", "unit") + " ".join(
        "%-24s" % (s + " median (min-max)") for s in systems) + " ratio")
    missed = []
    for test in TESTS:
        kiln = cols["kiln"].median(test)
        line = "%-5s %-6s %-5s " % (accel, test, "ns/op") + " ".join(
            interleave.spread(cols[s], test) for s in systems)
        cell, ratio, ok = interleave.ratio_cell(
            cols, test, kiln, lambda lx, k: lx >= TARGET * k)
        line += cell
        if not ok:
            missed.append("%s %s %.2fx" % (accel, test, ratio))
        print(line)
    interleave.print_notes(accel, cols)
    return missed


def print_header(linux, accels, runs):
    print("Syscall benchmark: QEMU %s, -M microvm, -m %s, 1 vCPU, "
          "-cpu max (tcg)" % (boot.qemu_version(), MEM))
    print("host: %d CPUs; KVM %s" % (
        os.cpu_count() or 0,
        boot.kvm_state(accels)))
    print("program: bench/progs/syscalls.c (musl-gcc -static -O2 -pthread),"
          " the same\n         binary on both sides; kiln: `kiln run "
          "--mem %s`" % MEM)
    if isinstance(linux, str):
        print("linux: unavailable: " + linux)
    elif linux:
        print("linux: %s, busybox initramfs, /init mounts /dev and /proc,"
              "\n       brings lo up, runs syscalls, then `poweroff -f`;"
              " -append \"%s\"\n"
              "       (linux-nomit: the same + mitigations=off)" % (
                  os.path.basename(linux[0]), linux_guest.cmdline()))
    BENCH.print_loops(accels, runs)
    print("figures: ns per operation timed in the guest; ratio linux/kiln "
          "of medians\n         (> 1: Kiln faster); target >= %.1fx\n" %
          TARGET)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=MIN_RUNS,
                    help="interleaved boots per system (default %d)" %
                    MIN_RUNS)
    ap.add_argument("--no-linux", action="store_true")
    ap.add_argument("--only", help="comma-separated tests to run")
    ap.add_argument("--run-runs", type=int, default=RUN_RUNS,
                    help="interleaved kiln run/stub pairs (default %d; 0 "
                    "skips)" % RUN_RUNS)
    # run.sh hands every bench the same options; boots here are
    # interleaved, so Linux runs as often as Kiln and this is ignored.
    ap.add_argument("--linux-runs", type=int, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    interleave.require_built()
    global TESTS
    if opts.only:
        TESTS = tuple(t for t in TESTS if t in opts.only.split(","))
        BENCH.tests = TESTS
    started = time.perf_counter()
    os.makedirs(OUT, exist_ok=True)
    accels = ["tcg", "kvm"] if boot.kvm_usable() else ["tcg"]
    prog, image = build()
    linux = {a: None if opts.no_linux else prepare_linux(prog, a)
             for a in accels}
    print_header(linux[accels[0]], accels, opts.runs)
    missed = []
    for accel in accels if TESTS else []:
        cols = BENCH.measure(accel, image, linux[accel], opts.runs)
        missed += print_results(accel, cols)
    if opts.run_runs > 0:
        missed += print_run(measure_run(opts.run_runs))
    interleave.finish(missed, opts.runs, started)


if __name__ == "__main__":
    boot.run_main(main)
