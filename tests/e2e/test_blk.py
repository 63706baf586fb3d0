"""test_blk.py - disks: `kiln run --disk`, virtio-blk, the block cache and /dev/vdX.

The guest program tests/guest/blk_records.c writes patterned records at
odd offsets and lengths with fsync, reads them back and prints a digest.
It runs natively on a host file and under Kiln on /dev/vda made of
another file of the same size: stdout and status must match, and then
the two files' bytes on the host.
"""
import hashlib
import os
import re
import signal
import subprocess

import pytest

import qemu_vm
from guest_util import (FLAVOURS, KILN, KILN_ACCEL, KILN_TIMEOUT, HOST_TIMEOUT,
                        describe, guest_path, kiln_build, run_native)

# Not a multiple of 4 KiB: the cache's last block of the disk is partial.
DISK_SIZE = 1024 * 1024 + 3 * 512


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def kiln_disks(prog, args, disks, extra=()):
    cmd = [KILN, "run", "--timeout", str(KILN_TIMEOUT), *extra]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    for d in disks:
        cmd += ["--disk", d]
    cmd += [prog, *args]
    return subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)


def blank(path, size=DISK_SIZE, fill=None):
    with open(path, "wb") as f:
        if fill is None:
            f.truncate(size)
        else:
            f.write(bytes(fill(i) for i in range(size)))
    return str(path)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_records_reach_the_disk_file(flavour, tmp_path):
    prog = guest_path(flavour, "blk_records")
    native_file = blank(tmp_path / "native.img")
    kiln_file = blank(tmp_path / "kiln.img")
    native = run_native([prog, "write", "7", native_file])
    assert native.returncode == 0, describe(native)
    kiln = kiln_disks(prog, ["write", "7", "/dev/vda"], [kiln_file])
    assert kiln.stdout.decode() == native.stdout.decode(), describe(kiln)
    assert kiln.returncode == 0, describe(kiln)
    with open(native_file, "rb") as a, open(kiln_file, "rb") as b:
        assert a.read() == b.read(), "the disk file differs from the native one"


@pytest.mark.parametrize("machine", ["microvm", "q35"])
def test_two_disks_in_command_line_order(machine, tmp_path):
    prog = guest_path("musl", "blk_records")
    natives = [blank(tmp_path / "n0.img"), blank(tmp_path / "n1.img", 2 * DISK_SIZE)]
    disks = [blank(tmp_path / "k0.img"), blank(tmp_path / "k1.img", 2 * DISK_SIZE)]
    native = run_native([prog, "write", "3", *natives])
    assert native.returncode == 0, describe(native)
    kiln = kiln_disks(prog, ["write", "3", "/dev/vda", "/dev/vdb"], disks,
                      ["--machine", machine])
    out = kiln.stdout.decode()
    # q35 boots through SeaBIOS, which writes its banner to COM1 (the
    # app's stdout) before the kernel starts: not the app's output.
    if machine == "q35" and "Booting from ROM.." in out:
        out = out.split("Booting from ROM..", 1)[1]
    assert out == native.stdout.decode(), describe(kiln)
    assert kiln.returncode == 0, describe(kiln)
    for n, k in zip(natives, disks):
        with open(n, "rb") as a, open(k, "rb") as b:
            assert a.read() == b.read(), k


