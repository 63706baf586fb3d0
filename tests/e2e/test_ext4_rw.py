"""test_ext4_rw.py - ext4 disks mounted read-write (`kiln run --disk FILE:GUESTDIR`).

tests/guest/ext4_ops.c does file operations (data, holes, truncate,
rename, links, symlinks, unlink while open, chmod/utimensat, a
directory of many names) natively in a host directory and under Kiln on
a fresh `mke2fs -t ext4` image: the output must be identical. Then the
host reads the image: `e2fsck -fn` must find nothing, and the files
`debugfs` reads out must have the bytes the native run left.

Most run on 4 KiB blocks; the ones marked "1k" on an image made with
plain mke2fs defaults, which for 64 MiB are 1 KiB blocks (mke2fs.conf's
"small" type, under 512 MiB): the block cache then caches 1 KiB blocks,
a page of the page cache spans four of them, and the journal logs 1 KiB
blocks.
"""
import os
import re
import shutil
import subprocess

import pytest

import qemu_vm
from guest_util import (KILN_ACCEL, KILN_TIMEOUT, ROOT, describe, guest_path,
                        kiln_build, run_native)
from test_ext4 import fsck_clean, run_disks, tool

pytestmark = pytest.mark.skipif(shutil.which("mke2fs") is None and
                                not os.path.exists("/usr/sbin/mke2fs"),
                                reason="e2fsprogs not installed")

# mke2fs options of each block size tested: "1k" is mke2fs's defaults.
BLOCKS = {"4k": ("-b", "4096"), "1k": ()}


def block_size(img):
    out = subprocess.run([tool("dumpe2fs"), "-h", str(img)],
                         capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Block size:\s+(\d+)$", out, re.M).group(1))


def fresh_image(tmp_path, size="64M", opts=BLOCKS["4k"]):
    img = tmp_path / "rw.img"
    subprocess.run(["truncate", "-s", size, str(img)], check=True)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", *opts, str(img)],
                   check=True)
    if opts == BLOCKS["1k"]:
        assert block_size(img) == 1024  # what the "1k" tests are about
    return img


def debugfs_cat(img, path):
    r = subprocess.run([tool("debugfs"), "-R", f"cat /{path}", str(img)],
                       capture_output=True, check=True)
    return r.stdout


