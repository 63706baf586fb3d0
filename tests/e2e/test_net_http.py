"""test_net_http.py - HTTP end to end: tests/guest/http_server behind `kiln run -p`.

The server serves a directory put into the image with `kiln build --dir`;
the host talks only to 127.0.0.1 through QEMU's user-mode port forward.
Every test ends the server with GET /__quit and checks its exit status
and its whole stdout, which counts the requests it answered.
"""
import hashlib
import os
import select
import socket
import struct
import subprocess
import threading
import time

import pytest

from guest_util import HOST_TIMEOUT, KILN, describe, guest_path

GUEST_PORT = 8080
VM_TIMEOUT = 60         # kiln run --timeout: no VM outlives this
UP_WITHIN_S = 30.0      # the "listening" line, under TCG
IO_TIMEOUT_S = 30.0     # any one socket operation
BIG = 10 << 20
CLIENTS = 200           # concurrent keep-alive connections...
REQUESTS_EACH = 5       # ...each asking this many times
VANISHING = 6           # clients that go away mid-transfer
CHURN = 1000            # one-request connections the server closes first
CHURN_IO_S = 3.0        # each must be answered within this

SERVER_HEAD = b"Server: kiln-http\r\n"


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    """The served tree: {guest name: bytes}, and its host directory."""
    root = tmp_path_factory.mktemp("www")
    files = {
        "big.bin": os.urandom(BIG),
        "index.html": b"<html><body>kiln http test</body></html>\n",
        "small.txt": b"a small file\n",
        "sub/mid.bin": os.urandom(100 * 1000 + 7),
        "empty.txt": b"",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files, str(root)


@pytest.fixture(scope="module")
def images(www, tmp_path_factory):
    """flavour -> an image of http_server with the tree at /www."""
    out, built = tmp_path_factory.mktemp("img"), {}
    for flavour in ("musl", "glibc", "musl-pie"):
        img = str(out / f"http_{flavour}.img")
        r = subprocess.run([KILN, "build", "-o", img, "--dir", f"{www[1]}:/www",
                            guest_path(flavour, "http_server"),
                            str(GUEST_PORT), "/www"],
                           capture_output=True, timeout=HOST_TIMEOUT)
        assert r.returncode == 0, describe(r)
        built[flavour] = img
    return built


class Server:
    """http_server under `kiln run -p` (or natively, for comparison)."""

    def __init__(self, argv, port, guest_port):
        self.port = port
        self.ready = f"http_server: listening on {guest_port}\n".encode()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = b""
        self._wait_ready()

    @classmethod
    def kiln(cls, image):
        port = free_tcp_port()
        return cls([KILN, "run", "--accel", "tcg", "--timeout",
                    str(VM_TIMEOUT), "-p", f"{port}:{GUEST_PORT}/tcp", image],
                   port, GUEST_PORT)

    @classmethod
    def native(cls, flavour, root):
        port = free_tcp_port()
        return cls([guest_path(flavour, "http_server"), str(port), root],
                   port, port)

    def _wait_ready(self):
        deadline = time.monotonic() + UP_WITHIN_S
        fd = self.proc.stdout.fileno()
        while self.ready not in self.out:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.fail("no 'listening' line")
            chunk = os.read(fd, 4096)
            if not chunk:
                self.fail("exited before listening")
            self.out += chunk
        assert self.out == self.ready, self.out

    def fail(self, why):
        if self.proc.poll() is None:
            self.proc.terminate()  # kiln stops QEMU on SIGTERM
        out, err = self.proc.communicate(timeout=HOST_TIMEOUT)
        raise AssertionError(
            f"{why}\nstdout:\n{(self.out + out).decode(errors='replace')}\n"
            f"stderr:\n{err.decode(errors='replace')}")

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port),
                                     timeout=IO_TIMEOUT_S)
        return s

    def quit(self, served):
        """GET /__quit; the server must exit 0 having answered served
        requests (the quit included)."""
        try:
            with self.connect() as s:
                s.sendall(b"GET /__quit HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_to_eof(s) == response(
                    b"200 OK", b"text/plain", b"bye\n", keep=False)
            out, err = self.proc.communicate(timeout=HOST_TIMEOUT)
        except (AssertionError, OSError, subprocess.TimeoutExpired) as e:
            self.fail(f"quit: {e!r}")
        self.out += out
        assert self.proc.returncode == 0, err.decode(errors="replace")
        assert self.out.decode() == (self.ready.decode() +
                                     f"http_server: served {served} requests\n")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.communicate(timeout=HOST_TIMEOUT)


def response(status, ctype, body, keep=True, length=None, extra=b""):
    """The exact bytes http_server answers with."""
    n = len(body) if length is None else length
    return (b"HTTP/1.1 " + status + b"\r\n" + SERVER_HEAD +
            b"Content-Type: " + ctype + b"\r\n" +
            b"Content-Length: %d\r\n" % n + extra +
            b"Connection: " + (b"keep-alive" if keep else b"close") +
            b"\r\n\r\n" + body)


