"""test_ext4.py - ext4 disks mounted with `kiln run --disk FILE:GUESTDIR[:ro]`.

A tree is made on the host (small and multi-block files, a file with
more extents than the inode holds, a sparse file past 4 GiB, hard
links, fast and slow symlinks, a directory big enough for an htree),
put into an image with `mke2fs -t ext4 -d` (Debian's default features:
metadata_csum, 64bit, flex_bg, the journal...) and indexed by
`e2fsck -fyD`. tests/guest/tree_dump.c prints the tree natively from
the host directory and under Kiln from the mounted image: the output
must be identical. Mounted :ro (or on 1 KiB blocks), every write is
EROFS and the image is left byte-for-byte unchanged and e2fsck-clean;
test_ext4_rw.py writes.
"""
import hashlib
import os
import re
import shutil
import subprocess

import pytest

from guest_util import (FLAVOURS, KILN, KILN_ACCEL, KILN_TIMEOUT, HOST_TIMEOUT,
                        describe, guest_path, run_native)

pytestmark = pytest.mark.skipif(shutil.which("mke2fs") is None and
                                not os.path.exists("/usr/sbin/mke2fs"),
                                reason="e2fsprogs not installed")

SBIN = "/usr/sbin"


def tool(name):
    return shutil.which(name) or os.path.join(SBIN, name)


def run_disks(prog, args, disks, extra=()):
    cmd = [KILN, "run", "--timeout", str(KILN_TIMEOUT), *extra]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    for d in disks:
        cmd += ["--disk", d]
    cmd += [prog, *args]
    return subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)


def make_tree(src):
    os.makedirs(src / "dir" / "sub")
    os.makedirs(src / "many")
    os.makedirs(src / "empty")
    (src / "small").write_bytes(b"hello")
    (src / "dir" / "sub" / "multi").write_bytes(
        bytes((i * 7 + (i >> 9)) & 0xff for i in range(300000)))
    with open(src / "frag", "wb") as f:  # 200 extents: a tree of depth 1
        for i in range(200):
            f.seek(i * 8192)
            f.write(bytes([i]) * 4096)
    with open(src / "big", "wb") as f:  # sparse, past 4 GiB
        f.write(b"head")
        f.seek((5 << 30) + 123)
        f.write(b"tail")
    for i in range(400):
        (src / "many" / f"entry-with-a-longish-name-{i:04d}").write_text(f"{i}\n")
    os.link(src / "small", src / "hard")
    os.symlink("small", src / "fast")
    os.symlink("x" * 60 + "/" + "y" * 60, src / "slow")
    os.chmod(src / "small", 0o640)
    os.chmod(src / "empty", 0o700)
    for root, dirs, files in os.walk(src):
        for n in dirs + files:
            os.utime(os.path.join(root, n), (1600000000, 1600000000 + len(n)),
                     follow_symlinks=False)


def make_image(tmp_path, opts=()):
    src = tmp_path / "src"
    make_tree(src)
    img = tmp_path / "disk.img"
    with open(img, "wb") as f:
        f.truncate(32 << 20)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", *opts, "-d",
                    str(src), str(img)], check=True, capture_output=True)
    # -D indexes the big directory (an htree); exit 1 = "fixed"
    r = subprocess.run([tool("e2fsck"), "-fyD", str(img)], capture_output=True)
    assert r.returncode in (0, 1), r.stdout.decode()
    return src, img


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fsck_clean(img):
    r = subprocess.run([tool("e2fsck"), "-fn", str(img)], capture_output=True)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


