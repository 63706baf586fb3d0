"""test_net_tap.py - the guest on a real tap device: checksum offload and merged receive buffers.

QEMU's tap backend (unlike user networking) offers virtio-net's CSUM and
GUEST_CSUM: the guest leaves its TCP/UDP checksums to the host, and the
host hands it segments with only a partial checksum. Each test makes its
own network namespace holding a tap device at 10.77.0.1/24, boots the
guest on it at 10.77.0.2 (`ip netns exec NS kiln run --net tap:ktap0`, or
QEMU directly where a kernel command line or device property is needed),
and talks to it from sockets created inside that namespace, so nothing
leaves this machine. A packet socket on the tap, with PACKET_VNET_HDR,
sees every frame with the virtio-net header the host kernel keeps for it:
the checksums the guest left to the host are finished there exactly as
the host will finish them, and must then verify, as every complete one
must.

Needs root, /dev/net/tun and a network namespace it can enter (not so
in a chroot whose / is no mount point); skipped otherwise.
"""
import array
import contextlib
import ctypes
import functools
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest
import qemu_vm  # scripts/, on the path through conftest.py

from guest_util import KILN, guest_path, kiln_build
from net_util import IO_TIMEOUT_S, echo

TAP = "ktap0"
HOST_IP = "10.77.0.1"
GUEST_IP = "10.77.0.2"
TCP_PORT = 7777
UDP_PORT = 7778
VM_TIMEOUT = 90        # what the VM gets (kiln run --timeout, or QEMU)
HOST_TIMEOUT = 150     # what the kiln or QEMU process gets
UP_WITHIN_S = 30.0     # until the guest's server answers
CLONE_NEWNET = 0x40000000
SOL_PACKET = 263
PACKET_VNET_HDR = 15
SO_RCVBUFFORCE = 33
ETH_P_ALL = 0x0003      # only these packet sockets see what is sent too
VNET_HDR_LEN = 10      # the legacy struct virtio_net_hdr a packet socket gives
NEEDS_CSUM = 1

OFFLOAD_LINE = ("kiln: virtio-net: offloads: mrg_rxbuf csum guest_csum "
                "(2048-byte receive buffers)")

_libc = ctypes.CDLL(None, use_errno=True)


def _why_not():
    if os.geteuid() != 0:
        return "needs root (network namespaces and a tap device)"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun"
    if shutil.which("ip") is None:
        return "needs iproute2's ip"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None,
                                reason=_why_not() or "")


def ip(*args, ns=None):
    cmd = ["ip"] + (["netns", "exec", ns, "ip"] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr}"


@functools.lru_cache(maxsize=None)
def netns_blocker():
    """None when a network namespace can be made and entered here, else
    why not. Asked once: in a chroot, say, `ip netns add` works but `ip
    netns exec` cannot make / a slave mount, and every test would fail on
    its first command rather than on anything of the guest's."""
    name = f"kiln-probe-{os.getpid()}-{secrets.token_hex(3)}"

    def run(*args):
        r = subprocess.run(["ip", "netns", *args], capture_output=True,
                           text=True, timeout=20)
        return r.returncode, " ".join(r.stderr.split())

    rc, err = run("add", name)
    if rc != 0:
        return f"cannot create a network namespace: {err}"
    try:
        rc, err = run("exec", name, "true")
        if rc != 0:
            return f"cannot enter a network namespace (ip netns exec): {err}"
    finally:
        run("del", name)
    return None


@pytest.fixture
def netns():
    """A fresh namespace with lo up and TAP at HOST_IP/24; always deleted."""
    why = netns_blocker()
    if why:
        pytest.skip(why)
    name = f"kiln-tap-{os.getpid()}-{secrets.token_hex(3)}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, f"ip netns add {name}: {r.stderr}"
    try:
        ip("link", "set", "lo", "up", ns=name)
        ip("tuntap", "add", "dev", TAP, "mode", "tap", ns=name)
        ip("addr", "add", f"{HOST_IP}/24", "dev", TAP, ns=name)
        ip("link", "set", TAP, "up", ns=name)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True,
                       timeout=20)


