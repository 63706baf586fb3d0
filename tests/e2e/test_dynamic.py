"""test_dynamic.py - dynamically linked programs, started through their own ld.so.

The programs (Makefile, "Dynamic programs") are linked against musl's
shared libc and glibc's (a PIE, and a fixed-address -no-pie build). Each
image gets the interpreter and libraries the program needs with
`kiln build --file` and `--no-libraries` (the automatic library closure
is not used here), and the program runs natively and under Kiln: same stdout, same status. The
bad-input cases check the kernel's answer for a missing or broken
interpreter: the status a shell gives, one line naming it, never a
kernel fault.
"""
import os
import struct
import subprocess

import pytest

from guest_util import (KILN, KILN_ACCEL, KILN_TIMEOUT, HOST_TIMEOUT, ROOT,
                        describe, kiln_build, kiln_run, run_native)

DYN_DIR = os.path.join(ROOT, "build", "tests", "dynamic")
FLAVOURS = ("musl", "glibc", "glibc-nopie")
NOEXEC, NOTFOUND, PANIC = 126, 127, 125  # include/kiln/exit.h

MUSL_LDSO = "/lib/ld-musl-x86_64.so.1"
GLIBC_LDSO = "/lib64/ld-linux-x86-64.so.2"
GLIBC_LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
# What each flavour needs in the image, at the paths it asks for. musl's
# DT_NEEDED "libc.so" is its interpreter itself. --file copies the file a
# host symlink points to.
RUNTIME = {
    "musl": [(MUSL_LDSO, MUSL_LDSO)],
    "glibc": [(GLIBC_LDSO, GLIBC_LDSO), (GLIBC_LIBC, GLIBC_LIBC)],
    "glibc-nopie": [(GLIBC_LDSO, GLIBC_LDSO), (GLIBC_LIBC, GLIBC_LIBC)],
}
INTERP = {"musl": MUSL_LDSO, "glibc": GLIBC_LDSO, "glibc-nopie": GLIBC_LDSO}
PLUGIN = os.path.join(DYN_DIR, "kplugin.so")
GUEST_PLUGIN = "/lib/kplugin.so"

by_flavour = pytest.mark.parametrize("flavour", FLAVOURS)


def program(flavour, name):
    path = os.path.join(DYN_DIR, flavour, name)
    assert os.path.exists(path), f"{path} is missing: run make guest"
    return path


def elf_type_and_interp(path):
    """(e_type, PT_INTERP string or None) of an ELF64 file."""
    with open(path, "rb") as f:
        data = f.read()
    e_type, = struct.unpack_from("<H", data, 16)
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 3:
            return e_type, data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    return e_type, None


def build(tmp_path, flavour, name, args=(), env=None, files=None):
    img = str(tmp_path / f"{name}.img")
    files = RUNTIME[flavour] if files is None else files
    r = kiln_build(img, program(flavour, name), args, files=files, env=env,
                   extra=["--no-libraries"])
    assert r.returncode == 0, describe(r)
    return img


def assert_same(native, kiln):
    assert kiln.stdout.decode(errors="replace") == native.stdout.decode(errors="replace"), \
        describe(kiln)
    assert (kiln.returncode, kiln.stderr) == (native.returncode, native.stderr), \
        describe(kiln)


def run_verbose(img):
    """`kiln run --verbose`: the kernel log on stderr too."""
    cmd = [KILN, "run", "--verbose", "--timeout", str(KILN_TIMEOUT)]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    return subprocess.run(cmd + [img], capture_output=True, timeout=HOST_TIMEOUT)


@by_flavour
def test_programs_are_dynamic(flavour):
    """What the other tests run is what they claim: PT_INTERP, and a PIE
    or a fixed-address executable."""
    for name in ("args_env", "auxv", "dlopen"):
        e_type, interp = elf_type_and_interp(program(flavour, name))
        assert interp == INTERP[flavour], name
        assert e_type == (2 if flavour == "glibc-nopie" else 3), name


ARGS = ["exit", "42", "hello world", "", "ünïcode ✓", "--flag=x y"]
ENV = {"FOO": "bar", "EMPTY": "", "EQ": "x=y=z"}


@by_flavour
def test_args_env_and_exit_status(flavour, tmp_path):
    img = build(tmp_path, flavour, "args_env", ARGS, env=ENV)
    native = run_native([program(flavour, "args_env"), *ARGS], env=ENV)
    assert native.returncode == 42, describe(native)
    assert_same(native, kiln_run(img))


