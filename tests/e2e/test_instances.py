"""test_instances.py - kiln run forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the app (docs/instances.md).

A static program waits for signals: it prints "ready", then one line per
signal it catches; SIGTERM ends it with status 3, the third other signal
with 4. kiln is sent the signals itself (not a terminal's ^C): the
guest's kernel must deliver them to pid 1 through the COM4 channel.
The program keeps the signals blocked outside sigsuspend, so one sent as
soon as a line is read is never missed (as it was with pause()).
"""
import errno
import os
import select
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from guest_util import KILN  # noqa: E402  (build/kiln, or $KILN_BIN)
T = 90  # seconds any one VM may take, TCG on a shared machine

SIGAPP_C = r"""
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BIT(sig) (1 << (sig))
#define SETS (BIT(SIGHUP) | BIT(SIGINT) | BIT(SIGQUIT))

static volatile sig_atomic_t got, seen_set;

/* Handlers run with the other three blocked (sa_mask): no torn updates. */
static void on_sig(int sig)
{
	got = sig;
	seen_set |= BIT(sig);
}

static const char *name(int sig)
{
	switch (sig) {
	case SIGHUP: return "HUP";
	case SIGINT: return "INT";
	case SIGQUIT: return "QUIT";
	case SIGTERM: return "TERM";
	}
	return "?";
}

/* One line and a flush; the signals are blocked, so nothing is missed. */
static void say(const char *what)
{
	printf("%s\n", what);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "catch";
	struct sigaction sa = { .sa_handler = on_sig };
	struct timespec nap = { 0, 500000000 };
	sigset_t fwd, none;
	char line[32];
	int seen = 0;

	/*
	 * The four signals kiln forwards stay blocked except inside
	 * sigsuspend. With pause() a signal that came while the app was
	 * printing (the test sends the next one as soon as it reads a line)
	 * ran its handler there, and pause() then slept through it.
	 */
	sigemptyset(&none);
	sigemptyset(&fwd);
	sigaddset(&fwd, SIGHUP);
	sigaddset(&fwd, SIGINT);
	sigaddset(&fwd, SIGQUIT);
	sigaddset(&fwd, SIGTERM);
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	sa.sa_mask = fwd;
	if (!strcmp(mode, "ignore"))
		signal(SIGTERM, SIG_IGN);
	else if (strcmp(mode, "default")) {
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
	}
	say("ready");
	if (!strcmp(mode, "fail"))
		return 5;
	for (;;) {
		/* "slow": busy elsewhere when the signal comes; it waits */
		if (!strcmp(mode, "slow"))
			nanosleep(&nap, NULL);
		sigsuspend(&none);
		if (got == SIGTERM) {
			say("got TERM");
			return 3;
		}
		/* "sets": a line once HUP, INT and QUIT have all come */
		if (!strcmp(mode, "sets")) {
			if (seen_set == SETS) {
				seen_set = 0;
				say("got HUP INT QUIT");
			}
			continue;
		}
		if (got) {
			snprintf(line, sizeof(line), "got %s", name(got));
			say(line);
			if (++seen == 3)
				return 4;
			got = 0;
		}
	}
}
"""


def build_sigapp(tmp_path_factory):
    """SIGAPP_C built static with musl; its path (test_containerd's too)."""
    d = tmp_path_factory.mktemp("sigapp")
    (d / "sigapp.c").write_text(SIGAPP_C)
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(d / "sigapp"),
                    str(d / "sigapp.c")], check=True, timeout=T)
    return str(d / "sigapp")


@pytest.fixture(scope="module")
def sigapp(tmp_path_factory):
    if not os.path.exists(KILN):
        pytest.fail("build/kiln is missing: run make first")
    return build_sigapp(tmp_path_factory)


