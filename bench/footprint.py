"""footprint.py - memory, density and image size: Kiln against the Linux
baseline (bench/linux_guest.py) on QEMU microvm.

  memory   the smallest whole-MiB guest memory (-m, bisected) that runs
           hello (its line, exit 0) and tests/guest/http_server (a 200
           for GET /small.html); then the host RSS and PSS of each QEMU
           (/proc/PID/smaps_rollup) once the server answers at -m 128M
  density  idle HTTP servers started up to four at a time, each with its own
           port forward from 127.0.0.1, each at its system's smallest
           memory plus a quarter, until the sum of their QEMUs' PSS
           reaches the budget or N reaches the cap; then every instance
           must answer one request.  Reports instances per GiB of PSS.
  size     the Kiln image against Linux's vmlinux + initramfs holding the
           same program

Kiln's hello boots as boot.py boots it (QEMU -kernel IMAGE); its server
runs under `kiln run -p` (the QEMU is kiln's child).  Linux boots the
baseline with our /init and the same binaries, with the same QEMU
options.  Samples go to build/bench/density.tsv, drawn by
bench/plots/density.gp.  Exits 2 when a target is missed, 1 on an error;
every VM it started is killed on the way out, even on error.

With --tcg-cache MIB, Kiln's servers run under `kiln run --tcg-cache
MIB` and every Linux QEMU gets the same `tb-size=MIB` (the header says
so): TCG's translated-code buffer capped on both sides.

usage: python3 bench/footprint.py [--budget-mib N] [--cap N] [--no-linux]
       [--tcg-cache MIB]
"""

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

import boot
import linux_guest
import membisect
import net
from boot import BenchError

ROOT, OUT, KILN = boot.ROOT, boot.OUT, boot.KILN
WWW = os.path.join(OUT, "www-small")
MEM_MB = 128            # the memory both servers get for the RSS/PSS row
HEADROOM = 1.25         # density: each instance at its minimum plus this
PROBE_TIMEOUT = {"kiln": 20, "linux": 60}    # s per memory probe
READY_TIMEOUT = {"kiln": 60, "linux": 120}   # s for a density instance
DENSITY_SECONDS = 600   # per system, starts and the final check
MIN_HOST_AVAILABLE = 512 << 20    # stop starting VMs below this
BATCH = 4               # density: servers started at once
MEM_RANGE = {"kiln": (1, 64), "linux": (8, 256)}   # MiB, bisected

# Target (issue 16): at least 100 idle Kiln HTTP servers per GiB of PSS.
MIN_KILN_PER_GIB = 100.0

# Host memory options `kiln run` gives QEMU (cli/qemu.c, machine()), given
# to the Linux baseline too: QEMU madvises transparent huge pages on
# anonymous guest RAM and on TCG's code buffer, so memfds (4 KiB shmem
# pages) keep each VM to the pages it touches.  Kiln also drops microvm's
# ACPI ROM (acpi=off); Linux keeps it: the baseline finds its devices in
# the ACPI tables (bench/linux-microvm.config).
TCG = ["-accel", "tcg,split-wx=on", "-cpu", "max"]
TCG_CACHE = 0           # --tcg-cache: MiB of translated code, 0 no cap


def ram(mib):
    return ["-m", "%dM" % mib, "-object",
            "memory-backend-memfd,id=ram,size=%dM" % mib,
            "-machine", "memory-backend=ram"]


def tcg():
    """The Linux baseline's TCG options: kiln run's, --tcg-cache too."""
    if not TCG_CACHE:
        return TCG
    return ["-accel", "tcg,split-wx=on,tb-size=%d" % TCG_CACHE] + TCG[2:]


def qemu_pid(pid):
    """The QEMU process of a VM: pid itself, or its descendant (kiln run
    forks QEMU); None when it has gone."""
    todo = [pid]
    while todo:
        p = todo.pop(0)
        try:
            with open("/proc/%d/comm" % p) as f:
                if f.read().startswith("qemu"):
                    return p
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(x) for x in f.read().split()]
        except OSError:
            continue
    return None


