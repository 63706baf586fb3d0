"""qemu_profile.py - where QEMU spends host CPU on a boot: `perf record`
of the PVH stub (bench/boot.py's floor), Kiln's hello image booted on the
same minimal command line (boot.py's kiln row) and `kiln run` of that
image, BOOTS boots each, in interleaved blocks of BLOCK.

Samples are cpu-clock (no hardware counters in this VM) at FREQ Hz, so
one sample is 1/FREQ s of host CPU.  Debian's QEMU is stripped but
exports its global functions (modules), so a sample in one of its static
functions is charged to the global function before it in the binary
(`nm -D`): tcg.c's register allocator lands on tcg_op_remove or
tcg_code_capacity, target/i386's decoder on do_interrupt_x86_hardirq,
optimize.c's folding on monitor_init_globals.  The groups below are
regular expressions over those names; print the names themselves with
--names.

Prints milliseconds of host CPU per boot and the share of each group,
one column per workload.  Needs perf, and root or perf_event_paranoid
<= 1.

usage: python3 bench/qemu_profile.py [--boots N] [--block N] [--freq HZ]
       [--names N] [--keep DIR]
"""

import argparse
import bisect
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

import boot
from boot import BenchError

QEMU_BIN = shutil.which(boot.QEMU) or boot.QEMU

# (group, pattern over the QEMU function a sample is charged to); the
# first group that matches takes the sample, so a narrow pattern listed
# early wins over a broad one later (tlb_reset_dirty is translation's,
# memory_region_dispatch I/O's, address_space_translate_for_iotlb the
# TLB's, before the set-up group's memory_region and address_space_).
GROUPS = [
    ("translate", r"^(tcg_(?!flush_jmp|flush_softmmu)|tb_gen_code|gen_|"
     r"translator_|monitor_init_globals|do_interrupt_x86_hardirq|"
     r"plugin_gen|get_page_addr_code|page_find_alloc|page_lock|"
     r"page_collection|tb_link_page|qht_insert|tlb_reset_dirty|"
     r"tlb_protect_code|tb_page|tb_invalidate)"),
    ("tb lookup, exec loop", r"^(qht_lookup|cpu_exec(_start|_end|"
     r"_step_atomic)?$|curr_cflags|cpu_loop_exit|tcg_flush_jmp_cache|"
     r"helper_lookup_tb_ptr)"),
    ("softmmu TLB, page walks", r"^(tlb_|x86_cpu_tlb_fill|helper_.*_mmu|"
     r"tcg_flush_softmmu_tlb|get_physical_address|probe_access|"
     r"address_space_translate|address_space_get_iotlb_entry)"),
    ("port, MMIO and DMA accesses", r"^(memory_region_dispatch|"
     r"memory_region_access|address_space_(ld|st|rw|read|write(?!_rom)|map|"
     r"unmap|cache|access_valid|get_flatview)|flatview_|serial_|pit_|"
     r"cpu_(in|out)[bwl]|helper_(in|out)[bwl]$|qemu_chr|apic_|ioapic_|"
     r"prepare_mmio)"),
    ("rdtsc, cpuid, msr helpers", r"^(cpu_get_ticks|cpu_get_clock|"
     r"cpu_x86_cpuid|helper_(rdtscp?|rdpmc|cpuid|rdmsr|wrmsr)$)"),
    ("other TCG helpers", r"^helper_"),
    ("machine set-up (QOM, memory regions)", r"^(memory_region|object_|"
     r"container_get|device_|type_|qdev|trace_|address_space_|"
     r"cpu_exec_(init|realize|unrealize)|qemu_init|visit_|qdist|qmp_|"
     r"kvm_)"),
]


def qemu_symbols():
    """QEMU's exported functions, sorted by address."""
    out = subprocess.run(["nm", "-D", "--defined-only", QEMU_BIN],
                         capture_output=True, text=True, check=True).stdout
    syms = sorted((int(f[0], 16), f[2]) for f in
                  (line.split() for line in out.splitlines())
                  if len(f) == 3 and f[1] in "Tt")
    return [a for a, _ in syms], [n for _, n in syms]


def group_of(comm, dso, sym, near):
    """The row a sample belongs to."""
    if comm != "qemu-system-x86":
        return "%s (CLI)" % comm
    if dso == "[kernel.kallsyms]":
        return "host kernel (page faults, syscalls, exec)"
    if dso.startswith("ld-linux"):
        return "ld.so (QEMU's own start-up)"
    if "JIT" in dso or "tcg-jit" in dso:
        return "generated code (the guest running)"
    if os.path.basename(QEMU_BIN) != dso:
        return "shared libraries (libc, glib)"
    if sym.startswith("0x"):
        sym = near(int(sym, 16))
    for name, pattern in GROUPS:
        if re.search(pattern, sym):
            return "qemu: " + name
    return "qemu: other"


