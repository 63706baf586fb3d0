"""threads.py - thread, futex, pipe, epoll and idle benchmarks: static musl
programs run by Kiln beside the same binaries run by the Linux baseline on the
same QEMU microvm and accelerator (one vCPU each).

  thread  ns per pthread_create+pthread_join, threads one at a time
  futex   ns per round trip of two threads alternating through two futex
          words (raw FUTEX_WAIT/FUTEX_WAKE, private)
  pipe    ns per round trip of one byte between two threads, two pipes
  epoll   ns per (write 1 byte, epoll_wait, read) with 1,000 pipes' read
          ends registered and one active
  idle    host CPU use of an idle guest: the program prints a line,
          nanosleeps 5 s, prints another; QEMU's user+sys CPU time between
          the two lines (from /proc/QEMU-PID/stat) over the wall time
          between them.  The whole run's CPU (os.wait4 rusage of `kiln run`
          and its QEMU, or of the Linux QEMU: boot, programs, poweroff) over
          its wall time is shown beside it.

The timed programs measure themselves inside the guest with CLOCK_MONOTONIC.
Target for every test: Kiln at least matches the Linux guest.  A Kiln run
that fails prints "fails: <first stderr line>" in its row; a Linux hang
prints "timeout".  Only a broken setup (no kiln, a build failing) exits 1.

usage: python3 bench/threads.py [--runs N] [--linux-runs N] [--no-linux]
"""

import argparse
import os
import platform
import re
import select
import signal
import subprocess
import sys
import time

import apps
import boot
import linux_guest
from boot import BenchError

ROOT, OUT, KILN = boot.ROOT, boot.OUT, apps.KILN
TIMED = ("thread", "futex", "pipe", "epoll")
PROGS = TIMED + ("idle",)
IDLE_S = 5

# Loop counts per accelerator: ~0.1-0.4 s of the Linux guest's time each
# under TCG on an idle host (at 5000 threads, 3.7 ms each, the one Linux
# boot took 36 s under load).  Under this host's nested KVM a Kiln
# syscall costs ~0.5 ms, a thread ~13 ms and each pipe() ~20 ms (so
# epoll's 1,000-pipe set-up ~20 s): KVM gets tiny loops and one run each.
ITERS = {"tcg": {"thread": 500, "futex": 5000, "pipe": 5000,
                 "epoll": 10000},
         "kvm": {"thread": 20, "futex": 100, "pipe": 100, "epoll": 100}}
# Rounds per accelerator: issue 16 asks for at least 5 per side.
KILN_RUNS = {"tcg": 5, "kvm": 1}
# Seconds per VM run.  A Linux boot runs every program plus the idle sleep;
# under this host's nested KVM it hangs, so its timeout is kept short.
TIMEOUT = {("kiln", "tcg"): 40, ("kiln", "kvm"): 60,
           ("linux", "tcg"): 60, ("linux", "kvm"): 25}

RESULT_RE = re.compile(r"^(thread|futex|pipe|epoll): .*?([0-9.]+) ns/", re.M)
IDLE_START = b"idle: sleeping"
IDLE_END = b"idle: slept"
TICK = os.sysconf("SC_CLK_TCK")
UNIT = {"thread": "ns/thread", "futex": "ns/rt", "pipe": "ns/rt",
        "epoll": "ns/iter", "idle": "% cpu"}


class Run:
    """What one VM run left: exit status, output, wall and CPU figures."""

    def __init__(self):
        self.rc, self.out, self.err = None, b"", b""
        self.wall = self.cpu = None      # whole run, seconds
        self.idle = None                 # (cpu s, wall s) of the sleep


def cpu_seconds(pid):
    """utime+stime of pid (all its threads) in seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK   # stat fields 14, 15


def qemu_pid(pid):
    """pid itself when it is QEMU, else its QEMU child (kiln run forks it)."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            if f.read().startswith("qemu"):
                return pid
    except OSError:
        return None
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        comm, rest = s.split(" (", 1)[1].rsplit(") ", 1)
        if comm.startswith("qemu") and int(rest.split()[1]) == pid:
            return int(d)
    return None


