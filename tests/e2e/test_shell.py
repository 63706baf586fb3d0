"""test_shell.py - shells that start processes: Debian's busybox sh and bash-static, under Kiln and on the host.

Every image holds the same tree: /bin/busybox, /bin/bash (bash-static),
a few applet symlinks, and the directories the kernel makes in every root
(kernel/fs/rootfs.c: tmp, dev, proc, etc). The host runs the same
commands with the same binaries chrooted into a copy of that tree, so
`ls /` sees the same root both ways, and stdout and the exit status must
be equal. Only /proc differs: the host's chroot has none (that test runs
unchrooted and compares structure, see its docstring).

The interactive test drives `kiln run IMAGE sh` through a pty, as a
person would: a job started (it says when it runs), stopped with ^Z, listed, resumed, ended
with ^C, then `exit`. The host transcript comes from the same busybox in
the chroot with the pty as its controlling terminal.
"""
import fcntl
import os
import pty
import re
import select
import shutil
import stat
import subprocess
import termios
import time

import pytest

from guest_util import KILN, KILN_ACCEL, describe, kiln_build, kiln_run

BUSYBOX = "/bin/busybox"
BASH = shutil.which("bash-static") or "/usr/bin/bash-static"
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
APPLETS = ("ls", "wc", "cat", "sort", "tr", "sleep", "grep", "sh", "true",
           "false", "head")
KERNEL_DIRS = ("tmp", "dev", "proc", "etc")  # kernel/fs/rootfs.c
ENV = {"PATH": "/bin", "HOME": "/"}  # kiln build's defaults, /usr/bin absent

SCRIPT = r"""#!/bin/bash
# Commands and pipelines from bash: each one a fork and an execve.
n=$(ls /bin | wc -l)
echo "bin entries: $n"
printf '%s\n' c a b | sort | tr a-z A-Z
for i in 1 2 3; do (exit $i) || echo "subshell $i: $?"; done
sleep 0.1 & wait $!; echo "background: $?"
false | true; echo "pipeline: $? ${PIPESTATUS[*]}"
true | (exit 5) | cat; echo "pipeline: $? ${PIPESTATUS[*]}"
set -o pipefail; false | true; echo "pipefail: $?"
echo "arith: $(( $(printf '1\n2\n3\n' | wc -l) * 2 ))"
grep -c x /bin/no-such-file; echo "grep: $?"
exit 7
"""