@by_flavour
def test_auxv(flavour, tmp_path):
    """AT_BASE is ld.so's base, AT_ENTRY and AT_PHDR the program's,
    AT_MINSIGSTKSZ a usable size, the heap after the program."""
    img = build(tmp_path, flavour, "auxv")
    native = run_native([program(flavour, "auxv")])
    assert native.stdout.decode().endswith("auxv: all 12 checks passed\n"), \
        describe(native)
    assert_same(native, kiln_run(img))


@by_flavour
def test_dlopen(flavour, tmp_path):
    files = RUNTIME[flavour] + [(PLUGIN, GUEST_PLUGIN)]
    img = build(tmp_path, flavour, "dlopen", [GUEST_PLUGIN], files=files)
    native = run_native([program(flavour, "dlopen"), PLUGIN])
    assert "dlopen: greeting=hello from kplugin\n" in native.stdout.decode(), \
        describe(native)
    assert_same(native, kiln_run(img))


@by_flavour
def test_missing_interpreter(flavour, tmp_path):
    """execve's ENOENT: status 127, one line naming the interpreter."""
    img = build(tmp_path, flavour, "args_env", files=[])
    r = kiln_run(img)
    assert (r.stdout, r.returncode) == (b"", NOTFOUND), describe(r)
    assert r.stderr.decode().splitlines() == [
        f"kiln: /bin/args_env: interpreter {INTERP[flavour]}: not found"]


def damaged_interpreter(tmp_path, size):
    """musl's ld.so cut to size bytes, executable."""
    with open(MUSL_LDSO, "rb") as f:
        data = f.read()
    path = tmp_path / f"ld-{size}"
    path.write_bytes(data[:size])
    os.chmod(path, 0o755)
    return str(path)


@pytest.mark.parametrize("size,why", [(0, "not an ELF file"),
                                      (3, "truncated"),
                                      (100, "truncated"),
                                      (2000, "truncated"),
                                      (100000, "truncated")])
def test_truncated_interpreter(tmp_path, size, why):
    """A cut ELF header, program header table or segment: one clear
    line, status 126, no kernel fault."""
    ldso = damaged_interpreter(tmp_path, size)
    img = build(tmp_path, "musl", "args_env", files=[(ldso, MUSL_LDSO)])
    r = kiln_run(img)
    assert (r.stdout, r.returncode) == (b"", NOEXEC), describe(r)
    assert r.stderr.decode().splitlines() == [
        f"kiln: /bin/args_env: interpreter {MUSL_LDSO}: {why}"]
    log = run_verbose(img).stderr.decode()
    assert f"kiln: exit status {NOEXEC}\n" in log
    assert f"kiln: exit status {PANIC}" not in log


@pytest.mark.parametrize("interp,why", [
    ("musl/args_env", "has an interpreter of its own"),
    ("glibc-nopie/args_env", "not a shared object"),
])
def test_interpreter_that_is_not_one(tmp_path, interp, why):
    """ld.so must be ET_DYN without a PT_INTERP of its own (Linux's
    load_elf_interp); a program in its place is refused, 126."""
    img = build(tmp_path, "musl", "args_env",
                files=[(os.path.join(DYN_DIR, interp), MUSL_LDSO)])
    r = kiln_run(img)
    assert (r.stdout, r.returncode) == (b"", NOEXEC), describe(r)
    assert r.stderr.decode().splitlines() == [
        f"kiln: /bin/args_env: interpreter {MUSL_LDSO}: {why}"]


def test_truncated_library_is_ld_sos_error(tmp_path):
    """ld.so runs and finds libc.so.6 cut short: its own message and
    status 127, as natively (ld.so --library-path with the same file)."""
    libdir = tmp_path / "lib"
    libdir.mkdir()
    with open(GLIBC_LIBC, "rb") as f:
        (libdir / "libc.so.6").write_bytes(f.read(500))
    prog = program("glibc", "args_env")
    native = run_native([GLIBC_LDSO, "--library-path", str(libdir), prog])
    img = build(tmp_path, "glibc", "args_env",
                files=[(GLIBC_LDSO, GLIBC_LDSO),
                       (str(libdir / "libc.so.6"), GLIBC_LIBC)])
    r = kiln_run(img)
    assert (r.stdout, r.returncode) == (b"", native.returncode), describe(r)
    assert native.returncode == NOTFOUND
    want = ": error while loading shared libraries: {}: cannot read file data"
    assert native.stderr.decode() == prog + want.format(libdir / "libc.so.6") + "\n"
    assert r.stderr.decode() == "/bin/args_env" + want.format(GLIBC_LIBC) + "\n"


