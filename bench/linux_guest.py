"""linux_guest.py - the Linux guests of the benches.

Every bench boots the minimal microVM kernel (bench/linux_microvm.py:
baseline_kernel), under the QEMU options Kiln gets. boot.py and
footprint.py give it an initramfs of our /init (bench/progs/linux_init.c:
it runs /app, then exits through isa-debug-exit as Kiln does) and the app
(app_initramfs); the other benches a busybox initramfs whose /init runs
their programs and then powers the VM off (ACPI S5 through microvm's GED),
or a dynamically linked program with its ld.so, the closure of its
libraries and extra trees (Tree: the real-application bench). The
baseline has virtio-mmio, virtio-net, virtio-blk and ext4 built in, and
no decompressor: initramfs archives are written uncompressed.

Debian's distribution kernel is boot.py's second, labelled row. Nothing is
installed on the host for it except busybox-static (when missing): the
kernel package is fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into build/bench/linux/ (boot/ and the virtio network and
block modules only), and reused on later runs.
"""

import glob
import gzip
import os
import re
import stat
import subprocess

import linux_microvm

BUSYBOX = "/bin/busybox"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INIT_SRC = os.path.join(ROOT, "bench", "progs", "linux_init.c")
INIT_BIN = os.path.join(ROOT, "build", "bench", "linux_init")

# QEMU's status when an app run by our /init (bench/progs/linux_init.c)
# exits 0: isa-debug-exit gives (0 << 1) | 1.
EXIT_OK = 1

# Why poweroff and not reboot: on microvm Linux finds no working reboot
# method by default (no i8042, no ACPI reset register) and spins, while
# `poweroff -f` enters ACPI S5 through microvm's GED device and QEMU exits
# with status 0 at once.
INIT_SCRIPT = b"#!/bin/busybox sh\nexec /bin/busybox poweroff -f\n"

# Why tsc=reliable: the baseline's only other clocksources are jiffies,
# and its clocksource watchdog compares the TSC against them; on a loaded
# TCG host ticks come late, the watchdog can call the TSC unstable, and
# the boot falls back to refined-jiffies, where the vDSO has no clock and
# every clock_gettime becomes a system call (the bimodal clock row of
# syscalls.py: 128-285 ns in most boots, ~1000 ns in all of one run).
# TCG's TSC follows the host's clock, and Kiln reads it with no watchdog;
# tuned microVM guests do the same (Kata Containers' default kernel
# parameters carry tsc=reliable).
CMDLINE = "console=ttyS0 panic=-1 quiet tsc=reliable"


# The network part of a server's /init: load virtio-mmio and virtio-net
# (%(modules)s), then configure eth0 the way QEMU's slirp expects (Kiln
# is told the same addresses). The device appears asynchronously after
# insmod, so `ip link` is retried. $B is busybox.
NET_UP = """for m in %(modules)s; do
	$B insmod /mod/$m.ko || echo "init: FAIL insmod $m"
done
i=0
until $B ip link set eth0 up 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && echo "init: FAIL no eth0" && break
	$B usleep 10000
done
$B ip addr add 10.0.2.15/24 dev eth0
$B ip route add default via 10.0.2.2"""


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


def baseline_kernel():
    """The path of the baseline's vmlinux, built on first use (cached in
    build/bench/linux-microvm/; a cold build takes long on 2 cores)."""
    try:
        return linux_microvm.build()
    except linux_microvm.Unavailable as e:
        raise Unavailable("linux-microvm: %s" % e)


def ensure_init():
    """Compile bench/progs/linux_init.c static with musl (once per change);
    return its path."""
    if (os.path.exists(INIT_BIN) and
            os.path.getmtime(INIT_BIN) >= os.path.getmtime(INIT_SRC)):
        return INIT_BIN
    os.makedirs(os.path.dirname(INIT_BIN), exist_ok=True)
    _run(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror",
          "-o", INIT_BIN + ".tmp", INIT_SRC])
    os.replace(INIT_BIN + ".tmp", INIT_BIN)
    return INIT_BIN


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


