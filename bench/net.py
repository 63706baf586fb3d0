"""net.py - network benchmark: tests/guest/http_server under Kiln beside the
very same binary in the Linux baseline, on the same QEMU, accelerator, machine
(microvm, virtio-net on virtio-mmio) and user networking, reached through a
port forward from 127.0.0.1 on the host.

  first   ms from launch (`kiln run`, or QEMU for Linux) to the first
          200 answer to GET /small.html (median over the boots)
  req/s   keep-alive requests per second for small.html (512 B):
          ab -k, 8 connections, at most 3 s and 200,000 requests
          (median over the load boots)
  MB/s    big.bin (10 MiB) with curl, one download per load boot (median)

Boots alternate between the systems (kiln, linux, kiln, ...): --runs of
each (default 10, issue 16's minimum for a start-up figure) measure
`first`; the first --load-runs of each (default 5, the minimum for
throughput) also run ab and curl; then GET /__quit ends the server and
the VM.  Ratios are kiln/linux of this run's medians.  A failure or a Linux hang prints "fails"/"timeout"
in its line; only a broken setup (no kiln, no server, no ab) exits 1.

usage: python3 bench/net.py [--runs N] [--linux-runs N] [--no-linux]
"""

import argparse
import ctypes
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import apps
import boot
import linux_guest
from boot import BenchError
from probes import Probes

ROOT, OUT, KILN = boot.ROOT, boot.OUT, apps.KILN
SERVER = os.path.join(ROOT, "build", "tests", "guest", "musl", "http_server")
WWW = os.path.join(OUT, "www")
GUEST_PORT = 8080
SMALL = b"<!doctype html>\n" + b"x" * (512 - 17) + b"\n"
BIG = 10 << 20
AB_CONNS, AB_SECONDS, AB_MAX = 8, 3, 200000
CURL_RUNS = 1           # per load boot
# Seconds per VM: boot, ab, three downloads and the quit.  A Linux boot
# under TCG takes a few seconds; under this host's nested KVM it hangs.
TIMEOUT = {("kiln", "tcg"): 90, ("kiln", "kvm"): 90,
           ("linux", "tcg"): 120, ("linux", "kvm"): 30}
SERVED_RE = re.compile(rb"http_server: served (\d+) requests")
AB_RATE_RE = re.compile(r"^Requests per second:\s+([0-9.]+)", re.M)
AB_DONE_RE = re.compile(r"^Complete requests:\s+(\d+)", re.M)
AB_FAILED_RE = re.compile(r"^(Failed requests|Non-2xx responses):\s+(\d+)",
                          re.M)

# Linux's /init: the network (linux_guest.NET_UP), serve, power off.
INIT = ("#!/bin/busybox sh\nB=/bin/busybox\n" + linux_guest.NET_UP + """
/bin/http_server %(port)d /www
echo "init: http_server exited $?"
exec $B poweroff -f
""")


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_www():
    """build/bench/www: small.html, and big.bin (random, made once)."""
    os.makedirs(WWW, exist_ok=True)
    with open(os.path.join(WWW, "small.html"), "wb") as f:
        f.write(SMALL)
    big = os.path.join(WWW, "big.bin")
    if not os.path.exists(big) or os.path.getsize(big) != BIG:
        with open(big + ".tmp", "wb") as f:
            f.write(os.urandom(BIG))
        os.replace(big + ".tmp", big)


def kiln_image():
    """An image of the server with the tree at /www."""
    img = os.path.join(OUT, "http.img")
    boot.run_checked([KILN, "build", "-o", img, "--dir", WWW + ":/www",
                      SERVER, str(GUEST_PORT), "/www"])
    return img


class LinuxNet:
    """The Linux baseline (virtio-mmio and virtio-net built in, so no
    module to load), and an initramfs that serves the tree."""

    def __init__(self, linux_dir):
        self.vmlinuz = linux_guest.baseline_kernel()
        mods = []
        names = [os.path.basename(m)[:-3] for m in mods]
        init = INIT % {"modules": " ".join(names), "port": GUEST_PORT}
        files = [("bin/http_server", SERVER)]
        files += [("mod/" + os.path.basename(m), m) for m in mods]
        files += [("www/" + n, os.path.join(WWW, n))
                  for n in ("small.html", "big.bin")]
        self.initrd = linux_guest.write_initramfs(
            os.path.join(linux_dir, "net.cpio"), init.encode(), files,
            dirs=["mod", "www", "tmp"])
        self.modules = names


