"""test_console_tty.py - the console as a controlling terminal, driven through a pty.

tests/guest/tty_signals.c runs with a pty as its terminal twice: natively
(in a new session whose controlling terminal is the pty) and under `kiln
run` (stdin a tty: QEMU's stdio chardev with signal=off, so ^C reaches
the guest's line discipline as a byte). The test types ^C, ^\\, ^Z and
lines when the program says it is ready, and the two outputs (the
program's lines and the terminal's echo, "\\r" removed: the host pty and
the guest's echo differ in carriage returns only) must be equal. The
last ^C kills the program: -SIGINT natively, 128+2 from Kiln.
"""
import fcntl
import os
import pty
import select
import signal
import subprocess
import termios
import time

import pytest

from guest_util import FLAVOURS, KILN, KILN_ACCEL, guest_path

# What the program waits for, what is typed then, and how long to wait
# before typing. A program that says "reading" cannot say it from inside
# read(): a ^C typed before it gets there would run the handler and
# leave read() waiting for good, so that one ^C waits a second (the
# other waits are in sigsuspend with the signals blocked until then,
# and typed lines are kept until read).
STEPS = [
    (b"ready for ^C\r", b"\x03", 0),
    (b"ready for ^\\\r", b"\x1c", 0),
    (b"ready for ^Z\r", b"\x1a", 0),
    (b"ready for ^C to the child\r", b"\x03", 0),
    (b"reading, ready for ^C\r", b"\x03", 1.0),
    (b"ready for a line with ^C\r", b"\x03x\n", 0),
    (b"reading, ready for a line\r", b"hello\n", 0),
    (b"ready for the last ^C\r", b"\x03", 0),
]


def read_until(fd, out, token, deadline):
    while token not in out:
        left = deadline - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(0.0, left))
        assert r, f"no {token!r} in time; output so far: {out!r}"
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            data = b""
        assert data, f"output ended before {token!r}: {out!r}"
        out += data
    return out


def drain(fd, out):
    while select.select([fd], [], [], 0.5)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    return out


def drive(argv, native, steps=STEPS):
    """argv with a pty as stdin and stdout, typed at as steps says."""
    master, slave = pty.openpty()

    def controlling_tty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(argv, stdin=slave, stdout=slave,
                         stderr=subprocess.PIPE,
                         preexec_fn=controlling_tty if native else None)
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + 120
        for token, keys, pause in steps:
            out = read_until(master, out, token, deadline)
            time.sleep(pause)
            os.write(master, keys)
        status = p.wait(timeout=60)
        out = drain(master, out)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return out.replace(b"\r", b"").decode(), status, p.stderr.read()


def native_then_kiln(flavour, name, steps, status=0, kiln_status=0,
                     checks=None):
    """Drive tests/guest/NAME natively, then under kiln run; the two
    outputs must be equal. checks: the native run's "all N checks passed"
    count, when the program says one. Returns the native output."""
    path = guest_path(flavour, name)
    assert os.path.exists(path), f"{path} is missing: run make guest"
    native, nstatus, _ = drive([path], native=True, steps=steps)
    assert nstatus == status, native
    if checks is not None:
        assert f"{name}: all {checks} checks passed\n" in native, native
    kiln, kstatus, err = drive([KILN, "run", "--accel", KILN_ACCEL,
                                "--timeout", "90", path], native=False,
                               steps=steps)
    assert kiln == native
    assert kstatus == kiln_status, err
    return native


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_console_signals_through_a_pty(flavour):
    native = native_then_kiln(flavour, "tty_signals", STEPS,
                              status=-signal.SIGINT,
                              kiln_status=128 + signal.SIGINT)
    assert native.count(" ok\n") == 21, native


# tests/guest/tty_jobs.c: job control on the terminal, typed at likewise.
JOB_STEPS = [
    (b"ready for a line\r", b"fg\n", 0),
    (b"ready for ^Z\r", b"\x1a", 0),
    (b"ready for ^C\r", b"\x03", 0),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_job_control_on_the_terminal(flavour):
    native_then_kiln(flavour, "tty_jobs", JOB_STEPS, checks=23)


# tests/guest/tty_modes.c: raw mode, no echo, input mapping, VMIN/VTIME,
# line editing back in canonical mode, and raw input still pending when
# ICANON comes back (a line without Enter), typed at likewise.
MODE_STEPS = [
    (b"ready for one key\r", b"k", 0),
    (b"ready for Enter unechoed\r", b"\r", 0),
    (b"ready for Enter again\r", b"\r", 0),
    (b"ready for Enter then z\r", b"\rz", 0),
    (b"ready for a, erase, eof\r", b"a\x7f\x04", 0),
    (b"reading, ready for ^C\r", b"\x03", 1.0),
    (b"ready for a secret line\r", b"secret\n", 0),
    (b"ready for a line to edit\r", b"hx\x7fello\n", 0),
    (b"ready for a line to kill\r", b"junk\x15ok\n", 0),
    (b"ready for eof mid-line\r", b"abc\x04", 0),
    (b"ready for ab, no Enter\r", b"ab", 0),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_terminal_modes(flavour):
    native = native_then_kiln(flavour, "tty_modes", MODE_STEPS, checks=37)
    # What the terminal showed: the typed keys only where echo was on.
    assert "a^?^D" in native and "secret" not in native.split(
        "a secret line\n")[1].split("tty_modes:")[0], native
    assert "hx\b \bello\n" in native, native


# tests/guest/tty_edit.c: keys echoed as typed even with no read waiting,
# FIONREAD and TCFLSH, the editing keys ^W, ^V and ^R, and ^S/^Q. The
# last step waits without a token: the program's output is stopped.
EDIT_STEPS = [
    (b"ready for a typed-ahead line\r", b"hi\n", 0),
    (b"ready for a partial line\r", b"abc", 0),
    (b"ready for its end and an eof line\r", b"\nxy\x04", 0),
    (b"ready for a line to flush\r", b"junk\n", 0),
    (b"ready for a line after the flush\r", b"kept\n", 0),
    (b"ready for five raw keys\r", b"12345", 0),
    (b"ready for words to erase\r", b"foo bar-baz  \x17\x17x\n", 0),
    (b"ready for literal keys\r", b"a\x16\x03b\x16\x7f\n", 0),
    (b"ready for a reprinted line\r", b"ab\x12c\n", 0),
    (b"ready for ^S\r", b"\x13", 0),
    (b"", b"\x11", 6.0),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_terminal_editing_and_flow(flavour):
    native = native_then_kiln(flavour, "tty_edit", EDIT_STEPS, checks=28)
    # The echo: typed-ahead keys before "slept", ^W, ^V and ^R as n_tty.
    assert "ready for a typed-ahead line\nhi\nslept\n" in native, native
    assert "a^\b^Cb^\b^?\n" in native and "ab^R\nabc\n" in native, native