def same_as_native(prog, tmp_path, blocks="4k"):
    """prog DIR natively in a host directory and under Kiln on a fresh
    ext4 (of blocks, a key of BLOCKS) mounted at /data: both succeed
    with the same stdout, and the image is clean. The host directory and
    the image, for more checks."""
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = run_native([prog, str(native_dir)])
    assert native.returncode == 0, describe(native)
    img = fresh_image(tmp_path, opts=BLOCKS[blocks])
    kiln = run_disks(prog, ["/data"], [f"{img}:/data"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == native.stdout.decode()
    assert b"read-only" not in kiln.stderr, describe(kiln)
    fsck_clean(img)
    return native_dir, img


ON_BOTH = [("musl", "4k"), ("glibc-dyn", "4k"), ("musl", "1k")]


@pytest.mark.parametrize("flavour,blocks", ON_BOTH)
def test_operations_match_the_host_and_the_image_is_clean(flavour, blocks,
                                                          tmp_path):
    prog = guest_path(flavour, "ext4_ops")
    native_dir, img = same_as_native(prog, tmp_path, blocks)
    for f in ["a", "holes", "big", "x/sub/g", "many/a-longer-name-0001"]:
        assert debugfs_cat(img, f) == (native_dir / f).read_bytes(), f
    listing = subprocess.run([tool("debugfs"), "-R", "ls -l /many", str(img)],
                             capture_output=True, check=True).stdout.decode()
    assert listing.count("a-longer-name-") == 300


@pytest.mark.parametrize("flavour,blocks", ON_BOTH)
def test_mmap_is_coherent_with_write_and_truncate(flavour, blocks, tmp_path):
    """tests/guest/ext4_mmap.c: private and shared maps of a file on the
    read-write mount see write(2), keep private stores private, SIGBUS
    past a truncate, one page cache for two names of an inode."""
    same_as_native(guest_path(flavour, "ext4_mmap"), tmp_path, blocks)


@pytest.mark.parametrize("flavour", ["musl", "glibc-dyn"])
def test_racing_writers_on_one_mount(flavour, tmp_path):
    """tests/guest/ext4_race.c: four threads append with O_APPEND to one
    file, then four create names in one directory, at once. Changes sleep
    on the disk, so without the mount's lock two appends could map one
    hole twice and two creates add names over each other: every record
    and name must be there once, and e2fsck must find nothing."""
    _, img = same_as_native(guest_path(flavour, "ext4_race"), tmp_path)
    # The interleaving differs from the host's; the program checked each
    # record. What the host reads back must be the same length.
    assert len(debugfs_cat(img, "log")) == 4 * 300 * 62


@pytest.mark.parametrize("flavour", ["musl", "glibc-dyn"])
def test_big_directory_is_indexed_and_right(flavour, tmp_path):
    """tests/guest/ext4_bigdir.c: 4000 names made, found, listed,
    unlinked, renamed and made again in one directory, which Kiln indexes
    once it outgrows a block (hashed, dir_index). Same output as on the
    host; e2fsck (which checks the hash order, counts and dx checksums)
    is silent, and debugfs parses the index and lists every name."""
    _, img = same_as_native(guest_path(flavour, "ext4_bigdir"), tmp_path)
    htree = subprocess.run([tool("debugfs"), "-R", "htree /big", str(img)],
                           capture_output=True, check=True).stdout.decode()
    assert "Root node dump:" in htree
    assert htree.count("Entry #") > 20
    listing = subprocess.run([tool("debugfs"), "-R", "ls -p /big", str(img)],
                             capture_output=True, check=True).stdout.decode()
    assert len([l for l in listing.splitlines() if l.startswith("/")]) == \
        4000 + 2


@pytest.mark.parametrize("flavour,blocks", ON_BOTH)
def test_lookups_see_every_change_at_once(flavour, blocks, tmp_path):
    """tests/guest/ext4_namecache.c: Kiln's lookups go through a name
    cache (found and absent names); a create, rename, link, unlink,
    rmdir or directory move must show on the next stat, the same as on
    the host, with more names than the cache holds and names too long
    for it."""
    same_as_native(guest_path(flavour, "ext4_namecache"), tmp_path, blocks)


@pytest.mark.parametrize("flavour,blocks", ON_BOTH)
def test_stat_follows_every_change_to_an_idle_inode(flavour, blocks,
                                                    tmp_path):
    """tests/guest/ext4_inocache.c: Kiln searches directory blocks where
    the cache holds them and finds held inodes by number; links, modes,
    sizes, times, directory links, inode numbers handed out again, many
    inodes and a hashed directory changed between lookups must all show
    on the next stat, the same as on the host."""
    same_as_native(guest_path(flavour, "ext4_inocache"), tmp_path, blocks)


@pytest.mark.parametrize("flavour,blocks", ON_BOTH)
def test_lookups_racing_a_writer(flavour, blocks, tmp_path):
    """tests/guest/ext4_lookup_race.c: one thread stats and opens a name
    while another replaces it by rename, moves it away and back and
    unlinks it (its inodes evicted, their numbers handed out again). As
    on the host, each lookup finds a whole file (its size one the writer
    made, its bytes those of that size) or fails with ENOENT."""
    same_as_native(guest_path(flavour, "ext4_lookup_race"), tmp_path, blocks)


def test_second_name_of_an_evicted_inode_is_refused(tmp_path):
    """A hostile image: /a and /b name one inode whose count says one
    link. Unlinking a evicts the inode (it sleeps on the disk doing so)
    while a thread stats b: each stat finds it or finds nothing (the
    lookup logs a bad inode), never takes back the inode being freed,
    and once it is freed b is refused (an inode without links) rather
    than handed out and evicted a second time."""
    img = fresh_image(tmp_path)
    (tmp_path / "data").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "cmds").write_text(f"write {tmp_path / 'data'} a\nln a b\n")
    subprocess.run([tool("debugfs"), "-w", "-f", str(tmp_path / "cmds"),
                    str(img)], check=True, capture_output=True)
    kiln = run_disks(guest_path("musl", "tree_dump"),
                     ["twonames", "/data/a", "/data/b"], [f"{img}:/data"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == (
        "stat b: 1 link\n"
        "unlink a: 0\n"
        "stats of b meanwhile: some, 0 neither there nor gone\n"
        "stat b: ENOENT\n"), describe(kiln)


def test_dynamic_program_loads_a_library_from_the_volume(tmp_path):
    """glibc's ld.so finds kplugin.so on LD_LIBRARY_PATH in the rw ext4
    volume and maps it (mmap of a file on a read-write mount)."""
    prog = guest_path("glibc-dyn", "ext4_mmap")
    plugin = os.path.join(ROOT, "build", "tests", "dynamic", "kplugin.so")
    tree = tmp_path / "tree"
    (tree / "lib").mkdir(parents=True)
    shutil.copy(plugin, tree / "lib" / "kplugin.so")
    native = run_native([prog, str(tree), "dlopen", "kplugin.so"],
                        env={"LD_LIBRARY_PATH": str(tree / "lib")})
    assert native.returncode == 0, describe(native)
    assert "ext4_mmap: its function answers ok\n" in native.stdout.decode()
    img = fresh_image(tmp_path, opts=("-b", "4096", "-d", str(tree)))
    kiln = run_disks(prog, ["/data", "dlopen", "kplugin.so"],
                     [f"{img}:/data"], extra=("--env",
                                              "LD_LIBRARY_PATH=/data/lib"))
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == native.stdout.decode()
    assert b"read-only" not in kiln.stderr, describe(kiln)
    fsck_clean(img)
    assert debugfs_cat(img, "lib/kplugin.so") == (tree / "lib" /
                                                  "kplugin.so").read_bytes()


@pytest.mark.parametrize("flavour,blocks", ON_BOTH)
def test_shared_writable_map_reaches_the_disk(flavour, blocks, tmp_path):
    """tests/guest/ext4_mmap_shared.c: stores through MAP_SHARED maps are
    seen by read(2), a second map and a forked child at once, and are
    written back (msync, fsync, munmap, exit; holes get blocks): a second
    VM run on the same image reads them, e2fsck finds nothing, and the
    files debugfs reads out are the native run's bytes. With 1 KiB
    blocks a page written back spans four blocks, holes among them."""
    prog = guest_path(flavour, "ext4_mmap_shared")
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    img = fresh_image(tmp_path, opts=BLOCKS[blocks])
    for mode in ("write", "check"):
        native = run_native([prog, str(native_dir), mode])
        assert native.returncode == 0, describe(native)
        kiln = run_disks(prog, ["/data", mode], [f"{img}:/data"])
        assert kiln.returncode == 0, describe(kiln)
        assert kiln.stdout.decode() == native.stdout.decode()
        assert b"read-only" not in kiln.stderr, describe(kiln)
        assert b"not written" not in kiln.stderr, describe(kiln)
        fsck_clean(img)
    for f in ["db", "prot", "holes", "short", "atexit"]:
        assert debugfs_cat(img, f) == (native_dir / f).read_bytes(), f


FULL_DISK_OUT = """\
ext4_mmap_shared: SIGBUS handler ok
ext4_mmap_shared: a file of one written page and 15 of hole ok
ext4_mmap_shared: fill the disk until ENOSPC ok
ext4_mmap_shared: fsync the filler ok
ext4_mmap_shared: map it shared ok
ext4_mmap_shared: a store into the hole: SIGBUS, si_code BUS_ADRERR ok
ext4_mmap_shared: si_addr at offset 20489
ext4_mmap_shared: the hole still reads as zeros ok
ext4_mmap_shared: a store into the written page ok
ext4_mmap_shared: msync writes it ok
ext4_mmap_shared: free the filler ok
ext4_mmap_shared: the store into the hole now ok
ext4_mmap_shared: fsync writes it ok
ext4_mmap_shared: munmap ok
ext4_mmap_shared: all 13 checks passed
"""


def test_shared_map_stores_on_a_full_disk(tmp_path):
    """A store into a hole of a MAP_SHARED map gets the hole's blocks at
    the fault (page_mkwrite), as Linux, so on a full disk it is SIGBUS
    with BUS_ADRERR at the address stored to, and nothing is left to
    fail at writeback; a page with blocks still takes stores, and the
    same store goes through once the filler is gone. No native twin:
    the host cannot mount a small full volume without root (loop
    devices), and filling the host's own /tmp is not a test. The image
    is clean and has the stores."""
    prog = guest_path("musl", "ext4_mmap_shared")
    img = fresh_image(tmp_path, size="8M")
    kiln = run_disks(prog, ["/data", "full"], [f"{img}:/data"])
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == FULL_DISK_OUT
    assert b"not written" not in kiln.stderr, describe(kiln)
    fsck_clean(img)
    data = debugfs_cat(img, "hole2")
    assert len(data) == 16 * 4096
    assert data[:100] == b"F" * 100 and data[100:101] == b"w"
    assert data[101:4096] == b"F" * 3995
    assert data[4096:5 * 4096 + 9] == bytes(4 * 4096 + 9)
    assert data[5 * 4096 + 9:5 * 4096 + 10] == b"x"
    assert data[5 * 4096 + 10:] == bytes(11 * 4096 - 10)


SQLITE = "/usr/bin/sqlite3"
# WAL mode maps the -shm file shared and writable; mmap_size maps the
# database too. The first run leaves a WAL behind (no checkpoint at
# exit is forced), the second reads through it.
SQLITE_WAL_RUNS = [
    "pragma mmap_size=1048576; pragma journal_mode=wal;"
    "create table t(k integer primary key, v text);"
    "with recursive n(i) as (select 1 union all select i + 1 from n"
    " where i < 500) insert into t select i, printf('row-%04d', i) from n;"
    "select count(*), max(v) from t;",
    "pragma mmap_size=1048576; pragma journal_mode;"
    "update t set v = v || '!' where k % 7 = 0;"
    "select count(*), sum(length(v)), max(v) from t; pragma integrity_check;",
]


@pytest.mark.skipif(not os.path.exists(SQLITE), reason="no sqlite3")
@pytest.mark.parametrize("blocks", ["4k", "1k"])
def test_sqlite3_wal_with_mmap_across_two_runs(blocks, tmp_path):
    """Debian's sqlite3 (dynamic) in WAL mode with mmap_size on an ext4
    disk, two VM runs, each output the same as natively."""
    host = tmp_path / "host"
    host.mkdir()
    img = fresh_image(tmp_path, opts=BLOCKS[blocks])
    for i, sql in enumerate(SQLITE_WAL_RUNS):
        native = run_native([SQLITE, str(host / "w.db"), sql])
        assert native.returncode == 0, describe(native)
        kiln = run_disks(SQLITE, ["/data/w.db", sql], [f"{img}:/data"])
        assert (kiln.returncode, kiln.stdout) == (0, native.stdout), \
            f"run {i + 1}: " + describe(kiln)
        fsck_clean(img)
    assert b"wal" in native.stdout and b"ok" in native.stdout


def random_file(tmp_path, mib):
    """tmp_path/src/big: mib MiB of random bytes; (its directory, its path)."""
    src = tmp_path / "src"
    src.mkdir()
    big = src / "big"
    with open(big, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    return src, big

def test_file_bigger_than_memory_in_one_map(tmp_path):
    """tests/guest/ext4_bigmap.c with 48 MiB of guest memory: a 96 MiB
    file mapped whole (one MAP_PRIVATE) and summed twice, then a 64 MiB
    file stored whole through one MAP_SHARED map and msynced. Only
    unmapping the page-cache pages the map maps (mm_reclaim.c; the
    stored ones written back first) lets it finish. The sums and the
    file's bytes (debugfs) must be the host's."""
    src, big = random_file(tmp_path, 96)
    prog = guest_path("musl", "ext4_bigmap")
    native_w = tmp_path / "written"
    native = run_native([prog, "read", str(big)])
    assert native.returncode == 0, describe(native)
    native2 = run_native([prog, "write", str(native_w), "64"])
    assert native2.returncode == 0, describe(native2)
    img = tmp_path / "big.img"
    subprocess.run(["truncate", "-s", "256M", str(img)], check=True)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", "-b", "4096",
                    "-d", str(src), str(img)], check=True)
    kiln = run_disks(prog, ["read", "/data/big"], [f"{img}:/data"],
                     extra=("--mem", "48M"))
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == native.stdout.decode()
    kiln = run_disks(prog, ["write", "/data/written", "64"], [f"{img}:/data"],
                     extra=("--mem", "48M"))
    assert kiln.returncode == 0, describe(kiln)
    assert b"not written" not in kiln.stderr, describe(kiln)
    assert kiln.stdout.decode() == native2.stdout.decode(), describe(kiln)
    fsck_clean(img)
    assert debugfs_cat(img, "written") == native_w.read_bytes()


def test_file_bigger_than_memory_read_and_mapped(tmp_path):
    """tests/guest/ext4_bigread.c reads a 96 MiB file on an ext4 disk
    with 48 MiB of guest memory, by read(2) and through 1 MiB windows of
    MAP_PRIVATE (the file kept open, so its page cache lives on), twice.
    The block cache is bounded; the page cache's clean pages that nobody
    maps are dropped when memory runs short (page_reclaim). The sums
    must be the host's."""
    src, big = random_file(tmp_path, 96)
    prog = guest_path("musl", "ext4_bigread")
    native = run_native([prog, str(big)])
    assert native.returncode == 0, describe(native)
    img = tmp_path / "big.img"
    subprocess.run(["truncate", "-s", "128M", str(img)], check=True)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", "-b", "4096",
                    "-d", str(src), str(img)], check=True)
    kiln = run_disks(prog, ["/data/big"], [f"{img}:/data"],
                     extra=("--mem", "48M"))
    assert kiln.returncode == 0, describe(kiln)
    assert kiln.stdout.decode() == native.stdout.decode()
    fsck_clean(img)


