"""test_push.py - `kiln push`, `kiln pull`, the local store (`kiln images`, `kiln rmi`) and `kiln run REF`.

Round trips go through Debian's docker-registry on 127.0.0.1 (the
`registry` fixture of test_oci.py); a registry written here serves what a
real one would not (a corrupt or truncated blob, a dropped connection, a
wrong media type) and wants a bearer token for push and pull. Every kiln
runs with its own HOME and XDG_DATA_HOME, so the store starts empty.
"""
import base64
import hashlib
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from guest_util import HOST_TIMEOUT, KILN, KILN_ACCEL, describe
from oci_util import (OCI_MANIFEST, Image, RegistryHandler, busybox_sh_image,
                      kiln, layer, push, sha256, store_dir)
from test_oci import registry  # noqa: F401 (a fixture)

KILN_CONFIG = "application/vnd.kiln.image.config.v1+json"
KILN_LAYER = "application/vnd.kiln.image.v1"
# The pushed file's time: the image's "created".
MTIME = 1700000000
CREATED = "2023-11-14T22:13:20Z"


@pytest.fixture
def store_env(tmp_path):
    """A HOME, data and runtime directory of this test's own."""
    home = tmp_path / "home"
    home.mkdir()
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_RUNTIME_DIR": str(run)}
    env.pop("DOCKER_CONFIG", None)
    return env


def blobs(env):
    d = os.path.join(store_dir(env), "blobs", "sha256")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """A busybox image that prints and exits 3, its time fixed."""
    out = busybox_sh_image(tmp_path_factory.mktemp("img") / "bb.img",
                           "echo hello from the store; exit 3")
    os.utime(out, (MTIME, MTIME))
    return out


