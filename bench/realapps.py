"""realapps.py - Debian's own dynamically linked python3, nginx and
redis-server under Kiln beside the very same binaries and libraries in
the Linux baseline (bench/linux_microvm.py), on the same QEMU, accelerator, machine (microvm,
virtio-net on virtio-mmio), guest memory and user networking, reached
through a port forward from 127.0.0.1.

  start-up  ms from launch (`kiln run`, or QEMU for Linux) to the first
            output of `python3 -c 'print(1)'`, to nginx's first 200 for
            GET /, to redis-server's first +PONG
  req/s     redis-benchmark SET and GET (-c 8, a fixed -n) and nginx
            `ab -k -c 8` of a small index.html, in every server boot
  mem       the smallest whole-MiB guest memory that still prints python's
            1, or serves nginx's GET / (bench/membisect.py: the last
            answer and its neighbour, then a bisection, a bounded number of
            boots)

Boots alternate between Kiln and Linux (interleaved, so drift hits both
alike).  Medians, spread (min-max) and ratios come from this one run:
kiln/linux for rates (the target: Kiln >= 1.5x), linux/kiln for times and
memory (above 1 means Kiln is faster or smaller).  A system that fails on
an app prints "fails" (or "timeout") in that line; only a broken setup (no
kiln, no binaries, no clients) exits 1.

usage: python3 bench/realapps.py [--runs N] [--no-linux] [--no-mem]
"""

import argparse
import hashlib
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

import apps
import boot
import linux_guest
import membisect
import net
from boot import BenchError
from probes import Probes

ROOT, OUT, KILN = boot.ROOT, os.path.join(boot.OUT, "realapps"), apps.KILN
LINUX_DIR = os.path.join(boot.OUT, "linux")
PYTHON, PYLIB = "/usr/bin/python3", "/usr/lib/python3.11"
NGINX, MIME = "/usr/sbin/nginx", "/etc/nginx/mime.types"
REDIS = "/usr/bin/redis-server"
DPKG_STATUS = "/var/lib/dpkg/status"
CLIENTS = ("ab", "redis-benchmark")

# Both systems get this much memory for the timed runs: Linux needs room
# for its initramfs and the tree it unpacks from it (python's is ~75 MB).
RUN_MEM_MIB = 256
NGINX_PORT, REDIS_PORT = 8080, 6379
INDEX = b"<!doctype html>\n<title>kiln</title>\n<p>" + b"k" * 448 + b"\n"
AB_SECONDS = 3
REDIS_N, REDIS_CONNS = 3000, 8
# s for both tests; a slower run is a failure (and ends that system's
# boots).  At 30 s the Linux guest's -n 3000 (~240 req/s each) failed
# under a load of 30, and its start-up row lost its later boots with it.
REDIS_TIMEOUT = 60
# Seconds from launch to python's output or a server's first answer.
START_TIMEOUT = 120
MEM_BOOTS = 8               # bisection boots per app and system: 256 -> 1 MiB
MEM_PROBE_MIN_S = 20        # a memory probe's timeout, at least

REDIS_ARGS = ["--port", str(REDIS_PORT), "--bind", "0.0.0.0", "--dir",
              "/tmp", "--save", "", "--appendonly", "no",
              "--protected-mode", "no", "--daemonize", "no",
              "--loglevel", "warning"]
NGINX_ARGS = ["-e", "stderr", "-c", "/etc/nginx/nginx.conf"]
PY_ARGS = ["-c", "print(1)"]
PY_OUT_RE = re.compile(rb"(?:^|\n)1\r?\n")
BENCH_RE = re.compile(r"^(SET|GET): ([0-9.]+) requests per second", re.M)
# Lines that mean the Linux guest will not come up: stop waiting.
LINUX_FAIL_RE = re.compile(rb"Kernel panic|Out of memory|unpacking failed|"
                           rb"init: FAIL|init: \S+ exited")

NGINX_CONF = """# nginx.conf - one foreground process for bench/realapps.py
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid /tmp/nginx.pid;
events {
    worker_connections 64;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path /tmp/body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server {
        listen %d;
        root /www;
        index index.html;
    }
}
""" % NGINX_PORT

# What Kiln's root holds by default (kernel/fs/rootfs.c); the Linux guest
# gets the same, as servers started as root look these names up.
ETC = {"etc/hosts": b"127.0.0.1 localhost\n::1 localhost\n",
       "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n"
                     b"nobody:x:65534:65534:nobody:/nonexistent:"
                     b"/usr/sbin/nologin\n",
       "etc/group": b"root:x:0:\nnogroup:x:65534:\n"}

