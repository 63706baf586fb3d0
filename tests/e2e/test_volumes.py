"""test_volumes.py - host directories as volumes: `kiln run -v HOSTDIR:GUESTDIR[:ro]` over virtio-9p.

tests/guest/volume_ops.c runs natively on a fresh host directory and
under Kiln on another one shared as a volume: stdout and status must
match, and then the bytes it left on the host. QEMU drops to "nobody"
when kiln runs as root, so the shared directories are made writable by
all.
"""
import hashlib
import os
import subprocess

import pytest

from guest_util import (KILN, KILN_ACCEL, KILN_TIMEOUT, HOST_TIMEOUT,
                        describe, guest_path, run_native)

PROG = "volume_ops"


def pattern(n):
    return bytes(((i * 131 + (i >> 12)) & 255) for i in range(n))


def pattern_mib(i):
    """MiB i of volume_ops's pattern (byte k: k*131 + k/4096)."""
    base = i << 20
    return bytes(((base + k) * 131 + ((base + k) >> 12)) & 255
                 for k in range(1 << 20))


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def shared_dir(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    os.chmod(d, 0o777)
    return d


def kiln_vol(args, volumes, flavour="musl", timeout=KILN_TIMEOUT):
    cmd = [KILN, "run", "--timeout", str(timeout)]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    for v in volumes:
        cmd += ["-v", v]
    cmd += [guest_path(flavour, PROG), *args]
    return subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)


@pytest.mark.parametrize("flavour", ["musl", "glibc"])
def test_ops_match_the_host(tmp_path, flavour):
    host = shared_dir(tmp_path, "host")
    vol = shared_dir(tmp_path, "vol")
    native = run_native([guest_path(flavour, PROG), "ops", str(host)])
    got = kiln_vol(["ops", "/data"], [f"{vol}:/data"], flavour)
    assert native.returncode == 0, native.stdout
    assert got.stdout == native.stdout, describe(got)
    assert got.returncode == 0, describe(got)
    assert b"all 37 checks passed" in got.stdout
    # What the guest wrote is on the host, byte for byte.
    assert (vol / "guest.bin").read_bytes() == pattern(65541)
    assert sorted(os.listdir(vol)) == ["guest.bin"]


def test_host_files_read_in_the_guest(tmp_path):
    vol = shared_dir(tmp_path, "vol")
    data = os.urandom(300000)
    (vol / "from_host.bin").write_bytes(data)
    got = kiln_vol(["digest", "/in/from_host.bin"], [f"{vol}:/in"])
    assert got.returncode == 0, describe(got)
    want = f"volume_ops: 300000 bytes, digest {fnv(data):016x}\n"
    assert got.stdout.decode().endswith(want), describe(got)


def test_many_files(tmp_path):
    host = shared_dir(tmp_path, "host")
    vol = shared_dir(tmp_path, "vol")
    native = run_native([guest_path("musl", PROG), "many", str(host), "2000"])
    got = kiln_vol(["many", "/v", "2000"], [f"{vol}:/v"], timeout=240)
    assert got.stdout == native.stdout, describe(got)
    assert b"2000 listed" in got.stdout
    assert got.returncode == 0
    assert os.listdir(vol) == []


def test_large_file_checksummed(tmp_path):
    vol = shared_dir(tmp_path, "vol")
    got = kiln_vol(["big", "/v", "64"], [f"{vol}:/v"], timeout=240)
    assert got.returncode == 0, describe(got)
    data = (vol / "big.bin").read_bytes()
    assert len(data) == 64 << 20
    # The same bytes the native run writes (its digest line is the same).
    native = run_native([guest_path("musl", PROG), "big",
                         str(shared_dir(tmp_path, "host")), "64"])
    assert got.stdout == native.stdout, describe(got)
    want = b"".join(pattern_mib(i) for i in range(64))
    assert hashlib.sha256(data).digest() == hashlib.sha256(want).digest()


def test_read_only_volume_refuses_writes(tmp_path):
    vol = shared_dir(tmp_path, "vol")
    (vol / "host.txt").write_bytes(b"keep\n")
    got = kiln_vol(["ro", "/r"], [f"{vol}:/r:ro"])
    assert got.returncode == 0, describe(got)
    out = got.stdout.decode()
    for what in ("open for writing", "create", "mkdir", "symlink",
                 "unlink", "truncate"):
        assert f"volume_ops: {what} fails with EROFS ok\n" in out, out
    assert (vol / "host.txt").read_bytes() == b"keep\n"
    assert sorted(os.listdir(vol)) == ["host.txt"]


def test_two_volumes(tmp_path):
    a = shared_dir(tmp_path, "a")
    b = shared_dir(tmp_path, "b")
    (b / "host.txt").write_bytes(b"b side\n")
    got = kiln_vol(["ops", "/one"], [f"{a}:/one", f"{b}:/deep/two:ro"])
    assert got.returncode == 0, describe(got)
    assert (a / "guest.bin").read_bytes() == pattern(65541)
    ro = kiln_vol(["ro", "/deep/two"], [f"{a}:/one", f"{b}:/deep/two:ro"])
    assert ro.returncode == 0, describe(ro)
    assert sorted(os.listdir(b)) == ["host.txt"]
    mounts = kiln_vol(["cat", "/proc/mounts"],
                      [f"{a}:/one", f"{b}:/deep/two:ro"])
    assert mounts.returncode == 0, describe(mounts)
    assert mounts.stdout.decode() == (
        "volume_ops: open /proc/mounts ok\n"
        "rootfs / rootfs rw 0 0\n"
        "devtmpfs /dev devtmpfs rw,relatime 0 0\n"
        "proc /proc proc rw,relatime 0 0\n"
        "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
        "kiln0 /one 9p rw,relatime,access=client,msize=131072,"
        "trans=virtio 0 0\n"
        "kiln1 /deep/two 9p ro,relatime,access=client,msize=131072,"
        "trans=virtio 0 0\n")