def run_vm(argv, timeout):
    """Run argv (kiln run or QEMU) in its own process group, reading its
    output as it comes; sample QEMU's CPU time when the idle program's two
    lines appear.  Kills the group after timeout seconds (rc stays None)."""
    r, marks = Run(), []
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    got = {p.stdout.fileno(): bytearray(), p.stderr.fileno(): bytearray()}
    live, qpid = set(got), None
    while live and time.perf_counter() < start + timeout:
        for fd in select.select(list(live), [], [], 0.2)[0]:
            chunk = os.read(fd, 65536)
            got[fd] += chunk
            if not chunk:
                live.discard(fd)
            elif fd == p.stdout.fileno() and len(marks) < 2 and (
                    (IDLE_START, IDLE_END)[len(marks)] in got[fd]):
                qpid = qpid or qemu_pid(p.pid)
                marks.append((cpu_seconds(qpid) if qpid else None,
                              time.perf_counter()))
    if live:                         # timed out: end the group we started
        os.killpg(p.pid, signal.SIGKILL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    r.wall = time.perf_counter() - start
    r.out, r.err = bytes(got[p.stdout.fileno()]), bytes(got[p.stderr.fileno()])
    p.stdout.close()
    p.stderr.close()
    if not live:
        r.rc, r.cpu = p.returncode, ru.ru_utime + ru.ru_stime
    if len(marks) == 2 and None not in (marks[0][0], marks[1][0]):
        r.idle = (marks[1][0] - marks[0][0], marks[1][1] - marks[0][1])
    return r


def build_programs():
    """Compile bench/progs/<PROGS>.c static with musl and -pthread; build
    one Kiln image each; return ({name: binary}, {name: image})."""
    progs, images = {}, {}
    for name in PROGS:
        src = os.path.join(ROOT, "bench", "progs", name + ".c")
        progs[name] = os.path.join(OUT, name)
        images[name] = os.path.join(OUT, name + ".img")
        boot.run_checked(["musl-gcc", "-static", "-O2", "-pthread", "-Wall",
                          "-Wextra", "-Werror", "-o", progs[name], src])
        boot.run_checked([KILN, "build", "-o", images[name], progs[name]])
    return progs, images


def why_failed(r, timeout, what):
    """One line saying why run r did not give a result."""
    if r.rc is None:
        return "timed out after %d s" % timeout
    lines = [x for x in r.err.decode(errors="replace").splitlines()
             if x.strip()]
    if r.rc != 0:
        return "fails: " + (lines[0] if lines else "exit %d" % r.rc)
    return "fails: %s printed no result" % what


def results(out):
    """{test: ns} from the lines the timed programs print."""
    return {m.group(1): float(m.group(2))
            for m in RESULT_RE.finditer(out.decode(errors="replace"))}


def idle_percent(r):
    """(sleep-window CPU %, whole-run CPU %) of run r."""
    cpu, wall = r.idle
    return 100.0 * cpu / wall, 100.0 * r.cpu / r.wall


def idle_note(r, whole_is):
    """The idle row's note: the sleep window's CPU and the whole run's."""
    whole = idle_percent(r)[1]
    return "%.0f ms cpu in %.2f s; whole run %.1f%% of %.1f s (%s)" % (
        r.idle[0] * 1000, r.idle[1], whole, r.wall, whole_is)


def kiln_once(accel, image, args):
    timeout = TIMEOUT[("kiln", accel)]
    argv = [KILN, "run", "--accel", accel, "--timeout", str(timeout), image]
    return run_vm(argv + list(args), timeout + 10), timeout


def kiln_round(accel, images, rows):
    """One Kiln run of each timed program (a failed row is not run
    again)."""
    for row in rows:
        if row.note:
            continue
        r, timeout = kiln_once(accel, images[row.test],
                               [str(ITERS[accel][row.test])])
        res = results(r.out) if r.rc == 0 else {}
        if row.test not in res:
            row.note = why_failed(r, timeout, row.test)
            continue
        row.values.append(res[row.test])


def kiln_idle(accel, images):
    """Kiln's idle row: one run."""
    row = apps.Row(accel, "kiln", "idle")
    r, timeout = kiln_once(accel, images["idle"], [str(IDLE_S)])
    if r.rc != 0 or not r.idle:
        row.note = why_failed(r, timeout, "idle")
    else:
        row.values.append(idle_percent(r)[0])
        row.note = idle_note(r, "kiln run + its qemu")
    return row


def measure(accel, images, guest, runs, linux_runs):
    """Rounds of (each Kiln program once, one Linux boot running them
    all), interleaved so the host's load hits both sides alike; then
    Kiln's idle run.  Returns the rows, Kiln's first."""
    krows = [apps.Row(accel, "kiln", t) for t in TIMED]
    lrows = [apps.Row(accel, "linux", t) for t in PROGS] if guest else []
    for i in range(max(runs, linux_runs if guest else 0)):
        if i < runs:
            kiln_round(accel, images, krows)
        if guest and i < linux_runs:
            linux_boot(accel, guest, lrows, i)
    return krows + [kiln_idle(accel, images)] + lrows


def linux_boot(accel, guest, rows, i):
    """One Linux boot: every timed program (then idle, in the first boot
    only, as Kiln's idle runs once), then power off.  A hang is not
    retried (the rows' notes say so)."""
    if rows[0].timeouts:
        return
    runs_in_init = [(t, [str(ITERS[accel][t])]) for t in TIMED]
    if i == 0:
        runs_in_init.append(("idle", [str(IDLE_S)]))
    initrd = guest.initramfs("threads-%s%s" % (accel, "-idle" * (i == 0)),
                             runs_in_init)
    argv = boot.QEMU_BASE + boot.ACCEL[accel] + [
        "-kernel", guest.vmlinuz, "-initrd", initrd,
        "-append", linux_guest.cmdline()]
    timeout = TIMEOUT[("linux", accel)]
    r = run_vm(argv, timeout)
    if r.rc is None:
        for row in rows:
            row.timeouts += 1
            row.note = "hung at boot %d; not retried" % (i + 1)
        return
    res = results(r.out.replace(b"\r", b""))
    for row in rows[:-1]:
        if row.test in res:
            row.values.append(res[row.test])
        elif not row.note:
            row.note = why_failed(r, timeout, row.test)
    if r.idle and r.rc == 0:
        rows[-1].values.append(idle_percent(r)[0])
        rows[-1].note = idle_note(r, "qemu: boot, all programs, "
                                  "poweroff")
    elif i == 0 and not rows[-1].note:
        rows[-1].note = why_failed(r, timeout, "idle")


def print_table(rows):
    print("%-5s %-6s %-6s %4s %12s %12s %-9s  %s" % (
        "accel", "system", "test", "runs", "median", "min", "unit", "notes"))
    for r in rows:
        if r.values:
            med, low = "%.1f" % r.median(), "%.1f" % min(r.values)
        elif r.timeouts:
            med, low = "timeout", "(>%d s)" % TIMEOUT[(r.system, r.accel)]
        else:
            med, low = "n/a", "-"
        print("%-5s %-6s %-6s %4d %12s %12s %-9s  %s" % (
            r.accel, r.system, r.test, len(r.values) + r.timeouts, med, low,
            UNIT[r.test], r.note))


def target_line(what, value, target, result):
    print("  %-22s %10s   %-26s %s" % (what, value, target, result))


def missing(kiln, lx):
    """Why a target cannot be judged, or None when both sides have values."""
    if not kiln.values:
        return "n/a (kiln %s)" % ("fails" if kiln.note else "no result")
    if lx is None:
        return "n/a (no linux)"
    if not lx.values:
        return "n/a (linux %s)" % ("timed out" if lx.timeouts else
                                   "no result")
    return None


def print_targets(rows, accels):
    """Kiln at least matches Linux: linux/kiln >= 1 for the timed tests;
    for idle, Kiln's CPU % at most Linux's plus one clock tick."""
    by = {(r.accel, r.system, r.test): r for r in rows}
    slack = 100.0 / TICK / IDLE_S
    print("\nAgainst the target \"Kiln at least matches the Linux guest\" "
          "(medians of this run):")
    for accel in accels:
        for test in PROGS:
            kiln = by[(accel, "kiln", test)]
            lx = by.get((accel, "linux", test))
            why = missing(kiln, lx)
            if test == "idle":
                what, target = "%s idle kiln/linux" % accel, \
                    "kiln <= linux + %.1f%%" % slack
                value = "-" if why else "%.1f/%.1f%%" % (kiln.median(),
                                                        lx.median())
                ok = not why and kiln.median() <= lx.median() + slack
            else:
                what, target = "%s %s linux/kiln" % (accel, test), \
                    ">= 1x (kiln as fast)"
                value = "-" if why else "%.2fx" % (lx.median() / kiln.median())
                ok = not why and lx.median() >= kiln.median()
            target_line(what, value, target, why or boot.verdict(ok))


def print_header(progs, linux, accels, linux_runs):
    print("Threads benchmark: QEMU %s, -M microvm, 1 vCPU" %
          boot.qemu_version())
    print("host: %s, %d CPUs; KVM %s" % (
        platform.machine(), os.cpu_count() or 0,
        boot.kvm_state(accels)))
    print("programs: %s (musl-gcc -static -O2 -pthread)" % ", ".join(
        os.path.relpath(p, ROOT) for p in progs.values()))
    if isinstance(linux, str):
        print("linux: unavailable: " + linux)
    elif linux:
        print("linux: %s; one boot runs thread, futex, pipe, epoll (idle "
              "in the first\n       boot only) in turn, then `poweroff -f`; "
              "%d boot(s) per accel,\n       interleaved with Kiln's, "
              "timeout %s" % (
                  os.path.basename(linux.vmlinuz), linux_runs, ", ".join(
                      "%d s %s" % (TIMEOUT[("linux", a)], a) for a in accels)))
    print("loops (timed in the guest with CLOCK_MONOTONIC): %s;\n"
          "       kiln runs: %s" % ("; ".join(
        "%s %s" % (a, ", ".join("%s %d" % (t, ITERS[a][t]) for t in TIMED))
        for a in accels), ", ".join("%d %s" % (KILN_RUNS[a], a)
                                    for a in accels)))
    print("idle: QEMU user+sys CPU over wall, between the guest's lines "
          "before and after\n      its %d s nanosleep (/proc/PID/stat, %d "
          "ticks/s); rt = round trip\n" % (IDLE_S, TICK))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=None,
                    help="kiln runs of each timed program under TCG "
                         "(default %d)" % KILN_RUNS["tcg"])
    ap.add_argument("--linux-runs", type=int, default=None,
                    help="Linux boots per accelerator (default: as many "
                    "as Kiln's runs, interleaved)")
    ap.add_argument("--no-linux", action="store_true")
    opts = ap.parse_args()
    for path, make in ((KILN, "cli"), (boot.KERNEL, "kernel")):
        if not os.path.exists(path):
            raise BenchError("%s is missing; run `make %s`" % (path, make))
    if opts.runs:
        KILN_RUNS["tcg"] = opts.runs
    if opts.linux_runs is None:
        opts.linux_runs = KILN_RUNS["tcg"]
    started = time.perf_counter()
    os.makedirs(OUT, exist_ok=True)
    progs, images = build_programs()
    linux = None if opts.no_linux else apps.prepare_linux(progs)
    guest = linux if isinstance(linux, apps.LinuxGuest) else None
    accels = ["tcg", "kvm"] if boot.kvm_usable() else ["tcg"]
    print_header(progs, linux, accels, opts.linux_runs)

    rows = []
    for accel in accels:
        rows += measure(accel, images, guest, KILN_RUNS[accel],
                        opts.linux_runs if accel == "tcg" else 1)
    print_table(rows)
    print_targets(rows, accels)
    print("\nbench took %.1f s" % (time.perf_counter() - started))


if __name__ == "__main__":
    boot.run_main(main)
