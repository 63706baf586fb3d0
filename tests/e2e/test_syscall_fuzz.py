"""test_syscall_fuzz.py - the random syscall fuzzer under Kiln, fixed seeds: no kernel fault, panic or hang.

Each seed boots build/fuzz/syscall_fuzz (tests/fuzz/syscall_fuzz.c) for
CALLS calls; scripts/syscall_fuzz.py judges the run. `make fuzz` runs the
same with new seeds and many more calls.
"""
import os
import subprocess

import pytest

import syscall_fuzz
from guest_util import KILN, KILN_ACCEL, describe

# Seeds that leave the kernel standing today. A seed that finds an open
# bug goes to KNOWN with the bug, as a strict xfail: it fails once the
# bug is fixed, and then moves here.
# Seed 1 found issue 11's mremap wrap (call #2812), and seed 1 with -e
# (NT, AC or DF set around a third of the calls) its EFLAGS.NT panic;
# both were fixed, so they are ordinary seeds now.
SEEDS = (1, 2, 3, 8, 10, 12)
KNOWN = [
    pytest.param(1, ("-e",), id="1-e"),
]
CALLS = 50000   # about 7 s of TCG each here
TIMEOUT = 60    # `kiln run --timeout`: a hang fails after a minute


def fuzzer():
    assert os.path.exists(syscall_fuzz.FUZZER), "build/fuzz/syscall_fuzz is missing: run make"
    return syscall_fuzz.FUZZER


@pytest.mark.parametrize("seed,options",
                         [pytest.param(s, (), id=str(s)) for s in SEEDS] + KNOWN)
def test_fuzz_seed_leaves_kernel_standing(seed, options):
    fuzzer()
    verdict, detail, cmd = syscall_fuzz.run_seed(seed, CALLS, TIMEOUT,
                                                 KILN_ACCEL or "tcg", options)
    assert verdict == "pass", f"{verdict}: {detail}\nreproduce: {cmd}"


def calls_made(seed, n):
    """The calls seed makes, as -v prints them, and the run's status."""
    r = subprocess.run([KILN, "run", "--accel", KILN_ACCEL or "tcg", "--timeout", "60",
                        fuzzer(), "-v", str(seed), str(n)],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    lines = [l for l in r.stderr.decode(errors="replace").splitlines()
             if l.startswith("syscall_fuzz: #")]
    return r, lines


def seed_part(line):
    """What the seed alone decides of "#N nr(args) = ret": the number and
    the arguments, but not the result (a call may race the watchdog) nor
    lengths computed from absolute addresses (ASLR moves the regions;
    -v prints addresses inside them as region+offset)."""
    call = line.split(" = ")[0]
    nr, args = call.split("(", 1)
    return nr, [a for a in args.rstrip(")").split(", ")
                if "+" in a or not a.startswith("0xffff8")]


def test_same_seed_same_calls():
    a, calls_a = calls_made(7, 300)
    b, calls_b = calls_made(7, 300)
    assert a.returncode == 0 and b.returncode == 0, describe(a) + describe(b)
    assert len(calls_a) == 300
    assert [seed_part(l) for l in calls_a] == [seed_part(l) for l in calls_b]
    assert any("scratch+" in l for l in calls_a)
    assert [seed_part(l) for l in calls_made(8, 300)[1][:50]] != \
        [seed_part(l) for l in calls_a[:50]]


def test_refuses_to_run_on_the_host():
    # 0 calls: were the check gone, the run would only set up and say done.
    r = subprocess.run([fuzzer(), "1", "0"], capture_output=True, timeout=10)
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr == (b"syscall_fuzz: not a Kiln guest; "
                        b"refusing to make hostile calls here\n")


@pytest.mark.parametrize("status,out,log,verdict", [
    (0, "syscall_fuzz: seed 9, 10 calls, done\n", "", "pass"),
    (0, "syscall_fuzz: seed 9, 11 calls, done\n", "", "no-end"),
    (125, "", "kiln: panic: paging: out of memory\n", "panic"),
    (0, "syscall_fuzz: seed 9, 10 calls, done\n",
     "kiln: fatal exception: general protection fault (#GP)\n", "panic"),
    (124, "", "", "hang"),
    (124, "syscall_fuzz: seed 9, 10 calls, done\n", "", "hang"),
    (139, "", "kiln: killed by signal 11 (SIGSEGV)\n", "killed"),
    (3, "", "syscall_fuzz: the read-only page changed after call #7\n", "broken"),
    (3, "", "", "no-end"),
    (1, "", "", "no-end"),
])
def test_verdicts(status, out, log, verdict):
    assert syscall_fuzz.judge(9, 10, status, out, log)[0] == verdict