def in_netns(ns, fn):
    """fn() on a thread that first joins ns: the sockets it makes live
    there, and may be used from any thread afterwards."""
    out = {}

    def run():
        fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
            out["value"] = fn()
        except BaseException as e:  # noqa: B902 - handed to the caller
            out["error"] = e
        finally:
            os.close(fd)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


# ---- checksums, as RFC 1071 defines them ----

def ones_sum(data):
    """The ones' complement sum of data as big-endian 16-bit words."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum(array.array("H", bytes(data)))  # host-order words: C speed
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    # The sum is byte-order independent up to a swap (RFC 1071 2(B)).
    return s if array.array("H", b"\x01\x00")[0] == 0x0100 else \
        ((s & 0xff) << 8) | (s >> 8)


class Capture:
    """Every IPv4 TCP/UDP frame on the tap, checked as it comes: the
    counts say how many carried a complete checksum and how many a
    partial one (NEEDS_CSUM), per direction, and how many of either did
    not verify once finished."""

    def __init__(self, ns):
        self.sock = in_netns(ns, self._open)
        self.counts = {}
        self.errors = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _open():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        # Root may pass net.core.rmem_max: room for ~3500 frames while
        # this thread checks the ones before.
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        s.bind((TAP, ETH_P_ALL))
        s.settimeout(0.2)
        return s

    def _count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def _check(self, pkt):
        flags, _gso, _hl, _gs, start, offset = struct.unpack_from(
            "<BBHHHH", pkt)
        f = bytearray(pkt[VNET_HDR_LEN:])
        if len(f) < 34 or f[12:14] != b"\x08\x00" or f[14] >> 4 != 4:
            return
        ihl = (f[14] & 15) * 4
        total = struct.unpack_from(">H", f, 16)[0]
        proto = f[23]
        if proto not in (6, 17) or 14 + total > len(f):
            return
        src = socket.inet_ntoa(bytes(f[26:30]))
        way = ("from_guest_" if src == GUEST_IP else "to_guest_") + \
            ("tcp" if proto == 6 else "udp")
        field = 16 if proto == 6 else 6
        seg_at = 14 + ihl
        if flags & NEEDS_CSUM:
            kind = "partial"
            if (start, offset) != (seg_at, field):
                self.errors.append(f"{way}: csum_start {start} offset "
                                   f"{offset}, want {seg_at} {field}")
                return
            c = (~ones_sum(f[start:14 + total])) & 0xffff
            struct.pack_into(">H", f, start + offset, c or 0xffff)
        else:
            kind = "full"
        seg = bytes(f[seg_at:14 + total])
        pseudo = bytes(f[26:34]) + struct.pack(">BBH", 0, proto, len(seg))
        ok = ones_sum(pseudo + seg) == 0xffff
        self._count(f"{way}_{kind}")
        if not ok:
            self._count(f"{way}_{kind}_bad")

    def _run(self):
        while not self.stop:
            try:
                pkt = self.sock.recv(70000)
            except socket.timeout:
                continue
            except OSError as e:
                self.errors.append(repr(e))
                return
            self._check(pkt)

    def finish(self):
        """Waits for the frames already queued, then stops."""
        time.sleep(0.5)
        self.stop = True
        self.thread.join(10)
        self.sock.close()
        return self.counts


# ---- the guest ----

def build(tmp_path, name, *argv):
    out = str(tmp_path / name)
    r = kiln_build(out, guest_path("musl", argv[0]), argv[1:],
                   extra=("--ip", f"{GUEST_IP}/24"))
    assert r.returncode == 0, r.stderr
    return out


def kiln_run_in(ns, image):
    """`kiln run --net tap:TAP --verbose` of image inside ns (the kernel log on
    stderr), left running."""
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, KILN, "run", "--accel", "tcg",
         "--timeout", str(VM_TIMEOUT), "--verbose", "--net", f"tap:{TAP}", image],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)


class QemuRun:
    """QEMU itself on the tap inside ns, for what kiln run cannot say: a
    kernel command line and virtio-net device properties."""

    def __init__(self, ns, image, cmdline="", device_opts=""):
        self.dir = tempfile.TemporaryDirectory(prefix="kiln-tap-")
        self.con = os.path.join(self.dir.name, "console")
        self.log = os.path.join(self.dir.name, "log")
        cmd = qemu_vm.qemu_command(
            image, "microvm", "tcg", cmdline, self.con, self.log,
            extra=["-netdev", f"tap,id=n0,ifname={TAP},script=no,downscript=no",
                   "-global", "virtio-mmio.force-legacy=false",
                   "-device", f"virtio-net-device,netdev=n0{device_opts}"])
        # timeout(1) bounds the VM even if this process dies.
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns,
                                      "timeout", str(VM_TIMEOUT)] + cmd,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True)

    def communicate(self, timeout):
        _, _, err = finish(self.proc, timeout)
        with open(self.con, "rb") as f:
            out = f.read()
        with open(self.log, "rb") as f:
            log = f.read().decode(errors="replace")
        self.dir.cleanup()
        return out, log, err


def kill_group(proc):
    """proc and everything it started (kiln's QEMU, timeout's QEMU): each
    runs in a session of its own. Killing kiln or timeout alone would
    leave QEMU running, holding the pipes communicate() waits on."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