def block_of(img, path):
    """The physical block of path's first block in img."""
    r = subprocess.run([tool("debugfs"), "-R", f"bmap /{path} 0", str(img)],
                       capture_output=True, check=True)
    return int(r.stdout.decode().split()[0])


def test_writeback_error_is_reported_once_at_fsync(tmp_path):
    """tests/guest/ext4_wb_error.c on an ext4 disk whose blocks of two
    files fail every write (QEMU's blkdebug, through the raw format; the
    test builds the QEMU command line itself, as test_blk.py does, since
    `kiln run` has no such option and needs none). Linux reports a
    write-back error once per open file (errseq): the first fsync of a
    file written by write() is EIO, the next 0, and so for one stored
    into through a shared map. The error is the file's that failed: a
    good file fsync'd first, whose commit writes the bad block back too,
    gets 0, and the bad one its EIO after that (Kiln once kept one error
    per disk: the good file got the bad one's EIO and the bad one 0).
    syncfs reports the disk's error once, as Linux's superblock errseq
    does for a descriptor opened before the failures. The journal goes
    on (Linux's default data_err=ignore): a failed data block is the
    file's error, not a reason to abort. Natively nothing fails, so the
    lines are asserted here rather than compared with a native run."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("w", "m", "g"):
        (src / name).write_bytes(name.encode() * 4096)
    img = tmp_path / "wb.img"
    subprocess.run(["truncate", "-s", "64M", str(img)], check=True)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", "-b", "4096",
                    "-d", str(src), str(img)], check=True)
    # iotype: a rule its event armed would fail reads of the sector too
    conf = tmp_path / "blkdebug.conf"
    conf.write_text("".join(
        f'[inject-error]\nevent = "write_aio"\niotype = "write"\nerrno = "5"\n'
        f'sector = "{block_of(img, name) * 8}"\n\n' for name in ("w", "m")))
    app = str(tmp_path / "app.img")
    r = kiln_build(app, guest_path("musl", "ext4_wb_error"), ["/data"])
    assert r.returncode == 0, describe(r)
    b = qemu_vm.boot(app, accel=KILN_ACCEL or "tcg", timeout=KILN_TIMEOUT,
                     cmdline="kiln.mount=vda:/data", extra=[
                         "-global", "virtio-mmio.force-legacy=false",
                         "-drive", "if=none,id=d0,format=raw,"
                         f"file.driver=blkdebug,file.config={conf},"
                         f"file.image.driver=file,file.image.filename={img}",
                         "-device", "virtio-blk-device,drive=d0"])
    assert b.console == ("ext4_wb_error: pwrite: 0\n"
                         "ext4_wb_error: pwrite g: 0\n"
                         "ext4_wb_error: fsync g: 0\n"
                         "ext4_wb_error: fsync w: EIO\n"
                         "ext4_wb_error: fsync w again: 0\n"
                         "ext4_wb_error: fsync g again: 0\n"
                         "ext4_wb_error: close w: 0\n"
                         "ext4_wb_error: fsync m: EIO\n"
                         "ext4_wb_error: fsync m again: 0\n"
                         "ext4_wb_error: munmap: 0\n"
                         "ext4_wb_error: close m: 0\n"
                         "ext4_wb_error: pwrite g after: 0\n"
                         "ext4_wb_error: fsync g after: 0\n"
                         "ext4_wb_error: close g: 0\n"
                         "ext4_wb_error: syncfs: EIO\n"
                         "ext4_wb_error: syncfs again: 0\n"
                         "ext4_wb_error: close dir: 0\n"), b.log
    assert b.status == 0, b.log
