#!/usr/bin/env python3
"""syscall_fuzz.py - boot the syscall fuzzer (tests/fuzz/syscall_fuzz.c) under kiln, one VM per seed, and judge each run.

A run passes when the VM ends with status 0 and the fuzzer's last line,
"syscall_fuzz: seed S, N calls, done". Anything else is a finding:
  panic     the kernel failed (status 125, or a panic or exception report
            on its log)
  hang      `kiln run --timeout` expired (status 124), before or after the
            last line
  killed    the fuzzer died of a signal (status 128+N): a kernel bug, or a
            call the fuzzer should not have made
  broken    the fuzzer saw the kernel break a promise no signal reports
            (status 3): a mapping over its own memory, one larger than
            user space, a read-only page that changed
  no-end    any other status, or no last line

Usage: syscall_fuzz.py [--calls N] [--timeout S] [--jobs J] [--eflags] SEED...
       syscall_fuzz.py [--calls N] [--timeout S] [--jobs J] [--eflags] --random COUNT
--eflags passes -e: hostile RFLAGS bits at the SYSCALL now and then.
Prints one line per seed and "syscall fuzz: N passed, N failed"; status 1
when a seed failed. Reproduce one with the command its line prints; add
-v after the program (each call on stderr) or --trace to see the last calls.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILN = os.path.join(ROOT, "build", "kiln")
FUZZER = os.path.join(ROOT, "build", "fuzz", "syscall_fuzz")

PANIC = 125    # KILN_EXIT_PANIC, include/kiln/exit.h
TIMEOUT = 124  # KILN_EXIT_TIMEOUT
BROKEN = 3     # syscall_fuzz's own status for a broken promise
KERNEL_REPORT = re.compile(r"^kiln: (panic|fatal exception)", re.M)


def command(seed, calls, timeout, accel="tcg", options=()):
    """The `kiln run` of one seed; --verbose puts the kernel log on stderr."""
    return [KILN, "run", "--verbose", "--accel", accel, "--timeout", str(timeout),
            FUZZER, *options, str(seed), str(calls)]


def judge(seed, calls, status, out, log):
    """(verdict, detail): verdict is "pass" or one of the finding kinds."""
    done = f"syscall_fuzz: seed {seed}, {calls} calls, done" in out.splitlines()
    report = KERNEL_REPORT.search(log)
    if status == PANIC or report:
        start = report.start() if report else max(0, len(log) - 3000)
        return "panic", log[start:start + 3000]
    if status == TIMEOUT:
        return "hang", "after the last line (exit path)" if done else "before the last line"
    own = [l for l in log.splitlines() if l.startswith("syscall_fuzz: ")]
    if status > 128:
        lines = [l for l in log.splitlines() if "killed by signal" in l] + own
        return "killed", "\n".join(lines[-20:])
    if status == BROKEN and own:
        return "broken", "\n".join(own[-20:])
    if status != 0 or not done:
        return "no-end", f"status {status}; stdout ends: {out[-300:]!r}"
    return "pass", out.splitlines()[-2] if len(out.splitlines()) > 1 else ""


def run_seed(seed, calls, timeout, accel="tcg", options=()):
    """Boot one seed; returns (verdict, detail, command)."""
    cmd = command(seed, calls, timeout, accel, options)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout + 60)
        status, out, log = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:  # kiln itself stuck: a hang too
        status, out, log = TIMEOUT, e.stdout or b"", e.stderr or b""
    verdict, detail = judge(seed, calls, status, out.decode(errors="replace"),
                            log.decode(errors="replace"))
    return verdict, detail, " ".join(cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=50000)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--eflags", action="store_true", help="pass -e to the fuzzer")
    ap.add_argument("--random", type=int, metavar="COUNT",
                    help="COUNT seeds never tried before (from /dev/urandom)")
    ap.add_argument("seeds", type=int, nargs="*")
    args = ap.parse_args()
    seeds = list(args.seeds)
    if args.random:
        seeds += [int.from_bytes(os.urandom(4), "little") for _ in range(args.random)]
    if not seeds:
        ap.error("no seeds")
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        opts = ("-e",) if args.eflags else ()
        runs = {pool.submit(run_seed, s, args.calls, args.timeout, "tcg", opts): s
                for s in seeds}
        for f in concurrent.futures.as_completed(runs):
            seed = runs[f]
            verdict, detail, cmd = f.result()
            if verdict == "pass":
                passed += 1
                print(f"seed {seed}: pass ({detail})", flush=True)
            else:
                failed += 1
                print(f"seed {seed}: FAIL {verdict}\n  reproduce: {cmd}\n"
                      + "".join(f"  | {l}\n" for l in detail.splitlines()), flush=True)
    print(f"syscall fuzz: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