def rss_pss(pid):
    """(Rss, Pss) in bytes of pid, from /proc/PID/smaps_rollup."""
    vals = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in ("Rss:", "Pss:"):
                vals[parts[0]] = int(parts[1]) << 10
    return vals["Rss:"], vals["Pss:"]


def host_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) << 10
    return 0


class Fleet:
    """Every VM this bench started, so that all of them die on the way
    out (each runs in a session of its own)."""

    def __init__(self):
        self.vms = []

    def start(self, argv, timeout):
        vm = net.VM(argv, timeout)
        self.vms.append(vm)
        return vm

    def kill(self, vm):
        if vm.proc.poll() is None:
            try:
                os.killpg(vm.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        vm.proc.wait()
        if vm in self.vms:
            self.vms.remove(vm)

    def kill_all(self):
        for vm in list(self.vms):
            self.kill(vm)


FLEET = Fleet()


class Guests:
    """How each system boots hello and the server."""

    def __init__(self, hello, linux):
        self.hello_img = boot.kiln_image(hello)
        self.http_img = os.path.join(OUT, "footprint-http.img")
        boot.run_checked([KILN, "build", "-o", self.http_img, "--dir",
                          WWW + ":/www", net.SERVER, str(net.GUEST_PORT),
                          "/www"])
        self.linux = linux
        if linux:
            self.vmlinux = linux_guest.baseline_kernel()
            self.hello_cpio = linux_guest.app_initramfs(
                os.path.join(OUT, "footprint-hello.cpio"), hello)
            init = net.INIT % {"modules": "", "port": net.GUEST_PORT}
            self.http_cpio = linux_guest.write_initramfs(
                os.path.join(OUT, "footprint-http.cpio"), init.encode(),
                [("bin/http_server", net.SERVER),
                 ("www/small.html", os.path.join(WWW, "small.html"))],
                dirs=["www", "tmp"])

    def hello_argv(self, system, mib):
        if system == "kiln":
            args = ["-kernel", self.hello_img]
        else:
            args = ["-kernel", self.vmlinux, "-initrd", self.hello_cpio,
                    "-append", linux_guest.cmdline()]
        return boot.QEMU_BASE + tcg() + ram(mib) + args

    def http_argv(self, system, mib, port, timeout):
        if system == "kiln":
            cache = ["--tcg-cache", str(TCG_CACHE)] if TCG_CACHE else []
            return [KILN, "run", "--accel", "tcg", "--mem", "%dM" % mib] + \
                cache + ["--timeout", str(int(timeout)), "-p",
                    "%d:%d/tcp" % (port, net.GUEST_PORT), self.http_img]
        return (boot.QEMU_BASE + tcg() + ram(mib) +
                ["-kernel", self.vmlinux, "-initrd", self.http_cpio,
                 "-append", linux_guest.cmdline()] + net.netdev(port))


def hello_runs(guests, system, mib):
    """True when hello prints its line and exits 0 in mib MiB."""
    try:
        p = subprocess.run(guests.hello_argv(system, mib),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=PROBE_TIMEOUT[system])
    except subprocess.TimeoutExpired:
        return False
    return p.returncode == boot.DEBUG_EXIT_OK and boot.HELLO_OUT in p.stdout


def serve(guests, system, mib, timeout):
    """Start a server in mib MiB; return (vm, port, seconds to its first
    answer) or (vm, port, None).  The caller kills vm."""
    port = net.free_tcp_port()
    vm = FLEET.start(guests.http_argv(system, mib, port, timeout + 60),
                     timeout + 60)
    vm.deadline = time.perf_counter() + timeout
    return vm, port, net.first_answer(vm, port)


def http_runs(guests, system, mib):
    vm, _, first = serve(guests, system, mib, PROBE_TIMEOUT[system])
    FLEET.kill(vm)
    return first is not None


def smallest(runs_in, system, what):
    """The smallest whole MiB in MEM_RANGE[system] (membisect: the last
    answer and its neighbour first, then a bisection); None when the top
    fails.  The top is booted only when nothing below it ran."""
    lo, hi = MEM_RANGE[system]
    s = membisect.smallest("footprint %s %s" % (what, system),
                           lambda m: (runs_in(m), ""), lo - 1, hi)
    if s.hi == hi and not runs_in(hi):
        return None
    return s.hi


def ready_footprint(guests, system):
    """(Rss, Pss) bytes of the server's QEMU at -m MEM_MB once it answers."""
    vm, _, first = serve(guests, system, MEM_MB, READY_TIMEOUT[system])
    try:
        pid = qemu_pid(vm.proc.pid)
        if first is None or pid is None:
            raise BenchError("%s: the server did not answer at -m %dM: %s"
                             % (system, MEM_MB, vm.why()))
        return rss_pss(pid)
    finally:
        FLEET.kill(vm)


class Density:
    """One system's density run: (instances, sum of PSS) after each start."""

    def __init__(self, system, mib):
        self.system, self.mib = system, mib
        self.points, self.answered, self.stop = [], 0, ""

    def per_gib(self):
        if not self.points:
            return 0.0
        n, pss = self.points[-1]
        return n / (pss / float(1 << 30))


def batch_size(fleet, pss, budget, cap):
    """How many servers to start at once: up to BATCH, fewer when the
    instances so far say the budget or the host's free memory would be
    passed on the way (one at first, to learn an instance's PSS)."""
    if not fleet:
        return 1
    each = max(pss / len(fleet), 1)
    room = min(budget - pss, host_available() - MIN_HOST_AVAILABLE)
    return max(1, min(BATCH, cap - len(fleet), int(room // each)))


def density(guests, system, mib, budget, cap):
    """Start idle servers until the PSS budget, the cap, the time bound
    or the host's free memory stops it; then ask each for one page.
    Servers start BATCH at a time (each still waited for until it
    answers): serially, a TCG boot used one of the two cores and the
    waits between boots the rest; the points are the same (the sum of
    the first n instances' PSS, once all of them answer)."""
    d = Density(system, mib)
    ends = time.perf_counter() + DENSITY_SECONDS
    fleet = []
    pss = 0
    try:
        while not d.stop:
            if len(fleet) >= cap:
                d.stop = "the cap (%d)" % cap
                break
            if time.perf_counter() > ends:
                d.stop = "the time bound (%d s)" % DENSITY_SECONDS
                break
            if host_available() < MIN_HOST_AVAILABLE:
                d.stop = "the host's free memory (< %d MiB)" % (
                    MIN_HOST_AVAILABLE >> 20)
                break
            batch = []
            for _ in range(batch_size(fleet, pss, budget, cap)):
                port = net.free_tcp_port()
                vm = FLEET.start(guests.http_argv(system, mib, port,
                                                  READY_TIMEOUT[system] + 60),
                                 READY_TIMEOUT[system] + 60)
                vm.deadline = time.perf_counter() + READY_TIMEOUT[system]
                batch.append((vm, port))
            for vm, port in batch:
                if net.first_answer(vm, port) is None and not d.stop:
                    d.stop = "instance %d did not answer: %s" % (
                        len(fleet) + batch.index((vm, port)) + 1, vm.why())
            if d.stop:
                for vm, _ in batch:
                    FLEET.kill(vm)
                break
            fleet += batch
            pss = 0
            for n, (v, _) in enumerate(fleet, 1):
                pid = qemu_pid(v.proc.pid)
                pss += rss_pss(pid)[1] if pid else 0
                if n > len(fleet) - len(batch):
                    d.points.append((n, pss))
            if pss >= budget:
                d.stop = "the budget (%d MiB)" % (budget >> 20)
        for vm, port in fleet:
            try:
                status, body = net.get(port, b"/small.html", 10)
                d.answered += status == b"HTTP/1.1 200 OK" and \
                    body == net.SMALL
            except OSError:
                pass
    finally:
        for vm, _ in fleet:
            FLEET.kill(vm)
    return d


def make_www():
    os.makedirs(WWW, exist_ok=True)
    with open(os.path.join(WWW, "small.html"), "wb") as f:
        f.write(net.SMALL)


def stripped_size(path):
    tmp = os.path.join(OUT, "footprint.stripped")
    boot.run_checked(["strip", "-o", tmp, path])
    size = os.path.getsize(tmp)
    os.unlink(tmp)
    return size


def mib(n):
    return "%.1f" % (n / float(1 << 20))


def print_sizes(guests):
    print("Image size (bytes; what QEMU is given for the same program):")
    k_hello, k_http = (os.path.getsize(guests.hello_img),
                       os.path.getsize(guests.http_img))
    print("  kiln   hello: image %9d                        "
          "http_server: image %9d" % (k_hello, k_http))
    if not guests.linux:
        return
    v = os.path.getsize(guests.vmlinux)
    vs = stripped_size(guests.vmlinux)
    h, s = (os.path.getsize(guests.hello_cpio),
            os.path.getsize(guests.http_cpio))
    print("  linux  hello: vmlinux %d + cpio %d = %d   http_server: "
          "vmlinux + cpio (busybox) %d" % (v, h, v + h, v + s))
    print("  (vmlinux stripped: %d B; ratios linux/kiln: hello %.1fx, "
          "http_server %.1fx)" % (vs, (v + h) / float(k_hello),
                                  (v + s) / float(k_http)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-mib", type=int, default=2048,
                    help="density: host memory (sum of QEMU PSS) to fill")
    ap.add_argument("--cap", type=int, default=64,
                    help="density: most instances per system (default 64)")
    ap.add_argument("--runs", type=int, help="accepted as every bench "
                    "takes it; ignored (bisections and one density run)")
    ap.add_argument("--linux-runs", type=int, help="ignored, as --runs")
    ap.add_argument("--no-linux", action="store_true")
    ap.add_argument("--no-density", action="store_true")
    ap.add_argument("--tcg-cache", type=int, default=0, metavar="MIB",
                    help="cap TCG's code buffer on both sides (tb-size)")
    opts = ap.parse_args()
    global TCG_CACHE
    TCG_CACHE = opts.tcg_cache
    for path, make in ((KILN, "cli"), (boot.KERNEL, "kernel"),
                       (net.SERVER, "guest")):
        if not os.path.exists(path):
            raise BenchError("%s is missing; run `make %s`" % (path, make))
    started = time.perf_counter()
    os.makedirs(OUT, exist_ok=True)
    make_www()
    hello = boot.hello_program()
    linux = not opts.no_linux
    why_no_linux = ""
    missed = []
    if linux:
        try:
            linux_guest.baseline_kernel()
        except linux_guest.Unavailable as e:
            linux, why_no_linux = False, str(e)
    guests = Guests(hello, linux)
    if linux and not hello_runs(guests, "linux", MEM_MB):
        # Its sizes are still printed; its memory and density are not.
        why_no_linux = ("the baseline did not print hello's line at -m "
                        "%dM (docs/performance.md)" % MEM_MB)
        missed.append("linux baseline does not run hello")
    systems = ["kiln", "linux"] if linux and not why_no_linux else ["kiln"]
    print("Footprint benchmark: QEMU %s, -M microvm, TCG (-cpu max, split-wx%s), "
          "memfd guest RAM, host "
          "%s, %d CPUs" % (boot.qemu_version(),
                           ", tb-size=%d on both sides" % TCG_CACHE
                           if TCG_CACHE else "", platform.machine(),
                           os.cpu_count() or 0))
    if not boot.kvm_usable():
        print("KVM: %s" % boot.kvm_state(["tcg"]))
    if why_no_linux:
        print("linux: unavailable: " + why_no_linux)
    print("programs: %s (hello), %s %d /www (http_server, small.html only)"
          "\n" % (os.path.relpath(hello, ROOT),
                  os.path.relpath(net.SERVER, ROOT), net.GUEST_PORT))
    sys.stdout.flush()

    print("Smallest guest memory (whole MiB, bisected) and host memory of "
          "the server's QEMU at -m %dM:" % MEM_MB)
    mins = {}
    for system in systems:
        m_hello = smallest(lambda m: hello_runs(guests, system, m), system,
                           "hello")
        m_http = smallest(lambda m: http_runs(guests, system, m), system,
                          "http")
        rss, pss = ready_footprint(guests, system)
        mins[system] = m_http
        print("  %-5s hello %4s MiB   http_server %4s MiB   QEMU RSS %s MiB"
              ", PSS %s MiB" % (system, m_hello or ">%d" % MEM_RANGE[
                  system][1], m_http or ">%d" % MEM_RANGE[system][1],
                  mib(rss), mib(pss)), flush=True)
    print("  (python3 and nginx: bench/realapps.py bisects their memory)")
    print()
    print_sizes(guests)
    print()

    if not opts.no_density:
        tsv = os.path.join(OUT, "density.tsv")
        runs = []
        for system in systems:
            if mins[system] is None:
                continue
            m = int(mins[system] * HEADROOM + 0.999)
            d = density(guests, system, m, opts.budget_mib << 20, opts.cap)
            runs.append(d)
        with open(tsv, "w") as f:
            f.write("# bench/footprint.py: per system, a header line, then "
                    "instances and the sum of PSS (MiB)\n")
            for d in runs:
                f.write("%s instances pss_mib\n" % d.system)
                for n, pss in d.points:
                    f.write("%s %d %.1f\n" % (d.system, n, pss / 2.0**20))
                f.write("\n\n")
        print("Density: idle http_server instances, each with its own -p "
              "port; budget %d MiB of\nQEMU PSS, cap %d, %d s per system:"
              % (opts.budget_mib, opts.cap, DENSITY_SECONDS))
        for d in runs:
            n, pss = d.points[-1] if d.points else (0, 0)
            print("  %-5s -m %3dM: %3d instances, PSS %7s MiB (%.1f MiB "
                  "each), %.1f per GiB;\n        stopped by %s; %d of %d "
                  "answered afterwards" % (
                      d.system, d.mib, n, mib(pss), pss / 2.0**20 / max(n, 1),
                      d.per_gib(), d.stop, d.answered, n))
            if d.answered != n:
                missed.append("%s density: %d of %d answered" % (
                    d.system, d.answered, n))
        kiln = [d for d in runs if d.system == "kiln"]
        got = kiln[0].per_gib() if kiln else 0.0
        print("  target: kiln >= %.0f instances/GiB: %.1f %s" % (
            MIN_KILN_PER_GIB, got, boot.verdict(got >= MIN_KILN_PER_GIB)))
        if got < MIN_KILN_PER_GIB:
            missed.append("kiln density %.1f/GiB < %.0f" % (
                got, MIN_KILN_PER_GIB))
        png = os.path.join(OUT, "density.png")
        if shutil.which("gnuplot"):
            boot.run_checked(["gnuplot", "-e", "data='%s'; out='%s'; "
                              "blocks=%d" % (tsv, png, len(runs)),
                              os.path.join(ROOT, "bench", "plots",
                                        "density.gp")])
            print("  samples: %s; plot: %s" % (os.path.relpath(tsv, ROOT),
                                               os.path.relpath(png, ROOT)))
    print("\nbench took %.1f s" % (time.perf_counter() - started))
    if missed:
        print("MISSED targets: " + "; ".join(missed))
        sys.exit(2)


if __name__ == "__main__":
    try:
        boot.run_main(main)
    finally:
        FLEET.kill_all()