def human(n):
    """docker's sizes: decimal units, 3 significant digits."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            break
        n /= 1000
    return f"{n:.3g}{unit}"


def images_table(rows):
    """`kiln images` as it must print rows of (repo, tag, digest, size)."""
    wr = max([len("REPOSITORY")] + [len(r[0]) for r in rows])
    wt = max([len("TAG")] + [len(r[1]) for r in rows])
    out = f"{'REPOSITORY':<{wr}}   {'TAG':<{wt}}   {'DIGEST':<12}   {'SIZE':<8}   CREATED\n"
    for repo, tag, digest, size in rows:
        out += f"{repo:<{wr}}   {tag:<{wt}}   {digest[7:19]}   {human(size):<8}   {CREATED}\n"
    return out.encode()


def get_manifest(base, repo, ref):
    import urllib.request
    req = urllib.request.Request(f"{base}/v2/{repo}/manifests/{ref}",
                                 headers={"Accept": OCI_MANIFEST})
    with urllib.request.urlopen(req) as r:
        return r.read()


def test_push_pull_run_rmi(registry, image, store_env):  # noqa: F811
    base, host = registry
    ref = f"{host}/kiln/push:v1"
    env = store_env
    r = kiln("push", "--insecure", str(image), ref, env=env)
    man = get_manifest(base, "kiln/push", "v1")
    digest = sha256(man)
    assert (r.returncode, r.stdout, r.stderr) == \
        (0, f"v1: digest: {digest} size: {len(man)}\n".encode(), b""), describe(r)
    m = json.loads(man)
    data = open(image, "rb").read()
    assert m["artifactType"] == KILN_LAYER and m["config"]["mediaType"] == KILN_CONFIG
    assert m["layers"] == [{"mediaType": KILN_LAYER, "digest": sha256(data), "size": len(data)}]
    # Pushed again: the same digest (the blobs are there already).
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert r.stdout == f"v1: digest: {digest} size: {len(man)}\n".encode(), describe(r)

    assert blobs(env) == []
    r = kiln("pull", "--insecure", ref, env=env)
    assert (r.returncode, r.stdout, r.stderr) == (0, (
        f"Digest: {digest}\nStatus: Downloaded newer image for {ref}\n").encode(), b""), \
        describe(r)
    stored = os.path.join(store_dir(env), "blobs", "sha256", sha256(data)[7:])
    assert open(stored, "rb").read() == data
    assert blobs(env) == sorted([digest[7:], sha256(data)[7:], m["config"]["digest"][7:]])
    r = kiln("pull", "--insecure", ref, env=env)
    assert r.stdout == f"Digest: {digest}\nStatus: Image is up to date for {ref}\n".encode()

    r = kiln("images", env=env)
    assert (r.returncode, r.stdout) == (0, images_table([(f"{host}/kiln/push", "v1", digest,
                                                          len(data))])), describe(r)
    # inspect REF is inspect of the file.
    a = kiln("inspect", ref, env=env)
    b = kiln("inspect", str(image), env=env)
    assert (a.returncode, a.stdout) == (0, b.stdout) and b"program: /bin/busybox" in a.stdout

    # run REF, by tag and by short digest: the output and the status.
    for name in (ref, digest[7:19]):
        r = kiln("run", "--accel", KILN_ACCEL, "--pull", "never", name, env=env)
        assert (r.returncode, r.stdout) == (3, b"hello from the store\n"), describe(r)

    r = kiln("rmi", ref, env=env)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"Untagged: {ref}\n".encode(), b"")
    assert blobs(env) == []
    r = kiln("images", env=env)
    assert r.stdout == images_table([])
    r = kiln("rmi", ref, env=env)
    assert (r.returncode, r.stderr) == (1, f"kiln: {ref}: no such image in the store\n".encode())


def pull_max_rss(ref, env, tmp_path):
    """kiln pull ref: (status, stdout, its peak RSS in KiB, from wait4)."""
    with open(tmp_path / "out", "wb+") as out, open(tmp_path / "err", "wb+") as err:
        p = subprocess.Popen([KILN, "pull", "--insecure", ref], env=env, stdout=out,
                             stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        assert err.read() == b""
        return p.returncode, out.read(), ru.ru_maxrss


@pytest.mark.parametrize("where", ["root disk", "bundle"])
def test_pull_streams_a_big_image_to_disk(registry, image, store_env, tmp_path,  # noqa: F811
                                          where):
    """A 64 MiB image (random data on its root disk, or in its bundle,
    whose CRC pull checks a MiB at a time) is pulled to a temp file of
    the store, hashed as it arrives: kiln's peak RSS grows by far less
    than the image over that of a small pull."""
    _, host = registry
    env = store_env
    (tmp_path / "d").mkdir()
    with open(tmp_path / "d" / "big.bin", "wb") as f:
        for _ in range(64):
            f.write(os.urandom(1 << 20))
    img = tmp_path / "big.img"
    # --dir goes on the root disk; --file and --no-root-disk in the bundle
    opts = (["--root-disk", "--dir", f"{tmp_path / 'd'}:/data"] if where == "root disk" else
            ["--no-root-disk", "--file", f"{tmp_path / 'd' / 'big.bin'}:/big.bin"])
    r = subprocess.run([KILN, "build", "-o", str(img), *opts, "/bin/busybox", "true"],
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, describe(r)
    assert os.path.getsize(img) > 64 << 20
    for name, path in (("small", image), ("big", img)):
        r = kiln("push", "--insecure", str(path), f"{host}/kiln/{name}:v1", env=env)
        assert r.returncode == 0, describe(r)
    st, _, small_rss = pull_max_rss(f"{host}/kiln/small:v1", env, tmp_path)
    assert st == 0
    st, out, big_rss = pull_max_rss(f"{host}/kiln/big:v1", env, tmp_path)
    assert st == 0 and b"Status: Downloaded newer image" in out
    assert big_rss - small_rss < 16 << 10, (small_rss, big_rss)
    def file_sha256(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    digest = file_sha256(img)
    stored = os.path.join(store_dir(env), "blobs", "sha256", digest)
    assert file_sha256(stored) == digest
    assert not [b for b in blobs(env) if b.startswith(".")]  # no temp file left


def test_run_pulls_when_missing(registry, image, store_env):  # noqa: F811
    base, host = registry
    ref = f"{host}/kiln/auto:v2"
    env = store_env
    assert kiln("push", "--insecure", str(image), ref, env=env).returncode == 0
    r = kiln("run", "--accel", KILN_ACCEL, "--pull", "never", ref, env=env)
    assert (r.returncode, r.stdout, r.stderr) == (
        1, b"", f"kiln: {ref}: no such image in the store (--pull never)\n".encode())
    # Without --insecure the pull wants HTTPS: one line, nothing stored.
    r = kiln("run", "--accel", KILN_ACCEL, ref, env=env)
    assert (r.returncode, r.stderr.count(b"\n"), r.stdout) == (1, 1, b""), describe(r)
    assert not os.path.exists(store_dir(env))
    r = kiln("run", "--accel", KILN_ACCEL, "--insecure", ref, "echo", "args", env=env)
    assert (r.returncode, r.stdout) == (0, b"args\n"), describe(r)
    digest = sha256(get_manifest(base, "kiln/auto", "v2"))
    r = kiln("images", env=env)
    assert r.stdout == images_table([(f"{host}/kiln/auto", "v2", digest,
                                      os.path.getsize(image))])
    # By digest: a second entry, untagged; rmi of the digest removes both.
    r = kiln("pull", "--insecure", f"{host}/kiln/auto@{digest}", env=env)
    assert r.returncode == 0, describe(r)
    r = kiln("images", env=env)
    assert r.stdout == images_table([(f"{host}/kiln/auto", "<none>", digest,
                                      os.path.getsize(image)),
                                     (f"{host}/kiln/auto", "v2", digest,
                                      os.path.getsize(image))])
    r = kiln("rmi", digest, env=env)
    assert (r.returncode, r.stdout) == (0, (
        f"Untagged: {host}/kiln/auto:v2\nUntagged: {host}/kiln/auto@{digest}\n").encode())
    assert blobs(env) == []


def test_pull_replaces_a_moved_tag(registry, image, store_env, tmp_path):  # noqa: F811
    """The tag pushed again with another image: pull takes the new one
    and drops the old one's blobs."""
    base, host = registry
    ref = f"{host}/kiln/moved:v1"
    env = store_env
    other = tmp_path / "other.img"
    r = subprocess.run([KILN, "build", "-o", str(other), "/bin/busybox", "echo", "new"],
                       capture_output=True)
    assert r.returncode == 0, describe(r)
    os.utime(other, (MTIME, MTIME))
    assert kiln("push", "--insecure", str(image), ref, env=env).returncode == 0
    assert kiln("pull", "--insecure", ref, env=env).returncode == 0
    assert kiln("push", "--insecure", str(other), ref, env=env).returncode == 0
    man = get_manifest(base, "kiln/moved", "v1")
    r = kiln("pull", "--insecure", ref, env=env)
    assert r.stdout == f"Digest: {sha256(man)}\nStatus: Downloaded newer image for {ref}\n".encode()
    data = open(other, "rb").read()
    assert blobs(env) == sorted([sha256(man)[7:], sha256(data)[7:],
                                 json.loads(man)["config"]["digest"][7:]])
    r = kiln("run", "--accel", KILN_ACCEL, ref, env=env)
    assert (r.returncode, r.stdout) == (0, b"new\n"), describe(r)


