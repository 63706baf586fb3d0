"""test_net_config.py - how the guest gets its address: DHCP or static, from the command line or the image.

QEMU's user networking (slirp) only routes 10.0.2.0/24: its DHCP server
hands out 10.0.2.15, and a static address must be another host of that
subnet (10.0.2.20 here) to be reachable. The guest program netaddr
prints the address getsockname gives a socket connected to the gateway,
which is the address the guest really sends from.
"""
import struct
import subprocess
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
