"""test_go.py - Go programs (Debian's golang-go, static) run unmodified in Kiln.

Each program in tests/go/ prints one line per check; the output in Kiln
must equal the output of the same binary on the host.
"""
import os

import pytest

from guest_util import ROOT, describe, kiln_run, run_native

GO_BUILD = os.path.join(ROOT, "build", "tests", "go")


@pytest.mark.parametrize("name", ["basics"])
def test_go_program(name):
    path = os.path.join(GO_BUILD, name)
    assert os.path.exists(path), f"{path} is missing: run make"
    # On the host fork works, so the os/exec check is told to expect that.
    native = run_native([path], env={"KILN_NATIVE": "1"})
    assert native.returncode == 0, describe(native)
    kiln = kiln_run(path)
    assert kiln.stdout.decode() == native.stdout.decode(), describe(kiln)
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode().endswith("go: all checks passed\n")
