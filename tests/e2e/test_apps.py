"""test_apps.py - Debian's own programs, unmodified, under Kiln and natively.

Each program is the host's binary from its Debian package (scripts/deps.sh
installs them), dynamically linked against glibc: `kiln build` puts its
interpreter and library closure into the image. Every test runs the same
command natively on this host and under `kiln run` and compares what the
command printed and its exit status; the servers are compared through what
their clients print.

The servers listen inside the guest and are reached only through
`kiln run -p` on 127.0.0.1; their native twins listen on 127.0.0.1 too.
"""
import hashlib
import os
import signal
import socket
import subprocess
import time

import pytest

from guest_util import (HOST_TIMEOUT, KILN, KILN_ACCEL, ROOT, describe,
                        kiln_run, run_native)

APPS = os.path.join(ROOT, "tests", "apps")
PYTHON = "/usr/bin/python3"
PYLIB = "/usr/lib/python3.11"
VM_TIMEOUT = 240        # kiln run --timeout: python boots slowly under TCG
UP_WITHIN_S = 180.0     # a server's port answers within this


def need(*paths):
    for p in paths:
        if not os.path.exists(p):
            pytest.fail(f"{p} is missing: scripts/deps.sh installs it")


def build(tmp_path, name, program, args=(), files=(), dirs=(), env=None):
    """`kiln build` an image of a host program; returns its path."""
    img = str(tmp_path / f"{name}.img")
    cmd = [KILN, "build", "-o", img]
    for host, guest in files:
        cmd += ["--file", f"{host}:{guest}"]
    for host, guest in dirs:
        cmd += ["--dir", f"{host}:{guest}"]
    for k, v in (env or {}).items():
        cmd += ["--env", f"{k}={v}"]
    cmd += [program, *args]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    return img


def assert_same(native, kiln):
    assert kiln.stdout.decode(errors="replace") == \
        native.stdout.decode(errors="replace"), describe(kiln)
    assert kiln.returncode == native.returncode, describe(kiln)


def test_python_stdlib(tmp_path):
    """json, re, hashlib, zlib, struct, threading, socket and sqlite3
    (a database file written, closed and read again)."""
    need(PYTHON, PYLIB)
    script = os.path.join(APPS, "stdlib.py")
    native = run_native([PYTHON, script, str(tmp_path)])
    assert native.returncode == 0, describe(native)
    img = build(tmp_path, "py", PYTHON, ["/app/stdlib.py", "/tmp"],
                files=[(script, "/app/stdlib.py")], dirs=[(PYLIB, PYLIB)])
    assert_same(native, kiln_run(img, timeout=VM_TIMEOUT))


def test_python_processes(tmp_path):
    """Python starting processes (procs.py): subprocess.run of python
    itself with its output captured, a shell pipeline through /bin/sh
    (busybox sh in the image, dash natively), os.fork with os.waitpid over
    a pipe, and multiprocessing.Pool(4).map (semaphores in /dev/shm, the
    pool's pipes across fork) with the exact result."""
    need(PYTHON, PYLIB, "/bin/busybox")
    script = os.path.join(APPS, "procs.py")
    native = run_native([PYTHON, script])
    assert native.returncode == 0, describe(native)
    assert b"Pool(4).map: 328350 [0, 1, 4, 9, 16] 9801\n" in native.stdout
    img = build(tmp_path, "pyprocs", PYTHON, ["/app/procs.py"],
                files=[(script, "/app/procs.py"), ("/bin/busybox", "/bin/sh")],
                dirs=[(PYLIB, PYLIB)])
    assert_same(native, kiln_run(img, timeout=VM_TIMEOUT))


def test_sqlite3_cli(tmp_path):
    """100k rows made by a recursive CTE into a database file, aggregated
    and read back by a second sqlite3 statement list."""
    need("/usr/bin/sqlite3")
    sql = ("create table t(x integer, y text);"
           "with recursive c(x) as (select 1 union all select x + 1 from c "
           "where x < 100000) insert into t select x, printf('r%06d', x) "
           "from c;"
           "select count(*), sum(x), avg(x), max(y) from t;"
           "select y from t where x % 20000 = 0;"
           "create index ty on t(y);"
           "select x from t where y = 'r054321';")
    native = run_native(["/usr/bin/sqlite3", str(tmp_path / "t.db"), sql])
    assert native.returncode == 0, describe(native)
    assert native.stdout.startswith(b"100000|5000050000|50000.5|r100000\n")
    assert_same(native, kiln_run("/usr/bin/sqlite3", ["/tmp/t.db", sql],
                                 timeout=VM_TIMEOUT))


