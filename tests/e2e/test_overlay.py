"""test_overlay.py - the writable root over a root disk (docs/storage.md,
"Root on a disk"; kernel/fs/overlay.c).

tests/guest/overlay.c changes a tree the image has under /etc/app (on
the read-only root disk: the lower layer): a new /etc/x, an append to a
file, unlink, renames of a file and a directory, mkdir/rmdir, a
directory emptied, removed and made again, a hard link, mappings; the
same binary runs natively on a copy of the tree and both outputs must be
the same. A second boot of the image sees the tree as built (the changes
were in memory); --read-only keeps the root read only (EROFS). The disk
is built by an unprivileged user too, and is the same bytes as root's.
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from guest_util import HOST_TIMEOUT, KILN, describe, guest_path, kiln_run, \
    run_native

TREE = {
    "a.conf": "alpha\n",
    "b.conf": "bravo\n",
    "keep": "keep\n",
    "trunc": "0123456789\n",
    "m.txt": "mapped\n",
    "sub/s1": "s1\n",
    "olddir/f": "f\n",
}


def make_tree(d):
    for rel, text in TREE.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for p in d.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    os.chmod(d, 0o755)


def native_base(tmp_path, name):
    """A fresh BASE with etc/app as the image has it."""
    base = tmp_path / name
    make_tree(base / "etc" / "app")
    return str(base)


def build_image(out, program, tree, extra=()):
    cmd = [KILN, "build", "-o", str(out), "--root-disk", *extra,
           "--dir", f"{tree}:/etc/app", program, "/"]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    return str(out)


@pytest.mark.parametrize("flavour", ["musl", "glibc-dyn"])
def test_changes_then_pristine(tmp_path, flavour):
    prog = guest_path(flavour, "overlay")
    tree = tmp_path / "tree"
    make_tree(tree)
    img = build_image(tmp_path / "ov.img", prog, tree)

    native = run_native([prog, native_base(tmp_path, "n1")])
    assert native.returncode == 0, describe(native)
    assert native.stdout.decode().endswith("all 23 checks passed\n")
    r = kiln_run(img)
    assert r.stdout.decode() == native.stdout.decode(), describe(r)
    assert r.returncode == 0, describe(r)

    # a second boot: the first one's changes went with it
    native = run_native([prog, native_base(tmp_path, "n2"), "pristine"])
    assert native.returncode == 0, describe(native)
    r = kiln_run(img, ["/", "pristine"])
    assert r.stdout.decode() == native.stdout.decode(), describe(r)
    assert r.returncode == 0, describe(r)


def test_read_only(tmp_path):
    """--read-only: the disk's directories refuse changes, as before."""
    tree = tmp_path / "tree"
    make_tree(tree)
    img = build_image(tmp_path / "ov.img", guest_path("musl", "overlay"),
                      tree)
    cmd = [KILN, "run", "--timeout", "120", "--read-only", img]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 1, describe(r)
    assert r.stdout.decode().endswith(
        "overlay: read-only private mapping ok\n"
        "overlay: FAIL shared writable mapping after a copy (errno EROFS)\n"
    ), describe(r)


def test_unprivileged_build_same_bytes(tmp_path):
    """nobody builds the root disk (no root needed for the owners), and
    gets the image root gets."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to nobody")
    # pytest's own directories are root's alone (0700)
    with tempfile.TemporaryDirectory(prefix="kiln-nobody-") as d:
        os.chmod(d, 0o777)
        unprivileged_build(tmp_path, pathlib.Path(d))


def unprivileged_build(tmp_path, work):
    tree = work / "tree"
    make_tree(tree)
    prog = work / "overlay"
    shutil.copy(guest_path("musl", "overlay"), prog)
    os.chmod(prog, 0o755)
    mine = build_image(tmp_path / "root.img", str(prog), tree)
    env = dict(os.environ, TMPDIR=str(work), HOME=str(work))
    env.pop("KILN_KERNEL", None)
    # nobody may not reach the checkout (a clone under /root is 0700):
    # kiln and the kernel it finds next to itself, copied where it can
    bindir = work / "bin"
    bindir.mkdir()
    os.chmod(bindir, 0o755)
    shutil.copy(KILN, bindir / "kiln")
    shutil.copy(os.path.join(os.path.dirname(KILN), "kernel.elf"),
                bindir / "kernel.elf")
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           str(bindir / "kiln"), "build", "-o", str(work / "nobody.img"), "--root-disk",
           "--dir", f"{tree}:/etc/app", str(prog), "/"]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT,
                       env=env)
    assert r.returncode == 0, describe(r)
    assert os.stat(work / "nobody.img").st_uid == 65534
    with open(mine, "rb") as a, open(work / "nobody.img", "rb") as b:
        assert a.read() == b.read(), "the same root makes the same image"
    r = kiln_run(str(work / "nobody.img"), ["/", "pristine"])
    assert r.returncode == 0, describe(r)
    assert r.stdout.decode().endswith("all 4 checks passed\n")