# Linux's /init: /proc and /dev as Kiln has them, then (for a server) the
# virtio network modules and eth0 as QEMU's slirp expects it (Kiln uses
# the same addresses), then the app; the VM is killed once measured.
INIT = """#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
%(net)s
echo "init: starting %(name)s"
%(argv)s
echo "init: %(name)s exited $?"
exec $B poweroff -f
"""
INIT_NET = linux_guest.NET_UP + "\n$B ip link set lo up"


def sh_quote(word):
    return "'" + word.replace("'", "'\\''") + "'"


class App:
    """One program measured: how to build it for each system and how to
    tell it is up.  port is the guest's (None: python, no network)."""

    def __init__(self, name, program, args, port):
        self.name, self.program, self.args, self.port = \
            name, program, args, port
        self.files, self.dirs = [], []      # (host, guest) pairs
        self.image = self.initrd = None
        self.kiln_why = self.linux_why = None
        self._tree = None

    def tree(self):
        """What the Linux guest holds beyond busybox and /init (a
        linux_guest.Tree), made once: the program, its interpreter and
        library closure, its files and trees."""
        if self._tree:
            return self._tree
        tree = linux_guest.Tree()
        for host, guest in self.dirs:
            if host != guest:
                raise BenchError("%s: the Linux guest copies trees to "
                                 "their own path" % host)
            tree.host_tree(host)
        tree.program(self.program)
        for host, guest in self.files:
            with open(host, "rb") as f:
                tree.data(guest, f.read())
        for name, data in ETC.items():
            tree.data(name, data)
        for d in ("proc", "dev"):
            tree.directory(d)
        self._tree = tree
        return tree

    def inputs(self, extra):
        """A digest of what an image of this app is made from: extra
        (the command or /init), the size and mtime of the program, its
        files and every file of its trees, and of dpkg's status file,
        which changes whenever a package (a library of the closure) is
        installed or upgraded.  Cheaper than the closure itself: tree()
        runs ldd on every ELF file (~15 s for python's under load)."""
        h = hashlib.sha256(repr(extra).encode())
        paths = [DPKG_STATUS, self.program] + [x for x, _ in self.files]
        for top, _ in self.dirs:
            for root, dirs, files in os.walk(top):
                dirs.sort()
                paths += [os.path.join(root, n) for n in sorted(files)]
        for path in paths:
            st = os.lstat(path)
            h.update(("%s %o %d %d\n" % (path, st.st_mode, st.st_size,
                                          st.st_mtime_ns)).encode())
        return h.hexdigest()

    def kiln_image(self):
        """kiln build the image, unless the one built from the same inputs
        is there (python's takes ~25 s under load); on failure remember
        why (Kiln's lines then print "fails")."""
        img = os.path.join(OUT, self.name + ".img")
        argv = [KILN, "build", "-o", img]
        for host, guest in self.files:
            argv += ["--file", "%s:%s" % (host, guest)]
        for host, guest in self.dirs:
            argv += ["--dir", "%s:%s" % (host, guest)]
        argv += [self.program] + self.args
        key = self.inputs([argv] + [_stat(p) for p in (KILN, boot.KERNEL)])
        if _cached(img, key):
            self.image = img
            return
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode != 0:
            lines = (p.stderr or p.stdout).strip().splitlines() or ["?"]
            self.kiln_why = "kiln build: " + lines[-1]
        else:
            self.image = img
            _remember(img, key)

    def linux_initrd(self, modules):
        """The initramfs: busybox, /init, the program, its interpreter and
        the closure of its libraries (and of every ELF file of its trees),
        its files and trees at the same paths as in the Kiln image.  It is
        not compressed: Linux then spends no boot time inflating it."""
        files = []
        netup = ""
        if self.port:
            names = [os.path.basename(m)[:-3] for m in modules]
            files = [("mod/" + os.path.basename(m), m) for m in modules]
            netup = INIT_NET % {"modules": " ".join(names)}
        init = INIT % {"net": netup, "name": self.name, "argv": " ".join(
            sh_quote(w) for w in [self.program] + self.args)}
        path = os.path.join(LINUX_DIR, "realapps-%s.cpio" % self.name)
        key = self.inputs([init, files, _stat(linux_guest.ensure_busybox())]
                          + [_stat(m) for _, m in files])
        if _cached(path, key):
            self.initrd = path
            return
        self.initrd = linux_guest.write_initramfs(
            path, init.encode(), files, dirs=["mod", "tmp"], tree=self.tree(),
            compress=False)
        _remember(path, key)


