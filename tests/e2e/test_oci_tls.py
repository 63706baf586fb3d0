"""test_oci_tls.py - registries over HTTPS: the certs.d CA, Basic auth, --insecure (docs/containers.md, "References").

Debian's docker-registry on 127.0.0.1 with TLS (a CA and a server
certificate for 127.0.0.1 and localhost made here by openssl) and
htpasswd authentication (bcrypt, made by htpasswd). kiln trusts the CA
the way users set it up, a file in ~/.config/kiln/certs.d/HOST:PORT/ca.crt
(here under XDG_CONFIG_HOME), and takes the password from a
DOCKER_CONFIG config.json. Push, pull and build --from go over HTTPS
with neither --insecure nor any environment variable of libcurl's.
"""
import base64
import os
import shutil
import ssl
import subprocess
import time
import urllib.request

import pytest

from guest_util import describe
from oci_util import busybox_sh_image, kiln, push, store_dir
from test_oci import EXPECTED, NOTE, busybox_image, free_port, run_ok

CREDS = b"kiln:s3cret"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca_and_cert(d):
    """A throwaway CA and a server certificate it signs for 127.0.0.1."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=kiln test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt",
            cwd=d)


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory):
    """docker-registry over TLS with htpasswd: (https base, HOST:PORT, CA file)."""
    exe = shutil.which("docker-registry")
    for tool in ("docker-registry", "openssl", "htpasswd"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: run scripts/deps.sh")
    d = tmp_path_factory.mktemp("tlsreg")
    make_ca_and_cert(d)
    user, pw = CREDS.decode().split(":")
    subprocess.run(["htpasswd", "-Bbc", str(d / "htpasswd"), user, pw], check=True,
                   capture_output=True)
    port = free_port()
    (d / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {d}/data\n"
        f"auth:\n  htpasswd:\n    realm: kiln\n    path: {d}/htpasswd\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  tls:\n"
        f"    certificate: {d}/server.crt\n    key: {d}/server.key\n")
    proc = subprocess.Popen([exe, "serve", str(d / "config.yml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{port}"
    ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
    opener.addheaders = [("Authorization", "Basic " + base64.b64encode(CREDS).decode())]
    try:
        for _ in range(100):
            try:
                opener.open(base + "/v2/").close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("docker-registry did not start")
        # The container image build --from reads, pushed with the password.
        urllib.request.install_opener(opener)
        try:
            push(base, "kiln/bb", "v1", busybox_image())
        finally:
            urllib.request.install_opener(urllib.request.build_opener())
        yield base, f"127.0.0.1:{port}", d / "ca.crt"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def env(tmp_path):
    """A HOME, config, data and runtime directory of this test's own."""
    for sub in ("home", "config", "docker"):
        (tmp_path / sub).mkdir()
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    e = {**os.environ, "HOME": str(tmp_path / "home"),
         "XDG_CONFIG_HOME": str(tmp_path / "config"),
         "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_RUNTIME_DIR": str(run),
         "DOCKER_CONFIG": str(tmp_path / "docker")}
    for k in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        e.pop(k, None)
    return e


def trust(env, host, ca):
    d = os.path.join(env["XDG_CONFIG_HOME"], "kiln", "certs.d", host)
    os.makedirs(d)
    shutil.copy(ca, os.path.join(d, "ca.crt"))


def login(env, host, creds=CREDS):
    with open(os.path.join(env["DOCKER_CONFIG"], "config.json"), "w") as f:
        f.write('{"auths": {"%s": {"auth": "%s"}}}'
                % (host, base64.b64encode(creds).decode()))


def store_files(env):
    d = store_dir(env)
    return sorted(os.path.relpath(os.path.join(p, f), d)
                  for p, _, fs in os.walk(d) for f in fs if f != "lock")


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    return busybox_sh_image(tmp_path_factory.mktemp("img") / "hello.img",
                            "echo hello over TLS; exit 4")


def test_tls_push_pull_build_with_certs_d(tls_registry, image, env, tmp_path):
    base, host, ca = tls_registry
    trust(env, host, ca)
    login(env, host)
    ref = f"{host}/kiln/hello:v1"
    r = kiln("push", str(image), ref, env=env)
    assert r.returncode == 0, describe(r)
    assert r.stdout.startswith(b"v1: digest: sha256:"), describe(r)
    r = kiln("pull", ref, env=env)
    assert r.returncode == 0 and b"Status: Downloaded newer image" in r.stdout, describe(r)
    digest = r.stdout.split()[1].decode()
    # the stored file is the pushed one, byte for byte
    data = open(image, "rb").read()
    import hashlib
    blob = os.path.join(env["XDG_DATA_HOME"], "kiln", "images", "blobs", "sha256",
                        hashlib.sha256(data).hexdigest())
    assert open(blob, "rb").read() == data
    assert digest.startswith("sha256:")
    out = tmp_path / "bb.img"
    r = kiln("build", "--from", f"{host}/kiln/bb:v1", "-o", str(out), env=env)
    assert (r.returncode, r.stderr) == (0, NOTE), describe(r)
    run_ok(out, EXPECTED)


def test_tls_untrusted_is_one_line(tls_registry, env, tmp_path):
    _, host, _ = tls_registry
    login(env, host)
    ref = f"{host}/kiln/bb:v1"
    r = kiln("pull", ref, env=env)
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1, describe(r)
    assert r.stderr.startswith(f"kiln: {ref}: {host}: certificate not trusted (".encode()), \
        describe(r)
    assert f"kiln/certs.d/{host}/ca.crt, or use --insecure\n".encode() in r.stderr
    assert store_files(env) == []
    out = tmp_path / "x.img"
    r = kiln("build", "--from", ref, "-o", str(out), env=env)
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1, describe(r)
    assert b"certificate not trusted" in r.stderr and not out.exists()


def test_tls_bad_ca_file_is_one_line(tls_registry, env):
    _, host, _ = tls_registry
    d = os.path.join(env["XDG_CONFIG_HOME"], "kiln", "certs.d", host)
    os.makedirs(d)
    with open(os.path.join(d, "ca.crt"), "w") as f:
        f.write("not a certificate\n")
    r = kiln("pull", f"{host}/kiln/bb:v1", env=env)
    assert (r.returncode, r.stderr) == (
        1, f"kiln: {host}/kiln/bb:v1: {d}/ca.crt: no PEM certificate in it\n".encode())


def test_tls_basic_auth_required(tls_registry, image, env):
    _, host, ca = tls_registry
    trust(env, host, ca)
    ref = f"{host}/kiln/hello:v2"
    r = kiln("push", str(image), ref, env=env)  # no config.json
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1, describe(r)
    assert b"HTTP 401" in r.stderr, describe(r)
    login(env, host, b"kiln:wrong")
    r = kiln("pull", f"{host}/kiln/bb:v1", env=env)
    assert r.returncode == 1 and r.stderr.count(b"\n") == 1, describe(r)
    assert b"authentication required (HTTP 401)" in r.stderr, describe(r)
    assert store_files(env) == []


def test_tls_insecure_skips_verification(tls_registry, image, env):
    """--insecure against HTTPS: docker's insecure-registries, any
    certificate (here one kiln cannot verify, no certs.d)."""
    _, host, _ = tls_registry
    login(env, host)
    ref = f"{host}/kiln/hello:v3"
    r = kiln("push", "--insecure", str(image), ref, env=env)
    assert r.returncode == 0, describe(r)
    r = kiln("pull", "--insecure", ref, env=env)
    assert r.returncode == 0 and b"Status: Downloaded newer image" in r.stdout, describe(r)