def test_rmi_refuses_a_running_image(registry, image, store_env, tmp_path):  # noqa: F811
    base, host = registry
    out = tmp_path / "sleep.img"
    r = subprocess.run([KILN, "build", "-o", str(out), "/bin/busybox", "sleep", "60"],
                       capture_output=True)
    assert r.returncode == 0, describe(r)
    ref = f"{host}/kiln/sleep:v1"
    env = store_env
    assert kiln("push", "--insecure", str(out), ref, env=env).returncode == 0
    r = kiln("run", "-d", "--name", "sl", "--accel", KILN_ACCEL, "--insecure", ref, env=env)
    assert r.returncode == 0, describe(r)
    try:
        r = kiln("ps", env=env)
        assert f"  sl  " in r.stdout.decode() and ref in r.stdout.decode(), describe(r)
        r = kiln("rmi", ref, env=env)
        assert (r.returncode, r.stdout, r.stderr) == (1, b"", (
            f"kiln: {ref}: in use by running instance sl (-f removes it anyway)\n").encode())
        assert len(blobs(env)) == 3
        r = kiln("rmi", "-f", ref, env=env)
        assert (r.returncode, r.stdout) == (0, f"Untagged: {ref}\n".encode())
        assert blobs(env) == []
    finally:
        kiln("rm", "-f", "sl", env=env)


