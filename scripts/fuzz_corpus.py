#!/usr/bin/env python3
"""fuzz_corpus.py - write the seed corpus of the parser fuzzers (tests/fuzz/corpus/NAME/).

Each file is a small valid input, built here from the format documents
(include/kiln/image.h, the newc cpio format, the ELF gABI) rather than by
the code under test, so a bug in a writer cannot hide the same bug in its
reader. Usage: fuzz_corpus.py [OUTDIR]  (default tests/fuzz/corpus)
"""
import gzip
import io
import os
import struct
import tarfile
import sys
import zlib

# ---- boot configuration entries (include/kiln/image.h) ----
CFG_PROGRAM, CFG_ARG, CFG_ENV, CFG_WORKDIR, CFG_NET = 1, 2, 3, 4, 5
CFG_USER, CFG_PORT, CFG_VOLUME, CFG_FROM = 7, 8, 9, 10


def cfg_entry(kind, value):
    value = value.encode()
    pad = (-len(value)) % 8
    return struct.pack("<II", kind, len(value)) + value + b"\0" * pad


def config(program, args=(), env=(), workdir=None, net=None, extra=b""):
    out = cfg_entry(CFG_PROGRAM, program)
    for a in args:
        out += cfg_entry(CFG_ARG, a)
    for e in env:
        out += cfg_entry(CFG_ENV, e)
    if workdir:
        out += cfg_entry(CFG_WORKDIR, workdir)
    if net:
        out += cfg_entry(CFG_NET, net)
    return out + extra


# ---- newc cpio ----
def cpio_entry(name, mode, data=b"", ino=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 2 if mode & 0o170000 == 0o040000 else 1, 0,
              len(data), 0, 0, 0, 0, len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08x" % f for f in fields) + name_b
    hdr += b"\0" * ((-len(hdr)) % 4)
    return hdr + data + b"\0" * ((-len(data)) % 4)


def cpio(entries):
    out = b"".join(cpio_entry(n, m, d, i + 1) for i, (n, m, d) in enumerate(entries))
    return out + cpio_entry("TRAILER!!!", 0, b"", 0)


# ---- bundle (include/kiln/image.h) ----
BUNDLE_HDR = 32 + 24 * 8
SEC_CONFIG, SEC_ROOTFS, SEC_STDIN = 1, 2, 3


def bundle(sections):
    body, descs, at = b"", [], BUNDLE_HDR
    for kind, data in sections:
        descs.append(struct.pack("<IIQQ", kind, 0, at, len(data)))
        body += data
        at += len(data)
        pad = (-at) % 8
        body += b"\0" * pad
        at += pad
    total = BUNDLE_HDR + len(body)
    descs += [b"\0" * 24] * (8 - len(descs))
    hdr = b"KILNBDL1" + struct.pack("<IIQII", 1, BUNDLE_HDR, total, len(sections),
                                    zlib.crc32(body) & 0xffffffff)
    return hdr + b"".join(descs) + body


# ---- ELF64 x86_64 (gABI 4.1-4.4) ----
PT_LOAD, PT_INTERP, PT_TLS, PT_GNU_STACK = 1, 3, 7, 0x6474e551


def ehdr(etype, entry, phnum, shoff=0, shnum=0, shstrndx=0):
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    return ident + struct.pack("<HHIQQQIHHHHHH", etype, 62, 1, entry, 64, shoff, 0,
                               64, 56, phnum, 64, shnum, shstrndx)


def phdr(ptype, flags, offset, vaddr, filesz, memsz, align=0x1000):
    return struct.pack("<IIQQQQQQ", ptype, flags, offset, vaddr, vaddr, filesz,
                       memsz, align)


def elf_exec(base=0x400000, pie=False, interp=None, tls=False, symtab=False):
    """One RX PT_LOAD holding everything, code at 0x100; options add headers."""
    phs = [(PT_LOAD, 5)]
    if interp:
        phs.append((PT_INTERP, 4))
    if tls:
        phs.append((PT_TLS, 4))
    phs.append((PT_GNU_STACK, 6))
    code_off = 0x100
    code = b"\x31\xff\xb8\x3c\x00\x00\x00\x0f\x05"  # exit(0)
    blob = bytearray(code_off) + code
    interp_off = len(blob)
    if interp:
        blob += interp.encode() + b"\0"
    tls_off = len(blob)
    if tls:
        blob += b"\x2a" * 8
    entry = base + code_off
    shoff = shnum = 0
    if symtab:
        # .strtab, .symtab: one function symbol "main" over the code.
        while len(blob) % 8:
            blob += b"\0"
        strtab_off = len(blob)
        strtab = b"\0main\0"
        blob += strtab
        while len(blob) % 8:
            blob += b"\0"
        symtab_off = len(blob)
        blob += b"\0" * 24 + struct.pack("<IBBHQQ", 1, 0x12, 0, 3, entry, len(code))
        shoff = len(blob)
        shnum = 4
        null = b"\0" * 64
        strsec = struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, strtab_off, len(strtab), 0, 0, 1, 0)
        symsec = struct.pack("<IIQQQQIIQQ", 0, 2, 0, 0, symtab_off, 48, 1, 1, 8, 24)
        text = struct.pack("<IIQQQQIIQQ", 0, 1, 6, entry, code_off, len(code), 0, 0, 16, 0)
        blob += null + strsec + symsec + text
    size = len(blob)
    table = b""
    for ptype, flags in phs:
        if ptype == PT_LOAD:
            table += phdr(PT_LOAD, flags, 0, base, size, size + 0x1000)
        elif ptype == PT_INTERP:
            table += phdr(PT_INTERP, 4, interp_off, base + interp_off,
                          len(interp) + 1, len(interp) + 1, 1)
        elif ptype == PT_TLS:
            table += phdr(PT_TLS, 4, tls_off, base + tls_off, 8, 16, 8)
        else:
            table += phdr(PT_GNU_STACK, 6, 0, 0, 0, 0, 16)
    head = ehdr(3 if pie else 2, entry, len(phs), shoff, shnum, 0)
    blob[0:len(head) + len(table)] = head + table
    assert len(head) + len(table) <= code_off
    return bytes(blob)


