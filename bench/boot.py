"""boot.py - boot-time benchmark: Kiln against a bare PVH stub (the floor)
and Debian's Linux, on QEMU microvm under TCG and, when usable, KVM.

Wall time runs from QEMU's launch to its exit.  Every ratio is taken from
medians measured in this same run.  A missed target is reported, never
fatal; only a real error (no kernel, QEMU or the stub failing) exits 1.

usage: python3 bench/boot.py [--runs N] [--linux-runs N]
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import linux_guest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(BUILD, "bench")
KERNEL = os.path.join(BUILD, "kernel.elf")
QEMU = "qemu-system-x86_64"

QEMU_BASE = [QEMU, "-M", "microvm", "-nodefaults", "-no-user-config",
             "-nographic", "-no-reboot", "-serial", "stdio",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
# -cpu host alone fails under nested KVM here (MSR 0x10a, arch-capabilities).
ACCEL = {"tcg": ["-accel", "tcg", "-cpu", "max"],
         "kvm": ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]}
TIMEOUT = {"tcg": 60, "kvm": 30}        # seconds per run
DEBUG_EXIT_OK = 1                       # isa-debug-exit: (0 << 1) | 1

READY_RE = re.compile(rb"kiln: ready in (\d+) us")

# Targets (see DESIGN.md): Kiln within 1.2x of the floor, Linux at least
# 20x slower than Kiln, ready under 1 ms on KVM, stripped image < 200 KB.
MAX_KILN_OVER_FLOOR = 1.2
MIN_LINUX_OVER_KILN = 20.0
MAX_READY_US_KVM = 1000
MAX_STRIPPED_BYTES = 200 * 1000


class BenchError(Exception):
    """Something is broken (not merely slow): the bench must fail."""


def kvm_usable():
    """True when /dev/kvm exists and this user can open it read-write."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
        return True
    except OSError:
        return False


def run_checked(argv):
    """Run a build step; raise BenchError with its stderr on failure."""
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("%s failed:\n%s" % (" ".join(argv), p.stderr))


def build_stub():
    """Assemble and link bench/stub/pvh_stub.S into build/bench/."""
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(ROOT, "bench", "stub")
    obj = os.path.join(OUT, "pvh_stub.o")
    elf = os.path.join(OUT, "pvh_stub.elf")
    run_checked(["gcc", "-c", "-o", obj, os.path.join(src, "pvh_stub.S")])
    run_checked(["ld", "-nostdlib", "-z", "noexecstack", "-T",
                 os.path.join(src, "pvh_stub.ld"), "-o", elf, obj])
    return elf


def boot_once(accel, boot_args, expect_rc):
    """Boot one VM; return (wall seconds, output) or (None, output) on
    timeout.  Raises BenchError when QEMU fails: a wrong exit status, or
    an error on its stderr (QEMU's own errors also exit 1, like the guest's
    isa-debug-exit write of 0, so the status alone proves nothing)."""
    argv = QEMU_BASE + ACCEL[accel] + boot_args
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=TIMEOUT[accel])
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out
    wall = time.perf_counter() - start
    errors = [line for line in err.decode(errors="replace").splitlines()
              if line.strip() and "warning" not in line.lower()]
    if p.returncode != expect_rc or errors:
        tail = (out.decode(errors="replace").strip().splitlines()[-8:] +
                errors) or ["(no output)"]
        raise BenchError("%s exited %d (want %d):\n  %s" % (
            " ".join(argv), p.returncode, expect_rc, "\n  ".join(tail)))
    return wall, out


class Row:
    """The samples for one (accelerator, system) line of the table."""

    def __init__(self, accel, system):
        self.accel, self.system = accel, system
        self.walls, self.ready_us, self.timeouts = [], [], 0
        self.note = ""

    def median(self):
        return statistics.median(self.walls) if self.walls else None


