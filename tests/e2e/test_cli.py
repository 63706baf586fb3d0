"""test_cli.py - the `kiln` CLI: build, inspect and run, with bad inputs of every kind.

A fixture builds small static test programs with musl-gcc. The run
plumbing (byte-exact stdout/stderr, exit status, timeout, signal reports,
args/env/stdin repacking) is tested against fake_qemu.py standing in for
QEMU; real boots of the kernel running the programs are at the end.
"""
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time
import zlib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from guest_util import KILN, KILN_SANITIZED  # noqa: E402  (build/kiln, or $KILN_BIN)
import qemu_vm  # noqa: E402
HERE = os.path.dirname(os.path.abspath(__file__))
T = 120  # seconds for any kiln process

# Exit statuses (include/kiln/exit.h, README "Exit status"), written out
# here as the numbers users see; test_exit_statuses_match_header checks
# them against the header.
FAIL, USAGE, VMFAIL, TIMEOUT = 1, 2, 123, 124      # the kiln tool's
PANIC, NOEXEC, NOTFOUND, SIGNAL = 125, 126, 127, 128  # the guest kernel's

PROBE_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "hello";
	if (!strcmp(m, "hello")) { printf("hello\n"); return 3; }
	if (!strcmp(m, "args")) { for (int i = 0; i < argc; i++) printf("%s\n", argv[i]); return 0; }
	if (!strcmp(m, "env")) { for (char **e = environ; *e; e++) printf("%s\n", *e); return 0; }
	if (!strcmp(m, "stderr")) { fprintf(stderr, "to stderr\n"); return 0; }
	if (!strcmp(m, "binary")) { for (int i = 0; i < 512; i++) putchar(i & 255); return 0; }
	if (!strcmp(m, "stdin")) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }
	if (!strcmp(m, "segv")) { *(volatile int *)0 = 1; return 0; }
	return 2;
}
"""


def kiln(*args, input=b"", env=None, cwd=None, limit=None):
    """Run kiln; limit=(RLIMIT_x, value) caps it (SIGXFSZ ignored: EFBIG)."""
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(limit[0], (limit[1], limit[1]))
    return subprocess.run([KILN, *args], input=input, capture_output=True,
                          timeout=T, env=env, cwd=cwd,
                          preexec_fn=preexec if limit else None)


def lines(b):
    return b.decode().splitlines()


def musl_static(d, name, source):
    """Compile source (C text) into the static musl program d/name."""
    src = d / f"{name}.c"
    src.write_text(source)
    prog = d / name
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(prog), str(src)],
                   check=True, timeout=T)
    return prog


@pytest.fixture(scope="session")
def progs(tmp_path_factory):
    """Static probe program (musl), its copies with bad headers, a dynamic one."""
    if not os.path.exists(KILN):
        pytest.fail("build/kiln is missing: run make first")
    d = tmp_path_factory.mktemp("progs")
    probe = musl_static(d, "probe", PROBE_C)
    dyn = d / "dyn"
    subprocess.run(["gcc", "-o", str(dyn), str(d / "probe.c")], check=True,
                   timeout=T)
    data = probe.read_bytes()
    (d / "text.txt").write_text("just text\n")
    (d / "trunc").write_bytes(data[:100])
    (d / "elf32").write_bytes(data[:4] + b"\x01" + data[5:])          # EI_CLASS
    (d / "aarch64").write_bytes(data[:18] + struct.pack("<H", 183) + data[20:])
    return d


def bundle_offset(data):
    """File offset of the bundle: the image's last program header."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    off, = struct.unpack_from("<Q", data, phoff + 56 * (phnum - 1) + 8)
    return off


@pytest.fixture(scope="session")
def image(progs, tmp_path_factory):
    out = tmp_path_factory.mktemp("img") / "probe.img"
    r = kiln("build", "-o", str(out), str(progs / "probe"))
    assert r.returncode == 0, r.stderr
    return out


# ---- the command line itself ----

def test_exit_statuses_match_header():
    text = open(os.path.join(ROOT, "include", "kiln", "exit.h")).read()
    found = dict(re.findall(r"#define KILN_EXIT_(\w+) (\d+)", text))
    assert found == {"OK": "0", "FAIL": str(FAIL), "USAGE": str(USAGE),
                     "VMFAIL": str(VMFAIL), "TIMEOUT": str(TIMEOUT),
                     "PANIC": str(PANIC), "NOEXEC": str(NOEXEC),
                     "NOTFOUND": str(NOTFOUND), "SIGNAL": str(SIGNAL)}


def test_bench_decides_pvm_as_run_does(fake, image):
    """bench/boot.py asks scripts/qemu_vm.py what KVM is (PVM or not,
    usable or not): one copy of the rule, the one the tests boot with.
    That rule is checked against cli/qemu.c's pick_kvm on this host: the
    -accel kiln run gives QEMU by default (fake_qemu.py prints it)."""
    spec = importlib.util.spec_from_file_location(
        "bench_boot", os.path.join(ROOT, "bench", "boot.py"))
    boot = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    sys.path.insert(0, os.path.join(ROOT, "bench"))  # its linux_guest
    try:
        spec.loader.exec_module(boot)  # puts scripts/ on sys.path too
    finally:
        sys.path[:] = saved
    assert boot.kvm_is_pvm is qemu_vm.kvm_is_pvm
    assert boot.kvm_usable() == (qemu_vm.pick_accel("auto") == "kvm")
    r = fake("args", str(image))
    assert r.returncode == 0, r.stderr
    argv = json.loads(r.stdout)
    accel = argv[argv.index("-accel") + 1].split(",")[0]
    assert accel == qemu_vm.pick_accel("auto")


def test_version():
    r = kiln("--version")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"kiln 0.1.0\n", b"")


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"],
                                  ["run", "--help"], ["inspect", "--help"]])
def test_help(args):
    r = kiln(*args)
    assert r.returncode == 0 and r.stderr == b""
    assert lines(r.stdout)[0].startswith("usage: kiln")


@pytest.mark.parametrize("args", [[], ["frob"], ["--frob"], ["build"],
                                  ["build", "--nope", "x"], ["run"],
                                  ["run", "--accel", "fast", "x"],
                                  ["run", "--timeout", "-1", "x"],
                                  ["run", "--mem", "lots", "x"],
                                  ["run", "--tcg-cache", "0", "x"],
                                  ["run", "--tcg-cache", "1025", "x"],
                                  ["run", "--tcg-cache", "2M", "x"],
                                  ["run", "--tcg-cache", " 2", "x"],
                                  ["run", "--tcg-cache", "+2", "x"],
                                  ["run", "--tcg-cache", "-2", "x"],
                                  ["run", "--tcg-cache", "", "x"],
                                  ["run", "--env", "NOEQUALS", "x"],
                                  ["build", "--env", "NOEQUALS", "x"],
                                  ["inspect"], ["inspect", "a", "b"]])