def image(kernel_version=b"Kiln 0.1.0", sections=()):
    """A fake kernel (one PT_LOAD, a version string), then the bundle at a
    page and the new program header table, as cli/image.c lays them out."""
    kernel = bytearray(ehdr(2, 0x100000, 1)) + phdr(PT_LOAD, 5, 0, 0x100000,
                                                    0x200, 0x200)
    kernel += kernel_version + b"\0"
    kernel += b"\0" * ((-len(kernel)) % 4096)
    boff = len(kernel)
    b = bundle(sections)
    out = kernel + b
    out += b"\0" * ((-len(out)) % 8)
    phoff = len(out)
    out += phdr(PT_LOAD, 5, 0, 0x100000, 0x200, 0x200)
    out += phdr(PT_LOAD, 4, boff, 0x101000, len(b), len(b))
    out[32:40] = struct.pack("<Q", phoff)   # e_phoff
    out[56:58] = struct.pack("<H", 2)       # e_phnum
    return bytes(out)


def corpus():
    rootfs = cpio([("bin", 0o040755, b""), ("bin/app", 0o100755, elf_exec()),
                   ("etc", 0o040755, b""), ("etc/motd", 0o100644, b"hello\n"),
                   ("etc/link", 0o120777, b"motd")])
    small_rootfs = cpio([("bin/app", 0o100755, b"\x7fELF")])
    cfg = config("/bin/app", ["app", "arg one"], ["PATH=/bin", "HOME=/"], "/etc",
                 "ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3")
    cfg_min = config("/bin/app")
    cfg_new_type = config("/bin/app", ["app"], extra=cfg_entry(99, "future"))
    return {
        "bundle": {
            "full": bundle([(SEC_CONFIG, cfg), (SEC_ROOTFS, rootfs),
                            (SEC_STDIN, b"input line\n")]),
            "minimal": bundle([(SEC_CONFIG, cfg_min), (SEC_ROOTFS, small_rootfs)]),
            "empty": bundle([]),
        },
        "cpio": {
            "tree": rootfs,
            "one_file": small_rootfs,
            "dot_slash": cpio([("./etc", 0o040755, b""), ("./etc/a", 0o100600, b"abc")]),
            "trailer_only": cpio([]),
        },
        "elf": {
            "exec": elf_exec(),
            "pie_tls": elf_exec(base=0, pie=True, tls=True),
            "dynamic": elf_exec(interp="/lib64/ld-linux-x86-64.so.2"),
            "symtab": elf_exec(symtab=True),
        },
        "config": {
            "full": cfg,
            "minimal": cfg_min,
            "dhcp": config("/bin/app", ["app"], net="ip=dhcp dns=1.1.1.1"),
            "new_type": cfg_new_type,
            "oci": config("/bin/sh", ["sh", "-c", "id"], extra=(
                cfg_entry(CFG_USER, "1000:1000") + cfg_entry(CFG_FROM, "oci:x@sha256:" + "0" * 64)
                + cfg_entry(CFG_PORT, "80/tcp") + cfg_entry(CFG_VOLUME, "/data"))),
        },
        "netcfg": {  # first byte: bit 0 set = keys prefixed "kiln."
            "static": b"\0ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3",
            "dhcp": b"\0ip=dhcp dns=8.8.8.8",
            "cmdline": b"\1console=ttyS0 kiln.ip=192.168.1.20/31 kiln.gw=192.168.1.21",
            "quoted": b"\1kiln.ip=\"10.1.2.3\" kiln.dns=10.0.0.1 kiln.ip=dhcp",
        },
        "cmdline": {
            "kiln": b"kiln.trace kiln.ip=10.0.2.15/24 kiln.mem=64M kiln.test=null",
            "virtio": b"virtio_mmio.device=512@0xfeb00000:12 virtio_mmio.device=512@0xfeb00200:13",
            "quotes": b"a=\"b c\" d= e \"f=g\" kiln.net_loss=0x10",
        },
        "oci_layer": oci_layers(),
        "image": {
            "full": image(sections=[(SEC_CONFIG, cfg), (SEC_ROOTFS, rootfs)]),
            "stdin": image(sections=[(SEC_CONFIG, cfg_min), (SEC_ROOTFS, small_rootfs),
                                     (SEC_STDIN, b"data")]),
        },
    }


