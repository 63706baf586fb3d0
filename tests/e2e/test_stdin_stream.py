"""kiln run streams a piped stdin to the app as it runs (docs/fs.md).

Each program runs natively and under Kiln with the same pipe on stdin;
stdout and the exit status must match exactly.
"""
import os
import subprocess
import time

from guest_util import (KILN, KILN_ACCEL, describe, guest_path,
                        kiln_run, run_native)

TIMEOUT = 120


def both(name, args=(), stdin=b""):
    path = guest_path("musl", name)
    native = run_native([path, *args], stdin=stdin)
    kiln = kiln_run(path, args, stdin=stdin, timeout=TIMEOUT)
    assert kiln.stdout == native.stdout, describe(kiln)
    assert kiln.returncode == native.returncode, describe(kiln)
    return native


def kiln_cmd(name, *args):
    return [KILN, "run", "--timeout", str(TIMEOUT), "--accel", KILN_ACCEL,
            guest_path("musl", name), *args]


def test_exact_bytes_with_escape_and_nul():
    data = b"\xff\x00\xff\xff\x01\xff\x02\x00\n" * 50 + bytes(range(256)) * 4
    native = both("stdin_echo", stdin=data)
    assert f"stdin_echo: bytes={len(data)} ".encode() in native.stdout


def test_no_input_is_eof():
    native = both("stdin_echo", stdin=b"")
    assert b"stdin_echo: bytes=0 lines=0 fnv1a=811c9dc5\n" in native.stdout


def test_poll_and_epoll_at_eof():
    native = both("stdin_stream", ["poll"], stdin=b"some input\n")
    assert b"stdin_stream: poll revents=0x10\n" in native.stdout
    assert b"stdin_stream: epoll events=0x10\n" in native.stdout


def test_8mib_throughput():
    # The virtio console moves ~10 MB/s under TCG (a loaded 2-core host
    # included); the UART it replaced took ~20 minutes for this. The bound
    # leaves room for a slow boot but fails anything UART-like.
    data = os.urandom(8 << 20)
    start = time.monotonic()
    kiln = kiln_run(guest_path("musl", "stdin_echo"), (), stdin=data,
                    timeout=TIMEOUT)
    secs = time.monotonic() - start
    native = run_native([guest_path("musl", "stdin_echo")], stdin=data)
    print(f"8 MiB through the stream in {secs:.1f} s (boot included)")
    assert kiln.stdout == native.stdout, describe(kiln)
    assert kiln.returncode == native.returncode == 0
    assert b"stdin_echo: bytes=8388608 " in native.stdout
    assert secs < 60, f"8 MiB took {secs:.1f} s"


def test_backpressure_while_the_app_does_not_read():
    # The app sleeps 8 s before reading: for 5 s kiln must stop taking
    # its stdin after a bounded amount (pipe, relay, socket and the
    # guest's 32 x 4 KiB buffers), then the whole input arrives in order.
    total = 8 << 20
    p = subprocess.Popen(kiln_cmd("stdin_stream", "slow", "8"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        fd = p.stdin.fileno()
        os.set_blocking(fd, False)
        taken, end = 0, time.monotonic() + 5
        while time.monotonic() < end:
            try:
                taken += os.write(fd, b"x" * 65536)
            except BlockingIOError:
                time.sleep(0.05)
        print(f"taken while the app slept: {taken} bytes")
        assert 0 < taken < 4 << 20
        os.set_blocking(fd, True)
        p.stdin.write(b"y" * (total - taken))
        p.stdin.close()
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
    native = run_native([guest_path("musl", "stdin_stream"), "slow", "0"],
                        stdin=b"x" * taken + b"y" * (total - taken))
    assert out == native.stdout, err
    assert p.returncode == native.returncode == 0
    assert f"stdin_stream: slow bytes={total} ".encode() in out


def test_endless_producer_ends_with_the_app():
    # yes | kiln run ... head: the app exits, kiln exits with its status
    # and the producer dies of SIGPIPE: nothing waits for stdin's end.
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    kiln = subprocess.run(kiln_cmd("stdin_stream", "head", "1000000"),
                          stdin=yes.stdout, capture_output=True,
                          timeout=TIMEOUT + 30)
    yes.stdout.close()
    assert yes.wait(timeout=30) == -13
    native = subprocess.run(
        [guest_path("musl", "stdin_stream"), "head", "1000000"],
        input=b"y\n" * 500000, capture_output=True)
    assert kiln.stdout == native.stdout, describe(kiln)
    assert kiln.returncode == native.returncode == 0


def test_interactive_lines():
    # A writer that waits for each echo before the next line: the input
    # must reach the app as it is written, not at its end.
    p = subprocess.Popen(kiln_cmd("stdin_stream", "lines"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        got = b""
        for i in range(3):
            line = f"line {i}\n".encode()
            p.stdin.write(line)
            p.stdin.flush()
            want = b"got " + line
            while want not in got:
                b = p.stdout.read1(4096)
                assert b, describe(subprocess.CompletedProcess(
                    [], p.wait(), got, p.stderr.read()))
                got += b
        p.stdin.close()
        rest = p.stdout.read()
        err = p.stderr.read()
        p.wait(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
    native = run_native([guest_path("musl", "stdin_stream"), "lines"],
                        stdin=b"line 0\nline 1\nline 2\n")
    assert got + rest == native.stdout, err
    assert p.returncode == native.returncode == 0


def test_fionread_counts_what_is_left():
    # FIONREAD loops until 4 on both sides, so 0 (the old answer) fails it.
    native = both("stdin_stream", ["fionread"], stdin=b"hello\n")
    assert b"stdin_stream: FIONREAD counts the 4 bytes left ok\n" in native.stdout
    assert native.returncode == 0
