"""test_net_config.py - how the guest gets its address: DHCP or static, from the command line or the image.

QEMU's user networking (slirp) only routes 10.0.2.0/24: its DHCP server
hands out 10.0.2.15, and a static address must be another host of that
subnet (10.0.2.20 here) to be reachable. The guest program netaddr
prints the address getsockname gives a socket connected to the gateway,
which is the address the guest really sends from.
"""
import json
import os
import socket
import struct
import subprocess
import threading
import zlib

import pytest
import qemu_vm  # scripts/, on the path through conftest.py

from guest_util import KILN, HOST_TIMEOUT, guest_path, kiln_build

MAC = "52:54:00:12:34:56"
MMIO_NET = ["-global", "virtio-mmio.force-legacy=false",
            "-device", "virtio-net-device,netdev=n0"]
RESTRICTED = ["-netdev", "user,id=n0,restrict=on"] + MMIO_NET
OPEN = ["-netdev", "user,id=n0,restrict=off"] + MMIO_NET
# A hub with nothing else on it: frames go nowhere, no DHCP server answers.
NOWHERE = ["-netdev", "hubport,id=n0,hubid=0"] + MMIO_NET
VM_TIMEOUT = 60
VMFAIL = 123  # KILN_EXIT_VMFAIL in include/kiln/exit.h: the VM cannot start


def build(tmp_path, name, program, *args, opts=()):
    out = tmp_path / name
    r = kiln_build(str(out), program, args, extra=opts)
    assert r.returncode == 0, r.stderr
    return str(out)


@pytest.fixture
def netaddr_img(tmp_path):
    return build(tmp_path, "netaddr.img", guest_path("musl", "netaddr"),
                 "10.0.2.2", "53")


@pytest.fixture
def resolv_img(tmp_path):
    return build(tmp_path, "cat.img", "/bin/busybox", "cat",
                 "/etc/resolv.conf")


def boot(image, cmdline, netdev):
    """The image under QEMU with TCG, as the kernel tests boot it."""
    return qemu_vm.boot(image, cmdline, accel="tcg", timeout=VM_TIMEOUT,
                        extra=netdev)


def net_lines(b):
    return [l for l in b.log.splitlines() if l.startswith("kiln: net:")]


# ---- the kernel: kiln.ip=dhcp on the command line ----

def test_dhcp_lease_restricted(netaddr_img):
    """slirp with restrict=on leases an address but names no router or DNS."""
    b = boot(netaddr_img, "kiln.ip=dhcp", RESTRICTED)
    assert b.status == 0, b.log
    assert b.console == "netaddr: udp from 10.0.2.15\n"
    assert net_lines(b) == [
        f"kiln: net: 10.0.2.15/24 on {MAC} (DHCP from 10.0.2.2, 86400 s)"]


def test_dhcp_lease_open(netaddr_img, resolv_img):
    b = boot(netaddr_img, "kiln.ip=dhcp", OPEN)
    assert b.status == 0, b.log
    assert b.console == "netaddr: udp from 10.0.2.15\n"
    assert net_lines(b) == [f"kiln: net: 10.0.2.15/24 via 10.0.2.2 on {MAC} "
                            "(DHCP from 10.0.2.2, 86400 s)"]
    b = boot(resolv_img, "kiln.ip=dhcp", OPEN)
    assert (b.status, b.console) == (0, "nameserver 10.0.2.3\n"), b.log


def test_dhcp_dns_override(resolv_img):
    """kiln.dns replaces the server the lease names."""
    b = boot(resolv_img, "kiln.ip=dhcp kiln.dns=192.0.2.53", OPEN)
    assert (b.status, b.console) == (0, "nameserver 192.0.2.53\n"), b.log
    assert net_lines(b) == [f"kiln: net: 10.0.2.15/24 via 10.0.2.2 on {MAC} "
                            "(DHCP from 10.0.2.2, 86400 s)"]


def test_no_dhcp_server(netaddr_img):
    """No lease in 5 s: one line, and the app runs without an address."""
    b = boot(netaddr_img, "kiln.ip=dhcp", NOWHERE)
    assert net_lines(b) == ["kiln: net: no DHCP lease within 5 s; the app "
                            "starts without an address"], b.log
    assert b.console == "netaddr: FAIL connect (errno ENETUNREACH)\n"
    assert b.status == 1
    assert 5 <= b.seconds < VM_TIMEOUT


