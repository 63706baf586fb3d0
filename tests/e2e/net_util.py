"""net_util.py - host-side helpers shared by the network tests."""
import os
import socket
import subprocess
import threading
import time

from guest_util import KILN, HOST_TIMEOUT, guest_path

IO_TIMEOUT_S = 60.0  # any one socket operation, under TCG
GUEST_PORT = 7777    # tcp_echo's port in the guest
RETRY_S = 0.2        # reconnect this often...
UP_WITHIN_S = 20.0   # ...until the guest has had this long to listen


def echo(sock, payload, sent=0):
    """payload through an echo server on sock, whose first `sent` bytes
    already went there and back: the rest goes from a thread while the echo
    is read. Returns the whole echo, once the server's EOF followed it;
    closes sock."""
    errors = []

    def send():
        try:
            sock.sendall(payload[sent:])
            sock.shutdown(1)  # SHUT_WR: the server then closes its side
        except OSError as e:
            errors.append(e)

    sock.settimeout(IO_TIMEOUT_S)
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    got = bytearray(payload[:sent])
    while len(got) < len(payload):
        chunk = sock.recv(1 << 16)
        assert chunk, f"EOF after {len(got)} of {len(payload)} bytes"
        got += chunk
    sender.join(IO_TIMEOUT_S)
    assert not sender.is_alive(), "send did not finish"
    assert not errors, errors
    assert sock.recv(1) == b"", "no EOF after the echo"
    sock.close()
    return bytes(got)


def free_port(proto="tcp"):
    """A port of 127.0.0.1 free for proto ("tcp" or "udp") just now."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port():
    return free_port("tcp")


def connect_when_up(port, payload):
    """A connection to the guest's listener. QEMU's forward accepts on the
    host side before the guest listens, and closes or resets it when the
    guest refuses; so a connection only counts once the guest has echoed
    its first byte. One that is merely slow is kept (closing it could
    hand the guest's one accept a connection we no longer use)."""
    deadline = time.monotonic() + UP_WITHIN_S
    while time.monotonic() < deadline:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(IO_TIMEOUT_S)
        try:
            sock.connect(("127.0.0.1", port))
            sock.sendall(payload[:1])
            if sock.recv(1) == payload[:1]:
                return sock
        except socket.timeout:
            sock.close()
            raise AssertionError("no echo of the first byte")
        except OSError:
            pass
        sock.close()
        time.sleep(RETRY_S)
    raise AssertionError("could not reach the guest's listener")


def serve_through_guest(program, args, proto, exchange, expected_out,
                        extra=(), timeout_s=90):
    """Run the musl build of guest program (a server on GUEST_PORT, then
    args) in a guest behind `kiln run -p HOST:GUEST_PORT/proto`, with extra
    options to kiln run, and call exchange(host_port) to talk to it. The
    guest must then exit 0 with expected_out as its whole output. An
    AssertionError (or OSError) of exchange fails the test with the
    guest's output and kiln's stderr."""
    host_port = free_port(proto)
    cmd = [KILN, "run", "--accel", "tcg", "--timeout", str(timeout_s),
           *extra, "-p", f"{host_port}:{GUEST_PORT}/{proto}",
           guest_path("musl", program), str(GUEST_PORT), *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        exchange(host_port)
        out, err = proc.communicate(timeout=HOST_TIMEOUT)
    except (AssertionError, OSError) as e:
        proc.terminate()  # kiln stops QEMU on SIGTERM
        out, err = proc.communicate(timeout=HOST_TIMEOUT)
        raise AssertionError(
            f"{e}\nstdout:\n{out.decode(errors='replace')}\n"
            f"kernel log:\n{err.decode(errors='replace')}")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=HOST_TIMEOUT)
    assert proc.returncode == 0, err.decode(errors="replace")
    assert out.decode() == expected_out


def echo_through_guest(size, extra=(), check=None):
    """size random bytes through tcp_echo in a guest behind `kiln run -p`,
    with extra options to kiln run: they must come back byte for byte and
    the guest must exit 0. check, when given, is called as check(host_port)
    once the guest's listener is up, before the echo; its AssertionError
    fails the test with the guest's output and kiln's stderr."""
    payload = os.urandom(size)

    def exchange(host_port):
        with connect_when_up(host_port, payload) as sock:
            if check is not None:
                check(host_port)
            got = echo(sock, payload, sent=1)
        assert got == payload, "echo differs from what was sent"

    serve_through_guest("tcp_echo", (), "tcp", exchange,
                        f"tcp_echo: echoed {size} bytes\n", extra)
