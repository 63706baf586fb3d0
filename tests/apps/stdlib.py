"""stdlib.py - Python's standard library at work, for tests/e2e/test_apps.py.

Run by Debian's python3 natively and under Kiln; prints only what is the
same on both (no addresses, times or pids), and exits 0 when every check
held. The database goes to the directory named by argv[1].
"""
import hashlib
import json
import os
import re
import socket
import sqlite3
import struct
import sys
import threading
import zlib

out = []

doc = {"name": "kiln", "tags": ["unikernel", "c"], "n": 3, "pi": 3.25}
text = json.dumps(doc, sort_keys=True)
out.append("json " + text)
assert json.loads(text) == doc

words = re.findall(r"[a-z]+(?=\d)", "abc1 de22 f g333 hij")
out.append("re " + ",".join(words))
out.append("re sub " + re.sub(r"(\w+)@(\w+)", r"\2 at \1", "me@here you@there"))

data = b"".join(struct.pack("<IHd", i, i % 7, i / 8) for i in range(1000))
out.append("struct %d %s" % (len(data), struct.unpack_from("<IHd", data, 6 * 14)))
out.append("sha256 " + hashlib.sha256(data).hexdigest())
out.append("md5 " + hashlib.md5(data).hexdigest())
packed = zlib.compress(data * 4, 9)
assert zlib.decompress(packed) == data * 4
out.append("zlib crc %08x adler %08x roundtrip ok" %
           (zlib.crc32(data), zlib.adler32(data)))

# Threads: each sums its share; the lock keeps the total exact.
total = 0
lock = threading.Lock()


def work(k):
    global total
    s = sum(range(k * 10000, (k + 1) * 10000))
    with lock:
        total += s


threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out.append("threads %d" % total)

# Sockets: a TCP echo over loopback, served by a thread.
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)


def echo():
    conn, _ = srv.accept()
    with conn:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            conn.sendall(chunk[::-1])


t = threading.Thread(target=echo)
t.start()
cli = socket.create_connection(srv.getsockname())
cli.sendall(b"hello, socket")
cli.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = cli.recv(65536)
    if not chunk:
        break
    got += chunk
cli.close()
t.join()
srv.close()
out.append("socket " + got.decode())
a, b = socket.socketpair()
a.sendall(b"pair")
out.append("socketpair " + b.recv(16).decode())
a.close()
b.close()

# sqlite3: write a database file, close it, open it again and read back.
path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "py.db")
if os.path.exists(path):
    os.unlink(path)
db = sqlite3.connect(path)
db.execute("create table t (k integer primary key, v text, h blob)")
db.executemany("insert into t (v, h) values (?, ?)",
               ((str(i), hashlib.md5(str(i).encode()).digest())
                for i in range(5000)))
db.commit()
db.close()
db = sqlite3.connect(path)
n, s = db.execute("select count(*), sum(length(v)) from t").fetchone()
h = db.execute("select hex(h) from t where k = 4242").fetchone()[0]
out.append("sqlite %d rows, %d chars, row 4242 %s" % (n, s, h))
db.close()
out.append("sqlite file %d bytes" % os.path.getsize(path))

print("\n".join(out))