def measure_accel(accel, stub, kernel, runs, linux, linux_runs):
    """Measure floor, Kiln and Linux under one accelerator; return rows."""
    floor, kiln = Row(accel, "floor"), Row(accel, "kiln")
    # One untimed boot each first, so page cache and QEMU's own start-up
    # costs are the same for every counted run.
    boot_once(accel, ["-kernel", stub], DEBUG_EXIT_OK)
    boot_once(accel, ["-kernel", kernel], DEBUG_EXIT_OK)
    for _ in range(runs):          # interleaved: drift hits both alike
        for row, image in ((floor, stub), (kiln, kernel)):
            wall, out = boot_once(accel, ["-kernel", image], DEBUG_EXIT_OK)
            if wall is None:
                raise BenchError("%s %s: timed out after %d s" % (
                    accel, row.system, TIMEOUT[accel]))
            row.walls.append(wall)
            m = READY_RE.search(out) if row is kiln else None
            if row is kiln and not m:
                raise BenchError("kiln printed no 'ready in' line:\n" +
                                 out.decode(errors="replace"))
            if m:
                row.ready_us.append(int(m.group(1)))
    rows = [floor, kiln]
    if linux is None:
        return rows
    lrow = Row(accel, "linux")
    rows.append(lrow)
    if isinstance(linux, str):
        lrow.note = "unavailable: " + linux
        return rows
    vmlinuz, initrd = linux
    args = ["-kernel", vmlinuz, "-initrd", initrd,
            "-append", linux_guest.cmdline()]
    for _ in range(linux_runs):
        wall, _ = boot_once(accel, args, 0)   # ACPI poweroff: QEMU exits 0
        if wall is not None:
            lrow.walls.append(wall)
            continue
        lrow.timeouts += 1
        if not lrow.walls:         # hung at once: it will hang again
            break
    return rows


def ms(seconds):
    return "%.1f" % (seconds * 1000) if seconds is not None else "-"


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_table(rows):
    print("%-5s %-7s %5s %11s %9s  %s" % (
        "accel", "system", "runs", "median ms", "min ms", "guest's own"))
    for r in rows:
        if r.walls:
            med, low = ms(r.median()), ms(min(r.walls))
        elif r.timeouts:
            med, low = "timeout", "(>%d s)" % TIMEOUT[r.accel]
        else:
            med, low = "n/a", "-"
        extra = r.note
        if r.ready_us:
            extra = "ready in %d us (median), min %d us" % (
                statistics.median(r.ready_us), min(r.ready_us))
        elif r.system == "linux" and r.timeouts and not r.walls:
            extra = "hung at first boot; not retried"
        elif r.timeouts:
            extra = "%d of these runs timed out (not in median)" % r.timeouts
        print("%-5s %-7s %5d %11s %9s  %s" % (
            r.accel, r.system, len(r.walls) + r.timeouts, med, low, extra))


def target_line(what, value, target, result):
    print("  %-18s %12s   %-18s %s" % (what, value, target, result))


def print_targets(rows, kvm, size_stripped, size_full):
    by = {(r.accel, r.system): r for r in rows}
    print("\nRatios from medians of this run, against targets:")
    for accel in ("tcg", "kvm"):
        floor, kiln = by.get((accel, "floor")), by.get((accel, "kiln"))
        if not kiln:
            continue
        ratio = kiln.median() / floor.median()
        target_line(accel + " kiln/floor", "%.2fx" % ratio,
                    "<= %.1fx" % MAX_KILN_OVER_FLOOR,
                    verdict(ratio <= MAX_KILN_OVER_FLOOR))
        lx = by.get((accel, "linux"))
        if lx and lx.walls:
            ratio = lx.median() / kiln.median()
            target_line(accel + " linux/kiln", "%.1fx" % ratio,
                        ">= %.0fx" % MIN_LINUX_OVER_KILN,
                        verdict(ratio >= MIN_LINUX_OVER_KILN))
        else:
            why = "linux timed out" if lx and lx.timeouts else "no linux"
            target_line(accel + " linux/kiln", "-",
                        ">= %.0fx" % MIN_LINUX_OVER_KILN, "n/a (%s)" % why)
    if kvm:
        ready = statistics.median(by[("kvm", "kiln")].ready_us)
        target_line("kvm kiln ready", "%d us" % ready,
                    "< %d us" % MAX_READY_US_KVM,
                    verdict(ready < MAX_READY_US_KVM))
    else:
        target_line("kvm kiln ready", "-", "< %d us" % MAX_READY_US_KVM,
                    "n/a (no KVM)")
    target_line("kernel stripped", "%d B" % size_stripped,
                "< %d B" % MAX_STRIPPED_BYTES,
                verdict(size_stripped < MAX_STRIPPED_BYTES))
    print("  (kernel.debug.elf, unstripped: %d B)" % size_full)