def test_lua_script(tmp_path):
    """A Lua 5.4 script file: tables, closures, patterns, coroutines, a
    file written and read back, and its own exit status (3)."""
    need("/usr/bin/lua5.4")
    script = os.path.join(APPS, "script.lua")
    native = run_native(["/usr/bin/lua5.4", script, str(tmp_path)])
    assert native.returncode == 3, describe(native)
    img = build(tmp_path, "lua", "/usr/bin/lua5.4", ["/app/script.lua", "/tmp"],
                files=[(script, "/app/script.lua")])
    assert_same(native, kiln_run(img, timeout=VM_TIMEOUT))


PERL_BASE = "/usr/lib/x86_64-linux-gnu/perl-base"


def test_perl_xs_modules(tmp_path):
    """perl dlopens its compiled modules (POSIX.so, Util.so, Socket.so,
    Fcntl.so, Glob.so...) from perl-base's tree; exit status 4."""
    need("/usr/bin/perl", PERL_BASE)
    script = os.path.join(APPS, "modules.pl")
    native = run_native(["/usr/bin/perl", script, str(tmp_path)])
    assert native.returncode == 4, describe(native)
    img = build(tmp_path, "perl", "/usr/bin/perl", ["/app/modules.pl", "/tmp"],
                files=[(script, "/app/modules.pl")],
                dirs=[(PERL_BASE, PERL_BASE)])
    assert_same(native, kiln_run(img, timeout=VM_TIMEOUT))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process (kiln run -p, or the native program) on a port."""

    def __init__(self, argv, port, probe):
        self.port = port
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        try:
            probe(self)
        except BaseException:
            self.stop()
            raise

    @classmethod
    def kiln(cls, image, guest_port, probe):
        port = free_port()
        return cls([KILN, "run", "--accel", KILN_ACCEL, "--timeout",
                    str(VM_TIMEOUT), "-p", f"{port}:{guest_port}/tcp", image],
                   port, probe)

    def stop(self, grace=0):
        """Stop it (SIGTERM: kiln stops QEMU) after grace seconds for it
        to end by itself, and return its output."""
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=HOST_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out, err


def curl(port, path, *opts):
    return subprocess.run(["curl", "-sS", "--max-time", "60", *opts,
                           f"http://127.0.0.1:{port}{path}"],
                          capture_output=True, timeout=HOST_TIMEOUT)


def answers_within(what, attempt):
    """A probe for Server: attempt(server) until it returns True (each
    try a second apart, for UP_WITHIN_S); else stop the server and fail,
    saying what never answered and what the server printed."""
    def probe(server):
        deadline = time.monotonic() + UP_WITHIN_S
        while time.monotonic() < deadline and server.proc.poll() is None:
            if attempt(server):
                return
            time.sleep(1)
        out, err = server.stop()
        raise AssertionError(f"{what} never answered on {server.port}:\n"
                             f"{out.decode(errors='replace')}\n"
                             f"{err.decode(errors='replace')}")
    return probe


def http_probe(path):
    return answers_within(f"HTTP GET {path}", lambda server: curl(
        server.port, path, "-o", "/dev/null", "-w", "%{http_code}").stdout == b"200")


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / "index.html").write_bytes(b"<html><body>kiln apps</body></html>\n")
    (root / "big.bin").write_bytes(os.urandom(1 << 20))
    return str(root)


def fetch_all(port):
    """What a client sees of the tree: status, type and body digests."""
    lines = []
    for path in ("/index.html", "/big.bin", "/missing"):
        r = curl(port, path, "-w", "\n%{http_code} %{content_type} %{size_download}")
        assert r.returncode == 0, describe(r)
        body, _, meta = r.stdout.rpartition(b"\n")
        lines.append(f"{path} {meta.decode()} {hashlib.sha256(body).hexdigest()}"
                     if meta.startswith(b"200") else f"{path} {meta.decode()}")
    return lines


def test_python_http_server(tmp_path, www):
    """`python3 -m http.server` published with -p, fetched with curl: the
    same statuses, types and bytes as the native server gives."""
    need(PYTHON, PYLIB)
    port = free_port()
    native = Server([PYTHON, "-m", "http.server", "--bind", "127.0.0.1",
                     "--directory", www, str(port)], port,
                    http_probe("/index.html"))
    try:
        want = fetch_all(port)
    finally:
        native.stop()
    img = build(tmp_path, "pyhttp", PYTHON,
                ["-m", "http.server", "--directory", "/www", "8000"],
                dirs=[(PYLIB, PYLIB), (www, "/www")])
    server = Server.kiln(img, 8000, http_probe("/index.html"))
    try:
        got = fetch_all(server.port)
    finally:
        out, err = server.stop()
    assert got == want, err.decode(errors="replace")


REDIS_ARGS = ["--save", "", "--appendonly", "no", "--protected-mode", "no",
              "--daemonize", "no", "--loglevel", "warning"]
INCRS = 10000


def redis_cli(port, *args, stdin=b""):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                       input=stdin, capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    return r.stdout.decode()


redis_probe = answers_within("redis PING", lambda server: subprocess.run(
    ["redis-cli", "-h", "127.0.0.1", "-p", str(server.port), "PING"],
    capture_output=True, timeout=HOST_TIMEOUT).stdout == b"PONG\n")


def redis_session(port):
    """What the clients print: SET/GET, a pipeline of INCRs whose count
    must be exact, the benchmark's tests and errors, then SHUTDOWN."""
    lines = [redis_cli(port, "SET", "greeting", "hello kiln"),
             redis_cli(port, "GET", "greeting")]
    incr = b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n" * INCRS
    piped = redis_cli(port, "--pipe", stdin=incr)
    assert f"errors: 0, replies: {INCRS}" in piped, piped
    lines.append(redis_cli(port, "GET", "counter"))
    bench = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p",
                            str(port), "-q", "-t", "set,get", "-n", "2000",
                            "-c", "8"],
                           capture_output=True, timeout=HOST_TIMEOUT)
    assert bench.returncode == 0, describe(bench)
    report = bench.stdout.decode().replace("\r", "\n")
    done = sorted(l.split(":")[0] for l in report.splitlines()
                  if "requests per second" in l)
    assert done == ["GET", "SET"], report
    assert "error" not in report.lower(), report
    lines.append(redis_cli(port, "DBSIZE"))
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port),
                    "SHUTDOWN", "NOSAVE"], capture_output=True,
                   timeout=HOST_TIMEOUT)
    return lines


