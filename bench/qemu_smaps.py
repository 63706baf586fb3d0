"""qemu_smaps.py - where one idle Kiln HTTP server's host memory goes.

Starts tests/guest/http_server under `kiln run -p` (the image
bench/footprint.py uses), waits for its first answer and a few seconds
of idling, then reads /proc/PID/smaps of the QEMU process and sums Rss,
Pss and Private_Dirty by what each mapping is:

  guest RAM        the memory-backend-memfd ("memfd:memory-backend-memfd")
  TCG code buffer  the split-wx memfd ("memfd:tcg-jit"), or the big
                   anonymous rwx mapping without split-wx
  QEMU ROM blocks  other anonymous RAM blocks (firmware, option ROMs)
  heap             [heap]: the main thread's malloc arena
  malloc arenas    the other threads' arenas (64 MiB-aligned reservations)
  thread stacks    [stack] and the 8 MiB anonymous mappings behind a guard
  qemu binary, lib*  file mappings, each object on its own line
  other anon       what is left

usage: python3 bench/qemu_smaps.py [--mem 5M] [--idle S] [--env K=V]...
       [-- extra kiln run options]
"""

import argparse
import os
import re
import subprocess
import sys
import time

import boot
import footprint
import net

HEAD_RE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")
FIELDS = ("Rss", "Pss", "Private_Dirty", "Shared_Clean")
ARENA = 64 << 20


def mappings(pid):
    """[(start, end, perms, name, {field: bytes})] of /proc/PID/smaps."""
    out = []
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            m = HEAD_RE.match(line)
            if m:
                out.append((int(m.group(1), 16), int(m.group(2), 16),
                            m.group(3), m.group(4), {}))
                continue
            key, _, rest = line.partition(":")
            if key in FIELDS and out:
                out[-1][4][key] = int(rest.split()[0]) << 10
    return out


def classify(maps):
    """{category: {field: bytes}} and the list of (category, mapping)."""
    cats = {}
    # An arena is a 64 MiB-aligned reservation: its rw part followed by
    # its --- rest, together 64 MiB.  A thread stack: a guard page, then
    # an rw mapping (8 MiB by default).
    prev = None
    for m in maps:
        start, end, perms, name, vals = m
        size = end - start
        if "memfd:memory-backend" in name:
            cat = "guest RAM"
        elif "memfd:tcg-jit" in name:
            cat = "TCG code buffer"
        elif name == "[heap]":
            cat = "heap (main arena)"
        elif name == "[stack]":
            cat = "thread stacks"
        elif name.startswith("["):
            cat = "kernel " + name
        elif name.startswith("/"):
            cat = os.path.basename(name.split(" ")[0])
            if cat.startswith("qemu-system"):
                cat = "qemu binary"
        elif "rwx" in perms or size >= (256 << 20):
            cat = "TCG code buffer"
        elif start % ARENA == 0 and perms.startswith("rw"):
            cat = "malloc arenas"
        elif (prev is not None and prev[2].startswith("---") and
              perms.startswith("rw") and size in (8 << 20, (8 << 20) - 4096)):
            cat = "thread stacks"
        elif perms.startswith("---"):
            cat = "reserved (no access)"
        else:
            cat = "other anon"
        prev = m
        c = cats.setdefault(cat, dict.fromkeys(FIELDS, 0))
        c["n"] = c.get("n", 0) + 1
        for k in FIELDS:
            c[k] += vals.get(k, 0)
    return cats


def report(pid, out=sys.stdout):
    cats = classify(mappings(pid))
    total = dict.fromkeys(FIELDS, 0)
    rows = sorted(cats.items(), key=lambda kv: -kv[1]["Pss"])
    out.write("%-26s %5s %9s %9s %9s\n" % ("mapping", "n", "Rss KB",
                                          "Pss KB", "PrivDirty"))
    for cat, c in rows:
        if not c["Rss"]:
            continue
        for k in FIELDS:
            total[k] += c[k]
        out.write("%-26s %5d %9d %9d %9d\n" % (
            cat, c["n"], c["Rss"] >> 10, c["Pss"] >> 10,
            c["Private_Dirty"] >> 10))
    out.write("%-26s %5s %9d %9d %9d\n" % ("total", "", total["Rss"] >> 10,
                                          total["Pss"] >> 10,
                                          total["Private_Dirty"] >> 10))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mem", default="5M")
    ap.add_argument("--idle", type=float, default=3.0,
                    help="seconds to idle after the first answer")
    ap.add_argument("--keep", action="store_true",
                    help="print the QEMU pid and wait for Enter before "
                    "killing it")
    ap.add_argument("extra", nargs="*", help="more `kiln run` options")
    opts = ap.parse_args()
    footprint.make_www()
    img = os.path.join(boot.OUT, "qemu-smaps-http.img")
    boot.run_checked([boot.KILN, "build", "-o", img, "--dir",
                      footprint.WWW + ":/www", net.SERVER,
                      str(net.GUEST_PORT), "/www"])
    port = net.free_tcp_port()
    argv = ([boot.KILN, "run", "--accel", "tcg", "--mem", opts.mem,
             "--timeout", "300", "-p", "%d:%d/tcp" % (port, net.GUEST_PORT)]
            + opts.extra + [img])
    vm = footprint.FLEET.start(argv, 300)
    vm.deadline = time.perf_counter() + 120
    try:
        first = net.first_answer(vm, port)
        if first is None:
            raise boot.BenchError("no answer: %s" % vm.why())
        time.sleep(opts.idle)
        pid = footprint.qemu_pid(vm.proc.pid)
        print("first answer %.2f s; QEMU pid %d; load %s" % (
            first, pid, os.getloadavg()[0]))
        with open("/proc/%d/cmdline" % pid) as f:
            print(" ".join(f.read().split("\0")))
        report(pid)
        if opts.keep:
            input("QEMU %d kept; Enter ends it " % pid)
    finally:
        footprint.FLEET.kill_all()


if __name__ == "__main__":
    boot.run_main(main)
