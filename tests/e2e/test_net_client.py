"""test_net_client.py - the guest as a TCP client of a server on the host.

With `kiln run --net nat` QEMU's gateway 10.0.2.2 stands for the host's
own 127.0.0.1: the guest's tcp_client connects there, the host server
below (bound to 127.0.0.1 only) sends a stream, and the guest prints its
length and hash. A port nobody listens on is refused. And with 5% of the
guest's frames dropped both ways (`kiln run --net-loss 5`) the guest
uploads 4 MiB that must arrive intact: our retransmission and recovery
carry it.
"""
import socket
import subprocess
import threading

from guest_util import KILN, HOST_TIMEOUT, guest_path

SIZE = 2 << 20
LOSSY_SIZE = 4 << 20
GATEWAY = "10.0.2.2"


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def pattern(n):
    block = bytes((i * 37 + i // 256) & 255 for i in range(65536))
    return (block * (n // len(block) + 1))[:n]


def serve_once(listener, payload, seen):
    """Accept one connection, check its greeting, send payload, close."""
    listener.settimeout(HOST_TIMEOUT)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(HOST_TIMEOUT)
        greeting = b""
        while not greeting.endswith(b"\n") and len(greeting) < 64:
            chunk = conn.recv(64)
            if not chunk:
                break
            greeting += chunk
        seen.append(greeting)
        conn.sendall(payload)


def receive_upload(listener, size, seen):
    """Accept one connection: greeting, then size bytes to EOF; answer
    with what arrived was right or not."""
    listener.settimeout(HOST_TIMEOUT)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(HOST_TIMEOUT)
        data = bytearray()
        while True:
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        seen.append(bytes(data))
        ok = data == b"hello\n" + pattern(size)
        conn.sendall(b"intact\n" if ok else b"damaged\n")


def run_client(port, *extra, kiln_opts=()):
    cmd = [KILN, "run", "--accel", "tcg", "--timeout", "90", "--net", "nat",
           *kiln_opts, guest_path("musl", "tcp_client"), GATEWAY, str(port),
           *extra]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=HOST_TIMEOUT)


def test_guest_fetches_from_host():
    payload = pattern(SIZE)
    seen = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        server = threading.Thread(target=serve_once,
                                  args=(listener, payload, seen), daemon=True)
        server.start()
        r = run_client(listener.getsockname()[1])
        server.join(HOST_TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert seen == [b"hello\n"]
    assert r.stdout.decode() == (
        f"tcp_client: got {SIZE} bytes, fnv1a64 {fnv1a64(payload):016x}\n")


def test_closed_host_port_is_refused():
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run_client(port, "refused")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.decode() == "tcp_client: refused\n"


def test_upload_with_frame_loss():
    seen = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        server = threading.Thread(target=receive_upload,
                                  args=(listener, LOSSY_SIZE, seen),
                                  daemon=True)
        server.start()
        r = run_client(listener.getsockname()[1], "send", str(LOSSY_SIZE),
                       kiln_opts=["--verbose", "--net-loss", "5"])
        server.join(HOST_TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(seen) == 1 and len(seen[0]) == 6 + LOSSY_SIZE
    assert r.stdout.decode() == (
        f"tcp_client: got 7 bytes, fnv1a64 {fnv1a64(b'intact' + bytes([10])):016x}\n")
    assert b"dropping 5% of frames" in r.stderr


def test_resolv_conf_names_the_gateway_dns():
    """getaddrinfo reads /etc/resolv.conf: with a network the kernel
    writes one naming QEMU's DNS (unless the image has its own)."""
    r = subprocess.run([KILN, "run", "--accel", "tcg", "--timeout", "30",
                        "--net", "user", "/bin/busybox", "cat",
                        "/etc/resolv.conf"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=HOST_TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"nameserver 10.0.2.3\n"
