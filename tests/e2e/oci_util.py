"""oci_util.py - make OCI image layouts, docker-save archives and registry pushes from files, for test_oci.py.

No Docker: layers are tarfile archives made here (whiteouts included), the
JSON is written by hand as the image spec and Docker's save format say.
"""
import gzip
import hashlib
import http.server
import io
import json
import os
import subprocess
import tarfile
import urllib.request

from guest_util import HOST_TIMEOUT, KILN, describe

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer(entries):
    """A tar of entries, each a dict: name, and one of data (bytes),
    dir=True, symlink=TARGET, hardlink=TARGET, chardev=(major, minor);
    optional mode, uid, gid. Names are written as given."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = 1700000000
            data = None
            if e.get("dir"):
                ti.type, ti.mode = tarfile.DIRTYPE, e.get("mode", 0o755)
            elif "symlink" in e:
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, e["symlink"], 0o777
            elif "hardlink" in e:
                ti.type, ti.linkname = tarfile.LNKTYPE, e["hardlink"]
                ti.mode = e.get("mode", 0o644)
            elif "chardev" in e:
                ti.type, ti.mode = tarfile.CHRTYPE, e.get("mode", 0o666)
                ti.devmajor, ti.devminor = e["chardev"]
            else:
                data = e.get("data", b"")
                ti.size, ti.mode = len(data), e.get("mode", 0o644)
            tar.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def config(entrypoint=None, cmd=None, env=None, workdir=None, user=None,
           ports=(), volumes=(), diff_ids=(), arch="amd64"):
    c = {}
    if entrypoint is not None:
        c["Entrypoint"] = entrypoint
    if cmd is not None:
        c["Cmd"] = cmd
    if env is not None:
        c["Env"] = env
    if workdir:
        c["WorkingDir"] = workdir
    if user:
        c["User"] = user
    if ports:
        c["ExposedPorts"] = {p: {} for p in ports}
    if volumes:
        c["Volumes"] = {v: {} for v in volumes}
    return {"architecture": arch, "os": "linux", "config": c,
            "rootfs": {"type": "layers", "diff_ids": list(diff_ids)}}


def desc(media, data, **extra):
    return {"mediaType": media, "digest": sha256(data), "size": len(data), **extra}


class Image:
    """Layers (tar bytes, uncompressed) + config fields -> the blobs."""

    def __init__(self, layers, gzip_layers=False, **cfg):
        self.tars = layers
        self.blobs = {}
        self.layer_descs = []
        for t in layers:
            blob = gzip.compress(t, mtime=0) if gzip_layers else t
            self.layer_descs.append(desc(OCI_LAYER_GZ if gzip_layers else OCI_LAYER, blob))
            self.blobs[sha256(blob)] = blob
        cfg.setdefault("diff_ids", [sha256(t) for t in layers])
        self.config = json.dumps(config(**cfg)).encode()
        self.blobs[sha256(self.config)] = self.config
        self.manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": desc(OCI_CONFIG, self.config),
            "layers": self.layer_descs}).encode()
        self.blobs[sha256(self.manifest)] = self.manifest


def write_layout(path, img, tag=None, platform=True, index_extra=()):
    """An OCI image layout at path (image-spec image-layout.md)."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    for d, b in img.blobs.items():
        with open(os.path.join(path, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(b)
    extra = {}
    if platform:
        extra["platform"] = {"architecture": "amd64", "os": "linux"}
    if tag:
        extra["annotations"] = {"org.opencontainers.image.ref.name": tag}
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [*index_extra, desc(OCI_MANIFEST, img.manifest, **extra)]}
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump(index, f)


def write_docker_archive(path, img, legacy=True):
    """A `docker save` tar: legacy (HEX.json + ID/layer.tar) or the OCI
    form Docker 25 writes (blobs/sha256/HEX for both)."""
    files = {}
    if legacy:
        cname = sha256(img.config)[7:] + ".json"
        lnames = [f"{sha256(t)[7:]}/layer.tar" for t in img.tars]
    else:
        cname = "blobs/sha256/" + sha256(img.config)[7:]
        lnames = ["blobs/sha256/" + sha256(t)[7:] for t in img.tars]
    files[cname] = img.config
    for n, t in zip(lnames, img.tars):
        files[n] = t
    files["manifest.json"] = json.dumps([{"Config": cname, "RepoTags": ["test:latest"],
                                          "Layers": lnames}]).encode()
    with tarfile.open(path, "w") as tar:
        for n, data in files.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))


class RegistryHandler(http.server.BaseHTTPRequestHandler):
    """The base of the tests' fake registries: quiet, and send() for a
    whole answer (no body to a HEAD)."""

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def push(base, repo, tag, img):
    """Push img to a registry at base (http://HOST:PORT) with the
    distribution API: POST an upload, PUT each blob, PUT the manifest."""
    for d, b in img.blobs.items():
        if b is img.manifest:
            continue
        req = urllib.request.Request(f"{base}/v2/{repo}/blobs/uploads/", method="POST")
        with urllib.request.urlopen(req) as r:
            loc = r.headers["Location"]
        if loc.startswith("/"):
            loc = base + loc
        loc += ("&" if "?" in loc else "?") + "digest=" + d
        req = urllib.request.Request(loc, data=b, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req).close()
    req = urllib.request.Request(f"{base}/v2/{repo}/manifests/{tag}", data=img.manifest,
                                 method="PUT", headers={"Content-Type": OCI_MANIFEST})
    urllib.request.urlopen(req).close()


# ---- kiln with a store of the test's own (test_push.py, test_oci_tls.py) ----

def kiln(*args, env, timeout=HOST_TIMEOUT):
    return subprocess.run([KILN, *args], capture_output=True, env=env,
                          timeout=timeout)


def store_dir(env):
    """The image store of env's XDG_DATA_HOME."""
    return os.path.join(env["XDG_DATA_HOME"], "kiln", "images")


def busybox_sh_image(out, script):
    """kiln build of busybox running `sh -c script` into out."""
    r = subprocess.run([KILN, "build", "-o", str(out), "/bin/busybox", "sh",
                        "-c", script], capture_output=True)
    assert r.returncode == 0, describe(r)
    return out
