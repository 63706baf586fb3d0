"""test_oci.py - `kiln build --from` an OCI layout, a docker-save archive and a registry, then `kiln run`.

Images are made here from files (oci_util.py: tarfile layers, JSON by
hand), around Debian's static busybox. The registry is Debian's
docker-registry on 127.0.0.1 with its own storage, and a small bearer-token
registry written here for the token flow. Malformed images must give one
line, status 1 and no output file.
"""
import base64
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from guest_util import KILN, KILN_ACCEL, KILN_TIMEOUT, HOST_TIMEOUT, describe, kiln_run
from oci_util import (DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, Image, RegistryHandler, desc, layer,
                      push, sha256, write_docker_archive, write_layout)

BUSYBOX = "/bin/busybox"
PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
GROUP = b"root:x:0:\napp:x:1000:\nstaff:x:50:\n"
SCRIPT = ("pwd; ls /old; cat /hard; echo $FOO $HOME; id; stat -c '%u:%g %a' /owned;"
          " ls /dev/null; readlink /bin/sh")
# What SCRIPT prints in the image below.
EXPECTED = (b"/work\nc\nc\nbar /home/app\nuid=1000(app) gid=1000(app)\n"
            b"123:456 640\n/dev/null\nbusybox\n")
NOTE = (b"kiln: note: 1 special file (devices, FIFOs) skipped, first /dev/null:"
        b" the guest has its own /dev\n")


def busybox_image(gzip_layers=True, **cfg):
    """Two layers: busybox and a tree; then an opaque directory, a
    whiteout, a hard link and an owned file."""
    bb = open(BUSYBOX, "rb").read()
    base = layer([
        {"name": "bin", "dir": True},
        {"name": "bin/busybox", "data": bb, "mode": 0o755},
        {"name": "bin/sh", "symlink": "busybox"},
        {"name": "bin/cat", "symlink": "/bin/busybox"},
        {"name": "etc/passwd", "data": PASSWD},
        {"name": "etc/group", "data": GROUP},
        {"name": "old/a", "data": b"a\n"},
        {"name": "old/b", "data": b"b\n"},
        {"name": "gone/deep", "data": b"x"},
        {"name": "dev/null", "chardev": (1, 3)},
    ])
    top = layer([
        {"name": "old/.wh..wh..opq"},
        {"name": "old/c", "data": b"c\n"},
        {"name": ".wh.gone"},
        {"name": "./hard", "hardlink": "old/c"},
        {"name": "owned", "data": b"o", "mode": 0o640, "uid": 123, "gid": 456},
    ])
    cfg.setdefault("entrypoint", ["/bin/sh", "-c"])
    cfg.setdefault("cmd", [SCRIPT])
    cfg.setdefault("env", ["FOO=bar", "PATH=/usr/bin:/bin"])
    cfg.setdefault("workdir", "/work")
    cfg.setdefault("user", "app")
    cfg.setdefault("ports", ["80/tcp", "53/udp"])
    cfg.setdefault("volumes", ["/data"])
    return Image([base, top], gzip_layers=gzip_layers, **cfg)


def build(ref, out, *args, env=None):
    return subprocess.run([KILN, "build", "--from", ref, "-o", str(out), *args],
                          capture_output=True, timeout=HOST_TIMEOUT, env=env)


def run_ok(out, expected):
    r = kiln_run(str(out))
    assert (r.returncode, r.stdout) == (0, expected), describe(r)


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    d = tmp_path_factory.mktemp("oci") / "layout"
    write_layout(str(d), busybox_image(), tag="v1")
    return d


