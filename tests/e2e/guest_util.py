"""guest_util.py - run a program natively and under `kiln run`, for the program tests."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# KILN_BIN=build/asan/kiln runs the tests against the CLI built with
# AddressSanitizer and UBSan (`make cli-asan`).
KILN = os.path.abspath(os.environ.get("KILN_BIN") or os.path.join(ROOT, "build", "kiln"))
KILN_SANITIZED = os.path.basename(os.path.dirname(KILN)) == "asan"
GUEST_DIR = os.path.join(ROOT, "build", "tests", "guest")
FLAVOURS = ("musl", "glibc", "musl-pie", "musl-dyn", "glibc-dyn")

# kiln build starts every image's environment with these; --env adds to
# them or replaces a value in place, as a dict update does.
KILN_DEFAULT_ENV = {"PATH": "/bin:/usr/bin", "HOME": "/"}

# Program runs use TCG unless KILN_ACCEL=kvm|auto says otherwise: every
# test must pass under TCG, and TCG boots fast everywhere, while nested KVM
# (as on the machines here) can be slower than TCG by 10x. The KVM path is
# covered by tests/e2e/test_kvm.py, which runs whenever /dev/kvm is usable.
KILN_ACCEL = os.environ.get("KILN_ACCEL", "tcg")

KILN_TIMEOUT = 60      # what `kiln run --timeout` gives the VM
HOST_TIMEOUT = 120     # what we give the kiln process itself


def guest_path(flavour, name):
    return os.path.join(GUEST_DIR, flavour, name)


def guest_env(env=None):
    """The environment an app gets from `kiln build/run --env` of env."""
    return dict(KILN_DEFAULT_ENV, **(env or {}))


def run_native(argv, env=None, stdin=b"", cwd=None):
    """argv on the host with the environment kiln would give it for env,
    and nothing else, and stdin on a pipe."""
    return subprocess.run(argv, input=stdin, capture_output=True, cwd=cwd,
                          env=guest_env(env), timeout=HOST_TIMEOUT)


def kiln_run(target, args=(), env=None, stdin=b"", mem=None, timeout=KILN_TIMEOUT):
    """`kiln run` of an image or program; stdin always a pipe (never a tty)."""
    cmd = [KILN, "run", "--timeout", str(timeout)]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    if mem:
        cmd += ["--mem", mem]
    for k, v in (env or {}).items():
        cmd += ["--env", f"{k}={v}"]
    cmd += [target, *args]
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          timeout=HOST_TIMEOUT)


def kiln_build(output, program, args=(), files=(), env=None, workdir=None,
               extra=()):
    """`kiln build -o output`; files are (host, guest) pairs; extra are
    more options."""
    cmd = [KILN, "build", "-o", output, *extra]
    for host, guest in files:
        cmd += ["--file", f"{host}:{guest}"]
    for k, v in (env or {}).items():
        cmd += ["--env", f"{k}={v}"]
    if workdir:
        cmd += ["--workdir", workdir]
    cmd += [program, *args]
    return subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)


def describe(r):
    """A failure message: status and both streams of a CompletedProcess."""
    return (f"status {r.returncode}\n--- stdout\n{r.stdout.decode(errors='replace')}"
            f"--- stderr\n{r.stderr.decode(errors='replace')}")

