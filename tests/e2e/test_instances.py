"""test_instances.py - kiln run forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the app (docs/instances.md).

A static program waits for signals: it prints "ready", then one line per
signal it catches; SIGTERM ends it with status 3, the third other signal
with 4. kiln is sent the signals itself (not a terminal's ^C): the
guest's kernel must deliver them to pid 1 through the COM4 channel.
"""
import os
import select
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KILN = os.path.join(ROOT, "build", "kiln")
T = 90  # seconds any one VM may take, TCG on a shared machine

SIGAPP_C = r"""
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sig(int sig) { got = sig; }

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

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "catch";
	int seen = 0;

	if (!strcmp(mode, "ignore"))
		signal(SIGTERM, SIG_IGN);
	else if (!strcmp(mode, "catch")) {
		signal(SIGTERM, on_sig);
		signal(SIGHUP, on_sig);
		signal(SIGINT, on_sig);
		signal(SIGQUIT, on_sig);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		pause();
		if (got) {
			printf("got %s\n", name(got));
			fflush(stdout);
			if (got == SIGTERM)
				return 3;
			if (++seen == 3)
				return 4;
			got = 0;
		}
	}
}
"""


@pytest.fixture(scope="module")
def sigapp(tmp_path_factory):
    if not os.path.exists(KILN):
        pytest.fail("build/kiln is missing: run make first")
    d = tmp_path_factory.mktemp("sigapp")
    (d / "sigapp.c").write_text(SIGAPP_C)
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(d / "sigapp"),
                    str(d / "sigapp.c")], check=True, timeout=T)
    return str(d / "sigapp")


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


def read_line(p, deadline):
    """The next stdout line of p (bytes), within the deadline."""
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for the app; got %r" % line
        r, _, _ = select.select([p.stdout], [], [], left)
        if r:
            c = os.read(p.stdout.fileno(), 1)
            assert c, "stdout ended; got %r" % line
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


def test_hup_int_quit_reach_the_app(sigapp, start):
    p = start(sigapp)
    deadline = time.monotonic() + T
    assert read_line(p, deadline) == b"ready\n"
    for sig, name in ((signal.SIGHUP, b"HUP"), (signal.SIGINT, b"INT"),
                      (signal.SIGQUIT, b"QUIT")):
        p.send_signal(sig)
        assert read_line(p, deadline) == b"got " + name + b"\n"
    rc, out, err = finish(p)
    assert (rc, out, err) == (4, b"", b"")


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