@pytest.fixture
def start():
    """start(*args) -> Popen of `kiln run ARGS`; every one is ended after the test."""
    procs = []

    def run(*args):
        p = subprocess.Popen([KILN, "run", *args], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(p)
        return p
    yield run
    for p in procs:
        if p.poll() is None:
            p.kill()  # kiln only: its QEMU then sees its pipes close
            p.wait(timeout=T)
        p.stdout.close()
        p.stderr.close()


def read_line(p, deadline, stream=None):
    """The next line of p's stream (stdout unless given; bytes), within
    the deadline."""
    stream = stream or p.stdout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for the app; got %r" % line
        r, _, _ = select.select([stream], [], [], left)
        if r:
            c = os.read(stream.fileno(), 1)
            assert c, "stream ended; got %r" % line
            line += c
    return line


def finish(p):
    out, err = p.communicate(timeout=T)
    return p.returncode, out, err


def test_sigterm_reaches_the_app(sigapp, start):
    p = start(sigapp)
    assert read_line(p, time.monotonic() + T) == b"ready\n"
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    assert (rc, out, err) == (3, b"got TERM\n", b"")


def test_sigterm_sent_during_the_boot_is_not_dropped(sigapp, start):
    """SIGTERM sent as soon as the kernel's banner is out, before the app
    runs: COM4 is read just before the app's first instruction, so it is
    pending then. The default action ends the app at its first system
    call (143, no output), or, if the app had blocked it first, it waits
    for sigsuspend (3). Dropped, the app would wait for ever."""
    p = start("--verbose", sigapp)
    deadline = time.monotonic() + T
    while b"Kiln " not in read_line(p, deadline, p.stderr):
        pass
    p.send_signal(signal.SIGTERM)
    rc, out, _ = finish(p)
    assert (rc, out) in ((143, b""), (3, b"ready\ngot TERM\n"))


def writer_for(fifo, deadline):
    """A writer's fd on fifo once a reader is in open(2): a non-blocking
    open for writing fails with ENXIO until then. The reader's open then
    returns, and its read waits for the bytes."""
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
        time.sleep(0.01)
    return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP,
                                 signal.SIGINT])