def netdev(host_port, guest_port=GUEST_PORT):
    """QEMU's user networking as `kiln run -p HOST:GUEST/tcp` sets it up."""
    return ["-netdev", "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:%d"
            % (host_port, guest_port), "-global",
            "virtio-mmio.force-legacy=false", "-device",
            "virtio-net-device,netdev=net0"]


# pidfd_getfd(2) (Linux 5.6), which Python's os module does not wrap.
SYS_PIDFD_GETFD = 438


def widen_forwards(pid):
    """What `kiln run -p` does for its own QEMU (cli/hostfwd.c), for a
    QEMU started here (the Linux baseline): raise the listen backlog of
    its TCP listeners from slirp's 1, so that a burst of connects (ab -c
    8, redis-benchmark -c 8) is not held back by SYN retries on one
    system only.  Returns how many were raised; best effort."""
    libc = ctypes.CDLL(None, use_errno=True)
    widened = 0
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return 0
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            widened += widen_one(libc, pid, pidfd, name)
    except OSError:
        pass
    finally:
        os.close(pidfd)
    return widened


def widen_one(libc, pid, pidfd, name):
    """1 when QEMU's fd `name` is a TCP listener and now has our backlog,
    else 0. The copy taken with pidfd_getfd is closed either way."""
    try:
        if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith(
                "socket:"):
            return 0
    except OSError:
        return 0
    fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
    if fd < 0:
        return 0
    s = None
    try:
        s = socket.socket(fileno=fd)
        if s.family in (socket.AF_INET, socket.AF_INET6) and \
                s.type == socket.SOCK_STREAM and \
                s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            s.listen(4096)  # cli/hostfwd.c's HOSTFWD_BACKLOG
            return 1
    except OSError:
        pass
    finally:
        # socket() refused fd (no longer a socket): close it by number.
        if s is not None:
            s.close()
        else:
            os.close(fd)
    return 0


