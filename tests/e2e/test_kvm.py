"""test_kvm.py - programs run under KVM too, whenever /dev/kvm is usable.

The rest of the program tests run under TCG (see guest_util.py); these
check the KVM path end to end: exit status, stdout, stderr, a fault.
"""
import os
import subprocess

import pytest

import qemu_vm
from guest_util import GUEST_DIR as GUEST, KILN

pytestmark = pytest.mark.skipif(not qemu_vm.kvm_usable(),
                                reason="/dev/kvm not usable")


def run_kvm(*args, stdin=b""):
    return subprocess.run([KILN, "run", "--accel", "kvm", "--timeout", "120",
                           *args], input=stdin, capture_output=True,
                          timeout=180)


@pytest.mark.parametrize("flavour", ["musl", "glibc"])
def test_args_and_status_under_kvm(flavour):
    prog = os.path.join(GUEST, flavour, "args_env")
    r = run_kvm(prog, "exit", "42")
    assert r.returncode == 42, r.stderr.decode()


def test_stdin_under_kvm():
    prog = os.path.join(GUEST, "musl", "stdin_echo")
    native = subprocess.run([prog], input=b"kvm\n" * 100,
                            capture_output=True, timeout=30)
    r = run_kvm(prog, stdin=b"kvm\n" * 100)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == native.stdout


def test_segfault_under_kvm():
    prog = os.path.join(GUEST, "musl", "segfault")
    r = run_kvm(prog, "null")
    assert r.returncode == 139
    assert b"killed by signal 11 (SIGSEGV)" in r.stderr


@pytest.mark.skipif(not qemu_vm.kvm_is_pvm(), reason="this KVM is not PVM")
def test_auto_prefers_tcg_over_pvm():
    # Under PVM a boot takes seconds, under TCG a fraction of one
    # (cli/qemu.c): --accel auto says so and boots under TCG.
    prog = os.path.join(GUEST, "musl", "args_env")
    r = subprocess.run([KILN, "run", "--verbose", "--timeout", "60", prog,
                        "exit", "7"], capture_output=True, timeout=120)
    assert r.returncode == 7, r.stderr.decode()
    err = r.stderr.decode()
    assert "kiln: /dev/kvm is PVM" in err
    assert "kiln: tsc " in err and "from kvmclock" not in err  # not KVM
    assert "kiln.nostac" not in err