def test_pull_refuses_a_container_image(registry, store_env):  # noqa: F811
    base, host = registry
    img = Image([layer([{"name": "hello", "data": b"hi\n"}])])
    push(base, "kiln/container", "latest", img)
    ref = f"{host}/kiln/container"
    r = kiln("pull", "--insecure", ref, env=store_env)
    assert (r.returncode, r.stdout, r.stderr) == (1, b"", (
        f"kiln: {ref}: not a Kiln image (its config is not {KILN_CONFIG});"
        f" for a container image use kiln build --from {ref}\n").encode())
    assert not os.path.exists(store_dir(store_env))


class FakeRegistry(RegistryHandler):
    """A registry in memory that wants a bearer token (given for
    kiln:secret) and can be told to misbehave: mode is "" or
    "corrupt", "truncate", "close" (for the image blob) or "media"
    (the manifest's layer of another type). long_location, when set,
    is the state of each upload's URL (a signed URL's length); a long
    challenge (long_challenge) pads the challenge before its scope, a
    second challenge (next_challenge) can follow the Bearer one, with
    no scope, in the same header, and each token request's scope is kept in scopes."""
    blobs = {}
    manifests = {}
    uploads = {}
    scopes = []
    mode = ""
    long_location = ""
    long_challenge = ""
    next_challenge = ""
    creds = b"kiln:secret"
    token = "tok-" + hashlib.sha256(b"push").hexdigest()[:16]
    protocol_version = "HTTP/1.1"

    def authorized(self):
        if self.headers.get("Authorization") == "Bearer " + self.token:
            return True
        port = self.server.server_address[1]
        action = "pull" if self.command in ("GET", "HEAD") else "pull,push"
        pad = f'pad="{self.long_challenge}",' if self.long_challenge else ""
        if self.long_challenge:
            action = "pull,push"  # not kiln's default, pull
        scope = f',{pad}scope="repository:kiln/fake:{action}"'
        if self.next_challenge:
            scope = self.next_challenge  # no scope: kiln asks for pull
        self.send(401, headers=[("WWW-Authenticate",
                                 f'Bearer realm="http://127.0.0.1:{port}/token",'
                                 f'service="fake"{scope}')])
        return False

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.path.startswith("/token?"):
            want = "Basic " + base64.b64encode(self.creds).decode()
            if self.headers.get("Authorization") != want:
                return self.send(401)
            query = urllib.parse.parse_qs(self.path.partition("?")[2])
            self.scopes.append(query.get("scope"))
            if self.mode == "empty-token":
                return self.send(200)
            if self.mode == "nul-token":
                return self.send(200, json.dumps({"token": self.token + "\0x"}).encode())
            return self.send(200, json.dumps({"token": self.token}).encode())
        if not self.authorized():
            return
        kind, ref = self.path.split("/")[-2:]
        if kind == "manifests" and ref in self.manifests:
            m = self.manifests[ref]
            if self.mode == "media":
                j = json.loads(m)
                j["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
                m = json.dumps(j).encode()
            return self.send(200, m, [("Content-Type", OCI_MANIFEST)])
        if kind == "blobs" and ref in self.blobs:
            b = self.blobs[ref]
            image = len(b) > 100000 and self.command == "GET"
            if image and self.mode == "corrupt":
                b = b[:-1] + bytes([b[-1] ^ 1])
            if image and self.mode == "slow":
                # Half the image, then nothing until the client gives up.
                self.send_response(200)
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b[:len(b) // 2])
                self.wfile.flush()
                time.sleep(20)
                self.close_connection = True
                return
            if image and self.mode in ("truncate", "close"):
                # Half the promised bytes, or no answer at all; then gone.
                if self.mode == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(b)))
                    self.end_headers()
                    self.wfile.write(b[:len(b) // 2])
                    self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            return self.send(200, b)
        self.send(404)

    def do_POST(self):
        if not self.authorized():
            return
        self.body()
        n = str(len(self.uploads))
        self.uploads[n] = True
        state = self.long_location or "x"
        self.send(202, headers=[("Location", f"/v2/kiln/fake/blobs/uploads/{n}?state={state}")])

    def do_PUT(self):
        if not self.authorized():
            return
        data = self.body()
        path, _, query = self.path.partition("?")
        if "/manifests/" in path:
            self.manifests[path.rsplit("/", 1)[1]] = data
            return self.send(201)
        params = dict(p.split("=", 1) for p in query.split("&"))
        if params.get("state") != (self.long_location or "x"):
            return self.send(404)  # not an upload URL it gave
        if sha256(data) != params["digest"]:
            return self.send(400)
        self.blobs[params["digest"]] = data
        self.send(201)


@pytest.fixture
def fake():
    FakeRegistry.blobs, FakeRegistry.manifests, FakeRegistry.uploads = {}, {}, {}
    FakeRegistry.scopes = []
    FakeRegistry.mode = ""
    FakeRegistry.long_location = FakeRegistry.long_challenge = ""
    FakeRegistry.next_challenge = ""
    FakeRegistry.creds = b"kiln:secret"
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def with_creds(env, tmp_path, host, creds=b"kiln:secret"):
    d = tmp_path / "docker"
    d.mkdir(exist_ok=True)
    auth = base64.b64encode(creds).decode()
    (d / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return {**env, "DOCKER_CONFIG": str(d)}


def test_bearer_token_push_and_pull(fake, image, store_env, tmp_path):
    ref = f"{fake}/kiln/fake:t"
    r = kiln("push", "--insecure", str(image), ref, env=store_env)
    assert (r.returncode, r.stderr.count(b"\n")) == (1, 1), describe(r)
    assert b"token service refused (HTTP 401); no credentials" in r.stderr
    env = with_creds(store_env, tmp_path, fake)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert r.returncode == 0, describe(r)
    digest = sha256(FakeRegistry.manifests["t"])
    assert r.stdout == f"t: digest: {digest} size: {len(FakeRegistry.manifests['t'])}\n".encode()
    r = kiln("pull", "--insecure", ref, env=env)
    assert (r.returncode, r.stdout) == (0, (
        f"Digest: {digest}\nStatus: Downloaded newer image for {ref}\n").encode()), describe(r)
    stored = os.path.join(store_dir(env), "blobs", "sha256", sha256(open(image, "rb").read())[7:])
    assert open(stored, "rb").read() == open(image, "rb").read()


def test_bearer_token_long_credentials(fake, image, store_env, tmp_path):
    """config.json's auth as long as a cloud access token (base64 of 600
    bytes): the token request sends all of it."""
    FakeRegistry.creds = b"oauth2accesstoken:" + b"ya29." * 120
    ref = f"{fake}/kiln/fake:long"
    env = with_creds(store_env, tmp_path, fake, FakeRegistry.creds)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stderr) == (0, b""), describe(r)
    assert "long" in FakeRegistry.manifests


def test_docker_config_auth_with_nul(fake, image, store_env, tmp_path):
    """config.json's auth with "\\u0000" and more after it is not a
    credential; the part before the NUL is not sent as one."""
    d = tmp_path / "docker"
    d.mkdir()
    auth = base64.b64encode(b"kiln:secret").decode() + "\0junk"
    (d / "config.json").write_text(json.dumps({"auths": {fake: {"auth": auth}}}))
    env = {**store_env, "DOCKER_CONFIG": str(d)}
    ref = f"{fake}/kiln/fake:n"
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stdout, r.stderr) == (1, b"", (
        f"kiln: {ref}: the token service refused (HTTP 401);"
        " no credentials in ~/.docker/config.json\n").encode()), describe(r)


def test_push_long_upload_location(fake, image, store_env, tmp_path):
    """A 3000-byte Location for the upload (S3's signed URLs are that
    long): the PUT goes to the whole URL."""
    FakeRegistry.long_location = "s" * 3000
    ref = f"{fake}/kiln/fake:loc"
    env = with_creds(store_env, tmp_path, fake)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stderr) == (0, b""), describe(r)
    assert "loc" in FakeRegistry.manifests
    assert len(FakeRegistry.uploads) == 2  # image and config