def ldso_maps(img):
    """The /proc/self/maps lines (split) of /bin/cat in img, and those of
    its interpreter."""
    r = kiln_run(img)
    assert r.returncode == 0, describe(r)
    maps = [line.split() for line in r.stdout.decode().splitlines()]
    return maps, [m for m in maps if len(m) == 6 and m[5] == GLIBC_LDSO]


def start(m):
    return int(m[0].split("-")[0], 16)


def test_interpreter_is_mapped_below_mmap_top(tmp_path):
    """/proc/self/maps of a dynamic PIE: the program near 0x555..., ld.so
    in the mmap area (0x7f...), its text RX, its data RW, never both, at
    a base that differs from boot to boot."""
    img = str(tmp_path / "cat.img")
    r = kiln_build(img, "/bin/cat", ["/proc/self/maps"], files=RUNTIME["glibc"])
    assert r.returncode == 0, describe(r)
    maps, ldso = ldso_maps(img)
    prog = [m for m in maps if len(m) == 6 and m[5] == "/bin/cat"]
    assert ldso and prog, maps
    assert all(start(m) >= 0x7e0000000000 for m in ldso)
    assert all(start(m) < 0x570000000000 for m in prog)
    perms = sorted({m[1] for m in ldso})
    assert "r-xp" in perms and "rw-p" in perms, perms
    assert not any("w" in p and "x" in p for p in perms), perms
    # 28 bits of pages: two boots agree once in 2^28.
    _, again = ldso_maps(img)
    assert start(again[0]) != start(ldso[0])


def test_interpreter_through_a_symlink(tmp_path):
    """Debian's layout, symlinks kept (--dir): /lib/ld-musl-x86_64.so.1
    -> /usr/lib/x86_64-linux-musl/libc.so. The kernel follows the link."""
    real = "/usr/lib/x86_64-linux-musl/libc.so"
    tree = tmp_path / "tree"
    (tree / "lib").mkdir(parents=True)
    (tree / "usr" / "lib" / "x86_64-linux-musl").mkdir(parents=True)
    with open(MUSL_LDSO, "rb") as f:
        (tree / real.lstrip("/")).write_bytes(f.read())
    os.chmod(tree / real.lstrip("/"), 0o755)
    os.symlink(real, tree / "lib" / "ld-musl-x86_64.so.1")
    img = str(tmp_path / "sym.img")
    r = kiln_build(img, program("musl", "args_env"), ARGS, env=ENV,
                   extra=["--dir", f"{tree / 'lib'}:/lib",
                          "--dir", f"{tree / 'usr'}:/usr"])
    assert r.returncode == 0, describe(r)
    native = run_native([program("musl", "args_env"), *ARGS], env=ENV)
    assert_same(native, kiln_run(img))


@pytest.mark.parametrize("new", [b"xlib/ld-musl-x86_64.so.1", b"/lib/ld-musl-x86_64.so.\x00"])
def test_patched_interpreter_path(tmp_path, new):
    """PT_INTERP is untrusted: a relative path is refused (126, one line);
    one cut short by a NUL names a file that is not there (127)."""
    with open(program("musl", "args_env"), "rb") as f:
        data = f.read()
    old = MUSL_LDSO.encode()
    assert data.count(old + b"\0") == 1 and len(new) == len(old)
    patched = tmp_path / "args_env"
    patched.write_bytes(data.replace(old + b"\0", new + b"\0"))
    os.chmod(patched, 0o755)
    img = str(tmp_path / "p.img")
    r = kiln_build(img, str(patched), files=RUNTIME["musl"],
                   extra=["--no-libraries"])
    assert r.returncode == 0, describe(r)
    r = kiln_run(img)
    if new.startswith(b"/"):
        want = (NOTFOUND, "kiln: /bin/args_env: interpreter "
                          "/lib/ld-musl-x86_64.so.: not found")
    else:
        want = (NOEXEC, "kiln: /bin/args_env: bad interpreter path")
    assert (r.stdout, r.returncode) == (b"", want[0]), describe(r)
    assert r.stderr.decode().splitlines() == [want[1]]