def tar(entries, compress=False):
    """A layer tar (tarfile is not the code under test: libarchive is):
    (name, kind, data-or-target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, val in entries:
            ti = tarfile.TarInfo(name)
            ti.type = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE,
                       "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE}[kind]
            ti.mode = 0o755 if kind == "d" else 0o644
            ti.uid, ti.gid = 1000, 1000
            if kind in "lh":
                ti.linkname = val
            if kind == "f":
                ti.size = len(val)
            t.addfile(ti, io.BytesIO(val) if kind == "f" else None)
    data = buf.getvalue()
    return gzip.compress(data, mtime=0) if compress else data


def oci_layers():
    base = [("bin", "d", None), ("bin/busybox", "f", b"\x7fELF"), ("bin/sh", "l", "busybox"),
            ("etc/passwd", "f", b"root:x:0:0::/root:/bin/sh\n"), ("dir/a", "f", b"a"),
            ("hard", "h", "dir/a"), ("dev/null", "c", None)]
    return {
        "plain": tar(base),
        "gzip": tar(base, compress=True),
        "whiteouts": tar(base + [("dir/.wh..wh..opq", "f", b""), ("dir/b", "f", b"b"),
                                 (".wh.hard", "f", b""), ("./x/./y", "f", b"y")]),
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "fuzz", "corpus")
    for name, files in corpus().items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for fname, data in files.items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