def test_long_challenge_keeps_its_scope(fake, image, store_env, tmp_path):
    """A 2000-byte WWW-Authenticate whose scope comes last: the token
    request carries that scope, not kiln's default (pull)."""
    FakeRegistry.long_challenge = "p" * 1900
    ref = f"{fake}/kiln/fake:ch"
    env = with_creds(store_env, tmp_path, fake)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stderr) == (0, b""), describe(r)
    assert FakeRegistry.scopes and \
        set(map(tuple, FakeRegistry.scopes)) == {("repository:kiln/fake:pull,push",)}
    r = kiln("pull", "--insecure", ref, env=env)
    assert (r.returncode, r.stderr) == (0, b""), describe(r)


@pytest.mark.parametrize("nxt", [', Basic realm="x"', ', Basic', ',Newauth abc==',
                                 ', Basic realm="x", Bearer realm="http://0.0.0.0/"'])
def test_challenge_followed_by_another(fake, image, store_env, tmp_path, nxt):
    """RFC 7235 4.1: WWW-Authenticate with another challenge after the
    Bearer one (with no scope): its parameters end where the next
    scheme's name (a name with no '=') begins, and the Bearer ones are
    used, with kiln's default scope."""
    FakeRegistry.next_challenge = nxt
    ref = f"{fake}/kiln/fake:two"
    env = with_creds(store_env, tmp_path, fake)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stderr) == (0, b""), describe(r)
    assert "two" in FakeRegistry.manifests
    assert FakeRegistry.scopes and \
        set(map(tuple, FakeRegistry.scopes)) == {("repository:kiln/fake:pull",)}


