"""test_faults.py - kernel faults give a full report and the panic status, never a hang."""
import re

PANIC = 125  # KILN_EXIT_PANIC in include/kiln/exit.h


def report(b):
    assert not b.timed_out
    assert b.status == PANIC
    assert b.log.endswith("kiln: exit status 125\n")
    return b.log


def kernel_offset(log):
    """Where the kernel ran, less where nm says it was linked (KASLR)."""
    m = re.search(r"^kiln: kernel offset 0x([0-9a-f]+) from 0xffffffff80000000$",
                  log, re.M)
    assert m, log
    return int(m.group(1), 16)


def rip_symbol(log):
    m = re.search(r"^kiln:   rip 0x([0-9a-f]{16}) <(\w+)\+0x[0-9a-f]+>$", log, re.M)
    assert m, log
    return int(m.group(1), 16), m.group(2)


def test_null_dereference(boot):
    log = report(boot("kiln.test=null"))
    assert "kiln: fatal exception: page fault (#PF), vector 14, error 0x0\n" in log
    assert "kiln:   address 0x0000000000000000 (read, not present)\n" in log
    assert "kiln:   null pointer dereference\n" in log
    assert rip_symbol(log)[1] == "selftest_null_deref"
    for reg in ("rax", "rbx", "rsp", "r15", "rflags"):
        assert re.search(rf"\b{reg}\s+[0-9a-f]{{16}}", log)
    frames = re.findall(r"^kiln:   #\d+ 0x[0-9a-f]{16} <(\w+)\+", log, re.M)
    assert frames[0] == "selftest_null_deref"
    assert "kmain" in frames


def test_write_to_kernel_text_faults(boot, symbols):
    log = report(boot("kiln.test=write-text"))
    target = symbols["selftest_write_text"] + kernel_offset(log)
    assert (f"kiln:   address 0x{target:016x} (write, protection violation)\n"
            in log)
    assert rip_symbol(log)[1] == "selftest_write_text"


def test_execute_data_faults(boot, symbols):
    log = report(boot("kiln.test=exec-data"))
    target = symbols["data_code"] + kernel_offset(log)
    assert (f"kiln:   address 0x{target:016x} "
            "(instruction fetch, protection violation)\n" in log)


def test_stack_overflow_hits_guard_page(boot, symbols):
    log = report(boot("kiln.test=stack-overflow"))
    assert "kiln: fatal exception: double fault (#DF), vector 8" in log
    m = re.search(r"kernel stack overflow: guard page hit at 0x([0-9a-f]{16})", log)
    assert m, log
    guard = symbols["__stack_guard_boot"] + kernel_offset(log)
    assert guard <= int(m.group(1), 16) < guard + 4096
    assert "<selftest_recurse+" in log


def test_panic_reports_backtrace(boot):
    log = report(boot("kiln.test=panic"))
    assert "kiln: panic: test panic requested\n" in log
    frames = re.findall(r"^kiln:   #\d+ 0x[0-9a-f]{16} <(\w+)\+", log, re.M)
    assert frames[:3] == ["selftest_panic", "selftest_run", "kmain"]


def test_heap_exhaustion_is_reported(boot):
    b = boot("kiln.test=oom", mem="64M")
    free_kib = int(re.search(r"memory: (\d+) KiB free", b.log).group(1))
    m = re.search(r"^kiln: oom: kmalloc returned NULL after (\d+) allocations "
                  r"of 64 KiB$", b.log, re.M)
    assert m, b.log
    # Each 64 KiB block plus its header takes 17 pages; a few pages per
    # region may be left over as fragments.
    pages = free_kib // 4
    n = int(m.group(1))
    assert pages - 17 * 8 < n * 17 <= pages
    assert "kiln: oom: all memory returned\n" in b.log
    assert b.status == 0