def kernel_sizes(kernel):
    """(stripped, unstripped) byte sizes: kernel.elf as images carry it,
    stripped again to be sure, and kernel.debug.elf with its symbols."""
    debug = os.path.join(BUILD, "kernel.debug.elf")
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "kernel.stripped")
        run_checked(["strip", "-o", stripped, kernel])
        full = debug if os.path.exists(debug) else kernel
        return os.path.getsize(stripped), os.path.getsize(full)


def prepare_linux():
    """(vmlinuz, initramfs) paths, or a string saying why Linux is absent."""
    linux_dir = os.path.join(OUT, "linux")
    try:
        return (linux_guest.fetch_kernel(linux_dir),
                linux_guest.build_initramfs(linux_dir))
    except linux_guest.Unavailable as e:
        return str(e)


def qemu_version():
    try:
        out = subprocess.run([QEMU, "--version"], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise BenchError("%s does not run: %s" % (QEMU, e))
    return out.splitlines()[0].replace("QEMU emulator version ", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10,
                    help="timed boots of Kiln and the floor (default 10)")
    ap.add_argument("--linux-runs", type=int, default=3,
                    help="timed boots of Linux (default 3)")
    ap.add_argument("--no-linux", action="store_true")
    opts = ap.parse_args()
    if not os.path.exists(KERNEL):
        raise BenchError("%s is missing; run `make kernel`" % KERNEL)
    started = time.perf_counter()
    # Snapshot the image: every boot and the sizes then see the same bytes
    # even if build/kernel.elf is rebuilt while the bench runs.
    os.makedirs(OUT, exist_ok=True)
    kernel = os.path.join(OUT, "kernel.elf")
    shutil.copyfile(KERNEL, kernel)
    version = qemu_version()
    stub = build_stub()
    linux = None if opts.no_linux else prepare_linux()
    kvm = kvm_usable()
    accels = ["tcg", "kvm"] if kvm else ["tcg"]

    print("Boot benchmark: QEMU %s, -M microvm, wall = QEMU launch to exit" %
          version)
    print("host: %s, %d CPUs; KVM %s" % (
        platform.machine(), os.cpu_count() or 0,
        "usable" if kvm else "not usable (TCG only)"))
    if not isinstance(linux, str) and linux:
        print("linux: %s, busybox initramfs, /init does poweroff -f,\n"
              "       -append \"%s\";\n"
              "       %d runs each, timeout %s" % (
                  os.path.basename(linux[0]), linux_guest.cmdline(),
                  opts.linux_runs, ", ".join("%d s %s" % (TIMEOUT[a], a)
                                            for a in accels)))
    print("floor: %s (PVH note, outb 0 to 0xf4)\n" %
          os.path.relpath(stub, ROOT))
    sys.stdout.flush()

    rows = []
    for accel in accels:
        rows += measure_accel(accel, stub, kernel, opts.runs, linux,
                              opts.linux_runs)
    print_table(rows)
    print_targets(rows, kvm, *kernel_sizes(kernel))
    print("\nbench took %.1f s" % (time.perf_counter() - started))


def run_main(main):
    """The entry point every bench script shares: errors become one line
    and exit status 1, ^C exits 130."""
    try:
        main()
    except BenchError as e:
        print("bench: error: %s" % e, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run_main(main)