@pytest.mark.parametrize("header", ["Location", "WWW-Authenticate"])
def test_header_over_the_bound(fake, image, store_env, tmp_path, header):
    """A header kiln keeps past 64 KiB: one line and exit 1, never a
    value cut short."""
    if header == "Location":
        FakeRegistry.long_location = "s" * (70 << 10)
        where = "http://%s/v2/kiln/fake/blobs/uploads/" % fake
    else:
        FakeRegistry.long_challenge = "p" * (70 << 10)
        where = "http://%s/v2/kiln/fake/blobs/sha256:%s" % (
            fake, sha256(open(image, "rb").read())[7:])
    ref = f"{fake}/kiln/fake:big"
    env = with_creds(store_env, tmp_path, fake)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stdout, r.stderr) == (1, b"", (
        f"kiln: {ref}: {where}: the registry's {header} header is longer"
        " than 65536 bytes\n").encode()), describe(r)
    assert FakeRegistry.manifests == {}


@pytest.mark.parametrize("mode", ["empty-token", "nul-token"])
def test_bearer_token_malformed(fake, image, store_env, tmp_path, mode):
    """A token service's 200 with no body at all, or a token with a NUL in
    it ("\\u0000", which a C string would cut short), is no token."""
    FakeRegistry.mode = mode
    ref = f"{fake}/kiln/fake:e"
    env = with_creds(store_env, tmp_path, fake)
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert (r.returncode, r.stdout, r.stderr) == (1, b"", (
        f"kiln: {ref}: malformed answer from the token service\n").encode()), describe(r)


@pytest.mark.parametrize("mode,why", [
    ("media", b"not a Kiln image (not one layer of application/vnd.kiln.image.v1)"),
    ("corrupt", b": digest mismatch (content is sha256:"),
    ("truncate", b": Transferred a partial file\n"),
    ("close", b": Server returned nothing (no headers, no data)\n"),
])
def test_pull_malformed(fake, image, store_env, tmp_path, mode, why):
    ref = f"{fake}/kiln/fake:m"
    env = with_creds(store_env, tmp_path, fake)
    assert kiln("push", "--insecure", str(image), ref, env=env).returncode == 0
    FakeRegistry.mode = mode
    start = time.monotonic()
    r = kiln("pull", "--insecure", ref, env=env, timeout=60)
    assert (r.returncode, r.stdout, r.stderr.count(b"\n")) == (1, b"", 1), describe(r)
    assert why in r.stderr and r.stderr.startswith(f"kiln: {ref}: ".encode()), describe(r)
    assert time.monotonic() - start < 30
    assert not os.path.exists(store_dir(env))
    r = kiln("run", "--accel", KILN_ACCEL, "--insecure", ref, env=env, timeout=60)
    assert (r.returncode, r.stdout, r.stderr.count(b"\n")) == (1, b"", 1), describe(r)
    assert not os.path.exists(store_dir(env))


def test_pull_interrupted(fake, image, store_env, tmp_path):
    """^C in the middle of the image: kiln dies of SIGINT, the store is untouched."""
    ref = f"{fake}/kiln/fake:i"
    env = with_creds(store_env, tmp_path, fake)
    assert kiln("push", "--insecure", str(image), ref, env=env).returncode == 0
    FakeRegistry.mode = "slow"
    p = subprocess.Popen([KILN, "pull", "--insecure", ref], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert (p.returncode, out, err) == (-signal.SIGINT, b"", b"")
    assert not os.path.exists(store_dir(env))