def test_read_only_disk_refuses_writes(tmp_path):
    """Linux: open(O_RDWR) of a read-only disk works and write(2) is EPERM
    (block/fops.c, blkdev_write_iter: bdev_read_only -> -EPERM). The
    disk's bytes are read as they are and left alone."""
    disk = blank(tmp_path / "ro.img", fill=lambda i: (i * 7 + (i >> 9)) & 0xff)
    before = open(disk, "rb").read()
    prog = guest_path("musl", "blk_records")
    kiln = kiln_disks(prog, ["ro", "/dev/vda"], [disk + ":ro"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == (
        f"blk_records: size {DISK_SIZE} ok\n"
        "blk_records: BLKROGET says 1 ok\n"
        "blk_records: pwrite fails with EPERM ok\n"
        "blk_records: write fails with EPERM ok\n"
        "blk_records: fsync ok\n"
        "blk_records: rewind ok\n"
        f"blk_records: read all {DISK_SIZE} bytes ok\n"
        f"blk_records: digest {fnv(before):016x}\n"), describe(kiln)
    assert open(disk, "rb").read() == before


def test_block_device_node(tmp_path):
    disk = blank(tmp_path / "d.img")
    big = blank(tmp_path / "e.img", 4 << 20)
    prog = guest_path("glibc", "blk_records")
    kiln = kiln_disks(prog, ["dev", "/dev/vda"], [disk, big])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == (
        f"blk_records: size {DISK_SIZE} ok\n"
        "blk_records: S_ISBLK ok\n"
        "blk_records: rdev 254:0\n"
        f"blk_records: BLKGETSIZE64 = SEEK_END = {DISK_SIZE} ok\n"
        "blk_records: BLKSSZGET 512 ok\n"
        "blk_records: BLKROGET 0 ok\n"
        "blk_records: BLKFLSBUF ok\n"
        "blk_records: TCGETS fails with ENOTTY ok\n"
        "blk_records: read at the end gives 0 ok\n"
        "blk_records: write at the end fails with ENOSPC ok\n"
        "blk_records: a write across the end is cut ok\n"
        "blk_records: seek past the end fails with EINVAL ok\n"
        "blk_records: SEEK_END - 3 ok\n"
        "blk_records: fdatasync, syncfs ok\n"
        "blk_records: 8 KiB of Q at 8192 ok\n"
        "blk_records: BLKZEROOUT 4 KiB at 8704 ok\n"
        "blk_records: zeroes exactly there ok\n"
        "blk_records: BLKZEROOUT unaligned fails with EINVAL ok\n"
        "blk_records: BLKZEROOUT past the end fails with EINVAL ok\n"
        "blk_records: BLKDISCARD 64 KiB ok\n"
        "blk_records: BLKDISCARD unaligned fails with EINVAL ok\n"
        "blk_records: BLKDISCARD read-only fd fails with EBADF ok\n"
        "blk_records: read /proc/partitions ok\n"
        "major minor  #blocks  name\n"
        "\n"
        f" 254        0 {DISK_SIZE // 1024:10d} vda\n"
        f" 254       16 {4096:10d} vdb\n"
        "blk_records: all 22 checks passed\n"), describe(kiln)
    # The zeroes reached the file: BLKZEROOUT went to the device (QEMU's
    # write-zeroes), past the cache, which it had written back first.
    want = bytearray(DISK_SIZE)
    want[8192:16384] = b"Q" * 8192
    want[8704:12800] = bytes(4096)
    want[-2:] = b"xy"
    assert open(disk, "rb").read() == want


def test_disk_errors_are_one_line(tmp_path):
    prog = guest_path("musl", "blk_records")
    missing = str(tmp_path / "missing.img")
    for spec, why in [(missing, f"{missing}: No such file or directory"),
                      (str(tmp_path), f"{tmp_path}: is a directory, not a disk image"),
                      (missing + ":ro", f"{missing}: No such file or directory")]:
        r = kiln_disks(prog, ["digest", "/dev/vda"], [spec])
        assert r.returncode == 1, describe(r)
        assert r.stderr.decode() == f"kiln: {why}\n", describe(r)
        assert r.stdout == b""
    r = kiln_disks(prog, ["digest", "/dev/vda"], [""])
    assert r.returncode == 2, describe(r)


def test_exit_writes_the_cache_back(tmp_path):
    """Unsynced writes still reach the disk when the app exits."""
    disk = blank(tmp_path / "d.img")
    prog = guest_path("musl", "blk_records")
    kiln = kiln_disks(prog, ["keep", "/dev/vda"], [disk])
    assert kiln.returncode == 0, describe(kiln)
    data = open(disk, "rb").read()
    assert data[8192:12288] == b"S" * 4096
    assert data[16384:20480] == b"U" * 4096


def qemu_child(pid):
    """The QEMU process `kiln run` started (its only child)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        kids = [int(k) for k in f.read().split()]
    assert len(kids) == 1, kids
    return kids[0]


def test_fsync_survives_a_killed_vm(tmp_path):
    """What the app fsync'd is in the host file even when QEMU is killed
    (SIGKILL) the next instant; the guest cache held nothing back."""
    disk = blank(tmp_path / "d.img")
    prog = guest_path("musl", "blk_records")
    cmd = [KILN, "run", "--timeout", str(KILN_TIMEOUT), "--disk", disk]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    p = subprocess.Popen(cmd + [prog, "keep", "/dev/vda", "hang"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = []
        for line in p.stdout:
            lines.append(line)
            if b"synced" in line:
                break
        assert lines[-1] == b"blk_records: synced\n", lines
        os.kill(qemu_child(p.pid), signal.SIGKILL)
        p.wait(timeout=HOST_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    data = open(disk, "rb").read()
    assert data[8192:12288] == b"S" * 4096
    assert data[24576:28672] == b"D" * 4096  # O_DSYNC: durable at write


# QEMU's blkdebug driver under the raw format fails the requests a rule
# names: the virtio-blk device then answers VIRTIO_BLK_S_IOERR.
BLKDEBUG = """[inject-error]
event = "%s"
errno = "5"
%s"""


def boot_app(tmp_path, args, drive, cmdline=""):
    img = str(tmp_path / "app.img")
    r = kiln_build(img, guest_path("musl", "blk_records"), args)
    assert r.returncode == 0, describe(r)
    return qemu_vm.boot(img, accel=KILN_ACCEL or "tcg", timeout=KILN_TIMEOUT,
                        cmdline=cmdline, extra=[
                            "-global", "virtio-mmio.force-legacy=false",
                            "-drive", drive,
                            "-device", "virtio-blk-device,drive=d0"])


def boot_with_failing_disk(tmp_path, args, event, sector):
    conf = tmp_path / "blkdebug.conf"
    conf.write_text(BLKDEBUG % (event, f'sector = "{sector}"\n' if sector else ""))
    disk = blank(tmp_path / "disk.img")
    return boot_app(tmp_path, args,
                    "if=none,id=d0,format=raw,file.driver=blkdebug,"
                    f"file.config={conf},file.image.driver=file,"
                    f"file.image.filename={disk}")


def test_device_read_error_is_eio(tmp_path):
    """A device that answers IOERR to a read: the app's read is EIO (after
    the bytes before it), the kernel carries on and exits normally."""
    b = boot_with_failing_disk(tmp_path, ["digest", "/dev/vda"], "read_aio", 72)
    assert b.console == (f"blk_records: size {DISK_SIZE} ok\n"
                         "blk_records: rewind ok\n"
                         f"blk_records: FAIL read all {DISK_SIZE} bytes (errno EIO)\n"), b.log
    assert b.status == 1, b.log


def test_device_write_error_is_eio_at_fsync(tmp_path):
    """Writes land in the cache; the device's IOERR on write-back is the
    fsync's EIO, and the log names the block."""
    b = boot_with_failing_disk(tmp_path, ["write", "1", "/dev/vda"], "write_aio", None)
    assert b.console == (f"blk_records: size {DISK_SIZE} ok\n"
                         "blk_records: FAIL fsync (errno EIO)\n"), b.log
    assert b.status == 1, b.log
    assert re.search(r"kiln: bcache: write of block \d+ failed \(error 5\)", b.log), b.log


def test_device_that_stops_answering_is_reset(tmp_path):
    """A request unanswered for kiln.blk_timeout_ms (here QEMU throttles
    the disk to one request a second; the default is 30 s): the device
    is reset, what was in flight is EIO, and the app goes on."""
    disk = blank(tmp_path / "disk.img")
    b = boot_app(tmp_path, ["digest", "/dev/vda"],
                 f"if=none,id=d0,format=raw,file={disk},throttling.iops-total=1",
                 cmdline="kiln.blk_timeout_ms=300")
    assert b.console == (f"blk_records: size {DISK_SIZE} ok\n"
                         "blk_records: rewind ok\n"
                         f"blk_records: FAIL read all {DISK_SIZE} bytes (errno EIO)\n"), b.log
    assert b.status == 1, b.log
    assert ("kiln: virtio-blk: vda: no answer in 300 ms: device reset, "
            "its requests fail with EIO") in b.log