def test_redis(tmp_path):
    """redis-server published with -p: redis-cli SET/GET, 10k pipelined
    INCRs counted exactly, redis-benchmark with no errors, SHUTDOWN: the
    same answers and exit status as the native server."""
    need("/usr/bin/redis-server", "/usr/bin/redis-cli")
    port = free_port()
    native = Server(["/usr/bin/redis-server", "--port", str(port), "--bind",
                     "127.0.0.1", "--dir", str(tmp_path), *REDIS_ARGS],
                    port, redis_probe)
    try:
        want = redis_session(port)
    finally:
        native.stop(grace=60)
    assert want[2] == f"{INCRS}\n"
    img = build(tmp_path, "redis", "/usr/bin/redis-server",
                ["--port", "6379", "--dir", "/tmp", *REDIS_ARGS])
    server = Server.kiln(img, 6379, redis_probe)
    try:
        got = redis_session(server.port)
    finally:
        out, err = server.stop(grace=60)
    assert got == want, err.decode(errors="replace")
    assert server.proc.returncode == native.proc.returncode, \
        err.decode(errors="replace")


def nginx_conf(tmp_path, port, root, tmp, name="nginx.conf"):
    with open(os.path.join(APPS, name)) as f:
        text = f.read()
    text = (text.replace("@PORT@", str(port)).replace("@ROOT@", root)
            .replace("@TMP@", tmp))
    path = tmp_path / f"{port}-{name}"
    path.write_text(text)
    return str(path)


