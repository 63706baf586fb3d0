"""qemu_vm.py - boot a Kiln kernel or image under QEMU and collect what it says.

Used by the end-to-end tests and `make run`. The VM gets two serial ports:
COM1 (the console, the application's output) and COM2 (the kernel log),
each captured to its own file, and QEMU's isa-debug-exit device, through
which the kernel ends the VM. The exit status is read from the kernel's
"kiln: exit status N" log line and checked against QEMU's own exit code,
which isa-debug-exit sets to (N << 1) | 1 (7 bits of N survive).
"""
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass

EXIT_MARKER = re.compile(r"^kiln: exit status (\d+)$", re.M)
MACHINES = ("microvm", "q35", "pc")


def kvm_usable():
    """True when /dev/kvm exists and this user may open it read-write."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def kvm_is_pvm():
    """True when the host's KVM is PVM (it runs the guest's kernel in ring
    3): Kiln needs kiln.nostac there and boots slower than under TCG
    (cli/qemu.c says the same)."""
    return os.path.exists("/sys/module/kvm_pvm")


def pick_accel(accel):
    if accel == "auto":
        return "kvm" if kvm_usable() and not kvm_is_pvm() else "tcg"
    return accel


def qemu_command(kernel, machine="microvm", accel="auto", cmdline="",
                 console=None, log=None, mem="128M", extra=()):
    """The QEMU command line; console/log are file paths (None: discard)."""
    accel = pick_accel(accel)
    cpu = "host,-arch-capabilities" if accel == "kvm" else "max"
    cmd = ["qemu-system-x86_64", "-M", machine, "-accel", accel, "-cpu", cpu,
           "-m", mem, "-nodefaults", "-no-user-config", "-nographic",
           "-no-reboot", "-kernel", kernel,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    for name, path, port, irq in (("con", console, "0x3f8", 4),
                                  ("log", log, "0x2f8", 3)):
        if path is None and name == "log":
            continue  # no COM2: the kernel then logs on COM1
        backend = f"file,id={name},path={path}" if path else f"null,id={name}"
        cmd += ["-chardev", backend, "-device",
                f"isa-serial,chardev={name},iobase={port},irq={irq}"]
    if accel == "kvm" and kvm_is_pvm():
        cmdline = f"{cmdline} kiln.nostac".strip()
    if cmdline:
        cmd += ["-append", cmdline]
    return cmd + list(extra)


@dataclass
class Boot:
    console: str        # what the VM wrote on COM1
    log: str            # what it wrote on COM2 (empty with one port)
    status: int         # the guest's exit status, or None if it gave none
    qemu_rc: int        # QEMU's own exit code (None on timeout)
    timed_out: bool
    seconds: float


def boot(kernel, cmdline="", machine="microvm", accel="auto", timeout=60,
         separate_log=True, mem="128M", extra=()):
    """Boot kernel, wait at most timeout seconds, and return a Boot."""
    with tempfile.TemporaryDirectory(prefix="kiln-vm-") as tmp:
        con = os.path.join(tmp, "console")
        log = os.path.join(tmp, "log") if separate_log else None
        cmd = qemu_command(kernel, machine, accel, cmdline, con, log, mem,
                           extra)
        start = time.monotonic()
        timed_out = False
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc, timed_out = None, True
        seconds = time.monotonic() - start
        console = _read(con)
        logtext = _read(log) if log else console
    found = EXIT_MARKER.findall(logtext)
    status = int(found[-1]) if found else None
    if status is not None and rc is not None and rc != ((status & 0x7f) << 1) | 1:
        status = None  # the marker and QEMU disagree: trust neither
    return Boot(console, logtext if log else "", status, rc, timed_out,
                seconds)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
