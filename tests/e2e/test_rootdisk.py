"""test_rootdisk.py - big images with the root on a read-only ext4 inside
the image file (docs/storage.md, "Root on a disk").

Debian's python3 with its whole stdlib and a 160 MB data file (a ~230 MiB
root) boots in a 64 MiB guest and prints what it prints natively; the
same image with the root in memory is booted too and both boot times are
printed (not asserted). A small busybox image checks the layout the app
sees (/proc/mounts, the overlay root, EROFS with --read-only, /dev and
/tmp in memory, --disk numbering) and
that a truncated or corrupted root disk is one clean error, never a
kernel fault.
"""
import os
import random
import shutil
import subprocess
import time

import pytest

from guest_util import HOST_TIMEOUT, KILN, KILN_ACCEL, describe, run_native

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "apps", "rootdisk.py")
PYTHON = "/usr/bin/python3"
PYLIB = "/usr/lib/python3.11"
BUSYBOX = "/bin/busybox"
BLOB_SIZE = 160 * 1000 * 1000
OFFSET = 100 * 1000 * 1000
PY_TIMEOUT = 300


def build(out, program, args=(), files=(), dirs=(), extra=()):
    cmd = [KILN, "build", "-o", str(out), *extra]
    for host, guest in files:
        cmd += ["--file", f"{host}:{guest}"]
    for host, guest in dirs:
        cmd += ["--dir", f"{host}:{guest}"]
    cmd += [program, *args]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT * 3)
    assert r.returncode == 0, describe(r)
    return str(out)


