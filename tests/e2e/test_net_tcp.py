"""test_net_tcp.py - TCP end to end: a guest echo server behind `kiln run -p`.

The host connects to 127.0.0.1 through QEMU's user-mode port forward,
streams 8 MiB through the guest and checks it comes back byte for byte;
then 512 KiB again while the guest drops 5% of its frames both ways
(`kiln run --net-loss 5`), so that our reassembly and retransmission
carry it. (Small because QEMU's own TCP, the other end here, waits a
second or more for each loss it must recover by timeout; the 4 MiB lossy
transfer is the upload in test_net_client.py, where we are the sender.)
"""
import os
import subprocess
import threading

import qemu_vm  # scripts/, on the path through conftest.py

from guest_util import KILN, HOST_TIMEOUT, guest_path
from net_util import (GUEST_PORT, connect_when_up, echo, echo_through_guest,
                      free_tcp_port)

SIZE = 8 << 20
LOSSY_SIZE = 512 << 10
LOSS_PERCENT = 5


def test_tcp_echo_through_port_forward():
    echo_through_guest(SIZE)


def test_tcp_echo_with_frame_loss():
    echo_through_guest(LOSSY_SIZE, ["--net-loss", str(LOSS_PERCENT)])


def test_tcp_echo_small_receive_buffers(tmp_path):
    """kiln.net_rxbuf=256: slirp offers MRG_RXBUF, so each full-size frame
    spans 6 merged receive buffers (virtio_net_gather on a real device);
    2 MiB still echo exactly. QEMU directly: kiln run passes no kernel
    command line of our choosing."""
    size = 2 << 20
    image = str(tmp_path / "echo.img")
    r = subprocess.run([KILN, "build", "-o", image,
                        guest_path("musl", "tcp_echo"), str(GUEST_PORT)],
                       capture_output=True, timeout=HOST_TIMEOUT)
    assert r.returncode == 0, r.stderr
    host_port = free_tcp_port()
    payload = os.urandom(size)
    result = {}
    vm = threading.Thread(target=lambda: result.update(b=qemu_vm.boot(
        image, "kiln.ip=10.0.2.15/24 kiln.gw=10.0.2.2 kiln.net_rxbuf=256",
        accel="tcg", timeout=90,
        extra=["-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:"
               f"{host_port}-:{GUEST_PORT}",
               "-global", "virtio-mmio.force-legacy=false",
               "-device", "virtio-net-device,netdev=n0"])))
    vm.start()
    with connect_when_up(host_port, payload) as sock:
        got = echo(sock, payload, sent=1)
    vm.join(HOST_TIMEOUT)
    b = result["b"]
    assert got == payload, "echo differs from what was sent"
    assert ("kiln: virtio-net: offloads: mrg_rxbuf (256-byte receive "
            "buffers)") in b.log.splitlines(), b.log
    assert (b.status, b.console) == (0, f"tcp_echo: echoed {size} bytes\n")