@contextlib.contextmanager
def killed_on_error(proc):
    """The VM is killed when the host side fails."""
    try:
        yield
    except BaseException:
        kill_group(proc)
        raise


def finish(proc, timeout=HOST_TIMEOUT):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise AssertionError(f"no exit within {timeout} s")
    return proc.returncode, out, err.decode(errors="replace")


def tcp_connect(ns):
    """A connection to the guest's echo server, retried while it boots."""
    deadline = time.monotonic() + UP_WITHIN_S

    def attempt():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((GUEST_IP, TCP_PORT))
        except OSError:
            s.close()
            return None
        return s

    while time.monotonic() < deadline:
        s = in_netns(ns, attempt)
        if s is not None:
            return s
        time.sleep(0.2)
    raise AssertionError("the guest's echo server never answered")


def check_echo(ns, size):
    payload = os.urandom(size)
    got = echo(tcp_connect(ns), payload)
    assert len(got) == size
    assert got == payload, "the echo differs"


def wait_guest_up(ns):
    """Until the guest's kernel answers: a TCP connection to a port no one
    listens on is refused once it is up. (A datagram sent earlier can be
    lost without a trace: to a tap no process holds yet, or while the
    host's ARP goes unanswered.)"""
    deadline = time.monotonic() + UP_WITHIN_S

    def probe():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            try:
                s.connect((GUEST_IP, 1))
            except ConnectionRefusedError:
                return True
            except OSError:
                return False
        return True

    while time.monotonic() < deadline:
        if in_netns(ns, probe):
            return
        time.sleep(0.2)
    raise AssertionError("the guest never answered")


def udp_echo(sock, sizes):
    """A datagram of each size through the guest's echo, one at a time,
    once the guest is up: a datagram refused because the app has no
    socket yet (ICMP port unreachable) is sent again."""
    deadline = time.monotonic() + UP_WITHIN_S
    for n in sizes:
        data = os.urandom(n)
        while True:
            sock.send(data)
            sock.settimeout(IO_TIMEOUT_S)
            try:
                got = sock.recv(2048)
                break
            except socket.timeout:
                raise AssertionError(f"no echo of {n} bytes")
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert got == data
    sock.close()


# ---- the tests ----