def _stat(path):
    st = os.stat(path)
    return (path, st.st_size, st.st_mtime_ns)


def _cached(path, key):
    """True when path exists and was made from the inputs key."""
    try:
        with open(path + ".inputs") as f:
            return f.read() == key and os.path.exists(path)
    except OSError:
        return False


def _remember(path, key):
    with open(path + ".inputs", "w") as f:
        f.write(key)


def make_apps():
    """The three apps, their files written under OUT."""
    os.makedirs(os.path.join(OUT, "www"), exist_ok=True)
    with open(os.path.join(OUT, "www", "index.html"), "wb") as f:
        f.write(INDEX)
    conf = os.path.join(OUT, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF)
    www = os.path.join(OUT, "www")
    py = App("python3", PYTHON, PY_ARGS, None)
    py.dirs = [(PYLIB, PYLIB)]
    ngx = App("nginx", NGINX, NGINX_ARGS, NGINX_PORT)
    ngx.files = [(conf, "/etc/nginx/nginx.conf"), (MIME, MIME)]
    ngx.files += [(os.path.join(www, "index.html"), "/www/index.html")]
    rds = App("redis", REDIS, REDIS_ARGS, REDIS_PORT)
    return [py, ngx, rds]


def kiln_argv(app, accel, mib, port, timeout):
    argv = [KILN, "run", "--accel", accel, "--mem", "%dM" % mib,
            "--timeout", str(int(timeout))]
    if app.port:
        argv += ["-p", "%d:%d/tcp" % (port, app.port)]
    return argv + [app.image]


def linux_argv(app, accel, mib, port):
    argv = (boot.QEMU_BASE + boot.ACCEL[accel] +
            ["-m", "%dM" % mib, "-kernel", LINUX_VMLINUZ, "-initrd",
             app.initrd, "-append", linux_cmdline()])
    return argv + (net.netdev(port, app.port) if app.port else [])


LINUX_VMLINUZ = None


def linux_cmdline():
    """The other benches' command line, and a ramfs root: the default
    tmpfs root may fill only half of memory, too little for python's tree
    at 256 MiB; ramfs has no cap, so Linux needs no more memory than the
    files and its archive of them."""
    return linux_guest.cmdline() + " rootfstype=ramfs"


def stop(vm):
    """End a VM and everything it started (its own session)."""
    if vm.proc.poll() is None:
        try:
            os.killpg(vm.proc.pid, signal.SIGTERM)
            vm.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(vm.proc.pid, signal.SIGKILL)
            vm.proc.wait()
        except ProcessLookupError:
            pass
    for t in vm.readers:
        t.join(5)


# The first answers wait_up asks for (bench/probes.py): GET / (HTTP/1.1
# needs Host: nginx answers 400 without it) and redis's PING.
GET_INDEX = (b"GET / HTTP/1.1\r\nHost: localhost\r\n"
             b"Connection: close\r\n\r\n")
PING = b"*1\r\n$4\r\nPING\r\n"


def index_ok(answer):
    """True for a 200 with index.html."""
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.startswith(b"HTTP/1.1 200 OK\r\n") and body == INDEX


def pong_ok(answer):
    return answer == b"+PONG\r\n"


def wait_up(vm, app, system, port):
    """Seconds from launch to the app's first output or answer, or
    (None, why)."""
    probes = None
    if app.name == "nginx":
        probes = Probes(port, GET_INDEX, index_ok)
    elif app.port is not None:
        probes = Probes(port, PING, pong_ok, whole=False)
    try:
        while vm.left() > 0 and vm.proc.poll() is None:
            if system == "linux" and LINUX_FAIL_RE.search(vm.out):
                break
            if probes is None and PY_OUT_RE.search(vm.out):
                return time.perf_counter() - vm.started, ""
            if probes is not None and probes.poll() is not None:
                return probes.answered - vm.started, ""
            time.sleep(0.005)
    finally:
        if probes is not None:
            probes.finish()
    for t in vm.readers:        # the last output of an app that ended
        t.join(1)
    if app.port is None and PY_OUT_RE.search(vm.out):
        return time.perf_counter() - vm.started, ""
    if probes is not None and probes.answered is not None:
        return probes.answered - vm.started, ""
    if vm.left() <= 0:
        return None, "timeout"
    return None, "fails: " + vm_why(vm)