def ab(port, path):
    """`ab -k -c 8` of path: the failed and completed request counts."""
    r = subprocess.run(["ab", "-q", "-k", "-c", "8", "-n", "400",
                        f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    report = r.stdout.decode()
    keep = ("Complete requests", "Failed requests", "Non-2xx")
    return [" ".join(l.split()) for l in report.splitlines()
            if l.startswith(keep)]


def test_nginx(tmp_path, www):
    """nginx (nginx-light), one process in the foreground, published with
    -p: a 1 MiB file byte-exact and index.html under ab -k -c 8 with no
    failed requests, as the native nginx serves them."""
    need("/usr/sbin/nginx", "/etc/nginx/mime.types")
    port = free_port()
    ntmp = tmp_path / "native"
    ntmp.mkdir()
    native = Server(["/usr/sbin/nginx", "-e", "stderr", "-c",
                     nginx_conf(tmp_path, port, www, str(ntmp))],
                    port, http_probe("/index.html"))
    try:
        want = fetch_all(port) + ab(port, "/index.html")
    finally:
        native.stop()
    assert "Failed requests: 0" in want, want
    img = build(tmp_path, "nginx", "/usr/sbin/nginx",
                ["-e", "stderr", "-c", "/etc/nginx/nginx.conf"],
                files=[(nginx_conf(tmp_path, 8080, "/www", "/tmp"),
                        "/etc/nginx/nginx.conf"),
                       ("/etc/nginx/mime.types", "/etc/nginx/mime.types")],
                dirs=[(www, "/www")])
    server = Server.kiln(img, 8080, http_probe("/index.html"))
    try:
        got = fetch_all(server.port) + ab(server.port, "/index.html")
    finally:
        out, err = server.stop()
    assert got == want, err.decode(errors="replace")


def ab_n(port, path, n):
    """`ab -k -c 8 -n n` of path: the failed and completed request counts."""
    r = subprocess.run(["ab", "-q", "-k", "-c", "8", "-n", str(n),
                        f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    return [" ".join(l.split()) for l in r.stdout.decode().splitlines()
            if l.startswith(("Complete requests", "Failed requests"))]


def nginx_master_run(server, port):
    """ab, then /quit (the driver's cue for SIGQUIT to the master); what
    the client saw and what the driver printed once nginx stopped."""
    try:
        got = ab_n(port, "/index.html", 2000)
    finally:
        curl(port, "/quit", "-o", "/dev/null")
        out, err = server.stop(grace=60)
    return got, out.decode(errors="replace"), err.decode(errors="replace")


def test_nginx_master_workers(tmp_path, www):
    """nginx as it runs by default: a master and 2 workers sharing the
    listening socket (nginx-master.conf), driven by busybox sh
    (nginx-master.sh). 2000 keep-alive requests from 8 clients with none
    failed, both workers serving (their pids in the access log), then a
    graceful stop: SIGQUIT to the master, which waits for its workers and
    exits 0, and so does the VM. The client's counts and the exit as
    natively."""
    need("/usr/sbin/nginx", "/etc/nginx/mime.types", "/bin/busybox")
    driver = os.path.join(APPS, "nginx-master.sh")
    port = free_port()
    ntmp = tmp_path / "native"
    ntmp.mkdir()
    conf = nginx_conf(tmp_path, port, www, str(ntmp), "nginx-master.conf")
    native = Server(["/bin/busybox", "sh", driver, "/usr/sbin/nginx", conf,
                     str(ntmp)], port, http_probe("/index.html"))
    want, nout, nerr = nginx_master_run(native, port)
    assert native.proc.returncode == 0, nerr
    assert want == ["Complete requests: 2000", "Failed requests: 0"], want
    # Natively Linux's EPOLLEXCLUSIVE wakes the first idle worker, so one
    # worker may serve every connection there: only Kiln's count is held.
    assert nout.startswith("nginx exited 0\n"), nerr
    img = build(tmp_path, "nginx-master", "/bin/busybox",
                ["sh", "/app/nginx-master.sh", "/usr/sbin/nginx",
                 "/etc/nginx/nginx.conf", "/tmp"],
                files=[(nginx_conf(tmp_path, 8080, "/www", "/tmp",
                                   "nginx-master.conf"),
                        "/etc/nginx/nginx.conf"),
                       ("/etc/nginx/mime.types", "/etc/nginx/mime.types"),
                       ("/usr/sbin/nginx", "/usr/sbin/nginx"),
                       (driver, "/app/nginx-master.sh")],
                dirs=[(www, "/www")])
    server = Server.kiln(img, 8080, http_probe("/index.html"))
    got, out, err = nginx_master_run(server, server.port)
    assert got == want, err
    assert out == ("nginx exited 0\n"
                   "workers that served /index.html: 2\n"), err
    assert server.proc.returncode == 0, err
