"""test_kaslr.py - the kernel's text is at a random 2 MiB-aligned base on every boot.

kiln.test=panic prints a symbolized backtrace and the kernel offset (as
Linux's panic report does). Each frame's address less the offset must be
what nm says the function was linked at, so the backtrace stays right
wherever the kernel ran; with kiln.nokaslr the offset is 0.

The base is one of 1022 slots (docs/security.md, "Kernel address space
layout"): BOOTS boots that all land in the same slot have odds of
1022**-(BOOTS-1), below 1e-8 for 4.
"""
import re

import qemu_vm
from guest_util import describe, guest_path, kiln_build

LINK_BASE = 0xFFFFFFFF80000000
ALIGN = 2 << 20
BOOTS = 4
FRAME = re.compile(r"^kiln:   #\d+ 0x([0-9a-f]{16}) <(\w+)\+0x([0-9a-f]+)>$", re.M)
OFFSET = re.compile(r"^kiln: kernel offset 0x([0-9a-f]+) from 0xffffffff80000000$", re.M)


def panic_frames(boot, symbols, cmdline="", extra=()):
    """(offset, [(address, name)]) of one kiln.test=panic boot, checked."""
    b = boot(f"kiln.test=panic {cmdline}".strip(), extra=extra)
    assert b.status == 125 and not b.timed_out, b.log
    m = OFFSET.search(b.log)
    assert m, b.log
    offset = int(m.group(1), 16)
    assert offset % ALIGN == 0 and offset < 2 << 30, hex(offset)
    frames = []
    for addr, name, off in FRAME.findall(b.log):
        addr, off = int(addr, 16), int(off, 16)
        # The name and offset the kernel printed are nm's, moved by offset.
        # (A return address is named by its call, so off may equal the
        # function's size: compare against the start, not the range.)
        assert addr - offset == symbols[name] + off, (hex(addr), name, hex(off))
        assert LINK_BASE + offset <= addr < 1 << 64
        frames.append((addr, name))
    assert [n for _, n in frames[:3]] == ["selftest_panic", "selftest_run", "kmain"], b.log
    return offset, frames


def test_kernel_text_moves_between_boots(boot, symbols):
    runs = [panic_frames(boot, symbols) for _ in range(BOOTS)]
    offsets = {offset for offset, _ in runs}
    kmain = {dict((n, a) for a, n in frames)["kmain"] for _, frames in runs}
    assert len(offsets) > 1 and len(kmain) > 1, [hex(o) for o in offsets]


def test_nokaslr_runs_at_the_link_address(boot, symbols):
    offset, frames = panic_frames(boot, symbols, "kiln.nokaslr")
    assert offset == 0
    assert frames[2][0] - symbols["kmain"] < 0x1000  # kmain's own address


def test_without_rdrand_the_tsc_still_moves_it(boot, symbols):
    # qemu64 has neither RDRAND nor RDSEED: the boot code falls back to
    # the TSC. (QEMU takes the last -cpu given.)
    runs = [panic_frames(boot, symbols, extra=["-cpu", "qemu64"])
            for _ in range(BOOTS)]
    assert len({offset for offset, _ in runs}) > 1


def test_sgdt_sidt_reveal_no_kernel_address(tmp_path):
    """Without UMIP (qemu64 lacks it) ring 3 may run SGDT and SIDT. The
    tables are in the kernel image, so their addresses would give the
    offset away: the CPU is pointed at read-only aliases at fixed
    addresses instead, the same on every boot. With UMIP (-cpu max) the
    instructions fault: SIGSEGV."""
    img = str(tmp_path / "aslr.img")
    b = kiln_build(img, guest_path("musl", "aslr"), ["tables"])
    assert b.returncode == 0, describe(b)
    for _ in range(2):
        vm = qemu_vm.boot(img, "", accel="tcg", extra=["-cpu", "qemu64"])
        assert vm.status == 0, vm.log
        assert vm.console == ("aslr: sgdt 0xfffffe0000000000 "
                              "sidt 0xfffffe0000001000\n"), vm.console
    vm = qemu_vm.boot(img, "", accel="tcg")  # -cpu max: UMIP
    assert vm.status == 0, vm.log
    assert vm.console == "aslr: sgdt faults with signal 11\n", vm.console