def vm_why(vm):
    """The line that best says why a VM failed."""
    text = (vm.err + vm.out).decode(errors="replace").replace("\r", "")
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    for pat in ("panic", "Out of memory", "FAIL", "error", "kiln:", "exited"):
        hits = [x for x in lines if pat in x]
        if hits:
            return hits[0][:100]
    return lines[-1][:100] if lines else "no output (status %s)" % \
        vm.proc.poll()


def redis_rates(port):
    """{"SET": r, "GET": r} from redis-benchmark, or (None, why)."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q",
            "-t", "set,get", "-n", str(REDIS_N), "-c", str(REDIS_CONNS)]
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=REDIS_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "redis-benchmark: over %d s" % REDIS_TIMEOUT
    out = p.stdout.replace("\r", "\n")
    rates = {m.group(1): float(m.group(2)) for m in BENCH_RE.finditer(out)}
    if p.returncode != 0 or sorted(rates) != ["GET", "SET"] or \
            "error" in out.lower():
        lines = (p.stderr or out).strip().splitlines() or ["no output"]
        return None, "redis-benchmark: " + lines[-1]
    return rates, ""


class Series:
    """The samples of one (app, measure, system)."""

    def __init__(self):
        self.values = []


class Bench:
    """Every series of the run, by (accel, app, measure, system)."""

    def __init__(self):
        self.series = {}
        self.dead = {}          # (accel, app, system) -> why it stopped
        # (accel, app, system) -> why its load failed: its later boots
        # still measure start-up, without the load.
        self.no_load = {}

    def add(self, key, value):
        self.series.setdefault(key, Series()).values.append(value)

    def fail(self, accel, app, system, why):
        self.dead[(accel, app.name, system)] = why

    def load_failed(self, accel, app, system, why):
        self.no_load[(accel, app.name, system)] = why


def one_boot(bench, accel, app, system, load):
    """Boot app once on system: start-up, then (servers, when load)
    throughput."""
    port = net.free_tcp_port()
    if system == "kiln":
        argv = kiln_argv(app, accel, RUN_MEM_MIB, port, START_TIMEOUT + 90)
    else:
        argv = linux_argv(app, accel, RUN_MEM_MIB, port)
    vm = net.VM(argv, START_TIMEOUT)
    try:
        up, why = wait_up(vm, app, system, port)
        if up is None:
            bench.fail(accel, app, system, why)
            return
        bench.add((accel, app.name, "start", system), up * 1000)
        if system == "linux":
            net.widen_forwards(vm.proc.pid)   # as kiln run -p does
        if not load or (accel, app.name, system) in bench.no_load:
            return
        vm.deadline += 90   # room for the load
        if app.name == "nginx":
            rate, why = net.ab_rate(port, "/", AB_SECONDS)
            if rate is None:
                bench.load_failed(accel, app, system, "fails: " + why)
                return
            bench.add((accel, app.name, "req/s", system), rate)
        elif app.name == "redis":
            rates, why = redis_rates(port)
            if rates is None:
                bench.load_failed(accel, app, system, "fails: " + why)
                return
            for test, rate in rates.items():
                bench.add((accel, app.name, test, system), rate)
    finally:
        stop(vm)


def measure(bench, accel, apps_, systems, runs, load_runs):
    """runs interleaved boots of each app on each system; the first
    load_runs of them also measure the servers' throughput."""
    for app in apps_:
        for i in range(runs):
            for system in systems:
                if (accel, app.name, system) in bench.dead:
                    continue
                one_boot(bench, accel, app, system, i < load_runs)
            print("  %s %s: boot %d of %d done" % (accel, app.name, i + 1,
                                                    runs), file=sys.stderr)


def mem_ok(app, system, mib, timeout):
    """(ok, why): app on system with mib MiB comes up (TCG)."""
    port = net.free_tcp_port()
    if system == "kiln":
        argv = kiln_argv(app, "tcg", mib, port, timeout)
    else:
        argv = linux_argv(app, "tcg", mib, port)
    vm = net.VM(argv, timeout)
    try:
        up, why = wait_up(vm, app, system, port)
    finally:
        stop(vm)
    return up is not None, why


