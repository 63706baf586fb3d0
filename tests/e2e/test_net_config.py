"""test_net_config.py - how the guest gets its address: DHCP or static, from the command line or the image.

QEMU's user networking (slirp) only routes 10.0.2.0/24: its DHCP server
hands out 10.0.2.15, and a static address must be another host of that
subnet (10.0.2.20 here) to be reachable. The guest program netaddr
prints the address getsockname gives a socket connected to the gateway,
which is the address the guest really sends from.
"""
import pytest
import qemu_vm  # scripts/, on the path through conftest.py

from guest_util import guest_path, kiln_build

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