def test_signal_before_qemu_starts_ends_kiln(tmp_path, sig):
    """The image is a FIFO with a writer that sends nothing: kiln waits
    for it before any VM exists, and the signal that comes then ends
    kiln at once by that signal (as the shell sees it, 128+N), with its
    temporary files gone. Held for a VM that is not there, the signal
    left kiln waiting for the image forever."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    fifo = tmp_path / "fifo.img"
    os.mkfifo(fifo)
    p = subprocess.Popen([KILN, "run", str(fifo)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, "TMPDIR": str(tmp)})
    try:
        fd = writer_for(fifo, time.monotonic() + T)
        assert fd is not None, "kiln never opened the image"
        time.sleep(0.1)
        p.send_signal(sig)
        out, err = p.communicate(timeout=5)
        os.close(fd)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=T)
    assert (p.returncode, out, err) == (-sig, b"", b"")
    assert os.listdir(tmp) == []


def expect_hup_int_quit(p):
    """The app says ready, then answers HUP, INT and QUIT in turn, each
    sent once the last was answered, and exits 4."""
    deadline = time.monotonic() + T
    assert read_line(p, deadline) == b"ready\n"
    for sig, name in ((signal.SIGHUP, b"HUP"), (signal.SIGINT, b"INT"),
                      (signal.SIGQUIT, b"QUIT")):
        p.send_signal(sig)
        assert read_line(p, deadline) == b"got " + name + b"\n"
    rc, out, err = finish(p)
    assert (rc, out, err) == (4, b"", b"")


def test_hup_int_quit_reach_the_app(sigapp, start):
    expect_hup_int_quit(start(sigapp))


def test_signals_sent_while_the_app_is_busy_wait_for_it(sigapp, start):
    """Each signal comes while the app sleeps with it blocked: it stays
    pending (the sleep is not cut short) and sigsuspend takes it at once.
    An app that runs the handler and then pauses would never wake."""
    expect_hup_int_quit(start(sigapp, "slow"))


def test_back_to_back_signals_all_arrive(sigapp, start):
    """HUP, INT and QUIT sent with no wait between them, 8 times over:
    three bytes in a row on COM4 are three signals, none lost or merged."""
    p = start(sigapp, "sets")
    deadline = time.monotonic() + T
    assert read_line(p, deadline) == b"ready\n"
    for _ in range(8):
        for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
            p.send_signal(sig)
        assert read_line(p, deadline) == b"got HUP INT QUIT\n"
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    assert (rc, out, err) == (3, b"got TERM\n", b"")


def test_uncaught_sigterm_ends_the_app(sigapp, start):
    """The default action: the app dies of SIGTERM, kiln exits 128+15."""
    p = start(sigapp, "default")
    assert read_line(p, time.monotonic() + T) == b"ready\n"
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    assert (rc, out) == (143, b"")


def test_stop_timeout_ends_an_app_ignoring_sigterm(sigapp, start):
    p = start("--stop-timeout", "2", sigapp, "ignore")
    assert read_line(p, time.monotonic() + T) == b"ready\n"
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    took = time.monotonic() - t0
    assert (rc, out) == (137, b"")
    assert err.decode().splitlines()[-1] == (
        "kiln: %s: still running 2 seconds after SIGTERM: the VM was ended"
        % sigapp)
    assert 2 <= took < 2 + 10, took


@pytest.mark.parametrize("val", ["-1", "x", "", "1e9"])
def test_bad_stop_timeout(val, sigapp):
    r = subprocess.run([KILN, "run", "--stop-timeout", val, sigapp],
                       capture_output=True, timeout=T)
    assert r.returncode == 2
    assert r.stderr.decode().startswith("kiln run: bad --stop-timeout")


# ---- detached instances: kiln run -d, ps, logs, stop, kill, rm, wait ----

GUEST_DIR = os.path.join(ROOT, "build", "tests", "guest", "musl")


@pytest.fixture
def inst(tmp_path):
    """inst(*args) -> CompletedProcess of kiln ARGS with a private runtime
    dir; every instance left is removed (rm -f) after the test."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime))

    def run(*args, timeout=T):
        return subprocess.run([KILN, *args], capture_output=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    run.root = runtime / "kiln"
    yield run
    if run.root.exists():
        for d in run.root.iterdir():
            subprocess.run([KILN, "rm", "-f", d.name], capture_output=True,
                           env=env, timeout=T)


def ps_rows(inst, *args):
    out = inst("ps", *args).stdout.decode().splitlines()
    assert out[0].split() == ["ID", "NAME", "IMAGE", "STATUS", "PORTS"]
    return {r.split()[1]: r for r in out[1:]}


def wait_for_log(inst, name, text, within=T):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        out = inst("logs", name).stdout
        if text in out:
            return out
        time.sleep(0.2)
    raise AssertionError("%s: no %r in the log" % (name, text))


def test_detached_lifecycle(sigapp, inst):
    r = inst("run", "-d", "--name", "web", sigapp)
    assert r.returncode == 0, r.stderr
    ident = r.stdout.decode().strip()
    assert len(ident) == 12 and int(ident, 16) >= 0
    assert (inst.root / ident / "name").read_text() == "web\n"
    wait_for_log(inst, "web", b"ready\n")
    row = ps_rows(inst)["web"]
    assert row.split()[0] == ident and " Up " in row
    r = inst("stop", "-t", "30", "web")
    assert (r.returncode, r.stdout) == (0, b"web\n")
    r = inst("wait", "web")
    assert (r.returncode, r.stdout) == (0, b"3\n")
    assert inst("logs", "web").stdout == b"ready\ngot TERM\n"
    assert "web" not in ps_rows(inst)
    assert "Exited (3) " in ps_rows(inst, "-a")["web"]
    r = inst("rm", "web")
    assert (r.returncode, r.stdout) == (0, b"web\n")
    assert "web" not in ps_rows(inst, "-a")
    assert not (inst.root / ident).exists()


def test_stop_timeout_kills(sigapp, inst):
    assert inst("run", "-d", "--name", "stubborn", sigapp,
                "ignore").returncode == 0
    wait_for_log(inst, "stubborn", b"ready\n")
    t0 = time.monotonic()
    assert inst("stop", "-t", "1", "stubborn").returncode == 0
    assert 1 <= time.monotonic() - t0 < 15
    assert inst("wait", "stubborn").stdout == b"137\n"


def test_kill_signals(sigapp, inst):
    assert inst("run", "-d", "--name", "k", sigapp).returncode == 0
    wait_for_log(inst, "k", b"ready\n")
    assert inst("kill", "-s", "HUP", "k").stdout == b"k\n"
    wait_for_log(inst, "k", b"got HUP\n")
    assert inst("kill", "k").returncode == 0  # SIGKILL: the VM ends
    assert inst("wait", "k").stdout == b"137\n"
    r = inst("kill", "k")
    assert (r.returncode, r.stderr) == (1, b"kiln: k: not running\n")
    r = inst("kill", "-s", "USR1", "k")
    assert r.returncode == 2


def test_kill_signal_words(inst):
    """-s takes a name or the whole number of one of the five signals;
    atoi made "1x" and 2^32+1 into 1 (HUP). No VM: the word is checked
    before the instance is looked up."""
    for word in ("4294967297", "1x", "", "-1", "USR1", "0"):
        r = inst("kill", "-s", word, "nosuch")
        assert (r.returncode, r.stdout, r.stderr) == (2, b"", (
            f"kiln kill: -s takes HUP, INT, QUIT, TERM or KILL {word};"
            " see 'kiln kill --help'\n").encode()), word
    for word in ("1", "SIGHUP", "9", "TERM"):
        r = inst("kill", "-s", word, "nosuch")
        assert (r.returncode, r.stderr) == (
            1, b"kiln: nosuch: no such instance\n"), word


def test_qemu_killed_shows_exited(sigapp, inst):
    assert inst("run", "-d", "--name", "crash", sigapp).returncode == 0
    wait_for_log(inst, "crash", b"ready\n")
    ident = ps_rows(inst)["crash"].split()[0]
    mon = int((inst.root / ident / "monitor.pid").read_text())
    with open("/proc/%d/task/%d/children" % (mon, mon)) as f:
        qemu = int(f.read().split()[0])
    os.kill(qemu, signal.SIGKILL)
    assert inst("wait", "crash").stdout == b"123\n"
    assert "Exited (123) " in ps_rows(inst, "-a")["crash"]
    assert b"kiln: VM ended without an exit status\n" in inst(
        "logs", "crash").stdout


def test_names_unique_and_errors(sigapp, inst):
    assert inst("run", "-d", "--name", "dup", sigapp).returncode == 0
    r = inst("run", "-d", "--name", "dup", sigapp)
    assert (r.returncode, r.stdout, r.stderr) == (
        1, b"", b"kiln: dup: the name is in use (kiln rm it first)\n")
    r = inst("rm", "dup")
    assert (r.returncode, r.stderr) == (
        1, b"kiln: dup: is running (kiln stop it, or rm -f)\n")
    for cmd in ("logs", "stop", "kill", "rm", "wait"):
        r = inst(cmd, "nosuch")
        assert (r.returncode, r.stderr) == (
            1, b"kiln: nosuch: no such instance\n"), cmd
    r = inst("run", "--name", "x", sigapp)
    assert r.returncode == 2
    assert inst("rm", "-f", "dup").stdout == b"dup\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo_once(port, payload, within=60):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
                got = b""
                while True:
                    c = s.recv(4096)
                    if not c:
                        break
                    got += c
                if got == payload:
                    return got
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("no echo on port %d" % port)


def test_two_instances_on_different_ports(inst):
    echo = os.path.join(GUEST_DIR, "tcp_echo")
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports):
        r = inst("run", "-d", "--name", "echo%d" % i, "-p",
                 "%d:7777" % port, echo, "7777")
        assert r.returncode == 0, r.stderr
    rows = ps_rows(inst)
    for i, port in enumerate(ports):
        assert rows["echo%d" % i].split()[-1] == "127.0.0.1:%d->7777/tcp" % port
    for i, port in enumerate(ports):
        assert echo_once(port, b"hello %d\n" % i) == b"hello %d\n" % i
    for i in range(2):
        assert inst("wait", "echo%d" % i).stdout == b"0\n"