def test_image_has_the_features_and_shapes_we_read(tmp_path):
    _, img = make_image(tmp_path)
    out = subprocess.run([tool("dumpe2fs"), "-h", str(img)], capture_output=True,
                         check=True).stdout.decode()
    feats = re.search(r"Filesystem features:\s+(.*)", out).group(1).split()
    for f in ("has_journal", "extent", "64bit", "flex_bg", "dir_index",
              "metadata_csum", "huge_file", "dir_nlink", "extra_isize"):
        assert f in feats
    stat = subprocess.run([tool("debugfs"), "-R", "stat /many", str(img)],
                          capture_output=True, check=True).stdout.decode()
    flags = int(re.search(r"Flags: (0x[0-9a-f]+)", stat).group(1), 16)
    assert flags & 0x1000, stat  # EXT4_INDEX_FL: an htree
    stat = subprocess.run([tool("debugfs"), "-R", "ex /frag", str(img)],
                          capture_output=True, check=True).stdout.decode()
    assert re.search(r"^\s*0/\s*1\s", stat, re.M), stat  # depth 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_tree_reads_as_on_the_host(flavour, tmp_path):
    src, img = make_image(tmp_path)
    before = digest(img)
    prog = guest_path(flavour, "tree_dump")
    native = run_native([prog, "dump", str(src)])
    assert native.returncode == 0, describe(native)
    kiln = run_disks(prog, ["dump", "/data"], [f"{img}:/data:ro"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == native.stdout.decode()
    assert "many/entry-with-a-longish-name-0399" in native.stdout.decode()
    assert digest(img) == before, "a read-only mount changed the image"
    fsck_clean(img)


@pytest.mark.parametrize("opts", [("-b", "1024"), ("-O", "^metadata_csum"),
                                  ("-b", "2048", "-O", "^64bit")])
def test_other_geometries(opts, tmp_path):
    src, img = make_image(tmp_path, opts)
    prog = guest_path("musl", "tree_dump")
    native = run_native([prog, "dump", str(src)])
    kiln = run_disks(prog, ["dump", "/mnt/d"], [f"{img}:/mnt/d:ro"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == native.stdout.decode()


def test_readonly_mount_refuses_writes(tmp_path):
    _, img = make_image(tmp_path)
    before = digest(img)
    kiln = run_disks(guest_path("musl", "tree_dump"),
                     ["rocheck", "/data", "/data/small", "/data/dir"],
                     [f"{img}:/data:ro"])
    assert kiln.returncode == 0, describe(kiln)
    out = subprocess.run([tool("dumpe2fs"), "-h", str(img)], capture_output=True,
                         check=True).stdout.decode()

    def field(name):
        return int(re.search(rf"^{name}:\s+(\d+)", out, re.M).group(1))

    expect = "".join(f"{w}: EROFS\n" for w in (
        "open O_WRONLY", "open O_RDWR", "open O_CREAT", "mkdir", "symlink",
        "link", "rename", "unlink", "rmdir", "chmod", "chown", "truncate",
        "utimes", "access W_OK"))
    expect += "access R_OK: 0\n"
    expect += (f"statfs: type ef53 bsize {field('Block size')} blocks "
               f"{field('Block count') - field('Overhead clusters')} bfree "
               f"{field('Free blocks')} files {field('Inode count')} ffree "
               f"{field('Free inodes')} namelen 255 rdonly 1\n")
    expect += "getcwd: /data/dir\n"
    assert kiln.stdout.decode() == expect
    assert digest(img) == before
    fsck_clean(img)


def test_proc_mounts_and_two_disks(tmp_path):
    _, img = make_image(tmp_path)
    plain = tmp_path / "raw.img"
    with open(plain, "wb") as f:
        f.truncate(1 << 20)
    kiln = run_disks(guest_path("musl", "tree_dump"), ["cat", "/proc/mounts"],
                     [str(plain), f"{img}:/srv/data"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode().endswith(
        "proc /proc proc rw,relatime 0 0\n"
        "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
        "/dev/vdb /srv/data ext4 rw,relatime 0 0\n")
    # 1 KiB blocks (mke2fs's choice for 32 MiB) are mounted read-write
    # too; the clean unmount leaves nothing for e2fsck to say.
    fsck_clean(img)


@pytest.mark.parametrize("feature,log", [
    ("inline_data", "unsupported incompatible features 0x8000"),
    ("needs_recovery", "the journal needs recovery and the disk is read-only"),
])
def test_refused_features(feature, log, tmp_path):
    _, img = make_image(tmp_path)
    subprocess.run([tool("debugfs"), "-w", "-R", f"feature {feature}", str(img)],
                   check=True, capture_output=True)
    kiln = run_disks(guest_path("musl", "tree_dump"), ["cat", "/proc/mounts"],
                     [f"{img}:/data:ro"], ["--verbose"])
    assert kiln.returncode == 126, describe(kiln)
    err = kiln.stderr.decode()
    assert f"kiln: ext4 vda: {log}" in err, err
    assert "cannot mount a disk" in err


def test_not_ext4_and_bad_guestdir(tmp_path):
    raw = tmp_path / "raw.img"
    with open(raw, "wb") as f:
        f.truncate(1 << 20)
    kiln = run_disks(guest_path("musl", "tree_dump"), ["cat", "/proc/mounts"],
                     [f"{raw}:/data:ro"], ["--verbose"])
    assert kiln.returncode == 126, describe(kiln)
    assert "kiln: ext4 vda: no ext4 superblock" in kiln.stderr.decode()
    for bad in ("/", "/a,b", "/a b", "/x/../y"):
        r = run_disks(guest_path("musl", "tree_dump"), ["cat", "/proc/mounts"],
                      [f"{raw}:{bad}:ro"])
        assert r.returncode == 2, describe(r)
        assert "GUESTDIR" in r.stderr.decode()


@pytest.mark.parametrize("flavour", ["musl", "glibc-dyn"])
def test_exec_a_program_on_the_mount(flavour, tmp_path):
    src = tmp_path / "src"
    os.makedirs(src / "bin")
    shutil.copy(guest_path("musl", "tree_dump"), src / "bin" / "td")
    img = tmp_path / "disk.img"
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", "-d", str(src),
                    str(img)], check=True, capture_output=True)
    kiln = run_disks(guest_path(flavour, "tree_dump"),
                     ["exec", "/data/bin/td", "cat", "/proc/mounts"],
                     [f"{img}:/data:ro"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode().endswith("/dev/vda /data ext4 ro,relatime 0 0\n")


@pytest.mark.parametrize("jo", ["jo", "jo -c"])
def test_journal_replayed_before_mounting(jo, tmp_path):
    """A transaction logged but not replayed (debugfs's journal_write,
    with and without checksums v3): Kiln replays it, the file shows the
    logged bytes, and the disk is left with an empty log, e2fsck-clean."""
    _, img = make_image(tmp_path)
    home = int(subprocess.run([tool("debugfs"), "-R", "blocks /small", str(img)],
                              capture_output=True, check=True).stdout.split()[0])
    bs = int(re.search(r"Block size:\s+(\d+)", subprocess.run(
        [tool("dumpe2fs"), "-h", str(img)], capture_output=True,
        check=True).stdout.decode()).group(1))
    (tmp_path / "blk").write_bytes(b"LOGGED" + bytes(bs - 6))
    (tmp_path / "cmds").write_text(f"{jo}\njw -b {home} {tmp_path / 'blk'}\njc\n")
    subprocess.run([tool("debugfs"), "-w", "-f", str(tmp_path / "cmds"), str(img)],
                   check=True, capture_output=True)

    def needs_recovery():
        return "needs_recovery" in subprocess.run(
            [tool("dumpe2fs"), "-h", str(img)], capture_output=True).stdout.decode()

    assert needs_recovery()
    kiln = run_disks(guest_path("musl", "tree_dump"), ["cat", "/data/small"],
                     [f"{img}:/data"], ["--verbose"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout == b"LOGGE"
    assert "kiln: ext4 vda: journal recovered" in kiln.stderr.decode()
    assert not needs_recovery()
    fsck_clean(img)


def test_disk_and_volume_share_one_mount_table(tmp_path):
    """An ext4 disk and a 9p volume: one /proc/mounts, disks first."""
    _, img = make_image(tmp_path)
    vol = tmp_path / "vol"
    vol.mkdir()
    os.chmod(vol, 0o777)
    (vol / "host.txt").write_bytes(b"from the host\n")
    prog = guest_path("musl", "tree_dump")
    mounts = run_disks(prog, ["cat", "/proc/mounts"], [f"{img}:/srv/data:ro"],
                       ["-v", f"{vol}:/vol:ro"])
    assert mounts.returncode == 0, describe(mounts)
    assert mounts.stdout.decode() == (
        "rootfs / rootfs rw 0 0\n"
        "devtmpfs /dev devtmpfs rw,relatime 0 0\n"
        "proc /proc proc rw,relatime 0 0\n"
        "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
        "/dev/vda /srv/data ext4 ro,relatime 0 0\n"
        "kiln0 /vol 9p ro,relatime,access=client,msize=131072,"
        "trans=virtio 0 0\n")
    for path, want in (("/srv/data/small", b"hello"),
                       ("/vol/host.txt", b"from the host\n")):
        got = run_disks(prog, ["cat", path], [f"{img}:/srv/data:ro"],
                        ["-v", f"{vol}:/vol:ro"])
        assert got.returncode == 0, describe(got)
        assert got.stdout == want, describe(got)


@pytest.mark.parametrize("disk_dir,vol_dir,vol_first,line", [
    ("/data", "/data", False, "-v: GUESTDIR is also a --disk's"),
    ("/data", "/data/", True, "--disk: GUESTDIR is also a volume's"),
    ("/data", "/data/sub", False, "-v: GUESTDIR inside a --disk's"),
    ("/data/sub", "/data", True, "--disk: GUESTDIR inside a volume's"),
])
def test_disk_and_volume_guestdir_clash(tmp_path, disk_dir, vol_dir,
                                        vol_first, line):
    _, img = make_image(tmp_path)
    disk = ["--disk", f"{img}:{disk_dir}:ro"]
    vol = ["-v", f"{tmp_path}:{vol_dir}"]
    got = subprocess.run([KILN, "run", *(vol + disk if vol_first else
                                         disk + vol),
                          guest_path("musl", "tree_dump"), "cat",
                          "/proc/mounts"], capture_output=True,
                         timeout=HOST_TIMEOUT)
    assert got.returncode == 2, describe(got)
    err = got.stderr.decode()
    assert line in err, err
    assert len(err.strip().splitlines()) == 1, err
