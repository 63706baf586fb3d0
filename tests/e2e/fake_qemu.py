#!/usr/bin/env python3
"""fake_qemu.py - stands in for qemu-system-x86_64 to test `kiln run`'s plumbing.

test_cli.py installs it as `qemu-system-x86_64` first on PATH. It parses
the command line kiln gives QEMU (the -chardev file paths of COM1/2/3, the
-kernel image), reads the image's bundle like the kernel would, and acts
out FAKE_QEMU_MODE:
  echo     print the boot config and the STDIN section on COM1 as JSON
  binary   bytes 0..255 (twice) on COM1, b"err\\r\\n\\0" on COM3, status 7
  nomarker a log without "kiln: exit status", QEMU exit 0
  hang     sleep until killed
  signal   report a SIGSEGV at FAKE_QEMU_RIP (hex), status 139
  args     print its own argv on COM1 (JSON), status 0
  panic    a kernel panic report on the log, status 125
  status   end with status FAKE_QEMU_STATUS, as if the app had returned it
"""
import json
import os
import struct
import sys
import time


def ports(argv):
    """iobase -> path for the chardevs kiln attached to isa-serial ports,
    and "console" -> the fd of a virtconsole's socket (a streamed stdin)."""
    paths = {}
    for i, a in enumerate(argv):
        if a == "-chardev":
            spec = dict(kv.split("=", 1) for kv in argv[i + 1].split(",")[1:])
            # a socket chardev (a streamed stdin): its fd, as an int
            paths[spec["id"]] = int(spec["fd"]) if "fd" in spec else spec.get("path")
    out = {}
    for i, a in enumerate(argv):
        if a == "-device" and argv[i + 1].startswith("isa-serial"):
            spec = dict(kv.split("=", 1) for kv in argv[i + 1].split(",")[1:])
            out[spec["iobase"]] = paths[spec["chardev"]]
        if a == "-device" and argv[i + 1].startswith("virtconsole"):
            spec = dict(kv.split("=", 1) for kv in argv[i + 1].split(",")[1:])
            out["console"] = paths[spec["chardev"]]
    return out


def stream_stdin(sock):
    """A streamed stdin to its end marker, decoded (kernel/drivers/console.c)."""
    raw = b""
    while not raw.endswith(b"\xff\x01") or raw.endswith(b"\xff\xff\x01"):
        b = os.read(sock, 65536)
        if not b:
            break
        raw += b
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i] != 0xff:
            out.append(raw[i])
            i += 1
            continue
        x = raw[i + 1] if i + 1 < len(raw) else 1
        if x == 1:
            break
        elif x == 0:
            out.append(0xff)
        i += 2
    return bytes(out)


def bundle(image):
    d = open(image, "rb").read()
    phoff, = struct.unpack_from("<Q", d, 32)
    phnum, = struct.unpack_from("<H", d, 56)
    off, = struct.unpack_from("<Q", d, phoff + 56 * (phnum - 1) + 8)
    assert d[off:off + 8] == b"KILNBDL1"
    nsec, = struct.unpack_from("<I", d, off + 24)
    sections = {}
    for i in range(nsec):
        t, _, o, s = struct.unpack_from("<IIQQ", d, off + 32 + 24 * i)
        sections[t] = d[off + o:off + o + s]
    return sections


def config(cfg):
    names = {1: "program", 2: "arg", 3: "env", 4: "workdir", 5: "net"}
    out, pos = {"arg": [], "env": []}, 0
    while pos < len(cfg):
        t, n = struct.unpack_from("<II", cfg, pos)
        val = cfg[pos + 8:pos + 8 + n].decode()
        if names[t] in ("arg", "env"):
            out[names[t]].append(val)
        else:
            out[names[t]] = val
        pos += 8 + (n + 7) // 8 * 8
    return out


def without_tsc_rate(argv):
    """argv without kiln.tsc_khz (kiln gives it under TCG when it could
    time the host's TSC, which depends on its own start-up time), "quiet"
    (every run without --verbose) and kiln.stdin_empty (a stdin that is
    /dev/null or an empty file): echo mode reports those two apart, so
    the tests see the -append of what they asked for; an -append left
    empty goes."""
    argv = list(argv)
    if "-append" in argv:
        i = argv.index("-append") + 1
        words = [w for w in argv[i].split(" ")
                 if not w.startswith("kiln.tsc_khz=") and
                 w not in ("quiet", "kiln.stdin_empty")]
        if words:
            argv[i] = " ".join(words)
        else:
            del argv[i - 1:i + 1]
    return argv


def main():
    argv = without_tsc_rate(sys.argv)
    p = ports(argv)
    sock = p.get("console")
    com1 = open(p["0x3f8"], "wb", buffering=0) if p["0x3f8"] else sys.stdout.buffer
    log = open(p["0x2f8"], "wb", buffering=0)
    com3 = open(p["0x3e8"], "wb", buffering=0)
    image = argv[argv.index("-kernel") + 1]
    mode = os.environ.get("FAKE_QEMU_MODE", "echo")
    log.write(b"Kiln 0.1.0 (x86_64)\nfake: booted\n")
    status = 0
    if mode == "echo":
        sec = bundle(image)
        info = config(sec[1])
        info["stdin"] = sec[3].decode("latin-1") if 3 in sec else None
        words = sys.argv[sys.argv.index("-append") + 1].split() \
            if "-append" in sys.argv else []
        info["stdin_empty"] = "kiln.stdin_empty" in words
        if 3 not in sec and info["stdin_empty"]:
            info["stdin"] = ""  # as the kernel reads it: EOF at once
        if sock is not None:
            info["stdin"] = stream_stdin(sock).decode("latin-1")
        info["append"] = argv[argv.index("-append") + 1] if "-append" in argv else None
        info["quiet"] = "quiet" in words
        com1.write(json.dumps(info).encode())
        log.write(b"trace: openat(\"/etc/x\") = -2\n")
    elif mode == "binary":
        com1.write(bytes(range(256)) * 2)
        com3.write(b"err\r\n\0")
        status = 7
    elif mode == "nomarker":
        log.write(b"fake: something went wrong\n")
        return 0
    elif mode == "hang":
        time.sleep(100)
    elif mode == "signal":
        rip = os.environ["FAKE_QEMU_RIP"]
        log.write(f"kiln: killed by signal 11 (SIGSEGV) at rip 0x{rip}, "
                  "address 0x0\n".encode())
        status = 139
    elif mode == "args":
        com1.write(json.dumps(argv).encode())
    elif mode == "panic":
        log.write(b"kiln: panic: fake: broken invariant\n")
        status = 125
    elif mode == "status":
        status = int(os.environ["FAKE_QEMU_STATUS"])
    log.write(f"kiln: exit status {status}\n".encode())
    return ((status & 0x7f) << 1) | 1


if __name__ == "__main__":
    sys.exit(main())
