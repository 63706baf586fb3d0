"""membisect.py - the smallest whole-MiB guest memory an app runs in, found
by the benches (footprint, apps, realapps) with few boots.

A plain bisection of 1..256 MiB costs 8 boots per app and system, and
under TCG a Linux boot of python3 takes seconds.  The answer rarely
moves between runs, so the search first tries where it was last time:
a success at m and a failure at m - 1 prove m exactly as the bisection
would (both assume that more memory never hurts), in 2 boots.  When the
hint is wrong, its two probes still narrow the range and the bisection
goes on from there (2 boots more than without a hint, at worst).

The hint is the last answer of this machine (build/bench/mem-hints.json,
written after each search) or else the last one recorded here.
"""

import json
import os

import boot

HINTS = os.path.join(boot.OUT, "mem-hints.json")

# The last answers measured (docs/performance.md), for a fresh clone.
DEFAULT_HINTS = {
    "footprint hello kiln": 4, "footprint http kiln": 5,
    "footprint hello linux": 33, "footprint http linux": 35,
    "apps hello kiln": 4,
    "realapps python3 kiln": 19, "realapps python3 linux": 178,
    "realapps nginx kiln": 16, "realapps nginx linux": 51,
}


def _load():
    try:
        with open(HINTS) as f:
            hints = json.load(f)
        return hints if isinstance(hints, dict) else {}
    except (OSError, ValueError):
        return {}


def _store(key, mib):
    hints = _load()
    hints[key] = mib
    os.makedirs(os.path.dirname(HINTS), exist_ok=True)
    with open(HINTS + ".tmp", "w") as f:
        json.dump(hints, f, indent=1, sort_keys=True)
    os.replace(HINTS + ".tmp", HINTS)


class Search:
    """The outcome: hi runs (or is assumed to), lo fails (0: none tried),
    why_lo says why lo failed, probes counts the boots."""

    def __init__(self, lo, hi):
        self.lo, self.hi, self.why_lo, self.probes = lo, hi, "", 0

    def exact(self):
        return self.hi - self.lo <= 1


def smallest(key, runs_in, lo, hi, max_probes=None):
    """Search whole MiB in (lo, hi], where hi runs (the caller checked or
    assumes it) and lo does not (0: nothing below 1 MiB).  runs_in(mib)
    gives (ok, why).  At most max_probes boots of bisection (None: no
    bound) after the hint's two; the Search says whether the answer is
    exact."""
    s = Search(lo, hi)

    def probe(mib):
        ok, why = runs_in(mib)
        s.probes += 1
        if ok:
            s.hi = mib
        else:
            s.lo, s.why_lo = mib, why
        return ok

    hinted = 0

    def left():
        return max_probes is None or s.probes - hinted < max_probes

    hint = _load().get(key, DEFAULT_HINTS.get(key))
    if isinstance(hint, int) and s.lo < hint < s.hi:
        # The hint, then its neighbour on the side that would prove it.
        if probe(hint):
            if hint - 1 > s.lo:
                probe(hint - 1)
        elif hint + 1 < s.hi:
            probe(hint + 1)
        hinted = s.probes
    while not s.exact() and left():
        probe((s.lo + s.hi) // 2)
    if s.exact():
        _store(key, s.hi)
    return s
