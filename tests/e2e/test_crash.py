"""test_crash.py - fsync'd data on ext4 survives QEMU killed at random moments.

tests/guest/crash_records appends numbered records to /data/log (and
makes a small file every 8th record), fsync after each, and prints
"ack N" once the fsync returned. The test kills QEMU with SIGKILL at a
random moment after the program started appending, boots again on the
same image (the journal is replayed at mount), has the program check
that every acknowledged record and small file is there, intact, and runs
`e2fsck -fn` on the host after that clean run. Many short runs on one
image: each one starts where the last crash left it.

KILN_CRASH_SEED fixes the random moments (the seed is printed on failure).
"""
import os
import random
import select
import signal
import subprocess
import time

import pytest

from guest_util import (KILN, KILN_ACCEL, KILN_TIMEOUT, HOST_TIMEOUT,
                        guest_path)

RUNS = 20
# The kill lands this long after "start" at most: a few dozen records.
MAX_KILL_DELAY = 1.5


def kiln_cmd(img, args):
    cmd = [KILN, "run", "--timeout", str(KILN_TIMEOUT), "--disk",
           f"{img}:/data"]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    return cmd + [guest_path("musl", "crash_records")] + args


def qemu_child(pid):
    """The QEMU process `kiln run` started (its only child)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        kids = [int(k) for k in f.read().split()]
    assert len(kids) == 1, kids
    return kids[0]


def run_killed(img, delay):
    """One appending run, killed delay seconds after it said "start".
    Returns (the record it started at, the last acked + 1)."""
    p = subprocess.Popen(kiln_cmd(img, ["append", "/data"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, start, acked, kill_at = b"", None, None, None
    deadline = time.monotonic() + HOST_TIMEOUT
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if kill_at is not None and now >= kill_at:
                os.kill(qemu_child(p.pid), signal.SIGKILL)
                break
            wait = 0.5 if kill_at is None else max(0.0, kill_at - now)
            ready, _, _ = select.select([p.stdout], [], [], wait)
            if not ready:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            assert chunk, f"the run ended before the kill: {out!r} " \
                f"{p.stderr.read().decode(errors='replace')}"
            out += chunk
            lines = out.split(b"\n")
            for line in lines[:-1]:
                if line.startswith(b"start ") and start is None:
                    start = int(line.split()[1])
                    kill_at = time.monotonic() + delay
                elif line.startswith(b"ack "):
                    acked = int(line.split()[1]) + 1
            out = lines[-1]
        else:
            raise AssertionError("no start line in time")
        p.wait(timeout=HOST_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return start, acked if acked is not None else start


def check(img, acked, why):
    """A clean run checking the records: how many it found."""
    r = subprocess.run(kiln_cmd(img, ["check", "/data", str(acked)]),
                       capture_output=True, timeout=HOST_TIMEOUT)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, why + "\n" + out + r.stderr.decode(errors="replace")
    assert out.startswith("ok "), why + "\n" + out
    return int(out.split()[1])


def fsck_clean(img):
    r = subprocess.run(["e2fsck", "-fn", img], capture_output=True)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


# 4 KiB blocks RUNS times; mke2fs's defaults (1 KiB blocks for 64 MiB,
# its journal's blocks too) a few times, the same code paths.
@pytest.mark.parametrize("opts,runs", [(("-b", "4096"), RUNS), ((), 3)],
                         ids=["4k", "1k"])
def test_acked_records_survive_killed_vms(opts, runs, tmp_path):
    img = str(tmp_path / "vol.img")
    subprocess.run(["truncate", "-s", "64M", img], check=True)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", *opts, img],
                   check=True)
    if not opts:
        dump = subprocess.run(["dumpe2fs", "-h", img], capture_output=True,
                              check=True).stdout
        assert b"Block size:               1024\n" in dump, dump
    seed = int(os.environ.get("KILN_CRASH_SEED", time.time_ns() % 1000000))
    rng = random.Random(seed)
    acked = total = 0
    for run in range(runs):
        start, acked_now = run_killed(img, rng.uniform(0, MAX_KILL_DELAY))
        why = f"seed {seed}, run {run}"
        # The run began where the last check found the log ending.
        assert start == total, why
        acked = max(acked, acked_now)
        total = check(img, acked, why)
        assert total >= acked, why
        fsck_clean(img)
    # Some runs got far enough to say something.
    assert acked > runs, f"seed {seed}: only {acked} records acked"