def rootdisk_of(img):
    """The ROOTDISK record's (offset, size), read as kiln inspect shows it."""
    r = subprocess.run([KILN, "inspect", img], capture_output=True,
                       timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    for line in r.stdout.decode().splitlines():
        if line.startswith("root disk:"):
            words = line.split()
            return int(words[6]), int(words[2])
    return None


def timed_run(img, mem=None):
    """kiln run with a generous bound: python boots slowly under TCG on
    a shared host (kiln_run's host timeout is 120 s)."""
    cmd = [KILN, "run", "--timeout", str(PY_TIMEOUT)]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    if mem:
        cmd += ["--mem", mem]
    t = time.monotonic()
    r = subprocess.run(cmd + [img], input=b"", capture_output=True,
                       timeout=PY_TIMEOUT + 60)
    return r, time.monotonic() - t


def test_python_root_on_disk_in_small_memory(tmp_path):
    """A ~230 MiB root (python3, its stdlib, a 160 MB file) runs in 64 MiB."""
    for p in (PYTHON, PYLIB, BUSYBOX):
        if not os.path.exists(p):
            pytest.fail(f"{p} is missing: scripts/deps.sh installs it")
    data = tmp_path / "data"
    data.mkdir()
    rng = random.Random(14)
    with open(data / "blob", "wb") as f:
        for _ in range(BLOB_SIZE // (1 << 20)):
            f.write(rng.randbytes(1 << 20))
        f.write(rng.randbytes(BLOB_SIZE % (1 << 20)))
    native = run_native([PYTHON, SCRIPT, str(data / "blob"), str(OFFSET)])
    assert native.returncode == 0, describe(native)
    args = ["/app/rootdisk.py", "/data/blob", str(OFFSET)]
    files = [(SCRIPT, "/app/rootdisk.py")]
    dirs = [(str(data), "/data"), (PYLIB, PYLIB)]
    disk_img = build(tmp_path / "disk.img", PYTHON, args, files, dirs)
    rd = rootdisk_of(disk_img)
    assert rd is not None, "16 MiB of files and more go on a disk"
    assert rd[1] > 200 << 20
    # the image's loaded part stays small: only the kernel and the bundle
    assert os.path.getsize(disk_img) - rd[1] < 16 << 20
    kiln, t_disk = timed_run(disk_img, mem="64M")
    assert kiln.stdout.decode() == native.stdout.decode(), describe(kiln)
    assert kiln.returncode == native.returncode, describe(kiln)
    os.unlink(disk_img)

    mem_img = build(tmp_path / "mem.img", PYTHON, args, files, dirs,
                    extra=["--no-root-disk"])
    assert rootdisk_of(mem_img) is None
    kiln, t_mem = timed_run(mem_img)
    assert kiln.stdout.decode() == native.stdout.decode(), describe(kiln)
    print(f"\nrootdisk: python3 + 160 MB file, root on disk --mem 64M: "
          f"{t_disk:.1f} s; root in memory (default --mem): {t_mem:.1f} s")


SH = ("cat /proc/mounts; ls -ld / /bin /etc /tmp /dev; cat /etc/passwd; "
      "echo x > /bin/new && cat /bin/new || echo bin-erofs; "
      "echo x > /tmp/t && cat /tmp/t; ls /dev | grep vd; cat /data/f")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """busybox with --root-disk (a small root, forced onto a disk)."""
    d = tmp_path_factory.mktemp("rootdisk")
    (d / "data").mkdir()
    (d / "data" / "f").write_text("on the disk\n")
    return build(d / "bb.img", BUSYBOX, ["sh", "-c", SH],
                 dirs=[(str(d / "data"), "/data")], extra=["--root-disk"])


def test_layout(small, tmp_path):
    """What the app sees with --read-only: the disk's directories read
    only, the top level, /dev and /tmp in memory; a --disk is still
    /dev/vda."""
    extra = tmp_path / "x.img"
    extra.write_bytes(b"\0" * (1 << 20))
    cmd = [KILN, "run", "--timeout", "120", "--read-only", "--disk",
           f"{extra}:ro", small]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    out = r.stdout.decode()
    assert "/dev/root / ext4 ro,relatime 0 0\n" in out
    assert "bin-erofs\n" in out
    assert "Read-only file system" in r.stdout.decode() + r.stderr.decode()
    assert "\nx\n" in out
    assert "\nvda\n" in out and "vdb" not in out
    assert out.endswith("on the disk\n")
    assert "root:x:0:0:root:/root:/bin/sh\n" in out


def test_layout_writable(small, tmp_path):
    """By default the root is an overlay: /bin/new is written (in memory),
    /proc/mounts says so, the rest is as with --read-only."""
    extra = tmp_path / "x.img"
    extra.write_bytes(b"\0" * (1 << 20))
    cmd = [KILN, "run", "--timeout", "120", "--disk", f"{extra}:ro", small]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    out = r.stdout.decode()
    assert ("overlay / overlay rw,relatime,lowerdir=/dev/root,"
            "upperdir=tmpfs 0 0\n") in out
    assert "ext4" not in out
    assert "bin-erofs" not in out and "Read-only" not in out
    assert "\nx\nx\nvda\n" in out  # /bin/new, then /tmp/t
    assert out.endswith("on the disk\n")
    assert "root:x:0:0:root:/root:/bin/sh\n" in out


def test_truncated(small, tmp_path):
    img = tmp_path / "t.img"
    data = open(small, "rb").read()
    img.write_bytes(data[:len(data) - 4096])
    r = subprocess.run([KILN, "run", "--timeout", "60", str(img)],
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 1, describe(r)
    assert r.stderr.decode() == \
        f"kiln: {img}: not a Kiln image (root disk truncated)\n"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_corrupted(small, tmp_path, seed):
    """Damaged metadata (bytes flipped in the disk's first 256 KiB; seed
    1 hits the superblock's magic): an error, status 126 or the app's,
    never a kernel fault (125)."""
    off, size = rootdisk_of(small)
    data = bytearray(open(small, "rb").read())
    rng = random.Random(seed)
    if seed == 1:
        data[off + 1024 + 0x38] ^= 0xff
    for _ in range(200):
        data[off + rng.randrange(256 << 10)] ^= 1 << rng.randrange(8)
    img = tmp_path / "c.img"
    img.write_bytes(bytes(data))
    r = subprocess.run([KILN, "run", "--verbose", "--timeout", "120", str(img)],
                       capture_output=True, timeout=HOST_TIMEOUT)
    err = r.stderr.decode()
    assert r.returncode != 125 and "panic" not in err, describe(r)
    assert "kiln: exit status" in err, describe(r)
    if seed == 1:
        assert r.returncode == 126, describe(r)
        assert "kiln: ext4 root: no ext4 superblock\n" in err
        assert "kiln: cannot start the program: cannot mount the image's " \
            "root disk (error 22)\n" in err


def test_root_disk_image_from_a_fifo(small, tmp_path):
    """An image with a root disk read from a FIFO: the boot image and its
    disk both come from kiln's copy. The disk used to be the FIFO itself,
    which QEMU opened after the writer had gone."""
    want = subprocess.run([KILN, "run", "--timeout", "120", small],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=HOST_TIMEOUT)
    assert want.returncode == 0, describe(want)
    fifo = tmp_path / "bb.fifo"
    os.mkfifo(fifo)
    p = subprocess.Popen([KILN, "run", "--timeout", "120", str(fifo)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    with open(fifo, "wb") as f, open(small, "rb") as img:
        shutil.copyfileobj(img, f)
    out, err = p.communicate(timeout=HOST_TIMEOUT)
    assert (out, err, p.returncode) == (want.stdout, want.stderr, 0)


def test_image_on_stdin_is_not_the_apps_stdin(tmp_path):
    """`kiln run /dev/stdin < IMAGE`: the image is read by its name, and
    the app's stdin is empty, not the image a second time."""
    img = build(tmp_path / "cat.img", BUSYBOX, ["cat"])
    with open(img, "rb") as f:
        r = subprocess.run([KILN, "run", "--timeout", "120", "/dev/stdin"],
                           stdin=f, capture_output=True, timeout=HOST_TIMEOUT)
    assert (r.stdout, r.stderr, r.returncode) == (b"", b"", 0)