@pytest.mark.parametrize("spec,status,line", [
    ("{missing}:/data", 1, "kiln: {missing}: No such file or directory"),
    ("{file}:/data", 1, "kiln: {file}: not a directory"),
    ("{dir}:data", 2, "GUESTDIR must be an absolute path"),
    ("{dir}:/", 2, "GUESTDIR cannot be /"),
    ("{dir}:/data:rx", 2, "-v wants HOSTDIR:GUESTDIR[:ro|:rw]"),
    ("{dir}:/data:RO", 2, "-v wants HOSTDIR:GUESTDIR[:ro|:rw]"),
    ("{dir}", 2, "-v wants HOSTDIR:GUESTDIR[:ro|:rw]"),
    ("{dir}:/a/../b", 2, "GUESTDIR cannot hold . or .. parts"),
    ("{dir}:/a,b", 2, "GUESTDIR cannot hold ','"),
])
def test_cli_errors(tmp_path, spec, status, line):
    d = shared_dir(tmp_path, "d")
    f = tmp_path / "file"
    f.write_bytes(b"x")
    names = {"missing": tmp_path / "nope", "file": f, "dir": d}
    spec = spec.format(**names)
    line = line.format(**names)
    got = subprocess.run([KILN, "run", "-v", spec, guest_path("musl", PROG),
                          "ops", "/data"], capture_output=True,
                         timeout=HOST_TIMEOUT)
    assert got.returncode == status, got.stderr
    err = got.stderr.decode()
    assert line in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("second,line", [
    ("/data", "-v: GUESTDIR given twice"),
    ("/data/", "-v: GUESTDIR given twice"),
    ("/data/sub", "-v: GUESTDIR inside another volume's"),
    ("/", "GUESTDIR cannot be /"),
])
def test_cli_overlapping_volumes(tmp_path, second, line):
    d = shared_dir(tmp_path, "d")
    got = subprocess.run([KILN, "run", "-v", f"{d}:/data", "-v",
                          f"{d}:{second}", guest_path("musl", PROG), "ops",
                          "/data"], capture_output=True, timeout=HOST_TIMEOUT)
    assert got.returncode == 2, got.stderr
    assert line in got.stderr.decode()


def test_declared_mount_points(tmp_path):
    """`kiln build --volume DIR`: inspect lists it; the directory is there
    with no volume (in memory), and `kiln run -v` fills it."""
    img = str(tmp_path / "v.img")
    built = subprocess.run([KILN, "build", "-o", img, "--volume", "/data",
                            "--volume", "/var/lib/app",
                            guest_path("musl", PROG)],
                           capture_output=True, timeout=HOST_TIMEOUT)
    assert built.returncode == 0, built.stderr
    shown = subprocess.run([KILN, "inspect", img], capture_output=True,
                           timeout=HOST_TIMEOUT)
    assert "volumes: /data /var/lib/app\n" in shown.stdout.decode()
    accel = ["--accel", KILN_ACCEL] if KILN_ACCEL else []
    bare = subprocess.run([KILN, "run", *accel, "--timeout",
                           str(KILN_TIMEOUT), img, "many", "/var/lib/app",
                           "3"], capture_output=True, timeout=HOST_TIMEOUT)
    assert bare.returncode == 0, describe(bare)
    assert b"3 listed" in bare.stdout
    vol = shared_dir(tmp_path, "vol")
    (vol / "host.txt").write_bytes(b"x")
    filled = subprocess.run([KILN, "run", *accel, "--timeout",
                             str(KILN_TIMEOUT), "-v", f"{vol}:/data:ro", img,
                             "ro", "/data"],
                            capture_output=True, timeout=HOST_TIMEOUT)
    assert filled.returncode == 0, describe(filled)


def test_declared_mount_point_must_be_absolute(tmp_path):
    got = subprocess.run([KILN, "build", "-o", str(tmp_path / "x.img"),
                          "--volume", "data", guest_path("musl", PROG)],
                         capture_output=True, timeout=HOST_TIMEOUT)
    assert got.returncode == 1
    assert got.stderr.decode() == (
        "kiln: --volume data: GUESTDIR must be an absolute path\n")
    assert not os.path.exists(tmp_path / "x.img")


def test_q35_virtio_9p_pci(tmp_path):
    """The same ops over virtio-9p-pci on q35 (microvm uses virtio-mmio)."""
    vol = shared_dir(tmp_path, "vol")
    cmd = [KILN, "run", "--timeout", str(KILN_TIMEOUT), "--machine", "q35",
           "--accel", KILN_ACCEL or "tcg", "-v", f"{vol}:/data",
           guest_path("musl", PROG), "ops", "/data"]
    got = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    assert got.returncode == 0, describe(got)
    assert got.stdout.endswith(b"all 37 checks passed\n")
    assert (vol / "guest.bin").read_bytes() == pattern(65541)
