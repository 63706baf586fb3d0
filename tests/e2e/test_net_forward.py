"""test_net_forward.py - `kiln run -p` takes a burst of connects at once.

QEMU's user networking listens on a forwarded port with a backlog of 1:
the host's kernel then holds two connections slirp has not accepted yet
and drops the SYNs of the rest of a burst, which the clients resend only
after their 1 s initial RTO (cli/hostfwd.c). A client opening 8
connections at once (redis-benchmark -c 8) had 6 of them stall for 1 s
or more. kiln now gives QEMU's listener a real backlog: a burst of
BURST connects is established within BURST_WITHIN_S, below the SYN
retransmission time, so the test fails with the old backlog; and `ss`
shows the listener's backlog as kiln set it (cli/hostfwd.c's 4096, or
less when net.core.somaxconn caps it).

The widening is best effort: where Yama's ptrace_scope is 2 or more, or
a seccomp filter refuses pidfd_getfd, the forward keeps QEMU's backlog
and `kiln run --verbose` says so; the test is skipped there.
"""
import select
import socket
import subprocess
import time

import pytest

from guest_util import HOST_TIMEOUT
from net_util import echo_through_guest

BURST = 16
# Well below Linux's 1 s initial RTO, the SYN retry a full queue forces.
BURST_WITHIN_S = 0.8
SYN_RETRY_S = 1.0
TRIES = 3


def listen_backlog(port):
    """The backlog of the host's listener on 127.0.0.1:port, as `ss`
    shows it (Send-Q of a listening socket)."""
    r = subprocess.run(["ss", "-Hltn", f"sport = :{port}"],
                       capture_output=True, text=True, timeout=HOST_TIMEOUT)
    rows = [line.split() for line in r.stdout.splitlines()]
    assert len(rows) == 1, r.stdout
    return int(rows[0][2])


def connect_burst(port):
    """BURST non-blocking connects to port, all started at once: how many
    were established BURST_WITHIN_S later, or None when this process was
    held up past the SYN retry (a loaded host) and cannot tell."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM)
             for _ in range(BURST)]
    start = time.monotonic()
    for s in socks:
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
    pending = list(socks)
    while pending and time.monotonic() < start + BURST_WITHIN_S:
        _, ready, _ = select.select(
            [], pending, [], max(0.0, start + BURST_WITHIN_S -
                                 time.monotonic()))
        pending = [s for s in pending if s not in ready]
    _, ready, _ = select.select([], socks, [], 0)
    late = time.monotonic() - start >= SYN_RETRY_S
    done = sum(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
               for s in ready)
    for s in socks:
        s.close()
    return None if late else done


def burst_check(host_port):
    """The forward takes BURST connects at once, and its listener has the
    backlog kiln gave it."""
    for _ in range(TRIES):
        done = connect_burst(host_port)
        if done is not None:
            break
    assert done == BURST, \
        f"{done} of {BURST} connects established within {BURST_WITHIN_S} s"
    with open("/proc/sys/net/core/somaxconn") as f:
        # 4096: cli/hostfwd.c's HOSTFWD_BACKLOG
        assert listen_backlog(host_port) == min(4096, int(f.read()))


def ptrace_scope():
    """Yama's ptrace_scope, or 0 where Yama is not built in."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            return int(f.read())
    except FileNotFoundError:
        return 0


def test_port_forward_takes_a_burst_of_connects():
    if ptrace_scope() >= 2:
        pytest.skip("Yama ptrace_scope >= 2: kiln cannot take QEMU's "
                    "listener (pidfd_getfd), so the backlog stays 1")
    try:
        echo_through_guest(4096, ["--verbose"], check=burst_check)
    except AssertionError as e:
        # kiln's stderr is in the message: a refused widening is no bug.
        if "keep QEMU's backlog of 1" in str(e):
            pytest.skip("kiln run could not widen the forward here: " +
                        next(line for line in str(e).splitlines()
                             if "keep QEMU's backlog of 1" in line))
        raise
