"""interleave.py - what the guest-timed benches share: boots of Kiln and
of Linux (default and mitigations=off) interleaved, one program printing
one line per test, per-test series over the boots, and the table's cells.

A bench describes itself with a GuestBench (its tests, loops per boot,
result parser, guest memory and timeouts) and calls measure() per
accelerator.
"""

import os
import signal
import statistics
import subprocess
import sys
import time

import boot
import linux_guest
from boot import BenchError

KILN = os.path.join(boot.ROOT, "build", "kiln")
LINUX_DIR = os.path.join(boot.OUT, "linux")
MEM = "128M"               # both guests; QEMU's own default for Linux
TIMEOUT = {"tcg": 120, "kvm": 60}     # seconds per boot, either system
MIN_RUNS = 5

# The Linux variants booted: the baseline's command line (the target is
# against this one) and the same with mitigations=off, as issue 16 asks.
LINUX_SYSTEMS = {"linux": "", "linux-nomit": " mitigations=off"}


def run_vm(argv, timeout):
    """Run argv in its own session; (status or None on timeout, output)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return None, out
    return p.returncode, out


def why(rc, out, timeout):
    if rc is None:
        return "timed out after %d s" % timeout
    lines = [x for x in out.replace(b"\r", b"").decode(
        errors="replace").splitlines() if x.strip()]
    return "exit %d: %s" % (rc, lines[-1] if lines else "no output")


class Series:
    """One (accelerator, system) column: per test the per-boot figures."""

    def __init__(self, system):
        self.system, self.values, self.note = system, {}, ""

    def add(self, res):
        for t, ns in res.items():
            self.values.setdefault(t, []).append(ns)

    def median(self, test):
        v = self.values.get(test)
        return statistics.median(v) if v else None


def spread(series, test):
    v = series.values.get(test) if series else None
    if not v:
        return "%-24s" % ((series.note.split(":")[0] if series and
                           series.note else "n/a"))
    return "%-24s" % ("%.0f (%.0f-%.0f)" % (statistics.median(v), min(v),
                                            max(v)))


class GuestBench:
    """tests in order; iters {accel: {test: loops}}; parse(out) gives
    {test: figure} from the program's output."""

    def __init__(self, tests, iters, parse):
        self.tests, self.iters, self.parse = tests, iters, parse

    def loop_args(self, accel):
        return ["%s=%d" % (t, self.iters[accel][t]) for t in self.tests]

    def kiln_boot(self, accel, image, series):
        timeout = TIMEOUT[accel]
        argv = [KILN, "run", "--accel", accel, "--mem", MEM, "--timeout",
                str(timeout), image] + self.loop_args(accel)
        rc, out = run_vm(argv, timeout + 10)
        res = self.parse(out)
        if rc != 0 or set(res) != set(self.tests):
            raise BenchError("kiln: %s" % why(rc, out, timeout))
        series.add(res)

    def linux_boot(self, accel, vmlinuz, initrd, series, extra):
        timeout = TIMEOUT[accel]
        argv = boot.QEMU_BASE + boot.ACCEL[accel] + [
            "-m", MEM, "-kernel", vmlinuz, "-initrd", initrd,
            "-append", linux_guest.cmdline() + extra]
        rc, out = run_vm(argv, timeout)
        res = self.parse(out)
        if rc != 0 or set(res) != set(self.tests):
            series.note = why(rc, out, timeout)
            return False
        series.add(res)
        return True

    def prepare_linux(self, name, init, files, accel):
        """(vmlinuz, initramfs) or a string saying why Linux is absent;
        init is /init with %s for the loop arguments."""
        try:
            vmlinuz = linux_guest.baseline_kernel()
            initrd = linux_guest.write_initramfs(
                os.path.join(LINUX_DIR, "%s-%s.cpio" % (name, accel)),
                (init % " ".join(self.loop_args(accel))).encode(), files)
        except linux_guest.Unavailable as e:
            return str(e)
        return vmlinuz, initrd

    def measure(self, accel, image, linux, runs):
        """runs interleaved boots per system; {system: Series}."""
        cols = {"kiln": Series("kiln")}
        if isinstance(linux, tuple):
            cols.update((s, Series(s)) for s in LINUX_SYSTEMS)
        dead = set()
        for i in range(runs):
            self.kiln_boot(accel, image, cols["kiln"])
            for system, extra in LINUX_SYSTEMS.items():
                if system in cols and system not in dead:
                    if not self.linux_boot(accel, linux[0], linux[1],
                                           cols[system], extra):
                        dead.add(system)       # a hang would come again
            print("  %s: boot %d of %d done" % (accel, i + 1, runs),
                  file=sys.stderr, flush=True)
        return cols

    def print_loops(self, accels, runs):
        print("runs: %d interleaved boots per system; loops per boot: %s" % (
            runs, "; ".join("%s %s" % (a, ", ".join(
                "%s %d" % (t, self.iters[a][t]) for t in self.tests))
                for a in accels)))


def ratio_cell(cols, test, kiln, ok_if):
    """The ratio column: (text, ratio or None when Linux gave nothing, ok)."""
    lx = cols["linux"].median(test) if "linux" in cols else None
    if lx is None:
        return " n/a (%s)" % ("linux failed" if "linux" in cols
                              else "no linux"), None, True
    ok = ok_if(lx, kiln)
    text = " linux/kiln %.2fx %s" % (lx / kiln, boot.verdict(ok))
    nomit = cols["linux-nomit"].median(test)
    if nomit:
        text += " (nomit %.2fx)" % (nomit / kiln)
    return text, lx / kiln, ok


def print_notes(accel, cols):
    for s in cols:
        if cols[s].note:
            print("  %s %s: %s" % (accel, s, cols[s].note))


def require_built():
    for path, make in ((KILN, "cli"), (boot.KERNEL, "kernel")):
        if not os.path.exists(path):
            raise BenchError("%s is missing; run `make %s`" % (path, make))


def finish(missed, runs, started):
    """The closing lines; exit 2 when a target was missed."""
    if runs < MIN_RUNS:
        print("\nnote: %d runs per system, fewer than the %d a fair "
              "comparison needs" % (runs, MIN_RUNS))
    print("\nmissed targets: %s" % ("; ".join(missed) if missed else "none"))
    print("bench took %.1f s" % (time.perf_counter() - started))
    if missed:
        sys.exit(2)
