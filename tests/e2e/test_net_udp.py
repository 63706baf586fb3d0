"""test_net_udp.py - UDP end to end: a guest echo server behind `kiln run -p`.

The host talks only to 127.0.0.1, through QEMU's user-mode port forward;
the guest answers only the forward's own address.
"""
import os
import socket
import subprocess
import time

from guest_util import KILN, HOST_TIMEOUT
from net_util import serve_through_guest

COUNT = 20
RESEND_S = 0.2      # resend a datagram not yet echoed this often...
UP_WITHIN_S = 20.0  # ...until the guest has had this long to come up
RESEND_UP_S = 2.0   # once it is up, a datagram is only resent if lost


def echo_one(sock, port, payload, sent, resend_s, budget_s):
    """Send payload (again every resend_s) until its echo comes back.
    Returns the number of echoes received, its own included: a resent
    datagram may reach the guest twice, and the guest counts both. Any
    echo must be of a payload sent before; None when none came in time."""
    deadline = time.monotonic() + budget_s
    received = 0
    sent.add(payload)
    sock.settimeout(resend_s)
    while time.monotonic() < deadline:
        sock.sendto(payload, ("127.0.0.1", port))
        try:
            while True:
                data = sock.recvfrom(65536)[0]
                received += 1
                assert data in sent, f"echo of nothing sent: {data!r}"
                if data == payload:
                    return received
        except socket.timeout:
            continue
    return None


def echo_all(sock, port):
    """Echoes of COUNT datagrams of random bytes, the first with resends
    every RESEND_S until the guest is up; the total received."""
    sent = set()
    received = echo_one(sock, port, os.urandom(1000), sent, RESEND_S,
                        UP_WITHIN_S)
    assert received is not None, "no echo from the guest"
    for i in range(1, COUNT):
        if received >= COUNT:
            break
        got = echo_one(sock, port, os.urandom(1 + i * 61 % 1400), sent,
                       RESEND_UP_S, 20.0)
        assert got is not None, f"no echo of datagram {i}"
        received += got
    return received


def test_udp_echo_through_port_forward():
    def exchange(host_port):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            received = echo_all(sock, host_port)
        assert received == COUNT

    serve_through_guest("udp_echo", (str(COUNT),), "udp", exchange,
                        f"udp_echo: echoed {COUNT}\n", ["--verbose"],
                        timeout_s=60)


def test_bad_publish_is_one_line():
    for spec in ["7777", "0:7777", "7777:65536", "x:1", "1:2/sctp"]:
        r = subprocess.run([KILN, "run", "-p", spec, "/nonexistent"],
                           capture_output=True, timeout=HOST_TIMEOUT)
        assert r.returncode == 2, spec
        assert r.stderr.decode().count("\n") == 1, r.stderr
        assert r.stderr.decode().startswith("kiln run: -p"), r.stderr


def test_publish_needs_network():
    r = subprocess.run([KILN, "run", "--net", "none", "-p", "1:2", "/x"],
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 2
    assert "--net none" in r.stderr.decode()