def test_publish_all_exposed_ports(inst, tmp_path):
    """-P: the image's ExposedPorts (kiln build --from) on free host ports."""
    from oci_util import Image, layer, write_layout
    echo = open(os.path.join(GUEST_DIR, "tcp_echo"), "rb").read()
    img = Image([layer([{"name": "tcp_echo", "data": echo, "mode": 0o755}])],
                entrypoint=["/tcp_echo"], cmd=["7777"], ports=["7777/tcp"])
    write_layout(str(tmp_path / "layout"), img, tag="v1")
    out = tmp_path / "echo.img"
    r = inst("build", "--from", "oci:%s:v1" % (tmp_path / "layout"), "-o",
             str(out))
    assert r.returncode == 0, r.stderr
    r = inst("run", "-d", "--name", "pub", "-P", str(out))
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ports = ps_rows(inst).get("pub", "").split()[-1]
        if "->7777/tcp" in ports:
            break
        time.sleep(0.2)
    host, guest = ports.split("->")
    assert host.startswith("127.0.0.1:") and guest == "7777/tcp"
    port = int(host.split(":")[1])
    assert echo_once(port, b"exposed\n") == b"exposed\n"
    assert inst("wait", "pub").stdout == b"0\n"


def test_restart_on_failure(sigapp, inst):
    r = inst("run", "-d", "--name", "flaky", "--restart", "on-failure:2",
             sigapp, "fail")
    assert r.returncode == 0, r.stderr
    assert inst("wait", "flaky").stdout == b"5\n"
    log = inst("logs", "flaky").stdout.decode()
    assert log == ("ready\n"
                   "kiln: restarting %s (1) after status 5\n"
                   "ready\n"
                   "kiln: restarting %s (2) after status 5\n"
                   "ready\n") % (sigapp, sigapp)


@pytest.mark.parametrize("args", [["--restart", "always", "-d"],
                                  ["--restart", "on-failure:0", "-d"],
                                  ["--restart", "on-failure"]])
def test_bad_restart(sigapp, inst, args):
    r = inst("run", *args, sigapp)
    assert r.returncode == 2 and r.stdout == b""
