"""test_aslr.py - the app's stack, mmap area, heap and PIE base move from boot to boot.

tests/guest/aslr.c with "report" prints where its stack (argv), a fresh
mmap, its break (less the program's end) and main lie. The static-PIE
build is booted RUNS times and each region's spread (max - min) over the
runs must reach a sixteenth of the range Linux randomizes it over
(docs/security.md, "Address space layout").

Why that bound: for n draws uniform over a range, the chance that all of
them fall within a fraction f of it is about n * f**(n-1); for n = 8 and
f = 1/16 that is 3e-8, so the test is not flaky, while the old layout
(stack and mmap within 16 MiB, PIE within 256 MiB, a fixed brk) fails
every bound by a factor of 16 or more. The same run natively shows that
Linux meets the bounds too.
"""
import os
import re

import pytest

from guest_util import describe, guest_path, kiln_run, run_native

RUNS = 8
REPORT = re.compile(r"aslr: stack 0x(?P<stack>[0-9a-f]+) mmap 0x(?P<mmap>[0-9a-f]+) "
                    r"brk\+0x(?P<brk>[0-9a-f]+) text 0x(?P<text>[0-9a-f]+) "
                    r"vdso 0x(?P<vdso>[0-9a-f]+)\n")

# Bytes each region is spread over by Linux x86_64 and by Kiln: random
# pages below 2^47 - 4 KiB (stack: 22 bits), below the stack (mmap: 28),
# above ELF_ET_DYN_BASE (PIE: 28) and after the program's end (brk: 18).
# The vDSO is the mmap area's first mapping (Linux 6.x), so it moves with
# mmap_top: 28 bits.
RANGE = {"stack": 1 << 34, "mmap": 1 << 40, "text": 1 << 40, "brk": 1 << 30,
         "vdso": 1 << 40}


def aslr_enabled_natively():
    try:
        with open("/proc/sys/kernel/randomize_va_space") as f:
            return f.read().strip() == "2"
    except OSError:
        return False


def samples(where):
    """RUNS reports from the static-PIE build, as dicts of ints."""
    path = guest_path("musl-pie", "aslr")
    assert os.path.exists(path), f"{path} is missing: run make guest"
    out = []
    for _ in range(RUNS):
        r = kiln_run(path, ["report"]) if where == "kiln" else run_native([path, "report"])
        text = r.stdout.decode(errors="replace")
        assert r.returncode == 0 and text.endswith("aslr: all 6 checks passed\n"), describe(r)
        m = REPORT.match(text)
        assert m, describe(r)
        out.append({k: int(v, 16) for k, v in m.groupdict().items()})
    return out


@pytest.fixture(scope="module", params=["kiln", "native"])
def runs(request):
    if request.param == "native" and not aslr_enabled_natively():
        pytest.skip("the host runs without full ASLR (randomize_va_space != 2)")
    return request.param, samples(request.param)


@pytest.mark.parametrize("region", sorted(RANGE))
def test_region_spread(runs, region):
    where, s = runs
    values = [x[region] for x in s]
    spread = max(values) - min(values)
    assert spread >= RANGE[region] // 16, \
        f"{where}: {region} spread 0x{spread:x} over {[hex(v) for v in values]}"


@pytest.mark.parametrize("region", ["stack", "mmap", "text", "vdso"])
def test_region_never_repeats(runs, region):
    # 22 and 28 bits: a repeat among 8 draws has odds below 1e-5.
    where, s = runs
    values = [x[region] for x in s]
    assert len(set(values)) == RUNS, f"{where}: {region} {[hex(v) for v in values]}"


def test_stack_moves_within_its_page(runs):
    # Below the argument strings a random gap of up to 8 KiB in 16-byte
    # steps (512 values): 8 draws give 4 or more distinct page offsets
    # but with odds of 1e-10. The gap alone decides the offset in a page.
    where, s = runs
    offsets = {x["stack"] % 4096 for x in s}
    assert len(offsets) >= 4, f"{where}: page offsets {sorted(offsets)}"


def test_vdso_is_page_aligned(runs):
    where, s = runs
    assert all(x["vdso"] and x["vdso"] % 4096 == 0 for x in s), \
        f"{where}: vdso {[hex(x['vdso']) for x in s]}"