def need_tools():
    for path, pkg in ((BUSYBOX, "busybox-static"), (BASH, "bash-static")):
        if not os.path.exists(path):
            pytest.fail(f"{path} missing: install {pkg} (scripts/deps.sh)")
    if os.geteuid() != 0:
        pytest.skip("the host run needs root: chroot and /dev/null")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """(host root, busybox image, bash script image)."""
    need_tools()
    tmp = tmp_path_factory.mktemp("shell")
    extra = tmp / "extra" / "bin"  # what --dir adds to the program
    extra.mkdir(parents=True)
    shutil.copy(BASH, extra / "bash")
    for a in APPLETS:
        os.symlink("busybox", extra / a)
    root = tmp / "root"
    shutil.copytree(tmp / "extra", root, symlinks=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    (root / "bin" / "script.sh").write_text(SCRIPT)
    os.chmod(root / "bin" / "script.sh", 0o755)
    for d in KERNEL_DIRS:
        (root / d).mkdir()
    # sh gives background jobs /dev/null as stdin, as Kiln's devfs has it.
    os.mknod(root / "dev" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    bb = str(tmp / "bb.img")
    r = kiln_build(bb, BUSYBOX, args=["sh"], extra=["--dir", f"{extra}:/bin"])
    assert r.returncode == 0, describe(r)
    script = str(tmp / "script.img")
    r = kiln_build(script, str(root / "bin" / "script.sh"),
                   files=[(BUSYBOX, "/bin/busybox")],
                   extra=["--dir", f"{extra}:/bin"])
    assert r.returncode == 0, describe(r)
    return str(root), bb, script


def chrooted(root, argv):
    """argv run on the host inside root."""
    return subprocess.run([CHROOT, root] + argv, capture_output=True, env=ENV,
                          timeout=60)


def same_as_host(tree, command, want_status=0):
    root, bb, _ = tree
    native = chrooted(root, ["/bin/busybox", "sh", "-c", command])
    kiln = kiln_run(bb, ["sh", "-c", command])
    assert native.returncode == want_status, describe(native)
    assert kiln.stdout.decode() == native.stdout.decode(), describe(kiln)
    assert kiln.returncode == want_status, describe(kiln)
    return kiln.stdout.decode()


def test_ls_root_pipe_wc(tree):
    out = same_as_host(tree, "ls / | wc -l; ls /")
    assert out == "5\nbin\ndev\netc\nproc\ntmp\n"


def test_command_substitution(tree):
    out = same_as_host(tree, 'x=$(echo a b c | wc -w); echo "words=$x"; '
                       'echo "bin=$(ls /bin | head -n 2 | tr "\\n" ,)"')
    assert out == "words=3\nbin=bash,busybox,\n"


def test_subshell(tree):
    out = same_as_host(tree, "(cd /bin && ls -d b*; exit 3); echo status=$?; "
                       "pwd; (sleep 0.1; echo inner) | cat", 0)
    assert out == "bash\nbusybox\nstatus=3\n/\ninner\n"


def test_background_job_and_wait(tree):
    out = same_as_host(tree, "sleep 0.3 & p=$!; echo started; wait $p; "
                       "echo waited=$?; (exit 7) & wait $!; echo bg=$?; "
                       "sleep 5 & kill $!; wait $!; echo killed=$?")
    assert out == "started\nwaited=0\nbg=7\nkilled=143\n"


def test_trap_chld(tree):
    out = same_as_host(tree, "trap 'echo chld' CHLD; sleep 0.1 & wait; "
                       "echo done; trap - CHLD; true & wait; echo end")
    assert out == "chld\ndone\nend\n"


def test_pipeline_exit_status(tree):
    out = same_as_host(tree, "false | true; echo a=$?; true | (exit 4); "
                       "echo b=$?; ! true | false; echo c=$?; "
                       "set -o pipefail; false | true; echo d=$?; "
                       "ls /none 2>/dev/null | cat; exit $?", 1)
    assert out == "a=0\nb=4\nc=0\nd=1\n"


def test_bash_script(tree):
    root, _, script = tree
    native = chrooted(root, ["/bin/script.sh"])
    kiln = kiln_run(script)
    assert native.returncode == 7, describe(native)
    assert kiln.stdout.decode() == native.stdout.decode(), describe(kiln)
    assert kiln.returncode == 7, describe(kiln)
    assert kiln.stdout.decode().startswith(
        "bin entries: %d\nA\nB\nC\nsubshell 1: 1\n" % (len(APPLETS) + 3))


def test_proc_self_status_count(tree):
    """`cat /proc/self/status | grep -c .` counts the lines of cat's status.
    The host's kernel has ~60 fields and Kiln's /proc fewer, so the
    number legitimately differs: check that the pipeline's count is the
    count of the lines the same cat prints, that each field is one the
    host's status has too, and that it is cat's own (Name: cat)."""
    _, bb, _ = tree
    kiln = kiln_run(bb, ["sh", "-c", "cat /proc/self/status | grep -c .; "
                         "cat /proc/self/status"])
    assert kiln.returncode == 0, describe(kiln)
    count, *lines = kiln.stdout.decode().splitlines()
    assert int(count) == len([l for l in lines if l]) > 3, describe(kiln)
    assert lines[0] == "Name:\tcat", describe(kiln)
    with open("/proc/self/status") as f:
        host_fields = {l.split(":")[0] for l in f}
    assert {l.split(":")[0] for l in lines} <= host_fields, describe(kiln)


# ---- interactive, through a pty ----

# (what to wait for, what to type then, pause before typing). Only the
# prompt and lines the job or the shell print once the job holds the
# terminal are waited for: a ^Z or ^C typed earlier, while the shell's
# line editing still has the terminal raw (ISIG off), is an ordinary
# byte on Linux and under Kiln alike, and under a loaded host the guest
# can take seconds to get from the Enter to the job's tcsetpgrp. So the
# job says it runs (the sum is printed, not the typed text, which is
# echoed first), and ^C waits for fg to name the job it continues. The
# job sleeps long enough to outlast the steps on a loaded host (from ^Z
# to fg took 20 s in one run; the ^C ends it).
JOB = b"sh -c 'echo run$((1+1)); exec sleep 60'"
SHOWN = 'sh -c "echo run\\$((1+1)); exec sleep 60"'  # as ash lists it
STEPS = [
    (b"$ ", JOB + b"\n", 0),
    (b"run2\r\n", b"\x1a", 0.3),              # ^Z: the job stops
    (b"$ ", b"jobs\n", 0.3),
    (b"$ ", b"bg\n", 0.3),
    (b"$ ", b"jobs\n", 0.3),
    (b"$ ", b"fg\n", 0.3),
    (SHOWN.encode() + b"\r\n", b"\x03", 1.0),  # ^C ends it
    (b"$ ", b"echo status=$?\n", 0.3),
    (b"$ ", b"exit 3\n", 0.3),
]


# A job notice ("[1]+  Stopped ...", "[1] sleep 5"). The shell writes it
# on stderr and its prompt on stdout: under Kiln they are two serial
# ports merged by the host, so a notice can land inside "$ ".
JOB_NOTICE = re.compile(rb"\[\d+\][+-]? [^\r\n]*\r?\n")


def squeeze(text):
    """text without job notices and line ends: what is left when the other
    port's output is taken out of the middle of a prompt."""
    return JOB_NOTICE.sub(b"", text).replace(b"\r", b"").replace(b"\n", b"")


def token_seen(out, pos, token):
    """The position after token in out[pos:], looking through job notices
    and line ends written in the middle of it; None while it has not
    come."""
    if token in out[pos:]:
        return out.index(token, pos) + len(token)
    if squeeze(token) in squeeze(out[pos:]):
        return len(out)
    return None


def read_until(fd, out, pos, token, deadline):
    """Read until token appears in out after pos; the position after it."""
    while token_seen(out, pos, token) is None:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert r, f"no {token!r} in time; output so far: {out!r}"
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        assert data, f"output ended before {token!r}: {out!r}"
        out += data
    return out, token_seen(out, pos, token)


def drive(argv, native):
    master, slave = pty.openpty()

    def controlling_tty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                         env=dict(ENV, PS1="$ "),
                         preexec_fn=controlling_tty if native else None)
    os.close(slave)
    out, pos = b"", 0
    try:
        deadline = time.monotonic() + 120
        for token, keys, pause in STEPS:
            out, pos = read_until(master, out, pos, token, deadline)
            time.sleep(pause)
            os.write(master, keys)
        status = p.wait(timeout=60)
        while select.select([master], [], [], 0.5)[0]:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return out, status


def transcript(out):
    """Lines, carriage returns and the cursor-position query (ESC [6n,
    which the test does not answer) removed."""
    text = out.replace(b"\r", b"").replace(b"\x1b[6n", b"")
    return text.decode().splitlines()


def normalized(lines):
    """The lines that carry meaning, in order. The guest's stdout and
    stderr are two serial ports, so how the shell's prompts (stderr) and
    the kernel's echo (stdout) interleave with each other is not fixed:
    prompts and the ^Z/^C echoes are dropped, lines split where they
    stood, and empty lines removed. Kiln's console also echoes a typed
    line itself even when the shell's line editing turned ECHO and ICANON
    off (the driver's line discipline is fixed: docs/fs.md), so a line
    repeated at once is kept once."""
    kept = []
    for line in lines:
        for part in line.replace("^Z", "\n").replace("^C", "\n") \
                        .replace("$ ", "\n").split("\n"):
            part = part.strip()
            if part == "$":  # a prompt whose blank the other port split off
                continue
            if part and not (kept and kept[-1] == part):
                kept.append(part)
    return kept


def squeezed(lines):
    return "".join("".join(line.split()) for line in lines)


def test_interactive_job_control(tree):
    root, bb, _ = tree
    native, nstatus = drive([CHROOT, root, "/bin/busybox", "sh"], native=True)
    kiln, kstatus = drive([KILN, "run", "--accel", KILN_ACCEL, "--timeout", "100",
                           "--env", "PS1=$ ", bb], native=False)
    want = [
        JOB.decode(),
        "run2",
        "[1]+  Stopped                    " + SHOWN,
        "jobs",
        "[1]+  Stopped                    " + SHOWN,
        "bg",
        "[1] " + SHOWN,
        "jobs",
        "[1]+  Running                    " + SHOWN,
        "fg",
        SHOWN,
        "echo status=$?",
        "status=130",
        "exit 3",
    ]
    nlines = normalized(transcript(native))
    klines = normalized(transcript(kiln))
    assert nlines[-len(want):] == want, nlines
    # Under Kiln the shell's stdout and stderr are two serial ports merged
    # by the host a byte at a time, so a prompt, an echo or the cursor
    # query can land inside any line: the lines that carry meaning must
    # come in order in the text with line breaks, blanks and the cursor
    # query taken out.
    ktext = squeezed(klines).replace("\x1b", "").replace("[6n", "")
    at = 0
    for line in want:
        found = ktext.find(squeezed([line]), at)
        assert found >= 0, (line, klines, nlines)
        at = found + len(squeezed([line]))
    assert "^Z[1]+  Stopped                    " + SHOWN in transcript(native)
    assert nstatus == 3 and kstatus == 3