def read_profile(path, near, names):
    """Samples per row of one perf.data; adds QEMU's functions to names."""
    rows = collections.Counter()
    out = subprocess.run(["perf", "report", "-i", path, "--no-children",
                          "--sort", "comm,dso,sym", "-g", "none", "-n", "-q",
                          "-t", "\t"], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = [x.strip() for x in line.split("\t")]
        if len(f) < 5 or not f[1].isdigit():
            continue
        n, comm, dso, sym = int(f[1]), f[2], f[3], f[4].split("] ", 1)[-1]
        rows[group_of(comm, dso, sym, near)] += n
        if dso == os.path.basename(QEMU_BIN):
            names[near(int(sym, 16)) if sym.startswith("0x") else sym] += n
    return rows


def record(argv, boots, freq, path):
    """perf record of `boots` runs of argv (children included); return
    each run's (exit status, stdout, stderr).  The shell keeps them in
    files beside path, so the profile pays a file's writes, not a pipe's
    reader."""
    runs = path + ".runs"
    os.makedirs(runs)
    loop = ('d=$1; shift; for i in $(seq %d); do "$@" </dev/null '
            '>"$d/$i.out" 2>"$d/$i.err"; echo $? >"$d/$i.rc"; done'
            % boots)
    p = subprocess.run(["perf", "record", "-q", "-F", str(freq), "-o", path,
                        "--", "sh", "-c", loop, "sh", runs] + argv,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("perf record failed: %s" % p.stderr.strip())
    got = []
    for i in range(1, boots + 1):
        part = {}
        for ext in ("rc", "out", "err"):
            try:
                with open(os.path.join(runs, "%d.%s" % (i, ext)), "rb") as f:
                    part[ext] = f.read()
            except OSError:
                raise BenchError("%s: run %d of %d left no %s" % (
                    " ".join(argv), i, boots, ext))
        got.append((int(part["rc"]), part["out"], part["err"]))
    shutil.rmtree(runs)
    return got


def check_runs(argv, runs, want_rc, want_out):
    """Raise BenchError unless every run exited want_rc with nothing but
    warnings on stderr (QEMU's own errors exit 1, as the guest's debug
    exit does) and its output passes want_out; a broken run must not be
    profiled as a boot."""
    for rc, out, err in runs:
        errors = [line for line in err.decode(errors="replace").splitlines()
                  if line.strip() and "warning" not in line.lower()]
        if rc != want_rc:
            why = "exited %d (want %d)" % (rc, want_rc)
        elif errors:
            why = "wrote errors"
        elif not want_out(out):
            why = "printed the wrong output"
        else:
            continue
        tail = (out.decode(errors="replace").strip().splitlines()[-8:] +
                errors) or ["(no output)"]
        raise BenchError("%s %s:\n  %s" % (" ".join(argv), why,
                                           "\n  ".join(tail)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boots", type=int, default=20)
    ap.add_argument("--block", type=int, default=5)
    ap.add_argument("--freq", type=int, default=20000)
    ap.add_argument("--names", type=int, default=0,
                    help="also list the N QEMU functions with most samples")
    ap.add_argument("--keep", help="keep the perf.data files in DIR")
    opts = ap.parse_args()
    if not os.path.exists(boot.KILN):
        raise BenchError("%s is missing; run `make cli`" % boot.KILN)
    stub = boot.build_stub()
    image = boot.kiln_image(boot.hello_program())
    minimal = boot.QEMU_BASE + boot.ACCEL["tcg"] + ["-m", boot.MEM]
    # (row, argv, exit status, check of its output): the stub prints
    # nothing; the kiln row's serial has the kernel's lines around
    # hello's; `kiln run` passes on hello's line alone and its status.
    work = [("stub", minimal + ["-kernel", stub], boot.DEBUG_EXIT_OK,
             lambda out: True),
            ("kiln", minimal + ["-kernel", image], boot.DEBUG_EXIT_OK,
             lambda out: boot.HELLO_OUT in out),
            ("kiln run", [boot.KILN, "run", "--accel", "tcg", image], 0,
             lambda out: out == boot.HELLO_OUT + b"\n")]
    tmp = opts.keep or tempfile.mkdtemp(prefix="qemu-profile-")
    os.makedirs(tmp, exist_ok=True)
    addrs, syms = qemu_symbols()

    def near(a):
        i = bisect.bisect_right(addrs, a) - 1
        return syms[i] if i >= 0 else "?"

    load = [os.getloadavg()[0]]
    files = collections.defaultdict(list)
    done = 0
    while done < opts.boots:
        n = min(opts.block, opts.boots - done)
        for name, argv, want_rc, want_out in work:
            path = os.path.join(tmp, "%s-%d.data" % (name.replace(" ", "_"),
                                                     done))
            check_runs(argv, record(argv, n, opts.freq, path), want_rc,
                       want_out)
            files[name].append(path)
        done += n
    load.append(os.getloadavg()[0])
    labels = [w[0] for w in work]
    names = {w: collections.Counter() for w in labels}
    rows = {w: collections.Counter() for w in labels}
    for w in labels:
        for path in files[w]:
            rows[w].update(read_profile(path, near, names[w]))
    if not opts.keep:
        shutil.rmtree(tmp)
    per_boot = 1000.0 / opts.freq / opts.boots
    keys = sorted({k for r in rows.values() for k in r},
                  key=lambda k: -rows["kiln run"][k])
    print("host CPU per boot, ms (share), %d boots each in blocks of %d, "
          "cpu-clock at %d Hz; 1-minute load %.1f -> %.1f" % (
              opts.boots, opts.block, opts.freq, load[0], load[1]))
    print("%-42s" % "" + "".join("%18s" % w for w in labels))
    for k in keys:
        print("%-42s" % k + "".join(
            "%10.2f (%4.1f%%)" % (rows[w][k] * per_boot,
                                  100.0 * rows[w][k] / sum(rows[w].values()))
            for w in labels))
    print("%-42s" % "total" + "".join(
        "%18.2f" % (sum(rows[w].values()) * per_boot) for w in labels))
    for w in labels:
        if opts.names:
            print("\n%s: QEMU functions (static ones under the global "
                  "before them), samples" % w)
            for sym, n in names[w].most_common(opts.names):
                print("  %6d  %s" % (n, sym))


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print("qemu_profile: %s" % e, file=sys.stderr)
        sys.exit(1)