def test_usage_errors(args):
    r = kiln(*args)
    assert r.returncode == USAGE
    assert len(lines(r.stderr)) == 1 and lines(r.stderr)[0].startswith("kiln")
    assert r.stdout == b""


# ---- build and inspect ----

def test_build_inspect(progs, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "data").write_bytes(b"12345")
    os.chmod(tree / "sub" / "data", 0o600)
    os.symlink("sub/data", tree / "link")
    note = tmp_path / "note"
    note.write_text("hi\n")
    os.chmod(note, 0o644)
    out = tmp_path / "x.img"
    r = kiln("build", "-o", str(out), "--file", f"{note}:/etc/motd",
             "--dir", f"{tree}:/srv/app", "--env", "A=1", "--env", "HOME=/root",
             "--workdir", "/srv", str(progs / "probe"), "args", "two words")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"")
    r = kiln("inspect", str(out))
    assert r.returncode == 0, r.stderr
    got = lines(r.stdout)
    size = os.path.getsize(progs / "probe")
    assert got[:4] == [
        "program: /bin/probe",
        "argv: /bin/probe args 'two words'",
        "env: PATH=/bin:/usr/bin HOME=/root A=1",
        "workdir: /srv",
    ]
    assert re.fullmatch(r"kernel: Kiln 0\.1\.0, \d+ bytes", got[4])
    assert re.fullmatch(r"bundle: \d+ bytes", got[5])
    assert got[6] == f"total: {os.path.getsize(out)} bytes"
    assert got[7] == f"root: 12 entries, {size + 3 + 5} bytes of files"
    assert got[8:] == [
        "files:",
        "  drwxr-xr-x          0 /bin",
        f"  -rwxr-xr-x {size:10d} /bin/probe",
        "  drwxr-xr-x          0 /dev",
        "  drwxr-xr-x          0 /etc",
        "  -rw-r--r--          3 /etc/motd",
        "  dr-xr-xr-x          0 /proc",
        "  drwxr-xr-x          0 /srv",
        f"  d{stat.filemode(os.stat(tree).st_mode)[1:]}          0 /srv/app",
        "  lrwxrwxrwx          8 /srv/app/link -> sub/data",
        f"  d{stat.filemode(os.stat(tree / 'sub').st_mode)[1:]}          0 /srv/app/sub",
        "  -rw-------          5 /srv/app/sub/data",
        "  drwxrwxrwt          0 /tmp",
    ]
    kernel = int(got[4].split()[3].rstrip(","))
    data = out.read_bytes()
    assert kernel == bundle_offset(data) and kernel % 4096 == 0


def test_rootfs_is_standard_cpio(image, tmp_path):
    """GNU cpio reads the rootfs section and finds the same tree."""
    data = image.read_bytes()
    off = bundle_offset(data)
    nsec, = struct.unpack_from("<I", data, off + 24)
    for i in range(nsec):
        t, _, o, s = struct.unpack_from("<IIQQ", data, off + 32 + 24 * i)
        if t == 2:
            arc = data[off + o:off + o + s]
    r = subprocess.run(["cpio", "-it"], input=arc, capture_output=True, timeout=T)
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout) == ["bin", "bin/probe", "dev", "etc", "proc", "tmp"]


def test_image_loads_where_image_h_says(image):
    """The bundle is one more PT_LOAD, R, page-aligned, above the kernel."""
    r = subprocess.run(["readelf", "-lW", str(image)], capture_output=True,
                       text=True, timeout=T, check=True)
    loads = [ln.split() for ln in r.stdout.splitlines()
             if ln.strip().startswith("LOAD")]
    *kernel, bundle = loads
    off, vaddr, paddr, filesz, memsz = (int(x, 16) for x in bundle[1:6])
    assert bundle[6] == "R" and vaddr == paddr and filesz == memsz
    assert off % 4096 == 0 and paddr % 4096 == 0
    top = max(int(k[3], 16) + int(k[5], 16) for k in kernel)
    assert top <= paddr < top + 4096


def test_default_output_name(progs, tmp_path):
    r = kiln("build", str(progs / "probe"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp_path)) == ["probe.img"]


@pytest.mark.parametrize("name,pattern", [
    ("missing", r"kiln: .*/missing: No such file or directory"),
    ("text.txt", r"kiln: .*/text.txt: not an ELF file"),
    ("elf32", r"kiln: .*/elf32: 32-bit ELF; only x86_64 programs are supported"),
    ("aarch64", r"kiln: .*/aarch64: not x86_64 \(machine 183\); only x86_64 "
                r"programs are supported"),
    ("trunc", r"kiln: .*/trunc: truncated ELF file"),
])
def test_build_refuses(progs, tmp_path, name, pattern):
    r = kiln("build", "-o", str(tmp_path / "out.img"), str(progs / name))
    assert r.returncode == FAIL
    assert len(lines(r.stderr)) == 1, r.stderr
    assert re.fullmatch(pattern, lines(r.stderr)[0])
    assert os.listdir(tmp_path) == []  # no image, no temp file


@pytest.mark.parametrize("out", ["/proc/nope/x.img", "/dev/null/x.img",
                                 "/proc/x.img"])
def test_build_unwritable_output(progs, out):
    r = kiln("build", "-o", out, str(progs / "probe"))
    assert r.returncode == FAIL
    assert len(lines(r.stderr)) == 1 and lines(r.stderr)[0].startswith(f"kiln: {out}: ")


def test_build_output_too_large(progs, tmp_path):
    """A write that fails half-way leaves neither the image nor a temp file."""
    out = tmp_path / "x.img"
    r = kiln("build", "-o", str(out), str(progs / "probe"),
             limit=(resource.RLIMIT_FSIZE, 100000))
    assert r.returncode == FAIL
    assert lines(r.stderr) == [f"kiln: {out}: File too large"]
    assert os.listdir(tmp_path) == []