class VM:
    """One running guest (kiln run, or QEMU with Linux) and its output."""

    def __init__(self, argv, timeout):
        self.out, self.err = bytearray(), bytearray()
        self.deadline = time.perf_counter() + timeout
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.readers = [threading.Thread(target=self._pump, args=(f, buf),
                                         daemon=True)
                        for f, buf in ((self.proc.stdout, self.out),
                                       (self.proc.stderr, self.err))]
        for t in self.readers:
            t.start()

    @staticmethod
    def _pump(f, buf):
        for chunk in iter(lambda: f.read1(65536), b""):
            buf += chunk

    def left(self):
        return self.deadline - time.perf_counter()

    def wait(self):
        """The exit status, or None after killing a VM past its time."""
        try:
            rc = self.proc.wait(max(self.left(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            rc = None
        for t in self.readers:
            t.join(5)
        return rc

    def why(self):
        """The first line that says what went wrong."""
        text = (self.err + self.out).decode(errors="replace")
        lines = [x for x in text.splitlines() if "FAIL" in x or "error" in x]
        return lines[0] if lines else "no answer"


def get(port, path, timeout):
    """(status line, body) of GET path on a fresh connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nConnection: close\r\n\r\n" % path)
        data = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


GET_SMALL = b"GET /small.html HTTP/1.1\r\nConnection: close\r\n\r\n"


def small_ok(answer):
    """True for a 200 with small.html."""
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0] == b"HTTP/1.1 200 OK" and body == SMALL


def first_answer(vm, port):
    """Seconds from launch to the first good answer, or None: asked as
    one client would (bench/probes.py), not one attempt at a time, which
    timed slirp's resend of a SYN sent before the guest's network was up
    (up to a whole attempt's time)."""
    probes = Probes(port, GET_SMALL, small_ok)
    try:
        while vm.left() > 0 and vm.proc.poll() is None and \
                probes.poll() is None:
            time.sleep(0.005)
    finally:
        probes.finish()
    if probes.answered is None:
        return None
    return probes.answered - vm.started


def ab_rate(port, path="/small.html", seconds=AB_SECONDS):
    """Keep-alive requests/s by ab, or (None, why)."""
    argv = ["ab", "-q", "-k", "-c", str(AB_CONNS), "-t", str(seconds),
            "-n", str(AB_MAX), "http://127.0.0.1:%d%s" % (port, path)]
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=seconds + 60)
    rate, done = AB_RATE_RE.search(p.stdout), AB_DONE_RE.search(p.stdout)
    failed = sum(int(n) for _, n in AB_FAILED_RE.findall(p.stdout))
    if p.returncode != 0 or not rate or not done:
        lines = (p.stderr or p.stdout).strip().splitlines() or ["no output"]
        return None, "ab: " + lines[-1]
    if failed:
        return None, "ab: %d of %s requests failed" % (failed, done.group(1))
    return float(rate.group(1)), "%s requests" % done.group(1)


def curl_mbps(port):
    """Best MB/s of CURL_RUNS downloads of big.bin, or (None, why)."""
    best = None
    for _ in range(CURL_RUNS):
        p = subprocess.run(["curl", "-s", "-S", "--max-time", "60", "-o",
                            os.devnull, "-w", "%{http_code} %{size_download} "
                            "%{time_total}",
                            "http://127.0.0.1:%d/big.bin" % port],
                           capture_output=True, text=True, timeout=90)
        fields = p.stdout.split()
        if p.returncode != 0 or len(fields) != 3 or fields[0] != "200" \
                or int(fields[1]) != BIG:
            return None, "curl: %s %s" % (p.stdout, p.stderr.strip())
        mbps = BIG / 1e6 / float(fields[2])
        best = mbps if best is None else max(best, mbps)
    return best, "best of %d" % CURL_RUNS


class Result:
    """What one system measured under one accelerator."""

    def __init__(self, system, accel):
        self.system, self.accel = system, accel
        self.first, self.rate, self.mbps = [], [], []
        self.notes, self.timeouts = [], 0
        self.dead = False       # failed once: not booted again


def one_boot(res, argv, port, load):
    """Boot, take the first answer (and with load, ab and curl), quit."""
    vm = VM(argv, TIMEOUT[(res.system, res.accel)])
    first = first_answer(vm, port)
    if first is None:
        if vm.proc.poll() is None:
            res.timeouts += 1
            res.notes.append("no answer in %d s" %
                             TIMEOUT[(res.system, res.accel)])
        else:
            res.notes.append("fails: " + vm.why())
        vm.wait()
        return False
    res.first.append(first * 1000)
    if res.system == "linux":
        widen_forwards(vm.proc.pid)
    if load:
        rate, why = ab_rate(port)
        if rate is None:
            res.notes.append("req/s: " + why)
        else:
            res.rate.append(rate)
        mbps, why = curl_mbps(port)
        if mbps is None:
            res.notes.append("MB/s: " + why)
        else:
            res.mbps.append(mbps)
    try:
        status, body = get(port, b"/__quit", 30)
        quit_ok = status == b"HTTP/1.1 200 OK" and body == b"bye\n"
    except OSError:
        quit_ok = False
    rc = vm.wait()
    if not quit_ok or rc != 0 or not SERVED_RE.search(vm.out):
        res.notes.append("quit: status %s, %s" % (rc, vm.why()))
        return False
    return True


def measure(accel, systems, load_runs):
    """Interleaved boots: round i boots each (Result, runs, argv_for) of
    systems whose runs are not done (a failed system is not booted
    again); the first load_runs rounds also measure the load."""
    for i in range(max(runs for _, runs, _ in systems)):
        for res, runs, argv_for in systems:
            if i >= runs or res.dead:
                continue
            port = free_tcp_port()
            if not one_boot(res, argv_for(port), port, load=i < load_runs):
                res.dead = True
        print("  %s: round %d done" % (accel, i + 1), file=sys.stderr,
              flush=True)
    return [res for res, _, _ in systems]


def kiln_argv(accel, image):
    def argv(port):
        return [KILN, "run", "--accel", accel, "--timeout",
                str(TIMEOUT[("kiln", accel)]), "-p",
                "%d:%d/tcp" % (port, GUEST_PORT), image]
    return argv


def linux_argv(accel, guest):
    def argv(port):
        return (boot.QEMU_BASE + boot.ACCEL[accel] +
                ["-kernel", guest.vmlinuz, "-initrd", guest.initrd,
                 "-append", linux_guest.cmdline()] + netdev(port))
    return argv


def figure(values, fmt):
    return fmt % values if values is not None else "n/a"


def print_results(results, accels):
    by = {(r.system, r.accel): r for r in results}
    for accel in accels:
        kiln, lx = by[("kiln", accel)], by.get(("linux", accel))
        def med(r, what):
            v = getattr(r, what) if r else None
            return statistics.median(v) if v else None

        rows = (("http req/s", med(kiln, "rate"), med(lx, "rate"), "%.0f"),
                ("bulk MB/s", med(kiln, "mbps"), med(lx, "mbps"), "%.1f"),
                ("first answer ms", med(kiln, "first"), med(lx, "first"),
                 "%.0f"))
        for what, k, x, fmt in rows:
            ratio = "%.2fx" % (k / x) if k and x else "n/a"
            print("%-5s %-16s kiln %8s   linux %8s   kiln/linux %s" % (
                accel, what, figure(k, fmt), figure(x, fmt), ratio))
    print()
    for r in results:
        runs = len(r.first) + r.timeouts
        print("  %s %s: %d boot(s); first answer %s ms; req/s %s; MB/s %s;"
              " %s" % (r.accel, r.system, runs,
                       ", ".join("%.0f" % v for v in r.first) or "-",
                       ", ".join("%.0f" % v for v in r.rate) or "-",
                       ", ".join("%.1f" % v for v in r.mbps) or "-",
                       "; ".join(r.notes) or "-"))


def print_header(linux, accels, runs, linux_runs, load_runs):
    print("Network benchmark: QEMU %s, -M microvm, virtio-net, user "
          "networking,\n       127.0.0.1:PORT forwarded to the guest's %d" %
          (boot.qemu_version(), GUEST_PORT))
    print("host: %s, %d CPUs; KVM %s" % (
        platform.machine(), os.cpu_count() or 0,
        boot.kvm_state(accels)))
    print("server: %s %d /www in both guests; the tree: small.html "
          "(%d B), big.bin (%d MiB)" % (os.path.relpath(SERVER, ROOT),
                                        GUEST_PORT, len(SMALL), BIG >> 20))
    if isinstance(linux, str):
        print("linux: unavailable: " + linux)
    elif linux:
        print("linux: %s, busybox initramfs; virtio-net built in%s;\n"
              "       /init sets eth0 10.0.2.15/24 via 10.0.2.2, runs the "
              "server, then `poweroff -f`;\n       -append \"%s\"" % (
                  os.path.basename(linux.vmlinuz), " ".join(linux.modules),
                  linux_guest.cmdline()))
    print("boots: kiln %d, linux %d per accel, interleaved; the first %d of "
          "each also measure\n       the load: req/s: ab -k -c %d, %d s or "
          "%d requests; MB/s: curl, %d\n       download(s) per boot; "
          "medians; first answer: launch to a 200 for\n       small.html\n"
          % (runs, linux_runs, load_runs, AB_CONNS, AB_SECONDS, AB_MAX,
             CURL_RUNS))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10,
                    help="kiln boots per accelerator (default 10)")
    ap.add_argument("--linux-runs", type=int, default=None,
                    help="Linux boots per accelerator (default: --runs)")
    ap.add_argument("--load-runs", type=int, default=5,
                    help="boots per system that also run ab and curl "
                    "(default 5)")
    ap.add_argument("--no-linux", action="store_true")
    opts = ap.parse_args()
    for path, make in ((KILN, "cli"), (boot.KERNEL, "kernel"),
                       (SERVER, "guest")):
        if not os.path.exists(path):
            raise BenchError("%s is missing; run `make %s`" % (path, make))
    for tool in ("ab", "curl"):
        if not shutil.which(tool):
            raise BenchError("%s is missing; run `sh scripts/deps.sh bench`"
                             % tool)
    started = time.perf_counter()
    make_www()
    image = kiln_image()
    linux = None
    if not opts.no_linux:
        try:
            linux = LinuxNet(os.path.join(OUT, "linux"))
        except linux_guest.Unavailable as e:
            linux = str(e)
    accels = ["tcg", "kvm"] if boot.kvm_usable() else ["tcg"]
    if opts.linux_runs is None:
        opts.linux_runs = opts.runs
    print_header(linux, accels, opts.runs, opts.linux_runs, opts.load_runs)

    results = []
    for accel in accels:
        systems = [(Result("kiln", accel), opts.runs,
                    kiln_argv(accel, image))]
        if isinstance(linux, LinuxNet):
            systems.append((Result("linux", accel), opts.linux_runs,
                            linux_argv(accel, linux)))
        results += measure(accel, systems, opts.load_runs)
    print_results(results, accels)
    print("\nbench took %.1f s" % (time.perf_counter() - started))


if __name__ == "__main__":
    boot.run_main(main)
