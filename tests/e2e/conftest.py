"""conftest.py - shared fixtures for the end-to-end tests: the kernel, symbols, VMs."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qemu_vm  # noqa: E402

KERNEL = os.path.join(ROOT, "build", "kernel.elf")
KERNEL_DEBUG = os.path.join(ROOT, "build", "kernel.debug.elf")  # with symbols


@pytest.fixture(scope="session")
def kernel():
    if not os.path.exists(KERNEL):
        pytest.fail("build/kernel.elf is missing: run make first")
    return KERNEL


@pytest.fixture(scope="session")
def symbols(kernel):
    """name -> address of every symbol in the kernel, from nm."""
    out = subprocess.run(["nm", KERNEL_DEBUG], check=True, capture_output=True,
                         text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


@pytest.fixture
def boot(kernel):
    """boot(cmdline, **kw) -> qemu_vm.Boot, with a timeout on every VM."""
    def run(cmdline="", **kw):
        kw.setdefault("timeout", 60)
        return qemu_vm.boot(kernel, cmdline, **kw)
    return run
