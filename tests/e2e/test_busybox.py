"""test_busybox.py - Debian's static busybox, unmodified, inside a Kiln image, vs the host.

One image per module: /bin/busybox plus input files under /data (the
working directory), /etc/passwd and /etc/group. Each test runs one applet
in the image (argv = /bin/busybox APPLET ARGS...) and the same busybox
binary on the host, in a directory holding the same files, and compares.
Nothing here forks: sh scripts use builtins only.
"""
import gzip
import io
import os
import subprocess
import tarfile
from dataclasses import dataclass

import pytest

from guest_util import describe, kiln_build, kiln_run, run_native

BUSYBOX = "/bin/busybox"

# Input files: guest path under /data -> (contents, mode).
WORDS = "".join(f"{w}\n" for w in
                "pear apple fig apple kiwi banana fig apple cherry date kiwi lemon"
                .split())
NUMBERS = "".join(f"{(i * 37) % 101}\n" for i in range(1, 101))
TEXT = """The quick brown fox jumps over the lazy dog.
Kiln runs unmodified static Linux binaries.
root:x:0:0:root:/root:/bin/sh
  indented line with  spaces
a line with a tab\there
last line without a newline"""
BINARY = bytes(range(256)) + b"Kiln\x00\x01\x02" * 5
FILES = {
    "words.txt": (WORDS.encode(), 0o644),
    "sorted.txt": ("".join(sorted(WORDS.splitlines(True))).encode(), 0o644),
    "numbers.txt": (NUMBERS.encode(), 0o644),
    "text.txt": (TEXT.encode(), 0o644),
    "bin.dat": (BINARY, 0o644),
    "perm/a": (b"alpha\n", 0o644),
    "perm/b": (b"bravo bravo\n", 0o600),
    "perm/c": (b"#!/bin/sh\necho charlie\n", 0o755),
    "perm/d.txt": (b"", 0o444),
}
PASSWD = b"root:x:0:0:root:/root:/bin/sh\n"
GROUP = b"root:x:0:\n"


@dataclass
class Image:
    path: str       # the image file
    data: str       # host directory with the same files as the image's /data
    error: str      # why the image could not be built, or ""


def make_tar():
    """A small ustar archive of two input files, made by Python, fixed mtimes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in ("words.txt", "numbers.txt"):
            data = FILES[name][0]
            info = tarfile.TarInfo("arch/" + name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The busybox image; never raises, so a failure shows in each test."""
    tmp = tmp_path_factory.mktemp("busybox")
    data = tmp / "data"
    files = dict(FILES, **{"archive.tar": (make_tar(), 0o644)})
    pairs = []
    for name, (content, mode) in files.items():
        host = data / name
        host.parent.mkdir(parents=True, exist_ok=True)
        host.write_bytes(content)
        os.chmod(host, mode)
        pairs.append((str(host), "/data/" + name))
    for name, content in (("passwd", PASSWD), ("group", GROUP)):
        (tmp / name).write_bytes(content)
        pairs.append((str(tmp / name), "/etc/" + name))
    img = str(tmp / "busybox.img")
    if not os.path.exists(BUSYBOX):
        return Image(img, str(data), f"{BUSYBOX} missing: install busybox-static")
    try:
        r = kiln_build(img, BUSYBOX, files=pairs, workdir="/data")
    except (OSError, subprocess.TimeoutExpired) as e:
        return Image(img, str(data), f"kiln build failed: {e}")
    err = "" if r.returncode == 0 else "kiln build failed: " + describe(r)
    return Image(img, str(data), err)


def both(image, applet, *args, stdin=b"", env=None):
    """(native, kiln) results of `busybox APPLET ARGS...`."""
    assert not image.error, image.error
    native = run_native([BUSYBOX, applet, *args], env=env, stdin=stdin, cwd=image.data)
    return native, kiln_run(image.path, [applet, *args], env=env, stdin=stdin)


