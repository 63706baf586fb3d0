"""net_util.py - host-side helpers shared by the network tests."""
import threading

IO_TIMEOUT_S = 60.0  # any one socket operation, under TCG


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
