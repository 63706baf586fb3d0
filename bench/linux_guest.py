"""linux_guest.py - the Linux baseline for the benches: Debian's kernel and
a busybox initramfs whose /init powers the VM off at once (boot bench) or
first runs a benchmark program (app bench).

Nothing is installed on the host except busybox-static (when missing): the
kernel package is fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into build/bench/linux/ (boot/ and the virtio network
modules only), and reused on later runs.
"""

import glob
import gzip
import os
import subprocess

BUSYBOX = "/bin/busybox"

# Why poweroff and not reboot: on microvm Linux finds no working reboot
# method by default (no i8042, no ACPI reset register) and spins, while
# `poweroff -f` enters ACPI S5 through microvm's GED device and QEMU exits
# with status 0 at once.
INIT_SCRIPT = b"#!/bin/busybox sh\nexec /bin/busybox poweroff -f\n"

CMDLINE = "console=ttyS0 panic=-1 quiet"


def cmdline():
    """The kernel command line, with the host's TSC rate when known.

    Why tsc_early_khz: under a loaded TCG host Linux's PIT calibration of
    the TSC sometimes fails twice, the TSC is marked unstable and boot
    hangs for good (seen here about one boot in eight).  Handing it the rate
    only skips a calibration; it makes Linux, the baseline, no slower.
    """
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    khz = int(float(line.split(":", 1)[1]) * 1000)
                    return "%s tsc_early_khz=%d" % (CMDLINE, khz)
    except (OSError, ValueError):
        pass
    return CMDLINE


class Unavailable(Exception):
    """The Linux baseline cannot be prepared here (no network, no apt...)."""


def _run(argv, cwd=None):
    """Run a command quietly; raise Unavailable with its last error line."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True,
                           text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unavailable("%s: %s" % (argv[0], e))
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines() or ["failed"]
        raise Unavailable("%s: %s" % (" ".join(argv[:2]), lines[-1]))
    return p.stdout


def _kernel_package():
    """The concrete linux-image-<version>-amd64 behind linux-image-amd64."""
    out = _run(["apt-cache", "depends", "linux-image-amd64"])
    for line in out.splitlines():
        dep = line.strip()
        if dep.startswith("Depends: linux-image-"):
            return dep.split(":", 1)[1].strip()
    raise Unavailable("apt-cache: linux-image-amd64 has no kernel dependency")


# Debian builds virtio and its network driver as modules; the network
# bench loads these into its Linux guest, in this order (each after what
# it depends on).  They are kept from the package; nothing else of
# lib/modules is.
NET_MODULES = ("drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko",
               "drivers/virtio/virtio_mmio.ko", "net/core/failover.ko",
               "drivers/net/net_failover.ko", "drivers/net/virtio_net.ko")


def _module_paths(root):
    """{module file: path under root} for NET_MODULES, found or not."""
    found = glob.glob(os.path.join(root, "lib", "modules", "*", "kernel"))
    base = found[0] if found else os.path.join(root, "lib", "modules", "-")
    return {m: os.path.join(base, m) for m in NET_MODULES}


def _unpack_kernel(linux_dir):
    """Download Debian's kernel package and keep boot/ and NET_MODULES."""
    root = os.path.join(linux_dir, "root")
    pkg = _kernel_package()
    os.makedirs(linux_dir, exist_ok=True)
    for old in glob.glob(os.path.join(linux_dir, "*.deb")):
        os.unlink(old)
    _run(["apt-get", "download", "-qq", pkg], cwd=linux_dir)
    debs = glob.glob(os.path.join(linux_dir, pkg + "_*.deb"))
    if not debs:
        raise Unavailable("apt-get download %s: no .deb appeared" % pkg)
    # Unpack to a temporary name so a half-extracted tree is never reused,
    # and keep only boot/ and a few modules of the ~400 MB.
    tmp = root + ".tmp"
    _run(["rm", "-rf", tmp, root])
    _run(["dpkg-deb", "-x", debs[0], tmp])
    os.makedirs(root)
    os.rename(os.path.join(tmp, "boot"), os.path.join(root, "boot"))
    kept = _module_paths(root)
    for m, src in _module_paths(tmp).items():
        if os.path.exists(src):
            os.makedirs(os.path.dirname(kept[m]), exist_ok=True)
            os.rename(src, kept[m])
    _run(["rm", "-rf", tmp])
    os.unlink(debs[0])