def same(image, applet, *args, stdin=b"", env=None, status=0):
    """Runs both ways and asserts the same stdout, stderr and status; returns stdout."""
    native, kiln = both(image, applet, *args, stdin=stdin, env=env)
    assert native.returncode == status, "native: " + describe(native)
    assert kiln.stdout.decode(errors="replace") == native.stdout.decode(errors="replace"), \
        describe(kiln)
    assert kiln.returncode == status, describe(kiln)
    assert kiln.stderr == native.stderr, describe(kiln)
    return kiln.stdout


# (test id, applet and arguments, stdin): the output must match the host's.
SIMPLE = [
    ("echo", ["echo", "hello", "world", "", "x  y"], b""),
    ("cat-files", ["cat", "words.txt", "text.txt"], b""),
    ("cat-stdin", ["cat"], b"from stdin\n" * 1000),
    ("ls-1", ["ls", "-1", "perm", "."], b""),
    ("wc", ["wc", "words.txt", "numbers.txt", "text.txt"], b""),
    ("sort", ["sort", "words.txt"], b""),
    ("uniq-c", ["uniq", "-c", "sorted.txt"], b""),
    ("head", ["head", "-n", "3", "words.txt"], b""),
    ("tail", ["tail", "-n", "4", "numbers.txt"], b""),
    ("grep", ["grep", "-n", "-i", "kiln", "text.txt", "bin.dat"], b""),
    ("grep-vc", ["grep", "-v", "-c", "apple", "words.txt"], b""),
    ("sed", ["sed", "-e", "s/a/A/g", "-e", "2,4d", "words.txt"], b""),
    ("awk-sum", ["awk", "{ s += $1 } END { print s, NR, s / NR }", "numbers.txt"], b""),
    ("md5sum", ["md5sum", "words.txt", "text.txt", "bin.dat"], b""),
    ("sha256sum", ["sha256sum", "words.txt", "bin.dat", "archive.tar"], b""),
    ("hexdump", ["hexdump", "-C", "bin.dat"], b""),
    ("tar-list", ["tar", "-tf", "archive.tar"], b""),
    ("tar-extract-stdout", ["tar", "-xOf", "archive.tar", "arch/numbers.txt"], b""),
    ("uname-sm", ["uname", "-s", "-m"], b""),
    ("date-fixed", ["date", "-u", "-d", "@1700000000", "+%Y-%m-%d %H:%M:%S %a"], b""),
    ("stat", ["stat", "-c", "%n %s %a %F", "perm/a", "perm/b", "perm/c", "perm/d.txt",
              "perm"], b""),
    ("id", ["id"], b""),
    ("tr", ["tr", "a-z", "A-Z"], b"shout this\n"),
]


@pytest.mark.parametrize("argv,stdin", [s[1:] for s in SIMPLE],
                         ids=[s[0] for s in SIMPLE])
def test_applet_matches_host(image, argv, stdin):
    out = same(image, *argv, stdin=stdin)
    assert out  # every case above prints something


def test_ls_long_modes_and_sizes(image):
    native, kiln = both(image, "ls", "-l", "perm")
    assert native.returncode == 0 and kiln.returncode == 0, describe(kiln)

    # Owner names, dates and "total" blocks depend on the file system; modes,
    # sizes and names must not.
    def stable(out):
        return [(f[0], f[4], f[-1]) for f in
                (line.split() for line in out.decode().splitlines())
                if f and f[0] != "total"]
    assert stable(kiln.stdout) == stable(native.stdout) == [
        ("-rw-r--r--", "6", "a"), ("-rw-------", "12", "b"),
        ("-rwxr-xr-x", "23", "c"), ("-r--r--r--", "0", "d.txt")], describe(kiln)


def test_find(image):
    # readdir order is the file system's; compare sorted.
    native, kiln = both(image, "find", ".", "-name", "*.txt")
    assert kiln.returncode == 0, describe(kiln)
    assert sorted(kiln.stdout.decode().splitlines()) == \
        sorted(native.stdout.decode().splitlines()) == [
            "./numbers.txt", "./perm/d.txt", "./sorted.txt", "./text.txt", "./words.txt"]