def error(code, keep=True, head=False):
    text = {400: b"400 Bad Request", 403: b"403 Forbidden",
            404: b"404 Not Found", 405: b"405 Method Not Allowed"}[code]
    extra = b"Allow: GET, HEAD\r\n" if code == 405 else b""
    body = text + b"\n"
    return response(text, b"text/plain", b"" if head else body, keep,
                    len(body), extra)


def read_to_eof(sock):
    data = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk


class Reader:
    """Responses off one keep-alive connection, framed by Content-Length."""

    def __init__(self, sock):
        self.sock, self.buf = sock, bytearray()

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError(f"EOF with {len(self.buf)} bytes unparsed")
        self.buf += chunk

    def response(self, head_only=False):
        """(head bytes, body bytes) of the next response."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        end = self.buf.index(b"\r\n\r\n") + 4
        head = bytes(self.buf[:end])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if head_only:
            length = 0
        while len(self.buf) < end + length:
            self._more()
        body = bytes(self.buf[end:end + length])
        del self.buf[:end + length]
        return head, body


def ctype_of(name):
    return b"text/html" if name.endswith(".html") else \
        b"text/plain" if name.endswith(".txt") else b"application/octet-stream"


def test_big_file_with_curl(images, www, tmp_path):
    """10 MB of random bytes, fetched by curl, arrive intact."""
    files, _ = www
    srv = Server.kiln(images["musl"])
    try:
        got = tmp_path / "big.bin"
        r = subprocess.run(["curl", "-s", "-S", "--max-time", "60", "-o",
                            str(got), f"http://127.0.0.1:{srv.port}/big.bin"],
                           capture_output=True, timeout=HOST_TIMEOUT)
        assert r.returncode == 0, describe(r)
        assert got.stat().st_size == BIG
        assert (hashlib.sha256(got.read_bytes()).hexdigest() ==
                hashlib.sha256(files["big.bin"]).hexdigest())
        srv.quit(served=2)
    finally:
        srv.stop()


def keepalive_client(srv, files, i, opening, barrier, errors):
    """One connection, REQUESTS_EACH requests on it; every byte checked.
    The first request is made while holding opening, one client at a
    time (see test_concurrent_keepalive_clients); the rest once every
    client has its connection open."""
    names = ["small.txt", "index.html", "sub/mid.bin", "missing.txt",
             "empty.txt"]

    def ask(s, rd, k):
        name = names[(i + k) % len(names)]
        s.sendall(b"GET /%s HTTP/1.1\r\nHost: t\r\n\r\n" % name.encode())
        head, body = rd.response()
        if name in files:
            want = response(b"200 OK", ctype_of(name), files[name])
        else:
            want = error(404)
        if head + body != want:
            raise AssertionError(f"request {k} /{name}: "
                                 f"{(head + body)[:300]!r}")

    try:
        with opening:
            s = srv.connect()
            rd = Reader(s)
            ask(s, rd, 0)
        with s:
            barrier.wait(IO_TIMEOUT_S)   # all connections open at once
            for k in range(1, REQUESTS_EACH):
                ask(s, rd, k)
            s.shutdown(socket.SHUT_WR)
            if s.recv(1) != b"":
                raise AssertionError("data after the answers")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        errors.append(f"client {i}: {e!r}")
        barrier.abort()


def test_concurrent_keepalive_clients(images, www):
    """CLIENTS connections open at once, REQUESTS_EACH requests each.

    QEMU's user-mode forward listens on the host with a backlog of 1 and
    accepts one connection per main-loop turn: a burst of 200 connect()s
    overflows the host's accept queue, and the host drops the handshakes'
    last ACKs and replays SYN-ACKs for seconds while the clients believe
    they are connected. So the connections are opened one at a time (each
    counts once its first answer is in), and only then do all the clients
    ask at once."""
    files, _ = www
    srv = Server.kiln(images["musl"])
    try:
        errors, opening = [], threading.Lock()
        barrier = threading.Barrier(CLIENTS)
        threads = [threading.Thread(target=keepalive_client,
                                    args=(srv, files, i, opening, barrier,
                                          errors))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(IO_TIMEOUT_S * 2)
        assert not any(t.is_alive() for t in threads), "clients still running"
        assert errors == [], f"{len(errors)} failed: {errors[:5]}"
        srv.quit(served=CLIENTS * REQUESTS_EACH + 1)
    finally:
        srv.stop()


def vanish(srv, rst):
    """Ask for big.bin, read a little of it, go away (RST or FIN)."""
    s = srv.connect()
    if rst:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    got = b""
    while len(got) < 20000:
        chunk = s.recv(20000 - len(got))
        assert chunk, "EOF before 20000 bytes"
        got += chunk
    assert got.startswith(b"HTTP/1.1 200 OK\r\n")
    s.close()


def fetch_big(srv, sha, errors):
    try:
        with srv.connect() as s:
            s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
            data = read_to_eof(s)
        head = response(b"200 OK", b"application/octet-stream", b"",
                        keep=False, length=BIG)
        if not data.startswith(head):
            raise AssertionError(f"head {data[:200]!r}")
        if hashlib.sha256(data[len(head):]).hexdigest() != sha:
            raise AssertionError(f"body differs ({len(data) - len(head)} B)")
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))


def test_clients_vanishing_mid_transfer(images, www):
    """Clients that reset or close mid-body cost only their connection:
    one download running beside them and one after them both complete."""
    files, _ = www
    sha = hashlib.sha256(files["big.bin"]).hexdigest()
    srv = Server.kiln(images["musl"])
    try:
        errors = []
        beside = threading.Thread(target=fetch_big, args=(srv, sha, errors))
        beside.start()
        for i in range(VANISHING):
            vanish(srv, rst=i % 2 == 0)
        beside.join(IO_TIMEOUT_S * 2)
        assert not beside.is_alive(), "download beside them did not finish"
        fetch_big(srv, sha, errors)
        assert errors == []
        srv.quit(served=VANISHING + 3)
    finally:
        srv.stop()


def test_connection_churn(images):
    """CHURN HTTP/1.0 connections one after another, each answered at
    once. The server closes first, so each leaves a TIME-WAIT in the
    guest for 2 s. (A table of 256 connections, full of them, used to
    drop the next SYN; QEMU resends it only after about 6 s.)"""
    srv = Server.kiln(images["musl"])
    want = response(b"200 OK", b"text/plain", b"a small file\n", keep=False)
    try:
        for i in range(CHURN):
            with socket.create_connection(("127.0.0.1", srv.port),
                                          timeout=CHURN_IO_S) as s:
                s.sendall(b"GET /small.txt HTTP/1.0\r\n\r\n")
                try:
                    got = read_to_eof(s)
                except socket.timeout:
                    raise AssertionError(f"connection {i}: no answer in "
                                         f"{CHURN_IO_S} s")
                assert got == want, f"connection {i}: {got[:200]!r}"
        srv.quit(served=CHURN + 1)
    finally:
        srv.stop()


# (request, expected answer, whether the server closes after it)
EXACT = [
    (b"GET /missing.txt HTTP/1.1\r\nHost: t\r\n\r\n", error(404), False),
    (b"HEAD /missing.txt HTTP/1.1\r\n\r\n", error(404, head=True), False),
    (b"GET /sub/ HTTP/1.1\r\n\r\n", error(404), False),
    (b"GET /sub/../small.txt HTTP/1.1\r\n\r\n", error(403), False),
    (b"GET /%2e%2e/%2E%2e/etc/passwd HTTP/1.1\r\n\r\n", error(403), False),
    (b"GET //etc/passwd HTTP/1.1\r\n\r\n", error(404), False),
    (b"POST /small.txt HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
     error(405), False),
    (b"HEAD /small.txt HTTP/1.1\r\n\r\n",
     response(b"200 OK", b"text/plain", b"", length=13), False),
    (b"GET /small.txt?x=1 HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n",
     response(b"200 OK", b"text/plain", b"a small file\n"), False),
    (b"GET /small.txt HTTP/1.1\r\nConnection: close\r\n\r\n",
     response(b"200 OK", b"text/plain", b"a small file\n", keep=False), True),
    (b"GET / HTTP/1.0\r\n\r\n",
     response(b"200 OK", b"text/html",
              b"<html><body>kiln http test</body></html>\n", keep=False), True),
    (b"GARBAGE\r\n\r\n", error(400, keep=False), True),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
     error(400, keep=False), True),
    (b"GET /small.txt HTTP/2.0\r\n\r\n", error(400, keep=False), True),
    (b"GET small.txt HTTP/1.1\r\n\r\n", error(400, keep=False), True),
    (b"GET /small.txt HTTP/1.1\r\nNo colon here\r\n\r\n",
     error(400, keep=False), True),
    (b"GET /%zz HTTP/1.1\r\n\r\n", error(400, keep=False), True),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", error(400, keep=False),
     True),
]


def exact_answers(srv):
    """Each EXACT request on a fresh connection, then all the keep-alive
    ones pipelined on one; returns the number of requests answered."""
    count = 0
    for req, want, closes in EXACT:
        with srv.connect() as s:
            s.sendall(req)
            if closes:
                got = read_to_eof(s)
            else:
                rd = Reader(s)
                head, body = rd.response(head_only=req.startswith(b"HEAD"))
                got = head + body
                s.shutdown(socket.SHUT_WR)
                assert s.recv(1) == b"", req
            assert got == want, req
            count += 1
    pipelined = [(r, w) for r, w, closes in EXACT if not closes]
    with srv.connect() as s:
        s.sendall(b"".join(r for r, _ in pipelined))
        s.shutdown(socket.SHUT_WR)
        assert read_to_eof(s) == b"".join(w for _, w in pipelined)
    return count + len(pipelined)


@pytest.mark.parametrize("flavour", ["musl", "glibc", "musl-pie"])
def test_exact_answers_under_kiln(images, flavour):
    srv = Server.kiln(images[flavour])
    try:
        srv.quit(served=exact_answers(srv) + 1)
    finally:
        srv.stop()


def test_exact_answers_native(www):
    """The same answers from the same binary on the host."""
    srv = Server.native("glibc", www[1])
    try:
        srv.quit(served=exact_answers(srv) + 1)
    finally:
        srv.stop()