def test_layout_runs(layout, tmp_path):
    out = tmp_path / "bb.img"
    r = build(f"oci:{layout}:v1", out)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", NOTE), describe(r)
    run_ok(out, EXPECTED)
    r = subprocess.run([KILN, "inspect", str(out)], capture_output=True)
    lines = r.stdout.decode().splitlines()
    digest = sha256(busybox_image().manifest)
    assert lines[:8] == [
        "program: /bin/sh",
        "argv: /bin/sh -c '" + SCRIPT.replace("'", "'\\''") + "'",
        "env: FOO=bar PATH=/usr/bin:/bin HOME=/home/app",
        "workdir: /work",
        f"from: oci:{layout}:v1@{digest}",
        "user: 1000:1000",
        "ports: 80/tcp 53/udp",
        "volumes: /data",
    ]
    size = os.path.getsize(BUSYBOX)
    # bin busybox cat sh dev etc group passwd hard old old/c owned proc tmp work
    assert f"root: 15 entries, {size + len(PASSWD) + len(GROUP) + 2 + 2 + 1} bytes of files" \
        in lines


def test_args_replace_cmd_and_entrypoint(layout, tmp_path):
    out = tmp_path / "a.img"
    r = build(f"oci:{layout}:v1", out, "echo replaced; echo $0", "zero")
    assert r.returncode == 0, describe(r)
    run_ok(out, b"replaced\nzero\n")
    # --entrypoint drops Cmd too, and is found by the image's PATH.
    r = build(f"oci:{layout}:v1", out, "--entrypoint", "cat", "/etc/group")
    assert r.returncode == 0, describe(r)
    run_ok(out, GROUP)


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "oci"])
def test_docker_archive(tmp_path, legacy):
    arch = tmp_path / "img.tar"
    write_docker_archive(str(arch), busybox_image(gzip_layers=False, cmd=["cat /old/c /owned"],
                                                   user=""),
                         legacy=legacy)
    r = build(f"docker-archive:{arch}", tmp_path / "d.img")
    assert (r.returncode, r.stderr) == (0, NOTE), describe(r)
    run_ok(tmp_path / "d.img", b"c\no")


def test_default_output_name(layout, tmp_path):
    r = subprocess.run([KILN, "build", "--from", f"oci:{layout}:v1", "--entrypoint", "/bin/busybox"],
                       cwd=tmp_path, capture_output=True)
    assert r.returncode == 0, describe(r)
    assert os.listdir(tmp_path) == ["layout.img"]


# ---- malformed and hostile images: one line, status 1, no file ----

def refused(ref, out, pattern):
    r = build(ref, out)
    err = r.stderr.decode()
    assert r.returncode == 1, describe(r)
    assert err.count("\n") == 1 and err.startswith("kiln: ") and pattern in err, err
    assert not os.path.exists(out)
    assert os.listdir(os.path.dirname(out)) == [] or \
        not any(n.startswith(os.path.basename(out)) for n in os.listdir(os.path.dirname(out)))


def small_image(entries, **cfg):
    cfg.setdefault("cmd", ["/bin/busybox", "true"])
    return Image([layer([{"name": "bin/busybox", "data": b"\x7fELF", "mode": 0o755}]),
                  layer(entries)], **cfg)


@pytest.mark.parametrize("entries,why", [
    ([{"name": "../evil", "data": b"x"}], "path out of the root"),
    ([{"name": "/abs", "data": b"x"}], "path out of the root"),
    ([{"name": "a/../../evil", "data": b"x"}], "path out of the root"),
    ([{"name": "link", "symlink": "/etc"}, {"name": "link/passwd", "data": b"x"}],
     "path through a symlink"),
    ([{"name": "up", "symlink": "../../.."}], "symlink pointing out of the root"),
    ([{"name": "h", "hardlink": "../../etc/shadow"}], "hard link out of the root"),
    ([{"name": "h", "hardlink": "nothing"}], "hard link to no regular file"),
], ids=["dotdot", "absolute", "inner-dotdot", "through-symlink", "symlink-out",
        "hardlink-out", "hardlink-none"])
def test_hostile_layer(tmp_path, entries, why):
    write_layout(str(tmp_path / "l"), small_image(entries))
    (tmp_path / "o").mkdir()
    refused(f"oci:{tmp_path / 'l'}", str(tmp_path / "o" / "x.img"), why)