def test_gzip_round_trip(image):
    # Two runs instead of a pipe (no fork yet): compress stdin in the guest,
    # compare with the host's bytes (stdin has no name or mtime to store),
    # then decompress in the guest.
    data = (WORDS * 200 + TEXT).encode() + BINARY
    gz = same(image, "gzip", "-c", "-9", stdin=data)
    assert gzip.decompress(gz) == data
    assert same(image, "gunzip", "-c", stdin=gz) == data


def test_tar_create(image):
    native, kiln = both(image, "tar", "-cf", "-", "words.txt", "perm")
    assert kiln.returncode == 0, describe(kiln)
    with tarfile.open(fileobj=io.BytesIO(kiln.stdout)) as tar:
        names = sorted(tar.getnames())
        content = tar.extractfile("words.txt").read()
        mode = tar.getmember("perm/c").mode
    assert names == ["perm", "perm/a", "perm/b", "perm/c", "perm/d.txt", "words.txt"]
    assert content == WORDS.encode()
    assert mode == 0o755


def test_date_now(image):
    native, kiln = both(image, "date", "+%Y")
    assert kiln.returncode == 0, describe(kiln)
    year = int(kiln.stdout)
    assert year >= 2025
    assert abs(year - int(native.stdout)) <= 1  # a new year may begin in between


def test_uname_a(image):
    # Node name, release and build differ from the host's; the rest not.
    _, kiln = both(image, "uname", "-a")
    assert kiln.returncode == 0, describe(kiln)
    words = kiln.stdout.decode().split()
    assert words[0] == "Linux" and words[-2:] == ["x86_64", "GNU/Linux"], describe(kiln)


def test_env(image):
    env = {"FOO": "bar", "GREETING": "hello world", "EMPTY": ""}
    out = same(image, "env", env=env).decode()
    assert out == ("PATH=/bin:/usr/bin\nHOME=/\n"
                   "FOO=bar\nGREETING=hello world\nEMPTY=\n")


SCRIPTS = {
    "loops": 'i=0; while [ $i -lt 5 ]; do printf "%d " $i; i=$((i + 1)); done; echo;'
             ' for w in a "b c" d; do echo "[$w]"; done',
    "arithmetic": 'echo $((7 * 6)) $((2 ** 10)) $((100 / 7)) $((100 % 7)) $(( (1 << 40) + 1 ))'
                  ' $((0x1f)) $((-5 + 3))',
    "variables": 'a=hello; b="$a world"; echo "$b" ${#b} ${b%world} ${b#hel} ${u:-dflt};'
                 ' set -- x y z; echo $# "$2"; shift; echo "$@"',
    "case": 'for f in apple.txt b.tar.gz c; do case $f in *.txt) echo "$f text";;'
            ' *.tar.*) echo "$f archive";; *) echo "$f other";; esac; done',
    "functions": 'fact() { if [ $1 -le 1 ]; then echo 1; return; fi;'
                 ' local n=$1; r=1; while [ $n -gt 1 ]; do r=$((r * n)); n=$((n - 1)); done;'
                 ' echo $r; }; fact 1; fact 10; fact 20;'
                 ' f() { return 3; }; f; echo "status $?"',
    "builtins": 'test -f words.txt && echo file; [ -d perm ] && echo dir;'
                ' cd perm && echo ${PWD##*/}; read -r first; echo "got $first"; exit 7',
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_sh_script(image, name):
    script = SCRIPTS[name]
    if name == "builtins":
        out = same(image, "sh", "-c", script, stdin=b"line one\nline two\n", status=7)
        assert out == b"file\ndir\nperm\ngot line one\n"
        return
    out = same(image, "sh", "-c", script)
    assert out


def test_missing_file_fails_like_host(image):
    native, kiln = both(image, "cat", "no-such-file")
    assert native.returncode == kiln.returncode == 1, describe(kiln)
    assert kiln.stdout == b""
    assert kiln.stderr == native.stderr == b"cat: can't open 'no-such-file': No such file or directory\n"