def fetch_kernel(linux_dir):
    """Return the path of Debian's vmlinuz, downloading it on first use."""
    root = os.path.join(linux_dir, "root")
    found = sorted(glob.glob(os.path.join(root, "boot", "vmlinuz-*")))
    if found:
        return found[-1]
    _unpack_kernel(linux_dir)
    found = sorted(glob.glob(os.path.join(root, "boot", "vmlinuz-*")))
    if not found:
        raise Unavailable("the kernel package holds no boot/vmlinuz-*")
    return found[-1]


def fetch_net_modules(linux_dir):
    """Paths of NET_MODULES in load order, downloading the kernel package
    again when an older unpacked tree lacks them."""
    fetch_kernel(linux_dir)
    paths = _module_paths(os.path.join(linux_dir, "root"))
    if not all(os.path.exists(p) for p in paths.values()):
        _unpack_kernel(linux_dir)
        paths = _module_paths(os.path.join(linux_dir, "root"))
    missing = [m for m, p in paths.items() if not os.path.exists(p)]
    if missing:
        raise Unavailable("the kernel package lacks " + ", ".join(missing))
    return [paths[m] for m in NET_MODULES]


def _is_static(path):
    """True when the ELF at path has no PT_INTERP program header."""
    with open(path, "rb") as f:
        data = f.read(4096)
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff = int.from_bytes(data[32:40], "little")
    phentsize = int.from_bytes(data[54:56], "little")
    phnum = int.from_bytes(data[56:58], "little")
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 > len(data):
            return False
        if int.from_bytes(data[off:off + 4], "little") == 3:  # PT_INTERP
            return False
    return True


def ensure_busybox():
    """Make sure a static /bin/busybox exists (Debian's busybox-static)."""
    if os.path.exists(BUSYBOX) and _is_static(BUSYBOX):
        return BUSYBOX
    _run(["apt-get", "install", "-y", "-qq", "busybox-static"])
    if not (os.path.exists(BUSYBOX) and _is_static(BUSYBOX)):
        raise Unavailable("%s is still missing or not static" % BUSYBOX)
    return BUSYBOX


def _cpio_entry(name, mode, ino, data=b""):
    """One "newc" cpio record: 110-byte ASCII header, name, data, 4-aligned."""
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
    rec = b"070701" + b"".join(b"%08x" % v for v in fields)
    rec += name.encode() + b"\0"
    rec += b"\0" * (-len(rec) % 4)
    return rec + data + b"\0" * (-len(data) % 4)


def build_initramfs(linux_dir):
    """Write linux_dir/initramfs.cpio.gz (busybox + /init); return its path."""
    return write_initramfs(os.path.join(linux_dir, "initramfs.cpio.gz"),
                           INIT_SCRIPT)


def write_initramfs(path, init, files=(), dirs=()):
    """Write a gzipped initramfs to path; return path.

    It holds /bin/busybox, /init (the bytes init, mode 0755), each
    (guest name, host path) of files as a 0755 regular file, and each name
    in dirs as a 01777 directory (e.g. "tmp").  Names have no leading "/";
    a file's directory must be "bin" or listed in dirs.
    """
    busybox = ensure_busybox()
    with open(busybox, "rb") as f:
        bb = f.read()
    archive = (_cpio_entry("bin", 0o040755, 1)
               + _cpio_entry("bin/busybox", 0o100755, 2, bb)
               + _cpio_entry("init", 0o100755, 3, init))
    ino = 4
    for name in dirs:
        archive += _cpio_entry(name, 0o041777, ino)
        ino += 1
    for name, host in files:
        with open(host, "rb") as f:
            archive += _cpio_entry(name, 0o100755, ino, f.read())
        ino += 1
    archive += _cpio_entry("TRAILER!!!", 0, 0)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(gzip.compress(archive, 6))
    os.replace(path + ".tmp", path)
    return path
