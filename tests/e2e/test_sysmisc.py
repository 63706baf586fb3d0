"""test_sysmisc.py - the small syscalls (limits, scheduling, signals) and syscall tracing, vs the host."""
import re
import select
import subprocess
import time

import pytest

from guest_util import (FLAVOURS, HOST_TIMEOUT, KILN, describe, guest_path,
                        kiln_run, run_native)


def both(flavour, name, args=(), status=0):
    path = guest_path(flavour, name)
    native = run_native([path, *args])
    assert native.returncode == status, "native run: " + describe(native)
    return native, kiln_run(path, args)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", ["sysmisc", "signals"])
def test_program_matches_host(flavour, name):
    native, kiln = both(flavour, name)
    assert native.stdout.decode().endswith(" checks passed\n")
    assert kiln.stdout == native.stdout, describe(kiln)
    assert kiln.returncode == 0 and kiln.stderr == b"", describe(kiln)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_default_sigterm_kills_with_143(flavour):
    native, kiln = both(flavour, "signals", ["die"], status=-15)
    assert native.stdout.decode().endswith("signals: raising SIGTERM\n")
    assert kiln.stdout == native.stdout, describe(kiln)
    assert kiln.returncode == 128 + 15, describe(kiln)
    assert "killed by signal 15 (SIGTERM)" in kiln.stderr.decode(), describe(kiln)


def test_trace_lines():
    """kiln run --trace: strace-style lines on stderr, the app's output unchanged."""
    path = guest_path("glibc", "sysmisc")  # musl's stdio writes with writev
    kiln = subprocess.run([KILN, "run", "--trace", path], capture_output=True,
                          timeout=HOST_TIMEOUT)
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode().endswith(" checks passed\n"), describe(kiln)
    err = kiln.stderr.decode(errors="replace")
    # a decoded buffer, a decoded pointer pair, an errno with its text
    assert 'trace: write(1, "sysmisc: getrlimit STACK ok\\n", 28) = 28\n' in err, err
    assert re.search(r"trace: prlimit64\(0, 7, 0x[0-9a-f]+, NULL\) = 0\n", err), err
    assert re.search(r"trace: sched_get_priority_max\(0x2a(, (0x[0-9a-f]+|0)){5}\) "
                     r"= -1 EINVAL \(Invalid argument\)\n", err), err
    # exit_group never returns: printed on entry
    assert "trace: exit_group(0) = ?\n" in err, err


def test_trace_shows_a_blocked_call_at_once():
    """A call that sleeps is logged as it blocks ("..."), not only when it
    returns: a program sleeping 8 s shows its nanosleep while it sleeps."""
    p = subprocess.Popen([KILN, "run", "--trace", "--timeout", "120",
                          "/bin/busybox", "sleep", "8"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = b""
    blocked = re.compile(rb"trace: (clock_)?nanosleep\(.*\) \.\.\.\n")
    try:
        deadline = time.monotonic() + 100
        while not blocked.search(err) and time.monotonic() < deadline:
            if select.select([p.stderr], [], [], 1)[0]:
                data = p.stderr.read1(4096)
                if not data:
                    break
                err += data
        assert blocked.search(err), err
        assert p.poll() is None, "shown only at exit: " + err.decode()
        err += p.communicate(timeout=HOST_TIMEOUT)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert re.search(rb"trace: (clock_)?nanosleep\(.*\) = 0\n", err), err
