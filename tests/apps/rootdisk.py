"""rootdisk.py BLOB OFFSET - read a big file of a root on disk: read(),
a shared read-only mmap (python's ACCESS_READ) and the stdlib's modules
(each an import from the disk, its extension modules mapped)."""
import decimal
import hashlib
import json
import mmap
import os
import sqlite3
import sys
import zlib

blob, off = sys.argv[1], int(sys.argv[2])
with open(blob, "rb") as f:
    f.seek(off)
    print("read", os.path.getsize(blob), hashlib.sha256(f.read(1 << 20)).hexdigest())
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    print("mmap", len(m), hashlib.sha256(m[off // 2:off // 2 + (3 << 20)]).hexdigest())
    print("tail", m[-16:].hex())
    m.close()
print(json.dumps({"crc": zlib.crc32(b"kiln"), "sqlite": sqlite3.sqlite_version_info >= (3, 0)}))
print(decimal.Decimal(1) / 7)