def test_bad_blobs(tmp_path):
    img = small_image([{"name": "f", "data": b"x"}])
    lay = tmp_path / "l"
    out = tmp_path / "o"
    out.mkdir()
    write_layout(str(lay), img)
    blob = lay / "blobs" / "sha256" / img.layer_descs[1]["digest"][7:]
    good = blob.read_bytes()
    blob.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    refused(f"oci:{lay}", str(out / "x.img"), "digest mismatch")
    blob.write_bytes(good + b"\0")
    refused(f"oci:{lay}", str(out / "x.img"), "size")
    blob.unlink()
    refused(f"oci:{lay}", str(out / "x.img"), "missing blob")


def test_malformed_json_and_media(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    lay = tmp_path / "l"
    write_layout(str(lay), small_image([]))
    (lay / "index.json").write_text('{"manifests": [')
    refused(f"oci:{lay}", str(out / "x.img"), "malformed index")
    # A config that is not JSON, referenced by a correct digest.
    img = small_image([])
    bad = b"{not json"
    img.blobs[sha256(bad)] = bad
    m = json.loads(img.manifest)
    m["config"] = desc("application/vnd.oci.image.config.v1+json", bad)
    img.manifest = json.dumps(m).encode()
    img.blobs[sha256(img.manifest)] = img.manifest
    shutil.rmtree(lay)
    write_layout(str(lay), img)
    refused(f"oci:{lay}", str(out / "x.img"), "malformed image config")
    # An unknown layer media type.
    img = small_image([])
    m = json.loads(img.manifest)
    m["layers"][0]["mediaType"] = "application/x-unknown"
    img.manifest = json.dumps(m).encode()
    img.blobs[sha256(img.manifest)] = img.manifest
    shutil.rmtree(lay)
    write_layout(str(lay), img)
    refused(f"oci:{lay}", str(out / "x.img"), "unsupported media type application/x-unknown")
    # No image for the tag; a non-amd64 config.
    refused(f"oci:{lay}:nope", str(out / "x.img"), "no image tagged nope")
    shutil.rmtree(lay)
    write_layout(str(lay), small_image([], arch="arm64"))
    refused(f"oci:{lay}", str(out / "x.img"), "Kiln runs linux/amd64")


def test_config_null_platform(tmp_path):
    """"os": null and "architecture": null in the image config are
    absent (JSON null), as a missing one is: the image builds."""
    img = busybox_image(cmd=["cat /old/c /owned"], user="")
    cfg = json.loads(img.config)
    cfg["os"] = cfg["architecture"] = None
    img.config = json.dumps(cfg).encode()
    img.blobs[sha256(img.config)] = img.config
    m = json.loads(img.manifest)
    m["config"]["digest"], m["config"]["size"] = sha256(img.config), len(img.config)
    img.manifest = json.dumps(m).encode()
    img.blobs[sha256(img.manifest)] = img.manifest
    lay = tmp_path / "l"
    write_layout(str(lay), img)
    r = build(f"oci:{lay}", tmp_path / "n.img")
    assert (r.returncode, r.stderr) == (0, NOTE), describe(r)
    assert os.path.getsize(tmp_path / "n.img") > os.path.getsize(BUSYBOX)


@pytest.mark.parametrize("cfg", [
    {"cmd": ["/bin/busybox\0", "true"]},
    {"entrypoint": ["/bin/busybox", "tr\0ue"]},
    {"workdir": "/tmp\0/x"},
    {"user": "0\0:0"},
])
def test_config_string_with_nul(tmp_path, cfg):
    """JSON's "\\u0000" inside a config string: refused, not cut short at
    the NUL (a C string's end) into another program, directory or user."""
    lay = tmp_path / "l"
    write_layout(str(lay), small_image([], **cfg))
    (tmp_path / "o").mkdir()
    refused(f"oci:{lay}", str(tmp_path / "o" / "x.img"), "malformed image config")


@pytest.mark.parametrize("where,why", [
    ("layer digest", "malformed manifest"),
    ("layer mediaType", "malformed manifest"),
    ("config digest", "malformed manifest"),
    ("index digest", "malformed descriptor in the index"),
    ("architecture", "Kiln runs linux/amd64"),
])
def test_descriptor_string_with_nul(tmp_path, where, why):
    """"\\u0000" and more after a digest or media type: refused, not
    taken for the digest or type before the NUL (which is whole and
    right here, so only the check can fail the build)."""
    img = small_image([], arch="amd64\0x" if where == "architecture" else "amd64")
    if where in ("layer digest", "layer mediaType", "config digest"):
        m = json.loads(img.manifest)
        d = m["config"] if where == "config digest" else m["layers"][0]
        d["digest" if where.endswith("digest") else "mediaType"] += "\0x"
        img.manifest = json.dumps(m).encode()
        img.blobs[sha256(img.manifest)] = img.manifest
    lay = tmp_path / "l"
    write_layout(str(lay), img)
    if where == "index digest":
        index = json.loads((lay / "index.json").read_text())
        index["manifests"][0]["digest"] += "\0x"
        (lay / "index.json").write_text(json.dumps(index))
    (tmp_path / "o").mkdir()
    refused(f"oci:{lay}", str(tmp_path / "o" / "x.img"), why)


def test_docker_archive_bad_diff_id(tmp_path):
    img = small_image([{"name": "f", "data": b"x"}], gzip_layers=False,
                      diff_ids=["sha256:" + "0" * 64, "sha256:" + "1" * 64])
    write_docker_archive(str(tmp_path / "a.tar"), img)
    (tmp_path / "o").mkdir()
    refused(f"docker-archive:{tmp_path / 'a.tar'}", str(tmp_path / "o" / "x.img"),
            "digest mismatch")


# ---- registries ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Debian's docker-registry on 127.0.0.1, its storage in a temp dir."""
    exe = shutil.which("docker-registry")
    if not exe:
        pytest.fail("docker-registry is missing: run scripts/deps.sh")
    d = tmp_path_factory.mktemp("registry")
    port = free_port()
    (d / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {d}/data\nhttp:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([exe, "serve", str(d / "config.yml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/v2/").close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("docker-registry did not start")
        yield base, f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def put_manifest(base, repo, ref, data, media):
    req = urllib.request.Request(f"{base}/v2/{repo}/manifests/{ref}", data=data,
                                 method="PUT", headers={"Content-Type": media})
    urllib.request.urlopen(req).close()


def test_registry_tag_and_digest(registry, tmp_path):
    base, host = registry
    img = busybox_image()
    push(base, "kiln/bb", "v1", img)
    out = tmp_path / "r.img"
    r = build(f"{host}/kiln/bb:v1", out, "--insecure")
    assert (r.returncode, r.stderr) == (0, NOTE), describe(r)
    run_ok(out, EXPECTED)
    # By digest, the same image; without --insecure, HTTPS is required.
    r = build(f"{host}/kiln/bb@{sha256(img.manifest)}", out, "--insecure")
    assert r.returncode == 0, describe(r)
    os.unlink(out)
    r = build(f"{host}/kiln/bb:v1", out)
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1, describe(r)
    assert not out.exists()
    r = build(f"{host}/kiln/none:v1", out, "--insecure")
    assert (r.returncode, r.stderr.count(b"\n")) == (1, 1), describe(r)
    assert b"not found (HTTP 404)" in r.stderr and not out.exists()


def test_registry_index_picks_amd64(registry, tmp_path):
    """A multi-platform index: the linux/amd64 entry is the one built."""
    base, host = registry
    amd = busybox_image(cmd=["echo amd64"])
    arm = busybox_image(cmd=["echo arm64"], arch="arm64")
    push(base, "kiln/multi", sha256(amd.manifest), amd)
    push(base, "kiln/multi", sha256(arm.manifest), arm)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        desc(OCI_MANIFEST, arm.manifest, platform={"architecture": "arm64", "os": "linux"}),
        desc(OCI_MANIFEST, amd.manifest, platform={"architecture": "amd64", "os": "linux"}),
    ]}).encode()
    put_manifest(base, "kiln/multi", "latest", index, OCI_INDEX)
    out = tmp_path / "m.img"
    r = build(f"{host}/kiln/multi", out, "--insecure")
    assert r.returncode == 0, describe(r)
    run_ok(out, b"amd64\n")


class TokenRegistry(RegistryHandler):
    """A registry that wants a bearer token, which its token service
    gives only for the basic credentials kiln:secret."""
    blobs = {}
    manifest = b""
    token = "tok-" + hashlib.sha256(b"kiln").hexdigest()[:16]
    corrupt = set()

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path.startswith("/token?"):
            want = "Basic " + base64.b64encode(b"kiln:secret").decode()
            if self.headers.get("Authorization") != want or \
                    "scope=repository%3Akiln%2Ftok%3Apull" not in self.path:
                return self.send(401)
            return self.send(200, json.dumps({"token": self.token}).encode())
        if self.headers.get("Authorization") != "Bearer " + self.token:
            return self.send(401, headers=[(
                "WWW-Authenticate",
                f'Bearer realm="http://127.0.0.1:{port}/token",service="test",'
                'scope="repository:kiln/tok:pull"')])
        if self.path == "/v2/kiln/tok/manifests/latest":
            return self.send(200, self.manifest, [("Content-Type", OCI_MANIFEST)])
        d = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/v2/kiln/tok/blobs/") and d in self.blobs:
            b = self.blobs[d]
            if d in self.corrupt:
                b = b[:-1] + bytes([b[-1] ^ 1])
            return self.send(200, b)
        self.send(404)


@pytest.fixture
def token_registry():
    img = busybox_image(cmd=["echo token"])
    TokenRegistry.blobs = img.blobs
    TokenRegistry.manifest = img.manifest
    TokenRegistry.corrupt = set()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TokenRegistry)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{srv.server_address[1]}", img
    srv.shutdown()
    srv.server_close()


