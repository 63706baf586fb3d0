"""linux_microvm.py - build the benches' Linux baseline: Debian's
linux-source-6.1 configured by `make tinyconfig` plus
bench/linux-microvm.config (built in, no modules, PVH, virtio-mmio), into
build/bench/linux-microvm/vmlinux.

The build is cached: it is redone only when the config fragment, the
source tarball or this script's build recipe change (a stamp file holds
their digest). It runs under `nice` with -j2, as the machine is shared.

usage: python3 bench/linux_microvm.py [--force]   (prints vmlinux's path)
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "bench", "linux-microvm")
FRAGMENT = os.path.join(ROOT, "bench", "linux-microvm.config")
TARBALL = "/usr/src/linux-source-6.1.tar.xz"
# Bump when the recipe below changes in a way that changes vmlinux.
RECIPE = "1"
# Hours: a cold build on 2 shared cores under load.
BUILD_TIMEOUT = 3 * 3600


class Unavailable(Exception):
    """The kernel cannot be built here (no source package, a build error)."""


def _digest():
    """What the cached vmlinux depends on: fragment, tarball, recipe."""
    h = hashlib.sha256(RECIPE.encode())
    with open(FRAGMENT, "rb") as f:
        h.update(f.read())
    st = os.stat(TARBALL)
    h.update(("%s %d %d" % (TARBALL, st.st_size, int(st.st_mtime))).encode())
    return h.hexdigest()


def _run(argv, cwd, log):
    """Run one build step, its output appended to log; raise Unavailable."""
    with open(log, "ab") as f:
        f.write(("$ %s\n" % " ".join(argv)).encode())
        f.flush()
        try:
            p = subprocess.run(argv, cwd=cwd, stdout=f, stderr=f,
                               timeout=BUILD_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Unavailable("%s: %s (log: %s)" % (argv[0], e, log))
    if p.returncode != 0:
        raise Unavailable("%s failed (log: %s)" % (" ".join(argv[:3]), log))


def _check_config(config):
    """Every line of the fragment must have survived olddefconfig (a
    dependency missing from the fragment silently drops an option)."""
    with open(config) as f:
        have = set(f.read().splitlines())
    with open(FRAGMENT) as f:
        want = [x.strip() for x in f
                if x.startswith("CONFIG_") or x.startswith("# CONFIG_")]
    lost = [w for w in want if w not in have]
    if lost:
        raise Unavailable("config lost: " + ", ".join(lost))


def vmlinux_path():
    return os.path.join(OUT, "vmlinux")


def cached():
    """The path of an up-to-date vmlinux, or None."""
    stamp = os.path.join(OUT, "stamp")
    try:
        with open(stamp) as f:
            ok = f.read().strip() == _digest()
    except OSError:
        return None
    return vmlinux_path() if ok and os.path.exists(vmlinux_path()) else None


def build(force=False, quiet=False):
    """Return the path of vmlinux, building it when not cached (the
    built tree, ~1 GB, stays in OUT/src for the next rebuild)."""
    if not os.path.exists(TARBALL):
        raise Unavailable("%s missing (scripts/deps.sh bench installs "
                          "linux-source-6.1)" % TARBALL)
    if not force and cached():
        return vmlinux_path()
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, "src")
    log = os.path.join(OUT, "build.log")
    stamp = os.path.join(OUT, "stamp")
    for p in (stamp, log):
        if os.path.exists(p):
            os.unlink(p)
    if not quiet:
        print("linux-microvm: building Linux from %s (log: %s); this takes "
              "a while on 2 cores" % (TARBALL, log), file=sys.stderr)
    # The source tree is kept so a change of the fragment rebuilds only
    # what it touches; it is unpacked afresh when the tarball changes or
    # an earlier unpacking did not finish.
    tar_id = "%s %d" % (TARBALL, os.stat(TARBALL).st_mtime)
    unpacked = os.path.join(src, ".kiln-unpacked")
    try:
        with open(unpacked) as f:
            fresh = f.read() != tar_id
    except OSError:
        fresh = True
    if fresh:
        shutil.rmtree(src, ignore_errors=True)
        os.makedirs(src)
        _run(["tar", "-xJf", TARBALL, "--strip-components=1", "-C", src],
             OUT, log)
        with open(unpacked, "w") as f:
            f.write(tar_id)
    nice = ["nice", "-n", "10"]
    _run(nice + ["make", "-s", "ARCH=x86_64", "tinyconfig"], src, log)
    _run(nice + ["scripts/kconfig/merge_config.sh", "-m", ".config",
                 FRAGMENT], src, log)
    _run(nice + ["make", "-s", "ARCH=x86_64", "olddefconfig"], src, log)
    _check_config(os.path.join(src, ".config"))
    _run(nice + ["make", "-j2", "ARCH=x86_64", "vmlinux"], src, log)
    shutil.copyfile(os.path.join(src, "vmlinux"), vmlinux_path() + ".tmp")
    os.replace(vmlinux_path() + ".tmp", vmlinux_path())
    shutil.copyfile(os.path.join(src, ".config"), os.path.join(OUT, "config"))
    with open(stamp, "w") as f:
        f.write(_digest() + "\n")
    return vmlinux_path()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true",
                    help="rebuild even when the cached vmlinux is current")
    args = ap.parse_args()
    try:
        print(build(args.force))
    except Unavailable as e:
        print("linux-microvm: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