def test_tap_tcp_offloaded(netns, tmp_path):
    """8 MiB both ways through the guest's TCP echo with every offload on:
    the guest's segments all leave with a partial checksum that the host
    finishes correctly, and it takes the host's partial ones."""
    size = 8 << 20
    img = build(tmp_path, "echo.img", "tcp_echo", str(TCP_PORT))
    cap = Capture(netns)
    proc = kiln_run_in(netns, img)
    with killed_on_error(proc):
        check_echo(netns, size)
    rc, out, log = finish(proc)
    counts = cap.finish()
    assert (rc, out) == (0, f"tcp_echo: echoed {size} bytes\n".encode()), log
    assert OFFLOAD_LINE in log.splitlines(), log
    assert f"kiln: net: {GUEST_IP}/24 on 52:54:00:12:34:56" in log.splitlines()
    assert not cap.errors, cap.errors
    # Every segment of ours left the checksum to the host, and each one
    # verifies once finished; the host's came with partial sums too.
    assert counts.get("from_guest_tcp_full", 0) == 0, counts
    assert counts.get("from_guest_tcp_partial", 0) > size // 1460, counts
    assert counts.get("to_guest_tcp_partial", 0) > size // 1460, counts
    assert not any(k.endswith("_bad") for k in counts), counts


def test_tap_udp_offloaded(netns, tmp_path):
    """Datagrams of 1 to 1472 bytes echoed exactly; their checksums left
    to the host verify once finished."""
    sizes = [1, 2, 17, 100, 511, 512, 999, 1000, 1471, 1472] + \
        [secrets.randbelow(1472) + 1 for _ in range(6)]
    img = build(tmp_path, "udp.img", "udp_echo", str(UDP_PORT),
                str(len(sizes)))
    cap = Capture(netns)
    proc = kiln_run_in(netns, img)

    def open_udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((GUEST_IP, UDP_PORT))
        return s

    with killed_on_error(proc):
        wait_guest_up(netns)
        udp_echo(in_netns(netns, open_udp), sizes)
    rc, out, log = finish(proc)
    counts = cap.finish()
    assert (rc, out) == (0, f"udp_echo: echoed {len(sizes)}\n".encode()), log
    assert OFFLOAD_LINE in log.splitlines(), log
    assert not cap.errors, cap.errors
    assert counts.get("from_guest_udp_full", 0) == 0, counts
    assert counts.get("from_guest_udp_partial", 0) == len(sizes), counts
    assert counts.get("to_guest_udp_partial", 0) == len(sizes), counts
    assert not any(k.endswith("_bad") for k in counts), counts


def test_tap_small_receive_buffers(netns, tmp_path):
    """kiln.net_rxbuf=256: every full-size frame spans 6 merged receive
    buffers on the real device; 4 MiB still echo exactly."""
    size = 4 << 20
    img = build(tmp_path, "echo.img", "tcp_echo", str(TCP_PORT))
    vm = QemuRun(netns, img, cmdline="kiln.net_rxbuf=256")
    with killed_on_error(vm.proc):
        check_echo(netns, size)
    out, log, _ = vm.communicate(HOST_TIMEOUT)
    assert out == f"tcp_echo: echoed {size} bytes\n".encode(), log
    assert ("kiln: virtio-net: offloads: mrg_rxbuf csum guest_csum "
            "(256-byte receive buffers)") in log.splitlines(), log
    assert "kiln: exit status 0" in log.splitlines()


def test_tap_without_offloads(netns, tmp_path):
    """The device offering none of them: the guest computes and checks
    every checksum itself, and they all verify on the tap."""
    size = 2 << 20
    img = build(tmp_path, "echo.img", "tcp_echo", str(TCP_PORT))
    cap = Capture(netns)
    vm = QemuRun(netns, img,
                 device_opts=",csum=off,guest_csum=off,mrg_rxbuf=off")
    with killed_on_error(vm.proc):
        check_echo(netns, size)
    out, log, _ = vm.communicate(HOST_TIMEOUT)
    counts = cap.finish()
    assert out == f"tcp_echo: echoed {size} bytes\n".encode(), log
    assert ("kiln: virtio-net: offloads: none (2048-byte receive buffers)"
            in log.splitlines()), log
    assert not cap.errors, cap.errors
    assert counts.get("from_guest_tcp_partial", 0) == 0, counts
    assert counts.get("to_guest_tcp_partial", 0) == 0, counts
    assert counts.get("from_guest_tcp_full", 0) > size // 1460, counts
    assert counts.get("to_guest_tcp_full", 0) > size // 1460, counts
    assert not any(k.endswith("_bad") for k in counts), counts