def test_static_from_command_line(netaddr_img):
    b = boot(netaddr_img, "kiln.ip=10.0.2.20/24 kiln.gw=10.0.2.2", OPEN)
    assert b.status == 0, b.log
    assert b.console == "netaddr: udp from 10.0.2.20\n"
    assert net_lines(b) == [f"kiln: net: 10.0.2.20/24 via 10.0.2.2 on {MAC}"]


@pytest.mark.parametrize("cmdline, line", [
    ("kiln.ip=dhcpx", "kiln: net: bad kiln.ip=dhcpx (want A.B.C.D/N or dhcp)"),
    ("kiln.ip=10.0.2.20/24 kiln.gw=10.0.3.1",
     "kiln: net: bad kiln.gw=10.0.3.1 (outside the address's subnet)"),
    ("kiln.ip=10.0.2.255/24",
     "kiln: net: bad kiln.ip=10.0.2.255/24 (not a host address)"),
])
def test_bad_command_line(netaddr_img, cmdline, line):
    """A bad configuration is logged; the app runs without a network."""
    b = boot(netaddr_img, cmdline, OPEN)
    assert net_lines(b) == [line], b.log
    assert b.console == "netaddr: FAIL connect (errno ENETUNREACH)\n"
    assert b.status == 1


# ---- the image: kiln build --ip/--gateway/--dns ----

STATIC = ["--ip", "10.0.2.20/24", "--gateway", "10.0.2.2", "--dns", "10.0.2.3"]


@pytest.fixture
def static_img(tmp_path):
    return build(tmp_path, "static.img", guest_path("musl", "netaddr"),
                 "10.0.2.2", "53", opts=STATIC)


@pytest.fixture
def dhcp_img(tmp_path):
    return build(tmp_path, "dhcp.img", guest_path("musl", "netaddr"),
                 "10.0.2.2", "53", opts=["--ip", "dhcp"])


def test_image_static(static_img):
    b = boot(static_img, "", OPEN)
    assert b.status == 0, b.log
    assert b.console == "netaddr: udp from 10.0.2.20\n"
    assert net_lines(b) == [f"kiln: net: 10.0.2.20/24 via 10.0.2.2 on {MAC}"]


def test_image_dhcp(dhcp_img):
    b = boot(dhcp_img, "", OPEN)
    assert b.status == 0, b.log
    assert b.console == "netaddr: udp from 10.0.2.15\n"


def test_command_line_beats_image(static_img, dhcp_img):
    b = boot(static_img, "kiln.ip=dhcp", OPEN)
    assert b.console == "netaddr: udp from 10.0.2.15\n", b.log
    b = boot(dhcp_img, "kiln.ip=10.0.2.30/24", OPEN)
    assert b.console == "netaddr: udp from 10.0.2.30\n", b.log
    # The command line's kiln.ip brings its own gw and dns, not the image's.
    assert net_lines(b) == [f"kiln: net: 10.0.2.30/24 on {MAC}"]


def test_image_without_device(static_img):
    """The image asks for a network but the VM has no device: one line."""
    b = boot(static_img, "", [])
    assert b.console == "netaddr: FAIL connect (errno ENETUNREACH)\n", b.log
    assert net_lines(b) == ["kiln: net: no usable network device (-19)"]


@pytest.mark.parametrize("opts, message", [
    (["--ip", "10.0.2.300/24"], "bad --ip 10.0.2.300/24 (want A.B.C.D/N or dhcp)"),
    (["--ip", "10.0.2.20/33"], "bad --ip 10.0.2.20/33 (want A.B.C.D/N or dhcp)"),
    (["--ip", "DHCP"], "bad --ip DHCP (want A.B.C.D/N or dhcp)"),
    (["--ip", ""], "bad --ip  (want A.B.C.D/N or dhcp)"),
    (["--ip", "10.0.2.0/24"], "bad --ip 10.0.2.0/24 (not a host address)"),
    (["--ip", "10.0.2.255/24"], "bad --ip 10.0.2.255/24 (not a host address)"),
    (["--ip", "127.0.0.5/8"], "bad --ip 127.0.0.5/8 (not a host address)"),
    (["--ip", "10.0.2.20/24", "--gateway", "10.0.3.1"],
     "bad --gateway 10.0.3.1 (outside the address's subnet)"),
    (["--ip", "10.0.2.20/24", "--gateway", "10.0.2.20"],
     "bad --gateway 10.0.2.20 (the address itself)"),
    (["--ip", "10.0.2.20/24", "--gateway", "10.0.2"],
     "bad --gateway 10.0.2 (want A.B.C.D)"),
    (["--ip", "dhcp", "--gateway", "10.0.2.2"],
     "bad --gateway 10.0.2.2 (not with dhcp, which names the gateway)"),
    (["--ip", "10.0.2.20/24", "--dns", "10.0.2.3 gw=1.2.3.4"],
     "bad --dns 10.0.2.3 gw=1.2.3.4 (want A.B.C.D)"),
    (["--ip", "10.0.2.20/24", "--dns", "0.0.0.0"],
     "bad --dns 0.0.0.0 (not a host address)"),
    (["--gateway", "10.0.2.2"], "--gateway needs --ip"),
    (["--dns", "10.0.2.3"], "--dns needs --ip"),
])
def test_build_refuses_bad_network(tmp_path, opts, message):
    out = tmp_path / "x.img"
    r = kiln_build(str(out), guest_path("musl", "netaddr"), extra=opts)
    assert r.returncode == 2
    assert r.stderr.decode() == f"kiln build: {message}; see 'kiln build --help'\n"
    assert r.stdout == b"" and not out.exists()


