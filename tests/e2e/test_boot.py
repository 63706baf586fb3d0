"""test_boot.py - the kernel boots on every machine type and says what it should."""
import re

import pytest

import qemu_vm

BANNER = "Kiln 0.1.0 (x86_64)"


def line_matching(lines, pattern):
    found = [l for l in lines if re.fullmatch(pattern, l)]
    assert len(found) == 1, (pattern, lines)
    return found[0]


def check_clean_boot(b, cmdline=""):
    assert not b.timed_out
    lines = b.log.splitlines()
    assert lines[0] == BANNER
    assert f"kiln: command line: {cmdline}" in lines
    line_matching(lines, r"kiln: tsc \d+ kHz from \S.*")
    line_matching(lines, r"kiln: memory: \d+ KiB free of \d+ KiB")
    line_matching(lines, r"kiln: ready in \d+ us")
    # A bare kernel has no application to run: it says so and exits 0.
    assert lines[-2:] == ["kiln: no application in this image",
                          "kiln: exit status 0"]
    assert b.status == 0
    assert b.qemu_rc == 1  # isa-debug-exit: (0 << 1) | 1


@pytest.mark.parametrize("machine", qemu_vm.MACHINES)
def test_boots_on_each_machine(boot, machine):
    check_clean_boot(boot(machine=machine))


def test_boots_under_tcg(boot):
    check_clean_boot(boot(accel="tcg"))


@pytest.mark.skipif(not qemu_vm.kvm_usable(), reason="/dev/kvm not usable")
def test_boots_under_kvm(boot):
    b = boot(accel="kvm")
    if qemu_vm.kvm_is_pvm():
        # PVM: qemu_vm says kiln.nostac, and the kernel says what it did
        # before its banner (kernel/arch/x86_64/user.c).
        first = ("kiln: kiln.nostac: SMAP off, SYSCALLs delivered in ring 3"
                 " will be run\n")
        assert b.log.startswith(first), b.log
        b.log = b.log[len(first):]
        check_clean_boot(b, "kiln.nostac")
    else:
        check_clean_boot(b)
    assert "from kvmclock" in b.log


@pytest.mark.parametrize("cpu", ["max", "max,smap=off"])
def test_nostac_with_or_without_smap(boot, cpu):
    """kiln.nostac turns ring-3 SYSCALLs on whatever CPUID says: a PVM
    host may hide SMAP and still deliver SYSCALL in ring 3."""
    b = boot("kiln.nostac", accel="tcg", extra=("-cpu", cpu))
    first = ("kiln: kiln.nostac: SMAP off, SYSCALLs delivered in ring 3"
             " will be run\n")
    assert b.log.startswith(first), b.log
    b.log = b.log[len(first):]
    check_clean_boot(b, "kiln.nostac")


def test_command_line_reaches_kernel(boot):
    cmdline = 'a=1 quoted="x y" bare'
    check_clean_boot(boot(cmdline), cmdline)


def test_log_is_kept_off_the_console(boot):
    b = boot()
    assert b.console == ""
    assert b.log.startswith(BANNER + "\n")


def test_single_port_carries_banner_first(boot):
    b = boot(separate_log=False)
    assert b.console.splitlines()[0] == BANNER
    assert b.status == 0


def test_memory_size_is_seen(boot):
    small = boot(mem="64M")
    large = boot(mem="256M")
    total = [int(re.search(r"free of (\d+) KiB", b.log).group(1))
             for b in (small, large)]
    # All RAM above the first MiB and the kernel image (~0.1 MiB), so
    # between 2 MiB and 1 MiB less than the VM's size.
    assert 62 * 1024 < total[0] < 63 * 1024
    assert 254 * 1024 < total[1] < 255 * 1024


def test_paging_enforces_w_xor_x(boot):
    b = boot("kiln.test=paging")
    lines = [l for l in b.log.splitlines() if l.startswith("kiln: paging: ")]
    assert lines == [
        "kiln: paging: page 0 unmapped",
        "kiln: paging: text r-x",
        "kiln: paging: rodata r--",
        "kiln: paging: data rw-",
        "kiln: paging: stack guard unmapped",
        "kiln: paging: direct map rw-",
        "kiln: paging: kernel text in direct map r--",
    ]
    assert b.status == 0


def test_timer_interrupts_arrive(boot):
    b = boot("kiln.test=timer")
    m = re.search(r"^kiln: timer: 10 ticks of 1 ms in (\d+) us$", b.log, re.M)
    assert m, b.log
    # Ten 1 ms periods: at least 9 ms (calibration error), at most 1 s.
    assert 9000 <= int(m.group(1)) <= 1000000
    assert b.status == 0


def test_a_timer_forever_away_arms_no_interrupt(boot):
    """sleep infinity's deadline (and any timeout clamped to Linux's
    KTIME_MAX) stops the LAPIC timer instead of setting it to fire every
    few seconds; a deadline hours away sets it to its most, not to what
    a wrapped multiplication left (kernel/core/selftest.c)."""
    b = boot("kiln.test=tickless")
    assert ("kiln: tickless: stopped after 1 ms, stopped for forever, "
            "counting from the top for 6 h") in b.log.splitlines(), b.log
    assert b.status == 0


def test_unknown_selftest_is_refused(boot):
    b = boot("kiln.test=nonsense")
    assert "kiln: unknown kiln.test=nonsense" in b.log
    assert b.status == 2


def tsc_line(b):
    return line_matching(b.log.splitlines(), r"kiln: tsc \d+ kHz from \S.*")


def test_tsc_rate_from_the_command_line_is_checked(boot):
    """kiln.tsc_khz (kiln run gives the host's rate under TCG) is taken
    only when the PIT agrees within 10%: three times the TSC's rate is
    refused, and so are 1.5 and 0.7 times it (a check whose span of the
    PIT wrapped unseen could alias to a wrong rate), and the kernel
    measures against the PIT as without it; a value out of range is
    ignored the same way."""
    measured = boot(accel="tcg")
    khz = int(re.search(r"tsc (\d+) kHz", tsc_line(measured)).group(1))
    assert tsc_line(measured).endswith(" from pit")
    for wrong in (3 * khz, khz * 3 // 2, khz * 7 // 10, 1):
        b = boot(f"kiln.tsc_khz={wrong}", accel="tcg")
        check_clean_boot(b, f"kiln.tsc_khz={wrong}")
        assert tsc_line(b).endswith(" from pit"), tsc_line(b)
    right = boot(f"kiln.tsc_khz={khz}", accel="tcg")
    check_clean_boot(right, f"kiln.tsc_khz={khz}")
    assert tsc_line(right) == (f"kiln: tsc {khz} kHz from kiln.tsc_khz, "
                               "checked against the PIT")
