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


def test_large_input_throughput():
    data = os.urandom(64 * 1024)
    start = time.monotonic()
    native = both("stdin_echo", stdin=data)
    secs = time.monotonic() - start
    print(f"64 KiB through the stream in {secs:.1f} s")
    assert b"stdin_echo: bytes=65536 " in native.stdout


def test_endless_producer_ends_with_the_app():
    # yes | kiln run ... head: the app exits, kiln exits with its status
    # and the producer dies of SIGPIPE: nothing waits for stdin's end.
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    kiln = subprocess.run(kiln_cmd("stdin_stream", "head", "5000"),
                          stdin=yes.stdout, capture_output=True,
                          timeout=TIMEOUT + 30)
    yes.stdout.close()
    assert yes.wait(timeout=30) == -13
    native = subprocess.run(
        [guest_path("musl", "stdin_stream"), "head", "5000"],
        input=b"y\n" * 2500, capture_output=True)
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