def inspect(image):
    r = subprocess.run([KILN, "inspect", image], capture_output=True,
                       timeout=HOST_TIMEOUT)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().splitlines()


def test_inspect_shows_network(static_img, dhcp_img, netaddr_img, tmp_path):
    assert inspect(static_img)[3:5] == [
        "workdir: /", "network: ip=10.0.2.20/24 gw=10.0.2.2 dns=10.0.2.3"]
    assert inspect(dhcp_img)[4] == "network: ip=dhcp"
    assert not [l for l in inspect(netaddr_img) if l.startswith("network")]
    # Written the one way the kernel reads it: /24 when no /N was given.
    img = build(tmp_path, "d.img", guest_path("musl", "netaddr"),
                opts=["--ip", "192.168.1.7", "--dns", "1.1.1.1"])
    assert inspect(img)[4] == "network: ip=192.168.1.7/24 dns=1.1.1.1"
    img = build(tmp_path, "e.img", guest_path("musl", "netaddr"),
                opts=["--ip", "dhcp", "--dns", "1.1.1.1"])
    assert inspect(img)[4] == "network: ip=dhcp dns=1.1.1.1"


def patch_bundle(path, old, new):
    """Replace bytes in the image's bundle and fix its crc32 (image.h)."""
    data = bytearray(open(path, "rb").read())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    off, = struct.unpack_from("<Q", data, phoff + 56 * (phnum - 1) + 8)
    header, total = struct.unpack_from("<IQ", data, off + 12)
    at = data.index(old, off)
    data[at:at + len(old)] = new
    crc = zlib.crc32(bytes(data[off + header:off + total]))
    struct.pack_into("<I", data, off + 28, crc)
    open(path, "wb").write(bytes(data))


def test_bad_network_in_image(static_img):
    """An image is untrusted: a record kiln build would refuse is shown
    as such and ignored by the kernel, which still runs the app."""
    patch_bundle(static_img, b"ip=10.0.2.20/24", b"ip=10.0.2.00/24")
    assert inspect(static_img)[4] == (
        "network: 'ip=10.0.2.00/24 gw=10.0.2.2 dns=10.0.2.3' "
        "(ignored: bad ip, not a host address)")
    b = boot(static_img, "", OPEN)
    assert net_lines(b) == [
        "kiln: net: bad ip=10.0.2.00/24 in the image (not a host address)"]
    assert b.console == "netaddr: FAIL connect (errno ENETUNREACH)\n"


# ---- kiln run: --ip/--gateway/--dns, and the image's configuration ----

HERE = os.path.dirname(os.path.abspath(__file__))
USER_DEFAULT = "kiln.ip=10.0.2.15/24 kiln.gw=10.0.2.2 kiln.dns=10.0.2.3"


