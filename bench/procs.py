"""procs.py - process benchmark: bench/progs/procs.c, one static musl
binary, run by Kiln and by the Linux baseline on the same QEMU (microvm),
accelerator, CPU model and guest memory, boots interleaved
(kiln, linux, linux mitigations=off, kiln, ...) so drift hits all alike.

  fork      ns per fork + _exit(0) in the child + waitpid in the parent
  exec      ns per fork + execve("/bin/hello") + waitpid: the child
            replaces itself with a static musl hello (stdout /dev/null)
  vfork     ns per vfork + execve("/bin/hello") + waitpid
  spawn     ns per posix_spawn("/bin/hello") + waitpid (musl's: a
            CLONE_VM|CLONE_VFORK child on its own stack, then execve)
  pingpong  ns per 1-byte round trip between two processes, two pipes
  stream    ns per 64 KiB carried by a pipe from a writer process to a
            reader process (write(64 KiB) in one, read(64 KiB) in the
            other; MB/s beside it)

Every boot runs all six in turn, each timed inside the guest with
CLOCK_MONOTONIC (the vDSO on both sides) after a warm-up of a tenth of
its loop; each child's exit status and every byte are checked.  One
figure per boot and test; the table shows the median and min-max over
the boots, and linux/kiln of the medians (above 1: Kiln faster).

Target: Kiln faster than the Linux guest (default command line) on every
line.  Missed targets are listed at the end and the script exits 2; a
broken setup or a Kiln failure exits 1.

usage: python3 bench/procs.py [--runs N] [--no-linux]
"""

import argparse
import os
import platform
import re
import sys
import time

import boot
import interleave
import linux_guest
from interleave import spread

ROOT, OUT = boot.ROOT, boot.OUT
KILN, MEM = interleave.KILN, interleave.MEM
TESTS = ("fork", "exec", "vfork", "spawn", "pingpong", "stream")
UNIT = {"fork": "ns/op", "exec": "ns/op", "vfork": "ns/op",
        "spawn": "ns/op", "pingpong": "ns/rt", "stream": "ns/64K"}
CHUNK = 64 * 1024
# Loops per boot: about 0.2-0.3 s of the Linux guest's time each under
# TCG on an idle host (1-1.5 s under a load of 15-30), Kiln's 2-8x less.
# Each figure is a mean over its loop and the spread comes from the boots,
# so longer loops buy little: at 1000 forks and 300 execs the Linux boot
# took ~30 s here under load, most of the bench's wall time.
ITERS = {"tcg": {"fork": 200, "exec": 60, "vfork": 60, "spawn": 60,
                 "pingpong": 2000, "stream": 300},
         "kvm": {"fork": 100, "exec": 30, "vfork": 30, "spawn": 30,
                 "pingpong": 500, "stream": 100}}
MIN_RUNS = interleave.MIN_RUNS

RESULT_RE = re.compile(r"^(\w+): (\d+) ops \([^)]*\), ([0-9.]+) ns/op$",
                       re.M)

# Linux's /init: /dev as Kiln has it (the program opens /dev/null), the
# program, then power off.  A failure is printed, never hidden.
INIT = """#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /dev /proc
$B mount -t devtmpfs dev /dev
$B mount -t proc proc /proc
/bin/procs %s || echo "init: procs exited $?"
exec $B poweroff -f
"""


def build():
    """Compile procs and hello static with musl; the Kiln image (hello at
    /bin/hello); return (procs, hello, image) paths."""
    paths = {}
    for name in ("procs", "hello"):
        paths[name] = os.path.join(OUT, name)
        boot.run_checked(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra",
                          "-Werror", "-o", paths[name],
                          os.path.join(ROOT, "bench", "progs", name + ".c")])
    image = os.path.join(OUT, "procs.img")
    boot.run_checked([KILN, "build", "-o", image, "--file",
                      paths["hello"] + ":/bin/hello", paths["procs"]])
    return paths["procs"], paths["hello"], image


def parse(out):
    """{test: ns/op} from procs' lines."""
    text = out.replace(b"\r", b"").decode(errors="replace")
    return {m.group(1): float(m.group(3)) for m in RESULT_RE.finditer(text)}


BENCH = interleave.GuestBench(TESTS, ITERS, parse)


def prepare_linux(procs, hello, accel):
    """(vmlinuz, initramfs) or a string saying why Linux is absent."""
    return BENCH.prepare_linux("procs", INIT, [("bin/procs", procs),
                                               ("bin/hello", hello)], accel)


def print_results(accel, cols):
    """The table and the targets; return the list of missed targets."""
    systems = list(cols)
    print("%-5s %-8s %-6s " % ("accel", "test", "unit") + " ".join(
        "%-24s" % (s + " median (min-max)") for s in systems) + " ratio")
    missed = []
    for test in TESTS:
        kiln = cols["kiln"].median(test)
        line = "%-5s %-8s %-6s " % (accel, test, UNIT[test]) + " ".join(
            spread(cols[s], test) for s in systems)
        cell, ratio, ok = interleave.ratio_cell(cols, test, kiln,
                                                lambda lx, k: lx > k)
        line += cell
        if not ok:
            missed.append("%s %s: linux/kiln %.2fx, target > 1x" % (
                accel, test, ratio))
        print(line)
    mbs = ["%s %.0f" % (s, CHUNK / cols[s].median("stream") * 1e3)
           for s in systems if cols[s].median("stream")]
    print("%-5s stream MB/s (medians): %s" % (accel, ", ".join(mbs)))
    interleave.print_notes(accel, cols)
    return missed


def print_header(linux, accels, runs):
    print("Process benchmark: QEMU %s, -M microvm, -m %s, 1 vCPU, "
          "-cpu max (tcg)" % (boot.qemu_version(), MEM))
    print("host: %s, %d CPUs; KVM %s" % (
        platform.machine(), os.cpu_count() or 0,
        boot.kvm_state(accels)))
    print("program: bench/progs/procs.c and hello.c (musl-gcc -static -O2),"
          " the same\n         binaries on both sides; kiln: `kiln run "
          "--mem %s`" % MEM)
    if isinstance(linux, str):
        print("linux: unavailable: " + linux)
    elif linux:
        print("linux: %s, busybox initramfs, /init mounts /dev and /proc,"
              "\n       runs procs, then `poweroff -f`; -append \"%s\"\n"
              "       (linux-nomit: the same + mitigations=off)" % (
                  os.path.basename(linux[0]), linux_guest.cmdline()))
    BENCH.print_loops(accels, runs)
    print("figures: ns per operation timed in the guest; ratio linux/kiln "
          "of medians\n         (> 1: Kiln faster)\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=MIN_RUNS,
                    help="interleaved boots per system (default %d)" %
                    MIN_RUNS)
    ap.add_argument("--no-linux", action="store_true")
    # run.sh hands every bench the same options; boots here are
    # interleaved, so Linux runs as often as Kiln and this is ignored.
    ap.add_argument("--linux-runs", type=int, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    interleave.require_built()
    started = time.perf_counter()
    os.makedirs(OUT, exist_ok=True)
    accels = ["tcg", "kvm"] if boot.kvm_usable() else ["tcg"]
    procs, hello, image = build()
    linux = {a: None if opts.no_linux else prepare_linux(procs, hello, a)
             for a in accels}
    print_header(linux[accels[0]], accels, opts.runs)
    missed = []
    for accel in accels:
        cols = BENCH.measure(accel, image, linux[accel], opts.runs)
        missed += print_results(accel, cols)
    interleave.finish(missed, opts.runs, started)


if __name__ == "__main__":
    boot.run_main(main)