def test_build_out_of_memory(progs, tmp_path):
    """Out of memory, whichever allocation fails first: one line, status 1,
    nothing written."""
    big = tmp_path / "in" / "big"
    big.parent.mkdir()
    with open(big, "wb") as f:
        f.truncate(30 << 20)
    out = tmp_path / "out"
    out.mkdir()
    args = ("build", "-o", str(out / "x.img"), "--file", f"{big}:/big",
            str(progs / "probe"))
    if KILN_SANITIZED:
        # ASan's shadow memory cannot live under RLIMIT_AS: its allocator
        # fails the allocations instead, after a warning of its own.
        env = dict(os.environ, ASAN_OPTIONS="max_allocation_size_mb=16:"
                   "allocator_may_return_null=1")
        r = kiln(*args, env=env)
        err = [s for s in lines(r.stderr) if not s.startswith("==")]
    else:
        r = kiln(*args, limit=(resource.RLIMIT_AS, 64 << 20))
        err = lines(r.stderr)
    assert r.returncode == FAIL
    assert err in (["kiln: out of memory"],
                   [f"kiln: {big}: Cannot allocate memory"])
    assert os.listdir(out) == []


def test_build_bad_extras(progs, tmp_path):
    """What the options name cannot be used: bad input."""
    out = str(tmp_path / "o.img")
    for extra in (["--file", "/nonexistent:/x"], ["--file", f"{progs}:/x"],
                  ["--file", f"{progs / 'text.txt'}:/bin/probe"],
                  ["--file", f"{progs / 'text.txt'}:/a/../b"],
                  ["--dir", f"{progs / 'text.txt'}:/x"]):
        r = kiln("build", "-o", out, *extra, str(progs / "probe"))
        assert r.returncode == FAIL, extra
        assert len(lines(r.stderr)) == 1, (extra, r.stderr)
        assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("opt,val,want", [
    ("--env", "NOEQUALS", "--env wants KEY=VALUE, not NOEQUALS"),
    ("--env", "=x", "--env wants KEY=VALUE, not =x"),
    ("--file", "a.txt:relative", "--file wants HOST:/GUEST/PATH, not a.txt:relative"),
    ("--dir", "tree", "--dir wants HOSTDIR:/GUEST/DIR, not tree"),
    ("--workdir", "rel", "--workdir wants an absolute path, not rel"),
])
def test_build_bad_option_values(progs, tmp_path, opt, val, want):
    """A malformed option value is a bad command line, as in kiln run."""
    r = kiln("build", opt, val, str(progs / "probe"), cwd=tmp_path)
    assert r.returncode == USAGE
    assert lines(r.stderr) == [f"kiln build: {want}; see 'kiln build --help'"]
    assert os.listdir(tmp_path) == []