def docker_config(tmp_path, host, creds):
    d = tmp_path / "docker"
    d.mkdir()
    auth = base64.b64encode(creds).decode()
    (d / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return {**os.environ, "DOCKER_CONFIG": str(d)}


def test_registry_bearer_token(token_registry, tmp_path):
    host, img = token_registry
    out = tmp_path / "o" / "t.img"
    out.parent.mkdir()
    env = docker_config(tmp_path, host, b"kiln:secret")
    r = build(f"{host}/kiln/tok", out, "--insecure", env=env)
    assert (r.returncode, r.stderr) == (0, NOTE), describe(r)
    run_ok(out, b"token\n")
    os.unlink(out)
    # Wrong credentials: the token service refuses; one line, no file.
    env = docker_config(tmp_path / "o", host, b"kiln:wrong")
    r = build(f"{host}/kiln/tok", out, "--insecure", env=env)
    assert (r.returncode, r.stderr.count(b"\n")) == (1, 1), describe(r)
    assert b"token service refused (HTTP 401)" in r.stderr
    assert os.listdir(out.parent) == ["docker"]


def test_registry_corrupt_blob(token_registry, tmp_path):
    host, img = token_registry
    TokenRegistry.corrupt = {img.layer_descs[1]["digest"]}
    out = tmp_path / "o" / "c.img"
    out.parent.mkdir()
    env = docker_config(tmp_path, host, b"kiln:secret")
    # the layers stream through temp files there, which have no name
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")
    r = build(f"{host}/kiln/tok", out, "--insecure", env=env)
    assert (r.returncode, r.stderr.count(b"\n")) == (1, 1), describe(r)
    assert b"digest mismatch" in r.stderr and os.listdir(out.parent) == []
    assert os.listdir(tmp_path / "tmp") == []


def test_layer_rules_inspected(tmp_path):
    """The changeset rules on the tree kiln inspect lists, no VM: an
    opaque marker after its layer's own entry, whiteouts of a file and a
    directory, a file replacing a directory, a directory re-declared
    with a new mode and owner, setuid kept, a same-layer whiteout."""
    lower = layer([
        {"name": "bin/busybox", "data": b"\x7fELF", "mode": 0o4755},
        {"name": "d/x", "data": b"x"},
        {"name": "e/y", "data": b"y"},
        {"name": "f", "data": b"f"},
        {"name": "g/h", "data": b"h"},
        {"name": "m", "dir": True, "mode": 0o755},
        {"name": "m/keep", "data": b"k"},
    ])
    upper = layer([
        {"name": "d/z", "data": b"zz"},
        {"name": "d/.wh..wh..opq"},
        {"name": ".wh.e"},
        {"name": ".wh.f"},
        {"name": "g", "data": b"now a file"},
        {"name": "m", "dir": True, "mode": 0o700, "uid": 7, "gid": 8},
        {"name": "n", "data": b"n"},
        {"name": ".wh.n"},
    ])
    write_layout(str(tmp_path / "l"), Image([lower, upper], cmd=["/bin/busybox"]))
    out = tmp_path / "r.img"
    r = build(f"oci:{tmp_path / 'l'}", out)
    assert (r.returncode, r.stderr) == (0, b""), describe(r)
    r = subprocess.run([KILN, "inspect", str(out)], capture_output=True)
    lines = r.stdout.decode().splitlines()
    files = lines[lines.index("files:") + 1:]
    assert files == [
        "  drwxr-xr-x          0 /bin",
        "  -rwsr-xr-x          4 /bin/busybox",
        "  drwxr-xr-x          0 /d",
        "  -rw-r--r--          2 /d/z",
        "  drwxr-xr-x          0 /dev",
        "  -rw-r--r--         10 /g",
        "  drwx------          0 /m",
        "  -rw-r--r--          1 /m/keep",
        "  -rw-r--r--          1 /n",
        "  dr-xr-xr-x          0 /proc",
        "  drwxrwxrwt          0 /tmp",
    ]


# The nodes /dev and /proc make at the first look into them, as boot made
# them before they waited for it: root's and in these modes, whoever looks
# first. kernel/fs/dir.c, vfs_dir_populate.
LAZY_NODES = ("/dev/null /dev/shm /dev/vda /dev/pts /dev/stdin /proc/sys/kernel"
              " /proc/sys/kernel/shmmax")
LAZY_EXPECTED = (b"uid=1000(app) gid=1000(app)\n"
                 b"/dev/null 0:0 666\n/dev/shm 0:0 1777\n/dev/vda 0:0 660\n"
                 b"/dev/pts 0:0 755\n/dev/stdin 0:0 777\n"
                 b"/proc/sys/kernel 0:0 555\n/proc/sys/kernel/shmmax 0:0 444\n")


@pytest.mark.parametrize("first_look", ["", "ls -d /dev /proc >/tmp/l; ",
                                        "echo /dev/* /proc/* >/tmp/l; "],
                         ids=["walk", "stat", "getdents"])
def test_lazy_nodes_are_roots(layout, tmp_path, first_look):
    """A user image (uid 1000) looks first into /dev and /proc: by a walk
    through them, by a stat of the directory (ls -d) or by reading it
    (the shell's glob: opendir and getdents, no stat)."""
    out = tmp_path / "bb.img"
    r = build(f"oci:{layout}:v1", out)
    assert r.returncode == 0, describe(r)
    disk = tmp_path / "d.img"
    with open(disk, "wb") as f:
        f.truncate(1024 * 1024)
    cmd = [KILN, "run", "--timeout", str(KILN_TIMEOUT), "--disk", str(disk)]
    if KILN_ACCEL:
        cmd += ["--accel", KILN_ACCEL]
    script = f"{first_look}id; stat -c '%n %u:%g %a' {LAZY_NODES}"
    r = subprocess.run(cmd + [str(out), "-c", script], capture_output=True,
                       timeout=HOST_TIMEOUT)
    assert (r.returncode, r.stdout) == (0, LAZY_EXPECTED), describe(r)