# The disk bench's: virtio-mmio and virtio-blk, in load order.
BLK_MODULES = ("drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko",
               "drivers/virtio/virtio_mmio.ko", "drivers/block/virtio_blk.ko")


# ext4 on that disk (the file system bench): crc16 and crc32c (for
# metadata_csum), mbcache, jbd2, ext4, in load order.
EXT4_MODULES = ("lib/crc16.ko", "crypto/crc32c_generic.ko", "fs/mbcache.ko",
                "fs/jbd2/jbd2.ko", "fs/ext4/ext4.ko")


def _module_paths(root):
    """{module file: path under root} for NET_MODULES, BLK_MODULES and
    EXT4_MODULES, found or not."""
    found = glob.glob(os.path.join(root, "lib", "modules", "*", "kernel"))
    base = found[0] if found else os.path.join(root, "lib", "modules", "-")
    return {m: os.path.join(base, m)
            for m in NET_MODULES + BLK_MODULES + EXT4_MODULES}


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


def fetch_blk_modules(linux_dir):
    """Paths of BLK_MODULES in load order (as fetch_net_modules)."""
    fetch_net_modules(linux_dir)
    paths = _module_paths(os.path.join(linux_dir, "root"))
    return [paths[m] for m in BLK_MODULES]


def fetch_ext4_modules(linux_dir):
    """Paths of BLK_MODULES then EXT4_MODULES in load order."""
    fetch_net_modules(linux_dir)
    paths = _module_paths(os.path.join(linux_dir, "root"))
    return [paths[m] for m in BLK_MODULES + EXT4_MODULES]


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
    """Write linux_dir/initramfs.cpio (busybox + /init); return its path."""
    return write_initramfs(os.path.join(linux_dir, "initramfs.cpio"),
                           INIT_SCRIPT)


def app_initramfs(path, app):
    """Write an initramfs holding only our /init and the host program app
    as /app (no busybox): what the boot and memory benches boot."""
    with open(app, "rb") as f:
        data = f.read()
    return write_cpio(path, [_cpio_entry("init", 0o100755, 1, _init_bytes()),
                             _cpio_entry("app", 0o100755, 2, data)])


def _init_bytes():
    with open(ensure_init(), "rb") as f:
        return f.read()


def write_cpio(path, entries):
    """Write the records entries and a trailer to path (atomically)."""
    archive = b"".join(entries + [_cpio_entry("TRAILER!!!", 0, 0)])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(archive)
    os.replace(path + ".tmp", path)
    return path


# Symlinks followed while copying one host path, as the kernel's limit.
MAX_SYMLINKS = 40