@pytest.fixture
def fake(tmp_path):
    """kiln run with fake_qemu.py (FAKE_QEMU_MODE) as QEMU."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    os.symlink(os.path.join(HERE, "fake_qemu.py"), bindir / "qemu-system-x86_64")
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")

    def run(mode, *args):
        return subprocess.run([KILN, "run", "--timeout", "30", *args],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              env=dict(env, FAKE_QEMU_MODE=mode),
                              timeout=HOST_TIMEOUT)
    return run


def echo(fake, *args):
    """What the fake QEMU saw: the image's config and the -append words."""
    r = fake("echo", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_run_appends_slirp_address_by_default(fake, netaddr_img):
    info = echo(fake, "--net", "user", netaddr_img)
    assert info["append"] == USER_DEFAULT
    assert "net" not in info


def test_run_leaves_address_to_image(fake, static_img, dhcp_img):
    info = echo(fake, "--net", "nat", static_img)
    assert info["append"] is None
    assert info["net"] == "ip=10.0.2.20/24 gw=10.0.2.2 dns=10.0.2.3"
    assert echo(fake, "--net", "user", dhcp_img)["append"] is None


def test_run_ip_overrides(fake, static_img, netaddr_img):
    info = echo(fake, "--ip", "10.0.2.30/24", "--gateway", "10.0.2.2",
                "--dns", "10.0.2.3", static_img)
    assert info["append"] == ("kiln.ip=10.0.2.30/24 kiln.gw=10.0.2.2 "
                              "kiln.dns=10.0.2.3")
    assert info["net"] == "ip=10.0.2.20/24 gw=10.0.2.2 dns=10.0.2.3"
    info = echo(fake, "--trace", "--ip", "dhcp", "--net-loss", "5",
                netaddr_img)
    assert info["append"] == "kiln.trace kiln.ip=dhcp kiln.net_loss=5"


def test_run_ip_means_user_networking(fake, netaddr_img):
    r = fake("args", "--ip", "dhcp", netaddr_img)
    argv = json.loads(r.stdout)
    assert argv[argv.index("-netdev") + 1] == "user,id=net0,restrict=on"
    assert argv[argv.index("-append") + 1] == "kiln.ip=dhcp"


@pytest.mark.parametrize("opts, message", [
    (["--net", "none", "--ip", "dhcp"],
     "kiln run: --ip needs networking; not with --net none"),
    (["--gateway", "10.0.2.2"], "kiln run: --gateway needs --ip"),
    (["--ip", "10.0.2.0/24"], "kiln run: bad --ip 10.0.2.0/24 (not a host address)"),
    (["--ip", "dhcp", "--gateway", "10.0.2.2"],
     "kiln run: bad --gateway 10.0.2.2 (not with dhcp, which names the gateway)"),
    (["--net", "tap:"], "kiln run: bad --net (none, user, nat or tap:NAME): tap:"),
    (["--net", "tap:a,b"], "kiln run: bad --net (none, user, nat or tap:NAME): tap:a,b"),
    (["--net", "tap:a23456789012345x"],
     "kiln run: bad --net (none, user, nat or tap:NAME): tap:a23456789012345x"),
    (["--net", "tap:kilntap0", "-p", "8080:80"],
     "kiln run: -p forwards are a user networking feature; not with --net tap:kilntap0"),
])
def test_run_refuses_bad_network(fake, netaddr_img, opts, message):
    r = fake("echo", *opts, netaddr_img)
    assert r.returncode == 2
    assert r.stderr.decode() == f"{message}; see 'kiln run --help'\n"
    assert r.stdout == b""


@pytest.mark.parametrize("name, message", [
    ("kilnnosuch0", "kiln: --net tap:kilnnosuch0: no such network interface"),
    ("lo", "kiln: --net tap:lo: lo is not a tap device"),
])
def test_run_tap_must_exist(fake, netaddr_img, name, message):
    """Checked before QEMU starts: the fake one would print its argv."""
    r = fake("args", "--net", f"tap:{name}", netaddr_img)
    assert r.returncode == VMFAIL
    assert r.stderr.decode() == message + "\n"
    assert r.stdout == b""


def kiln_run(*args):
    return subprocess.run([KILN, "run", "--accel", "tcg", "--timeout", "60",
                           *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=HOST_TIMEOUT)


def test_run_dhcp(netaddr_img):
    r = kiln_run("--ip", "dhcp", "--verbose", netaddr_img)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"netaddr: udp from 10.0.2.15\n"
    assert (f"kiln: net: 10.0.2.15/24 on {MAC} (DHCP from 10.0.2.2, 86400 s)"
            in r.stderr.decode().splitlines())


def test_run_image_static_over_the_wire(static_img):
    """The guest at 10.0.2.20 connects to a server on the host (through
    slirp's NAT, so the server sees 127.0.0.1): it says which address its
    socket has, and the run's own --ip replaces the image's."""
    for opts, want in (((), "10.0.2.20"), (("--ip", "10.0.2.31/24",
                                            "--gateway", "10.0.2.2"),
                                           "10.0.2.31")):
        seen = []
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            listener.settimeout(HOST_TIMEOUT)

            def serve():
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(HOST_TIMEOUT)
                    seen.append(conn.recv(64))
            server = threading.Thread(target=serve, daemon=True)
            server.start()
            r = kiln_run("--net", "nat", *opts, static_img, "10.0.2.2",
                         str(listener.getsockname()[1]), "tcp")
            server.join(HOST_TIMEOUT)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == f"netaddr: tcp from {want}\n"
        assert seen == [f"{want}\n".encode()]


def test_run_image_dns(tmp_path):
    img = build(tmp_path, "cat.img", "/bin/busybox", "cat", "/etc/resolv.conf",
                opts=["--ip", "10.0.2.20/24", "--dns", "192.0.2.53"])
    r = kiln_run("--net", "user", img)
    assert (r.returncode, r.stdout) == (0, b"nameserver 192.0.2.53\n"), r.stderr


# ---- kiln run --net tap:NAME, on a real tap in a network namespace ----

# Runs inside `unshare -n -m`: a private network namespace (nothing
# outside it is touched, and it goes away with the process) and a
# private mount of /sys, so kiln's /sys/class/net check sees its devices.
TAP_SETUP = """
set -eu
mount -t sysfs sysfs /sys
ip tuntap add dev ktap0 mode tap
trap 'ip link del ktap0' EXIT
ip addr add 10.9.0.1/24 dev ktap0
ip link set ktap0 up
"$0" -c "$1" "$2" "$3"
"""

# Inside the namespace: kiln's QEMU command line (fake QEMU), then the
# guest at 10.9.0.2 connecting to a server on the tap's 10.9.0.1, which
# sees the guest's real address (no NAT here).
TAP_BODY = r"""
import json, os, socket, subprocess, sys, threading
kiln, image = sys.argv[1], sys.argv[2]
out = {}
env = dict(os.environ, PATH=os.environ["FAKEBIN"] + ":" + os.environ["PATH"],
           FAKE_QEMU_MODE="args")
r = subprocess.run([kiln, "run", "--timeout", "30", "--net", "tap:ktap0",
                    image], env=env, capture_output=True, timeout=60)
out["fake"] = json.loads(r.stdout)
with socket.socket() as ls:
    ls.bind(("10.9.0.1", 0))
    ls.listen(1)
    ls.settimeout(90)
    seen = []
    def serve():
        c, peer = ls.accept()
        with c:
            c.settimeout(90)
            seen.append([peer[0], c.recv(64).decode()])
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    r = subprocess.run([kiln, "run", "--accel", "tcg", "--timeout", "60",
                        "--net", "tap:ktap0", "--ip", "10.9.0.2/24", image,
                        "10.9.0.1", str(ls.getsockname()[1]), "tcp"],
                       capture_output=True, timeout=90)
    t.join(90)
out["run"] = [r.returncode, r.stdout.decode(), r.stderr.decode()]
out["seen"] = seen
print(json.dumps(out))
"""


def tap_blocker():
    """None when a tap can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root for a tap device and a network namespace"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    r = subprocess.run(["unshare", "-n", "-m", "sh", "-c",
                        "ip tuntap add dev kprobe0 mode tap"],
                       capture_output=True, timeout=HOST_TIMEOUT)
    if r.returncode != 0:
        return "cannot make a tap in a network namespace: " + \
            r.stderr.decode(errors="replace").strip()
    return None


def test_run_on_tap(netaddr_img, tmp_path):
    why = tap_blocker()
    if why:
        pytest.skip(why)
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    os.symlink(os.path.join(HERE, "fake_qemu.py"), bindir / "qemu-system-x86_64")
    r = subprocess.run(["unshare", "-n", "-m", "sh", "-c", TAP_SETUP,
                        "/usr/bin/python3", TAP_BODY, KILN, netaddr_img],
                       env=dict(os.environ, FAKEBIN=str(bindir)),
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    argv = out["fake"]
    assert argv[argv.index("-netdev") + 1] == \
        "tap,id=net0,ifname=ktap0,script=no,downscript=no"
    assert argv[argv.index("-append") + 1] == "kiln.ip=dhcp"
    status, stdout, stderr = out["run"]
    assert (status, stdout) == (0, "netaddr: tcp from 10.9.0.2\n"), stderr
    assert out["seen"] == [["10.9.0.2", "10.9.0.2\n"]]