def damaged(image, tmp_path):
    data = image.read_bytes()
    off = bundle_offset(data)
    flipped = bytearray(data)
    flipped[off + 300] ^= 0x10
    cases = {
        "short.img": (data[:len(data) // 2], "truncated"),
        "shorter.img": (data[:off + 100], "truncated"),
        "tiny.img": (data[:40], "truncated"),
        "flipped.img": (bytes(flipped), "checksum mismatch"),
        "magic.img": (data[:off] + b"X" + data[off + 1:], "bad magic"),
        "text.img": (b"hello world\n" * 10, "bad magic"),
        "empty.img": (b"", "bad magic"),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    return {name: why for name, (_, why) in cases.items()}


def test_inspect_damaged(image, tmp_path):
    for name, why in damaged(image, tmp_path).items():
        path = tmp_path / name
        r = kiln("inspect", str(path))
        assert r.returncode == FAIL and r.stdout == b""
        assert lines(r.stderr) == [f"kiln: {path}: not a Kiln image ({why})"], name


def test_inspect_not_kiln(progs):
    for path in (progs / "probe", os.path.join(ROOT, "build", "kernel.elf")):
        r = kiln("inspect", str(path))
        assert lines(r.stderr) == [f"kiln: {path}: not a Kiln image (bad magic)"]
        assert r.returncode == FAIL


def test_run_damaged(image, tmp_path):
    """The same status as inspect gives, never the kernel's PANIC or VMFAIL."""
    for name, why in damaged(image, tmp_path).items():
        path = tmp_path / name
        r = kiln("run", "--timeout", "30", str(path))
        assert r.returncode == FAIL and r.stdout == b"", name
        assert len(lines(r.stderr)) == 1, (name, r.stderr)
        if why != "bad magic":  # else taken for a program: not an ELF one
            assert lines(r.stderr) == [f"kiln: {path}: not a Kiln image ({why})"]


def test_build_from_damaged(image, tmp_path):
    """An image (damaged or not) given to build as the program: bad input."""
    for name in [*damaged(image, tmp_path), str(image)]:
        out = tmp_path / "out" / "x.img"
        out.parent.mkdir(exist_ok=True)
        r = kiln("build", "-o", str(out), str(tmp_path / name))
        assert r.returncode == FAIL and r.stdout == b"", name
        assert len(lines(r.stderr)) == 1, (name, r.stderr)
        assert os.listdir(out.parent) == []


def test_run_bad_programs(progs):
    for name, want in (("text.txt", "not an ELF file"),
                       ("missing", "No such file or directory")):
        r = kiln("run", "--timeout", "30", str(progs / name))
        assert r.returncode == FAIL
        assert len(lines(r.stderr)) == 1 and want in r.stderr.decode()


def test_run_dynamic_without_its_interpreter(progs, tmp_path):
    """A dynamic program built with --no-libraries is alone in its image;
    its interpreter is missing: execve's ENOENT, status 127 and one line
    naming it."""
    r = kiln("build", "-o", str(tmp_path / "dyn.img"), "--no-libraries",
             str(progs / "dyn"))
    assert (r.returncode, r.stderr) == (0, b"")
    r = real(tmp_path / "dyn.img")
    assert (r.stdout, r.returncode) == (b"", NOTFOUND)
    assert lines(r.stderr) == ["kiln: /bin/dyn: interpreter "
                               "/lib64/ld-linux-x86-64.so.2: not found"]


# ---- run, against a fake QEMU ----

@pytest.fixture
def fake(tmp_path):
    """env for kiln with fake_qemu.py as qemu-system-x86_64 on PATH."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    os.symlink(os.path.join(HERE, "fake_qemu.py"), bindir / "qemu-system-x86_64")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", TMPDIR=str(tmp))

    def run(mode, *args, input=b"", limit=None, **extra):
        e = dict(env, FAKE_QEMU_MODE=mode, **extra)
        r = kiln("run", *args, input=input, env=e, limit=limit)
        assert os.listdir(tmp) == [], "kiln left temp files behind"
        return r
    run.tmp = tmp
    return run


def test_run_config_repacked(fake, image):
    r = fake("echo", "--env", "HOME=/h", "--env", "NEW=x y", "--trace",
             str(image), "a", "b c", input=b"in\x00put\n")
    info = json.loads(r.stdout)
    assert info == {"program": "/bin/probe", "arg": ["/bin/probe", "a", "b c"],
                    "env": ["PATH=/bin:/usr/bin", "HOME=/h", "NEW=x y"],
                    "workdir": "/", "stdin": "in\x00put\n",
                    "append": "kiln.trace kiln.stdin_stream",
                    "quiet": True, "stdin_empty": False}
    assert lines(r.stderr) == ['trace: openat("/etc/x") = -2']
    assert r.returncode == 0


def test_run_empty_stdin_boots_the_image_as_it_is(fake, image, tmp_path):
    """An empty stdin that is no pipe (/dev/null, an empty file) adds
    nothing to the image: kiln boots the file itself (no temp copy) and
    tells the kernel kiln.stdin_empty, which reads as an empty STDIN
    section (EOF, not a terminal). A non-empty file is still put in."""
    env = dict(os.environ, FAKE_QEMU_MODE="echo",
               PATH=f"{tmp_path / 'fakebin'}:{os.environ['PATH']}",
               TMPDIR=str(fake.tmp))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    full = tmp_path / "full"
    full.write_bytes(b"abc")
    for stdin, want, said in ((subprocess.DEVNULL, "", True),
                              (empty, "", True),
                              (full, "abc", False)):
        f = open(stdin, "rb") if stdin != subprocess.DEVNULL else stdin
        r = subprocess.run([KILN, "run", str(image)], stdin=f,
                           capture_output=True, timeout=T, env=env)
        if f != subprocess.DEVNULL:
            f.close()
        info = json.loads(r.stdout)
        assert (info["stdin"], info["stdin_empty"]) == (want, said), stdin
        assert r.returncode == 0 and os.listdir(fake.tmp) == []


def test_run_verbose_is_not_quiet(fake, image):
    """Without --verbose the kernel is told "quiet" (its boot lines would
    only be dropped by kiln); with it, it is not."""
    r = fake("echo", "--verbose", str(image))
    assert json.loads(r.stdout)["quiet"] is False
    assert r.returncode == 0


def test_run_program_directly(fake, progs):
    r = fake("echo", str(progs / "probe"), "x")
    info = json.loads(r.stdout)
    assert info["arg"] == ["/bin/probe", "x"] and info["stdin"] == ""
    assert r.returncode == 0 and r.stderr == b""


def test_run_qemu_command_line(fake, image):
    r = fake("args", "--mem", "256M", "--machine", "q35", "--accel", "tcg",
             str(image))
    argv = json.loads(r.stdout)
    assert argv[argv.index("-M") + 1] == "q35"
    assert argv[argv.index("-fw_cfg") + 1] == "name=etc/sercon-port,string=off"
    assert argv[argv.index("-m") + 1] == "256M"
    assert argv[argv.index("-accel") + 1] == "tcg,split-wx=on"
    assert "memory-backend-memfd,id=ram,size=256M" in argv
    assert "memory-backend=ram" in argv
    assert argv[argv.index("-cpu") + 1] == "max"
    for flag in ("-nodefaults", "-no-user-config", "-nographic", "-no-reboot"):
        assert flag in argv
    sandbox = "on,obsolete=deny,spawn=deny,resourcecontrol=deny"
    if os.geteuid() == 0:  # QEMU drops root itself (a setuid): allowed
        assert argv[argv.index("-runas") + 1] == "nobody"
    else:
        assert "-runas" not in argv
        sandbox += ",elevateprivileges=deny"
    assert argv[argv.index("-sandbox") + 1] == sandbox
    assert "isa-debug-exit,iobase=0xf4,iosize=0x04" in argv
    serial = [a for a in argv if a.startswith("isa-serial")]
    assert serial == ["isa-serial,chardev=c0,iobase=0x3f8,irq=4",
                      "isa-serial,chardev=c1,iobase=0x2f8,irq=3",
                      "isa-serial,chardev=c2,iobase=0x3e8,irq=4",
                      "isa-serial,chardev=c3,iobase=0x2e8,irq=3"]


def test_run_tcg_cache(fake, image):
    """--tcg-cache caps TCG's code buffer (tb-size, MiB); KVM has none.
    --accel auto takes it when it picks TCG (no usable /dev/kvm, or PVM's:
    cli/qemu.c)."""
    tcg = "tcg,split-wx=on,tb-size=2"
    auto = ("kvm" if qemu_vm.kvm_usable() and not qemu_vm.kvm_is_pvm()
            else tcg)
    for accel, want in (("tcg", tcg), ("kvm", "kvm"), ("auto", auto)):
        r = fake("args", "--accel", accel, "--tcg-cache", "2", str(image))
        argv = json.loads(r.stdout)
        assert argv[argv.index("-accel") + 1] == want
        assert argv.count("-accel") == 1 and r.returncode == 0


def test_run_binary_exact(fake, image):
    r = fake("binary", str(image))
    assert r.stdout == bytes(range(256)) * 2
    assert r.stderr == b"err\r\n\0"
    assert r.returncode == 7


def test_run_verbose_shows_log(fake, image):
    r = fake("binary", "--verbose", str(image))
    need = -(-image_load_end(image) // (1 << 20))
    # --accel auto on a PVM host says why it chose TCG (cli/qemu.c)
    pvm = (["kiln: /dev/kvm is PVM, which boots the guest slower than TCG"
            " does: TCG (--accel kvm to use it anyway)"]
           if qemu_vm.kvm_usable() and qemu_vm.kvm_is_pvm() else [])
    want = [f"kiln: guest memory 128M: the image needs {need} MiB, + 96 MiB "
            "working set (--mem to choose)", *pvm, "Kiln 0.1.0 (x86_64)",
            "fake: booted"]
    assert lines(r.stderr)[:len(want)] == want
    assert r.returncode == 7


def test_run_no_marker(fake, image):
    r = fake("nomarker", str(image))
    err = lines(r.stderr)
    assert r.returncode == VMFAIL
    assert err[0] == "kiln: VM ended without an exit status"
    assert "fake: something went wrong" in err


def test_run_timeout(fake, image):
    r = fake("hang", "--timeout", "1", str(image))
    assert r.returncode == TIMEOUT
    assert lines(r.stderr)[-1] == f"kiln: {image}: timed out after 1 seconds"


def test_run_signal_symbolized(fake, image, progs):
    nm = subprocess.run(["nm", str(progs / "probe")], capture_output=True,
                        text=True, check=True, timeout=T).stdout
    main = next(int(ln.split()[0], 16) for ln in nm.splitlines()
                if ln.split()[2:] == ["main"])
    r = fake("signal", str(image), FAKE_QEMU_RIP=f"{main + 5:x}")
    assert r.returncode == SIGNAL + 11
    assert lines(r.stderr) == [f"kiln: /bin/probe: killed by signal 11 (SIGSEGV) "
                               f"at 0x{main + 5:x} <main+0x5>, address 0x0"]


def test_run_kernel_panic(fake, image):
    """The kernel's status, with its report (kept from the log) on stderr."""
    r = fake("panic", str(image))
    assert r.returncode == PANIC and r.stdout == b""
    assert lines(r.stderr) == ["kiln: the kernel log ends with:",
                               "Kiln 0.1.0 (x86_64)", "fake: booted",
                               "kiln: panic: fake: broken invariant",
                               "kiln: exit status 125"]


@pytest.mark.parametrize("status", [0, FAIL, USAGE, VMFAIL, TIMEOUT, NOEXEC,
                                    NOTFOUND, 255])
def test_run_app_status_passes_through(fake, image, status):
    """The app's own status is kiln's, even one kiln also uses for itself."""
    r = fake("status", str(image), FAKE_QEMU_STATUS=str(status))
    assert (r.returncode, r.stderr) == (status, b"")


def test_run_temp_image_too_large(fake, image):
    """The repacked image cannot be written: status 1, no temp file (the
    fake fixture checks; it never had a name), QEMU never started. An argument makes it
    repack: a piped stdin is streamed, not put in the image."""
    r = fake("echo", str(image), "x", limit=(resource.RLIMIT_FSIZE, 100000))
    assert (r.returncode, r.stdout) == (FAIL, b"")
    assert lines(r.stderr) == [f"kiln: {fake.tmp}: cannot write the "
                               "temporary image (File too large)"]


def test_run_missing_qemu(image, tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    r = kiln("run", str(image), env=env)
    assert r.returncode == VMFAIL
    assert lines(r.stderr) == ["kiln: cannot start qemu-system-x86_64: "
                               "No such file or directory"]


# ---- run, real QEMU ----

def test_run_boots_kernel(image):
    """The kernel boots and reports a status (whatever the app does)."""
    r = kiln("run", "--verbose", "--timeout", "60", str(image), "hello")
    err = r.stderr.decode()
    assert "Kiln 0.1.0 (x86_64)" in err
    assert "VM ended without an exit status" not in err
    assert r.returncode not in (VMFAIL, TIMEOUT, PANIC) or "KVM internal error" in err





def real(image, *args, input=b""):
    # TCG: every test must pass without KVM (docs: DESIGN "kiln run").
    return kiln("run", "--accel", "tcg", "--timeout", "60", str(image), *args,
                input=input)


def test_run_stdout_and_status(image):
    r = real(image, "hello")
    assert (r.stdout, r.stderr, r.returncode) == (b"hello\n", b"", 3)


def test_run_image_from_a_fifo(image, tmp_path):
    """An image read from a FIFO, with nothing to change in it: kiln has
    read it whole, so it boots a copy; given to QEMU by name, the FIFO
    was empty and the VM said nothing at all."""
    fifo = tmp_path / "probe.fifo"
    os.mkfifo(fifo)
    p = subprocess.Popen([KILN, "run", "--accel", "tcg", "--timeout", "60",
                          str(fifo)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(fifo, "wb") as f:
        f.write(image.read_bytes())
    out, err = p.communicate(timeout=T)
    assert (out, err, p.returncode) == (b"hello\n", b"", 3)


def test_run_fifo_that_is_no_image(tmp_path):
    """A FIFO that is not an image is refused once read: building it as
    a program opened the FIFO again and waited for another writer."""
    fifo = tmp_path / "junk.fifo"
    os.mkfifo(fifo)
    p = subprocess.Popen([KILN, "run", str(fifo)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with open(fifo, "wb") as f:
            f.write(b"#!/bin/sh\necho not an image\n")
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=T)
    assert lines(err) == [f"kiln: {fifo}: not a Kiln image (bad magic), "
                          "and only a regular file is built as a program"]
    assert (out, p.returncode) == (b"", FAIL)


def test_run_q35_stdout_is_the_apps(image):
    # SeaBIOS's banner and "Booting from ROM.." stay off COM1.
    r = kiln("run", "--accel", "tcg", "--machine", "q35", "--timeout", "60",
             str(image), "hello")
    assert (r.stdout, r.stderr, r.returncode) == (b"hello\n", b"", 3)


def test_run_read_only_memory_root():
    """--read-only without a root disk: the in-memory root is read-only
    too (EROFS); /tmp, /dev and /proc stay writable, as with a root disk.
    Without it, all writable."""
    script = ("echo x > /f 2>/dev/null || echo f; mkdir /bin/d 2>/dev/null"
              " || echo d; rm /bin/busybox 2>/dev/null || echo rm; echo y > "
              "/dev/null && mkdir /tmp/d && head -1 /proc/mounts")
    r = kiln("run", "--accel", "tcg", "--read-only", "--timeout", "90",
             "/bin/busybox", "sh", "-c", script)
    assert (r.stdout, r.returncode) == (
        b"f\nd\nrm\nrootfs / rootfs ro 0 0\n", 0), r.stderr
    r = kiln("run", "--accel", "tcg", "--timeout", "90", "/bin/busybox",
             "sh", "-c", script)
    assert (r.stdout, r.returncode) == (b"rootfs / rootfs rw 0 0\n", 0), \
        r.stderr


def test_run_stderr(image):
    r = real(image, "stderr")
    assert (r.stdout, r.stderr, r.returncode) == (b"", b"to stderr\n", 0)


def test_run_binary_stdout(image):
    r = real(image, "binary")
    assert r.stdout == bytes(range(256)) * 2 and r.returncode == 0


def test_run_args(image):
    r = real(image, "args", "two words", "")
    assert r.stdout == b"/bin/probe\nargs\ntwo words\n\n" and r.returncode == 0


def test_run_env(image):
    r = kiln("run", "--accel", "tcg", "--timeout", "60", "--env", "A=b c",
             str(image), "env")
    assert lines(r.stdout) == ["PATH=/bin:/usr/bin", "HOME=/", "A=b c"]


def test_run_stdin(image):
    data = bytes(range(256)) + b"end\n"
    r = real(image, "stdin", input=data)
    assert r.stdout == data and r.returncode == 0


def test_run_segv_report(image, progs):
    r = real(image, "segv")
    assert r.returncode == SIGNAL + 11
    assert re.fullmatch(r"kiln: /bin/probe: killed by signal 11 \(SIGSEGV\) at "
                        r"0x[0-9a-f]+ <main\+0x[0-9a-f]+>, address 0x0",
                        r.stderr.decode().strip())


def renamed_program(image, tmp_path, program):
    """A copy of image whose boot config names another program, resealed."""
    data = bytearray(image.read_bytes())
    off = bundle_offset(data)
    at = data.index(b"/bin/probe", off)  # the PROGRAM entry comes first
    data[at:at + len(program)] = program
    header, = struct.unpack_from("<I", data, off + 12)
    total, = struct.unpack_from("<Q", data, off + 16)
    struct.pack_into("<I", data, off + 28,
                     zlib.crc32(bytes(data[off + header:off + total])))
    out = tmp_path / "renamed.img"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("cmd", ["inspect", "run"])
@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_device_is_not_a_file(cmd, path):
    """A device is refused at once: /dev/zero used to be read forever."""
    r = kiln(cmd, path)
    assert lines(r.stderr) == [f"kiln: {path}: not a regular file or FIFO"]
    assert (r.stdout, r.returncode) == (b"", FAIL)


@pytest.mark.parametrize("cmd", ["inspect", "run"])
def test_socket_is_not_a_file(cmd, tmp_path):
    """A socket is refused by its type, not by open's ENXIO."""
    import socket
    path = str(tmp_path / "img.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(path)
        r = kiln(cmd, path)
    assert lines(r.stderr) == [f"kiln: {path}: not a regular file or FIFO"]
    assert (r.stdout, r.returncode) == (b"", FAIL)


@pytest.mark.parametrize("mem", ["1k", "1M", "2M"])
def test_run_mem_below_image(image, mem):
    """RAM that cannot hold the image left QEMU spinning forever; kiln
    refuses it before booting."""
    r = kiln("run", "--accel", "tcg", "--mem", mem, str(image))
    assert re.fullmatch(rf"kiln: --mem {mem}: too small for {re.escape(str(image))}"
                        r" \(it needs at least \d+ MiB\)\n", r.stderr.decode())
    assert (r.stdout, r.returncode) == (b"", USAGE)


def test_run_mem_just_enough(image):
    """The floor kiln names is enough to boot."""
    r = kiln("run", "--accel", "tcg", "--mem", "1k", str(image))
    need = re.search(r"at least (\d+) MiB", r.stderr.decode()).group(1)
    r = kiln("run", "--accel", "tcg", "--timeout", "60", "--mem", need + "M",
             str(image))
    assert (r.stdout, r.returncode) == (b"hello\n", 3), r.stderr


def qemu_child(parent):
    """/proc/PID/status of parent's QEMU child, once it has one, else None."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        if (re.search(rf"^PPid:\s+{parent}$", status, re.M)
                and re.search(r"^Name:\s+qemu-system", status, re.M)):
            return status
    return None


def qemu_child_started(p, timeout):
    """/proc/PID/status of kiln p's QEMU child once the guest is about to
    start (for root, after -runas, the last step before it), or the last
    status seen (None if none) when p exits or timeout seconds pass."""
    status, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        status = qemu_child(p.pid)
        if status and (os.geteuid() != 0 or
                       re.search(r"^Uid:\s+65534\s", status, re.M)):
            break
        time.sleep(0.05)
    return status

def test_run_qemu_is_confined(tmp_path):
    """The real QEMU runs under a seccomp filter and, for root, as nobody."""
    img = tmp_path / "sleep.img"
    r = kiln("build", "-o", str(img), "/bin/busybox", "sleep", "3")
    assert r.returncode == 0, r.stderr
    p = subprocess.Popen([KILN, "run", "--accel", "tcg", "--timeout", "60",
                          str(img)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        status = qemu_child_started(p, 30)
        assert status is not None, "no QEMU child seen"
        assert re.search(r"^Seccomp:\s+2$", status, re.M), status
        if os.geteuid() == 0:
            assert re.search(r"^Uid:(\s+65534){4}$", status, re.M), status
            assert re.search(r"^CapEff:\s+0+$", status, re.M), status
    finally:
        out, err = p.communicate(timeout=60)
    assert (out, p.returncode) == (b"", 0), err


def qemu_alive(pid):
    """True while /proc/PID exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_run_killed_leaves_no_temp_image(tmp_path):
    """kiln run writes a temporary image (here for --env, with a piped
    stdin streamed) that has no name at all: QEMU opens it as /dev/fd/N,
    inherited. So nothing is in TMPDIR even while the VM runs, and a
    SIGKILL of kiln and its QEMU (their process group) leaves nothing;
    a named file stayed behind then."""
    img = tmp_path / "sleep.img"
    r = kiln("build", "-o", str(img), "/bin/busybox", "sleep", "30")
    assert r.returncode == 0, r.stderr
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([KILN, "run", "--accel", "tcg", "--timeout", "60",
                          "--env", "X=1", str(img)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True,
                         env=dict(os.environ, TMPDIR=str(tmp)))
    try:
        status = qemu_child_started(p, 60)
        assert status is not None and p.poll() is None, "no QEMU child seen"
        qemu = re.search(r"^Pid:\s+(\d+)$", status, re.M).group(1)
        with open(f"/proc/{qemu}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        assert re.fullmatch(rb"/dev/fd/\d+", argv[argv.index(b"-kernel") + 1])
        assert os.listdir(tmp) == []
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10  # QEMU, its child too, is reaped by init
    while qemu_alive(qemu) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.listdir(tmp) == [], "the temporary image outlived kiln"


def test_run_bad_workdir(progs, tmp_path):
    """A working directory missing from the image: the app cannot start
    (126), which is not the missing program's 127."""
    out = tmp_path / "wd.img"
    r = kiln("build", "-o", str(out), "--workdir", "/no/such/dir",
             str(progs / "probe"))
    assert r.returncode == 0, r.stderr
    r = real(out)
    assert (r.stdout, r.returncode) == (b"", NOEXEC)


@pytest.mark.parametrize("program,status", [(b"/bin/nope!", NOTFOUND),
                                            (b"/dev//null", NOEXEC)])
def test_run_program_cannot_start(image, tmp_path, program, status):
    """The kernel's shell-like statuses: 127 not there, 126 not runnable,
    and its reason as kiln's one line."""
    r = real(renamed_program(image, tmp_path, program))
    assert (r.stdout, r.returncode) == (b"", status)
    why = "not found (error 2)" if status == NOTFOUND else \
        "not a runnable program (error 13)"
    assert lines(r.stderr) == [f"kiln: cannot start {program.decode()}: {why}"]


BIG_DATA_C = r"""
#include <stdio.h>
/* 24 MiB of initialised, writable data: each page a private copy at exec */
char big[24 << 20] = { 1 };
int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", big[argc - 1] + big[sizeof(big) - argc]);
	return 5;
}
"""


EXEC_BIG_C = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	char *argv[] = { "/bin/big", NULL };
	execv(argv[0], argv);
	printf("execv: %s\n", strerror(errno));
	return 7;
}
"""


def test_run_program_out_of_memory(tmp_path):
    """A program whose data does not fit the guest's memory is reported as
    out of memory (126), not as a program that cannot run; with memory
    enough the same image runs."""
    prog = musl_static(tmp_path, "big", BIG_DATA_C)
    img = tmp_path / "big.img"
    r = kiln("build", "-o", str(img), str(prog))
    assert r.returncode == 0, r.stderr
    r = kiln("run", "--accel", "tcg", "--mem", "1k", str(img))
    need = int(re.search(r"at least (\d+) MiB", r.stderr.decode()).group(1))
    r = kiln("run", "--accel", "tcg", "--timeout", "60", "--mem",
             f"{need + 4}M", str(img))
    assert (r.stdout, r.returncode) == (b"", NOEXEC)
    assert lines(r.stderr) == ["kiln: cannot start /bin/big: out of memory "
                               "(give the VM more with --mem)"]
    r = kiln("run", "--accel", "tcg", "--timeout", "60", "--mem",
             f"{need + 48}M", str(img))
    assert (r.stdout, r.stderr, r.returncode) == (b"1\n", b"", 5)
    # execve of it from a running app, as short of memory: -ENOMEM to the
    # caller, which lives on (Linux would kill it past the point of no return)
    ex = musl_static(tmp_path, "ex", EXEC_BIG_C)
    img = tmp_path / "ex.img"
    r = kiln("build", "-o", str(img), "--file", f"{prog}:/bin/big", str(ex))
    assert r.returncode == 0, r.stderr
    r = kiln("run", "--accel", "tcg", "--timeout", "60", "--mem",
             f"{need + 4}M", str(img))
    assert (r.stdout, r.stderr, r.returncode) == (
        b"execv: Out of memory\n", b"", 7)
    r = kiln("run", "--accel", "tcg", "--timeout", "60", "--mem",
             f"{need + 48}M", str(img))
    assert (r.stdout, r.stderr, r.returncode) == (b"1\n", b"", 5)


# ---- the library closure of dynamic programs (Makefile: closure-tests) ----

CLO = os.path.join(ROOT, "build", "tests", "closure")


def closure_bin(*parts):
    path = os.path.join(CLO, *parts)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run make first")
    return path


def inspect_libs(img):
    """kiln inspect's library lines as (name, guest, host, needed by)."""
    r = kiln("inspect", str(img))
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    libs = out[out.index("libraries:") + 1:out.index("files:")]
    pat = r"  (\S+) => (\S+) \(host (\S+), needed by (\S+)\)"
    return [re.fullmatch(pat, line).groups() for line in libs]


def inspect_files(img):
    """kiln inspect's file lines as {guest path: symlink target or mode}."""
    out = lines(kiln("inspect", str(img)).stdout)
    files = {}
    for line in out[out.index("files:") + 1:]:
        m = re.fullmatch(r"  (\S+) +\d+ (\S+)(?: -> (\S+))?", line)
        files[m.group(2)] = m.group(3) or m.group(1)
    return files


def host_link_chain(path):
    """Every symlink the kernel meets resolving path on the host, in order,
    as (path, target), and the regular file it ends at."""
    links, seen = [], 0
    todo = [c for c in path.split("/") if c]
    cur = ""
    while todo:
        comp = todo.pop(0)
        nxt = f"{cur}/{comp}"
        if os.path.islink(nxt):
            target = os.readlink(nxt)
            links.append((nxt, target))
            todo = [c for c in target.split("/") if c] + todo
            if target.startswith("/"):
                cur = ""
            seen += 1
            assert seen < 40
        else:
            cur = os.path.normpath(nxt)
    return links, cur


@pytest.mark.parametrize("flavour,interp,libc", [
    ("glibc", "/lib64/ld-linux-x86-64.so.2", "libc.so.6"),
    ("musl", "/lib/ld-musl-x86_64.so.1", None),
])
def test_build_dynamic_program(tmp_path, flavour, interp, libc):
    """The interpreter and libc with their host paths, every symlink on
    the way kept as the host has it, the host's ld.so.cache for glibc."""
    prog = closure_bin("bin", f"hello-{flavour}")
    img = tmp_path / "h.img"
    r = kiln("build", "-o", str(img), prog)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    libs = inspect_libs(img)
    want = [(interp, interp, os.path.realpath(interp), f"/bin/hello-{flavour}")]
    if libc:
        libc_dir = "/lib/x86_64-linux-gnu"
        want.append((libc, f"{libc_dir}/{libc}",
                     os.path.realpath(f"{libc_dir}/{libc}"),
                     f"/bin/hello-{flavour}"))
        want += glibc_runtime(f"{libc_dir}/{libc}")
    assert libs == want
    files = inspect_files(img)
    for _, guest, host, _ in want:
        links, real = host_link_chain(guest)
        assert real == host
        for path, target in links:
            assert files[path] == target, path
        assert files[real].startswith("-r")
        assert open(host, "rb").read() in img.read_bytes()
    assert ("/etc/ld.so.cache" in files) == (libc is not None
                                              and os.path.exists("/etc/ld.so.cache"))


def glibc_runtime(libc):
    """The library glibc opens by name at run time, as `kiln inspect`
    lists it when the host has it (needed by libc.so.6)."""
    gcc_s = "/lib/x86_64-linux-gnu/libgcc_s.so.1"
    if not os.path.exists(gcc_s):
        return []
    return [("libgcc_s.so.1", gcc_s, os.path.realpath(gcc_s), libc)]


def test_build_runpath_origin(tmp_path):
    """RUNPATH $ORIGIN/../lib: /bin/../lib in the guest, found on the host
    next to the program, its soname symlink kept."""
    img = tmp_path / "o.img"
    r = kiln("build", "-o", str(img), closure_bin("bin", "origin"))
    assert r.returncode == 0, r.stderr
    libs = inspect_libs(img)
    kclo = [l for l in libs if l[0] == "libkclo.so.1"]
    assert kclo == [("libkclo.so.1", "/lib/libkclo.so.1",
                     closure_bin("lib", "libkclo.so.1.0.0"), "/bin/origin")]
    files = inspect_files(img)
    # /lib is the host's own link on a merged-/usr host, a directory otherwise.
    libdir = "/usr/lib" if files.get("/lib") == "usr/lib" else "/lib"
    assert files[f"{libdir}/libkclo.so.1"] == "libkclo.so.1.0.0"
    assert files[f"{libdir}/libkclo.so.1.0.0"].startswith("-rwx")
    assert [l[0] for l in libs] == ["/lib64/ld-linux-x86-64.so.2",
                                    "libkclo.so.1", "libc.so.6"] + \
        [l[0] for l in glibc_runtime("/lib/x86_64-linux-gnu/libc.so.6")]


def test_build_missing_library(tmp_path):
    """One line naming the library and who needs it; status 1; no image."""
    r = kiln("build", "-o", str(tmp_path / "g.img"), closure_bin("bin", "needs-gone"))
    assert r.returncode == FAIL
    assert lines(r.stderr) == ["kiln: libgone.so: not found (needed by /bin/needs-gone)"]
    assert os.listdir(tmp_path) == []


def test_build_dir_elf_gets_its_libraries(progs, tmp_path):
    """A --dir shared object's libraries come along though the (static)
    program needs none."""
    img = tmp_path / "p.img"
    r = kiln("build", "-o", str(img), "--dir",
             closure_bin("plugins") + ":/opt/plugins", str(progs / "probe"))
    assert r.returncode == 0, r.stderr
    libs = {l[0]: l for l in inspect_libs(img)}
    gnu = "/lib/x86_64-linux-gnu"
    assert libs["libm.so.6"] == ("libm.so.6", f"{gnu}/libm.so.6",
                                 os.path.realpath(f"{gnu}/libm.so.6"),
                                 "/opt/plugins/plugin.so")
    assert libs["libc.so.6"][3] == "/opt/plugins/plugin.so"
    assert "/lib64/ld-linux-x86-64.so.2" not in libs


def test_build_static_has_no_libraries(image):
    out = lines(kiln("inspect", str(image)).stdout)
    assert "libraries:" not in out


def image_load_end(path):
    """Where the image's last PT_LOAD ends in guest-physical memory."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    end = 0
    for i in range(phnum):
        typ, = struct.unpack_from("<I", data, phoff + 56 * i)
        paddr, _, memsz = struct.unpack_from("<QQQ", data, phoff + 56 * i + 24)
        if typ == 1:
            end = max(end, paddr + memsz)
    return end


def test_run_default_mem_fits_image(fake, progs, tmp_path):
    """Without --mem, guest memory is 128M or the image + 96 MiB working
    set, rounded up to 16 MiB, whichever is more; --verbose says so."""
    big = tmp_path / "big"
    big.write_bytes(b"\0" * (40 << 20))
    img = tmp_path / "big.img"
    r = kiln("build", "-o", str(img), "--file", f"{big}:/big", str(progs / "probe"))
    assert r.returncode == 0, r.stderr
    end = image_load_end(img)
    mib = 1 << 20
    want = -(-(end + 96 * mib) // (16 * mib)) * 16
    assert want > 128
    r = fake("args", "--verbose", str(img))
    argv = json.loads(r.stdout)
    assert argv[argv.index("-m") + 1] == f"{want}M"
    said = [l for l in lines(r.stderr) if l.startswith("kiln: guest memory")]
    assert said == [f"kiln: guest memory {want}M: the image needs "
                    f"{-(-end // mib)} MiB, + 96 MiB working set (--mem to choose)"]
    r = fake("args", "--mem", "100M", str(img))
    assert json.loads(r.stdout)[argv.index("-m") + 1] == "100M"


def test_run_default_mem_small_image(fake, image):
    r = fake("args", str(image))
    argv = json.loads(r.stdout)
    assert argv[argv.index("-m") + 1] == "128M"
    assert r.stderr == b""


def test_build_file_libraries_win(tmp_path):
    """Interpreter and libc given with --file are the ones the guest's
    loader finds: nothing else is added for them, inspect says so."""
    img = tmp_path / "f.img"
    ldso, libc = "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"
    r = kiln("build", "-o", str(img), "--file", f"{ldso}:{ldso}", "--file",
             f"{libc}:{libc}", closure_bin("bin", "hello-glibc"))
    assert r.returncode == 0, r.stderr
    out = lines(kiln("inspect", str(img)).stdout)
    assert out[out.index("libraries:") + 1:out.index("files:")] == [
        f"  {ldso} => {ldso} (in the image, needed by /bin/hello-glibc)",
        f"  libc.so.6 => {libc} (in the image, needed by /bin/hello-glibc)"] + [
        f"  {name} => {guest} (host {host}, needed by {by})"
        for name, guest, host, by in glibc_runtime(libc)]
    files = inspect_files(img)
    assert files["/lib64"].startswith("d") and files["/lib"].startswith("d")
    assert not any(p.startswith("/usr/lib") for p in files)


def test_build_no_libraries(tmp_path):
    """--no-libraries: the image holds only what --file and --dir give."""
    img = tmp_path / "n.img"
    r = kiln("build", "-o", str(img), "--no-libraries",
             closure_bin("bin", "hello-glibc"))
    assert r.returncode == 0, r.stderr
    out = lines(kiln("inspect", str(img)).stdout)
    assert "libraries:" not in out
    assert sorted(inspect_files(img)) == ["/bin", "/bin/hello-glibc", "/dev",
                                          "/etc", "/proc", "/tmp"]


@pytest.mark.parametrize("name", ["hello-musl", "hello-glibc", "origin"])
def test_run_dynamic_closure(tmp_path, name):
    """Built with nothing but the program, it boots through the libraries
    the closure added: the same stdout and status as natively."""
    prog = closure_bin("bin", name)
    native = subprocess.run([prog], capture_output=True, timeout=T)
    img = tmp_path / f"{name}.img"
    r = kiln("build", "-o", str(img), prog)
    assert r.returncode == 0, r.stderr
    r = real(img)
    assert (r.stdout, r.returncode) == (native.stdout, native.returncode), r.stderr
    assert native.stdout in (b"hello\n", b"kclo 42\n")