class Tree:
    """What an initramfs holds beyond busybox and /init: guest path (no
    leading "/") -> (mode, host path to read or the bytes).  Parent
    directories are added before their contents, in insertion order.

    It copies host files at the same paths, keeping every symlink met on
    the way as a symlink (Debian's /lib -> usr/lib, libz.so.1 ->
    libz.so.1.2.13, /lib64/ld-linux-x86-64.so.2), so a dynamic program
    finds its interpreter and libraries where ld.so looks for them.
    """

    def __init__(self):
        self.entries = {}

    def directory(self, name, mode=0o040755):
        name = name.strip("/")
        if not name or name in self.entries:
            return
        self.directory(os.path.dirname(name))
        self.entries[name] = (mode, b"")

    def data(self, name, data, mode=0o100644):
        """A regular file with the given bytes."""
        name = name.strip("/")
        self.directory(os.path.dirname(name))
        self.entries[name] = (mode, data)

    def _symlink(self, name, target):
        self.directory(os.path.dirname(name))
        self.entries[name] = (0o120777, target.encode())

    def host_path(self, path, depth=0):
        """Copy the host's path (a file or an empty directory) to the same
        guest path, each symlink on the way copied as a symlink and
        followed."""
        if depth > MAX_SYMLINKS:
            raise Unavailable("%s: too many levels of symlinks" % path)
        parts = os.path.normpath(path).strip("/").split("/")
        for i in range(len(parts)):
            cur = "/" + "/".join(parts[:i + 1])
            if os.path.islink(cur):
                target = os.readlink(cur)
                self._symlink(cur.strip("/"), target)
                rest = parts[i + 1:]
                real = os.path.join(os.path.dirname(cur), target, *rest)
                return self.host_path(real, depth + 1)
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            self.directory(path, stat.S_IFDIR | stat.S_IMODE(st.st_mode))
        elif stat.S_ISREG(st.st_mode):
            self.directory(os.path.dirname(path.strip("/")))
            self.entries[path.strip("/")] = (st.st_mode, path)
        else:
            raise Unavailable("%s: not a file, directory or symlink" % path)
        return None

    def host_tree(self, top):
        """Copy the host's directory tree top to the same guest path:
        modes kept, symlinks inside it copied as symlinks (not followed,
        as `kiln build --dir` keeps them)."""
        self.host_path(top)
        for root, dirs, files in os.walk(top):
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(root, name)
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    self._symlink(path.strip("/"), os.readlink(path))
                elif stat.S_ISDIR(st.st_mode):
                    self.directory(path, st.st_mode)
                elif stat.S_ISREG(st.st_mode):
                    self.entries[path.strip("/")] = (st.st_mode, path)
            dirs.sort()

    def elf_files(self):
        """Host paths of the regular ELF files held so far."""
        found = []
        for mode, src in self.entries.values():
            if stat.S_ISREG(mode) and isinstance(src, str):
                with open(src, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        found.append(src)
        return found

    def program(self, path):
        """Copy a program, its interpreter and the closure of its
        libraries, and those of every ELF file already in the tree (a
        Python extension module needs libsqlite3 or libssl), as the
        host's ld.so resolves them (`ldd`)."""
        self.host_path(path)
        for obj in sorted(set(self.elf_files())):
            for lib in _ldd(obj):
                self.host_path(lib)


# "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)", or the
# interpreter alone: "/lib64/ld-linux-x86-64.so.2 (0x...)".
LDD_RE = re.compile(r"^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$", re.M)


def _ldd(path):
    """Host paths of path's interpreter and libraries (none for a static
    file); raise Unavailable when one is not found."""
    p = subprocess.run(["ldd", path], capture_output=True, text=True,
                       timeout=60)
    if "not found" in p.stdout:
        missing = [x.split()[0] for x in p.stdout.splitlines()
                   if "not found" in x]
        raise Unavailable("%s needs %s, not found" % (path,
                                                      ", ".join(missing)))
    return LDD_RE.findall(p.stdout)


def write_initramfs(path, init, files=(), dirs=(), tree=None,
                    compress=False):
    """Write an initramfs to path (gzipped when compress is True: Debian's
    kernel takes either, the baseline only an uncompressed one); return
    path.

    It holds /bin/busybox, /init (the bytes init, mode 0755), each
    (guest name, host path) of files as a 0755 regular file, each name
    in dirs as a 01777 directory (e.g. "tmp"), and what tree (a Tree)
    holds.  Names have no leading "/"; a file's directory must be "bin",
    listed in dirs or made by tree.
    """
    busybox = ensure_busybox()
    with open(busybox, "rb") as f:
        bb = f.read()
    parts = [_cpio_entry("bin", 0o040755, 1),
             _cpio_entry("bin/busybox", 0o100755, 2, bb),
             _cpio_entry("init", 0o100755, 3, init)]
    ino = 4
    for name in dirs:
        parts.append(_cpio_entry(name, 0o041777, ino))
        ino += 1
    for name, host in files:
        with open(host, "rb") as f:
            parts.append(_cpio_entry(name, 0o100755, ino, f.read()))
        ino += 1
    for name, (mode, src) in (tree.entries.items() if tree else ()):
        if name == "bin":
            continue
        if isinstance(src, str):
            with open(src, "rb") as f:
                src = f.read()
        parts.append(_cpio_entry(name, mode, ino, src))
        ino += 1
    parts.append(_cpio_entry("TRAILER!!!", 0, 0))
    archive = b"".join(parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(gzip.compress(archive, 6) if compress else archive)
    os.replace(path + ".tmp", path)
    return path