def smallest_mem(bench, app, system):
    """The smallest whole MiB below RUN_MEM_MIB (where the timed runs came
    up) in at most MEM_BOOTS boots (membisect: the last answer and its
    neighbour first, then a bisection); return (MiB, exact, why the MiB
    below failed) or None when the timed runs never came up."""
    starts = bench.series.get(("tcg", app.name, "start", system))
    if not starts or not starts.values:
        return None
    timeout = max(MEM_PROBE_MIN_S, 3 * statistics.median(starts.values)
                  / 1000)
    s = membisect.smallest("realapps %s %s" % (app.name, system),
                           lambda m: mem_ok(app, system, m, timeout),
                           0, RUN_MEM_MIB, MEM_BOOTS)
    return s.hi, s.exact(), "%d MiB: %s" % (s.lo, s.why_lo) if s.lo \
        else "-"


def spread(s, fmt):
    if not s or not s.values:
        return "%-21s" % "-"
    v = s.values
    return "%-21s" % ((fmt + " (" + fmt + "-" + fmt + ")") % (
        statistics.median(v), min(v), max(v)))


LINES = (("python3", "start", "start-up ms", "%.0f", "time"),
         ("nginx", "start", "start-up ms", "%.0f", "time"),
         ("redis", "start", "start-up ms", "%.0f", "time"),
         ("nginx", "req/s", "ab -k req/s", "%.0f", "rate"),
         ("redis", "SET", "SET req/s", "%.0f", "rate"),
         ("redis", "GET", "GET req/s", "%.0f", "rate"))
MIN_RATE_RATIO = 1.5


def cell(bench, accel, app, measure, system, fmt):
    s = bench.series.get((accel, app, measure, system))
    if s and s.values:
        return spread(s, fmt), statistics.median(s.values)
    why = bench.dead.get((accel, app, system)) or (
        measure != "start" and bench.no_load.get((accel, app, system)))
    return "%-21s" % ((why or "n/a").split(":")[0]), None


def print_results(bench, accels, mems):
    print("%-5s %-8s %-12s %-21s %-21s %s" % (
        "accel", "app", "measure", "kiln median (min-max)",
        "linux median (min-max)", "ratio"))
    for accel in accels:
        for app, measure_, what, fmt, kind in LINES:
            k, km = cell(bench, accel, app, measure_, "kiln", fmt)
            x, xm = cell(bench, accel, app, measure_, "linux", fmt)
            ratio = "n/a"
            if km and xm and kind == "time":
                ratio = "linux/kiln %.2fx" % (xm / km)
            elif km and xm:
                r = km / xm
                ratio = "kiln/linux %.2fx  target >= %.1fx %s" % (
                    r, MIN_RATE_RATIO, boot.verdict(r >= MIN_RATE_RATIO))
            elif kind == "rate":
                ratio = "n/a  target >= %.1fx kiln/linux" % MIN_RATE_RATIO
            print("%-5s %-8s %-12s %s %s %s" % (accel, app, what, k, x,
                                                 ratio))
    for app, res in mems:
        cells = []
        for system in ("kiln", "linux"):
            r = res.get(system)
            cells.append("%-21s" % ("-" if r is None else
                                    "%d" % r[0] if r[1] else
                                    "<= %d" % r[0]))
        k, x = res.get("kiln"), res.get("linux")
        ratio = "linux/kiln %.2fx" % (x[0] / k[0]) if k and x else "n/a"
        print("%-5s %-8s %-12s %s %s %s" % ("tcg", app, "mem MiB",
                                             cells[0], cells[1], ratio))
    notes = ["  %s %s %s: %s" % (a, n, s, why)
             for (a, n, s), why in sorted(bench.dead.items())]
    notes += ["  %s %s %s: load: %s (later boots: start-up only)" % (
        a, n, s, why) for (a, n, s), why in sorted(bench.no_load.items())]
    for app, res in mems:
        for system, r in sorted(res.items()):
            if r:
                notes.append("  mem %s %s: largest failing %s" % (
                    app, system, r[2]))
    if notes:
        print("\n" + "\n".join(notes))


def print_header(apps_, linux, accels, runs, load_runs):
    print("Real-application benchmark: QEMU %s, -M microvm, %d MiB guests,"
          "\n       virtio-net, user networking, 127.0.0.1:PORT forwarded" %
          (boot.qemu_version(), RUN_MEM_MIB))
    print("host: %s, %d CPUs; KVM %s" % (
        platform.machine(), os.cpu_count() or 0,
        boot.kvm_state(accels)))
    print("apps: Debian's %s %s (+ %s); %s; %s %s" % (
        PYTHON, " ".join(PY_ARGS), PYLIB, NGINX, REDIS,
        " ".join(REDIS_ARGS[:2])))
    for app in apps_:
        if app.kiln_why:
            print("kiln %s: %s" % (app.name, app.kiln_why))
    if isinstance(linux, str):
        print("linux: unavailable: " + linux)
    elif linux:
        print("linux: %s; an uncompressed busybox initramfs with the same\n"
              "       binaries, ld.so, library closure (ldd) and trees; "
              "/init mounts\n       /proc and /dev, for servers "
              "sets eth0\n       10.0.2.15/24 via 10.0.2.2, "
              "then runs the app; -append\n       \"%s\"" % (
                  os.path.basename(LINUX_VMLINUZ), linux_cmdline()))
    print("runs: %d interleaved boots per app and system; start-up: launch "
          "to python's\n       output, nginx's 200 for GET /, redis's +PONG; "
          "req/s: ab -k -c 8 -t %d\n       of a %d B index.html, "
          "redis-benchmark -q -t set,get -n %d -c %d,\n       in the first "
          "%d server boots of each; mem: whole MiB below %d, the last answer and its\n"
          "       neighbour first, then at most %d bisection "
          "boots; ratios: kiln/linux for rates, linux/kiln for time and "
          "mem\n" % (runs, AB_SECONDS, len(INDEX), REDIS_N, REDIS_CONNS,
                      load_runs, RUN_MEM_MIB, MEM_BOOTS))
    sys.stdout.flush()


def check_setup():
    for path, make in ((KILN, "cli"), (boot.KERNEL, "kernel")):
        if not os.path.exists(path):
            raise BenchError("%s is missing; run `make %s`" % (path, make))
    for path in (PYTHON, PYLIB, NGINX, MIME, REDIS):
        if not os.path.exists(path):
            raise BenchError("%s is missing; run `sh scripts/deps.sh "
                             "bench`" % path)
    for tool in CLIENTS:
        if not shutil.which(tool):
            raise BenchError("%s is missing; run `sh scripts/deps.sh "
                             "bench`" % tool)


def prepare_linux(apps_):
    """Write each app's initramfs; return None or why Linux is absent."""
    global LINUX_VMLINUZ
    try:
        LINUX_VMLINUZ = linux_guest.baseline_kernel()
        # virtio-net is built into the baseline: no module to load.
        modules = []
        for app in apps_:
            app.linux_initrd(modules)
    except linux_guest.Unavailable as e:
        return str(e)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10,
                    help="interleaved boots per app and system (default 10,"
                    " issue 16's minimum for a start-up figure)")
    ap.add_argument("--load-runs", type=int, default=5,
                    help="of those, boots that also measure requests/s "
                    "(default 5, the minimum for throughput)")
    ap.add_argument("--no-linux", action="store_true")
    ap.add_argument("--no-mem", action="store_true",
                    help="skip the smallest-memory bisection")
    # run.sh hands every bench the same options; boots here are
    # interleaved, so Linux runs as often as Kiln and this is ignored.
    ap.add_argument("--linux-runs", type=int, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    check_setup()
    started = time.perf_counter()
    apps_ = make_apps()
    for app in apps_:
        app.kiln_image()
    linux = None if opts.no_linux else prepare_linux(apps_)
    systems = ["kiln"] + ([] if opts.no_linux or linux else ["linux"])
    accels = ["tcg", "kvm"] if boot.kvm_usable() else ["tcg"]
    print_header(apps_, None if opts.no_linux else linux or True, accels,
                 opts.runs, min(opts.load_runs, opts.runs))

    bench = Bench()
    for accel in accels:
        for app in apps_:
            if app.kiln_why:
                bench.fail(accel, app, "kiln", "fails: " + app.kiln_why)
        measure(bench, accel, apps_, systems, opts.runs, opts.load_runs)
    mems = []
    if not opts.no_mem:
        for app in apps_[:2]:
            mems.append((app.name, {s: smallest_mem(bench, app, s)
                                    for s in systems}))
    print_results(bench, accels, mems)
    print("\nbench took %.1f s" % (time.perf_counter() - started))


if __name__ == "__main__":
    boot.run_main(main)
